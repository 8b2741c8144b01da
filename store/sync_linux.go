package store

import (
	"os"
	"syscall"
)

// fdatasync flushes a file's data (and its size, when that changed) but not
// its times, as SQLite itself does on Linux: the WAL is rewritten in place
// once it has grown, so most syncs skip the filesystem journal.
func fdatasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
