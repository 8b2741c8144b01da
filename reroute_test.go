package mashang

import (
	"strings"
	"testing"
)

// Where a case may go from a town's station: the open stations of its own
// city, and up to the nearest level above with a station of its own, a
// representatives' home (代表之家) before a point.
func TestMoveChoicesStayInTheCityAndGoUpToTheNearestCongress(t *testing.T) {
	at := func(id int64, code string, kind StationKind, open bool, path ...string) PlacedStation {
		return PlacedStation{Station: Station{ID: id, Code: code, Name: code, Kind: kind, Open: open}, Path: path}
	}
	town := at(1, "town", StationLiaison, true, "青岛市", "市南区", "八大关街道")
	neighbour := at(2, "neighbour", StationPoint, true, "青岛市", "市南区", "八大关街道")
	districtPoint := at(3, "a-district-point", StationPoint, true, "青岛市", "市南区")
	districtHome := at(4, "z-district-home", StationHome, true, "青岛市", "市南区")
	city := at(5, "city", StationHome, true, "青岛市")
	closed := at(6, "closed", StationHome, false, "青岛市", "市北区")
	elsewhere := at(7, "elsewhere", StationHome, true, "烟台市")
	all := []PlacedStation{town, neighbour, districtPoint, districtHome, city, closed, elsewhere}

	m := choicesFor(town, all)
	var codes []string
	for _, s := range m.Stations {
		codes = append(codes, s.Code)
	}
	if got := strings.Join(codes, " "); got != "neighbour a-district-point z-district-home city" {
		t.Errorf("choices: %s", got)
	}
	if m.Up == nil || m.Up.Code != "z-district-home" {
		t.Errorf("up: %+v", m.Up)
	}
	// A district without a station of its own is skipped for the city's.
	if m := choicesFor(town, []PlacedStation{town, neighbour, city}); m.Up == nil || m.Up.Code != "city" {
		t.Errorf("up past a district without a station: %+v", m.Up)
	}
	for _, c := range []struct {
		here PlacedStation
		all  []PlacedStation
		says string
	}{
		{city, all, "已是青岛市一级的站点，没有更高一级的人大站点可以转交"},
		{town, []PlacedStation{town, neighbour}, "的上级辖区（青岛市、市南区）还没有开放的代表之家或联络站"},
		{at(8, "nowhere", StationPoint, true), all, "没有登记所属辖区，无法确定上级人大"},
	} {
		m := choicesFor(c.here, c.all)
		if m.Up != nil || !strings.Contains(m.UpMissing, c.says) {
			t.Errorf("%s: %+v %q", c.here.Code, m.Up, m.UpMissing)
		}
		if _, err := m.target(c.here, MoveTarget{Up: true}, c.all); ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), c.says) {
			t.Errorf("%s up: %v", c.here.Code, err)
		}
	}
	for _, c := range []struct {
		code, says string
	}{
		{"", "请选择转到的站点"},
		{"town", "问题已在「town」"},
		{"closed", "「closed」已关闭，不接收问题"},
		{"elsewhere", "「elsewhere」不在青岛市，只能转到同市的站点或上级人大"},
		{"nothing", "没有编码为 nothing 的站点"},
	} {
		if _, err := m.target(town, MoveTarget{StationCode: c.code}, all); err == nil || !strings.Contains(ErrorMessage(err), c.says) {
			t.Errorf("to %q: %v", c.code, err)
		}
	}
	for status, says := range map[string]string{CaseClosed: "已办结，不能转出；如需继续办理，请先重新打开", CaseMerged: "已并入问题 260101-0001，不能单独转出",
		CaseHeld: "尚在审核，请先审核通过"} {
		if err := Movable(Case{Number: "260101-0002", Status: status, MergedInto: "260101-0001"}); ErrorCode(err) != ECONFLICT || !strings.Contains(ErrorMessage(err), says) {
			t.Errorf("%s: %v", status, err)
		}
	}
	// The form lists them by district, the city's own stations (no
	// district) last, each district's in the order given.
	var listed []string
	for _, d := range (MoveChoices{Stations: []PlacedStation{city, neighbour, at(9, "laoshan", StationHome, true, "青岛市", "崂山区"), districtHome}}).ByDistrict() {
		var codes []string
		for _, s := range d.Stations {
			codes = append(codes, s.Code)
		}
		listed = append(listed, d.Name+": "+strings.Join(codes, " "))
	}
	if got := strings.Join(listed, "; "); got != "崂山区: laoshan; 市南区: neighbour z-district-home; : city" {
		t.Errorf("by district: %s", got)
	}
}
