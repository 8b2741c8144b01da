// Package limits keeps the limits that must hold across every instance
// (each citizen's request rate, each account's exports) in Redis, or in
// memory for the one instance an SQLite deployment has. The database keeps
// them otherwise (store.DB has the same methods). The three kinds:
//
//   - Throttle: a token bucket (burst at once, one more per interval),
//     kept as GCRA's one timestamp per key;
//   - Count: at most limit in each window of a fixed length;
//   - Hold and Release: one holder of a key at a time, for at most ttl.
package limits

import (
	"context"
	"sync"
	"time"
)

// gcra is one step of the generic cell rate algorithm: the bucket is full
// at tat; a request at now is let through unless tat is more than tau
// ahead of now, and then moves tat on by interval.
func gcra(tat, now time.Time, interval, tau time.Duration) (next time.Time, wait time.Duration) {
	if tat.Before(now) {
		tat = now
	}
	if ahead := tat.Sub(now); ahead > tau {
		return tat, ahead - tau
	}
	return tat.Add(interval), 0
}

// Memory keeps the limits in this process: right for one instance (an
// SQLite deployment), wrong behind several.
type Memory struct {
	mu    sync.Mutex
	rows  map[string]*memoryRow
	swept time.Time
}

type memoryRow struct {
	at      time.Time // GCRA's tat, a window's start, a hold's end
	n       int
	expires time.Time
}

// NewMemory returns empty in-process limits.
func NewMemory() *Memory { return &Memory{rows: map[string]*memoryRow{}} }

// row returns key's row, and forgets the rows that limit nothing any more
// once a minute, so the map holds the keys active lately.
func (m *Memory) row(key string, now time.Time) *memoryRow {
	if now.Sub(m.swept) > time.Minute {
		for k, r := range m.rows {
			if now.After(r.expires) {
				delete(m.rows, k)
			}
		}
		m.swept = now
	}
	r, ok := m.rows[key]
	if !ok {
		r = &memoryRow{}
		m.rows[key] = r
	}
	return r
}

// Throttle takes one request from key's bucket: 0, or how long to wait.
func (m *Memory) Throttle(_ context.Context, key string, interval time.Duration, burst int, now time.Time) (time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.row(key, now)
	next, wait := gcra(r.at, now, interval, interval*time.Duration(burst-1))
	if wait == 0 {
		r.at, r.expires = next, next
	}
	return wait, nil
}

// Count counts one in key's window: 0, or how long until the window ends.
func (m *Memory) Count(_ context.Context, key string, limit int, window time.Duration, now time.Time) (time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.row(key, now)
	start := now.Truncate(window)
	if !r.at.Equal(start) {
		r.at, r.n, r.expires = start, 0, start.Add(window)
	}
	if r.n >= limit {
		return start.Add(window).Sub(now), nil
	}
	r.n++
	return 0, nil
}

// Hold takes key for ttl unless someone holds it.
func (m *Memory) Hold(_ context.Context, key string, ttl time.Duration, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.row(key, now)
	if r.at.After(now) {
		return false, nil
	}
	r.at, r.expires = now.Add(ttl), now.Add(ttl)
	return true, nil
}

// Release frees what Hold took.
func (m *Memory) Release(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.rows[key]; ok {
		r.at = time.Time{}
	}
	return nil
}
