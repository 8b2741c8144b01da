package mashang_test

import (
	"strings"
	"testing"

	"mashang"
)

// What each role may do, read as a table: a department's handler only
// reads; only administrators manage; an unknown role does nothing; every
// refusal is a sentence in Chinese saying what was refused.
func TestRolesMayDoOnlyTheirActions(t *testing.T) {
	actions := []string{mashang.ActRead, mashang.ActReply, mashang.ActReroute, mashang.ActHandOver, mashang.ActClose,
		mashang.ActAccept, mashang.ActCategory, mashang.ActReopen, mashang.ActMerge, mashang.ActActivities, mashang.ActPoints,
		mashang.ActSlots, mashang.ActExportCodes, mashang.ActBindWeChat, mashang.ActManage, mashang.ActRegister}
	may := map[string]string{ // one letter per action above: y may, - may not
		mashang.RoleAdmin:     "yyyyyyyyyyyyyyyy",
		mashang.RoleStaff:     "yyyyyyyyyyyyyy-y",
		mashang.RoleSecretary: "yyyyyyyyyyyyyy-y",
		mashang.RoleHandler:   "y------------y--",
		"nobody":              "----------------",
	}
	for role, want := range may {
		for i, action := range actions {
			if got := mashang.Allowed(role, action); got != (want[i] == 'y') {
				t.Errorf("Allowed(%s, %s) = %v", role, action, got)
			}
			if want[i] == '-' {
				err := mashang.Refusal(role, action)
				if mashang.ErrorCode(err) != mashang.EFORBIDDEN || !strings.ContainsAny(mashang.ErrorMessage(err), "不只") {
					t.Errorf("Refusal(%s, %s) = %v", role, action, err)
				}
			}
		}
	}
	if got := mashang.ErrorMessage(mashang.Refusal(mashang.RoleHandler, mashang.ActHandOver)); !strings.Contains(got, "承办单位经办人不能交办承办单位") {
		t.Errorf("the handler is told %q", got)
	}
}
