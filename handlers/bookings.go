package handlers

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"mashang"
)

// ReceptionService publishes reception slots and books citizens into them
// (*mashang.Receptions).
type ReceptionService interface {
	Publish(ctx context.Context, p mashang.SlotPlan) (mashang.ReceptionSlot, error)
	Slots(ctx context.Context, stationCode string) ([]mashang.ReceptionSlot, error)
	Book(ctx context.Context, openid string, slotID int64, topic, remindWith string) (mashang.Booking, error)
	Cancel(ctx context.Context, openid string, bookingID int64) error
	MyBookings(ctx context.Context, openid string) ([]mashang.Booking, error)
}

type slotJSON struct {
	ID       int64    `json:"id"`
	Station  string   `json:"station"`
	Code     string   `json:"station_code"`
	Day      string   `json:"day"`
	Starts   string   `json:"starts"`
	Ends     string   `json:"ends"`
	Capacity int      `json:"capacity"`
	Left     int      `json:"left"`
	Deputies []string `json:"deputies"`
}

func slotOut(s mashang.ReceptionSlot) slotJSON {
	deputies := s.Deputies
	if deputies == nil {
		deputies = []string{}
	}
	return slotJSON{ID: s.ID, Station: s.StationName, Code: s.StationCode, Day: s.Day, Starts: s.Starts, Ends: s.Ends,
		Capacity: s.Capacity, Left: s.Left(), Deputies: deputies}
}

func bookingOut(b mashang.Booking) gin.H {
	out := gin.H{"id": b.ID, "slot": slotOut(b.Slot), "topic": b.Topic, "status": b.Status,
		"remind": b.RemindWith != "", "created_at": b.CreatedAt.UTC().Format(time.RFC3339)}
	if b.CancelledAt != nil {
		out["cancelled_at"] = b.CancelledAt.UTC().Format(time.RFC3339)
	}
	return out
}

// slots answers GET /mp/stations/:code/slots: the station's reception slots
// from today on, with the places left and the subscribe template to ask the
// citizen to accept (wx.requestSubscribeMessage) for a reminder.
func (h *mpAPI) slots(c *gin.Context) {
	list, err := h.deps.Receptions.Slots(c.Request.Context(), c.Param("code"))
	if err != nil {
		h.fail(c, err)
		return
	}
	out := make([]slotJSON, len(list))
	for i, s := range list {
		out[i] = slotOut(s)
	}
	c.JSON(http.StatusOK, gin.H{"slots": out, "reminder_template_id": h.deps.ReminderTemplateID})
}

// book answers POST /mp/bookings {"slot_id": 1, "topic": "…",
// "remind_template_id": "<the template the citizen accepted>"}.
func (h *mpAPI) book(c *gin.Context) {
	var req struct {
		SlotID           int64  `json:"slot_id"`
		Topic            string `json:"topic"`
		RemindTemplateID string `json:"remind_template_id"`
	}
	if err := decodeJSON(c, &req, 8<<10); err != nil {
		h.fail(c, err)
		return
	}
	if req.SlotID <= 0 {
		h.fail(c, mashang.Errorf(mashang.EINVALID, "请选择接待时段（slot_id）"))
		return
	}
	s := c.MustGet(sessionKey).(mashang.MPSession)
	b, err := h.deps.Receptions.Book(c.Request.Context(), s.OpenID, req.SlotID, req.Topic, req.RemindTemplateID)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, bookingOut(b))
}

// bookings answers GET /mp/bookings: the citizen's own bookings.
func (h *mpAPI) bookings(c *gin.Context) {
	s := c.MustGet(sessionKey).(mashang.MPSession)
	list, err := h.deps.Receptions.MyBookings(c.Request.Context(), s.OpenID)
	if err != nil {
		h.fail(c, err)
		return
	}
	out := make([]gin.H, len(list))
	for i, b := range list {
		out[i] = bookingOut(b)
	}
	c.JSON(http.StatusOK, gin.H{"bookings": out})
}

// cancelBooking answers DELETE /mp/bookings/:id: only the citizen's own.
func (h *mpAPI) cancelBooking(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		h.fail(c, mashang.Errorf(mashang.ENOTFOUND, "没有这个预约"))
		return
	}
	s := c.MustGet(sessionKey).(mashang.MPSession)
	if err := h.deps.Receptions.Cancel(c.Request.Context(), s.OpenID, id); err != nil {
		h.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// publishSlot answers POST /api/stations/:code/slots {"day": "2026-12-10",
// "starts": "09:00", "ends": "11:00", "capacity": 10, "deputies": ["…"]}.
func (s *staffAPI) publishSlot(c *gin.Context) {
	var req struct {
		Day      string   `json:"day"`
		Starts   string   `json:"starts"`
		Ends     string   `json:"ends"`
		Capacity int      `json:"capacity"`
		Deputies []string `json:"deputies"`
	}
	if err := decodeJSON(c, &req, 8<<10); err != nil {
		s.fail(c, "publish slot", err)
		return
	}
	// A station beyond the caller's reach is answered as unknown, as the
	// console does.
	reach := c.MustGet(reachKey).(mashang.Reach)
	stations, err := s.deps.Console.StationsWithin(c.Request.Context(), reach)
	if err != nil {
		s.fail(c, "publish slot", err)
		return
	}
	if !slices.ContainsFunc(stations, func(st mashang.Station) bool { return st.Code == c.Param("code") }) {
		s.fail(c, "publish slot", mashang.NotFound("站点"))
		return
	}
	session := c.MustGet(staffKey).(mashang.StaffSession)
	var slot mashang.ReceptionSlot
	e := mashang.StaffAudit(session.User, "publish_slot", c.Param("code"), fmt.Sprintf("%s %s-%s %d人", req.Day, req.Starts, req.Ends, req.Capacity), c.ClientIP())
	err = audited(c.Request.Context(), s.deps.Audit, s.deps.Log, e, func(ctx context.Context) error {
		var err error
		slot, err = s.deps.Receptions.Publish(ctx, mashang.SlotPlan{StationCode: c.Param("code"),
			Day: req.Day, Starts: req.Starts, Ends: req.Ends, Capacity: req.Capacity, DeputyCodes: req.Deputies})
		return err
	})
	if err != nil {
		s.fail(c, "publish slot", err)
		return
	}
	c.JSON(http.StatusCreated, slotOut(slot))
}
