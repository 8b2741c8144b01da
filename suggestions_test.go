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
