package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cart-cd/delphi/internal/delphi"
)

// TestPseudonyms: a panel's pseudonyms are random (not the order of the import), and the raw
// answers export gives each panelist a new pseudonym per round, so that rows of two rounds
// cannot be joined; the linked export, with the study's pseudonyms, is for those who run the
// study only.
func TestPseudonyms(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sid := e.simStudy(12, 2)
	var ps []delphi.Panelist
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/panelists", sid), e.admin, nil, &ps), 200)
	study := regexp.MustCompile(`^P-[0-9A-HJKMNP-TV-Z]{7}$`)
	seen := map[string]bool{}
	for _, p := range ps {
		if !study.MatchString(p.Pseudonym) || seen[p.Pseudonym] {
			t.Fatalf("pseudonym %q (seen before: %v)", p.Pseudonym, seen[p.Pseudonym])
		}
		seen[p.Pseudonym] = true
	}
	rows := func(file, token string) [][]string {
		r := e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/2/%s", sid, file), token, nil, nil), 200)
		recs, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs[1:]
	}
	byRound := func(recs [][]string) map[string]map[string]bool {
		out := map[string]map[string]bool{}
		for _, r := range recs {
			if out[r[3]] == nil {
				out[r[3]] = map[string]bool{}
			}
			out[r[3]][r[0]] = true
		}
		return out
	}
	perRound := byRound(rows("answers.csv", e.admin))
	for p := range perRound["1"] {
		if perRound["2"][p] || study.MatchString(p) || p[:3] != "R1-" {
			t.Errorf("round 1's pseudonym %q is the study's or comes again in round 2", p)
		}
	}
	linked := byRound(rows("answers-linked.csv", e.admin))
	common := 0
	for p := range linked["2"] {
		if !seen[p] {
			t.Errorf("linked pseudonym %q is not in the panel", p)
		}
		if linked["1"][p] {
			common++
		}
	}
	if common == 0 {
		t.Error("the linked export does not link any panelist's two rounds")
	}
	pid := e.addStaff("pres@test", "presenter", "presenter password")
	e.member(sid, pid, "presenter")
	pres := e.login("pres@test", "presenter password")
	rows("answers.csv", pres)
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/2/answers-linked.csv", sid), pres, nil, nil), 403)
}

// TestRetentionErase: a finished study's retention runs out and its personal data is erased
// (names, emails, links, outbox), while its answers, reports and exports stay valid; the audit
// log records the erasure without the data.
func TestRetentionErase(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sid := e.simStudy(12, 2)
	var ps []delphi.Panelist
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/panelists", sid), e.admin, nil, &ps), 200)
	var links []delphi.Link
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid), e.admin, map[string]any{}, nil), 201)
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/3/invitations", sid), e.admin, map[string]any{"send": true}, &links), 201)
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/3/close", sid), e.admin, nil, nil), 200)

	e.must(e.call("PUT", fmt.Sprintf("/api/v1/studies/%d/retention", sid), e.admin, map[string]any{"retention_days": -1}, nil), 422)
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/erase", sid), e.admin, nil, nil), 409) // still running
	e.must(e.call("PUT", fmt.Sprintf("/api/v1/studies/%d/retention", sid), e.admin, map[string]any{"retention_days": 30}, nil), 200)
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/finish", sid), e.admin, nil, nil), 200)
	var pv delphi.Privacy
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/privacy", sid), e.admin, nil, &pv), 200)
	if pv.EraseAfter == nil || pv.ErasedAt != nil {
		t.Fatalf("privacy after finishing: %+v", pv)
	}
	before := e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/3/report.json", sid), e.admin, nil, nil), 200)

	ctx := context.Background()
	if n, err := e.svc.EraseDue(ctx); err != nil || n != 0 {
		t.Fatalf("erased %d before the retention ran out (%v)", n, err)
	}
	e.clock.Add(31 * 24 * time.Hour)
	e.admin = e.login("admin@test", adminPassword)
	if n, err := e.svc.EraseDue(ctx); err != nil || n != 1 {
		t.Fatalf("erased %d after the retention (%v)", n, err)
	}
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/erase", sid), e.admin, nil, nil), 409) // already

	var after []delphi.Panelist
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/panelists", sid), e.admin, nil, &after), 200)
	for i, p := range after {
		if p.Name != "" || !strings.HasSuffix(p.Email, "@erased.invalid") || p.Pseudonym != ps[i].Pseudonym || p.Group != ps[i].Group {
			t.Errorf("panelist after erasure: %+v", p)
		}
	}
	msgs, err := e.svc.Outbox(ctx, sid)
	if err != nil || len(msgs) != 0 {
		t.Errorf("outbox after erasure: %d messages, %v", len(msgs), err)
	}
	e.must(e.call("GET", "/api/v1/respond", links[0].Token, nil, nil), 410)
	after3 := e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/3/report.json", sid), e.admin, nil, nil), 200)
	if !bytes.Equal(before.Body, after3.Body) {
		t.Error("report.json changed with the erasure")
	}
	for _, f := range []string{"report.csv", "report.xlsx", "report.html", "answers.csv", "answers-linked.csv", "outcome.csv", "comments.csv"} {
		e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/3/%s", sid, f), e.admin, nil, nil), 200)
	}
	e.must(e.get(fmt.Sprintf("/reports/studies/%d/rounds/3", sid)), 200)
	audit, err := e.store.AuditLog(ctx, sid)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range audit {
		if a.Action == "study.erase" {
			found = strings.Contains(a.Detail, `"panelists":12`)
		}
		for _, p := range ps {
			if strings.Contains(a.Detail, p.Email) || (p.Name != "" && strings.Contains(a.Detail, p.Name)) {
				t.Errorf("the audit log holds personal data: %+v", a)
			}
		}
	}
	if !found {
		t.Error("no study.erase entry with the counts in the audit log")
	}
}

// TestExpertRights: an expert downloads everything stored about them (and nothing of anyone
// else), consent names the text agreed to, and withdrawing keeps or removes their answers in the
// open round as they choose, the choice recorded.
func TestExpertRights(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sid := e.study("example")
	ids := e.panel(sid, 4, "nurse")
	_, toks := e.openRound(sid)
	for _, id := range ids {
		e.must(e.call("POST", "/api/v1/respond/consent", toks[id], nil, nil), 200)
		e.answerAll(toks[id], func(string) *int { return ip(8) }, "my comment")
	}
	var d delphi.ExpertData
	r := e.must(e.call("GET", "/api/v1/respond/my-data", toks[ids[0]], nil, &d), 200)
	if !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") || r.Header.Get("Cache-Control") != "private, no-store" {
		t.Errorf("headers %v", r.Header)
	}
	if d.Panelist.Email != "e1@example.org" || d.Panelist.ConsentAt == nil || !strings.HasPrefix(d.Panelist.ConsentVersion, "en-") ||
		len(d.Invitations) != 1 || len(d.Rounds) != 1 || len(d.Rounds[0].Answers) == 0 || d.Rounds[0].Answers[0].Comment != "my comment" {
		t.Fatalf("my data: %+v", d)
	}
	for _, other := range []string{"e2@example.org", "e3@example.org", "Expert 2"} {
		if strings.Contains(string(r.Body), other) {
			t.Errorf("my data holds %q", other)
		}
	}
	if strings.Contains(string(r.Body), toks[ids[0]]) {
		t.Error("my data holds the link's token")
	}

	e.must(e.call("POST", "/api/v1/respond/withdraw", toks[ids[0]], map[string]string{"answers": "forget"}, nil), 422)
	e.must(e.call("POST", "/api/v1/respond/withdraw", toks[ids[0]], map[string]string{"answers": "remove_open"}, nil), 200)
	e.must(e.call("GET", "/api/v1/respond", toks[ids[0]], nil, nil), 410)
	e.must(e.call("POST", "/api/v1/respond/withdraw", toks[ids[1]], map[string]string{}, nil), 200) // keep, by default
	e.must(e.call("DELETE", fmt.Sprintf("/api/v1/studies/%d/panelists/%d?answers=remove_open", sid, ids[2]), e.admin, nil, nil), 204)
	var sum struct {
		Submitted int `json:"n_submitted"`
	}
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", sid), e.admin, nil, &sum), 200)
	var rep struct {
		Result struct {
			NSubmitted int `json:"n_submitted"`
		} `json:"result"`
	}
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/1/report.json", sid), e.admin, nil, &rep), 200)
	if rep.Result.NSubmitted != 2 { // the one who kept, and the one still on the panel
		t.Errorf("round 1 counts %d submissions, want 2", rep.Result.NSubmitted)
	}
	audit, _ := e.store.AuditLog(context.Background(), sid)
	choices := ""
	for _, a := range audit {
		if a.Action == "panel.withdraw" {
			choices += a.Detail
		}
	}
	for _, want := range []string{`"answers":"remove_open"`, `"answers":"keep"`} {
		if !strings.Contains(choices, want) {
			t.Errorf("the audit log lacks %s: %s", want, choices)
		}
	}
}
