package survey

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
)

// idRE is the form of every id in a definition: survey, groups, modules, sections, items, bands.
var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// langRE accepts simple BCP 47 tags such as en, de, fr, pt-BR.
var langRE = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// validator checks a decoded definition, reporting each problem at the line where its field was
// found (or its nearest present parent).
type validator struct {
	p     *problems
	d     *decoder
	langs map[string]bool
}

func (v *validator) add(path, format string, args ...any) {
	v.p.add(v.d.line(path), path, format, args...)
}

func (v *validator) definition(def *Definition) {
	v.id("id", def.ID)
	if def.Version < 1 {
		if v.d.has("version") {
			v.add("version", "must be at least 1, found %d", def.Version)
		} else {
			v.add("version", "required (a whole number from 1, raised when the items change)")
		}
	}
	v.languages(def.Languages)
	v.text("title", def.Title, true)
	v.text("description", def.Description, false)
	v.scale(def.Scale)
	if def.Placement != nil {
		v.placement(def.Placement)
	}
	v.consensus(def.Consensus)
	v.feedback(def.Feedback)
	v.outcome(def.Outcome)

	groups := v.ids("groups", len(def.Groups), func(i int) (string, Text) { return def.Groups[i].ID, def.Groups[i].Label })
	if len(def.Groups) == 0 {
		v.add("groups", "at least one stakeholder group is required")
	}
	modules := v.ids("modules", len(def.Modules), func(i int) (string, Text) { return def.Modules[i].ID, def.Modules[i].Label })
	keys := make([]string, 0, len(def.Sources))
	for k := range def.Sources {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "" {
			v.add("sources", "empty source key")
		}
		if def.Sources[k] == "" {
			v.add(join("sources", k), "empty citation")
		}
	}
	v.sections(def, groups, modules)
}

// id checks one id's form.
func (v *validator) id(path, id string) {
	switch {
	case id == "":
		v.add(path, "required")
	case !idRE.MatchString(id):
		v.add(path, "%q is not a valid id: use lower-case letters, digits, _ and -, starting with a letter or digit", id)
	}
}

// ids checks a list of things with id and label (groups, modules): the form and uniqueness of the
// ids, and the labels. It returns the set of ids.
func (v *validator) ids(path string, n int, get func(int) (string, Text)) map[string]bool {
	seen := make(map[string]string, n)
	for i := range n {
		p := index(path, i)
		id, label := get(i)
		v.id(join(p, "id"), id)
		if first, dup := seen[id]; dup && id != "" {
			v.add(join(p, "id"), "duplicate id %q (first at %s, line %d)", id, first, v.d.line(first))
		} else {
			seen[id] = p
		}
		v.text(join(p, "label"), label, true)
	}
	set := make(map[string]bool, len(seen))
	for id := range seen {
		set[id] = true
	}
	return set
}

func (v *validator) languages(langs []string) {
	v.langs = make(map[string]bool, len(langs))
	for i, l := range langs {
		p := index("languages", i)
		switch {
		case !langRE.MatchString(l):
			v.add(p, "%q is not a language code such as en, de or fr", l)
		case v.langs[l]:
			v.add(p, "%q is listed twice", l)
		}
		v.langs[l] = true
	}
	if !v.langs["en"] {
		v.add("languages", "must include en: English is the fallback for every text")
	}
}

// text checks a per-language text: every key a declared language, no empty strings, and English
// present whenever the text is (always, if required).
func (v *validator) text(path string, t Text, required bool) {
	if len(t) == 0 {
		if required {
			v.add(path, "required, with English text: {en: \"…\"}")
		}
		return
	}
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := join(path, k)
		if !v.langs[k] {
			v.add(p, "language %q is not declared in languages", k)
		}
		if t[k] == "" && k != "en" {
			v.add(p, "empty text: leave the language out instead (English is shown)")
		}
	}
	if t["en"] == "" {
		v.add(path, "English text (en) is required")
	}
}

func (v *validator) scale(s Scale) {
	ok := true
	if s.Min != 1 {
		// 0 is how answers store "unable to score", and the statistics assume points 1..max
		v.add("scale.min", "must be 1 (scales run 1..max; \"unable to score\" is separate), found %d", s.Min)
		ok = false
	}
	if s.Max > 100 || s.Max < 3 {
		v.add("scale.max", "must be between 3 and 100 (three bands need three points), found %d", s.Max)
		ok = false
	}
	if s.Min >= s.Max {
		v.add("scale.max", "must be greater than min (%d), found %d", s.Min, s.Max)
		ok = false
	}
	for _, k := range s.LabelKeys() {
		p := join("scale.labels", strconv.Itoa(k))
		if k < s.Min || k > s.Max {
			v.add(p, "%d is not a point of the scale %d–%d", k, s.Min, s.Max)
		}
		v.text(p, s.Labels[k], true)
	}
	v.text("scale.unable", s.Unable, true)
	if len(s.Bands) == 0 {
		if v.d.has("scale.bands") || s.Min != 1 || s.Max != 9 {
			v.add("scale.bands", "three bands (low, middle, high) covering %d–%d are required", s.Min, s.Max)
		}
		return
	}
	if len(s.Bands) != 3 {
		v.add("scale.bands", "need exactly three bands (low, middle, high), found %d", len(s.Bands))
	}
	seen := map[string]bool{}
	for i, b := range s.Bands {
		p := index("scale.bands", i)
		v.id(join(p, "id"), b.ID)
		if seen[b.ID] && b.ID != "" {
			v.add(join(p, "id"), "duplicate band id %q", b.ID)
		}
		seen[b.ID] = true
		v.text(join(p, "label"), b.Label, true)
		if b.From > b.To {
			v.add(join(p, "from"), "band %q starts at %d, after its end %d", b.ID, b.From, b.To)
		}
		if !ok {
			continue
		}
		if i == 0 {
			if b.From != s.Min {
				v.add(join(p, "from"), "the first band must start at the scale minimum %d, not %d", s.Min, b.From)
			}
		} else {
			prev := s.Bands[i-1]
			switch {
			case b.From > prev.To+1:
				v.add(join(p, "from"), "gap: %s is in no band (band %q ends at %d, band %q starts at %d)",
					span(prev.To+1, b.From-1), prev.ID, prev.To, b.ID, b.From)
			case b.From <= prev.To:
				v.add(join(p, "from"), "overlap: band %q starts at %d but band %q runs to %d; bands must be in order without overlap",
					b.ID, b.From, prev.ID, prev.To)
			}
		}
		if i == len(s.Bands)-1 && b.To != s.Max {
			v.add(join(p, "to"), "the last band must end at the scale maximum %d, not %d", s.Max, b.To)
		}
	}
}

func span(a, b int) string {
	if a == b {
		return "point " + strconv.Itoa(a)
	}
	return fmt.Sprintf("points %d–%d", a, b)
}

func (v *validator) placement(pl *Placement) {
	v.text("placement.label", pl.Label, false)
	if len(pl.Options) == 0 {
		v.add("placement.options", "at least one option is required (core, expansion, not_needed)")
	}
	seen := map[string]bool{}
	for i, o := range pl.Options {
		p := index("placement.options", i)
		switch {
		case o != PlaceCore && o != PlaceExpansion && o != PlaceNotNeeded:
			v.add(p, "unknown option %q: use core, expansion or not_needed", o)
		case seen[o]:
			v.add(p, "%q is listed twice", o)
		}
		seen[o] = true
	}
}

func (v *validator) consensus(c Consensus) {
	if c.Rule != RuleCOMET {
		v.add("consensus.rule", "unknown rule %q: only %q is supported", c.Rule, RuleCOMET)
	}
	v.inRule("consensus.in", c.In)
	v.outRule("consensus.out", c.Out)
	rounds := make([]int, 0, len(c.Rounds))
	for n := range c.Rounds {
		rounds = append(rounds, n)
	}
	sort.Ints(rounds)
	for _, n := range rounds {
		p := join("consensus.rounds", strconv.Itoa(n))
		if n < 1 {
			v.add(p, "round numbers start at 1, found %d", n)
		}
		r := c.Rounds[n]
		if r.In != nil {
			v.inRule(join(p, "in"), *r.In)
		}
		if r.Out != nil {
			v.outRule(join(p, "out"), *r.Out)
		}
		if r.In == nil && r.Out == nil && r.EveryGroup == nil {
			v.add(p, "overrides nothing: give in, out or every_group")
		}
	}
}

func (v *validator) inRule(path string, r InRule) {
	v.percent(join(path, "high_at_least"), r.HighAtLeast)
	v.percent(join(path, "low_below"), r.LowBelow)
}

func (v *validator) outRule(path string, r OutRule) {
	v.percent(join(path, "low_at_least"), r.LowAtLeast)
	v.percent(join(path, "high_below"), r.HighBelow)
}

func (v *validator) percent(path string, x int) {
	if x < 0 || x > 100 {
		v.add(path, "a threshold is a percentage from 0 to 100, found %d", x)
	}
}

// outcome checks the tier rule's thresholds: percentages 1–100 (0 would carry everything),
// counts at least 1.
func (v *validator) outcome(o Outcome) {
	for _, f := range []struct {
		path string
		x    int
	}{
		{"outcome.core_at_least", o.CoreAtLeast},
		{"outcome.collect_at_least", o.CollectAtLeast},
		{"outcome.meeting.agree_at_least", o.Meeting.AgreeAtLeast},
	} {
		if f.x < 1 || f.x > 100 {
			v.add(f.path, "a threshold is a percentage from 1 to 100, found %d", f.x)
		}
	}
	if o.MinPlacementAnswers < 1 {
		v.add("outcome.min_placement_answers", "must be at least 1, found %d", o.MinPlacementAnswers)
	}
	if o.Meeting.MinVoters < 1 {
		v.add("outcome.meeting.min_voters", "must be at least 1, found %d", o.Meeting.MinVoters)
	}
}

func (v *validator) feedback(f Feedback) {
	if f.MinGroupSize < 1 {
		v.add("feedback.min_group_size", "must be at least 1, found %d", f.MinGroupSize)
	}
	seen := map[string]bool{}
	for i, s := range f.Show {
		p := index("feedback.show", i)
		switch s {
		case ShowOwn, ShowDistribution, ShowGroups, ShowMedian, ShowComments:
			if seen[s] {
				v.add(p, "%q is listed twice", s)
			}
			seen[s] = true
		default:
			v.add(p, "unknown part %q: use own, distribution, groups, median or comments", s)
		}
	}
}

func (v *validator) sections(def *Definition, groups, modules map[string]bool) {
	if len(def.Sections) == 0 {
		v.add("sections", "at least one section with items is required")
		return
	}
	seenSection := map[string]string{}
	seenItem := map[string]string{}
	for si, s := range def.Sections {
		sp := index("sections", si)
		v.id(join(sp, "id"), s.ID)
		if first, dup := seenSection[s.ID]; dup && s.ID != "" {
			v.add(join(sp, "id"), "duplicate section id %q (first at %s, line %d)", s.ID, first, v.d.line(first))
		} else {
			seenSection[s.ID] = sp
		}
		v.text(join(sp, "label"), s.Label, true)
		v.text(join(sp, "description"), s.Description, false)
		if len(s.Items) == 0 {
			v.add(join(sp, "items"), "a section needs at least one item")
		}
		for ii, it := range s.Items {
			ip := index(join(sp, "items"), ii)
			v.id(join(ip, "id"), it.ID)
			if first, dup := seenItem[it.ID]; dup && it.ID != "" {
				v.add(join(ip, "id"), "duplicate item id %q (first at %s, line %d); item ids are unique across sections",
					it.ID, first, v.d.line(first))
			} else {
				seenItem[it.ID] = ip
			}
			v.item(def, ip, it, groups, modules)
		}
	}
}

func (v *validator) item(def *Definition, ip string, it Item, groups, modules map[string]bool) {
	v.text(join(ip, "label"), it.Label, true)
	v.text(join(ip, "description"), it.Description, false)
	if it.Unit != "" && len(it.CategoryList) > 0 {
		v.add(join(ip, "categories"), "give a unit or categories, not both")
	}
	if v.d.has(join(ip, "categories")) && len(it.CategoryList) == 0 {
		v.add(join(ip, "categories"), "empty list: give the categories or leave the field out")
	}
	cats := map[string]bool{}
	for i, c := range it.CategoryList {
		p := index(join(ip, "categories"), i)
		switch {
		case c.Code == "" && v.d.has(join(p, "label")):
			v.add(join(p, "code"), "required: the value exports store, e.g. {code: 5_fatal, label: {en: \"Fatal\"}}")
		case c.Code == "":
			v.add(p, "empty category")
		case cats[c.Code]:
			v.add(p, "category %q is listed twice", c.Code)
		}
		cats[c.Code] = true
		v.text(join(p, "label"), c.Label, false)
	}
	switch it.ProposedTier {
	case "", TierCore:
		if it.Module != "" {
			v.add(join(ip, "module"), "a module goes with proposed_tier: expansion")
		}
	case TierExpansion:
		switch {
		case it.Module == "":
			v.add(join(ip, "module"), "required with proposed_tier: expansion (one of the modules)")
		case !modules[it.Module]:
			v.add(join(ip, "module"), "unknown module %q: declare it under modules", it.Module)
		}
	default:
		v.add(join(ip, "proposed_tier"), "unknown tier %q: use core or expansion", it.ProposedTier)
	}
	srcs := map[string]bool{}
	for i, s := range it.Source {
		p := index(join(ip, "source"), i)
		switch {
		case s == "":
			v.add(p, "empty source key")
		case srcs[s]:
			v.add(p, "source %q is listed twice", s)
		case def.Sources != nil:
			if _, ok := def.Sources[s]; !ok {
				v.add(p, "unknown source %q: add it to sources", s)
			}
		}
		srcs[s] = true
	}

}
