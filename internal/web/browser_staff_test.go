package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Staff in a real browser: every journey signs in through the form, typing and pressing Enter,
// as a person does; nothing plants a cookie or token.

// signIn opens the sign-in form at path (the sign-in page, or a page that asks for it), types
// the email and password, presses Enter, and waits until the browser is at want.
func (b *browserRun) signIn(base, path, email, pw, want string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(base+path), chromedp.WaitVisible(`#email`))
	b.do("type the credentials", chromedp.SendKeys(`#email`, email), chromedp.SendKeys(`#password`, pw+kb.Enter))
	b.waitPage("signed in as "+email, fmt.Sprintf(`location.pathname === %q && document.readyState === "complete"`, want))
}

// waitPage waits until a JavaScript expression is true on the page the browser is at, through
// the navigations a form's submission and its redirect cause (a poll inside one page would be
// cut off by them).
func (b *browserRun) waitPage(step, js string) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	loc, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`location.href`))
	b.t.Fatalf("%s: waiting for %s (at %s): %v", step, js, loc, last)
}

func (b *browserRun) text(sel string) string {
	b.t.Helper()
	return browserEval[string](b, fmt.Sprintf(`(document.querySelector(%q)||{}).innerText||""`, sel))
}

// noSideways fails when the page is wider than the screen of width px (a phone would scroll
// sideways). It compares with the width emulated: a mobile browser widens its layout viewport to
// the page, so the window's own width would always fit.
func (b *browserRun) noSideways(step string, width int64) {
	b.t.Helper()
	if w := browserEval[int](b, fmt.Sprintf(`document.documentElement.scrollWidth - %d`, width)); w > 0 {
		b.t.Errorf("%s: the page is %d px wider than the screen", step, w)
	}
}

// TestBrowserStaffRoles: each role signs in through the form on a phone and on a laptop, reaches
// its first page, signs out, and the back button does not show the console again.
func TestBrowserStaffRoles(t *testing.T) {
	exe := chromiumPath(t)
	e := newEnv(t)
	sid := e.study("example")
	e.member(sid, e.addStaff("fac@test", "facilitator", "facilitator password"), "facilitator")
	e.member(sid, e.addStaff("pres@test", "presenter", "presenter password"), "presenter")
	e.study("example") // a second study, of the admin's only
	base := e.srv.URL
	type role struct {
		email, pw string
		// first opens the role's first page from the studies list and returns what its heading says
		link, path, heading string
	}
	roles := []role{
		{"admin@test", adminPassword, `a[href="/console/staff"]`, "/console/staff", "Staff"},
		{"fac@test", "facilitator password", fmt.Sprintf(`main a[href="/console/studies/%d"]`, sid), fmt.Sprintf("/console/studies/%d", sid), "Example"},
		{"pres@test", "presenter password", `a[href="/reports"]`, "/reports", "Reports"},
	}
	for _, vp := range []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"phone", 390, 844, true}, {"laptop", 1366, 768, false}} {
		for _, r := range roles {
			t.Run(vp.name+" "+r.email, func(t *testing.T) {
				b := newBrowserRun(t, exe, 60*time.Second)
				if vp.mobile {
					b.do("phone", chromedp.EmulateViewport(vp.width, vp.height, chromedp.EmulateMobile))
				} else {
					b.do("laptop", chromedp.EmulateViewport(vp.width, vp.height))
				}
				// a wrong password first: the form says so and keeps the email
				b.do("open the console", chromedp.Navigate(base+"/console"), chromedp.WaitVisible(`#email`))
				b.do("mistype", chromedp.SendKeys(`#email`, r.email), chromedp.SendKeys(`#password`, "not my password"+kb.Enter))
				b.waitPage("refused", `document.querySelector(".error-box") !== null`)
				if msg := b.text(".error-box"); !strings.Contains(msg, "wrong email or password") {
					t.Fatalf("a wrong password says %q", msg)
				}
				if v := browserEval[string](b, `document.querySelector("#email").value`); v != r.email {
					t.Errorf("the email was not kept: %q", v)
				}
				b.noSideways("sign-in form", vp.width)
				b.do("type the password", chromedp.SendKeys(`#password`, r.pw+kb.Enter))
				b.waitPage("signed in", `location.pathname === "/console" && document.readyState === "complete"`)
				if h := b.text("main h1"); h != "Studies" {
					t.Fatalf("after sign-in the heading is %q", h)
				}
				rows := browserEval[int](b, `document.querySelectorAll("main table tbody tr").length`)
				if want := map[bool]int{true: 2, false: 1}[r.email == "admin@test"]; rows != want {
					t.Errorf("%s sees %d studies, want %d: %q", r.email, rows, want, b.text("main table"))
				}
				b.noSideways("studies", vp.width)
				b.do("first page", chromedp.Click(r.link))
				b.waitPage("first page", fmt.Sprintf(`location.pathname === %q && document.readyState === "complete"`, r.path))
				if h := b.text("main h1"); !strings.Contains(h, r.heading) {
					t.Errorf("%s: heading %q, want %q", r.path, h, r.heading)
				}
				b.screenshot(fmt.Sprintf("staff-%s-%s", vp.name, strings.Split(r.email, "@")[0]), "")
				if r.email == "admin@test" {
					// the governing pages, as an admin reaches them, fit the screen
					for _, pg := range []struct{ link, heading string }{
						{`a[href^="/console/staff/"]:not([href="/console/staff/1"])`, "fac@test"},
						{`header a.who`, "Your account"},
					} {
						if pg.heading == "fac@test" {
							b.do("staff list", chromedp.Navigate(base+"/console/staff"), chromedp.WaitVisible(pg.link))
						}
						b.do("open "+pg.heading, chromedp.Click(pg.link))
						b.waitPage(pg.heading, fmt.Sprintf(`document.readyState === "complete" && (document.querySelector("main h1")||{}).innerText.includes(%q)`, pg.heading))
						b.noSideways(pg.heading, vp.width)
					}
					b.do("members", chromedp.Navigate(fmt.Sprintf("%s/console/studies/%d/members", base, sid)), chromedp.WaitVisible(`#member-email`))
					b.noSideways("members", vp.width)
				}

				// sign out, then the back button
				b.do("sign out", chromedp.Click(`header form[action="/console/logout"] button`))
				b.waitPage("signed out", `location.pathname === "/console/login" && document.readyState === "complete"`)
				if msg := b.text(".flash"); !strings.Contains(msg, "signed out") {
					t.Errorf("after sign-out the page says %q", msg)
				}
				b.do("back", chromedp.NavigateBack())
				b.waitPage("back", `document.readyState === "complete" && document.querySelector("#email, main h1") !== null`)
				time.Sleep(300 * time.Millisecond) // a page restored from the back-forward cache shows without loading
				if loc := browserEval[string](b, `location.pathname`); loc != "/console/login" || b.text("main h1") != "Sign in to delphi" {
					t.Fatalf("the back button shows %s (%q) after sign-out", loc, b.text("main h1"))
				}
			})
		}
	}
}

// TestBrowserInviteAMember: an admin invites a member in the console, reads the link off the
// screen, and signs out; the member opens the link, chooses a password, and is in the console;
// the admin then disables the account and the member's next click asks for a sign-in.
func TestBrowserInviteAMember(t *testing.T) {
	exe := chromiumPath(t)
	e := newEnv(t)
	base := e.srv.URL
	b := newBrowserRun(t, exe, 60*time.Second)
	b.do("laptop", chromedp.EmulateViewport(1366, 768))
	b.signIn(base, "/console/staff", "admin@test", adminPassword, "/console/staff")
	b.do("fill the form", chromedp.SendKeys(`#email`, "newcomer@example.org"), chromedp.SendKeys(`#name`, "Nina Newcomer"),
		chromedp.SetValue(`#role`, "facilitator"), chromedp.Click(`form[action="/console/staff"] button[type=submit]`))
	b.waitPage("invited", `document.querySelector("#password-link") !== null`)
	link := browserEval[string](b, `document.querySelector("#password-link").value`)
	if !strings.Contains(link, "/console/password/") {
		t.Fatalf("the link on the screen: %q", link)
	}
	if msg := b.text(".flash"); !strings.Contains(msg, "newcomer@example.org") {
		t.Errorf("after inviting: %q", msg)
	}
	b.do("sign out", chromedp.Click(`header form[action="/console/logout"] button`))
	b.waitPage("signed out", `location.pathname === "/console/login"`)

	// the newcomer, on a phone
	m := newBrowserRun(t, exe, 60*time.Second)
	m.do("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	path := strings.TrimPrefix(link, "http://delphi.test")
	m.do("open the link", chromedp.Navigate(base+path), chromedp.WaitVisible(`#password`))
	if h := m.text("main h1"); !strings.Contains(h, "choose your password") {
		t.Errorf("the link's page: %q", h)
	}
	m.noSideways("password form", 390)
	m.do("a common one", chromedp.SendKeys(`#password`, "password1234"), chromedp.SendKeys(`#confirm`, "password1234"+kb.Enter))
	m.waitPage("refused", `document.querySelector(".error-box") !== null`)
	if msg := m.text(".error-box"); !strings.Contains(msg, "common passwords") {
		t.Errorf("a common password: %q", msg)
	}
	m.do("a good one", chromedp.SendKeys(`#password`, "tulips by the canal"), chromedp.SendKeys(`#confirm`, "tulips by the canal"+kb.Enter))
	m.waitPage("in", `location.pathname === "/console" && document.readyState === "complete"`)
	if msg := m.text(".flash"); !strings.Contains(msg, "password is set") {
		t.Errorf("after choosing: %q", msg)
	}
	if who := m.text("header .who"); !strings.Contains(who, "newcomer@example.org") {
		t.Errorf("signed in as %q", who)
	}

	// the admin disables the account; the newcomer's next click asks for a sign-in
	b.signIn(base, "/console/staff", "admin@test", adminPassword, "/console/staff")
	b.do("open the account", chromedp.Click(`a[href^="/console/staff/"]:not([href="/console/staff/1"])`))
	b.waitPage("account", `document.querySelector('input[name=action][value=disable]') !== null`)
	b.do("disable", chromedp.Click(`input[name=action][value=disable] ~ p button`))
	b.waitPage("disabled", `document.querySelector('input[name=action][value=enable]') !== null`)
	m.do("click", chromedp.Click(`a[href="/reports"]`))
	m.waitPage("asked to sign in", `location.pathname === "/console/login" && document.readyState === "complete"`)
	if msg := m.text(".flash"); !strings.Contains(msg, "disabled") {
		t.Errorf("the newcomer is told %q", msg)
	}
}
