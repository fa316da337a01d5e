package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cart-cd/delphi/internal/delphi"
)

// TestBrowserConsoleWidths: a facilitator signs in through the form on a phone (390 px) and on
// a laptop (1366 px) and goes through every console page they can reach; none is wider than the
// screen. On the way they open round 1, email the links from the round page and read there,
// per panelist, what became of each link.
func TestBrowserConsoleWidths(t *testing.T) {
	exe := chromiumPath(t)
	for _, vp := range phoneAndLaptop {
		t.Run(vp.name, func(t *testing.T) {
			e := newEnv(t)
			sid := e.study("cart-cd")
			e.member(sid, e.addStaff("fac@test", "facilitator", "facilitator password"), "facilitator")
			groups := e.groupIDs(sid)
			ids := e.panel(sid, 6, groups...)
			e.web.Mailer = &recordingSender{}
			base := e.srv.URL
			study := fmt.Sprintf("/console/studies/%d", sid)

			b := newBrowserRun(t, exe, 90*time.Second)
			b.emulate(vp)
			b.signIn(base, "/console", "fac@test", "facilitator password", "/console")
			b.noSideways("studies", vp.width)
			visit := func(path, heading string) {
				t.Helper()
				b.do("open "+path, chromedp.Navigate(base+path))
				b.waitPage(path, fmt.Sprintf(`document.readyState === "complete" && (document.querySelector("main h1")||{}).innerText.includes(%q)`, heading))
				b.noSideways(path, vp.width)
			}
			visit(study, "CAR T")
			visit(study+"/panel", "Panel")
			b.do("paste a CSV", chromedp.SetValue(`#csv`, "name,email,group,country,language\nAlexandra Konstantinopoulou-Wiśniewska,alexandra.konstantinopoulou-wisniewska@university-hospital.example.org,"+groups[0]+",GR,en\n"),
				chromedp.Click(`form[action$="/panel/preview"] button[type=submit]`))
			b.waitPage("import preview", `document.readyState === "complete" && (document.querySelector("main h1")||{}).innerText.includes("Import preview")`)
			b.noSideways("import preview", vp.width)
			visit(study+"/rounds/new", "Open round 1")
			b.do("open round 1", chromedp.Click(`button[name=action][value=open]`))
			b.waitPage("round 1 is open", `location.pathname.endsWith("/rounds/1") && document.getElementById("n-issued") !== null`)
			b.noSideways("round page", vp.width)
			e.web.Mailer = nil // without email: the page says so and how to set it up
			b.do("reload without email", chromedp.Reload())
			b.waitPage("no email", `document.readyState === "complete" && (document.getElementById("reminders-why")||{innerText:""}).innerText.includes("email is not configured")`)
			b.noSideways("round page without email", vp.width)
			e.web.Mailer = &recordingSender{}
			b.do("reload with email", chromedp.Reload())
			b.waitPage("email", `document.readyState === "complete" && document.querySelector('form[action$="/rounds/1/invitations"]') !== null`)
			if got := b.text("#n-issued"); got != "0" {
				t.Errorf("links before any was issued: %q", got)
			}
			if why := b.text("#reminders-why"); !strings.Contains(why, "no link has been issued") {
				t.Errorf("beside the reminders: %q", why)
			}
			// the main action: email the links
			b.do("email the links", chromedp.Click(`form[action$="/rounds/1/invitations"] button[type=submit]`))
			b.waitPage("emailed", `document.readyState === "complete" && (document.querySelector(".flash")||{innerText:""}).innerText.includes("6 invitation emails queued")`)
			if got := b.text("#n-issued"); got != "6" {
				t.Errorf("after emailing, %q with a link", got)
			}
			if n := browserEval[int](b, `[...document.querySelectorAll("#panelists tbody td[data-label=Email]")].filter(td => td.innerText.startsWith("queued")).length`); n != 6 {
				t.Errorf("%d panelists' emails shown queued, want 6", n)
			}
			// the mail goes out, one expert opens the link, another submits
			if _, err := e.svc.DeliverMail(context.Background(), &recordingSender{}, 100); err != nil {
				t.Fatal(err)
			}
			links := liveLinks(t, e, sid)
			e.must(e.call("GET", "/api/v1/respond", links[ids[0]], nil, nil), 200)
			e.answerAll(links[ids[1]], func(string) *int { return ip(7) }, "")
			b.do("reload", chromedp.Reload())
			b.waitPage("reloaded", `document.getElementById("n-opened") !== null && document.getElementById("n-opened").innerText === "2"`)
			b.do("not opened", chromedp.Click(`nav.c-filter a[href$="show=not_opened#panelists"]`))
			b.waitPage("filtered", `location.search === "?show=not_opened" && document.readyState === "complete"`)
			if n := browserEval[int](b, `document.querySelectorAll("#panelists tbody tr").length`); n != 4 {
				t.Errorf("%d panelists not opened, want 4", n)
			}
			if got := b.text("#panelists tbody"); strings.Contains(got, "Expert 1\n") || !strings.Contains(got, "sent") {
				t.Errorf("the not opened panelists: %q", got)
			}
			b.noSideways("round page, not opened", vp.width)
			b.screenshot("console-round-"+vp.name, "")
			visit(study+"/outbox", "Outbox")
			visit(study+"/suggestions", "Suggestions")
			visit(study+"/decisions", "Committee decisions")
			visit(study+"/members", "Members")
			visit("/console/account", "Your account")
			visit(fmt.Sprintf("/reports/studies/%d/meetings", sid), "Consensus meetings")
			e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", sid), e.admin, nil, nil), 200)
			visit(study+"/rounds/1", "Round 1")
			if why := b.text("#kendall-why"); !strings.Contains(why, "Not shown") {
				t.Errorf("Kendall's W without a value says %q", why)
			}
			visit(study+"/decisions", "Committee decisions")
			visit(study, "CAR T")

			// the admin's own pages: the staff list and the audit logs
			a := newBrowserRun(t, exe, 60*time.Second)
			a.emulate(vp)
			a.signIn(base, "/console/staff", "admin@test", adminPassword, "/console/staff")
			a.noSideways("staff", vp.width)
			for _, pg := range []struct{ path, heading string }{{study + "/audit", "Audit"}, {"/console/audit", "Audit"}} {
				a.do("open "+pg.path, chromedp.Navigate(base+pg.path))
				a.waitPage(pg.path, fmt.Sprintf(`document.readyState === "complete" && (document.querySelector("main h1")||{}).innerText.includes(%q)`, pg.heading))
				a.noSideways(pg.path, vp.width)
			}
		})
	}
}

// liveLinks returns each panelist's current link token (what their email carries).
func liveLinks(t *testing.T, e *env, sid int64) map[int64]string {
	t.Helper()
	links, err := e.svc.LiveLinks(context.Background(), delphi.System, sid, 1, nil, e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]string{}
	for _, l := range links {
		out[l.PanelistID] = l.Token
	}
	return out
}

// groupIDs returns the ids of a study's stakeholder groups, in the definition's order.
func (e *env) groupIDs(sid int64) []string {
	e.t.Helper()
	var ids []string
	for _, g := range e.studyJSON(sid).Definition.Groups {
		ids = append(ids, g.ID)
	}
	return ids
}

// viewport is a screen a test runs on.
type viewport struct {
	name          string
	width, height int64
	mobile        bool
}

// phoneAndLaptop are the two screens pages must fit.
var phoneAndLaptop = []viewport{{"phone", 390, 844, true}, {"laptop", 1366, 768, false}}

// emulate sets the browser's screen.
func (b *browserRun) emulate(vp viewport) {
	b.t.Helper()
	if vp.mobile {
		b.do(vp.name, chromedp.EmulateViewport(vp.width, vp.height, chromedp.EmulateMobile))
	} else {
		b.do(vp.name, chromedp.EmulateViewport(vp.width, vp.height))
	}
}
