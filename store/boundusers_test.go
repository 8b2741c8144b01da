package store_test

import (
	"context"
	"testing"
	"time"

	"mashang"
	"mashang/store/storetest"
)

// Who the sandbox's authorize page offers to be: the deputies and staff
// who bound their WeChat, deputies first, each with where they work; no
// one unbound.
func TestBoundWeChatUsersAreDeputiesThenStaffWhoBound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db := storetest.Open(t, driver)
		if err := db.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		if users, err := db.BoundWeChatUsers(ctx); err != nil || len(users) != 0 {
			t.Fatalf("before anyone binds: %v %v", users, err)
		}
		now := time.Now()
		dept, err := db.DepartmentByPath(ctx, "青岛市/市南区/市南区城市管理局")
		if err != nil {
			t.Fatal(err)
		}
		accounts := &mashang.Accounts{Store: db, Cost: 4}
		handler, err := accounts.Create(ctx, mashang.StaffUser{Username: "handler1", Name: "王经办", Role: mashang.RoleHandler, DepartmentID: dept}, "long-enough-password")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := accounts.Create(ctx, mashang.StaffUser{Username: "staff1", Name: "未绑定", Role: mashang.RoleAdmin}, "long-enough-password"); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateBindToken(ctx, "demo-d02", "tok-deputy", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateStaffBindToken(ctx, handler.ID, "tok-staff", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := db.UpdateIntake(ctx, func(tx mashang.IntakeTx) error {
			if err := tx.BindStaff(ctx, "tok-staff", "oHandler", now); err != nil {
				return err
			}
			return tx.BindDeputy(ctx, "tok-deputy", "oDeputy", now)
		}); err != nil {
			t.Fatal(err)
		}
		users, err := db.BoundWeChatUsers(ctx)
		if err != nil || len(users) != 2 {
			t.Fatalf("%v %v", users, err)
		}
		if u := users[0]; !u.Deputy || u.OpenID != "oDeputy" || u.Where != "市南区八大关街道人大代表联络站" || u.Name == "" {
			t.Errorf("deputy: %+v", u)
		}
		if u := users[1]; u.Deputy || u.OpenID != "oHandler" || u.Name != "王经办" || u.Where != "市南区城市管理局" {
			t.Errorf("handler: %+v", u)
		}
	})
}
