package mashang_test

import (
	"testing"
	"time"

	"mashang"
)

func TestNextReception(t *testing.T) {
	cst := mashang.China
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, cst) // a Monday
	cases := []struct {
		plan  string
		want  string
		today bool
	}{
		{"每月10日", "2026-12-10", false},
		{"每月10日、20日、23日", "2026-11-23", true},
		{"每月25日上午", "2026-11-25", false},
		{"每周三上午", "2026-11-25", false},
		{"每周一、周五", "2026-11-23", true},
		{"每月31日", "2026-12-31", false}, // November has no 31st
		{"逢节假日另行通知", "", false},
	}
	for _, c := range cases {
		got, today := mashang.NextReception(c.plan, now)
		s := ""
		if !got.IsZero() {
			s = got.Format("2006-01-02")
		}
		if s != c.want || today != c.today {
			t.Errorf("%q: %s %v, want %s %v", c.plan, s, today, c.want, c.today)
		}
	}
}
