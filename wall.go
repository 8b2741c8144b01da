package mashang

import (
	"regexp"
	"strings"
	"time"
)

// The results wall (代表回音壁) shows, to anyone, the handled cases whose
// citizens agreed to it: where, what kind, what was done, how the citizen
// rated it — and nothing that says who: no name, phone, openid or exact
// address. Citizens and staff write freely, so every text is anonymised
// before it is shown, whatever consent was given.

// WallEntry is one handled case as the public sees it.
type WallEntry struct {
	StationName string
	Category    string
	Month       string // 2026年11月: not the day, which with the place could say who
	Problem     string
	Result      string
	Rating      string // RatingLabel, or ""
}

// WallCase is what the store gives for the wall, before anonymising.
type WallCase struct {
	StationName, Category, Summary, Result, Rating string
	ClosedAt                                       time.Time
}

// Entry anonymises a case for the wall.
func (w WallCase) Entry() WallEntry {
	return WallEntry{StationName: w.StationName, Category: orNone(w.Category, "其他"),
		Month: w.ClosedAt.In(China).Format("2006年1月"), Problem: Anonymise(w.Summary),
		Result: Anonymise(strings.TrimPrefix(w.Result, "办结：")), Rating: RatingLabel(w.Rating)}
}

var anonymisers = []struct {
	pattern *regexp.Regexp
	with    string
}{
	// openids and other long identifiers
	{regexp.MustCompile(`\bo[A-Za-z0-9_-]{15,}\b`), "＊"},
	// ID card numbers, then phones (mobile and landline), then any other
	// run of five or more digits (a house or account number)
	{regexp.MustCompile(`\d{17}[\dXx]`), "＊＊"},
	{regexp.MustCompile(`(\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}`), "＊＊＊"},
	{regexp.MustCompile(`0\d{2,3}[- ]?\d{7,8}`), "＊＊＊"},
	{regexp.MustCompile(`\d{5,}`), "＊＊"},
	// exact addresses: the number before 号, 号楼, 栋, 幢, 单元, 室, 层, 楼, 户
	{regexp.MustCompile(`[0-9０-９一二三四五六七八九十百零〇-]+(号楼|号院|号|栋|幢|单元|室|层|楼|户)`), "＊$1"},
	// a surname with how people are addressed: 王先生, 李大爷
	{regexp.MustCompile(`[\p{Han}](先生|女士|小姐|大爷|大妈|大娘|阿姨|师傅|老师|奶奶|爷爷|叔叔|婶婶|老人|同志)`), "＊$1"},
	// "我是王建国", "我叫李梅", "姓名：张三"
	{regexp.MustCompile(`(我是|我叫|本人|姓名[:：]?|联系人[:：]?)[\p{Han}]{1,3}`), "$1＊＊"},
}

// Anonymise takes out of a text what could say who wrote it or where they
// live: identifiers, phone and ID numbers, house numbers, names.
func Anonymise(text string) string {
	for _, a := range anonymisers {
		text = a.pattern.ReplaceAllString(text, a.with)
	}
	return text
}
