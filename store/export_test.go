package store

// SetSearchWindow sets how many of the newest cases a text search checks
// before it asks the index, for a test to exercise both; it gives the
// previous value back.
func SetSearchWindow(n int) int {
	old := searchWindow
	searchWindow = n
	return old
}
