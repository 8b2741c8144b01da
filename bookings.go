package mashang

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// KindSubscribe is an outbox item sent as a Mini Program subscribe message.
const KindSubscribe = "subscribe"

// ReceptionSlot is a time on a station's reception day (接待日) that
// citizens can book, with the deputies on duty.
type ReceptionSlot struct {
	ID          int64
	StationID   int64
	StationCode string
	StationName string
	Day         string // YYYY-MM-DD, China time
	Starts      string // HH:MM
	Ends        string
	Capacity    int
	Booked      int
	Deputies    []string // names of the deputies on duty
}

// Left is how many places are still free.
func (s ReceptionSlot) Left() int { return max(s.Capacity-s.Booked, 0) }

// StartsAt is when the slot begins.
func (s ReceptionSlot) StartsAt() time.Time {
	t, _ := time.ParseInLocation("2006-01-02 15:04", s.Day+" "+s.Starts, China)
	return t
}

// Booking statuses.
const (
	BookingBooked    = "booked"
	BookingCancelled = "cancelled"
)

// Booking is a citizen's place in a slot.
type Booking struct {
	ID          int64
	Slot        ReceptionSlot
	OpenID      string
	Topic       string // what they want to raise
	Status      string
	RemindWith  string // the subscribe template the citizen agreed to; "" = no reminder
	CreatedAt   time.Time
	CancelledAt *time.Time
}

// SlotPlan is what staff publish: a slot on a station's reception day.
type SlotPlan struct {
	StationCode string
	Day         string // YYYY-MM-DD
	Starts      string // HH:MM
	Ends        string
	Capacity    int
	DeputyCodes []string // on duty; they must be the station's
}

// BookingStore keeps slots and bookings. BookSlot must never let Booked pass
// Capacity, whatever number of requests arrive at once.
type BookingStore interface {
	StationByCode(ctx context.Context, code string) (Station, error)
	Slots(ctx context.Context, stationCode, fromDay string) ([]ReceptionSlot, error)
	Slot(ctx context.Context, id int64) (ReceptionSlot, error)
	UpdateBooking(ctx context.Context, fn func(BookingTx) error) error
	CitizenBookings(ctx context.Context, openid string) ([]Booking, error)
	DutyBookings(ctx context.Context, deputyOpenID, fromDay string) ([]Booking, error)
}

// BookingTx is one booking or cancellation.
type BookingTx interface {
	// AddSlot publishes a slot with its deputies on duty, who must be the
	// station's in office (EINVALID names the one who is not).
	AddSlot(ctx context.Context, stationID int64, p SlotPlan) (ReceptionSlot, error)
	// OnDuty are the slot's deputies on duty with their bound openids
	// ("" for none).
	OnDuty(ctx context.Context, slotID int64) ([]DutyDeputy, error)
	Slot(ctx context.Context, id int64) (ReceptionSlot, error)
	// TakePlace takes one place if one is free (ECONFLICT: full).
	TakePlace(ctx context.Context, slotID int64) error
	ReleasePlace(ctx context.Context, slotID int64) error
	// AddBooking records b (ECONFLICT: the citizen holds a place there already).
	AddBooking(ctx context.Context, b *Booking) error
	// CitizenBooking is openid's booking (ENOTFOUND: none of theirs).
	CitizenBooking(ctx context.Context, openid string, id int64) (Booking, error)
	CancelBooking(ctx context.Context, id int64, at time.Time) error
	Enqueue(ctx context.Context, item OutboxItem, at time.Time) error
	// CancelOutbox withdraws a notification not sent yet.
	CancelOutbox(ctx context.Context, clientMsgID string) error
}

// ReminderConfig is the subscribe message that reminds a citizen the day
// before their reception, and which of its fields take what.
type ReminderConfig struct {
	TemplateID   string
	StationField string // thing
	TimeField    string // time
	TopicField   string // thing
	NoteField    string // thing
	Page         string // the Mini Program page it opens
	// At is the time of day (China) the reminder goes out the day before; 0 = 18:00.
	At time.Duration
}

// DutyDeputy is a deputy on duty in a slot, to be told.
type DutyDeputy struct {
	ID     int64
	Name   string
	OpenID string // "" while their WeChat is not bound
}

// Receptions publishes reception slots and books citizens into them.
type Receptions struct {
	Store    BookingStore
	Reminder ReminderConfig
	// Duty is the template message that tells the deputies on duty of a
	// slot published: the activities' template (a reception day is one of
	// their activities), its title the station's reception.
	Duty   ActivityNotify
	Now    func() time.Time
	Queued func()
}

// MaxSlotCapacity bounds one slot: a reception room, not a hall.
const (
	MaxSlotCapacity = 200
	MaxTopicRunes   = 200
)

var clock = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d$`)

func (r *Receptions) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Publish opens a slot on one of the station's published reception days.
func (r *Receptions) Publish(ctx context.Context, p SlotPlan) (ReceptionSlot, error) {
	day, err := time.ParseInLocation("2006-01-02", p.Day, China)
	switch {
	case err != nil:
		return ReceptionSlot{}, Errorf(EINVALID, "日期（day）应写成 2026-12-10 这样")
	case !clock.MatchString(p.Starts) || !clock.MatchString(p.Ends):
		return ReceptionSlot{}, Errorf(EINVALID, "时间（starts、ends）应写成 09:00 这样")
	case p.Ends <= p.Starts:
		return ReceptionSlot{}, Errorf(EINVALID, "结束时间（ends）应晚于开始时间（starts）")
	case p.Capacity < 1 || p.Capacity > MaxSlotCapacity:
		return ReceptionSlot{}, Errorf(EINVALID, "名额（capacity）应在 1 到 %d 之间", MaxSlotCapacity)
	case len(p.DeputyCodes) == 0:
		return ReceptionSlot{}, Errorf(EINVALID, "请指定值班代表（deputies）")
	}
	if start := (ReceptionSlot{Day: p.Day, Starts: p.Starts}).StartsAt(); !start.After(r.now()) {
		return ReceptionSlot{}, Errorf(EINVALID, "%s %s 已经过去，不能再开放预约", p.Day, p.Starts)
	}
	st, err := r.Store.StationByCode(ctx, p.StationCode)
	if err != nil {
		return ReceptionSlot{}, err
	}
	if !st.Open {
		return ReceptionSlot{}, Errorf(EINVALID, "「%s」暂停开放，不能开放预约", st.Name)
	}
	if next, _ := NextReception(st.ReceptionDays, day); !next.Equal(day) {
		return ReceptionSlot{}, Errorf(EINVALID, "%s 不是「%s」公开的接待日（%s）", p.Day, st.Name, st.ReceptionDays)
	}
	var slot ReceptionSlot
	queued := false
	err = r.Store.UpdateBooking(ctx, func(tx BookingTx) error {
		var err error
		if slot, err = tx.AddSlot(ctx, st.ID, p); err != nil {
			return err
		}
		onDuty, err := tx.OnDuty(ctx, slot.ID)
		if err != nil {
			return err
		}
		for _, d := range onDuty {
			if d.OpenID == "" || r.Duty.TemplateID == "" {
				continue // staff phone them: the register page says who is unbound
			}
			if err := tx.Enqueue(ctx, r.dutyNotice(slot, d), r.now()); err != nil {
				return err
			}
			queued = true
		}
		return nil
	})
	if err == nil && queued && r.Queued != nil {
		r.Queued()
	}
	return slot, err
}

// dutyNotice tells a deputy they are on duty in a slot, opening their
// reception days on their phone.
func (r *Receptions) dutyNotice(s ReceptionSlot, d DutyDeputy) OutboxItem {
	item := r.Duty.invitation(Activity{ID: s.ID, Title: "接待选民日值班", Place: s.StationName, Start: s.StartsAt()},
		Deputy{ID: d.ID}, d.OpenID)
	item.ClientMsgID = fmt.Sprintf("duty-s%d-d%d", s.ID, d.ID)
	return item
}

// Slots lists a station's slots from today on.
func (r *Receptions) Slots(ctx context.Context, stationCode string) ([]ReceptionSlot, error) {
	if _, err := r.Store.StationByCode(ctx, stationCode); err != nil {
		return nil, err
	}
	return r.Store.Slots(ctx, stationCode, r.now().In(China).Format("2006-01-02"))
}

// Book gives openid a place in the slot. remindWith is the subscribe
// template the citizen accepted in the Mini Program ("" if they declined);
// only then is a reminder sent, the day before.
func (r *Receptions) Book(ctx context.Context, openid string, slotID int64, topic, remindWith string) (Booking, error) {
	topic = strings.TrimSpace(topic)
	switch {
	case topic == "":
		return Booking{}, Errorf(EINVALID, "请简要写下想反映的事（topic），便于代表准备")
	case !utf8.ValidString(topic):
		return Booking{}, Errorf(EINVALID, "想反映的事（topic）含有无法识别的字符")
	case utf8.RuneCountInString(topic) > MaxTopicRunes:
		return Booking{}, Errorf(EINVALID, "想反映的事（topic）不能超过%d个字", MaxTopicRunes)
	case remindWith != "" && remindWith != r.Reminder.TemplateID:
		return Booking{}, Errorf(EINVALID, "提醒模板（remind_template_id）不是本平台的接待提醒模板")
	}
	now := r.now()
	b := Booking{OpenID: openid, Topic: topic, Status: BookingBooked, RemindWith: remindWith, CreatedAt: now}
	queued := false
	err := r.Store.UpdateBooking(ctx, func(tx BookingTx) error {
		slot, err := tx.Slot(ctx, slotID)
		if err != nil {
			return err
		}
		if !slot.StartsAt().After(now) {
			return Errorf(EINVALID, "这个时段已经开始或结束，请选择其他时段")
		}
		b.Slot = slot
		// The booking first: a second booking by the same citizen fails on
		// its unique key before it can take a place.
		if err := tx.AddBooking(ctx, &b); err != nil {
			return err
		}
		if err := tx.TakePlace(ctx, slotID); err != nil {
			return err
		}
		b.Slot.Booked++
		if remind, at, ok := r.reminder(b, now); ok {
			queued = true
			return tx.Enqueue(ctx, remind, at)
		}
		return nil
	})
	if err != nil {
		return Booking{}, err
	}
	if queued && r.Queued != nil {
		r.Queued()
	}
	return b, nil
}

// reminder is the subscribe message for b and when it is due: the evening
// before the reception. Booked later than that, there is nothing to remind.
func (r *Receptions) reminder(b Booking, now time.Time) (OutboxItem, time.Time, bool) {
	if b.RemindWith == "" || r.Reminder.TemplateID == "" {
		return OutboxItem{}, time.Time{}, false
	}
	at := r.Reminder.At
	if at == 0 {
		at = 18 * time.Hour
	}
	day, _ := time.ParseInLocation("2006-01-02", b.Slot.Day, China)
	due := day.AddDate(0, 0, -1).Add(at)
	if !due.After(now) {
		return OutboxItem{}, time.Time{}, false
	}
	data := map[string]string{}
	set := func(key, value string) {
		if key != "" {
			data[key] = fitField(key, value)
		}
	}
	set(r.Reminder.StationField, b.Slot.StationName)
	set(r.Reminder.TimeField, b.Slot.Day+" "+b.Slot.Starts)
	set(r.Reminder.TopicField, b.Topic)
	set(r.Reminder.NoteField, "明天接待，请准时到站")
	return OutboxItem{Kind: KindSubscribe, ToUser: b.OpenID, TemplateID: r.Reminder.TemplateID, URL: r.Reminder.Page,
		Data: data, ClientMsgID: reminderKey(b.ID)}, due, true
}

func reminderKey(bookingID int64) string { return fmt.Sprintf("remind-b%d", bookingID) }

// Cancel gives up openid's place; the reminder, if not sent, is withdrawn.
func (r *Receptions) Cancel(ctx context.Context, openid string, bookingID int64) error {
	now := r.now()
	return r.Store.UpdateBooking(ctx, func(tx BookingTx) error {
		b, err := tx.CitizenBooking(ctx, openid, bookingID)
		if err != nil {
			return err
		}
		switch {
		case b.Status == BookingCancelled:
			return Errorf(ECONFLICT, "这个预约已经取消了")
		case !b.Slot.StartsAt().After(now):
			return Errorf(EINVALID, "接待已经开始，不能再取消")
		}
		if err := tx.CancelBooking(ctx, b.ID, now); err != nil {
			return err
		}
		if err := tx.ReleasePlace(ctx, b.Slot.ID); err != nil {
			return err
		}
		return tx.CancelOutbox(ctx, reminderKey(b.ID))
	})
}

// MyBookings lists openid's bookings, the latest first.
func (r *Receptions) MyBookings(ctx context.Context, openid string) ([]Booking, error) {
	return r.Store.CitizenBookings(ctx, openid)
}

// DutyBookings lists the bookings of the slots a deputy is on duty for,
// from today on (ENOTFOUND: the openid is no bound deputy's).
func (r *Receptions) DutyBookings(ctx context.Context, deputyOpenID string) ([]Booking, error) {
	return r.Store.DutyBookings(ctx, deputyOpenID, r.now().In(China).Format("2006-01-02"))
}
