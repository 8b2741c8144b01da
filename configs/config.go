// Package configs loads Mashang's configuration: built-in defaults, then an
// optional YAML file (see mashang.example.yaml), then MASHANG_* environment
// variables, which win. Every setting is declared once, in the table in
// settings.go. The result is one value passed down from main; no package
// reads the environment on its own.
package configs

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is everything Mashang can be told.
type Config struct {
	HTTP        HTTP
	DB          DB
	WeChat      WeChat
	MiniProgram MiniProgram
	// Sandbox runs a fake WeChat in-process with demo data. Only `mashang
	// serve --sandbox` sets it (Load with Sandbox): it is not a setting, so
	// no file or environment can turn a command into a sandbox unasked.
	Sandbox  bool
	Log      Log
	Cases    Cases
	MediaDir string
	// MediaS3, when its endpoint is set, keeps media in an S3-compatible
	// object store instead of MediaDir.
	MediaS3 MediaS3
	// RedisURL (optional) keeps the limits every instance shares (each
	// citizen's rate, each account's exports) in Redis instead of the
	// database.
	RedisURL string
	// RedisPrefix leads every key Mashang keeps in Redis, so that several
	// deployments may share one.
	RedisPrefix string
	Notify      Notify
	Outbox      Outbox
}

// MediaS3 says where an S3-compatible object store keeps media, for
// instances on several machines (MASHANG_MEDIA_S3_*).
type MediaS3 struct {
	Endpoint, Bucket, Region, Prefix string
	AccessKey, SecretKey             string
	// CAFile is a PEM file of the CA the store's certificate is checked
	// against, when it is the data centre's own.
	CAFile string
}

// Outbox says how notifications leave.
type Outbox struct {
	// Lease is how long an instance holds the notifications it claimed;
	// if it dies, another sends them when the lease runs out. Longer than
	// one call to WeChat may take.
	Lease time.Duration
}

// Cases says how messages become cases.
type Cases struct {
	ScanWindow time.Duration // messages go to the code scanned this long ago
	Gap        time.Duration // messages this close together are one case
	// NearDeadlineDays turns a handed-over case yellow this many working
	// days before its deadline.
	NearDeadlineDays int
	// FirstResponseDays is how many working days a new case may wait for a
	// deputy or staff member to take it before it turns yellow (red after
	// twice as many).
	FirstResponseDays int
	// RedoDays is how many working days a department has to handle a case
	// again after its citizen was dissatisfied (二次交办).
	RedoDays int
	// SuggestionRedoMonths is how many months the bodies have to answer a
	// deputy's suggestion again after the deputy was dissatisfied (some
	// regulations say one, some two).
	SuggestionRedoMonths int
	// RatingReminder is how long after closing a citizen who has not rated
	// the answer is reminded, once.
	RatingReminder time.Duration
	// HolidaysFile replaces the built-in national holiday table (same CSV
	// format as configs/holidays/cn.csv), e.g. when next year's is out.
	HolidaysFile string
	// PerDay is how many new cases one citizen may open in a day; past it
	// what they send is kept and answered, not opened as a case.
	PerDay int
	// UploadsPending and UploadsPendingMB bound the photos one citizen may
	// keep uploaded and not yet in a case.
	UploadsPending   int
	UploadsPendingMB int
}

// Notify names the template message that tells deputies of a new case and
// which of its fields (the template's own keys) take what.
type Notify struct {
	NewCaseTemplate string
	// DeputyPerMinute is how many new-case notices one deputy gets in a
	// minute; the rest are told in one summary when the minute allows.
	DeputyPerMinute int
	Fields          NotifyFields
	// ReplyTemplate tells a citizen outside the 48-hour window that their
	// case was answered.
	ReplyTemplate string
	ReplyFields   ReplyFields
	// ProgressTemplate tells a citizen outside the 48-hour window (or past
	// its count) that their case moved: taken, handed over, closed, ….
	ProgressTemplate string
	ProgressFields   ReplyFields
	// ProgressSubscribeTemplate is the Mini Program subscribe message that
	// tells a citizen who accepted it, when raising a case, of its progress.
	ProgressSubscribeTemplate string
	ProgressSubscribeFields   ProgressSubscribeFields
	// ReminderTemplate is the Mini Program subscribe message that reminds a
	// citizen of their booked reception the day before.
	ReminderTemplate string
	ReminderFields   ReminderFields
	// SupervisionTemplate tells staff a case turned yellow (the station's
	// secretaries) or red (the chairs of its level).
	SupervisionTemplate string
	SupervisionFields   SupervisionFields
	// ActivityTemplate invites deputies to an activity staff dispatched.
	ActivityTemplate string
	ActivityFields   ActivityFields
}

type ActivityFields struct {
	Title string
	Time  string
	Place string
}

type SupervisionFields struct {
	Number   string
	Station  string
	Colour   string
	Deadline string
}

type ReminderFields struct {
	Station string
	Time    string
	Topic   string
	Note    string
}

type ProgressSubscribeFields struct {
	Number string
	Status string
	Step   string
	Time   string
}

type ReplyFields struct {
	Number string
	Status string
	Time   string
}

type NotifyFields struct {
	Number   string
	Station  string
	Category string
	Summary  string
	Time     string
}

type HTTP struct {
	Addr         string
	PublicURL    string
	MaxBodyBytes int64
	// PublicMinCount is how many cases a rate must measure before a public
	// page shows it: a rate of three says more about chance than the work.
	PublicMinCount int
	// PublicSuggestionNames says whether the public page of handled
	// suggestions names the deputies who raised them: some congresses
	// publish their deputies' suggestions by name, others do not.
	PublicSuggestionNames bool
	// CitizenRate and CitizenBurst limit each citizen's Mini Program
	// requests (by session, or by address before login): a steady rate per
	// second and the burst allowed on top.
	CitizenRate  float64
	CitizenBurst int
	// SignInsPerMinute is how many console sign-ins one address may try a
	// minute, counted in the database so every instance sees them all.
	SignInsPerMinute int
	// TrustedProxies are the addresses (nginx) whose X-Forwarded-For is
	// believed; anyone else's is ignored, so a client cannot pick its own.
	TrustedProxies []string
	// MetricsAllow are the networks that may read /metrics (the client's
	// address as the trusted proxies report it); default: this host.
	MetricsAllow []string
}

type DB struct {
	Driver string
	DSN    string
	// ReadDSN (optional) is a replica of DSN, or another node of its
	// cluster, that the console's heavy reads go to.
	ReadDSN string
	// ReadPrimaryFor is how long after acting a person's pages read from
	// the primary, so that they see what they did whatever the replica's
	// lag.
	ReadPrimaryFor time.Duration
}

type WeChat struct {
	AppID          string
	Secret         string
	Token          string
	AESKey         string
	PreviousAESKey string
	AllowPlaintext bool
	MaxClockSkew   time.Duration
	APIBase        string
	// Timeout bounds one call to WeChat's API.
	Timeout time.Duration
	// OAuthBase stands for https://open.weixin.qq.com, where deputies'
	// pages send WeChat's browser for web authorisation.
	OAuthBase string
}

type MiniProgram struct {
	AppID  string
	Secret string
	// SessionSecret signs the Mini Program's session tokens; every instance
	// needs the same one.
	SessionSecret string
	// DataKey (64 hex digits) encrypts citizens' phone numbers at rest.
	DataKey string
	// PushToken and PushAESKey are the Mini Program's message push
	// (消息推送, JSON, safe mode), where WeChat sends its media-check verdicts.
	PushToken  string
	PushAESKey string
}

type Log struct {
	Level  string
	Format string
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

// Purpose says what the configuration is loaded for, which decides what
// must be given.
type Purpose int

const (
	// Serve is `mashang serve` against the real WeChat: the settings it
	// cannot do without (WeChat's AppID and Token, …) must be given.
	Serve Purpose = iota
	// Sandbox is `mashang serve --sandbox`: a fake WeChat whose fixed
	// account fills what is not given.
	Sandbox
	// Command is a command on the database (migrate, import, codes, staff,
	// deputies): what is given is checked and used, nothing WeChat's is
	// required, and it is never a sandbox.
	Command
)

// Defaults are what Mashang runs with when told nothing.
func Defaults() Config {
	var c Config
	for _, s := range settings {
		if err := s.set(&c, s.def); err != nil {
			panic("configs: the default of " + s.name() + ": " + err.Error()) // the table is wrong; its tests say so
		}
	}
	return c
}

// Load reads the file at path (none when empty) over the defaults, then the
// environment (getenv, usually os.Getenv) over that, then checks the result
// for the purpose.
func Load(path string, purpose Purpose, getenv func(string) string) (Config, error) {
	cfg := Defaults()
	if path != "" {
		if err := readFile(&cfg, path); err != nil {
			return Config{}, err
		}
	}
	if err := readEnv(&cfg, getenv); err != nil {
		return Config{}, err
	}
	if purpose == Sandbox {
		cfg.Sandbox = true
		for _, s := range settings {
			if s.sandbox != "" && s.text(cfg) == "" {
				_ = s.set(&cfg, s.sandbox) // strings, set as given
			}
		}
	}
	if err := cfg.Check(purpose); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Check checks a configuration for the purpose, as Load does; for one built
// in code (the tests') rather than read.
func (c Config) Check(purpose Purpose) error {
	// One line naming one setting beats a list: fix it, run again.
	for _, s := range settings {
		problem := ""
		if s.check != nil {
			problem = s.check(c)
		}
		if problem == "" && s.need != nil && purpose == Serve {
			problem = s.need(c)
		}
		if problem != "" {
			return &SettingError{s.name(), problem}
		}
	}
	return nil
}

// SettingError names the setting that is wrong, by its environment name
// (or, for a setting only the file holds, its place in the file).
type SettingError struct {
	Setting string
	Problem string
}

func (e *SettingError) Error() string { return e.Setting + ": " + e.Problem }

// set puts text, written as in the environment, into the setting's field;
// empty text leaves the field as it is.
func (s setting) set(c *Config, text string) error {
	if text == "" {
		return nil
	}
	var err error
	switch f := s.field(c).(type) {
	case *string:
		*f = text
	case *bool:
		*f, err = strconv.ParseBool(text)
	case *int:
		*f, err = strconv.Atoi(text)
	case *int64:
		*f, err = strconv.ParseInt(text, 10, 64)
	case *float64:
		*f, err = strconv.ParseFloat(text, 64)
	case *time.Duration:
		*f, err = time.ParseDuration(text)
	case *[]string:
		*f = strings.Split(text, ",")
	default:
		panic(fmt.Sprintf("configs: %s is a %T, which the settings table does not know", s.name(), f))
	}
	if err != nil {
		return fmt.Errorf("%q is not %s", text, s.what())
	}
	return nil
}

// what says what the setting holds, for messages: "a duration like 30m".
func (s setting) what() string {
	var c Config
	what := "text"
	switch s.field(&c).(type) {
	case *bool:
		what = "true or false"
	case *int, *int64:
		what = "a whole number"
	case *float64:
		what = "a number"
	case *time.Duration:
		what = "a duration"
	case *[]string:
		what = "a list"
	}
	if s.def != "" {
		what += " like " + s.def
	}
	return what
}

// text is the setting's value as the environment would give it.
func (s setting) text(c Config) string {
	switch f := s.field(&c).(type) {
	case *string:
		return *f
	case *bool:
		return strconv.FormatBool(*f)
	case *int:
		return strconv.Itoa(*f)
	case *int64:
		return strconv.FormatInt(*f, 10)
	case *float64:
		return strconv.FormatFloat(*f, 'g', -1, 64)
	case *time.Duration:
		return f.String()
	case *[]string:
		return strings.Join(*f, ",")
	}
	panic(fmt.Sprintf("configs: %s has a field the settings table does not know", s.name()))
}

// readEnv applies the environment: MASHANG_X, and for a secret
// MASHANG_X_FILE, the path of a file holding it, which wins.
func readEnv(cfg *Config, getenv func(string) string) error {
	if err := retiredSandbox("MASHANG_SANDBOX", getenv("MASHANG_SANDBOX")); err != nil {
		return err
	}
	for _, name := range []string{"MASHANG_STAFF_API_TOKEN", "MASHANG_STAFF_API_TOKEN_FILE"} {
		if getenv(name) != "" {
			return &SettingError{name, "is retired: a shared token cannot name who acted; give each person their own with mashang staff token USER, and remove " + name}
		}
	}
	for _, s := range settings {
		if s.env == "" {
			continue
		}
		if err := s.set(cfg, getenv(s.env)); err != nil {
			return &SettingError{s.env, err.Error()}
		}
		if file := getenv(s.env + "_FILE"); s.secret && file != "" {
			data, err := os.ReadFile(file)
			if err != nil {
				return &SettingError{s.env + "_FILE", fmt.Sprintf("cannot read %s: %v", file, err)}
			}
			if err := s.set(cfg, strings.TrimSpace(string(data))); err != nil {
				return &SettingError{s.env + "_FILE", err.Error()}
			}
		}
	}
	return nil
}

// retiredSandbox refuses a sandbox asked for by a setting (`sandbox: true`
// in the file, MASHANG_SANDBOX=true) now that only --sandbox chooses it,
// rather than ignore it. "false" says what is so anyway: files copied from
// an older example still load.
func retiredSandbox(name, value string) error {
	if value == "" {
		return nil
	}
	if off, err := strconv.ParseBool(value); err != nil || off {
		return &SettingError{name, "the sandbox is no longer a setting: run mashang serve --sandbox, and remove " + name}
	}
	return nil
}

// readFile applies the YAML file at path. A key the table does not know is
// an error, not a silent default: it is usually a misspelt setting.
func readFile(cfg *Config, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read configuration file: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("configuration file %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil // empty, or only comments
	}
	if err := readSection(cfg, doc.Content[0], ""); err != nil {
		return fmt.Errorf("configuration file %s: %w", path, err)
	}
	return nil
}

// readSection applies one mapping of the file, whose keys stand under
// prefix ("" at the top, else e.g. "wechat.").
func readSection(cfg *Config, m *yaml.Node, prefix string) error {
	if m.Kind != yaml.MappingNode && prefix == "" {
		return fmt.Errorf("line %d: the file should hold sections and settings, as configs/mashang.example.yaml does", m.Line)
	}
	if m.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: %s holds settings, not a value", m.Line, strings.TrimSuffix(prefix, "."))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		key, value := m.Content[i], m.Content[i+1]
		path := prefix + key.Value
		if seen[path] {
			return fmt.Errorf("line %d: %s is given twice", key.Line, path)
		}
		seen[path] = true
		if path == "sandbox" {
			if err := retiredSandbox(path, value.Value); err != nil {
				return fmt.Errorf("line %d: %w", key.Line, err)
			}
			continue
		}
		if path == "http.staff_api_token" {
			return fmt.Errorf("line %d: %s is retired: a shared token cannot name who acted; give each person their own with mashang staff token USER", key.Line, path)
		}
		if s, ok := settingAt(path); ok {
			if err := s.decode(cfg, value); err != nil {
				return fmt.Errorf("line %d: %w", key.Line, err)
			}
			continue
		}
		if !isSection(path) {
			return fmt.Errorf("line %d: %s is not a setting (see configs/mashang.example.yaml)", key.Line, path)
		}
		if err := readSection(cfg, value, path+"."); err != nil {
			return err
		}
	}
	return nil
}

// decode applies the file's value for the setting. The YAML library reads
// it as it read the whole file before the table: durations like 5m, lists,
// and ~ for nothing.
func (s setting) decode(cfg *Config, value *yaml.Node) error {
	if err := value.Decode(s.field(cfg)); err != nil {
		if value.Kind == yaml.ScalarNode {
			return &SettingError{s.path, fmt.Sprintf("%q is not %s", value.Value, s.what())}
		}
		return &SettingError{s.path, "is a list or a section where " + s.what() + " belongs"}
	}
	return nil
}

func settingAt(path string) (setting, bool) {
	for _, s := range settings {
		if s.path == path {
			return s, true
		}
	}
	return setting{}, false
}

// isSection says whether settings stand under path in the file.
func isSection(path string) bool {
	for _, s := range settings {
		if strings.HasPrefix(s.path, path+".") {
			return true
		}
	}
	return false
}

// String prints every setting for the start-up log, secrets masked.
func (c Config) String() string {
	var b strings.Builder
	for _, s := range settings {
		v := s.text(c)
		switch {
		case s.show != nil:
			v = s.show(c)
		case s.secret && v != "":
			v = "****"
		}
		if strings.ContainsAny(v, " \t\"") {
			v = strconv.Quote(v)
		}
		fmt.Fprintf(&b, "%s=%s ", s.path, v)
	}
	fmt.Fprintf(&b, "sandbox=%t", c.Sandbox)
	return b.String()
}

// MetricsNetworks are the networks allowed to read /metrics: the
// configured ones, or loopback.
func (h HTTP) MetricsNetworks() ([]*net.IPNet, error) {
	allow := h.MetricsAllow
	if len(allow) == 0 {
		allow = []string{"127.0.0.0/8", "::1/128"}
	}
	nets, bad := parseNetworks(allow)
	if bad != "" {
		return nil, &SettingError{"MASHANG_METRICS_ALLOW", fmt.Sprintf("%q is not an IP address or CIDR range", bad)}
	}
	return nets, nil
}
