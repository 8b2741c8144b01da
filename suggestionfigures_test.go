package mashang_test

import (
	"testing"
	"time"

	"mashang"
)

// The figures of a small set, counted by hand: three suggestions, two
// bodies, three deputies.
//
//  1. 李 leads, 王 co-signs; 城管局 leads (acknowledged in time, contacted
//     twice, answered A on time), 交通局 co-handles (acknowledged late);
//     李 满意. Implemented.
//  2. 王 leads; 城管局 leads (acknowledged in time, contacted once),
//     answered B promising 1 March, then A on 28 February; 李 was merged in;
//     王 不满意 on the B, then 基本满意: handled again. Implemented.
//  3. 李 leads; 交通局 leads, not acknowledged, past its deadline
//     unanswered, no contact.
func TestSuggestionFiguresByBodyAndDeputy(t *testing.T) {
	cn := mashang.China
	d := func(s string) time.Time { v, _ := time.ParseInLocation("2006-01-02 15:04", s, cn); return v }
	p := func(s string) *time.Time { v := d(s); return &v }
	solved := map[string]bool{"A": true}
	const chengguan, jiaotong = 1, 2
	facts := []mashang.SuggestionFacts{
		{Suggestion: mashang.Suggestion{ID: 1, DeputyID: 10, DeputyName: "李明", Due: d("2026-04-10 23:59"), Round: 1,
			Signers: []mashang.Signer{{DeputyID: 11, Name: "王芳", ConfirmedAt: p("2026-01-02 10:00")}, {DeputyID: 12, Name: "赵强"}},
			Bodies: []mashang.SuggestionBody{
				{DepartmentID: chengguan, Name: "城管局", Lead: true, AckDue: d("2026-01-06 23:59"), AcknowledgedAt: p("2026-01-06 09:00")},
				{DepartmentID: jiaotong, Name: "交通局", AckDue: d("2026-01-06 23:59"), AcknowledgedAt: p("2026-01-08 09:00")}}},
			Answers:     []mashang.Answer{{Round: 1, Category: "A", At: d("2026-03-01 10:00")}},
			Evaluations: []mashang.Evaluation{{Round: 1, AnswerVerdict: mashang.VerdictSatisfied}},
			Contacts:    map[int64]int{chengguan: 2}, Solved: solved},
		{Suggestion: mashang.Suggestion{ID: 2, DeputyID: 11, DeputyName: "王芳", Due: d("2026-04-10 23:59"), Round: 2,
			Signers: []mashang.Signer{{DeputyID: 10, Name: "李明", ConfirmedAt: p("2026-01-03 10:00"), Merged: true}},
			Bodies:  []mashang.SuggestionBody{{DepartmentID: chengguan, Name: "城管局", Lead: true, AckDue: d("2026-01-06 23:59"), AcknowledgedAt: p("2026-01-05 09:00")}}},
			Answers: []mashang.Answer{{Round: 1, Category: "B", PromisedOn: d("2026-03-01 00:00"), At: d("2026-02-01 10:00")},
				{Round: 2, Category: "A", At: d("2026-02-28 10:00")}},
			Evaluations: []mashang.Evaluation{{Round: 1, AnswerVerdict: mashang.VerdictDissatisfied}, {Round: 2, AnswerVerdict: mashang.VerdictBasic}},
			Contacts:    map[int64]int{chengguan: 1}, Solved: solved},
		{Suggestion: mashang.Suggestion{ID: 3, DeputyID: 10, DeputyName: "李明", Due: d("2026-04-10 23:59"), Round: 1,
			KeyMarkedAt: p("2026-01-10 10:00"),
			Bodies:      []mashang.SuggestionBody{{DepartmentID: jiaotong, Name: "交通局", Lead: true, AckDue: d("2026-01-06 23:59")}}},
			Contacts: map[int64]int{}, Solved: solved},
	}
	f := mashang.CountSuggestions(facts, d("2026-05-01 09:00"))
	if f.Key != 1 {
		t.Errorf("key suggestions: %d", f.Key)
	}
	bodies := map[string]mashang.SuggestionBodyTally{}
	for _, b := range f.Bodies {
		bodies[b.Department] = b
	}
	cg, jt := bodies["城管局"], bodies["交通局"]
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"城管局 received, led", [2]int{cg.Received, cg.Lead}, [2]int{2, 2}},
		{"城管局 acknowledged on time", cg.AckRate().String(), "100.0%"},
		{"城管局 answered on time", cg.OnTimeRate().String(), "100.0%"},
		{"城管局 contacted, contacts", [2]int{cg.Contacted, cg.Contacts}, [2]int{2, 3}},
		{"城管局 categories (the last answer)", [3]int{cg.Category("A"), cg.Category("B"), cg.Category("C")}, [3]int{2, 0, 0}},
		{"城管局 satisfied (the last verdicts: 满意, 基本满意)", cg.SatisfiedRate().String(), "100.0%"},
		{"城管局 落实 (A; B then A by the promised day)", cg.ImplementedRate().String(), "100.0%"},
		{"城管局 re-handled", cg.Rehandled, 1},
		{"交通局 received, led", [2]int{jt.Received, jt.Lead}, [2]int{2, 1}},
		{"交通局 acknowledged on time (late once, never once)", jt.AckRate().String(), "0.0%"},
		{"交通局 answered on time (overdue unanswered)", [2]int{jt.OnTime, jt.Late}, [2]int{0, 1}},
		{"交通局 contacted", jt.ContactRate().String(), "0.0%"},
		{"交通局 satisfied: nothing to measure", jt.SatisfiedRate().String(), "—"},
		{"total: each suggestion once", [4]int{f.Total.Received, f.Total.Answered, f.Total.Implemented, f.Total.Rehandled}, [4]int{3, 2, 2, 1}},
		{"total on time", f.Total.OnTimeRate().String(), "66.7%"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
	deputies := map[string]mashang.SuggestionDeputyTally{}
	for _, x := range f.Deputies {
		deputies[x.Deputy] = x
	}
	li, wang := deputies["李明"], deputies["王芳"]
	if li.Raised != 3 || li.Led != 2 || li.Cosigned != 1 || li.Satisfied != 1 || li.Implemented != 2 {
		t.Errorf("李明: %+v", li)
	}
	if wang.Raised != 2 || wang.Led != 1 || wang.Cosigned != 1 || wang.Basic != 1 || wang.Dissatisfied != 0 || wang.Implemented != 2 {
		t.Errorf("王芳: %+v", wang)
	}
	if _, ok := deputies["赵强"]; ok {
		t.Error("赵强 never confirmed, yet is counted")
	}

	// A B kept late is not implemented, even if solved in the end.
	late := facts[1]
	late.Answers = []mashang.Answer{{Round: 1, Category: "B", PromisedOn: d("2026-03-01 00:00"), At: d("2026-02-01 10:00")},
		{Round: 1, Category: "A", At: d("2026-03-02 08:00")}}
	if late.Implemented() {
		t.Error("A after the promised day counted as 落实")
	}
	late.Answers[1].At = d("2026-03-01 23:30")
	if !late.Implemented() {
		t.Error("A on the promised day itself not counted as 落实")
	}
}
