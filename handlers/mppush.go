package handlers

import (
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"mashang"
	"mashang/wechat"
)

// mpPush takes the Mini Program's message pushes (消息推送, JSON in safe
// mode): today, the verdicts of WeChat's asynchronous media check. Its
// refusals say MASHANG_MP_* where the Official Account's say MASHANG_WECHAT_*.
type mpPush struct{ deps MiniProgramDeps }

func (p *mpPush) verifyURL(c *gin.Context) {
	echostr, err := p.deps.MPInbound.VerifyURL(wechat.QueryFrom(c.Request.URL.Query()))
	if err != nil {
		p.refuse(c, err)
		return
	}
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(echostr))
}

// receive checks and decrypts one push and records what it says before
// answering "success"; a verdict not recorded is answered 503, so WeChat
// pushes it again.
func (p *mpPush) receive(c *gin.Context) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, p.deps.MaxBodyBytes))
	if err != nil {
		p.refuse(c, errTooLarge)
		return
	}
	plain, err := p.deps.MPInbound.OpenJSON(wechat.QueryFrom(c.Request.URL.Query()), body)
	if err != nil {
		p.refuse(c, err)
		return
	}
	event, result, err := wechat.ParseMPEvent(plain)
	if err != nil {
		p.refuse(c, err)
		return
	}
	if event == wechat.EventMediaCheck {
		err := p.deps.Photos.CheckResult(c.Request.Context(), result)
		if mashang.ErrorCode(err) == mashang.ENOTFOUND {
			// WeChat can answer before we have noted the trace ID it gave us:
			// asked again shortly, we will know it. (One that is truly not
			// ours is retried a few times and dropped by WeChat.)
			p.deps.Log.Warn("media check for a trace not (yet) known; answered 503 so WeChat retries", "trace_id", result.TraceID)
			c.String(http.StatusServiceUnavailable, "unknown trace_id; retry")
			return
		} else if err != nil {
			p.deps.Log.Error("media check not recorded; answered 503 so WeChat retries", "err", err, requestIDKey, c.GetString(requestIDKey))
			c.String(http.StatusServiceUnavailable, "temporarily unable to record the verdict; WeChat will retry")
			return
		}
	}
	c.String(http.StatusOK, "success")
}

func (p *mpPush) refuse(c *gin.Context, err error) { refusePush(c, p.deps.Log, err, mpSettings) }
