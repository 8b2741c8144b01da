// Package mashang is the domain of 码上: a people's-congress deputy liaison
// service reached through WeChat. It holds the things (stations, deputies,
// inbound messages, followers, and later cases, routing and deadlines) and the
// rules between them, in plain Go. It imports nothing of HTTP, SQL or the
// WeChat SDK: the handlers, store and wechat packages adapt the outside world
// to it, and talk to it through the small interfaces it declares.
package mashang

import (
	"errors"
	"fmt"
)

// Error codes: few, so that every edge maps them the same way.
const (
	EINVALID     = "invalid"      // the caller sent something wrong; saying what is the message
	ENOTFOUND    = "not_found"    // no such thing (or not theirs to see)
	ECONFLICT    = "conflict"     // the thing already exists or changed meanwhile
	EFORBIDDEN   = "forbidden"    // known caller, not allowed
	EUNAVAILABLE = "unavailable"  // a dependency (database, WeChat) is down; try again
	ERATELIMITED = "rate_limited" // too many attempts, or one person's limit reached (a quota, cases a day); the message says which and when to try again
	EINTERNAL    = "internal"     // a bug; details are logged, never shown
)

// Error is an error meant for a person: Message is written for whoever made
// the request, in their language, and is safe to show.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf builds an *Error.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain and a
// neutral sentence for anything else: internal detail is for the logs.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "服务内部错误，请稍后再试。"
}
