package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"regexp"
	"testing"

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
