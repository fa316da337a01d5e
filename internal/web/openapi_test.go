package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes checks that the served document loads and validates (every $ref
// resolves, every schema is one), that every API route is documented and every documented
// operation is a route, and that every path parameter is declared.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t)
	r := e.must(e.call("GET", "/api/v1/openapi.json", "", nil, nil), 200)
	doc, err := loadOpenAPI(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.0.3" {
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
		item := doc.Paths.Value(openAPIPath(rt.path))
		if item == nil || item.GetOperation(rt.method) == nil {
			t.Errorf("route %s missing from the document", key)
			continue
		}
		op := item.GetOperation(rt.method)
		if op.Responses.Len() < 2 || op.Responses.Default() == nil {
			t.Errorf("%s has no success or no error response", key)
		}
		inPath := 0
		for _, p := range op.Parameters {
			if p.Value.In == "path" {
				inPath++
			}
		}
		if want := strings.Count(rt.path, ":"); inPath != want {
			t.Errorf("%s declares %d path parameters, want %d", key, inPath, want)
		}
	}
	for key := range opDocs {
		if !routes[key] {
			t.Errorf("documented operation %s has no route", key)
		}
	}
	for _, name := range []string{"Error", "Questionnaire", "Progress", "CloseSummary", "AuditEntry"} {
		if s := doc.Components.Schemas[name]; s == nil || len(s.Value.Properties) == 0 {
			t.Errorf("schema %s is missing or has no properties", name)
		}
	}
}

// TestOpenAPICheckCatchesDrift shows that the check every API test makes (apiMismatch) catches
// an answer or a request the document does not describe.
func TestOpenAPICheckCatchesDrift(t *testing.T) {
	e := newEnv(t)
	sid := e.study("example")
	ok := e.call("GET", fmt.Sprintf("/api/v1/studies/%d", sid), e.admin, nil, nil)
	req := func(method, path, body string) *http.Request {
		r, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		r.Header.Set("Authorization", "Bearer "+e.admin)
		return r
	}
	study := fmt.Sprintf("/api/v1/studies/%d", sid)
	json := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	tests := []struct {
		name  string
		req   *http.Request
		body  string
		res   response
		wants string
	}{
		{"the real answer", req("GET", study, ""), "", ok, ""},
		{"a member of the wrong type", req("GET", study, ""), "",
			response{200, json, []byte(strings.Replace(string(ok.Body), `"id":`, `"id":"x","was":`, 1))}, `"/id"`},
		{"an undocumented member", req("GET", study, ""), "",
			response{200, json, []byte(strings.Replace(string(ok.Body), `{`, `{"extra":1,`, 1))}, "extra"},
		{"an undocumented status", req("GET", study, ""), "", response{202, json, ok.Body}, ""},
		{"another content type", req("GET", study, ""), "", response{200, http.Header{"Content-Type": {"text/plain"}}, ok.Body}, "text/plain"},
		{"an error of another shape", req("GET", study+"/nope", ""), "", response{404, json, []byte(`{"message":"no"}`)}, "error"},
		{"a 2xx to an invalid request", req("POST", "/api/v1/studies", `{"survey":3}`), `{"survey":3}`, response{201, json, ok.Body}, "accepted a request"},
		{"a 2xx without credentials", func() *http.Request { r := req("GET", study, ""); r.Header.Del("Authorization"); return r }(), "", ok, "accepted a request"},
		{"an undocumented operation", req("GET", "/api/v1/nowhere", ""), "", response{200, json, []byte(`{}`)}, "no such operation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.apiMismatch(tt.req, []byte(tt.body), tt.res)
			switch {
			case tt.name == "the real answer" && err != nil:
				t.Fatal(err)
			case tt.name != "the real answer" && err == nil:
				t.Fatal("no mismatch found")
			case err != nil && !strings.Contains(err.Error(), tt.wants):
				t.Fatalf("the mismatch does not say %q: %v", tt.wants, err)
			}
		})
	}
}
