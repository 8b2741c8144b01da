// Package web holds the pages the service renders, embedded into the
// binary so that `mashang serve` needs nothing else on disk.
package web

import (
	"embed"
	"html/template"
)

//go:embed templates/*.html
var files embed.FS

// Templates are parsed once, at start-up; a template that does not parse
// is a bug caught by any test that starts the router.
var Templates = template.Must(template.ParseFS(files, "templates/*.html"))
