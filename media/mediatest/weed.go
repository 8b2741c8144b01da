// Package mediatest runs the media tests against a real S3 server: SeaweedFS
// (`weed server -s3`: a master, a volume server, a filer and the S3
// gateway), started by the test on loopback in a folder of its own, beside
// the local folder. The binary is built from tools/seaweedfs (see the
// README) and named by MASHANG_TEST_WEED; CI sets it and
// MASHANG_TEST_REQUIRE_S3=1, so a missing server fails the run instead of
// skipping it.
package mediatest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"mashang"
	"mashang/media"
)

// The keys the test server knows; the service must send them.
const (
	AccessKey = "mashang-test-access"
	SecretKey = "mashang-test-secret-key-0123456789"
)

// Kinds lists the kinds of media store a test should run on: the folder
// always, the object store when a weed binary is at hand.
func Kinds(t testing.TB) []string {
	t.Helper()
	kinds := []string{"dir"}
	if weedBinary(t) != "" {
		kinds = append(kinds, "s3")
	}
	return kinds
}

// Each runs fn as a subtest per kind of store ("dir", "s3"), with a fresh,
// empty store of that kind: a folder, or a bucket of the shared SeaweedFS
// (the package's TestMain calls StopShared).
func Each(t *testing.T, fn func(t *testing.T, files mashang.MediaFiles)) {
	for _, kind := range Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			if kind == "dir" {
				fn(t, media.NewDir(t.TempDir()))
				return
			}
			weed := Shared(t)
			fn(t, weed.Files(t, weed.Place(t)))
		})
	}
}

// weedBinary is the weed to run, or "" (the test skips) unless S3 is
// required.
func weedBinary(t testing.TB) string {
	bin := os.Getenv("MASHANG_TEST_WEED")
	if bin == "" && os.Getenv("MASHANG_TEST_REQUIRE_S3") != "" {
		t.Fatal("MASHANG_TEST_REQUIRE_S3 is set but MASHANG_TEST_WEED is empty: the S3 tests must run " +
			"(build it: cd tools/seaweedfs && go build -o BIN github.com/seaweedfs/seaweedfs/weed)")
	}
	return bin
}

// Server is one `weed server -s3` on loopback.
type Server struct {
	t        testing.TB // the test it was started for, or the one that first asked for the shared one
	bin, dir string
	ports    [8]int
	lock     *os.File
	cmd      *exec.Cmd
	exited   chan struct{}
	places   int
}

// Start starts a SeaweedFS of its own for the test (skipped when no weed
// binary is named and S3 is not required), stopped after it.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := weedBinary(t)
	if bin == "" {
		t.Skip("MASHANG_TEST_WEED is not set: the S3 media tests need SeaweedFS's weed (tools/seaweedfs)")
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir()}
	s.reservePorts(t)
	t.Cleanup(s.Stop)
	t.Cleanup(func() { s.lock.Close() })
	s.Restart()
	return s
}

var shared struct {
	sync.Mutex
	s   *Server
	dir string
}

// Shared is one server for the whole test binary, started by the first
// test that asks; each test takes a bucket of its own (Bucket). A package
// that uses it calls StopShared from its TestMain. Tests that stop the
// server (faults) start their own instead.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.Lock()
	defer shared.Unlock()
	if shared.s != nil {
		return shared.s
	}
	bin := weedBinary(t)
	if bin == "" {
		t.Skip("MASHANG_TEST_WEED is not set: the S3 media tests need SeaweedFS's weed (tools/seaweedfs)")
	}
	dir, err := os.MkdirTemp("", "mashang-weed-")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, bin: bin, dir: dir}
	s.reservePorts(t)
	s.Restart()
	shared.s, shared.dir = s, dir
	return s
}

// StopShared stops the shared server, if one was started, and removes its
// folder.
func StopShared() {
	shared.Lock()
	defer shared.Unlock()
	if shared.s == nil {
		return
	}
	shared.s.Stop()
	shared.s.lock.Close()
	_ = os.RemoveAll(shared.dir)
	shared.s = nil
}

// reservePorts takes one block of ten ports from MASHANG_TEST_WEED_PORT
// (18500 by default) on: a lock file per block keeps the test binaries that
// go test runs at once out of each other's way.
func (s *Server) reservePorts(t testing.TB) {
	base := 18500
	if v := os.Getenv("MASHANG_TEST_WEED_PORT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("MASHANG_TEST_WEED_PORT=%q is not a port", v)
		}
		base = n
	}
	for block := range 10 {
		first := base + 10*block
		f, err := os.OpenFile(filepath.Join(os.TempDir(), fmt.Sprintf("mashang-weed-%d.lock", first)), os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			continue
		}
		s.lock = f
		for i := range s.ports {
			s.ports[i] = first + i
		}
		return
	}
	t.Fatalf("no free block of ports from %d: ten SeaweedFS servers already run", base)
}

// Endpoint is the S3 gateway's address.
func (s *Server) Endpoint() string { return fmt.Sprintf("http://127.0.0.1:%d", s.ports[6]) }

// Restart starts the server again on the same folder and ports, after Stop
// or for the first time, and waits until it takes objects.
func (s *Server) Restart() {
	t := s.t
	t.Helper()
	config := filepath.Join(s.dir, "s3.json")
	if err := os.WriteFile(config, []byte(`{"identities":[{"name":"mashang","credentials":[{"accessKey":"`+AccessKey+
		`","secretKey":"`+SecretKey+`"}],"actions":["Admin","Read","List","Tagging","Write"]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.OpenFile(filepath.Join(s.dir, "weed.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	p := s.ports
	data := filepath.Join(s.dir, "data")
	if err := os.MkdirAll(data, 0o750); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(s.bin, "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-dir="+data,
		"-master.port="+strconv.Itoa(p[0]), "-master.port.grpc="+strconv.Itoa(p[1]),
		"-volume.port="+strconv.Itoa(p[2]), "-volume.port.grpc="+strconv.Itoa(p[3]),
		"-filer", "-filer.port="+strconv.Itoa(p[4]), "-filer.port.grpc="+strconv.Itoa(p[5]),
		"-s3", "-s3.port="+strconv.Itoa(p[6]), "-s3.port.grpc="+strconv.Itoa(p[7]),
		"-s3.port.iceberg=0", "-s3.port.lance=0", "-s3.config="+config,
		// Small volumes on a test's disk; nothing reported anywhere.
		"-master.volumeSizeLimitMB=64", "-volume.max=64", "-master.telemetry=false",
		"-filer.localSocket="+filepath.Join(s.dir, "filer.sock"), "-s3.localSocket="+filepath.Join(s.dir, "s3.sock"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group, killed whole by Stop; and killed with the
	// test binary if that dies first (a panic, a timeout).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("start %s: %v", s.bin, err)
	}
	logFile.Close()
	s.cmd, s.exited = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(s.exited) }()
	if err := s.waitReady(2 * time.Minute); err != nil {
		s.Stop()
		t.Fatalf("SeaweedFS did not come up: %v\n%s", err, s.logTail())
	}
}

// waitReady waits until an object can be written and read back.
func (s *Server) waitReady(limit time.Duration) error {
	client := s.client()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var last error
	for ctx.Err() == nil {
		select {
		case <-s.exited:
			return errors.New("weed exited")
		default:
		}
		last = func() error {
			if c, err := net.DialTimeout("tcp", strings.TrimPrefix(s.Endpoint(), "http://"), time.Second); err != nil {
				return err
			} else {
				c.Close()
			}
			if ok, err := client.BucketExists(ctx, Bucket); err != nil {
				return err
			} else if !ok {
				if err := client.MakeBucket(ctx, Bucket, minio.MakeBucketOptions{}); err != nil {
					return err
				}
			}
			// SeaweedFS grows a bucket's volumes on its first write and
			// answers InternalError until they are there.
			_, err := client.PutObject(ctx, Bucket, ".ready", strings.NewReader("ok"), 2, minio.PutObjectOptions{})
			return err
		}()
		if last == nil {
			return nil
		}
		time.Sleep(300 * time.Millisecond)
	}
	return fmt.Errorf("%w (last: %v)", ctx.Err(), last)
}

func (s *Server) client() *minio.Client {
	c, err := minio.New(strings.TrimPrefix(s.Endpoint(), "http://"), &minio.Options{
		Creds: credentials.NewStaticV4(AccessKey, SecretKey, ""), BucketLookup: minio.BucketLookupPath, MaxRetries: 1})
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// Stop stops the server as an operator's mistake or a crash would: at
// once (SIGKILL), mid-request. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.exited
	s.cmd = nil
}

// Bucket is the one private bucket the server keeps media in. SeaweedFS
// gives each bucket volumes of its own, so tests share it, each under a
// prefix of its own (Place).
const Bucket = "mashang-media"

// Place is where one test keeps its media: the bucket, under a prefix.
type Place struct{ Bucket, Prefix string }

// Place gives the test a prefix of its own in the bucket.
func (s *Server) Place(t testing.TB) Place {
	t.Helper()
	shared.Lock()
	s.places++
	n := s.places
	shared.Unlock()
	return Place{Bucket: Bucket, Prefix: fmt.Sprintf("test-%d-%d/", os.Getpid(), n)}
}

// Config is the service's configuration of the store, for place.
func (s *Server) Config(p Place) media.S3Config {
	return media.S3Config{Endpoint: s.Endpoint(), Bucket: p.Bucket, Prefix: p.Prefix, AccessKey: AccessKey, SecretKey: SecretKey,
		Timeout: 10 * time.Second}
}

// Files opens place as the service would.
func (s *Server) Files(t testing.TB, p Place) *media.S3 {
	t.Helper()
	files, err := media.NewS3(s.Config(p))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// Raw is a client of the store's own, for a test to do what the service
// never does (damage an object, say).
func (s *Server) Raw() *minio.Client { return s.client() }

func (s *Server) logTail() string {
	data, _ := os.ReadFile(filepath.Join(s.dir, "weed.log"))
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(data)
}
