package handlers

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"mashang"
	"mashang/web"
)

// AccountService signs staff in and out (*mashang.Accounts).
type AccountService interface {
	Login(ctx context.Context, username, password, ip string) (mashang.StaffSession, error)
	Session(ctx context.Context, token string) (mashang.StaffSession, error)
	Logout(ctx context.Context, s mashang.StaffSession, ip string) error
	// APISession finds the staff member behind a staff API token.
	APISession(ctx context.Context, token string) (mashang.StaffSession, error)
}

// ConsoleReader reads what the console shows, within a staff member's reach (*store.DB).
type ConsoleReader interface {
	ReachOf(ctx context.Context, u mashang.StaffUser) (mashang.Reach, error)
	ConsoleCases(ctx context.Context, r mashang.Reach, f mashang.CaseFilter) ([]mashang.Case, error)
	ConsoleCase(ctx context.Context, r mashang.Reach, number string) (mashang.Case, []mashang.CaseEvent, []mashang.Upload, error)
	StationsWithin(ctx context.Context, r mashang.Reach) ([]mashang.Station, error)
	StationGroupNames(ctx context.Context, stationID int64) ([]string, error)
	FigureGroups(ctx context.Context, r mashang.Reach, from, to, now time.Time) ([]mashang.FigureGroup, error)
	DepartmentFigures(ctx context.Context, r mashang.Reach, from, to, now time.Time) ([]mashang.DepartmentTally, error)
	// ProblemList is the problem list (问题建议清单) of the handed cases
	// within reach that match the filter.
	ProblemList(ctx context.Context, r mashang.Reach, f mashang.CaseFilter) ([]mashang.Problem, error)
	// Departments are every department, named as ChooseDepartment reads them.
	Departments(ctx context.Context) ([]mashang.Department, error)
	SupervisionBoard(ctx context.Context, r mashang.Reach) ([]mashang.BoardRow, error)
	CaseMessages(ctx context.Context, caseID int64) ([]mashang.CaseMessage, error)
	// CaseDepartments are the departments a case is handed to, the lead first.
	CaseDepartments(ctx context.Context, caseID int64) ([]mashang.CaseDepartment, error)
	// CaseResults are the results the case's departments recorded.
	CaseResults(ctx context.Context, caseID int64) ([]mashang.DepartmentResult, error)
	ResultAttachment(ctx context.Context, caseID int64, id string) (mashang.ResultAttachment, error)
}

const (
	consoleCookie  = "mashang_staff"
	staffKey       = "staff_session"
	reachKey       = "staff_reach"
	consolePageLen = 50
)

type console struct {
	deps    ConsoleDeps
	exports *exportLimiter
}

func (con *console) setCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: consoleCookie, Value: value, Path: "/console", MaxAge: maxAge,
		HttpOnly: true, Secure: secureCookie(c, con.deps.PublicURL), SameSite: http.SameSiteStrictMode})
}

// page renders a console template with what every page shows, and what
// the action before it said (its flash).
func (con *console) page(c *gin.Context, status int, name string, data gin.H) {
	if s, ok := c.Get(staffKey); ok {
		session := s.(mashang.StaffSession)
		data["User"], data["CSRF"], data["RoleLabel"] = session.User, session.CSRF, mashang.RoleLabel(session.User.Role)
		if status == http.StatusOK {
			con.flashes().take(c, session.CSRF).show(data)
		}
		data["Can"] = mashang.Permissions(session.User.Role) // the buttons shown are the ones that work
		if status == http.StatusOK {
			data["TodoCount"] = con.todoCount(c, session.User.Role)
		}
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("X-Frame-Options", "DENY")
	c.Header("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'")
	c.Status(status)
	if err := web.Templates.ExecuteTemplate(c.Writer, name, data); err != nil {
		con.deps.Log.Error("console page", "page", name, "err", err, requestIDKey, c.GetString(requestIDKey))
	}
}

func (con *console) flashes() flashes {
	return flashes{path: "/console", sameSite: http.SameSiteStrictMode, publicURL: con.deps.PublicURL}
}

// said goes to a console page after an action; the page says f, once.
func (con *console) said(c *gin.Context, to string, f flash) {
	con.flashes().redirect(c, to, c.MustGet(staffKey).(mashang.StaffSession).CSRF, f)
}

// signInCookie holds the sign-in form's own token before there is a
// session: the form is taken only with the token in both the cookie and
// the form, and from this site, so another site cannot sign a browser into
// an account of its choosing (login CSRF) and watch what its victim types
// there.
const signInCookie = "mashang_signin"

func (con *console) loginPage(c *gin.Context) {
	con.signInForm(c, http.StatusOK, "")
}

// signInForm shows the sign-in form with a fresh token, saying message.
func (con *console) signInForm(c *gin.Context, status int, message string) {
	token := rand.Text()
	http.SetCookie(c.Writer, &http.Cookie{Name: signInCookie, Value: token, Path: "/console/login", HttpOnly: true,
		Secure: secureCookie(c, con.deps.PublicURL), SameSite: http.SameSiteStrictMode})
	data := gin.H{"Title": "登录", "CSRF": token, "MaxFailed": mashang.MaxFailedLogins}
	if message != "" {
		data["Error"] = message
	}
	con.page(c, status, "console_login.html", data)
}

func (con *console) login(c *gin.Context) {
	if err := readForm(c); err != nil {
		con.fail(c, err)
		return
	}
	token, _ := c.Cookie(signInCookie)
	if token == "" || subtle.ConstantTimeCompare([]byte(c.PostForm("csrf")), []byte(token)) != 1 || !sameOrigin(c) {
		con.signInForm(c, http.StatusForbidden, "登录页面已过期或来源不明，请在本页重新输入用户名和密码。")
		return
	}
	s, err := con.deps.Accounts.Login(c.Request.Context(), c.PostForm("username"), c.PostForm("password"), c.ClientIP())
	if err != nil {
		switch mashang.ErrorCode(err) {
		case mashang.ERATELIMITED:
			c.Header("Retry-After", "60") // the count is per minute
		case mashang.EUNAVAILABLE:
			c.Header("Retry-After", "5") // sign-ins taking their turns, or the database away
		}
		con.signInForm(c, logged(c, con.deps.Log, err), mashang.ErrorMessage(err))
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: signInCookie, Path: "/console/login", MaxAge: -1, HttpOnly: true,
		Secure: secureCookie(c, con.deps.PublicURL), SameSite: http.SameSiteStrictMode})
	con.setCookie(c, s.Token, int(mashang.SessionLifetime.Seconds()))
	c.Redirect(http.StatusSeeOther, "/console/")
}

// signedIn admits requests with a live session; every POST must also carry
// the session's CSRF token and, if the browser says where it came from,
// come from here.
func (con *console) signedIn(c *gin.Context) {
	token, _ := c.Cookie(consoleCookie)
	s, err := con.deps.Accounts.Session(c.Request.Context(), token)
	if err != nil {
		if statusFor(err) >= 500 {
			con.fail(c, err)
			c.Abort()
			return
		}
		c.Redirect(http.StatusSeeOther, "/console/login")
		c.Abort()
		return
	}
	if c.Request.Method == http.MethodPost {
		if err := readForm(c); err != nil {
			c.Set(staffKey, s)
			con.fail(c, err)
			c.Abort()
			return
		}
		if subtle.ConstantTimeCompare([]byte(c.PostForm("csrf")), []byte(s.CSRF)) != 1 || !sameOrigin(c) {
			c.Set(staffKey, s)
			con.fail(c, mashang.Errorf(mashang.EFORBIDDEN, "表单已过期或来源不明（CSRF 校验未通过），请返回页面刷新后重试。"))
			c.Abort()
			return
		}
	}
	reach, err := con.deps.Console.ReachOf(c.Request.Context(), s.User)
	if err != nil {
		con.fail(c, err)
		c.Abort()
		return
	}
	c.Set(staffKey, s)
	c.Set(reachKey, reach)
	c.Next()
}

// sameOrigin checks Origin (or Referer) when the browser sends one.
func sameOrigin(c *gin.Context) bool {
	from := c.GetHeader("Origin")
	if from == "" {
		from = c.GetHeader("Referer")
	}
	if from == "" || from == "null" {
		return from == ""
	}
	u, err := url.Parse(from)
	return err == nil && u.Host == c.Request.Host
}

func (con *console) logout(c *gin.Context) {
	s := c.MustGet(staffKey).(mashang.StaffSession)
	if err := con.deps.Accounts.Logout(c.Request.Context(), s, c.ClientIP()); err != nil {
		con.deps.Log.Error("console logout", "err", err)
	}
	con.setCookie(c, "", -1)
	c.Redirect(http.StatusSeeOther, "/console/login")
}

type option struct{ Value, Label string }

// caseFilter reads the inbox's filter from the query, the department
// named as everywhere in the console (ChooseDepartment): the inbox and the
// problem list read it alike.
func (con *console) caseFilter(c *gin.Context) (mashang.CaseFilter, error) {
	f := mashang.CaseFilter{Status: c.Query("status"), StationCode: c.Query("station"), Text: strings.TrimSpace(c.Query("q")),
		Colour: c.Query("colour"), Group: c.Query("group"), Category: c.Query("category"),
		Department: strings.TrimSpace(c.Query("department")), From: c.Query("from"), To: c.Query("to"), Untaken: c.Query("untaken") == "1"}
	if f.Department == "" {
		return f, nil
	}
	depts, err := con.deps.Console.Departments(c.Request.Context())
	if err != nil {
		return f, err
	}
	d, err := mashang.ChooseDepartment(depts, f.Department, "全市")
	f.DepartmentID = d.ID
	return f, err
}

func (con *console) inbox(c *gin.Context) {
	reach := c.MustGet(reachKey).(mashang.Reach)
	f, err := con.caseFilter(c)
	if err != nil {
		con.fail(c, err)
		return
	}
	f.Before, _ = strconv.ParseInt(c.Query("before"), 10, 64)
	f.Limit = consolePageLen
	cases, err := con.deps.Console.ConsoleCases(c.Request.Context(), reach, f)
	if err != nil {
		con.fail(c, err)
		return
	}
	stations, err := con.deps.Console.StationsWithin(c.Request.Context(), reach)
	if err != nil {
		con.fail(c, err)
		return
	}
	next := ""
	if len(cases) == consolePageLen {
		next = nextPage(c, "/console/", cases[len(cases)-1].ID)
	}
	var statuses []option
	for _, s := range []string{mashang.CaseOpen, mashang.CaseHeld, mashang.CaseAccepted, mashang.CaseHanded, mashang.CaseReopened, mashang.CaseClosed} {
		statuses = append(statuses, option{s, mashang.Case{Status: s}.StatusLabel()})
	}
	colours := []option{{mashang.ColourGreen, "绿灯"}, {mashang.ColourYellow, "黄灯"}, {mashang.ColourRed, "红灯"}}
	con.page(c, http.StatusOK, "console_inbox.html", gin.H{"Title": "问题列表", "Cases": cases, "Stations": stations,
		"Filter": f, "Statuses": statuses, "Colours": colours, "Next": next, "ProblemsHere": problemsLink(c)})
}

// problemsLink is the problem list of what the inbox shows: the filter's
// own fields (caseFilter's), nothing else the address carried.
func problemsLink(c *gin.Context) string {
	q := url.Values{}
	for _, key := range []string{"status", "station", "colour", "group", "category", "department", "from", "to", "q", "untaken"} {
		if v := c.Query(key); v != "" {
			q.Set(key, v)
		}
	}
	if len(q) == 0 {
		return "/console/problems.xlsx"
	}
	return "/console/problems.xlsx?" + q.Encode()
}

// nextPage is the address of a keyset-paged list's next page: the same
// query, from before the last ID shown.
func nextPage(c *gin.Context, path string, lastID int64) string {
	q := c.Request.URL.Query()
	q.Set("before", strconv.FormatInt(lastID, 10))
	return path + "?" + q.Encode()
}

// reachable reads a case within the staff member's reach; outside it, 404.
func (con *console) reachable(c *gin.Context) (mashang.Case, []mashang.CaseEvent, []mashang.Upload, bool) {
	reach := c.MustGet(reachKey).(mashang.Reach)
	k, events, photos, err := con.deps.Console.ConsoleCase(c.Request.Context(), reach, c.Param("number"))
	if err != nil {
		con.fail(c, err)
		return k, nil, nil, false
	}
	return k, events, photos, true
}

func (con *console) casePage(c *gin.Context) {
	k, events, photos, ok := con.reachable(c)
	if !ok {
		return
	}
	groups, err := con.deps.Console.StationGroupNames(c.Request.Context(), k.StationID)
	if err != nil {
		con.fail(c, err)
		return
	}
	messages, err := con.deps.Console.CaseMessages(c.Request.Context(), k.ID)
	if err != nil {
		con.fail(c, err)
		return
	}
	departments, err := con.deps.Console.CaseDepartments(c.Request.Context(), k.ID)
	if err != nil {
		con.fail(c, err)
		return
	}
	results, err := con.deps.Console.CaseResults(c.Request.Context(), k.ID)
	if err != nil {
		con.fail(c, err)
		return
	}
	walkin, err := con.walkinOf(c.Request.Context(), k)
	if err != nil {
		con.fail(c, err)
		return
	}
	draft, _ := mashang.PendingDraft(events)
	user := c.MustGet(staffKey).(mashang.StaffSession).User
	shown := mashang.TimelineFor(events, mashang.ConsoleAudience(user.Role))
	// The deputies' suggestions raised from it, for those who read suggestions.
	var suggestions []mashang.CaseLink
	if mashang.Allowed(user.Role, mashang.ActSuggestions) {
		if suggestions, err = con.deps.Suggestions.Reader.CaseSuggestions(c.Request.Context(), k.ID, false); err != nil {
			con.fail(c, err)
			return
		}
	}
	// A handler acknowledges their own department's part, once, while the case is open.
	var mine *mashang.CaseDepartment
	for i, d := range departments {
		if user.DepartmentID != 0 && d.DepartmentID == user.DepartmentID && d.AcknowledgedAt == nil &&
			k.Status != mashang.CaseClosed && k.Status != mashang.CaseMerged {
			mine = &departments[i]
		}
	}
	con.page(c, http.StatusOK, "console_case.html", gin.H{"Title": "问题 " + k.Number, "Case": k, "Events": shown, "Messages": messages, "Draft": draft,
		"Departments": departments, "ToAcknowledge": mine, "Results": results,
		"MyDepartment": slices.ContainsFunc(departments, func(d mashang.CaseDepartment) bool { return d.DepartmentID == user.DepartmentID }),
		"CanHandOver":  k.Status != mashang.CaseClosed && k.Status != mashang.CaseHeld && k.Status != mashang.CaseMerged,
		"Photos":       photos, "Groups": groups, "MaskedOpenID": maskID(k.OpenID), "RatingLabel": mashang.RatingLabel(k.Rating),
		"CanMove": mashang.Movable(k) == nil, "Walkin": walkin, "Suggestions": suggestions})
}

// moveForm is the form moving a case out of its station: the city's other
// stations by district, and the congress one level up. It is a page of its
// own, not a card of the case page, because a city has hundreds of
// stations: read and rendered on every view of every case, they were the
// largest share of a sitting's database time while a case is seldom moved.
func (con *console) moveForm(c *gin.Context) {
	k, _, _, ok := con.reachable(c)
	if !ok {
		return
	}
	if err := mashang.Movable(k); err != nil {
		con.fail(c, err)
		return
	}
	moves, err := con.deps.Rerouting.MoveChoices(c.Request.Context(), k.StationID)
	if err != nil {
		con.fail(c, err)
		return
	}
	con.page(c, http.StatusOK, "console_move.html", gin.H{"Title": "转出问题 " + k.Number, "Case": k, "Moves": moves, "Districts": moves.ByDistrict()})
}

// caseAct is one action on a case page's form: it says, for the audit log
// and the page, what was asked and what happens, and gives the work to do
// as staff (run in the audit's transaction).
type caseAct func(c *gin.Context, k mashang.Case, staff string) (detail, done string, run func(context.Context) error)

// act wraps an action: the case must be within reach (else 404), and the
// outcome, refusals too, goes to the audit log and back to the case page.
func (con *console) act(name string, do caseAct) gin.HandlerFunc {
	return func(c *gin.Context) {
		k, _, _, ok := con.reachable(c)
		if !ok {
			return
		}
		s := c.MustGet(staffKey).(mashang.StaffSession)
		detail, done, run := do(c, k, s.User.Name)
		err := con.audited(c, name, k.Number, detail, run)
		con.acted(c, k, name, done, err)
	}
}

func (con *console) reply(c *gin.Context, k mashang.Case, staff string) (string, string, func(context.Context) error) {
	return c.PostForm("text"), "答复已发送", func(ctx context.Context) error {
		return con.deps.Replies.Reply(ctx, k.Number, staff, c.PostForm("text"))
	}
}

func (con *console) reroute(c *gin.Context, k mashang.Case, staff string) (string, string, func(context.Context) error) {
	return c.PostForm("group") + "：" + c.PostForm("reason"), "已改派", func(ctx context.Context) error {
		_, err := con.deps.Rerouting.Reroute(ctx, k.Number, c.PostForm("group"), "", staff, c.PostForm("reason"))
		return err
	}
}

// move answers the case page's form moving the case to another station
// ("station": its code) or up to the congress of a higher level ("up"). A
// staff member may move a case out of their own reach: then they land on
// their inbox, saying where it went.
func (con *console) move(c *gin.Context) {
	k, _, _, ok := con.reachable(c)
	if !ok {
		return
	}
	to := mashang.MoveTarget{StationCode: c.PostForm("station")}
	if to.StationCode == "up" {
		to = mashang.MoveTarget{Up: true}
	}
	staff := c.MustGet(staffKey).(mashang.StaffSession).User.Name
	var moved mashang.Case
	err := con.audited(c, mashang.ActMove, k.Number, moveDetail(to.StationCode, to.Up, c.PostForm("reason")), func(ctx context.Context) error {
		var err error
		moved, err = con.deps.Rerouting.Move(ctx, k.Number, to, staff, c.PostForm("reason"))
		return err
	})
	if err != nil {
		con.acted(c, k, mashang.ActMove, "", err)
		return
	}
	done := fmt.Sprintf("问题 %s 已转至「%s」", k.Number, moved.StationName)
	if _, _, _, err := con.deps.Console.ConsoleCase(c.Request.Context(), c.MustGet(reachKey).(mashang.Reach), k.Number); err != nil {
		con.said(c, "/console/", flash{Done: done + "，已不在您的辖区内"})
		return
	}
	con.acted(c, k, mashang.ActMove, done, nil)
}

func (con *console) handOver(c *gin.Context, k mashang.Case, staff string) (string, string, func(context.Context) error) {
	days, _ := strconv.Atoi(c.PostForm("days"))
	co := coDepartments(c)
	return handOverDetail(c.PostForm("department"), co, c.PostForm("days")), "已交办", func(ctx context.Context) error {
		_, err := con.deps.Supervision.HandOver(ctx, k.Number, c.PostForm("department"), co, days, staff, c.PostForm("note"))
		return err
	}
}

// coDepartments reads the co-handling departments (协办) of a hand-over
// form: one field, the names separated by 、 or commas.
func coDepartments(c *gin.Context) []string {
	var out []string
	for _, v := range c.PostFormArray("co") {
		for _, name := range strings.FieldsFunc(v, func(r rune) bool { return r == '、' || r == ',' || r == '，' || r == ';' || r == '；' }) {
			if name = strings.TrimSpace(name); name != "" {
				out = append(out, name)
			}
		}
	}
	return out
}

// recordResult is a department's handler recording its result (办理结果):
// a text and up to mashang.MaxResultFiles attachments.
func (con *console) recordResult(c *gin.Context, k mashang.Case, _ string) (string, string, func(context.Context) error) {
	u := c.MustGet(staffKey).(mashang.StaffSession).User
	return resultForm(c, func(ctx context.Context, files []mashang.ResultFile) error {
		return con.deps.Supervision.RecordResult(ctx, k.Number, u, c.PostForm("text"), files)
	})
}

// resultForm reads a department's result form (the console's and the
// handlers' phone page alike): the audit line's detail, what the page says
// when it is done, and the work, which reads the attachments as uploaded
// and gives them to record.
func resultForm(c *gin.Context, record func(ctx context.Context, files []mashang.ResultFile) error) (string, string, func(context.Context) error) {
	var headers []*multipart.FileHeader
	if c.Request.MultipartForm != nil {
		headers = c.Request.MultipartForm.File["attachment"]
	}
	return fmt.Sprintf("%s（附件%d个）", c.PostForm("text"), len(headers)), "办理结果已提交，等待人大工作人员审核", func(ctx context.Context) error {
		files, err := uploadedFiles(c, "attachment")
		if err != nil {
			return err
		}
		return record(ctx, files)
	}
}

// resultAttachment serves an attachment of a department's result to staff
// who reach the case: as a download, never rendered as this site's page.
func (con *console) resultAttachment(c *gin.Context) {
	k, _, _, ok := con.reachable(c)
	if !ok {
		return
	}
	a, err := con.deps.Console.ResultAttachment(c.Request.Context(), k.ID, c.Param("id"))
	if err != nil {
		con.fail(c, err)
		return
	}
	serveKept(c, con.deps.Media, mashang.SuggestionFile{ID: a.ID, Path: a.Path, ContentType: a.ContentType}, k.Number, con.fail)
}

// acknowledge is a department's handler acknowledging the case (签收).
func (con *console) acknowledge(c *gin.Context, k mashang.Case, _ string) (string, string, func(context.Context) error) {
	u := c.MustGet(staffKey).(mashang.StaffSession).User
	return "签收", "已签收", func(ctx context.Context) error { return con.deps.Supervision.Acknowledge(ctx, k.Number, u) }
}

func (con *console) closeCase(c *gin.Context, k mashang.Case, staff string) (string, string, func(context.Context) error) {
	return c.PostForm("result"), "已办结", func(ctx context.Context) error {
		return con.deps.Supervision.Close(ctx, k.Number, staff, c.PostForm("result"))
	}
}

func (con *console) accept(c *gin.Context, k mashang.Case, staff string) (string, string, func(context.Context) error) {
	return "", "已受理", func(ctx context.Context) error { return con.deps.Supervision.Accept(ctx, k.Number, staff) }
}

func (con *console) setCategory(c *gin.Context, k mashang.Case, staff string) (string, string, func(context.Context) error) {
	return c.PostForm("category"), "分类已修改", func(ctx context.Context) error {
		return con.deps.Supervision.SetCategory(ctx, k.Number, c.PostForm("category"), staff)
	}
}

func (con *console) reopen(c *gin.Context, k mashang.Case, staff string) (string, string, func(context.Context) error) {
	return c.PostForm("reason"), "已重新打开", func(ctx context.Context) error {
		return con.deps.Supervision.Reopen(ctx, k.Number, staff, c.PostForm("reason"))
	}
}

// merge closes this case into the main one the form names; the main case
// must be within reach too, and one beyond it is answered as unknown.
func (con *console) merge(c *gin.Context, k mashang.Case, staff string) (string, string, func(context.Context) error) {
	main := strings.TrimSpace(c.PostForm("main"))
	return "并入 " + main, "已合并到 " + main, func(ctx context.Context) error {
		if main != "" && main != k.Number {
			reach := c.MustGet(reachKey).(mashang.Reach)
			_, _, _, err := con.deps.Console.ConsoleCase(ctx, reach, main)
			if mashang.ErrorCode(err) == mashang.ENOTFOUND {
				return mashang.Errorf(mashang.EINVALID, "没有编号为 %s 的问题，请核对主问题的编号", main)
			} else if err != nil {
				return err
			}
		}
		return con.deps.Supervision.Merge(ctx, k.Number, main, staff)
	}
}

// bulkHandOver answers the inbox's form: the ticked cases to one department,
// each checked against the account's reach and audited on its own.
func (con *console) bulkHandOver(c *gin.Context) {
	s := c.MustGet(staffKey).(mashang.StaffSession)
	reach := c.MustGet(reachKey).(mashang.Reach)
	days, _ := strconv.Atoi(c.PostForm("days"))
	numbers := c.PostFormArray("number")
	var failed []string
	for _, number := range numbers {
		co := coDepartments(c)
		err := con.audited(c, "handover", number, handOverDetail(c.PostForm("department"), co, c.PostForm("days"))+"（批量）", func(ctx context.Context) error {
			if _, _, _, err := con.deps.Console.ConsoleCase(ctx, reach, number); err != nil {
				return err
			}
			_, err := con.deps.Supervision.HandOver(ctx, number, c.PostForm("department"), co, days, s.User.Name, c.PostForm("note"))
			return err
		})
		if err != nil {
			logged(c, con.deps.Log.With("action", "bulk handover", "case", number), err)
			failed = append(failed, number+"："+mashang.ErrorMessage(err))
		}
	}
	var f flash
	switch {
	case len(numbers) == 0:
		f.Error = "请先勾选要交办的问题"
	case len(failed) > 0:
		f.Error = fmt.Sprintf("交办%d件，%d件未交办：%s", len(numbers)-len(failed), len(failed), strings.Join(failed, "；"))
	default:
		f.Done = fmt.Sprintf("已交办%d件", len(numbers))
	}
	con.said(c, "/console/", f)
}

// acted goes back to the case page after an audited action, saying how it
// went.
func (con *console) acted(c *gin.Context, k mashang.Case, action, done string, err error) {
	con.said(c, "/console/cases/"+url.PathEscape(k.Number), outcome(c, con.deps.Log.With("action", action), done, err))
}

// photo serves a case's photo to staff who reach the case.
func (con *console) photo(c *gin.Context) {
	u, f, err := con.deps.Photos.Open(c.Request.Context(), c.Param("id"))
	if err != nil {
		con.fail(c, err)
		return
	}
	defer f.Close()
	reach := c.MustGet(reachKey).(mashang.Reach)
	if !con.photoReachable(c, reach, u) {
		con.fail(c, mashang.NotFound("照片"))
		return
	}
	servePhoto(c, u, f)
}

// caseMedia answers GET /console/cases/:number/media/:id: a photo or voice
// the citizen sent into a case within reach, as fetched from WeChat.
func (con *console) caseMedia(c *gin.Context) {
	k, _, _, ok := con.reachable(c)
	if !ok {
		return
	}
	messages, err := con.deps.Console.CaseMessages(c.Request.Context(), k.ID)
	if err != nil {
		con.fail(c, err)
		return
	}
	for _, m := range messages {
		if strconv.FormatInt(m.ID, 10) != c.Param("id") || m.MediaPath == "" {
			continue
		}
		r, o, err := con.deps.Media.Open(c.Request.Context(), m.MediaPath)
		if err != nil {
			con.fail(c, mashang.MediaUnreadable(err, "附件"))
			return
		}
		defer r.Close()
		// The type is the one the extension the fetcher chose says
		// (MediaFiles), never WeChat's word.
		c.Header("Content-Type", o.ContentType)
		c.Header("X-Content-Type-Options", "nosniff")
		c.Header("Cache-Control", "private, max-age=3600")
		http.ServeContent(c.Writer, c.Request, "", time.Time{}, r)
		return
	}
	con.fail(c, mashang.NotFound("附件"))
}

func (con *console) photoReachable(c *gin.Context, reach mashang.Reach, u mashang.Upload) bool {
	if u.CaseID == 0 {
		return reach.All
	}
	cases, err := con.deps.Console.ConsoleCases(c.Request.Context(), reach, mashang.CaseFilter{Before: u.CaseID + 1, Limit: 1})
	return err == nil && len(cases) == 1 && cases[0].ID == u.CaseID
}

// fail is how the console answers an error with a page of its own; an
// action answers with the case's page and the message (acted).
func (con *console) fail(c *gin.Context, err error) {
	err = overran(c, err)
	con.page(c, logged(c, con.deps.Log, err), "console_error.html", gin.H{"Title": "出错了", "Error": mashang.ErrorMessage(err)})
}
