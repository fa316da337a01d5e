package web

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/report/reporttest"
)

// The accessibility suite: one Chromium visits every page state as its users reach them (sign
// in through the form, follow links, click), and on each runs axe-core (vendored in
// testdata/axe, no network) for WCAG 2.2 A and AA, and checks that the page is no wider than a
// 320 or 390 px phone. A new page state is one line: a.check(tab, "what it is").

// axeTags are the rule sets of WCAG 2.0, 2.1 and 2.2 at levels A and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// auditWidth is a screen a page state is looked at on: axe runs there if axe is set; the page
// must never be wider than the screen.
type auditWidth struct {
	w, h        int64
	mobile, axe bool
}

// auditWidths are a laptop and two phones; axe runs on the laptop and the 390 px phone.
var auditWidths = []auditWidth{{1366, 768, false, true}, {390, 844, true, true}, {320, 640, true, false}}

// projector is the presenter's screen of a meeting: a room's projector, not a phone.
var projector = []auditWidth{{1280, 720, false, true}}

type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
	Summary string   `json:"summary"`
}

// auditor runs axe on the page a tab is at; it counts the states checked.
type auditor struct {
	t      *testing.T
	src    string // axe.min.js
	states int
}

func newAuditor(t *testing.T) *auditor {
	t.Helper()
	src, err := os.ReadFile("testdata/axe/axe.min.js")
	if err != nil {
		t.Fatalf("the vendored axe-core: %v", err)
	}
	return &auditor{t: t, src: string(src)}
}

// check looks at the page b is at on every audit width: axe's WCAG A/AA violations and
// sideways scrolling fail the test with the page, the width, the rule and where.
func (a *auditor) check(b *browserRun, page string) {
	a.t.Helper()
	a.checkOn(b, page, auditWidths)
}

func (a *auditor) checkOn(b *browserRun, page string, widths []auditWidth) {
	a.t.Helper()
	a.states++
	b.waitJS(page+": loaded", `document.readyState === "complete"`)
	where := browserEval[string](b, `location.pathname + location.search`)
	for _, w := range widths {
		opts := []chromedp.EmulateViewportOption{}
		if w.mobile {
			opts = append(opts, chromedp.EmulateMobile)
		}
		b.do(page+": screen", chromedp.EmulateViewport(w.w, w.h, opts...))
		if over := browserEval[int](b, fmt.Sprintf(`document.documentElement.scrollWidth - %d`, w.w)); over > 0 {
			wide := browserEval[string](b, fmt.Sprintf(`[...document.querySelectorAll("body *")].filter(e => { if (e.getBoundingClientRect().right <= %d) return false; for (let a = e.parentElement; a; a = a.parentElement) { if (getComputedStyle(a).overflowX != "visible") return false; } return true; }).sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right).slice(0, 3).map(e => e.tagName + "." + e.className + " in #" + (e.closest("[id]") || {}).id + " to " + Math.round(e.getBoundingClientRect().right)).join(", ")`, w.w))
			msg := fmt.Sprintf("%s (%s) at %d px: the page is %d px wider than the screen (%s)", page, where, w.w, over, wide)
			a.t.Error(msg)
		}
		if !w.axe {
			continue
		}
		for _, v := range a.run(b, page) {
			targets := v.Targets
			more := ""
			if len(targets) > 4 {
				more = fmt.Sprintf(" and %d more", len(targets)-4)
				targets = targets[:4]
			}
			a.t.Errorf("axe: %s (%s) at %d px: %s [%s] %s: %s%s\n\t%s", page, where, w.w, v.ID, v.Impact, v.Help,
				strings.Join(targets, " | "), more, strings.ReplaceAll(v.Summary, "\n", "\n\t"))
		}
	}
}

// run injects axe-core once per document and returns its WCAG A/AA violations.
func (a *auditor) run(b *browserRun, page string) []axeViolation {
	a.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.axe !== undefined || (() => { `+a.src+`; return true })()`)); err != nil {
		a.t.Fatalf("%s: inject axe-core: %v", page, err)
	}
	tags := `["` + strings.Join(axeTags, `","`) + `"]`
	vs, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {runOnly: {type: "tag", values: `+tags+`}, resultTypes: ["violations"]}).then(r => r.violations.map(v => ({
		id: v.id, impact: v.impact || "", help: v.help, targets: v.nodes.map(n => n.target.join(" ")), summary: v.nodes[0].failureSummary || ""})))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		a.t.Fatalf("%s: axe.run: %v", page, err)
	}
	return vs
}

// fitsItsBoxes fails when a box that scrolls sideways holds more than it shows (on a laptop and
// on paper, a table's last columns, the histograms, would be cut off), or when a table reaches
// past the page.
func (b *browserRun) fitsItsBoxes(step string) {
	b.t.Helper()
	for _, o := range browserEval[[]string](b, `[...document.querySelectorAll(".scroll, table")].filter(e => e.getClientRects().length &&
		(e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== "visible" || e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)).
		map(e => (e.getAttribute("aria-label") || e.className || e.tagName) + " in #" + (e.closest("section[id]") || {}).id + ": " + e.scrollWidth + " px in " + e.clientWidth)`) {
		b.t.Errorf("%s: %s", step, o)
	}
}

// staticServed fails unless every stylesheet and script of the page has a content-hashed name,
// may be cached for a year, and came compressed when over 1 KB.
func (b *browserRun) staticServed(step string) {
	b.t.Helper()
	bad, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`Promise.all([...document.querySelectorAll("link[rel=stylesheet], script[src]")].map(async el => {
		const u = el.href || el.src, t = performance.getEntriesByName(u)[0], r = await fetch(u), out = [];
		if (!/\/static\/[\w-]+\.[0-9a-f]{12}\.(css|js)$/.test(u)) out.push("not a content-hashed name");
		if (r.headers.get("cache-control") !== "public, max-age=31536000, immutable") out.push("Cache-Control " + r.headers.get("cache-control"));
		if (!t) out.push("not loaded");
		else if (t.decodedBodySize > 1024 && !(t.encodedBodySize < t.decodedBodySize)) out.push("sent uncompressed, " + t.decodedBodySize + " bytes");
		return out.length ? u + ": " + out.join("; ") : "";
	})).then(a => a.filter(Boolean))`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: static files: %v", step, err)
	}
	if n := browserEval[int](b, `document.querySelectorAll("link[rel=stylesheet], script[src]").length`); n < 2 {
		b.t.Errorf("%s: %d stylesheets and scripts", step, n)
	}
	for _, s := range bad {
		b.t.Errorf("%s: %s", step, s)
	}
}

// participationApart fails when the report's group and country tables overlap.
func (b *browserRun) participationApart(step string) {
	b.t.Helper()
	if o := browserEval[string](b, `(() => {
		const [g, c] = [...document.querySelectorAll("#participation table")].map(t => t.getBoundingClientRect());
		const x = Math.min(g.right, c.right) - Math.max(g.left, c.left), y = Math.min(g.bottom, c.bottom) - Math.max(g.top, c.top);
		return x > 0 && y > 0 ? "overlap by " + Math.round(x) + "×" + Math.round(y) + " px" : "";
	})()`); o != "" {
		b.t.Errorf("%s: the group and country tables %s", step, o)
	}
}

// onPaper emulates the print media (or the screen again).
func (b *browserRun) onPaper(on bool) {
	b.t.Helper()
	media := ""
	if on {
		media = "print"
	}
	b.do("media "+media, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return err
	}))
}

// follow clicks the link to path on the page and waits for the page it leads to.
func (b *browserRun) follow(path string) {
	b.t.Helper()
	b.do("follow "+path, chromedp.Click(fmt.Sprintf(`a[href=%q]`, path)))
	b.waitPage("at "+path, fmt.Sprintf(`location.pathname === %q && document.readyState === "complete"`, strings.SplitN(path, "?", 2)[0]))
}

// open types a URL into the address bar.
func (b *browserRun) open(base, path, sel string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(base+path), chromedp.WaitVisible(sel))
}

// tab is a browser context of its own (its own cookies, as a different person's device).
func (b *browserRun) tab() *browserRun {
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	return &browserRun{t: b.t, ctx: ctx}
}

func TestBrowserAccessibility(t *testing.T) {
	exe := chromiumPath(t)
	e := newEnv(t)
	base := e.srv.URL
	// audit starts a Chromium for a part of the suite and reports how long it took.
	audit := func(t *testing.T) (*auditor, *browserRun) {
		start := time.Now()
		a := newAuditor(t)
		t.Cleanup(func() { t.Logf("%d page states checked in %s", a.states, time.Since(start).Round(time.Second)) })
		return a, newBrowserRun(t, exe, 10*time.Minute)
	}

	t.Run("reports and meetings", func(t *testing.T) {
		a, b := audit(t)
		// Reports, and a consensus meeting, on a finished study of two rounds.
		rid, err := reporttest.Run(context.Background(), e.svc, reporttest.Options{Definition: reporttest.Fixture, Panelists: 20, Rounds: 2,
			Seed: 7, Advance: e.clock.Add, Hostile: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.FinishStudy(context.Background(), delphi.System, rid); err != nil {
			t.Fatal(err)
		}
		e.admin = e.login("admin@test", adminPassword) // the run moved the clock past the session's end
		// The admin signs in through the form.
		b.open(base, "/console/login", `#email`)
		a.check(b, "console: sign in")
		b.do("type the credentials", chromedp.SendKeys(`#email`, "admin@test"), chromedp.SendKeys(`#password`, adminPassword+kb.Enter))
		b.waitPage("signed in", `location.pathname === "/console" && document.readyState === "complete"`)
		rp := func(path string) string { return fmt.Sprintf("/reports/studies/%d%s", rid, path) }
		b.open(base, "/reports", `main h1`)
		a.check(b, "reports: list")
		b.follow(rp("/rounds/2"))
		a.check(b, "reports: round 2 summary")
		b.do("laptop", chromedp.EmulateViewport(1366, 768))
		b.fitsItsBoxes("summary on a laptop")
		b.staticServed("summary")
		b.open(base, rp("/rounds/2?view=print"), `#h-overview`)
		a.check(b, "reports: print view")
		b.do("laptop", chromedp.EmulateViewport(1366, 768))
		b.fitsItsBoxes("print view on a laptop")
		b.participationApart("print view on a laptop")
		b.do("A4", chromedp.EmulateViewport(703, 1000)) // 210 mm less the page's margins, at 96 dpi
		b.onPaper(true)
		b.fitsItsBoxes("print view on paper")
		b.participationApart("print view on paper")
		b.onPaper(false)
		b.open(base, rp("/rounds/2?view=slides"), `body.js-slides #slide-count`)
		a.check(b, "reports: slides")
		b.open(base, rp("/outcome"), `h1`)
		a.check(b, "reports: outcome")
		b.open(base, fmt.Sprintf("/console/studies/%d/decisions", rid), `main h1`)
		a.check(b, "console: decisions of a finished study")
		b.open(base, rp("/meetings"), `#m-title`)
		a.check(b, "meetings: list")
		b.do("a meeting", chromedp.SendKeys(`#m-title`, "EHA25 consensus meeting"), chromedp.SetValue(`#m-date`, "2026-06-12"),
			chromedp.SendKeys(`#m-place`, "Milan"), chromedp.Click(`form.card button[type=submit]`))
		b.waitPage("the presenter's screen", `location.pathname.startsWith("/reports/meetings/") && document.getElementById("join-code") !== null`)
		a.checkOn(b, "meetings: presenter screen", projector)
		code := b.text("#join-code")
		m := b.tab()
		m.open(base, "/m", `#j-code`)
		a.check(m, "meetings: join page")
		m.open(base, "/m/"+code, `#j-name`)
		m.do("join", chromedp.SendKeys(`#j-name`, "Phone 1"), chromedp.SetValue(`#j-group`, "haematologist"), chromedp.Click(`.join-form button[type=submit]`))
		m.waitPage("joined", `location.pathname === "/m/vote" && document.querySelector("main h1") !== null`)
		a.check(m, "meetings: waiting to vote")
		b.do("open the vote", chromedp.SetValue(`#tier`, "core"), chromedp.Click(`button[data-proposal]`))
		b.waitPage("the vote is open", `document.getElementById("live-count") !== null`)
		a.checkOn(b, "meetings: presenter, vote open", projector)
		m.waitPage("the vote", `document.querySelector("button.option[value=agree]") !== null`)
		a.check(m, "meetings: vote page")
		m.do("vote", chromedp.Click(`button.option[value=agree]`))
		m.waitPage("acknowledged", `document.getElementById("vote-status").textContent.includes("Your vote")`)
		a.check(m, "meetings: voted")
		b.do("close the vote", chromedp.Click(`#vote button[data-api]`))
		b.waitPage("the result", `document.getElementById("result") !== null`)
		a.checkOn(b, "meetings: presenter, result", projector)

	})
	t.Run("experts and console", func(t *testing.T) {
		a, b := audit(t)
		// CART-CD, in its three languages: three experts answer in the browser, the rest of the
		// panel through the API (five haematologists, so that round 2 breaks the group out).
		sid := e.study("cart-cd")
		langs := []string{"en", "de", "fr"}
		groups := []string{"haematologist", "nurse", "haematologist", "haematologist", "nurse", "haematologist", "haematologist",
			"data_manager", "data_manager", "data_manager"}
		rows := make([]delphi.PanelistInput, len(groups))
		for i, g := range groups {
			rows[i] = delphi.PanelistInput{Name: fmt.Sprintf("Expert %d", i+1), Email: fmt.Sprintf("e%d@example.org", i+1),
				Group: g, Country: []string{"DE", "FR", "IT", "ES", "NL"}[i%5], Language: langs[i%3]}
		}
		var ps []delphi.Panelist
		e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/panelists", sid), e.admin, rows, &ps), 201)
		_, toks := e.openRound(sid)
		experts := map[string]*browserRun{}
		var items []string // the first section's items
		for i, lang := range langs {
			x := b.tab()
			experts[lang] = x
			p := "expert " + lang + ": "
			x.open(base, "/r/"+toks[ps[i].ID], `form.consent`)
			a.check(x, p+"invitation and consent")
			x.do("consent", chromedp.Click(`input[name=agree]`), chromedp.Click(`form.consent button`), chromedp.WaitVisible(`.section-list`))
			a.check(x, p+"overview")
			x.do("start", chromedp.Click(`a.button[href^="/respond/section/"]`), chromedp.WaitVisible(`form.questionnaire`))
			if items == nil {
				items = browserEval[[]string](x, `[...document.querySelectorAll("form.questionnaire .item")].map(b => b.dataset.item)`)
			}
			x.do("rate", chromedp.Click(fmt.Sprintf(`input[name="rating:%s"][value="7"]`, items[0])))
			for browserEval[bool](x, `location.pathname.startsWith("/respond/section/")`) {
				sec := browserEval[string](x, `location.pathname`)
				a.check(x, p+"section "+strings.TrimPrefix(sec, "/respond/section/"))
				x.staticServed(p + "section page")
				x.do("save and continue", chromedp.Click(`button[name=go][value=next]`))
				x.waitPage("next section", fmt.Sprintf(`location.pathname !== %q && document.readyState === "complete"`, sec))
			}
			a.check(x, p+"review")
			x.follow("/respond/suggest")
			a.check(x, p+"suggest an item")
			x.follow("/respond/data")
			a.check(x, p+"your data")
			x.open(base, "/respond/review", `#submit-round`)
			x.do("submit", chromedp.Click(`#submit-round`), chromedp.WaitVisible(`.submitted`))
			a.check(x, p+"thanks")
		}

		// The panel answers; the facilitator closes round 1 and opens round 2 on the first section.
		others := []int64{}
		for _, pl := range ps[3:] {
			others = append(others, pl.ID)
		}
		spread := []int{8, 2, 5, 9, 3, 6, 4}
		e.expertRateAll(toks, others, items, func(i int, _ string) int { return spread[i] }, "Seen from the ward <b>bold</b>")
		e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", sid), e.admin, nil, nil), 200)
		experts["en"].open(base, "/respond", `table.answers`)
		a.check(experts["en"], "expert en: round closed, answers read-only")

		// The console, as the admin: signed in through the form.
		c := func(path string, args ...any) string {
			return fmt.Sprintf("/console/studies/%d"+path, append([]any{sid}, args...)...)
		}
		b.signIn(base, "/console", "admin@test", adminPassword, "/console")
		a.check(b, "console: studies")
		b.follow(c(""))
		a.check(b, "console: study")
		b.follow(c("/panel"))
		a.check(b, "console: panel")
		b.do("paste a CSV", chromedp.SendKeys(`#csv`, "name,email,group,country,language\nAda Lovelace,ada@example.org,Haematologist,GB,en\nBad Row,not-an-email,nobody,XX,en\n"),
			chromedp.Click(`form[action$="/panel/preview"] button[type=submit]`))
		b.waitPage("preview", `location.pathname.endsWith("/panel/preview") && document.readyState === "complete"`)
		a.check(b, "console: panel import preview")
		b.open(base, c("/panel/%d", ps[0].ID), `main h1`)
		a.check(b, "console: panelist")
		b.open(base, c("/rounds/1"), `main h1`)
		a.check(b, "console: round 1, closed")
		b.open(base, c("/rounds/new"), `main h1`)
		a.check(b, "console: next round proposal")
		for _, pg := range []string{"/decisions", "/outbox", "/suggestions", "/members", "/audit"} {
			b.open(base, c(pg), `main h1`)
			a.check(b, "console: "+strings.TrimPrefix(pg, "/"))
		}
		b.follow("/console/staff")
		a.check(b, "console: staff")
		b.open(base, "/console/staff/1", `main h1`)
		a.check(b, "console: staff member")
		b.open(base, "/console/account", `main h1`)
		a.check(b, "console: your account")

		// Round 2, with the panel's feedback beside each item.
		tok2 := e.secondRound(sid, items)
		b.open(base, c("/rounds/2"), `main h1`)
		a.check(b, "console: round 2, open")
		for i, lang := range langs {
			x, p := experts[lang], "expert "+lang+": "
			x.open(base, "/r/"+tok2[ps[i].ID], `.section-list`)
			a.check(x, p+"round 2 overview")
			x.do("start", chromedp.Click(`a.button[href^="/respond/section/"]`), chromedp.WaitVisible(`aside.feedback`))
			x.do("open the groups and comments", chromedp.Click(`aside.feedback details.groups summary`), chromedp.Click(`aside.feedback details.comments summary`))
			a.check(x, p+"round 2 section with feedback")
			x.do("change band", chromedp.Click(fmt.Sprintf(`input[name="rating:%s"][value="2"]`, items[0])))
			x.waitJS("reason asked", fmt.Sprintf(`getComputedStyle(document.getElementById("item-%s").querySelector(".reason")).display !== "none"`, items[0]))
			a.check(x, p+"round 2, a reason asked")
			x.do("data page", chromedp.Click(`a.data-link`), chromedp.WaitVisible(`form.withdraw-form`))
			x.do("withdraw", chromedp.Click(`input[name="answers"][value="keep"]`), chromedp.Click(`input[name="confirm"]`),
				chromedp.Click(`#withdraw-button`), chromedp.WaitVisible(`section.withdrawn`))
			a.check(x, p+"withdrawn")
			x.open(base, "/r/"+tok2[ps[i].ID], `h1`)
			a.check(x, p+"the link after withdrawal")
		}
		x := b.tab()
		x.open(base, "/r/"+toks[ps[4].ID], `h1`) // round 1's link, closed and replaced
		a.check(x, "expert: an old link")
		x.open(base, "/r/"+toks[ps[4].ID][:20]+"x", `h1`)
		a.check(x, "expert: a broken link")

	})
}
