package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// receptionDay is the demo Laoshan station's next reception day (每周三)
// at least two days ahead, so its reminder (the evening before) is still to come.
func receptionDay(t *testing.T) time.Time {
	t.Helper()
	day, _ := mashang.NextReception("每周三上午", time.Now().Add(48*time.Hour))
	if day.IsZero() {
		t.Fatal("no reception day")
	}
	return day
}

func (e *env) login(t *testing.T, openid string) string {
	t.Helper()
	status, out := e.mp(t, "POST", "/mp/login", "", `{"code": "`+e.fake.IssueLoginCode(mpAppID, openid, "")+`"}`)
	if status != http.StatusOK {
		t.Fatalf("login %s: %d %v", openid, status, out)
	}
	return out["token"]
}

func (e *env) publishSlot(t *testing.T, station, body string) (int, map[string]string) {
	t.Helper()
	return e.staffPost(t, "/api/stations/"+station+"/slots", staffToken, body)
}

func TestBookAReception(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		day := receptionDay(t).Format("2006-01-02")

		// Staff publish a slot on the station's reception day, with two deputies on duty.
		status, slot := e.publishSlot(t, "demo-lsh", `{"day": "`+day+`", "starts": "09:00", "ends": "11:00", "capacity": 10, "deputies": ["demo-d05", "demo-d06"]}`)
		if status != http.StatusCreated || slot["left"] != "10" || slot["deputies"] != `["陈秀兰","赵卫东"]` {
			t.Fatalf("publish: %d %v", status, slot)
		}
		slotID := slot["id"]
		for _, bad := range []struct {
			body, says string
			status     int
		}{
			{`{"day": "` + receptionDay(t).AddDate(0, 0, 1).Format("2006-01-02") + `", "starts": "09:00", "ends": "11:00", "capacity": 5, "deputies": ["demo-d05"]}`, "不是", 400},
			{`{"day": "` + day + `", "starts": "14:00", "ends": "16:00", "capacity": 5, "deputies": ["demo-d01"]}`, "demo-d01", 400},
			{`{"day": "` + day + `", "starts": "14:00", "ends": "13:00", "capacity": 5, "deputies": ["demo-d05"]}`, "ends", 400},
			{`{"day": "` + day + `", "starts": "14:00", "ends": "16:00", "capacity": 0, "deputies": ["demo-d05"]}`, "capacity", 400},
			{`{"day": "` + day + `", "starts": "09:00", "ends": "11:00", "capacity": 5, "deputies": ["demo-d05"]}`, "开放过", 409},
			{`{"day": "` + day + `", "starts": "9点", "ends": "11:00", "capacity": 5, "deputies": ["demo-d05"]}`, "09:00", 400},
		} {
			if status, out := e.publishSlot(t, "demo-lsh", bad.body); status != bad.status || !strings.Contains(out["message"], bad.says) {
				t.Errorf("publish %.60s: %d %v", bad.body, status, out)
			}
		}
		if status, _ := e.publishSlot(t, "nowhere", `{"day": "`+day+`", "starts": "09:00", "ends": "11:00", "capacity": 5, "deputies": ["demo-d05"]}`); status != http.StatusNotFound {
			t.Errorf("unknown station: %d", status)
		}

		// The Mini Program lists it, publicly.
		resp, body := getAuth(t, e.srv.URL+"/mp/stations/demo-lsh/slots", "")
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"reminder_template_id":"`+reminderTemplate+`"`) || !strings.Contains(string(body), `"left":10`) {
			t.Fatalf("slots: %d %s", resp.StatusCode, body)
		}

		// 50 citizens at once for 10 places: exactly 10 get one.
		tokens := make([]string, 50)
		for i := range tokens {
			tokens[i] = e.login(t, fmt.Sprintf("oBooker%018d", i))
		}
		var wg sync.WaitGroup
		statuses := make([]int, len(tokens))
		for i, token := range tokens {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i], _ = e.mp(t, "POST", "/mp/bookings", token, `{"slot_id": `+slotID+`, "topic": "小区加装电梯的事"}`)
			}()
		}
		wg.Wait()
		count := map[int]int{}
		for _, s := range statuses {
			count[s]++
		}
		if count[http.StatusCreated] != 10 || count[http.StatusConflict] != 40 {
			t.Fatalf("50 bookings for 10 places: %v", count)
		}
		id, _ := strconv.ParseInt(slotID, 10, 64)
		if s, err := e.db.Slot(ctx, id); err != nil || s.Booked != 10 {
			t.Fatalf("slot after the rush: %+v %v", s, err)
		}

		// A citizen who got in: a second booking of the same slot is refused;
		// cancelling frees the place and withdraws the reminder.
		var holder string
		for i, s := range statuses {
			if s == http.StatusCreated {
				holder = tokens[i]
				break
			}
		}
		if status, out := e.mp(t, "POST", "/mp/bookings", holder, `{"slot_id": `+slotID+`, "topic": "再约一次"}`); status != http.StatusConflict || !strings.Contains(out["message"], "已经预约") {
			t.Fatalf("second booking: %d %v", status, out)
		}
		resp, body = getAuth(t, e.srv.URL+"/mp/bookings", holder)
		var mine struct {
			Bookings []struct {
				ID     int64  `json:"id"`
				Status string `json:"status"`
			} `json:"bookings"`
		}
		mustJSON(t, body, &mine)
		if resp.StatusCode != http.StatusOK || len(mine.Bookings) != 1 || mine.Bookings[0].Status != "booked" {
			t.Fatalf("my bookings: %d %s", resp.StatusCode, body)
		}
		bookingPath := fmt.Sprintf("/mp/bookings/%d", mine.Bookings[0].ID)
		late := e.login(t, "oBookerLate0000000000001")
		if status, _ := e.mp(t, "DELETE", bookingPath, late, ""); status != http.StatusNotFound {
			t.Fatalf("another citizen cancelling: %d", status)
		}
		if status, out := e.mp(t, "POST", "/mp/bookings", late, `{"slot_id": `+slotID+`, "topic": "想反映噪音"}`); status != http.StatusConflict || !strings.Contains(out["message"], "约满") {
			t.Fatalf("full slot: %d %v", status, out)
		}
		if status, _ := e.mp(t, "DELETE", bookingPath, holder, ""); status != http.StatusNoContent {
			t.Fatalf("cancel: %d", status)
		}
		if status, _ := e.mp(t, "DELETE", bookingPath, holder, ""); status != http.StatusConflict {
			t.Fatalf("cancel twice: %d", status)
		}
		// The freed place goes to the next citizen, who asks for a reminder.
		e.fake.GrantSubscribe("oBookerLate0000000000001", reminderTemplate)
		if status, out := e.mp(t, "POST", "/mp/bookings", late, `{"slot_id": `+slotID+`, "topic": "想反映噪音", "remind_template_id": "`+reminderTemplate+`"}`); status != http.StatusCreated || out["remind"] != "true" {
			t.Fatalf("booking the freed place: %d %v", status, out)
		}
		for _, bad := range []struct{ body, says string }{
			{`{"topic": "x"}`, "slot_id"},
			{`{"slot_id": ` + slotID + `, "topic": "  "}`, "topic"},
			{`{"slot_id": ` + slotID + `, "topic": "x", "remind_template_id": "OTHER"}`, "remind_template_id"},
			{`{"slot_id": "one", "topic": "x"}`, "slot_id"},
		} {
			if status, out := e.mp(t, "POST", "/mp/bookings", tokens[49], bad.body); status != http.StatusBadRequest || !strings.Contains(out["message"], bad.says) {
				t.Errorf("book %s: %d %v", bad.body, status, out)
			}
		}
		if status, _ := e.mp(t, "POST", "/mp/bookings", tokens[49], `{"slot_id": 999999, "topic": "x"}`); status != http.StatusNotFound {
			t.Errorf("unknown slot: %d", status)
		}

		// The deputy on duty sees who is coming from the Official Account menu.
		bindDeputy(t, e, "demo-d06", "oDeputyZhaoDuty0000000001", time.Now())
		got := e.say(t, wechattest.Event(account, "oDeputyZhaoDuty0000000001", "CLICK", mashang.MenuDutyBookings, time.Now()))
		if !strings.Contains(got, "共有10位群众预约") || !strings.Contains(got, day+" 09:00-11:00") || !strings.Contains(got, "想反映噪音") {
			t.Fatalf("duty bookings: %q", got)
		}
		if got := e.say(t, wechattest.Event(account, "oNotADeputy00000000000001", "CLICK", mashang.MenuDutyBookings, time.Now())); !strings.Contains(got, "已绑定微信的代表") {
			t.Fatalf("a citizen pressing 我的接待: %q", got)
		}

		// The evening before, the one reminder due goes out; the cancelled
		// citizen's was withdrawn and nobody else asked for one.
		dayStart, _ := time.ParseInLocation("2006-01-02", day, mashang.China)
		e.outbox.Now = func() time.Time { return dayStart.Add(-6*time.Hour + time.Minute) }
		if _, err := e.outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		sent := e.fake.Delivered("oBookerLate0000000000001")
		if len(sent) != 1 || sent[0].Kind != wechattest.DeliverySubscribe || sent[0].Data["time2"] != day+" 09:00" ||
			sent[0].Data["thing3"] != "想反映噪音" || sent[0].Page != "pages/bookings/index" {
			t.Fatalf("reminder: %+v", sent)
		}
		for i := range tokens {
			if d := e.fake.Delivered(fmt.Sprintf("oBooker%018d", i)); len(d) != 0 {
				t.Fatalf("citizen %d got %+v", i, d)
			}
		}
	})
}
