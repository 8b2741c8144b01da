//go:build tools

// Package tools pins the SeaweedFS server used by the S3 media tests; build
// it with `go build -o BIN github.com/seaweedfs/seaweedfs/weed` from here.
package tools

import _ "github.com/seaweedfs/seaweedfs/weed"
