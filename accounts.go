package mashang

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// Staff roles. What each may reach is its Reach.
const (
	RoleAdmin     = "admin"     // manages accounts; sees every case
	RoleStaff     = "staff"     // a congress office at a jurisdiction: its subtree
	RoleSecretary = "secretary" // a station's secretary: that station
	RoleHandler   = "handler"   // a department's handler: what was handed to it
)

var roleLabels = map[string]string{RoleAdmin: "管理员", RoleStaff: "人大工作人员", RoleSecretary: "联络站秘书", RoleHandler: "承办单位经办人"}

// RoleLabel is how a role reads in Chinese.
func RoleLabel(role string) string { return roleLabels[role] }

// StaffUser is a staff account of the console.
type StaffUser struct {
	ID             int64
	Username       string
	Name           string
	Role           string
	JurisdictionID int64  // RoleStaff
	StationID      int64  // RoleSecretary
	DepartmentID   int64  // RoleHandler
	Scope          string // what it covers, as people read it: 青岛市/市南区, or a station's name
	PasswordHash   string
	Disabled       bool
	// Chair marks the congress's responsible person at a jurisdiction
	// (本级人大负责同志): red lights at its stations notify them.
	Chair       bool
	WeChatBound bool // read only: their WeChat is bound for notices
}

// Lock-out: after this many wrong passwords in a row for one name from one
// address, that name waits there. Sessions last a working day.
const (
	MaxFailedLogins = 5
	LockoutPeriod   = 15 * time.Minute
	SessionLifetime = 8 * time.Hour // a working day
	MinPasswordLen  = 12
)

// SignInKey is what wrong passwords are counted and locked out by: the name
// as typed, hashed (people type passwords into it by mistake), and the
// address it came from. Not the account: so an unknown name is locked out
// as a real one is, and guessing from one address locks out that address
// only.
type SignInKey struct {
	NameHash string
	Address  string
}

// SignInName is how a typed name is kept in a SignInKey.
func SignInName(name string) string { return hashToken("mashang-signin-name\x00" + name) }

// AccountStore keeps staff accounts, their sessions and the audit log.
type AccountStore interface {
	AddStaffUser(ctx context.Context, u *StaffUser) error
	// StaffUserByName finds an account (ENOTFOUND: none).
	StaffUserByName(ctx context.Context, username string) (StaffUser, error)
	// CountSignIn counts an attempt to sign in from address in minute (Unix
	// time / 60), and answers the attempts from there in that minute so
	// far, at every instance.
	CountSignIn(ctx context.Context, address string, minute int64) (int, error)
	// SignInLock answers the wrong passwords in a row at key and until when
	// it is locked out (zero: not locked).
	SignInLock(ctx context.Context, key SignInKey) (failures int, lockedUntil time.Time, err error)
	// CountFailedSignIn adds one to the wrong passwords in a row at key, in
	// one statement so attempts at once are all counted, and locks key
	// until lockUntil when the count reaches a multiple of MaxFailedLogins.
	CountFailedSignIn(ctx context.Context, key SignInKey, lockUntil time.Time) error
	// ClearSignInFailures lifts a name's lock-outs at every address and
	// answers how many there were.
	ClearSignInFailures(ctx context.Context, nameHash string) (int, error)
	// AddStaffSession starts a session and clears the wrong passwords in a
	// row at the key it was signed in with, in one transaction.
	AddStaffSession(ctx context.Context, tokenHash string, userID int64, csrf string, expires time.Time, cleared SignInKey) error
	// StaffSession finds a live session's account and CSRF token (ENOTFOUND: none or expired).
	StaffSession(ctx context.Context, tokenHash string, now time.Time) (StaffUser, string, error)
	DeleteStaffSession(ctx context.Context, tokenHash string) error
	Audit(ctx context.Context, e AuditEntry) error
	// SetStaffAPIToken makes tokenHash the account's one API token.
	SetStaffAPIToken(ctx context.Context, userID int64, tokenHash string) error
	// StaffUserByAPIToken finds the account of an API token (ENOTFOUND: none).
	StaffUserByAPIToken(ctx context.Context, tokenHash string) (StaffUser, error)
	// UpdateStaffUser saves an administrator's change, in one transaction
	// (ENOTFOUND: no such account).
	UpdateStaffUser(ctx context.Context, ch AccountUpdate) error
}

// AccountUpdate is an administrator's change to an account as it is
// written: the account's Disabled, Chair and PasswordHash, and what goes
// with the change.
type AccountUpdate struct {
	User StaffUser
	// EndSessions signs the account out everywhere: it was disabled, or
	// given a new password (whoever knew the old one is out).
	EndSessions bool
	// Unlock lifts its name's lock-outs at every address.
	Unlock bool
}

// AuditEntry is one line of the audit log: who did what to what.
type AuditEntry struct {
	ID       int64 // as read back (0 before it is written)
	At       time.Time
	UserID   int64
	Username string
	Action   string
	Target   string
	Detail   string
	IP       string
}

type auditKey struct{}

// PendingAudit is an action's line in the audit log, waiting for the
// action's write transaction.
type PendingAudit struct {
	Entry   AuditEntry
	written atomic.Bool
}

// Audited attaches an action's audit line to the action's context. The
// store writes the line in the action's write transaction (every action is
// one), so that both commit or neither does: an action whose line cannot
// be written is undone. Written then says whether it was; an action that
// was refused, or writes nothing of its own (an export), is recorded by
// the caller on its own.
func Audited(ctx context.Context, e AuditEntry) (context.Context, *PendingAudit) {
	p := &PendingAudit{Entry: e}
	return context.WithValue(ctx, auditKey{}, p), p
}

// AuditPending is the line to write with ctx's next write transaction
// (nil: none, or already written).
func AuditPending(ctx context.Context) *PendingAudit {
	p, _ := ctx.Value(auditKey{}).(*PendingAudit)
	if p == nil || p.written.Load() {
		return nil
	}
	return p
}

// MarkWritten is called by the store once the line has committed.
func (p *PendingAudit) MarkWritten() { p.written.Store(true) }

// Written tells whether the line committed with the action.
func (p *PendingAudit) Written() bool { return p.written.Load() }

// Accounts signs staff in and out of the console.
type Accounts struct {
	Store AccountStore
	Cost  int // bcrypt cost; 0 = bcrypt.DefaultCost
	// SignInsPerMinute is how many sign-ins one address may try a minute
	// (0: no limit).
	SignInsPerMinute int
	Now              func() time.Time
	// compare checks a password against a hash (nil: bcrypt's); tests
	// count what it is asked.
	compare func(hash, password []byte) error
	// PasswordChecks bounds the password checks running at once (0: half
	// the processors, at least one). A check is some 50 ms of a core:
	// unbounded, a morning's sign-ins — a province's secretaries arriving
	// together — take every core, and the citizens' pushes, which WeChat
	// gives up on after 5 s, wait behind them. Bounded, the sign-ins take
	// turns and the pushes keep a core.
	PasswordChecks int
	// PasswordCheckShare is the share of its time a turn may spend
	// checking (0: a quarter): after a check the turn rests, three times
	// as long as the check took by default, before the next sign-in takes
	// it. Bounded in number alone, the checks of two instances still took
	// a whole core of two for the province's morning at 20×, and the
	// pushes, each waiting for the processor at every round trip to the
	// database, missed WeChat's 5 s (2026-12-07: 71 % of serve's CPU in
	// bcrypt in the failing minutes). Timed by the clock, not by the CPU, a
	// check slowed by a busy machine rests the longer: sign-ins give way
	// the more the busier it is. At the default a turn signs in some 260
	// people a minute on this machine's cores — a province's secretaries
	// in under an hour on one instance — and more only at the pushes' cost.
	PasswordCheckShare float64
	// PasswordCheckWait is how long a sign-in waits for its turn before it
	// is asked to try again (0: 10 s).
	PasswordCheckWait time.Duration
	// placeholder is what an unknown name's password is checked against.
	placeholder     []byte
	placeholderOnce sync.Once
	turns           chan struct{}
	turnsOnce       sync.Once
}

// errSignInsBusy answers a sign-in that waited its turn in vain.
var errSignInsBusy = Errorf(EUNAVAILABLE, "正在登录的人较多，请稍等片刻再点登录")

// passwordTurn waits for a turn to check a password (PasswordChecks) and
// gives back the function that ends the check: the turn is free again once
// it has rested (PasswordCheckShare).
func (a *Accounts) passwordTurn(ctx context.Context) (func(), error) {
	a.turnsOnce.Do(func() {
		n := a.PasswordChecks
		if n <= 0 {
			n = max(1, runtime.GOMAXPROCS(0)/2)
		}
		a.turns = make(chan struct{}, n)
	})
	wait := a.PasswordCheckWait
	if wait <= 0 {
		wait = 10 * time.Second
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	share := a.PasswordCheckShare
	if share <= 0 || share > 1 {
		share = 0.25
	}
	select {
	case a.turns <- struct{}{}:
		began := time.Now()
		return func() {
			rest := time.Duration(float64(time.Since(began)) * (1/share - 1))
			time.AfterFunc(rest, func() { <-a.turns })
		}, nil
	case <-timer.C:
		return nil, errSignInsBusy
	case <-ctx.Done():
		return nil, errSignInsBusy
	}
}

func (a *Accounts) cost() int {
	if a.Cost == 0 {
		return bcrypt.DefaultCost
	}
	return a.Cost
}

// unknownName is the hash an unknown name's password is checked against:
// made once, at the cost real passwords are kept at, so that an unknown
// name costs sign-in the same work as a wrong password and names cannot be
// told by the time taken.
func (a *Accounts) unknownName() []byte {
	a.placeholderOnce.Do(func() {
		a.placeholder, _ = bcrypt.GenerateFromPassword([]byte(randomToken(18)), a.cost()) // fails only at a cost bcrypt refuses, at which no password could be kept either
	})
	return a.placeholder
}

func (a *Accounts) check(hash, password []byte) error {
	if a.compare != nil {
		return a.compare(hash, password)
	}
	return bcrypt.CompareHashAndPassword(hash, password)
}

func (a *Accounts) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

var usernamePattern = regexp.MustCompile(`^[a-z][a-z0-9_.-]{2,31}$`)

// Create adds an account with its password hashed.
func (a *Accounts) Create(ctx context.Context, u StaffUser, password string) (StaffUser, error) {
	u.Username, u.Name = strings.TrimSpace(u.Username), strings.TrimSpace(u.Name)
	switch {
	case !usernamePattern.MatchString(u.Username):
		return StaffUser{}, Errorf(EINVALID, "用户名应为3到32个小写字母、数字、点、横线或下划线，以字母开头")
	case u.Name == "" || utf8.RuneCountInString(u.Name) > 50:
		return StaffUser{}, Errorf(EINVALID, "请填写姓名（不超过50字）")
	case roleLabels[u.Role] == "":
		return StaffUser{}, Errorf(EINVALID, "角色应为 admin、staff、secretary 或 handler")
	case u.Role == RoleStaff && u.JurisdictionID == 0:
		return StaffUser{}, Errorf(EINVALID, "人大工作人员须指定所属辖区")
	case u.Role == RoleSecretary && u.StationID == 0:
		return StaffUser{}, Errorf(EINVALID, "联络站秘书须指定站点")
	case u.Role == RoleHandler && u.DepartmentID == 0:
		return StaffUser{}, Errorf(EINVALID, "承办单位经办人须指定承办单位")
	case u.Chair && u.Role != RoleStaff:
		return StaffUser{}, Errorf(EINVALID, "只有辖区的人大工作人员可以设为本级人大负责同志")
	}
	if err := checkPassword(password); err != nil {
		return StaffUser{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), a.cost())
	if err != nil {
		return StaffUser{}, fmt.Errorf("hash password: %w", err)
	}
	u.PasswordHash = string(hash)
	if err := a.Store.AddStaffUser(ctx, &u); err != nil {
		return StaffUser{}, err
	}
	return u, nil
}

func checkPassword(p string) error {
	switch {
	case utf8.RuneCountInString(p) < MinPasswordLen:
		return Errorf(EINVALID, "密码至少%d个字符", MinPasswordLen)
	case len(p) > 72:
		return Errorf(EINVALID, "密码不能超过72个字节") // bcrypt reads no further
	case strings.TrimSpace(p) != p:
		return Errorf(EINVALID, "密码不能以空格开头或结尾")
	}
	return nil
}

// ErrBadLogin is the one answer to a wrong name or password.
var ErrBadLogin = Errorf(EUNAUTHORIZED, "用户名或密码不对")

// StaffSession is a signed-in staff member.
type StaffSession struct {
	User  StaffUser
	Token string // the cookie's value
	CSRF  string // put in every form
}

// Login checks a password. One address may try SignInsPerMinute a minute;
// every MaxFailedLogins-th wrong password in a row for one name from one
// address locks that name out there for LockoutPeriod, whatever is typed
// then. A known name and an unknown one get the same work (one bcrypt
// comparison at the same cost, the same writes) and the same answers, the
// lock-out included: nothing tells which names exist.
func (a *Accounts) Login(ctx context.Context, username, password, ip string) (StaffSession, error) {
	now := a.now()
	name := strings.TrimSpace(username)
	placeholder := a.unknownName()
	if a.SignInsPerMinute > 0 {
		n, err := a.Store.CountSignIn(ctx, ip, now.Unix()/60)
		if err != nil {
			return StaffSession{}, err
		}
		if n > a.SignInsPerMinute {
			return StaffSession{}, Errorf(ERATELIMITED, "登录尝试过于频繁，请一分钟后再试")
		}
	}
	key := SignInKey{NameHash: SignInName(name), Address: ip}
	_, lockedUntil, err := a.Store.SignInLock(ctx, key)
	if err != nil {
		return StaffSession{}, err
	}
	u, err := a.Store.StaffUserByName(ctx, name)
	known := err == nil
	if err != nil && ErrorCode(err) != ENOTFOUND {
		return StaffSession{}, err
	}
	hash := []byte(u.PasswordHash)
	if !known {
		hash = placeholder
	}
	// Checked even while locked out, so that every wrong password counts
	// (and keeps a guesser out) and every attempt takes as long.
	done, err := a.passwordTurn(ctx)
	if err != nil {
		return StaffSession{}, err
	}
	wrong := a.check(hash, []byte(password)) != nil || !known || u.Disabled
	done()
	if wrong {
		e := AuditEntry{At: now, UserID: u.ID, Username: u.Username, Action: "login_failed", IP: ip}
		if !known {
			e.Detail = "没有这个用户名"
		}
		audited, _ := Audited(ctx, e)
		if err := a.Store.CountFailedSignIn(audited, key, now.Add(LockoutPeriod)); err != nil {
			return StaffSession{}, err
		}
	}
	if now.Before(lockedUntil) {
		return StaffSession{}, Errorf(EFORBIDDEN, "用户名或密码已连续输错%d次，此用户名在您所在的网络暂停登录，请于%s后再试，或请管理员解锁",
			MaxFailedLogins, lockedUntil.In(China).Format("15:04"))
	}
	if wrong {
		return StaffSession{}, ErrBadLogin
	}
	s := StaffSession{User: u, Token: randomToken(32), CSRF: randomToken(24)}
	audited, _ := Audited(ctx, AuditEntry{At: now, UserID: u.ID, Username: u.Username, Action: "login", IP: ip})
	if err := a.Store.AddStaffSession(audited, hashToken(s.Token), u.ID, s.CSRF, now.Add(SessionLifetime), key); err != nil {
		return StaffSession{}, err
	}
	return s, nil
}

// Unlock lifts an account's lock-outs at every address, for an
// administrator at the command line (`mashang staff unlock`); audited.
// It answers how many addresses were locked out.
func (a *Accounts) Unlock(ctx context.Context, username string) (int, error) {
	u, err := a.Store.StaffUserByName(ctx, strings.TrimSpace(username))
	if err != nil {
		return 0, err
	}
	ctx, _ = Audited(ctx, AuditEntry{At: a.now(), Username: "(命令行)", Action: "unlock", Target: u.Username,
		Detail: "解除登录锁定（mashang staff unlock）"})
	return a.Store.ClearSignInFailures(ctx, SignInName(u.Username))
}

// Session finds the signed-in staff member behind a cookie's token.
func (a *Accounts) Session(ctx context.Context, token string) (StaffSession, error) {
	if token == "" {
		return StaffSession{}, Errorf(EUNAUTHORIZED, "请先登录")
	}
	u, csrf, err := a.Store.StaffSession(ctx, hashToken(token), a.now())
	if ErrorCode(err) == ENOTFOUND {
		return StaffSession{}, Errorf(EUNAUTHORIZED, "登录已过期，请重新登录")
	}
	if err != nil {
		return StaffSession{}, err
	}
	if u.Disabled {
		return StaffSession{}, Errorf(EUNAUTHORIZED, "账号已停用")
	}
	return StaffSession{User: u, Token: token, CSRF: csrf}, nil
}

// Logout ends a session.
func (a *Accounts) Logout(ctx context.Context, s StaffSession, ip string) error {
	audited, _ := Audited(ctx, AuditEntry{At: a.now(), UserID: s.User.ID, Username: s.User.Username, Action: "logout", IP: ip})
	return a.Store.DeleteStaffSession(audited, hashToken(s.Token))
}

// NewAPIToken gives the account a new token for the staff JSON API
// (/api/…), replacing the one before, and returns it: it is shown once, and
// only its hash is kept. The API acts as that person, within their reach.
func (a *Accounts) NewAPIToken(ctx context.Context, username string) (string, error) {
	token := randomToken(32)
	return token, a.GrantAPIToken(ctx, username, token)
}

// GrantAPIToken makes token the account's API token (the sandbox's is a
// known one; everywhere else NewAPIToken makes it).
func (a *Accounts) GrantAPIToken(ctx context.Context, username, token string) error {
	u, err := a.Store.StaffUserByName(ctx, strings.TrimSpace(username))
	if err != nil {
		return err
	}
	ctx, _ = Audited(ctx, AuditEntry{At: a.now(), UserID: u.ID, Username: u.Username, Action: "api_token", Target: u.Username,
		Detail: "生成新的接口令牌（旧令牌作废）"})
	return a.Store.SetStaffAPIToken(ctx, u.ID, hashToken(token))
}

// APISession finds the staff member behind an API token.
func (a *Accounts) APISession(ctx context.Context, token string) (StaffSession, error) {
	if token == "" {
		return StaffSession{}, Errorf(EUNAUTHORIZED, "缺少员工接口令牌（Authorization: Bearer …）：请管理员用 mashang staff token <用户名> 为您生成")
	}
	u, err := a.Store.StaffUserByAPIToken(ctx, hashToken(token))
	if ErrorCode(err) == ENOTFOUND {
		return StaffSession{}, Errorf(EUNAUTHORIZED, "员工接口令牌无效或已作废：请管理员用 mashang staff token <用户名> 重新生成")
	}
	if err != nil {
		return StaffSession{}, err
	}
	if u.Disabled {
		return StaffSession{}, Errorf(EUNAUTHORIZED, "账号已停用")
	}
	return StaffSession{User: u}, nil
}

// StaffAudit is the audit line of a staff member's action.
func StaffAudit(u StaffUser, action, target, detail, ip string) AuditEntry {
	return AuditEntry{At: time.Now(), UserID: u.ID, Username: u.Username, Action: action, Target: target, Detail: detail, IP: ip}
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails since Go 1.24: it crashes the program instead
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is what is kept of a session token: a copied database does not
// hand out sessions.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Account changes an administrator makes.
const (
	AccountDisable  = "disable"
	AccountEnable   = "enable"
	AccountPassword = "password"
	AccountChair    = "chair"
	AccountNotChair = "not_chair"
)

// Change applies an administrator's change to an account: disable it
// (which signs it out everywhere), enable it (lifting its lock-outs), give
// it a new password (which does both: whoever knew the old one is out), or
// mark whether it is the chair of its level. Nobody disables themselves: the
// last administrator must not lock everyone out.
func (a *Accounts) Change(ctx context.Context, by StaffSession, username, change, password string) error {
	u, err := a.Store.StaffUserByName(ctx, strings.TrimSpace(username))
	if err != nil {
		return err
	}
	ch := AccountUpdate{User: u}
	switch change {
	case AccountDisable:
		if u.ID == by.User.ID {
			return Errorf(EINVALID, "不能停用自己的账号")
		}
		ch.User.Disabled, ch.EndSessions = true, true
	case AccountEnable:
		ch.User.Disabled, ch.Unlock = false, true
	case AccountPassword:
		if err := checkPassword(password); err != nil {
			return err
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(password), a.cost())
		if err != nil {
			return fmt.Errorf("hash password: %w", err)
		}
		ch.User.PasswordHash, ch.EndSessions, ch.Unlock = string(hash), true, true
	case AccountChair, AccountNotChair:
		if change == AccountChair && u.Role != RoleStaff {
			return Errorf(EINVALID, "只有辖区的人大工作人员可以设为本级人大负责同志")
		}
		ch.User.Chair = change == AccountChair
	default:
		return Errorf(EINVALID, "不认识的操作：%s", change)
	}
	return a.Store.UpdateStaffUser(ctx, ch)
}
