package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // as in the binary: the zones do not depend on the machine's zoneinfo

	"github.com/cart-cd/delphi/internal/delphi"
)

// TestStudyTimeZoneAPI: a study's time zone is set at creation and by PATCH, returned in the
// study JSON, UTC by default; an unknown zone is refused (422) naming the field.
func TestStudyTimeZoneAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var st studyJSON
	e.must(e.call("POST", "/api/v1/studies", e.admin, map[string]string{"survey": "cart-cd"}, &st), 201)
	if st.TimeZone != "UTC" {
		t.Errorf("default zone %q, want UTC", st.TimeZone)
	}
	e.must(e.call("POST", "/api/v1/studies", e.admin, map[string]string{"survey": "cart-cd", "time_zone": "Europe/Paris"}, &st), 201)
	if st.TimeZone != "Europe/Paris" || e.studyJSON(st.ID).TimeZone != "Europe/Paris" {
		t.Errorf("zone %q, want Europe/Paris", st.TimeZone)
	}
	patch := fmt.Sprintf("/api/v1/studies/%d", st.ID)
	e.must(e.call("PATCH", patch, e.admin, map[string]string{"time_zone": "America/New_York"}, &st), 200)
	if st.TimeZone != "America/New_York" {
		t.Errorf("patched zone %q", st.TimeZone)
	}
	for _, bad := range []string{"Mars/Olympus_Mons", "Local", "../../etc/passwd", "europe/paris"} {
		for _, r := range []response{
			e.call("POST", "/api/v1/studies", e.admin, map[string]string{"survey": "cart-cd", "time_zone": bad}, nil),
			e.call("PATCH", patch, e.admin, map[string]string{"time_zone": bad}, nil),
		} {
			var out struct {
				Error struct{ Field, Message string }
			}
			_ = json.Unmarshal(r.Body, &out)
			if r.Status != http.StatusUnprocessableEntity || out.Error.Field != "time_zone" || !strings.Contains(out.Error.Message, "IANA") {
				t.Errorf("zone %q: %s", bad, r)
			}
		}
	}
	if z := e.studyJSON(st.ID).TimeZone; z != "America/New_York" {
		t.Errorf("refused changes changed the zone to %q", z)
	}
}

// TestDeadlineInStudyZone: a deadline typed in the console is read in the study's zone
// (Europe/Berlin, summer and winter), stored as the right UTC instant, and shown back as typed
// with the zone named; the study page changes the zone.
func TestDeadlineInStudyZone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	st := e.berlinStudy()
	var groups []string
	for _, g := range st.Definition.Groups {
		groups = append(groups, g.ID)
	}
	e.panel(st.ID, 3, groups...)
	e.openRound(st.ID)
	b := e.consoleLogin("admin@test", adminPassword)
	round := fmt.Sprintf("/console/studies/%d/rounds/1", st.ID)
	has(t, b.get(round), "Deadline (Europe/Berlin)")

	y := e.clock.Now().Year() + 1
	tests := []struct {
		typed string
		utc   time.Time
		shown string
	}{
		{fmt.Sprintf("%d-07-15T18:00", y), time.Date(y, 7, 15, 16, 0, 0, 0, time.UTC), fmt.Sprintf("15 July %d, 18:00 CEST", y)},
		{fmt.Sprintf("%d-01-20T18:00", y), time.Date(y, 1, 20, 17, 0, 0, 0, time.UTC), fmt.Sprintf("20 January %d, 18:00 CET", y)},
	}
	for _, tt := range tests {
		r := b.submit(round+"/deadline", url.Values{"deadline": {tt.typed}}, http.StatusSeeOther)
		has(t, r, "The round now closes at "+tt.shown, `value="`+tt.typed+`"`, "deadline "+tt.shown)
		got := e.studyJSON(st.ID).Rounds[0].Deadline
		if got == nil || !got.Equal(tt.utc) {
			t.Errorf("typed %s in Berlin: stored %v, want %v", tt.typed, got, tt.utc)
		}
	}

	// the zone changes on the study page; the same instant is then shown in the new zone
	study := fmt.Sprintf("/console/studies/%d", st.ID)
	has(t, b.get(study), `name="time_zone"`, `value="Europe/Berlin"`)
	r := b.submit(study+"/time-zone", url.Values{"time_zone": {"Mars/Olympus_Mons"}}, http.StatusUnprocessableEntity)
	has(t, r, `"Mars/Olympus_Mons" is not a time zone`, `value="Mars/Olympus_Mons"`)
	b.submit(study+"/time-zone", url.Values{"time_zone": {"America/New_York"}}, http.StatusSeeOther)
	has(t, b.get(round), "Deadline (America/New_York)", fmt.Sprintf(`value="%d-01-20T12:00"`, y), fmt.Sprintf("20 January %d, 12:00 EST", y))
}

// TestDatesInReadersLanguage: a German expert reads the deadline in German month names in the
// study's zone, in the page and in the invitation (which names the zone); the outbox shows its
// times to the minute, not the stored nanoseconds.
func TestDatesInReadersLanguage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	st := e.berlinStudy()
	rows := []delphi.PanelistInput{{Name: "Erika Muster", Email: "erika@example.org", Group: st.Definition.Groups[0].ID, Country: "DE", Language: "de"}}
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/panelists", st.ID), e.admin, rows, nil), 201)
	y := e.clock.Now().Year() + 1
	deadline := time.Date(y, 12, 10, 16, 0, 0, 0, time.UTC) // 17:00 in Berlin
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", st.ID), e.admin, map[string]any{"deadline": deadline}, nil), 201)

	b := e.consoleLogin("admin@test", adminPassword)
	e.web.Mailer = &recordingSender{} // the console emails links only with SMTP configured
	b.submit(fmt.Sprintf("/console/studies/%d/rounds/1/invitations", st.ID), url.Values{}, http.StatusSeeOther)
	msgs, err := e.svc.Outbox(context.Background(), st.ID)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("outbox: %v %d", err, len(msgs))
	}
	want := fmt.Sprintf("10. Dezember %d, 17:00 CET (Europe/Berlin)", y)
	if !strings.Contains(msgs[0].Body, want) {
		t.Errorf("the invitation does not say %q:\n%s", want, msgs[0].Body)
	}

	outbox := b.get(fmt.Sprintf("/console/studies/%d/outbox", st.ID))
	queued := delphi.StoredTime(msgs[0].CreatedAt).In(mustZone(t, "Europe/Berlin")).Format("15:04")
	has(t, outbox, queued+" CET")
	if ns := regexp.MustCompile(`\d\d:\d\d:\d\d\.\d+`).Find(outbox.Body); ns != nil {
		t.Errorf("the outbox shows %s", ns)
	}

	var links []delphi.Link
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/invitations", st.ID), e.admin, nil, &links), 201)
	x := e.openExpertLink(links[0].Token)
	expertHas(t, x.get("/respond"), fmt.Sprintf("10. Dezember %d, 17:00 CET", y))
}

// berlinStudy creates a CART-CD study in Europe/Berlin, with a contact (round 1 needs one).
func (e *env) berlinStudy() studyJSON {
	e.t.Helper()
	var st studyJSON
	e.must(e.call("POST", "/api/v1/studies", e.admin, map[string]string{"survey": "cart-cd", "time_zone": "Europe/Berlin",
		"contact": "office@example.org"}, &st), 201)
	return st
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
