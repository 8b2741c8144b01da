// Package pwcheck checks staff passwords against their bcrypt hashes in a
// helper process that runs at the lowest CPU priority.
//
// A bcrypt check is some 50 ms of a core, by design. A morning's sign-ins —
// a province's secretaries reaching their offices together — can ask for
// more than the machine's cores, and in the service's own process the checks
// take them from the citizens' pushes, which WeChat gives up on after 5 s,
// and from the database beside it (measured in the README: the province's
// morning at 20×). In a process of its own at nice 19 the checks take what
// the rest leave: a sign-in waits a little longer, a push does not.
//
// A thread of lower priority inside the service would not do: while the
// kernel keeps that thread off the cores, the Go runtime cannot stop it for
// a garbage collection, and every goroutine of the process waits with it.
//
// The helper is the service's own executable, started with HelperEnv set;
// its main calls RunIfHelper first. Should it fail to start or die, the
// check is made in the caller's process, as it would be without a helper:
// a sign-in never fails for want of one.
package pwcheck

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// HelperEnv, set to the number of checks to run at once, makes the
// executable a helper (RunIfHelper).
const HelperEnv = "MASHANG_PASSWORD_HELPER"

// hello is the helper's first line: the parent takes nothing else for one.
const hello = "mashang password helper 1\n"

// RunIfHelper serves as the helper and exits when this process was started
// as one; otherwise it returns at once. The service's main calls it before
// anything else (and so does TestMain where tests start a helper).
func RunIfHelper() {
	n, err := strconv.Atoi(os.Getenv(HelperEnv))
	if err != nil || n <= 0 {
		return
	}
	if err := Serve(os.Stdin, os.Stdout, n); err != nil {
		fmt.Fprintln(os.Stderr, "password helper:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// Serve answers the checks asked on r on w, workers at once, until r ends.
//
// A request is an id (4 bytes), then the hash and the password, each
// after its length (2 bytes, big-endian); the answer is the id and one
// byte, 1 for a match.
func Serve(r io.Reader, w io.Writer, workers int) error {
	out := bufio.NewWriter(w)
	if _, err := out.WriteString(hello); err != nil {
		return err
	}
	if err := out.Flush(); err != nil {
		return err
	}
	in := bufio.NewReader(r)
	var (
		wg    sync.WaitGroup
		outMu sync.Mutex
		werr  error
	)
	turns := make(chan struct{}, workers)
	for {
		id, hash, password, err := readRequest(in)
		if err != nil {
			wg.Wait()
			if errors.Is(err, io.EOF) {
				return werr
			}
			return err
		}
		turns <- struct{}{}
		wg.Go(func() {
			defer func() { <-turns }()
			var answer [5]byte
			binary.BigEndian.PutUint32(answer[:4], id)
			if bcrypt.CompareHashAndPassword(hash, password) == nil {
				answer[4] = 1
			}
			outMu.Lock()
			defer outMu.Unlock()
			_, err := out.Write(answer[:])
			if err == nil {
				err = out.Flush()
			}
			if err != nil && werr == nil {
				werr = err // the parent is gone; its end of input ends this
			}
		})
	}
}

func readRequest(in *bufio.Reader) (id uint32, hash, password []byte, err error) {
	var head [4]byte
	if _, err = io.ReadFull(in, head[:]); err != nil {
		return 0, nil, nil, err // io.EOF between requests: the parent is done
	}
	id = binary.BigEndian.Uint32(head[:])
	if hash, err = readField(in); err == nil {
		password, err = readField(in)
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return id, hash, password, err
}

func readField(in *bufio.Reader) ([]byte, error) {
	var n [2]byte
	if _, err := io.ReadFull(in, n[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint16(n[:]))
	_, err := io.ReadFull(in, b)
	return b, err
}

// Checker asks a helper process to check passwords.
type Checker struct {
	// Workers is how many checks the helper runs at once (0: half the
	// processors, at least one).
	Workers int
	// Executable is the helper's program (empty: this process's own).
	Executable string
	// OnFallback, when set, hears why a check was made in this process.
	OnFallback func(error)

	mu       sync.Mutex
	helper   *helper
	failedAt time.Time // the last start that failed: not tried again for a second
	closed   bool
}

// errHelperGone: the helper ended before it answered.
var errHelperGone = errors.New("the password helper ended")

// Compare is bcrypt.CompareHashAndPassword, made in the helper.
func (c *Checker) Compare(hash, password []byte) error {
	match, err := c.compare(hash, password)
	if err != nil {
		if c.OnFallback != nil {
			c.OnFallback(err)
		}
		return bcrypt.CompareHashAndPassword(hash, password)
	}
	if !match {
		return bcrypt.ErrMismatchedHashAndPassword
	}
	return nil
}

func (c *Checker) compare(hash, password []byte) (bool, error) {
	if len(hash) > 0xFFFF || len(password) > 0xFFFF {
		return false, errors.New("a hash or password too long for the helper")
	}
	h, err := c.running()
	if err != nil {
		return false, err
	}
	return h.ask(hash, password)
}

// running is the helper, started if none runs.
func (c *Checker) running() (*helper, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errors.New("the password checker is closed")
	}
	if c.helper != nil && !c.helper.ended() {
		return c.helper, nil
	}
	if time.Since(c.failedAt) < time.Second {
		return nil, errors.New("the password helper failed to start a moment ago")
	}
	h, err := c.start()
	if err != nil {
		c.failedAt = time.Now()
		return nil, err
	}
	c.helper = h
	return h, nil
}

// Close ends the helper; later checks are made in this process.
func (c *Checker) Close() error {
	c.mu.Lock()
	h := c.helper
	c.helper, c.closed = nil, true
	c.mu.Unlock()
	if h == nil {
		return nil
	}
	return h.stop()
}

type helper struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	writeMu sync.Mutex
	done    chan struct{} // closed when the helper's answers end

	mu      sync.Mutex
	next    uint32
	waiting map[uint32]chan bool
	gone    bool
}

func (c *Checker) start() (*helper, error) {
	exe := c.Executable
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	workers := c.Workers
	if workers <= 0 {
		workers = max(1, runtime.GOMAXPROCS(0)/2)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), HelperEnv+"="+strconv.Itoa(workers))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := startAtLowestPriority(cmd); err != nil {
		return nil, err
	}
	h := &helper{cmd: cmd, stdin: stdin, done: make(chan struct{}), waiting: map[uint32]chan bool{}}
	out := bufio.NewReader(stdout)
	greeted := make(chan error, 1)
	go func() {
		line, err := out.ReadString('\n')
		if err == nil && line != hello {
			err = fmt.Errorf("%q is not a password helper (it said %.40q)", exe, line)
		}
		greeted <- err
		if err == nil {
			h.answers(out)
		}
	}()
	select {
	case err = <-greeted:
	case <-time.After(5 * time.Second):
		err = fmt.Errorf("%q did not start as a password helper within 5 s", exe)
	}
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, err
	}
	return h, nil
}

// answers hands each answer to its waiting check until the helper ends,
// then ends the checks still waiting.
func (h *helper) answers(out *bufio.Reader) {
	defer func() {
		h.mu.Lock()
		h.gone = true
		for id, ch := range h.waiting {
			close(ch)
			delete(h.waiting, id)
		}
		h.mu.Unlock()
		close(h.done)
		_ = h.cmd.Wait()
	}()
	var answer [5]byte
	for {
		if _, err := io.ReadFull(out, answer[:]); err != nil {
			return
		}
		id := binary.BigEndian.Uint32(answer[:4])
		h.mu.Lock()
		ch := h.waiting[id]
		delete(h.waiting, id)
		h.mu.Unlock()
		if ch != nil {
			ch <- answer[4] == 1
		}
	}
}

func (h *helper) ended() bool {
	select {
	case <-h.done:
		return true
	default:
		return false
	}
}

func (h *helper) ask(hash, password []byte) (bool, error) {
	ch := make(chan bool, 1)
	h.mu.Lock()
	if h.gone {
		h.mu.Unlock()
		return false, errHelperGone
	}
	h.next++
	id := h.next
	h.waiting[id] = ch
	h.mu.Unlock()

	req := make([]byte, 0, 8+len(hash)+len(password))
	req = binary.BigEndian.AppendUint32(req, id)
	req = binary.BigEndian.AppendUint16(req, uint16(len(hash)))
	req = append(req, hash...)
	req = binary.BigEndian.AppendUint16(req, uint16(len(password)))
	req = append(req, password...)
	h.writeMu.Lock()
	_, err := h.stdin.Write(req)
	h.writeMu.Unlock()
	if err != nil {
		h.mu.Lock()
		delete(h.waiting, id)
		h.mu.Unlock()
		return false, fmt.Errorf("%w: %w", errHelperGone, err)
	}
	match, ok := <-ch
	if !ok {
		return false, errHelperGone
	}
	return match, nil
}

// stop closes the helper's input, which ends it once its checks are
// answered.
func (h *helper) stop() error {
	err := h.stdin.Close()
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		_ = h.cmd.Process.Kill()
		<-h.done
	}
	return err
}
