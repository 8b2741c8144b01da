package handlers_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// The roles of the authorisation matrix, in the order of each row's
// expectations: nobody; two citizens (Mini Program sessions); two deputies
// (/d/ sessions) at two stations; an administrator; the city's staff; the
// staff of two districts; the secretaries of a station in each district;
// a department's handler (市南区城市管理局).
var matrixRoles = []string{"anon", "citizenA", "citizenB", "deputyA", "deputyB",
	"admin", "city", "district1", "district2", "secretary1", "secretary2", "handler"}

// Outcome classes, one letter each:
//
//	A  allowed: 2xx, or 3xx anywhere but a sign-in; a 4xx about the
//	   request's content (400, 409) passed the gate too
//	S  sign in: 401, or a redirect to a sign-in
//	F  forbidden: 403
//	N  not found: 404 (beyond reach reads as nonexistent)
//
// A 5xx is never expected.
type authzRow struct {
	method, route string // as registered
	path          string // the route filled in: {case} is case 1's number, {photo} its photo, {activity} an activity, {booking} a booking, {desk} a pop-up desk
	json          string // a JSON body, or
	form          url.Values
	// want, one letter per role in matrixRoles' order (spaces ignored):
	// "anon  citizens A B  deputies A B  admin city district1 2 secretary1 2 handler".
	want string
}

// Case 1 was raised by citizen A at deputy A's code at station 1 (八大关,
// 市南区) and handed to the handler's department; deputy B, district 2 and
// secretary 2 are at 薛家岛 (西海岸新区). Bodies that would change a case
// are refused on their content (A, without changing what the next role
// sees).
var authzRows = []authzRow{
	// WeChat's callbacks: WeChat's signature is the authorisation.
	{method: "GET", route: "/wechat/callback", path: "/wechat/callback", want: "F FF FF FFFFFFF"},
	{method: "POST", route: "/wechat/callback", path: "/wechat/callback", want: "F FF FF FFFFFFF"},
	{method: "GET", route: "/wechat/mp-callback", path: "/wechat/mp-callback", want: "F FF FF FFFFFFF"},
	{method: "POST", route: "/wechat/mp-callback", path: "/wechat/mp-callback", want: "F FF FF FFFFFFF"},

	// A code hangs on a wall, and its page is where it leads: public. The
	// bulk exports moved to the console.
	{method: "GET", route: "/codes/:file", path: "/codes/st:demo-bdg.png", want: "A AA AA AAAAAAA"},
	{method: "GET", route: "/codes/export.zip", path: "/codes/export.zip", want: "A AA AA AAAAAAA"},
	{method: "GET", route: "/codes/sheet", path: "/codes/sheet", want: "A AA AA AAAAAAA"},
	{method: "GET", route: "/s/:scene", path: "/s/st:demo-bdg", want: "A AA AA AAAAAAA"},

	// The staff API: each staff member's own token; the role first (403),
	// then the reach (404).
	{method: "POST", route: "/api/cases/:number/replies", path: "/api/cases/{case}/replies", json: `{"text": ""}`, want: "S SS SS AAANANF"},
	{method: "POST", route: "/api/cases/:number/route", path: "/api/cases/{case}/route", json: `{"group": "不存在组", "reason": "试"}`, want: "S SS SS AAANANF"},
	{method: "POST", route: "/api/cases/:number/move", path: "/api/cases/{case}/move", json: `{"station": "no-such-station", "reason": "试"}`, want: "S SS SS AAANANF"},
	{method: "POST", route: "/api/cases/:number/handover", path: "/api/cases/{case}/handover", json: `{"department": "不存在的局", "days": 5}`, want: "S SS SS AAANANF"},
	{method: "POST", route: "/api/cases/:number/close", path: "/api/cases/{case}/close", json: `{"result": ""}`, want: "S SS SS AAANANF"},
	{method: "POST", route: "/api/stations/:code/slots", path: "/api/stations/demo-bdg/slots", json: `{"day": "不是日期"}`, want: "S SS SS AAANANF"},

	// The Mini Program: what anyone may read, then a citizen's own.
	{method: "GET", route: "/mp/stations/near", path: "/mp/stations/near?lat=36.05&lng=120.35", want: "A AA AA AAAAAAA"},
	{method: "GET", route: "/mp/stations/:code", path: "/mp/stations/demo-bdg", want: "A AA AA AAAAAAA"},
	{method: "GET", route: "/mp/deputies/:code", path: "/mp/deputies/demo-d01", want: "A AA AA AAAAAAA"},
	{method: "GET", route: "/mp/stations/:code/slots", path: "/mp/stations/demo-bdg/slots", want: "A AA AA AAAAAAA"},
	{method: "POST", route: "/mp/login", path: "/mp/login", json: `{"code": "not-a-code"}`, want: "S SS SS SSSSSSS"},
	{method: "GET", route: "/mp/me", path: "/mp/me", want: "S AA SS SSSSSSS"},
	{method: "POST", route: "/mp/phone", path: "/mp/phone", json: `{}`, want: "S AA SS SSSSSSS"},
	{method: "POST", route: "/mp/cases", path: "/mp/cases", json: `{}`, want: "S AA SS SSSSSSS"},
	{method: "GET", route: "/mp/cases", path: "/mp/cases", want: "S AA SS SSSSSSS"},
	{method: "GET", route: "/mp/cases/:number", path: "/mp/cases/{case}", want: "S AN SS SSSSSSS"},
	{method: "POST", route: "/mp/cases/:number/rating", path: "/mp/cases/{case}/rating", json: `{"verdict": "satisfied"}`, want: "S AN SS SSSSSSS"},
	// Claiming a walk-in with the slip's code: any citizen may try (a
	// wrong code is counted against the case, TestAWalkinIsEnteredRoutedAndClaimed).
	{method: "POST", route: "/mp/cases/claim", path: "/mp/cases/claim", json: `{}`, want: "S AA SS SSSSSSS"},
	{method: "POST", route: "/mp/uploads", path: "/mp/uploads", json: `{}`, want: "S AA SS SSSSSSS"},
	{method: "GET", route: "/mp/photos/:id", path: "/mp/photos/{photo}", want: "S AN SS SSSSSSS"},
	{method: "POST", route: "/mp/bookings", path: "/mp/bookings", json: `{}`, want: "S AA SS SSSSSSS"},
	{method: "GET", route: "/mp/bookings", path: "/mp/bookings", want: "S AA SS SSSSSSS"},
	// WeChat's media check downloads a photo by its 128-bit random ID,
	// until it has given its verdict: the ID is the authorisation.
	{method: "GET", route: "/media/checks/:id", path: "/media/checks/{photo}", want: "A AA AA AAAAAAA"},

	// Deputies' pages: their own cases; another group's case is 403.
	{method: "GET", route: "/d/", path: "/d/", want: "A AA AA AAAAAAA"},
	{method: "GET", route: "/d/login", path: "/d/login", want: "S SS SS SSSSSSS"},
	{method: "GET", route: "/d/oauth", path: "/d/oauth", want: "A AA AA AAAAAAA"}, // 400: no state, no code
	{method: "GET", route: "/d/cases", path: "/d/cases", want: "S SS AA SSSSSSS"},
	{method: "GET", route: "/d/record", path: "/d/record", want: "S SS AA SSSSSSS"},
	{method: "GET", route: "/d/cases/:number", path: "/d/cases/{case}", want: "S SS AF SSSSSSS"},
	{method: "POST", route: "/d/cases/:number/accept", path: "/d/cases/{case}/accept", form: url.Values{}, want: "S SS AF SSSSSSS"},
	{method: "POST", route: "/d/cases/:number/draft", path: "/d/cases/{case}/draft", form: url.Values{"text": {""}}, want: "S SS AF SSSSSSS"},
	{method: "POST", route: "/d/cases/:number/solved", path: "/d/cases/{case}/solved", form: url.Values{"result": {""}}, want: "S SS AF SSSSSSS"},
	{method: "POST", route: "/d/cases/:number/move", path: "/d/cases/{case}/move", form: url.Values{"to": {"up"}, "reason": {""}}, want: "S SS AF SSSSSSS"},
	{method: "GET", route: "/d/activities", path: "/d/activities", want: "S SS AA SSSSSSS"},
	{method: "GET", route: "/d/receptions", path: "/d/receptions", want: "S SS AA SSSSSSS"},
	// A deputy passes on what a voter told them, at their own code only.
	{method: "GET", route: "/d/relay", path: "/d/relay", want: "S SS AA SSSSSSS"},
	{method: "POST", route: "/d/relay", path: "/d/relay", form: url.Values{"text": {""}}, want: "S SS AA SSSSSSS"},
	{method: "POST", route: "/d/activities/:id/respond", path: "/d/activities/{activity}/respond", form: url.Values{"answer": {"不是答复"}}, want: "S SS AF SSSSSSS"},

	// A citizen's own case page, signed in by WeChat's web authorisation
	// as the Official Account's user: another citizen's case is 404.
	{method: "GET", route: "/c/login", path: "/c/login?next=/c/{case}", want: "S SS SS SSSSSSS"},
	{method: "GET", route: "/c/oauth", path: "/c/oauth", want: "A AA AA AAAAAAA"}, // 400: no state, no code
	{method: "GET", route: "/c/:number", path: "/c/{case}", want: "S AN SS SSSSSSS"},
	// The rating form: without the page's token (citizens here have none:
	// case 1 has no answer, so no form) it is refused; another citizen's
	// case is 404 with a valid token (TestTheCasePageFormRates).
	{method: "POST", route: "/c/:number/rating", path: "/c/{case}/rating", form: url.Values{"verdict": {""}}, want: "S FF SS SSSSSSS"},

	// Departments' handlers' pages, signed in by WeChat's web authorisation
	// as the WeChat they bound: the cases handed to their department.
	// Nobody else holds a session there; another department's case is 404
	// (TestHandlerWorksTheirDepartmentsCasesFromWeChat).
	{method: "GET", route: "/h/", path: "/h/", want: "A AA AA AAAAAAA"},
	{method: "GET", route: "/h/login", path: "/h/login?next=/h/cases/{case}", want: "S SS SS SSSSSSS"},
	{method: "GET", route: "/h/oauth", path: "/h/oauth", want: "A AA AA AAAAAAA"}, // 400: no state, no code
	{method: "GET", route: "/h/cases", path: "/h/cases", want: "S SS SS SSSSSSA"},
	{method: "GET", route: "/h/cases/:number", path: "/h/cases/{case}", want: "S SS SS SSSSSSA"},
	{method: "POST", route: "/h/cases/:number/acknowledge", path: "/h/cases/{case}/acknowledge", form: url.Values{}, want: "S SS SS SSSSSSA"},
	{method: "POST", route: "/h/cases/:number/result", path: "/h/cases/{case}/result", form: url.Values{"text": {""}}, want: "S SS SS SSSSSSA"},

	// Public pages.
	{method: "GET", route: "/wall", path: "/wall", want: "A AA AA AAAAAAA"},
	{method: "GET", route: "/suggestions", path: "/suggestions", want: "A AA AA AAAAAAA"},
	{method: "GET", route: "/stations/:code", path: "/stations/demo-bdg", want: "A AA AA AAAAAAA"},

	// The console: staff only; a role's actions (403), then the reach (404).
	{method: "GET", route: "/console/login", path: "/console/login", want: "A AA AA AAAAAAA"},
	{method: "POST", route: "/console/login", path: "/console/login", form: url.Values{"username": {"nobody"}, "password": {"wrong password"}}, want: "F FF FF FFFFFFF"}, // without the sign-in page's token (login CSRF)
	{method: "GET", route: "/console/", path: "/console/", want: "S SS SS AAAAAAA"},
	{method: "GET", route: "/console/cases/:number", path: "/console/cases/{case}", want: "S SS SS AAANANA"},
	// Walk-ins: entered for a station within reach (another station's
	// secretary: 404); a department's handler enters nothing. Case 1 came
	// through WeChat: it has no slip to print again, no phone to reveal.
	{method: "GET", route: "/console/cases/new", path: "/console/cases/new", want: "S SS SS AAAAAAF"},
	{method: "POST", route: "/console/cases/new", path: "/console/cases/new", form: url.Values{"station": {"demo-bdg"}, "text": {""}}, want: "S SS SS AAANANF"},
	{method: "POST", route: "/console/cases/:number/slip", path: "/console/cases/{case}/slip", form: url.Values{}, want: "S SS SS AAANANF"},
	{method: "POST", route: "/console/cases/:number/phone", path: "/console/cases/{case}/phone", form: url.Values{}, want: "S SS SS NNNNNNF"},
	{method: "POST", route: "/console/cases/:number/phoned", path: "/console/cases/{case}/phoned", form: url.Values{}, want: "S SS SS AAANANF"},
	// No message of case 1 carries media: each one who reaches it is told so.
	{method: "GET", route: "/console/cases/:number/media/:id", path: "/console/cases/{case}/media/1", want: "S SS SS NNNNNNN"},
	{method: "POST", route: "/console/cases/:number/reply", path: "/console/cases/{case}/reply", form: url.Values{"text": {""}}, want: "S SS SS AAANANF"},
	{method: "POST", route: "/console/cases/:number/route", path: "/console/cases/{case}/route", form: url.Values{"group": {"不存在组"}}, want: "S SS SS AAANANF"},
	{method: "GET", route: "/console/cases/:number/move", path: "/console/cases/{case}/move", want: "S SS SS AAANANF"},
	{method: "POST", route: "/console/cases/:number/move", path: "/console/cases/{case}/move", form: url.Values{"station": {"no-such-station"}, "reason": {"试"}}, want: "S SS SS AAANANF"},
	{method: "POST", route: "/console/cases/:number/handover", path: "/console/cases/{case}/handover", form: url.Values{"department": {"不存在的局"}, "days": {"5"}}, want: "S SS SS AAANANF"},
	{method: "POST", route: "/console/cases/:number/close", path: "/console/cases/{case}/close", form: url.Values{"result": {""}}, want: "S SS SS AAANANF"},
	{method: "POST", route: "/console/cases/:number/do/accept", path: "/console/cases/{case}/do/accept", form: url.Values{}, want: "S SS SS AAANANF"},
	{method: "POST", route: "/console/cases/:number/do/category", path: "/console/cases/{case}/do/category", form: url.Values{"category": {""}}, want: "S SS SS AAANANF"},
	{method: "POST", route: "/console/cases/:number/do/reopen", path: "/console/cases/{case}/do/reopen", form: url.Values{"reason": {""}}, want: "S SS SS AAANANF"},
	{method: "POST", route: "/console/cases/:number/do/merge", path: "/console/cases/{case}/do/merge", form: url.Values{"main": {"000000-0000"}}, want: "S SS SS AAANANF"},
	// Only a department's handler acknowledges (签收), a case handed to
	// their department; the congress's staff are refused whatever they reach.
	{method: "POST", route: "/console/cases/:number/do/acknowledge", path: "/console/cases/{case}/do/acknowledge", form: url.Values{}, want: "S SS SS FFFFFFA"},
	{method: "POST", route: "/console/cases/:number/do/result", path: "/console/cases/{case}/do/result", form: url.Values{"text": {""}}, want: "S SS SS FFFFFFA"},
	// No result of case 1 has an attachment: each one who reaches it is told so.
	{method: "GET", route: "/console/cases/:number/attachments/:id", path: "/console/cases/{case}/attachments/0123456789abcdef0123456789abcdef", want: "S SS SS NNNNNNN"},
	// Bulk hand-over answers on the inbox, naming each case it could not
	// hand over: beyond reach reads as not found there.
	{method: "POST", route: "/console/bulk-handover", path: "/console/bulk-handover", form: url.Values{"number": {"{case}"}, "department": {"不存在的局"}, "days": {"5"}}, want: "S SS SS AAAAAAF"},
	{method: "GET", route: "/console/figures", path: "/console/figures", want: "S SS SS AAAAAAA"},
	{method: "GET", route: "/console/activities", path: "/console/activities", want: "S SS SS AAAAAAF"},
	{method: "POST", route: "/console/activities", path: "/console/activities", form: url.Values{"title": {""}}, want: "S SS SS AAAAAAF"},
	{method: "GET", route: "/console/activities/:id", path: "/console/activities/{activity}", want: "S SS SS AAANANF"},
	// The reception register: a station beyond reach is not found. The
	// booking {booking2} is at 沙子口 (崂山区), the register line {visit} at 八大关
	// today; a slot's day and a booking's day not come yet are refused on
	// their content.
	{method: "GET", route: "/console/receptions", path: "/console/receptions?station=demo-bdg", want: "S SS SS AAANANF"},
	{method: "POST", route: "/console/receptions/slots", path: "/console/receptions/slots", form: url.Values{"station": {"demo-bdg"}, "day": {"不是日期"}}, want: "S SS SS AAANANF"},
	{method: "POST", route: "/console/receptions/visits", path: "/console/receptions/visits", form: url.Values{"station": {"demo-bdg"}, "day": {"不是日期"}, "topics": {"矩阵"}}, want: "S SS SS AAANANF"},
	{method: "POST", route: "/console/receptions/bookings/:id/no-show", path: "/console/receptions/bookings/{booking2}/no-show", form: url.Values{}, want: "S SS SS AANNNNF"},
	{method: "POST", route: "/console/receptions/visits/:id/topics", path: "/console/receptions/visits/{visit}/topics", form: url.Values{"text": {""}}, want: "S SS SS AAANANF"},
	{method: "POST", route: "/console/receptions/topics/:id/case", path: "/console/receptions/topics/{topic}/case", form: url.Values{}, want: "S SS SS AAANANF"},
	{method: "GET", route: "/console/receptions.xlsx", path: "/console/receptions.xlsx?station=demo-bdg&month={month}", want: "S SS SS AAANANF"},
	// Pop-up desks: a desk is its station's (station 1, 市南区).
	{method: "GET", route: "/console/desks", path: "/console/desks", want: "S SS SS AAAAAAF"},
	{method: "POST", route: "/console/desks", path: "/console/desks", form: url.Values{"place": {""}}, want: "S SS SS AAAAAAF"},
	{method: "GET", route: "/console/desks/:id", path: "/console/desks/{desk}", want: "S SS SS AAANANF"},
	{method: "GET", route: "/console/points", path: "/console/points", want: "S SS SS AAAAAAF"},
	{method: "GET", route: "/console/points.xlsx", path: "/console/points.xlsx", want: "S SS SS AAAAAAF"},
	{method: "POST", route: "/console/points/corrections", path: "/console/points/corrections", form: url.Values{"points": {"0"}}, want: "S SS SS AFFFFFF"},
	{method: "POST", route: "/console/points/rules", path: "/console/points/rules", form: url.Values{"points": {"x"}}, want: "S SS SS AFFFFFF"},
	{method: "GET", route: "/console/board", path: "/console/board", want: "S SS SS AAAAAAA"},
	// Suggestions: key supervision is the office's decision (beyond reach,
	// 404); the figures and their Excel files are for those who read
	// suggestions.
	{method: "POST", route: "/console/suggestions/:id/key", path: "/console/suggestions/{suggestion}/key", form: url.Values{"official": {""}}, want: "S SS SS AAANFFF"},
	{method: "GET", route: "/console/suggestion-figures", path: "/console/suggestion-figures", want: "S SS SS AAAAAAF"},
	{method: "GET", route: "/console/suggestions.xlsx", path: "/console/suggestions.xlsx", want: "S SS SS AAAAAAF"},
	{method: "GET", route: "/console/suggestion-stats.xlsx", path: "/console/suggestion-stats.xlsx", want: "S SS SS AAAAAAF"},
	{method: "GET", route: "/console/wechat", path: "/console/wechat", want: "S SS SS AAAAAAA"},
	{method: "POST", route: "/console/wechat/bind", path: "/console/wechat/bind", form: url.Values{}, want: "S SS SS AAAAAAA"},
	{method: "GET", route: "/console/manage", path: "/console/manage", want: "S SS SS AFFFFFF"},
	{method: "GET", route: "/console/audit", path: "/console/audit", want: "S SS SS AFFFFFF"},
	{method: "GET", route: "/console/audit.xlsx", path: "/console/audit.xlsx", want: "S SS SS AFFFFFF"},
	{method: "POST", route: "/console/manage/users", path: "/console/manage/users", form: url.Values{"username": {""}}, want: "S SS SS AFFFFFF"},
	{method: "POST", route: "/console/manage/import", path: "/console/manage/import", form: url.Values{"kind": {"stations"}}, want: "S SS SS AFFFFFF"},
	{method: "POST", route: "/console/manage/accounts/:username", path: "/console/manage/accounts/nobody", form: url.Values{"change": {"disable"}}, want: "S SS SS AFFFFFF"},
	{method: "GET", route: "/console/manage/roster/:kind", path: "/console/manage/roster/stations", want: "S SS SS AFFFFFF"},
	{method: "POST", route: "/console/manage/roster/:kind", path: "/console/manage/roster/stations", form: url.Values{}, want: "S SS SS AFFFFFF"},
	{method: "GET", route: "/console/manage/template/:kind", path: "/console/manage/template/deputies", want: "S SS SS AFFFFFF"},
	{method: "GET", route: "/console/problems.xlsx", path: "/console/problems.xlsx?department=市南区城市管理局", want: "S SS SS AAAAAAA"},
	{method: "GET", route: "/console/codes/export.zip", path: "/console/codes/export.zip?size=128", want: "S SS SS AAAAAAF"},
	{method: "GET", route: "/console/codes/sheet", path: "/console/codes/sheet", want: "S SS SS AAAAAAF"},
	{method: "GET", route: "/console/codes", path: "/console/codes", want: "S SS SS AAAAAAF"},
	// The results wall is published by the congress's staff within reach;
	// the to-do list is theirs too. Dismissing case 1's (absent) draft
	// changes nothing another row reads.
	{method: "GET", route: "/console/wall", path: "/console/wall", want: "S SS SS AAAAAAF"},
	{method: "POST", route: "/console/wall/:number/publish", path: "/console/wall/{case}/publish", form: url.Values{"problem": {""}}, want: "S SS SS AAANANF"},
	{method: "POST", route: "/console/wall/:number/unpublish", path: "/console/wall/{case}/unpublish", form: url.Values{"reason": {""}}, want: "S SS SS AAANANF"},
	{method: "GET", route: "/console/todo", path: "/console/todo", want: "S SS SS AAAAAAF"},
	{method: "POST", route: "/console/todo/done", path: "/console/todo/done", form: url.Values{"kind": {"draft"}, "case": {"{case}"}}, want: "S SS SS AAANANF"},
	// Deputies' suggestions. Suggestion 1 is deputy A's (station 1, 市南区),
	// handed to the handler's department: deputy B, district 2 and
	// secretary 2 do not find it. Reviewing, handing over and closing are
	// the office's (admin, staff), not a secretary's; forms with nothing
	// in them are refused on their content.
	{method: "GET", route: "/console/suggestions", path: "/console/suggestions", want: "S SS SS AAAAAAF"},
	{method: "POST", route: "/console/suggestions", path: "/console/suggestions", form: url.Values{"deputy": {""}}, want: "S SS SS AAAAAAF"},
	{method: "POST", route: "/console/suggestions/sessions", path: "/console/suggestions/sessions", form: url.Values{"name": {""}}, want: "S SS SS AAAAFFF"},
	{method: "POST", route: "/console/suggestions/categories", path: "/console/suggestions/categories", form: url.Values{"code": {""}}, want: "S SS SS AAAAFFF"},
	{method: "GET", route: "/console/suggestions/:id", path: "/console/suggestions/{suggestion}", want: "S SS SS AAANANF"},
	{method: "POST", route: "/console/suggestions/:id/review", path: "/console/suggestions/{suggestion}/review", form: url.Values{"decision": {""}}, want: "S SS SS AAANFFF"},
	{method: "POST", route: "/console/suggestions/:id/handover", path: "/console/suggestions/{suggestion}/handover", form: url.Values{"lead": {""}}, want: "S SS SS AAANFFF"},
	{method: "POST", route: "/console/suggestions/:id/close", path: "/console/suggestions/{suggestion}/close", form: url.Values{"note": {""}}, want: "S SS SS AAANFFF"},
	{method: "GET", route: "/console/suggestions/:id/files/:file", path: "/console/suggestions/{suggestion}/files/nofile", want: "S SS SS NNNNNNF"},
	{method: "GET", route: "/d/suggestions", path: "/d/suggestions", want: "S SS AA SSSSSSS"},
	{method: "GET", route: "/d/suggestions/new", path: "/d/suggestions/new", want: "S SS AA SSSSSSS"},
	{method: "POST", route: "/d/suggestions", path: "/d/suggestions", form: url.Values{"title": {""}}, want: "S SS AA SSSSSSS"},
	{method: "GET", route: "/d/suggestions/:id", path: "/d/suggestions/{suggestion}", want: "S SS AN SSSSSSS"},
	{method: "POST", route: "/d/suggestions/:id", path: "/d/suggestions/{suggestion}", form: url.Values{"title": {""}}, want: "S SS AN SSSSSSS"},
	{method: "POST", route: "/d/suggestions/:id/submit", path: "/d/suggestions/{suggestion}/submit", form: url.Values{}, want: "S SS AN SSSSSSS"},
	{method: "POST", route: "/d/suggestions/:id/withdraw", path: "/d/suggestions/{suggestion}/withdraw", form: url.Values{"reason": {""}}, want: "S SS AN SSSSSSS"},
	{method: "POST", route: "/d/suggestions/:id/sign", path: "/d/suggestions/{suggestion}/sign", form: url.Values{}, want: "S SS AN SSSSSSS"},
	{method: "POST", route: "/d/suggestions/:id/evaluate", path: "/d/suggestions/{suggestion}/evaluate", form: url.Values{}, want: "S SS AN SSSSSSS"},
	{method: "GET", route: "/d/suggestions/:id/files/:file", path: "/d/suggestions/{suggestion}/files/nofile", want: "S SS NN SSSSSSS"},
	{method: "GET", route: "/h/suggestions", path: "/h/suggestions", want: "S SS SS SSSSSSA"},
	{method: "GET", route: "/h/suggestions/:id", path: "/h/suggestions/{suggestion}", want: "S SS SS SSSSSSA"},
	{method: "POST", route: "/h/suggestions/:id/contact", path: "/h/suggestions/{suggestion}/contact", form: url.Values{"how": {""}}, want: "S SS SS SSSSSSA"},
	{method: "POST", route: "/h/suggestions/:id/opinion", path: "/h/suggestions/{suggestion}/opinion", form: url.Values{"text": {""}}, want: "S SS SS SSSSSSA"},
	{method: "POST", route: "/h/suggestions/:id/answer", path: "/h/suggestions/{suggestion}/answer", form: url.Values{"text": {""}}, want: "S SS SS SSSSSSA"},
	{method: "GET", route: "/h/suggestions/:id/files/:file", path: "/h/suggestions/{suggestion}/files/nofile", want: "S SS SS SSSSSSN"},
	{method: "POST", route: "/h/suggestions/:id/acknowledge", path: "/h/suggestions/{suggestion}/acknowledge", form: url.Values{}, want: "S SS SS SSSSSSA"},
	// Case 1's photo: staff who reach the case.
	{method: "GET", route: "/console/photos/:id", path: "/console/photos/{photo}", want: "S SS SS AAANANA"},

	// Operations and the API's contract. /metrics is read from this host.
	{method: "GET", route: "/healthz", path: "/healthz", want: "A AA AA AAAAAAA"},
	{method: "GET", route: "/readyz", path: "/readyz", want: "A AA AA AAAAAAA"},
	{method: "GET", route: "/metrics", path: "/metrics", want: "A AA AA AAAAAAA"},
	{method: "GET", route: "/openapi.yaml", path: "/openapi.yaml", want: "A AA AA AAAAAAA"},
	{method: "GET", route: "/openapi.json", path: "/openapi.json", want: "A AA AA AAAAAAA"},
	{method: "GET", route: "/", path: "/", want: "A AA AA AAAAAAA"},

	// Last, as they end what they act on: cancelling citizen A's booking,
	// signing out of the console.
	{method: "DELETE", route: "/mp/bookings/:id", path: "/mp/bookings/{booking}", want: "S AN SS SSSSSSS"},
	// Signing out ends at the sign-in page, as not being signed in does
	// (TestConsoleLoginLockoutAndCSRF checks the session ends).
	{method: "POST", route: "/console/logout", path: "/console/logout", form: url.Values{}, want: "S SS SS SSSSSSS"},
}

// matrixRole is one role's credentials: cookies (the console's or the
// deputies' session), a bearer token (a citizen's Mini Program session or a
// staff member's API token) and the CSRF token of its forms.
type matrixRole struct {
	client *http.Client // keeps cookies, follows no redirect
	bearer string
	csrf   string
	// phoneCSRF is the token of the forms of the handler's phone pages
	// (/h/), whose session is another than the console's.
	phoneCSRF string
}

// TestAuthorisationMatrix asks every route as every role and checks the
// outcome class against the table above; a route the router serves without
// a row, or a row for a route it does not serve, fails the test.
func TestAuthorisationMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		checkEveryRouteHasARow(t, e)
		for _, row := range authzRows {
			if want := strings.ReplaceAll(row.want, " ", ""); len(want) != len(matrixRoles) {
				t.Fatalf("%s %s: %d expectations for %d roles", row.method, row.route, len(want), len(matrixRoles))
			}
		}
		roles, fill := authzWorld(t, e)
		// Each role goes down the table in order, the roles side by side:
		// what one role does changes nothing another is asked.
		var wg sync.WaitGroup
		for i, name := range matrixRoles {
			wg.Go(func() {
				for _, row := range authzRows {
					want := strings.ReplaceAll(row.want, " ", "")[i]
					status, location, err := authzRequest(e, roles[name], row, fill)
					if err != nil {
						t.Errorf("%s %s as %s: %v", row.method, row.route, name, err)
						continue
					}
					if got := outcomeClass(status, location); status >= 500 || got != want {
						t.Errorf("%-6s %-40s as %-10s: %d %s → %c, want %c", row.method, row.route, name, status, location, got, want)
					}
				}
			})
		}
		wg.Wait()
	})
}

// checkEveryRouteHasARow compares the router's routes with the table.
func checkEveryRouteHasARow(t *testing.T, e *env) {
	engine, ok := e.handler.(*gin.Engine)
	if !ok {
		t.Fatalf("app.New's handler is a %T, not the gin engine: the matrix cannot list its routes", e.handler)
	}
	rows := map[string]bool{}
	for _, row := range authzRows {
		rows[row.method+" "+row.route] = true
	}
	served := map[string]bool{}
	for _, r := range engine.Routes() {
		served[r.Method+" "+r.Path] = true
		if !rows[r.Method+" "+r.Path] {
			t.Errorf("%s %s has no row in the authorisation matrix (authz_test.go): say who may call it", r.Method, r.Path)
		}
	}
	for key := range rows {
		if !served[key] {
			t.Errorf("the authorisation matrix has a row for %s, which the router does not serve", key)
		}
	}
}

// outcomeClass reads an answer as one of the matrix's letters.
func outcomeClass(status int, location string) byte {
	switch {
	case status == http.StatusUnauthorized:
		return 'S'
	case status >= 300 && status < 400 && (strings.HasPrefix(location, "/console/login") || strings.HasPrefix(location, "/d/login") ||
		strings.HasPrefix(location, "/c/login") || strings.HasPrefix(location, "/h/login") || strings.Contains(location, "/connect/oauth2/authorize")):
		return 'S'
	case status == http.StatusForbidden:
		return 'F'
	case status == http.StatusNotFound:
		return 'N'
	}
	return 'A'
}

func authzRequest(e *env, role *matrixRole, row authzRow, fill *strings.Replacer) (int, string, error) {
	path := fill.Replace(row.path)
	var body io.Reader
	contentType := ""
	switch {
	case row.json != "":
		body, contentType = strings.NewReader(row.json), "application/json"
	case row.form != nil:
		form := url.Values{}
		for k, vs := range row.form {
			for _, v := range vs {
				form.Add(k, fill.Replace(v))
			}
		}
		form.Set("csrf", role.csrf)
		if strings.HasPrefix(path, "/h/") && role.phoneCSRF != "" {
			form.Set("csrf", role.phoneCSRF)
		}
		body, contentType = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	}
	req, err := http.NewRequest(row.method, e.srv.URL+path, body)
	if err != nil {
		return 0, "", err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Origin", e.srv.URL)
	}
	if role.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+role.bearer)
	}
	resp, err := role.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), nil
}

// authzWorld makes the matrix's world: the roles signed in, case 1 with
// its photo, an activity inviting deputy A, a booking of citizen A. fill
// is what the rows' paths name, in order. A pop-up desk of station 1 too.
func authzWorld(t *testing.T, e *env) (map[string]*matrixRole, *strings.Replacer) {
	ctx := context.Background()
	now := time.Now()
	noRedirect := func(jar http.CookieJar) *http.Client {
		return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	anonJar, _ := cookiejar.New(nil)
	roles := map[string]*matrixRole{"anon": {client: noRedirect(anonJar)}}

	// Citizens, and case 1 with a photo, raised at deputy A's code. Their
	// phones' WeChat knows them by the same openid on the Official Account
	// (the case page's sign-in) as in the Mini Program.
	citizens := map[string]string{"citizenA": "oMatrixCitizenA000000001", "citizenB": "oMatrixCitizenB000000001"}
	phones := map[string]*wechatBrowser{}
	for name, openid := range citizens {
		phones[name] = e.wechatBrowser(t, openid)
		roles[name] = &matrixRole{client: noRedirect(phones[name].client.Jar), bearer: e.login(t, openid)}
	}
	status, up := e.upload(t, roles["citizenA"].bearer, "photo", pngPhoto(t, 10))
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %v", status, up)
	}
	photo := up["id"]
	_, out := e.mp(t, "POST", "/mp/cases", roles["citizenA"].bearer,
		`{"request_id": "matrix-1", "scene": "dp:demo-d01", "text": "人行道砖松动", "photos": ["`+photo+`"]}`)
	number := out["number"]
	if number == "" {
		t.Fatalf("case 1: %v", out)
	}
	if status, out := e.staffPost(t, "/api/cases/"+number+"/handover", staffToken, `{"department": "市南区城市管理局", "days": 10}`); status != http.StatusOK {
		t.Fatalf("hand over case 1: %d %v", status, out)
	}
	for name, phone := range phones {
		if status, _ := phone.get("/c/" + number); status != map[string]int{"citizenA": http.StatusOK, "citizenB": http.StatusNotFound}[name] {
			t.Fatalf("%s opens case 1's page: %d", name, status)
		}
	}
	// Case 2, citizen B's at deputy B's code: deputy B's page of it has a form (and the CSRF token).
	_, out = e.mp(t, "POST", "/mp/cases", roles["citizenB"].bearer, `{"request_id": "matrix-2", "scene": "dp:demo-d03", "text": "公交站台破损"}`)
	own := map[string]string{"deputyA": number, "deputyB": out["number"]}

	// Deputies, signed in through WeChat's web authorisation.
	for name, d := range map[string][2]string{"deputyA": {"demo-d01", "oMatrixDeputyA0000000000001"}, "deputyB": {"demo-d03", "oMatrixDeputyB0000000000001"}} {
		bindDeputy(t, e, d[0], d[1], now)
		b := e.wechatBrowser(t, d[1])
		if status, page := b.get("/d/cases/" + own[name]); status != http.StatusOK || b.csrf == "" {
			t.Fatalf("%s signs in: %d %s", name, status, page)
		}
		roles[name] = &matrixRole{client: noRedirect(b.client.Jar), csrf: b.csrf}
	}

	// Staff, each with a console session and an API token.
	dept, err := e.db.DepartmentByPath(ctx, "青岛市/市南区/市南区城市管理局")
	if err != nil {
		t.Fatal(err)
	}
	staff := []struct {
		name         string
		user         mashang.StaffUser
		jurisdiction string
		station      string
	}{
		{"admin", mashang.StaffUser{Role: mashang.RoleAdmin}, "", ""},
		{"city", mashang.StaffUser{Role: mashang.RoleStaff}, "青岛市", ""},
		{"district1", mashang.StaffUser{Role: mashang.RoleStaff}, "青岛市/市南区", ""},
		{"district2", mashang.StaffUser{Role: mashang.RoleStaff}, "青岛市/西海岸新区", ""},
		{"secretary1", mashang.StaffUser{Role: mashang.RoleSecretary}, "", "demo-bdg"},
		{"secretary2", mashang.StaffUser{Role: mashang.RoleSecretary}, "", "demo-xhw"},
		{"handler", mashang.StaffUser{Role: mashang.RoleHandler, DepartmentID: dept}, "", ""},
	}
	accounts := &mashang.Accounts{Store: e.db, Cost: bcrypt.MinCost}
	for _, s := range staff {
		u := s.user
		u.Username, u.Name = "m"+strings.ToLower(s.name), "矩阵"+s.name
		e.addStaff(t, u, s.jurisdiction, s.station)
		token := "matrix-token-" + s.name + "-0123456789abcdef"
		if err := accounts.GrantAPIToken(ctx, u.Username, token); err != nil {
			t.Fatal(err)
		}
		b := e.browser(t)
		if status := b.login(u.Username, staffPassword); status != http.StatusSeeOther || b.csrf == "" {
			t.Fatalf("%s signs in: %d", s.name, status)
		}
		roles[s.name] = &matrixRole{client: b.client, bearer: token, csrf: b.csrf}
	}
	// The handler's WeChat, bound from the console, signs them in to their
	// phone pages in the same browser.
	const handlerOpenID = "oMatrixHandler00000000000001"
	bindStaffWeChat(t, e, "mhandler", handlerOpenID)
	phone := e.wechatBrowser(t, handlerOpenID)
	phone.client.Jar = roles["handler"].client.Jar
	fake, _ := url.Parse(e.fakeURL)
	phone.client.Jar.SetCookies(fake, []*http.Cookie{{Name: wechattest.BrowserUserCookie, Value: handlerOpenID}})
	if status, page := phone.get("/h/cases/" + number); status != http.StatusOK || phone.csrf == "" {
		t.Fatalf("the handler opens case 1 on their phone: %d %s", status, page)
	}
	roles["handler"].phoneCSRF = phone.csrf

	// An activity inviting deputy A, dispatched by the city's staff.
	start := now.Add(24 * time.Hour).In(mashang.China)
	_, loc := (&staffBrowser{t: t, base: e.srv.URL, client: roles["city"].client, csrf: roles["city"].csrf}).post("/console/activities", url.Values{
		"title": {"矩阵视察"}, "place": {"八大关"}, "start": {start.Format("2006-01-02T15:04")}, "end": {start.Add(time.Hour).Format("2006-01-02T15:04")},
		"invitees": {"demo-d01"}, "csrf": {roles["city"].csrf}})
	activity := strings.TrimPrefix(sentTo(loc), "/console/activities/")
	if activity == "" || strings.Contains(activity, "/") {
		t.Fatalf("dispatch: %s", loc)
	}

	// A pop-up desk of station 1 with deputy A, set up by the city's staff.
	_, loc = (&staffBrowser{t: t, base: e.srv.URL, client: roles["city"].client, csrf: roles["city"].csrf}).post("/console/desks", url.Values{
		"station": {"demo-bdg"}, "place": {"矩阵广场"}, "start": {start.Format("2006-01-02T15:04")}, "end": {start.Add(time.Hour).Format("2006-01-02T15:04")},
		"deputies": {"demo-d01"}, "csrf": {roles["city"].csrf}})
	desk := strings.TrimPrefix(sentTo(loc), "/console/desks/")
	if desk == "" || strings.Contains(desk, "/") {
		t.Fatalf("desk: %s", loc)
	}

	// A booking of citizen A, at a slot of station 1.
	day := receptionDay(t).Format("2006-01-02")
	status, slot := e.publishSlot(t, "demo-lsh", `{"day": "`+day+`", "starts": "09:00", "ends": "11:00", "capacity": 10, "deputies": ["demo-d05"]}`)
	if status != http.StatusCreated {
		t.Fatalf("slot: %d %v", status, slot)
	}
	status, booking := e.mp(t, "POST", "/mp/bookings", roles["citizenA"].bearer, `{"slot_id": `+slot["id"]+`, "topic": "矩阵"}`)
	if status != http.StatusCreated {
		t.Fatalf("booking: %d %v", status, booking)
	}
	// Citizen B's booking, which nobody cancels, for the register.
	status, booking2 := e.mp(t, "POST", "/mp/bookings", roles["citizenB"].bearer, `{"slot_id": `+slot["id"]+`, "topic": "矩阵二"}`)
	if status != http.StatusCreated {
		t.Fatalf("booking: %d %v", status, booking2)
	}
	// A line of 八大关's reception register today.
	today := now.In(mashang.China)
	visit, err := (&mashang.Register{Store: e.db}).Record(ctx, mashang.VisitEntry{StationCode: "demo-bdg", Day: today.Format(time.DateOnly),
		Topics: []string{"矩阵来访"}, By: "madmin"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Suggestion 1: deputy A's, handed to the handler's department (市南区城市管理局).
	suggestion := authzSuggestion(t, e, dept)
	if !slices.Contains(matrixRoles, "anon") || len(roles) != len(matrixRoles) {
		t.Fatalf("roles %v", roles)
	}
	return roles, strings.NewReplacer("{case}", number, "{photo}", photo, "{activity}", activity, "{booking}", booking["id"], "{booking2}", booking2["id"],
		"{visit}", strconv.FormatInt(visit.ID, 10), "{topic}", strconv.FormatInt(visit.Topics[0].ID, 10), "{month}", today.Format("2006-01"), "{desk}", desk,
		"{suggestion}", strconv.FormatInt(suggestion, 10))
}

// authzSuggestion is deputy A's suggestion, accepted and handed to the
// department dept, through the domain (the lifecycle test goes through
// the pages).
func authzSuggestion(t *testing.T, e *env, dept int64) int64 {
	t.Helper()
	ctx := context.Background()
	dep, err := e.db.DeputyByCode(ctx, "demo-d01")
	if err != nil {
		t.Fatal(err)
	}
	s := e.suggestions
	id, err := s.Save(ctx, dep, 0, mashang.SuggestionInput{Title: "矩阵建议", Matter: "人行道砖松动", Proposal: "统一翻修", Category: "城乡建设"})
	if err == nil {
		err = s.Submit(ctx, dep, id)
	}
	if err == nil {
		err = s.Review(ctx, "矩阵", id, mashang.ReviewAccept, "", 0)
	}
	if err == nil {
		_, err = s.HandOver(ctx, "矩阵", id, dept, nil, false, "")
	}
	if err != nil {
		t.Fatalf("suggestion 1: %v", err)
	}
	return id
}
