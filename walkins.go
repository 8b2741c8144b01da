package mashang

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// A walk-in (来访、电话、来信…) is a matter a citizen raised without WeChat:
// in person at a station, by phone, by letter, passed on by the petition
// office, at a reception day or a pop-up desk, or told to a deputy who
// passes it on. Staff (or the deputy) enter it for them; it is then routed,
// numbered and notified exactly as a message after a scan is, and the
// citizen is given a slip with the case number and a claim code to follow
// it from WeChat.

// The channels a case can come through besides WeChat, as staff name them.
const (
	ChannelVisit     = "来访"
	ChannelPhone     = "电话"
	ChannelLetter    = "来信"
	ChannelPetition  = "信访转来"
	ChannelReception = "接待日"
	ChannelPopUp     = "流动办公桌"
	ChannelDeputy    = "代表转来"
)

// Channels are the walk-in channels in the order forms offer them.
var Channels = []string{ChannelVisit, ChannelPhone, ChannelLetter, ChannelPetition, ChannelReception, ChannelPopUp, ChannelDeputy}

// WalkinRepeatWindow is how long the same matter entered again by the same
// person finds the case entered first (a double click, a form sent again
// after the browser was closed), instead of opening a second one.
const WalkinRepeatWindow = 10 * time.Minute

// MaxClaimFailures is how many wrong claim codes a case takes before it
// refuses every code until staff print a new slip (ReissueClaim).
const MaxClaimFailures = 5

// claimAlphabet has no look-alikes (0/O, 1/I/L): read off paper, typed on a phone.
const claimAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

const claimCodeLen = 6

// Enterer is who entered a walk-in: a staff account (AccountID) or a
// deputy passing on what a voter told them (DeputyID); exactly one is set.
// Name is how the timeline names them.
type Enterer struct {
	AccountID int64
	DeputyID  int64
	Name      string
}

// key is the enterer as the walk-in record and upload ownership name them.
func (e Enterer) key() string {
	if e.DeputyID != 0 {
		return fmt.Sprintf("deputy:%d", e.DeputyID)
	}
	return fmt.Sprintf("staff:%d", e.AccountID)
}

// UploadOwner is who an enterer's scanned letters and photos belong to
// until they are filed in the case (Photos.SaveFor). It holds a colon, which
// no openid does, so no citizen can attach them.
func (e Enterer) UploadOwner() string { return e.key() }

// Walkin is a matter entered for a citizen (see Intake.Enter).
type Walkin struct {
	// RequestID is the form's own (8–64 letters, digits, - or _): sending
	// the same form again finds the case it opened.
	RequestID string
	Channel   string // one of Channels
	Scene     Scene  // the station or deputy it is for (st:<code> or dp:<code>)
	Category  string // optional: one the station takes; "" = keyword rules
	Text      string // the matter, in the citizen's words
	// Photos are uploads saved for this enterer (Photos.SaveFor with
	// By.UploadOwner()): photos, scanned letters. At most MaxPhotos.
	Photos []string
	// The citizen's name and phone, both optional. The phone is sealed
	// with the Vault and only ever shown masked, except to staff who
	// reveal it (audited) to phone the citizen.
	CitizenName  string
	CitizenPhone string
	Public       bool // consent to the results wall, anonymised
	By           Enterer
}

// Entered is what Enter made or found.
type Entered struct {
	Case Case
	// ClaimCode is the slip's code, in clear this once (only its hash is
	// kept); "" when Repeat.
	ClaimCode string
	// Repeat says the case was entered before (the same request, or the
	// same matter by the same person within WalkinRepeatWindow): nothing
	// new was made, and the slip is printed again with a new code by
	// ReissueClaim if it was lost.
	Repeat bool
}

// WalkinRecord is how a case came in without WeChat, as stored with it.
type WalkinRecord struct {
	CaseID      int64
	Channel     string
	EnteredBy   string // Enterer.key
	EnteredName string
	RequestID   string
	TextKey     string // hash of the matter's text, to find the same matter entered twice
	CitizenName string
	PhoneSealed string
	ClaimHash   string
	Failures    int
	ClaimedAt   *time.Time
	PhonedAt    *time.Time // staff told the citizen the answer by phone
	CreatedAt   time.Time
}

// WalkinTx is what entering and claiming walk-ins needs from storage,
// within the intake's transaction.
type WalkinTx interface {
	// WalkinByRequest finds the case enteredBy entered under requestID
	// (ENOTFOUND: none).
	WalkinByRequest(ctx context.Context, enteredBy, requestID string) (Case, error)
	// RecentWalkin finds the latest case enteredBy entered with the same
	// text since then (ENOTFOUND: none).
	RecentWalkin(ctx context.Context, enteredBy, textKey string, since time.Time) (Case, error)
	AddWalkin(ctx context.Context, w WalkinRecord) error
	// WalkinByNumber reads the walk-in record of a case by its number,
	// with the case (ENOTFOUND: no such case, or not a walk-in).
	WalkinByNumber(ctx context.Context, number string) (Case, WalkinRecord, error)
	// ClaimWalkin gives the case to openid (its citizen from now on).
	ClaimWalkin(ctx context.Context, caseID int64, openid string, at time.Time) error
	// FailWalkinClaim counts a wrong code against the case.
	FailWalkinClaim(ctx context.Context, caseID int64) error
	// SetClaimHash replaces the case's claim code and clears its failures.
	SetClaimHash(ctx context.Context, caseID int64, hash string) error
}

var citizenPhonePattern = regexp.MustCompile(`^[0-9][0-9-]{6,19}$`)

// Enter opens a case for a citizen who raised a matter without WeChat
// (w.Channel says how), entered by staff or passed on by a deputy. It
// takes the very path of a message after a scan (openCase): the same
// routing by code and category, the same notices to the group's deputies,
// the same first-response deadline, all in one transaction, with the
// channel and who entered it on the timeline (EventEntered). The same
// request id, or the same text from the same enterer within
// WalkinRepeatWindow, finds the case made first (Repeat). A deputy
// (By.DeputyID) may enter only 代表转来 at their own code; they earn duty
// points for it only when staff accept it (Supervision.Accept).
//
// Callers check reach before: a secretary enters only for their station.
// An audit entry on ctx (Audited) is written in the same transaction.
// The claim code comes back in clear once, for the slip.
func (in *Intake) Enter(ctx context.Context, w Walkin) (Entered, error) {
	text := strings.TrimSpace(w.Text)
	w.CitizenName = strings.TrimSpace(w.CitizenName)
	phone := strings.ReplaceAll(strings.TrimSpace(w.CitizenPhone), " ", "")
	switch {
	case !requestID.MatchString(w.RequestID):
		return Entered{}, Errorf(EINVALID, "表单编号（request_id）无效，请刷新页面后重新填写")
	case (w.By.AccountID == 0) == (w.By.DeputyID == 0) || strings.TrimSpace(w.By.Name) == "":
		return Entered{}, Errorf(EINVALID, "录入人不明确，请重新登录后再录入")
	case !slices.Contains(Channels, w.Channel):
		return Entered{}, Errorf(EINVALID, "请选择反映渠道：%s", strings.Join(Channels, "、"))
	case w.By.DeputyID != 0 && w.Channel != ChannelDeputy:
		return Entered{}, Errorf(EINVALID, "代表录入的问题渠道只能是「%s」", ChannelDeputy)
	case w.Scene.Kind != SceneStation && w.Scene.Kind != SceneDeputy:
		return Entered{}, Errorf(EINVALID, "请选择受理的联络站或代表（编码）")
	case text == "":
		return Entered{}, Errorf(EINVALID, "请填写群众反映的问题（用群众自己的话）")
	case utf8.RuneCountInString(text) > 2000:
		return Entered{}, Errorf(EINVALID, "问题描述不能超过2000字，可拍照上传原信")
	case utf8.RuneCountInString(w.CitizenName) > 32:
		return Entered{}, Errorf(EINVALID, "群众姓名不能超过32个字")
	case phone != "" && !citizenPhonePattern.MatchString(phone):
		return Entered{}, Errorf(EINVALID, "群众电话应为手机号或座机号（数字，可带区号和-）")
	case phone != "" && in.Vault == nil:
		return Entered{}, Errorf(EINVALID, "本平台未配置数据密钥（MASHANG_DATA_KEY），不能保存群众电话；请不填电话，或联系管理员配置后再录入")
	case len(w.Photos) > MaxPhotos:
		return Entered{}, Errorf(EINVALID, "照片或信件扫描件最多%d张", MaxPhotos)
	}
	seen := map[string]bool{}
	for _, id := range w.Photos {
		if !ValidUploadID(id) || seen[id] {
			return Entered{}, Errorf(EINVALID, "照片 %q 不是有效的上传编号，或重复了，请重新上传", id)
		}
		seen[id] = true
	}
	code, err := NewClaimCode()
	if err != nil {
		return Entered{}, err
	}
	now := in.now()
	key := w.By.key()
	m := Inbound{MsgType: MsgWalkin, Content: text, CreateTime: now.Truncate(time.Second), ReceivedAt: now,
		FormTarget: w.Scene, PublicConsent: w.Public, Photos: w.Photos, FormCategory: strings.TrimSpace(w.Category),
		Channel: w.Channel, EnteredBy: key, EnteredName: strings.TrimSpace(w.By.Name)}
	rec := WalkinRecord{Channel: w.Channel, EnteredBy: key, EnteredName: m.EnteredName, RequestID: w.RequestID,
		TextKey: textKey(text), CitizenName: w.CitizenName, CreatedAt: m.CreateTime}
	if phone != "" {
		rec.PhoneSealed = in.Vault.Seal(phone)
	}
	var out Entered
	var queued bool
	err = in.Store.UpdateIntake(ctx, func(storeTx IntakeTx) error {
		tx := &enqueueNoticer{IntakeTx: storeTx, queued: &queued}
		out = Entered{}
		// One enterer's forms are decided one after the other, so that the
		// same matter sent twice at once is found by the second.
		if err := tx.LockCitizen(ctx, key); err != nil {
			return err
		}
		c, err := tx.WalkinByRequest(ctx, key, w.RequestID)
		if ErrorCode(err) == ENOTFOUND {
			c, err = tx.RecentWalkin(ctx, key, rec.TextKey, now.Add(-WalkinRepeatWindow))
		}
		if err == nil {
			out = Entered{Case: c, Repeat: true}
			return nil
		} else if ErrorCode(err) != ENOTFOUND {
			return err
		}
		if w.By.DeputyID != 0 {
			d, err := tx.DeputyByCode(ctx, w.Scene.Code)
			if ErrorCode(err) == ENOTFOUND || (err == nil && (w.Scene.Kind != SceneDeputy || d.ID != w.By.DeputyID)) {
				return Errorf(EFORBIDDEN, "代表只能把群众当面反映的问题录入到自己名下")
			} else if err != nil {
				return err
			}
			if !d.InOffice {
				return Errorf(EFORBIDDEN, "%s", ReplyDeputyOutOfOffice)
			}
		}
		if err := knownTarget(ctx, tx, w.Scene); err != nil {
			return err
		}
		_, c, err = in.openCase(ctx, tx, &m, w.Scene)
		if err != nil {
			return err
		}
		rec.CaseID = c.ID
		rec.ClaimHash = claimHash(c.Number, code)
		if err := tx.AddWalkin(ctx, rec); err != nil {
			return err
		}
		out = Entered{Case: c, ClaimCode: code}
		return nil
	})
	if err != nil {
		return Entered{}, err
	}
	if queued && in.Queued != nil {
		in.Queued()
	}
	return out, nil
}

// knownTarget refuses a code no station or deputy has, in words staff
// understand (the store's not-found names neither the code nor what to do).
func knownTarget(ctx context.Context, tx IntakeTx, s Scene) error {
	var err error
	if s.Kind == SceneStation {
		_, err = tx.StationByCode(ctx, s.Code)
	} else {
		_, err = tx.DeputyByCode(ctx, s.Code)
	}
	if ErrorCode(err) == ENOTFOUND {
		return Errorf(EINVALID, "没有编码为「%s」的联络站或代表，请从列表中选择", s.Code)
	}
	return err
}

// NewClaimCode makes a slip's claim code: six characters without look-alikes.
func NewClaimCode() (string, error) {
	var raw [claimCodeLen]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("claim code: %w", err)
	}
	out := make([]byte, claimCodeLen)
	for i, b := range raw {
		// 256 is not a multiple of 31: the first few letters are a little
		// likelier, which leaves ~29 bits, far beyond MaxClaimFailures guesses.
		out[i] = claimAlphabet[int(b)%len(claimAlphabet)]
	}
	return string(out), nil
}

// claimHash is what is kept of a case's claim code: bound to its number, so
// one hash says nothing of another case's code.
func claimHash(number, code string) string {
	sum := sha256.Sum256([]byte("mashang-claim:" + number + ":" + strings.ToUpper(code)))
	return hex.EncodeToString(sum[:])
}

// textKey finds the same matter typed twice: its text without spacing.
func textKey(text string) string {
	sum := sha256.Sum256([]byte(strings.Join(strings.Fields(text), "")))
	return hex.EncodeToString(sum[:16])
}

// claimPattern is what a citizen sends to claim a case: its number and the
// slip's code, e.g. "250101-0001 K7Q3MX".
var claimPattern = regexp.MustCompile(`^(\d{6}-\d{4})\s+([A-Za-z0-9]{6})$`)

// claimWrite is what a claim changes once it is stored: the case given to
// openid, or a wrong code counted.
type claimWrite struct {
	c      Case
	openid string
	ok     bool
}

// What a citizen claiming a case reads.
const (
	replyClaimedFormat      = "已将问题（编号：%s）关联到您的微信。\n今后的办理进展会通过本公众号告诉您，发送编号可随时查询。"
	replyClaimAlreadyFormat = "问题（编号：%s）已经关联到您的微信，无需再次领取。"
	replyClaimTakenFormat   = "问题（编号：%s）已由其他微信领取。如不是您本人领取，请联系为您登记的工作人员。"
	replyClaimWrongFormat   = "编号 %s 与领取码不符，请核对回执上的编号和6位领取码（不区分大小写）后重新发送。还可尝试%d次。"
	replyClaimLocked        = "该问题的领取码已连续输错多次，暂停领取。请带上回执联系为您登记的工作人员，重新打印回执。"
	replyClaimUnknownFormat = "没有找到编号为 %s 的登记问题，请核对回执上的编号。"
)

// decideClaim reads whether openid's code claims the case numbered number
// and what they are told; the write follows once the message is stored.
// The reply is a refusal when refused is set (the error code the Mini
// Program answers with): a case locked by wrong codes is forbidden, not
// rate-limited, since no wait opens it; a new slip does.
func decideClaim(ctx context.Context, tx IntakeTx, openid, number, code string) (reply, refused string, w *claimWrite, err error) {
	c, rec, err := tx.WalkinByNumber(ctx, number)
	if ErrorCode(err) == ENOTFOUND {
		return fmt.Sprintf(replyClaimUnknownFormat, number), ENOTFOUND, nil, nil
	} else if err != nil {
		return "", "", nil, err
	}
	switch {
	case c.OpenID == openid:
		return fmt.Sprintf(replyClaimAlreadyFormat, number), "", nil, nil
	case c.OpenID != "":
		return fmt.Sprintf(replyClaimTakenFormat, number), ECONFLICT, nil, nil
	case rec.Failures >= MaxClaimFailures:
		return replyClaimLocked, EFORBIDDEN, nil, nil
	case claimHash(number, code) != rec.ClaimHash:
		w = &claimWrite{c: c, openid: openid}
		if left := MaxClaimFailures - rec.Failures - 1; left > 0 {
			return fmt.Sprintf(replyClaimWrongFormat, number, left), EINVALID, w, nil
		}
		return replyClaimLocked, EFORBIDDEN, w, nil
	}
	return fmt.Sprintf(replyClaimedFormat, number), "", &claimWrite{c: c, openid: openid, ok: true}, nil
}

// applyClaim makes what decideClaim decided.
func applyClaim(ctx context.Context, tx IntakeTx, w claimWrite, at time.Time) error {
	if !w.ok {
		return tx.FailWalkinClaim(ctx, w.c.ID)
	}
	if err := tx.ClaimWalkin(ctx, w.c.ID, w.openid, at); err != nil {
		return err
	}
	return tx.AddCaseEvent(ctx, w.c.ID, at, EventClaimed, "群众", "群众凭回执领取了此问题，办理进展将通过微信告知")
}

// Claim links a walk-in case to the Mini Program citizen openid with the
// slip's number and code, as sending them to the Official Account does. A
// wrong code is counted (and refused) even though it changes nothing else.
func (in *Intake) Claim(ctx context.Context, openid, number, code string) (Case, error) {
	number, code = strings.TrimSpace(number), strings.ToUpper(strings.TrimSpace(code))
	if !caseNumberPattern.MatchString(number) || len(code) != claimCodeLen {
		return Case{}, Errorf(EINVALID, "请填写回执上的问题编号（如 250101-0001）和6位领取码")
	}
	var reply, refused string
	var claimed *claimWrite
	err := in.Store.UpdateIntake(ctx, func(tx IntakeTx) error {
		if err := tx.LockCitizen(ctx, "claim:"+number); err != nil {
			return err
		}
		var err error
		if reply, refused, claimed, err = decideClaim(ctx, tx, openid, number, code); err != nil || claimed == nil {
			return err
		}
		// A wrong code is committed too: that is what limits guessing.
		return applyClaim(ctx, tx, *claimed, in.now())
	})
	switch {
	case err != nil:
		return Case{}, err
	case refused != "":
		return Case{}, Errorf(refused, "%s", reply)
	}
	c, _, err := in.caseOf(ctx, number)
	return c, err
}

// ReissueClaim gives a walk-in case a new claim code, for a slip printed
// again (the first lost, or locked by wrong codes): the old code stops
// working. It answers the case and the new code, in clear this once.
func (in *Intake) ReissueClaim(ctx context.Context, number string) (Case, string, error) {
	code, err := NewClaimCode()
	if err != nil {
		return Case{}, "", err
	}
	var c Case
	err = in.Store.UpdateIntake(ctx, func(tx IntakeTx) error {
		var err error
		if c, _, err = tx.WalkinByNumber(ctx, number); err != nil {
			return err
		}
		if c.OpenID != "" {
			return Errorf(ECONFLICT, "问题 %s 已由群众用微信领取，不需要再打印回执", number)
		}
		if err := tx.SetClaimHash(ctx, c.ID, claimHash(number, code)); err != nil {
			return err
		}
		return tx.AddCaseEvent(ctx, c.ID, in.now(), EventSlip, "系统", "重新打印回执，原领取码作废")
	})
	return c, code, err
}

// caseOf reads a walk-in case and its record in a transaction of its own.
func (in *Intake) caseOf(ctx context.Context, number string) (c Case, rec WalkinRecord, err error) {
	err = in.Store.UpdateIntake(ctx, func(tx IntakeTx) error {
		c, rec, err = tx.WalkinByNumber(ctx, number)
		return err
	})
	return c, rec, err
}

// CitizenPhone opens a walk-in's sealed phone number, for staff who phone
// the citizen (the caller audits it); "" when none was given.
func (in *Intake) CitizenPhone(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	if in.Vault == nil {
		return "", Errorf(EINVALID, "本平台未配置数据密钥（MASHANG_DATA_KEY），无法查看群众电话")
	}
	return in.Vault.Open(sealed)
}
