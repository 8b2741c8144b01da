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

// AddSlot publishes a reception slot with its deputies on duty, who must be
// the station's (mashang.BookingTx).
func (tx *Tx) AddSlot(ctx context.Context, stationID int64, p mashang.SlotPlan) (mashang.ReceptionSlot, error) {
	var slot mashang.ReceptionSlot
	err := func() error {
		res, err := tx.tx.ExecContext(ctx, `
			INSERT INTO reception_slots (station_id, day, starts, ends, capacity, booked, created_at)
			VALUES (?, ?, ?, ?, ?, 0, ?)`, stationID, p.Day, p.Starts, p.Ends, p.Capacity, time.Now().UTC())
		if tx.dialect.isUniqueViolation(err) {
			return mashang.Errorf(mashang.ECONFLICT, "%s %s 的接待时段已经开放过了", p.Day, p.Starts)
		}
		if err != nil {
			return fmt.Errorf("add reception slot: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("add reception slot: %w", err)
		}
		for _, code := range p.DeputyCodes {
			var deputyID int64
			err := tx.tx.QueryRowContext(ctx, `
				SELECT d.id FROM deputies d JOIN deputy_stations ds ON ds.deputy_id = d.id
				WHERE d.code = ? AND ds.station_id = ? AND d.in_office = ?`, code, stationID, true).Scan(&deputyID)
			if errors.Is(err, sql.ErrNoRows) {
				return mashang.Errorf(mashang.EINVALID, "代表编码 %s 不是该站在任的代表", code)
			}
			if err != nil {
				return fmt.Errorf("find deputy %s: %w", code, err)
			}
			if _, err := tx.tx.ExecContext(ctx, `INSERT INTO reception_duty (slot_id, deputy_id) VALUES (?, ?)`, id, deputyID); err != nil && !tx.dialect.isUniqueViolation(err) {
				return fmt.Errorf("put deputy on duty: %w", err)
			}
		}
		slot, err = readSlot(ctx, tx.tx, id)
		return err
	}()
	return slot, err
}

// OnDuty lists a slot's deputies on duty with their bound openids
// (mashang.BookingTx).
func (tx *Tx) OnDuty(ctx context.Context, slotID int64) ([]mashang.DutyDeputy, error) {
	out, err := scanAll(ctx, tx.tx, func(row scanner) (mashang.DutyDeputy, error) {
		var d mashang.DutyDeputy
		var openid sql.NullString
		err := row.Scan(&d.ID, &d.Name, &openid)
		d.OpenID = openid.String
		return d, err
	}, `SELECT d.id, d.name, d.openid FROM reception_duty r JOIN deputies d ON d.id = r.deputy_id
		WHERE r.slot_id = ? ORDER BY d.id`, slotID)
	if err != nil {
		return nil, fmt.Errorf("deputies on duty: %w", err)
	}
	return out, nil
}

const slotColumns = `s.id, s.station_id, st.code, st.name, s.day, s.starts, s.ends, s.capacity, s.booked`

const slotFrom = ` FROM reception_slots s JOIN stations st ON st.id = s.station_id `

type sqlQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func scanSlot(row scanner) (mashang.ReceptionSlot, error) {
	var s mashang.ReceptionSlot
	err := row.Scan(&s.ID, &s.StationID, &s.StationCode, &s.StationName, &s.Day, &s.Starts, &s.Ends, &s.Capacity, &s.Booked)
	return s, err
}

// readSlot reads one slot with its deputies on duty.
func readSlot(ctx context.Context, q sqlQuerier, id int64) (mashang.ReceptionSlot, error) {
	s, err := scanSlot(q.QueryRowContext(ctx, `SELECT `+slotColumns+slotFrom+` WHERE s.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, mashang.NotFound("接待时段")
	}
	if err != nil {
		return s, fmt.Errorf("read reception slot: %w", err)
	}
	slots := []mashang.ReceptionSlot{s}
	if err := fillDuty(ctx, q, slots); err != nil {
		return s, err
	}
	return slots[0], nil
}

// fillDuty reads the names of the deputies on duty in each slot.
func fillDuty(ctx context.Context, q sqlQuerier, slots []mashang.ReceptionSlot) error {
	if len(slots) == 0 {
		return nil
	}
	at := make(map[int64][]int, len(slots)) // a slot may be listed more than once
	args := make([]any, len(slots))
	for i, s := range slots {
		at[s.ID], args[i] = append(at[s.ID], i), s.ID
	}
	rows, err := q.QueryContext(ctx, `
		SELECT r.slot_id, d.name FROM reception_duty r JOIN deputies d ON d.id = r.deputy_id
		WHERE r.slot_id IN (?`+strings.Repeat(", ?", len(slots)-1)+`)
		ORDER BY r.slot_id, d.id`, args...)
	if err != nil {
		return fmt.Errorf("read deputies on duty: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return fmt.Errorf("read deputy on duty: %w", err)
		}
		for _, i := range at[id] {
			slots[i].Deputies = append(slots[i].Deputies, name)
		}
	}
	return rows.Err()
}

// Slots lists a station's slots from fromDay (YYYY-MM-DD) on.
func (db *DB) Slots(ctx context.Context, stationCode, fromDay string) ([]mashang.ReceptionSlot, error) {
	out, err := scanAll(ctx, db.db, scanSlot, `SELECT `+slotColumns+slotFrom+`
		WHERE st.code = ? AND s.day >= ? ORDER BY s.day, s.starts LIMIT 200`, stationCode, fromDay)
	if err != nil {
		return nil, fmt.Errorf("list reception slots: %w", err)
	}
	return out, fillDuty(ctx, db.db, out)
}

// Slot reads one slot.
func (db *DB) Slot(ctx context.Context, id int64) (mashang.ReceptionSlot, error) {
	return readSlot(ctx, db.db, id)
}

// UpdateBooking runs fn in one write transaction.
func (db *DB) UpdateBooking(ctx context.Context, fn func(mashang.BookingTx) error) error {
	return db.update(ctx, func(tx *Tx) error { return fn(tx) })
}

// Slot reads one slot inside the transaction, locking its row first: the
// booking's foreign key would otherwise take a shared lock on it that two
// bookers then both try to raise for the UPDATE, and MySQL kills one of
// them as a deadlock. Locked, bookers of one slot simply queue.
func (tx *Tx) Slot(ctx context.Context, id int64) (mashang.ReceptionSlot, error) {
	var locked int64
	err := tx.tx.QueryRowContext(ctx, `SELECT id FROM reception_slots WHERE id = ?`+tx.dialect.forUpdate(), id).Scan(&locked)
	if errors.Is(err, sql.ErrNoRows) {
		return mashang.ReceptionSlot{}, mashang.NotFound("接待时段")
	}
	if err != nil {
		return mashang.ReceptionSlot{}, fmt.Errorf("lock reception slot: %w", err)
	}
	return readSlot(ctx, tx.tx, id)
}

// TakePlace takes one place. The guard is in the UPDATE itself, so two
// transactions can never both take the last place: on MySQL the second
// waits for the first's row lock and then sees booked = capacity; SQLite has
// one writer.
func (tx *Tx) TakePlace(ctx context.Context, slotID int64) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE reception_slots SET booked = booked + 1 WHERE id = ? AND booked < capacity`, slotID)
	if err != nil {
		return fmt.Errorf("take a place: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		if err != nil {
			return fmt.Errorf("take a place: %w", err)
		}
		return mashang.Errorf(mashang.ECONFLICT, "这个时段已经约满了，请选择其他时段")
	}
	return nil
}

// ReleasePlace gives a place back.
func (tx *Tx) ReleasePlace(ctx context.Context, slotID int64) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE reception_slots SET booked = booked - 1 WHERE id = ? AND booked > 0`, slotID); err != nil {
		return fmt.Errorf("release a place: %w", err)
	}
	return nil
}

// AddBooking records b; holder keeps one live booking per citizen and slot.
func (tx *Tx) AddBooking(ctx context.Context, b *mashang.Booking) error {
	res, err := tx.tx.ExecContext(ctx, `
		INSERT INTO bookings (slot_id, openid, holder, topic, status, remind_with, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, b.Slot.ID, b.OpenID, b.OpenID, b.Topic, b.Status, b.RemindWith, b.CreatedAt.UTC())
	if tx.dialect.isUniqueViolation(err) {
		return mashang.Errorf(mashang.ECONFLICT, "您已经预约了这个时段")
	}
	if err != nil {
		return fmt.Errorf("record booking: %w", err)
	}
	if b.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("record booking: %w", err)
	}
	return nil
}

const bookingColumns = `b.id, b.openid, b.topic, b.status, b.remind_with, b.created_at, b.cancelled_at, ` + slotColumns

const bookingFrom = ` FROM bookings b JOIN reception_slots s ON s.id = b.slot_id JOIN stations st ON st.id = s.station_id `

func scanBooking(row scanner) (mashang.Booking, error) {
	var b mashang.Booking
	var cancelled sql.NullTime
	s := &b.Slot
	err := row.Scan(&b.ID, &b.OpenID, &b.Topic, &b.Status, &b.RemindWith, &b.CreatedAt, &cancelled,
		&s.ID, &s.StationID, &s.StationCode, &s.StationName, &s.Day, &s.Starts, &s.Ends, &s.Capacity, &s.Booked)
	if cancelled.Valid {
		b.CancelledAt = &cancelled.Time
	}
	return b, err
}

// CitizenBooking reads openid's booking; anyone else's is not found.
func (tx *Tx) CitizenBooking(ctx context.Context, openid string, id int64) (mashang.Booking, error) {
	b, err := scanBooking(tx.tx.QueryRowContext(ctx, `SELECT `+bookingColumns+bookingFrom+` WHERE b.id = ? AND b.openid = ?`+tx.dialect.forUpdate(), id, openid))
	if errors.Is(err, sql.ErrNoRows) {
		return b, mashang.NotFound("预约")
	}
	if err != nil {
		return b, fmt.Errorf("find booking: %w", err)
	}
	return b, nil
}

// CancelBooking marks a booking cancelled and frees its holder key.
func (tx *Tx) CancelBooking(ctx context.Context, id int64, at time.Time) error {
	if _, err := tx.tx.ExecContext(ctx, `
		UPDATE bookings SET status = 'cancelled', holder = NULL, cancelled_at = ? WHERE id = ?`, at.UTC(), id); err != nil {
		return fmt.Errorf("cancel booking: %w", err)
	}
	return nil
}

// CancelOutbox withdraws a notification that has not gone out.
func (tx *Tx) CancelOutbox(ctx context.Context, clientMsgID string) error {
	if _, err := tx.tx.ExecContext(ctx, `
		UPDATE outbox SET status = 'cancelled' WHERE client_msg_id = ? AND status = 'pending'`, clientMsgID); err != nil {
		return fmt.Errorf("withdraw notification: %w", err)
	}
	return nil
}

// CitizenBookings lists openid's bookings, the latest first.
func (db *DB) CitizenBookings(ctx context.Context, openid string) ([]mashang.Booking, error) {
	return listBookings(ctx, db.db, `SELECT `+bookingColumns+bookingFrom+` WHERE b.openid = ? ORDER BY b.id DESC LIMIT 50`, openid)
}

const selectDutyBookings = `SELECT ` + bookingColumns + bookingFrom + `
	JOIN reception_duty r ON r.slot_id = s.id JOIN deputies d ON d.id = r.deputy_id
	WHERE d.openid = ? AND s.day >= ? AND b.status = 'booked'
	ORDER BY s.day, s.starts, b.id LIMIT 200`

// DutyBookings lists the live bookings of the slots a deputy (by their
// bound openid) is on duty for, from fromDay on, in time order.
func (db *DB) DutyBookings(ctx context.Context, deputyOpenID, fromDay string) ([]mashang.Booking, error) {
	return listBookings(ctx, db.db, selectDutyBookings, deputyOpenID, fromDay)
}

// DutyBookings is DB.DutyBookings inside a transaction (mashang.IntakeTx).
func (tx *Tx) DutyBookings(ctx context.Context, deputyOpenID, fromDay string) ([]mashang.Booking, error) {
	return listBookings(ctx, tx.tx, selectDutyBookings, deputyOpenID, fromDay)
}

func listBookings(ctx context.Context, q sqlQuerier, query string, args ...any) ([]mashang.Booking, error) {
	out, err := scanAll(ctx, q, scanBooking, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list bookings: %w", err)
	}
	slots := make([]mashang.ReceptionSlot, len(out))
	for i, b := range out {
		slots[i] = b.Slot
	}
	if err := fillDuty(ctx, q, slots); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Slot.Deputies = slots[i].Deputies
	}
	return out, nil
}

// scanAll runs a query and reads every row with scan; the rows are closed
// when it returns, so the connection is free for the next query.
func scanAll[T any](ctx context.Context, q sqlQuerier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
