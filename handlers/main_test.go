package handlers_test

import (
	"os"
	"testing"

	"mashang/media/mediatest"
	"mashang/store/storetest"
)

// TestMain stops what tests start once for the whole package: the private
// MariaDB primary and replica (storetest.StartReplication) and the SeaweedFS
// of the S3 media tests (mediatest).
func TestMain(m *testing.M) {
	code := m.Run()
	storetest.StopReplication()
	mediatest.StopShared() // the SeaweedFS the S3 media tests started
	os.Exit(code)
}
