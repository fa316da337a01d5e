package consensus

import "sort"

// Result is the whole JSON document of the definitions ("Output JSON"): scale, panel, every
// round and the stability between consecutive rounds.
type Result struct {
	// Methods names the methods behind the figures, for reports (metadata).
	Methods Methods `json:"_methods"`
	Scale   Scale   `json:"scale"`
	Panel   Panel   `json:"panel"`
	// Rounds are in increasing round number.
	Rounds RoundList `json:"rounds"`
	// Stability has one entry per pair of consecutive rounds; it is absent with one round,
	// an object with two and a list with more.
	Stability StabilityList `json:"stability,omitempty"`
}

// Panel describes the whole panel: every panelist of any round.
type Panel struct {
	NPanelists int `json:"n_panelists"`
	// NItems counts the distinct items of all rounds.
	NItems int `json:"n_items"`
	// Groups is the number of panelists per group, groups in order of first appearance.
	Groups Counts `json:"groups"`
}

// Methods states the methods in words, as the definitions ask reports to.
type Methods struct {
	Definitions string `json:"definitions"`
	Quantiles   string `json:"quantiles"`
	Wilson      string `json:"wilson"`
	Comet       string `json:"comet"`
	Kendall     string `json:"kendall"`
	Wilcoxon    string `json:"wilcoxon"`
}

func methods() Methods {
	return Methods{
		Definitions: "consensus-definitions.md",
		Quantiles:   "median and quantile_type7: Hyndman-Fan type 7 (R default); quantile_type6: type 6 (SPSS)",
		Wilson:      "95% Wilson score interval without continuity correction (R prop.test(correct = FALSE)), in percent",
		Comet:       "COMET rule on integer counts; rule per round in rounds.*._rule",
		Kendall:     "Kendall's W over panelists who rated every item, mid-ranks; reports show the ties-corrected W",
		Wilcoxon:    "signed-rank, normal approximation, tie-corrected variance, no continuity correction; reports show the wilcox variant",
	}
}

// Analyze computes the whole document for rounds (in any order; they are sorted by Number) on
// scale s, with rules(n) the rule of round n (nil means DefaultRule for every round). The panel
// is the union of the rounds' panelists, by id; a panelist's group is the one of their first
// round. It assumes s.Validate() and each round's Validate(s) hold.
func Analyze(s Scale, rules func(round int) Rule, rounds []*Round) *Result {
	if rules == nil {
		rules = func(int) Rule { return DefaultRule() }
	}
	sorted := append([]*Round(nil), rounds...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Number < sorted[j].Number })

	res := &Result{Methods: methods(), Scale: s, Panel: panel(sorted)}
	tallies := make([]*tally, len(sorted))
	for i, rd := range sorted {
		tallies[i] = newTally(s, rd)
		res.Rounds = append(res.Rounds, computeRound(s, rules(rd.Number), rd, tallies[i]))
	}
	for i := 1; i < len(sorted); i++ {
		from, to := sorted[i-1], sorted[i]
		res.Stability = append(res.Stability, computeStability(s, rules(from.Number), rules(to.Number),
			from, to, tallies[i-1], tallies[i]))
	}
	return res
}

func panel(rounds []*Round) Panel {
	groupOf := make(map[string]string)
	items := make(map[string]bool)
	var p Panel
	index := make(map[string]int) // group name → index in p.Groups
	for _, rd := range rounds {
		for _, id := range rd.Items {
			items[id] = true
		}
		for _, g := range rd.Groups {
			if _, ok := index[g]; !ok {
				index[g] = len(p.Groups)
				p.Groups = append(p.Groups, Count{Name: g})
			}
		}
		for i, id := range rd.Panelists {
			if _, ok := groupOf[id]; ok {
				continue
			}
			g := rd.Groups[rd.Group[i]]
			groupOf[id] = g
			p.Groups[index[g]].N++
		}
	}
	p.NPanelists, p.NItems = len(groupOf), len(items)
	return p
}
