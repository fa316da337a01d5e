package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/outcome"
	"github.com/cart-cd/delphi/internal/report"
	"github.com/cart-cd/delphi/internal/report/reporttest"
)

// TestCARTCDOutcome runs a three-round CART-CD study to the end, records decisions, and checks
// the grouped outcome, the REDCap data dictionary and the ODM document that come out.
func TestCARTCDOutcome(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sid, err := reporttest.Run(ctx, e.svc, reporttest.Options{Survey: "cart-cd", Panelists: 40, Rounds: 3, Seed: 11, Advance: e.clock.Add})
	if err != nil {
		t.Fatal(err)
	}
	e.admin = e.login("admin@test", adminPassword)
	base := fmt.Sprintf("/api/v1/studies/%d", sid)

	// decisions: bad input is refused with the field, and nothing is written
	var doc report.OutcomeDoc
	e.must(e.call("GET", base+"/outcome.json", e.admin, nil, &doc), 200)
	var undecided, anyItem string
	for _, it := range doc.Items {
		anyItem = it.Item
		if it.FinalTier == "undecided" || it.FinalTier == "pending" {
			undecided = it.Item
		}
	}
	if undecided == "" {
		t.Fatal("no undecided item after three rounds")
	}
	bad := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"unknown item", map[string]any{"item": "ghost", "tier": "core", "reason": "r"}, "item"},
		{"unknown module", map[string]any{"item": undecided, "tier": "expansion", "module": "nope", "reason": "r"}, "module"},
		{"expansion without module", map[string]any{"item": undecided, "tier": "expansion", "reason": "r"}, "module"},
		{"bad tier", map[string]any{"item": undecided, "tier": "gold", "reason": "r"}, "tier"},
		{"empty reason", map[string]any{"item": undecided, "tier": "core", "reason": "  "}, "reason"},
	}
	for _, tt := range bad {
		r := e.must(e.call("POST", base+"/decisions", e.admin, tt.body, nil), 422)
		if !strings.Contains(string(r.Body), `"field":"`+tt.field+`"`) {
			t.Errorf("%s: %s", tt.name, r.Body)
		}
	}
	var ds []map[string]any
	e.must(e.call("GET", base+"/decisions", e.admin, nil, &ds), 200)
	if len(ds) != 0 {
		t.Fatalf("bad decisions wrote %v", ds)
	}
	// a decision while the study runs is provisional
	var d map[string]any
	e.must(e.call("POST", base+"/decisions", e.admin, map[string]any{"item": undecided, "tier": "core", "reason": "needed for EMA reporting"}, &d), 201)
	if d["provisional"] != true || d["basis"] != "committee" {
		t.Errorf("decision %v", d)
	}
	if err := e.svc.FinishStudy(ctx, delphi.System, sid); err != nil {
		t.Fatal(err)
	}
	// a meeting vote goes through the same path (no UI yet)
	mod := "" // a module of the definition
	st, _ := e.svc.Study(ctx, sid)
	mod = st.Def.Modules[0].ID
	mv, err := e.svc.RecordMeetingVote(ctx, delphi.System, sid, delphi.MeetingVoteInput{Item: anyItem, Meeting: "GoCART workshop", Question: "Module?",
		Vote: outcomeVote(mod), GroupVotes: map[string]map[string]int{"nurse": {"expansion:" + mod: 8, "abstain": 1}, "haematologist": {"core": 2}}})
	if err != nil {
		t.Fatal(err)
	}
	if mv.Tier != "expansion" || mv.Module != mod || mv.Provisional || mv.Meeting == nil || mv.Meeting.Voters != 10 || mv.Meeting.RuleHash == "" {
		t.Fatalf("meeting vote %+v", mv)
	}

	e.must(e.call("GET", base+"/outcome.json", e.admin, nil, &doc), 200)
	if doc.Rules.AtFinish == "" || doc.Rules.OutcomeHash != doc.Rules.AtFinish || len(doc.Rules.Rounds) != 3 {
		t.Fatalf("rules %+v", doc.Rules)
	}
	for _, r := range doc.Rules.Rounds {
		if r.OutcomeHash != doc.Rules.AtFinish {
			t.Errorf("round %d froze %s, finish %s", r.Round, r.OutcomeHash, doc.Rules.AtFinish)
		}
	}
	// grouped: core, modules by label, undecided, excluded; items in that order; finishing excluded nothing by itself
	kinds := map[string]int{"core": 0, "module": 1, "undecided": 2, "excluded": 3}
	var seq []string
	pos := 0
	for i, g := range doc.Groups {
		if i > 0 && kinds[g.Kind] < kinds[doc.Groups[i-1].Kind] {
			t.Fatalf("group %s after %s", g.Kind, doc.Groups[i-1].Kind)
		}
		for _, id := range g.Items {
			if doc.Items[pos].Item != id {
				t.Fatalf("items out of group order at %d", pos)
			}
			pos++
			seq = append(seq, id)
		}
	}
	if pos != len(doc.Items) {
		t.Fatalf("%d items, %d in groups", len(doc.Items), pos)
	}
	agreed := map[string]bool{}
	for _, it := range doc.Items {
		if it.FinalTier == "pending" {
			t.Errorf("%s pending in a finished study", it.Item)
		}
		if it.RuleTier == "excluded" && it.RuleReason != nil && *it.RuleReason == "no_consensus" {
			t.Errorf("%s excluded for no consensus", it.Item)
		}
		if it.Item == undecided && it.FinalTier != "core" {
			t.Errorf("decision not final: %s", it.FinalTier)
		}
		if it.FinalTier == "core" || it.FinalTier == "expansion" {
			agreed[it.Item] = true
		}
	}
	if len(agreed) < 5 {
		t.Fatalf("only %d agreed items", len(agreed))
	}

	// REDCap: header byte for byte, valid unique names, well-formed choices, the same items
	r := e.must(e.call("GET", base+"/outcome/redcap.csv", e.admin, nil, nil), 200)
	header := "Variable / Field Name,Form Name,Section Header,Field Type,Field Label,\"Choices, Calculations, OR Slider Labels\",Field Note,Text Validation Type OR Show Slider Number,Text Validation Min,Text Validation Max,Identifier?,Branching Logic (Show field only if...),Required Field?,Custom Alignment,Question Number (surveys only),Matrix Group Name,Matrix Ranking?,Field Annotation\n"
	if !strings.HasPrefix(string(r.Body), header) {
		t.Fatalf("REDCap header:\n%.400s", r.Body)
	}
	recs, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	nameRe := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	formRe := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	choiceRe := regexp.MustCompile(`^\d+, [^|]+$`)
	annRe := regexp.MustCompile(`^delphi item ([a-z0-9_-]+) `)
	codeChoiceRe := regexp.MustCompile(`^\d+, [a-z0-9]+(_[a-z0-9]+)+$`) // "2, 5_fatal": a code where a label belongs
	names := map[string]bool{}
	redcapItems := map[string]bool{}
	for i, rec := range recs[1:] {
		if len(rec) != 18 {
			t.Fatalf("row %d has %d columns", i+2, len(rec))
		}
		v := rec[0]
		if !nameRe.MatchString(v) || len(v) > 26 || names[v] {
			t.Errorf("row %d: variable %q invalid or repeated", i+2, v)
		}
		names[v] = true
		if !formRe.MatchString(rec[1]) {
			t.Errorf("row %d: form %q", i+2, rec[1])
		}
		switch rec[3] {
		case "radio":
			for _, ch := range strings.Split(rec[5], " | ") {
				if !choiceRe.MatchString(ch) {
					t.Errorf("row %d: choice %q", i+2, ch)
				}
				if codeChoiceRe.MatchString(ch) {
					t.Errorf("row %d: choice %q shows the code, not its label", i+2, ch)
				}
			}
		case "text", "descriptive":
			if rec[5] != "" {
				t.Errorf("row %d: choices on a %s field", i+2, rec[3])
			}
		default:
			t.Errorf("row %d: field type %q", i+2, rec[3])
		}
		if m := annRe.FindStringSubmatch(rec[17]); m != nil {
			redcapItems[m[1]] = true
			if rec[1] == "core_set" && rec[12] != "y" {
				t.Errorf("row %d: core item not required", i+2)
			}
		} else if i > 1 {
			t.Errorf("row %d: annotation %q", i+2, rec[17])
		}
	}
	if recs[1][0] != "record_id" {
		t.Errorf("first field %q", recs[1][0])
	}
	if !sameSet(redcapItems, agreed) {
		t.Errorf("REDCap items %d, agreed %d", len(redcapItems), len(agreed))
	}

	// ODM: parses, in the ODM namespace, unique OIDs, every *Ref resolves, the same items
	r = e.must(e.call("GET", base+"/outcome/odm.xml", e.admin, nil, nil), 200)
	oids, refs, odmItems := map[string]bool{}, []string{}, map[string]bool{}
	dec := xml.NewDecoder(bytes.NewReader(r.Body))
	sawRoot, langs := false, map[string]bool{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("ODM: %v", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if se.Name.Space != report.ODMNamespace {
			t.Fatalf("element %s outside the ODM namespace", se.Name.Local)
		}
		if se.Name.Local == "ODM" {
			sawRoot = true
		}
		for _, a := range se.Attr {
			switch {
			case a.Name.Local == "OID":
				if oids[a.Value] {
					t.Errorf("OID %s twice", a.Value)
				}
				oids[a.Value] = true
			case strings.HasSuffix(a.Name.Local, "OID") && se.Name.Local != "ODM":
				refs = append(refs, a.Value)
			case a.Name.Local == "lang":
				langs[a.Value] = true
			case se.Name.Local == "Alias" && a.Name.Local == "Name":
				odmItems[a.Value] = true
			}
		}
	}
	if !sawRoot {
		t.Fatal("no ODM root")
	}
	for _, ref := range refs {
		if !oids[ref] {
			t.Errorf("reference %s resolves to nothing", ref)
		}
	}
	for _, l := range st.Def.Languages {
		if !langs[l] {
			t.Errorf("no text in %s", l)
		}
	}
	if !sameSet(odmItems, agreed) {
		t.Errorf("ODM items %d, agreed %d", len(odmItems), len(agreed))
	}
	if !bytes.Contains(r.Body, []byte(`ODMVersion="1.3.2"`)) {
		t.Error("ODM version")
	}

	// report.json of round 3 says whether W is reported; report.csv has the placement columns
	var rj map[string]json.RawMessage
	e.must(e.call("GET", base+"/rounds/3/report.json", e.admin, nil, &rj), 200)
	for _, k := range []string{"kendall_status", "placements", "item_flow", "item_flow_final", "changes"} {
		if _, ok := rj[k]; !ok && k != "changes" {
			t.Errorf("report.json without %s", k)
		}
	}
	r = e.must(e.call("GET", base+"/rounds/3/report.csv", e.admin, nil, nil), 200)
	if !strings.Contains(strings.SplitN(string(r.Body), "\n", 2)[0], "placement_n,placement_core") {
		t.Error("report.csv without placement columns")
	}
	e.must(e.call("GET", base+"/rounds/1/suggestions.csv", e.admin, nil, nil), 200)
	_ = seq
}

func outcomeVote(module string) outcome.Vote {
	return outcome.Vote{Kind: outcome.VoteOptions, Counts: map[string]int{"expansion:" + module: 8, "core": 2, "abstain": 1}}
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}
