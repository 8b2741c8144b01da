package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"mashang"
	"mashang/store"
	"mashang/store/galeratest"
	"mashang/wechat/wechattest"
)

// The same faults on a three-node MariaDB Galera cluster, what a provincial
// data centre runs so that no one machine's loss loses a citizen's matter:
// instances write through different nodes, and a node dies under load.

var (
	galeraOnce    sync.Once
	galeraCluster *galeratest.Cluster
	galeraErr     error
)

// cluster starts the cluster once per package run (TestMain stops it).
func cluster(t *testing.T) *galeratest.Cluster {
	t.Helper()
	if missing := galeratest.Available(); missing != "" {
		if os.Getenv("MASHANG_TEST_REQUIRE_GALERA") != "" {
			t.Fatal("the Galera tests must run: " + missing)
		}
		t.Skip(missing)
	}
	galeraOnce.Do(func() { galeraCluster, galeraErr = galeratest.Start(galeratest.BasePort()) })
	if galeraErr != nil {
		t.Fatal(galeraErr)
	}
	for _, n := range galeraCluster.Nodes {
		if err := n.WaitSynced(90 * time.Second); err != nil {
			t.Fatal(err) // an earlier test left a node down
		}
	}
	return galeraCluster
}

// galeraRig is a rig on a fresh database of the cluster; dsns[i] reaches it
// through node i.
func galeraRig(t *testing.T) (*rig, []string) {
	t.Helper()
	c := cluster(t)
	name, err := c.CreateDatabase()
	if err != nil {
		t.Fatal(err)
	}
	var dsns []string
	for _, n := range c.Nodes {
		dsns = append(dsns, n.DSN(name))
	}
	before := conflicts(c)
	t.Cleanup(func() {
		t.Logf("transactions that lost a conflict between nodes and ran again: %d", conflicts(c)-before)
		if t.Failed() {
			for _, n := range c.Nodes {
				t.Logf("node %d: %s", n.Index, nodeState(n))
			}
		}
	})
	return newRig(t, store.DriverMySQL, dsns[0]), dsns
}

// nodeState is what a failed test shows of a node: whether it runs, its
// view of the cluster, its long statements, and the last of its log.
func nodeState(n *galeratest.Node) string {
	if !n.Running() {
		return "not running"
	}
	var state []string
	for _, name := range []string{"wsrep_cluster_status", "wsrep_cluster_size", "wsrep_local_state_comment", "wsrep_flow_control_paused"} {
		v, err := n.Status(name)
		if err != nil {
			v = err.Error()
		}
		state = append(state, name+"="+v)
	}
	busy, err := n.Busy()
	if err != nil {
		busy = err.Error()
	}
	log := n.Log()
	return strings.Join(state, " ") + "\nstatements running a second or more:\n" + busy + "\n" + log[max(0, len(log)-2500):]
}

// conflicts counts, over the nodes, the transactions that failed
// certification or were aborted by another node's write set (a node
// restarted counts from zero again: the figure is a lower bound).
func conflicts(c *galeratest.Cluster) int {
	total := 0
	for _, n := range c.Nodes {
		for _, name := range []string{"wsrep_local_cert_failures", "wsrep_local_bf_aborts"} {
			v, _ := n.Status(name)
			k, _ := strconv.Atoi(v)
			total += k
		}
	}
	return total
}

// checkEveryNode runs the loop's checks through each node in turn, with
// causal reads: every node holds every acknowledged push, once.
func (r *rig) checkEveryNode(dsns []string, pushes, citizens int) {
	r.t.Helper()
	for _, dsn := range dsns {
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			r.t.Fatal(err)
		}
		cfg.Params = map[string]string{"wsrep_sync_wait": "1"}
		r.dsn = cfg.FormatDSN()
		r.check(pushes, citizens)
	}
}

// Two instances writing through two nodes, one killed with kill -9 mid-load:
// every acknowledged push is stored once on every node, one case per
// citizen, one notification per case.
func TestGaleraKilledInstanceLosesNothing(t *testing.T) {
	r, dsns := galeraRig(t)
	a := r.serve("a", "MASHANG_DB_DSN="+dsns[0])
	b := r.serve("b", "MASHANG_DB_DSN="+dsns[1])
	r.fake.StallNext("/cgi-bin/message/template/send", 300*time.Millisecond, 30)
	const citizens, texts = 80, 3
	all, load, setup := r.prepare([]*proc{a, b}, citizens, texts)
	acked, _ := r.deliver([]*proc{a, b}, all, load, 12, len(load)/3, b.kill)
	for i := range setup {
		acked[i] = true
	}
	if n := count(acked) - setup; n == len(load) {
		t.Fatal("the kill did not fall mid-load")
	}
	t.Logf("%d of %d texts acknowledged around the kill", count(acked)-setup, len(load))
	// b comes back on its node; WeChat's retries go to both.
	b = r.serve("b-again", "MASHANG_DB_DSN="+dsns[1])
	r.retryUntilStored([]*proc{a, b}, all, acked)
	r.checkEveryNode(dsns, len(all), citizens)
}

// One Galera node killed with kill -9 under load and started again: the
// instance on it answers 5xx (WeChat retries; the load balancer sees its
// readiness fail) and serves again once the node has rejoined, without a
// restart; nothing acknowledged is lost, nothing doubled, on any node.
func TestGaleraNodeKilledUnderLoad(t *testing.T) {
	r, dsns := galeraRig(t)
	c := cluster(t)
	a := r.serve("a", "MASHANG_DB_DSN="+dsns[0])
	b := r.serve("b", "MASHANG_DB_DSN="+dsns[1])
	const citizens, texts = 80, 3
	all, load, setup := r.prepare([]*proc{a, b}, citizens, texts)
	node := c.Nodes[1]
	// Whatever fails below, the next test finds three nodes.
	t.Cleanup(func() {
		if !node.Running() {
			for _, n := range c.Nodes {
				t.Logf("before node 1 starts again, node %d: %s", n.Index, nodeState(n))
			}
			if err := node.Restart(); err != nil {
				t.Log(err)
			}
		}
	})
	acked, unavailable := r.deliver([]*proc{a, b}, all, load, 12, len(load)/3, node.Kill)
	for i := range setup {
		acked[i] = true
	}
	t.Logf("%d of %d texts acknowledged around the node's death, %d answered 5xx", count(acked)-setup, len(load), unavailable)
	if unavailable == 0 {
		t.Fatal("no callback was answered 5xx while b's node was down")
	}
	if got := readyz(b); got != http.StatusServiceUnavailable {
		t.Fatalf("b's readiness with its node down: %d, want 503", got)
	}
	// Meanwhile the cluster goes on with two nodes: a takes every retry.
	r.retryUntilStored([]*proc{a}, all, acked)
	restarted := time.Now()
	if err := node.Restart(); err != nil {
		t.Fatal(err)
	}
	t.Logf("node 1 rejoined by %s, Synced %.1f s after its start", node.Transfer(), time.Since(restarted).Seconds())
	deadline := time.Now().Add(30 * time.Second)
	for readyz(b) != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("b is not ready 30 s after its node rejoined")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// b serves again: a citizen's next text through it is stored (in
	// the citizen's case).
	all = append(all, wechattest.Text(faultAccount, fmt.Sprintf("oFaultCitizen%015d", 0), 9_999_999, "灯还是不亮。", time.Now()))
	if again, _ := r.deliver([]*proc{b}, all, []int{len(all) - 1}, 1, 0, nil); !again[len(all)-1] {
		t.Fatal("b did not store a text after its node rejoined")
	}
	r.checkEveryNode(dsns, len(all), citizens)
	select {
	case <-b.done:
		t.Fatal("b died with its node")
	default:
	}
}

func readyz(p *proc) int {
	resp, err := http.Get("http://" + p.addr + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The outbox drained by three instances, one on each node, at once: every
// notification reaches WeChat once. The claim's row locks are local to a
// node; what keeps two nodes from sending one notification is that the
// claim writes the row, and Galera lets only one of two such commits in.
func TestGaleraOutboxClaimedOnThreeNodes(t *testing.T) {
	r, dsns := galeraRig(t)
	for i, dsn := range dsns {
		r.serve(fmt.Sprintf("sender%d", i), "MASHANG_DB_DSN="+dsn, "MASHANG_OUTBOX_LEASE=30s")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, store.DriverMySQL, dsns[0])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const notices = 300
	var items []mashang.OutboxItem
	for i := range notices {
		items = append(items, mashang.OutboxItem{Kind: "template", ToUser: faultDeputy, TemplateID: "TPL-FAULT",
			Data: map[string]string{"first": fmt.Sprintf("通知 %d", i)}, ClientMsgID: fmt.Sprintf("galera-%d", i)})
	}
	// In batches, as cases arrive, so that all three senders find work.
	for i := 0; i < notices; i += 20 {
		if err := db.EnqueueAll(ctx, items[i:i+20], time.Now()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.checkEveryNodeOutbox(dsns, notices)
	senders := map[string]int{}
	for i := range dsns {
		log, _ := os.ReadFile(r.dir + fmt.Sprintf("/sender%d.log", i))
		senders[fmt.Sprintf("sender%d", i)] = strings.Count(string(log), "notification sent")
	}
	t.Logf("notifications sent by each instance: %v", senders)
}

// checkEveryNodeOutbox waits for the outbox to empty and proves each of
// the n notifications reached the deputy once.
func (r *rig) checkEveryNodeOutbox(dsns []string, n int) {
	r.t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.DriverMySQL, dsns[2])
	if err != nil {
		r.t.Fatal(err)
	}
	defer db.Close()
	r.waitOutbox(db, time.Minute)
	time.Sleep(500 * time.Millisecond) // a second send, were there one, arrives now
	seen := map[string]int{}
	for _, d := range r.fake.Delivered(faultDeputy) {
		seen[d.Data["first"]]++
	}
	for k, times := range seen {
		if times > 1 {
			r.t.Fatalf("%q reached the deputy %d times", k, times)
		}
	}
	if len(seen) != n {
		r.t.Fatalf("the deputy got %d notifications, want %d", len(seen), n)
	}
}

// Two texts of one citizen taken at the same moment by two nodes open one
// case between them. On one MySQL server the citizen's row lock queues the
// second behind the first; on a cluster that lock holds on one node only,
// so the store writes the row (lock_serial), and Galera lets only the first
// of the two commit: the second runs again and joins the first's case.
func TestGaleraCitizensTextsOnTwoNodesOpenOneCase(t *testing.T) {
	c := cluster(t)
	name, err := c.CreateDatabase()
	if err != nil {
		t.Fatal(err)
	}
	before := conflicts(c)
	defer func() {
		t.Logf("transactions that lost a conflict between nodes and ran again: %d", conflicts(c)-before)
	}()
	ctx := context.Background()
	var intakes []*mashang.Intake
	for _, n := range c.Nodes[:2] {
		db, err := store.Open(ctx, store.DriverMySQL, n.DSN(name))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		intakes = append(intakes, &mashang.Intake{Store: db})
	}
	if err := intakes[0].Store.(*store.DB).SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	const citizens = 60
	now := time.Now().Truncate(time.Second)
	push := func(openid string, msgID int64, kind, eventName, key, content string) mashang.Inbound {
		return mashang.Inbound{Account: faultAccount, OpenID: openid, CreateTime: now, MsgType: kind, MsgID: msgID,
			Event: eventName, EventKey: key, Content: content, Raw: []byte("<xml/>"), ReceivedAt: now}
	}
	// A refused push is WeChat's to retry: here, at once, until stored.
	receive := func(in *mashang.Intake, m mashang.Inbound) error {
		var err error
		for range 20 {
			if _, err = in.Receive(ctx, m); err == nil {
				return nil
			}
			time.Sleep(20 * time.Millisecond)
		}
		return err
	}
	for i := range citizens {
		openid := fmt.Sprintf("oGaleraCitizen%014d", i)
		if err := receive(intakes[i%2], push(openid, 0, mashang.MsgEvent, mashang.EventSubscribe, "qrscene_st:demo-bdg", "")); err != nil {
			t.Fatal(err)
		}
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range citizens {
		openid := fmt.Sprintf("oGaleraCitizen%014d", i)
		for k, in := range intakes {
			wg.Go(func() {
				<-start
				if err := receive(in, push(openid, int64(100+k), mashang.MsgText, "", "", "楼道灯坏了。")); err != nil {
					t.Error(err)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	check, err := store.Open(ctx, store.DriverMySQL, c.Nodes[2].DSN(name)+"&wsrep_sync_wait=1")
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	if n, err := check.CountInbound(ctx); err != nil || n != 3*citizens {
		t.Fatalf("stored %d pushes (%v), want %d", n, err, 3*citizens)
	}
	if n, err := check.CountCases(ctx); err != nil || n != citizens {
		t.Fatalf("%d cases (%v), want one per citizen: %d", n, err, citizens)
	}
}

// A node cut off from the others by the network keeps running and still
// answers a ping, but refuses every statement: its instance fails
// readiness (so the load balancer sends WeChat elsewhere) and answers
// pushes 503, and is ready again, without a restart, once the node rejoins.
func TestGaleraPartitionedNodeIsNotReady(t *testing.T) {
	r, dsns := galeraRig(t)
	c := cluster(t)
	p := r.serve("cut-off", "MASHANG_DB_DSN="+dsns[2])
	all, _, _ := r.prepare([]*proc{p}, 1, 1)
	node := c.Nodes[2]
	if err := node.Isolate(); err != nil {
		t.Fatal(err)
	}
	rejoined := false
	defer func() {
		if !rejoined {
			_ = node.Rejoin() // for the tests after this one
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for readyz(p) != http.StatusServiceUnavailable {
		if time.Now().After(deadline) {
			t.Fatal("the instance on the cut-off node is still ready after 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	last := len(all) - 1
	if acked, unavailable := r.deliver([]*proc{p}, all, []int{last}, 1, 0, nil); acked[last] || unavailable != 1 {
		t.Fatalf("a push to the cut-off node: acknowledged %v, %d answered 5xx; want 503", acked[last], unavailable)
	}
	if err := node.Rejoin(); err != nil {
		t.Fatal(err)
	}
	rejoined = true
	for deadline = time.Now().Add(30 * time.Second); readyz(p) != http.StatusOK; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the instance is not ready 30 s after its node rejoined")
		}
	}
	acked := make([]bool, len(all))
	for i := range last {
		acked[i] = true
	}
	r.retryUntilStored([]*proc{p}, all, acked)
	r.checkEveryNode(dsns, len(all), 1)
}
