package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"mashang"
)

// RegisterService keeps the reception register (*mashang.Register). allowed
// says whether a station is within the account's reach (nil: every one).
type RegisterService interface {
	Day(ctx context.Context, stationCode, day string, allowed func(string) bool) (mashang.RegisterDay, error)
	Month(ctx context.Context, stationCode, month string, allowed func(string) bool) (mashang.Station, []mashang.Visit, error)
	Record(ctx context.Context, e mashang.VisitEntry, allowed func(string) bool) (mashang.Visit, error)
	NoShow(ctx context.Context, bookingID int64, by string, allowed func(string) bool) (mashang.Visit, error)
	AddTopic(ctx context.Context, visitID int64, text string, allowed func(string) bool) (mashang.Visit, error)
	MakeCase(ctx context.Context, topicID int64, by mashang.StaffUser, allowed func(string) bool) (mashang.Entered, error)
}

// ReceivedFigures counts the people received (接待人次) within a reach (*store.DB).
type ReceivedFigures interface {
	ReceivedFigures(ctx context.Context, r mashang.Reach, fromDay, toDay string) ([]mashang.ReceivedLine, error)
}

// DeputyReceptions are the reception days a deputy is on duty (*store.DB).
type DeputyReceptions interface {
	DeputyReceptions(ctx context.Context, deputyID int64, fromDay string) ([]mashang.ReceptionSlot, []mashang.Booking, error)
}

// receptionsAt is the register page of a station's day.
func receptionsAt(station, day string) string {
	return "/console/receptions?station=" + url.QueryEscape(station) + "&day=" + url.QueryEscape(day)
}

// registerBack is where a register form returns: the page it was posted from.
func registerBack(c *gin.Context) string {
	return receptionsAt(c.PostForm("station"), c.PostForm("day"))
}

// registerSaid returns to the register page saying what was done, or
// what went wrong; what is beyond the account's reach is not found, as
// everywhere in the console.
func (con *console) registerSaid(c *gin.Context, done string, err error) {
	if mashang.ErrorCode(err) == mashang.ENOTFOUND {
		con.fail(c, err)
		return
	}
	con.said(c, registerBack(c), outcome(c, con.deps.Log, done, err))
}

// formID reads a route's numeric ID; anything else is not found.
func formID(c *gin.Context, what string) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, mashang.NotFound(what)
	}
	return id, nil
}

// receptionsPage answers GET /console/receptions?station=…&day=…: the
// reception register of a station's day (today by default), the slots
// published and the form to publish more, and the people received by
// station, deputy and month over the year to the day's month.
func (con *console) receptionsPage(c *gin.Context) {
	reach := c.MustGet(reachKey).(mashang.Reach)
	stations, err := con.deps.Console.StationsWithin(c.Request.Context(), reach)
	if err != nil {
		con.fail(c, err)
		return
	}
	allowed := func(code string) bool {
		return reach.All || slices.ContainsFunc(stations, func(st mashang.Station) bool { return st.Code == code })
	}
	now := time.Now().In(mashang.China)
	code, day := c.Query("station"), c.DefaultQuery("day", now.Format(time.DateOnly))
	if code == "" && len(stations) > 0 {
		code = stations[0].Code
	}
	data := gin.H{"Title": "接待登记", "Stations": stations, "StationCode": code, "DayParam": day, "Today": now.Format(time.DateOnly)}
	if code == "" {
		con.page(c, http.StatusOK, "console_receptions.html", data)
		return
	}
	reg, err := con.deps.Register.Day(c.Request.Context(), code, day, allowed)
	if err != nil {
		con.fail(c, err)
		return
	}
	upcoming, err := con.deps.Receptions.Slots(c.Request.Context(), code)
	if err != nil {
		con.fail(c, err)
		return
	}
	at, _ := time.ParseInLocation(time.DateOnly, day, mashang.China)
	monthStart := time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, mashang.China)
	received, err := con.deps.Received.ReceivedFigures(c.Request.Context(), reach,
		monthStart.AddDate(0, -11, 0).Format(time.DateOnly), monthStart.AddDate(0, 1, -1).Format(time.DateOnly))
	if err != nil {
		con.fail(c, err)
		return
	}
	total := 0
	for _, l := range received {
		total += l.People
	}
	next, _ := mashang.NextReception(reg.Station.ReceptionDays, now.Add(24*time.Hour))
	data["Register"], data["Waiting"], data["Upcoming"], data["Received"], data["ReceivedTotal"] = reg, reg.Waiting(), upcoming, received, total
	data["Month"], data["IsPast"] = monthStart.Format("2006-01"), !at.After(now)
	if !next.IsZero() {
		data["NextDay"] = next.Format(time.DateOnly)
	}
	con.page(c, http.StatusOK, "console_receptions.html", data)
}

// registerAct runs one of the register's actions within the account's
// reach, audited in its transaction, and returns to the register page
// saying what run did.
// done, if given, answers instead of the register page when run succeeded.
func (con *console) registerAct(c *gin.Context, action, target, detail string, run func(ctx context.Context, allowed func(string) bool) (string, error), done ...func()) {
	allowed, err := con.stationsWithin(c)
	if err != nil {
		con.fail(c, err)
		return
	}
	var said string
	err = con.audited(c, action, target, detail, func(ctx context.Context) error {
		var err error
		said, err = run(ctx, allowed)
		return err
	})
	if err == nil && len(done) > 0 {
		done[0]()
		return
	}
	con.registerSaid(c, said, err)
}

// publishReception answers the form that publishes a slot on one of the
// station's reception days; the deputies on duty are told by template
// message.
func (con *console) publishReception(c *gin.Context) {
	code, day := c.PostForm("station"), c.PostForm("day")
	capacity, _ := strconv.Atoi(strings.TrimSpace(c.PostForm("capacity")))
	plan := mashang.SlotPlan{StationCode: code, Day: day, Starts: c.PostForm("starts"), Ends: c.PostForm("ends"),
		Capacity: capacity, DeputyCodes: c.PostFormArray("deputy")}
	detail := fmt.Sprintf("%s %s-%s %d人 %s", day, plan.Starts, plan.Ends, capacity, strings.Join(plan.DeputyCodes, "、"))
	con.registerAct(c, mashang.ActSlots, code, detail, func(ctx context.Context, allowed func(string) bool) (string, error) {
		if allowed != nil && !allowed(code) {
			return "", mashang.NotFound("站点")
		}
		slot, err := con.deps.Receptions.Publish(ctx, plan)
		return fmt.Sprintf("已开放 %s %s-%s 的接待预约（%d个名额），已通知值班代表：%s",
			slot.Day, slot.Starts, slot.Ends, slot.Capacity, strings.Join(slot.Deputies, "、")), err
	})
}

// recordVisit answers the register's forms for a person who came: a
// walk-in, or a booking's citizen (booking=ID). Saved at once: closing the
// browser loses nothing written.
func (con *console) recordVisit(c *gin.Context) {
	s := c.MustGet(staffKey).(mashang.StaffSession)
	booking, _ := strconv.ParseInt(c.PostForm("booking"), 10, 64)
	e := mashang.VisitEntry{StationCode: c.PostForm("station"), Day: c.PostForm("day"), BookingID: booking,
		Visitor: c.PostForm("visitor"), DeputyCode: c.PostForm("deputy"), Topics: c.PostFormArray("topics"), By: s.User.Username}
	con.registerAct(c, mashang.ActRegister, e.StationCode, visitDetail(e),
		func(ctx context.Context, allowed func(string) bool) (string, error) {
			v, err := con.deps.Register.Record(ctx, e, allowed)
			who := v.Visitor
			if who == "" {
				who = "来访群众"
			}
			return fmt.Sprintf("已登记%s，反映%d件事", who, len(v.Topics)), err
		})
}

// visitDetail is how the audit log names a register entry.
func visitDetail(e mashang.VisitEntry) string {
	from := "现场来访"
	if e.BookingID != 0 {
		from = fmt.Sprintf("预约%d到场", e.BookingID)
	}
	return fmt.Sprintf("%s %s 接待代表%s", e.Day, from, e.DeputyCode)
}

// noShow marks a booking nobody came to.
func (con *console) noShow(c *gin.Context) {
	s := c.MustGet(staffKey).(mashang.StaffSession)
	con.registerAct(c, mashang.ActRegister, c.Param("id"), "预约未到", func(ctx context.Context, allowed func(string) bool) (string, error) {
		id, err := formID(c, "预约")
		if err == nil {
			_, err = con.deps.Register.NoShow(ctx, id, s.User.Username, allowed)
		}
		return "已登记为预约未到", err
	})
}

// addVisitTopic adds a matter to a register line.
func (con *console) addVisitTopic(c *gin.Context) {
	con.registerAct(c, mashang.ActRegister, c.Param("id"), "补充反映的事", func(ctx context.Context, allowed func(string) bool) (string, error) {
		id, err := formID(c, "登记")
		if err == nil {
			_, err = con.deps.Register.AddTopic(ctx, id, c.PostForm("text"), allowed)
		}
		return "已补充反映的事", err
	})
}

// makeVisitCase makes a case of a topic in one step (channel 接待日), linked
// to the register line and the deputy who received it, and prints the
// citizen's slip (回执) with its claim code, leading back to the register.
func (con *console) makeVisitCase(c *gin.Context) {
	s := c.MustGet(staffKey).(mashang.StaffSession)
	var made mashang.Entered
	con.registerAct(c, mashang.ActRegister, c.Param("id"), "转为问题", func(ctx context.Context, allowed func(string) bool) (string, error) {
		id, err := formID(c, "登记的事项")
		if err == nil {
			made, err = con.deps.Register.MakeCase(ctx, id, s.User, allowed)
		}
		return "", err
	}, func() { con.slip(c, made.Case, made.ClaimCode, made.Repeat, registerBack(c)) })
}

// registerExcel answers GET /console/receptions.xlsx?station=…&month=2026-12:
// the station's reception register for the month (接待选民登记簿).
func (con *console) registerExcel(c *gin.Context) {
	allowed, err := con.stationsWithin(c)
	if err != nil {
		con.fail(c, err)
		return
	}
	st, visits, err := con.deps.Register.Month(c.Request.Context(), c.Query("station"), c.Query("month"), allowed)
	if err != nil {
		con.fail(c, err)
		return
	}
	book, err := registerBook(st, c.Query("month"), visits)
	if err != nil {
		con.fail(c, err)
		return
	}
	defer book.Close()
	if err := con.audited(c, "export_register", st.Code, fmt.Sprintf("%s %d条", c.Query("month"), len(visits)), wroteNothing); err != nil {
		con.fail(c, err)
		return
	}
	name := st.Name + c.Query("month") + "接待选民登记簿.xlsx"
	c.Header("Content-Disposition", `attachment; filename="register.xlsx"; filename*=UTF-8''`+url.PathEscape(name))
	c.Header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Status(http.StatusOK)
	if err := book.Write(c.Writer); err != nil {
		con.deps.Log.Error("reception register", "err", err)
	}
}

// RegisterSheet is the register's sheet, and its columns as the paper
// 接待选民登记簿 has them.
const RegisterSheet = "接待选民登记簿"

var registerHeaders = []any{"序号", "接待日期", "时段", "接待代表", "来访群众", "来源", "反映的问题", "问题编号", "备注"}

// registerBook writes the month's register: a title row, the headers, one
// row per person received or booking missed, the topics numbered one a
// line, and the total of people received.
func registerBook(st mashang.Station, month string, visits []mashang.Visit) (*excelize.File, error) {
	book := excelize.NewFile()
	_ = book.SetSheetName("Sheet1", RegisterSheet)
	rows := [][]any{{st.Name + " " + month + " 接待选民登记簿"}, registerHeaders}
	received := 0
	for i, v := range visits {
		var topics, numbers []string
		for n, t := range v.Topics {
			topics = append(topics, fmt.Sprintf("%d. %s", n+1, t.Text))
			if t.CaseNumber != "" {
				numbers = append(numbers, t.CaseNumber)
			}
		}
		visitor, note := v.Visitor, ""
		if visitor == "" {
			visitor = "（未留姓名）"
		}
		if v.Status == mashang.VisitNoShow {
			note = "预约未到"
		} else {
			received++
		}
		rows = append(rows, []any{i + 1, v.Day, v.Starts, v.DeputyName, visitor, v.Source(), strings.Join(topics, "\n"), strings.Join(numbers, "\n"), note})
	}
	rows = append(rows, []any{"合计", fmt.Sprintf("接待%d人次", received)})
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := book.SetSheetRow(RegisterSheet, cell, &row); err != nil {
			book.Close()
			return nil, fmt.Errorf("reception register: %w", err)
		}
	}
	_ = book.SetColWidth(RegisterSheet, "G", "G", 60)
	return book, nil
}

// deputyReceptions answers GET /d/receptions: the reception days a deputy
// is on duty, from today, with what the citizens who booked want to raise.
func (d *deputyDesk) receptions(c *gin.Context) {
	dep := c.MustGet(deputyKey).(mashang.Deputy)
	slots, bookings, err := d.deps.Receptions.DeputyReceptions(c.Request.Context(), dep.ID, time.Now().In(mashang.China).Format(time.DateOnly))
	if err != nil {
		d.fail(c, err)
		return
	}
	rows := make([]gin.H, len(slots))
	for i, s := range slots {
		var topics []string
		for _, b := range bookings {
			if b.Slot.ID == s.ID {
				topics = append(topics, b.Topic)
			}
		}
		rows[i] = gin.H{"Slot": s, "Topics": topics}
	}
	d.page(c, http.StatusOK, "deputy_receptions.html", gin.H{"Title": "我的接待日", "Rows": rows})
}
