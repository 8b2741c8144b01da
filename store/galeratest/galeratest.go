// Package galeratest starts a three-node MariaDB Galera cluster on loopback
// for tests: Debian's mariadbd started three times with data directories of
// their own, Debian's galera-4 as the provider, rsync for state transfer.
// It is what a provincial data centre runs, small: the fault tests prove on
// it that a node lost under load loses no citizen's matter.
package galeratest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	osuser "os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Where Debian puts what the cluster needs.
const (
	Mariadbd  = "/usr/sbin/mariadbd"
	InstallDB = "/usr/bin/mariadb-install-db"
	Provider  = "/usr/lib/galera/libgalera_smm.so"
)

// Available says what is missing for a cluster, or "" when nothing is.
func Available() string {
	for _, f := range []string{Mariadbd, InstallDB, Provider} {
		if _, err := os.Stat(f); err != nil {
			return f + " is missing (apt-get install mariadb-server galera-4 rsync)"
		}
	}
	if _, err := exec.LookPath("rsync"); err != nil {
		return "rsync is missing (apt-get install rsync)"
	}
	return ""
}

// BasePort is the first of the ports the cluster takes (40 of them), from
// MASHANG_TEST_GALERA_PORT, 18600 by default.
func BasePort() int {
	if p, err := strconv.Atoi(os.Getenv("MASHANG_TEST_GALERA_PORT")); err == nil && p > 0 {
		return p
	}
	return 18600
}

// Cluster is three nodes; Nodes[i] is node i.
type Cluster struct {
	dir   string
	Nodes []*Node
}

// Node is one mariadbd of the cluster.
type Node struct {
	c       *Cluster
	Index   int
	SQLPort int
	dir     string
	args    []string
	cmd     *exec.Cmd
	done    chan struct{}
	logFrom int64 // the error log's length when the node last started
}

// Start brings up a cluster of three nodes on ports from base: SQL on base+10+i,
// group communication on base+20+i, incremental state transfer on base+30+i,
// full state transfer (rsync) on base+40+i. Only node 0 has a data directory
// made by mariadb-install-db; the others join it by state transfer, as a node
// added to a running cluster does.
func Start(base int) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "mashang-galera-")
	if err != nil {
		return nil, err
	}
	// The joiner's rsync daemon may run as another user: it must reach the data.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir}
	// As root, the nodes run as mysql, as Debian runs them: the joiner's
	// rsync daemon, started by root, would write as nobody.
	user := "mysql"
	if os.Geteuid() != 0 {
		u, err := osuser.Current()
		if err != nil {
			return nil, err
		}
		user = u.Username
	}
	var gcomm []string
	for i := range 3 {
		gcomm = append(gcomm, fmt.Sprintf("127.0.0.1:%d", base+20+i))
	}
	for i := range 3 {
		nd := filepath.Join(dir, fmt.Sprintf("node%d", i))
		if err := os.MkdirAll(filepath.Join(nd, "data"), 0o755); err != nil {
			c.Stop()
			return nil, err
		}
		n := &Node{c: c, Index: i, SQLPort: base + 10 + i, dir: nd}
		n.args = []string{"--no-defaults", "--user=" + user,
			"--datadir=" + filepath.Join(nd, "data"), "--socket=" + filepath.Join(nd, "mysqld.sock"),
			"--pid-file=" + filepath.Join(nd, "mysqld.pid"), "--log-error=" + filepath.Join(nd, "error.log"),
			"--bind-address=127.0.0.1", "--port=" + strconv.Itoa(n.SQLPort),
			"--performance-schema=OFF", "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=32M",
			"--max-connections=300", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
			// What Galera asks of every node.
			"--binlog-format=ROW", "--innodb-autoinc-lock-mode=2", "--default-storage-engine=InnoDB",
			"--wsrep-on=ON", "--wsrep-provider=" + Provider, "--wsrep-cluster-name=mashang-test",
			"--wsrep-cluster-address=gcomm://" + strings.Join(gcomm, ","),
			fmt.Sprintf("--wsrep-node-name=node%d", i), "--wsrep-node-address=" + gcomm[i],
			fmt.Sprintf("--wsrep-node-incoming-address=127.0.0.1:%d", n.SQLPort),
			"--wsrep-sst-method=rsync", fmt.Sprintf("--wsrep-sst-receive-address=127.0.0.1:%d", base+40+i),
			fmt.Sprintf("--wsrep-provider-options=gmcast.listen_addr=tcp://%s;ist.recv_addr=127.0.0.1:%d;gcache.size=128M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S",
				gcomm[i], base+30+i),
		}
		c.Nodes = append(c.Nodes, n)
	}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chown", "-R", user+":", dir).CombinedOutput(); err != nil {
			c.Stop()
			return nil, fmt.Errorf("chown the cluster's folder: %v: %s", err, out)
		}
	}
	// A port in use would have the nodes' checks talk to whoever holds it.
	for i := 10; i < 50; i += 10 {
		for k := range 3 {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+i+k))
			if err != nil {
				c.Stop()
				return nil, fmt.Errorf("port %d is taken (a cluster left running? MASHANG_TEST_GALERA_PORT moves them): %w", base+i+k, err)
			}
			l.Close()
		}
	}
	out, err := exec.Command(InstallDB, "--no-defaults", "--user="+user, "--auth-root-authentication-method=normal",
		"--datadir="+filepath.Join(c.Nodes[0].dir, "data"), "--skip-test-db").CombinedOutput()
	if err != nil {
		c.Stop()
		return nil, fmt.Errorf("mariadb-install-db: %v: %s", err, out)
	}
	if err := c.Nodes[0].start("--wsrep-new-cluster"); err != nil {
		c.Stop()
		return nil, err
	}
	// One joiner at a time: a donor serves one state transfer at once.
	for _, n := range c.Nodes[1:] {
		if err := n.start(); err != nil {
			c.Stop()
			return nil, err
		}
	}
	return c, nil
}

// Stop kills every node and removes the cluster's files.
func (c *Cluster) Stop() {
	for _, n := range c.Nodes {
		n.Kill()
	}
	if c.dir != "" && os.Getenv("MASHANG_TEST_GALERA_KEEP") == "" {
		os.RemoveAll(c.dir)
	}
}

func (n *Node) start(extra ...string) error {
	if fi, err := os.Stat(filepath.Join(n.dir, "error.log")); err == nil {
		n.logFrom = fi.Size()
	}
	n.cmd = exec.Command(Mariadbd, append(append([]string{}, n.args...), extra...)...)
	n.cmd.SysProcAttr = procAttr()
	if err := n.cmd.Start(); err != nil {
		return fmt.Errorf("node %d: %w", n.Index, err)
	}
	done := make(chan struct{})
	n.done = done
	go func() { _ = n.cmd.Wait(); close(done) }()
	return n.WaitSynced(90 * time.Second)
}

// Restart starts a killed node again; it rejoins the cluster and catches up
// by incremental (or, failing that, full) state transfer.
func (n *Node) Restart() error { return n.start() }

// Kill is kill -9 of the node (and of a state transfer it was running).
func (n *Node) Kill() {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
	<-n.done
	n.cmd = nil
}

// Running is whether the node's process runs (not killed, or started again).
func (n *Node) Running() bool {
	if n.cmd == nil {
		return false
	}
	select {
	case <-n.done:
		return false
	default:
		return true
	}
}

// DSN is the address of database db on this node.
func (n *Node) DSN(db string) string {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr, cfg.DBName = "root", "tcp", fmt.Sprintf("127.0.0.1:%d", n.SQLPort), db
	cfg.ParseTime = true
	cfg.Timeout = 2 * time.Second
	return cfg.FormatDSN()
}

// Transfer says how the node caught up when it last started.
func (n *Node) Transfer() string {
	b, _ := os.ReadFile(filepath.Join(n.dir, "error.log"))
	if int64(len(b)) >= n.logFrom {
		b = b[n.logFrom:]
	}
	switch log := string(b); {
	case strings.Contains(log, "IST received"):
		return "incremental state transfer (IST)"
	case strings.Contains(log, "SST received") || strings.Contains(log, "SST succeeded"):
		return "full state transfer (rsync SST)"
	}
	return "no state transfer"
}

// Log is the node's error log, for a failing test to show.
func (n *Node) Log() string {
	b, _ := os.ReadFile(filepath.Join(n.dir, "error.log"))
	if len(b) > 6000 {
		b = b[len(b)-6000:]
	}
	return string(b)
}

// WaitSynced waits until the node answers and says it is Synced with the
// cluster (a joiner answers before its state transfer is done).
func (n *Node) WaitSynced(patience time.Duration) error {
	deadline := time.Now().Add(patience)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-n.done:
			return fmt.Errorf("node %d stopped while starting:\n%s", n.Index, n.Log())
		default:
		}
		state, err := n.status("wsrep_local_state_comment")
		if err == nil && state == "Synced" {
			return nil
		}
		last = err
		if err == nil {
			last = errors.New("state " + state)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("node %d not Synced after %s (%v):\n%s", n.Index, patience, last, n.Log())
}

// ask runs one question on the node, on a connection of its own, within
// two seconds.
func (n *Node) ask(question func(context.Context, *sql.DB) error) error {
	db, err := sql.Open("mysql", n.DSN(""))
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return question(ctx, db)
}

// status reads one of the node's wsrep status variables.
func (n *Node) status(name string) (v string, err error) {
	err = n.ask(func(ctx context.Context, db *sql.DB) error {
		var k string
		// SHOW takes no placeholders; the names are this package's own.
		return db.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE '"+name+"'").Scan(&k, &v)
	})
	return v, err
}

// Busy lists the node's statements running longer than a second, with
// their thread's state: a failed test's clue to a transaction that hangs
// (in a commit waiting for the cluster, say) holding its rows.
func (n *Node) Busy() (string, error) {
	var lines []string
	err := n.ask(func(ctx context.Context, db *sql.DB) error {
		rows, err := db.QueryContext(ctx, `SELECT id, command, time, COALESCE(state, ''), COALESCE(LEFT(info, 120), '')
			FROM information_schema.processlist WHERE command <> 'Sleep' AND time >= 1 AND id <> CONNECTION_ID()`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, seconds int64
			var command, state, info string
			if err := rows.Scan(&id, &command, &seconds, &state, &info); err != nil {
				return err
			}
			lines = append(lines, fmt.Sprintf("thread %d %s %d s %q %q", id, command, seconds, state, info))
		}
		return rows.Err()
	})
	return strings.Join(lines, "\n"), err
}

// Status reads one of the node's status variables (wsrep_cluster_size, say).
func (n *Node) Status(name string) (string, error) { return n.status(name) }

// CreateDatabase makes an empty database on the cluster (through node 0;
// Galera replicates the DDL to all) and returns its name.
func (c *Cluster) CreateDatabase() (string, error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "mashang_g_" + hex.EncodeToString(b[:])
	db, err := sql.Open("mysql", c.Nodes[0].DSN(""))
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		return "", fmt.Errorf("create a database on the cluster: %w", err)
	}
	return name, nil
}

// Isolate cuts the node off from the others (Galera's gmcast.isolate), as a
// broken network would: it leaves the primary component and refuses
// statements until Rejoin. The process keeps running.
func (n *Node) Isolate() error { return n.setIsolate(1) }

// Rejoin ends Isolate and waits until the node has caught up.
func (n *Node) Rejoin() error {
	if err := n.setIsolate(0); err != nil {
		return err
	}
	return n.WaitSynced(90 * time.Second)
}

func (n *Node) setIsolate(v int) error {
	db, err := sql.Open("mysql", n.DSN(""))
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(fmt.Sprintf("SET GLOBAL wsrep_provider_options = 'gmcast.isolate=%d'", v))
	return err
}
