package mashang

import "testing"

// A reply to the closing notice is read as a rating, consent, or both; a
// digit that begins a new matter is not.
func TestParseRatingReplyReadsWhatAnOlderCitizenTypes(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		text    string
		ok      bool
		verdict string
		consent *bool
		comment string
	}{
		{"1", true, RatingSatisfied, nil, ""},
		{" 2 ", true, RatingBasically, nil, ""},
		{"３", true, RatingDissatisfied, nil, ""},
		{"1同意", true, RatingSatisfied, &yes, ""},
		{"1，不同意", true, RatingSatisfied, &no, ""},
		{"3 路灯还是不亮", true, RatingDissatisfied, nil, "路灯还是不亮"},
		{"3不同意 路灯还是不亮", true, RatingDissatisfied, &no, "路灯还是不亮"},
		{"不满意，路灯还是不亮", true, RatingDissatisfied, nil, "路灯还是不亮"},
		{"基本满意", true, RatingBasically, nil, ""},
		{"满意 同意公开", true, RatingSatisfied, &yes, ""},
		{"同意公开", true, "", &yes, ""},
		{"不同意", true, "", &no, ""},
		{"1号楼电梯坏了", false, "", nil, ""},
		{"12", false, "", nil, ""},
		{"同意楼上的意见，路灯也坏了", false, "", nil, ""},
		{"小区门口积水", false, "", nil, ""},
		{"", false, "", nil, ""},
	} {
		r, ok := ParseRatingReply(tc.text)
		if ok != tc.ok || r.Verdict != tc.verdict || r.Comment != tc.comment ||
			(r.Consent == nil) != (tc.consent == nil) || (r.Consent != nil && *r.Consent != *tc.consent) {
			t.Errorf("ParseRatingReply(%q) = %+v, %v; want verdict %q consent %v comment %q, %v",
				tc.text, r, ok, tc.verdict, tc.consent, tc.comment, tc.ok)
		}
	}
}
