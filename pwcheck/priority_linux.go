package pwcheck

import (
	"os/exec"
	"runtime"
	"syscall"
)

// lowestNice is the nice value the helper runs at: the kernel runs it only
// as far as nothing else wants the cores.
const lowestNice = 19

// startAtLowestPriority starts cmd from a thread of its own whose nice
// value is lowestNice. On Linux the nice value belongs to a thread and a
// new process takes its creator's, so the helper and every thread it makes
// run at it, while this process's other threads keep theirs.
func startAtLowestPriority(cmd *exec.Cmd) error {
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread ends with this goroutine, and its
		// nice value with it (the main thread, should this be it, is
		// put to sleep for good by the runtime instead).
		runtime.LockOSThread()
		if err := syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), lowestNice); err != nil {
			errc <- err
			return
		}
		errc <- cmd.Start()
	}()
	return <-errc
}
