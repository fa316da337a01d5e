package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/report"
	"github.com/cart-cd/delphi/internal/report/reporttest"
)

// meetingStudy runs the example study to the end (two rounds, 30 panelists) and returns it.
func meetingStudy(t *testing.T, e *env) int64 {
	t.Helper()
	ctx := context.Background()
	sid, err := reporttest.Run(ctx, e.svc, reporttest.Options{Survey: "example", Panelists: 30, Rounds: 2, Seed: 5, Advance: e.clock.Add})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.FinishStudy(ctx, delphi.System, sid); err != nil {
		t.Fatal(err)
	}
	e.admin = e.login("admin@test", adminPassword)
	return sid
}

// wantError checks an error answer's status and field.
func wantError(t *testing.T, r response, status int, field string) {
	t.Helper()
	var body struct {
		Error struct{ Code, Message, Field string }
	}
	_ = json.Unmarshal(r.Body, &body)
	if r.Status != status || body.Error.Field != field || body.Error.Message == "" {
		t.Fatalf("got %s, want %d with field %q", r, status, field)
	}
}

// TestMeeting runs a consensus meeting through the API: creation from the ranked undecided
// items, editing the list, joining, voting (bad input included), the live stream, closing into
// a decision, the outcome, the record and the end.
func TestMeeting(t *testing.T) {
	e := newEnv(t)
	sid := meetingStudy(t, e)
	ctx := context.Background()
	base := fmt.Sprintf("/api/v1/studies/%d/meetings", sid)

	for _, tt := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no title", map[string]any{"title": " ", "date": "2026-06-12"}, "title"},
		{"bad date", map[string]any{"title": "EHA25", "date": "12/06/2026"}, "date"},
		{"unknown item", map[string]any{"title": "EHA25", "date": "2026-06-12", "items": []string{"ghost"}}, "items[0]"},
	} {
		wantError(t, e.call("POST", base, e.admin, tt.body, nil), 422, tt.field)
	}
	// the study's workbook before the meeting (built and kept): no Meetings sheet yet
	xlsxURL := fmt.Sprintf("/api/v1/studies/%d/rounds/2/report.xlsx", sid)
	if _, err := meetingSheet(e.must(e.call("GET", xlsxURL, e.admin, nil, nil), 200).Body); err == nil {
		t.Fatal("a Meetings sheet before any meeting")
	}
	var m meetingJSON
	e.must(e.call("POST", base, e.admin, map[string]any{"title": "EHA25 consensus meeting", "date": "2026-06-12", "place": "Milan"}, &m), 201)
	var doc0 report.OutcomeDoc
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/outcome.json", sid), e.admin, nil, &doc0), 200)
	nUndecided := 0
	for _, it := range doc0.Items {
		if it.FinalTier == "undecided" {
			nUndecided++
		}
	}
	if len(m.Items) != nUndecided || nUndecided == 0 {
		t.Fatalf("the meeting lists %d items, the outcome has %d undecided", len(m.Items), nUndecided)
	}
	for i := 1; i < len(m.Items); i++ {
		if m.Items[i].Closeness.Distance < m.Items[i-1].Closeness.Distance {
			t.Fatalf("items not ranked by distance: %+v before %+v", m.Items[i-1].Closeness, m.Items[i].Closeness)
		}
	}
	if len(m.JoinCode) != 6 || !m.JoinOpen || m.JoinURL != "http://delphi.test/m/"+m.JoinCode {
		t.Fatalf("join code %q open %v url %q", m.JoinCode, m.JoinOpen, m.JoinURL)
	}
	mb := fmt.Sprintf("/api/v1/meetings/%d", m.ID)

	// edit: three more items of the study, then the last first
	var order []string
	for _, it := range m.Items {
		order = append(order, it.Item)
	}
	for _, it := range doc0.Items {
		if it.FinalTier != "undecided" && len(order) < nUndecided+3 {
			order = append(order, it.Item)
		}
	}
	order = append(order[len(order)-1:], order[:len(order)-1]...)
	e.must(e.call("PUT", mb+"/items", e.admin, map[string]any{"items": order}, &m), 200)
	if m.Items[0].Item != order[0] || m.Items[0].Position != 1 {
		t.Fatalf("reorder: %+v", m.Items[0])
	}
	wantError(t, e.call("PUT", mb+"/items", e.admin, map[string]any{"items": []string{order[0], order[0]}}, nil), 422, "items[1]")
	first, second := order[0], order[1]

	// joining
	wantError(t, e.call("POST", "/api/v1/meetings/join", "", map[string]any{"code": "ZZZZZZ", "name": "A", "group": "nurse"}, nil), 404, "code")
	wantError(t, e.call("POST", "/api/v1/meetings/join", "", map[string]any{"code": m.JoinCode, "name": "A", "group": "surgeon"}, nil), 422, "group")
	wantError(t, e.call("POST", "/api/v1/meetings/join", "", map[string]any{"code": m.JoinCode, "name": "", "group": "nurse"}, nil), 422, "name")
	wantError(t, e.call("POST", "/api/v1/meetings/join", "", `{"code":"x","nmae":"A"}`, nil), 400, "nmae")
	groups := []string{"haematologist", "haematologist", "haematologist", "haematologist", "haematologist", "haematologist",
		"haematologist", "haematologist", "nurse", "nurse", "nurse", "data_manager"}
	tokens := make([]string, len(groups))
	for i, g := range groups {
		var j delphi.Joined
		code := strings.ToLower(m.JoinCode[:3]) + "-" + m.JoinCode[3:] // as typed on a phone
		e.must(e.call("POST", "/api/v1/meetings/join", "", map[string]any{"code": code, "name": fmt.Sprintf("Attendee Nr%d", i), "group": g}, &j), 201)
		tokens[i] = j.Token
	}

	// the live stream, read by a real HTTP client
	req, _ := http.NewRequest("GET", e.srv.URL+mb+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+e.admin)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	res, err := http.DefaultClient.Do(req.WithContext(sctx))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	pulses := make(chan delphi.Pulse, 64)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var p delphi.Pulse
				if json.Unmarshal([]byte(d), &p) == nil {
					pulses <- p
				}
			}
		}
		close(pulses)
	}()
	waitPulse := func(what string, ok func(delphi.Pulse) bool) {
		t.Helper()
		deadline := time.After(time.Second) // "a vote shows on the screen within 1 s"
		for {
			select {
			case p, open := <-pulses:
				if !open {
					t.Fatalf("stream ended waiting for %s", what)
				}
				if ok(p) {
					return
				}
			case <-deadline:
				t.Fatalf("no pulse with %s within 1 s", what)
			}
		}
	}
	waitPulse("12 attendees", func(p delphi.Pulse) bool { return p.Attendees == 12 && p.Open == "" })

	vote := func(i int, item, option string) response {
		return e.call("PUT", "/api/v1/meetings/vote", tokens[i], map[string]string{"item": item, "option": option}, nil)
	}
	wantError(t, vote(0, first, "agree"), 409, "item") // not open yet
	wantError(t, e.call("POST", mb+"/items/"+first+"/open", e.admin, map[string]any{"question": "proposal", "tier": "gold"}, nil), 422, "tier")
	wantError(t, e.call("POST", mb+"/items/"+first+"/open", e.admin, map[string]any{"question": "poll"}, nil), 422, "question")
	wantError(t, e.call("POST", mb+"/items/ghost/open", e.admin, map[string]any{"question": "options"}, nil), 404, "item")
	e.must(e.call("POST", mb+"/items/"+first+"/open", e.admin, map[string]any{"question": "proposal", "tier": "core"}, &m), 200)
	wantError(t, e.call("POST", mb+"/items/"+second+"/open", e.admin, map[string]any{"question": "options"}, nil), 409, "")
	waitPulse("the open vote", func(p delphi.Pulse) bool { return p.Open == first && p.VotesCast == 0 })

	wantError(t, vote(0, first, "core"), 422, "option")
	wantError(t, vote(0, second, "agree"), 409, "item")
	wantError(t, vote(0, "ghost", "agree"), 404, "item")
	wantError(t, e.call("PUT", "/api/v1/meetings/vote", "", map[string]string{"item": first, "option": "agree"}, nil), 401, "")
	wantError(t, e.call("PUT", "/api/v1/meetings/vote", e.admin, map[string]string{"item": first, "option": "agree"}, nil), 401, "")
	// 10 agree, 1 disagree, 1 abstains; attendee 0 first disagrees, then changes their mind
	e.must(vote(0, first, "disagree"), 200)
	waitPulse("the first vote", func(p delphi.Pulse) bool { return p.VotesCast == 1 })
	for i := range tokens {
		opt := "agree"
		switch i {
		case 9:
			opt = "disagree"
		case 11:
			opt = "abstain"
		}
		e.must(vote(i, first, opt), 200)
	}
	waitPulse("12 votes", func(p delphi.Pulse) bool { return p.VotesCast == 12 })
	var cur delphi.AttendeeView
	e.must(e.call("GET", "/api/v1/meetings/current", tokens[0], nil, &cur), 200)
	if cur.Open == nil || cur.Open.Item != first || cur.Open.Mine != "agree" || len(cur.Open.Options) != 3 {
		t.Fatalf("attendee view %+v", cur.Open)
	}
	// while open, staff see the count, never the split
	var open meetingJSON
	e.must(e.call("GET", mb, e.admin, nil, &open), 200)
	if it := open.Items[0]; it.VotesCast == nil || *it.VotesCast != 12 || it.Result != nil {
		t.Fatalf("open item: %+v", it)
	}

	e.must(e.call("POST", mb+"/items/"+first+"/close", e.admin, nil, &m), 200)
	res0 := m.Items[0].Result
	if res0 == nil || !res0.Carried || res0.Tier != "core" || res0.Voters != 11 || res0.Abstained != 1 || res0.Counts["agree"] != 10 {
		t.Fatalf("result %+v", res0)
	}
	// min_group_size 3: data_manager (1 vote) is hidden, and so is nurse (3), else 12 − 8 − 3
	// would give the data manager's vote away
	if len(res0.Groups) != 1 || res0.Groups["haematologist"]["agree"] != 8 || res0.HiddenGroups != 2 {
		t.Fatalf("groups %+v hidden %d", res0.Groups, res0.HiddenGroups)
	}
	wantError(t, vote(1, first, "disagree"), 409, "item")
	wantError(t, e.call("POST", mb+"/items/"+first+"/close", e.admin, nil, nil), 409, "item")
	waitPulse("the closed vote", func(p delphi.Pulse) bool { return p.Open == "" && p.Closed == 1 })

	// the decision is in the outcome
	var doc report.OutcomeDoc
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/outcome.json", sid), e.admin, nil, &doc), 200)
	found := false
	for _, it := range doc.Items {
		if it.Item == first {
			found = true
			if it.FinalTier != "core" || len(it.Decisions) == 0 || it.Decisions[len(it.Decisions)-1].Meeting == nil {
				t.Fatalf("outcome entry %+v", it)
			}
			mbasis := it.Decisions[len(it.Decisions)-1].Meeting
			if mbasis.Voters != 11 || mbasis.RuleHash == "" || mbasis.GroupVotes["nurse"] != nil || mbasis.HiddenGroups != 2 {
				t.Fatalf("meeting basis %+v", mbasis)
			}
		}
	}
	if !found {
		t.Fatalf("%s not in the outcome", first)
	}

	// an options vote that carries nothing
	e.must(e.call("POST", mb+"/items/"+second+"/open", e.admin, map[string]any{"question": "options"}, nil), 200)
	for i := range tokens {
		opt := []string{"core", "exclude"}[i%2]
		e.must(vote(i, second, opt), 200)
	}
	e.must(e.call("POST", mb+"/items/"+second+"/close", e.admin, nil, &m), 200)
	if r := m.Items[1].Result; r == nil || r.Carried || r.Tier != "undecided" {
		t.Fatalf("options result %+v", r)
	}

	// joining closed, a new code
	e.must(e.call("PUT", mb+"/join", e.admin, map[string]string{"join": "close"}, &m), 200)
	wantError(t, e.call("POST", "/api/v1/meetings/join", "", map[string]any{"code": m.JoinCode, "name": "Late", "group": "nurse"}, nil), 409, "code")
	old := m.JoinCode
	e.must(e.call("PUT", mb+"/join", e.admin, map[string]string{"join": "new_code"}, &m), 200)
	if m.JoinCode == old || !m.JoinOpen {
		t.Fatalf("new code %q (old %q) open %v", m.JoinCode, old, m.JoinOpen)
	}
	wantError(t, e.call("POST", "/api/v1/meetings/join", "", map[string]any{"code": old, "name": "Late", "group": "nurse"}, nil), 404, "code")
	wantError(t, e.call("PUT", mb+"/join", e.admin, map[string]string{"join": "maybe"}, nil), 422, "join")

	// the record: groups, never names
	for _, f := range []string{"report.json", "report.csv"} {
		r := e.must(e.call("GET", mb+"/"+f, e.admin, nil, nil), 200)
		if strings.Contains(string(r.Body), "Attendee Nr") || strings.Contains(string(r.Body), m.JoinCode) {
			t.Fatalf("%s names an attendee or carries the code:\n%s", f, r.Body)
		}
		if !strings.Contains(string(r.Body), "haematologist") || !strings.Contains(string(r.Body), first) {
			t.Fatalf("%s lacks groups or items:\n%s", f, r.Body)
		}
	}
	// the study's workbook, built again: its Meetings sheet has the votes, by group only where
	// the group is large enough (nurse, 3 of min 3, is folded with the data manager)
	rows, err := meetingSheet(e.must(e.call("GET", xlsxURL, e.admin, nil, nil), 200).Body)
	if err != nil {
		t.Fatal(err)
	}
	sheet := fmt.Sprint(rows)
	for _, want := range []string{"[" + fmt.Sprint(m.ID) + " EHA25 consensus meeting 2026-06-12 Milan vote " + first, "agree  10 11 1 carried: core",
		"attendees     haematologist 8]", "2 other groups together (under 3 each, or withheld with them) 4]"} {
		if !strings.Contains(sheet, want) {
			t.Errorf("the Meetings sheet lacks %q:\n%v", want, sheet)
		}
	}
	if strings.Contains(sheet, "Attendee Nr") || strings.Contains(sheet, "nurse") {
		t.Errorf("the Meetings sheet names an attendee or a small group:\n%v", sheet)
	}
	// the audit log knows votes were cast, not what they were
	var audit []map[string]any
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/audit", sid), e.admin, nil, &audit), 200)
	actions := map[string]int{}
	for _, a := range audit {
		actions[fmt.Sprint(a["Action"])]++
		if a["Action"] == "meeting.vote" && strings.Contains(fmt.Sprint(a["Detail"]), "agree") {
			t.Fatalf("an audit entry gives a vote away: %v", a)
		}
	}
	for _, a := range []string{"meeting.create", "meeting.items", "meeting.join", "meeting.vote", "meeting.vote_open", "meeting.vote_close", "decision.meeting_vote", "meeting.export"} {
		if actions[a] == 0 {
			t.Errorf("no %s in the audit log: %v", a, actions)
		}
	}

	// the end
	e.must(e.call("POST", mb+"/end", e.admin, nil, &m), 200)
	wantError(t, vote(0, order[2], "agree"), 410, "")
	wantError(t, e.call("POST", "/api/v1/meetings/join", "", map[string]any{"code": m.JoinCode, "name": "Late", "group": "nurse"}, nil), 410, "code")
	wantError(t, e.call("POST", mb+"/end", e.admin, nil, nil), 409, "")
	wantError(t, e.call("POST", mb+"/items/"+order[2]+"/open", e.admin, map[string]any{"question": "options"}, nil), 409, "")
}

// TestMeetingAccess: a presenter sees a meeting but cannot run it; staff of another study are
// told it does not exist; a panelist joins through their invite link under their own group.
func TestMeetingAccess(t *testing.T) {
	e := newEnv(t)
	sid := e.study("example")
	ids := e.panel(sid, 3, "nurse")
	_, toks := e.openRound(sid)
	e.member(sid, e.addStaff("presenter@test", "presenter", "password-presenter"), "presenter")
	e.addStaff("outsider@test", "facilitator", "password-outsider")
	pres, out := e.login("presenter@test", "password-presenter"), e.login("outsider@test", "password-outsider")
	var m meetingJSON
	if r := e.call("POST", fmt.Sprintf("/api/v1/studies/%d/meetings", sid), e.admin, map[string]any{"title": "CART25", "date": "2026-03-02"}, &m); r.Status != 201 {
		t.Fatalf("%s\n%s", r, e.logs)
	}
	mb := fmt.Sprintf("/api/v1/meetings/%d", m.ID)
	e.must(e.call("GET", mb, pres, nil, nil), 200)
	e.must(e.call("PUT", mb+"/join", pres, map[string]string{"join": "close"}, nil), 403)
	for _, p := range []string{"", "/events", "/report.json"} {
		e.must(e.call("GET", mb+p, out, nil, nil), 404)
	}
	e.must(e.call("POST", mb+"/end", out, nil, nil), 404)

	var j delphi.Joined
	e.must(e.call("POST", "/api/v1/meetings/join", toks[ids[0]], map[string]any{"code": m.JoinCode, "group": "haematologist"}, &j), 201)
	if j.Group != "nurse" || j.Name != "Expert 1" {
		t.Fatalf("a panelist joined as %+v", j)
	}
	// a staff token on the public route is ignored: the body decides
	wantError(t, e.call("POST", "/api/v1/meetings/join", e.admin, map[string]any{"code": m.JoinCode}, nil), 422, "name")
	// an attendee token is no staff token and no invite
	e.must(e.call("GET", mb, j.Token, nil, nil), 401)
	e.must(e.call("GET", "/api/v1/respond", j.Token, nil, nil), 401)
}

// TestSuppressGroups checks the small-group rule with complementary suppression.
func TestSuppressGroups(t *testing.T) {
	g := func(n int) map[string]int { return map[string]int{"agree": n} }
	tests := []struct {
		name   string
		per    map[string]map[string]int
		min    int
		shown  []string
		hidden int
	}{
		{"all large", map[string]map[string]int{"a": g(5), "b": g(6)}, 5, []string{"a", "b"}, 0},
		{"one small hides the smallest large", map[string]map[string]int{"a": g(5), "b": g(6), "c": g(1)}, 5, []string{"b"}, 2},
		{"two small add up", map[string]map[string]int{"a": g(7), "b": g(3), "c": g(2)}, 5, []string{"a"}, 2},
		{"only one group", map[string]map[string]int{"a": g(9)}, 5, []string{"a"}, 0},
		{"nothing large", map[string]map[string]int{"a": g(2), "b": g(2)}, 5, nil, 2},
		{"a lone small group hides all", map[string]map[string]int{"a": g(5), "b": g(1)}, 5, nil, 2},
		{"empty", map[string]map[string]int{}, 5, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, hidden := delphi.SuppressGroups(tt.per, tt.min)
			if hidden != tt.hidden || len(got) != len(tt.shown) {
				t.Fatalf("got %v hidden %d, want %v hidden %d", got, hidden, tt.shown, tt.hidden)
			}
			for _, s := range tt.shown {
				if got[s] == nil {
					t.Fatalf("%s not shown: %v", s, got)
				}
			}
		})
	}
}

// TestHubBounds: the hub holds at most maxStreamsPerMeeting streams of a meeting and maxStreams
// in all; a closed stream frees its place; a burst of changes leaves one signal per stream and
// never blocks.
func TestHubBounds(t *testing.T) {
	h := newHub()
	var cancels []func()
	var first chan struct{}
	for i := range maxStreamsPerMeeting {
		ch, cancel, err := h.subscribe(1)
		if err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		if i == 0 {
			first = ch
		}
		cancels = append(cancels, cancel)
	}
	if _, _, err := h.subscribe(1); err != errHubFull {
		t.Fatalf("stream %d of one meeting: %v, want full", maxStreamsPerMeeting+1, err)
	}
	for range 1000 {
		h.notify(1) // never blocks: one signal waits per stream
	}
	if len(first) != 1 {
		t.Fatalf("%d signals waiting, want 1", len(first))
	}
	cancels[0]()
	if _, _, err := h.subscribe(1); err != nil {
		t.Fatalf("after a stream closed: %v", err)
	}
	for m := int64(2); h.streams() < maxStreams; m++ {
		if _, _, err := h.subscribe(m); err != nil {
			t.Fatalf("stream %d in all: %v", h.streams()+1, err)
		}
	}
	if _, _, err := h.subscribe(9999); err != errHubFull {
		t.Fatalf("stream %d in all: %v, want full", maxStreams+1, err)
	}
}

// meetingSheet reads the Meetings sheet of a workbook.
func meetingSheet(b []byte) ([][]string, error) {
	x, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer x.Close()
	return x.GetRows("Meetings")
}

// TestMeetingsPrintFollowsJoins: the meetings' fingerprint (in the key of cached summaries and
// exports) moves when an attendee joins, which moves neither Meta nor the answers' Version
// alone, and stays put while nothing of the meetings changes.
func TestMeetingsPrintFollowsJoins(t *testing.T) {
	e := newEnv(t)
	sid := meetingStudy(t, e)
	ctx := context.Background()
	var m meetingJSON
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/meetings", sid), e.admin,
		map[string]any{"title": "EHA25", "date": "2026-06-12", "place": "Milan"}, &m), 201)
	p0, err := e.svc.MeetingsPrint(ctx, sid)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := e.svc.MeetingsPrint(ctx, sid); p != p0 {
		t.Fatalf("the print moved with nothing changed: %x → %x", p0, p)
	}
	e.must(e.call("POST", "/api/v1/meetings/join", "", map[string]any{"code": m.JoinCode, "name": "A. Attendee", "group": "nurse"}, nil), 201)
	if p, _ := e.svc.MeetingsPrint(ctx, sid); p == p0 {
		t.Fatal("a join left the meetings' print as it was: a cached summary would miss the attendee")
	}
}
