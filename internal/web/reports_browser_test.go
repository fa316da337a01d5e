package web

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cart-cd/delphi/internal/report/reporttest"
)

// reportBrowser starts a headless Chromium for the report tests, or skips: loudly when it is
// missing (it fails under CI=true, where it must be installed), quietly in -short.
func reportBrowser(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short")
	}
	var bin string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Chromium found: install it (apt-get install -y chromium)")
		}
		t.Log("##########################################################################")
		t.Log("SKIPPING the report browser test: no Chromium (apt-get install -y chromium)")
		t.Log("##########################################################################")
		t.Skip("no Chromium")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.WindowSize(1280, 720),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel3)
	return ctx
}

// TestReportBrowser renders a round summary, switches to slides, moves through them with the
// keyboard, and prints the print view to PDF. With REPORT_SHOTS=DIR it saves screenshots and
// the PDF there, and with REPORT_SURVEY=cart-cd it simulates the CART-CD survey (60 panelists).
func TestReportBrowser(t *testing.T) {
	ctx := reportBrowser(t)
	e := newEnv(t)
	opts := reporttest.Options{Definition: reporttest.Fixture, Panelists: 20, Rounds: 2, Seed: 7, Advance: e.clock.Add, Hostile: true}
	if os.Getenv("REPORT_SURVEY") == "cart-cd" {
		opts = reporttest.Options{Survey: "cart-cd", Panelists: 60, Rounds: 2, Seed: 3, Advance: e.clock.Add}
	}
	sid, err := reporttest.Run(context.Background(), e.svc, opts)
	if err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("REPORT_SHOTS")
	save := func(name string, b []byte) {
		if shots != "" {
			if err := os.WriteFile(filepath.Join(shots, name), b, 0o644); err != nil {
				t.Error(err)
			}
		}
	}
	base := fmt.Sprintf("%s/reports/studies/%d/rounds/2", e.srv.URL, sid)
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	run := func(a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	shot := func(a chromedp.Action[[]byte]) []byte {
		t.Helper()
		v, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// sign in through the form, as a presenter does: the report asks for it first
	signIn := []chromedp.Action[chromedp.Void]{chromedp.Navigate(base), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "admin@test"), chromedp.SendKeys(chromedp.ID("password"), adminPassword+kb.Enter)}
	count := func() string { return run(chromedp.Text(chromedp.ID("slide-count"))) }

	// screen
	do(signIn...)
	do(chromedp.WaitVisible(chromedp.ID("h-overview")))
	title := run(chromedp.Text(chromedp.ID("h-overview")))
	screen := shot(chromedp.FullScreenshot(70))
	if shots != "" { // a look at parts of the screen view
		for _, id := range []string{"participation", "flow", "results", "placement", "groups", "contested", "change", "comments"} {
			do(chromedp.ScrollIntoView(chromedp.ID(id)))
			save("screen-"+id+".png", shot(chromedp.CaptureScreenshot()))
		}
	}
	// slides, by the link, then the keyboard
	do(chromedp.Click(chromedp.ID("to-slides")), chromedp.WaitVisible(chromedp.CSS("body.js-slides #slide-count")))
	count1 := count()
	slide1 := shot(chromedp.CaptureScreenshot())
	do(chromedp.KeyEvent(kb.ArrowRight))
	count2 := count()
	do(chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowLeft))
	count3 := count()
	slide2 := shot(chromedp.CaptureScreenshot())
	do(chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight))
	slide3 := shot(chromedp.CaptureScreenshot())
	do(chromedp.KeyEvent(kb.End))
	countEnd := count()
	slideLast := shot(chromedp.CaptureScreenshot())
	// print
	do(chromedp.Navigate(base+"?view=print"), chromedp.WaitVisible(chromedp.ID("h-overview")))
	pdf := shot(chromedp.PrintToPDF(chromedp.PDFPreferCSSPageSize(), chromedp.PDFPrintBackground()))

	// the summary and the outcome page fit a phone and a laptop without sideways scroll, and
	// the outcome page shows its groups
	for _, vp := range []struct {
		name string
		w, h int64
		opts []chromedp.EmulateViewportOption
	}{{"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile}}, {"laptop", 1366, 768, nil}} {
		do(chromedp.EmulateViewport(vp.w, vp.h, vp.opts...))
		for _, u := range []string{base + "?view=screen", base + "?view=print", fmt.Sprintf("%s/reports/studies/%d/outcome", e.srv.URL, sid)} {
			do(chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS("h1")))
			// against the device width: a mobile browser widens its layout viewport to the page
			over, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.documentElement.scrollWidth - %d`, vp.w)))
			if err != nil {
				t.Fatal(err)
			}
			if over > 0 {
				wide, _ := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`[...document.querySelectorAll("body *")].filter(e => { if (e.getBoundingClientRect().right <= %d) return false; for (let a = e.parentElement; a; a = a.parentElement) { if (getComputedStyle(a).overflowX != "visible") return false; } return true; }).sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right).slice(0, 4).map(e => e.tagName + "." + e.className + " in #" + (e.closest("section") || {}).id + " to " + Math.round(e.getBoundingClientRect().right)).join(", ")`, vp.w)))
				t.Errorf("%s at %d px: the page scrolls sideways by %d px (%s)", u, vp.w, over, wide)
			}
			save(fmt.Sprintf("width-%s-%d.png", vp.name, len(u)), shot(chromedp.FullScreenshot(100)))
		}
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("section.outcome-group").length`)); err != nil || n < 3 {
		t.Errorf("outcome page: %d groups (%v); want the core set, undecided and excluded at least", n, err)
	}

	save("screen.jpg", screen)
	save("slide-1.png", slide1)
	save("slide-4.png", slide2)
	save("slide-7.png", slide3)
	save("slide-last.png", slideLast)
	save("print.pdf", pdf)

	if !strings.Contains(title, "Report fixture") && !strings.Contains(title, "CART-CD") && title == "" {
		t.Errorf("summary title %q", title)
	}
	re := regexp.MustCompile(`^(\d+) / (\d+)$`)
	m1, m2, m3, me := re.FindStringSubmatch(count1), re.FindStringSubmatch(count2), re.FindStringSubmatch(count3), re.FindStringSubmatch(countEnd)
	if m1 == nil || m2 == nil || m3 == nil || me == nil {
		t.Fatalf("slide counters %q %q %q %q", count1, count2, count3, countEnd)
	}
	if m1[1] != "1" || m2[1] != "2" || m3[1] != "4" || me[1] != me[2] {
		t.Errorf("keyboard navigation: %q → %q → %q → %q", count1, count2, count3, countEnd)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %.20q", pdf)
	}
	if pages := bytes.Count(pdf, []byte("/Type /Page")) - bytes.Count(pdf, []byte("/Type /Pages")); pages < 5 {
		t.Errorf("the printed summary has %d pages; want one per part (≥ 5)", pages)
	}
}

// TestReportBrowserDeck shows the slides view, a deck for a room, at 1280×720 and 1920×1080:
// title, participation, the overview per section, one slide per item under discussion in the
// meeting's ranking, and the appendix; no slide overflows its box, the clicker's keys move
// through it, no group under the minimum shows, and it prints one slide a page.
func TestReportBrowserDeck(t *testing.T) {
	ctx := reportBrowser(t)
	e := newEnv(t)
	opts := reporttest.Options{Definition: reporttest.Fixture, Panelists: 20, Rounds: 2, Seed: 7, Advance: e.clock.Add, Hostile: true}
	if os.Getenv("REPORT_SURVEY") == "cart-cd" {
		opts = reporttest.Options{Survey: "cart-cd", Panelists: 60, Rounds: 2, Seed: 3, Advance: e.clock.Add}
	}
	sid, err := reporttest.Run(context.Background(), e.svc, opts)
	if err != nil {
		t.Fatal(err)
	}
	// the expected items under discussion: the ranking, by round 2's ids
	so, err := e.svc.Outcome(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, en := range so.Entries {
		for _, h := range en.History {
			if h.Round == 2 {
				ids[en.Item] = en.Item
				if h.Item != "" {
					ids[en.Item] = h.Item
				}
			}
		}
	}
	var want []string
	for _, c := range e.svc.RankOpen(so) {
		if id, ok := ids[c.Item]; ok {
			want = append(want, "item-"+id)
		}
	}
	if len(want) == 0 {
		t.Fatal("the fixture leaves no item under discussion in round 2")
	}
	base := fmt.Sprintf("%s/reports/studies/%d/rounds/2", e.srv.URL, sid)
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	count := func() string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("slide-count")))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	do(chromedp.Navigate(base), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "admin@test"), chromedp.SendKeys(chromedp.ID("password"), adminPassword+kb.Enter),
		chromedp.WaitVisible(chromedp.ID("h-overview")))
	shots := os.Getenv("REPORT_SHOTS")
	total := 3 + len(want) + 1
	for _, vp := range []struct{ w, h int64 }{{1280, 720}, {1920, 1080}} {
		do(chromedp.EmulateViewport(vp.w, vp.h), chromedp.Navigate(base+"?view=slides"),
			chromedp.WaitVisible(chromedp.CSS("body.js-slides #slide-count")))
		if c := count(); c != fmt.Sprintf("1 / %d", total) {
			t.Errorf("%d×%d: counter %q, want 1 / %d (title, participation, overview, %d items, appendix)", vp.w, vp.h, c, total, len(want))
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll(".deck-item")].map(s => s.id)`))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%d×%d: item slides %v, want the ranking %v", vp.w, vp.h, got, want)
		}
		ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll(".slide")].map(s => s.id)`))
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != total || ids[0] != "deck-title" || ids[1] != "deck-participation" || ids[2] != "deck-overview" || ids[len(ids)-1] != "deck-appendix" {
			t.Errorf("%d×%d: slides %v", vp.w, vp.h, ids)
		}
		for i := range total {
			// the current slide, and anything in it that reaches past its box or the screen
			over, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(() => {
				const s = document.querySelector(".slide.current"), r = s.getBoundingClientRect(), out = [];
				if (r.right > %d + 1 || r.bottom > %d + 1) out.push("the slide " + Math.round(r.width) + "×" + Math.round(r.height));
				if (s.scrollHeight > s.clientHeight + 1 || s.scrollWidth > s.clientWidth + 1) out.push("content " + s.scrollWidth + "×" + s.scrollHeight + " in " + s.clientWidth + "×" + s.clientHeight);
				for (const el of s.querySelectorAll("*")) {
					const b = el.getBoundingClientRect();
					if (b.width === 0 || b.height === 0 || el.closest(".deck-appendix li")) continue;
					if (b.right > r.right + 1 || b.bottom > r.bottom + 1) { out.push(el.tagName + "." + el.className + " to " + Math.round(b.right) + "," + Math.round(b.bottom)); break; }
				}
				return s.id + (out.length ? ": " + out.join("; ") : "");
			})()`, vp.w, vp.h)))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(over, ":") {
				t.Errorf("%d×%d slide %d overflows: %s", vp.w, vp.h, i+1, over)
			}
			if shots != "" {
				b, _ := chromedp.Run(ctx, chromedp.CaptureScreenshot())
				os.WriteFile(filepath.Join(shots, fmt.Sprintf("deck-%d-%02d.png", vp.w, i+1)), b, 0o644)
			}
			do(chromedp.KeyEvent(kb.PageDown))
		}
		// a clicker: Page Up/Down, and Space/Backspace as a keyboard's
		do(chromedp.KeyEvent(kb.Home), chromedp.KeyEvent(" "), chromedp.KeyEvent(" "), chromedp.KeyEvent(kb.Backspace))
		if c := count(); c != fmt.Sprintf("2 / %d", total) {
			t.Errorf("Space, Space, Backspace: %q", c)
		}
		do(chromedp.KeyEvent(kb.PageDown), chromedp.KeyEvent(kb.PageDown), chromedp.KeyEvent(kb.PageUp))
		if c := count(); c != fmt.Sprintf("3 / %d", total) {
			t.Errorf("Page Down, Page Down, Page Up: %q", c)
		}
	}
	// no group under the minimum on a slide: every group an item slide shows has at least
	// min_group_size submitters in the participation table; the others say "fewer than N"
	st, err := e.svc.Study(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	min := minGroupSize(st)
	small, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(`(() => {
		const size = {};
		for (const tr of document.querySelectorAll("#deck-participation table:first-of-type tbody tr")) size[tr.querySelector("th").textContent] = +tr.querySelectorAll("td")[1].textContent;
		return [...document.querySelectorAll(".deck-item .group-mini tbody tr")].filter(tr => {
			const c = tr.querySelectorAll("td"), g = tr.querySelector("th").textContent;
			return c[0].colSpan === 3 ? c[0].textContent !== "fewer than %d" || [...c].slice(1).some(td => td.textContent !== "–") : !(size[g] >= %d);
		}).map(tr => tr.textContent);
	})()`, min, min)))
	if err != nil {
		t.Fatal(err)
	}
	if len(small) > 0 {
		t.Errorf("groups under the minimum on the slides: %q", small)
	}
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPreferCSSPageSize(), chromedp.PDFPrintBackground()))
	if err != nil {
		t.Fatal(err)
	}
	if shots != "" {
		os.WriteFile(filepath.Join(shots, "deck.pdf"), pdf, 0o644)
	}
	if pages := bytes.Count(pdf, []byte("/Type /Page")) - bytes.Count(pdf, []byte("/Type /Pages")); pages != total {
		t.Errorf("the printed deck has %d pages; want one a slide (%d)", pages, total)
	}
}
