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
