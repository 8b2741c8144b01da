package wechat

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/silenceper/wechat/v2/util"
)

func TestErrCodeReadsBothShapes(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{&util.CommonError{ErrCode: 43004, ErrMsg: "require subscribe"}, 43004},
		{fmt.Errorf("send: %w", &util.CommonError{ErrCode: 45015}), 45015},
		{errors.New("template msg send error : errcode=47003 , errmsg=argument invalid!"), 47003},
		{errors.New("GetQRTicket Error : errcode=-1 , errmsg=system error"), -1},
		{errors.New("connection refused"), 0},
	}
	for _, c := range cases {
		if got := ErrCode(c.err); got != c.want {
			t.Errorf("ErrCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

func TestRedactHidesSecrets(t *testing.T) {
	err := errors.New("http get error : uri=https://api.weixin.qq.com/sns/jscode2session?appid=wx1&secret=S3CRET&js_code=CODE9&grant_type=authorization_code , statusCode=502; also access_token=TOKEN123")
	got := Redact(err)
	for _, leak := range []string{"S3CRET", "CODE9", "TOKEN123"} {
		if strings.Contains(got, leak) {
			t.Errorf("redacted text still has %s: %s", leak, got)
		}
	}
	if !strings.Contains(got, "appid=wx1") || !strings.Contains(got, "statusCode=502") {
		t.Errorf("redaction removed what helps: %s", got)
	}
}
