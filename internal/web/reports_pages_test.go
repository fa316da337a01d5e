package web

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/cart-cd/delphi/internal/consensus"
	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/report/reporttest"
	"github.com/cart-cd/delphi/internal/survey"
)

// TestReportOutcomeAndChangePages runs a real study over two rounds, with round 2 opened with
// a reworded, a dropped and a new item (each with a hostile reason) and a committee decision,
// and checks the grouped outcome page, the placement columns, the change table with reasons,
// and the item flow.
func TestReportOutcomeAndChangePages(t *testing.T) {
	e := newEnv(t)
	sid := e.simStudy(20, 1)
	ctx := context.Background()
	snap1, err := e.svc.Snapshot(ctx, sid, 1)
	if err != nil {
		t.Fatal(err)
	}
	var none []delphi.RoundItem
	for _, it := range snap1.Items {
		if snap1.ClassOf(it.ID) == consensus.NoConsensus {
			none = append(none, it)
		}
	}
	if len(none) < 2 {
		t.Fatalf("round 1 has %d items without consensus; the test needs 2", len(none))
	}
	in := delphi.OpenRoundInput{Dropped: map[string]string{none[1].ID: "overlaps <b>another</b> item"}}
	in.Items = append(in.Items, delphi.ItemSpec{ID: none[0].ID, Label: survey.Text{"en": "Reworded <i>label</i>"},
		Reason: "clearer <script>alert(1)</script>"})
	for _, it := range none[2:] {
		in.Items = append(in.Items, delphi.ItemSpec{ID: it.ID})
	}
	in.Items = append(in.Items, delphi.ItemSpec{ID: "new_param", Section: none[0].SectionID, Label: survey.Text{"en": "New parameter"},
		Reason: "asked for by panelists"})
	if _, err := e.svc.OpenRound(ctx, delphi.System, sid, in); err != nil {
		t.Fatal(err)
	}
	links, err := e.svc.IssueInvitations(ctx, delphi.System, sid, 2, nil, e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := e.svc.Study(ctx, sid)
	items, _ := e.svc.Items(ctx, st, st.Round(2))
	for k, l := range links {
		ex, err := e.svc.Expert(ctx, l.Token)
		if err != nil {
			t.Fatal(err)
		}
		v := 7 + k%3
		var as []delphi.Answer
		for _, it := range items {
			as = append(as, delphi.Answer{Item: it.ID, Rating: &v, Placement: []string{"core", "expansion", "not_needed"}[k%3]})
		}
		if _, err := e.svc.SaveAnswers(ctx, ex, as); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Submit(ctx, ex); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Add(48 * 3600e9)
	if _, err := e.svc.CloseRound(ctx, delphi.System, sid, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Decide(ctx, delphi.System, sid, delphi.DecisionInput{Item: snap1.Items[0].ID, Tier: "excluded",
		Reason: "committee <b>says</b> no"}); err != nil {
		t.Fatal(err)
	}
	e.admin = e.login("admin@test", adminPassword)

	out := e.must(e.get(fmt.Sprintf("/reports/studies/%d/outcome", sid)), 200).Body
	wantIn(t, "outcome page", out, `id="group-0"`, "Core set", "Undecided", "Excluded", "s tier</th>", "Final tier",
		"Evidence (last round)", "n<sub>p</sub> = ", "provisional", "committee &lt;b&gt;says&lt;/b&gt; no", "SHA-256",
		"Outcome rule (frozen)", "Consensus rule", fmt.Sprintf("/api/v1/studies/%d/outcome.json", sid),
		fmt.Sprintf("/api/v1/studies/%d/outcome/redcap.csv", sid), fmt.Sprintf("/api/v1/studies/%d/outcome/odm.xml", sid),
		"dropped by the facilitators", "overlaps &lt;b&gt;another&lt;/b&gt; item")
	// groups in order: core before undecided before excluded
	if c, u, x := bytes.Index(out, []byte("Core set")), bytes.Index(out, []byte(">Undecided")), bytes.Index(out, []byte(">Excluded")); !(c < u && u < x) {
		t.Errorf("outcome groups out of order: core %d, undecided %d, excluded %d", c, u, x)
	}

	sum := e.must(e.get(fmt.Sprintf("/reports/studies/%d/rounds/2", sid)), 200).Body
	wantIn(t, "round 2 summary", sum, `id="placement"`, "Not needed", `class="compact change-log"`, "reworded", "dropped", "added",
		"clearer &lt;script&gt;alert(1)&lt;/script&gt;", "<del>", "Item flow: round 1:", "Participant and item flow",
		"asked for by panelists")
	for _, bad := range []string{"<script>alert", "<b>another", "<i>label"} {
		if bytes.Contains(sum, []byte(bad)) || bytes.Contains(out, []byte(bad)) {
			t.Errorf("unescaped %q", bad)
		}
	}
	slides := e.must(e.get(fmt.Sprintf("/reports/studies/%d/rounds/2?view=slides", sid)), 200).Body
	wantIn(t, "slides", slides, "Placement (n<sub>p</sub> = ")
}

func wantIn(t *testing.T, what string, b []byte, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !bytes.Contains(b, []byte(w)) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

// TestReportSuggestions checks the summary's suggestions section: the triage in words, hostile
// text escaped, and a triage after the round closed shown at once (the cached page is keyed
// by the suggestions).
func TestReportSuggestions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sid, err := reporttest.Run(ctx, e.svc, reporttest.Options{Definition: reporttest.Fixture, Panelists: 12, Rounds: 1, Seed: 7,
		Advance: e.clock.Add, Hostile: true, Suggestions: 2})
	if err != nil {
		t.Fatal(err)
	}
	e.admin = e.login("admin@test", adminPassword)
	sgs, err := e.svc.Suggestions(ctx, sid)
	if err != nil || len(sgs) != 2 {
		t.Fatalf("suggestions: %d, %v", len(sgs), err)
	}
	url := fmt.Sprintf("/reports/studies/%d/rounds/1", sid)
	before := e.must(e.get(url), 200).Body
	wantIn(t, "summary", before, `id="suggestions"`, "not triaged yet", "Suggested item 1 &lt;img")
	if err := e.svc.TriageSuggestion(ctx, delphi.System, sid, sgs[0].ID, delphi.Triage{Decision: "reject", Note: "covered by <b>another</b> item"}); err != nil {
		t.Fatal(err)
	}
	st, _ := e.svc.Study(ctx, sid)
	if err := e.svc.TriageSuggestion(ctx, delphi.System, sid, sgs[1].ID, delphi.Triage{Decision: "accept", ItemID: "suggested_one",
		Section: st.Def.Sections[0].ID}); err != nil {
		t.Fatal(err)
	}
	for _, view := range []string{"", "?view=print"} { // the slides are a deck: no suggestions
		after := e.must(e.get(url+view), 200).Body
		wantIn(t, "summary after triage"+view, after, "rejected because: covered by &lt;b&gt;another&lt;/b&gt; item", "accepted as suggested_one")
		for _, bad := range []string{"<img src=x", "<b>another", "<b>bold"} {
			if bytes.Contains(after, []byte(bad)) {
				t.Errorf("unescaped %q", bad)
			}
		}
	}
	html := e.must(e.get(fmt.Sprintf("/api/v1/studies/%d/rounds/1/report.html", sid)), 200).Body
	wantIn(t, "report.html", html, "accepted as suggested_one")
}
