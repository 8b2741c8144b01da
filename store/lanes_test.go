package store

import (
	"sync"
	"testing"
	"time"
)

// While the steady lanes are stalled, lanes are added one for one, never
// more than maxLanes, however many jobs wait; once the groups move again
// the added lanes leave.
func TestLanesAreAddedWhileGroupsStallAndLeaveAfter(t *testing.T) {
	jobs := make(chan *writeJob, maxGroup)
	release := make(chan struct{})
	var mu sync.Mutex
	var inGroup, most int
	var l laneSet
	l.start(2, jobs, func(*writeJob) {
		mu.Lock()
		inGroup++
		most = max(most, inGroup)
		mu.Unlock()
		<-release
		mu.Lock()
		inGroup--
		mu.Unlock()
	})
	stuck := func() int {
		mu.Lock()
		defer mu.Unlock()
		return inGroup
	}
	for range 3 * maxLanes {
		jobs <- &writeJob{}
	}
	deadline := time.Now().Add(10 * time.Second)
	for stuck() < maxLanes {
		if time.Now().After(deadline) {
			t.Fatalf("%d groups running after 10 s with every lane stalled and jobs waiting; want %d lanes", stuck(), maxLanes)
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * stallCheck) // the watch has looked again
	if n := l.added.Load(); n != maxLanes-2 {
		t.Fatalf("%d lanes added to the 2 steady ones, want %d (maxLanes)", n, maxLanes-2)
	}
	close(release)
	for alive := maxLanes; alive > 2; alive = l.alive() {
		if time.Now().After(deadline) {
			t.Fatalf("%d lanes still running once every group was done, want the 2 steady ones", alive)
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(jobs)
	l.wait()
	if most != maxLanes {
		t.Fatalf("at most %d groups ran at once, want %d", most, maxLanes)
	}
}
