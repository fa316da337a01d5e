package web

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes checks that every API route is documented, every documented operation
// is a route, every $ref resolves and every path parameter is declared.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t)
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	r := e.must(e.call("GET", "/api/v1/openapi.json", "", nil, &doc), 200)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	routes := map[string]bool{}
	for _, rt := range e.web.apiRoutes() {
		key := rt.method + " " + openAPIPath(rt.path)
		routes[key] = true
		d, ok := opDocs[key]
		if !ok || d.summary == "" {
			t.Errorf("route %s is not documented", key)
		}
		op := doc.Paths[openAPIPath(rt.path)][strings.ToLower(rt.method)]
		if op == nil {
			t.Errorf("route %s missing from the document", key)
			continue
		}
		if _, ok := op["responses"]; !ok {
			t.Errorf("%s has no responses", key)
		}
		params, _ := op["parameters"].([]any)
		if want := strings.Count(rt.path, ":"); len(params) != want {
			t.Errorf("%s declares %d path parameters, want %d", key, len(params), want)
		}
	}
	for key := range opDocs {
		if !routes[key] {
			t.Errorf("documented operation %s has no route", key)
		}
	}
	// every $ref resolves
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				name := strings.TrimPrefix(ref, "#/components/schemas/")
				if _, ok := doc.Components.Schemas[name]; !ok || name == ref {
					t.Errorf("unresolved $ref %s", ref)
				}
			}
			for _, v := range x {
				walk(v)
			}
		case []any:
			for _, v := range x {
				walk(v)
			}
		}
	}
	var all any
	_ = json.Unmarshal(r.Body, &all)
	walk(all)
}
