package app

import (
	"context"
	"time"

	"mashang"
	"mashang/handlers"
	"mashang/wechat/wechattest"
)

// sandboxAware tells the sandbox's fake WeChat what the real one knows of
// its users from the pushes it sends: who follows, who wrote just now
// (which opens the 48-hour window for customer-service messages) and who
// scanned, followed or clicked a menu (3 messages within a minute). Without
// it, the sandbox's notifications and replies would all be refused.
func sandboxAware(r handlers.Receiver, fake *wechattest.Fake) handlers.Receiver {
	if fake == nil {
		return r
	}
	return sandboxReceiver{next: r, fake: fake}
}

type sandboxReceiver struct {
	next handlers.Receiver
	fake *wechattest.Fake
}

func (s sandboxReceiver) Receive(ctx context.Context, m mashang.Inbound) (mashang.Reply, error) {
	// A photo, voice or video simulated from the command line names media
	// the fake never had: the fake gets real media of that kind first, as
	// WeChat holds what a citizen sent before it pushes.
	for _, id := range []string{m.MediaID, m.ThumbMediaID} {
		if id != "" && !s.fake.HasMedia(id) {
			kind := m.MsgType
			if id == m.ThumbMediaID {
				kind = mashang.MsgImage
			}
			contentType, data := sandboxMedia(kind)
			s.fake.AddMedia(id, contentType, data)
		}
	}
	reply, err := s.next.Receive(ctx, m)
	if err != nil {
		return reply, err
	}
	switch {
	case m.MsgType == mashang.MsgEvent && m.Event == mashang.EventUnsubscribe:
		s.fake.Unfollow(m.OpenID)
	case m.MsgType == mashang.MsgEvent:
		s.fake.Follow(m.OpenID)
		switch m.Event {
		case mashang.EventSubscribe, mashang.EventScan, mashang.EventClick:
			s.fake.UserEvent(m.OpenID) // 3 customer-service messages within a minute
		}
	default:
		s.fake.Follow(m.OpenID)
		s.fake.UserMessaged(m.OpenID)
	}
	return reply, nil
}

// sandboxSlotDuty is who is on duty at each demo station's reception.
var sandboxSlotDuty = []struct {
	station  string
	deputies []string
}{
	{"demo-bdg", []string{"demo-d01", "demo-d02"}},
	{"demo-xhw", []string{"demo-d03"}},
	{"demo-lsh", []string{"demo-d05", "demo-d06"}},
}

// sandboxSlots opens a morning slot on each demo station's next reception
// day after today, so that a citizen of the sandbox's Mini Program has
// something to book before any staff member has published one. A slot
// already open (the sandbox started again) is left as it is.
func sandboxSlots(ctx context.Context, r *mashang.Receptions) error {
	tomorrow := time.Now().In(mashang.China).AddDate(0, 0, 1)
	from := time.Date(tomorrow.Year(), tomorrow.Month(), tomorrow.Day(), 0, 0, 0, 0, mashang.China)
	for _, d := range sandboxSlotDuty {
		st, err := r.Store.StationByCode(ctx, d.station)
		if err != nil {
			return err
		}
		day, _ := mashang.NextReception(st.ReceptionDays, from)
		if day.IsZero() {
			continue
		}
		_, err = r.Publish(ctx, mashang.SlotPlan{StationCode: d.station, Day: day.Format(time.DateOnly),
			Starts: "09:30", Ends: "11:30", Capacity: 10, DeputyCodes: d.deputies})
		if err != nil && mashang.ErrorCode(err) != mashang.ECONFLICT {
			return err
		}
	}
	return nil
}
