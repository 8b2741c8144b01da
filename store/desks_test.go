package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/store/storetest"
)

// issuerCounter plays WeChat's temporary codes, counting what it was asked.
type issuerCounter struct {
	scenes []string
	ttls   []time.Duration
}

func (c *issuerCounter) TemporaryCode(_ context.Context, scene string, ttl time.Duration) (string, string, error) {
	c.scenes, c.ttls = append(c.scenes, scene), append(c.ttls, ttl)
	return "ticket-" + scene, "http://weixin.qq.com/q/" + scene, nil
}

// Setting up a pop-up desk checks what staff typed and their reach (the
// desk's station; each deputy at it or within reach), and saves it with its
// deputies; a desk is listed within its station's reach only; its code is
// asked of WeChat once, for 30 days, never again once kept nor once the desk
// has ended.
func TestDesksSetUpWithinReachAndCodeKept(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db := storetest.Open(t, driver)
		if err := db.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
		clock := now
		issuer := &issuerCounter{}
		desks := &mashang.Desks{Store: db, Issuer: issuer, Now: func() time.Time { return clock }}
		bdgOnly := func(code string) bool { return code == "demo-bdg" }
		base := mashang.Desk{Place: "居庸关路菜市场", Start: now.Add(time.Hour), End: now.Add(3 * time.Hour), CreatedBy: "town"}
		for _, tc := range []struct {
			name, station, deputies string
			change                  func(*mashang.Desk)
			says                    string
		}{
			{"no place", "demo-bdg", "demo-d01", func(d *mashang.Desk) { d.Place = " " }, "请填写流动办公桌地点"},
			{"backwards", "demo-bdg", "demo-d01", func(d *mashang.Desk) { d.End = d.Start.Add(-time.Minute) }, "结束要晚于开始"},
			{"over", "demo-bdg", "demo-d01", func(d *mashang.Desk) { d.Start, d.End = now.Add(-2*time.Hour), now.Add(-time.Hour) }, "结束时间已经过去"},
			{"past the code's life", "demo-bdg", "demo-d01", func(d *mashang.Desk) { d.Start, d.End = now.Add(29*24*time.Hour), now.Add(30*24*time.Hour) }, "不能晚于29天后"},
			{"no deputies", "demo-bdg", "", nil, "请填写在场的代表"},
			{"another station", "demo-xhw", "demo-d03", nil, "没有编码为 demo-xhw 的站点，或它不在您的工作范围内"},
			{"a deputy beyond reach", "demo-bdg", "demo-d03", nil, "张晓梅代表不在您的工作范围内"},
			{"an unknown deputy", "demo-bdg", "demo-zz", nil, "没有编码为 demo-zz 的代表"},
		} {
			d := base
			if tc.change != nil {
				tc.change(&d)
			}
			var names []string
			if tc.deputies != "" {
				names = strings.Fields(tc.deputies)
			}
			if _, err := desks.Create(ctx, d, tc.station, names, bdgOnly); err == nil || !strings.Contains(mashang.ErrorMessage(err), tc.says) {
				t.Errorf("%s: %v, want %q", tc.name, err, tc.says)
			}
		}
		// 陈秀兰 (demo-d05) lives at 沙子口 but serves at 八大关 too: she may
		// be at 八大关's desk for a secretary of 八大关.
		d, err := desks.Create(ctx, base, "demo-bdg", []string{"demo-d01", "demo-d05"}, bdgOnly)
		if err != nil {
			t.Fatal(err)
		}
		if d.ID == 0 || d.StationName != "市南区八大关街道人大代表联络站" || d.DeputyNames() != "王海燕、陈秀兰" || len(d.Scene().String()) > 32 {
			t.Fatalf("desk %+v", d)
		}
		if _, err := desks.Create(ctx, base, "demo-lsh", []string{"demo-d06"}, nil); err != nil {
			t.Fatal(err)
		}

		// A reach lists a jurisdiction with those under it, as Accounts makes it.
		district, err := db.JurisdictionByPath(ctx, "青岛市/市南区/八大关街道")
		if err != nil {
			t.Fatal(err)
		}
		for name, tc := range map[string]struct {
			reach mashang.Reach
			want  string
		}{
			"all":          {mashang.Reach{All: true}, "崂山区沙子口街道人大代表联络点 市南区八大关街道人大代表联络站"},
			"市南区":          {mashang.Reach{JurisdictionIDs: []int64{district}}, "市南区八大关街道人大代表联络站"},
			"a department": {mashang.Reach{DepartmentID: 1}, ""},
		} {
			list, err := db.DesksWithin(ctx, tc.reach, 10)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range list {
				got = append(got, k.StationName)
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("%s lists %v, want %s", name, got, tc.want)
			}
		}
		if _, err := db.DeskWithin(ctx, mashang.Reach{JurisdictionIDs: []int64{district}}, d.ID); err != nil {
			t.Fatalf("the district opens its desk: %v", err)
		}
		if _, err := db.DeskWithin(ctx, mashang.Reach{StationID: d.StationID + 1000}, d.ID); mashang.ErrorCode(err) != mashang.ENOTFOUND {
			t.Fatalf("another station opens the desk: %v", err)
		}

		read, err := db.DeskWithin(ctx, mashang.Reach{All: true}, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		code, err := desks.Code(ctx, read)
		if err != nil || code.URL != "http://weixin.qq.com/q/"+d.Scene().String() || len(issuer.ttls) != 1 || issuer.ttls[0] != mashang.DeskCodeLifetime {
			t.Fatalf("code %+v %v, asked %v", code, err, issuer.ttls)
		}
		if read, err = db.DeskWithin(ctx, mashang.Reach{All: true}, d.ID); err != nil || read.CodeURL != code.URL || !read.CodeExpiresAt.Equal(now.Add(mashang.DeskCodeLifetime)) {
			t.Fatalf("kept %+v %v", read, err)
		}
		clock = now.Add(10 * 24 * time.Hour) // long after the desk, the kept code still leads to its station
		if again, err := desks.Code(ctx, read); err != nil || again.URL != code.URL || len(issuer.scenes) != 1 {
			t.Fatalf("asked again: %+v %v %v", again, err, issuer.scenes)
		}
		ended := read
		ended.CodeURL = ""
		if none, err := desks.Code(ctx, ended); err != nil || none.URL != "" || len(issuer.scenes) != 1 {
			t.Fatalf("a code asked for after the desk ended: %+v %v", none, err)
		}
	})
}
