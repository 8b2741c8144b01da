package handlers

import (
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"mashang"
)

// Deputies' suggestions on three surfaces: the deputy raises, signs and
// evaluates on their phone (/d/suggestions), the congress office reviews,
// hands over and closes in the console (/console/suggestions), the bodies'
// handlers acknowledge, contact and answer on theirs (/h/suggestions).

// SuggestionService moves suggestions (*mashang.Suggestions).
type SuggestionService interface {
	Save(ctx context.Context, dep mashang.Deputy, id int64, in mashang.SuggestionInput) (int64, error)
	Sign(ctx context.Context, dep mashang.Deputy, id int64, confirm bool) error
	Submit(ctx context.Context, dep mashang.Deputy, id int64) error
	Withdraw(ctx context.Context, dep mashang.Deputy, id int64, reason string) error
	Evaluate(ctx context.Context, dep mashang.Deputy, id int64, answer, contact, comment string) error
	EnterPaper(ctx context.Context, staff, deputyCode string, in mashang.SuggestionInput, scan []mashang.ResultFile, allowed func(stationCode string) bool) (int64, error)
	Review(ctx context.Context, staff string, id int64, decision, reason string, into int64) error
	HandOver(ctx context.Context, staff string, id, lead int64, co []int64, long bool, reason string) (time.Time, error)
	Close(ctx context.Context, staff string, id int64, note string) error
	AcknowledgeSuggestion(ctx context.Context, id int64, u mashang.StaffUser) error
	RecordContact(ctx context.Context, id int64, u mashang.StaffUser, on time.Time, how, note string) error
	SendOpinion(ctx context.Context, id int64, u mashang.StaffUser, text string) error
	Answer(ctx context.Context, id int64, u mashang.StaffUser, in mashang.AnswerInput) error
}

// SuggestionReader reads suggestions as each surface may (*store.DB).
type SuggestionReader interface {
	// SuggestionsWithin and SuggestionWithin: within a staff account's
	// reach (a handler's: handed to their department); beyond it, not found.
	SuggestionsWithin(ctx context.Context, r mashang.Reach, status string, limit int) ([]mashang.Suggestion, error)
	SuggestionWithin(ctx context.Context, r mashang.Reach, id int64) (mashang.Suggestion, []mashang.CaseEvent, error)
	// DeputySuggestions and DeputySuggestion: a deputy's own and co-signed.
	DeputySuggestions(ctx context.Context, deputyID int64, limit int) ([]mashang.Suggestion, error)
	DeputySuggestion(ctx context.Context, deputyID, id int64) (mashang.Suggestion, []mashang.CaseEvent, error)
	SuggestionWork(ctx context.Context, id int64) (mashang.SuggestionWork, error)
	SuggestionFile(ctx context.Context, suggestionID int64, id string) (mashang.SuggestionFile, error)
	CaseSuggestions(ctx context.Context, caseID int64, drafts bool) ([]mashang.CaseLink, error)
	AnswerCategories(ctx context.Context) ([]mashang.AnswerCategory, error)
	DepartmentsOfStation(ctx context.Context, stationID int64) ([]mashang.Department, error)
	SetSession(ctx context.Context, s mashang.CongressSession) error
	SetAnswerCategory(ctx context.Context, c mashang.AnswerCategory) error
	Sessions(ctx context.Context) ([]mashang.CongressSession, error)
}

// SuggestionDeps serve suggestions on all three surfaces.
type SuggestionDeps struct {
	Service SuggestionService
	Reader  SuggestionReader
	// Media reads the scans and answer letters.
	Media MediaReader
	// Calendar colours the five-working-day hand-over rule in the list.
	Calendar mashang.Calendar
}

// suggestionID reads the route's :id; an unreadable one is not found.
func suggestionID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, mashang.Errorf(mashang.ENOTFOUND, "没有找到这件建议")
	}
	return id, nil
}

// suggestionForm reads what a deputy wrote, or staff copied from paper.
func suggestionForm(c *gin.Context) mashang.SuggestionInput {
	return mashang.SuggestionInput{Title: c.PostForm("title"), Matter: c.PostForm("matter"), Proposal: c.PostForm("proposal"),
		Category: c.PostForm("category"), CaseNumbers: append(c.PostFormArray("case"), nameSeparators.Split(strings.TrimSpace(c.PostForm("cases")), -1)...),
		Signers: nameSeparators.Split(strings.TrimSpace(c.PostForm("signers")), -1)}
}

// uploadedFiles reads a multipart form's files of field, each up to the
// attachments' limit (the domain refuses one over it by name).
func uploadedFiles(c *gin.Context, field string) ([]mashang.ResultFile, error) {
	var headers []*multipart.FileHeader
	if form, err := c.MultipartForm(); err == nil && form != nil {
		headers = form.File[field]
	}
	if len(headers) > mashang.MaxResultFiles {
		return nil, mashang.Errorf(mashang.EINVALID, "附件最多%d个", mashang.MaxResultFiles)
	}
	var files []mashang.ResultFile
	for _, h := range headers {
		if h.Size == 0 && h.Filename == "" {
			continue // the form's empty file field
		}
		f, err := h.Open()
		if err != nil {
			return nil, fmt.Errorf("open attachment: %w", err)
		}
		data, err := io.ReadAll(io.LimitReader(f, mashang.MaxResultFileBytes+1))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read attachment: %w", err)
		}
		files = append(files, mashang.ResultFile{Data: data})
	}
	return files, nil
}

// serveKept serves a kept file (a result's attachment, a scan, an answer
// letter) as a download, never rendered as this site's page, or says why
// not. The caller has authorised the download: the file is read from
// where media is kept as it is sent, never through a link of the store's.
func serveKept(c *gin.Context, media MediaReader, f mashang.SuggestionFile, name string, fail func(*gin.Context, error)) {
	r, _, err := media.Open(c.Request.Context(), f.Path)
	if err != nil {
		fail(c, mashang.MediaUnreadable(err, "附件"))
		return
	}
	defer r.Close()
	c.Header("Content-Type", f.ContentType)
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Security-Policy", "default-src 'none'; sandbox")
	c.Header("Cache-Control", "private, max-age=3600")
	c.Header("Content-Disposition", `attachment; filename="`+name+"-"+f.ID[:8]+path.Ext(f.Path)+`"`)
	http.ServeContent(c.Writer, c.Request, "", time.Time{}, r)
}

// suggestionFile serves one file of a suggestion already read within the
// caller's reach.
func (sd SuggestionDeps) suggestionFile(c *gin.Context, sg mashang.Suggestion, fail func(*gin.Context, error)) {
	f, err := sd.Reader.SuggestionFile(c.Request.Context(), sg.ID, c.Param("file"))
	if err != nil {
		fail(c, err)
		return
	}
	serveKept(c, sd.Media, f, "jianyi-"+strconv.FormatInt(sg.ID, 10), fail)
}

// ---- the deputy's phone pages (/d/suggestions) ----

func (d *deputyDesk) suggestions(c *gin.Context) {
	dep := c.MustGet(deputyKey).(mashang.Deputy)
	list, err := d.deps.Suggestions.Reader.DeputySuggestions(c.Request.Context(), dep.ID, 200)
	if err != nil {
		d.fail(c, err)
		return
	}
	d.page(c, http.StatusOK, "deputy_suggestions.html", gin.H{"Title": "我的建议", "Suggestions": list, "Me": dep.ID})
}

// newSuggestion is the form for a new draft; ?case= numbers prefill the
// cases it is raised from (the case page's button).
func (d *deputyDesk) newSuggestion(c *gin.Context) {
	d.page(c, http.StatusOK, "deputy_suggestion_form.html", gin.H{"Title": "提建议", "Categories": mashang.SuggestionCategories,
		"Cases": strings.Join(c.QueryArray("case"), " "), "Suggestion": mashang.Suggestion{}})
}

// deputySuggestion reads the suggestion of the route within the deputy's
// own and co-signed (else 404).
func (d *deputyDesk) deputySuggestion(c *gin.Context) (mashang.Suggestion, []mashang.CaseEvent, bool) {
	dep := c.MustGet(deputyKey).(mashang.Deputy)
	id, err := suggestionID(c)
	if err == nil {
		var sg mashang.Suggestion
		var events []mashang.CaseEvent
		if sg, events, err = d.deps.Suggestions.Reader.DeputySuggestion(c.Request.Context(), dep.ID, id); err == nil {
			return sg, events, true
		}
	}
	d.fail(c, err)
	return mashang.Suggestion{}, nil, false
}

func (d *deputyDesk) suggestionPage(c *gin.Context) {
	dep := c.MustGet(deputyKey).(mashang.Deputy)
	sg, events, ok := d.deputySuggestion(c)
	if !ok {
		return
	}
	work, err := d.deps.Suggestions.Reader.SuggestionWork(c.Request.Context(), sg.ID)
	if err != nil {
		d.fail(c, err)
		return
	}
	work = work.ForDeputy()
	lead := sg.DeputyID == dep.ID
	var invited bool
	cases := make([]string, 0, len(sg.Cases))
	for _, l := range sg.Cases {
		cases = append(cases, l.Number)
	}
	signers := []string{}
	for _, g := range sg.Signers {
		if g.DeputyID == dep.ID && g.Pending() {
			invited = true
		}
		if !g.Merged && g.DeclinedAt == nil {
			signers = append(signers, g.Code)
		}
	}
	d.page(c, http.StatusOK, "deputy_suggestion.html", gin.H{"Title": sg.Title, "Suggestion": sg, "Work": work, "Lead": lead,
		"Invited": invited && sg.Status.Editable(), "Edit": lead && sg.Status.Editable(), "Cases": strings.Join(cases, " "),
		"Signers": strings.Join(signers, " "), "Categories": mashang.SuggestionCategories,
		"CanWithdraw": lead && (sg.Status.Editable() || sg.Status == mashang.SuggestionSubmitted || sg.Status == mashang.SuggestionAccepted),
		"CanEvaluate": lead && sg.Status == mashang.SuggestionAnswered, "Verdicts": mashang.VerdictOrder,
		"Events": mashang.TimelineFor(events, mashang.AudienceDeputy)})
}

// suggestionAct runs a deputy's action on a suggestion (id 0: a new
// draft), audited under the deputy's code, and goes to the suggestion
// with how it went.
func (d *deputyDesk) suggestionAct(name string, do func(c *gin.Context, dep mashang.Deputy, id int64) (done string, run func(context.Context) (int64, error))) gin.HandlerFunc {
	return func(c *gin.Context) {
		dep := c.MustGet(deputyKey).(mashang.Deputy)
		var id int64
		if c.Param("id") != "" {
			sg, _, ok := d.deputySuggestion(c)
			if !ok {
				return
			}
			id = sg.ID
		}
		done, run := do(c, dep, id)
		target := id
		err := d.audited(c, dep, "deputy_suggestion_"+name, "建议#"+strconv.FormatInt(id, 10), done+"："+c.PostForm("title"), func(ctx context.Context) error {
			got, err := run(ctx)
			if got != 0 {
				target = got
			}
			return err
		})
		to := "/d/suggestions"
		if target != 0 {
			to += "/" + strconv.FormatInt(target, 10)
		}
		d.said(c, to, outcome(c, d.deps.Log.With("action", name), done, err))
	}
}

func (d *deputyDesk) saveSuggestion(c *gin.Context, dep mashang.Deputy, id int64) (string, func(context.Context) (int64, error)) {
	return "草稿已保存", func(ctx context.Context) (int64, error) {
		return d.deps.Suggestions.Service.Save(ctx, dep, id, suggestionForm(c))
	}
}

func (d *deputyDesk) submitSuggestion(c *gin.Context, dep mashang.Deputy, id int64) (string, func(context.Context) (int64, error)) {
	return "已提交，等待人大常委会代表工作机构审核", func(ctx context.Context) (int64, error) {
		return id, d.deps.Suggestions.Service.Submit(ctx, dep, id)
	}
}

func (d *deputyDesk) withdrawSuggestion(c *gin.Context, dep mashang.Deputy, id int64) (string, func(context.Context) (int64, error)) {
	return "建议已撤回", func(ctx context.Context) (int64, error) {
		return id, d.deps.Suggestions.Service.Withdraw(ctx, dep, id, c.PostForm("reason"))
	}
}

func (d *deputyDesk) signSuggestion(c *gin.Context, dep mashang.Deputy, id int64) (string, func(context.Context) (int64, error)) {
	confirm := c.PostForm("answer") == "yes"
	done := "已同意联名"
	if !confirm {
		done = "已谢绝联名"
	}
	return done, func(ctx context.Context) (int64, error) {
		return id, d.deps.Suggestions.Service.Sign(ctx, dep, id, confirm)
	}
}

func (d *deputyDesk) evaluateSuggestion(c *gin.Context, dep mashang.Deputy, id int64) (string, func(context.Context) (int64, error)) {
	return "评价已提交人大常委会代表工作机构", func(ctx context.Context) (int64, error) {
		return id, d.deps.Suggestions.Service.Evaluate(ctx, dep, id, c.PostForm("answer"), c.PostForm("contact"), c.PostForm("comment"))
	}
}

// suggestionFile serves an answer letter to the deputy who reads the suggestion.
func (d *deputyDesk) suggestionFile(c *gin.Context) {
	if sg, _, ok := d.deputySuggestion(c); ok {
		d.deps.Suggestions.suggestionFile(c, sg, d.fail)
	}
}

// ---- the console (/console/suggestions) ----

func (con *console) suggestionsPage(c *gin.Context) {
	reach := c.MustGet(reachKey).(mashang.Reach)
	status := c.Query("status")
	list, err := con.deps.Suggestions.Reader.SuggestionsWithin(c.Request.Context(), reach, status, 300)
	if err != nil {
		con.fail(c, err)
		return
	}
	sessions, err := con.deps.Suggestions.Reader.Sessions(c.Request.Context())
	if err != nil {
		con.fail(c, err)
		return
	}
	// The light is the sweep's (Supervision.SuggestionColour), against the
	// deadline of the step it waits for.
	type row struct {
		mashang.Suggestion
		Deadline time.Time
		Stage    string
	}
	rows := make([]row, len(list))
	for i, sg := range list {
		rows[i].Suggestion = sg
		if sg.Status != mashang.SuggestionClosed {
			rows[i].Deadline, rows[i].Stage = sg.StageDue()
		}
	}
	statuses := []mashang.SuggestionStatus{mashang.SuggestionSubmitted, mashang.SuggestionReturned, mashang.SuggestionAccepted,
		mashang.SuggestionHanded, mashang.SuggestionAnswered, mashang.SuggestionRedo, mashang.SuggestionEvaluated, mashang.SuggestionClosed,
		mashang.SuggestionRefused, mashang.SuggestionMerged, mashang.SuggestionWithdrawn}
	cats, err := con.deps.Suggestions.Reader.AnswerCategories(c.Request.Context())
	if err != nil {
		con.fail(c, err)
		return
	}
	con.page(c, http.StatusOK, "console_suggestions.html", gin.H{"Title": "代表建议", "Rows": rows, "Status": status,
		"Statuses": statuses, "Sessions": sessions, "Categories": mashang.SuggestionCategories, "AnswerCategories": cats})
}

// reachableSuggestion reads the suggestion of the route within the
// account's reach (else 404).
func (con *console) reachableSuggestion(c *gin.Context) (mashang.Suggestion, []mashang.CaseEvent, bool) {
	id, err := suggestionID(c)
	if err == nil {
		var sg mashang.Suggestion
		var events []mashang.CaseEvent
		if sg, events, err = con.deps.Suggestions.Reader.SuggestionWithin(c.Request.Context(), c.MustGet(reachKey).(mashang.Reach), id); err == nil {
			return sg, events, true
		}
	}
	con.fail(c, err)
	return mashang.Suggestion{}, nil, false
}

func (con *console) suggestionPage(c *gin.Context) {
	sg, events, ok := con.reachableSuggestion(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	work, err := con.deps.Suggestions.Reader.SuggestionWork(ctx, sg.ID)
	if err != nil {
		con.fail(c, err)
		return
	}
	depts, err := con.deps.Suggestions.Reader.DepartmentsOfStation(ctx, sg.StationID)
	if err != nil {
		con.fail(c, err)
		return
	}
	con.page(c, http.StatusOK, "console_suggestion.html", gin.H{"Title": sg.Label(), "Suggestion": sg, "Work": work,
		"Departments": depts, "RefusalReasons": mashang.RefusalReasons, "Events": mashang.TimelineFor(events, mashang.AudienceStaff)})
}

// suggestionAct runs an office decision on a suggestion within reach,
// audited in its transaction, and goes back to it saying how it went.
func (con *console) suggestionAct(name string, do func(c *gin.Context, sg mashang.Suggestion, staff string) (detail, done string, run func(context.Context) error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		sg, _, ok := con.reachableSuggestion(c)
		if !ok {
			return
		}
		s := c.MustGet(staffKey).(mashang.StaffSession)
		detail, done, run := do(c, sg, s.User.Name)
		err := con.audited(c, name, "建议#"+strconv.FormatInt(sg.ID, 10), detail, run)
		con.said(c, "/console/suggestions/"+strconv.FormatInt(sg.ID, 10), outcome(c, con.deps.Log.With("action", name), done, err))
	}
}

func (con *console) reviewSuggestion(c *gin.Context, sg mashang.Suggestion, staff string) (string, string, func(context.Context) error) {
	decision, reason := c.PostForm("decision"), c.PostForm("reason")
	if decision == mashang.ReviewRefuse {
		reason = c.PostForm("refusal")
	}
	into, _ := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(c.PostForm("into")), "#"), 10, 64)
	done := map[string]string{mashang.ReviewAccept: "已立案", mashang.ReviewReturn: "已退回代表修改", mashang.ReviewRefuse: "已告知代表不作为建议处理",
		mashang.ReviewMerge: "已归并"}[decision]
	return decision + "：" + reason, done, func(ctx context.Context) error {
		if decision == mashang.ReviewMerge {
			// Merged only into a suggestion the account reaches: the line
			// on it names the merged one's deputy.
			if _, _, err := con.deps.Suggestions.Reader.SuggestionWithin(ctx, c.MustGet(reachKey).(mashang.Reach), into); err != nil {
				return mashang.Errorf(mashang.EINVALID, "没有找到要并入的建议 #%d（或它不在您的工作范围内），请核对序号", into)
			}
		}
		return con.deps.Suggestions.Service.Review(ctx, staff, sg.ID, decision, reason, into)
	}
}

func (con *console) handOverSuggestion(c *gin.Context, sg mashang.Suggestion, staff string) (string, string, func(context.Context) error) {
	lead, _ := strconv.ParseInt(c.PostForm("lead"), 10, 64)
	var co []int64
	for _, v := range c.PostFormArray("co") {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id != 0 {
			co = append(co, id)
		}
	}
	long := c.PostForm("long") == "1"
	return fmt.Sprintf("主办%d 协办%v 六个月:%v %s", lead, co, long, c.PostForm("reason")), "已交办，承办单位经办人已收到通知", func(ctx context.Context) error {
		_, err := con.deps.Suggestions.Service.HandOver(ctx, staff, sg.ID, lead, co, long, c.PostForm("reason"))
		return err
	}
}

func (con *console) closeSuggestion(c *gin.Context, sg mashang.Suggestion, staff string) (string, string, func(context.Context) error) {
	return c.PostForm("note"), "已办结", func(ctx context.Context) error {
		return con.deps.Suggestions.Service.Close(ctx, staff, sg.ID, c.PostForm("note"))
	}
}

// enterSuggestion answers the paper form: the lead deputy's code, the
// text, co-signers and the scan (PDF or images), within reach.
func (con *console) enterSuggestion(c *gin.Context) {
	s := c.MustGet(staffKey).(mashang.StaffSession)
	within, err := con.stationsWithin(c)
	if err != nil {
		con.fail(c, err)
		return
	}
	var id int64
	err = con.audited(c, "suggestion_paper", c.PostForm("deputy"), c.PostForm("title"), func(ctx context.Context) error {
		scan, err := uploadedFiles(c, "scan")
		if err != nil {
			return err
		}
		id, err = con.deps.Suggestions.Service.EnterPaper(ctx, s.User.Name, c.PostForm("deputy"), suggestionForm(c), scan, within)
		return err
	})
	to := "/console/suggestions"
	if err == nil {
		to += "/" + strconv.FormatInt(id, 10)
	}
	con.said(c, to, outcome(c, con.deps.Log, "纸质建议已录入，等待审核", err))
}

// setSession records a congress session (届次、第几次会议).
func (con *console) setSession(c *gin.Context) {
	term, _ := strconv.Atoi(c.PostForm("term"))
	meeting, _ := strconv.Atoi(c.PostForm("meeting"))
	start, errStart := time.ParseInLocation("2006-01-02", c.PostForm("starts"), mashang.China)
	end, errEnd := time.ParseInLocation("2006-01-02", c.PostForm("ends"), mashang.China)
	name := strings.TrimSpace(c.PostForm("name"))
	err := con.audited(c, "congress_session", name, c.PostForm("starts")+" 至 "+c.PostForm("ends"), func(ctx context.Context) error {
		switch {
		case name == "" || len([]rune(name)) > 50 || term < 1 || meeting < 1:
			return mashang.Errorf(mashang.EINVALID, "请填写会议名称（如 第十七届人民代表大会第三次会议）、届次和第几次会议")
		case errStart != nil || errEnd != nil || end.Before(start):
			return mashang.Errorf(mashang.EINVALID, "请填写会议的开始和结束日期，结束不早于开始")
		}
		return con.deps.Suggestions.Reader.SetSession(ctx, mashang.CongressSession{Name: name, Term: term, Meeting: meeting,
			StartsAt: start, EndsAt: end.AddDate(0, 0, 1)})
	})
	con.said(c, "/console/suggestions", outcome(c, con.deps.Log, "会议已登记：会期内提交的建议记为本次会议的建议", err))
}

// setAnswerCategory adds an answer category or changes one (its label,
// whether the body must say by when, whether it counts as solved).
func (con *console) setAnswerCategory(c *gin.Context) {
	sort, _ := strconv.Atoi(c.PostForm("sort"))
	cat := mashang.AnswerCategory{Code: c.PostForm("code"), Label: c.PostForm("label"), Promise: c.PostForm("promise") == "1",
		Solved: c.PostForm("solved") == "1", Sort: sort}
	err := con.audited(c, "answer_category", cat.Code, cat.Label, func(ctx context.Context) error {
		if err := cat.Check(); err != nil {
			return err
		}
		return con.deps.Suggestions.Reader.SetAnswerCategory(ctx, cat)
	})
	con.said(c, "/console/suggestions", outcome(c, con.deps.Log, "答复类别已保存", err))
}

func (con *console) suggestionFile(c *gin.Context) {
	if sg, _, ok := con.reachableSuggestion(c); ok {
		con.deps.Suggestions.suggestionFile(c, sg, con.fail)
	}
}

// ---- the bodies' handlers' phone pages (/h/suggestions) ----

func (d *departmentDesk) suggestions(c *gin.Context) {
	u := c.MustGet(handlerKey).(mashang.StaffUser)
	list, err := d.deps.Suggestions.Reader.SuggestionsWithin(c.Request.Context(), mashang.Reach{DepartmentID: u.DepartmentID}, "", 200)
	if err != nil {
		d.fail(c, err)
		return
	}
	d.phone().page(c, http.StatusOK, "handler_suggestions.html", gin.H{"Title": "交办给本单位的代表建议", "Suggestions": list})
}

// bodySuggestion reads the suggestion of the route if it was handed to
// the handler's department (else 404).
func (d *departmentDesk) bodySuggestion(c *gin.Context) (mashang.Suggestion, []mashang.CaseEvent, bool) {
	u := c.MustGet(handlerKey).(mashang.StaffUser)
	id, err := suggestionID(c)
	if err == nil {
		var sg mashang.Suggestion
		var events []mashang.CaseEvent
		if sg, events, err = d.deps.Suggestions.Reader.SuggestionWithin(c.Request.Context(), mashang.Reach{DepartmentID: u.DepartmentID}, id); err == nil {
			return sg, events, true
		}
	}
	if mashang.ErrorCode(err) == mashang.ENOTFOUND {
		d.message(c, http.StatusNotFound, "没有找到这件建议：它没有交办给本单位，或链接有误。请从公众号消息中的链接打开。")
		return mashang.Suggestion{}, nil, false
	}
	d.fail(c, err)
	return mashang.Suggestion{}, nil, false
}

func (d *departmentDesk) suggestionPage(c *gin.Context) {
	u := c.MustGet(handlerKey).(mashang.StaffUser)
	sg, events, ok := d.bodySuggestion(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	work, err := d.deps.Suggestions.Reader.SuggestionWork(ctx, sg.ID)
	if err != nil {
		d.fail(c, err)
		return
	}
	// 背靠背: the deputy's verdicts only once the office has closed it.
	work.Evaluations = mashang.EvaluationsFor(sg, work.Evaluations, mashang.AudienceHandler)
	cats, err := d.deps.Suggestions.Reader.AnswerCategories(ctx)
	if err != nil {
		d.fail(c, err)
		return
	}
	var part mashang.SuggestionBody
	for _, b := range sg.Bodies {
		if b.DepartmentID == u.DepartmentID {
			part = b
		}
	}
	d.phone().page(c, http.StatusOK, "handler_suggestion.html", gin.H{"Title": sg.Label(), "Suggestion": sg, "Work": work, "Part": part,
		"Working": sg.Status.WithBodies(), "Categories": cats, "Ways": mashang.ContactWayOrder, "Today": time.Now().In(mashang.China).Format("2006-01-02"),
		"Events": mashang.TimelineFor(events, mashang.AudienceHandler)})
}

// suggestionAct runs a body's action on a suggestion handed to it,
// audited under the handler's account, and goes back to it.
func (d *departmentDesk) suggestionAct(name string, do func(c *gin.Context, sg mashang.Suggestion, u mashang.StaffUser) (detail, done string, run func(context.Context) error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := c.MustGet(handlerKey).(mashang.StaffUser)
		if !mashang.Allowed(u.Role, mashang.ActSuggestionHandle) {
			d.fail(c, mashang.Refusal(u.Role, mashang.ActSuggestionHandle))
			return
		}
		sg, _, ok := d.bodySuggestion(c)
		if !ok {
			return
		}
		detail, done, run := do(c, sg, u)
		err := audited(c.Request.Context(), d.deps.Audit, d.deps.Log, mashang.StaffAudit(u, name, "建议#"+strconv.FormatInt(sg.ID, 10), detail, c.ClientIP()), run)
		d.phone().said(c, "/h/suggestions/"+strconv.FormatInt(sg.ID, 10), outcome(c, d.deps.Log.With("action", name), done, err))
	}
}

func (d *departmentDesk) acknowledgeSuggestion(_ *gin.Context, sg mashang.Suggestion, u mashang.StaffUser) (string, string, func(context.Context) error) {
	return "签收建议", "已签收", func(ctx context.Context) error {
		return d.deps.Suggestions.Service.AcknowledgeSuggestion(ctx, sg.ID, u)
	}
}

func (d *departmentDesk) contactSuggestion(c *gin.Context, sg mashang.Suggestion, u mashang.StaffUser) (string, string, func(context.Context) error) {
	on, err := time.ParseInLocation("2006-01-02", c.PostForm("on"), mashang.China)
	if err != nil {
		on = time.Time{}
	}
	return c.PostForm("how") + " " + c.PostForm("note"), "联系情况已记录", func(ctx context.Context) error {
		return d.deps.Suggestions.Service.RecordContact(ctx, sg.ID, u, on.Add(12*time.Hour), c.PostForm("how"), c.PostForm("note"))
	}
}

func (d *departmentDesk) opinionSuggestion(c *gin.Context, sg mashang.Suggestion, u mashang.StaffUser) (string, string, func(context.Context) error) {
	return c.PostForm("text"), "协办意见已送主办单位", func(ctx context.Context) error {
		return d.deps.Suggestions.Service.SendOpinion(ctx, sg.ID, u, c.PostForm("text"))
	}
}

func (d *departmentDesk) answerSuggestion(c *gin.Context, sg mashang.Suggestion, u mashang.StaffUser) (string, string, func(context.Context) error) {
	var promised time.Time
	if p, err := time.ParseInLocation("2006-01-02", c.PostForm("promised"), mashang.China); err == nil {
		promised = p.Add(12 * time.Hour)
	}
	return c.PostForm("category") + "：" + c.PostForm("text"), "答复已送代表", func(ctx context.Context) error {
		letter, err := uploadedFiles(c, "letter")
		if err != nil {
			return err
		}
		return d.deps.Suggestions.Service.Answer(ctx, sg.ID, u, mashang.AnswerInput{Category: c.PostForm("category"), Text: c.PostForm("text"),
			PromisedOn: promised, Letter: letter})
	}
}

func (d *departmentDesk) suggestionFile(c *gin.Context) {
	if sg, _, ok := d.bodySuggestion(c); ok {
		d.deps.Suggestions.suggestionFile(c, sg, d.fail)
	}
}
