package configs

import (
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// PublicURLMissing is what is said when MASHANG_PUBLIC_URL is missing
// outside the sandbox (where the listen address stands for it).
const PublicURLMissing = "is missing: give the address deputies and staff reach the service at, e.g. https://mashang.example.gov.cn; " +
	"deputies' WeChat sign-in returns there, never to whatever host a request names (the sandbox uses its listen address)"

// A setting is one thing Mashang can be told: its names, its default, and
// what makes it wrong. The table below is the only place a setting is
// declared; loading, checking and printing the configuration read it, and a
// test holds configs/mashang.example.yaml and the README to it.
type setting struct {
	env     string // MASHANG_…; "" for the template field keys, which only the file sets
	path    string // its place in the YAML file
	def     string // the default, written as it would be in the environment
	secret  bool   // may come from <env>_FILE; masked when printed
	sandbox string // what the sandbox fills in when nothing is given

	// field points into a Config: *string, *bool, *int, *int64, *float64,
	// *time.Duration or *[]string.
	field func(*Config) any
	// check says what is wrong with the value (checked whatever the
	// command), or "".
	check func(Config) string
	// need says what is missing for `mashang serve` outside the sandbox
	// (the other commands need only what they use), or "".
	need func(Config) string
	// show prints the value when masking it whole would hide too much.
	show func(Config) string
}

// name is how messages call the setting: its environment name, else its
// place in the file.
func (s setting) name() string {
	if s.env != "" {
		return s.env
	}
	return s.path
}

// wrongIf returns the problem when bad, else "".
func wrongIf(bad bool, format string, args ...any) string {
	if !bad {
		return ""
	}
	return fmt.Sprintf(format, args...)
}

var (
	tokenPattern  = regexp.MustCompile(`^[A-Za-z0-9]{3,32}$`)
	aesKeyPattern = regexp.MustCompile(`^[A-Za-z0-9]{43}$`)
)

// badHost says whether base is not a bare scheme and host, as WeChat's API
// and OAuth bases must be.
func badHost(base string) bool {
	u, err := url.Parse(base)
	return err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/")
}

func aesKeyProblem(key string) string {
	if key != "" && len(key) != 43 {
		return fmt.Sprintf("an EncodingAESKey is 43 characters; this one has %d", len(key))
	}
	return wrongIf(key != "" && !aesKeyPattern.MatchString(key),
		"an EncodingAESKey is only letters and digits; copy it again from WeChat's server configuration")
}

// parseNetworks reads IP addresses and CIDR ranges; bad is the first entry
// that is neither.
func parseNetworks(list []string) (nets []*net.IPNet, bad string) {
	for _, a := range list {
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
			return nil, a
		}
		nets = append(nets, n)
	}
	return nets, ""
}

func networksProblem(list []string) string {
	_, bad := parseNetworks(list)
	return wrongIf(bad != "", "%q is not an IP address or CIDR range", bad)
}

// fieldKey is a template's field key: the file sets it, the default is the
// key of the template in WeChat's library that Mashang was built against.
func fieldKey(path, def string, field func(*Config) *string) setting {
	return setting{path: path, def: def, field: func(c *Config) any { return field(c) }}
}

// count is a whole-number setting between lo and hi; what says what it counts.
func count(env, path, def string, field func(*Config) *int, lo, hi int, what string) setting {
	return setting{env: env, path: path, def: def, field: func(c *Config) any { return field(c) },
		check: func(c Config) string {
			n := *field(&c)
			return wrongIf(n < lo || n > hi, "%d is outside %d–%d %s", n, lo, hi, what)
		}}
}

// settings is every setting, in the order of configs/mashang.example.yaml.
// When several are wrong, the first one in this order is reported.
var settings = []setting{
	{env: "MASHANG_HTTP_ADDR", path: "http.addr", def: "127.0.0.1:8080",
		field: func(c *Config) any { return &c.HTTP.Addr },
		check: func(c Config) string {
			return wrongIf(c.HTTP.Addr == "", "is empty; give host:port, e.g. 127.0.0.1:8080")
		}},
	count("MASHANG_PUBLIC_MIN_COUNT", "http.public_min_count", "10", func(c *Config) *int { return &c.HTTP.PublicMinCount },
		1, 100000, "cases a rate on a public page must measure"),
	{env: "MASHANG_PUBLIC_SUGGESTION_NAMES", path: "http.public_suggestion_names", def: "false",
		field: func(c *Config) any { return &c.HTTP.PublicSuggestionNames }},
	{env: "MASHANG_PUBLIC_URL", path: "http.public_url",
		field: func(c *Config) any { return &c.HTTP.PublicURL },
		check: func(c Config) string {
			if c.HTTP.PublicURL == "" {
				return ""
			}
			u, err := url.Parse(c.HTTP.PublicURL)
			return wrongIf(err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "", "%q is not an http(s) URL", c.HTTP.PublicURL)
		},
		// Asked for once the Official Account is named (which serve needs
		// first): deputies' pages sign in through it.
		need: func(c Config) string {
			return wrongIf(c.WeChat.AppID != "" && c.HTTP.PublicURL == "", "%s", PublicURLMissing)
		}},
	{env: "MASHANG_HTTP_MAX_BODY_BYTES", path: "http.max_body_bytes", def: "65536",
		field: func(c *Config) any { return &c.HTTP.MaxBodyBytes },
		check: func(c Config) string {
			n := c.HTTP.MaxBodyBytes
			return wrongIf(n < 1024 || n > 16<<20, "%d is outside 1024–16777216", n)
		}},
	{env: "MASHANG_CITIZEN_RATE", path: "http.citizen_rate", def: "2",
		field: func(c *Config) any { return &c.HTTP.CitizenRate },
		check: func(c Config) string {
			r := c.HTTP.CitizenRate
			return wrongIf(r <= 0 || r > 1000, "%g is outside (0, 1000] requests per second", r)
		}},
	{env: "MASHANG_CITIZEN_BURST", path: "http.citizen_burst", def: "30",
		field: func(c *Config) any { return &c.HTTP.CitizenBurst },
		check: func(c Config) string {
			n := c.HTTP.CitizenBurst
			return wrongIf(n < 1 || n > 10000, "%d is outside 1–10000 requests", n)
		}},
	{env: "MASHANG_SIGNINS_PER_MINUTE", path: "http.signins_per_minute", def: "20",
		field: func(c *Config) any { return &c.HTTP.SignInsPerMinute },
		check: func(c Config) string {
			n := c.HTTP.SignInsPerMinute
			return wrongIf(n < 1 || n > 10000, "%d is outside 1–10000 attempts a minute", n)
		}},
	{env: "MASHANG_TRUSTED_PROXIES", path: "http.trusted_proxies",
		field: func(c *Config) any { return &c.HTTP.TrustedProxies },
		check: func(c Config) string { return networksProblem(c.HTTP.TrustedProxies) }},
	{env: "MASHANG_METRICS_ALLOW", path: "http.metrics_allow",
		field: func(c *Config) any { return &c.HTTP.MetricsAllow },
		check: func(c Config) string { return networksProblem(c.HTTP.MetricsAllow) }},

	{env: "MASHANG_DB_DRIVER", path: "db.driver", def: "sqlite",
		field: func(c *Config) any { return &c.DB.Driver },
		check: func(c Config) string {
			d := c.DB.Driver
			return wrongIf(d != "sqlite" && d != "mysql", "%q is not sqlite or mysql", d)
		}},
	{env: "MASHANG_DB_DSN", path: "db.dsn", def: "data/mashang.db", secret: true,
		field: func(c *Config) any { return &c.DB.DSN },
		check: func(c Config) string {
			if c.DB.Driver == "mysql" {
				if _, err := mysql.ParseDSN(c.DB.DSN); err != nil {
					return "is not a MySQL DSN like user:password@tcp(127.0.0.1:3306)/mashang: " + err.Error()
				}
			}
			return wrongIf(c.DB.DSN == "", "is empty; give the SQLite file, e.g. data/mashang.db")
		},
		// The file's name or the server's address helps whoever reads the
		// log; a MySQL password does not.
		show: func(c Config) string {
			if c.DB.Driver != "mysql" {
				return c.DB.DSN
			}
			return maskedDSN(c.DB.DSN)
		}},

	{env: "MASHANG_DB_READ_DSN", path: "db.read_dsn", secret: true,
		field: func(c *Config) any { return &c.DB.ReadDSN },
		check: func(c Config) string {
			if c.DB.ReadDSN == "" {
				return ""
			}
			if c.DB.Driver != "mysql" {
				return "needs MASHANG_DB_DRIVER=mysql: a replica is a MySQL or MariaDB server's"
			}
			if _, err := mysql.ParseDSN(c.DB.ReadDSN); err != nil {
				return "is not a MySQL DSN like user:password@tcp(replica:3306)/mashang: " + err.Error()
			}
			return ""
		},
		show: func(c Config) string { return maskedDSN(c.DB.ReadDSN) }},
	{env: "MASHANG_DB_READ_PRIMARY_FOR", path: "db.read_primary_for", def: "15s",
		field: func(c *Config) any { return &c.DB.ReadPrimaryFor },
		check: func(c Config) string {
			d := c.DB.ReadPrimaryFor
			return wrongIf(d < time.Second || d > 10*time.Minute, "%s is outside 1s–10m", d)
		}},
	{env: "MASHANG_WECHAT_APPID", path: "wechat.appid", sandbox: SandboxAppID,
		field: func(c *Config) any { return &c.WeChat.AppID },
		need: func(c Config) string {
			return wrongIf(c.WeChat.AppID == "", "is missing: copy the AppID from 基本配置, or run with --sandbox")
		}},
	{env: "MASHANG_WECHAT_SECRET", path: "wechat.secret", secret: true, sandbox: SandboxSecret,
		field: func(c *Config) any { return &c.WeChat.Secret }},
	{env: "MASHANG_WECHAT_TOKEN", path: "wechat.token", secret: true, sandbox: SandboxToken,
		field: func(c *Config) any { return &c.WeChat.Token },
		check: func(c Config) string {
			t := c.WeChat.Token
			return wrongIf(t != "" && !tokenPattern.MatchString(t), "must be 3–32 letters or digits, as WeChat's server configuration requires")
		},
		need: func(c Config) string {
			return wrongIf(c.WeChat.Token == "", "is missing: copy the Token from 基本配置 > 服务器配置, or run with --sandbox to try Mashang without WeChat")
		}},
	{env: "MASHANG_WECHAT_AES_KEY", path: "wechat.aes_key", secret: true, sandbox: SandboxAESKey,
		field: func(c *Config) any { return &c.WeChat.AESKey },
		check: func(c Config) string {
			if c.WeChat.AESKey == "" && c.WeChat.PreviousAESKey != "" {
				return "is missing while a previous key is set"
			}
			return aesKeyProblem(c.WeChat.AESKey)
		}},
	{env: "MASHANG_WECHAT_PREVIOUS_AES_KEY", path: "wechat.previous_aes_key", secret: true,
		field: func(c *Config) any { return &c.WeChat.PreviousAESKey },
		check: func(c Config) string { return aesKeyProblem(c.WeChat.PreviousAESKey) }},
	{env: "MASHANG_WECHAT_ALLOW_PLAINTEXT", path: "wechat.allow_plaintext", def: "false",
		field: func(c *Config) any { return &c.WeChat.AllowPlaintext }},
	{env: "MASHANG_WECHAT_MAX_CLOCK_SKEW", path: "wechat.max_clock_skew", def: "5m",
		field: func(c *Config) any { return &c.WeChat.MaxClockSkew },
		check: func(c Config) string {
			d := c.WeChat.MaxClockSkew
			return wrongIf(d < 30*time.Second || d > time.Hour, "%s is outside 30s–1h", d)
		}},
	{env: "MASHANG_WECHAT_API_BASE", path: "wechat.api_base", def: "https://api.weixin.qq.com",
		field: func(c *Config) any { return &c.WeChat.APIBase },
		check: func(c Config) string {
			return wrongIf(badHost(c.WeChat.APIBase), "%q is not a scheme and host like https://api.weixin.qq.com", c.WeChat.APIBase)
		}},
	{env: "MASHANG_WECHAT_TIMEOUT", path: "wechat.timeout", def: "10s",
		field: func(c *Config) any { return &c.WeChat.Timeout },
		check: func(c Config) string {
			d := c.WeChat.Timeout
			return wrongIf(d < 100*time.Millisecond || d > time.Minute, "%s is outside 100ms–1m", d)
		}},
	{env: "MASHANG_WECHAT_OAUTH_BASE", path: "wechat.oauth_base", def: "https://open.weixin.qq.com",
		field: func(c *Config) any { return &c.WeChat.OAuthBase },
		check: func(c Config) string {
			return wrongIf(badHost(c.WeChat.OAuthBase), "%q is not a scheme and host like https://open.weixin.qq.com", c.WeChat.OAuthBase)
		}},

	{env: "MASHANG_MP_APPID", path: "miniprogram.appid", sandbox: SandboxMPAppID,
		field: func(c *Config) any { return &c.MiniProgram.AppID }},
	{env: "MASHANG_MP_SECRET", path: "miniprogram.secret", secret: true, sandbox: SandboxMPSecret,
		field: func(c *Config) any { return &c.MiniProgram.Secret },
		check: func(c Config) string {
			return wrongIf((c.MiniProgram.AppID == "") != (c.MiniProgram.Secret == ""),
				"the Mini Program needs both MASHANG_MP_APPID and MASHANG_MP_SECRET, or neither")
		}},
	{env: "MASHANG_SESSION_SECRET", path: "miniprogram.session_secret", secret: true,
		sandbox: "sandbox-session-secret-not-for-production",
		field:   func(c *Config) any { return &c.MiniProgram.SessionSecret },
		need: func(c Config) string {
			return wrongIf(c.MiniProgram.AppID != "" && len(c.MiniProgram.SessionSecret) < 32,
				"signs the Mini Program's sessions: give 32 characters or more, the same on every instance (e.g. openssl rand -hex 32)")
		}},
	{env: "MASHANG_DATA_KEY", path: "miniprogram.data_key", secret: true, sandbox: strings.Repeat("5a", 32),
		field: func(c *Config) any { return &c.MiniProgram.DataKey },
		check: func(c Config) string { return dataKeyProblem(c.MiniProgram.DataKey != "", c) },
		need:  func(c Config) string { return dataKeyProblem(c.MiniProgram.AppID != "", c) }},
	{env: "MASHANG_MP_TOKEN", path: "miniprogram.push_token", secret: true, sandbox: SandboxMPToken,
		field: func(c *Config) any { return &c.MiniProgram.PushToken },
		check: func(c Config) string {
			t := c.MiniProgram.PushToken
			return wrongIf(t != "" && !tokenPattern.MatchString(t), "must be 3–32 letters or digits, as the Mini Program's message push configuration requires")
		}},
	{env: "MASHANG_MP_AES_KEY", path: "miniprogram.push_aes_key", secret: true, sandbox: SandboxMPAESKey,
		field: func(c *Config) any { return &c.MiniProgram.PushAESKey },
		check: func(c Config) string {
			if k := c.MiniProgram.PushAESKey; k != "" && (len(k) != 43 || !aesKeyPattern.MatchString(k)) {
				return fmt.Sprintf("an EncodingAESKey is 43 letters or digits; this one has %d characters", len(k))
			}
			return wrongIf((c.MiniProgram.PushToken == "") != (c.MiniProgram.PushAESKey == ""),
				"the Mini Program's message push needs both MASHANG_MP_TOKEN and MASHANG_MP_AES_KEY (safe mode), or neither")
		}},

	{env: "MASHANG_MEDIA_DIR", path: "media_dir", def: "data/media",
		field: func(c *Config) any { return &c.MediaDir },
		check: func(c Config) string {
			return wrongIf(c.MediaDir == "", "is empty; give the folder where citizens' photos and voice are kept")
		}},

	{env: "MASHANG_MEDIA_S3_ENDPOINT", path: "media_s3.endpoint",
		field: func(c *Config) any { return &c.MediaS3.Endpoint },
		check: func(c Config) string {
			e := c.MediaS3.Endpoint
			return wrongIf(e != "" && badHost(e), "%q is not the object store's address: give http(s)://host[:port], no path (the bucket is MASHANG_MEDIA_S3_BUCKET)", e)
		}},
	{env: "MASHANG_MEDIA_S3_BUCKET", path: "media_s3.bucket",
		field: func(c *Config) any { return &c.MediaS3.Bucket },
		check: func(c Config) string {
			return wrongIf(c.MediaS3.Endpoint != "" && c.MediaS3.Bucket == "",
				"is empty; MASHANG_MEDIA_S3_ENDPOINT is set, so give the (private) bucket media is kept in")
		}},
	{env: "MASHANG_MEDIA_S3_REGION", path: "media_s3.region",
		field: func(c *Config) any { return &c.MediaS3.Region }},
	{env: "MASHANG_MEDIA_S3_PREFIX", path: "media_s3.prefix",
		field: func(c *Config) any { return &c.MediaS3.Prefix }},
	{env: "MASHANG_MEDIA_S3_ACCESS_KEY", path: "media_s3.access_key", secret: true,
		field: func(c *Config) any { return &c.MediaS3.AccessKey },
		check: func(c Config) string {
			return wrongIf(c.MediaS3.Endpoint != "" && (c.MediaS3.AccessKey == "" || c.MediaS3.SecretKey == ""),
				"MASHANG_MEDIA_S3_ENDPOINT is set, so give the store's access key and secret key (MASHANG_MEDIA_S3_ACCESS_KEY_FILE, MASHANG_MEDIA_S3_SECRET_KEY_FILE)")
		}},
	{env: "MASHANG_MEDIA_S3_SECRET_KEY", path: "media_s3.secret_key", secret: true,
		field: func(c *Config) any { return &c.MediaS3.SecretKey }},
	{env: "MASHANG_MEDIA_S3_CA_FILE", path: "media_s3.ca_file",
		field: func(c *Config) any { return &c.MediaS3.CAFile }},

	{env: "MASHANG_REDIS_URL", path: "redis_url", secret: true,
		field: func(c *Config) any { return &c.RedisURL },
		check: func(c Config) string {
			if c.RedisURL == "" {
				return ""
			}
			u, err := url.Parse(c.RedisURL)
			return wrongIf(err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "",
				"is not a Redis URL like redis://:password@127.0.0.1:6379/0")
		},
		show: func(c Config) string {
			u, err := url.Parse(c.RedisURL)
			if err != nil || u.Host == "" {
				return "****"
			}
			if u.User != nil {
				u.User = url.User("****")
			}
			return u.String()
		}},
	{env: "MASHANG_REDIS_PREFIX", path: "redis_prefix", def: "mashang:",
		field: func(c *Config) any { return &c.RedisPrefix },
		check: func(c Config) string {
			return wrongIf(c.RedisURL != "" && c.RedisPrefix == "", "is empty; give what leads Mashang's keys in Redis, e.g. mashang:")
		}},
	{env: "MASHANG_SCAN_WINDOW", path: "cases.scan_window", def: "24h",
		field: func(c *Config) any { return &c.Cases.ScanWindow },
		check: func(c Config) string {
			d := c.Cases.ScanWindow
			return wrongIf(d < time.Minute || d > 30*24*time.Hour, "%s is outside 1m–720h", d)
		}},
	{env: "MASHANG_CASE_GAP", path: "cases.gap", def: "30m",
		field: func(c *Config) any { return &c.Cases.Gap },
		check: func(c Config) string {
			d := c.Cases.Gap
			return wrongIf(d < time.Minute || d > 24*time.Hour, "%s is outside 1m–24h", d)
		}},
	{env: "MASHANG_NEAR_DEADLINE_DAYS", path: "cases.near_deadline_days", def: "2",
		field: func(c *Config) any { return &c.Cases.NearDeadlineDays },
		check: func(c Config) string {
			n := c.Cases.NearDeadlineDays
			return wrongIf(n < 0 || n > 30, "%d is outside 0–30 working days", n)
		}},
	{env: "MASHANG_FIRST_RESPONSE_DAYS", path: "cases.first_response_days", def: "2",
		field: func(c *Config) any { return &c.Cases.FirstResponseDays },
		check: func(c Config) string {
			n := c.Cases.FirstResponseDays
			return wrongIf(n < 1 || n > 30, "%d is outside 1–30 working days", n)
		}},
	{env: "MASHANG_REDO_DAYS", path: "cases.redo_days", def: "10",
		field: func(c *Config) any { return &c.Cases.RedoDays },
		check: func(c Config) string {
			n := c.Cases.RedoDays
			return wrongIf(n < 1 || n > 60, "%d is outside 1–60 working days", n)
		}},
	{env: "MASHANG_SUGGESTION_REDO_MONTHS", path: "cases.suggestion_redo_months", def: "1",
		field: func(c *Config) any { return &c.Cases.SuggestionRedoMonths },
		check: func(c Config) string {
			n := c.Cases.SuggestionRedoMonths
			return wrongIf(n < 1 || n > 3, "%d is outside 1–3 months", n)
		}},
	{env: "MASHANG_RATING_REMINDER", path: "cases.rating_reminder", def: "72h",
		field: func(c *Config) any { return &c.Cases.RatingReminder },
		check: func(c Config) string {
			d := c.Cases.RatingReminder
			return wrongIf(d < time.Hour || d >= 7*24*time.Hour, "%s is outside 1h–168h (a citizen may rate for 7 days after closing)", d)
		}},
	{env: "MASHANG_HOLIDAYS_FILE", path: "cases.holidays_file",
		field: func(c *Config) any { return &c.Cases.HolidaysFile }},
	count("MASHANG_CASES_PER_DAY", "cases.per_day", "10", func(c *Config) *int { return &c.Cases.PerDay },
		1, 1000, "cases a citizen may open in a day"),
	count("MASHANG_UPLOADS_PENDING", "cases.uploads_pending", "30", func(c *Config) *int { return &c.Cases.UploadsPending },
		9, 1000, "photos (a form takes up to 9)"),
	count("MASHANG_UPLOADS_PENDING_MB", "cases.uploads_pending_mb", "100", func(c *Config) *int { return &c.Cases.UploadsPendingMB },
		10, 10000, "MB (one photo may have 10)"),

	{env: "MASHANG_TEMPLATE_NEW_CASE", path: "notify.new_case_template", sandbox: "sandbox-new-case",
		field: func(c *Config) any { return &c.Notify.NewCaseTemplate }},
	count("MASHANG_DEPUTY_NOTICES_PER_MINUTE", "notify.deputy_notices_per_minute", "6", func(c *Config) *int { return &c.Notify.DeputyPerMinute },
		1, 100000, "new-case notices a deputy gets in a minute"),
	fieldKey("notify.new_case_fields.number", "character_string1", func(c *Config) *string { return &c.Notify.Fields.Number }),
	fieldKey("notify.new_case_fields.station", "thing2", func(c *Config) *string { return &c.Notify.Fields.Station }),
	fieldKey("notify.new_case_fields.category", "thing3", func(c *Config) *string { return &c.Notify.Fields.Category }),
	fieldKey("notify.new_case_fields.summary", "thing4", func(c *Config) *string { return &c.Notify.Fields.Summary }),
	fieldKey("notify.new_case_fields.time", "time5", func(c *Config) *string { return &c.Notify.Fields.Time }),
	{env: "MASHANG_TEMPLATE_REPLY", path: "notify.reply_template", sandbox: "sandbox-reply",
		field: func(c *Config) any { return &c.Notify.ReplyTemplate }},
	fieldKey("notify.reply_fields.number", "character_string1", func(c *Config) *string { return &c.Notify.ReplyFields.Number }),
	fieldKey("notify.reply_fields.status", "phrase2", func(c *Config) *string { return &c.Notify.ReplyFields.Status }),
	fieldKey("notify.reply_fields.time", "time3", func(c *Config) *string { return &c.Notify.ReplyFields.Time }),
	{env: "MASHANG_TEMPLATE_PROGRESS", path: "notify.progress_template", sandbox: "sandbox-progress",
		field: func(c *Config) any { return &c.Notify.ProgressTemplate }},
	fieldKey("notify.progress_fields.number", "character_string1", func(c *Config) *string { return &c.Notify.ProgressFields.Number }),
	fieldKey("notify.progress_fields.status", "phrase2", func(c *Config) *string { return &c.Notify.ProgressFields.Status }),
	fieldKey("notify.progress_fields.time", "time3", func(c *Config) *string { return &c.Notify.ProgressFields.Time }),
	{env: "MASHANG_TEMPLATE_PROGRESS_SUBSCRIBE", path: "notify.progress_subscribe_template", sandbox: "sandbox-progress-subscribe",
		field: func(c *Config) any { return &c.Notify.ProgressSubscribeTemplate }},
	fieldKey("notify.progress_subscribe_fields.number", "character_string1", func(c *Config) *string { return &c.Notify.ProgressSubscribeFields.Number }),
	fieldKey("notify.progress_subscribe_fields.status", "phrase2", func(c *Config) *string { return &c.Notify.ProgressSubscribeFields.Status }),
	fieldKey("notify.progress_subscribe_fields.step", "thing3", func(c *Config) *string { return &c.Notify.ProgressSubscribeFields.Step }),
	fieldKey("notify.progress_subscribe_fields.time", "time4", func(c *Config) *string { return &c.Notify.ProgressSubscribeFields.Time }),
	{env: "MASHANG_TEMPLATE_RECEPTION_REMINDER", path: "notify.reminder_template", sandbox: "sandbox-reception-reminder",
		field: func(c *Config) any { return &c.Notify.ReminderTemplate }},
	fieldKey("notify.reminder_fields.station", "thing1", func(c *Config) *string { return &c.Notify.ReminderFields.Station }),
	fieldKey("notify.reminder_fields.time", "time2", func(c *Config) *string { return &c.Notify.ReminderFields.Time }),
	fieldKey("notify.reminder_fields.topic", "thing3", func(c *Config) *string { return &c.Notify.ReminderFields.Topic }),
	fieldKey("notify.reminder_fields.note", "thing4", func(c *Config) *string { return &c.Notify.ReminderFields.Note }),
	{env: "MASHANG_TEMPLATE_SUPERVISION", path: "notify.supervision_template", sandbox: "sandbox-supervision",
		field: func(c *Config) any { return &c.Notify.SupervisionTemplate }},
	fieldKey("notify.supervision_fields.number", "character_string1", func(c *Config) *string { return &c.Notify.SupervisionFields.Number }),
	fieldKey("notify.supervision_fields.station", "thing2", func(c *Config) *string { return &c.Notify.SupervisionFields.Station }),
	fieldKey("notify.supervision_fields.colour", "thing3", func(c *Config) *string { return &c.Notify.SupervisionFields.Colour }),
	fieldKey("notify.supervision_fields.deadline", "time4", func(c *Config) *string { return &c.Notify.SupervisionFields.Deadline }),
	{env: "MASHANG_TEMPLATE_ACTIVITY", path: "notify.activity_template", sandbox: "sandbox-activity",
		field: func(c *Config) any { return &c.Notify.ActivityTemplate }},
	fieldKey("notify.activity_fields.title", "thing1", func(c *Config) *string { return &c.Notify.ActivityFields.Title }),
	fieldKey("notify.activity_fields.time", "time2", func(c *Config) *string { return &c.Notify.ActivityFields.Time }),
	fieldKey("notify.activity_fields.place", "thing3", func(c *Config) *string { return &c.Notify.ActivityFields.Place }),

	{env: "MASHANG_OUTBOX_LEASE", path: "outbox.lease", def: "1m",
		field: func(c *Config) any { return &c.Outbox.Lease },
		check: func(c Config) string {
			l, t := c.Outbox.Lease, c.WeChat.Timeout
			return wrongIf(l <= 2*t || l > time.Hour,
				"%s should be more than twice MASHANG_WECHAT_TIMEOUT (%s) and at most 1h, so that a send under way is not taken over", l, t)
		}},

	{env: "MASHANG_LOG_LEVEL", path: "log.level", def: "info",
		field: func(c *Config) any { return &c.Log.Level },
		check: func(c Config) string {
			switch c.Log.Level {
			case "debug", "info", "warn", "error":
				return ""
			}
			return fmt.Sprintf("%q is not debug, info, warn or error", c.Log.Level)
		}},
	{env: "MASHANG_LOG_FORMAT", path: "log.format", def: "text",
		field: func(c *Config) any { return &c.Log.Format },
		check: func(c Config) string {
			return wrongIf(c.Log.Format != "text" && c.Log.Format != "json", "%q is not text or json", c.Log.Format)
		}},
}

// dataKeyProblem checks the phone-number key when it is given or needed.
func dataKeyProblem(wanted bool, c Config) string {
	b, err := hex.DecodeString(c.MiniProgram.DataKey)
	return wrongIf(wanted && (err != nil || len(b) != 32),
		"encrypts citizens' phone numbers: give 64 hex digits (e.g. openssl rand -hex 32), kept safe and the same on every instance")
}

// maskedDSN is a MySQL DSN without its password.
func maskedDSN(dsn string) string {
	m, err := mysql.ParseDSN(dsn)
	switch {
	case err != nil:
		return "****"
	case m.Passwd != "":
		m.Passwd = "****"
		return m.FormatDSN()
	}
	return dsn
}
