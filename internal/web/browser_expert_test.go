package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cart-cd/delphi/internal/delphi"
)

// TestBrowserExpertFeedbackAndClear reads a round-2 section of the example survey as an expert
// would: at 390 px the panel's feedback stands above the scale, at 1366 px beside it; the chart
// marks the expert's own rating; the placement split is there in words; categories show their
// labels; the scale stays on one line at 320 px; a rating is chosen, cleared and stays cleared.
// Then a German reader sees lang="en" on the texts without a German translation.
func TestBrowserExpertFeedbackAndClear(t *testing.T) {
	exe := chromiumPath(t)
	e := newEnv(t)
	sid := e.study("example")
	ids := e.panel(sid, 6, "haematologist", "nurse")
	var de []delphi.Panelist
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/panelists", sid), e.admin, []delphi.PanelistInput{
		{Name: "Dora", Email: "dora@example.org", Group: "nurse", Language: "de"}}, &de), 201)
	ids = append(ids, de[0].ID)
	_, toks := e.openRound(sid)
	spread := []int{2, 7, 8, 3, 9, 5, 6}
	e.expertRateAll(toks, ids, exampleItemIDs(), func(i int, _ string) int { return spread[i] }, "")
	for i, pl := range []string{"core", "core", "core", "expansion", "not_needed"} {
		e.must(e.call("PUT", "/api/v1/respond/answers", toks[ids[i]], map[string]any{"answers": []any{
			map[string]any{"item": "crs_max_grade", "rating": spread[i], "placement": pl}}}, nil), 200)
	}
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", sid), e.admin, nil, nil), 200)
	_, toks2 := e.openRound(sid)
	me := ids[0] // rated 2 in round 1

	b := newBrowserRun(t, exe, 90*time.Second)
	base := e.srv.URL
	b.do("round 2 on a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(base+"/r/"+toks2[me]), chromedp.WaitVisible(`.section-list`),
		chromedp.Navigate(base+"/respond/section/toxicity"), chromedp.WaitVisible(`#item-crs_max_grade aside.feedback`))
	item := `document.getElementById("item-crs_max_grade")`
	box := func(sel string) string {
		return fmt.Sprintf(`%s.querySelector(%q).getBoundingClientRect()`, item, sel)
	}
	// at 390 px: the feedback ends before the scale begins
	if !browserEval[bool](b, fmt.Sprintf(`%s.bottom <= %s.top`, box("aside.feedback"), box("fieldset.rating"))) {
		t.Errorf("at 390 px the feedback is not above the scale: feedback %v, scale %v",
			browserEval[map[string]float64](b, `(r => ({top: r.top, bottom: r.bottom}))(`+box("aside.feedback")+`)`),
			browserEval[map[string]float64](b, `(r => ({top: r.top, bottom: r.bottom}))(`+box("fieldset.rating")+`)`))
	}
	b.noSideways("round 2 at 390 px", 390)
	b.screenshot("expert-phone-feedback-placement", "#item-crs_max_grade .placement-split")
	// the chart marks the expert's own rating; the text and the hidden table say it
	fb := browserEval[string](b, item+`.querySelector("aside.feedback").innerText`)
	for _, want := range []string{"Round 1 results", "Your answer in round 1: 2 – Not important", "Where the panel placed it (5 answers)",
		"Core data set", "60% (3)", "Expansion module", "20% (1)", "Not needed", "Median:", "Status after round 1:"} {
		if !strings.Contains(fb, want) {
			t.Errorf("feedback lacks %q:\n%s", want, fb)
		}
	}
	if got := browserEval[string](b, item+`.querySelector("svg.hist-chart .own-label").textContent`); got != "▲ your rating" {
		t.Errorf("own rating label in the chart: %q", got)
	}
	if !browserEval[bool](b, item+`.querySelector("svg.hist-chart rect.own-mark").getBBox().width > 0`) {
		t.Error("own rating not outlined in the chart")
	}
	if got := browserEval[string](b, item+`.querySelector("table.points").textContent`); !strings.Contains(got, "2 (your rating)") {
		t.Errorf("the table of ratings per point does not say which is the expert's: %s", got)
	}
	if got := browserEval[string](b, item+`.querySelector("fieldset.rating").getAttribute("aria-describedby")`); got != "fbown-crs_max_grade fbsum-crs_max_grade" {
		t.Errorf("the rating is described by %q", got)
	}

	// at 1366 px the feedback stands beside the scale
	b.do("laptop", chromedp.EmulateViewport(1366, 900), chromedp.Reload(), chromedp.WaitVisible(`#item-crs_max_grade aside.feedback`))
	if !browserEval[bool](b, fmt.Sprintf(`(f => (s => f.left >= s.right && f.top < s.bottom)(%s))(%s)`, box("fieldset.rating"), box("aside.feedback"))) {
		t.Error("at 1366 px the feedback is not beside the scale")
	}
	b.noSideways("round 2 at 1366 px", 1366)

	// the scale stays on one line at 320 and 390 px
	for _, w := range []int64{320, 390} {
		b.do(fmt.Sprintf("%d px", w), chromedp.EmulateViewport(w, 700, chromedp.EmulateMobile), chromedp.Reload(),
			chromedp.WaitVisible(`#item-crs_max_grade fieldset.rating`))
		tops := browserEval[[]float64](b, `[...document.querySelectorAll("#item-crs_max_grade .pt > span")].map(s => Math.round(s.getBoundingClientRect().top))`)
		if len(tops) != 9 {
			t.Fatalf("%d points on the scale", len(tops))
		}
		for _, top := range tops[1:] {
			if top != tops[0] {
				t.Errorf("at %d px the scale wraps: tops %v", w, tops)
				break
			}
		}
		b.noSideways(fmt.Sprintf("section at %d px", w), w)
		b.screenshot(fmt.Sprintf("expert-scale-%d", w), "#item-crs_max_grade fieldset.rating")
	}

	// labels instead of codes
	b.do("outcomes", chromedp.Navigate(base+"/respond/section/outcomes"), chromedp.WaitVisible(`#item-death_cause`))
	if v := browserEval[string](b, `document.querySelector("#item-death_cause dd.values").textContent`); v != "Disease progression, Infection, Cytokine release syndrome, Neurotoxicity (ICANS), other" {
		t.Errorf("death_cause values: %q", v)
	}

	// choose 7, clear, reload: nothing chosen, and the server has no rating
	b.do("back to toxicity", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(base+"/respond/section/toxicity"),
		chromedp.WaitVisible(`#item-icans_max_grade fieldset.rating`))
	storeKey := browserEval[string](b, `document.querySelector("form.questionnaire").dataset.autosave`)
	savedAll := fmt.Sprintf(`document.getElementById("save-status").classList.contains("saved") && !localStorage.getItem(%q)`, storeKey)
	b.do("choose 7", chromedp.Click(`input[name="rating:icans_max_grade"][value="7"]`))
	b.waitJS("7 saved", savedAll)
	if a := answers2(e, toks2[me])["icans_max_grade"]; a.Rating == nil || *a.Rating != 7 {
		t.Fatalf("after choosing 7: %+v", a)
	}
	b.do("clear", chromedp.Click(`#item-icans_max_grade button.clear-rating`))
	b.waitJS("cleared on the page", `!document.querySelector('input[name="rating:icans_max_grade"]:checked')`)
	b.waitJS("clear saved", savedAll)
	b.do("reload", chromedp.Reload(), chromedp.WaitVisible(`#item-icans_max_grade fieldset.rating`))
	if browserEval[bool](b, `!!document.querySelector('input[name="rating:icans_max_grade"]:checked')`) {
		t.Error("after a reload a rating is chosen again")
	}
	if a := answers2(e, toks2[me])["icans_max_grade"]; a.Rating != nil || a.Unable {
		t.Errorf("after clearing the server has %+v", a)
	}

	// Enter in the form still means "Save and continue", not the first item's Clear button.
	b.do("rate the first item", chromedp.Click(`input[name="rating:crs_max_grade"][value="8"]`))
	b.waitJS("8 saved", savedAll)
	b.do("enter on a rating", chromedp.Focus(`input[name="rating:icans_max_grade"][value="5"]`), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(`#item-death_cause`))
	if a := answers2(e, toks2[me])["crs_max_grade"]; a.Rating == nil || *a.Rating != 8 {
		t.Errorf("after Enter the first item is %+v, want 8", a)
	}

	// A German reader: English fallbacks carry lang="en", German texts none.
	b.do("german reader", chromedp.EmulateViewport(1366, 900), chromedp.Navigate(base+"/r/"+toks2[de[0].ID]), chromedp.WaitVisible(`.section-list`),
		chromedp.Navigate(base+"/respond/section/toxicity"), chromedp.WaitVisible(`#item-crs_onset_day`))
	if l := browserEval[string](b, `document.documentElement.lang`); l != "de" {
		t.Fatalf("page language %q", l)
	}
	langOf := func(sel string) string {
		return browserEval[string](b, fmt.Sprintf(`(el => el ? el.closest("[lang]").lang + ":" + el.textContent.trim() : "missing")(document.querySelector(%q))`, sel))
	}
	for sel, want := range map[string]string{
		"#h-crs_onset_day span":            "en:Day of CRS onset",
		"#h-crs_max_grade span":            "de:Maximaler CRS-Grad (ASTCT)",
		"#item-crs_max_grade p.desc":       "en:Highest grade of cytokine release syndrome after infusion.",
		"#item-crs_onset_day legend .sr":   "en:Day of CRS onset",
		"#item-crs_max_grade legend .sr":   "de:Maximaler CRS-Grad (ASTCT)",
		"#item-crs_max_grade aside h3 .sr": "de:: Maximaler CRS-Grad (ASTCT)",
	} {
		if got := langOf(sel); got != want {
			t.Errorf("%s: %q, want %q", sel, got, want)
		}
	}
	b.do("german outcomes", chromedp.Navigate(base+"/respond/section/outcomes"), chromedp.WaitVisible(`#item-death_cause`))
	if got := browserEval[string](b, `[...document.querySelectorAll("#item-death_cause dd.values span[lang=en]")].map(s => s.textContent).join("|")`); got != "Neurotoxicity (ICANS)" {
		t.Errorf("English category labels on the German page: %q", got)
	}
	if v := browserEval[string](b, `document.querySelector("#item-death_cause dd.values").textContent`); !strings.HasPrefix(v, "Fortschreiten der Erkrankung, Infektion, Zytokin-Freisetzungssyndrom") {
		t.Errorf("German death_cause values: %q", v)
	}
}
