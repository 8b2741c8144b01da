// Package web holds the pages the service renders, embedded into the
// binary so that `mashang serve` needs nothing else on disk.
package web

import (
	"embed"
	"html/template"
	"time"

	"mashang"
)

//go:embed templates/*.html
var files embed.FS

// Templates are parsed once, at start-up; a template that does not parse
// is a bug caught by any test that starts the router.
var Templates = template.Must(template.New("").Funcs(template.FuncMap{
	// cst shows a time as staff read it: China time, to the minute.
	"cst":   func(t time.Time) string { return t.In(mashang.China).Format("2006-01-02 15:04") },
	"deref": func(f *float64) float64 { return *f },
	"kb":    func(n int64) float64 { return float64(n) / 1024 },
	// verdict and contactWay name a suggestion's evaluation verdicts and
	// ways of contact in Chinese.
	"verdict":    func(v string) string { return mashang.VerdictNames[v] },
	"contactWay": func(w string) string { return mashang.ContactWays[w] },
	"roleLabel": func(role string) string {
		return map[string]string{"admin": "管理员", "staff": "人大工作人员", "secretary": "联络站秘书", "handler": "承办单位经办人"}[role]
	},
}).ParseFS(files, "templates/*.html"))
