package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cart-cd/delphi/internal/report"
	"github.com/cart-cd/delphi/internal/report/reporttest"
)

// TestConsoleDecisions records a committee decision through the console's form: it shows on
// the console page, on the outcome page and in outcome.json; a bad module re-shows the form
// with the error and what was typed, recording nothing; a presenter sees no form and is
// refused on POST.
func TestConsoleDecisions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	sid, err := reporttest.Run(ctx, e.svc, reporttest.Options{Survey: "cart-cd", Panelists: 20, Rounds: 1, Seed: 5, Advance: e.clock.Add})
	if err != nil {
		t.Fatal(err)
	}
	e.admin = e.login("admin@test", adminPassword) // the run's clock outlived the first session
	e.member(sid, e.addStaff("pres@test", "presenter", "presenter password"), "presenter")
	admin := e.consoleLogin("admin@test", adminPassword)
	pres := e.consoleLogin("pres@test", "presenter password")
	page := fmt.Sprintf("/console/studies/%d/decisions", sid)
	api := fmt.Sprintf("/api/v1/studies/%d", sid)

	var doc report.OutcomeDoc
	e.must(e.call("GET", api+"/outcome.json", e.admin, nil, &doc), 200)
	var item string
	for _, it := range doc.Items {
		if it.FinalTier == "undecided" || it.FinalTier == "pending" {
			item = it.Item
			break
		}
	}
	if item == "" {
		t.Fatal("no undecided item after round 1")
	}
	st, err := e.svc.Study(ctx, sid)
	if err != nil {
		t.Fatal(err)
	}
	mod := st.Def.Modules[0]

	// the runner sees a form for the item, the presenter none
	r := admin.get(page)
	if r.Status != 200 || !strings.Contains(string(r.Body), `name="item" value="`+item+`"`) {
		t.Fatalf("admin's decisions page (%d) has no form for %s: %s", r.Status, item, pageText(r.Body))
	}
	r = pres.get(page)
	if r.Status != 200 {
		t.Fatalf("presenter's decisions page: %d", r.Status)
	}
	if strings.Contains(string(r.Body), `<form method="post" action="`+page) {
		t.Errorf("the presenter is shown the decision form")
	}
	if r = pres.post(page, url.Values{"item": {item}, "tier": {"core"}, "reason": {"presenter"}}); r.Status != http.StatusForbidden {
		t.Errorf("POST by a presenter: %d, want 403", r.Status)
	}
	r = admin.get(fmt.Sprintf("/reports/studies/%d/outcome", sid))
	has(t, r, "Record a decision")
	if r = pres.get(fmt.Sprintf("/reports/studies/%d/outcome", sid)); strings.Contains(string(r.Body), "Record a decision") {
		t.Errorf("the presenter's outcome page links to the decision form")
	}

	// a module that does not exist: the error, the form as typed, nothing recorded
	r = admin.submit(page, url.Values{"item": {item}, "tier": {"expansion"}, "module": {"nope"}, "reason": {"typed <b>reason</b>"}}, http.StatusUnprocessableEntity)
	has(t, r, `unknown module "nope"`)
	if !strings.Contains(string(r.Body), `value="typed &lt;b&gt;reason&lt;/b&gt;"`) || !strings.Contains(string(r.Body), `<option value="expansion" selected>`) {
		t.Errorf("the refused form lost what was typed: %s", pageText(r.Body))
	}
	r = admin.submit(page, url.Values{"item": {item}, "tier": {"expansion"}, "reason": {"no module"}}, http.StatusUnprocessableEntity)
	has(t, r, "needs its module")
	var ds []map[string]any
	e.must(e.call("GET", api+"/decisions", e.admin, nil, &ds), 200)
	if len(ds) != 0 {
		t.Fatalf("refused forms recorded %v", ds)
	}
	if r = admin.post(page, url.Values{"item": {item}, "tier": {"core"}, "reason": {"forged"}, "csrf": {"forged"}}); r.Status != http.StatusForbidden {
		t.Errorf("a form with a forged CSRF token: %d, want 403", r.Status)
	}

	// a good decision: flash, listed, on the outcome page and in outcome.json
	r = admin.submit(page, url.Values{"item": {item}, "tier": {"expansion"}, "module": {mod.ID}, "reason": {"belongs with the <i>toxicity</i> module"}}, http.StatusSeeOther)
	has(t, r, "Decision recorded: "+item+" is expansion ("+mod.ID+").", "provisional", "belongs with the <i>toxicity</i> module")
	e.must(e.call("GET", api+"/decisions", e.admin, nil, &ds), 200)
	if len(ds) != 1 || ds[0]["item"] != item || ds[0]["tier"] != "expansion" || ds[0]["module"] != mod.ID || ds[0]["basis"] != "committee" {
		t.Fatalf("decisions %v", ds)
	}
	r = admin.get(fmt.Sprintf("/reports/studies/%d/outcome", sid))
	has(t, r, "Committee", "expansion: "+mod.Label.In("en")+" — belongs with the <i>toxicity</i> module")
	doc = report.OutcomeDoc{}
	e.must(e.call("GET", api+"/outcome.json", e.admin, nil, &doc), 200)
	found := false
	for _, it := range doc.Items {
		if it.Item == item {
			found = true
			if it.FinalTier != "expansion" || len(it.Decisions) != 1 || it.Decisions[0].Reason != "belongs with the <i>toxicity</i> module" {
				t.Errorf("outcome.json item %s: tier %s, decisions %+v", item, it.FinalTier, it.Decisions)
			}
		}
	}
	if !found {
		t.Errorf("outcome.json lacks %s", item)
	}

	// the methods text of the round's summary states how many panelists consented
	panel, err := e.svc.Panel(ctx, sid)
	if err != nil {
		t.Fatal(err)
	}
	consented := 0
	for _, p := range panel {
		if p.Consented {
			consented++
		}
	}
	if consented == 0 {
		t.Fatal("nobody consented in the simulated run")
	}
	has(t, admin.get(fmt.Sprintf("/reports/studies/%d/rounds/1", sid)), fmt.Sprintf("(%d panelists consented)", consented))
}
