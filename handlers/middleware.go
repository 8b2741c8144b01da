package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/gin-gonic/gin"
)

const requestIDKey = "request_id"

// requestID tags each request with an id, taken from X-Request-Id when a
// proxy set one, so log lines of one request can be found together.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-Id")
		if id == "" || len(id) > 64 {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(requestIDKey, id)
		c.Header("X-Request-Id", id)
		c.Next()
	}
}

// recoverer turns a panic into a 500 and a log line with the stack; a
// panic is a bug, never an expected failure.
func recoverer(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if p := recover(); p != nil {
				log.Error("panic serving request", "path", c.FullPath(), "panic", p, "stack", string(debug.Stack()),
					requestIDKey, c.GetString(requestIDKey))
				c.AbortWithStatus(http.StatusInternalServerError)
			}
		}()
		c.Next()
	}
}
