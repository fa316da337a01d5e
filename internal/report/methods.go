package report

import (
	"fmt"
	"strings"
	"time"

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
		last.StudyTitle, rounds, first.Round, dateOnly(first.OpenedAt), last.Round, dateOnly(last.ClosedAt))
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
		"who rated every item of a round (mid-ranks; χ² = m(n−1)W with n−1 degrees of freedom)."
	if len(snaps) > 1 {
		p += " Stability between consecutive rounds was assessed per item on the panelists who rated it in both rounds, " +
			"with the Wilcoxon signed-rank test (zero differences dropped, normal approximation with tie-corrected variance, " +
			"no continuity correction; R: wilcox.test(paired = TRUE, exact = FALSE, correct = FALSE)), the percentage of panelists " +
			"who changed their rating, and the change in the share of the top band and in the interquartile range."
	}
	p += fmt.Sprintf(" Analyses were done with %s; every figure can be reproduced in R from the exported anonymised answers.", last.Software)
	ps = append(ps, p)
	return ps
}

func dateOnly(t time.Time) string { return t.UTC().Format("2 January 2006") }

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
