package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"mashang"
)

// IssuedCodes lists the codes made on a channel, by scene.
func (db *DB) IssuedCodes(ctx context.Context, channel mashang.CodeChannel) (map[string]mashang.IssuedCode, error) {
	rows, err := db.db.QueryContext(ctx, `
		SELECT scene, ticket, url, image, created_at FROM issued_codes WHERE channel = ?`, string(channel))
	if err != nil {
		return nil, fmt.Errorf("list issued codes: %w", err)
	}
	defer rows.Close()
	out := map[string]mashang.IssuedCode{}
	for rows.Next() {
		c := mashang.IssuedCode{Channel: channel}
		if err := rows.Scan(&c.Scene, &c.Ticket, &c.URL, &c.Image, &c.CreatedAt); err != nil {
			return nil, fmt.Errorf("read issued code: %w", err)
		}
		out[c.Scene] = c
	}
	return out, rows.Err()
}

// SaveIssuedCode keeps a code WeChat made. A second save for the same scene
// (two runs at once) keeps the first: both are valid codes for the scene.
func (db *DB) SaveIssuedCode(ctx context.Context, c mashang.IssuedCode) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `
			INSERT INTO issued_codes (channel, scene, ticket, url, image, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			string(c.Channel), c.Scene, c.Ticket, c.URL, c.Image, c.CreatedAt.UTC())
		if err != nil && !tx.dialect.isUniqueViolation(err) {
			return fmt.Errorf("save issued code %s: %w", c.Scene, err)
		}
		return nil
	})
}

// CodeOwners lists every station and every deputy with the jurisdiction of
// their (home) station, stations first, each in code order.
func (db *DB) CodeOwners(ctx context.Context) ([]mashang.CodeOwner, error) {
	paths, err := db.jurisdictionPaths(ctx)
	if err != nil {
		return nil, err
	}
	var owners []mashang.CodeOwner
	rows, err := db.db.QueryContext(ctx, `SELECT code, name, jurisdiction_id FROM stations ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("list stations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var code, name string
		var jid sql.NullInt64
		if err := rows.Scan(&code, &name, &jid); err != nil {
			return nil, fmt.Errorf("read station: %w", err)
		}
		owners = append(owners, mashang.CodeOwner{Scene: mashang.Scene{Kind: mashang.SceneStation, Code: code},
			Name: name, StationName: name, StationCode: code, Jurisdiction: paths[jid.Int64]})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	drows, err := db.db.QueryContext(ctx, `
		SELECT d.code, d.name, s.name, s.code, s.jurisdiction_id
		FROM deputies d JOIN stations s ON s.id = d.station_id
		ORDER BY d.code`)
	if err != nil {
		return nil, fmt.Errorf("list deputies: %w", err)
	}
	defer drows.Close()
	for drows.Next() {
		var code, name, station, stationCode string
		var jid sql.NullInt64
		if err := drows.Scan(&code, &name, &station, &stationCode, &jid); err != nil {
			return nil, fmt.Errorf("read deputy: %w", err)
		}
		owners = append(owners, mashang.CodeOwner{Scene: mashang.Scene{Kind: mashang.SceneDeputy, Code: code},
			Name: name, StationName: station, StationCode: stationCode, Jurisdiction: paths[jid.Int64]})
	}
	return owners, drows.Err()
}

// jurisdictionPaths maps each jurisdiction to its path from the root. The
// tree is small (a province has a few thousand nodes), so it is read whole.
func (db *DB) jurisdictionPaths(ctx context.Context) (map[int64][]string, error) {
	return jurisdictionPaths(ctx, db.db)
}

// jurisdictionPaths is (*DB).jurisdictionPaths, in a transaction or not.
func jurisdictionPaths(ctx context.Context, q rowsQueryer) (map[int64][]string, error) {
	nodes, err := readJurisdictions(ctx, q, `SELECT id, parent_id, name FROM jurisdictions`)
	if err != nil {
		return nil, err
	}
	return jurisdictionPathsOf(nodes), nil
}

// jurisdictionNode is a jurisdiction's name and parent.
type jurisdictionNode struct {
	parent sql.NullInt64
	name   string
}

// readJurisdictions reads the query's (id, parent_id, name) rows by id.
func readJurisdictions(ctx context.Context, q rowsQueryer, query string, args ...any) (map[int64]jurisdictionNode, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list jurisdictions: %w", err)
	}
	defer rows.Close()
	nodes := map[int64]jurisdictionNode{}
	for rows.Next() {
		var id int64
		var n jurisdictionNode
		if err := rows.Scan(&id, &n.parent, &n.name); err != nil {
			return nil, fmt.Errorf("read jurisdiction: %w", err)
		}
		nodes[id] = n
	}
	return nodes, rows.Err()
}

// jurisdictionPathsOf gives each node its names from the root down, as
// far as the nodes reach.
func jurisdictionPathsOf(nodes map[int64]jurisdictionNode) map[int64][]string {
	paths := map[int64][]string{}
	for id := range nodes {
		var path []string
		for cur, depth := id, 0; depth < 16; depth++ { // a loop in the data must not hang us
			n, ok := nodes[cur]
			if !ok {
				break
			}
			path = append(path, n.name)
			if !n.parent.Valid {
				break
			}
			cur = n.parent.Int64
		}
		slices.Reverse(path)
		paths[id] = path
	}
	return paths
}
