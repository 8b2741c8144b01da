package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// The limits every instance shares, in the table shared_limits (migration
// 00046): each is one row changed by one conditional UPDATE, so two
// instances counting at once count one after the other. Redis does the
// same when configured (package limits); these are for a city with MySQL
// and no Redis. Rows that limit nothing any more are swept now and then.

// Throttle takes one request from key's bucket: at most burst at once,
// refilled at one per interval (GCRA, a token bucket kept as the time the
// bucket is next full). It answers 0 when the request may go on, else how
// long to wait.
func (db *DB) Throttle(ctx context.Context, key string, interval time.Duration, burst int, now time.Time) (time.Duration, error) {
	t, ms := interval.Milliseconds(), now.UnixMilli()
	tau := t * int64(burst-1)
	const later = `CASE WHEN at > ? THEN at ELSE ? END`
	ok, err := db.limitUpdate(ctx, key, `UPDATE shared_limits SET at = `+later+` + ?, expires = `+later+` + ?
		WHERE name = ? AND `+later+` - ? <= ?`, ms, ms, t, ms, ms, t, key, ms, ms, ms, tau)
	if err != nil || ok {
		return 0, err
	}
	var at int64
	if err := db.db.QueryRowContext(ctx, `SELECT at FROM shared_limits WHERE name = ?`, key).Scan(&at); err != nil {
		return 0, fmt.Errorf("read a limit: %w", err)
	}
	return max(time.Duration(at-ms-tau)*time.Millisecond, time.Millisecond), nil
}

// Count counts one in key's window (windows of the given length from the
// Unix epoch): 0 when it is within limit, else how long until the window
// ends. A refused one is not counted.
func (db *DB) Count(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (time.Duration, error) {
	w, ms := window.Milliseconds(), now.UnixMilli()
	start := ms - ms%w
	ok, err := db.limitUpdate(ctx, key, `UPDATE shared_limits SET n = CASE WHEN at = ? THEN n + 1 ELSE 1 END, at = ?, expires = ?
		WHERE name = ? AND (at <> ? OR n < ?)`, start, start, start+w, key, start, limit)
	if err != nil || ok {
		return 0, err
	}
	return time.Duration(start+w-ms) * time.Millisecond, nil
}

// Hold takes key for ttl unless someone holds it: a slot one at a time
// across instances, freed by Release or, if its holder died, after ttl.
func (db *DB) Hold(ctx context.Context, key string, ttl time.Duration, now time.Time) (bool, error) {
	ms := now.UnixMilli()
	until := ms + ttl.Milliseconds()
	return db.limitUpdate(ctx, key, `UPDATE shared_limits SET at = ?, expires = ? WHERE name = ? AND at <= ?`, until, until, key, ms)
}

// Release frees what Hold took.
func (db *DB) Release(ctx context.Context, key string) error {
	return db.limitExec(ctx, `UPDATE shared_limits SET at = 0 WHERE name = ?`, key)
}

// limitUpdate runs a conditional UPDATE of key's row, creating the row the
// first time: it says whether the row matched.
func (db *DB) limitUpdate(ctx context.Context, key, update string, args ...any) (bool, error) {
	for range 2 {
		var n int64
		err := db.limitWrite(ctx, func(ex execer) error {
			res, err := ex.ExecContext(ctx, update, args...)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return false, fmt.Errorf("count a limit: %w", err)
		}
		if n > 0 {
			return true, nil
		}
		var exists int
		err = db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM shared_limits WHERE name = ?`, key).Scan(&exists)
		if err != nil {
			return false, fmt.Errorf("read a limit: %w", err)
		}
		if exists > 0 {
			return false, nil
		}
		// The first time for key: its row, empty, then the UPDATE again.
		// It expires now, so the sweep (a minute behind) leaves it alone.
		err = db.limitExec(ctx, `INSERT INTO shared_limits (name, expires) VALUES (?, ?)`, key, time.Now().UnixMilli())
		if err != nil && !db.dialect.isUniqueViolation(err) {
			return false, err
		}
		if rand.IntN(100) == 0 {
			if err := db.limitExec(ctx, `DELETE FROM shared_limits WHERE expires < ?`, time.Now().UnixMilli()-time.Minute.Milliseconds()); err != nil {
				return false, err
			}
		}
	}
	return false, errors.New("count a limit: its row vanished twice")
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// limitWrite runs one statement of the limits: on SQLite through the
// writer (one writer at a time), on MySQL as a statement of its own, no
// transaction around it.
func (db *DB) limitWrite(ctx context.Context, fn func(execer) error) error {
	if db.writer != nil {
		return db.write(ctx, func(tx *Tx) error { return fn(tx.tx) })
	}
	return fn(db.db)
}

func (db *DB) limitExec(ctx context.Context, query string, args ...any) error {
	err := db.limitWrite(ctx, func(ex execer) error {
		_, err := ex.ExecContext(ctx, query, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("keep a limit: %w", err)
	}
	return nil
}
