package mashang

// Reach is what a staff account may see and act on: every case, the cases
// of stations in some jurisdictions, or one station's.
type Reach struct {
	All             bool
	JurisdictionIDs []int64 // a jurisdiction and everything under it
	StationID       int64
	DepartmentID    int64 // what was handed to one department
}

// CaseFilter narrows the console's inbox; Before pages by case ID (keyset:
// as fast on the hundredth page as on the first).
type CaseFilter struct {
	Status      string
	StationCode string
	Colour      string
	Group       string
	Category    string
	Department  string
	From, To    string // YYYY-MM-DD, China time, both included
	Text        string
	Before      int64
	Limit       int
}
