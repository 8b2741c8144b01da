package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"mashang"
	"mashang/wechat"
)

type callback struct {
	deps CallbackDeps
}

// verifyURL answers the check WeChat makes when the server URL is saved.
func (cb *callback) verifyURL(c *gin.Context) {
	echostr, err := cb.deps.Inbound.VerifyURL(wechat.QueryFrom(c.Request.URL.Query()))
	if err != nil {
		cb.refuse(c, err)
		return
	}
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(echostr))
}

// receive takes one push. Order matters: check it, store it, answer it.
// Nothing is acknowledged that was not stored; what is refused leaves nothing.
func (cb *callback) receive(c *gin.Context) {
	if c.Request.ContentLength > cb.deps.MaxBodyBytes {
		cb.refuse(c, errTooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, cb.deps.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			cb.refuse(c, errTooLarge)
			return
		}
		cb.refuse(c, fmt.Errorf("%w: %w", errUnreadable, err))
		return
	}
	msg, session, err := cb.deps.Inbound.Open(wechat.QueryFrom(c.Request.URL.Query()), body)
	if err != nil {
		cb.refuse(c, err)
		return
	}
	pushType := msg.MsgType
	if msg.MsgType == mashang.MsgEvent {
		pushType += "/" + strings.ToLower(msg.Event)
	}
	if len(pushType) > 40 { // signed by WeChat, but a label must stay bounded
		pushType = "other"
	}
	c.Set(pushTypeKey, pushType)

	ctx, cancel := context.WithTimeout(c.Request.Context(), cb.deps.CallbackTimeout)
	defer cancel()
	reply, err := cb.deps.Receiver.Receive(ctx, msg)
	if err != nil {
		if mashang.ErrorCode(err) == mashang.EINVALID {
			cb.refuse(c, err)
			c.Set(pushOutcomeKey, "refused_invalid")
			return
		}
		// 5xx makes WeChat deliver again; the dedup key makes that safe.
		cb.refuse(c, fmt.Errorf("%w: %w", errNotStored, err))
		return
	}
	out, err := session.Seal(reply)
	if err != nil {
		// Stored, but the answer cannot be rendered: a retry will find the
		// dedup key and try again.
		cb.refuse(c, fmt.Errorf("%w: %w", errNotSealed, err))
		return
	}
	c.Set(pushOutcomeKey, "stored")
	if reply.Repeat {
		c.Set(pushOutcomeKey, "repeat")
	}
	contentType := "text/xml; charset=utf-8"
	if reply.IsEmpty() {
		contentType = "text/plain; charset=utf-8"
	}
	c.Data(http.StatusOK, contentType, out)
}

// Why a push was not taken, beside the wechat package's refusals.
var (
	errTooLarge   = errors.New("request body too large")
	errUnreadable = errors.New("request body not read to its end")
	errNotStored  = errors.New("push not stored; answered 503 so WeChat retries")
	errNotYet     = errors.New("push about something not (yet) known; answered 503 so WeChat retries")
	errNotSealed  = errors.New("push stored but its reply not rendered; answered 500 so WeChat retries")
)

// refuse answers a push not taken: not WeChat's, not well formed, or not
// stored (answerPush).
func (cb *callback) refuse(c *gin.Context, err error) {
	answerPush(c, cb.deps.Log, err, oaSettings)
}

// pushSettings names what an administrator checks when pushes are refused.
type pushSettings struct{ token, aesKey, appID, where string }

var (
	oaSettings = pushSettings{"MASHANG_WECHAT_TOKEN", "MASHANG_WECHAT_AES_KEY", "MASHANG_WECHAT_APPID", "WeChat's server configuration"}
	mpSettings = pushSettings{"MASHANG_MP_TOKEN", "MASHANG_MP_AES_KEY", "MASHANG_MP_APPID", "the Mini Program's message push configuration (消息推送)"}
)

// pushAnswer is how the callbacks answer a push they did not take.
type pushAnswer struct {
	status  int
	text    string // for the sender: one fixed sentence per reason
	outcome string // the metric's label ("": by status)
	hint    string // for the administrator, in the log only
}

// pushAnswerFor says how to answer err. Whatever is not a known refusal
// or failure is a push that does not parse: malformed.
func pushAnswerFor(err error, names pushSettings) pushAnswer {
	switch {
	case errors.Is(err, errTooLarge):
		return pushAnswer{http.StatusRequestEntityTooLarge, "请求体过大", "refused_too_large", ""}
	case errors.Is(err, errUnreadable):
		return pushAnswer{http.StatusBadRequest, "请求体没有读完", "", ""}
	case errors.Is(err, wechat.ErrBadSignature):
		return pushAnswer{http.StatusForbidden, "签名不符", "refused_signature",
			"check that " + names.token + " equals the Token in " + names.where}
	case errors.Is(err, wechat.ErrStale):
		return pushAnswer{http.StatusForbidden, "时间戳与服务器时间相差太远", "refused_stale", "check the server's clock"}
	case errors.Is(err, wechat.ErrPlaintext):
		return pushAnswer{http.StatusForbidden, "不接受明文推送，请使用安全模式", "refused_plaintext",
			"set the message mode in " + names.where + " to safe (安全模式)"}
	case errors.Is(err, wechat.ErrWrongAppID):
		return pushAnswer{http.StatusBadRequest, "消息不是发给本服务的 AppID", "refused_appid", "check " + names.appID}
	case errors.Is(err, wechat.ErrUndecryptable):
		return pushAnswer{http.StatusBadRequest, "无法解密消息", "refused_undecryptable",
			"check " + names.aesKey + " against the EncodingAESKey in " + names.where}
	case errors.Is(err, errNotYet): // WeChat can be quicker than we are: asked again, we will know
		return pushAnswer{http.StatusServiceUnavailable, "暂时无法处理，请稍后重发", "", ""}
	case errors.Is(err, errNotStored):
		return pushAnswer{http.StatusServiceUnavailable, "暂时无法保存消息，请稍后重发", "store_failed", ""}
	case errors.Is(err, errNotSealed):
		return pushAnswer{http.StatusInternalServerError, "无法生成回复，请稍后重发", "reply_failed", ""}
	}
	return pushAnswer{http.StatusBadRequest, "消息格式不正确", "refused_malformed", ""}
}

// answerPush is the callbacks' one way to answer an error: a fixed sentence
// to the sender; the error itself and what to check go to the log, as a
// warning for a refusal (a burst of them is an attack or a wrong Token) and
// an error for a failure of ours.
func answerPush(c *gin.Context, log *slog.Logger, err error, names pushSettings) {
	a := pushAnswerFor(err, names)
	if a.outcome != "" {
		c.Set(pushOutcomeKey, a.outcome)
	}
	level, msg := slog.LevelWarn, "push refused"
	if a.status >= 500 && !errors.Is(err, errNotYet) {
		level, msg = slog.LevelError, "push failed"
	}
	attrs := []any{"status", a.status, "reason", err.Error(), "push_type", c.GetString(pushTypeKey),
		"remote", c.ClientIP(), requestIDKey, c.GetString(requestIDKey)}
	if a.hint != "" {
		attrs = append(attrs, "check", a.hint)
	}
	log.Log(c.Request.Context(), level, msg, attrs...)
	c.String(a.status, a.text)
}
