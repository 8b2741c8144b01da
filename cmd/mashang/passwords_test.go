package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"mashang/app"
	"mashang/pwcheck"
)

// serve checks a sign-in's password in a helper process at the lowest CPU
// priority rather than in its own (pwcheck: a morning's sign-ins must not
// take the cores from the citizens' pushes), honours its answers, and the
// helper ends with serve, kill -9 included.
func TestServeChecksPasswordsInAHelperThatEndsWithIt(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the processes from /proc")
	}
	addr := loopbackAddr(t)
	logFile, err := os.Create(filepath.Join(t.TempDir(), "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(serveBinary(t), "serve", "--sandbox")
	cmd.Env = append(os.Environ(), "MASHANG_HTTP_ADDR="+addr, "MASHANG_DB_DSN="+filepath.Join(t.TempDir(), "sandbox.db"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	if err := waitAnswering(addr); err != nil {
		log, _ := os.ReadFile(logFile.Name())
		t.Fatalf("serve --sandbox did not start: %v\n%s", err, log)
	}
	if h := passwordHelpersOf(t, cmd.Process.Pid); len(h) != 0 {
		t.Fatalf("helpers %v before anyone signed in, want none", h)
	}

	if signInToConsole(t, "http://"+addr, "not the password") != nil {
		t.Fatal("a wrong password signed in")
	}
	if signInToConsole(t, "http://"+addr, app.SandboxAdminPassword) == nil {
		log, _ := os.ReadFile(logFile.Name())
		t.Fatalf("the right password did not sign in\n%s", log)
	}
	helpers := passwordHelpersOf(t, cmd.Process.Pid)
	if len(helpers) != 1 {
		t.Fatalf("serve's password helpers: %v, want one", helpers)
	}
	helper := helpers[0]
	threads, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", helper))
	for _, th := range threads {
		if n := statField(t, th, 19); n != "19" {
			t.Fatalf("the helper's thread %s runs at nice %s, want 19", th, n)
		}
	}
	if n := statField(t, fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid), 19); n != "0" {
		t.Fatalf("serve itself runs at nice %s, want 0", n)
	}
	if log, _ := os.ReadFile(logFile.Name()); strings.Contains(string(log), "no password helper") {
		t.Fatalf("a password was checked in serve's own process:\n%s", log)
	}

	// kill -9: the helper sees its input end and goes too.
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", helper))
		if err != nil || statField(t, "", 3, string(st)) == "Z" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the helper %d still runs 10 s after serve was killed", helper)
		}
	}
}

// passwordHelpersOf lists the children of pid started as password helpers.
func passwordHelpersOf(t *testing.T, pid int) []int {
	t.Helper()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var found []int
	for _, st := range stats {
		b, err := os.ReadFile(st)
		if err != nil || statField(t, "", 4, string(b)) != strconv.Itoa(pid) {
			continue // gone meanwhile, or another's
		}
		env, _ := os.ReadFile(filepath.Join(filepath.Dir(st), "environ"))
		if strings.Contains(string(env), pwcheck.HelperEnv+"=") {
			child, _ := strconv.Atoi(filepath.Base(filepath.Dir(st)))
			found = append(found, child)
		}
	}
	return found
}

// statField is field n (from 1, as proc(5) counts) of a stat file, read
// from path or given as text; the name (field 2) is in parentheses and may
// hold spaces, so the fields are counted after it.
func statField(t *testing.T, path string, n int, text ...string) string {
	t.Helper()
	s := strings.Join(text, "")
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s = string(b)
	}
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if n < 3 || n-3 >= len(fields) {
		t.Fatalf("no field %d in %q", n, s)
	}
	return fields[n-3]
}
