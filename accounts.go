package mashang

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
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
	FailedLogins   int
	LockedUntil    time.Time
	Disabled       bool
	// Chair marks the congress's responsible person at a jurisdiction
	// (本级人大负责同志): red lights at its stations notify them.
	Chair       bool
	WeChatBound bool // read only: their WeChat is bound for notices
}

// Lockout: after this many wrong passwords in a row an account waits.
const (
	MaxFailedLogins = 5
	LockoutPeriod   = 15 * time.Minute
	SessionLifetime = 8 * time.Hour // a working day
	MinPasswordLen  = 12
)

// AccountStore keeps staff accounts, their sessions and the audit log.
type AccountStore interface {
	AddStaffUser(ctx context.Context, u *StaffUser) error
	// StaffUserByName finds an account (ENOTFOUND: none).
	StaffUserByName(ctx context.Context, username string) (StaffUser, error)
	// CountFailedLogin adds one to the account's wrong passwords in a row,
	// in one statement so attempts at once are all counted, and locks the
	// account until lockUntil when the count reaches a multiple of
	// MaxFailedLogins.
	CountFailedLogin(ctx context.Context, userID int64, lockUntil time.Time) error
	// AddStaffSession starts a session and clears the wrong passwords in a
	// row, in one transaction.
	AddStaffSession(ctx context.Context, tokenHash string, userID int64, csrf string, expires time.Time) error
	// StaffSession finds a live session's account and CSRF token (ENOTFOUND: none or expired).
	StaffSession(ctx context.Context, tokenHash string, now time.Time) (StaffUser, string, error)
	DeleteStaffSession(ctx context.Context, tokenHash string) error
	Audit(ctx context.Context, e AuditEntry) error
	// SetStaffAPIToken makes tokenHash the account's one API token.
	SetStaffAPIToken(ctx context.Context, userID int64, tokenHash string) error
	// StaffUserByAPIToken finds the account of an API token (ENOTFOUND: none).
	StaffUserByAPIToken(ctx context.Context, tokenHash string) (StaffUser, error)
	// UpdateStaffUser saves Disabled, Chair, PasswordHash, FailedLogins
	// and LockedUntil (ENOTFOUND: no such account).
	UpdateStaffUser(ctx context.Context, u StaffUser) error
}

// AuditEntry is one line of the audit log: who did what to what.
type AuditEntry struct {
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
	Now   func() time.Time
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
	cost := a.Cost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), cost)
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

// dummyHash is compared against when the username is unknown, so a wrong
// name takes as long as a wrong password and names cannot be probed.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a real password, never used"), bcrypt.MinCost)

// ErrBadLogin is the one answer to a wrong name or password.
var ErrBadLogin = Errorf(EUNAUTHORIZED, "用户名或密码不对")

// StaffSession is a signed-in staff member.
type StaffSession struct {
	User  StaffUser
	Token string // the cookie's value
	CSRF  string // put in every form
}

// Login checks a password; every MaxFailedLogins-th wrong one in a row
// locks the account for LockoutPeriod, whatever is typed then.
func (a *Accounts) Login(ctx context.Context, username, password, ip string) (StaffSession, error) {
	now := a.now()
	u, err := a.Store.StaffUserByName(ctx, strings.TrimSpace(username))
	if ErrorCode(err) == ENOTFOUND {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return StaffSession{}, ErrBadLogin
	}
	if err != nil {
		return StaffSession{}, err
	}
	locked := now.Before(u.LockedUntil)
	// Checked even while locked, so that every wrong password counts (and
	// keeps a guesser locked out) and every attempt takes as long.
	wrong := bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil || u.Disabled
	if wrong {
		audited, _ := Audited(ctx, AuditEntry{At: now, UserID: u.ID, Username: u.Username, Action: "login_failed", IP: ip})
		if err := a.Store.CountFailedLogin(audited, u.ID, now.Add(LockoutPeriod)); err != nil {
			return StaffSession{}, err
		}
	}
	if locked {
		return StaffSession{}, Errorf(EFORBIDDEN, "密码连续输错%d次，账号已锁定，请于%s后再试或联系管理员", MaxFailedLogins, u.LockedUntil.In(China).Format("15:04"))
	}
	if wrong {
		return StaffSession{}, ErrBadLogin
	}
	s := StaffSession{User: u, Token: randomToken(32), CSRF: randomToken(24)}
	audited, _ := Audited(ctx, AuditEntry{At: now, UserID: u.ID, Username: u.Username, Action: "login", IP: ip})
	if err := a.Store.AddStaffSession(audited, hashToken(s.Token), u.ID, s.CSRF, now.Add(SessionLifetime)); err != nil {
		return StaffSession{}, err
	}
	return s, nil
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

// Change applies an administrator's change to an account: disable or
// enable it, give it a new password (which also lifts a lockout), or mark
// whether it is the chair of its level. Nobody disables themselves: the
// last administrator must not lock everyone out.
func (a *Accounts) Change(ctx context.Context, by StaffSession, username, change, password string) error {
	u, err := a.Store.StaffUserByName(ctx, strings.TrimSpace(username))
	if err != nil {
		return err
	}
	switch change {
	case AccountDisable:
		if u.ID == by.User.ID {
			return Errorf(EINVALID, "不能停用自己的账号")
		}
		u.Disabled = true
	case AccountEnable:
		u.Disabled, u.FailedLogins, u.LockedUntil = false, 0, time.Time{}
	case AccountPassword:
		if err := checkPassword(password); err != nil {
			return err
		}
		cost := a.Cost
		if cost == 0 {
			cost = bcrypt.DefaultCost
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(password), cost)
		if err != nil {
			return fmt.Errorf("hash password: %w", err)
		}
		u.PasswordHash, u.FailedLogins, u.LockedUntil = string(hash), 0, time.Time{}
	case AccountChair, AccountNotChair:
		if change == AccountChair && u.Role != RoleStaff {
			return Errorf(EINVALID, "只有辖区的人大工作人员可以设为本级人大负责同志")
		}
		u.Chair = change == AccountChair
	default:
		return Errorf(EINVALID, "不认识的操作：%s", change)
	}
	return a.Store.UpdateStaffUser(ctx, u)
}
