package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/cart-cd/delphi/internal/delphi"
)

// offline cuts the tab's network (every request fails, navigator.onLine is false) or restores it.
func offline(on bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		rules := []*network.Conditions{}
		if on {
			rules = append(rules, &network.Conditions{Offline: true, DownloadThroughput: -1, UploadThroughput: -1})
		}
		if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: rules}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: on, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	})
}

// TestBrowserExpertDeadEnds: the dead ends an expert can meet, on a phone and on a laptop, as a
// person meets them: "Save and continue" without a connection, the round closed while they
// answer, a replaced link, and a round open that they are not invited to.
func TestBrowserExpertDeadEnds(t *testing.T) {
	exe := chromiumPath(t)
	for _, width := range []int64{390, 1366} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			e := newEnv(t)
			sid := e.study("example")
			ids := e.panel(sid, 3, "nurse", "haematologist")
			_, toks := e.openRound(sid)
			e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/invitations", sid), e.admin, map[string]any{"panelists": []int64{ids[1]}}, nil), 201)
			me := ids[0]
			b := newBrowserRun(t, exe, 90*time.Second)
			base := e.srv.URL
			view := chromedp.EmulateViewport(width, 844)
			if width < 500 {
				view = chromedp.EmulateViewport(width, 844, chromedp.EmulateMobile)
			}
			saved := func(item string) *int {
				var q respondJSON
				e.must(e.call("GET", "/api/v1/respond", toks[me], nil, &q), 200)
				for _, a := range q.Answers {
					if a.Item == item {
						return a.Rating
					}
				}
				return nil
			}

			b.do("open the link", view, chromedp.Navigate(base+"/r/"+toks[me]), chromedp.WaitVisible(`form.consent`))
			b.do("consent", chromedp.Click(`input[name=agree]`), chromedp.Click(`form.consent button`), chromedp.WaitVisible(`.section-list`))
			b.do("start", chromedp.Click(`a.button[href^="/respond/section/"]`), chromedp.WaitVisible(`form.questionnaire`))
			sec1 := browserEval[string](b, `document.querySelector("form.questionnaire").dataset.section`)
			items := browserEval[[]string](b, `[...document.querySelectorAll("form.questionnaire .item")].map(b => b.dataset.item)`)

			// Offline, "Save and continue" keeps the answers on the device and says so; the
			// browser's offline page never shows.
			b.do("go offline", offline(true))
			b.waitJS("the page knows", `navigator.onLine === false`)
			b.do("rate offline", chromedp.Click(fmt.Sprintf(`input[name="rating:%s"][value="8"]`, items[0])),
				chromedp.Click(`button[name=go][value=next]`))
			b.waitJS("queued message", `document.getElementById("save-status").textContent.includes("Saved on this device; it will be sent when you are back online.")`)
			if got := b.text("#save-status"); !strings.Contains(got, "Saved on this device") {
				t.Errorf("status says %q", got)
			}
			if loc := browserEval[string](b, `location.pathname`); loc != "/respond/section/"+sec1 {
				t.Fatalf("offline submit left the page for %s", loc)
			}
			b.noSideways("the queued message", width)
			b.screenshot(fmt.Sprintf("expert-offline-queued-%d", width), "#save-status")
			if r := saved(items[0]); r != nil {
				t.Fatalf("saved while offline? %d", *r)
			}
			// Back online, the answer is sent and the expert goes on to the next section.
			b.do("back online", offline(false))
			b.waitPage("next section", fmt.Sprintf(`location.pathname.startsWith("/respond/section/") && location.pathname !== %q && !!document.querySelector("form.questionnaire")`, "/respond/section/"+sec1))
			if r := saved(items[0]); r == nil || *r != 8 {
				t.Errorf("after reconnecting %s is %v", items[0], r)
			}
			if f := b.text(".flash"); !strings.Contains(f, "Your answers are saved.") {
				t.Errorf("the next section says %q", f)
			}
			next := browserEval[string](b, `document.querySelector("form.questionnaire .item").dataset.item`)
			sec2 := browserEval[string](b, `location.pathname`)

			// Offline, submitting the round says so on the review page instead of leaving for
			// the browser's offline page.
			b.do("review", chromedp.Navigate(base+"/respond/review"), chromedp.WaitVisible(`#submit-round`))
			b.do("offline at review", offline(true))
			b.waitJS("the review page knows", `navigator.onLine === false`)
			b.do("submit offline", chromedp.Click(`#submit-round`))
			b.waitJS("offline note", `document.querySelector(".submit-form .offline-note").textContent.includes("You are offline")`)
			if loc := browserEval[string](b, `location.pathname`); loc != "/respond/review" {
				t.Fatalf("submitting offline left the page for %s", loc)
			}
			b.noSideways("the offline note", width)
			b.do("online at review", offline(false), chromedp.Navigate(base+sec2), chromedp.WaitVisible(`form.questionnaire`))

			// The facilitator closes the round while the expert is on the section page. The
			// next change is refused in plain words with a link to their answers; "Save and
			// continue" shows the plain page, whose link works.
			e.expertSubmitRound(toks[ids[2]], items[0])
			e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", sid), e.admin, nil, nil), 200)
			b.do("rate after close", chromedp.Click(fmt.Sprintf(`input[name="rating:%s"][value="3"]`, next)))
			b.waitJS("closed in the status", `document.getElementById("save-status").textContent.includes("Round 1 has closed") && !!document.querySelector('#save-status a[href="/respond"]')`)
			b.do("save after close", chromedp.Click(`button[name=go][value=next]`))
			b.waitPage("the closed page", `(document.querySelector("h1")||{}).textContent === "Round 1 has closed"`)
			page := b.text("main")
			for _, w := range []string{"Round 1 closed on ", "Every answer you saved before then was kept", "Study Office", "study-office@example.org"} {
				if !strings.Contains(page, w) {
					t.Errorf("the closed page lacks %q: %s", w, page)
				}
			}
			if strings.Contains(page, "Conflict") {
				t.Error("the closed page says Conflict")
			}
			b.noSideways("the closed page", width)
			b.screenshot(fmt.Sprintf("expert-round-closed-%d", width), "")
			b.do("see my answers", chromedp.Click(`main a.button[href="/respond"]`), chromedp.WaitVisible(`table.answers`))
			if got := b.text("table.answers"); !strings.Contains(got, "8 –") {
				t.Errorf("the read-only answers lack the rating saved offline: %s", got)
			}
			if r := saved(next); r != nil {
				t.Errorf("a rating was saved after the close: %d", *r)
			}

			// Round 2 opens for those who submitted round 1; this expert did not.
			e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid), e.admin, map[string]any{"panelists": []int64{ids[2]}}, nil), 201)
			b.do("home in round 2", chromedp.Navigate(base+"/respond"), chromedp.WaitVisible(`.not-invited`))
			if got := b.text(".not-invited"); !strings.Contains(got, "Round 2 of this study is open, but you are not invited to it") ||
				!strings.Contains(got, "contact the facilitator") {
				t.Errorf("not invited says %q", got)
			}
			if strings.Contains(b.text("main"), "when the next round opens") {
				t.Error("the expert is told to wait for a round that is open")
			}
			b.noSideways("not invited", width)
			b.screenshot(fmt.Sprintf("expert-not-invited-%d", width), "")

			// A replaced link (new links went out in round 1): what happened and whom to ask.
			b.do("old link", chromedp.Navigate(base+"/r/"+toks[ids[1]]), chromedp.WaitVisible(`.link-problem`))
			if got := b.text(".link-problem"); !strings.Contains(got, "This link no longer works") || !strings.Contains(got, "replaced or withdrawn") ||
				!strings.Contains(got, "study-office@example.org") {
				t.Errorf("the replaced link's page says %q", got)
			}
			if href := browserEval[string](b, `document.querySelector(".link-problem a[href^=mailto]").getAttribute("href")`); href != "mailto:study-office@example.org" {
				t.Errorf("contact link %q", href)
			}
			b.noSideways("replaced link", width)
			b.screenshot(fmt.Sprintf("expert-link-replaced-%d", width), "")
		})
	}
}

// expertSubmitRound rates item and submits the expert's round through the API, with their token.
func (e *env) expertSubmitRound(tok, item string) {
	e.t.Helper()
	e.must(e.call("POST", "/api/v1/respond/consent", tok, nil, nil), 200)
	seven := 7
	e.must(e.call("PUT", "/api/v1/respond/answers", tok, map[string]any{"answers": []delphi.Answer{{Item: item, Rating: &seven}}}, nil), 200)
	e.must(e.call("POST", "/api/v1/respond/submit", tok, nil, nil), 200)
}
