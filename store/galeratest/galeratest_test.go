package galeratest

import (
	"database/sql"
	"os"
	"testing"
)

// The cluster the fault tests stand on: a row written on one node is read
// on the others, and a node killed and started again catches up.
func TestClusterReplicatesAndRejoins(t *testing.T) {
	if missing := Available(); missing != "" {
		if os.Getenv("MASHANG_TEST_REQUIRE_GALERA") != "" {
			t.Fatal(missing)
		}
		t.Skip(missing)
	}
	c, err := Start(BasePort() + 50) // beside the fault tests' cluster, should both run at once
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	name, err := c.CreateDatabase()
	if err != nil {
		t.Fatal(err)
	}
	open := func(i int) *sql.DB {
		db, err := sql.Open("mysql", c.Nodes[i].DSN(name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	n0, n1 := open(0), open(1)
	if _, err := n0.Exec("CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := n1.Exec("INSERT INTO t VALUES (1, 1)"); err != nil {
		t.Fatal(err)
	}
	c.Nodes[2].Kill()
	if _, err := n0.Exec("INSERT INTO t VALUES (2, 2)"); err != nil {
		t.Fatal(err)
	}
	if err := c.Nodes[2].Restart(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := open(2).QueryRow("SELECT COUNT(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Fatalf("the rejoined node has %d rows (%v), want 2", n, err)
	}
}
