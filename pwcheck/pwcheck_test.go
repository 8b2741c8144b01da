package pwcheck_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"mashang/pwcheck"
)

// The test binary is its own helper, as the service's executable is.
func TestMain(m *testing.M) {
	pwcheck.RunIfHelper()
	os.Exit(m.Run())
}

func hashOf(t *testing.T, password string) []byte {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// niceOf reads a process's or thread's nice value from its stat file
// (the 19th field; the name, 2nd, is in parentheses and may hold spaces).
func niceOf(t *testing.T, statPath string) int {
	t.Helper()
	b, err := os.ReadFile(statPath)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	n, err := strconv.Atoi(fields[16]) // field 19 counted from the state, field 3
	if err != nil {
		t.Fatalf("%s: %v", statPath, err)
	}
	return n
}

func TestPasswordsAreCheckedInAHelperAtTheLowestPriority(t *testing.T) {
	var fallbacks atomic.Int32
	c := &pwcheck.Checker{Workers: 2, OnFallback: func(error) { fallbacks.Add(1) }}
	defer c.Close()
	hash := hashOf(t, "correct horse")
	if err := c.Compare(hash, []byte("correct horse")); err != nil {
		t.Fatalf("the right password: %v", err)
	}
	if err := c.Compare(hash, []byte("wrong horse")); !errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
		t.Fatalf("a wrong password: %v, want a mismatch", err)
	}
	if err := c.Compare([]byte("not a hash"), []byte("x")); err == nil {
		t.Fatal("a broken hash matched")
	}
	if n := fallbacks.Load(); n != 0 {
		t.Fatalf("%d checks were made in this process, want all in the helper", n)
	}
	pid := pwcheck.HelperPID(c)
	if pid == 0 || pid == os.Getpid() {
		t.Fatalf("helper pid %d (this process %d)", pid, os.Getpid())
	}
	if runtime.GOOS != "linux" {
		return
	}
	threads, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	if err != nil || len(threads) == 0 {
		t.Fatalf("the helper's threads: %v, %v", threads, err)
	}
	for _, th := range threads {
		if n := niceOf(t, th); n != 19 {
			t.Fatalf("%s: nice %d, want 19", th, n)
		}
	}
	// The thread that started the helper ends (or, were it the main
	// thread, sleeps for good); every other thread of this process keeps
	// its priority.
	own, _ := filepath.Glob("/proc/self/task/*/stat")
	lowered := 0
	for _, th := range own {
		if niceOf(t, th) == 19 {
			lowered++
		}
	}
	if lowered > 1 || len(own) < 2 {
		t.Fatalf("%d of this process's %d threads run at nice 19, want at most the one that started the helper", lowered, len(own))
	}
}

// Many checks at once, right and wrong mixed, each gets its own answer.
func TestConcurrentChecksEachGetTheirOwnAnswer(t *testing.T) {
	c := &pwcheck.Checker{Workers: 3}
	defer c.Close()
	hashes := map[string][]byte{}
	for i := range 4 {
		pw := fmt.Sprintf("password %d", i)
		hashes[pw] = hashOf(t, pw)
	}
	var wg sync.WaitGroup
	var wrong atomic.Int32
	for i := range 64 {
		wg.Go(func() {
			pw := fmt.Sprintf("password %d", i%4)
			try := pw
			if i%3 == 0 {
				try = fmt.Sprintf("password %d", (i+1)%4)
			}
			err := c.Compare(hashes[pw], []byte(try))
			if (err == nil) != (try == pw) {
				wrong.Add(1)
			}
		})
	}
	wg.Wait()
	if n := wrong.Load(); n != 0 {
		t.Fatalf("%d of 64 checks got another's answer", n)
	}
}

// A helper that dies costs no sign-in: the check is made here, and the
// next helper starts a second later.
func TestAHelperThatDiesIsReplaced(t *testing.T) {
	var fallbacks atomic.Int32
	c := &pwcheck.Checker{Workers: 1, OnFallback: func(error) { fallbacks.Add(1) }}
	defer c.Close()
	hash := hashOf(t, "secret one")
	if err := c.Compare(hash, []byte("secret one")); err != nil {
		t.Fatal(err)
	}
	first := pwcheck.HelperPID(c)
	p, err := os.FindProcess(first)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for pwcheck.HelperPID(c) == first && time.Now().Before(deadline) {
		// Each check answers rightly whether the helper is found dead
		// yet or not.
		if err := c.Compare(hash, []byte("secret one")); err != nil {
			t.Fatalf("a check after the helper was killed: %v", err)
		}
		if err := c.Compare(hash, []byte("secret two")); err == nil {
			t.Fatal("a wrong password matched after the helper was killed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	second := pwcheck.HelperPID(c)
	if second == first || second == 0 {
		t.Fatalf("no new helper after the first was killed (pid %d, was %d)", second, first)
	}
	if fallbacks.Load() == 0 {
		t.Fatal("no check was made here while no helper ran")
	}
}

// A program that is not a helper is never trusted with an answer.
func TestAProgramThatIsNotAHelperIsNotAsked(t *testing.T) {
	var reasons []string
	var mu sync.Mutex
	c := &pwcheck.Checker{Executable: "/bin/echo", OnFallback: func(err error) {
		mu.Lock()
		reasons = append(reasons, err.Error())
		mu.Unlock()
	}}
	defer c.Close()
	hash := hashOf(t, "right")
	if err := c.Compare(hash, []byte("right")); err != nil {
		t.Fatalf("the right password, checked here: %v", err)
	}
	if err := c.Compare(hash, []byte("wrong")); err == nil {
		t.Fatal("a wrong password matched")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reasons) != 2 || !strings.Contains(reasons[0], "not a password helper") {
		t.Fatalf("fallbacks %q, want two, the first saying echo is not a helper", reasons)
	}
}
