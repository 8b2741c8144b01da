//go:build !linux

package pwcheck

import "os/exec"

// startAtLowestPriority starts cmd; elsewhere than on Linux the helper
// keeps the service's priority, and is only a process apart.
func startAtLowestPriority(cmd *exec.Cmd) error { return cmd.Start() }
