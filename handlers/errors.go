package handlers

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"mashang"
)

// statusFor maps the domain's error codes to HTTP, in one place.
func statusFor(err error) int {
	switch mashang.ErrorCode(err) {
	case mashang.EINVALID:
		return http.StatusBadRequest
	case mashang.ENOTFOUND:
		return http.StatusNotFound
	case mashang.ECONFLICT:
		return http.StatusConflict
	case mashang.EFORBIDDEN:
		return http.StatusForbidden
	case mashang.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case mashang.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// fail answers with the error's message for people; internal detail goes to
// the log only.
func fail(c *gin.Context, log *slog.Logger, err error) {
	status := statusFor(err)
	if status >= 500 {
		log.Error("request failed", "path", c.FullPath(), "err", err, requestIDKey, c.GetString(requestIDKey))
	}
	c.String(status, mashang.ErrorMessage(err))
}
