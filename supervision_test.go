package mashang_test

import (
	"testing"
	"time"

	"mashang"
	"mashang/configs"
	"mashang/workday"
)

// chinaTime reads "2006-01-02 15:04:05" as China time.
func chinaTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04:05", s, mashang.China)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The three colours, on the national calendar: near counts working days,
// ratings weigh whether or not the case is closed.
func TestColours(t *testing.T) {
	cal, err := workday.Parse(configs.Holidays())
	if err != nil {
		t.Fatal(err)
	}
	// Handed over before 国庆 2025 with 5 working days: due Tuesday 14 October.
	deadline := cal.AddWorkingDays(chinaTime(t, "2025-09-30 10:00:00"), 5)
	at := func(s string) *time.Time { v := chinaTime(t, s); return &v }
	cases := []struct {
		name     string
		deadline time.Time
		now      string
		closed   *time.Time
		near     int
		poor     int
		want     string
	}{
		{"three working days left (Fri 10, Sat 11 worked, Mon 13, Tue 14 from Thursday)", deadline, "2025-10-09 09:00:00", nil, 2, 0, mashang.ColourGreen},
		{"three left from Friday", deadline, "2025-10-10 09:00:00", nil, 2, 0, mashang.ColourGreen},
		{"two left on the make-up Saturday: near", deadline, "2025-10-11 09:00:00", nil, 2, 0, mashang.ColourYellow},
		{"two left on Sunday", deadline, "2025-10-12 20:00:00", nil, 2, 0, mashang.ColourYellow},
		{"the last second", deadline, "2025-10-14 23:59:59", nil, 2, 0, mashang.ColourYellow},
		{"one second late", deadline, "2025-10-15 00:00:00", nil, 2, 0, mashang.ColourRed},
		{"near 0: the day before is green", deadline, "2025-10-13 18:00:00", nil, 0, 0, mashang.ColourGreen},
		{"near 0: the deadline's own day is yellow", deadline, "2025-10-14 08:00:00", nil, 0, 0, mashang.ColourYellow},
		{"near -1: never yellow by time", deadline, "2025-10-14 08:00:00", nil, -1, 0, mashang.ColourGreen},
		{"holidays are not near: 1 October, 5 working days left", deadline, "2025-10-01 09:00:00", nil, 4, 0, mashang.ColourGreen},
		{"rated poorly once", deadline, "2025-10-09 09:00:00", nil, 2, 1, mashang.ColourYellow},
		{"rated poorly once and near", deadline, "2025-10-13 09:00:00", nil, 2, 1, mashang.ColourYellow},
		{"rated poorly once and overdue", deadline, "2025-10-20 09:00:00", nil, 2, 1, mashang.ColourRed},
		{"rated poorly twice, in time", deadline, "2025-10-09 09:00:00", nil, 2, 2, mashang.ColourRed},
		{"closed on time stays green long after", deadline, "2025-12-01 09:00:00", at("2025-10-14 20:00:00"), 2, 0, mashang.ColourGreen},
		{"closed on its last second", deadline, "2025-12-01 09:00:00", at("2025-10-14 23:59:59"), 2, 0, mashang.ColourGreen},
		{"closed on time while near: no longer chased", deadline, "2025-10-14 21:00:00", at("2025-10-14 20:00:00"), 2, 0, mashang.ColourGreen},
		{"closed late stays red", deadline, "2025-12-01 09:00:00", at("2025-10-15 09:00:00"), 2, 0, mashang.ColourRed},
		{"closed on time, rated poorly once before", deadline, "2025-12-01 09:00:00", at("2025-10-14 20:00:00"), 2, 1, mashang.ColourYellow},
		{"closed on time, rated poorly twice", deadline, "2025-12-01 09:00:00", at("2025-10-14 20:00:00"), 2, 2, mashang.ColourRed},
		{"no deadline yet", time.Time{}, "2025-12-01 09:00:00", nil, 2, 0, mashang.ColourGreen},
		{"no deadline yet, rated poorly", time.Time{}, "2025-12-01 09:00:00", nil, 2, 1, mashang.ColourYellow},
	}
	for _, c := range cases {
		s := &mashang.Supervision{Calendar: cal, NearDays: c.near}
		if got := s.Colour(c.deadline, chinaTime(t, c.now), c.closed, c.poor); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// A case nobody takes is yellow once its first-response deadline has
// passed and red once as many working days again have passed, holidays not
// counted; taken, only its hand-over deadline and ratings colour it.
func TestFirstResponseColours(t *testing.T) {
	cal, err := workday.Parse(configs.Holidays())
	if err != nil {
		t.Fatal(err)
	}
	// Raised on Friday 26 September 2025 with 2 working days: due at the
	// end of Monday 29th (Sunday 28th is a make-up working day).
	due := cal.AddWorkingDays(chinaTime(t, "2025-09-26 10:00:00"), 2)
	handedDue := cal.AddWorkingDays(chinaTime(t, "2025-10-09 10:00:00"), 5)
	cases := []struct {
		name string
		days int
		d    mashang.Deadline
		now  string
		want string
	}{
		{"the deadline's last second", 2, mashang.Deadline{FirstResponseDue: due}, "2025-09-29 23:59:59", mashang.ColourGreen},
		{"the next day, untaken", 2, mashang.Deadline{FirstResponseDue: due}, "2025-09-30 00:00:00", mashang.ColourYellow},
		{"through 国庆, still yellow", 2, mashang.Deadline{FirstResponseDue: due}, "2025-10-09 23:59:59", mashang.ColourYellow},
		{"twice the time: red", 2, mashang.Deadline{FirstResponseDue: due}, "2025-10-10 00:00:00", mashang.ColourRed},
		{"3 days: red only after 3 more working days", 3, mashang.Deadline{FirstResponseDue: due}, "2025-10-10 12:00:00", mashang.ColourYellow},
		{"unset days count as the default", 0, mashang.Deadline{FirstResponseDue: due}, "2025-10-10 00:00:00", mashang.ColourRed},
		{"taken: green", 2, mashang.Deadline{FirstResponseDue: due, Taken: true}, "2025-10-10 00:00:00", mashang.ColourGreen},
		{"taken and handed over: the hand-over's colour", 2, mashang.Deadline{FirstResponseDue: due, Taken: true, Due: handedDue}, "2025-10-15 09:00:00", mashang.ColourYellow},
		{"no first-response deadline (raised before there was one)", 2, mashang.Deadline{}, "2025-12-01 00:00:00", mashang.ColourGreen},
	}
	for _, c := range cases {
		s := &mashang.Supervision{Calendar: cal, NearDays: 2, FirstResponseDays: c.days}
		if got := s.ColourOf(c.d, chinaTime(t, c.now)); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
