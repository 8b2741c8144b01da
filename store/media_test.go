package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"mashang/store"
	"mashang/store/storetest"
)

// The media fetcher lists what waits to be fetched among every message
// ever stored, each time a photo arrives: it must read what waits, not the
// texts. On MySQL, with no partial index, the index of 00005 (media_path
// first, empty for every text) left MariaDB walking the messages by their
// key: 3,000 rows read here to list 10, a province's whole table in
// production. The count of rows read is MariaDB's own (Handler_read_*).
func TestPendingMediaReadsOnlyWhatWaits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db, raw := storetest.OpenRaw(t, driver)
		now := time.Now().UTC()
		at := now.Format("2006-01-02 15:04:05.000")
		if driver == store.DriverSQLite {
			at = now.Format("2006-01-02 15:04:05.999999999-07:00") // as the store writes it (_time_format=sqlite)
		}
		const texts = 3000
		insert := func(from, to int, msgType func(i int) string, mediaPath func(i int) string, attempts func(i int) int) {
			t.Helper()
			for lo := from; lo < to; lo += 250 {
				hi := min(lo+250, to)
				var rows []string
				var args []any
				for i := lo; i < hi; i++ {
					rows = append(rows, "(?, 'gh_test', ?, ?, ?, '', ?, ?, '', '', '', '', '', '', '<xml/>', ?, ?, '', ?, ?)")
					media := ""
					if msgType(i) != "text" {
						media = fmt.Sprintf("media-%d", i)
					}
					args = append(args, fmt.Sprintf("k%d", i), fmt.Sprintf("o%d", i%97), msgType(i), i, "路灯坏了", media, at, at, mediaPath(i), attempts(i))
				}
				if _, err := raw.ExecContext(ctx, `INSERT INTO inbound_messages (dedup_key, account, openid, msg_type, msg_id, event_key,
					content, media_id, pic_url, recognition, label, title, description, url, raw, created_at, received_at, reply,
					media_path, media_attempts) VALUES `+strings.Join(rows, ", "), args...); err != nil {
					t.Fatal(err)
				}
			}
		}
		none := func(int) string { return "" }
		zero := func(int) int { return 0 }
		insert(0, texts, func(int) string { return "text" }, none, zero)
		// Fetched, given up on (five failures) and waiting, of each kind.
		kinds := []string{"image", "voice", "video", "shortvideo"}
		kind := func(i int) string { return kinds[i%len(kinds)] }
		insert(texts, texts+20, kind, func(i int) string { return fmt.Sprintf("2026/12/%d.jpg", i) }, zero)
		insert(texts+20, texts+30, kind, none, func(int) int { return 5 })
		insert(texts+30, texts+40, kind, none, func(i int) int { return i % 3 })
		insert(texts+40, texts+1000, func(int) string { return "text" }, none, zero)
		if driver == store.DriverMySQL {
			// Statistics as MariaDB keeps them for a table this size; a new
			// table's are recomputed in the background, whenever.
			if _, err := raw.ExecContext(ctx, `ANALYZE TABLE inbound_messages`); err != nil {
				t.Fatal(err)
			}
		}

		pending, err := db.PendingMedia(ctx, now.Add(-time.Hour), 5, 100)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, p := range pending {
			keys = append(keys, p.DedupKey)
		}
		var want []string
		for i := texts + 30; i < texts+40; i++ {
			want = append(want, fmt.Sprintf("k%d", i))
		}
		if !slices.Equal(keys, want) {
			t.Fatalf("pending media %v, want the ten waiting in order %v", keys, want)
		}
		if later, err := db.PendingMedia(ctx, now.Add(time.Hour), 5, 100); err != nil || len(later) != 0 {
			t.Fatalf("media received before since: %v, %v; want none", later, err)
		}

		query, args := store.PendingMediaQuery(now.Add(-time.Hour), 5, 100)
		switch driver {
		case store.DriverSQLite:
			plan := explainSQLite(t, raw, query, args...)
			if !strings.Contains(plan, "USING INDEX inbound_messages_media") {
				t.Errorf("the plan\n%s\nwant the partial index of media", plan)
			}
		case store.DriverMySQL:
			conn, err := raw.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			before := rowsRead(t, conn)
			rows, err := conn.QueryContext(ctx, query, args...)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rows.Next() {
				n++
			}
			if err := rows.Close(); err != nil {
				t.Fatal(err)
			}
			read := rowsRead(t, conn) - before
			if n != 10 || read > 100 {
				t.Errorf("listed %d pending media reading %d rows; want 10, reading no more than the 30 of media not fetched and a few more", n, read)
			}
		}
	})
}

// rowsRead is how many rows MariaDB's handlers have read on conn so far.
func rowsRead(t *testing.T, conn *sql.Conn) int64 {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), `SHOW SESSION STATUS LIKE 'Handler_read%'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var total int64
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return total
}

// explainSQLite is SQLite's plan for query, a step a line.
func explainSQLite(t *testing.T, raw *sql.DB, query string, args ...any) string {
	t.Helper()
	rows, err := raw.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "\n")
}

// A time the service compares with an indexed DATETIME column on MySQL
// reaches the server as a datetime MariaDB can search by. Go's times carry
// nanoseconds; sent with nine decimals, MariaDB took the value for an
// incorrect datetime (note 1292) and read the whole index instead of its
// range: the to-do list's `ack_due <= now` read every unacknowledged
// hand-over of a province on every page of every secretary.
func TestTimesReachMySQLAsARange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		if driver != store.DriverMySQL {
			t.Skip("SQLite compares times as text; this is MariaDB's range")
		}
		ctx := context.Background()
		db := storetest.Open(t, driver)
		conn, err := db.Pool().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for _, stmt := range []string{
			`CREATE TEMPORARY TABLE due_times (id INT AUTO_INCREMENT PRIMARY KEY, due DATETIME(3) NOT NULL, KEY due_times_due (due))`,
			`INSERT INTO due_times (due) SELECT NOW(3) + INTERVAL seq MINUTE FROM seq_1_to_2000`,
			`ANALYZE TABLE due_times`,
		} {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Now().Add(-time.Hour)
		if now.Nanosecond()%1000 == 0 {
			now = now.Add(123 * time.Nanosecond) // nanoseconds, as time.Now nearly always has
		}
		before := rowsRead(t, conn)
		var n int
		if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM due_times WHERE due <= ?`, now).Scan(&n); err != nil {
			t.Fatal(err)
		}
		read := rowsRead(t, conn) - before
		if n != 0 || read > 10 {
			t.Errorf("%d rows due an hour ago, %d read to find them; want 0, by the index's range", n, read)
		}
	})
}
