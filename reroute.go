package mashang

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// RerouteTx is what handing a case to another group, or moving it to
// another station, needs from storage.
type RerouteTx interface {
	groupNotifier
	CaseForReply(ctx context.Context, number string) (Case, error)
	StationGroups(ctx context.Context, stationID int64) ([]Group, error)
	// SetCaseGroup moves the case to the group, with its category and status.
	SetCaseGroup(ctx context.Context, caseID, groupID int64, category, status string) error
	progressQueuer

	// CityStations lists the stations of the station's city (its own
	// among them) with their jurisdictions' paths.
	CityStations(ctx context.Context, stationID int64) ([]PlacedStation, error)
	// StationByCode finds a station by its code (ENOTFOUND: none).
	StationByCode(ctx context.Context, code string) (Station, error)
	// KeywordRules are the station's own rules, then those for every station.
	KeywordRules(ctx context.Context, stationID int64) ([]KeywordRule, error)
	// MoveCase records m, if the case is still at m.From: false when
	// another moved it first.
	MoveCase(ctx context.Context, m CaseMove) (bool, error)
	// WithdrawHandovers ends the case's hand-overs to departments (none
	// sees it from then on) and says which they were.
	WithdrawHandovers(ctx context.Context, caseID int64) ([]CaseDepartment, error)
	// DueOf is the case's deadline (zero: never handed over).
	DueOf(ctx context.Context, caseID int64) (time.Time, error)
	departmentNotifier
}

// RerouteStore runs fn in one write transaction, and reads the stations a
// case may move to.
type RerouteStore interface {
	UpdateReroute(ctx context.Context, fn func(RerouteTx) error) error
	CityStations(ctx context.Context, stationID int64) ([]PlacedStation, error)
}

// Rerouting lets staff hand a case to another group of its station (改派),
// or release one held by the content check to a group: the group's deputies
// are told as for a new case, and the timeline says who moved it and why.
type Rerouting struct {
	Store  RerouteStore
	Notify NotifyConfig
	Now    func() time.Time
	Queued func()
	// Progress tells the citizen their case moved to another group (a case
	// released by the content check was never said to be held: no word)
	// or another station.
	Progress ProgressConfig
	// Departments is the template that tells a department's handlers a
	// case handed to them was moved elsewhere (Supervision's).
	Departments SupervisionNotify
	// Calendar and FirstResponseDays give a moved case's receiving station
	// a first-response deadline of its own (Intake's; nil or 0: none).
	Calendar          Calendar
	FirstResponseDays int
}

func (r *Rerouting) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// checkActor refuses an action without who did it or why: the reason goes
// on the timeline.
func checkActor(staff, reason, what string) error {
	switch {
	case staff == "":
		return Errorf(EINVALID, "请说明操作人（staff）")
	case reason == "":
		return Errorf(EINVALID, "请说明%s原因（reason），它会记在问题的处理过程里", what)
	case utf8.RuneCountInString(reason) > 500:
		return Errorf(EINVALID, "原因（reason）不超过500字")
	}
	return nil
}

// told tells the citizen step (unless empty) and the deputies of the
// case's group as for a new case, in the transaction that moved it.
func (r *Rerouting) told(ctx context.Context, tx RerouteTx, c Case, step string, now time.Time) error {
	if step != "" {
		if err := r.Progress.tell(ctx, tx, c, c.Status, step, now); err != nil {
			return err
		}
	}
	return notifyGroup(ctx, tx, r.Notify, c, now, "新问题", fmt.Sprintf("route-%s-g%d-%d", c.Number, c.GroupID, now.Unix()))
}

// update runs change on the case in one transaction, and wakes the outbox
// after it.
func (r *Rerouting) update(ctx context.Context, number string, change func(tx RerouteTx, c Case, now time.Time) (Case, error)) (Case, error) {
	now := r.now()
	var out Case
	err := r.Store.UpdateReroute(ctx, func(tx RerouteTx) error {
		c, err := tx.CaseForReply(ctx, number)
		if err != nil {
			return err
		}
		out, err = change(tx, c, now)
		return err
	})
	if err != nil {
		return Case{}, err
	}
	return out, r.queued(nil)
}

func (r *Rerouting) queued(err error) error {
	if err == nil && r.Queued != nil {
		r.Queued()
	}
	return err
}

// Reroute gives the case to the station's group named group; category,
// if not empty, replaces the case's.
func (r *Rerouting) Reroute(ctx context.Context, number, group, category, staff, reason string) (Case, error) {
	group, category, staff, reason = strings.TrimSpace(group), strings.TrimSpace(category), strings.TrimSpace(staff), strings.TrimSpace(reason)
	switch {
	case group == "":
		return Case{}, Errorf(EINVALID, "请指定改派到的代表小组（group）")
	case utf8.RuneCountInString(category) > 64:
		return Case{}, Errorf(EINVALID, "分类（category）不超过64字")
	}
	if err := checkActor(staff, reason, "改派"); err != nil {
		return Case{}, err
	}
	return r.update(ctx, number, func(tx RerouteTx, c Case, now time.Time) (Case, error) {
		if c.Status == CaseClosed {
			return Case{}, Errorf(ECONFLICT, "问题 %s 已办结，不能改派", c.Number)
		}
		groups, err := tx.StationGroups(ctx, c.StationID)
		if err != nil {
			return Case{}, err
		}
		var target *Group
		names := make([]string, len(groups))
		for i := range groups {
			names[i] = groups[i].Name
			if groups[i].Name == group {
				target = &groups[i]
			}
		}
		if target == nil {
			return Case{}, Errorf(EINVALID, "「%s」没有「%s」这个小组；可选：%s", c.StationName, group, strings.Join(names, "、"))
		}
		if target.ID == c.GroupID && c.Status != CaseHeld {
			return Case{}, Errorf(ECONFLICT, "问题 %s 已经由「%s」处理", c.Number, group)
		}
		if category == "" {
			category = c.Category
		}
		status := c.Status
		what := "改派"
		if status == CaseHeld {
			status, what = CaseOpen, "审核通过并分派"
		}
		if err := tx.SetCaseGroup(ctx, c.ID, target.ID, category, status); err != nil {
			return Case{}, err
		}
		detail := fmt.Sprintf("%s至「%s」", what, target.Name)
		if c.GroupName != "" {
			detail = fmt.Sprintf("由「%s」%s", c.GroupName, detail)
		}
		if err := tx.AddCaseEvent(ctx, c.ID, now, EventRerouted, staff, detail+"。原因："+reason); err != nil {
			return Case{}, err
		}
		step := fmt.Sprintf("已转由「%s」的「%s」办理", c.StationName, target.Name)
		if c.Status == CaseHeld {
			step = ""
		}
		c.GroupID, c.GroupName, c.Category, c.Status = target.ID, target.Name, category, status
		return c, r.told(ctx, tx, c, step, now)
	})
}

// A case can leave its station: staff move it to another station of the
// same city, or up to the congress of a higher level (转交上级人大), and a
// deputy may ask them to. Routing runs again at the receiving station as
// for a newly scanned message, its deputies are told as for a new case and
// its staff by an alert; the citizen hears where it went; reach follows the
// case (the old station's staff and deputies no longer see it). A case
// handed to a department has its hand-overs withdrawn and the departments
// told: a department answers to the congress that handed the case over,
// and the receiving station decides anew whom to hand it to (another
// district's departments, or the higher level's own).

// CaseMove is a case given to another station and group (0: none), with
// its category and status: nobody there has taken it yet, nor answers for
// it by their code, and its first response is due by FirstDue (zero:
// none). The old station's alerts about it not yet seen are settled At the
// move: they were about its handling there (a draft, a deputy's report or
// request, a colour), and the receiving station gets an alert of its own.
type CaseMove struct {
	CaseID, From, To, GroupID int64
	Category, Status          string
	FirstDue, At              time.Time
}

// PlacedStation is a station with where it stands in the jurisdiction tree.
type PlacedStation struct {
	Station
	Path []string // its jurisdiction: city, district, town (nil for none)
}

// city is the root of the station's jurisdiction ("" without one: the
// stations without a jurisdiction are one city among themselves).
func (p PlacedStation) city() string {
	if len(p.Path) == 0 {
		return ""
	}
	return p.Path[0]
}

// MoveTarget is where a case is moved: a station by its code, or Up, the
// congress one level up.
type MoveTarget struct {
	StationCode string
	Up          bool
}

// MoveChoices are where staff may move a case of a station: the other open
// stations of its city, and the station of the congress one level up
// (UpMissing says why there is none).
type MoveChoices struct {
	Stations  []PlacedStation
	Up        *PlacedStation
	UpMissing string
}

// District is one district's (or county's) stations among a city's, for
// the move form's list; Name is empty for the stations registered without
// one.
type District struct {
	Name     string
	Stations []PlacedStation
}

// ByDistrict groups the choices' stations by the district of their
// jurisdiction (the level under the city), districts by name and the
// stations of each in their order here: a city's hundreds of stations are
// found by where they are, as staff think of them.
func (m MoveChoices) ByDistrict() []District {
	var out []District
	at := map[string]int{}
	for _, s := range m.Stations {
		name := ""
		if len(s.Path) > 1 {
			name = s.Path[1]
		}
		i, ok := at[name]
		if !ok {
			i = len(out)
			at[name] = i
			out = append(out, District{Name: name})
		}
		out[i].Stations = append(out[i].Stations, s)
	}
	slices.SortStableFunc(out, func(a, b District) int {
		if (a.Name == "") != (b.Name == "") { // those without a district last
			if a.Name == "" {
				return 1
			}
			return -1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// kindRank orders the stations that may stand for a level's congress: its
// representatives' home (代表之家) before a liaison station before a point.
var kindRank = map[StationKind]int{StationHome: 0, StationLiaison: 1, StationPoint: 2}

// choicesFor works out where a case at here may go among the stations of
// its city (all may hold others: they are passed over).
// The congress one level up is the open station whose jurisdiction is the
// nearest above here's (a town's station goes to its district's, a
// district's to the city's); skipping a level without a station.
func choicesFor(here PlacedStation, all []PlacedStation) MoveChoices {
	var out MoveChoices
	for _, s := range all {
		if s.Open && s.ID != here.ID && s.city() == here.city() {
			out.Stations = append(out.Stations, s)
		}
	}
	for depth := len(here.Path) - 1; depth >= 1 && out.Up == nil; depth-- {
		for i, s := range out.Stations {
			if slices.Equal(s.Path, here.Path[:depth]) &&
				(out.Up == nil || kindRank[s.Kind] < kindRank[out.Up.Kind] || (kindRank[s.Kind] == kindRank[out.Up.Kind] && s.Code < out.Up.Code)) {
				out.Up = &out.Stations[i]
			}
		}
	}
	switch {
	case out.Up != nil:
	case len(here.Path) == 0:
		out.UpMissing = fmt.Sprintf("「%s」没有登记所属辖区，无法确定上级人大；请在站点名册中补上市、区（市、县）、镇（街道），或选择其他站点", here.Name)
	case len(here.Path) == 1:
		out.UpMissing = fmt.Sprintf("「%s」已是%s一级的站点，没有更高一级的人大站点可以转交；请选择同市的其他站点", here.Name, here.Path[0])
	default:
		out.UpMissing = fmt.Sprintf("「%s」的上级辖区（%s）还没有开放的代表之家或联络站，无法转交上级人大；请先在站点名册中添加，或选择同市的其他站点",
			here.Name, strings.Join(here.Path[:len(here.Path)-1], "、"))
	}
	return out
}

// placed finds the station id among all.
func placed(all []PlacedStation, id int64) PlacedStation {
	for _, s := range all {
		if s.ID == id {
			return s
		}
	}
	return PlacedStation{Station: Station{ID: id}}
}

// MoveChoices says where staff may move a case now at the station.
func (r *Rerouting) MoveChoices(ctx context.Context, stationID int64) (MoveChoices, error) {
	city, err := r.Store.CityStations(ctx, stationID)
	if err != nil {
		return MoveChoices{}, err
	}
	return choicesFor(placed(city, stationID), city), nil
}

// target is the station a case at here may go to, or why not; all are the
// stations known (the city's, and the one asked for if it lies outside).
func (m MoveChoices) target(here PlacedStation, to MoveTarget, all []PlacedStation) (PlacedStation, error) {
	if to.Up {
		if m.Up == nil {
			return PlacedStation{}, Errorf(EINVALID, "%s", m.UpMissing)
		}
		return *m.Up, nil
	}
	for _, s := range m.Stations {
		if s.Code == to.StationCode {
			return s, nil
		}
	}
	switch i := slices.IndexFunc(all, func(s PlacedStation) bool { return s.Code == to.StationCode }); {
	case to.StationCode == "":
		return PlacedStation{}, Errorf(EINVALID, "请选择转到的站点（station），或选择转交上级人大（up）")
	case to.StationCode == here.Code:
		return PlacedStation{}, Errorf(ECONFLICT, "问题已在「%s」，请选择其他站点", here.Name)
	case i < 0:
		return PlacedStation{}, Errorf(EINVALID, "没有编码为 %s 的站点，请核对后再选", to.StationCode)
	case !all[i].Open:
		return PlacedStation{}, Errorf(EINVALID, "「%s」已关闭，不接收问题；请选择其他站点", all[i].Name)
	default:
		return PlacedStation{}, Errorf(EINVALID, "「%s」不在%s，只能转到同市的站点或上级人大", all[i].Name, orNone(here.city(), "本市"))
	}
}

// withAskedFor adds the station asked for to the city's when it lies
// outside the city, so the refusal can name it.
func withAskedFor(ctx context.Context, tx RerouteTx, city []PlacedStation, code string) ([]PlacedStation, error) {
	if code == "" || slices.ContainsFunc(city, func(s PlacedStation) bool { return s.Code == code }) {
		return city, nil
	}
	s, err := tx.StationByCode(ctx, code)
	switch {
	case ErrorCode(err) == ENOTFOUND:
		return city, nil
	case err != nil:
		return nil, err
	}
	return append(slices.Clip(city), PlacedStation{Station: s}), nil
}

// Movable refuses what cannot leave its station: a closed or merged case
// (reopen it, or move the case it went into), one held by the content
// check (release it first: nobody has been told of it).
func Movable(c Case) error {
	switch c.Status {
	case CaseClosed:
		return Errorf(ECONFLICT, "问题 %s 已办结，不能转出；如需继续办理，请先重新打开", c.Number)
	case CaseMerged:
		return Errorf(ECONFLICT, "问题 %s 已并入问题 %s，不能单独转出；如需转出，请转出问题 %s", c.Number, c.MergedInto, c.MergedInto)
	case CaseHeld:
		return Errorf(ECONFLICT, "问题 %s 尚在审核，请先审核通过（分派到小组）再转出", c.Number)
	}
	return nil
}

// Move sends the case to another station, or up to the congress of a
// higher level, for staff, with their reason.
func (r *Rerouting) Move(ctx context.Context, number string, to MoveTarget, staff, reason string) (Case, error) {
	staff, reason, to.StationCode = strings.TrimSpace(staff), strings.TrimSpace(reason), strings.TrimSpace(to.StationCode)
	what := "转出"
	if to.Up {
		what = "转交上级人大"
	}
	if err := checkActor(staff, reason, what); err != nil {
		return Case{}, err
	}
	return r.update(ctx, number, func(tx RerouteTx, c Case, now time.Time) (Case, error) {
		if err := Movable(c); err != nil {
			return Case{}, err
		}
		city, err := tx.CityStations(ctx, c.StationID)
		if err != nil {
			return Case{}, err
		}
		here := placed(city, c.StationID)
		all, err := withAskedFor(ctx, tx, city, to.StationCode)
		if err != nil {
			return Case{}, err
		}
		dest, err := choicesFor(here, city).target(here, to, all)
		if err != nil {
			return Case{}, err
		}
		groups, err := tx.StationGroups(ctx, dest.ID)
		if err != nil {
			return Case{}, err
		}
		routing := routeByCategory(dest.Name, c.Category, fmt.Sprintf("按「%s」类", c.Category), groups)
		if c.Category == "" {
			rules, err := tx.KeywordRules(ctx, dest.ID)
			if err != nil {
				return Case{}, err
			}
			routing = routeStation(dest.Name, c.Summary, groups, rules)
		}
		withdrawn, err := r.withdraw(ctx, tx, c, dest, now)
		if err != nil {
			return Case{}, err
		}
		status := CaseOpen
		if c.Status == CaseReopened {
			status = CaseReopened // the citizen's verdict stands wherever it is handled
		}
		var firstDue time.Time
		if r.Calendar != nil && r.FirstResponseDays > 0 {
			firstDue = r.Calendar.AddWorkingDays(now, r.FirstResponseDays)
		}
		var groupID int64
		if routing.Group != nil {
			groupID = routing.Group.ID
		}
		won, err := tx.MoveCase(ctx, CaseMove{CaseID: c.ID, From: c.StationID, To: dest.ID, GroupID: groupID,
			Category: routing.Category, Status: status, FirstDue: firstDue, At: now})
		if err != nil {
			return Case{}, err
		}
		if !won {
			return Case{}, Errorf(ECONFLICT, "问题 %s 刚刚已由他人转出，请刷新页面查看", c.Number)
		}
		detail := fmt.Sprintf("由「%s」转至「%s」", c.StationName, dest.Name)
		if to.Up {
			detail = fmt.Sprintf("由「%s」转交上级人大：「%s」", c.StationName, dest.Name)
		}
		detail += "。原因：" + reason
		if withdrawn != "" {
			detail += "。" + withdrawn
		}
		if err := tx.AddCaseEvent(ctx, c.ID, now, EventMoved, staff, detail); err != nil {
			return Case{}, err
		}
		if err := tx.AddCaseEvent(ctx, c.ID, now, EventRouted, "系统", routing.Reason); err != nil {
			return Case{}, err
		}
		if err := tx.AddStaffAlert(ctx, dest.ID, c.ID, fmt.Sprintf("问题 %s 已由「%s」（%s）%s，原因：%s。请跟进办理。",
			c.Number, c.StationName, staff, map[bool]string{true: "转交上级人大，由本站办理", false: "转至本站"}[to.Up], reason), now); err != nil {
			return Case{}, err
		}
		from := c.StationName
		c.StationID, c.StationName, c.GroupID, c.GroupName, c.Category, c.Status = dest.ID, dest.Name, groupID, "", routing.Category, status
		c.DeputyID, c.ResponsibleDeputyID = 0, 0
		if routing.Group != nil {
			c.GroupName = routing.Group.Name
		}
		step := fmt.Sprintf("已由「%s」转至「%s」办理", from, dest.Name)
		if to.Up {
			step = fmt.Sprintf("已由「%s」转交上级人大，由「%s」办理", from, dest.Name)
		}
		return c, r.told(ctx, tx, c, step, now)
	})
}

// withdraw ends a moved case's hand-overs and tells each department it is
// no longer theirs; it says so for the timeline ("" when none).
func (r *Rerouting) withdraw(ctx context.Context, tx RerouteTx, c Case, dest PlacedStation, now time.Time) (string, error) {
	due, err := tx.DueOf(ctx, c.ID)
	if err != nil {
		return "", err
	}
	depts, err := tx.WithdrawHandovers(ctx, c.ID)
	if err != nil || len(depts) == 0 {
		return "", err
	}
	names := make([]string, len(depts))
	for i, d := range depts {
		names[i] = "「" + d.Name + "」"
		if _, err := r.Departments.tellDepartment(ctx, tx, c.ID, c.Number, c.StationName, d.Name, d.DepartmentID,
			"已撤回：问题已转出，无需再办", due, now); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("已撤回对%s的交办，由「%s」重新决定交办", strings.Join(names, "、"), dest.Name), nil
}

// RequestMove is a deputy asking the case's station staff to move it to
// another station (up: to the congress of a higher level), with their
// reason: a line on the timeline and an alert for staff, who decide.
func (r *Rerouting) RequestMove(ctx context.Context, number string, d Deputy, up bool, reason string) error {
	actor := DeputyActor(d)
	reason = strings.TrimSpace(reason)
	what := "转到其他站点"
	if up {
		what = "转交上级人大"
	}
	if err := checkActor(actor, reason, "请求"+what+"的"); err != nil {
		return err
	}
	_, err := r.update(ctx, number, func(tx RerouteTx, c Case, now time.Time) (Case, error) {
		if err := Movable(c); err != nil {
			return c, err
		}
		if err := tx.AddCaseEvent(ctx, c.ID, now, EventMoveAsked, actor, fmt.Sprintf("请求%s。原因：%s", what, reason)); err != nil {
			return c, err
		}
		return c, tx.AddStaffAlert(ctx, c.StationID, c.ID,
			fmt.Sprintf("%s请求将问题 %s %s，原因：%s。请在工作台的问题页决定是否转出。", actor, c.Number, what, reason), now)
	})
	return err
}
