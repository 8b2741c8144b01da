package mashang

import (
	"slices"
	"time"
	"unicode/utf8"
)

// Reach is what a staff account may see and act on: every case, the cases
// of stations in some jurisdictions, or one station's.
type Reach struct {
	All             bool
	JurisdictionIDs []int64 // a jurisdiction and everything under it
	StationID       int64
	DepartmentID    int64 // what was handed to one department
}

// CaseFilter narrows the console's inbox; Before pages by case ID (keyset:
// as fast on the hundredth page as on the first).
type CaseFilter struct {
	Status      string
	StationCode string
	Colour      string
	Group       string
	Category    string
	// Department is the lead department as the reader wrote it (name or
	// path/name); DepartmentID is what it names (mashang.ChooseDepartment),
	// which the store selects by.
	Department   string
	DepartmentID int64
	From, To     string // YYYY-MM-DD, China time, both included
	Text         string
	// Untaken keeps the open cases coloured because nobody took them by
	// their first-response deadline (the board's 无人接手).
	Untaken bool
	Before  int64
	Limit   int
}

// MaxSearchLen bounds the inbox's text search: longer than any phrase
// anyone looks for, and far below what the databases refuse (SQLite fails
// on a LIKE pattern over 50,000 bytes).
const MaxSearchLen = 100

// Check refuses a filter no one would type. Its dates are days between
// FirstDay and LastDay, in order; how far apart is not bounded, as the
// inbox pages through what they select rather than counting it.
func (f CaseFilter) Check() error {
	if f.Department != "" && f.DepartmentID == 0 {
		// Named but not found (ChooseDepartment): never an unfiltered list.
		return Errorf(EINVALID, "没有「%s」这个承办单位", f.Department)
	}
	if utf8.RuneCountInString(f.Text) > MaxSearchLen {
		return Errorf(EINVALID, "搜索内容不能超过%d个字，请缩短后再搜", MaxSearchLen)
	}
	var from, to time.Time
	var err error
	if f.From != "" {
		if from, err = ParseDay("起始日期", f.From); err != nil {
			return err
		}
	}
	if f.To != "" {
		if to, err = ParseDay("截止日期", f.To); err != nil {
			return err
		}
	}
	if f.From != "" && f.To != "" && to.Before(from) {
		return Errorf(EINVALID, "截止日期应不早于起始日期")
	}
	return nil
}

// Staff actions, by the names the audit log gives them. What a role may do
// is Allowed; what it may do it to is its Reach.
const (
	ActRead        = "read"     // the cases within reach, their photos and media, the figures, board and problem list
	ActReply       = "reply"    // answer the citizen
	ActReroute     = "reroute"  // send a case to another group of deputies
	ActMove        = "move"     // send a case to another station, or up to the congress of a higher level
	ActHandOver    = "handover" // hand a case to a department with a deadline (one or in bulk)
	ActClose       = "close"
	ActAccept      = "accept"
	ActCategory    = "category"
	ActReopen      = "reopen"
	ActMerge       = "merge"
	ActActivities  = "activities"   // deputies' activities: read, dispatch
	ActDesks       = "desks"        // pop-up desks (流动办公桌): set up, list, print their codes
	ActPoints      = "points"       // deputies' duty and points, as a page or Excel
	ActSlots       = "publish_slot" // reception slots at a station
	ActRegister    = "register"     // the reception register (接待登记): who came, what they raised, cases made of it
	ActExportCodes = "export_codes" // the codes of the stations and deputies within reach (ZIP, print sheet)
	ActBindWeChat  = "wechat_bind"  // the account's own WeChat, for notices
	ActEnter       = "enter"        // enter a case for a citizen who came without WeChat (来访、电话、来信…), print its slip
	ActAcknowledge = "acknowledge"  // a department's handler acknowledges a case handed to it (签收)
	ActResult      = "result"       // a department's handler records its result (办理结果) with attachments
	ActManage      = "manage"       // accounts, rosters, point rules and corrections
	ActAuditLog    = "audit_log"    // read and export the audit log
	ActPublish     = "wall_publish" // review a consented closed case's text and publish it on the results wall, or take it down
	ActUnpublish   = "wall_unpublish"
	ActTodo        = "todo" // the to-do list (待办): read it, mark an item done
	// Deputies' suggestions within reach: read them, and enter one handed
	// in on paper. A station's secretary helps its deputies this far.
	ActSuggestions = "suggestions"
	// The congress office's decisions on suggestions: review (accept,
	// return, merge, refuse), hand over, close, and the congress sessions.
	ActSuggestionReview = "suggestion_review"
	// A body's handler works on a suggestion handed to their department:
	// acknowledge, record contacts, send an opinion or the answer.
	ActSuggestionHandle = "suggestion_handle"
)

// caseWork is what the congress's own staff do with cases.
var caseWork = []string{ActRead, ActReply, ActReroute, ActMove, ActHandOver, ActClose, ActAccept, ActCategory, ActReopen, ActMerge,
	ActActivities, ActDesks, ActPoints, ActSlots, ActRegister, ActExportCodes, ActBindWeChat, ActPublish, ActTodo, ActEnter, ActSuggestions}

// roleActions is who may do what; anything not listed is refused. A
// department's handler works for another body than the congress: it reads
// what was handed to it, acknowledges it (签收), and decides nothing about
// routing, deadlines or closing.
var roleActions = map[string][]string{
	RoleAdmin:     append([]string{ActManage, ActAuditLog, ActSuggestionReview}, caseWork...),
	RoleStaff:     append([]string{ActSuggestionReview}, caseWork...),
	RoleSecretary: caseWork,
	RoleHandler:   {ActRead, ActBindWeChat, ActAcknowledge, ActResult, ActSuggestionHandle},
}

// Allowed tells whether a role may do an action at all; the account's
// Reach then says on what.
func Allowed(role, action string) bool {
	return slices.Contains(roleActions[role], action)
}

// Permissions is every action a role may do, for pages to show only the
// buttons that work.
func Permissions(role string) map[string]bool {
	out := map[string]bool{}
	for _, a := range roleActions[role] {
		out[a] = true
	}
	return out
}

var actionLabels = map[string]string{ActRead: "查看问题", ActReply: "答复群众", ActReroute: "改派代表小组", ActMove: "转出到其他站点或上级人大", ActHandOver: "交办承办单位",
	ActClose: "办结问题", ActAccept: "受理问题", ActCategory: "修改分类", ActReopen: "重新打开问题", ActMerge: "合并问题",
	ActActivities: "安排代表活动", ActDesks: "设立流动办公桌", ActPoints: "查看履职积分", ActSlots: "发布接待时段", ActRegister: "登记接待群众", ActExportCodes: "导出二维码",
	ActBindWeChat: "绑定微信", ActEnter: "登记群众来访", ActAcknowledge: "签收交办的问题", ActResult: "填报办理结果", ActManage: "管理账号、名册和积分规则", ActAuditLog: "查看审计日志",
	ActPublish: "发布到代表回音壁", ActUnpublish: "从代表回音壁撤下", ActTodo: "处理待办",
	ActSuggestions: "查看和录入代表建议", ActSuggestionReview: "审核、交办和办结代表建议", ActSuggestionHandle: "办理代表建议",
	// The audit log's names of the steps of a suggestion.
	"suggestion_handover": "交办代表建议", "suggestion_close": "办结代表建议",
	"suggestion_paper": "录入纸质建议", "congress_session": "登记人代会会议", "answer_category": "设置答复类别",
	"suggestion_acknowledge": "签收代表建议", "suggestion_contact": "记录与代表的联系沟通", "suggestion_opinion": "提出协办意见",
	"suggestion_answer": "答复代表建议", "deputy_suggestion_save": "代表保存建议", "deputy_suggestion_submit": "代表提交建议",
	"deputy_suggestion_withdraw": "代表撤回建议", "deputy_suggestion_sign": "代表答复联名邀请", "deputy_suggestion_evaluate": "代表评价答复",
	"suggestion_key": "列为重点督办", "export_suggestion_list": "导出建议汇总表", "export_suggestion_stats": "导出建议办理情况统计表"}

// ActionLabel is how the audit log names an action: in words for the
// actions above, by its name for the rest (login, exports, corrections).
func ActionLabel(action string) string {
	if label := actionLabels[action]; label != "" {
		return label
	}
	return action
}

// Refusal is the answer to a role asking for an action it may not do: who
// may, and what to do instead.
func Refusal(role, action string) error {
	what := actionLabels[action]
	if what == "" {
		what = "这项操作"
	}
	switch role {
	case RoleHandler:
		return Errorf(EFORBIDDEN, "承办单位经办人不能%s：您的账号只能查看、签收交办给本单位的问题并填报办理结果。如需改派、延期或办结，请联系交办的人大工作人员。", what)
	case RoleAdmin, RoleStaff, RoleSecretary:
		if action == ActAcknowledge || action == ActResult || action == ActSuggestionHandle {
			return Errorf(EFORBIDDEN, "只有承办单位经办人可以%s：人大工作人员交办后，由承办单位在工作台签收并填报。", what)
		}
		if action == ActManage || action == ActAuditLog {
			return Errorf(EFORBIDDEN, "只有管理员可以%s，请联系系统管理员。", what)
		}
	}
	return Errorf(EFORBIDDEN, "您的账号（%s）不能%s，请联系系统管理员。", RoleLabel(role), what)
}
