package roster

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"mashang"
)

// ImportResult says what applying a roster changed.
type ImportResult struct {
	Created, Updated, Unchanged int
}

func (r ImportResult) String() string {
	return fmt.Sprintf("新增%d条，更新%d条，未变%d条", r.Created, r.Updated, r.Unchanged)
}

// Change is what saving one record did.
type Change int

const (
	Unchanged Change = iota
	Created
	Updated
)

func (r *ImportResult) count(c Change) {
	switch c {
	case Created:
		r.Created++
	case Updated:
		r.Updated++
	default:
		r.Unchanged++
	}
}

// Tx is what applying a roster needs from storage, in one transaction.
type Tx interface {
	SaveStationRecord(ctx context.Context, r StationRecord) (Change, error)
	StationCodes(ctx context.Context) (map[string]bool, error)
	SaveDeputyRecord(ctx context.Context, r DeputyRecord) (Change, error)
	// DeputyStationCodes maps each deputy code to the stations they are
	// grouped into.
	DeputyStationCodes(ctx context.Context) (map[string]map[string]bool, error)
	SaveGroupRecord(ctx context.Context, r GroupRecord) (Change, error)
	SaveKeywordRecord(ctx context.Context, r KeywordRecord) (Change, error)
	SaveDepartmentRecord(ctx context.Context, r DepartmentRecord) (Change, error)
}

// Store runs fn in one write transaction.
type Store interface {
	UpdateRoster(ctx context.Context, fn func(Tx) error) error
}

// applyRoster is what every import does: in one transaction, check the
// references the records make, then save each record and count what
// changed. Problems already found in the file (prior) and every bad
// reference are listed together, in row order, and nothing is written.
func applyRoster[R any](ctx context.Context, st Store, records []R, prior []mashang.RowError,
	check func(ctx context.Context, tx Tx, records []R) ([]mashang.RowError, error),
	save func(ctx context.Context, tx Tx, r R) (Change, error)) (ImportResult, error) {
	var res ImportResult
	err := st.UpdateRoster(ctx, func(tx Tx) error {
		res = ImportResult{} // the transaction may run again
		errs := slices.Clone(prior)
		if check != nil {
			bad, err := check(ctx, tx, records)
			if err != nil {
				return err
			}
			errs = append(errs, bad...)
		}
		if len(errs) > 0 {
			slices.SortStableFunc(errs, func(a, b mashang.RowError) int { return a.Row - b.Row })
			return refused(errs)
		}
		for _, r := range records {
			c, err := save(ctx, tx, r)
			if err != nil {
				return err
			}
			res.count(c)
		}
		return nil
	})
	return res, err
}

// ImportStations applies a parsed station roster in one transaction, keyed
// by station code: applying the same roster again changes nothing.
func ImportStations(ctx context.Context, st Store, records []StationRecord) (ImportResult, error) {
	return applyRoster(ctx, st, records, nil, nil, saveStation)
}

func saveStation(ctx context.Context, tx Tx, r StationRecord) (Change, error) {
	c, err := tx.SaveStationRecord(ctx, r)
	return c, rowErr(err, r.Row, r.Code)
}

// ImportDeputies applies a parsed deputy roster in one transaction, keyed by
// deputy code. A station code that names no station refuses the whole file,
// with every such row listed.
func ImportDeputies(ctx context.Context, st Store, records []DeputyRecord) (ImportResult, error) {
	return applyRoster(ctx, st, records, nil, checkDeputies, saveDeputy)
}

func checkDeputies(ctx context.Context, tx Tx, records []DeputyRecord) ([]mashang.RowError, error) {
	known, err := tx.StationCodes(ctx)
	if err != nil {
		return nil, err
	}
	var errs []mashang.RowError
	for _, r := range records {
		for _, code := range r.Stations {
			if !known[code] {
				errs = append(errs, mashang.RowError{Row: r.Row, Column: "编组站点", Reason: fmt.Sprintf("没有编码为「%s」的站点，请先导入站点名册", code)})
			}
		}
	}
	return errs, nil
}

func saveDeputy(ctx context.Context, tx Tx, r DeputyRecord) (Change, error) {
	c, err := tx.SaveDeputyRecord(ctx, r)
	return c, rowErr(err, r.Row, r.Code)
}

func rowErr(err error, row int, key string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("row %d (%s): %w", row, key, err)
}

// ImportGroups applies a group roster in one transaction, keyed by station
// and group name. A group's leader must be a deputy grouped into its
// station; marking a duty group unmarks the station's previous one.
func ImportGroups(ctx context.Context, st Store, records []GroupRecord) (ImportResult, error) {
	return applyRoster(ctx, st, records, nil, checkGroups, saveGroup)
}

func checkGroups(ctx context.Context, tx Tx, records []GroupRecord) ([]mashang.RowError, error) {
	stations, err := tx.StationCodes(ctx)
	if err != nil {
		return nil, err
	}
	deputies, err := tx.DeputyStationCodes(ctx)
	if err != nil {
		return nil, err
	}
	var errs []mashang.RowError
	for _, r := range records {
		switch {
		case !stations[r.StationCode]:
			errs = append(errs, mashang.RowError{Row: r.Row, Column: "站点编码", Reason: fmt.Sprintf("没有编码为「%s」的站点", r.StationCode)})
		case r.LeaderCode != "" && deputies[r.LeaderCode] == nil:
			errs = append(errs, mashang.RowError{Row: r.Row, Column: "组长编码", Reason: fmt.Sprintf("没有编码为「%s」的代表", r.LeaderCode)})
		case r.LeaderCode != "" && !deputies[r.LeaderCode][r.StationCode]:
			errs = append(errs, mashang.RowError{Row: r.Row, Column: "组长编码", Reason: fmt.Sprintf("代表「%s」没有编入站点「%s」，不能任该站小组组长", r.LeaderCode, r.StationCode)})
		}
	}
	return errs, nil
}

func saveGroup(ctx context.Context, tx Tx, r GroupRecord) (Change, error) {
	c, err := tx.SaveGroupRecord(ctx, r)
	return c, rowErr(err, r.Row, r.StationCode+" "+r.Name)
}

// ImportDepartments applies a department roster in one transaction, keyed
// by jurisdiction and name; the jurisdiction is created if it is new.
func ImportDepartments(ctx context.Context, st Store, records []DepartmentRecord) (ImportResult, error) {
	return applyRoster(ctx, st, records, nil, nil, saveDepartment)
}

func saveDepartment(ctx context.Context, tx Tx, r DepartmentRecord) (Change, error) {
	c, err := tx.SaveDepartmentRecord(ctx, r)
	return c, rowErr(err, r.Row, r.Name)
}

// ImportKeywords applies a keyword roster in one transaction; a keyword
// already filed under the category is left as it is.
func ImportKeywords(ctx context.Context, st Store, records []KeywordRecord) (ImportResult, error) {
	return applyRoster(ctx, st, records, nil, checkKeywords, saveKeyword)
}

func checkKeywords(ctx context.Context, tx Tx, records []KeywordRecord) ([]mashang.RowError, error) {
	stations, err := tx.StationCodes(ctx)
	if err != nil {
		return nil, err
	}
	var errs []mashang.RowError
	for _, r := range records {
		if r.StationCode != "" && !stations[r.StationCode] {
			errs = append(errs, mashang.RowError{Row: r.Row, Column: "站点编码", Reason: fmt.Sprintf("没有编码为「%s」的站点", r.StationCode)})
		}
	}
	return errs, nil
}

func saveKeyword(ctx context.Context, tx Tx, r KeywordRecord) (Change, error) {
	c, err := tx.SaveKeywordRecord(ctx, r)
	return c, rowErr(err, r.Row, r.Category)
}

// Importer applies roster files staff upload or import.
type Importer struct{ Store Store }

// Apply parses rows as a roster of that kind and applies it whole, or
// refuses it whole with every bad row (*mashang.FileError): the rows'
// format and their references, found in one pass.
func (r *Importer) Apply(ctx context.Context, kind string, rows [][]string) (ImportResult, error) {
	switch kind {
	case Stations.Kind:
		return parseThenImport(ctx, r.Store, rows, ParseStations, nil, saveStation)
	case Deputies.Kind:
		return parseThenImport(ctx, r.Store, rows, ParseDeputies, checkDeputies, saveDeputy)
	case Groups.Kind:
		return parseThenImport(ctx, r.Store, rows, ParseGroups, checkGroups, saveGroup)
	case Keywords.Kind:
		return parseThenImport(ctx, r.Store, rows, ParseKeywords, checkKeywords, saveKeyword)
	case Departments.Kind:
		return parseThenImport(ctx, r.Store, rows, ParseDepartments, nil, saveDepartment)
	}
	return ImportResult{}, mashang.Errorf(mashang.EINVALID, "名册类型应为 stations、deputies、groups、departments 或 keywords")
}

// parseThenImport applies a file whose rows all parse; when some do not, it
// still checks the references of those that do (unless the header itself is
// wrong), so the refusal lists every problem at once.
func parseThenImport[R any](ctx context.Context, st Store, rows [][]string, parse func([][]string) ([]R, error),
	check func(context.Context, Tx, []R) ([]mashang.RowError, error), save func(context.Context, Tx, R) (Change, error)) (ImportResult, error) {
	records, err := parse(rows)
	var prior []mashang.RowError
	if err != nil {
		var fileErr *mashang.FileError
		if !errors.As(err, &fileErr) || headerBroken(fileErr.Errors) {
			return ImportResult{}, err
		}
		prior = fileErr.Errors
	}
	return applyRoster(ctx, st, records, prior, check, save)
}
