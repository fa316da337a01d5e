package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cart-cd/delphi/internal/delphi"
)

// TestExpertDataAndWithdrawalPages: an expert, with the cookie only, downloads everything
// stored about them from their pages, sees which consent text they agreed to, and withdraws
// through the form with each choice: the link then answers 410, and with remove_open their
// answers in the open round are gone while with keep they stay.
func TestExpertDataAndWithdrawalPages(t *testing.T) {
	e := newEnv(t)
	sid, ids, toks := e.expertStudy("example", 3, "haematologist")
	items := []string{"crs_max_grade", "icans_max_grade", "crs_onset_day"}
	answer := func(x *expertClient) {
		t.Helper()
		x.consent()
		r := x.post("/respond/section/toxicity", sectionForm(items,
			"rating:crs_max_grade", "8", "comment:crs_max_grade", "my comment"))
		if r.Status != http.StatusSeeOther {
			t.Fatalf("save: %s", r)
		}
	}
	stored := func(pid int64) int {
		t.Helper()
		ctx := context.Background()
		rounds, err := e.store.Rounds(ctx, sid)
		if err != nil || len(rounds) != 1 {
			t.Fatalf("rounds: %v %v", rounds, err)
		}
		as, err := e.store.Answers(ctx, rounds[0].ID, pid)
		if err != nil {
			t.Fatal(err)
		}
		return len(as)
	}

	for i, choice := range []string{delphi.RemoveOpenAnswers, delphi.KeepAnswers} {
		t.Run(choice, func(t *testing.T) {
			pid := ids[i]
			x := e.openExpertLink(toks[pid])
			answer(x)

			// The overview and every expert page link to the data page; the overview names
			// the consent text agreed to.
			home := x.get("/respond")
			expertHas(t, home, `href="/respond/data"`, `href="/respond/my-data"`, "Download everything stored about you (JSON)",
				"You agreed to the consent text of ", "(version en-")
			expertHas(t, x.get("/respond/section/toxicity"), `href="/respond/data"`)
			page := x.get("/respond/data")
			if page.Status != 200 {
				t.Fatalf("data page: %s", page)
			}
			expertHas(t, page, "Withdraw from the study", `action="/respond/withdraw"`, `name="answers" value="keep"`,
				`name="answers" value="remove_open"`, `name="confirm" value="yes"`, `name="csrf"`, "(version en-")

			// The download, with the cookie only.
			r := x.get("/respond/my-data")
			if r.Status != 200 || r.Header.Get("Cache-Control") != "private, no-store" ||
				!strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment;") ||
				!strings.Contains(r.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("download: %d %v", r.Status, r.Header)
			}
			var d delphi.ExpertData
			if err := json.Unmarshal(r.Body, &d); err != nil {
				t.Fatal(err)
			}
			if d.Panelist.ConsentAt == nil || !strings.HasPrefix(d.Panelist.ConsentVersion, "en-") || len(d.Invitations) != 1 ||
				len(d.Rounds) != 1 || len(d.Rounds[0].Answers) == 0 || d.Rounds[0].Answers[0].Comment != "my comment" {
				t.Fatalf("my data: %+v", d)
			}
			if strings.Contains(string(r.Body), toks[pid]) {
				t.Error("the download holds the link's token")
			}
			if strings.Contains(string(r.Body), toks[ids[2]]) || strings.Contains(string(r.Body), "e3@example.org") {
				t.Error("the download holds another panelist's data")
			}

			// The form refuses a withdrawal without a choice or without the confirmation.
			for _, f := range []url.Values{{"confirm": {"yes"}}, {"answers": {choice}}, {"answers": {"forget"}, "confirm": {"yes"}}} {
				r := x.post("/respond/withdraw", f)
				if r.Status != http.StatusUnprocessableEntity {
					t.Fatalf("withdraw %v: %s", f, r)
				}
				expertHas(t, r, "To withdraw, choose what should happen to your answers")
			}
			if stored(pid) == 0 {
				t.Fatal("a refused withdrawal removed the answers")
			}
			// and without the CSRF token
			if r := x.post("/respond/withdraw", url.Values{"answers": {choice}, "confirm": {"yes"}, "csrf": {""}}); r.Status != http.StatusForbidden {
				t.Fatalf("withdraw without CSRF: %s", r)
			}

			r = x.post("/respond/withdraw", url.Values{"answers": {choice}, "confirm": {"yes"}})
			if r.Status != 200 {
				t.Fatalf("withdraw: %s", r)
			}
			expertHas(t, r, "You have withdrawn from the study", "Your personal link no longer works",
				"please contact the study team: Study Office (<a href=\"mailto:study-office@example.org\">study-office@example.org</a>)")
			if choice == delphi.RemoveOpenAnswers {
				expertHas(t, r, "your answers in rounds still open have been removed")
			} else {
				expertHas(t, r, "stay under your pseudonym")
			}
			if !strings.Contains(r.Header.Get("Set-Cookie"), "Max-Age=0") {
				t.Errorf("the expert cookie is not cleared: %q", r.Header.Get("Set-Cookie"))
			}

			// The link no longer works, on the pages and the API.
			if r := x.get("/r/" + toks[pid]); r.Status != http.StatusGone {
				t.Fatalf("link after withdrawal: %s", r)
			}
			e.must(e.call("GET", "/api/v1/respond", toks[pid], nil, nil), http.StatusGone)
			if n := stored(pid); choice == delphi.RemoveOpenAnswers && n != 0 {
				t.Errorf("remove_open: %d answers left in the open round", n)
			} else if choice == delphi.KeepAnswers && n == 0 {
				t.Error("keep: the answers were removed")
			}
		})
	}
	// The other panelist's answers are untouched.
	x := e.openExpertLink(toks[ids[2]])
	answer(x)
	if stored(ids[2]) == 0 {
		t.Fatal("the remaining panelist's answers are missing")
	}
}
