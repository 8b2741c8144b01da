package store_test

import (
	"context"
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
// key: 4,001 rows read here to list 10, a province's whole table in
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
