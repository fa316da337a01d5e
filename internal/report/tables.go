package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/cart-cd/delphi/internal/consensus"
	"github.com/cart-cd/delphi/internal/delphi"
)

// table is one rectangular export: the CSV files and the XLSX sheets are written from tables,
// so the same values reach both, and every text value passes the formula guard in one place.
// A value is a string (text), float64, int, bool, or nil (missing: NA in CSV, empty in XLSX).
type table struct {
	name   string
	header []string
	rows   [][]any
}

// writeCSV writes t as RFC 4180 CSV that R's read.csv and pandas.read_csv read without
// options: a header row, NA for missing values, TRUE/FALSE for logicals, numbers with a dot
// and as many digits as the value needs (no rounding), text guarded against formulas.
func (t *table) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(t.header); err != nil {
		return err
	}
	rec := make([]string, len(t.header))
	for _, row := range t.rows {
		for i, v := range row {
			rec[i] = csvValue(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NA"
	case string:
		return Cell(x)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "TRUE"
		}
		return "FALSE"
	}
	panic(fmt.Sprintf("report: table value of type %T", v)) // a programming error every test catches
}

// f returns *p or nil.
func f(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func b(p *bool) any {
	if p == nil {
		return nil
	}
	return *p
}

func class(c consensus.Class) any {
	if c == "" {
		return nil
	}
	return string(c)
}

var tidyHeader = []string{"study_id", "survey_id", "round", "section", "item", "item_label", "group",
	"n_submitted", "n_rated", "n_unable", "n_missing", "n_low", "n_mid", "n_high",
	"pct_low", "pct_mid", "pct_high", "median", "q1", "q3", "iqr", "mean", "sd",
	"wilson_high_lo", "wilson_high_hi", "wilson_low_lo", "wilson_low_hi", "class", "fragile",
	"n_pairs", "n_changed", "pct_changed", "delta_pct_high", "delta_iqr", "class_previous", "wilcoxon_z", "wilcoxon_p",
	"proposed_tier", "module", "placement_n", "placement_core", "placement_expansion", "placement_not_needed",
	"pct_core", "pct_expansion", "pct_not_needed", "suppressed"}

// tidy is the results of one round, one row per item × group (group "all" is the whole panel),
// one column per statistic. Quartiles are type 7; the stability columns compare with the
// previous round (whole-panel rows only; NA in round 1 and for new items).
func tidy(snap *delphi.Snapshot, minGroup int) *table {
	t := &table{name: "results", header: tidyHeader}
	var pls map[string]ItemPlacement
	if len(snap.Placement) > 0 {
		pls = Placements(snap, minGroup)
	}
	// placement columns: proposed tier and module on every row; counts and % of n_p for the
	// whole panel and for groups the small-group rule lets through (NA otherwise)
	placeCols := func(id, group string) []any {
		ip, ok := pls[id]
		tier, module := any(nil), any(nil)
		for _, it := range snap.Items {
			if it.ID == id {
				tier = it.ProposedTier
				if it.ProposedTier == "" {
					tier = "core"
				}
				if it.Module != "" {
					module = it.Module
				}
			}
		}
		v, shown := ip.Placement, ok
		if group != "all" {
			v, shown = ip.Groups[group]
		}
		if !shown {
			return []any{tier, module, nil, nil, nil, nil, nil, nil, nil}
		}
		return []any{tier, module, v.N, v.Core, v.Expansion, v.NotNeeded, f(v.PctCore), f(v.PctExpansion), f(v.PctNotNeeded)}
	}
	for _, ri := range snap.Items {
		it := snap.Result.Items.Get(ri.ID)
		if it == nil {
			continue
		}
		label := ri.Label.In("en")
		head := []any{int(snap.StudyID), snap.SurveyID, snap.Round, ri.SectionID, ri.ID, label}
		{
			row := append(head[:len(head):len(head)], "all", snap.Result.NSubmitted, it.NRated, it.NUnable, it.NMissing,
				it.NLow, it.NMid, it.NHigh, f(it.PctLow), f(it.PctMid), f(it.PctHigh), f(it.Median))
			if q := it.QuantileType7; q != nil {
				row = append(row, q.Q1, q.Q3, q.IQR)
			} else {
				row = append(row, nil, nil, nil)
			}
			row = append(row, f(it.Mean), f(it.SDSample))
			for _, iv := range []*consensus.Interval{it.PctHighWilson95, it.PctLowWilson95} {
				if iv != nil {
					row = append(row, iv.Lo, iv.Hi)
				} else {
					row = append(row, nil, nil)
				}
			}
			row = append(row, class(it.Comet), b(it.Fragile))
			var sc *consensus.StabilityItem
			if snap.Stability != nil {
				sc = snap.Stability.Items.Get(ri.ID)
			}
			if sc != nil {
				w := sc.Wilcoxon.Wilcox.Approx
				row = append(row, sc.NPairs, sc.NChanged, f(sc.PctChanged), f(sc.DeltaPctHigh), f(sc.DeltaIQRType7),
					class(sc.CometFrom), f(w.Z), f(w.PValue))
			} else {
				row = append(row, nil, nil, nil, nil, nil, nil, nil, nil)
			}
			row = append(row, placeCols(ri.ID, "all")...)
			t.rows = append(t.rows, append(row, false))
		}
		for _, c := range withheldCells(snap, ri.ID, it.Groups) {
			g := c.Group
			if c.withheld { // fewer than min_group_size: the row says so, and holds no figure
				row := append(head[:len(head):len(head)], g.Name)
				for len(row) < len(tidyHeader)-1 {
					row = append(row, nil)
				}
				t.rows = append(t.rows, append(row, true))
				continue
			}
			row := append(head[:len(head):len(head)], g.Name, g.NSubmitted, g.NRated, g.NUnable, g.NMissing,
				g.NLow, g.NMid, g.NHigh, f(g.PctLow), f(g.PctMid), f(g.PctHigh), f(g.Median),
				nil, nil, nil, nil, nil, nil, nil, nil, nil, class(g.Comet), nil,
				nil, nil, nil, nil, nil, nil, nil, nil)
			row = append(row, placeCols(ri.ID, g.Name)...)
			t.rows = append(t.rows, append(row, false))
		}
	}
	return t
}

// CSV writes the tidy results of the last of snaps (rounds 1..n in order): one row per item ×
// group, the whole panel first (group "all") then each stakeholder group, a column per
// statistic (see tidyHeader and README's data dictionary).
func CSV(w io.Writer, snaps ...*delphi.Snapshot) error {
	if len(snaps) == 0 {
		return fmt.Errorf("report: no snapshot")
	}
	snap := snaps[len(snaps)-1]
	min := 5
	if snap.Disclosure != nil {
		min = snap.Disclosure.MinGroupSize
	}
	return tidy(snap, min).writeCSV(w)
}

var answersHeader = []string{"panelist", "group", "item", "round", "rating", "unable", "placement"}

func answersTable(as []delphi.RawAnswer) *table {
	t := &table{name: "answers", header: answersHeader}
	for _, a := range as {
		var rating, placement any
		if a.Rating > 0 {
			rating = a.Rating
		}
		if a.Placement != "" {
			placement = a.Placement
		}
		t.rows = append(t.rows, []any{a.Panelist, a.Group, a.Item, a.Round, rating, a.Unable, placement})
	}
	return t
}

// AnswersCSV writes pseudonymous raw answers: one row per panelist who submitted a round and
// item of that round. rating is 1..max or NA (unable, or left blank: then unable is FALSE);
// placement is core, expansion, not_needed or NA. No names, emails or comments.
func AnswersCSV(w io.Writer, as []delphi.RawAnswer) error { return answersTable(as).writeCSV(w) }

var outcomeHeader = []string{"group", "group_label", "item", "section", "label", "description", "unit", "categories",
	"proposed_tier", "module", "derived", "sources", "status", "last_round", "n_rated", "median", "pct_high",
	"placement_n", "placement_core", "placement_expansion", "placement_not_needed",
	"pct_core", "pct_expansion", "pct_not_needed", "rule_tier", "rule_module", "rule_reason",
	"replaced_by", "change_reason", "decisions", "final_tier", "final_module", "final_reason", "decided_round", "basis"}

// outcomeTable is the outcome in the grouped order: the core set, each module by label, the
// undecided items with their reason, the excluded ones. Placement percentages are of the
// placement answers (placement_n).
func outcomeTable(rows []OutcomeRow) *table {
	t := &table{name: "outcome", header: outcomeHeader}
	str := func(s string) any {
		if s == "" || s == "–" {
			return nil
		}
		return s
	}
	pct := func(n, of int) any {
		if of == 0 {
			return nil
		}
		return 100 * float64(n) / float64(of)
	}
	for _, r := range rows {
		var decided, last, nRated, np, pc, pe, pn any
		if r.DecidedRound > 0 {
			decided = r.DecidedRound
		}
		if r.LastRound > 0 {
			last, nRated = r.LastRound, r.NRated
		}
		if r.Placement != nil {
			np, pc, pe, pn = r.NP, r.Placement["core"], r.Placement["expansion"], r.Placement["not_needed"]
		}
		var ds []string
		for _, d := range r.Decisions {
			s := fmt.Sprintf("%s %s: %s", d.At.UTC().Format("2006-01-02"), d.Basis, d.Tier)
			if d.Module != "" {
				s += " (" + d.Module + ")"
			}
			if d.Reason != "" {
				s += " – " + d.Reason
			}
			if d.Provisional {
				s += " [provisional]"
			}
			ds = append(ds, s)
		}
		t.rows = append(t.rows, []any{r.Group, r.GroupLabel, r.Item, str(r.Section), str(r.Label), str(r.Description), str(r.Unit),
			str(r.Categories), str(r.ProposedTier), str(r.Module), r.Derived, str(strings.Join(r.Sources, "; ")), str(r.Status),
			last, nRated, f(r.MedianValue), f(r.PctHighValue), np, pc, pe, pn,
			pct(r.Placement["core"], r.NP), pct(r.Placement["expansion"], r.NP), pct(r.Placement["not_needed"], r.NP),
			r.RuleTier, str(r.RuleModule), str(r.RuleReason), str(r.ReplacedBy), str(r.ChangeReason), str(strings.Join(ds, " | ")),
			r.Tier, str(r.FinalModule), str(r.Reason), decided, r.Basis})
	}
	return t
}

// OutcomeCSV writes the outcome as a data dictionary, grouped (core set, modules, undecided,
// excluded): each parameter with its definition, evidence, the tier rule's tier, the decisions
// and the final tier (see OutcomeRuleText).
func OutcomeCSV(w io.Writer, rows []OutcomeRow) error { return outcomeTable(rows).writeCSV(w) }

var commentsHeader = []string{"round", "item", "item_label", "kind", "text"}

// commentsTable lists the anonymised comments and reasons of a round (sorted per item in the
// snapshot, so no order links them to a panelist).
func commentsTable(snap *delphi.Snapshot) *table {
	t := &table{name: "comments", header: commentsHeader}
	for _, ri := range snap.Items {
		for _, c := range snap.Comments[ri.ID] {
			t.rows = append(t.rows, []any{snap.Round, ri.ID, ri.Label.In("en"), "comment", c})
		}
		for _, c := range snap.Reasons[ri.ID] {
			t.rows = append(t.rows, []any{snap.Round, ri.ID, ri.Label.In("en"), "reason for change", c})
		}
	}
	return t
}

// CommentsCSV writes the anonymised comments and reasons for changed ratings of a round.
func CommentsCSV(w io.Writer, snap *delphi.Snapshot) error { return commentsTable(snap).writeCSV(w) }

var participationHeader = []string{"round", "by", "key", "invited", "submitted", "response_rate", "suppressed"}

func participationTable(snaps []*delphi.Snapshot) *table {
	t := &table{name: "participation", header: participationHeader}
	rr := func(s, i int) any {
		if i == 0 {
			return nil
		}
		return 100 * float64(s) / float64(i)
	}
	for _, s := range snaps {
		p := s.Participation
		t.rows = append(t.rows, []any{s.Round, "panel", "all", p.Invited, p.Submitted, rr(p.Submitted, p.Invited), false})
		for _, g := range p.Groups {
			t.rows = append(t.rows, []any{s.Round, "group", g.Key, g.Invited, g.Submitted, rr(g.Submitted, g.Invited), false})
		}
		// the withheld rows together, unnamed (their sum is 0 or at least min_group_size)
		if d := s.Disclosure; d != nil && d.OtherGroups != nil {
			o := d.OtherGroups
			t.rows = append(t.rows, []any{s.Round, "group", nil, o.Invited, o.Submitted, rr(o.Submitted, o.Invited), true})
		}
		for _, c := range p.Countries {
			t.rows = append(t.rows, []any{s.Round, "country", c.Key, c.Invited, c.Submitted, rr(c.Submitted, c.Invited), false})
		}
		if d := s.Disclosure; d != nil && d.OtherCountries != nil {
			o := d.OtherCountries
			t.rows = append(t.rows, []any{s.Round, "country", nil, o.Invited, o.Submitted, rr(o.Submitted, o.Invited), true})
		}
	}
	return t
}

// filter returns the rows of t for which keep holds, as a table called name.
func (t *table) filter(name string, keep func(row []any) bool) *table {
	out := &table{name: name, header: t.header}
	for _, r := range t.rows {
		if keep(r) {
			out.rows = append(out.rows, r)
		}
	}
	return out
}
