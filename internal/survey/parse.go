package survey

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"sort"
	"strings"
)

// The consensus rules a definition may name.
const (
	// RuleCOMET: consensus in when ≥ in.high_at_least % rate in the high band and < in.low_below %
	// in the low band; consensus out the other way round (DESIGN.md §5).
	RuleCOMET = "comet"
)

// The proposed tiers an item may carry.
const (
	TierCore      = "core"
	TierExpansion = "expansion" // with Item.Module naming the module
)

// The answers of the placement question.
const (
	PlaceCore      = "core"
	PlaceExpansion = "expansion"
	PlaceNotNeeded = "not_needed"
)

// The parts of feedback that Feedback.Show may list.
const (
	ShowOwn          = "own"
	ShowDistribution = "distribution"
	ShowGroups       = "groups"
	ShowMedian       = "median"
	ShowComments     = "comments"
)

// DefaultScale returns the GRADE scale: 1–9 in three bands (1–3 not important, 4–6 important but
// not critical, 7–9 critical) and "unable to score". A definition without a scale gets it.
func DefaultScale() Scale {
	return Scale{
		Min: 1, Max: 9,
		Bands: []Band{
			{ID: "low", From: 1, To: 3, Label: Text{"en": "Not important"}},
			{ID: "mid", From: 4, To: 6, Label: Text{"en": "Important but not critical"}},
			{ID: "high", From: 7, To: 9, Label: Text{"en": "Critical"}},
		},
		Unable: Text{"en": "Unable to score"},
	}
}

// DefaultConsensus returns the COMET rule with thresholds 70 and 15, the same in every round.
func DefaultConsensus() Consensus {
	return Consensus{
		Rule: RuleCOMET,
		In:   InRule{HighAtLeast: 70, LowBelow: 15},
		Out:  OutRule{LowAtLeast: 70, HighBelow: 15},
	}
}

// DefaultOutcome returns the tier rule's default thresholds (outcome-definitions.md §2): core at
// 70 % core, expansion at 70 % core or expansion, at least 5 placement answers; a meeting vote
// carries with 70 % of at least 10 votes cast.
func DefaultOutcome() Outcome {
	return Outcome{CoreAtLeast: 70, CollectAtLeast: 70, MinPlacementAnswers: 5,
		Meeting: Meeting{AgreeAtLeast: 70, MinVoters: 10}}
}

// DefaultFeedback returns feedback that shows every part, with groups broken out from 5 ratings.
func DefaultFeedback() Feedback {
	return Feedback{MinGroupSize: 5, Show: feedbackParts()}
}

func feedbackParts() []string {
	return []string{ShowOwn, ShowDistribution, ShowGroups, ShowMedian, ShowComments}
}

func placementOptions() []string { return []string{PlaceCore, PlaceExpansion, PlaceNotNeeded} }

// Parse reads and validates one survey definition. file names it in messages. Absent parts get
// their defaults (DefaultScale, DefaultConsensus, DefaultFeedback, languages [en]). On failure the
// error joins one *Error per problem, every problem at once, sorted by line; Problems lists them.
func Parse(file string, data []byte) (*Definition, error) {
	p := &problems{file: file}
	root := parseYAML(p, data)
	if root == nil {
		return nil, p.err()
	}
	d := newDecoder(p)
	d.lines[""] = root.Line
	var def Definition
	d.decode(root, reflect.ValueOf(&def).Elem(), "")
	fillDefaults(&def, d)
	splitCategories(&def)
	v := &validator{p: p, d: d}
	v.definition(&def)
	if err := p.err(); err != nil {
		return nil, err
	}
	return &def, nil
}

// fillDefaults fills what the file left out. It looks at what was given, not at zero values, so
// that an explicit 0 or empty list is checked rather than silently replaced.
func fillDefaults(def *Definition, d *decoder) {
	if !d.has("languages") {
		def.Languages = []string{"en"}
	}
	if !d.has("scale") {
		def.Scale = DefaultScale()
	} else {
		s := &def.Scale
		if !d.has("scale.min") {
			s.Min = 1
		}
		if !d.has("scale.max") {
			s.Max = 9
		}
		if !d.has("scale.bands") && s.Min == 1 && s.Max == 9 {
			s.Bands = DefaultScale().Bands
		}
		if !d.has("scale.unable") {
			s.Unable = DefaultScale().Unable
		}
	}
	if def.Placement != nil && !d.has("placement.options") {
		def.Placement.Options = placementOptions()
	}
	dc := DefaultConsensus()
	c := &def.Consensus
	if !d.has("consensus.rule") {
		c.Rule = dc.Rule
	}
	if !d.has("consensus.in.high_at_least") {
		c.In.HighAtLeast = dc.In.HighAtLeast
	}
	if !d.has("consensus.in.low_below") {
		c.In.LowBelow = dc.In.LowBelow
	}
	if !d.has("consensus.out.low_at_least") {
		c.Out.LowAtLeast = dc.Out.LowAtLeast
	}
	if !d.has("consensus.out.high_below") {
		c.Out.HighBelow = dc.Out.HighBelow
	}
	do := DefaultOutcome()
	for _, f := range []struct {
		path string
		v    *int
		def  int
	}{
		{"outcome.core_at_least", &def.Outcome.CoreAtLeast, do.CoreAtLeast},
		{"outcome.collect_at_least", &def.Outcome.CollectAtLeast, do.CollectAtLeast},
		{"outcome.min_placement_answers", &def.Outcome.MinPlacementAnswers, do.MinPlacementAnswers},
		{"outcome.meeting.agree_at_least", &def.Outcome.Meeting.AgreeAtLeast, do.Meeting.AgreeAtLeast},
		{"outcome.meeting.min_voters", &def.Outcome.Meeting.MinVoters, do.Meeting.MinVoters},
	} {
		if !d.has(f.path) {
			*f.v = f.def
		}
	}
	df := DefaultFeedback()
	if !d.has("feedback.min_group_size") {
		def.Feedback.MinGroupSize = df.MinGroupSize
	}
	if !d.has("feedback.show") {
		def.Feedback.Show = df.Show
	}
}

// splitCategories copies each item's categories as the file gives them into their codes and
// labels, the form the rest of delphi uses.
func splitCategories(def *Definition) {
	for si := range def.Sections {
		for ii := range def.Sections[si].Items {
			it := &def.Sections[si].Items[ii]
			for _, c := range it.CategoryList {
				it.Categories = append(it.Categories, c.Code)
				if len(c.Label) > 0 {
					if it.CategoryLabels == nil {
						it.CategoryLabels = CategoryLabels{}
					}
					it.CategoryLabels[c.Code] = c.Label
				}
			}
		}
	}
}

// Load reads and parses the survey definition name from fsys. It returns the bytes as well, since
// a study stores the exact text it was created from (see Hash). Parse problems come back as from
// Parse, with name as the file.
func Load(fsys fs.FS, name string) (*Definition, []byte, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, nil, fmt.Errorf("load survey %s: %w", name, err)
	}
	def, err := Parse(name, data)
	if err != nil {
		return nil, nil, err
	}
	return def, data, nil
}

// List loads every *.yaml file at the top of fsys (such as surveys.FS), sorted by id. Each file's
// id must match its name (cart-cd.yaml holds id cart-cd), so a survey is found by id. It returns
// the definitions that loaded and, if any file did not, the problems of all files joined.
func List(fsys fs.FS) ([]*Definition, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list surveys: %w", err)
	}
	var defs []*Definition
	var errs []error
	for _, name := range names {
		def, data, err := Load(fsys, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if want := strings.TrimSuffix(path.Base(name), ".yaml"); def.ID != want {
			errs = append(errs, &Error{File: name, Line: topLevelLine(data, "id"), Field: "id",
				Msg: fmt.Sprintf("id %q does not match the file name; rename the file to %s.yaml or change the id", def.ID, def.ID)})
			continue
		}
		defs = append(defs, def)
	}
	sort.Slice(defs, func(i, j int) bool { return defs[i].ID < defs[j].ID })
	return defs, errors.Join(errs...)
}

// Hash returns the hex SHA-256 of a definition's bytes, which identifies the exact text a study
// was created from.
func Hash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// topLevelLine returns the line of the top-level key in data, or 1.
func topLevelLine(data []byte, key string) int {
	for i, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, key+":") {
			return i + 1
		}
	}
	return 1
}
