package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// readPrimaryCookie holds, in Unix milliseconds, until when the browser's
// console pages read from the primary database rather than a replica.
const readPrimaryCookie = "mashang_read_primary"

// readOwnWrites lets a person who just acted read their own write when
// the console's heavy reads go to a replica (Deps.Console.ReadPrimary set).
// Every POST (an action, or a try at one) marks the browser for
// ReadPrimaryFor; the pages it opens while marked read the primary. A
// mark in the browser rather than a wait for the replica to catch up
// (MASTER_GTID_WAIT): it costs the write path nothing, works the same with
// a MariaDB replica, a Galera node or a MySQL one, and a replica far
// behind slows nobody's page. It is no secret: forged, it only sends that
// person's reads to the primary, and never for longer than ReadPrimaryFor.
func (con *console) readOwnWrites(c *gin.Context) {
	mark, window := con.deps.ReadPrimary, con.deps.ReadPrimaryFor
	if mark == nil || window <= 0 {
		c.Next()
		return
	}
	now := time.Now()
	if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
		// Set before the action answers: its answer (a redirect, a page)
		// is written before control comes back here.
		until := now.Add(window)
		http.SetCookie(c.Writer, &http.Cookie{Name: readPrimaryCookie, Value: strconv.FormatInt(until.UnixMilli(), 10),
			Path: "/console", Expires: until, MaxAge: int(window / time.Second), HttpOnly: true,
			Secure: secureCookie(c, con.deps.PublicURL), SameSite: http.SameSiteLaxMode})
		c.Request = c.Request.WithContext(mark(c.Request.Context()))
		c.Next()
		return
	}
	if v, err := c.Cookie(readPrimaryCookie); err == nil {
		ms, err := strconv.ParseInt(v, 10, 64)
		if until := time.UnixMilli(ms); err == nil && until.After(now) && until.Sub(now) <= window {
			c.Request = c.Request.WithContext(mark(c.Request.Context()))
		}
	}
	c.Next()
}
