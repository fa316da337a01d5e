package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/store"
	"github.com/cart-cd/delphi/internal/survey"
	"github.com/cart-cd/delphi/surveys"
	"github.com/cart-cd/delphi/templates"
)

// FuzzAnswerJSON sends arbitrary bodies to PUT /api/v1/respond/answers through the real handler
// and store: never a 5xx; a refused body changes nothing (all or nothing); an accepted one stores
// exactly the answers a strict decoding of it gives.
func FuzzAnswerJSON(f *testing.F) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(f.TempDir(), "delphi.db"), time.Now)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	signer, _ := auth.New([]byte("0123456789abcdef0123456789abcdef"), time.Now)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := delphi.New(st, surveys.FS, signer, time.Now, log)
	if _, err := svc.Bootstrap(ctx, "admin@test", adminPassword, ""); err != nil {
		f.Fatal(err)
	}
	w, err := New(Deps{Service: svc, Signer: signer, Templates: templates.FS, Log: log, BaseURL: "http://delphi.test", Version: "test"})
	if err != nil {
		f.Fatal(err)
	}
	in, err := svc.Login(ctx, delphi.SignIn{Email: "admin@test", Password: adminPassword, TTL: time.Hour})
	if err != nil {
		f.Fatal(err)
	}
	a := delphi.Actor{StaffID: in.Staff.ID, Role: in.Staff.Role}
	study, err := svc.CreateStudy(ctx, a, delphi.CreateStudyInput{Survey: "example", Contact: "office@example.org"})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := svc.AddPanelists(ctx, a, study.ID, []delphi.PanelistInput{{Name: "F", Email: "f@example.org", Group: "nurse", Language: "en"}}); err != nil {
		f.Fatal(err)
	}
	if _, err := svc.OpenRound(ctx, a, study.ID, delphi.OpenRoundInput{}); err != nil {
		f.Fatal(err)
	}
	links, err := svc.IssueInvitations(ctx, a, study.ID, 1, nil, "http://delphi.test")
	if err != nil {
		f.Fatal(err)
	}
	tok := links[0].Token
	ex, err := svc.Expert(ctx, tok)
	if err != nil {
		f.Fatal(err)
	}
	if err := svc.Consent(ctx, ex, "test"); err != nil {
		f.Fatal(err)
	}
	stored := func() map[string]delphi.Answer {
		ex, err := svc.Expert(ctx, tok)
		if err != nil {
			f.Fatal(err)
		}
		q, err := svc.Questionnaire(ctx, ex)
		if err != nil {
			f.Fatal(err)
		}
		for k, v := range q.Answers {
			v.UpdatedAt = ""
			q.Answers[k] = v
		}
		return q.Answers
	}
	for _, s := range []string{
		`{"answers":[{"item":"crs_max_grade","rating":5}]}`,
		`{"answers":[{"item":"crs_max_grade","unable":true,"placement":"core","comment":"c","reason":"r"}]}`,
		`{"answers":[{"item":"crs_max_grade","rating":5},{"item":"eq5d","rating":10}]}`,
		`{"answers":[{"item":"crs_max_grade","rating":5,"unable":true}]}`,
		`{"answers":[{"item":"nope","rating":5}]}`,
		`{"answers":[{"item":"crs_max_grade","rating":1e400}]}`,
		`{"answers":[{"item":"crs_max_grade","rating":"5"}]}`,
		`{"answers":[{"item":"crs_max_grade","rating":5,"comment":"\u0000<script>"}]}`,
		`{"answers":[{"item":"crs_max_grade","rating":5,"comment":"a` + "\xff" + `"}]}`,
		`{"answers":[{"item":"crs_max_grade","rating":5}],"x":1}`,
		`{"answers":[]}`, `{"answers":null}`, `{}`, `[]`, `null`, ``, `{"answers":[[[[`, `{"answers":[{"item":"crs_max_grade","rating":5}]}{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		before := stored()
		req := httptest.NewRequest("PUT", "/api/v1/respond/answers", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, req)
		after := stored()
		switch {
		case rec.Code >= 500:
			t.Fatalf("%d %s", rec.Code, rec.Body)
		case rec.Code == http.StatusOK:
			if !utf8.Valid(body) {
				t.Fatalf("accepted a body that is not UTF-8")
			}
			var in struct{ Answers []delphi.Answer }
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&in); err != nil {
				t.Fatalf("accepted %q, which does not decode: %v", body, err)
			}
			for _, a := range in.Answers {
				got := after[a.Item]
				a.Comment, a.Reason = strings.TrimSpace(a.Comment), strings.TrimSpace(a.Reason)
				a.UpdatedAt = ""
				if !reflect.DeepEqual(got, a) {
					t.Fatalf("stored %+v, sent %+v", got, a)
				}
			}
		default:
			var eb apiErrorBody
			if json.Unmarshal(rec.Body.Bytes(), &eb) != nil || eb.Error.Code == "" {
				t.Fatalf("%d without a JSON error: %s", rec.Code, rec.Body)
			}
			if !reflect.DeepEqual(before, after) {
				t.Fatalf("refused with %d but the answers changed", rec.Code)
			}
		}
	})
}

// FuzzSectionForm feeds parseSection arbitrary posted forms: it never panics; a form it accepts
// answers only the items it lists, each once, and the item a Clear button names has no rating.
func FuzzSectionForm(f *testing.F) {
	for _, s := range []string{
		"item=a&item=b&rating:a=7&rating:b=unable&placement:a=core&comment:a=x&go=next",
		"item=a&rating:a=7&clear=a",
		"item=a&clear=b",
		"item=a&clear=a&clear=a",
		"item=a&item=a",
		"item=a&rating:a=x",
		"item=a&reason:a=%FF&csrf=t",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		form, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		as, err := parseSection(form, survey.DefaultScale())
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, a := range as {
			if seen[a.Item] || !slices.Contains(form["item"], a.Item) {
				t.Fatalf("answer for %q: not listed, or twice", a.Item)
			}
			seen[a.Item] = true
			if a.Item == form.Get("clear") && (a.Rating != nil || a.Unable) {
				t.Fatalf("cleared item %q keeps a rating: %+v", a.Item, a)
			}
		}
	})
}
