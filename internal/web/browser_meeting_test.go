package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/report"
)

// TestBrowserMeeting runs a consensus meeting in one Chromium: the facilitator signs in through
// the form and creates the meeting; four attendees, each in a browser context of their own (their
// own cookies, as on their own phones), join by the code on the screen and vote with the big
// buttons; the presenter's screen counts the votes live, closes the vote and shows the result;
// the decision is in outcome.json and the REDCap data dictionary. Eight more attendees vote
// through the API, so that the vote has the meeting rule's ten voters.
func TestBrowserMeeting(t *testing.T) {
	exe := chromiumPath(t)
	e := newEnv(t)
	sid := meetingStudy(t, e)
	base := e.srv.URL
	b := newBrowserRun(t, exe, 150*time.Second)
	b.do("a projector", chromedp.EmulateViewport(1280, 720))

	// the facilitator signs in on the way to the study's meetings, and creates one
	e.member(sid, e.addStaff("fac@test", "facilitator", "facilitator password"), "facilitator")
	list := fmt.Sprintf("/reports/studies/%d/meetings", sid)
	b.signIn(base, list, "fac@test", "facilitator password", list)
	b.do("fill the form", chromedp.SendKeys(`#m-title`, "EHA25 consensus meeting"), chromedp.SetValue(`#m-date`, "2026-06-12"),
		chromedp.SendKeys(`#m-place`, "Milan"))
	b.do("create", chromedp.Click(`form.card button[type=submit]`))
	b.waitPage("the presenter's screen", `location.pathname.startsWith("/reports/meetings/") && document.getElementById("join-code") !== null`)
	screenURL := base + browserEval[string](b, `location.pathname`) // /reports/meetings/{mid}

	// the list: the facilitator adds one of the study's items and moves it to the top from the
	// keyboard (Enter on "Up"; after each move the focus is back on that button)
	b.do("open the list's editor", chromedp.Click(`.controls a[href$="/items"]`))
	b.waitPage("the list", `document.getElementById("edit-items") !== null`)
	added := browserEval[string](b, `document.getElementById("add-item").value`)
	b.do("add an item", chromedp.Click(`button[value=add]`))
	pos := func() int {
		return browserEval[int](b, fmt.Sprintf(`Array.from(document.querySelectorAll("#edit-items li")).findIndex(li => li.dataset.item === %q)`, added))
	}
	b.waitPage("added at the end", fmt.Sprintf(`document.querySelector("#edit-items li:last-child") !== null && document.querySelector("#edit-items li:last-child").dataset.item === %q`, added))
	for p := pos(); p > 0; p-- {
		b.waitPage("the focus on Up", fmt.Sprintf(`document.activeElement !== null && document.activeElement.value === "up:" + %q`, added))
		b.do("move it up", chromedp.KeyEvent(kb.Enter))
		b.waitPage("moved up", fmt.Sprintf(`Array.from(document.querySelectorAll("#edit-items li")).findIndex(li => li.dataset.item === %q) === %d`, added, p-1))
	}
	b.noSideways("the list's editor", 1280)
	b.screenshot("meeting-list-editor", "")
	b.do("back to the screen", chromedp.Navigate(screenURL))
	b.waitPage("the screen", `document.getElementById("join-code") !== null`)
	code := b.text("#join-code")
	item := browserEval[string](b, `document.getElementById("screen").dataset.item`)
	if item != added {
		t.Fatalf("the screen shows %q first, not the item moved to the top (%q)", item, added)
	}
	// the history: every round, for the panel and each group, and no group under min_group_size
	if n := browserEval[int](b, `document.querySelectorAll("#history tr.panel td").length`); n == 0 || n != browserEval[int](b, `document.querySelectorAll("#history thead th").length`) {
		t.Errorf("the history shows the panel in %d rounds", n)
	}
	if bad := browserEval[string](b, `Array.from(document.querySelectorAll("#history tbody tr:not(.panel) .n")).map(e => +e.textContent.slice(2)).filter(n => n < 3).join(",")`); bad != "" {
		t.Errorf("the screen shows groups of %s ratings (min_group_size 3)", bad)
	}
	if len(code) != 6 || item == "" {
		t.Fatalf("code %q, item %q", code, item)
	}
	if src := browserEval[string](b, `document.querySelector("img.qr").src`); !strings.HasPrefix(src, "data:image/png;base64,") {
		t.Fatalf("QR image %.40q", src)
	}
	if w := browserEval[int](b, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
		t.Errorf("the presenter's screen is %d px wider than 1280", w)
	}
	b.screenshot("meeting-presenter-before", "")

	// four attendees on their phones
	groups := []string{"haematologist", "haematologist", "nurse", "haematologist"}
	phones := make([]*browserRun, len(groups))
	for i, g := range groups {
		ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		p := &browserRun{t: t, ctx: ctx}
		phones[i] = p
		p.do("a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		p.do("open the join link", chromedp.Navigate(base+"/m/"+code), chromedp.WaitVisible(`#j-name`))
		if v := browserEval[string](p, `document.getElementById("j-code").value`); v != code {
			t.Fatalf("the join link's code is %q, want %q", v, code)
		}
		p.do("type a name", chromedp.SendKeys(`#j-name`, fmt.Sprintf("Phone %d", i+1)), chromedp.SetValue(`#j-group`, g))
		p.do("join", chromedp.Click(`.join-form button[type=submit]`))
		p.waitPage("joined", `location.pathname === "/m/vote" && document.querySelector("main h1") !== null`)
		if h := p.text("main h1"); !strings.Contains(h, "Waiting") {
			t.Fatalf("phone %d after joining: %q", i+1, h)
		}
		p.noSideways("the phone's page", 390)
	}
	b.waitPage("four joined", `document.getElementById("attendees").textContent === "4"`)

	// eight more through the API
	var tokens []string
	for i := range 8 {
		var j delphi.Joined
		e.must(e.call("POST", "/api/v1/meetings/join", "", map[string]any{"code": code, "name": fmt.Sprint("API ", i), "group": []string{"haematologist", "nurse"}[i%2]}, &j), 201)
		tokens = append(tokens, j.Token)
	}

	// the vote opens: a proposal that the item is core
	b.do("choose the proposal", chromedp.SetValue(`#tier`, "core"))
	b.do("open the vote", chromedp.Click(`button[data-proposal]`))
	b.waitPage("the vote is open", `document.getElementById("live-count") !== null`)
	if n := b.text("#live-count"); n != "0" {
		t.Fatalf("live count at the start: %q", n)
	}
	for i, p := range phones {
		p.waitPage("the phone shows the vote", `document.querySelector("button.option[value=agree]") !== null`)
		opt := "agree"
		if i == 3 {
			opt = "disagree"
		}
		p.do("vote", chromedp.Click(fmt.Sprintf(`button.option[value=%s]`, opt)))
		p.waitPage("the vote is acknowledged", `document.getElementById("vote-status").textContent.includes("Your vote: `+opt+`")`)
		b.waitPage(fmt.Sprintf("the screen counts %d", i+1), fmt.Sprintf(`document.getElementById("live-count").textContent === "%d"`, i+1))
	}
	phones[0].screenshot("meeting-phone", "")
	// a change of mind on a phone replaces the vote (the count stays), sent through a lost
	// connection: the phone retries until the server has it
	block := func(on bool) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			p := network.SetBlockedURLsParams{}
			if on {
				p.URLPatterns = []*network.BlockPattern{{URLPattern: base + "/api/v1/meetings/vote", Block: true}}
			}
			if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
				return err
			}
			_, err := chromedp.Call(ctx, network.SetBlockedURLs, p)
			return err
		})
	}
	phones[3].do("lose the connection, change the vote", block(true), chromedp.Click(`button.option[value=agree]`))
	phones[3].waitPage("retrying", `document.getElementById("vote-status").textContent.includes("retrying")`)
	phones[3].do("the connection is back", block(false))
	phones[3].waitPage("the new vote", `document.getElementById("vote-status").textContent.includes("Your vote: agree")`)
	b.waitPage("the screen still counts 4", `document.getElementById("live-count").textContent === "4"`)
	for _, tok := range tokens {
		e.must(e.call("PUT", "/api/v1/meetings/vote", tok, map[string]string{"item": item, "option": "agree"}, nil), 200)
	}
	b.waitPage("the screen counts 12", `document.getElementById("live-count").textContent === "12"`)
	if browserEval[bool](b, `document.querySelector("#vote table") !== null || document.getElementById("result") !== null`) {
		t.Errorf("the screen shows the split before the vote closes: %q", b.text("#vote"))
	}
	b.screenshot("meeting-presenter-open", "")

	b.do("close the vote", chromedp.Click(`#vote button[data-api]`))
	b.waitPage("the result", `document.getElementById("result") !== null`)
	if r := b.text("#result"); !strings.Contains(r, "Carried: core") {
		t.Fatalf("result %q", r)
	}
	b.screenshot("meeting-presenter-result", "")
	// one item per screen: the item and its result fit 1280×720 without scrolling
	for _, id := range []string{"vote", "history"} {
		if h := browserEval[int](b, fmt.Sprintf(`Math.ceil(document.getElementById(%q).getBoundingClientRect().bottom - window.innerHeight)`, id)); h > 0 {
			t.Errorf("#%s ends %d px below a 1280×720 screen", id, h)
		}
	}
	phones[0].waitPage("the phone waits again", `document.querySelector("main h1") !== null && document.querySelector("main h1").textContent.includes("Waiting")`)

	// the meeting's record, from the screen's link, on a laptop and on a phone
	b.do("open the record", chromedp.Click(`a[href$="/record"]`))
	b.waitPage("the record", fmt.Sprintf(`document.getElementById(%q) !== null`, "rec-"+item))
	for _, w := range []int64{1366, 390} {
		if w == 390 {
			b.do("a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Reload())
			b.waitPage("the record again", fmt.Sprintf(`document.getElementById(%q) !== null`, "rec-"+item))
		} else {
			b.do("a laptop", chromedp.EmulateViewport(1366, 768))
		}
		row := browserEval[string](b, fmt.Sprintf(`Array.from(document.querySelectorAll("#rec-%s tbody tr")).map(tr => tr.innerText.replace(/\s+/g, " ").trim()).join(" | ")`, item))
		if !strings.HasPrefix(row, "agree 12 100 %") || !strings.Contains(row, "disagree 0 0 %") {
			t.Errorf("at %d px the record's counts read %q", w, row)
		}
		if r := b.text("#rec-" + item + " .result-line"); r != "Carried: core" {
			t.Errorf("at %d px the record's result reads %q", w, r)
		}
		if body := b.text("main"); strings.Contains(body, "Phone 1") || strings.Contains(body, code) {
			t.Errorf("the record names an attendee or shows the code")
		}
		b.noSideways(fmt.Sprintf("the record at %d px", w), w)
		b.screenshot(fmt.Sprintf("meeting-record-%d", w), "")
	}
	// the list's editor on a phone: the item voted on can no longer be removed
	b.do("the editor on a phone", chromedp.Navigate(screenURL+"/items"))
	b.waitPage("the list", `document.getElementById("edit-items") !== null`)
	if browserEval[bool](b, fmt.Sprintf(`document.querySelector('button[value="remove:%s"]') !== null`, item)) {
		t.Errorf("the editor offers to remove %s, voted on", item)
	}
	b.noSideways("the list's editor at 390 px", 390)

	// the record in the outcome
	var doc report.OutcomeDoc
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/outcome.json", sid), e.admin, nil, &doc), 200)
	for _, it := range doc.Items {
		if it.Item == item {
			d := it.Decisions[len(it.Decisions)-1]
			if it.FinalTier != "core" || d.Meeting == nil || d.Meeting.Voters != 12 || d.Meeting.Vote.Counts["agree"] != 12 {
				t.Fatalf("outcome of %s: final %s, decision %+v", item, it.FinalTier, d)
			}
		}
	}
	r := e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/outcome/redcap.csv", sid), e.admin, nil, nil), 200)
	if !strings.Contains(string(r.Body), item) {
		t.Fatalf("%s is not in the REDCap data dictionary", item)
	}
}
