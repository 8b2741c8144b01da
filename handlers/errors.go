package handlers

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"mashang"
	"mashang/web"
)

// How an error becomes an answer. Every error a handler meets goes through
// statusFor and then one function per surface:
//
//	the WeChat callbacks        answerPush (callback.go)
//	the Mini Program JSON API   failJSON, through mpAPI.fail
//	the staff JSON API          failJSON, through staffAPI.fail
//	the console (HTML)          console.fail, or a redirect with the message
//	the deputies' pages (HTML)  deputyDesk.fail, or a redirect with the message
//	public pages and codes      failPublic
//
// What a person reads is mashang.ErrorMessage: the message of a
// *mashang.Error, written for them, or a neutral sentence. What went wrong
// inside (5xx) goes to the log with the request id, never to the client.

// Codes the HTTP edge adds to the domain's: they are about the request, not
// about cases, and openapi.yaml lists them beside the domain's.
const (
	eTooLarge    = "too_large"
	eRateLimited = mashang.ELIMITED
	eDisabled    = "disabled"
)

// statusFor maps error codes to HTTP, in one place.
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
	case mashang.EUNAVAILABLE, eDisabled:
		return http.StatusServiceUnavailable
	case eTooLarge:
		return http.StatusRequestEntityTooLarge
	case eRateLimited:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// logged answers err's status, first writing to the log what the client is
// not told: the error itself when the failure is the service's (5xx), with
// the request id that finds the request's other lines.
func logged(c *gin.Context, log *slog.Logger, err error) int {
	status := statusFor(err)
	if status >= 500 {
		log.Error("request failed", "status", status, "method", c.Request.Method, "route", c.FullPath(),
			"err", err, requestIDKey, c.GetString(requestIDKey))
	}
	return status
}

// apiError is the body of every refusal of the JSON APIs (openapi.yaml's
// Error).
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// failJSON answers err on the Mini Program and staff JSON APIs, and stops
// the request there (it serves middleware as well as handlers).
func failJSON(c *gin.Context, log *slog.Logger, err error) {
	status := logged(c, log, err)
	c.AbortWithStatusJSON(status, apiError{mashang.ErrorCode(err), mashang.ErrorMessage(err)})
}

// failPublic answers err on the pages anyone opens without signing in: the
// results wall, stations' pages, the codes and the pages they lead to.
func failPublic(c *gin.Context, log *slog.Logger, err error) {
	publicPage(c, log, logged(c, log, err), "public_message.html", gin.H{"Title": "码上", "Message": mashang.ErrorMessage(err)})
}

// publicPage renders a public template.
func publicPage(c *gin.Context, log *slog.Logger, status int, name string, data gin.H) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'")
	c.Header("Cache-Control", "public, max-age=300")
	if status >= 500 {
		c.Header("Cache-Control", "no-store") // a passing failure must not be kept by caches
	}
	c.Status(status)
	if err := web.Templates.ExecuteTemplate(c.Writer, name, data); err != nil {
		log.Error("public page", "page", name, "err", err, requestIDKey, c.GetString(requestIDKey))
	}
}
