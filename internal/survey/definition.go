// Package survey holds Delphi survey definitions: the YAML files in surveys/ that say what a study
// asks (scale, consensus rule, groups, sections of items), and the loader that parses and
// validates them with errors that name file, line and field.
//
// It imports nothing of ours and does no I/O beyond reading the fs.FS it is given.
package survey

import (
	"sort"
	"strings"
)

// Text is a string given per language code ("en", "de", …). English is always present in a valid
// definition.
type Text map[string]string

// In returns the text in lang, falling back to English.
func (t Text) In(lang string) string {
	if s, ok := t[lang]; ok && s != "" {
		return s
	}
	return t["en"]
}

// Lang returns the language In(lang) shows: lang when the text has it, else English.
func (t Text) Lang(lang string) string {
	if s, ok := t[lang]; ok && s != "" {
		return lang
	}
	return "en"
}

// Definition is one parsed and validated survey definition.
type Definition struct {
	ID          string   `yaml:"id" json:"id"`
	Version     int      `yaml:"version" json:"version"`
	Title       Text     `yaml:"title" json:"title"`
	Description Text     `yaml:"description" json:"description,omitempty"`
	Languages   []string `yaml:"languages" json:"languages"`
	Scale       Scale    `yaml:"scale" json:"scale"`
	// Placement is the optional second question per item (core / expansion / not needed).
	Placement *Placement `yaml:"placement" json:"placement,omitempty"`
	Consensus Consensus  `yaml:"consensus" json:"consensus"`
	// Outcome holds the thresholds of the tier rule (outcome-definitions.md §2–3).
	Outcome  Outcome           `yaml:"outcome" json:"outcome"`
	Feedback Feedback          `yaml:"feedback" json:"feedback"`
	Groups   []Group           `yaml:"groups" json:"groups"`
	Modules  []Module          `yaml:"modules" json:"modules,omitempty"`
	Sections []Section         `yaml:"sections" json:"sections"`
	Sources  map[string]string `yaml:"sources" json:"sources,omitempty"`
}

// Scale is the rating scale: integer points Min..Max split into bands, plus "unable to score",
// which is an answer but not a rating.
type Scale struct {
	Min    int          `yaml:"min" json:"min"`
	Max    int          `yaml:"max" json:"max"`
	Labels map[int]Text `yaml:"labels" json:"labels,omitempty"`
	// Bands cover Min..Max without gaps or overlap, in order; the first is "low", the last "high".
	Bands  []Band `yaml:"bands" json:"bands"`
	Unable Text   `yaml:"unable" json:"unable"`
}

// Band is a contiguous range of scale points.
type Band struct {
	ID    string `yaml:"id" json:"id"`
	From  int    `yaml:"from" json:"from"`
	To    int    `yaml:"to" json:"to"`
	Label Text   `yaml:"label" json:"label"`
}

// Placement is the optional per-item question of where an item belongs.
type Placement struct {
	Label   Text     `yaml:"label" json:"label,omitempty"`
	Options []string `yaml:"options" json:"options"`
}

// Consensus is the consensus rule with its thresholds, in percent (0–100).
type Consensus struct {
	Rule       string            `yaml:"rule" json:"rule"` // "comet"
	In         InRule            `yaml:"in" json:"in"`
	Out        OutRule           `yaml:"out" json:"out"`
	EveryGroup bool              `yaml:"every_group" json:"every_group"`
	Rounds     map[int]RoundRule `yaml:"rounds" json:"rounds,omitempty"`
}

// InRule: consensus in when pct_high >= HighAtLeast and pct_low < LowBelow.
type InRule struct {
	HighAtLeast int `yaml:"high_at_least" json:"high_at_least"`
	LowBelow    int `yaml:"low_below" json:"low_below"`
}

// OutRule: consensus out when pct_low >= LowAtLeast and pct_high < HighBelow.
type OutRule struct {
	LowAtLeast int `yaml:"low_at_least" json:"low_at_least"`
	HighBelow  int `yaml:"high_below" json:"high_below"`
}

// RoundRule overrides parts of the rule for one round.
type RoundRule struct {
	In         *InRule  `yaml:"in" json:"in,omitempty"`
	Out        *OutRule `yaml:"out" json:"out,omitempty"`
	EveryGroup *bool    `yaml:"every_group" json:"every_group,omitempty"`
}

// Rule is the rule in force for one round, after overrides.
type Rule struct {
	Rule       string  `json:"rule"`
	In         InRule  `json:"in"`
	Out        OutRule `json:"out"`
	EveryGroup bool    `json:"every_group"`
}

// ForRound returns the rule in force in round n.
func (c Consensus) ForRound(n int) Rule {
	r := Rule{Rule: c.Rule, In: c.In, Out: c.Out, EveryGroup: c.EveryGroup}
	if o, ok := c.Rounds[n]; ok {
		if o.In != nil {
			r.In = *o.In
		}
		if o.Out != nil {
			r.Out = *o.Out
		}
		if o.EveryGroup != nil {
			r.EveryGroup = *o.EveryGroup
		}
	}
	return r
}

// Outcome is the tier rule's thresholds: how the rounds' placement answers and a meeting's votes
// settle an item's tier (outcome-definitions.md). Percentages are whole numbers 1–100, compared
// on integer counts (100·count ≥ threshold·n).
type Outcome struct {
	// CoreAtLeast: an item with consensus in goes to the core set when at least this % of the
	// placement answers chose core.
	CoreAtLeast int `yaml:"core_at_least" json:"core_at_least"`
	// CollectAtLeast: otherwise to its expansion module when at least this % chose core or
	// expansion.
	CollectAtLeast int `yaml:"collect_at_least" json:"collect_at_least"`
	// MinPlacementAnswers: fewer placement answers leave the item undecided.
	MinPlacementAnswers int     `yaml:"min_placement_answers" json:"min_placement_answers"`
	Meeting             Meeting `yaml:"meeting" json:"meeting"`
}

// Meeting is the rule of a consensus meeting's votes.
type Meeting struct {
	// AgreeAtLeast is the % of the votes cast (abstentions not counted) that carries a vote.
	AgreeAtLeast int `yaml:"agree_at_least" json:"agree_at_least"`
	// MinVoters is the fewest votes cast (abstentions not counted) that can carry anything.
	MinVoters int `yaml:"min_voters" json:"min_voters"`
}

// Feedback says what experts see of the previous round.
type Feedback struct {
	// MinGroupSize: groups with fewer ratings are not broken out for experts.
	MinGroupSize int      `yaml:"min_group_size" json:"min_group_size"`
	Show         []string `yaml:"show" json:"show"`
}

// Shows reports whether part (own, distribution, groups, median, comments) is shown.
func (f Feedback) Shows(part string) bool {
	for _, s := range f.Show {
		if s == part {
			return true
		}
	}
	return false
}

// Group is a stakeholder group of the panel.
type Group struct {
	ID    string `yaml:"id" json:"id"`
	Label Text   `yaml:"label" json:"label"`
}

// Module is an expansion module items may be proposed for.
type Module struct {
	ID    string `yaml:"id" json:"id"`
	Label Text   `yaml:"label" json:"label"`
}

// Section groups items by domain.
type Section struct {
	ID          string `yaml:"id" json:"id"`
	Label       Text   `yaml:"label" json:"label"`
	Description Text   `yaml:"description" json:"description,omitempty"`
	Items       []Item `yaml:"items" json:"items"`
}

// Item is one thing to rate.
type Item struct {
	ID          string `yaml:"id" json:"id"`
	Label       Text   `yaml:"label" json:"label"`
	Description Text   `yaml:"description" json:"description,omitempty"`
	Unit        string `yaml:"unit" json:"unit,omitempty"`
	// Categories are the codes of a categorical item's values, in order.
	Categories []string `yaml:"-" json:"categories,omitempty"`
	// CategoryLabels labels codes of Categories per language; a code without one is shown as is.
	CategoryLabels CategoryLabels `yaml:"-" json:"category_labels,omitempty"`
	// CategoryList is the categories as the file gives them (a code, or a code with labels);
	// Parse copies them into Categories and CategoryLabels.
	CategoryList []Category `yaml:"categories" json:"-"`
	Derived      bool       `yaml:"derived" json:"derived,omitempty"`
	// ProposedTier is "core" or "expansion" (then Module names the module).
	ProposedTier string   `yaml:"proposed_tier" json:"proposed_tier,omitempty"`
	Module       string   `yaml:"module" json:"module,omitempty"`
	Source       []string `yaml:"source" json:"source,omitempty"`
}

// Category is one value of a categorical item: its code (what exports store) and its label per
// language. In a file it is either the code alone ("5_fatal") or {code: 5_fatal, label: {en: …}}.
type Category struct {
	Code  string `yaml:"code" json:"code"`
	Label Text   `yaml:"label" json:"label,omitempty"`
}

// CategoryLabels labels the codes of an item's categories per language.
type CategoryLabels map[string]Text

// Of returns the label of category code in lang and the language it is in: the label in lang,
// else in English, else the code itself (in no language: "").
func (l CategoryLabels) Of(code, lang string) (label, in string) {
	if t := l[code]; t.In(lang) != "" {
		return t.In(lang), t.Lang(lang)
	}
	return code, ""
}

// CategoryLabel returns the label of category code in lang, as CategoryLabels.Of.
func (it Item) CategoryLabel(code, lang string) (label, in string) {
	return it.CategoryLabels.Of(code, lang)
}

// CategoryText is the categories in lang for a reader who needs the codes too: "Label (code)"
// where a category has a label, the code alone where not; joined by sep.
func CategoryText(codes []string, labels CategoryLabels, lang, sep string) string {
	out := make([]string, len(codes))
	for i, c := range codes {
		if l, _ := labels.Of(c, lang); l != c {
			out[i] = l + " (" + c + ")"
		} else {
			out[i] = c
		}
	}
	return strings.Join(out, sep)
}

// Items returns every item in section order.
func (d *Definition) Items() []Item {
	var out []Item
	for _, s := range d.Sections {
		out = append(out, s.Items...)
	}
	return out
}

// Item finds an item by id.
func (d *Definition) Item(id string) (Item, bool) {
	for _, s := range d.Sections {
		for _, it := range s.Items {
			if it.ID == id {
				return it, true
			}
		}
	}
	return Item{}, false
}

// SectionOf returns the id of the section holding item id, or "".
func (d *Definition) SectionOf(id string) string {
	for _, s := range d.Sections {
		for _, it := range s.Items {
			if it.ID == id {
				return s.ID
			}
		}
	}
	return ""
}

// HasGroup reports whether id is one of the definition's stakeholder groups.
func (d *Definition) HasGroup(id string) bool {
	for _, g := range d.Groups {
		if g.ID == id {
			return true
		}
	}
	return false
}

// BandOf returns the index of the band holding rating r, or -1.
func (s Scale) BandOf(r int) int {
	for i, b := range s.Bands {
		if r >= b.From && r <= b.To {
			return i
		}
	}
	return -1
}

// LabelKeys returns the labelled scale points in order.
func (s Scale) LabelKeys() []int {
	keys := make([]int, 0, len(s.Labels))
	for k := range s.Labels {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}
