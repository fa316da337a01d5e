package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/cart-cd/delphi/internal/delphi"
)

// respondReference is GET /api/v1/respond encoded in one piece by encoding/json, as it was
// before the panel's feedback was encoded once per round: the document must not change.
func respondReference(t *testing.T, e *delphi.Expert, q *delphi.Questionnaire) []byte {
	t.Helper()
	out := respondJSON{Study: respondStudy{ID: e.Study.ID, Title: e.Study.Title, Description: e.Study.Def.Description, Contact: e.Study.Contact, ContactName: e.Study.ContactName},
		Editable: q.Editable, Consented: q.Consented, SubmittedAt: timePtr(q.SubmittedAt), Items: []respondItem{},
		Answers: []delphi.Answer{}, Scale: e.Study.Def.Scale, Placement: e.Study.Def.Placement}
	if q.Round != nil {
		r := toRoundJSON(*q.Round)
		out.Round = &r
	}
	for _, it := range q.Items {
		ri := respondItem{RoundItem: it}
		if f := q.Feedback[it.ID]; f != nil {
			ri.Feedback = &feedbackJSON{FromRound: q.PrevRound, Own: f.Own, panelJSON: panelJSON{NRated: f.NRated, NUnable: f.NUnable,
				Hist: f.Hist, Bands: f.Bands, Median: f.Median, Class: f.Class, Groups: f.Groups, HiddenGroups: f.HiddenGroups, Comments: f.Comments}}
		}
		out.Items = append(out.Items, ri)
		if a, ok := q.Answers[it.ID]; ok {
			out.Answers = append(out.Answers, a)
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRespondDocument compares the questionnaire JSON with the reference, byte for byte, for
// experts who answered round 1 with hostile text, one who did not, round 1 and round 2, and
// before and after round-2 answers: each expert's own answers beside the shared feedback.
func TestRespondDocument(t *testing.T) {
	e := newEnv(t)
	sid := e.study("example")
	ids := e.panel(sid, 8, "haematologist", "nurse", "patient_representative")
	_, toks := e.openRound(sid)
	hostile := `"own":null, </script><b>&amp; "feedback":{"from_round":1,"own":null} \u0000 ü`
	check := func(what string, tok string) {
		t.Helper()
		x, err := e.svc.Expert(t.Context(), tok)
		if err != nil {
			t.Fatal(err)
		}
		q, err := e.svc.Questionnaire(t.Context(), x)
		if err != nil {
			t.Fatal(err)
		}
		got := e.must(e.call("GET", "/api/v1/respond", tok, nil, nil), 200).Body
		if want := respondReference(t, x, q); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", what, got, want)
		}
	}
	e.must(e.call("POST", "/api/v1/respond/consent", toks[ids[0]], nil, nil), 200)
	check("round 1, nothing answered", toks[ids[0]])
	e.expertRateAll(toks, ids[:7], exampleItemIDs(), func(i int, item string) int { return 1 + (i*3+len(item))%9 }, hostile)
	check("round 1, answered", toks[ids[0]])
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", sid), e.admin, nil, nil), 200)

	var r roundJSON
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid), e.admin, map[string]any{}, &r), 201)
	var links []delphi.Link
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/2/invitations", sid), e.admin, nil, &links), 201)
	for i, l := range links {
		check(fmt.Sprintf("round 2, panelist %d before answering", i), l.Token)
	}
	tok := links[0].Token
	e.must(e.call("POST", "/api/v1/respond/consent", tok, nil, nil), 200)
	v := 9
	e.must(e.call("PUT", "/api/v1/respond/answers", tok, map[string]any{"answers": []delphi.Answer{{Item: exampleItemIDs()[0], Rating: &v, Reason: hostile}}}, nil), 200)
	check("round 2, answered", tok)
}
