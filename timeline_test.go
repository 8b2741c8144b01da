package mashang_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mashang"
)

// Each cell says how an audience reads a kind of line: not at all (no), as
// written (yes), or in the words given.
const (
	no  = "—"
	yes = "原文"
)

var audienceNames = map[mashang.Audience]string{mashang.AudienceCitizen: "citizen", mashang.AudienceDeputy: "deputy",
	mashang.AudienceHandler: "handler", mashang.AudienceStaff: "staff", mashang.AudiencePublic: "public"}

// Every kind of timeline line × every audience. A kind declared in the
// package without a row here fails the test: whoever adds one decides who
// reads it.
func TestWhoReadsEachKindOfLine(t *testing.T) {
	rows := []struct {
		kind                                    mashang.EventKind
		citizen, deputy, handler, staff, public string
	}{
		{mashang.EventOpened, yes, yes, yes, yes, no},
		{mashang.EventAdded, yes, yes, yes, yes, no},
		{mashang.EventPhotos, yes, yes, yes, yes, no},
		{mashang.EventUnchecked, no, no, no, yes, no},
		{mashang.EventHeld, no, no, no, yes, no},
		{mashang.EventPhotoHeld, no, no, no, yes, no},
		{mashang.EventRouted, yes, yes, yes, yes, no},
		{mashang.EventNotified, "已通知代表", yes, yes, yes, no},
		{mashang.EventAlert, no, no, no, yes, no},
		{mashang.EventRerouted, yes, yes, yes, yes, no},
		{mashang.EventMoved, yes, yes, yes, yes, no},
		{mashang.EventMoveAsked, no, yes, no, yes, no}, // a deputy's request: staff decide, the citizen hears a move when it happens
		{mashang.EventCategorised, yes, no, yes, yes, no},
		{mashang.EventAccepted, yes, yes, yes, yes, no},
		{mashang.EventDraft, no, yes, yes, yes, no}, // the citizen hears an answer only when staff send it
		{mashang.EventReply, yes, yes, yes, yes, no},
		{mashang.EventHanded, yes, yes, yes, yes, no},
		{mashang.EventAcknowledged, "承办单位已签收", yes, yes, yes, no},
		{mashang.EventResult, no, yes, yes, yes, no}, // the citizen hears it when staff send it as the answer
		{mashang.EventColour, no, no, yes, yes, no},
		{mashang.EventNotify, no, no, no, yes, no},
		{mashang.EventClosed, yes, yes, yes, yes, yes}, // the results wall
		{mashang.EventRated, yes, yes, yes, yes, no},
		{mashang.EventReopened, yes, yes, yes, yes, no},
		{mashang.EventMerged, yes, yes, yes, yes, no},
		{mashang.EventMergedIn, no, yes, yes, yes, no},
		{mashang.EventOwnCase, no, no, no, yes, no},        // a deputy's own case: for staff to look at
		{mashang.EventSolvedReport, no, yes, yes, yes, no}, // the citizen hears it is closed when staff close it
		{mashang.EventEntered, yes, yes, yes, yes, no},     // the channel: the citizen knows how they came
		{mashang.EventClaimed, yes, yes, yes, yes, no},     // linked to their WeChat, in words without an openid
		{mashang.EventSlip, no, no, no, yes, no},           // a slip printed again: staff's own
		{mashang.EventPhoned, yes, yes, yes, yes, no},      // told by phone: the citizen knows
		{mashang.EventNoticeSent, no, no, no, yes, no},
		{mashang.EventNoticeFailed, no, no, no, yes, no},
		{mashang.EventReplySent, "答复已送达", "答复已送达群众", "答复已送达群众", yes, no},
		{mashang.EventReplyFailed, no, no, no, yes, no},
		{mashang.EventProgressSent, no, no, no, yes, no},
		// Which pop-up desk a case came through is no secret to anyone on it.
		{mashang.EventDesk, yes, yes, yes, yes, no},
		{mashang.EventProgressFailed, no, no, no, yes, no},
		{mashang.EventPublished, no, no, no, yes, no},
		{mashang.EventUnpublished, no, no, no, yes, no},
		{mashang.EventSgCreated, no, yes, yes, yes, no},
		{mashang.EventSgInvited, no, yes, no, yes, no},
		{mashang.EventSgSigned, no, yes, no, yes, no},
		{mashang.EventSgSubmitted, no, yes, yes, yes, no},
		{mashang.EventSgWithdrawn, no, yes, no, yes, no},
		{mashang.EventSgReturned, no, yes, no, yes, no},
		{mashang.EventSgAccepted, no, yes, yes, yes, no},
		{mashang.EventSgRefused, no, yes, no, yes, no},
		{mashang.EventSgMerged, no, yes, yes, yes, no},
		{mashang.EventSgMergedIn, no, yes, yes, yes, no},
		{mashang.EventSgHanded, no, yes, yes, yes, no},
		{mashang.EventSgAcknowledged, no, yes, yes, yes, no},
		{mashang.EventSgContact, no, yes, yes, yes, no},
		{mashang.EventSgOpinion, no, no, yes, yes, no},
		{mashang.EventSgAnswered, no, yes, yes, yes, no},
		{mashang.EventSgEvaluated, no, yes, no, yes, no}, // 背靠背: never the bodies
		{mashang.EventSgRedo, no, yes, "交回本单位重新办理", yes, no},
		{mashang.EventSgPromise, no, no, yes, yes, no},
		{mashang.EventSgClosed, no, yes, yes, yes, yes},
		{mashang.EventSgKey, no, yes, yes, yes, no},
		{"a_kind_nobody_decided", no, no, no, yes, no}, // unknown: staff only
	}
	decided := map[mashang.EventKind]bool{}
	for _, r := range rows {
		decided[r.kind] = true
		for who, want := range map[mashang.Audience]string{mashang.AudienceCitizen: r.citizen, mashang.AudienceDeputy: r.deputy,
			mashang.AudienceHandler: r.handler, mashang.AudienceStaff: r.staff, mashang.AudiencePublic: r.public} {
			line := mashang.CaseEvent{At: time.Unix(1764000000, 0), Kind: r.kind, Actor: "系统", Detail: yes}
			got := no
			if read := mashang.TimelineFor([]mashang.CaseEvent{line}, who); len(read) == 1 {
				got = read[0].Detail
				if read[0].Kind != r.kind || read[0].Actor != line.Actor || !read[0].At.Equal(line.At) {
					t.Errorf("%s reads %s as %+v", audienceNames[who], r.kind, read[0])
				}
			}
			if got != want {
				t.Errorf("%s reads %s as %q, want %q", audienceNames[who], r.kind, got, want)
			}
			if visible := mashang.Visible(r.kind, who); visible != (want != no) {
				t.Errorf("Visible(%s, %s) = %v", r.kind, audienceNames[who], visible)
			}
		}
	}
	for name, kind := range declaredKinds(t) {
		if !decided[kind] {
			t.Errorf("%s (%q) has no row here: decide who reads it", name, kind)
		}
	}
}

// A timeline keeps its order, leaves out what is not for its reader and
// changes nothing of the events it was given.
func TestTimelineForKeepsOrder(t *testing.T) {
	at := time.Unix(1764000000, 0)
	events := []mashang.CaseEvent{
		{At: at, Kind: mashang.EventOpened, Actor: "群众", Detail: "路灯坏了"},
		{At: at.Add(time.Second), Kind: mashang.EventNotified, Actor: "系统", Detail: "已通过模板消息通知1位代表：李建国"},
		{At: at.Add(2 * time.Second), Kind: mashang.EventDraft, Actor: "李建国代表", Detail: "明天修"},
		{At: at.Add(3 * time.Second), Kind: mashang.EventReply, Actor: "王秘书", Detail: "明天修"},
	}
	got := mashang.TimelineFor(events, mashang.AudienceCitizen)
	var lines []string
	for _, e := range got {
		lines = append(lines, string(e.Kind)+": "+e.Detail)
	}
	if want := "opened: 路灯坏了|notified: 已通知代表|reply: 明天修"; strings.Join(lines, "|") != want {
		t.Errorf("the citizen reads %q, want %q", strings.Join(lines, "|"), want)
	}
	if events[1].Detail != "已通过模板消息通知1位代表：李建国" {
		t.Errorf("the staff's events were changed: %+v", events[1])
	}
	if len(mashang.TimelineFor(events, mashang.AudienceStaff)) != len(events) {
		t.Error("staff do not read every line")
	}
}

// The console reads a department's handler as one audience, everyone else
// as staff.
func TestConsoleAudience(t *testing.T) {
	for role, want := range map[string]mashang.Audience{mashang.RoleHandler: mashang.AudienceHandler, mashang.RoleAdmin: mashang.AudienceStaff,
		mashang.RoleStaff: mashang.AudienceStaff, mashang.RoleSecretary: mashang.AudienceStaff} {
		if got := mashang.ConsoleAudience(role); got != want {
			t.Errorf("%s reads as %s, want %s", role, audienceNames[got], audienceNames[want])
		}
	}
}

func TestDeliveryEvent(t *testing.T) {
	for _, c := range []struct {
		itemKind string
		sent     bool
		want     mashang.EventKind
	}{
		{"reply", true, mashang.EventReplySent}, {"reply", false, mashang.EventReplyFailed},
		{mashang.KindProgress, true, mashang.EventProgressSent}, {mashang.KindProgress, false, mashang.EventProgressFailed},
		{"template", true, mashang.EventNoticeSent}, {"template", false, mashang.EventNoticeFailed},
		{mashang.KindSubscribe, true, mashang.EventNoticeSent},
	} {
		if got := mashang.DeliveryEvent(c.itemKind, c.sent); got != c.want {
			t.Errorf("DeliveryEvent(%q, %v) = %s, want %s", c.itemKind, c.sent, got, c.want)
		}
	}
}

// declaredKinds reads the package's source for its EventKind constants, and
// fails on a kind written as a bare string where a timeline line is added
// (in the domain or the store): every kind is a declared one.
func declaredKinds(t *testing.T) map[string]mashang.EventKind {
	t.Helper()
	kinds := map[string]mashang.EventKind{}
	fset := token.NewFileSet()
	for _, dir := range []string{".", "store"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.ValueSpec:
					if typ, ok := n.Type.(*ast.Ident); ok && typ.Name == "EventKind" && dir == "." {
						for i, id := range n.Names {
							if lit, ok := n.Values[i].(*ast.BasicLit); ok {
								v, _ := strconv.Unquote(lit.Value)
								kinds[id.Name] = mashang.EventKind(v)
							}
						}
					}
				case *ast.CallExpr:
					if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "AddCaseEvent" && len(n.Args) > 3 {
						if lit, ok := n.Args[3].(*ast.BasicLit); ok {
							t.Errorf("%s: a timeline line of kind %s, not one of the declared EventKinds", fset.Position(lit.Pos()), lit.Value)
						}
					}
				}
				return true
			})
		}
	}
	if len(kinds) < 20 {
		t.Fatalf("found only %d EventKind constants: %v", len(kinds), kinds)
	}
	return kinds
}
