package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"mashang"
)

// A flash is what the page after an action says about it, once: the
// action keeps it in a cookie and redirects, and the next page shows it and
// clears it. Pages never show text from their address (?error=…), which
// anyone could write into a link: only what the server chose, for this
// browser. The cookie is signed with a secret of the session's own (the
// console's CSRF token, a deputy's page token), so neither another site nor
// another session can put words on a page.
type flash struct {
	Done  string `json:"d,omitempty"`
	Error string `json:"e,omitempty"`
}

const flashCookie = "mashang_flash"

// outcome is the flash of an action that ended with err (nil: done), and
// logs what the person is not told.
func outcome(c *gin.Context, log *slog.Logger, done string, err error) flash {
	if err != nil {
		logged(c, log, err)
		return flash{Error: mashang.ErrorMessage(err)}
	}
	return flash{Done: done}
}

// flashes keeps flashes for one surface's pages (under path).
type flashes struct {
	path      string
	sameSite  http.SameSite
	publicURL string
}

// redirect keeps f for the next page, signed with key, and goes there.
func (fl flashes) redirect(c *gin.Context, to, key string, f flash) {
	// Kept within a cookie's 4 KB: a long list of failures is cut short.
	f.Done, f.Error = shorten(f.Done, 200), shorten(f.Error, 500)
	payload, _ := json.Marshal(f) // two strings: cannot fail
	body := base64.RawURLEncoding.EncodeToString(payload)
	fl.set(c, body+"."+base64.RawURLEncoding.EncodeToString(fl.mac(key, body)), 60)
	c.Redirect(http.StatusSeeOther, to)
}

// take reads and clears the flash kept for this page, if it was signed
// with key.
func (fl flashes) take(c *gin.Context, key string) flash {
	value, err := c.Cookie(flashCookie)
	if err != nil || value == "" {
		return flash{}
	}
	fl.set(c, "", -1)
	body, sig, _ := strings.Cut(value, ".")
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || key == "" || !hmac.Equal(got, fl.mac(key, body)) {
		return flash{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(body)
	var f flash
	if err != nil || json.Unmarshal(payload, &f) != nil {
		return flash{}
	}
	return f
}

func (fl flashes) set(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: flashCookie, Value: value, Path: fl.path, MaxAge: maxAge, HttpOnly: true,
		Secure: secureCookie(c, fl.publicURL), SameSite: fl.sameSite})
}

func (fl flashes) mac(key, body string) []byte {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte("mashang-flash\x00" + fl.path + "\x00" + body))
	return m.Sum(nil)
}

// show puts a flash on a page's data, unless the page says something of
// its own.
func (f flash) show(data gin.H) {
	if f.Done != "" && data["Done"] == nil {
		data["Done"] = f.Done
	}
	if f.Error != "" && data["Error"] == nil {
		data["Error"] = f.Error
	}
}
