package mashang_test

import (
	"testing"
	"time"

	"mashang"
	"mashang/configs"
	"mashang/workday"
)

// The deadline runs three (or six) months from the hand-over and ends on
// a working day: one falling in 国庆节 moves to the first working day after.
func TestSuggestionDeadlineEndsOnAWorkingDay(t *testing.T) {
	cal, err := workday.Parse(configs.Holidays())
	if err != nil {
		t.Fatal(err)
	}
	{
		for _, c := range []struct {
			from   time.Time
			months int
			want   string
		}{
			{time.Date(2025, 7, 1, 10, 0, 0, 0, mashang.China), 3, "2025-10-09"},  // 1 October: 国庆节
			{time.Date(2025, 7, 15, 10, 0, 0, 0, mashang.China), 3, "2025-10-15"}, // a Wednesday
			{time.Date(2025, 4, 5, 10, 0, 0, 0, mashang.China), 6, "2025-10-09"},  // 5 October: 国庆节
			{time.Date(2025, 8, 31, 10, 0, 0, 0, mashang.China), 1, "2025-09-30"}, // no 31 September; the 30th is worked
			{time.Date(2025, 1, 1, 10, 0, 0, 0, mashang.China), 1, "2025-02-05"},  // 1 February: 春节
		} {
			if got := mashang.MonthsDeadline(cal, c.from, c.months).In(mashang.China).Format("2006-01-02"); got != c.want {
				t.Errorf("%s + %d months: %s, want %s", c.from.Format("2006-01-02"), c.months, got, c.want)
			}
		}
	}
}

// Staff set answer categories by a short code and a label; anything else
// is refused saying what a category looks like.
func TestAnswerCategoryCheck(t *testing.T) {
	for _, c := range []struct {
		code, label string
		ok          bool
	}{
		{" b ", " 列入计划 ", true}, {"", "x", false}, {"ABCDE", "x", false}, {"A-1", "x", false}, {"D", "", false},
	} {
		cat := mashang.AnswerCategory{Code: c.code, Label: c.label}
		if err := cat.Check(); (err == nil) != c.ok {
			t.Errorf("%q %q: %v", c.code, c.label, err)
		}
	}
}

// Between sessions a received suggestion is handed over within five
// working days: yellow on the last one, red after; handed, or raised at a
// session (no such deadline), it is neither.
func TestHandoverWithinFiveWorkingDays(t *testing.T) {
	cal, err := workday.Parse(configs.Holidays())
	if err != nil {
		t.Fatal(err)
	}
	received := time.Date(2025, 9, 26, 10, 0, 0, 0, mashang.China) // a Friday before 国庆节
	sg := mashang.Suggestion{Status: mashang.SuggestionSubmitted, HandoverDue: cal.AddWorkingDays(received, mashang.HandoverWorkingDays)}
	if got := sg.HandoverDue.In(mashang.China).Format("2006-01-02"); got != "2025-10-10" { // 28, 29, 30 Sept, 9, 10 Oct
		t.Fatalf("due %s", got)
	}
	// The light is the supervision's (Supervision.SuggestionColour), here
	// with one near working day.
	s := &mashang.Supervision{Calendar: cal, NearDays: 1}
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2025, 9, 30, 9, 0, 0, 0, mashang.China), mashang.ColourGreen},
		{time.Date(2025, 10, 9, 9, 0, 0, 0, mashang.China), mashang.ColourYellow},
		{time.Date(2025, 10, 11, 9, 0, 0, 0, mashang.China), mashang.ColourRed},
	} {
		if got := s.SuggestionColour(sg, c.at); got != c.want {
			t.Errorf("%s: %s, want %s", c.at.Format("01-02"), got, c.want)
		}
	}
	handed := received
	sg.HandedAt = &handed
	if got := s.SuggestionColour(sg, time.Date(2025, 10, 20, 9, 0, 0, 0, mashang.China)); got != mashang.ColourGreen {
		t.Errorf("a handed suggestion is %s", got)
	}
}
