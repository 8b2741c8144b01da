package mashang

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The reception register (接待选民登记簿) is kept on the day by the
// station's secretary: each booking's citizen who came, each walk-in, who
// received them and what they raised; a booking nobody came to is marked.
// Every entry is saved as it is made, so a closed browser loses nothing.
// Each topic becomes a case in one step, through the one function that
// enters a case for a citizen met in person.

// Visit statuses.
const (
	VisitCame   = "came"
	VisitNoShow = "no_show"
)

// Visit is one line of the register: a person received (or a booking
// nobody came to).
type Visit struct {
	ID          int64
	StationID   int64
	StationCode string
	StationName string
	Day         string // YYYY-MM-DD, China time
	BookingID   int64  // 0: a walk-in
	Starts      string // the booked slot's time ("" for a walk-in)
	Booked      string // what the citizen wrote when booking
	Visitor     string // the name they gave ("" for none)
	DeputyCode  string // who received them ("" for nobody named)
	DeputyName  string
	Status      string
	RecordedBy  string
	CreatedAt   time.Time
	Topics      []VisitTopic
}

// Source is how the register names where the visit came from.
func (v Visit) Source() string {
	if v.BookingID != 0 {
		return "预约"
	}
	return "现场"
}

// VisitTopic is one matter a visitor raised, and the case made of it.
type VisitTopic struct {
	ID         int64
	VisitID    int64
	Text       string
	CaseID     int64 // 0 until made a case
	CaseNumber string
}

// VisitEntry is what the secretary types: a walk-in (BookingID 0) or a
// booking's citizen who came.
type VisitEntry struct {
	StationCode string
	Day         string
	BookingID   int64
	Visitor     string
	DeputyCode  string
	Topics      []string
	By          string // the staff member's username
}

// RegisterDay is a station's reception day as the register shows it.
type RegisterDay struct {
	Station  Station
	Day      string
	Slots    []ReceptionSlot
	Bookings []Booking // the day's live bookings, in time order
	Visits   []Visit   // the register so far, in the order written
	Deputies []Deputy  // the station's deputies in office: who may receive
}

// Waiting are the bookings not yet in the register.
func (d RegisterDay) Waiting() []Booking {
	done := map[int64]bool{}
	for _, v := range d.Visits {
		done[v.BookingID] = true
	}
	var out []Booking
	for _, b := range d.Bookings {
		if !done[b.ID] {
			out = append(out, b)
		}
	}
	return out
}

// Received counts the people received (接待人次): no-shows are not.
func (d RegisterDay) Received() int {
	n := 0
	for _, v := range d.Visits {
		if v.Status == VisitCame {
			n++
		}
	}
	return n
}

// ReceivedLine is how many people a deputy received at a station in a
// month (接待人次); DeputyName is "" for the visits no deputy was named for.
type ReceivedLine struct {
	StationCode, StationName string
	DeputyCode, DeputyName   string
	Month                    string // YYYY-MM
	People                   int
}

// WalkinEnterer enters a case for a citizen met in person: the one walk-in
// intake (*Intake), routed as a scanned message is.
type WalkinEnterer interface {
	Enter(ctx context.Context, w Walkin) (Entered, error)
}

// RegisterStore keeps the register.
type RegisterStore interface {
	StationByCode(ctx context.Context, code string) (Station, error)
	StationDeputies(ctx context.Context, stationID int64) ([]Deputy, error)
	DaySlots(ctx context.Context, stationID int64, day string) ([]ReceptionSlot, error)
	DayBookings(ctx context.Context, stationID int64, day string) ([]Booking, error)
	// Visits are a station's register lines from fromDay to toDay (both
	// included), with their topics.
	Visits(ctx context.Context, stationID int64, fromDay, toDay string) ([]Visit, error)
	// TopicVisit reads the line a topic belongs to (ENOTFOUND: none).
	TopicVisit(ctx context.Context, topicID int64) (Visit, error)
	UpdateRegister(ctx context.Context, fn func(RegisterTx) error) error
}

// RegisterTx is one entry of the register.
type RegisterTx interface {
	// Booking reads a live booking with its slot (ENOTFOUND: none).
	Booking(ctx context.Context, id int64) (Booking, error)
	// AddVisit records v (ECONFLICT: its booking is in the register
	// already; EINVALID: the deputy is not the station's in office).
	AddVisit(ctx context.Context, v *Visit) error
	AddTopic(ctx context.Context, visitID int64, text string, at time.Time) (int64, error)
	// Visit reads a register line with its topics, locked (ENOTFOUND: none).
	Visit(ctx context.Context, id int64) (Visit, error)
	// LinkTopicCase records the case made of a topic; another case made
	// of it first is ECONFLICT.
	LinkTopicCase(ctx context.Context, topicID, caseID int64) error
}

// Register keeps the reception register.
type Register struct {
	Store RegisterStore
	// Cases makes a case of a topic: the walk-in intake.
	Cases WalkinEnterer
	Now   func() time.Time
}

// MaxVisitTopics bounds what one visitor raises in one entry.
const (
	MaxVisitTopics    = 10
	MaxVisitorRunes   = 50
	MaxVisitTopicRune = 1000
)

func (r *Register) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// station finds a station within reach: one beyond it is not found, as
// everywhere in the console.
func (r *Register) station(ctx context.Context, code string, allowed func(string) bool) (Station, error) {
	if allowed != nil && !allowed(code) {
		return Station{}, NotFound("站点")
	}
	return r.Store.StationByCode(ctx, code)
}

// checkDay refuses a day not yet come: the register records what happened.
func (r *Register) checkDay(day string) error {
	d, err := ParseDay("接待日期", day)
	if err != nil {
		return err
	}
	if d.After(r.now().In(China)) {
		return Errorf(EINVALID, "%s 还没到，接待登记请在当天或之后填写", day)
	}
	return nil
}

// Day reads a station's register for a day.
func (r *Register) Day(ctx context.Context, stationCode, day string, allowed func(string) bool) (RegisterDay, error) {
	if _, err := ParseDay("接待日期", day); err != nil {
		return RegisterDay{}, err
	}
	st, err := r.station(ctx, stationCode, allowed)
	if err != nil {
		return RegisterDay{}, err
	}
	out := RegisterDay{Station: st, Day: day}
	if out.Slots, err = r.Store.DaySlots(ctx, st.ID, day); err != nil {
		return out, err
	}
	if out.Bookings, err = r.Store.DayBookings(ctx, st.ID, day); err != nil {
		return out, err
	}
	if out.Visits, err = r.Store.Visits(ctx, st.ID, day, day); err != nil {
		return out, err
	}
	out.Deputies, err = r.Store.StationDeputies(ctx, st.ID)
	return out, err
}

// Month reads a station's register for a month (YYYY-MM): the 登记簿.
func (r *Register) Month(ctx context.Context, stationCode, month string, allowed func(string) bool) (Station, []Visit, error) {
	from, err := time.ParseInLocation("2006-01", month, China)
	if err != nil {
		return Station{}, nil, Errorf(EINVALID, "月份应写成 2026-12 这样")
	}
	st, err := r.station(ctx, stationCode, allowed)
	if err != nil {
		return st, nil, err
	}
	visits, err := r.Store.Visits(ctx, st.ID, from.Format(time.DateOnly), from.AddDate(0, 1, -1).Format(time.DateOnly))
	return st, visits, err
}

// cleanTopics keeps the topics typed, one a line, without the empty ones.
func cleanTopics(topics []string) ([]string, error) {
	var out []string
	for _, t := range topics {
		for line := range strings.SplitSeq(t, "\n") {
			if line = strings.TrimSpace(line); line == "" {
				continue
			}
			if !utf8.ValidString(line) || utf8.RuneCountInString(line) > MaxVisitTopicRune {
				return nil, Errorf(EINVALID, "每件反映的事不能超过%d个字", MaxVisitTopicRune)
			}
			out = append(out, line)
		}
	}
	if len(out) > MaxVisitTopics {
		return nil, Errorf(EINVALID, "一次登记最多%d件事，其余请另起一条登记", MaxVisitTopics)
	}
	return out, nil
}

// Record writes one line of the register: a walk-in, or a booking's
// citizen who came (the booking's topic is theirs unless others are
// typed). A booking is registered once.
func (r *Register) Record(ctx context.Context, e VisitEntry, allowed func(string) bool) (Visit, error) {
	e.Visitor = strings.TrimSpace(e.Visitor)
	switch {
	case !utf8.ValidString(e.Visitor) || utf8.RuneCountInString(e.Visitor) > MaxVisitorRunes:
		return Visit{}, Errorf(EINVALID, "来访人姓名不能超过%d个字（可以不填）", MaxVisitorRunes)
	case e.By == "":
		return Visit{}, Errorf(EINVALID, "登记人不明，请重新登录")
	}
	topics, err := cleanTopics(e.Topics)
	if err != nil {
		return Visit{}, err
	}
	v := Visit{Visitor: e.Visitor, DeputyCode: strings.TrimSpace(e.DeputyCode), Status: VisitCame, RecordedBy: e.By,
		CreatedAt: r.now(), BookingID: e.BookingID}
	err = r.Store.UpdateRegister(ctx, func(tx RegisterTx) error {
		if e.BookingID != 0 {
			b, err := tx.Booking(ctx, e.BookingID)
			if err != nil {
				return err
			}
			e.StationCode, e.Day = b.Slot.StationCode, b.Slot.Day
			if len(topics) == 0 {
				topics = []string{b.Topic}
			}
		}
		st, err := r.station(ctx, e.StationCode, allowed)
		if err != nil {
			return err
		}
		if len(topics) == 0 {
			return Errorf(EINVALID, "请写下来访群众反映的事（每行一件）")
		}
		if err := r.checkDay(e.Day); err != nil {
			return err
		}
		v.StationID, v.StationCode, v.StationName, v.Day = st.ID, st.Code, st.Name, e.Day
		if err := tx.AddVisit(ctx, &v); err != nil {
			return err
		}
		return addTopics(ctx, tx, &v, topics, v.CreatedAt)
	})
	return v, err
}

// addTopics records what a visitor raised on their line.
func addTopics(ctx context.Context, tx RegisterTx, v *Visit, topics []string, at time.Time) error {
	for _, text := range topics {
		id, err := tx.AddTopic(ctx, v.ID, text, at)
		if err != nil {
			return err
		}
		v.Topics = append(v.Topics, VisitTopic{ID: id, VisitID: v.ID, Text: text})
	}
	return nil
}

// NoShow marks a booking nobody came to.
func (r *Register) NoShow(ctx context.Context, bookingID int64, by string, allowed func(string) bool) (Visit, error) {
	v := Visit{BookingID: bookingID, Status: VisitNoShow, RecordedBy: by, CreatedAt: r.now()}
	err := r.Store.UpdateRegister(ctx, func(tx RegisterTx) error {
		b, err := tx.Booking(ctx, bookingID)
		if err != nil {
			return err
		}
		st, err := r.station(ctx, b.Slot.StationCode, allowed)
		if err != nil {
			return err
		}
		if err := r.checkDay(b.Slot.Day); err != nil {
			return err
		}
		v.StationID, v.StationCode, v.StationName, v.Day = st.ID, st.Code, st.Name, b.Slot.Day
		return tx.AddVisit(ctx, &v)
	})
	return v, err
}

// AddTopic adds a matter to a register line (a visitor remembers one more).
func (r *Register) AddTopic(ctx context.Context, visitID int64, text string, allowed func(string) bool) (Visit, error) {
	var v Visit
	err := r.Store.UpdateRegister(ctx, func(tx RegisterTx) error {
		var err error
		if v, err = tx.Visit(ctx, visitID); err != nil {
			return err
		}
		if allowed != nil && !allowed(v.StationCode) {
			return NotFound("登记")
		}
		topics, err := cleanTopics([]string{text})
		if err != nil {
			return err
		}
		if len(topics) == 0 {
			return Errorf(EINVALID, "请写下反映的事")
		}
		if v.Status != VisitCame {
			return Errorf(ECONFLICT, "这条预约已登记为未到，不能添加反映的事")
		}
		return addTopics(ctx, tx, &v, topics, r.now())
	})
	return v, err
}

// MakeCase makes a case of a topic (channel 接待日) through the walk-in
// intake: at the code of the deputy who received it (routed to their
// group, as a scan of their code is), else the station's, and links the
// two. The request is the topic's own, so a second click finds the case
// made first. The claim code for the citizen's slip comes back once.
func (r *Register) MakeCase(ctx context.Context, topicID int64, by StaffUser, allowed func(string) bool) (Entered, error) {
	// Read, not written: the action's audit line goes with the case's
	// own transaction.
	v, err := r.Store.TopicVisit(ctx, topicID)
	if err != nil {
		return Entered{}, err
	}
	if allowed != nil && !allowed(v.StationCode) {
		return Entered{}, NotFound("登记")
	}
	var topic VisitTopic
	for _, t := range v.Topics {
		if t.ID == topicID {
			topic = t
		}
	}
	if topic.CaseNumber != "" {
		return Entered{}, Errorf(ECONFLICT, "这件事已经转为问题 %s", topic.CaseNumber)
	}
	scene := Scene{Kind: SceneStation, Code: v.StationCode}
	if v.DeputyCode != "" {
		scene = Scene{Kind: SceneDeputy, Code: v.DeputyCode}
	}
	made, err := r.Cases.Enter(ctx, Walkin{RequestID: fmt.Sprintf("reception-topic-%d", topicID), Channel: ChannelReception,
		Scene: scene, Text: topic.Text, CitizenName: v.Visitor, By: Enterer{AccountID: by.ID, Name: by.Name}})
	if err != nil {
		return made, err
	}
	err = r.Store.UpdateRegister(ctx, func(tx RegisterTx) error { return tx.LinkTopicCase(ctx, topicID, made.Case.ID) })
	return made, err
}
