package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// GenerateCases adds n made-up cases over the year before now, spread over
// the demo stations and their groups, with a mix of statuses, deadlines,
// colours and ratings — for the console's benchmark, never for a real
// database. It writes them in batches of multi-row INSERTs.
func (db *DB) GenerateCases(ctx context.Context, n int, now time.Time) error {
	var stations []int64
	var groups [][]int64
	rows, err := db.db.QueryContext(ctx, `SELECT id FROM stations ORDER BY id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		stations = append(stations, id)
	}
	rows.Close()
	for _, s := range stations {
		ids, err := scanAll(ctx, db.db, func(row scanner) (int64, error) {
			var id int64
			return id, row.Scan(&id)
		}, `SELECT id FROM deputy_groups WHERE station_id = ?`, s)
		if err != nil {
			return err
		}
		groups = append(groups, ids)
	}
	if len(stations) == 0 {
		return fmt.Errorf("no stations: seed the demo first")
	}
	departments, err := scanAll(ctx, db.db, func(row scanner) (int64, error) {
		var id int64
		return id, row.Scan(&id)
	}, `SELECT id FROM departments`)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(2026, 11))
	words := []string{"路灯", "垃圾清运", "物业", "电梯", "停车", "噪音", "学校", "看病", "欠薪", "补贴", "道路破损", "供暖"}
	categories := []string{"道路照明", "垃圾清运", "物业管理", "教育", "医疗卫生", "法律咨询", "政策咨询", ""}
	statuses := []string{"open", "accepted", "handed", "closed", "closed", "closed", "reopened"}
	colours := []string{"green", "green", "green", "green", "yellow", "red"}
	ratings := []string{"", "", "satisfied", "satisfied", "basically_satisfied", "dissatisfied"}
	const batch = 500
	for start := 0; start < n; start += batch {
		size := min(batch, n-start)
		var sb strings.Builder
		sb.WriteString(`INSERT INTO cases (number, openid, scene, station_id, group_id, category, status, summary, created_at,
			last_message_at, public_consent, rating, poor_ratings, colour, deadline, closed_at, overdue, department_id, handed_at, answered_at) VALUES `)
		args := make([]any, 0, size*20)
		for i := range size {
			k := start + i
			si := rng.IntN(len(stations))
			var group any
			if len(groups[si]) > 0 {
				group = groups[si][rng.IntN(len(groups[si]))]
			}
			created := now.Add(-time.Duration(rng.Int64N(int64(365 * 24 * time.Hour)))).UTC()
			status := statuses[rng.IntN(len(statuses))]
			var deadline, closed, department, handed, answered any
			overdue := false
			if status == "handed" || status == "closed" {
				due := created.Add(14 * 24 * time.Hour)
				deadline, overdue = due, status == "handed" && due.Before(now)
				if len(departments) > 0 {
					department, handed = departments[rng.IntN(len(departments))], created.Add(time.Hour)
				}
			}
			if status == "closed" {
				closed = created.Add(time.Duration(rng.IntN(20*24)) * time.Hour)
			}
			if status != "open" && rng.IntN(4) > 0 {
				answered = created.Add(2 * time.Hour)
			}
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, fmt.Sprintf("G%09d", k), fmt.Sprintf("oGEN%020d", rng.IntN(200000)), "st:generated", stations[si], group,
				categories[rng.IntN(len(categories))], status, words[rng.IntN(len(words))]+"的问题"+words[rng.IntN(len(words))],
				created, created, rng.IntN(2) == 0, ratings[rng.IntN(len(ratings))], 0, colours[rng.IntN(len(colours))], deadline, closed, overdue,
				department, handed, answered)
		}
		if err := db.update(ctx, func(tx *Tx) error {
			_, err := tx.tx.ExecContext(ctx, sb.String(), args...)
			return err
		}); err != nil {
			return fmt.Errorf("generate cases: %w", err)
		}
	}
	return nil
}

// Settle waits, up to limit, for the database to finish the work a bulk
// load leaves behind, so that what is timed next is the queries and not
// the load's aftermath: MySQL purges the undo of a million inserts (and of
// the figure tallies' updates their triggers made) for minutes after.
// SQLite has nothing left to do once it has committed. MySQL also gets
// fresh statistics, as after any bulk load: it otherwise plans the inbox on
// the counts of a near-empty table until its own recount runs.
func (db *DB) Settle(ctx context.Context, limit time.Duration) error {
	if db.dialect.name() == DriverSQLite {
		return nil
	}
	if _, err := db.db.ExecContext(ctx, `ANALYZE TABLE cases`); err != nil {
		return fmt.Errorf("analyze cases: %w", err)
	}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		var name string
		var history int64
		err := db.db.QueryRowContext(ctx, `SHOW GLOBAL STATUS LIKE 'Innodb_history_list_length'`).Scan(&name, &history)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // MySQL keeps it elsewhere; nothing to wait on here
		}
		if err != nil {
			return fmt.Errorf("read InnoDB's history list: %w", err)
		}
		if history < 1000 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return nil
}
