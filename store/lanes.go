package store

import (
	"sync"
	"sync/atomic"
	"time"
)

// laneSet runs the MySQL group writer's lanes: a few always, and more for
// as long as groups stall.
//
// Few lanes make big groups, and a group of joins costs a few statements
// however many pushes it holds (batch.go); that is the batch's gain. But a
// group that opens a case runs it statement by statement (some twenty round
// trips) and may wait for a deputy's lock another case holds, and a group
// can wait for a citizen another group or instance holds. With two lanes,
// two such groups held every other push of the instance behind them: in
// the province's day (mashang-bench province), where mornings open cases
// by the hundred, the batch answered fewer pushes than the 32 lanes before
// it. So while fewer than the steady lanes are moving (idle, or in a group
// younger than stallAfter) and pushes wait, the set adds a lane; an added
// lane leaves once the queue is empty or the steady lanes move again.
type laneSet struct {
	steady int
	jobs   <-chan *writeJob
	run    func(*writeJob)

	mu    sync.Mutex // guards lanes[i].alive
	lanes [maxLanes]lane
	added atomic.Int64 // lanes added since the start, for tests and the log

	running  sync.WaitGroup
	stop     chan struct{}
	watching sync.WaitGroup
}

type lane struct {
	alive bool
	since atomic.Int64 // when its running group began, in UnixNano; 0 idle
}

const (
	// maxLanes bounds the lanes, and so the connections they hold, however
	// many groups stall: 32 lanes, the design before the batch, held 1,791
	// pushes/s where 2 held 5,842 (2026-12-06). A bound of 8 did as well
	// as 16 in the province's day, pages included (README).
	maxLanes = 16
	// stallAfter is how long a group runs before it counts as stalled. A
	// group of joins took 3–10 ms in the callback bench (p99 11 ms); one
	// that opens a case, 20 ms and more under load.
	stallAfter = 15 * time.Millisecond
	// stallCheck is how often the watch looks, while pushes wait.
	stallCheck = 5 * time.Millisecond
)

// start runs steady lanes taking jobs until jobs is closed, each job the
// first of a group run by run, and the watch that adds lanes. With no
// steady lanes there is no watch: the jobs wait for whoever takes them.
func (l *laneSet) start(steady int, jobs <-chan *writeJob, run func(*writeJob)) {
	l.steady, l.jobs, l.run = min(steady, maxLanes), jobs, run
	for i := range l.steady {
		l.lanes[i].alive = true
		l.running.Go(func() {
			for job := range l.jobs {
				l.group(i, job)
			}
		})
	}
	if l.steady > 0 {
		l.stop = make(chan struct{})
		l.watching.Go(l.watch)
	}
}

// wait returns once every lane has ended; jobs must be closed first.
func (l *laneSet) wait() {
	if l.stop != nil {
		close(l.stop)
		l.watching.Wait()
	}
	l.running.Wait()
}

func (l *laneSet) group(i int, job *writeJob) {
	l.lanes[i].since.Store(time.Now().UnixNano())
	l.run(job)
	l.lanes[i].since.Store(0)
}

// moving counts the lanes, other than skip, that are idle or in a group
// younger than stallAfter, and finds a lane not running (-1: none). l.mu
// is held.
func (l *laneSet) moving(skip int) (moving, free int) {
	now := time.Now().UnixNano()
	free = -1
	for i := range l.lanes {
		if !l.lanes[i].alive {
			if free < 0 {
				free = i
			}
			continue
		}
		if since := l.lanes[i].since.Load(); i != skip && (since == 0 || now-since < int64(stallAfter)) {
			moving++
		}
	}
	return moving, free
}

// watch adds a lane, one a look, while pushes wait and fewer than the
// steady lanes are moving.
func (l *laneSet) watch() {
	tick := time.NewTicker(stallCheck)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
		if len(l.jobs) == 0 {
			continue
		}
		l.mu.Lock()
		if moving, free := l.moving(-1); moving < l.steady && free >= 0 {
			l.lanes[free].alive = true
			l.added.Add(1)
			l.running.Go(func() { l.extra(free) })
		}
		l.mu.Unlock()
	}
}

// extra is an added lane: it runs groups while pushes wait and the other
// lanes are not moving enough, then ends.
func (l *laneSet) extra(i int) {
	defer func() {
		l.mu.Lock()
		l.lanes[i].alive = false
		l.mu.Unlock()
	}()
	for {
		select {
		case job, ok := <-l.jobs:
			if !ok {
				return
			}
			l.group(i, job)
		default:
			return
		}
		l.mu.Lock()
		moving, _ := l.moving(i)
		l.mu.Unlock()
		if moving >= l.steady {
			return
		}
	}
}
