package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Replication is a MariaDB primary with binary logs on and a replica
// following it by GTID, each a private mariadbd of this test process (own
// data directory, own port), started on first use and stopped by
// StopReplication (a package's TestMain) or, at the latest, with the
// process. The shared server on 3306 is never touched.
type Replication struct {
	dir              string
	primary, replica *exec.Cmd
	primaryPort      int
	replicaPort      int
}

var (
	replicationOnce sync.Once
	replication     *Replication
	replicationErr  error
)

// StartReplication returns the process's primary and replica, starting
// them the first time. Without mariadbd it skips the test, or fails it
// where MySQL is required (CI).
func StartReplication(t testing.TB) *Replication {
	t.Helper()
	replicationOnce.Do(func() { replication, replicationErr = startReplication() })
	if replicationErr != nil {
		if _, err := exec.LookPath("mariadbd"); err != nil && os.Getenv("MASHANG_TEST_REQUIRE_MYSQL") == "" {
			t.Skip("needs mariadbd and mariadb-install-db (Debian: mariadb-server) for a private primary and replica")
		}
		t.Fatalf("start a MariaDB primary and replica: %v", replicationErr)
	}
	return replication
}

// StopReplication stops the primary and replica if they were started, and
// removes their data.
func StopReplication() {
	if replication == nil {
		return
	}
	for _, c := range []*exec.Cmd{replication.replica, replication.primary} {
		if c != nil && c.Process != nil {
			_ = c.Process.Signal(syscall.SIGTERM)
			_ = c.Wait()
		}
	}
	_ = os.RemoveAll(replication.dir)
	replication = nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startReplication() (*Replication, error) {
	dir, err := os.MkdirTemp("", "mashang-replication-")
	if err != nil {
		return nil, err
	}
	r := &Replication{dir: dir}
	ok := false
	defer func() {
		if !ok {
			replication = r
			StopReplication()
		}
	}()
	// One data directory made, copied for the replica: half the time.
	install := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+filepath.Join(dir, "primary"), "--user=root",
		"--auth-root-authentication-method=normal", "--skip-test-db")
	if out, err := install.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("mariadb-install-db: %v: %s", err, out)
	}
	if out, err := exec.Command("cp", "-a", filepath.Join(dir, "primary"), filepath.Join(dir, "replica")).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("copy the data directory: %v: %s", err, out)
	}
	init := "CREATE USER IF NOT EXISTS root@'127.0.0.1';\nGRANT ALL ON *.* TO root@'127.0.0.1' WITH GRANT OPTION;\n"
	if err := os.WriteFile(filepath.Join(dir, "init.sql"), []byte(init), 0o600); err != nil {
		return nil, err
	}
	if r.primaryPort, err = freePort(); err != nil {
		return nil, err
	}
	if r.replicaPort, err = freePort(); err != nil {
		return nil, err
	}
	if r.primary, err = r.start("primary", r.primaryPort, 1); err != nil {
		return nil, err
	}
	if r.replica, err = r.start("replica", r.replicaPort, 2); err != nil {
		return nil, err
	}
	replica, err := sql.Open("mysql", r.base(r.replicaPort))
	if err != nil {
		return nil, err
	}
	defer replica.Close()
	if _, err := replica.Exec(fmt.Sprintf(`CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, MASTER_USER='root',
		MASTER_USE_GTID=slave_pos`, r.primaryPort)); err != nil {
		return nil, fmt.Errorf("point the replica at the primary: %w", err)
	}
	if _, err := replica.Exec(`START SLAVE`); err != nil {
		return nil, fmt.Errorf("start replicating: %w", err)
	}
	ok = true
	return r, nil
}

// start runs one mariadbd and waits until it answers. Its root, without a
// password, may connect over loopback (the server listens nowhere else);
// grants stay on, so what replicates names a real definer.
func (r *Replication) start(name string, port, serverID int) (*exec.Cmd, error) {
	d := filepath.Join(r.dir, name)
	cmd := exec.Command("mariadbd", "--no-defaults", "--datadir="+d, fmt.Sprintf("--port=%d", port),
		"--bind-address=127.0.0.1", "--socket="+d+".sock", "--pid-file="+d+".pid", "--user=root",
		fmt.Sprintf("--server-id=%d", serverID), "--log-bin="+d+"-bin", "--binlog-format=ROW",
		"--log-bin-trust-function-creators=1", "--skip-name-resolve", "--init-file="+filepath.Join(r.dir, "init.sql"),
		"--innodb-buffer-pool-size=64M", "--log-error="+d+".err")
	// Gone with the test process, whatever ends it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start mariadbd (%s): %w", name, err)
	}
	db, err := sql.Open("mysql", r.base(port))
	if err != nil {
		return cmd, err
	}
	defer db.Close()
	for deadline := time.Now().Add(30 * time.Second); ; {
		if err = db.Ping(); err == nil {
			return cmd, nil
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(d + ".err")
			return cmd, fmt.Errorf("mariadbd (%s) did not answer on port %d: %v\n%s", name, port, err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (r *Replication) base(port int) string {
	return fmt.Sprintf("root@tcp(127.0.0.1:%d)/", port)
}

// Databases creates an empty database on the primary, waits until the
// replica has it too, and returns its DSN on each; it is dropped after
// the test.
func (r *Replication) Databases(t testing.TB) (primary, replica string) {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "mashang_r_" + hex.EncodeToString(b[:])
	admin := r.sql(t, r.primaryPort)
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec("DROP DATABASE IF EXISTS " + name) })
	r.CatchUp(t)
	return r.base(r.primaryPort) + name, r.base(r.replicaPort) + name
}

func (r *Replication) sql(t testing.TB, port int) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", r.base(port))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// CatchUp waits until the replica has applied everything the primary
// wrote so far.
func (r *Replication) CatchUp(t testing.TB) {
	t.Helper()
	var pos string
	if err := r.sql(t, r.primaryPort).QueryRow(`SELECT @@gtid_binlog_pos`).Scan(&pos); err != nil {
		t.Fatal(err)
	}
	var got int
	replica := r.sql(t, r.replicaPort)
	if err := replica.QueryRow(`SELECT MASTER_GTID_WAIT(?, 30)`, pos).Scan(&got); err != nil || got != 0 {
		t.Fatalf("the replica did not reach %s within 30 s (%d, %v): %s", pos, got, err, r.replicaErrors(replica))
	}
}

// Pause stops the replica applying what it receives (STOP SLAVE
// SQL_THREAD): the primary's writes wait in its relay log, a lag as real
// as a slow replica's, until Resume.
func (r *Replication) Pause(t testing.TB) {
	t.Helper()
	if _, err := r.sql(t, r.replicaPort).Exec(`STOP SLAVE SQL_THREAD`); err != nil {
		t.Fatal(err)
	}
}

// Resume applies what waited and goes on.
func (r *Replication) Resume(t testing.TB) {
	t.Helper()
	if _, err := r.sql(t, r.replicaPort).Exec(`START SLAVE SQL_THREAD`); err != nil {
		t.Fatal(err)
	}
}

// StopReplica shuts the replica's server down; StartReplica brings it back,
// replicating from where it was.
func (r *Replication) StopReplica(t testing.TB) {
	t.Helper()
	_ = r.replica.Process.Signal(syscall.SIGTERM)
	_ = r.replica.Wait()
}

func (r *Replication) StartReplica(t testing.TB) {
	t.Helper()
	cmd, err := r.start("replica", r.replicaPort, 2)
	r.replica = cmd
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := r.sql(t, r.replicaPort).ExecContext(ctx, `START SLAVE`); err != nil {
		t.Fatal(err)
	}
}

// replicaErrors are the replica's threads' last errors.
func (r *Replication) replicaErrors(replica *sql.DB) string {
	rows, err := replica.Query(`SHOW SLAVE STATUS`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	if !rows.Next() {
		return "not a replica"
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return err.Error()
	}
	out := ""
	for i, c := range cols {
		switch c {
		case "Slave_IO_Running", "Slave_SQL_Running", "Last_IO_Error", "Last_SQL_Error", "Gtid_IO_Pos":
			out += fmt.Sprintf("%s=%s ", c, vals[i])
		}
	}
	return out
}
