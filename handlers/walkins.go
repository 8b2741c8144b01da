package handlers

import (
	"context"
	"crypto/rand"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"mashang"
)

// WalkinService enters cases for citizens who came without WeChat and
// prints their slips (*mashang.Intake).
type WalkinService interface {
	Enter(ctx context.Context, w mashang.Walkin) (mashang.Entered, error)
	ReissueClaim(ctx context.Context, number string) (mashang.Case, string, error)
	CitizenPhone(sealed string) (string, error)
}

// WalkinReader reads and marks walk-ins for the console (*store.DB).
type WalkinReader interface {
	// CaseWalkin is how a case came in (ENOTFOUND: through WeChat).
	CaseWalkin(ctx context.Context, caseID int64) (mashang.WalkinRecord, error)
	MarkPhoned(ctx context.Context, caseID int64, staff string, at time.Time) error
	DeputyByCode(ctx context.Context, code string) (mashang.Deputy, error)
}

// newRequestID is a form's own id: sending the form again (a double
// click, the browser's resend after it was closed) finds the case it made.
func newRequestID() string { return "w" + strings.ToLower(rand.Text()) }

// newCaseForm answers GET /console/cases/new: the form for a citizen in
// front of staff, or on the phone, or in a letter. Laid out for a phone as
// well, for a station's secretary at the desk.
func (con *console) newCaseForm(c *gin.Context) {
	reach := c.MustGet(reachKey).(mashang.Reach)
	stations, err := con.deps.Console.StationsWithin(c.Request.Context(), reach)
	if err != nil {
		con.fail(c, err)
		return
	}
	con.page(c, http.StatusOK, "console_walkin.html", gin.H{"Title": "登记群众来访", "Stations": stations,
		"Channels": mashang.Channels, "RequestID": newRequestID(), "MaxPhotos": mashang.MaxPhotos})
}

// enterCase answers POST /console/cases/new: the case is entered (audited
// in its transaction) and the slip printed at once, its code shown this
// once. A station or deputy beyond the account's reach is 404.
func (con *console) enterCase(c *gin.Context) {
	s := c.MustGet(staffKey).(mashang.StaffSession)
	reach := c.MustGet(reachKey).(mashang.Reach)
	scene, err := con.walkinScene(c, reach)
	if err != nil {
		con.fail(c, err)
		return
	}
	by := mashang.Enterer{AccountID: s.User.ID, Name: s.User.Name}
	photos, err := con.savePhotos(c, by)
	if err != nil {
		con.fail(c, err)
		return
	}
	w := mashang.Walkin{RequestID: c.PostForm("request_id"), Channel: c.PostForm("channel"), Scene: scene,
		Category: c.PostForm("category"), Text: c.PostForm("text"), Photos: photos, CitizenName: c.PostForm("name"),
		CitizenPhone: c.PostForm("phone"), Public: c.PostForm("public") == "1", By: by}
	var entered mashang.Entered
	err = con.audited(c, mashang.ActEnter, scene.String(), w.Channel+"："+w.Text, func(actx context.Context) error {
		var err error
		entered, err = con.deps.Walkins.Enter(actx, w)
		return err
	})
	if err != nil {
		con.failForm(c, err)
		return
	}
	con.slip(c, entered.Case, entered.ClaimCode, entered.Repeat, "")
}

// failForm answers a refused form with the form's own page again would
// lose what was typed; the browser's back button keeps it, so the message
// says to go back.
func (con *console) failForm(c *gin.Context, err error) {
	err = overran(c, err)
	con.page(c, logged(c, con.deps.Log, err), "console_error.html", gin.H{"Title": "未能登记",
		"Error": mashang.ErrorMessage(err) + "（请点浏览器的“返回”，已填写的内容仍在，改正后再提交。）"})
}

// walkinScene reads the form's station or deputy and checks it is within
// reach: a secretary enters only for their own station (beyond reach: 404).
func (con *console) walkinScene(c *gin.Context, reach mashang.Reach) (mashang.Scene, error) {
	ctx := c.Request.Context()
	stations, err := con.deps.Console.StationsWithin(ctx, reach)
	if err != nil {
		return mashang.Scene{}, err
	}
	station := strings.TrimSpace(c.PostForm("station"))
	scene := mashang.Scene{Kind: mashang.SceneStation, Code: station}
	if code := strings.TrimSpace(c.PostForm("deputy")); code != "" {
		d, err := con.deps.Walkin.DeputyByCode(ctx, code)
		if mashang.ErrorCode(err) == mashang.ENOTFOUND {
			return scene, mashang.Errorf(mashang.EINVALID, "没有编码为「%s」的代表，请核对代表编码（可留空，只选联络站）", code)
		} else if err != nil {
			return scene, err
		}
		station, scene = d.StationCode, mashang.Scene{Kind: mashang.SceneDeputy, Code: code}
	}
	if station == "" {
		return scene, mashang.Errorf(mashang.EINVALID, "请选择受理的联络站")
	}
	if !slices.ContainsFunc(stations, func(st mashang.Station) bool { return st.Code == station }) {
		return scene, mashang.NotFound("联络站")
	}
	return scene, nil
}

// savePhotos keeps the form's photos and scanned letters, with the checks
// every photo gets (Photos.SaveFor); their IDs go into the case.
func (con *console) savePhotos(c *gin.Context, by mashang.Enterer) ([]string, error) {
	var headers []*multipart.FileHeader
	if c.Request.MultipartForm != nil {
		headers = c.Request.MultipartForm.File["photo"]
	}
	var ids []string
	for _, h := range headers {
		if h.Size == 0 && h.Filename == "" {
			continue // the form's empty file field
		}
		if len(ids) == mashang.MaxPhotos {
			return nil, mashang.Errorf(mashang.EINVALID, "照片或信件扫描件最多%d张", mashang.MaxPhotos)
		}
		f, err := h.Open()
		if err != nil {
			return nil, fmt.Errorf("open photo: %w", err)
		}
		u, err := con.deps.Photos.SaveFor(c.Request.Context(), by, f)
		f.Close()
		if err != nil {
			return nil, err
		}
		ids = append(ids, u.ID)
	}
	return ids, nil
}

// slip renders the citizen's slip (回执): A6, to print and hand over, with
// the case number, the claim code (shown this once) and the Official
// Account's code of the case's station, which leads there when scanned.
// back (optional) is the page to return to (the reception register).
func (con *console) slip(c *gin.Context, k mashang.Case, code string, repeat bool, back string) {
	// The code the case was entered at (a station's, or a deputy's): it
	// follows the Official Account and leads where the case is.
	con.page(c, http.StatusOK, "console_slip.html", gin.H{"Title": "回执 " + k.Number, "Case": k, "Code": code, "Repeat": repeat, "Back": back,
		"QR": "/codes/" + url.PathEscape(k.Scene.String()) + ".png?size=300"})
}

// reissueSlip answers POST /console/cases/:number/slip: a new claim code
// and the slip printed again (the old code stops working).
func (con *console) reissueSlip(c *gin.Context) {
	k, _, _, ok := con.reachable(c)
	if !ok {
		return
	}
	var code string
	err := con.audited(c, mashang.ActEnter, k.Number, "重新打印回执", func(ctx context.Context) error {
		var err error
		k, code, err = con.deps.Walkins.ReissueClaim(ctx, k.Number)
		return err
	})
	if err != nil {
		con.acted(c, k, "slip", "", err)
		return
	}
	con.slip(c, k, code, false, "")
}

// revealPhone answers POST /console/cases/:number/phone: the citizen's full
// number, for staff who phone them, audited.
func (con *console) revealPhone(c *gin.Context) {
	k, _, _, ok := con.reachable(c)
	if !ok {
		return
	}
	w, err := con.deps.Walkin.CaseWalkin(c.Request.Context(), k.ID)
	if err != nil {
		con.fail(c, err)
		return
	}
	var phone string
	err = con.audited(c, "reveal_phone", k.Number, "查看群众电话以电话告知", func(context.Context) error {
		var err error
		phone, err = con.deps.Walkins.CitizenPhone(w.PhoneSealed)
		return err
	})
	if err != nil {
		con.fail(c, err)
		return
	}
	if phone == "" {
		con.fail(c, mashang.Errorf(mashang.ENOTFOUND, "群众登记时没有留电话"))
		return
	}
	c.Header("Cache-Control", "no-store")
	con.page(c, http.StatusOK, "console_phone.html", gin.H{"Title": "群众电话", "Case": k, "Phone": phone, "Name": w.CitizenName})
}

// markPhoned answers POST /console/cases/:number/phoned: the answer was
// told by phone; the to-do list no longer asks for it.
func (con *console) markPhoned(c *gin.Context, k mashang.Case, staff string) (string, string, func(context.Context) error) {
	return "已电话告知群众", "已记录电话告知", func(ctx context.Context) error {
		if _, err := con.deps.Walkin.CaseWalkin(ctx, k.ID); err != nil {
			return err
		}
		return con.deps.Walkin.MarkPhoned(ctx, k.ID, staff, time.Now())
	}
}

// walkinOf is what the case page says of a walk-in: how it came, who the
// citizen is (masked), and whether staff must phone them (nil: it came
// through WeChat).
func (con *console) walkinOf(ctx context.Context, k mashang.Case) (gin.H, error) {
	w, err := con.deps.Walkin.CaseWalkin(ctx, k.ID)
	if mashang.ErrorCode(err) == mashang.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	out := gin.H{"Record": w, "Linked": k.OpenID != ""}
	if w.PhoneSealed != "" {
		phone, err := con.deps.Walkins.CitizenPhone(w.PhoneSealed)
		if err != nil {
			out["Masked"] = "（无法解密，请检查数据密钥）"
		} else {
			out["Masked"] = mashang.MaskPhone(phone)
		}
	}
	return out, nil
}

// relayForm answers GET /d/relay: a deputy records what a voter told them
// in person (代表转来).
func (d *deputyDesk) relayForm(c *gin.Context) {
	d.page(c, http.StatusOK, "deputy_relay.html", gin.H{"Title": "转来群众意见", "RequestID": newRequestID()})
}

// relay answers POST /d/relay: the matter becomes a case at the deputy's
// own code, with them as its first deputy; the page shows its number and
// claim code for the voter.
func (d *deputyDesk) relay(c *gin.Context) {
	dep := c.MustGet(deputyKey).(mashang.Deputy)
	w := mashang.Walkin{RequestID: c.PostForm("request_id"), Channel: mashang.ChannelDeputy,
		Scene: mashang.Scene{Kind: mashang.SceneDeputy, Code: dep.Code}, Text: c.PostForm("text"),
		CitizenName: c.PostForm("name"), CitizenPhone: c.PostForm("phone"), By: mashang.Enterer{DeputyID: dep.ID, Name: dep.Name + "代表"}}
	var entered mashang.Entered
	err := d.audited(c, dep, "deputy_relay", "dp:"+dep.Code, w.Text, func(ctx context.Context) error {
		var err error
		entered, err = d.deps.Walkins.Enter(ctx, w)
		return err
	})
	if err != nil {
		d.fail(c, err)
		return
	}
	d.page(c, http.StatusOK, "deputy_relayed.html", gin.H{"Title": "已转来", "Case": entered.Case, "Code": entered.ClaimCode, "Repeat": entered.Repeat})
}

type claimRequest struct {
	Number string `json:"number"`
	Code   string `json:"code"`
}

// claim answers POST /mp/cases/claim: the citizen links a case entered for
// them to their Mini Program with the slip's number and code.
func (h *mpAPI) claim(c *gin.Context) {
	var req claimRequest
	if err := decodeJSON(c, &req, 4<<10); err != nil {
		h.fail(c, err)
		return
	}
	s := c.MustGet(sessionKey).(mashang.MPSession)
	k, err := h.deps.Forms.Claim(c.Request.Context(), s.OpenID, req.Number, req.Code)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, caseOut(k))
}
