package handlers_test

import (
	"os"
	"testing"

	"mashang/store/storetest"
)

// TestMain stops the private MariaDB primary and replica that the replica
// tests start once for the whole package (storetest.StartReplication).
func TestMain(m *testing.M) {
	code := m.Run()
	storetest.StopReplication()
	os.Exit(code)
}
