package mashang

import (
	"net/url"
	"time"
)

// The to-do list (待办) is what needs a staff member within their reach:
// every alert the system raised for staff, and what waits on them —
// hand-overs no department acknowledged, cases reopened as 不满意, departments'
// results and deputies' drafts waiting to be reviewed and sent, consented
// closed cases waiting to be published on the wall. An item leaves when
// the thing it asks is done, or with one click: an alert is then marked
// done (by whom, when), a waiting item dismissed until it changes.

// TodoKind is where an item comes from.
type TodoKind string

const (
	TodoAlert        TodoKind = "alert"        // staff_alerts: nobody to notify, a photo held, a colour change …
	TodoHandover     TodoKind = "handover"     // a department has not acknowledged its hand-over (签收)
	TodoDissatisfied TodoKind = "dissatisfied" // the citizen rated 不满意 and the case is being handled again
	TodoResult       TodoKind = "result"       // a department's result waits to be reviewed and sent
	TodoDraft        TodoKind = "draft"        // a deputy's draft answer waits to be checked and sent
	TodoWall         TodoKind = "wall"         // a consented closed case waits to be published on the wall
)

// TodoKinds are the kinds in the order the list shows them.
var TodoKinds = []TodoKind{TodoAlert, TodoDissatisfied, TodoHandover, TodoResult, TodoDraft, TodoWall}

var todoLabels = map[TodoKind]string{TodoAlert: "系统提醒", TodoHandover: "交办未签收", TodoDissatisfied: "群众不满意",
	TodoResult: "办理结果待审核发送", TodoDraft: "代表答复待审核发送", TodoWall: "待发布到代表回音壁"}

// ParseTodoKind reads a kind from a form.
func ParseTodoKind(s string) (TodoKind, bool) {
	k := TodoKind(s)
	_, ok := todoLabels[k]
	return k, ok
}

// TodoPerSource bounds what each source lists and counts: past it the
// list says there is more, and the header count reads "N+". It keeps
// every console page's count fast however long a backlog grows.
const TodoPerSource = 100

// TodoItem is one thing waiting on staff.
type TodoItem struct {
	Kind        TodoKind
	CaseID      int64
	CaseNumber  string // "" for an alert about no case
	StationName string
	// Ref tells items of one kind on one case apart: the alert's ID, the
	// department's ID, the result's ID; 0 otherwise.
	Ref   int64
	Text  string
	Since time.Time // when it began waiting: a dismissal hides it until it changes after this
}

// Label names the item's kind.
func (t TodoItem) Label() string { return todoLabels[t.Kind] }

// Link is the page where the item is done.
func (t TodoItem) Link() string {
	switch {
	case t.Kind == TodoWall:
		return "/console/wall#" + t.CaseNumber
	case t.CaseNumber != "":
		return "/console/cases/" + url.PathEscape(t.CaseNumber)
	}
	return "/console/board"
}

// TodoCount is the header's count: Over says a source had more than
// TodoPerSource.
type TodoCount struct {
	N    int
	Over bool
}
