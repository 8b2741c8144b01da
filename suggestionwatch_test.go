package mashang_test

import (
	"testing"
	"time"

	"mashang"
	"mashang/configs"
	"mashang/workday"
)

// A suggestion's colours run on the same calendar and rules as a case's:
// received between sessions just before 国庆 2025, its five working days
// to be handed over run to Tuesday 14 October (the holiday skipped, the
// make-up Saturday 11 October counted); it is yellow when near, red when
// missed, and once handed over it runs against the bodies' answer
// deadline, then, after 不满意, the answer again.
func TestSuggestionColoursOnWorkingDaysAcrossTheHoliday(t *testing.T) {
	cal, err := workday.Parse(configs.Holidays())
	if err != nil {
		t.Fatal(err)
	}
	s := &mashang.Supervision{Calendar: cal, NearDays: 2}
	received := chinaTime(t, "2025-09-30 10:00:00")
	handoverDue := cal.AddWorkingDays(received, mashang.HandoverWorkingDays)
	if got := handoverDue.In(mashang.China).Format(time.DateOnly); got != "2025-10-14" {
		t.Fatalf("five working days from 30 September 2025: %s, want 2025-10-14", got)
	}
	at := func(v string) *time.Time { x := chinaTime(t, v); return &x }
	waiting := mashang.Suggestion{Status: mashang.SuggestionAccepted, ReceivedAt: &received, HandoverDue: handoverDue, Round: 1}
	for _, c := range []struct {
		now, want string
	}{
		{"2025-10-01 09:00:00", mashang.ColourGreen},  // the holiday: five working days left
		{"2025-10-08 18:00:00", mashang.ColourGreen},  // still the holiday: 9, 10, 11, 13, 14 left
		{"2025-10-10 09:00:00", mashang.ColourGreen},  // 11, 13, 14 left: three
		{"2025-10-11 09:00:00", mashang.ColourYellow}, // the make-up Saturday: 13, 14 left
		{"2025-10-14 23:00:00", mashang.ColourYellow}, // its last day
		{"2025-10-15 00:00:01", mashang.ColourRed},    // missed
	} {
		if got := s.SuggestionColour(waiting, chinaTime(t, c.now)); got != c.want {
			t.Errorf("waiting to be handed over, at %s: %s, want %s", c.now, got, c.want)
		}
	}
	// During a session there is no five-day rule: no colour until handed.
	session := waiting
	session.HandoverDue = time.Time{}
	if got := s.SuggestionColour(session, chinaTime(t, "2025-12-01 09:00:00")); got != mashang.ColourGreen {
		t.Errorf("a session's suggestion waiting: %s", got)
	}

	// Handed over on 13 October, acknowledged at once; due in three months.
	handed := chinaTime(t, "2025-10-13 10:00:00")
	due := mashang.MonthsDeadline(cal, handed, mashang.SuggestionMonths)
	sg := mashang.Suggestion{Status: mashang.SuggestionHanded, ReceivedAt: &received, HandoverDue: handoverDue, HandedAt: &handed,
		Due: due, Round: 1, Bodies: []mashang.SuggestionBody{{DepartmentID: 1, Lead: true, HandedAt: handed,
			AckDue: cal.AddWorkingDays(handed, 1), AcknowledgedAt: &handed}}}
	if got := s.SuggestionColour(sg, chinaTime(t, "2025-10-16 09:00:00")); got != mashang.ColourGreen {
		t.Errorf("handed over (late hand-over is history, the answer's deadline rules now): %s", got)
	}
	if got := s.SuggestionColour(sg, due.Add(-time.Hour)); got != mashang.ColourYellow {
		t.Errorf("on the answer's last day: %s", got)
	}
	if got := s.SuggestionColour(sg, due.Add(time.Second)); got != mashang.ColourRed {
		t.Errorf("the answer late: %s", got)
	}
	// A body that let its working day pass without acknowledging: yellow.
	unacked := sg
	unacked.Bodies = []mashang.SuggestionBody{{DepartmentID: 1, Lead: true, HandedAt: handed, AckDue: cal.AddWorkingDays(handed, 1)}}
	if got := s.SuggestionColour(unacked, chinaTime(t, "2025-10-15 09:00:00")); got != mashang.ColourYellow {
		t.Errorf("not acknowledged after a working day: %s", got)
	}
	// Answered in time: green from then on, however long the deputy takes.
	answered := sg
	answered.Status, answered.AnsweredAt = mashang.SuggestionAnswered, at("2025-12-01 10:00:00")
	if got := s.SuggestionColour(answered, due.AddDate(0, 1, 0)); got != mashang.ColourGreen {
		t.Errorf("answered in time: %s", got)
	}
	// Answered late: red stays.
	late := sg
	late.Status, late.AnsweredAt = mashang.SuggestionAnswered, at(due.Add(time.Hour).In(mashang.China).Format("2006-01-02 15:04:05"))
	if got := s.SuggestionColour(late, due.AddDate(0, 1, 0)); got != mashang.ColourRed {
		t.Errorf("answered late: %s", got)
	}
	// 不满意: the redo's own deadline rules, the first answer's is past.
	redo := answered
	redo.Status, redo.Round, redo.RedoDue = mashang.SuggestionRedo, 2, due.AddDate(0, 2, 0)
	if got := s.SuggestionColour(redo, due.AddDate(0, 1, 0)); got != mashang.ColourGreen {
		t.Errorf("handled again, well within its month: %s", got)
	}
	if got := s.SuggestionColour(redo, redo.RedoDue.Add(time.Minute)); got != mashang.ColourRed {
		t.Errorf("handled again, past its month: %s", got)
	}
}
