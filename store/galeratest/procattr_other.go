//go:build !linux

package galeratest

import "syscall"

// procAttr: a process group of its own (see procattr_linux.go).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
