package report

import (
	"fmt"
	"strings"

	"github.com/cart-cd/delphi/internal/delphi"
)

// Methods returns a methods section, in paragraphs, that authors can paste into a paper
// (ACCORD and CREDES ask for the scale, the consensus definition fixed in advance, the number
// of rounds, the feedback between rounds, the handling of non-response and the software). It
// is generated from the study's configuration and the snapshots of its closed rounds 1..n.
func Methods(st Study, snaps []*delphi.Snapshot) []string {
	if len(snaps) == 0 {
		return nil
	}
	first, last := snaps[0], snaps[len(snaps)-1]
	sc := first.Scale
	var ps []string

	rounds := fmt.Sprintf("%d round", len(snaps))
	if len(snaps) > 1 {
		rounds += "s"
	}
	p := fmt.Sprintf("The Delphi survey “%s” was run online in %s (round %d opened on %s; round %d closed on %s). ",
		last.StudyTitle, rounds, first.Round, st.Dates.Date(first.OpenedAt), last.Round, st.Dates.Date(last.ClosedAt))
	var bands []string
	for _, b := range sc.Bands {
		bands = append(bands, fmt.Sprintf("%s “%s”", rangeText(b.From, b.To), b.Label.In("en")))
	}
	p += fmt.Sprintf("Panelists rated the importance of each item on a %d–%d scale grouped in three bands (%s)", sc.Min, sc.Max, strings.Join(bands, ", "))
	if u := sc.Unable.In("en"); u != "" {
		p += fmt.Sprintf("; they could instead answer “%s”, which was counted separately and not as a rating", u)
	}
	p += ". "
	if len(first.Placement) > 0 || len(last.Placement) > 0 {
		p += "For each item they could also say whether it belongs to the core set, to an expansion module, or is not needed. "
	}
	var gs []string
	for _, g := range last.Groups {
		gs = append(gs, g.Label.In("en"))
	}
	if len(gs) > 0 {
		p += fmt.Sprintf("The panel was recruited across %d stakeholder groups (%s). ", len(gs), strings.Join(gs, "; "))
	}
	ps = append(ps, strings.TrimSpace(p))

	p = "Consensus was defined before round 1 and frozen when each round opened (its SHA-256 is kept with the results): "
	rules := map[string][]int{}
	var order []string
	for _, s := range snaps {
		t := strings.TrimSuffix(ruleWords(s), " Percentages are of the panelists who gave a rating; counts are compared, not rounded percentages.")
		if _, ok := rules[t]; !ok {
			order = append(order, t)
		}
		rules[t] = append(rules[t], s.Round)
	}
	if len(order) == 1 {
		p += lowerFirst(order[0]) + " "
	} else {
		for _, t := range order {
			p += fmt.Sprintf("in round%s %s, %s ", plural(len(rules[t])), joinInts(rules[t]), lowerFirst(t))
		}
	}
	p += "Percentages were computed over the panelists who submitted the round and gave a rating (1–" + fmt.Sprint(sc.Max) + "); " +
		"classification compared counts (100·count ≥ threshold·n), never rounded percentages. " +
		"For each item we report the number of ratings, the share in each band, the median and quartiles " +
		"(Hyndman–Fan type 7, the default of R's quantile function) and 95% Wilson score intervals for the shares " +
		"of the top and bottom bands; an item was flagged fragile when an interval crossed a threshold of the rule, " +
		"so that its classification could change with a few answers."
	ps = append(ps, p)

	p = ""
	fb := st.Feedback
	if len(snaps) > 1 || len(fb.Show) > 0 {
		var shown []string
		for _, part := range fb.Show {
			switch part {
			case "own":
				shown = append(shown, "their own previous answer")
			case "distribution":
				shown = append(shown, "the distribution of the panel's ratings")
			case "median":
				shown = append(shown, "the panel's median")
			case "groups":
				g := "the same per stakeholder group"
				if fb.MinGroupSize > 0 {
					g += fmt.Sprintf(" (groups with fewer than %d ratings were not shown separately)", fb.MinGroupSize)
				}
				shown = append(shown, g)
			case "comments":
				shown = append(shown, "the anonymised comments of the panel")
			}
		}
		if len(shown) > 0 {
			p += "From round 2, beside each item panelists saw " + listWords(shown) + ", and could change their rating, giving a reason. "
		}
		p += "Items that reached consensus (in or out) in a round were not asked again; items without consensus were carried forward, " +
			"with reworded items and new items from panelists' suggestions added by the facilitators. " +
			"By default only panelists who submitted a round were invited to the next. "
	}
	var resp []string
	for _, s := range snaps {
		resp = append(resp, fmt.Sprintf("round %d: %d of %d (%s)", s.Round, s.Participation.Submitted, s.Participation.Invited,
			rate(s.Participation.Submitted, s.Participation.Invited)))
	}
	p += "Response (panelists who submitted / invited): " + strings.Join(resp, "; ") + ". " +
		"Only submitted questionnaires were analysed; blank items of a submitted questionnaire were counted as missing."
	ps = append(ps, strings.TrimSpace(p))

	p = "Agreement across items was measured with Kendall's coefficient of concordance W, corrected for ties, over the panelists " +
		"who rated every item of a round (mid-ranks; χ² = m(n−1)W with n−1 degrees of freedom); it is reported only when at least " +
		fmt.Sprint(KendallMinComplete) + " panelists, and at least half of those who submitted, rated every item."
	var kn []string
	for _, s := range snaps {
		if ok, why := KendallStatus(s); !ok {
			kn = append(kn, fmt.Sprintf("round %d: %s", s.Round, why))
		}
	}
	if len(kn) > 0 {
		p += " " + upperFirst(strings.Join(kn, "; ")) + "."
	}
	if len(snaps) > 1 {
		p += " Stability between consecutive rounds was assessed per item on the panelists who rated it in both rounds, " +
			"with the Wilcoxon signed-rank test (zero differences dropped, normal approximation with tie-corrected variance, " +
			"no continuity correction; R: wilcox.test(paired = TRUE, exact = FALSE, correct = FALSE)), the percentage of panelists " +
			"who changed their rating, and the change in the share of the top band and in the interquartile range."
	}
	p += fmt.Sprintf(" Analyses were done with %s; every figure can be reproduced in R from the exported anonymised answers.", last.Software)
	ps = append(ps, p)
	ps = append(ps, outcomeMethods(st, snaps))
	if p := meetingMethods(st.Meetings); p != "" {
		ps = append(ps, p)
	}
	return ps
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func plural(n int) string {
	if n > 1 {
		return "s"
	}
	return ""
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return listWords(s)
}

// listWords joins "a", "b" and "c" as "a, b and c".
func listWords(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// outcomeMethods states how the outcome was reached: the tier rule and the meeting rule (with
// the frozen rule's hash), anonymity, consent, and the number of items at each stage (ACCORD:
// consensus definition, item flow, handling of non-consensus).
func outcomeMethods(st Study, snaps []*delphi.Snapshot) string {
	r := ruleOr(st.OutcomeRule)
	p := fmt.Sprintf("Where an item belongs was decided by a rule fixed in advance and frozen with each round: an item with consensus in "+
		"joined the core set when at least %d%% of the placement answers (core, expansion module, not needed; at least %d answers) "+
		"chose core, otherwise its expansion module when at least %d%% chose core or expansion; otherwise it stayed undecided. "+
		"Items with consensus out were excluded. Items without consensus after the last round were not excluded but left "+
		"undecided, for a consensus meeting or the steering committee; a meeting vote carried with at least %d%% of the votes cast "+
		"(abstentions not counted) and at least %d voters, and committee decisions were recorded with their reasons. ",
		r.CoreAtLeast, r.MinPlacementAnswers, r.CollectAtLeast, r.Meeting.AgreeAtLeast, r.Meeting.MinVoters)
	if last := snaps[len(snaps)-1]; last.OutcomeRuleHash != "" {
		p += fmt.Sprintf("(Outcome rule SHA-256 %s.) ", short(last.OutcomeRuleHash))
	}
	p += "Panelists answered through personal links; the facilitators saw who had submitted but reports and feedback show only " +
		"aggregates, small stakeholder groups were not broken out, comments were shown anonymised and in sorted order, and exports " +
		"carry pseudonyms only. "
	if st.Consented >= 0 {
		p += fmt.Sprintf("Every panelist recorded consent before answering (%d panelists consented). ", st.Consented)
	} else {
		p += "Every panelist recorded consent before answering. "
	}
	rows, _ := Flow(snaps, nil)
	var stages []string
	for _, f := range rows {
		s := fmt.Sprintf("round %d asked %d items (%d consensus in, %d consensus out, %d without consensus", f.Round, f.Asked, f.In, f.Out, f.None)
		if f.Added > 0 {
			s += fmt.Sprintf("; %d added", f.Added)
		}
		s += ")"
		if f.Dropped+f.Replaced > 0 {
			s += fmt.Sprintf(", after which the facilitators dropped %d and replaced %d with recorded reasons", f.Dropped, f.Replaced)
		}
		stages = append(stages, s)
	}
	p += "Items per stage: " + strings.Join(stages, "; ") + ". "
	rowsOut := Outcome(st, snaps)
	c := OutcomeCounts(rowsOut)
	p += fmt.Sprintf("The outcome after round %d: %d items in the core set, %d in expansion modules, %d undecided, %d pending and %d excluded.",
		snaps[len(snaps)-1].Round, c[TierCore], c[TierExpansion], c[TierUndecided], c[TierPending], c[TierExcluded])
	return p
}
