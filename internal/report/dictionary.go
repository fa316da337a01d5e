package report

import (
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/outcome"
	"github.com/cart-cd/delphi/internal/survey"
)

// OutcomeDoc is GET /api/v1/studies/{sid}/outcome.json (outcome-definitions.md §4): the study,
// the frozen rules with their hashes, the groups in order and one entry per item ever asked,
// in the same order.
type OutcomeDoc struct {
	Study       OutcomeStudy      `json:"study"`
	Rules       OutcomeRules      `json:"rules"`
	Counts      map[string]int    `json:"counts"`
	Groups      []OutcomeDocGroup `json:"groups"`
	Items       []outcome.Entry   `json:"items"`
	GeneratedAt time.Time         `json:"generated_at"`
	Software    string            `json:"software"`
}

// OutcomeStudy names the study an outcome comes from.
type OutcomeStudy struct {
	ID             int64       `json:"id"`
	Title          string      `json:"title"`
	SurveyID       string      `json:"survey_id"`
	Version        int         `json:"version"`
	DefinitionHash string      `json:"definition_sha256"`
	State          string      `json:"state"`
	Finished       *time.Time  `json:"finished_at"`
	Languages      []string    `json:"languages"`
	Description    survey.Text `json:"description,omitempty"`
}

// OutcomeRules are the frozen rules: the consensus and outcome rules of every round as frozen
// when it opened, the outcome rule frozen at finishing, and the rule in force with its text.
type OutcomeRules struct {
	Outcome     outcome.Rule `json:"outcome"`
	OutcomeHash string       `json:"outcome_sha256"`
	OutcomeText string       `json:"outcome_text"`
	// AtFinish is the outcome rule's hash frozen when the study was finished ("" before).
	AtFinish string      `json:"outcome_sha256_at_finish"`
	Rounds   []RoundRule `json:"rounds"`
}

// RoundRule is what was frozen when a round opened.
type RoundRule struct {
	Round       int             `json:"round"`
	State       string          `json:"state"`
	Consensus   survey.Rule     `json:"consensus"`
	Hash        string          `json:"consensus_sha256"`
	Outcome     json.RawMessage `json:"outcome"` // null for rounds opened before it was frozen
	OutcomeHash string          `json:"outcome_sha256"`
}

// OutcomeDocGroup is one group of the outcome with its items' ids.
type OutcomeDocGroup struct {
	Kind   string      `json:"kind"`
	Module string      `json:"module,omitempty"`
	Label  survey.Text `json:"label"`
	Items  []string    `json:"items"`
}

// NewOutcomeDoc builds the outcome document of so.
func NewOutcomeDoc(so *delphi.StudyOutcome, now time.Time) *OutcomeDoc {
	st := so.Study
	d := &OutcomeDoc{Study: OutcomeStudy{ID: st.ID, Title: st.Title, SurveyID: st.SurveyID, Version: st.Def.Version,
		DefinitionHash: st.DefinitionHash, State: st.State, Languages: st.Def.Languages, Description: st.Def.Description},
		Rules:  OutcomeRules{Outcome: so.Rule, OutcomeHash: so.RuleHash, OutcomeText: OutcomeRuleText(so.Rule), AtFinish: st.OutcomeRuleHash},
		Counts: outcome.Counts(so.Entries), GeneratedAt: now.UTC(), Software: "delphi " + delphi.Version}
	if !st.FinishedAt.IsZero() {
		f := st.FinishedAt.UTC()
		d.Study.Finished = &f
	}
	for _, r := range st.Rounds {
		rr := RoundRule{Round: r.Number, State: r.State, Consensus: r.Rule, Hash: r.RuleHash, Outcome: json.RawMessage("null"),
			OutcomeHash: r.OutcomeRuleHash}
		if r.OutcomeRule != "" {
			rr.Outcome = json.RawMessage(r.OutcomeRule)
		}
		d.Rules.Rounds = append(d.Rules.Rounds, rr)
	}
	d.Items = []outcome.Entry{}
	for _, g := range so.Groups {
		dg := OutcomeDocGroup{Kind: g.Kind, Module: g.Module, Label: g.Label, Items: []string{}}
		for _, e := range g.Entries {
			dg.Items = append(dg.Items, e.Item)
			d.Items = append(d.Items, e)
		}
		d.Groups = append(d.Groups, dg)
	}
	return d
}

// ---- the agreed data set as a data dictionary (outcome-definitions.md §5) ----

// DictItem is one item of the agreed data set.
type DictItem struct {
	ID         string
	Variable   string // a REDCap variable name / ODM OID suffix
	Form       string // "core" or the module id
	FormLabel  survey.Text
	Section    string
	SecLabel   survey.Text
	Label      survey.Text
	Unit       string
	Categories []string
	// CategoryLabels labels the codes of Categories: the choices show the labels.
	CategoryLabels survey.CategoryLabels
	Required       bool
}

// DictForm is one form: the core set or one module.
type DictForm struct {
	ID    string
	Label survey.Text
	Items []DictItem
}

// Dictionary is the agreed data set: the final core and expansion items as forms (the core set,
// then one per module in the outcome's order), each in section order.
type Dictionary struct {
	Study     OutcomeStudy
	Languages []string
	Sections  map[string]survey.Text
	Forms     []DictForm
}

// NewDictionary takes the agreed data set from an outcome.
func NewDictionary(so *delphi.StudyOutcome) *Dictionary {
	st := so.Study
	doc := NewOutcomeDoc(so, time.Time{})
	dict := &Dictionary{Study: doc.Study, Languages: st.Def.Languages, Sections: map[string]survey.Text{}}
	for _, s := range st.Def.Sections {
		dict.Sections[s.ID] = s.Label
	}
	used := map[string]bool{}
	for _, g := range so.Groups {
		var f DictForm
		switch g.Kind {
		case outcome.GroupCore:
			f = DictForm{ID: "core", Label: survey.Text{"en": "Core set"}}
		case outcome.GroupModule:
			f = DictForm{ID: g.Module, Label: g.Label}
		default:
			continue
		}
		for _, e := range g.Entries {
			it := DictItem{ID: e.Item, Variable: variableName(e.Item, used), Form: f.ID, FormLabel: f.Label, Section: e.Section,
				SecLabel: dict.Sections[e.Section], Label: e.Label, Unit: deref(e.Unit), Categories: e.Categories,
				CategoryLabels: e.CategoryLabels, Required: g.Kind == outcome.GroupCore}
			if it.SecLabel == nil {
				it.SecLabel = survey.Text{"en": e.Section}
			}
			f.Items = append(f.Items, it)
		}
		if len(f.Items) > 0 {
			dict.Forms = append(dict.Forms, f)
		}
	}
	return dict
}

var nonVar = regexp.MustCompile(`[^a-z0-9_]+`)

// variableName turns an item id into a valid, unique REDCap variable name: lower-case letters,
// digits and underscores, starting with a letter, at most 26 characters (REDCap's advice), made
// unique with a numeric suffix.
func variableName(id string, used map[string]bool) string {
	v := strings.Trim(nonVar.ReplaceAllString(strings.ToLower(id), "_"), "_")
	for strings.Contains(v, "__") {
		v = strings.ReplaceAll(v, "__", "_")
	}
	if v == "" || v[0] < 'a' || v[0] > 'z' {
		v = "v_" + v
	}
	v = strings.TrimRight(v, "_")
	if len(v) > 26 {
		v = strings.TrimRight(v[:26], "_")
	}
	base := v
	for k := 2; used[v]; k++ {
		suf := "_" + strconv.Itoa(k)
		v = base
		if len(v)+len(suf) > 26 {
			v = strings.TrimRight(v[:26-len(suf)], "_")
		}
		v += suf
	}
	used[v] = true
	return v
}

// REDCapHeader is the REDCap data dictionary's 18 columns, exactly.
var REDCapHeader = []string{"Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
	"Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
	"Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
	"Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?",
	"Field Annotation"}

// REDCapCSV writes the agreed data set as a REDCap data dictionary: one instrument for the core
// set and one per module, a record id field first (REDCap requires its first field to be the
// record identifier), a descriptive field naming the study, version and finish date, then each
// item: categories as radio fields with "1, label | 2, label" choices, others as text; the
// unit as field note; each section's label as section header where the section begins; core
// items required. Field Annotation maps the variable back to the item id. Every cell passes
// the formula guard.
func REDCapCSV(w io.Writer, d *Dictionary) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(REDCapHeader); err != nil {
		return err
	}
	row := func(cells map[int]string) error {
		rec := make([]string, len(REDCapHeader))
		for i, v := range cells {
			rec[i] = Cell(redcapText(v))
		}
		return cw.Write(rec)
	}
	first := "core"
	if len(d.Forms) > 0 {
		first = formName(d.Forms[0].ID)
	}
	if err := row(map[int]string{0: "record_id", 1: first, 3: "text", 4: "Record ID"}); err != nil {
		return err
	}
	if err := row(map[int]string{0: "dataset_source", 1: first, 3: "descriptive", 4: provenance(d.Study)}); err != nil {
		return err
	}
	for _, f := range d.Forms {
		sec := ""
		for _, it := range f.Items {
			c := map[int]string{0: it.Variable, 1: formName(f.ID), 3: "text", 4: it.Label.In("en"), 6: it.Unit,
				17: fmt.Sprintf("delphi item %s (study %d, %s)", it.ID, d.Study.ID, f.Label.In("en"))}
			if it.Section != sec {
				c[2], sec = it.SecLabel.In("en"), it.Section
			}
			if len(it.Categories) > 0 {
				c[3] = "radio"
				var ch []string
				for i, cat := range it.Categories {
					label, _ := it.CategoryLabels.Of(cat, "en")
					ch = append(ch, fmt.Sprintf("%d, %s", i+1, strings.ReplaceAll(label, "|", "/")))
				}
				c[5] = strings.Join(ch, " | ")
			}
			if it.Required {
				c[12] = "y"
			}
			if err := row(c); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// formName is a REDCap instrument name: lower-case letters, digits and underscores.
func formName(id string) string {
	v := strings.Trim(nonVar.ReplaceAllString(strings.ToLower(id), "_"), "_")
	if v == "" || v[0] < 'a' || v[0] > 'z' {
		v = "m_" + v
	}
	if id == "core" {
		return "core_set"
	}
	return "module_" + v
}

// redcapText keeps a cell on one line (REDCap reads line breaks in labels, but not every tool that
// opens the dictionary does).
func redcapText(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func provenance(s OutcomeStudy) string {
	fin := "not finished"
	if s.Finished != nil {
		fin = "finished " + s.Finished.Format("2006-01-02")
	}
	return fmt.Sprintf("Agreed data set of the Delphi study “%s” (study %d, survey %s version %d, %s; definition sha256 %s)",
		s.Title, s.ID, s.SurveyID, s.Version, fin, short(s.DefinitionHash))
}

// ---- CDISC ODM 1.3.2 ----

// ODM namespace and version.
const (
	ODMNamespace = "http://www.cdisc.org/ns/odm/v1.3"
	ODMVersion   = "1.3.2"
)

type odmDoc struct {
	XMLName      xml.Name `xml:"ODM"`
	XMLNS        string   `xml:"xmlns,attr"`
	FileType     string   `xml:"FileType,attr"`
	FileOID      string   `xml:"FileOID,attr"`
	CreationDate string   `xml:"CreationDateTime,attr"`
	ODMVersion   string   `xml:"ODMVersion,attr"`
	Originator   string   `xml:"Originator,attr"`
	Description  string   `xml:"Description,attr,omitempty"`
	Study        odmStudy `xml:"Study"`
}

type odmStudy struct {
	OID         string      `xml:"OID,attr"`
	GlobalVars  odmGlobal   `xml:"GlobalVariables"`
	BasicDefs   odmBasic    `xml:"BasicDefinitions"`
	MetaDataVer odmMetaData `xml:"MetaDataVersion"`
}

type odmBasic struct {
	Units []odmUnit `xml:"MeasurementUnit"`
}

type odmUnit struct {
	OID    string        `xml:"OID,attr"`
	Name   string        `xml:"Name,attr"`
	Symbol odmTranslated `xml:"Symbol"`
}

type odmGlobal struct {
	StudyName        string `xml:"StudyName"`
	StudyDescription string `xml:"StudyDescription"`
	ProtocolName     string `xml:"ProtocolName"`
}

type odmMetaData struct {
	OID         string        `xml:"OID,attr"`
	Name        string        `xml:"Name,attr"`
	Description string        `xml:"Description,attr,omitempty"`
	Protocol    odmProtocol   `xml:"Protocol"`
	StudyEvents []odmEventDef `xml:"StudyEventDef"`
	Forms       []odmFormDef  `xml:"FormDef"`
	Groups      []odmGroupDef `xml:"ItemGroupDef"`
	Items       []odmItemDef  `xml:"ItemDef"`
	CodeLists   []odmCodeList `xml:"CodeList"`
}

type odmProtocol struct {
	Refs []odmRef `xml:"StudyEventRef"`
}

type odmRef struct {
	StudyEventOID string `xml:"StudyEventOID,attr,omitempty"`
	FormOID       string `xml:"FormOID,attr,omitempty"`
	ItemGroupOID  string `xml:"ItemGroupOID,attr,omitempty"`
	ItemOID       string `xml:"ItemOID,attr,omitempty"`
	OrderNumber   int    `xml:"OrderNumber,attr,omitempty"`
	Mandatory     string `xml:"Mandatory,attr"`
}

type odmEventDef struct {
	OID       string   `xml:"OID,attr"`
	Name      string   `xml:"Name,attr"`
	Repeating string   `xml:"Repeating,attr"`
	Type      string   `xml:"Type,attr"`
	FormRefs  []odmRef `xml:"FormRef"`
}

type odmFormDef struct {
	OID       string   `xml:"OID,attr"`
	Name      string   `xml:"Name,attr"`
	Repeating string   `xml:"Repeating,attr"`
	GroupRefs []odmRef `xml:"ItemGroupRef"`
}

type odmGroupDef struct {
	OID         string         `xml:"OID,attr"`
	Name        string         `xml:"Name,attr"`
	Repeating   string         `xml:"Repeating,attr"`
	Description *odmTranslated `xml:"Description,omitempty"`
	ItemRefs    []odmRef       `xml:"ItemRef"`
}

type odmItemDef struct {
	OID         string         `xml:"OID,attr"`
	Name        string         `xml:"Name,attr"`
	DataType    string         `xml:"DataType,attr"`
	Description *odmTranslated `xml:"Description,omitempty"`
	Question    odmTranslated  `xml:"Question"`
	Units       *odmUnitRef    `xml:"MeasurementUnitRef,omitempty"`
	CodeListRef *odmCodeRef    `xml:"CodeListRef,omitempty"`
	Alias       []odmAlias     `xml:"Alias"`
}

type odmUnitRef struct {
	OID string `xml:"MeasurementUnitOID,attr"`
}

type odmCodeRef struct {
	OID string `xml:"CodeListOID,attr"`
}

type odmAlias struct {
	Context string `xml:"Context,attr"`
	Name    string `xml:"Name,attr"`
}

type odmTranslated struct {
	Texts []odmText `xml:"TranslatedText"`
}

type odmText struct {
	Lang string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	Text string `xml:",chardata"`
}

type odmCodeList struct {
	OID      string        `xml:"OID,attr"`
	Name     string        `xml:"Name,attr"`
	DataType string        `xml:"DataType,attr"`
	Items    []odmCodeItem `xml:"CodeListItem"`
}

type odmCodeItem struct {
	CodedValue string        `xml:"CodedValue,attr"`
	Decode     odmTranslated `xml:"Decode"`
}

func translated(t survey.Text, langs []string) odmTranslated {
	var out odmTranslated
	for _, l := range langs {
		if s := t[l]; s != "" {
			out.Texts = append(out.Texts, odmText{Lang: l, Text: s})
		}
	}
	if len(out.Texts) == 0 {
		out.Texts = append(out.Texts, odmText{Lang: "en", Text: t.In("en")})
	}
	return out
}

// ODM writes the agreed data set as a CDISC ODM 1.3.2 snapshot of metadata: one
// MetaDataVersion, one FormDef for the core set and one per module (all referenced by one
// study event), an ItemGroupDef per form and section, an ItemDef per item (DataType text; with
// a CodeList of its categories when it has them), the Question and Decodes in every language of
// the survey, and the item id as an Alias. OIDs are unique; every reference resolves.
func ODM(w io.Writer, d *Dictionary, now time.Time) error {
	study := "S." + oidPart(d.Study.SurveyID)
	doc := odmDoc{XMLNS: ODMNamespace, FileType: "Snapshot", FileOID: fmt.Sprintf("delphi.%s.study%d.outcome", oidPart(d.Study.SurveyID), d.Study.ID),
		CreationDate: now.UTC().Format(time.RFC3339), ODMVersion: ODMVersion, Originator: "delphi " + delphi.Version,
		Description: provenance(d.Study)}
	doc.Study.OID = study
	doc.Study.GlobalVars = odmGlobal{StudyName: d.Study.Title, StudyDescription: provenance(d.Study),
		ProtocolName: fmt.Sprintf("%s v%d", d.Study.SurveyID, d.Study.Version)}
	md := &doc.Study.MetaDataVer
	md.OID = fmt.Sprintf("MDV.%s.v%d", oidPart(d.Study.SurveyID), d.Study.Version)
	md.Name = fmt.Sprintf("%s version %d: agreed data set", d.Study.SurveyID, d.Study.Version)
	md.Description = provenance(d.Study)
	units := map[string]bool{}
	ev := odmEventDef{OID: "SE.OUTCOME", Name: "Agreed data set", Repeating: "No", Type: "Common"}
	md.Protocol.Refs = []odmRef{{StudyEventOID: ev.OID, OrderNumber: 1, Mandatory: "Yes"}}
	for fi, f := range d.Forms {
		fd := odmFormDef{OID: "F." + oidPart(formName(f.ID)), Name: f.Label.In("en"), Repeating: "No"}
		mand := "No"
		if f.ID == "core" {
			mand = "Yes"
		}
		ev.FormRefs = append(ev.FormRefs, odmRef{FormOID: fd.OID, OrderNumber: fi + 1, Mandatory: mand})
		var g *odmGroupDef
		for _, it := range f.Items {
			if g == nil || g.OID != fd.OID+".IG."+oidPart(it.Section) {
				md.Groups = append(md.Groups, odmGroupDef{OID: fd.OID + ".IG." + oidPart(it.Section), Name: it.SecLabel.In("en"),
					Repeating: "No"})
				g = &md.Groups[len(md.Groups)-1]
				desc := translated(it.SecLabel, d.Languages)
				g.Description = &desc
				fd.GroupRefs = append(fd.GroupRefs, odmRef{ItemGroupOID: g.OID, OrderNumber: len(fd.GroupRefs) + 1, Mandatory: mand})
			}
			m := "No"
			if it.Required {
				m = "Yes"
			}
			id := odmItemDef{OID: "I." + it.Variable, Name: it.Variable, DataType: "text", Question: translated(it.Label, d.Languages),
				Alias: []odmAlias{{Context: "delphi", Name: it.ID}}}
			if it.Unit != "" {
				uoid := "MU." + oidPart(it.Unit)
				if !units[uoid] {
					units[uoid] = true
					u := odmUnit{OID: uoid, Name: it.Unit}
					for _, l := range d.Languages {
						u.Symbol.Texts = append(u.Symbol.Texts, odmText{Lang: l, Text: it.Unit})
					}
					doc.Study.BasicDefs.Units = append(doc.Study.BasicDefs.Units, u)
				}
				id.Units = &odmUnitRef{OID: uoid}
			}
			if len(it.Categories) > 0 {
				// coded 1..n as in the REDCap dictionary, decoded to the label in each language
				cl := odmCodeList{OID: "CL." + it.Variable, Name: it.Variable + " categories", DataType: "text"}
				for k, c := range it.Categories {
					ci := odmCodeItem{CodedValue: strconv.Itoa(k + 1)}
					for _, l := range d.Languages {
						label, _ := it.CategoryLabels.Of(c, l)
						ci.Decode.Texts = append(ci.Decode.Texts, odmText{Lang: l, Text: label})
					}
					cl.Items = append(cl.Items, ci)
				}
				md.CodeLists = append(md.CodeLists, cl)
				id.CodeListRef = &odmCodeRef{OID: cl.OID}
			}
			md.Items = append(md.Items, id)
			g.ItemRefs = append(g.ItemRefs, odmRef{ItemOID: id.OID, OrderNumber: len(g.ItemRefs) + 1, Mandatory: m})
		}
		md.Forms = append(md.Forms, fd)
	}
	md.StudyEvents = []odmEventDef{ev}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("report: odm: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

var nonOID = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func oidPart(s string) string {
	s = nonOID.ReplaceAllString(s, "_")
	if s == "" {
		return "x"
	}
	return s
}
