package roster

import (
	"context"
	"fmt"

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
// references the records make (every bad row listed, nothing written), then
// save each record and count what changed.
func applyRoster[R any](ctx context.Context, st Store, records []R,
	check func(tx Tx) ([]mashang.RowError, error),
	save func(tx Tx, r R) (Change, error)) (ImportResult, error) {
	var res ImportResult
	err := st.UpdateRoster(ctx, func(tx Tx) error {
		res = ImportResult{} // the transaction may run again
		if check != nil {
			errs, err := check(tx)
			if err != nil {
				return err
			}
			if len(errs) > 0 {
				return refused(errs)
			}
		}
		for _, r := range records {
			c, err := save(tx, r)
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
	return applyRoster(ctx, st, records, nil, func(tx Tx, r StationRecord) (Change, error) {
		c, err := tx.SaveStationRecord(ctx, r)
		return c, rowErr(err, r.Row, r.Code)
	})
}

// ImportDeputies applies a parsed deputy roster in one transaction, keyed by
// deputy code. A station code that names no station refuses the whole file,
// with every such row listed.
func ImportDeputies(ctx context.Context, st Store, records []DeputyRecord) (ImportResult, error) {
	check := func(tx Tx) ([]mashang.RowError, error) {
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
	return applyRoster(ctx, st, records, check, func(tx Tx, r DeputyRecord) (Change, error) {
		c, err := tx.SaveDeputyRecord(ctx, r)
		return c, rowErr(err, r.Row, r.Code)
	})
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
	check := func(tx Tx) ([]mashang.RowError, error) {
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
	return applyRoster(ctx, st, records, check, func(tx Tx, r GroupRecord) (Change, error) {
		c, err := tx.SaveGroupRecord(ctx, r)
		return c, rowErr(err, r.Row, r.StationCode+" "+r.Name)
	})
}

// ImportDepartments applies a department roster in one transaction, keyed
// by jurisdiction and name; the jurisdiction is created if it is new.
func ImportDepartments(ctx context.Context, st Store, records []DepartmentRecord) (ImportResult, error) {
	return applyRoster(ctx, st, records, nil, func(tx Tx, r DepartmentRecord) (Change, error) {
		c, err := tx.SaveDepartmentRecord(ctx, r)
		return c, rowErr(err, r.Row, r.Name)
	})
}

// ImportKeywords applies a keyword roster in one transaction; a keyword
// already filed under the category is left as it is.
func ImportKeywords(ctx context.Context, st Store, records []KeywordRecord) (ImportResult, error) {
	check := func(tx Tx) ([]mashang.RowError, error) {
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
	return applyRoster(ctx, st, records, check, func(tx Tx, r KeywordRecord) (Change, error) {
		c, err := tx.SaveKeywordRecord(ctx, r)
		return c, rowErr(err, r.Row, r.Category)
	})
}

// Importer applies roster files staff upload or import.
type Importer struct{ Store Store }

// Apply parses rows as a roster of that kind and applies it whole, or
// refuses it whole with every bad row (*mashang.FileError).
func (r *Importer) Apply(ctx context.Context, kind string, rows [][]string) (ImportResult, error) {
	switch kind {
	case Stations.Kind:
		return parseThenImport(ctx, r.Store, rows, ParseStations, ImportStations)
	case Deputies.Kind:
		return parseThenImport(ctx, r.Store, rows, ParseDeputies, ImportDeputies)
	case Groups.Kind:
		return parseThenImport(ctx, r.Store, rows, ParseGroups, ImportGroups)
	case Keywords.Kind:
		return parseThenImport(ctx, r.Store, rows, ParseKeywords, ImportKeywords)
	case Departments.Kind:
		return parseThenImport(ctx, r.Store, rows, ParseDepartments, ImportDepartments)
	}
	return ImportResult{}, mashang.Errorf(mashang.EINVALID, "名册类型应为 stations、deputies、groups、departments 或 keywords")
}

func parseThenImport[R any](ctx context.Context, st Store, rows [][]string,
	parse func([][]string) ([]R, error), apply func(context.Context, Store, []R) (ImportResult, error)) (ImportResult, error) {
	records, err := parse(rows)
	if err != nil {
		return ImportResult{}, err
	}
	return apply(ctx, st, records)
}
