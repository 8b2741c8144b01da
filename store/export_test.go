package store

import "context"

// SetSearchWindow sets how many of the newest cases a text search checks
// before it asks the index, for a test to exercise both; it gives the
// previous value back.
func SetSearchWindow(n int) int {
	old := searchWindow
	searchWindow = n
	return old
}

// CountInAWrite counts the rows of table twice inside one write
// transaction, running between after the first count: a test of the
// transactions' isolation level.
func (db *DB) CountInAWrite(ctx context.Context, table string, between func()) (first, second int, err error) {
	err = db.updateOnce(ctx, func(tx *Tx) error {
		if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&first); err != nil {
			return err
		}
		between()
		return tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&second)
	})
	return first, second, err
}
