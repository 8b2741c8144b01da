package handlers

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"mashang"
)

// LoginService signs citizens in to the Mini Program (*mashang.Login).
type LoginService interface {
	Login(ctx context.Context, code string) (string, time.Time, error)
}

// SessionVerifier checks a Mini Program session token (*mashang.Sessions).
type SessionVerifier interface {
	Verify(token string) (mashang.MPSession, error)
}

type mpAPI struct{ deps MiniProgramDeps }

const sessionKey = "mp_session"

// login answers POST /mp/login {"code": "<wx.login code>"}.
func (h *mpAPI) login(c *gin.Context) {
	var req struct {
		Code string `json:"code"`
	}
	if err := decodeJSON(c, &req, 4<<10); err != nil {
		h.fail(c, err)
		return
	}
	token, expires, err := h.deps.Login.Login(c.Request.Context(), req.Code)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"token": token, "expires_at": expires.UTC().Format(time.RFC3339)})
}

// signedIn admits requests with a valid session token (Authorization:
// Bearer …); the session is then in the context.
func (h *mpAPI) signedIn(c *gin.Context) {
	token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok {
		h.fail(c, mashang.Errorf(mashang.EUNAUTHORIZED, "请先登录（Authorization: Bearer <token>）"))
		return
	}
	session, err := h.deps.Sessions.Verify(token)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Set(sessionKey, session)
	c.Next()
}

// PhoneService keeps the phone numbers citizens grant (*mashang.Phones).
type PhoneService interface {
	Bind(ctx context.Context, openid, code string) (string, error)
	Masked(ctx context.Context, openid string) (string, error)
}

// me answers GET /mp/me: who the session is for (openid and phone masked).
func (h *mpAPI) me(c *gin.Context) {
	s := c.MustGet(sessionKey).(mashang.MPSession)
	out := gin.H{"openid": maskID(s.OpenID), "expires_at": s.ExpiresAt.UTC().Format(time.RFC3339)}
	if h.deps.Phones != nil {
		phone, err := h.deps.Phones.Masked(c.Request.Context(), s.OpenID)
		if err != nil {
			h.fail(c, err)
			return
		}
		out["phone"] = phone
	}
	c.JSON(http.StatusOK, out)
}

// phone answers POST /mp/phone {"code": "<getPhoneNumber code>"}.
func (h *mpAPI) phone(c *gin.Context) {
	var req struct {
		Code string `json:"code"`
	}
	if err := decodeJSON(c, &req, 4<<10); err != nil {
		h.fail(c, err)
		return
	}
	s := c.MustGet(sessionKey).(mashang.MPSession)
	masked, err := h.deps.Phones.Bind(c.Request.Context(), s.OpenID, req.Code)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"phone": masked})
}

// fail is how the Mini Program's API answers an error.
func (h *mpAPI) fail(c *gin.Context, err error) { failJSON(c, h.deps.Log, err) }

func maskID(s string) string {
	if len(s) <= 8 {
		return "****"
	}
	return s[:4] + "****" + s[len(s)-2:]
}

// PublicDirectory reads what anyone may see of stations and deputies.
type PublicDirectory interface {
	mashang.StationFinder
	StationPage(ctx context.Context, code string) (mashang.StationPage, error)
	DeputyPage(ctx context.Context, code string) (mashang.DeputyPage, error)
}

type stationJSON struct {
	Code           string   `json:"code"`
	Name           string   `json:"name"`
	Kind           string   `json:"kind"`
	Address        string   `json:"address"`
	Latitude       *float64 `json:"latitude,omitempty"`
	Longitude      *float64 `json:"longitude,omitempty"`
	Open           bool     `json:"open"`
	ReceptionDays  string   `json:"reception_days"`
	ReceptionPlan  string   `json:"reception_plan,omitempty"`
	DistanceKm     *float64 `json:"distance_km,omitempty"`
	ReceivingToday bool     `json:"receiving_today"`
	NextReception  string   `json:"next_reception,omitempty"` // YYYY-MM-DD, China time
}

func stationOut(s mashang.Station, now time.Time) stationJSON {
	out := stationJSON{Code: s.Code, Name: s.Name, Kind: s.Kind.Label(), Address: s.Address, Latitude: s.Latitude,
		Longitude: s.Longitude, Open: s.Open, ReceptionDays: s.ReceptionDays, ReceptionPlan: s.ReceptionPlan}
	if s.Open {
		if next, today := mashang.NextReception(s.ReceptionDays, now); !next.IsZero() {
			out.NextReception, out.ReceivingToday = next.Format("2006-01-02"), today
		}
	}
	return out
}

// near answers GET /mp/stations/near?lat=36.06&lng=120.38[&limit=10].
func (h *mpAPI) near(c *gin.Context) {
	lat, errLat := strconv.ParseFloat(c.Query("lat"), 64)
	lng, errLng := strconv.ParseFloat(c.Query("lng"), 64)
	if errLat != nil || errLng != nil {
		h.fail(c, mashang.Errorf(mashang.EINVALID, "lat 和 lng 应为数字，如 lat=36.0671&lng=120.3826"))
		return
	}
	limit, _ := strconv.Atoi(c.DefaultQuery("limit", "10"))
	now := time.Now()
	found, err := mashang.Nearby(c.Request.Context(), h.deps.Public, lat, lng, limit, now)
	if err != nil {
		h.fail(c, err)
		return
	}
	out := make([]stationJSON, len(found))
	for i, n := range found {
		out[i] = stationOut(n.Station, now)
		km := math.Round(n.DistanceKm*10) / 10
		out[i].DistanceKm = &km
	}
	c.JSON(http.StatusOK, gin.H{"stations": out})
}

// station answers GET /mp/stations/:code: the station's public page.
func (h *mpAPI) station(c *gin.Context) {
	page, err := h.deps.Public.StationPage(c.Request.Context(), c.Param("code"))
	if err != nil {
		h.fail(c, err)
		return
	}
	deputies := make([]gin.H, len(page.Deputies))
	for i, d := range page.Deputies {
		deputies[i] = gin.H{"code": d.Code, "name": d.Name, "level": d.Level.Label(), "profile": d.Profile}
	}
	groups := make([]gin.H, len(page.Groups))
	for i, g := range page.Groups {
		categories := g.Categories
		if categories == nil {
			categories = []string{} // a list the front end can loop over, never null
		}
		groups[i] = gin.H{"name": g.Name, "duty": g.Duty, "leader": g.Leader, "categories": categories}
	}
	c.JSON(http.StatusOK, gin.H{"station": stationOut(page.Station, time.Now()), "deputies": deputies, "groups": groups})
}

// deputy answers GET /mp/deputies/:code: the deputy's public page.
func (h *mpAPI) deputy(c *gin.Context) {
	page, err := h.deps.Public.DeputyPage(c.Request.Context(), c.Param("code"))
	if err != nil {
		h.fail(c, err)
		return
	}
	stations := make([]stationJSON, len(page.Stations))
	for i, s := range page.Stations {
		stations[i] = stationOut(s, time.Now())
	}
	c.JSON(http.StatusOK, gin.H{"code": page.Code, "name": page.Name, "level": page.Level.Label(), "profile": page.Profile,
		"in_office": page.InOffice, "stations": stations})
}

// FormService raises cases from the Mini Program's form (*mashang.Intake).
type FormService interface {
	RaiseForm(ctx context.Context, f mashang.Form) (string, error)
	// Claim links a case entered for a citizen (a walk-in) to them with
	// the slip's number and code.
	Claim(ctx context.Context, openid, number, code string) (mashang.Case, error)
}

type formRequest struct {
	RequestID string `json:"request_id"`
	Scene     string `json:"scene"`
	Text      string `json:"text"`
	Location  *struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
		Label     string  `json:"label"`
	} `json:"location"`
	Public   bool     `json:"public"`
	Photos   []string `json:"photos"`
	Category string   `json:"category"`
	// ProgressTemplate is the subscribe message the citizen accepted for
	// the case's progress ("" if they declined).
	ProgressTemplate string `json:"progress_template_id"`
}

// raise answers POST /mp/cases: a case from the form, routed as a scanned
// message is. A retry with the same request_id answers the same case.
func (h *mpAPI) raise(c *gin.Context) {
	var req formRequest
	if err := decodeJSON(c, &req, 16<<10); err != nil {
		h.fail(c, err)
		return
	}
	s := c.MustGet(sessionKey).(mashang.MPSession)
	f := mashang.Form{OpenID: s.OpenID, RequestID: req.RequestID, Scene: mashang.ParseScene(req.Scene), Text: req.Text,
		Public: req.Public, Photos: req.Photos, Category: req.Category, ProgressTemplate: req.ProgressTemplate}
	if req.Location != nil {
		f.Latitude, f.Longitude, f.Place = &req.Location.Latitude, &req.Location.Longitude, req.Location.Label
	}
	number, err := h.deps.Forms.RaiseForm(c.Request.Context(), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"number": number})
}

// CitizenCases reads a citizen's own cases (*store.DB).
type CitizenCases interface {
	CitizenCases(ctx context.Context, openid string, limit int) ([]mashang.Case, error)
	CitizenCase(ctx context.Context, openid, number string) (mashang.Case, []mashang.CaseEvent, error)
	CasePhotos(ctx context.Context, caseID int64) ([]mashang.Upload, error)
}

func caseOut(c mashang.Case) gin.H {
	return gin.H{"number": c.Number, "station": c.StationName, "group": c.GroupName, "category": c.Category,
		"status": c.Status, "status_label": c.StatusLabel(), "summary": c.Summary,
		"created_at": c.CreatedAt.UTC().Format(time.RFC3339), "public": c.PublicConsent,
		"rating": c.Rating, "rating_label": mashang.RatingLabel(c.Rating), "merged_into": c.MergedInto}
}

// cases answers GET /mp/cases: the citizen's own cases.
func (h *mpAPI) cases(c *gin.Context) {
	s := c.MustGet(sessionKey).(mashang.MPSession)
	list, err := h.deps.Citizens.CitizenCases(c.Request.Context(), s.OpenID, 50)
	if err != nil {
		h.fail(c, err)
		return
	}
	out := make([]gin.H, len(list))
	for i, k := range list {
		out[i] = caseOut(k)
	}
	c.JSON(http.StatusOK, gin.H{"cases": out})
}

// caseDetail answers GET /mp/cases/:number: one of the citizen's own cases
// with its timeline; anyone else's is 404, never 403, so numbers cannot be
// probed.
func (h *mpAPI) caseDetail(c *gin.Context) {
	s := c.MustGet(sessionKey).(mashang.MPSession)
	k, events, err := h.deps.Citizens.CitizenCase(c.Request.Context(), s.OpenID, c.Param("number"))
	if err != nil {
		h.fail(c, err)
		return
	}
	shownEvents := mashang.TimelineFor(events, mashang.AudienceCitizen)
	timeline := make([]gin.H, len(shownEvents))
	for i, e := range shownEvents {
		timeline[i] = gin.H{"at": e.At.UTC().Format(time.RFC3339), "kind": e.Kind, "detail": e.Detail}
	}
	photos, err := h.deps.Citizens.CasePhotos(c.Request.Context(), k.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	shown := make([]gin.H, len(photos))
	for i, p := range photos {
		shown[i] = gin.H{"id": p.ID, "url": "/mp/photos/" + p.ID, "check": p.Check}
	}
	out := caseOut(k)
	out["timeline"] = timeline
	out["photos"] = shown
	c.JSON(http.StatusOK, out)
}

// RatingService takes citizens' verdicts on answers (*mashang.Ratings).
type RatingService interface {
	Rate(ctx context.Context, openid, number, verdict, comment string) (mashang.Rating, error)
}

// rate answers POST /mp/cases/:number/rating {"verdict": "satisfied" |
// "basically_satisfied" | "dissatisfied" (or 满意/基本满意/不满意), "comment": "…"}.
func (h *mpAPI) rate(c *gin.Context) {
	var req struct {
		Verdict string `json:"verdict"`
		Comment string `json:"comment"`
	}
	if err := decodeJSON(c, &req, 8<<10); err != nil {
		h.fail(c, err)
		return
	}
	s := c.MustGet(sessionKey).(mashang.MPSession)
	r, err := h.deps.Ratings.Rate(c.Request.Context(), s.OpenID, c.Param("number"), req.Verdict, req.Comment)
	if err != nil {
		h.fail(c, err)
		return
	}
	out := gin.H{"verdict": r.Verdict, "label": mashang.RatingLabel(r.Verdict), "rated_at": r.At.UTC().Format(time.RFC3339)}
	if r.Verdict == mashang.RatingDissatisfied {
		out["reopened"] = true
	}
	c.JSON(http.StatusCreated, out)
}
