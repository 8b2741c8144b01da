package galeratest

import "syscall"

// procAttr puts a node in a process group of its own (kill -9 then takes
// its rsync daemon too) and kills it should the test binary die without
// stopping the cluster (a test's timeout panics past every cleanup): a
// node left running would hold the ports the next run needs.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
