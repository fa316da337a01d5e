// Command gencartcd wrote the first surveys/cart-cd.yaml from the shared CART-CD candidate
// parameter file. It is kept for reference and for regenerating after large changes to that file;
// cart-cd.yaml itself is meant to be edited by hand from then on (check it with
// "delphi survey check surveys/cart-cd.yaml").
//
//	go run ./internal/survey/testdata/gencartcd ../shared/data/cart-cd-parameters.yaml > surveys/cart-cd.yaml
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

type source struct {
	SchemaVersion int `yaml:"schema_version"`
	Tiers         struct {
		ExpansionModules []string `yaml:"expansion_modules"`
	} `yaml:"tiers"`
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
	Sources yaml.Node `yaml:"sources"`
}

type tr struct{ en, de, fr string }

// modules maps the source's "expansion: <name>" to an id and labels.
var modules = []struct {
	name, id string
	label    tr
}{
	{"extended clinical", "extended_clinical", tr{"Extended clinical", "Erweiterte klinische Daten", "Données cliniques étendues"}},
	{"product & manufacturing", "product_manufacturing", tr{"Product & manufacturing", "Produkt und Herstellung", "Produit et fabrication"}},
	{"toxicity detail", "toxicity_detail", tr{"Toxicity detail", "Toxizität im Detail", "Toxicité détaillée"}},
	{"infection & immune reconstitution", "infection_immune_reconstitution", tr{"Infection & immune reconstitution", "Infektion und Immunrekonstitution", "Infection et reconstitution immunitaire"}},
	{"laboratory biomarkers", "laboratory_biomarkers", tr{"Laboratory biomarkers", "Laborbiomarker", "Biomarqueurs biologiques"}},
	{"cellular kinetics & biology", "cellular_kinetics_biology", tr{"Cellular kinetics & biology", "Zelluläre Kinetik und Biologie", "Cinétique cellulaire et biologie"}},
	{"lymphoma", "lymphoma", tr{"Lymphoma", "Lymphom", "Lymphome"}},
	{"myeloma", "myeloma", tr{"Myeloma", "Myelom", "Myélome"}},
	{"ALL", "acute_lymphoblastic_leukaemia", tr{"ALL (acute lymphoblastic leukaemia)", "ALL (akute lymphatische Leukämie)", "LAL (leucémie aiguë lymphoblastique)"}},
	{"CLL", "chronic_lymphocytic_leukaemia", tr{"CLL (chronic lymphocytic leukaemia)", "CLL (chronische lymphatische Leukämie)", "LLC (leucémie lymphoïde chronique)"}},
	{"long-term follow-up", "long_term_follow_up", tr{"Long-term follow-up", "Langzeitnachsorge", "Suivi à long terme"}},
	{"patient-reported outcomes", "patient_reported_outcomes", tr{"Patient-reported outcomes", "Patientenberichtete Endpunkte", "Résultats rapportés par les patients"}},
	{"health economics", "health_economics", tr{"Health economics", "Gesundheitsökonomie", "Économie de la santé"}},
}

// sectionDE and sectionFR translate the domain labels.
var sectionTr = map[string][2]string{
	"patient":           {"Patient und demografische Angaben", "Patient et données démographiques"},
	"disease_diagnosis": {"Erkrankung bei Diagnose", "Maladie au diagnostic"},
	"disease_pre_cart":  {"Krankheitsstatus vor CAR-T", "Statut de la maladie avant CAR-T"},
	"prior_therapy":     {"Vortherapien", "Traitements antérieurs"},
	"apheresis_product": {"Apherese, Produkt und Herstellung", "Aphérèse, produit et fabrication"},
	"bridging":          {"Überbrückungstherapie (Bridging)", "Traitement d'attente (bridging)"},
	"lymphodepletion":   {"Lymphodepletion", "Lymphodéplétion"},
	"infusion":          {"Infusion", "Perfusion"},
	"toxicity":          {"Toxizitäten", "Toxicités"},
	"infection":         {"Infektionen und Immunrekonstitution", "Infections et reconstitution immunitaire"},
	"supportive_care":   {"Supportivtherapie und Toxizitätsmanagement", "Soins de support et prise en charge des toxicités"},
	"biomarkers":        {"Laborbiomarker", "Biomarqueurs biologiques"},
	"cellular_kinetics": {"Pharmakokinetik und Biologie der CAR-T-Zellen", "Pharmacocinétique et biologie des CAR-T"},
	"response_outcomes": {"Ansprechen und Behandlungsergebnisse", "Réponse et résultats cliniques"},
	"long_term":         {"Langzeitnachsorge", "Suivi à long terme"},
	"pro_qol":           {"Lebensqualität und patientenberichtete Endpunkte", "Qualité de vie et résultats rapportés par les patients"},
	"health_economics":  {"Gesundheitsökonomie und Ressourcenverbrauch", "Économie de la santé et utilisation des ressources"},
}

const header = `# CART-CD: candidate parameter set for a Delphi survey on CAR T-cell therapy data
# (GoCART Coalition (EBMT + EHA) and T2EVOLVE; CART Data Harmonisation).
#
# Built from shared/data/cart-cd-parameters.yaml (schema_version %d, compiled 2026-11-23 from stored
# copies of public pages): every one of its %d parameters, in its domains (here: sections, in the
# order of its domains list), with description, unit / categories / derived, proposed tier and
# source keys; the citations are in 'sources' at the end. Written once by
# internal/survey/testdata/gencartcd; edit this file by hand from now on and check it with
#   delphi survey check surveys/cart-cd.yaml
#
# Caveats carried over from the parameter file:
# - No official CART-CD item list has been published; this is a candidate list compiled from
#   registry forms, consensus gradings and papers, in the compiler's own wording.
# - The proposed tiers ('core' or an expansion module) are SUGGESTIONS for the panel to rate, not
#   decisions of GoCART or T2EVOLVE.
# - Source key AUTHOR marks the compiler's proposal with no directly supporting public text.
# - ICAHT numeric cut-offs (icaht_*_grade) and IEC-HS features were recalled from the papers, whose
#   abstracts only were read; verify against the full texts before fielding the survey.
# - EBMT Cellular Therapy MED-A form fields were confirmed only for CRS/ICANS (onset, resolution,
#   maximum ASTCT grade) and the Day-100 / 6-month / annual form structure; other items cite
#   CIBMTR forms or papers.
# - German and French texts (title, scale, groups, sections, modules) are a first translation for
#   native-speaking panel members to check; items are in English only (English is the fallback).
`

const fixed = `id: cart-cd
version: 1
title:
  en: "CART-CD: core data set for CAR T-cell therapy"
  de: "CART-CD: Kerndatensatz für die CAR-T-Zell-Therapie"
  fr: "CART-CD : jeu de données essentiel pour la thérapie par cellules CAR-T"
description:
  en: >-
    Rate how important each parameter is for evaluating CAR T-cell therapies. Each parameter
    comes with a proposed tier (core, or an expansion module); the tiers are suggestions for you
    to judge, not decisions.
  de: >-
    Bewerten Sie, wie wichtig jeder Parameter für die Beurteilung von CAR-T-Zell-Therapien ist.
    Zu jedem Parameter ist eine Einstufung vorgeschlagen (Kerndatensatz oder Erweiterungsmodul);
    diese Vorschläge sollen Sie beurteilen, sie sind keine Entscheidungen.
  fr: >-
    Évaluez l'importance de chaque paramètre pour l'évaluation des thérapies par cellules CAR-T.
    Chaque paramètre est accompagné d'un niveau proposé (socle essentiel ou module d'extension) ;
    ces niveaux sont des propositions à juger, non des décisions.
languages: [en, de, fr]

# GRADE 1–9 in three bands, plus "unable to score" (an answer, not a rating).
scale:
  min: 1
  max: 9
  labels:
    1: {en: "Not important", de: "Nicht wichtig", fr: "Pas important"}
    9: {en: "Critical", de: "Kritisch", fr: "Critique"}
  bands:
    - id: low
      from: 1
      to: 3
      label: {en: "Not important", de: "Nicht wichtig", fr: "Pas important"}
    - id: mid
      from: 4
      to: 6
      label: {en: "Important but not critical", de: "Wichtig, aber nicht kritisch", fr: "Important mais pas critique"}
    - id: high
      from: 7
      to: 9
      label: {en: "Critical", de: "Kritisch", fr: "Critique"}
  unable: {en: "Unable to score", de: "Kann ich nicht beurteilen", fr: "Je ne peux pas évaluer"}

# Second question per item: is it part of the core set, an expansion module, or not needed?
placement:
  label: {en: "Where does this parameter belong?", de: "Wohin gehört dieser Parameter?", fr: "Où ce paramètre doit-il figurer ?"}
  options: [core, expansion, not_needed]

# COMET: consensus in when >= 70 % rate 7–9 and < 15 % rate 1–3; consensus out the other way round.
consensus:
  rule: comet
  in: {high_at_least: 70, low_below: 15}
  out: {low_at_least: 70, high_below: 15}
  every_group: false

feedback:
  min_group_size: 5   # groups with fewer ratings are not broken out for experts
  show: [own, distribution, groups, median, comments]

groups:
  - id: haematologist
    label: {en: "Haematologist / oncologist", de: "Hämatologie / Onkologie (ärztlich)", fr: "Hématologue / oncologue"}
  - id: nurse
    label: {en: "Nurse", de: "Pflege", fr: "Infirmier / infirmière"}
  - id: pharmacist
    label: {en: "Pharmacist", de: "Pharmazie", fr: "Pharmacien / pharmacienne"}
  - id: data_manager
    label: {en: "Data manager / registry", de: "Datenmanagement / Register", fr: "Gestionnaire de données / registre"}
  - id: patient_representative
    label: {en: "Patient representative", de: "Patientenvertretung", fr: "Représentant des patients"}
  - id: regulator
    label: {en: "Regulator / HTA", de: "Zulassungsbehörde / HTA", fr: "Autorité réglementaire / évaluation des technologies de santé"}
  - id: industry
    label: {en: "Industry", de: "Industrie", fr: "Industrie"}
  - id: researcher
    label: {en: "Researcher / methodologist", de: "Forschung / Methodik", fr: "Chercheur / méthodologiste"}
`

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gencartcd cart-cd-parameters.yaml > surveys/cart-cd.yaml")
		os.Exit(2)
	}
	if err := gen(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "gencartcd:", err)
		os.Exit(1)
	}
}

func gen(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var src source
	if err := yaml.Unmarshal(data, &src); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, header, src.SchemaVersion, len(src.Parameters))
	b.WriteString("\n" + fixed)

	modID := map[string]string{}
	b.WriteString("\n# Expansion modules an item may be proposed for (proposed_tier: expansion, module: <id>).\nmodules:\n")
	if len(src.Tiers.ExpansionModules) != len(modules) {
		return fmt.Errorf("%d expansion modules in the source, %d known here", len(src.Tiers.ExpansionModules), len(modules))
	}
	for i, m := range modules {
		if want := "expansion: " + m.name; src.Tiers.ExpansionModules[i] != want {
			return fmt.Errorf("module %d is %q, want %q", i, src.Tiers.ExpansionModules[i], want)
		}
		modID["expansion: "+m.name] = m.id
		fmt.Fprintf(&b, "  - id: %s\n    label: {en: %s, de: %s, fr: %s}\n", m.id, q(m.label.en), q(m.label.de), q(m.label.fr))
	}

	b.WriteString("\nsections:\n")
	n := 0
	for _, dom := range src.Domains {
		t, ok := sectionTr[dom.ID]
		if !ok {
			return fmt.Errorf("no translation for domain %s", dom.ID)
		}
		fmt.Fprintf(&b, "\n  # %s\n  - id: %s\n    label: {en: %s, de: %s, fr: %s}\n    items:\n",
			strings.Repeat("-", 90), dom.ID, q(dom.Label), q(t[0]), q(t[1]))
		for _, p := range src.Parameters {
			if p.Domain != dom.ID {
				continue
			}
			n++
			fmt.Fprintf(&b, "      - id: %s\n", p.ID)
			fmt.Fprintf(&b, "        label: {en: %s}\n", q(p.Label))
			fmt.Fprintf(&b, "        description:\n          en: >-\n")
			for _, l := range wrap(p.Description, 88) {
				fmt.Fprintf(&b, "            %s\n", l)
			}
			if p.Unit != "" {
				fmt.Fprintf(&b, "        unit: %s\n", q(p.Unit))
			}
			if len(p.Categories) > 0 {
				// codes with labels (categoryLabels) in each language; numbers as they are
				b.WriteString("        categories:\n")
				for _, c := range p.Categories {
					l, ok := categoryLabels[c]
					switch {
					case ok:
						fmt.Fprintf(&b, "          - {code: %s, label: {en: %s, de: %s, fr: %s}}\n", q(c), q(l.en), q(l.de), q(l.fr))
					case strings.Trim(c, "0123456789") == "":
						fmt.Fprintf(&b, "          - %s\n", q(c))
					default:
						return fmt.Errorf("parameter %s: no label for category %q (add it to categoryLabels)", p.ID, c)
					}
				}
			}
			if p.Derived {
				b.WriteString("        derived: true\n")
			}
			switch {
			case p.Tier == "core":
				b.WriteString("        proposed_tier: core\n")
			case modID[p.Tier] != "":
				fmt.Fprintf(&b, "        proposed_tier: expansion\n        module: %s\n", modID[p.Tier])
			default:
				return fmt.Errorf("parameter %s: unknown tier %q", p.ID, p.Tier)
			}
			fmt.Fprintf(&b, "        source: [%s]\n", strings.Join(p.Source, ", "))
		}
	}
	if n != len(src.Parameters) {
		return fmt.Errorf("%d of %d parameters are in a listed domain", n, len(src.Parameters))
	}

	b.WriteString("\n# Citations for the source keys above (key: citation <address>).\nsources:\n")
	s := src.Sources
	for i := 0; i+1 < len(s.Content); i += 2 {
		var c struct {
			Cite string  `yaml:"cite"`
			URL  *string `yaml:"url"`
		}
		if err := s.Content[i+1].Decode(&c); err != nil {
			return fmt.Errorf("source %s: %w", s.Content[i].Value, err)
		}
		cite := c.Cite
		if c.URL != nil && *c.URL != "" {
			cite += " <" + *c.URL + ">"
		}
		fmt.Fprintf(&b, "  %s: %s\n", s.Content[i].Value, q(cite))
	}
	_, err = os.Stdout.WriteString(b.String())
	return err
}

// q quotes s as a YAML double-quoted scalar (JSON strings are valid YAML), keeping non-ASCII as is.
func q(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err) // a string always encodes
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// wrap breaks s at single spaces into lines of at most width bytes (longer words stay whole), so
// that a folded block scalar (>-) reads back as s.
func wrap(s string, width int) []string {
	if strings.Contains(s, "  ") || strings.TrimSpace(s) != s || strings.ContainsAny(s, "\n\t") {
		panic("wrap: text would not survive folding: " + s)
	}
	var lines []string
	line := ""
	for _, w := range strings.Split(s, " ") {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = w
			continue
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}
