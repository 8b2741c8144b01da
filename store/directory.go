package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"mashang"
	"mashang/roster"
)

// StationByCode finds a station by its code.
func (tx *Tx) StationByCode(ctx context.Context, code string) (mashang.Station, error) {
	return stationByCode(ctx, txQueryer{tx}, code)
}

// DeputyByCode finds a deputy by their code, with their station's name.
func (tx *Tx) DeputyByCode(ctx context.Context, code string) (mashang.Deputy, error) {
	return deputyByCode(ctx, txQueryer{tx}, code)
}

// txQueryer lets the shared readers use the transaction's prepared statements.
type txQueryer struct{ tx *Tx }

func (q txQueryer) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return q.tx.queryRow(ctx, query, args...)
}

// StationByCode finds a station by its code, outside any transaction.
func (db *DB) StationByCode(ctx context.Context, code string) (mashang.Station, error) {
	return stationByCode(ctx, db.db, code)
}

// Stations lists every station by code.
func (db *DB) Stations(ctx context.Context) ([]mashang.Station, error) {
	return listStations(ctx, db.db, `SELECT `+stationColumns+` FROM stations ORDER BY code`)
}

// OpenStationsWithin lists the open stations inside a box of latitudes and
// longitudes (mashang.StationFinder), by the index on latitude.
func (db *DB) OpenStationsWithin(ctx context.Context, minLat, maxLat, minLng, maxLng float64) ([]mashang.Station, error) {
	return listStations(ctx, db.db, `SELECT `+stationColumns+` FROM stations
		WHERE latitude BETWEEN ? AND ? AND longitude BETWEEN ? AND ? AND open = ?`, minLat, maxLat, minLng, maxLng, true)
}

// OpenStations lists the open stations (mashang.IntakeTx).
func (tx *Tx) OpenStations(ctx context.Context) ([]mashang.Station, error) {
	return listStations(ctx, tx.tx, `SELECT `+stationColumns+` FROM stations WHERE open = ? ORDER BY code`, true)
}

type rowsQueryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func listStations(ctx context.Context, q rowsQueryer, query string, args ...any) ([]mashang.Station, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list stations: %w", err)
	}
	defer rows.Close()
	var out []mashang.Station
	for rows.Next() {
		s, err := scanStation(rows)
		if err != nil {
			return nil, fmt.Errorf("read station: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Deputies lists every deputy by code, with their station.
func (db *DB) Deputies(ctx context.Context) ([]mashang.Deputy, error) {
	rows, err := db.db.QueryContext(ctx, `
		SELECT d.id, d.code, d.name, d.level, s.code, s.name, d.in_office
		FROM deputies d JOIN stations s ON s.id = d.station_id
		ORDER BY d.code`)
	if err != nil {
		return nil, fmt.Errorf("list deputies: %w", err)
	}
	defer rows.Close()
	var out []mashang.Deputy
	for rows.Next() {
		var d mashang.Deputy
		if err := rows.Scan(&d.ID, &d.Code, &d.Name, &d.Level, &d.StationCode, &d.StationName, &d.InOffice); err != nil {
			return nil, fmt.Errorf("read deputy: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const stationColumns = `id, code, name, address, open, latitude, longitude, reception_days, COALESCE(reception_plan, ''), kind`

const selectStation = `SELECT ` + stationColumns + ` FROM stations WHERE code = ?`

const selectDeputy = `
	SELECT d.id, d.code, d.name, d.level, s.code, s.name, d.in_office
	FROM deputies d JOIN stations s ON s.id = d.station_id
	WHERE d.code = ?`

type scanner interface{ Scan(dest ...any) error }

func scanStation(row scanner) (mashang.Station, error) {
	var s mashang.Station
	var lat, lng sql.NullFloat64
	if err := row.Scan(&s.ID, &s.Code, &s.Name, &s.Address, &s.Open, &lat, &lng, &s.ReceptionDays, &s.ReceptionPlan, &s.Kind); err != nil {
		return mashang.Station{}, err
	}
	if lat.Valid && lng.Valid {
		s.Latitude, s.Longitude = &lat.Float64, &lng.Float64
	}
	return s, nil
}

func stationByCode(ctx context.Context, q queryer, code string) (mashang.Station, error) {
	s, err := scanStation(q.QueryRowContext(ctx, selectStation, code))
	if errors.Is(err, sql.ErrNoRows) {
		return mashang.Station{}, mashang.NotFound("联络站")
	}
	if err != nil {
		return mashang.Station{}, fmt.Errorf("read station %s: %w", code, err)
	}
	return s, nil
}

func deputyByCode(ctx context.Context, q queryer, code string) (mashang.Deputy, error) {
	var d mashang.Deputy
	err := q.QueryRowContext(ctx, selectDeputy, code).
		Scan(&d.ID, &d.Code, &d.Name, &d.Level, &d.StationCode, &d.StationName, &d.InOffice)
	if errors.Is(err, sql.ErrNoRows) {
		return mashang.Deputy{}, mashang.NotFound("代表")
	}
	if err != nil {
		return mashang.Deputy{}, fmt.Errorf("read deputy %s: %w", code, err)
	}
	return d, nil
}

// SeedDemo loads a few stations and deputies so a newcomer has codes to
// scan. Loading it again changes nothing.
func (db *DB) SeedDemo(ctx context.Context) error {
	if _, err := roster.ImportStations(ctx, db, demoStations); err != nil {
		return fmt.Errorf("demo stations: %w", err)
	}
	if _, err := roster.ImportDeputies(ctx, db, demoDeputies); err != nil {
		return fmt.Errorf("demo deputies: %w", err)
	}
	if _, err := roster.ImportGroups(ctx, db, demoGroups); err != nil {
		return fmt.Errorf("demo groups: %w", err)
	}
	if _, err := roster.ImportKeywords(ctx, db, demoKeywords); err != nil {
		return fmt.Errorf("demo keywords: %w", err)
	}
	if _, err := roster.ImportDepartments(ctx, db, demoDepartments); err != nil {
		return fmt.Errorf("demo departments: %w", err)
	}
	return nil
}

// demoDepartments are a few 承办单位 at each level.
var demoDepartments = []roster.DepartmentRecord{
	{Row: 2, Name: "青岛市住房和城乡建设局", Jurisdiction: []string{"青岛市"}},
	{Row: 3, Name: "市南区城市管理局", Jurisdiction: []string{"青岛市", "市南区"}},
	{Row: 4, Name: "崂山区城市管理局", Jurisdiction: []string{"青岛市", "崂山区"}},
	{Row: 5, Name: "八大关街道办事处", Jurisdiction: []string{"青岛市", "市南区", "八大关街道"}},
}

var demoGroups = []roster.GroupRecord{
	{StationCode: "demo-bdg", Name: "政策咨询组", Categories: []string{"政策咨询", "营商环境"}, LeaderCode: "demo-d01", Duty: true},
	{StationCode: "demo-bdg", Name: "生活保障组", Categories: []string{"道路照明", "物业管理", "垃圾清运"}, LeaderCode: "demo-d02"},
	{StationCode: "demo-xhw", Name: "医疗教育组", Categories: []string{"医疗卫生", "教育"}, LeaderCode: "demo-d03", Duty: true},
	{StationCode: "demo-xhw", Name: "法律服务组", Categories: []string{"法律咨询", "矛盾调解"}, LeaderCode: "demo-d04"},
	{StationCode: "demo-lsh", Name: "政策咨询组", Categories: []string{"政策咨询"}, LeaderCode: "demo-d05", Duty: true},
	{StationCode: "demo-lsh", Name: "生活保障组", Categories: []string{"道路照明", "物业管理"}, LeaderCode: "demo-d06"},
}

var demoKeywords = []roster.KeywordRecord{
	{Category: "道路照明", Keywords: []string{"路灯", "照明"}},
	{Category: "物业管理", Keywords: []string{"物业", "电梯", "楼道"}},
	{Category: "垃圾清运", Keywords: []string{"垃圾"}},
	{Category: "医疗卫生", Keywords: []string{"医院", "看病"}},
	{Category: "教育", Keywords: []string{"学校", "入学"}},
	{Category: "法律咨询", Keywords: []string{"欠薪", "合同"}},
	{Category: "政策咨询", Keywords: []string{"政策", "补贴"}},
}

// The demo people and places are invented; the shape follows the articles.
var demoStations = []roster.StationRecord{
	{Code: "demo-bdg", Name: "市南区八大关街道人大代表联络站", Kind: mashang.StationLiaison,
		Jurisdiction: []string{"青岛市", "市南区", "八大关街道"}, Address: "青岛市市南区居庸关路10号",
		Latitude: ptr(36.0530), Longitude: ptr(120.3560), ReceptionDays: "每月10日", Open: true},
	{Code: "demo-xhw", Name: "西海岸新区薛家岛街道代表之家", Kind: mashang.StationHome,
		Jurisdiction: []string{"青岛市", "西海岸新区", "薛家岛街道"}, Address: "青岛市黄岛区薛家岛街道漓江东路18号",
		Latitude: ptr(36.0152), Longitude: ptr(120.2425), ReceptionDays: "每月10日、20日", Open: true},
	{Code: "demo-lsh", Name: "崂山区沙子口街道人大代表联络点", Kind: mashang.StationPoint,
		Jurisdiction: []string{"青岛市", "崂山区", "沙子口街道"}, Address: "青岛市崂山区沙子口街道南九水路3号",
		Latitude: ptr(36.1130), Longitude: ptr(120.5480), ReceptionDays: "每周三上午", Open: true},
}

var demoDeputies = []roster.DeputyRecord{
	{Code: "demo-d01", Name: "王海燕", Level: mashang.LevelCity, Stations: []string{"demo-bdg"}, Groups: []string{"政策咨询组"}, InOffice: true},
	{Code: "demo-d02", Name: "李建国", Level: mashang.LevelCounty, Stations: []string{"demo-bdg"}, Groups: []string{"生活保障组"}, InOffice: true},
	{Code: "demo-d03", Name: "张晓梅", Level: mashang.LevelCounty, Stations: []string{"demo-xhw"}, Groups: []string{"医疗教育组"}, InOffice: true},
	{Code: "demo-d04", Name: "刘志强", Level: mashang.LevelTown, Stations: []string{"demo-xhw"}, Groups: []string{"法律服务组"}, InOffice: true},
	{Code: "demo-d05", Name: "陈秀兰", Level: mashang.LevelCity, Stations: []string{"demo-lsh", "demo-bdg"}, Groups: []string{"政策咨询组"}, InOffice: true},
	{Code: "demo-d06", Name: "赵卫东", Level: mashang.LevelCounty, Stations: []string{"demo-lsh"}, Groups: []string{"生活保障组"}, InOffice: true},
}

func ptr(f float64) *float64 { return &f }

// DeputyByCode finds a deputy by their code, outside any transaction.
func (db *DB) DeputyByCode(ctx context.Context, code string) (mashang.Deputy, error) {
	return deputyByCode(ctx, db.db, code)
}
