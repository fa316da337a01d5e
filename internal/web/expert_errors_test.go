package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
)

// errorsStudy makes a study of the example survey with two panelists in lang and round 1 open;
// the first has opened their link, consented and saved one rating.
func errorsStudy(t *testing.T, lang string) (*env, int64, []int64, map[int64]string, *expertClient) {
	t.Helper()
	e := newEnv(t)
	sid := e.study("example")
	rows := []delphi.PanelistInput{
		{Name: "Expert 1", Email: "e1@example.org", Group: "nurse", Country: "DE", Language: lang},
		{Name: "Expert 2", Email: "e2@example.org", Group: "nurse", Country: "FR", Language: lang},
	}
	var ps []delphi.Panelist
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/panelists", sid), e.admin, rows, &ps), 201)
	_, toks := e.openRound(sid)
	x := e.openExpertLink(toks[ps[0].ID])
	x.consent()
	if r := x.post("/respond/section/toxicity", sectionForm([]string{"crs_max_grade"}, "rating:crs_max_grade", "7", "go", "stay")); r.Status != http.StatusSeeOther {
		t.Fatalf("save: %s", r)
	}
	return e, sid, []int64{ps[0].ID, ps[1].ID}, toks, x
}

// autosave sends one answer as expert.js does: the cookie, the CSRF header, JSON.
func (x *expertClient) autosave(csrf string) response {
	x.e.t.Helper()
	req, _ := http.NewRequest("PUT", x.e.srv.URL+"/api/v1/respond/answers", strings.NewReader(`{"answers":[{"item":"icans_max_grade","rating":5}]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	return x.send(req)
}

func errorMessage(t *testing.T, r response) string {
	t.Helper()
	var b apiErrorBody
	if err := json.Unmarshal(r.Body, &b); err != nil {
		t.Fatalf("not a JSON error: %s", r)
	}
	return b.Error.Message
}

// Every error an expert meets says what happened, what they can do, and links back: their
// answers (read-only) or the study contact; in their language, with the right status.
func TestExpertErrorPages(t *testing.T) {
	closeRound := func(e *env, sid int64) {
		e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", sid), e.admin, nil, nil), 200)
	}
	// the first expert submits round 1, round 2 opens for them; the second opens their link
	notInvited := func(e *env, sid int64, ids []int64, toks map[int64]string, x *expertClient) response {
		x.post("/respond/submit", map[string][]string{})
		closeRound(e, sid)
		e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid), e.admin, map[string]any{"panelists": []int64{ids[0]}}, nil), 201)
		return e.openExpertLink(toks[ids[1]]).get("/respond")
	}
	tests := []struct {
		name   string
		lang   string
		do     func(e *env, sid int64, ids []int64, toks map[int64]string, x *expertClient) response
		status int
		want   []string
		lacks  []string
	}{
		{"section saved after the round closed", "en", func(e *env, sid int64, _ []int64, _ map[int64]string, x *expertClient) response {
			csrf := x.csrf()
			closeRound(e, sid)
			return x.post("/respond/section/toxicity", sectionForm([]string{"crs_max_grade"}, "rating:crs_max_grade", "8", "go", "next", "csrf", csrf))
		}, 409, []string{"Round 1 has closed", "Round 1 closed on ", "Every answer you saved before then was kept",
			`href="/respond"`, "See your answers (read-only)", "mailto:study-office@example.org"}, []string{"Conflict", `name="rating:`}},
		{"section saved after the round closed, German", "de", func(e *env, sid int64, _ []int64, _ map[int64]string, x *expertClient) response {
			csrf := x.csrf()
			closeRound(e, sid)
			return x.post("/respond/section/toxicity", sectionForm([]string{"crs_max_grade"}, "rating:crs_max_grade", "8", "csrf", csrf))
		}, 409, []string{`lang="de"`, "Runde 1 ist abgeschlossen", "bleibt erhalten", "Ihre Antworten ansehen (nur lesen)"}, []string{"Conflict"}},
		{"submitted after the round closed, French", "fr", func(e *env, sid int64, _ []int64, _ map[int64]string, x *expertClient) response {
			csrf := x.csrf()
			closeRound(e, sid)
			return x.post("/respond/submit", map[string][]string{"csrf": {csrf}})
		}, 409, []string{`lang="fr"`, "Le tour 1 est clos", "est conservée", "Voir vos réponses (lecture seule)"}, nil},
		{"autosave after the round closed", "en", func(e *env, sid int64, _ []int64, _ map[int64]string, x *expertClient) response {
			csrf := x.csrf()
			closeRound(e, sid)
			return x.autosave(csrf)
		}, 409, []string{"Round 1 has closed. Round 1 closed on ", "Every answer you saved before then was kept"}, nil},
		{"autosave with a revoked link", "en", func(e *env, sid int64, _ []int64, _ map[int64]string, x *expertClient) response {
			csrf := x.csrf()
			e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/invitations", sid), e.admin, nil, nil), 201)
			return x.autosave(csrf)
		}, 410, []string{"This link no longer works. This link has been replaced or withdrawn"}, nil},
		{"revoked link, German", "de", func(e *env, sid int64, _ []int64, _ map[int64]string, x *expertClient) response {
			e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/invitations", sid), e.admin, nil, nil), 201)
			return x.get("/r/" + x.token)
		}, 410, []string{`lang="de"`, "Dieser Link funktioniert nicht mehr", "ersetzt oder zurückgezogen", "mailto:study-office@example.org"}, nil},
		{"not invited to the open round", "en", notInvited, 200, []string{"Round 2 of this study is open, but you are not invited to it", "contact the facilitator",
			"mailto:study-office@example.org"}, []string{"when the next round opens", `name="rating:`}},
		{"not invited to the open round, German", "de", notInvited, 200, []string{`lang="de"`, "Runde 2 dieser Studie ist geöffnet, aber Sie sind nicht dazu eingeladen"}, []string{"wenn die nächste Runde beginnt"}},
		{"no such section", "en", func(e *env, _ int64, _ []int64, _ map[int64]string, x *expertClient) response {
			return x.get("/respond/section/nowhere")
		}, 404, []string{"This could not be done", "This page is not part of your questionnaire", "Back to your questionnaire"}, nil},
		{"form expired, German", "de", func(e *env, _ int64, _ []int64, _ map[int64]string, x *expertClient) response {
			return x.post("/respond/section/toxicity", sectionForm([]string{"crs_max_grade"}, "rating:crs_max_grade", "8", "csrf", "stale"))
		}, 403, []string{`lang="de"`, "Das war nicht möglich", "es wurde nichts gespeichert", "Zurück zu Ihrem Fragebogen"}, nil},
		{"expired link, French", "fr", func(e *env, _ int64, _ []int64, _ map[int64]string, x *expertClient) response {
			e.clock.Add(e.svc.InviteTTL + time.Hour)
			return x.get("/respond")
		}, 410, []string{`lang="fr"`, "Ce lien a expiré", "mailto:study-office@example.org"}, []string{"This link has expired"}},
		{"withdrawn, German", "de", func(e *env, sid int64, ids []int64, _ map[int64]string, x *expertClient) response {
			e.must(e.call("DELETE", fmt.Sprintf("/api/v1/studies/%d/panelists/%d", sid, ids[0]), e.admin, nil, nil), 204)
			return x.get("/respond/section/toxicity")
		}, 410, []string{`lang="de"`, "Sie gehören diesem Panel nicht mehr an", "mailto:study-office@example.org"}, []string{"You are no longer on this panel"}},
		{"invalid link", "en", func(e *env, _ int64, _ []int64, _ map[int64]string, x *expertClient) response {
			return x.get("/r/not-a-link")
		}, 401, []string{"This link is not valid", "open it directly from your invitation email"}, []string{"study-office@example.org"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, sid, ids, toks, x := errorsStudy(t, tt.lang)
			r := tt.do(e, sid, ids, toks, x)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				r.Body = []byte(errorMessage(t, r))
			}
			expertHas(t, r, tt.want...)
			expertLacks(t, r, append(tt.lacks, "Expert 2", "e2@example.org", "goroutine")...)
			// After a close, the rating saved before is kept, and nothing after it.
			if tt.status == http.StatusConflict {
				if a := x.answers(); a["crs_max_grade"].Rating == nil || *a["crs_max_grade"].Rating != 7 || a["icans_max_grade"].Answered() {
					t.Errorf("the saved answers changed: %+v", a)
				}
			}
		})
	}
}

// API clients with a bearer token keep the API's own messages.
func TestExpertErrorAPIMessage(t *testing.T) {
	e, sid, _, _, x := errorsStudy(t, "en")
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", sid), e.admin, nil, nil), 200)
	r := e.call("PUT", "/api/v1/respond/answers", x.token, map[string]any{"answers": []map[string]any{{"item": "crs_max_grade", "rating": 3}}}, nil)
	if r.Status != http.StatusConflict || errorMessage(t, r) != "round 1 is closed: answers can no longer be changed" {
		t.Errorf("bearer save after close: %s", r)
	}
}

// A server error on an expert page says nothing saved is lost, with a reference and no detail.
func TestExpertServerErrorPage(t *testing.T) {
	for _, tt := range []struct{ lang, want string }{
		{"en", "Nothing you saved is lost"},
		{"de", "Nichts, was Sie gespeichert haben, ist verloren"},
		{"fr", "Rien de ce que vous avez enregistré n&#39;est perdu"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			e, _, _, _, x := errorsStudy(t, tt.lang)
			ex, err := e.svc.Expert(context.Background(), x.token)
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			c, _ := gin.CreateTestContext(rec)
			c.Request = httptest.NewRequest("POST", "/respond/section/toxicity", nil)
			c.Set(fmt.Sprint(keyExpert), ex)
			c.Set(fmt.Sprint(keyRequestID), "req-42")
			e.web.fail(c, errors.New("disk on fire at /var/lib/delphi"))
			r := response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
			if r.Status != http.StatusInternalServerError {
				t.Fatalf("status %d", r.Status)
			}
			expertHas(t, r, tt.want, "req-42", `lang="`+tt.lang+`"`, "mailto:study-office@example.org", `href="/respond"`)
			expertLacks(t, r, "disk on fire", "/var/lib")

			// The page's script, saving with the cookie, gets the same words as JSON.
			rec = httptest.NewRecorder()
			c, _ = gin.CreateTestContext(rec)
			c.Request = httptest.NewRequest("PUT", "/api/v1/respond/answers", nil)
			c.Request.AddCookie(&http.Cookie{Name: expertCookie, Value: x.token})
			c.Set(fmt.Sprint(keyExpert), ex)
			c.Set(fmt.Sprint(keyRequestID), "req-43")
			e.web.fail(c, errors.New("disk on fire at /var/lib/delphi"))
			r = response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
			msg := strings.ReplaceAll(errorMessage(t, r), "'", "&#39;")
			if r.Status != http.StatusInternalServerError || !strings.Contains(msg, tt.want) || !strings.Contains(msg, "req-43") || strings.Contains(msg, "disk") {
				t.Errorf("JSON for the page's script: %s", r)
			}
		})
	}
}

// With the database gone, the expert's page and the page's script both say nothing saved is
// lost, with a reference to give the study team, and no detail of the failure.
func TestExpertDatabaseGone(t *testing.T) {
	e, _, ids, toks, x := errorsStudy(t, "en")
	csrf := x.csrf()
	other := &expertClient{e: e, c: e.browserClient(), token: toks[ids[1]]}
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	// the first expert is known from before; the other's link is read now, and fails
	for _, r := range []response{x.get("/respond/section/toxicity"), x.autosave(csrf), other.get("/r/" + other.token)} {
		if r.Status < 500 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		if r.Header.Get("X-Request-Id") == "" {
			t.Fatal("no request id")
		}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			r.Body = []byte(errorMessage(t, r))
		}
		expertHas(t, r, "Something went wrong on our side", "Nothing you saved is lost", r.Header.Get("X-Request-Id"))
		expertLacks(t, r, "sql", "closed")
	}
}
