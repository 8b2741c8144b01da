package mashang

import (
	"strings"
	"testing"
)

func TestAnonymise(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"我是王大爷，电话13912345678，住居庸关路10号3单元502室", "我是＊大爷，电话＊＊＊，住居庸关路＊号＊单元＊室"},
		{"联系李先生 0532-88886666", "联系＊先生 ＊＊＊"},
		{"身份证370202199001011234，微信oAbCdEfGhIjKlMnOpQrSt", "身份证＊＊，微信＊"},
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
