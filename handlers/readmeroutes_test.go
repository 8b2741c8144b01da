package handlers_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"mashang/store"
	"mashang/wechat/wechattest"
)

// readmePath is a route as the README writes it, in backticks: an optional
// method, then the path (with <placeholders>, … and a|b alternatives).
var readmePath = regexp.MustCompile("`(?:(GET|POST|DELETE|PUT) )?(/(?:<[^>]+>|[^`\\s?\\[])*)")

// Every route the README names is one the router serves: a reader who
// types an address from the README reaches a page, never a 404 the README
// did not expect. Paths outside the service's own (a file such as
// /var/lib/mashang) are not routes and are left alone; the sandbox's own
// pages (/sandbox/) are app's, tried by the README's walkthroughs.
func TestEveryRouteTheREADMENamesIsServed(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	engine, ok := checkerOf(t, e).next.(*gin.Engine)
	if !ok {
		t.Fatalf("the checker wraps %T", checkerOf(t, e).next)
	}
	type route struct{ method, path string }
	var routes []route
	firsts := map[string]bool{}
	for _, r := range engine.Routes() {
		routes = append(routes, route{r.Method, r.Path})
		firsts[strings.Split(r.Path, "/")[1]] = true
	}
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, m := range readmePath.FindAllStringSubmatch(string(data), -1) {
		method, path := m[1], strings.TrimRight(m[2], ".,;:")
		segments := strings.Split(path, "/")[1:]
		if !firsts[strings.Split(segments[0], "|")[0]] {
			continue // not the service's: a file, a folder
		}
		checked++
		prefix := strings.HasSuffix(path, "/") || strings.HasSuffix(path, "…")
		if prefix {
			segments = segments[:len(segments)-1]
		}
		for _, alt := range expandAlternatives(segments) {
			found := false
			for _, r := range routes {
				if (method == "" || method == r.method) && routeMatches(alt, strings.Split(r.path, "/")[1:], prefix) {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("the README names `%s`, which the router does not serve", strings.TrimSpace(method+" /"+strings.Join(alt, "/")))
			}
		}
	}
	if checked < 50 {
		t.Fatalf("only %d routes read from the README", checked)
	}
}

// expandAlternatives reads a segment a|b|c as three paths.
func expandAlternatives(segments []string) [][]string {
	out := [][]string{nil}
	for _, s := range segments {
		var next [][]string
		for _, o := range out {
			for _, a := range strings.Split(s, "|") {
				next = append(next, append(append([]string(nil), o...), a))
			}
		}
		out = next
	}
	return out
}

// routeMatches says whether the README's path is the route: a <placeholder>
// or … segment is any value of a :parameter; with prefix, the route may go
// on below the path.
func routeMatches(readme, route []string, prefix bool) bool {
	if len(route) == 1 && route[0] == "" {
		route = nil
	}
	if len(readme) > len(route) || (!prefix && len(readme) != len(route)) {
		return false
	}
	for i, s := range readme {
		r := route[i]
		switch {
		case strings.HasPrefix(r, "*"):
			return true
		case s == r:
		case strings.HasPrefix(r, ":") && s != "":
			// a parameter takes any value the README writes, placeholder or not
		case (strings.Contains(s, "<") || s == "…") && strings.HasPrefix(r, ":"):
		default:
			return false
		}
	}
	return true
}
