package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/report"
)

func TestEditList(t *testing.T) {
	for _, tt := range []struct {
		name, op, add string
		want          []string
		at            string
		err           bool
	}{
		{"up", "up:b", "", []string{"b", "a", "c"}, "b", false},
		{"up at the top", "up:a", "", []string{"a", "b", "c"}, "a", false},
		{"down", "down:b", "", []string{"a", "c", "b"}, "b", false},
		{"down at the bottom", "down:c", "", []string{"a", "b", "c"}, "c", false},
		{"remove", "remove:b", "", []string{"a", "c"}, "c", false},
		{"remove the last", "remove:c", "", []string{"a", "b"}, "b", false},
		{"add", "add", "d", []string{"a", "b", "c", "d"}, "d", false},
		{"add nothing", "add", " ", nil, "", true},
		{"not on the list", "up:x", "", nil, "", true},
		{"unknown change", "shuffle:a", "", nil, "", true},
		{"no change", "", "", nil, "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			list := []string{"a", "b", "c"}
			got, at, err := editList(list, tt.op, tt.add)
			if (err != nil) != tt.err || !slices.Equal(got, tt.want) || at != tt.at {
				t.Fatalf("editList(%q, %q) = %v %q %v, want %v %q (error %v)", tt.op, tt.add, got, at, err, tt.want, tt.at, tt.err)
			}
			if !slices.Equal(list, []string{"a", "b", "c"}) {
				t.Fatalf("the list given changed: %v", list)
			}
		})
	}
}

// TestMeetingPages edits a meeting's list through its form (no JavaScript: one button a
// change), with the refusals (an item voted on stays, an ended meeting's list is fixed), and
// reads the printable record: counts by option and by group of sufficient size, no names.
func TestMeetingPages(t *testing.T) {
	e := newEnv(t)
	sid := meetingStudy(t, e)
	var doc report.OutcomeDoc
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/outcome.json", sid), e.admin, nil, &doc), 200)
	var items []string // four items, none undecided: the page offers the undecided ones to add
	for _, it := range doc.Items {
		if it.FinalTier != "undecided" && len(items) < 4 {
			items = append(items, it.Item)
		}
	}
	var m meetingJSON
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/meetings", sid), e.admin, map[string]any{"title": "EHA25 <b>meeting</b>",
		"date": "2026-06-12", "place": "Milan", "items": items}, &m), 201)
	mb := fmt.Sprintf("/api/v1/meetings/%d", m.ID)
	page := fmt.Sprintf("/reports/meetings/%d/items", m.ID)
	order := func() []string {
		var v meetingJSON
		e.must(e.call("GET", mb, e.admin, nil, &v), 200)
		var ids []string
		for _, it := range v.Items {
			ids = append(ids, it.Item)
		}
		return ids
	}
	ids := order()
	b := e.consoleLogin("admin@test", adminPassword)
	r := b.get(page)
	has(t, r, "The meeting's list", `value="down:`+ids[0]+`"`, "Add to the list", "(undecided)", "EHA25 <b>meeting</b>")
	if strings.Contains(string(r.Body), "<b>meeting") {
		t.Fatal("the title is not escaped")
	}

	post := func(form url.Values, status int) response {
		t.Helper()
		r := b.post(page, form)
		if r.Status != status {
			t.Fatalf("POST %v: %s", form, r)
		}
		return r
	}
	r = post(url.Values{"op": {"down:" + ids[0]}}, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != page+"#li-"+ids[0] {
		t.Errorf("back to %q", loc)
	}
	if got := order(); got[0] != ids[1] || got[1] != ids[0] {
		t.Fatalf("after down: %v", got)
	}
	post(url.Values{"op": {"up:" + ids[0]}}, http.StatusSeeOther)
	post(url.Values{"op": {"remove:" + ids[2]}}, http.StatusSeeOther)
	if got := order(); !slices.Equal(got, slices.Delete(slices.Clone(ids), 2, 3)) {
		t.Fatalf("after remove: %v", got)
	}
	post(url.Values{"op": {"add"}, "add": {ids[2]}}, http.StatusSeeOther)
	if got := order(); got[len(got)-1] != ids[2] {
		t.Fatalf("after add: %v", got)
	}
	has(t, post(url.Values{"op": {"add"}, "add": {"ghost"}}, 422), "unknown item")
	// without the form's token: refused
	if r := b.post(page, url.Values{"op": {"up:" + ids[1]}, "csrf": {"forged"}}); r.Status != http.StatusForbidden {
		t.Fatalf("a forged token: %s", r)
	}

	// a vote: 12 attendees, 8 haematologists, 3 nurses, 1 data manager
	groups := []string{"haematologist", "haematologist", "haematologist", "haematologist", "haematologist", "haematologist",
		"haematologist", "haematologist", "nurse", "nurse", "nurse", "data_manager"}
	e.must(e.call("POST", mb+"/items/"+ids[0]+"/open", e.admin, map[string]any{"question": "proposal", "tier": "core"}, nil), 200)
	for i, g := range groups {
		var j delphi.Joined
		e.must(e.call("POST", "/api/v1/meetings/join", "", map[string]any{"code": m.JoinCode, "name": fmt.Sprintf("Attendee Nr%d", i), "group": g}, &j), 201)
		opt := "agree"
		if i == 0 {
			opt = "disagree"
		}
		e.must(e.call("PUT", "/api/v1/meetings/vote", j.Token, map[string]string{"item": ids[0], "option": opt}, nil), 200)
	}
	// someone who should not be there votes, and is removed: their open vote goes with them
	var intruder delphi.Joined
	e.must(e.call("POST", "/api/v1/meetings/join", "", map[string]any{"code": m.JoinCode, "name": "Intruder Nr13", "group": "nurse"}, &intruder), 201)
	e.must(e.call("PUT", "/api/v1/meetings/vote", intruder.Token, map[string]string{"item": ids[0], "option": "disagree"}, nil), 200)
	people := fmt.Sprintf("/reports/meetings/%d/attendees", m.ID)
	r = b.get(people)
	has(t, r, "Attendee Nr0", "Intruder Nr13", "Nurse")
	if iso := regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d`).Find(r.Body); iso != nil {
		t.Errorf("the attendees page shows a raw timestamp %q, not a date in the study's zone", iso)
	}
	match := regexp.MustCompile(`value="(\d+)" data-confirm-remove="Intruder Nr13"`).FindSubmatch(r.Body)
	if match == nil {
		t.Fatalf("no remove button for the intruder: %s", pageText(r.Body))
	}
	if r := b.post(people, url.Values{"remove": {string(match[1])}}); r.Status != http.StatusSeeOther {
		t.Fatalf("remove: %s", r)
	}
	if r := b.get(people); strings.Contains(string(r.Body), "Intruder") {
		t.Error("the removed attendee is still listed")
	}
	wantError(t, e.call("PUT", "/api/v1/meetings/vote", intruder.Token, map[string]string{"item": ids[0], "option": "agree"}, nil), 401, "")
	var open meetingJSON
	e.must(e.call("GET", mb, e.admin, nil, &open), 200)
	if n := open.Items[0].VotesCast; n == nil || *n != 12 || open.Attendees != 12 {
		t.Fatalf("after the removal: %v votes cast, %d attendees", n, open.Attendees)
	}
	if r := b.post(people, url.Values{"remove": {string(match[1])}}); r.Status != http.StatusNotFound || !strings.Contains(string(r.Body), "not at this meeting") {
		t.Fatalf("remove again: %s", r)
	}
	if strings.Contains(string(b.get(fmt.Sprintf("/reports/meetings/%d", m.ID)).Body), "Attendee Nr") {
		t.Error("the projected screen shows a name")
	}

	r = b.get(page)
	if strings.Contains(string(r.Body), `value="remove:`+ids[0]+`"`) {
		t.Error("the page offers to remove the item being voted on")
	}
	has(t, post(url.Values{"op": {"remove:" + ids[0]}}, http.StatusConflict), "has been put to the vote: it stays on the list")
	e.must(e.call("POST", mb+"/items/"+ids[0]+"/close", e.admin, nil, nil), 200)

	// the record, printable
	rec := b.get(fmt.Sprintf("/reports/meetings/%d/record", m.ID))
	if rec.Status != 200 {
		t.Fatalf("record: %s", rec)
	}
	has(t, rec, "Carried: core", "agree 11 92 %", "disagree 1 8 %", "12 voters, 0 abstained.", "Haematologist", "2 other groups together (under 3 each, or withheld with them) 4",
		"all 12", "Question: agree that it is core?", "Not put to the vote.", "report.csv", "report.json", "SHA-256")
	for _, leak := range []string{"Attendee Nr", m.JoinCode, "<b>meeting"} {
		if strings.Contains(string(rec.Body), leak) {
			t.Errorf("the record shows %q", leak)
		}
	}
	// the list and the screen link to it
	for _, p := range []string{fmt.Sprintf("/reports/studies/%d/meetings", sid), fmt.Sprintf("/reports/meetings/%d", m.ID)} {
		has(t, b.get(p), fmt.Sprintf(`href="/reports/meetings/%d/record"`, m.ID))
	}

	// the end: the list is fixed
	e.must(e.call("POST", mb+"/end", e.admin, nil, nil), 200)
	has(t, b.get(page), "The meeting has ended")
	has(t, post(url.Values{"op": {"down:" + ids[1]}}, http.StatusConflict), "the meeting has ended")
	if r := b.post(people, url.Values{"remove": {"1"}}); r.Status != http.StatusConflict {
		t.Errorf("a removal after the end: %s", r)
	}
	var audit []map[string]any
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/audit", sid), e.admin, nil, &audit), 200)
	removed := 0
	for _, a := range audit {
		if a["Action"] == "meeting.attendee_remove" {
			removed++
			if d := fmt.Sprint(a["Detail"]); strings.Contains(d, "Intruder") || !strings.Contains(d, `"open_votes_dropped":1`) {
				t.Errorf("audit entry %v", a)
			}
		}
	}
	if removed != 1 {
		t.Errorf("%d removals audited", removed)
	}
}
