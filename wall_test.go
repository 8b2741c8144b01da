package mashang

import (
	"strings"
	"testing"
	"time"
)

func TestAnonymise(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"我是王大爷，电话13912345678，住居庸关路10号3单元502室", "我是＊＊，电话＊＊＊，住居庸关路＊号＊单元＊室"},
		{"联系李先生 0532-88886666", "联系＊＊先生 ＊＊＊"},
		{"身份证370202199001011234，微信oAbCdEfGhIjKlMnOpQrSt", "身份证＊＊，微信＊＊"},
		{"小区东门路灯不亮，晚上出行不便", "小区东门路灯不亮，晚上出行不便"},
		{"姓名：张三丰 手机 +86 139-1234-5678", "姓名：＊＊ 手机 ＊＊＊"},
	} {
		if got := Anonymise(tc.in); got != tc.want {
			t.Errorf("Anonymise(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
		for _, leak := range []string{"王大爷", "13912345678", "502", "88886666", "oAbCdEf", "张三丰", "1234-5678"} {
			if strings.Contains(Anonymise(tc.in), leak) {
				t.Errorf("%q keeps %q", tc.in, leak)
			}
		}
	}
}

// What got through before: full-width digits, e-mail addresses, WeChat
// IDs, bank cards, and names with titles, of which only the last
// character was hidden.
func TestAnonymiseRemovesFullWidthPhonesEmailsWeChatIDsCardsAndTitledNames(t *testing.T) {
	for _, tc := range []struct {
		in    string
		leaks []string
	}{
		{"我的手机号是１３９１２３４５６７８，请回电", []string{"１３９", "139", "5678", "５６７８"}},
		{"电话：１３９－１２３４－５６７８", []string{"1234", "１２３４", "5678"}},
		{"有事发邮件到 wang.xiaoming@example.com 或 ｗａｎｇｘｍ＠ｑｑ．ｃｏｍ", []string{"wang.xiaoming", "example", "wangxm", "ｗａｎｇ"}},
		{"加我微信：wxm_19880101 或微信号 WangXiaoMing88，vx: lily-qd", []string{"wxm_", "WangXiaoMing", "lily-qd"}},
		{"我的wxid_abc123def456", []string{"wxid_abc", "abc123"}},
		{"补贴打到卡号6222 0212 3456 7890 123里", []string{"6222", "7890"}},
		{"身份证３７０２０２１９９００１０１１２３Ｘ", []string{"370202", "３７０２", "1123"}},
		{"王小明先生反映路灯不亮", []string{"王小明", "小明", "王小"}},
		{"感谢欧阳娜娜女士和赵大爷", []string{"欧阳", "娜娜", "赵"}},
		{"我家电话是一三九一二三四五六七八", []string{"一三九一二三四"}},
	} {
		got := Anonymise(tc.in)
		for _, leak := range tc.leaks {
			if strings.Contains(got, leak) {
				t.Errorf("Anonymise(%q) = %q keeps %q", tc.in, got, leak)
			}
		}
	}
	if got := Anonymise("王小明先生反映路灯不亮"); got != "＊＊先生反映路灯不亮" {
		t.Errorf("a titled name: got %q, want it replaced whole", got)
	}
}

// Until staff publish each case, a case whose text still looks personal
// once anonymised stays off the wall; an ordinary one is shown.
func TestWallLeavesOffWhatStillLooksPersonal(t *testing.T) {
	closed := time.Date(2026, 11, 3, 10, 0, 0, 0, China)
	for _, tc := range []struct {
		summary string
		shown   bool
	}{
		{"小区东门路灯不亮，晚上出行不便", true},
		{"我是王大爷，电话13912345678，门口路灯坏了", true},
		{"电话 1 3 9 1 2 3 4 5 6 7 8 联系我", false},
		{"加我微信吧，详细说", false},
		{"我的账号是 zhang3feng，请回复", false},
		{"邮箱是 zhang at example dot com @我", false},
		{"2026年11月路灯坏了，12月还没修", true},
	} {
		_, ok := WallCase{StationName: "八大关联络站", Summary: tc.summary, Result: "办结：已修复", ClosedAt: closed}.Entry()
		if ok != tc.shown {
			t.Errorf("%q: shown %v, want %v (anonymised: %q)", tc.summary, ok, tc.shown, Anonymise(tc.summary))
		}
	}
}
