package mashang_test

import (
	"context"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"mashang"
	"mashang/store"
)

// An unknown name costs sign-in the same work as a wrong password: one
// bcrypt comparison, against a hash of the very cost real passwords are
// kept at. Counted, not timed, so the test cannot flake.
func TestUnknownNamesAreCheckedAtTheCostOfRealOnes(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.DriverSQLite, filepath.Join(t.TempDir(), "accounts.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const cost = bcrypt.MinCost + 2 // not the library's minimum: a placeholder at the minimum must show
	a := &mashang.Accounts{Store: db, Cost: cost}
	if _, err := a.Create(ctx, mashang.StaffUser{Username: "admin", Name: "管理员", Role: mashang.RoleAdmin}, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	var costs []int
	mashang.CheckPasswordsWith(a, func(hash, password []byte) error {
		c, err := bcrypt.Cost(hash)
		if err != nil {
			t.Fatalf("compared against something not a bcrypt hash: %v", err)
		}
		costs = append(costs, c)
		return bcrypt.CompareHashAndPassword(hash, password)
	})
	for _, name := range []string{"admin", "nobody", "admin"} {
		costs = nil
		_, err := a.Login(ctx, name, "wrong password!!", "192.0.2.1")
		if mashang.ErrorCode(err) != mashang.EUNAUTHORIZED {
			t.Fatalf("%s with a wrong password: %v", name, err)
		}
		if len(costs) != 1 || costs[0] != cost {
			t.Fatalf("%s with a wrong password: bcrypt comparisons at costs %v, want one at %d", name, costs, cost)
		}
	}
}
