package handlers_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

func TestRiskyFormsAreHeldForStaff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		bindDeputy(t, e, "demo-d02", "oDeputyLiHeld000000000001", time.Now()) // 生活保障组 at 八大关
		e.fake.SetRiskyWords(map[string]wechattest.SecurityHit{"赌博": {Suggest: "risky", Label: 20006}, "某某领导": {Suggest: "review", Label: 20001}})
		token := e.login(t, "oHeldCitizen0000000000001")

		status, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "held-0001", "scene": "st:demo-bdg", "text": "楼下路灯坏了，有人在路灯下赌博"}`)
		if status != http.StatusCreated {
			t.Fatalf("raise: %d %v", status, out)
		}
		number := out["number"]
		c, events := e.caseOf(t, number)
		tl := timeline(events)
		if c.Status != mashang.CaseHeld || c.GroupID != 0 || !strings.Contains(tl, "held: 内容安全检测提示「违法犯罪」（risky），暂不分派，由工作人员审核") || strings.Contains(tl, "notified") {
			t.Fatalf("held case %+v\n%s", c, tl)
		}
		if alerts, err := e.db.StaffAlerts(ctx); err != nil || len(alerts) != 1 || !strings.Contains(alerts[0], number) {
			t.Fatalf("staff alerts %v %v", alerts, err)
		}
		resp, body := getAuth(t, e.srv.URL+"/mp/cases/"+number, token)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"status_label":"已收到，正在审核"`) || strings.Contains(string(body), "违法犯罪") {
			t.Fatalf("the citizen's view: %d %s", resp.StatusCode, body)
		}
		// Staff look, then release it to a group: only now are deputies told.
		if status, out := e.reroute(t, number, staffToken, `{"group": "生活保障组", "reason": "内容属实，路灯问题"}`); status != http.StatusOK || out["status"] != mashang.CaseOpen {
			t.Fatalf("release: %d %v", status, out)
		}
		if _, events := e.caseOf(t, number); !strings.Contains(timeline(events), "rerouted: 审核通过并分派至「生活保障组」") {
			t.Fatalf("timeline after release:\n%s", timeline(events))
		}
		if _, err := e.outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.fake.Delivered("oDeputyLiHeld000000000001"); len(got) != 1 {
			t.Fatalf("deputy told %d times", len(got))
		}

		// A passing text is routed at once, and says it was checked.
		// (Other citizens: one citizen's forms moments apart join in one case.)
		_, out = e.mp(t, "POST", "/mp/cases", e.login(t, "oHeldCitizen0000000000002"), `{"request_id": "held-0002", "scene": "st:demo-bdg", "text": "小区垃圾没人清运"}`)
		if c, events := e.caseOf(t, out["number"]); c.Status != mashang.CaseOpen || c.GroupName != "生活保障组" || strings.Contains(timeline(events), "unchecked") {
			t.Fatalf("passing case %+v\n%s", c, timeline(events))
		}

		// WeChat's check unavailable: the form is still taken, and routed, and
		// its timeline says it went unchecked.
		e.fake.FailNext("/wxa/msg_sec_check", -1, 1)
		_, out = e.mp(t, "POST", "/mp/cases", e.login(t, "oHeldCitizen0000000000003"), `{"request_id": "held-0003", "scene": "st:demo-bdg", "text": "物业不管楼道卫生"}`)
		if c, events := e.caseOf(t, out["number"]); c.Status != mashang.CaseOpen || !strings.Contains(timeline(events), "unchecked: 未经内容安全检测：内容安全接口返回错误码 -1") {
			t.Fatalf("unchecked case %+v\n%s", c, timeline(events))
		}
	})
}

func TestRiskyPhotosAreHiddenAndStaffTold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		risky := pngPhoto(t, 200)
		e.fake.SetRiskyMedia(func(data []byte) (wechattest.SecurityHit, bool) {
			return wechattest.SecurityHit{Suggest: "risky", Label: 20002}, bytes.Equal(data, risky)
		})
		token := e.login(t, "oPhotoCheck00000000000001")
		_, fine := e.upload(t, token, "photo", pngPhoto(t, 10))
		_, bad := e.upload(t, token, "photo", risky)
		_, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "photo-check-1", "scene": "st:demo-bdg", "text": "路灯坏了", "photos": ["`+fine["id"]+`", "`+bad["id"]+`"]}`)
		number := out["number"]
		if _, events := e.caseOf(t, number); !strings.Contains(timeline(events), "附照片2张（2张正在进行内容安全检测，通过后代表可见）") {
			t.Fatalf("timeline:\n%s", timeline(events))
		}

		// The checker sends both; WeChat downloads each from us and pushes
		// its verdict to the Mini Program's push URL.
		if n, err := e.photos.SendForCheck(ctx); err != nil || n != 2 {
			t.Fatalf("sent %d for checking: %v", n, err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for len(e.fake.MPPushes()) < 2 {
			if time.Now().After(deadline) {
				t.Fatalf("WeChat's verdicts did not arrive: %+v", e.fake.MPPushes())
			}
			time.Sleep(10 * time.Millisecond)
		}
		for _, p := range e.fake.MPPushes() {
			// A verdict that came before we noted its trace is refused once
			// (503) and taken on WeChat's retry.
			if p.Status != http.StatusOK {
				t.Fatalf("push answered %+v", p)
			}
		}
		photos := map[string]string{}
		resp, body := getAuth(t, e.srv.URL+"/mp/cases/"+number, token)
		var page struct {
			Photos []struct{ ID, Check string } `json:"photos"`
		}
		mustJSON(t, body, &page)
		for _, p := range page.Photos {
			photos[p.ID] = p.Check
		}
		if resp.StatusCode != http.StatusOK || photos[fine["id"]] != mashang.PhotoPass || photos[bad["id"]] != mashang.PhotoHeld {
			t.Fatalf("photo checks: %v", photos)
		}
		if _, events := e.caseOf(t, number); !strings.Contains(timeline(events), "photo_held: 问题 "+number+" 的一张照片未通过微信内容安全检测（色情），已对代表隐藏") {
			t.Fatalf("timeline:\n%s", timeline(events))
		}
		// Checked, the photos are no longer served to anyone without a session.
		if resp, _ := getAuth(t, e.srv.URL+"/media/checks/"+fine["id"], ""); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("checked photo still public: %d", resp.StatusCode)
		}
		// A forged push changes nothing.
		forged := wechattest.CallbackSigner{URL: e.srv.URL + "/wechat/mp-callback", Token: "wrongtoken", AESKey: mpPushAESKey, AppID: mpAppID, Mode: wechattest.ModeSafe}
		req, _ := forged.JSONPushRequest([]byte(`{"MsgType":"event","Event":"wxa_media_check","trace_id":"x","result":{"suggest":"pass","label":100}}`), "gh_x")
		if status, _ := e.do(t, req); status != http.StatusForbidden {
			t.Fatalf("forged push: %d", status)
		}
	})
}
