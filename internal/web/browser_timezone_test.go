package web

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestBrowserStudyTimeZone: a facilitator whose browser is in Tokyo creates a study through the
// console's form, finds Tokyo preselected as its zone, opens round 1 with a deadline typed in
// Tokyo time and reads it back as typed; on a phone and on a laptop.
func TestBrowserStudyTimeZone(t *testing.T) {
	exe := chromiumPath(t)
	for _, vp := range []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"phone", 390, 844, true}, {"laptop", 1366, 768, false}} {
		t.Run(vp.name, func(t *testing.T) {
			e := newEnv(t)
			base := e.srv.URL
			b := newBrowserRun(t, exe, 60*time.Second)
			view := chromedp.EmulateViewport(vp.width, vp.height)
			if vp.mobile {
				view = chromedp.EmulateViewport(vp.width, vp.height, chromedp.EmulateMobile)
			}
			tokyo := chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Tokyo"})
				return err
			})
			b.do("a browser in Tokyo", view, tokyo)
			b.signIn(base, "/console", "admin@test", adminPassword, "/console")

			// the new-study form: the browser's zone is preselected
			b.waitPage("zone filled in", `document.querySelector("#time_zone").value === "Asia/Tokyo"`)
			b.screenshot("tz-"+vp.name+"-new-study", "#time_zone")
			b.do("fill the new-study form", chromedp.SendKeys(`#title`, "Tokyo study"),
				chromedp.SendKeys(`#contact_name`, "Study Office"), chromedp.SendKeys(`#contact`, "office@example.org"))
			b.do("create", chromedp.Click(`form[action="/console/studies"] button[type="submit"]`))
			b.waitPage("study page", `/^\/console\/studies\/\d+$/.test(location.pathname) && document.readyState === "complete"`)
			path := browserEval[string](b, `location.pathname`)
			sid, err := strconv.ParseInt(strings.TrimPrefix(path, "/console/studies/"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			if z := e.studyJSON(sid).TimeZone; z != "Asia/Tokyo" {
				t.Fatalf("the study's zone is %q, want Asia/Tokyo", z)
			}
			if v := browserEval[string](b, `document.querySelector("#time_zone").value`); v != "Asia/Tokyo" {
				t.Errorf("the study page's zone field says %q", v)
			}
			b.noSideways("study page", vp.width)

			// round 1 with a deadline typed in Tokyo time
			var groups []string
			for _, g := range e.studyJSON(sid).Definition.Groups {
				groups = append(groups, g.ID)
			}
			e.panel(sid, 3, groups...)
			y := e.clock.Now().Year() + 1
			typed := fmt.Sprintf("%d-07-15T18:00", y)
			b.do("open round 1", chromedp.Navigate(fmt.Sprintf("%s/console/studies/%d/rounds/new", base, sid)), chromedp.WaitVisible(`#deadline`))
			if l := b.text(`label[for="deadline"]`); !strings.Contains(l, "Asia/Tokyo") {
				t.Errorf("the deadline's label is %q: it does not name the zone", l)
			}
			b.do("type the deadline", chromedp.SetValue(`#deadline`, typed), chromedp.Click(`button[name="action"][value="open"]`))
			b.waitPage("round 1 open", `/\/rounds\/1$/.test(location.pathname) && document.readyState === "complete"`)
			b.screenshot("tz-"+vp.name+"-round", "#deadline")
			if v := browserEval[string](b, `document.querySelector("#deadline").value`); v != typed {
				t.Errorf("the deadline reads back as %q, want %q", v, typed)
			}
			if want := fmt.Sprintf("deadline 15 July %d, 18:00 JST", y); !strings.Contains(b.text("main"), want) {
				t.Errorf("the round page does not say %q", want)
			}
			if d := e.studyJSON(sid).Rounds[0].Deadline; d == nil || !d.Equal(time.Date(y, 7, 15, 9, 0, 0, 0, time.UTC)) {
				t.Errorf("stored deadline %v, want 09:00 UTC", d)
			}

			// changed on the study page, the same instant shows in the new zone
			b.do("study page", chromedp.Navigate(base+path), chromedp.WaitVisible(`#time-zone #time_zone`))
			b.do("choose a zone", chromedp.SetValue(`#time-zone #time_zone`, "Europe/Paris"), chromedp.Click(`#time-zone button[type="submit"]`))
			b.waitPage("zone saved", `document.readyState === "complete" && (document.querySelector(".flash")||{}).innerText?.includes("Europe/Paris")`)
			b.do("round page", chromedp.Navigate(fmt.Sprintf("%s/console/studies/%d/rounds/1", base, sid)), chromedp.WaitVisible(`#deadline`))
			if v := browserEval[string](b, `document.querySelector("#deadline").value`); v != fmt.Sprintf("%d-07-15T11:00", y) {
				t.Errorf("in Paris the deadline reads %q", v)
			}
		})
	}
}
