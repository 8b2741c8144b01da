package wechat

import (
	"context"
	"errors"

	"github.com/silenceper/wechat/v2/miniprogram/security"

	"mashang"
)

// msgSecCheckMaxRunes is WeChat's limit on one msgSecCheck; a longer form
// text is checked in pieces.
const msgSecCheckMaxRunes = 2500

// MsgSecCheck has WeChat check a citizen's text (msgSecCheck v2, scene 3:
// a post others will read) (mashang.TextChecker). openid must be the Mini
// Program's, of someone who used it in the last two hours.
func (c *Clients) MsgSecCheck(ctx context.Context, openid, content string) (mashang.SecurityVerdict, error) {
	if c.MP == nil {
		return mashang.SecurityVerdict{}, &APIError{Op: "wxa/msg_sec_check", err: errors.New("no Mini Program is configured (MASHANG_MP_APPID)")}
	}
	verdict := mashang.SecurityVerdict{Suggest: "pass", Label: 100}
	for _, piece := range splitRunes(content, msgSecCheckMaxRunes) {
		var res security.MsgCheckResponse
		err := c.withToken(miniProgram, func() (err error) {
			res, err = c.MP.GetSecurity().MsgCheckContext(ctx, &security.MsgCheckRequest{OpenID: openid, Scene: security.MsgSceneForum, Content: piece})
			return err
		})
		if err != nil {
			return mashang.SecurityVerdict{}, apiError("wxa/msg_sec_check", err)
		}
		v := mashang.SecurityVerdict{Suggest: string(res.Result.Suggest), Label: int(res.Result.Label), TraceID: res.TraceID}
		if rank(v.Suggest) > rank(verdict.Suggest) || verdict.TraceID == "" {
			verdict = v // the worst piece speaks for the whole
		}
	}
	return verdict, nil
}

func rank(suggest string) int {
	switch suggest {
	case "risky":
		return 2
	case "review":
		return 1
	}
	return 0
}

func splitRunes(s string, n int) []string {
	r := []rune(s)
	var out []string
	for len(r) > n {
		out, r = append(out, string(r[:n])), r[n:]
	}
	return append(out, string(r))
}

// MediaCheckAsync sends a file's URL to WeChat's asynchronous media check
// (v2) (mashang.MediaChecker): WeChat downloads it and pushes its verdict,
// matched by the trace ID, to the Mini Program's message push URL.
func (c *Clients) MediaCheckAsync(ctx context.Context, openid, mediaURL string, image bool) (string, error) {
	if c.MP == nil {
		return "", &APIError{Op: "wxa/media_check_async", err: errors.New("no Mini Program is configured (MASHANG_MP_APPID)")}
	}
	mediaType := uint8(1) // audio
	if image {
		mediaType = 2
	}
	var traceID string
	err := c.withToken(miniProgram, func() (err error) {
		traceID, err = c.MP.GetSecurity().MediaCheckAsyncContext(ctx, &security.MediaCheckAsyncRequest{
			MediaURL: mediaURL, MediaType: mediaType, OpenID: openid, Scene: uint8(security.MsgSceneForum)})
		return err
	})
	if err != nil {
		return "", apiError("wxa/media_check_async", err)
	}
	return traceID, nil
}
