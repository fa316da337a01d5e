package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/store"
	"github.com/cart-cd/delphi/surveys"
	"github.com/cart-cd/delphi/templates"
)

// FuzzMeetingJSON sends arbitrary bodies to PUT /api/v1/meetings/vote and POST
// /api/v1/meetings/join through the real handlers and store: never a 5xx, always a JSON error
// with a code when refused; an accepted vote is the attendee's vote, one of the open vote's
// options.
func FuzzMeetingJSON(f *testing.F) {
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
	m, err := svc.CreateMeeting(ctx, a, study.ID, delphi.MeetingInput{Title: "F", Date: "2026-01-01", Items: []string{"crs_max_grade", "eq5d"}})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := svc.OpenVote(ctx, a, m.ID, "crs_max_grade", delphi.Question{Kind: "proposal", Tier: "core"}); err != nil {
		f.Fatal(err)
	}
	j, err := svc.Join(ctx, delphi.JoinInput{Code: m.JoinCode, Name: "A", Group: "nurse"}, nil)
	if err != nil {
		f.Fatal(err)
	}
	who, _ := signer.ParseAttendee(j.Token)
	for _, s := range []string{
		`{"item":"crs_max_grade","option":"agree"}`, `{"item":"crs_max_grade","option":"core"}`, `{"item":"eq5d","option":"agree"}`,
		`{"item":"crs_max_grade","option":"agree","x":1}`, `{"item":1}`, `{}`, `[]`, `null`, ``, `{"item":"crs_max_grade"`,
		`{"code":"` + m.JoinCode + `","name":"B","group":"nurse"}`, `{"code":"` + m.JoinCode + `","name":"B","group":"x"}`,
		`{"code":"` + m.JoinCode + `","name":"` + "\xff" + `","group":"nurse"}`, `{"code":null}`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, join bool) {
		req := httptest.NewRequest("PUT", "/api/v1/meetings/vote", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+j.Token)
		if join {
			req = httptest.NewRequest("POST", "/api/v1/meetings/join", bytes.NewReader(body))
		}
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		if rec.Code >= 300 {
			var e apiErrorBody
			if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error.Code == "" {
				t.Fatalf("%d without a JSON error: %s", rec.Code, rec.Body)
			}
			return
		}
		if join {
			return
		}
		var v delphi.VoteInput
		_ = json.Unmarshal(body, &v)
		av, err := svc.Attending(ctx, who)
		if err != nil || av.Open == nil || av.Open.Mine != v.Option || !slices.Contains(av.Open.Options, v.Option) {
			t.Fatalf("accepted %s, stored %+v (%v)", body, av, err)
		}
	})
}
