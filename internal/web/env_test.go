package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/store"
	"github.com/cart-cd/delphi/surveys"
	"github.com/cart-cd/delphi/templates"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a whole delphi over a real SQLite file, served by httptest.
type env struct {
	t      *testing.T
	srv    *httptest.Server
	web    *Server
	svc    *delphi.Service
	store  *store.Store
	signer *auth.Signer
	clock  *clock
	admin  string // bearer token of admin@test
	logs   *bytes.Buffer

	apiOnce   sync.Once
	apiRouter routers.Router // the OpenAPI document's operations, at srv's URL
}

const adminPassword = "correct horse battery"

// newEnv starts delphi with an admin account and no study.
func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, "")
}

// newEnvWith starts delphi as a first start does, creating a study from firstSurvey ("": none).
func newEnvWith(t *testing.T, firstSurvey string) *env {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "delphi.db"), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	signer, err := auth.New([]byte("0123456789abcdef0123456789abcdef"), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewTextHandler(&syncWriter{w: logs}, nil))
	svc := delphi.New(st, surveys.FS, signer, clk.Now, log)
	svc.PasswordCost = bcrypt.MinCost // sign-ins at bcrypt's default cost take a second under -race
	if _, err := svc.Bootstrap(ctx, "admin@test", adminPassword, firstSurvey); err != nil {
		t.Fatal(err)
	}
	w, err := New(Deps{Service: svc, Signer: signer, Templates: templates.FS, Log: log, BaseURL: "http://delphi.test",
		Version: "test", Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	e := &env{t: t, srv: srv, web: w, svc: svc, store: st, signer: signer, clock: clk, logs: logs}
	e.admin = e.login("admin@test", adminPassword)
	return e
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// login returns a bearer token for a staff account.
func (e *env) login(email, pw string) string {
	e.t.Helper()
	var out struct{ Token string }
	e.must(e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": pw}, &out), 200)
	return out.Token
}

// addStaff creates a staff account through the API and returns its id.
func (e *env) addStaff(email, role, pw string) int64 {
	e.t.Helper()
	var st delphi.Staff
	e.must(e.call("POST", "/api/v1/staff", e.admin, delphi.NewStaff{Email: email, Role: role, Password: pw}, &st), 201)
	return st.ID
}

// member makes a staff account a member of a study through the API.
func (e *env) member(sid, staffID int64, role string) {
	e.t.Helper()
	r := e.call("PUT", fmt.Sprintf("/api/v1/studies/%d/members/%d", sid, staffID), e.admin, map[string]string{"role": role}, nil)
	if r.Status != 200 && r.Status != 201 {
		e.t.Fatalf("make %d a %s of study %d: %s", staffID, role, sid, r)
	}
}

// response is a finished request.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// call sends a JSON request (body marshalled unless it is a string or []byte) with a bearer
// token, and decodes a 2xx JSON answer into out when given.
func (e *env) call(method, path, token string, body any, out any) response {
	e.t.Helper()
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.do(req, out)
}

// do sends req; an /api/v1 exchange is checked against the OpenAPI document (checkAPI).
func (e *env) do(req *http.Request, out any) response {
	e.t.Helper()
	body := requestBody(e.t, req)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := response{Status: res.StatusCode, Header: res.Header, Body: b}
	e.checkAPI(req, body, r)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", req.Method, req.URL.Path, b, err)
		}
	}
	return r
}

// must fails the test unless the response has the status.
func (e *env) must(r response, status int) response {
	e.t.Helper()
	if r.Status != status {
		e.t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	return r
}

// study creates a study from a bundled survey and returns its id.
func (e *env) study(survey string) int64 {
	e.t.Helper()
	var st studyJSON
	e.must(e.call("POST", "/api/v1/studies", e.admin, map[string]string{"survey": survey,
		"contact_name": "Study Office", "contact": "study-office@example.org"}, &st), 201)
	return st.ID
}

// panel adds n panelists spread over the definition's groups; it returns their ids.
func (e *env) panel(sid int64, n int, groups ...string) []int64 {
	e.t.Helper()
	rows := make([]delphi.PanelistInput, n)
	countries := []string{"DE", "FR", "IT", "ES", "NL"}
	for i := range rows {
		rows[i] = delphi.PanelistInput{Name: fmt.Sprintf("Expert %d", i+1), Email: fmt.Sprintf("e%d@example.org", i+1),
			Group: groups[i%len(groups)], Country: countries[i%len(countries)], Language: "en"}
	}
	var ps []delphi.Panelist
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/panelists", sid), e.admin, rows, &ps), 201)
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids
}

// openRound opens the next round with defaults and issues links; it returns panelist id → token.
func (e *env) openRound(sid int64) (int, map[int64]string) {
	e.t.Helper()
	var r roundJSON
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid), e.admin, map[string]any{}, &r), 201)
	var links []delphi.Link
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/%d/invitations", sid, r.Number), e.admin, nil, &links), 201)
	toks := map[int64]string{}
	for _, l := range links {
		toks[l.PanelistID] = l.Token
	}
	return r.Number, toks
}

// browserClient is an http.Client with a cookie jar that does not follow redirects.
func (e *env) browserClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// requestBody returns the body req will send, leaving req able to send it.
func requestBody(t *testing.T, req *http.Request) []byte {
	t.Helper()
	if req.Body == nil || req.Body == http.NoBody {
		return nil
	}
	var rd io.ReadCloser
	var err error
	if req.GetBody != nil {
		rd, err = req.GetBody()
	} else {
		rd = req.Body
	}
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	if req.GetBody == nil {
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	return b
}

// openAPIDocs holds the OpenAPI documents tests have loaded, by their bytes: every server with
// one base URL serves the same document, and loading it takes milliseconds.
var openAPIDocs sync.Map // string → *openapi3.T

// loadOpenAPI loads and validates a served OpenAPI document.
func loadOpenAPI(b []byte) (*openapi3.T, error) {
	if doc, ok := openAPIDocs.Load(string(b)); ok {
		return doc.(*openapi3.T), nil
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	openAPIDocs.Store(string(b), doc)
	return doc, nil
}

// router is the document's router at the test server's URL.
func (e *env) router() routers.Router {
	e.apiOnce.Do(func() {
		doc, err := loadOpenAPI(e.web.openapi)
		if err != nil {
			e.t.Errorf("openapi: the document does not load: %v", err)
			return
		}
		at := *doc
		at.Servers = openapi3.Servers{{URL: e.srv.URL + "/api/v1"}}
		if e.apiRouter, err = gorillamux.NewRouter(&at); err != nil {
			e.t.Errorf("openapi: router: %v", err)
		}
	})
	return e.apiRouter
}

// credentialsSent is the document's security as tests check it: the request carries the
// scheme's credentials (a bearer token, or the session cookie named).
func credentialsSent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	req := in.RequestValidationInput.Request
	switch ss := in.SecurityScheme; ss.Type {
	case "http":
		if !strings.HasPrefix(req.Header.Get("Authorization"), "Bearer ") {
			return errors.New("no bearer token")
		}
	case "apiKey":
		if _, err := req.Cookie(ss.Name); ss.In != "cookie" || err != nil {
			return fmt.Errorf("no %s cookie", ss.Name)
		}
	default:
		return fmt.Errorf("security scheme %s of type %q", in.SecuritySchemeName, ss.Type)
	}
	return nil
}

// briefErrors make a mismatch say where a value differs from its schema and why, not print
// the whole schema and value.
var briefErrors = []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()}

// checkAPI fails the test when an /api/v1 exchange does not match the OpenAPI document
// (apiMismatch).
func (e *env) checkAPI(req *http.Request, body []byte, r response) {
	e.t.Helper()
	if err := e.apiMismatch(req, body, r); err != nil {
		e.t.Error(err)
	}
}

// apiMismatch checks an /api/v1 exchange against the OpenAPI document: every response (status,
// content type, body) and, when the server answered 2xx, the request (a 2xx to a request the
// document calls invalid means the two have drifted apart; tests of bad input send invalid
// requests on purpose). An exchange the document does not describe is a mismatch too.
func (e *env) apiMismatch(req *http.Request, body []byte, r response) error {
	if !strings.HasPrefix(req.URL.Path, "/api/v1/") {
		return nil
	}
	rt := e.router()
	if rt == nil {
		return nil // reported by router
	}
	where := fmt.Sprintf("openapi: %s %s → %d", req.Method, req.URL.Path, r.Status)
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := rt.FindRoute(vreq)
	if err != nil {
		// no operation: only an error may answer (404 no route, 405 no such method)
		if r.Status != http.StatusNotFound && r.Status != http.StatusMethodNotAllowed {
			return fmt.Errorf("%s: the document has no such operation (%v)", where, err)
		}
		doc, _ := loadOpenAPI(e.web.openapi)
		var v any
		if err := json.Unmarshal(r.Body, &v); err != nil {
			return fmt.Errorf("%s: the error is not JSON: %v: %.300s", where, err, r.Body)
		}
		if err := doc.Components.Schemas["Error"].Value.VisitJSON(v, briefErrors...); err != nil {
			return fmt.Errorf("%s: the error does not match the Error schema: %v", where, err)
		}
		return nil
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: credentialsSent, MultiError: true, RejectWhenRequestBodyNotSpecified: true,
			SchemaValidationOptions: briefErrors}}
	if r.Status >= 200 && r.Status < 300 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			return fmt.Errorf("%s: the server accepted a request the document calls invalid: %v\nrequest body: %.300s", where, err, body)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: r.Status, Header: r.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, SchemaValidationOptions: briefErrors}}
	out.SetBodyBytes(r.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Errorf("%s: the response does not match the document: %v\nresponse body: %.300s", where, err, r.Body)
	}
	return nil
}
