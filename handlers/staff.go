package handlers

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"mashang"
)

// ReplyService answers citizens (implemented by *mashang.Replies).
type ReplyService interface {
	Reply(ctx context.Context, number, staff, text string) error
}

// apiError is the JSON body of every staff API error: a stable code and a
// message a person can read.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// staffOnly admits requests that carry the staff API token. It stands in
// for the console's accounts (issue 6), compared in constant time.
func staffOnly(token string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if token == "" {
			c.AbortWithStatusJSON(http.StatusServiceUnavailable, apiError{"disabled", "员工接口未启用：请配置 MASHANG_STAFF_API_TOKEN"})
			return
		}
		got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			c.AbortWithStatusJSON(http.StatusUnauthorized, apiError{"unauthorized", "缺少或错误的员工接口令牌（Authorization: Bearer …）"})
			return
		}
		c.Next()
	}
}

type staffAPI struct{ deps Deps }

type replyRequest struct {
	Text  string `json:"text"`
	Staff string `json:"staff"`
}

// reply answers POST /api/cases/:number/replies {"text": "…", "staff": "…"}:
// the answer goes on the timeline and to the citizen through the outbox.
func (s *staffAPI) reply(c *gin.Context) {
	var req replyRequest
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, 16<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooLarge *http.MaxBytesError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooLarge):
			c.JSON(http.StatusRequestEntityTooLarge, apiError{"too_large", "请求超过16KB"})
		case errors.As(err, &typeErr):
			c.JSON(http.StatusBadRequest, apiError{"invalid", "字段「" + typeErr.Field + "」应为字符串"})
		case errors.Is(err, io.EOF):
			c.JSON(http.StatusBadRequest, apiError{"invalid", "请求体为空，应为 {\"text\": \"答复内容\", \"staff\": \"答复人\"}"})
		default:
			c.JSON(http.StatusBadRequest, apiError{"invalid", "请求不是有效的 JSON：" + err.Error()})
		}
		return
	}
	if err := s.deps.Replies.Reply(c.Request.Context(), c.Param("number"), req.Staff, req.Text); err != nil {
		status := statusFor(err)
		if status >= 500 {
			s.deps.Log.Error("reply failed", "err", err, requestIDKey, c.GetString(requestIDKey))
		}
		c.JSON(status, apiError{mashang.ErrorCode(err), mashang.ErrorMessage(err)})
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"status": "queued", "message": "答复已记录，正在通过公众号发送"})
}
