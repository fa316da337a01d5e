package survey

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"go.yaml.in/yaml/v3"
)

// valid is the smallest good definition; the mistakes below are variations of it.
const valid = `id: t
version: 1
title: {en: T}
groups:
  - {id: g, label: {en: G}}
sections:
  - id: s
    label: {en: S}
    items:
      - {id: a, label: {en: A}}
`

type mistake struct {
	name  string
	yaml  string
	line  int
	field string
	msg   string // fragment of the message
}

// mistakes lists one small file per kind of mistake, with where and what Parse must report.
func mistakes() []mistake {
	return []mistake{
		{"malformed YAML", "id: t\ntitle: {en: T\nversion: 1\n", 2, "", "malformed YAML: did not find expected ',' or '}'"},
		{"malformed YAML on line 1", "id: t\n  x: 1\n", 2, "", "malformed YAML: mapping values are not allowed"},
		{"bad indentation", valid + "  - id: s2\n   label: {en: S2}\n", 12, "", "malformed YAML"},
		{"control character", valid + "description: {en: \"a\x01b\"}\n", 11, "", "malformed YAML: control characters"},
		{"empty file", "# nothing here\n", 1, "", "empty file"},
		{"not a mapping", "- id: t\n- id: u\n", 1, "", "expected a mapping"},
		{"two documents", valid + "---\nid: u\n", 12, "", "second YAML document"},
		{"unknown key", strings.Replace(valid, "{id: a, label: {en: A}}", "{id: a, label: {en: A}, proposed_teir: core}", 1),
			10, "sections[0].items[0].proposed_teir", `unknown field (did you mean "proposed_tier"?)`},
		{"duplicate key", valid + "title: {en: U}\n", 11, "title", "duplicate key (first given on line 3)"},
		{"wrong kind", strings.Replace(valid, "version: 1", "version: one", 1), 2, "version", "expected a whole number"},
		{"alias", strings.Replace(valid, "title: {en: T}", "title: &t {en: T}\ndescription: *t", 1), 4, "description", "aliases"},
		{"bad id", strings.Replace(valid, "id: s", "id: Toxicity", 1), 7, "sections[0].id", "not a valid id"},
		{"version below 1", strings.Replace(valid, "version: 1", "version: 0", 1), 2, "version", "at least 1"},
		{"languages without en", valid + "languages: [de]\n", 11, "languages", "must include en"},
		{"duplicate language", valid + "languages: [en, de, en]\n", 11, "languages[2]", "listed twice"},
		{"undeclared language", strings.Replace(valid, "{en: T}", "{en: T, de: T}", 1), 3, "title.de", `language "de" is not declared`},
		{"missing English label", strings.Replace(valid, "label: {en: S}", "label: {fr: S}", 1) + "languages: [en, fr]\n",
			8, "sections[0].label", "English text (en) is required"},
		{"missing label", strings.Replace(valid, "{id: a, label: {en: A}}", "{id: a}", 1), 10, "sections[0].items[0].label", "required"},
		{"duplicate item id", valid + "  - id: s2\n    label: {en: S2}\n    items:\n      - {id: a, label: {en: A2}}\n",
			14, "sections[1].items[0].id", `duplicate item id "a" (first at sections[0].items[0], line 10)`},
		{"duplicate group id", strings.Replace(valid, "  - {id: g, label: {en: G}}", "  - {id: g, label: {en: G}}\n  - {id: g, label: {en: H}}", 1),
			6, "groups[1].id", `duplicate id "g"`},
		{"duplicate section id", valid + "  - id: s\n    label: {en: S2}\n    items:\n      - {id: b, label: {en: B}}\n",
			11, "sections[1].id", "duplicate section id"},
		{"empty section", valid + "  - id: s2\n    label: {en: S2}\n    items: []\n", 13, "sections[1].items", "at least one item"},
		{"no sections", strings.Split(valid, "sections:")[0], 1, "sections", "at least one section"},
		{"no groups", strings.Replace(valid, "groups:\n  - {id: g, label: {en: G}}\n", "", 1), 1, "groups", "at least one stakeholder group"},
		{"scale min not below max", valid + "scale: {min: 5, max: 5}\n", 11, "scale.max", "greater than min"},
		{"scale beyond 100", valid + "scale: {min: 1, max: 101, bands: []}\n", 11, "scale.max", "between 3 and 100"},
		{"scale starting at 0", valid + "scale: {min: 0, max: 9, bands: []}\n", 11, "scale.min", "must be 1"},
		{"bands required off 1-9", valid + "scale: {min: 0, max: 10}\n", 11, "scale.bands", "three bands"},
		{"two bands", valid + "scale:\n  bands:\n    - {id: low, from: 1, to: 4, label: {en: L}}\n    - {id: high, from: 5, to: 9, label: {en: H}}\n",
			12, "scale.bands", "exactly three bands"},
		{"band gap", valid + "scale:\n  bands:\n    - {id: low, from: 1, to: 3, label: {en: L}}\n    - {id: mid, from: 5, to: 6, label: {en: M}}\n    - {id: high, from: 7, to: 9, label: {en: H}}\n",
			14, "scale.bands[1].from", "gap: point 4 is in no band"},
		{"band overlap", valid + "scale:\n  bands:\n    - {id: low, from: 1, to: 3, label: {en: L}}\n    - {id: mid, from: 3, to: 6, label: {en: M}}\n    - {id: high, from: 7, to: 9, label: {en: H}}\n",
			14, "scale.bands[1].from", "overlap"},
		{"bands short of max", valid + "scale:\n  bands:\n    - {id: low, from: 1, to: 3, label: {en: L}}\n    - {id: mid, from: 4, to: 6, label: {en: M}}\n    - {id: high, from: 7, to: 8, label: {en: H}}\n",
			15, "scale.bands[2].to", "must end at the scale maximum 9"},
		{"bands from above min", valid + "scale:\n  bands:\n    - {id: low, from: 2, to: 3, label: {en: L}}\n    - {id: mid, from: 4, to: 6, label: {en: M}}\n    - {id: high, from: 7, to: 9, label: {en: H}}\n",
			13, "scale.bands[0].from", "must start at the scale minimum 1"},
		{"scale label off the scale", valid + "scale:\n  labels: {10: {en: Beyond}}\n", 12, "scale.labels.10", "not a point of the scale"},
		{"threshold over 100", valid + "consensus:\n  in: {high_at_least: 170}\n", 12, "consensus.in.high_at_least", "0 to 100"},
		{"negative threshold", valid + "consensus:\n  out: {high_below: -5}\n", 12, "consensus.out.high_below", "0 to 100"},
		{"unknown rule", valid + "consensus: {rule: rand}\n", 11, "consensus.rule", `unknown rule "rand"`},
		{"round 0 override", valid + "consensus:\n  rounds:\n    0: {every_group: true}\n", 13, "consensus.rounds.0", "start at 1"},
		{"override threshold", valid + "consensus:\n  rounds:\n    2:\n      out: {low_at_least: 101}\n", 14, "consensus.rounds.2.out.low_at_least", "0 to 100"},
		{"min group size 0", valid + "feedback: {min_group_size: 0}\n", 11, "feedback.min_group_size", "at least 1"},
		{"unknown feedback part", valid + "feedback:\n  show: [own, histogram]\n", 12, "feedback.show[1]", `unknown part "histogram"`},
		{"unknown placement option", valid + "placement:\n  options: [core, maybe]\n", 12, "placement.options[1]", `unknown option "maybe"`},
		{"empty placement options", valid + "placement: {options: []}\n", 11, "placement.options", "at least one option"},
		{"unknown tier", strings.Replace(valid, "{id: a, label: {en: A}}", "{id: a, label: {en: A}, proposed_tier: optional}", 1),
			10, "sections[0].items[0].proposed_tier", `unknown tier "optional"`},
		{"expansion without module", strings.Replace(valid, "{id: a, label: {en: A}}", "{id: a, label: {en: A}, proposed_tier: expansion}", 1),
			10, "sections[0].items[0].module", "required with proposed_tier: expansion"},
		{"undeclared module", strings.Replace(valid, "{id: a, label: {en: A}}", "{id: a, label: {en: A}, proposed_tier: expansion, module: myeloma}", 1),
			10, "sections[0].items[0].module", `unknown module "myeloma"`},
		{"module on a core item", strings.Replace(valid, "{id: a, label: {en: A}}", "{id: a, label: {en: A}, proposed_tier: core, module: m}", 1) + "modules: [{id: m, label: {en: M}}]\n",
			10, "sections[0].items[0].module", "goes with proposed_tier: expansion"},
		{"unknown source", strings.Replace(valid, "{id: a, label: {en: A}}", "{id: a, label: {en: A}, source: [LEE-2014, ASTCT-2091]}", 1) + "sources: {LEE-2014: \"Lee DW et al. Blood 2014\"}\n",
			10, "sections[0].items[0].source[1]", `unknown source "ASTCT-2091"`},
		{"duplicate category", strings.Replace(valid, "{id: a, label: {en: A}}", "{id: a, label: {en: A}, categories: [yes, no, yes]}", 1),
			10, "sections[0].items[0].categories[2]", `category "yes" is listed twice`},
		{"empty category", strings.Replace(valid, "{id: a, label: {en: A}}", "{id: a, label: {en: A}, categories: [\"\", x]}", 1),
			10, "sections[0].items[0].categories[0]", "empty category"},
		{"labelled category without a code", strings.Replace(valid, "{id: a, label: {en: A}}", "{id: a, label: {en: A}, categories: [x, {label: {en: Y}}]}", 1),
			10, "sections[0].items[0].categories[1].code", "required"},
		{"labelled category listed twice", strings.Replace(valid, "{id: a, label: {en: A}}", "{id: a, label: {en: A}, categories: [x, {code: x, label: {en: X}}]}", 1),
			10, "sections[0].items[0].categories[1]", `category "x" is listed twice`},
		{"category label without English", strings.Replace(valid, "{id: a, label: {en: A}}", "{id: a, label: {en: A}, categories: [{code: x, label: {de: X}}]}", 1),
			10, "sections[0].items[0].categories[0].label.de", `language "de" is not declared`},
		{"category label misspelt", strings.Replace(valid, "{id: a, label: {en: A}}", "{id: a, label: {en: A}, categories: [{code: x, lable: {en: X}}]}", 1),
			10, "sections[0].items[0].categories[0].lable", `unknown field (did you mean "label"?)`},
		{"category label not text", strings.Replace(valid, "      - {id: a, label: {en: A}}", "      - id: a\n        label: {en: A}\n        categories:\n          - code: x\n            label: Fatal", 1),
			14, "sections[0].items[0].categories[0].label", "expected text per language"},
		{"unit and categories", strings.Replace(valid, "{id: a, label: {en: A}}", "{id: a, label: {en: A}, unit: days, categories: [x]}", 1),
			10, "sections[0].items[0].categories", "not both"},
		{"unknown field groups on an item", strings.Replace(valid, "{id: a, label: {en: A}}", "{id: a, label: {en: A}, groups: [g]}", 1),
			10, "sections[0].items[0].groups", `unknown`},
		{"outcome threshold 0", valid + "outcome: {core_at_least: 0}\n", 11, "outcome.core_at_least", "1 to 100"},
		{"outcome threshold over 100", valid + "outcome:\n  collect_at_least: 101\n", 12, "outcome.collect_at_least", "1 to 100"},
		{"meeting threshold over 100", valid + "outcome:\n  meeting:\n    agree_at_least: 150\n", 13, "outcome.meeting.agree_at_least", "1 to 100"},
		{"min placement answers 0", valid + "outcome: {min_placement_answers: 0}\n", 11, "outcome.min_placement_answers", "at least 1"},
		{"min voters 0", valid + "outcome:\n  meeting: {min_voters: 0}\n", 12, "outcome.meeting.min_voters", "at least 1"},
		{"outcome threshold as text", valid + "outcome: {core_at_least: most}\n", 11, "outcome.core_at_least", "whole number"},
		{"unknown outcome field", valid + "outcome: {core_at_leest: 60}\n", 11, "outcome.core_at_leest", `did you mean "core_at_least"`},
		{"empty translation", strings.Replace(valid, "{en: T}", "{en: T, de: \"\"}", 1) + "languages: [en, de]\n", 3, "title.de", "empty text"},
		{"text as plain string", strings.Replace(valid, "title: {en: T}", "title: T", 1), 3, "title", "expected text per language"},
	}
}

func TestValidBase(t *testing.T) {
	def, err := Parse("t.yaml", []byte(valid))
	if err != nil {
		t.Fatalf("Parse(valid): %v", err)
	}
	if def.ID != "t" || len(def.Items()) != 1 {
		t.Errorf("got id %q with %d items", def.ID, len(def.Items()))
	}
}

func TestOutcomeBlock(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want Outcome
	}{
		{"defaults", valid, DefaultOutcome()},
		{"partial", valid + "outcome:\n  core_at_least: 80\n  meeting: {min_voters: 12}\n",
			Outcome{CoreAtLeast: 80, CollectAtLeast: 70, MinPlacementAnswers: 5, Meeting: Meeting{AgreeAtLeast: 70, MinVoters: 12}}},
		{"bounds", valid + "outcome: {core_at_least: 100, collect_at_least: 1, min_placement_answers: 1, meeting: {agree_at_least: 100, min_voters: 1}}\n",
			Outcome{CoreAtLeast: 100, CollectAtLeast: 1, MinPlacementAnswers: 1, Meeting: Meeting{AgreeAtLeast: 100, MinVoters: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def, err := Parse("o.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if def.Outcome != tt.want {
				t.Errorf("Outcome = %+v, want %+v", def.Outcome, tt.want)
			}
		})
	}
	if d := DefaultOutcome(); d.CoreAtLeast != 70 || d.CollectAtLeast != 70 || d.MinPlacementAnswers != 5 || d.Meeting.AgreeAtLeast != 70 || d.Meeting.MinVoters != 10 {
		t.Errorf("DefaultOutcome = %+v, not outcome-definitions.md's", d)
	}
}

func TestMistakes(t *testing.T) {
	for _, tt := range mistakes() {
		t.Run(tt.name, func(t *testing.T) {
			def, err := Parse("m.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded, want %d: %s: …%s…", tt.line, tt.field, tt.msg)
			}
			if def != nil {
				t.Errorf("Parse returned a definition with an error")
			}
			ps := Problems(err)
			for _, p := range ps {
				if p.Line == tt.line && p.Field == tt.field && strings.Contains(p.Msg, tt.msg) {
					if p.File != "m.yaml" {
						t.Errorf("File = %q, want m.yaml", p.File)
					}
					return
				}
			}
			t.Errorf("no problem %d: %s: …%s…; got:\n%v", tt.line, tt.field, tt.msg, err)
		})
	}
}

func TestAllProblemsAtOnce(t *testing.T) {
	src := `id: Bad
version: 0
title: {en: T, it: T}
languages: [en, de]
consensus:
  in: {high_at_least: 150}
groups:
  - {id: g, label: {de: G}}
sections:
  - id: s
    label: {en: S}
    items:
      - {id: a, label: {en: A}, proposed_teir: core}
      - {id: a, label: {en: A again}}
`
	_, err := Parse("all.yaml", []byte(src))
	want := []string{
		`all.yaml:1: id: "Bad" is not a valid id: use lower-case letters, digits, _ and -, starting with a letter or digit`,
		`all.yaml:2: version: must be at least 1, found 0`,
		`all.yaml:3: title.it: language "it" is not declared in languages`,
		`all.yaml:6: consensus.in.high_at_least: a threshold is a percentage from 0 to 100, found 150`,
		`all.yaml:8: groups[0].label: English text (en) is required`,
		`all.yaml:13: sections[0].items[0].proposed_teir: unknown field (did you mean "proposed_tier"?)`,
		`all.yaml:14: sections[0].items[1].id: duplicate item id "a" (first at sections[0].items[0], line 13); item ids are unique across sections`,
	}
	ps := Problems(err)
	got := make([]string, len(ps))
	for i, p := range ps {
		got[i] = p.Error()
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err.Error() != strings.Join(want, "\n") {
		t.Errorf("err.Error() = %q", err.Error())
	}
	var e *Error
	if !errors.As(err, &e) || e.Line != 1 {
		t.Errorf("errors.As(*Error) = %v", e)
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "a.yaml", Line: 3, Field: "title", Msg: "required"}, "a.yaml:3: title: required"},
		{Error{File: "a.yaml", Line: 1, Msg: "empty file"}, "a.yaml:1: empty file"},
		{Error{File: "a.yaml", Msg: "malformed YAML: x"}, "a.yaml: malformed YAML: x"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	if Problems(nil) != nil || Problems(errors.New("x")) != nil {
		t.Errorf("Problems of nil or a foreign error should be empty")
	}
}

func TestDefaults(t *testing.T) {
	def, err := Parse("t.yaml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(def.Scale, DefaultScale()) {
		t.Errorf("scale = %+v, want GRADE default", def.Scale)
	}
	if !reflect.DeepEqual(def.Consensus, DefaultConsensus()) {
		t.Errorf("consensus = %+v, want COMET 70/15", def.Consensus)
	}
	if !reflect.DeepEqual(def.Feedback, DefaultFeedback()) {
		t.Errorf("feedback = %+v", def.Feedback)
	}
	if !reflect.DeepEqual(def.Languages, []string{"en"}) || def.Placement != nil {
		t.Errorf("languages %v, placement %v", def.Languages, def.Placement)
	}

	// Parts given keep their values; the rest of their block is defaulted field by field.
	def, err = Parse("t.yaml", []byte(valid+"consensus: {in: {high_at_least: 80}}\nfeedback: {show: []}\nplacement: {}\nscale: {unable: {en: Cannot say}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if def.Consensus.In != (InRule{HighAtLeast: 80, LowBelow: 15}) || def.Consensus.Out != DefaultConsensus().Out {
		t.Errorf("consensus = %+v", def.Consensus)
	}
	if len(def.Feedback.Show) != 0 || def.Feedback.MinGroupSize != 5 {
		t.Errorf("feedback = %+v, want nothing shown (explicit empty list), min 5", def.Feedback)
	}
	if def.Placement == nil || !reflect.DeepEqual(def.Placement.Options, []string{"core", "expansion", "not_needed"}) {
		t.Errorf("placement = %+v", def.Placement)
	}
	if def.Scale.Unable.In("en") != "Cannot say" || len(def.Scale.Bands) != 3 || def.Scale.Max != 9 {
		t.Errorf("scale = %+v", def.Scale)
	}
}

func TestExample(t *testing.T) {
	def, data, err := Load(os.DirFS("../../surveys"), "example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 || Hash(data) == "" {
		t.Errorf("Load returned no bytes")
	}
	if def.ID != "example" || len(def.Sections) != 3 || len(def.Items()) != 8 || len(def.Groups) != 4 {
		t.Errorf("example: id %q, %d sections, %d items, %d groups", def.ID, len(def.Sections), len(def.Items()), len(def.Groups))
	}
	it, ok := def.Item("crs_max_grade")
	if !ok || it.Label.In("de") != "Maximaler CRS-Grad (ASTCT)" || it.Label.In("fr") != "Maximum CRS grade (ASTCT)" {
		t.Errorf("crs_max_grade label: %v", it.Label)
	}
	if it, _ := def.Item("crs_onset_day"); it.Label.In("de") != "Day of CRS onset" {
		t.Errorf("English fallback: %q", it.Label.In("de"))
	}
	if got := def.SectionOf("eq5d"); got != "quality_of_life" {
		t.Errorf("SectionOf(eq5d) = %q", got)
	}
}

func TestForRound(t *testing.T) {
	def, _, err := Load(os.DirFS("../../surveys"), "example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	base := Rule{Rule: "comet", In: InRule{70, 15}, Out: OutRule{70, 15}}
	tests := []struct {
		round int
		want  Rule
	}{
		{1, base},
		{2, base},
		{3, Rule{Rule: "comet", In: InRule{75, 10}, Out: OutRule{70, 15}, EveryGroup: true}},
		{4, base},
	}
	for _, tt := range tests {
		if got := def.Consensus.ForRound(tt.round); got != tt.want {
			t.Errorf("ForRound(%d) = %+v, want %+v", tt.round, got, tt.want)
		}
	}
}

// Categories are given as codes or as codes with labels; the labels fall back to English, then
// to the code.
func TestCategoryLabels(t *testing.T) {
	src := strings.Replace(valid, "{id: a, label: {en: A}}",
		`{id: a, label: {en: A}, categories: ["0", {code: 5_fatal, label: {en: "Fatal", de: "Tödlich"}}, {code: other}]}`, 1)
	src = strings.Replace(src, "title: {en: T}", "title: {en: T}\nlanguages: [en, de, fr]", 1)
	def, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	it, _ := def.Item("a")
	if want := []string{"0", "5_fatal", "other"}; !reflect.DeepEqual(it.Categories, want) {
		t.Errorf("codes %v, want %v", it.Categories, want)
	}
	tests := []struct{ code, lang, label, in string }{
		{"5_fatal", "de", "Tödlich", "de"},
		{"5_fatal", "fr", "Fatal", "en"},
		{"5_fatal", "en", "Fatal", "en"},
		{"0", "de", "0", ""},
		{"other", "fr", "other", ""},
	}
	for _, tt := range tests {
		if label, in := it.CategoryLabel(tt.code, tt.lang); label != tt.label || in != tt.in {
			t.Errorf("CategoryLabel(%s, %s) = %q, %q; want %q, %q", tt.code, tt.lang, label, in, tt.label, tt.in)
		}
	}
}

func TestTextIn(t *testing.T) {
	tests := []struct {
		t    Text
		lang string
		want string
	}{
		{Text{"en": "Nurse", "de": "Pflege"}, "de", "Pflege"},
		{Text{"en": "Nurse", "de": "Pflege"}, "fr", "Nurse"},
		{Text{"en": "Nurse", "de": ""}, "de", "Nurse"},
		{Text{"en": "Nurse"}, "", "Nurse"},
		{nil, "de", ""},
	}
	for _, tt := range tests {
		if got := tt.t.In(tt.lang); got != tt.want {
			t.Errorf("%v.In(%q) = %q, want %q", tt.t, tt.lang, got, tt.want)
		}
	}
}

func TestList(t *testing.T) {
	fsys := fstest.MapFS{
		"t.yaml":     {Data: []byte(valid)},
		"other.yaml": {Data: []byte(valid)},
		"bad.yaml":   {Data: []byte("id: bad\n")},
		"notes.txt":  {Data: []byte("not a survey")},
	}
	defs, err := List(fsys)
	if len(defs) != 1 || defs[0].ID != "t" {
		t.Errorf("List returned %d definitions", len(defs))
	}
	var got []string
	for _, p := range Problems(err) {
		got = append(got, p.File+":"+p.Field)
	}
	want := []string{"bad.yaml:version", "bad.yaml:title", "bad.yaml:groups", "bad.yaml:sections", "other.yaml:id"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems %v, want %v", got, want)
	}

	defs, err = List(os.DirFS("../../surveys"))
	if err != nil || len(defs) != 2 || defs[0].ID != "cart-cd" || defs[1].ID != "example" {
		t.Errorf("List(surveys) = %d definitions, %v", len(defs), err)
	}
	if _, _, err := Load(fsys, "missing.yaml"); err == nil || !strings.Contains(err.Error(), "load survey missing.yaml") {
		t.Errorf("Load(missing) = %v", err)
	}
}

func TestHash(t *testing.T) {
	if got := Hash([]byte("abc")); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("Hash(abc) = %s", got)
	}
}

// TestCARTCD checks surveys/cart-cd.yaml against the shared candidate parameter file it was built
// from: every parameter, in its domain, with its texts, unit, categories, tier and sources.
func TestCARTCD(t *testing.T) {
	def, _, err := Load(os.DirFS("../../surveys"), "cart-cd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if def.ID != "cart-cd" || len(def.Groups) != 8 || len(def.Modules) != 13 {
		t.Errorf("id %q, %d groups, %d modules", def.ID, len(def.Groups), len(def.Modules))
	}
	wantGroups := []string{"haematologist", "nurse", "pharmacist", "data_manager", "patient_representative", "regulator", "industry", "researcher"}
	for i, g := range def.Groups {
		if i < len(wantGroups) && g.ID != wantGroups[i] {
			t.Errorf("groups[%d] = %s, want %s", i, g.ID, wantGroups[i])
		}
	}
	if !reflect.DeepEqual(def.Languages, []string{"en", "de", "fr"}) {
		t.Errorf("languages = %v", def.Languages)
	}
	for _, lang := range []string{"de", "fr"} {
		texts := []Text{def.Title, def.Description, def.Scale.Unable}
		for _, b := range def.Scale.Bands {
			texts = append(texts, b.Label)
		}
		for _, k := range def.Scale.LabelKeys() {
			texts = append(texts, def.Scale.Labels[k])
		}
		for i, x := range texts {
			if x[lang] == "" {
				t.Errorf("text %d has no %s: %v", i, lang, x)
			}
		}
	}
	if def.Consensus.ForRound(1) != (Rule{Rule: "comet", In: InRule{70, 15}, Out: OutRule{70, 15}}) ||
		def.Feedback.MinGroupSize != 5 || len(def.Feedback.Show) != 5 || def.Placement == nil {
		t.Errorf("consensus %+v, feedback %+v, placement %v", def.Consensus, def.Feedback, def.Placement)
	}

	data, err := os.ReadFile("../../../shared/data/cart-cd-parameters.yaml")
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("shared/data/cart-cd-parameters.yaml is not beside the clone")
	}
	if err != nil {
		t.Fatal(err)
	}
	var src struct {
		Domains []struct {
			ID    string `yaml:"id"`
			Label string `yaml:"label"`
		} `yaml:"domains"`
		Parameters []struct {
			ID          string   `yaml:"id"`
			Label       string   `yaml:"label"`
			Description string   `yaml:"description"`
			Unit        string   `yaml:"unit"`
			Categories  []string `yaml:"categories"`
			Derived     bool     `yaml:"derived"`
			Domain      string   `yaml:"domain"`
			Tier        string   `yaml:"tier"`
			Source      []string `yaml:"source"`
		} `yaml:"parameters"`
		Sources map[string]struct {
			Cite string `yaml:"cite"`
		} `yaml:"sources"`
	}
	if err := yaml.Unmarshal(data, &src); err != nil {
		t.Fatal(err)
	}
	if len(src.Parameters) != 138 || len(def.Items()) != len(src.Parameters) {
		t.Errorf("%d parameters in the shared file, %d items in cart-cd.yaml", len(src.Parameters), len(def.Items()))
	}
	if len(def.Sections) != len(src.Domains) {
		t.Fatalf("%d sections, %d domains", len(def.Sections), len(src.Domains))
	}
	for i, d := range src.Domains {
		if s := def.Sections[i]; s.ID != d.ID || s.Label.In("en") != d.Label {
			t.Errorf("sections[%d] = %s %q, want %s %q", i, s.ID, s.Label.In("en"), d.ID, d.Label)
		}
	}
	moduleLabel := map[string]string{}
	for _, m := range def.Modules {
		moduleLabel[m.ID] = m.Label.In("en")
	}
	for _, p := range src.Parameters {
		it, ok := def.Item(p.ID)
		if !ok {
			t.Errorf("parameter %s is missing", p.ID)
			continue
		}
		if s := def.SectionOf(p.ID); s != p.Domain {
			t.Errorf("%s: in section %s, want %s", p.ID, s, p.Domain)
		}
		if it.Label.In("en") != p.Label || it.Description.In("en") != p.Description {
			t.Errorf("%s: label/description differ:\n %q\n %q", p.ID, it.Label.In("en"), it.Description.In("en"))
		}
		if it.Unit != p.Unit || !reflect.DeepEqual(it.Categories, p.Categories) || it.Derived != p.Derived {
			t.Errorf("%s: unit %q categories %v derived %v", p.ID, it.Unit, it.Categories, it.Derived)
		}
		if !reflect.DeepEqual(it.Source, p.Source) {
			t.Errorf("%s: source %v, want %v", p.ID, it.Source, p.Source)
		}
		switch {
		case p.Tier == "core":
			if it.ProposedTier != TierCore || it.Module != "" {
				t.Errorf("%s: tier %q module %q, want core", p.ID, it.ProposedTier, it.Module)
			}
		default:
			// "expansion: lymphoma" → expansion + a module whose label matches (ALL and CLL are
			// spelled out in their labels).
			name := strings.TrimPrefix(p.Tier, "expansion: ")
			if it.ProposedTier != TierExpansion || !strings.HasPrefix(strings.ToLower(moduleLabel[it.Module]), strings.ToLower(name)) {
				t.Errorf("%s: tier %q module %q (%q), want %q", p.ID, it.ProposedTier, it.Module, moduleLabel[it.Module], p.Tier)
			}
		}
	}
	if len(def.Sources) != len(src.Sources) {
		t.Errorf("%d sources, want %d", len(def.Sources), len(src.Sources))
	}
	for k, s := range src.Sources {
		if !strings.HasPrefix(def.Sources[k], s.Cite) {
			t.Errorf("source %s = %q, want it to start with %q", k, def.Sources[k], s.Cite)
		}
	}
}

// FuzzParse feeds Parse arbitrary bytes: it must never panic, and must return either a definition
// or problems that each name the file.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"../../surveys/cart-cd.yaml", "../../surveys/example.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(valid))
	for _, m := range mistakes() {
		f.Add([]byte(m.yaml))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		def, err := Parse("f.yaml", data)
		if (def == nil) == (err == nil) {
			t.Fatalf("Parse returned definition %v and error %v", def != nil, err)
		}
		if err != nil {
			ps := Problems(err)
			if len(ps) == 0 {
				t.Fatalf("error without problems: %v", err)
			}
			for _, p := range ps {
				if p.File != "f.yaml" || p.Msg == "" {
					t.Fatalf("bad problem %#v", p)
				}
			}
			return
		}
		s := def.Scale
		for r := s.Min; r <= s.Max; r++ {
			if s.BandOf(r) < 0 {
				t.Fatalf("valid definition leaves rating %d in no band", r)
			}
		}
		if len(def.Items()) == 0 || len(def.Groups) == 0 || def.Title.In("en") == "" {
			t.Fatalf("valid definition without items, groups or title")
		}
	})
}
