package mashang

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/jpeg"
	"image/png"
	"slices"
	"strings"
	"sync"
	"time"
)

// CodeChannel is the kind of code a citizen scans.
type CodeChannel string

const (
	// ChannelOA is the Official Account's permanent parametric code
	// (QR_LIMIT_STR_SCENE): scanning it follows the account and opens the
	// conversation with the scene.
	ChannelOA CodeChannel = "oa"
	// ChannelMP is the Mini Program's code (getwxacodeunlimit).
	ChannelMP CodeChannel = "mp"
	// ChannelH5 is a plain link to the service's own page, for a service
	// without WeChat credentials yet (the sandbox).
	ChannelH5 CodeChannel = "h5"
)

// PermanentCodeQuota is WeChat's limit of permanent codes per account.
const PermanentCodeQuota = 100_000

// permanentCodeReserve is kept free of bulk creation, for the codes staff
// will need one at a time later.
const permanentCodeReserve = 1_000

// IssuedCode is a code WeChat made for a scene, kept so it is made once.
type IssuedCode struct {
	Channel   CodeChannel
	Scene     string
	Ticket    string // oa
	URL       string // oa: what the code encodes; rendered locally at any size
	Image     []byte // mp: the picture WeChat drew, as a PNG
	CreatedAt time.Time
}

// CodeOwner is a station or a deputy, as a code and its file need them.
type CodeOwner struct {
	Scene        Scene
	Name         string   // the station's or the deputy's name
	StationName  string   // a deputy's home station; the station itself for a station
	StationCode  string   // the same station's code, for reach
	Jurisdiction []string // city, district, town of the station
}

// CodeIssuer asks WeChat for an Official Account permanent code.
type CodeIssuer interface {
	PermanentCode(ctx context.Context, scene string) (ticket, url string, err error)
}

// MiniProgramIssuer asks WeChat for a Mini Program code.
type MiniProgramIssuer interface {
	MiniProgramCode(ctx context.Context, scene string) ([]byte, error)
}

// CodeStore keeps issued codes and lists their owners.
type CodeStore interface {
	IssuedCodes(ctx context.Context, channel CodeChannel) (map[string]IssuedCode, error)
	SaveIssuedCode(ctx context.Context, c IssuedCode) error
	CodeOwners(ctx context.Context) ([]CodeOwner, error)
}

// Temporary is implemented by errors worth retrying (WeChat's -1 "system
// busy" and 45009 "over the rate").
type Temporary interface{ Temporary() bool }

// Codes makes and finds the codes of stations and deputies.
type Codes struct {
	Store CodeStore
	OA    CodeIssuer        // nil without Official Account credentials
	MP    MiniProgramIssuer // nil without a Mini Program
	// PublicURL is how phones reach this service, for H5 codes.
	PublicURL string
	// Concurrency bounds the calls to WeChat in flight; 0 = 4.
	Concurrency int
	// Backoff is the first wait before retrying a temporary error; it
	// doubles each time, five tries in all. 0 = 500 ms.
	Backoff time.Duration
	// Quota is the account's permanent-code quota; 0 = WeChat's 100,000.
	Quota int
	Now   func() time.Time
}

// EnsureResult says what making codes did.
type EnsureResult struct {
	Channel  CodeChannel
	Existing int
	Created  int
	Failed   map[string]error // scene → why
}

func (r EnsureResult) String() string {
	s := fmt.Sprintf("%s: 已有%d个，新生成%d个", r.Channel, r.Existing, r.Created)
	if len(r.Failed) > 0 {
		s += fmt.Sprintf("，失败%d个", len(r.Failed))
	}
	return s
}

// Ensure makes the codes the owners do not have yet, on every channel that
// is configured: each is asked of WeChat once, saved as soon as it is made
// (so an interrupted run resumes where it stopped), with a bounded number of
// calls in flight and temporary errors retried with backoff. Permanent codes
// are counted against WeChat's quota before any is asked for.
func (c *Codes) Ensure(ctx context.Context, owners []CodeOwner) ([]EnsureResult, error) {
	var results []EnsureResult
	if c.OA != nil {
		r, err := c.ensure(ctx, ChannelOA, owners, func(ctx context.Context, scene string) (IssuedCode, error) {
			ticket, url, err := c.OA.PermanentCode(ctx, scene)
			return IssuedCode{Ticket: ticket, URL: url}, err
		})
		if err != nil {
			return results, err
		}
		results = append(results, r)
	}
	if c.MP != nil {
		r, err := c.ensure(ctx, ChannelMP, owners, func(ctx context.Context, scene string) (IssuedCode, error) {
			img, err := c.MP.MiniProgramCode(ctx, scene)
			if err == nil {
				img, err = asPNG(img)
			}
			return IssuedCode{Image: img}, err
		})
		if err != nil {
			return results, err
		}
		results = append(results, r)
	}
	return results, nil
}

func (c *Codes) ensure(ctx context.Context, channel CodeChannel, owners []CodeOwner,
	issue func(context.Context, string) (IssuedCode, error)) (EnsureResult, error) {
	res := EnsureResult{Channel: channel, Failed: map[string]error{}}
	have, err := c.Store.IssuedCodes(ctx, channel)
	if err != nil {
		return res, err
	}
	var missing []string
	for _, o := range owners {
		scene := o.Scene.String()
		if _, ok := have[scene]; ok {
			res.Existing++
		} else if !slices.Contains(missing, scene) {
			missing = append(missing, scene)
		}
	}
	quota := c.Quota
	if quota <= 0 {
		quota = PermanentCodeQuota
	}
	if channel == ChannelOA && len(have)+len(missing) > quota-permanentCodeReserve {
		return res, Errorf(EFORBIDDEN, "公众号永久二维码额度将用尽：已生成%d个，本次还需%d个，上限%d个（预留%d个）。请先停用不再使用的站点或代表，或改用小程序码。",
			len(have), len(missing), quota, permanentCodeReserve)
	}

	workers := c.Concurrency
	if workers <= 0 {
		workers = 4
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers)
	for _, scene := range missing {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			code, err := c.issueWithRetry(ctx, scene, issue)
			if err == nil {
				code.Channel, code.Scene, code.CreatedAt = channel, scene, c.now()
				err = c.Store.SaveIssuedCode(ctx, code)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.Failed[scene] = err
				return
			}
			res.Created++
		})
	}
	wg.Wait()
	return res, ctx.Err()
}

func (c *Codes) issueWithRetry(ctx context.Context, scene string,
	issue func(context.Context, string) (IssuedCode, error)) (IssuedCode, error) {
	wait := c.Backoff
	if wait <= 0 {
		wait = 500 * time.Millisecond
	}
	var err error
	for attempt := range 5 {
		if attempt > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return IssuedCode{}, ctx.Err()
			}
			wait *= 2
		}
		var code IssuedCode
		if code, err = issue(ctx, scene); err == nil {
			return code, nil
		}
		var t Temporary
		if !errors.As(err, &t) || !t.Temporary() {
			return IssuedCode{}, err
		}
	}
	return IssuedCode{}, fmt.Errorf("gave up after 5 tries: %w", err)
}

func (c *Codes) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// CodeImage is what a code encodes, or the picture WeChat drew of it.
type CodeImage struct {
	Channel CodeChannel
	Content string // to render
	PNG     []byte // ready-made (Mini Program codes)
}

// Image finds a scene's code on a channel. With no channel named, it is the
// Official Account code when one was made, else the H5 link.
func (c *Codes) Image(ctx context.Context, scene Scene, channel CodeChannel) (CodeImage, error) {
	if scene.Kind == SceneUnknown {
		return CodeImage{}, Errorf(EINVALID, "不是站点或代表的二维码：请用 st:<站点编码> 或 dp:<代表编码>")
	}
	switch channel {
	case "", ChannelOA, ChannelMP:
		want := channel
		if want == "" {
			want = ChannelOA
		}
		have, err := c.Store.IssuedCodes(ctx, want)
		if err != nil {
			return CodeImage{}, err
		}
		if code, ok := have[scene.String()]; ok {
			if want == ChannelMP {
				png, err := asPNG(code.Image) // a JPEG stored before codes were kept as PNGs
				return CodeImage{Channel: want, PNG: png}, err
			}
			return CodeImage{Channel: want, Content: code.URL}, nil
		}
		if channel != "" {
			return CodeImage{}, Errorf(ENOTFOUND, "还没有为 %s 生成%s，请先运行 mashang codes create", scene, channelLabel(want))
		}
		fallthrough
	case ChannelH5:
		return CodeImage{Channel: ChannelH5, Content: c.H5Link(scene)}, nil
	}
	return CodeImage{}, Errorf(EINVALID, "二维码类型「%s」应为 oa、mp 或 h5", channel)
}

// asPNG turns the picture WeChat draws of a Mini Program code (a JPEG) into
// a PNG. Every code is served and exported as <name>.png with image/png, one
// address for all channels that printed sheets and the README already use;
// and PNG is lossless, so the code's edges stay sharp when printed large.
// It is converted once, when the code is made.
func asPNG(picture []byte) ([]byte, error) {
	if bytes.HasPrefix(picture, []byte("\x89PNG\r\n\x1a\n")) {
		return picture, nil
	}
	img, err := jpeg.Decode(bytes.NewReader(picture))
	if err != nil {
		return nil, fmt.Errorf("read the Mini Program code WeChat drew: %w", err)
	}
	var out bytes.Buffer
	if err := png.Encode(&out, img); err != nil {
		return nil, fmt.Errorf("redraw the Mini Program code as PNG: %w", err)
	}
	return out.Bytes(), nil
}

// H5Link is the service's own page for a scene.
func (c *Codes) H5Link(scene Scene) string {
	return strings.TrimRight(c.PublicURL, "/") + "/s/" + scene.String()
}

func channelLabel(ch CodeChannel) string {
	return map[CodeChannel]string{ChannelOA: "公众号二维码", ChannelMP: "小程序码", ChannelH5: "网页二维码"}[ch]
}

// CodeFile is one file of an export.
type CodeFile struct {
	Path    string
	Content string
	PNG     []byte
}

// ExportFiles lists the codes of every station and deputy under the
// jurisdiction (a path such as 青岛市/市南区; empty for all) whose station is
// allowed (nil: every one), one file each, named jurisdiction / station /
// name.
func (c *Codes) ExportFiles(ctx context.Context, under []string, channel CodeChannel, allowed func(stationCode string) bool) ([]CodeFile, error) {
	owners, err := c.Owners(ctx, under, allowed)
	if err != nil {
		return nil, err
	}
	var files []CodeFile
	for _, o := range owners {
		img, err := c.Image(ctx, o.Scene, channel)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.Name, err)
		}
		name := o.Name
		if o.Scene.Kind == SceneStation {
			name = "站点二维码"
		}
		parts := append(slices.Clone(o.Jurisdiction), o.StationName, name+".png")
		for i, p := range parts {
			parts[i] = safeFileName(p)
		}
		files = append(files, CodeFile{Path: strings.Join(parts, "/"), Content: img.Content, PNG: img.PNG})
	}
	return files, nil
}

// Owners lists the stations and deputies under a jurisdiction path (empty
// for all) whose station is allowed (nil: every one); none is ENOTFOUND,
// so that what is beyond a staff member's reach reads as unknown.
func (c *Codes) Owners(ctx context.Context, under []string, allowed func(stationCode string) bool) ([]CodeOwner, error) {
	all, err := c.Store.CodeOwners(ctx)
	if err != nil {
		return nil, err
	}
	var out []CodeOwner
	for _, o := range all {
		if len(o.Jurisdiction) >= len(under) && slices.Equal(o.Jurisdiction[:len(under)], under) && (allowed == nil || allowed(o.StationCode)) {
			out = append(out, o)
		}
	}
	if len(out) == 0 {
		return nil, Errorf(ENOTFOUND, "「%s」下没有站点或代表", strings.Join(under, "/"))
	}
	return out, nil
}

// JurisdictionPath reads a path as staff write it: 青岛市/市南区.
func JurisdictionPath(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "/") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// safeFileName keeps a name usable as one path element in a ZIP on any
// system: no separators, no "..", no characters Windows refuses.
func safeFileName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < 0x20 {
			return '_'
		}
		return r
	}, s)
	s = strings.Trim(s, ". ")
	if s == "" {
		return "_"
	}
	return s
}
