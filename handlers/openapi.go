package handlers

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
	"go.yaml.in/yaml/v3"
)

// openAPIYAML is the contract of the Mini Program and staff APIs (OpenAPI
// 3.0.3), written for the Mini Program's developers. The handler tests check
// every answer of a documented route against it (contract_test.go).
//
//go:embed openapi.yaml
var openAPIYAML []byte

// openAPIJSON is the same document as JSON, converted once on first use.
var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(openAPIYAML, &doc); err != nil {
		return nil, err
	}
	return json.Marshal(doc)
})

// serveOpenAPIYAML answers GET /openapi.yaml.
func serveOpenAPIYAML(c *gin.Context) {
	c.Data(http.StatusOK, "application/yaml; charset=utf-8", openAPIYAML)
}

// serveOpenAPIJSON answers GET /openapi.json.
func serveOpenAPIJSON(c *gin.Context) {
	doc, err := openAPIJSON()
	if err != nil { // the tests convert it: a bug
		c.AbortWithStatus(http.StatusInternalServerError)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", doc)
}
