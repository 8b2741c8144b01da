package handlers

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/gin-gonic/gin"

	"mashang"
)

// maxFormBytes caps a request's body unless its route has a limit of its
// own: far more than any form's or JSON body's fields (a reply, an
// activity), far less than a file.
const maxFormBytes = 256 << 10

// maxFormMemory is how much of a multipart form is held in memory; the rest
// of its files goes to the temporary folder, within the body's cap.
const maxFormMemory = 1 << 20

// capBodies caps every request's body before anything reads it: at its
// route's limit (limits, by gin's route pattern) or maxFormBytes. A body
// that claims more is refused on its head, unread, so nothing of it reaches
// memory or the temporary folder; one sent without a length is cut off at
// the limit while it is read, and whoever reads it (readForm, decodeJSON,
// the photo upload) answers 413. The routes in own cap their bodies
// themselves, first thing (the WeChat callbacks: their refusals are
// counted by type).
func capBodies(limits map[string]int64, own map[string]bool, refuse func(*gin.Context, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Body == nil || c.Request.Body == http.NoBody || own[c.FullPath()] {
			c.Next()
			return
		}
		limit, ok := limits[c.FullPath()]
		if !ok {
			limit = maxFormBytes
		}
		if c.Request.ContentLength > limit {
			refuse(c, tooLarge(limit))
			c.Abort()
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		c.Next()
	}
}

// tooLarge is the refusal of a body over limit bytes.
func tooLarge(limit int64) error {
	size := fmt.Sprintf("%dKB", limit>>10)
	if limit >= 1<<20 {
		size = fmt.Sprintf("%dMB", limit>>20)
	}
	return mashang.Errorf(eTooLarge, "提交的内容过大：不能超过%s，请删减后重新提交", size)
}

// readForm parses a posted form, urlencoded or multipart, within the body's
// cap. It must come before the first PostForm: gin's swallows the error of
// a form cut off at the cap and reads it as a form without fields, which
// would be answered as a wrong password or a failed CSRF check.
func readForm(c *gin.Context) error {
	err := c.Request.ParseForm()
	if err == nil && strings.HasPrefix(c.ContentType(), "multipart/") {
		err = c.Request.ParseMultipartForm(maxFormMemory)
	}
	var cut *http.MaxBytesError
	switch {
	case errors.As(err, &cut):
		return tooLarge(cut.Limit)
	case err != nil:
		return mashang.Errorf(mashang.EINVALID, "表单不完整或无法读取，请返回页面刷新后重新提交")
	}
	return nil
}

// httpsKey marks a request that reached the service over https, directly
// or through a trusted proxy.
const httpsKey = "over_https"

// overHTTPS notes whether the browser reached the service over https: TLS
// here, or X-Forwarded-Proto from a trusted proxy (nobody else's is
// believed, as with X-Forwarded-For).
func overHTTPS(trusted []*net.IPNet) gin.HandlerFunc {
	return func(c *gin.Context) {
		https := c.Request.TLS != nil
		if !https && strings.EqualFold(c.GetHeader("X-Forwarded-Proto"), "https") {
			ip := net.ParseIP(c.RemoteIP())
			for _, n := range trusted {
				if ip != nil && n.Contains(ip) {
					https = true
					break
				}
			}
		}
		c.Set(httpsKey, https)
		c.Next()
	}
}

// secureCookie tells whether a cookie must be Secure: when the browser came
// over https, or the service's public address is https (a browser that
// came over http there is on its way to be redirected).
func secureCookie(c *gin.Context, publicURL string) bool {
	return c.GetBool(httpsKey) || strings.HasPrefix(publicURL, "https://")
}

// networks reads trusted proxies as gin takes them: addresses or CIDR ranges.
func networks(list []string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, s := range list {
		if !strings.Contains(s, "/") {
			ip := net.ParseIP(s)
			if ip == nil {
				return nil, fmt.Errorf("%q is not an IP address or CIDR range", s)
			}
			bits := 8 * net.IPv4len
			if ip.To4() == nil {
				bits = 8 * net.IPv6len
			}
			s = fmt.Sprintf("%s/%d", s, bits)
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR range", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// writable checks that a file can be written into dir and reach the disk:
// a full disk or a folder turned read-only fails here.
func writable(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".readyz-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(make([]byte, 4096))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
