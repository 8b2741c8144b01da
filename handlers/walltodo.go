package handlers

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"mashang"
)

// WallReviewer lists the cases waiting for the results wall and those on it (*store.DB).
type WallReviewer interface {
	WallReviews(ctx context.Context, r mashang.Reach, limit int) (waiting, published []mashang.WallReview, err error)
}

// Publisher decides what the results wall shows (*mashang.Publishing).
type Publisher interface {
	Publish(ctx context.Context, number, staff, problem, result string) error
	Unpublish(ctx context.Context, number, staff, reason string) error
}

// TodoStore is the to-do list (待办) within a reach (*store.DB).
type TodoStore interface {
	TodoItems(ctx context.Context, r mashang.Reach, now time.Time) ([]mashang.TodoItem, bool, error)
	TodoCount(ctx context.Context, r mashang.Reach, now time.Time) (mashang.TodoCount, error)
	TodoDone(ctx context.Context, r mashang.Reach, kind mashang.TodoKind, number string, ref int64, who string, at time.Time) error
}

// wallPageLen bounds each list of the wall page.
const wallPageLen = 100

// wallPage answers GET /console/wall: the consented closed cases within
// reach waiting for a decision, each offered anonymised and editable with
// what still looks personal pointed out, and the cases on the wall.
func (con *console) wallPage(c *gin.Context) {
	reach := c.MustGet(reachKey).(mashang.Reach)
	waiting, published, err := con.deps.Wall.WallReviews(c.Request.Context(), reach, wallPageLen)
	if err != nil {
		con.fail(c, err)
		return
	}
	con.page(c, http.StatusOK, "console_wall.html", gin.H{"Title": "代表回音壁发布", "Waiting": waiting, "Published": published, "MaxLen": mashang.MaxWallTextLen})
}

// publish answers POST /console/wall/:number/publish with the texts as the
// staff member reviewed them.
func (con *console) publish(c *gin.Context, k mashang.Case, staff string) (string, string, func(context.Context) error) {
	problem, result := c.PostForm("problem"), c.PostForm("result")
	return problem + " / " + result, "已发布到代表回音壁", func(ctx context.Context) error {
		return con.deps.Publishing.Publish(ctx, k.Number, staff, problem, result)
	}
}

// unpublish answers POST /console/wall/:number/unpublish, with a reason.
func (con *console) unpublish(c *gin.Context, k mashang.Case, staff string) (string, string, func(context.Context) error) {
	return c.PostForm("reason"), "已从代表回音壁撤下", func(ctx context.Context) error {
		return con.deps.Publishing.Unpublish(ctx, k.Number, staff, c.PostForm("reason"))
	}
}

// wallAct is an action of the wall page: as a case page's action (reach,
// audit), answered back on the wall page.
func (con *console) wallAct(name string, do caseAct) gin.HandlerFunc {
	return func(c *gin.Context) {
		k, _, _, ok := con.reachable(c)
		if !ok {
			return
		}
		s := c.MustGet(staffKey).(mashang.StaffSession)
		detail, done, run := do(c, k, s.User.Name)
		err := con.audited(c, name, k.Number, detail, run)
		con.said(c, "/console/wall", outcome(c, con.deps.Log.With("action", name), done, err))
	}
}

// todoPage answers GET /console/todo: what waits on the staff member,
// within reach, each item linked to where it is done.
func (con *console) todoPage(c *gin.Context) {
	reach := c.MustGet(reachKey).(mashang.Reach)
	items, more, err := con.deps.Todo.TodoItems(c.Request.Context(), reach, time.Now())
	if err != nil {
		con.fail(c, err)
		return
	}
	con.page(c, http.StatusOK, "console_todo.html", gin.H{"Title": "待办", "Items": items, "More": more, "PerSource": mashang.TodoPerSource})
}

// todoDone answers POST /console/todo/done: one click marks an alert done,
// or dismisses a waiting item until it changes; audited, who and when kept.
func (con *console) todoDone(c *gin.Context) {
	s := c.MustGet(staffKey).(mashang.StaffSession)
	reach := c.MustGet(reachKey).(mashang.Reach)
	kind, ok := mashang.ParseTodoKind(c.PostForm("kind"))
	ref, _ := strconv.ParseInt(c.PostForm("ref"), 10, 64)
	number := c.PostForm("case")
	target := number
	if kind == mashang.TodoAlert {
		target = "提醒 " + strconv.FormatInt(ref, 10)
	}
	err := con.audited(c, mashang.ActTodo, target, "标为已处理："+mashang.TodoItem{Kind: kind}.Label(), func(ctx context.Context) error {
		if !ok {
			return mashang.Errorf(mashang.EINVALID, "待办事项的类型不对，请回到待办页面重新点击")
		}
		return con.deps.Todo.TodoDone(ctx, reach, kind, number, ref, s.User.Name, time.Now())
	})
	if mashang.ErrorCode(err) == mashang.ENOTFOUND {
		con.fail(c, err)
		return
	}
	con.said(c, "/console/todo", outcome(c, con.deps.Log.With("action", "todo done"), "已标为处理完毕", err))
}

// todoCount is the header's count of what waits on the staff member; ""
// for an account without a to-do list. A count that cannot be read leaves
// the page as it is, without the count.
func (con *console) todoCount(c *gin.Context, role string) string {
	r, ok := c.Get(reachKey)
	if !ok || !mashang.Allowed(role, mashang.ActTodo) {
		return ""
	}
	n, err := con.deps.Todo.TodoCount(c.Request.Context(), r.(mashang.Reach), time.Now())
	if err != nil {
		// The page is still served, so this is no failed request (no 500):
		// a warning that the count was left out, and why.
		con.deps.Log.Warn("to-do count left out of the page", "method", c.Request.Method, "route", c.FullPath(),
			"err", err, requestIDKey, c.GetString(requestIDKey))
		return ""
	}
	if n.Over {
		return strconv.Itoa(n.N) + "+"
	}
	return strconv.Itoa(n.N)
}
