package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"mashang"
)

// LoginService signs citizens in to the Mini Program (*mashang.Login).
type LoginService interface {
	Login(ctx context.Context, code string) (string, time.Time, error)
}

// SessionVerifier checks a Mini Program session token (*mashang.Sessions).
type SessionVerifier interface {
	Verify(token string) (mashang.MPSession, error)
}

type mpAPI struct{ deps Deps }

const sessionKey = "mp_session"

// login answers POST /mp/login {"code": "<wx.login code>"}.
func (h *mpAPI) login(c *gin.Context) {
	var req struct {
		Code string `json:"code"`
	}
	if !decodeJSON(c, &req, 4<<10) {
		return
	}
	token, expires, err := h.deps.Login.Login(c.Request.Context(), req.Code)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"token": token, "expires_at": expires.UTC().Format(time.RFC3339)})
}

// signedIn admits requests with a valid session token (Authorization:
// Bearer …); the session is then in the context.
func (h *mpAPI) signedIn(c *gin.Context) {
	token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok {
		c.AbortWithStatusJSON(http.StatusUnauthorized, apiError{mashang.EUNAUTHORIZED, "请先登录（Authorization: Bearer <token>）"})
		return
	}
	session, err := h.deps.Sessions.Verify(token)
	if err != nil {
		c.AbortWithStatusJSON(http.StatusUnauthorized, apiError{mashang.ErrorCode(err), mashang.ErrorMessage(err)})
		return
	}
	c.Set(sessionKey, session)
	c.Next()
}

// me answers GET /mp/me: who the session is for (the openid masked).
func (h *mpAPI) me(c *gin.Context) {
	s := c.MustGet(sessionKey).(mashang.MPSession)
	c.JSON(http.StatusOK, gin.H{"openid": maskID(s.OpenID), "expires_at": s.ExpiresAt.UTC().Format(time.RFC3339)})
}

func (h *mpAPI) fail(c *gin.Context, err error) {
	status := statusFor(err)
	if status >= 500 {
		h.deps.Log.Error("mini program request failed", "path", c.FullPath(), "err", err, requestIDKey, c.GetString(requestIDKey))
	}
	c.JSON(status, apiError{mashang.ErrorCode(err), mashang.ErrorMessage(err)})
}

func maskID(s string) string {
	if len(s) <= 8 {
		return "****"
	}
	return s[:4] + "****" + s[len(s)-2:]
}

// decodeJSON reads a JSON body of at most max bytes into v, answering a
// readable 4xx itself when it cannot.
func decodeJSON(c *gin.Context, v any, max int64) bool {
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, max))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return true
	}
	var tooLarge *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooLarge):
		c.JSON(http.StatusRequestEntityTooLarge, apiError{"too_large", "请求过大"})
	case errors.As(err, &typeErr):
		c.JSON(http.StatusBadRequest, apiError{mashang.EINVALID, "字段「" + typeErr.Field + "」类型不对"})
	default:
		c.JSON(http.StatusBadRequest, apiError{mashang.EINVALID, "请求不是有效的 JSON：" + err.Error()})
	}
	return false
}
