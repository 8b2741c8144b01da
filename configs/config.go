// Package configs loads Mashang's configuration: built-in defaults, then an
// optional YAML file (see mashang.example.yaml), then MASHANG_* environment
// variables, which win. The result is one value passed down from main; no
// package reads the environment on its own.
package configs

import (
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"go.yaml.in/yaml/v3"
)

// Config is everything Mashang can be told.
type Config struct {
	HTTP        HTTP        `yaml:"http"`
	DB          DB          `yaml:"db"`
	WeChat      WeChat      `yaml:"wechat"`
	MiniProgram MiniProgram `yaml:"miniprogram"`
	Sandbox     bool        `yaml:"sandbox"`
	Log         Log         `yaml:"log"`
	Cases       Cases       `yaml:"cases"`
	MediaDir    string      `yaml:"media_dir"`
	Notify      Notify      `yaml:"notify"`
	Outbox      Outbox      `yaml:"outbox"`
}

// Outbox says how notifications leave.
type Outbox struct {
	// Lease is how long an instance holds the notifications it claimed;
	// if it dies, another sends them when the lease runs out. Longer than
	// one call to WeChat may take.
	Lease time.Duration `yaml:"lease"`
}

// Cases says how messages become cases.
type Cases struct {
	ScanWindow time.Duration `yaml:"scan_window"` // messages go to the code scanned this long ago
	Gap        time.Duration `yaml:"gap"`         // messages this close together are one case
	// NearDeadlineDays turns a handed-over case yellow this many working
	// days before its deadline.
	NearDeadlineDays int `yaml:"near_deadline_days"`
	// HolidaysFile replaces the built-in national holiday table (same CSV
	// format as configs/holidays/cn.csv), e.g. when next year's is out.
	HolidaysFile string `yaml:"holidays_file"`
}

// Notify names the template message that tells deputies of a new case and
// which of its fields (the template's own keys) take what.
type Notify struct {
	NewCaseTemplate string       `yaml:"new_case_template"`
	Fields          NotifyFields `yaml:"new_case_fields"`
	// ReplyTemplate tells a citizen outside the 48-hour window that their
	// case was answered.
	ReplyTemplate string      `yaml:"reply_template"`
	ReplyFields   ReplyFields `yaml:"reply_fields"`
	// ReminderTemplate is the Mini Program subscribe message that reminds a
	// citizen of their booked reception the day before.
	ReminderTemplate string         `yaml:"reminder_template"`
	ReminderFields   ReminderFields `yaml:"reminder_fields"`
	// SupervisionTemplate tells staff a case turned yellow (the station's
	// secretaries) or red (the chairs of its level).
	SupervisionTemplate string            `yaml:"supervision_template"`
	SupervisionFields   SupervisionFields `yaml:"supervision_fields"`
	// ActivityTemplate invites deputies to an activity staff dispatched.
	ActivityTemplate string         `yaml:"activity_template"`
	ActivityFields   ActivityFields `yaml:"activity_fields"`
}

type ActivityFields struct {
	Title string `yaml:"title"`
	Time  string `yaml:"time"`
	Place string `yaml:"place"`
}

type SupervisionFields struct {
	Number   string `yaml:"number"`
	Station  string `yaml:"station"`
	Colour   string `yaml:"colour"`
	Deadline string `yaml:"deadline"`
}

type ReminderFields struct {
	Station string `yaml:"station"`
	Time    string `yaml:"time"`
	Topic   string `yaml:"topic"`
	Note    string `yaml:"note"`
}

type ReplyFields struct {
	Number string `yaml:"number"`
	Status string `yaml:"status"`
	Time   string `yaml:"time"`
}

type NotifyFields struct {
	Number   string `yaml:"number"`
	Station  string `yaml:"station"`
	Category string `yaml:"category"`
	Summary  string `yaml:"summary"`
	Time     string `yaml:"time"`
}

type HTTP struct {
	Addr         string `yaml:"addr"`
	PublicURL    string `yaml:"public_url"`
	MaxBodyBytes int64  `yaml:"max_body_bytes"`
	// CitizenRate and CitizenBurst limit each citizen's Mini Program
	// requests (by session, or by address before login): a steady rate per
	// second and the burst allowed on top.
	CitizenRate  float64 `yaml:"citizen_rate"`
	CitizenBurst int     `yaml:"citizen_burst"`
	// TrustedProxies are the addresses (nginx) whose X-Forwarded-For is
	// believed; anyone else's is ignored, so a client cannot pick its own.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// MetricsAllow are the networks that may read /metrics (the client's
	// address as the trusted proxies report it); default: this host.
	MetricsAllow []string `yaml:"metrics_allow"`
}

type DB struct {
	Driver string `yaml:"driver"`
	DSN    string `yaml:"dsn"`
}

type WeChat struct {
	AppID          string        `yaml:"appid"`
	Secret         string        `yaml:"secret"`
	Token          string        `yaml:"token"`
	AESKey         string        `yaml:"aes_key"`
	PreviousAESKey string        `yaml:"previous_aes_key"`
	AllowPlaintext bool          `yaml:"allow_plaintext"`
	MaxClockSkew   time.Duration `yaml:"max_clock_skew"`
	APIBase        string        `yaml:"api_base"`
	// Timeout bounds one call to WeChat's API.
	Timeout time.Duration `yaml:"timeout"`
	// OAuthBase stands for https://open.weixin.qq.com, where deputies'
	// pages send WeChat's browser for web authorisation.
	OAuthBase string `yaml:"oauth_base"`
}

type MiniProgram struct {
	AppID  string `yaml:"appid"`
	Secret string `yaml:"secret"`
	// SessionSecret signs the Mini Program's session tokens; every instance
	// needs the same one.
	SessionSecret string `yaml:"session_secret"`
	// DataKey (64 hex digits) encrypts citizens' phone numbers at rest.
	DataKey string `yaml:"data_key"`
	// PushToken and PushAESKey are the Mini Program's message push
	// (消息推送, JSON, safe mode), where WeChat sends its media-check verdicts.
	PushToken  string `yaml:"push_token"`
	PushAESKey string `yaml:"push_aes_key"`
}

type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// The sandbox's WeChat account: fixed, so `mashang simulate` finds it with
// no flags. Never valid against the real WeChat.
const (
	SandboxAppID    = "wxsandbox00000001"
	SandboxSecret   = "sandbox-secret-not-for-production"
	SandboxToken    = "mashangsandbox"
	SandboxAESKey   = "bWFzaGFuZy1zYW5kYm94LWFlcy1rZXktMzJieXRlcyE" // 43 characters
	SandboxMPToken  = "mashangmpsandbox"
	SandboxMPAESKey = "bWFzaGFuZy1taW5pcHJvZ3JhbS1zYW5kYm94LWtleSE" // 43 characters
	SandboxMPAppID  = "wxsandboxmp000001"
	SandboxMPSecret = "sandbox-mp-secret-not-for-production"
)

// Defaults are what Mashang runs with when told nothing.
func Defaults() Config {
	return Config{
		HTTP:     HTTP{Addr: "127.0.0.1:8080", MaxBodyBytes: 64 << 10, CitizenRate: 2, CitizenBurst: 30},
		DB:       DB{Driver: "sqlite", DSN: "data/mashang.db"},
		WeChat:   WeChat{MaxClockSkew: 5 * time.Minute, Timeout: 10 * time.Second, APIBase: "https://api.weixin.qq.com", OAuthBase: "https://open.weixin.qq.com"},
		Log:      Log{Level: "info", Format: "text"},
		Outbox:   Outbox{Lease: time.Minute},
		Cases:    Cases{ScanWindow: 24 * time.Hour, Gap: 30 * time.Minute, NearDeadlineDays: 2},
		MediaDir: "data/media",
		Notify: Notify{Fields: NotifyFields{Number: "character_string1", Station: "thing2", Category: "thing3",
			Summary: "thing4", Time: "time5"},
			ReplyFields:       ReplyFields{Number: "character_string1", Status: "phrase2", Time: "time3"},
			ReminderFields:    ReminderFields{Station: "thing1", Time: "time2", Topic: "thing3", Note: "thing4"},
			SupervisionFields: SupervisionFields{Number: "character_string1", Station: "thing2", Colour: "thing3", Deadline: "time4"},
			ActivityFields:    ActivityFields{Title: "thing1", Time: "time2", Place: "thing3"}},
	}
}

// Load reads the file at path (none when empty) over the defaults, then the
// environment (getenv, usually os.Getenv) over that, then checks the result.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := Defaults()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("read configuration file: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true) // a misspelt setting is an error, not a silent default
		if err := dec.Decode(&cfg); err != nil {
			return Config{}, fmt.Errorf("configuration file %s: %w", path, err)
		}
	}
	if err := applyEnv(&cfg, getenv); err != nil {
		return Config{}, err
	}
	if cfg.Sandbox {
		cfg.fillSandbox()
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// SettingError names the setting that is wrong, by its environment name.
type SettingError struct {
	Setting string
	Problem string
}

func (e *SettingError) Error() string { return e.Setting + ": " + e.Problem }

func applyEnv(cfg *Config, getenv func(string) string) error {
	str := func(name string, dst *string, secret bool) error {
		if v := getenv(name); v != "" {
			*dst = v
		}
		if secret {
			if file := getenv(name + "_FILE"); file != "" {
				data, err := os.ReadFile(file)
				if err != nil {
					return &SettingError{name + "_FILE", fmt.Sprintf("cannot read %s: %v", file, err)}
				}
				*dst = strings.TrimSpace(string(data))
			}
		}
		return nil
	}
	boolean := func(name string, dst *bool) error {
		if v := getenv(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return &SettingError{name, fmt.Sprintf("%q is not true or false", v)}
			}
			*dst = b
		}
		return nil
	}
	steps := []error{
		str("MASHANG_HTTP_ADDR", &cfg.HTTP.Addr, false),
		str("MASHANG_PUBLIC_URL", &cfg.HTTP.PublicURL, false),
		str("MASHANG_DB_DRIVER", &cfg.DB.Driver, false),
		str("MASHANG_DB_DSN", &cfg.DB.DSN, true),
		str("MASHANG_WECHAT_APPID", &cfg.WeChat.AppID, false),
		str("MASHANG_WECHAT_SECRET", &cfg.WeChat.Secret, true),
		str("MASHANG_WECHAT_TOKEN", &cfg.WeChat.Token, true),
		str("MASHANG_WECHAT_AES_KEY", &cfg.WeChat.AESKey, true),
		str("MASHANG_WECHAT_PREVIOUS_AES_KEY", &cfg.WeChat.PreviousAESKey, true),
		str("MASHANG_WECHAT_API_BASE", &cfg.WeChat.APIBase, false),
		str("MASHANG_WECHAT_OAUTH_BASE", &cfg.WeChat.OAuthBase, false),
		str("MASHANG_MP_APPID", &cfg.MiniProgram.AppID, false),
		str("MASHANG_MP_SECRET", &cfg.MiniProgram.Secret, true),
		str("MASHANG_SESSION_SECRET", &cfg.MiniProgram.SessionSecret, true),
		str("MASHANG_DATA_KEY", &cfg.MiniProgram.DataKey, true),
		str("MASHANG_MP_TOKEN", &cfg.MiniProgram.PushToken, true),
		str("MASHANG_MP_AES_KEY", &cfg.MiniProgram.PushAESKey, true),
		str("MASHANG_LOG_LEVEL", &cfg.Log.Level, false),
		str("MASHANG_MEDIA_DIR", &cfg.MediaDir, false),
		str("MASHANG_HOLIDAYS_FILE", &cfg.Cases.HolidaysFile, false),
		str("MASHANG_TEMPLATE_NEW_CASE", &cfg.Notify.NewCaseTemplate, false),
		str("MASHANG_TEMPLATE_REPLY", &cfg.Notify.ReplyTemplate, false),
		str("MASHANG_TEMPLATE_RECEPTION_REMINDER", &cfg.Notify.ReminderTemplate, false),
		str("MASHANG_TEMPLATE_SUPERVISION", &cfg.Notify.SupervisionTemplate, false),
		str("MASHANG_TEMPLATE_ACTIVITY", &cfg.Notify.ActivityTemplate, false),
		str("MASHANG_LOG_FORMAT", &cfg.Log.Format, false),
		boolean("MASHANG_SANDBOX", &cfg.Sandbox),
		boolean("MASHANG_WECHAT_ALLOW_PLAINTEXT", &cfg.WeChat.AllowPlaintext),
	}
	if v := getenv("MASHANG_NEAR_DEADLINE_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			steps = append(steps, &SettingError{"MASHANG_NEAR_DEADLINE_DAYS", fmt.Sprintf("%q is not a whole number of working days", v)})
		}
		cfg.Cases.NearDeadlineDays = n
	}
	if v := getenv("MASHANG_CITIZEN_RATE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			steps = append(steps, &SettingError{"MASHANG_CITIZEN_RATE", fmt.Sprintf("%q is not a number of requests per second", v)})
		}
		cfg.HTTP.CitizenRate = f
	}
	if v := getenv("MASHANG_CITIZEN_BURST"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			steps = append(steps, &SettingError{"MASHANG_CITIZEN_BURST", fmt.Sprintf("%q is not a whole number of requests", v)})
		}
		cfg.HTTP.CitizenBurst = n
	}
	if v := getenv("MASHANG_TRUSTED_PROXIES"); v != "" {
		cfg.HTTP.TrustedProxies = strings.Split(v, ",")
	}
	if v := getenv("MASHANG_METRICS_ALLOW"); v != "" {
		cfg.HTTP.MetricsAllow = strings.Split(v, ",")
	}
	if v := getenv("MASHANG_HTTP_MAX_BODY_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			steps = append(steps, &SettingError{"MASHANG_HTTP_MAX_BODY_BYTES", fmt.Sprintf("%q is not a number of bytes", v)})
		}
		cfg.HTTP.MaxBodyBytes = n
	}
	for name, dst := range map[string]*time.Duration{"MASHANG_SCAN_WINDOW": &cfg.Cases.ScanWindow, "MASHANG_CASE_GAP": &cfg.Cases.Gap,
		"MASHANG_WECHAT_TIMEOUT": &cfg.WeChat.Timeout, "MASHANG_OUTBOX_LEASE": &cfg.Outbox.Lease} {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				steps = append(steps, &SettingError{name, fmt.Sprintf("%q is not a duration like 24h or 30m", v)})
			}
			*dst = d
		}
	}
	if v := getenv("MASHANG_WECHAT_MAX_CLOCK_SKEW"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			steps = append(steps, &SettingError{"MASHANG_WECHAT_MAX_CLOCK_SKEW", fmt.Sprintf("%q is not a duration like 5m", v)})
		}
		cfg.WeChat.MaxClockSkew = d
	}
	// One line naming one setting beats a list: fix it, run again.
	for _, err := range steps {
		if err != nil {
			return err
		}
	}
	return nil
}

// fillSandbox gives the sandbox its fixed account where nothing was set.
func (c *Config) fillSandbox() {
	set := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	set(&c.WeChat.AppID, SandboxAppID)
	set(&c.WeChat.Secret, SandboxSecret)
	set(&c.WeChat.Token, SandboxToken)
	set(&c.WeChat.AESKey, SandboxAESKey)
	set(&c.MiniProgram.PushToken, SandboxMPToken)
	set(&c.MiniProgram.PushAESKey, SandboxMPAESKey)
	set(&c.MiniProgram.AppID, SandboxMPAppID)
	set(&c.MiniProgram.Secret, SandboxMPSecret)
	set(&c.Notify.NewCaseTemplate, "sandbox-new-case")
	set(&c.MiniProgram.SessionSecret, "sandbox-session-secret-not-for-production")
	set(&c.MiniProgram.DataKey, strings.Repeat("5a", 32))
	set(&c.Notify.ReplyTemplate, "sandbox-reply")
	set(&c.Notify.ReminderTemplate, "sandbox-reception-reminder")
	set(&c.Notify.SupervisionTemplate, "sandbox-supervision")
	set(&c.Notify.ActivityTemplate, "sandbox-activity")
}

var (
	tokenPattern  = regexp.MustCompile(`^[A-Za-z0-9]{3,32}$`)
	aesKeyPattern = regexp.MustCompile(`^[A-Za-z0-9]{43}$`)
)

// Validate checks every setting and names the first wrong one.
func (c Config) Validate() error {
	if c.HTTP.Addr == "" {
		return &SettingError{"MASHANG_HTTP_ADDR", "is empty; give host:port, e.g. 127.0.0.1:8080"}
	}
	if c.HTTP.MaxBodyBytes < 1024 || c.HTTP.MaxBodyBytes > 16<<20 {
		return &SettingError{"MASHANG_HTTP_MAX_BODY_BYTES", fmt.Sprintf("%d is outside 1024–16777216", c.HTTP.MaxBodyBytes)}
	}
	if c.Cases.NearDeadlineDays < 0 || c.Cases.NearDeadlineDays > 30 {
		return &SettingError{"MASHANG_NEAR_DEADLINE_DAYS", fmt.Sprintf("%d is outside 0–30 working days", c.Cases.NearDeadlineDays)}
	}
	if c.HTTP.CitizenRate <= 0 || c.HTTP.CitizenRate > 1000 {
		return &SettingError{"MASHANG_CITIZEN_RATE", fmt.Sprintf("%g is outside (0, 1000] requests per second", c.HTTP.CitizenRate)}
	}
	if c.HTTP.CitizenBurst < 1 || c.HTTP.CitizenBurst > 10000 {
		return &SettingError{"MASHANG_CITIZEN_BURST", fmt.Sprintf("%d is outside 1–10000 requests", c.HTTP.CitizenBurst)}
	}
	for _, p := range c.HTTP.TrustedProxies {
		if _, _, err := net.ParseCIDR(strings.TrimSpace(p)); err != nil && net.ParseIP(strings.TrimSpace(p)) == nil {
			return &SettingError{"MASHANG_TRUSTED_PROXIES", fmt.Sprintf("%q is not an IP address or CIDR range", p)}
		}
	}
	if _, err := c.HTTP.MetricsNetworks(); err != nil {
		return err
	}
	if c.HTTP.PublicURL != "" {
		if u, err := url.Parse(c.HTTP.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &SettingError{"MASHANG_PUBLIC_URL", fmt.Sprintf("%q is not an http(s) URL", c.HTTP.PublicURL)}
		}
	}
	switch c.DB.Driver {
	case "sqlite":
		if c.DB.DSN == "" {
			return &SettingError{"MASHANG_DB_DSN", "is empty; give the SQLite file, e.g. data/mashang.db"}
		}
	case "mysql":
		if _, err := mysql.ParseDSN(c.DB.DSN); err != nil {
			return &SettingError{"MASHANG_DB_DSN", "is not a MySQL DSN like user:password@tcp(127.0.0.1:3306)/mashang: " + err.Error()}
		}
	default:
		return &SettingError{"MASHANG_DB_DRIVER", fmt.Sprintf("%q is not sqlite or mysql", c.DB.Driver)}
	}
	w := c.WeChat
	if !c.Sandbox {
		if w.Token == "" {
			return &SettingError{"MASHANG_WECHAT_TOKEN", "is missing: copy the Token from 基本配置 > 服务器配置, or run with --sandbox to try Mashang without WeChat"}
		}
		if w.AppID == "" {
			return &SettingError{"MASHANG_WECHAT_APPID", "is missing: copy the AppID from 基本配置, or run with --sandbox"}
		}
	}
	if w.Token != "" && !tokenPattern.MatchString(w.Token) {
		return &SettingError{"MASHANG_WECHAT_TOKEN", "must be 3–32 letters or digits, as WeChat's server configuration requires"}
	}
	for name, key := range map[string]string{"MASHANG_WECHAT_AES_KEY": w.AESKey, "MASHANG_WECHAT_PREVIOUS_AES_KEY": w.PreviousAESKey} {
		if key != "" && len(key) != 43 {
			return &SettingError{name, fmt.Sprintf("an EncodingAESKey is 43 characters; this one has %d", len(key))}
		}
		if key != "" && !aesKeyPattern.MatchString(key) {
			return &SettingError{name, "an EncodingAESKey is only letters and digits; copy it again from WeChat's server configuration"}
		}
	}
	if w.PreviousAESKey != "" && w.AESKey == "" {
		return &SettingError{"MASHANG_WECHAT_AES_KEY", "is missing while a previous key is set"}
	}
	if w.MaxClockSkew < 30*time.Second || w.MaxClockSkew > time.Hour {
		return &SettingError{"MASHANG_WECHAT_MAX_CLOCK_SKEW", fmt.Sprintf("%s is outside 30s–1h", w.MaxClockSkew)}
	}
	if u, err := url.Parse(w.APIBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return &SettingError{"MASHANG_WECHAT_API_BASE", fmt.Sprintf("%q is not a scheme and host like https://api.weixin.qq.com", w.APIBase)}
	}
	if u, err := url.Parse(w.OAuthBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return &SettingError{"MASHANG_WECHAT_OAUTH_BASE", fmt.Sprintf("%q is not a scheme and host like https://open.weixin.qq.com", w.OAuthBase)}
	}
	if t := c.MiniProgram.PushToken; t != "" && !tokenPattern.MatchString(t) {
		return &SettingError{"MASHANG_MP_TOKEN", "must be 3–32 letters or digits, as the Mini Program's message push configuration requires"}
	}
	if k := c.MiniProgram.PushAESKey; k != "" && (len(k) != 43 || !aesKeyPattern.MatchString(k)) {
		return &SettingError{"MASHANG_MP_AES_KEY", fmt.Sprintf("an EncodingAESKey is 43 letters or digits; this one has %d characters", len(k))}
	}
	if (c.MiniProgram.PushToken == "") != (c.MiniProgram.PushAESKey == "") {
		return &SettingError{"MASHANG_MP_AES_KEY", "the Mini Program's message push needs both MASHANG_MP_TOKEN and MASHANG_MP_AES_KEY (safe mode), or neither"}
	}
	if (c.MiniProgram.AppID == "") != (c.MiniProgram.Secret == "") {
		return &SettingError{"MASHANG_MP_SECRET", "the Mini Program needs both MASHANG_MP_APPID and MASHANG_MP_SECRET, or neither"}
	}
	if k := c.MiniProgram.DataKey; k != "" || (c.MiniProgram.AppID != "" && !c.Sandbox) {
		if b, err := hex.DecodeString(k); err != nil || len(b) != 32 {
			return &SettingError{"MASHANG_DATA_KEY", "encrypts citizens' phone numbers: give 64 hex digits (e.g. openssl rand -hex 32), kept safe and the same on every instance"}
		}
	}
	if c.MiniProgram.AppID != "" && !c.Sandbox && len(c.MiniProgram.SessionSecret) < 32 {
		return &SettingError{"MASHANG_SESSION_SECRET", "signs the Mini Program's sessions: give 32 characters or more, the same on every instance (e.g. openssl rand -hex 32)"}
	}
	if c.MediaDir == "" {
		return &SettingError{"MASHANG_MEDIA_DIR", "is empty; give the folder where citizens' photos and voice are kept"}
	}
	if c.Cases.ScanWindow < time.Minute || c.Cases.ScanWindow > 30*24*time.Hour {
		return &SettingError{"MASHANG_SCAN_WINDOW", fmt.Sprintf("%s is outside 1m–720h", c.Cases.ScanWindow)}
	}
	if c.Cases.Gap < time.Minute || c.Cases.Gap > 24*time.Hour {
		return &SettingError{"MASHANG_CASE_GAP", fmt.Sprintf("%s is outside 1m–24h", c.Cases.Gap)}
	}
	if c.WeChat.Timeout < 100*time.Millisecond || c.WeChat.Timeout > time.Minute {
		return &SettingError{"MASHANG_WECHAT_TIMEOUT", fmt.Sprintf("%s is outside 100ms–1m", c.WeChat.Timeout)}
	}
	if c.Outbox.Lease <= 2*c.WeChat.Timeout || c.Outbox.Lease > time.Hour {
		return &SettingError{"MASHANG_OUTBOX_LEASE", fmt.Sprintf("%s should be more than twice MASHANG_WECHAT_TIMEOUT (%s) and at most 1h, so that a send under way is not taken over", c.Outbox.Lease, c.WeChat.Timeout)}
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return &SettingError{"MASHANG_LOG_LEVEL", fmt.Sprintf("%q is not debug, info, warn or error", c.Log.Level)}
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		return &SettingError{"MASHANG_LOG_FORMAT", fmt.Sprintf("%q is not text or json", c.Log.Format)}
	}
	return nil
}

// String prints the configuration with secrets and passwords masked, for the
// start-up log.
func (c Config) String() string {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return "****"
	}
	dsn := c.DB.DSN
	if c.DB.Driver == "mysql" {
		if m, err := mysql.ParseDSN(dsn); err == nil && m.Passwd != "" {
			m.Passwd = "****"
			dsn = m.FormatDSN()
		}
	}
	return fmt.Sprintf("addr=%s db=%s:%s wechat.appid=%s wechat.secret=%s wechat.token=%s wechat.aes_key=%s wechat.api_base=%s mp.appid=%s mp.secret=%s sandbox=%t",
		c.HTTP.Addr, c.DB.Driver, dsn, c.WeChat.AppID, mask(c.WeChat.Secret), mask(c.WeChat.Token), mask(c.WeChat.AESKey),
		c.WeChat.APIBase, c.MiniProgram.AppID, mask(c.MiniProgram.Secret), c.Sandbox)
}

// MetricsNetworks are the networks allowed to read /metrics: the
// configured ones, or loopback.
func (h HTTP) MetricsNetworks() ([]*net.IPNet, error) {
	allow := h.MetricsAllow
	if len(allow) == 0 {
		allow = []string{"127.0.0.0/8", "::1/128"}
	}
	var nets []*net.IPNet
	for _, a := range allow {
		a = strings.TrimSpace(a)
		if ip := net.ParseIP(a); ip != nil {
			bits := 8 * len(ip.To4())
			if bits == 0 {
				bits = 128
			}
			nets = append(nets, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(a)
		if err != nil {
			return nil, &SettingError{"MASHANG_METRICS_ALLOW", fmt.Sprintf("%q is not an IP address or CIDR range", a)}
		}
		nets = append(nets, n)
	}
	return nets, nil
}
