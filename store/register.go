package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"mashang"
)

// The reception register (mashang.RegisterStore): the day's slots and
// bookings of a station, the lines written, each with its topics.

// StationDeputies lists a station's deputies in office, by code.
func (db *DB) StationDeputies(ctx context.Context, stationID int64) ([]mashang.Deputy, error) {
	out, err := scanAll(ctx, db.db, func(row scanner) (mashang.Deputy, error) {
		var d mashang.Deputy
		err := row.Scan(&d.ID, &d.Code, &d.Name)
		d.InOffice = true
		return d, err
	}, `SELECT d.id, d.code, d.name FROM deputies d JOIN deputy_stations ds ON ds.deputy_id = d.id
		WHERE ds.station_id = ? AND d.in_office = ? ORDER BY d.code`, stationID, true)
	if err != nil {
		return nil, fmt.Errorf("list the station's deputies: %w", err)
	}
	return out, nil
}

// DaySlots lists a station's slots on a day, in time order.
func (db *DB) DaySlots(ctx context.Context, stationID int64, day string) ([]mashang.ReceptionSlot, error) {
	out, err := scanAll(ctx, db.db, scanSlot, `SELECT `+slotColumns+slotFrom+`
		WHERE s.station_id = ? AND s.day = ? ORDER BY s.starts`, stationID, day)
	if err != nil {
		return nil, fmt.Errorf("list the day's slots: %w", err)
	}
	return out, fillDuty(ctx, db.db, out)
}

// DayBookings lists the live bookings of a station's slots on a day.
func (db *DB) DayBookings(ctx context.Context, stationID int64, day string) ([]mashang.Booking, error) {
	return listBookings(ctx, db.db, `SELECT `+bookingColumns+bookingFrom+`
		WHERE s.station_id = ? AND s.day = ? AND b.status = 'booked' ORDER BY s.starts, b.id LIMIT 2000`, stationID, day)
}

const visitColumns = `v.id, v.station_id, st.code, st.name, v.day, COALESCE(v.booking_id, 0), COALESCE(s.starts, ''),
	COALESCE(b.topic, ''), v.visitor, COALESCE(d.code, ''), COALESCE(d.name, ''), v.status, v.recorded_by, v.created_at`

const visitFrom = ` FROM reception_visits v JOIN stations st ON st.id = v.station_id
	LEFT JOIN bookings b ON b.id = v.booking_id LEFT JOIN reception_slots s ON s.id = b.slot_id
	LEFT JOIN deputies d ON d.id = v.deputy_id `

func scanVisit(row scanner) (mashang.Visit, error) {
	var v mashang.Visit
	err := row.Scan(&v.ID, &v.StationID, &v.StationCode, &v.StationName, &v.Day, &v.BookingID, &v.Starts,
		&v.Booked, &v.Visitor, &v.DeputyCode, &v.DeputyName, &v.Status, &v.RecordedBy, &v.CreatedAt)
	return v, err
}

// listVisits reads the lines where says, in the order written, with their
// topics (topicsOf selects the same lines' IDs).
func listVisits(ctx context.Context, q sqlQuerier, where, topicsOf string, args ...any) ([]mashang.Visit, error) {
	visits, err := scanAll(ctx, q, scanVisit, `SELECT `+visitColumns+visitFrom+` WHERE `+where+` ORDER BY v.day, v.id LIMIT 5000`, args...)
	if err != nil {
		return nil, fmt.Errorf("read the register: %w", err)
	}
	at := map[int64]int{}
	for i, v := range visits {
		at[v.ID] = i
	}
	topics, err := scanAll(ctx, q, func(row scanner) (mashang.VisitTopic, error) {
		var t mashang.VisitTopic
		err := row.Scan(&t.ID, &t.VisitID, &t.Text, &t.CaseID, &t.CaseNumber)
		return t, err
	}, `SELECT t.id, t.visit_id, t.text, COALESCE(t.case_id, 0), COALESCE(c.number, '')
		FROM reception_topics t LEFT JOIN cases c ON c.id = t.case_id
		WHERE t.visit_id IN (`+topicsOf+`) ORDER BY t.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read the register's topics: %w", err)
	}
	for _, t := range topics {
		if i, ok := at[t.VisitID]; ok {
			visits[i].Topics = append(visits[i].Topics, t)
		}
	}
	return visits, nil
}

// Visits lists a station's register lines from fromDay to toDay.
func (db *DB) Visits(ctx context.Context, stationID int64, fromDay, toDay string) ([]mashang.Visit, error) {
	return listVisits(ctx, db.db, `v.station_id = ? AND v.day BETWEEN ? AND ?`,
		`SELECT id FROM reception_visits WHERE station_id = ? AND day BETWEEN ? AND ?`, stationID, fromDay, toDay)
}

// UpdateRegister runs fn in one write transaction.
func (db *DB) UpdateRegister(ctx context.Context, fn func(mashang.RegisterTx) error) error {
	return db.update(ctx, func(tx *Tx) error { return fn(tx) })
}

// Booking reads a live booking, locked (mashang.RegisterTx).
func (tx *Tx) Booking(ctx context.Context, id int64) (mashang.Booking, error) {
	b, err := scanBooking(tx.tx.QueryRowContext(ctx, `SELECT `+bookingColumns+bookingFrom+` WHERE b.id = ? AND b.status = 'booked'`+tx.dialect.forUpdate(), id))
	if errors.Is(err, sql.ErrNoRows) {
		return b, mashang.NotFound("预约")
	}
	if err != nil {
		return b, fmt.Errorf("find booking: %w", err)
	}
	return b, nil
}

// AddVisit records a register line; the deputy named must be the
// station's, in office (mashang.RegisterTx).
func (tx *Tx) AddVisit(ctx context.Context, v *mashang.Visit) error {
	var deputy sql.NullInt64
	if v.DeputyCode != "" {
		err := tx.tx.QueryRowContext(ctx, `
			SELECT d.id, d.name FROM deputies d JOIN deputy_stations ds ON ds.deputy_id = d.id
			WHERE d.code = ? AND ds.station_id = ? AND d.in_office = ?`, v.DeputyCode, v.StationID, true).Scan(&deputy, &v.DeputyName)
		if errors.Is(err, sql.ErrNoRows) {
			return mashang.Errorf(mashang.EINVALID, "代表编码 %s 不是「%s」在任的代表，请在名单中选择接待的代表", v.DeputyCode, v.StationName)
		}
		if err != nil {
			return fmt.Errorf("find the receiving deputy: %w", err)
		}
	}
	var booking sql.NullInt64
	if v.BookingID != 0 {
		booking = sql.NullInt64{Int64: v.BookingID, Valid: true}
	}
	var err error
	v.ID, err = tx.insertRow(ctx, "record a register line", mashang.Errorf(mashang.ECONFLICT, "这个预约已经登记过了，请刷新页面查看"), `
		INSERT INTO reception_visits (station_id, day, booking_id, visitor, deputy_id, status, recorded_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, v.StationID, v.Day, booking, v.Visitor, deputy, v.Status, v.RecordedBy, v.CreatedAt.UTC())
	return err
}

// AddTopic records a matter raised (mashang.RegisterTx).
func (tx *Tx) AddTopic(ctx context.Context, visitID int64, text string, at time.Time) (int64, error) {
	return tx.insertRow(ctx, "record a topic", nil, `INSERT INTO reception_topics (visit_id, text, created_at) VALUES (?, ?, ?)`, visitID, text, at.UTC())
}

// insertRow inserts a row and gives its ID; a unique key refusing it is
// conflict (nil: an error like any other).
func (tx *Tx) insertRow(ctx context.Context, what string, conflict error, query string, args ...any) (int64, error) {
	res, err := tx.tx.ExecContext(ctx, query, args...)
	if conflict != nil && tx.dialect.isUniqueViolation(err) {
		return 0, conflict
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return id, nil
}

// Visit reads a register line with its topics, locked (mashang.RegisterTx).
func (tx *Tx) Visit(ctx context.Context, id int64) (mashang.Visit, error) {
	var locked int64
	err := tx.tx.QueryRowContext(ctx, `SELECT id FROM reception_visits WHERE id = ?`+tx.dialect.forUpdate(), id).Scan(&locked)
	if errors.Is(err, sql.ErrNoRows) {
		return mashang.Visit{}, mashang.NotFound("登记")
	}
	if err != nil {
		return mashang.Visit{}, fmt.Errorf("lock a register line: %w", err)
	}
	visits, err := listVisits(ctx, tx.tx, `v.id = ?`, `?`, id)
	if err != nil || len(visits) == 0 {
		return mashang.Visit{}, err
	}
	return visits[0], nil
}

// TopicVisit reads the line a topic belongs to, with its topics
// (mashang.RegisterStore).
func (db *DB) TopicVisit(ctx context.Context, topicID int64) (mashang.Visit, error) {
	visits, err := listVisits(ctx, db.db, `v.id = (SELECT visit_id FROM reception_topics WHERE id = ?)`,
		`SELECT visit_id FROM reception_topics WHERE id = ?`, topicID)
	if err != nil {
		return mashang.Visit{}, err
	}
	if len(visits) == 0 {
		return mashang.Visit{}, mashang.NotFound("登记的事项")
	}
	return visits[0], nil
}

// LinkTopicCase records the case made of a topic; the same case again
// changes nothing, another is a conflict (mashang.RegisterTx).
func (tx *Tx) LinkTopicCase(ctx context.Context, topicID, caseID int64) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE reception_topics SET case_id = ? WHERE id = ? AND case_id IS NULL`, caseID, topicID); err != nil {
		return fmt.Errorf("link a topic to its case: %w", err)
	}
	var linked int64
	if err := tx.tx.QueryRowContext(ctx, `SELECT COALESCE(case_id, 0) FROM reception_topics WHERE id = ?`, topicID).Scan(&linked); err != nil {
		return fmt.Errorf("link a topic to its case: %w", err)
	}
	if linked != caseID {
		return mashang.Errorf(mashang.ECONFLICT, "这件事已经转为另一个问题，请刷新页面查看")
	}
	return nil
}

// ReceivedFigures counts the people received (接待人次) at the stations
// within reach, by station, deputy and month, from fromDay to toDay.
func (db *DB) ReceivedFigures(ctx context.Context, r mashang.Reach, fromDay, toDay string) ([]mashang.ReceivedLine, error) {
	if r.DepartmentID != 0 && !r.All {
		return nil, nil // a department's handler keeps no reception register
	}
	where, args := reachCondition(r)
	// reachCondition names the case's station c.station_id and the
	// station s: here they are the visit's and st.
	where = strings.NewReplacer("c.station_id", "v.station_id", "s.jurisdiction_id", "st.jurisdiction_id").Replace(where)
	out, err := scanAll(ctx, db.db, func(row scanner) (mashang.ReceivedLine, error) {
		var l mashang.ReceivedLine
		err := row.Scan(&l.StationCode, &l.StationName, &l.DeputyCode, &l.DeputyName, &l.Month, &l.People)
		return l, err
	}, `SELECT st.code, st.name, COALESCE(d.code, ''), COALESCE(d.name, ''), SUBSTR(v.day, 1, 7), COUNT(*)
		FROM reception_visits v JOIN stations st ON st.id = v.station_id LEFT JOIN deputies d ON d.id = v.deputy_id
		WHERE v.status = ? AND v.day BETWEEN ? AND ? AND `+where+`
		GROUP BY st.code, st.name, d.code, d.name, SUBSTR(v.day, 1, 7)
		ORDER BY SUBSTR(v.day, 1, 7), st.code, d.code LIMIT 5000`, append([]any{mashang.VisitCame, fromDay, toDay}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("count the people received: %w", err)
	}
	return out, nil
}

// DeputyReceptions lists the slots a deputy is on duty in from fromDay on,
// with the live bookings of each.
func (db *DB) DeputyReceptions(ctx context.Context, deputyID int64, fromDay string) ([]mashang.ReceptionSlot, []mashang.Booking, error) {
	slots, err := scanAll(ctx, db.db, scanSlot, `SELECT `+slotColumns+slotFrom+`
		JOIN reception_duty r ON r.slot_id = s.id WHERE r.deputy_id = ? AND s.day >= ? ORDER BY s.day, s.starts LIMIT 100`, deputyID, fromDay)
	if err != nil {
		return nil, nil, fmt.Errorf("list the deputy's reception days: %w", err)
	}
	if err := fillDuty(ctx, db.db, slots); err != nil {
		return nil, nil, err
	}
	bookings, err := listBookings(ctx, db.db, `SELECT `+bookingColumns+bookingFrom+`
		JOIN reception_duty r ON r.slot_id = s.id
		WHERE r.deputy_id = ? AND s.day >= ? AND b.status = 'booked' ORDER BY s.day, s.starts, b.id LIMIT 500`, deputyID, fromDay)
	return slots, bookings, err
}
