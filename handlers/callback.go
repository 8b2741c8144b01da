package handlers

import (
	"context"
	"errors"
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
		c.String(http.StatusBadRequest, "could not read the request body")
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
		c.Set(pushOutcomeKey, "store_failed")
		// 5xx makes WeChat deliver again; the dedup key makes that safe.
		cb.deps.Log.Error("push not stored; answered 503 so WeChat retries",
			"err", err, "msg_type", msg.MsgType, "event", msg.Event, requestIDKey, c.GetString(requestIDKey))
		c.String(http.StatusServiceUnavailable, "temporarily unable to store the message; WeChat will retry")
		return
	}
	out, err := session.Seal(reply)
	if err != nil {
		// Stored, but the answer cannot be rendered: a retry will find the
		// dedup key and try again.
		cb.deps.Log.Error("reply not rendered", "err", err, requestIDKey, c.GetString(requestIDKey))
		c.Set(pushOutcomeKey, "reply_failed")
		c.String(http.StatusInternalServerError, "could not render the reply")
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

var errTooLarge = errors.New("request body too large")

// refuse answers a push that is not WeChat's, or not well formed, with a 4xx
// that says why, and logs it: a burst of these is an attack or a wrong Token.
func (cb *callback) refuse(c *gin.Context, err error) {
	refusePush(c, cb.deps.Log, err, oaSettings)
}

// pushSettings names what an administrator checks when pushes are refused.
type pushSettings struct{ token, aesKey, appID, where string }

var (
	oaSettings = pushSettings{"MASHANG_WECHAT_TOKEN", "MASHANG_WECHAT_AES_KEY", "MASHANG_WECHAT_APPID", "WeChat's server configuration"}
	mpSettings = pushSettings{"MASHANG_MP_TOKEN", "MASHANG_MP_AES_KEY", "MASHANG_MP_APPID", "the Mini Program's message push configuration (消息推送)"}
)

func refusePush(c *gin.Context, log *slog.Logger, err error, names pushSettings) {
	status, text, outcome := http.StatusBadRequest, "malformed push: "+err.Error(), "refused_malformed"
	switch {
	case errors.Is(err, errTooLarge):
		status, text, outcome = http.StatusRequestEntityTooLarge, "request body too large", "refused_too_large"
	case errors.Is(err, wechat.ErrBadSignature):
		status, text, outcome = http.StatusForbidden, "signature does not match: check that "+names.token+" equals the Token in "+names.where, "refused_signature"
	case errors.Is(err, wechat.ErrStale):
		status, text, outcome = http.StatusForbidden, "timestamp too far from now: check the server's clock", "refused_stale"
	case errors.Is(err, wechat.ErrPlaintext):
		status, text, outcome = http.StatusForbidden, "plaintext pushes are refused: set WeChat's message mode to safe (安全模式)", "refused_plaintext"
	case errors.Is(err, wechat.ErrWrongAppID):
		text, outcome = "the message is for another AppID: check "+names.appID, "refused_appid"
	case errors.Is(err, wechat.ErrUndecryptable):
		text, outcome = "cannot decrypt the message: check "+names.aesKey+" against the EncodingAESKey in "+names.where, "refused_undecryptable"
	}
	c.Set(pushOutcomeKey, outcome)
	log.Warn("push refused", "status", status, "reason", err.Error(),
		"remote", c.ClientIP(), requestIDKey, c.GetString(requestIDKey))
	c.String(status, text)
}
