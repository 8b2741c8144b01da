package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// staffPost posts body to the staff API with token ("" for none).
func (e *env) staffPost(t *testing.T, path, token, body string) (int, map[string]string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.mpDo(t, req)
}

func (e *env) reroute(t *testing.T, number, token, body string) (int, map[string]string) {
	t.Helper()
	return e.staffPost(t, "/api/cases/"+number+"/route", token, body)
}

func TestStaffRerouteACase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		bindDeputy(t, e, "demo-d01", "oDeputyWang00000000000001", time.Now()) // 政策咨询组 at 八大关
		citizen := e.login(t, "oRerouteCitizen0000000001")
		_, out := e.mp(t, "POST", "/mp/cases", citizen, `{"request_id": "reroute-001", "scene": "st:demo-bdg", "text": "路灯坏了，也想问问加装电梯的补贴政策"}`)
		number := out["number"]
		if c, _ := e.caseOf(t, number); c.GroupName != "生活保障组" {
			t.Fatalf("routed to %q", c.GroupName)
		}

		for _, bad := range []struct {
			body, says string
			status     int
		}{
			{`{"group": "不存在组", "reason": "政策问题"}`, "可选：政策咨询组、生活保障组", 400},
			{`{"group": "政策咨询组"}`, "reason", 400},
			{`{"group": "政策咨询组", "reason": "x", "staff": "别人"}`, "staff", 400}, // the actor is the token's owner
			{`{"group": "生活保障组", "reason": "x"}`, "已经由", 409},
		} {
			if status, out := e.reroute(t, number, staffToken, bad.body); status != bad.status || !strings.Contains(out["message"], bad.says) {
				t.Errorf("%s: %d %v", bad.body, status, out)
			}
		}
		if status, _ := e.reroute(t, number, "", `{"group": "政策咨询组", "reason": "x"}`); status != http.StatusUnauthorized {
			t.Errorf("without the staff token: %d", status)
		}
		if status, _ := e.reroute(t, "991231-9999", staffToken, `{"group": "政策咨询组", "reason": "x"}`); status != http.StatusNotFound {
			t.Errorf("unknown case: %d", status)
		}

		status, out := e.reroute(t, number, staffToken, `{"group": "政策咨询组", "category": "政策咨询", "reason": "主要是补贴政策问题"}`)
		if status != http.StatusOK || out["group"] != "政策咨询组" || out["category"] != "政策咨询" {
			t.Fatalf("reroute: %d %v", status, out)
		}
		c, events := e.caseOf(t, number)
		tl := timeline(events)
		if c.GroupName != "政策咨询组" || !strings.Contains(tl, "rerouted: 由「生活保障组」改派至「政策咨询组」。原因：主要是补贴政策问题") ||
			!strings.Contains(tl, "notified: 已通过模板消息通知1位代表：王海燕") {
			t.Fatalf("case %+v\n%s", c, tl)
		}
		if _, err := e.outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.fake.Delivered("oDeputyWang00000000000001"); len(got) != 1 || got[0].Data["character_string1"] != number {
			t.Fatalf("the new group's deputy got %+v", got)
		}
	})
}
