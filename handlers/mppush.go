package handlers

import (
	"errors"
	"fmt"
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
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		p.refuse(c, errTooLarge)
		return
	} else if err != nil {
		p.refuse(c, fmt.Errorf("%w: %w", errUnreadable, err))
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
			p.refuse(c, fmt.Errorf("media check for trace %q: %w", result.TraceID, errNotYet))
			return
		} else if err != nil {
			p.refuse(c, fmt.Errorf("media check not recorded: %w: %w", errNotStored, err))
			return
		}
	}
	c.String(http.StatusOK, "success")
}

func (p *mpPush) refuse(c *gin.Context, err error) { answerPush(c, p.deps.Log, err, mpSettings) }
