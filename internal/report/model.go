package report

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cart-cd/delphi/internal/consensus"
	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/i18n"
	"github.com/cart-cd/delphi/internal/outcome"
	"github.com/cart-cd/delphi/internal/survey"
)

// Study is what reports need of a study beside its snapshots. It comes from the study's
// definition, whose bytes never change once the study exists.
type Study struct {
	ID       int64
	Title    string
	Finished bool
	Feedback survey.Feedback
	Modules  []survey.Module
	// OutcomeRule is the tier rule (the definition's; every frozen copy of a study's rule is
	// the same, as its definition never changes); Placement whether the survey asks it;
	// Sections the definition's section ids in order.
	OutcomeRule outcome.Rule
	Placement   bool
	Sections    []string
	// Decisions are the study's decisions (StudyOf leaves them empty: the caller reads them).
	Decisions []outcome.Decision
	// Consented counts the panelists who recorded consent (-1: unknown).
	Consented int
	// Dates writes the human-readable dates: in the study's zone, in English (reports are the
	// staff's); machine-readable fields stay ISO 8601 in UTC.
	Dates i18n.Dates
	// Meetings are the records of the study's consensus meetings, oldest first (StudyOf
	// leaves them empty: the caller reads them).
	Meetings []*delphi.MeetingReport
}

// StudyOf takes what reports need from a study.
func StudyOf(st *delphi.Study) Study {
	s := Study{ID: st.ID, Title: st.Title, Finished: st.State == "finished", Consented: -1, Dates: i18n.Dates{Zone: st.Zone, Lang: "en"}}
	if st.Def != nil {
		s.Feedback, s.Modules, s.OutcomeRule, s.Placement = st.Def.Feedback, st.Def.Modules, st.Def.Outcome, st.Def.Placement != nil
		for _, sec := range st.Def.Sections {
			s.Sections = append(s.Sections, sec.ID)
		}
	}
	return s
}

// Summary is the view model of a round summary: every figure already formatted, so that the
// templates need no functions and the screen, print, slides and standalone HTML views show
// the same text.
type Summary struct {
	StudyID  int64
	Title    string
	SurveyID string
	Round    int
	Opened   string
	Closed   string
	Deadline string
	RuleText string
	RuleHash string
	Scale    string
	Bands    []BandView
	Software string

	Participation ParticipationView
	Points        []Point // the scale's points, for the histograms

	Groups   []GroupHead
	Items    []*ItemView
	Sections []SectionView
	Status   []StatusView   // items by status (consensus in, out, none, not rated)
	ByStatus []SectionCount // per section: counts by status
	// Contested are the items a workshop discusses: no consensus, fragile, or groups that disagree.
	Contested   Items
	Disagreeing []*ItemView
	Slides      []SlideChunk // results in chunks that fit on a slide
	Change      *ChangeView
	Kendall     KendallView
	Comments    Items    // items with comments or reasons
	Methods     []string // paragraphs

	// Placed: the survey asks the placement question (items' Place is set).
	Placed bool
	// ItemFlow counts the items of each round up to this one; FinalFlow where they stand
	// after it by the tier rule (the core set, each module, undecided, excluded).
	ItemFlow  []ItemFlow
	FinalFlow []FinalCount
	// Suggestions are the panelists' suggestions up to this round with their triage (set by
	// the caller: triage is not part of the snapshot).
	Suggestions []SuggestionView
	// Deck is set for the slides view (WithDeck): the summary is shown as a deck for a room.
	Deck *Deck
}

// Point is a point of the rating scale with its band (id and position: low, mid, high).
type Point struct {
	Value     int
	Band      string
	BandIndex int
}

// BandView is one band of the scale.
type BandView struct {
	ID, Label, Range string
}

// GroupHead is a stakeholder group column.
type GroupHead struct {
	ID, Label string
}

// ParticipationView is invited and submitted, overall, per group and per country, and per round.
type ParticipationView struct {
	Invited, Submitted int
	Rate               string
	Groups             []PartRow
	Countries          []PartRow
	Rounds             []RoundFlow
	Attrition          string // since the previous round, in words ("" in round 1)
	PrevRound          int
	// Disclosure says what the tables withhold under the small-cell rule, in words ("" when
	// the summary was built from an undisclosed snapshot); Full marks an admin's full export.
	Disclosure string
	Full       bool
}

// PartRow is one line of the participation table.
type PartRow struct {
	Key, Label         string
	Invited, Submitted int
	Rate               string
	PrevSubmitted      string // submitted in the previous round ("" in round 1)
	Low                bool   // fewer than the feedback minimum submitted
	Withheld           bool   // the withheld rows together ("Other …"), each fewer than the minimum
}

// RoundFlow is one round of the participant flow.
type RoundFlow struct {
	Round                   int
	Invited, Submitted      int
	NotSubmitted            int
	Rate                    string
	NotReinvited, NewInvite int // relative to the previous round's submitters
}

// ItemView is one item of the round with its results.
type ItemView struct {
	ID, Label, Description  string
	SectionID, Section      string
	N, NUnable, NMissing    int
	PctLow, PctMid, PctHigh string
	Median, Q1, Q3, IQR     string
	Mean, SD                string
	WilsonHigh, WilsonLow   string
	Class                   string // consensus_in, consensus_out, no_consensus, unrated
	ClassLabel              string
	Fragile                 bool
	Disagree                bool  // one group in, another out
	Hist                    []int // ratings per point of the scale, from 1
	Groups                  []GroupCell
	Placement               string
	New, Reworded           bool
	DerivedFrom             string
	Change                  *ItemChange
	Comments, Reasons       []string
	Contested               bool
	Why                     string     // why it is contested, in words
	Place                   *PlaceView // placement (nil without a placement question)
}

// GroupCell is one item in one stakeholder group.
type GroupCell struct {
	ID, Label  string
	NRated     int
	PctHigh    string
	PctLow     string
	Median     string
	Class      string
	ClassLabel string
	Differs    bool // class differs from the whole panel's
	// Withheld: the group has fewer than min_group_size panelists here (or would be given away
	// by subtraction): its figures say Note ("fewer than 5") and nothing else.
	Withheld bool
	Note     string
}

// StatusView lists the items of one status.
type StatusView struct {
	Class, Label string
	Items        Items
}

// SectionView is one section with its items, ordered by status (in, none, out, not rated).
type SectionView struct {
	ID, Label string
	Items     Items
}

// SectionCount counts a section's items by status.
type SectionCount struct {
	Label              string
	In, Out, None, Nil int
	Total              int
}

// SlideChunk is a part of a section that fits on one slide.
type SlideChunk struct {
	Label string
	Part  string // "1/3", or "" when the section fits on one slide
	Items Items
}

// ChangeView compares the round with the previous one.
type ChangeView struct {
	From, To  int
	Items     Items       // items of both rounds, with Change set
	Changed   []*ItemView // items whose class changed
	New       []*ItemView
	Reworded  []*ItemView
	Dropped   []DroppedItem
	Stable    int // items whose class did not change
	MethodRef string
	Log       []ChangeLogRow // the recorded changes, with reasons and earlier wording
}

// ItemChange is one item's change from the previous round.
type ItemChange struct {
	FromClass, FromLabel string
	ToClass, ToLabel     string
	ClassChanged         bool
	DeltaPctHigh         string
	DeltaIQR             string
	PctChanged           string
	NPairs               int
	Wilcoxon             string // "p = 0.42 (z = −0.81)" or why not
	Significant          bool
}

// DroppedItem is an item of the previous round that this round does not ask.
type DroppedItem struct {
	ID, Label, Why string
}

// KendallView is Kendall's W of the round.
type KendallView struct {
	OK              bool
	W, ChiSq, DF, P string
	M, N            int
	Note            string
}

// Class labels in words.
var classLabels = map[consensus.Class]string{
	consensus.ConsensusIn:  "Consensus in",
	consensus.ConsensusOut: "Consensus out",
	consensus.NoConsensus:  "No consensus",
	"":                     "Not rated",
}

func classKey(c consensus.Class) string {
	if c == "" {
		return "unrated"
	}
	return string(c)
}

// statusOrder orders classes for tables: in, none, out, not rated.
var statusOrder = map[string]int{"consensus_in": 0, "no_consensus": 1, "consensus_out": 2, "unrated": 3}

// slideRows is how many items fit on one slide readable from the back of a room.
const slideRows = 8

// Build returns the summary of the last of snaps. snaps are the closed rounds 1..n of one
// study in order (earlier rounds give the participant flow, attrition and changes).
func Build(st Study, snaps []*delphi.Snapshot) (*Summary, error) {
	if len(snaps) == 0 {
		return nil, fmt.Errorf("report: no snapshot")
	}
	snap := snaps[len(snaps)-1]
	if snap.Result == nil {
		return nil, fmt.Errorf("report: round %d: snapshot without results", snap.Round)
	}
	var prev *delphi.Snapshot
	if len(snaps) > 1 {
		prev = snaps[len(snaps)-2]
	}
	title := snap.StudyTitle
	if title == "" {
		title = st.Title
	}
	s := &Summary{StudyID: snap.StudyID, Title: title, SurveyID: snap.SurveyID, Round: snap.Round,
		Opened: day(st, snap.OpenedAt), Closed: day(st, snap.ClosedAt), Deadline: day(st, snap.Deadline),
		RuleText: ruleWords(snap), RuleHash: short(snap.RuleHash), Scale: scaleWords(snap.Scale),
		Software: snap.Software}
	for v := 1; v <= snap.Scale.Max; v++ {
		p := Point{Value: v, BandIndex: snap.Scale.BandOf(v)}
		if p.BandIndex >= 0 {
			p.Band = snap.Scale.Bands[p.BandIndex].ID
		}
		s.Points = append(s.Points, p)
	}
	for _, b := range snap.Scale.Bands {
		s.Bands = append(s.Bands, BandView{ID: b.ID, Label: b.Label.In("en"), Range: rangeText(b.From, b.To)})
	}
	groupLabel := map[string]string{}
	for _, g := range snap.Groups {
		groupLabel[g.ID] = g.Label.In("en")
		s.Groups = append(s.Groups, GroupHead{ID: g.ID, Label: g.Label.In("en")})
	}
	s.Participation = participation(snaps, groupLabel, st.Feedback.MinGroupSize)

	sectionLabel := map[string]string{}
	for _, sec := range snap.Sections {
		sectionLabel[sec.ID] = sec.Label.In("en")
	}
	prevItems := map[string]delphi.RoundItem{}
	if prev != nil {
		for _, it := range prev.Items {
			prevItems[it.ID] = it
		}
	}
	ivs, err := itemViews(snap, groupLabel)
	if err != nil {
		return nil, err
	}
	for k, ri := range snap.Items {
		iv := ivs[k]
		iv.Section = sectionLabel[ri.SectionID]
		if prev != nil {
			_, had := prevItems[ri.ID]
			iv.New = !had
			iv.Reworded = had && ri.Changed
		} else {
			iv.New = ri.Changed
		}
		if prev != nil && snap.Stability != nil {
			if sc := snap.Stability.Items.Get(ri.ID); sc != nil {
				iv.Change = itemChange(sc)
			}
		}
		iv.Comments, iv.Reasons = snap.Comments[ri.ID], snap.Reasons[ri.ID]
		iv.Placement = placementText(snap.Placement[ri.ID])
		contest(iv)
		s.Items = append(s.Items, iv)
		if iv.Contested {
			s.Contested = append(s.Contested, iv)
		}
		if iv.Disagree {
			s.Disagreeing = append(s.Disagreeing, iv)
		}
		if len(iv.Comments) > 0 || len(iv.Reasons) > 0 {
			s.Comments = append(s.Comments, iv)
		}
	}
	s.sections(snap)
	s.statuses()
	if prev != nil {
		s.Change = change(s, prev, snap)
	}
	s.Kendall = kendallView(snap.Result.Kendall)
	if ok, why := KendallStatus(snap); !ok && s.Kendall.OK {
		s.Kendall.OK, s.Kendall.Note = false, "Not shown: "+strings.TrimPrefix(why, "not computed: ")+"."
	}
	s.Methods = Methods(st, snaps)
	s.pages(st, snaps)
	return s, nil
}

// itemViews returns the views of the snapshot's items, in order. Each item's figures are
// formatted and its histogram drawn on its own, so the items are shared among the cores: a
// report of hundreds of items is built when a presenter first opens it.
func itemViews(snap *delphi.Snapshot, groupLabel map[string]string) ([]*ItemView, error) {
	results := make(map[string]*consensus.Item, len(snap.Result.Items))
	for i := range snap.Result.Items {
		if it := &snap.Result.Items[i]; results[it.ID] == nil { // the first, as ItemList.Get
			results[it.ID] = it
		}
	}
	for _, ri := range snap.Items {
		if results[ri.ID] == nil {
			return nil, fmt.Errorf("report: round %d: item %q has no result", snap.Round, ri.ID)
		}
	}
	ivs := make([]*ItemView, len(snap.Items))
	workers := min(runtime.GOMAXPROCS(0), 1+len(ivs)/64)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for k := w; k < len(ivs); k += workers {
				ri := snap.Items[k]
				ivs[k] = itemView(snap, ri, results[ri.ID], groupLabel)
			}
		})
	}
	wg.Wait()
	return ivs, nil
}

func itemView(snap *delphi.Snapshot, ri delphi.RoundItem, res *consensus.Item, groupLabel map[string]string) *ItemView {
	iv := &ItemView{ID: ri.ID, Label: ri.Label.In("en"), Description: ri.Description.In("en"), SectionID: ri.SectionID,
		N: res.NRated, NUnable: res.NUnable, NMissing: res.NMissing,
		PctLow: pctp(res.PctLow), PctMid: pctp(res.PctMid), PctHigh: pctp(res.PctHigh),
		Median: nump(res.Median), Mean: nump(res.Mean), SD: nump(res.SDSample),
		Q1: "–", Q3: "–", IQR: "–", WilsonHigh: "–", WilsonLow: "–",
		Class: classKey(res.Comet), ClassLabel: classLabels[res.Comet],
		Fragile: res.Fragile != nil && *res.Fragile, DerivedFrom: strings.Join(ri.DerivedFrom, ", ")}
	if iv.Label == "" {
		iv.Label = ri.ID
	}
	if q := res.QuantileType7; q != nil {
		iv.Q1, iv.Q3, iv.IQR = num(q.Q1), num(q.Q3), num(q.IQR)
	}
	if w := res.PctHighWilson95; w != nil {
		iv.WilsonHigh = interval(*w)
	}
	if w := res.PctLowWilson95; w != nil {
		iv.WilsonLow = interval(*w)
	}
	iv.Hist = res.Hist
	in, out := false, false
	for _, g := range withheldCells(snap, ri.ID, res.Groups) {
		if g.withheld {
			iv.Groups = append(iv.Groups, GroupCell{ID: g.Name, Label: groupLabel[g.Name], Withheld: true,
				Note: delphi.DisclosureNote(snap.Disclosure.MinGroupSize), PctHigh: "–", PctLow: "–", Median: "–",
				Class: "withheld", ClassLabel: "Withheld"})
			continue
		}
		gc := GroupCell{ID: g.Name, Label: groupLabel[g.Name], NRated: g.NRated, PctHigh: pctp(g.PctHigh),
			PctLow: pctp(g.PctLow), Median: nump(g.Median), Class: classKey(g.Comet), ClassLabel: classLabels[g.Comet]}
		if gc.Label == "" {
			gc.Label = g.Name
		}
		gc.Differs = g.Comet != "" && res.Comet != "" && g.Comet != res.Comet
		in = in || g.Comet == consensus.ConsensusIn
		out = out || g.Comet == consensus.ConsensusOut
		iv.Groups = append(iv.Groups, gc)
	}
	iv.Disagree = in && out
	return iv
}

// contest marks an item a workshop should discuss, and says why.
func contest(iv *ItemView) {
	var why []string
	if iv.Class == "no_consensus" {
		why = append(why, "no consensus")
	}
	if iv.Fragile {
		why = append(why, "fragile: the 95% interval crosses a threshold")
	}
	if iv.Disagree {
		why = append(why, "stakeholder groups disagree (in for one, out for another)")
	}
	if len(why) > 0 {
		iv.Contested = true
		iv.Why = strings.Join(why, "; ")
	}
}

func itemChange(sc *consensus.StabilityItem) *ItemChange {
	c := &ItemChange{FromClass: classKey(sc.CometFrom), FromLabel: classLabels[sc.CometFrom],
		ToClass: classKey(sc.CometTo), ToLabel: classLabels[sc.CometTo], ClassChanged: sc.CometFrom != sc.CometTo,
		DeltaPctHigh: signed(sc.DeltaPctHigh, " pp"), DeltaIQR: signed(sc.DeltaIQRType7, ""),
		PctChanged: pctp(sc.PctChanged), NPairs: sc.NPairs}
	w := sc.Wilcoxon.Wilcox.Approx
	switch {
	case w.Error == consensus.NoPairs:
		c.Wilcoxon = "no pairs"
	case w.Error == consensus.AllDifferencesZero:
		c.Wilcoxon = "no change"
	case w.PValue != nil && w.Z != nil:
		c.Wilcoxon = fmt.Sprintf("%s (z = %s)", pval(*w.PValue), fixed(*w.Z, 2))
		c.Significant = *w.PValue < 0.05
	default:
		c.Wilcoxon = "–"
	}
	return c
}

func (s *Summary) sections(snap *delphi.Snapshot) {
	bySec := map[string][]*ItemView{}
	for _, iv := range s.Items {
		bySec[iv.SectionID] = append(bySec[iv.SectionID], iv)
	}
	for _, sec := range snap.Sections {
		items := append(Items(nil), bySec[sec.ID]...)
		sort.SliceStable(items, func(i, j int) bool { return statusOrder[items[i].Class] < statusOrder[items[j].Class] })
		sv := SectionView{ID: sec.ID, Label: sec.Label.In("en"), Items: items}
		if sv.Label == "" {
			sv.Label = sec.ID
		}
		s.Sections = append(s.Sections, sv)
		cnt := SectionCount{Label: sv.Label, Total: len(items)}
		for _, iv := range items {
			switch iv.Class {
			case "consensus_in":
				cnt.In++
			case "consensus_out":
				cnt.Out++
			case "no_consensus":
				cnt.None++
			default:
				cnt.Nil++
			}
		}
		s.ByStatus = append(s.ByStatus, cnt)
		parts := (len(items) + slideRows - 1) / slideRows
		for p := 0; p < parts; p++ {
			end := min((p+1)*slideRows, len(items))
			ch := SlideChunk{Label: sv.Label, Items: items[p*slideRows : end]}
			if parts > 1 {
				ch.Part = fmt.Sprintf("%d/%d", p+1, parts)
			}
			s.Slides = append(s.Slides, ch)
		}
	}
}

func (s *Summary) statuses() {
	for _, c := range []consensus.Class{consensus.ConsensusIn, consensus.NoConsensus, consensus.ConsensusOut, ""} {
		sv := StatusView{Class: classKey(c), Label: classLabels[c]}
		for _, iv := range s.Items {
			if iv.Class == sv.Class {
				sv.Items = append(sv.Items, iv)
			}
		}
		if c == "" && len(sv.Items) == 0 {
			continue
		}
		s.Status = append(s.Status, sv)
	}
}

func change(s *Summary, prev, snap *delphi.Snapshot) *ChangeView {
	cv := &ChangeView{From: prev.Round, To: snap.Round}
	for _, iv := range s.Items {
		switch {
		case iv.New:
			cv.New = append(cv.New, iv)
		case iv.Change != nil:
			cv.Items = append(cv.Items, iv)
			if iv.Change.ClassChanged {
				cv.Changed = append(cv.Changed, iv)
			} else {
				cv.Stable++
			}
		}
		if iv.Reworded {
			cv.Reworded = append(cv.Reworded, iv)
		}
	}
	now := map[string]bool{}
	derived := map[string]string{}
	for _, it := range snap.Items {
		now[it.ID] = true
		for _, d := range it.DerivedFrom {
			derived[d] = it.ID
		}
	}
	for _, it := range prev.Items {
		if now[it.ID] {
			continue
		}
		d := DroppedItem{ID: it.ID, Label: it.Label.In("en")}
		switch c := prev.ClassOf(it.ID); {
		case derived[it.ID] != "":
			d.Why = "replaced by " + derived[it.ID]
		case c == consensus.ConsensusIn || c == consensus.ConsensusOut:
			d.Why = classLabels[c] + " in round " + strconv.Itoa(prev.Round)
		default:
			d.Why = "not carried forward by the facilitators"
		}
		cv.Dropped = append(cv.Dropped, d)
	}
	return cv
}

func kendallView(k consensus.Kendall) KendallView {
	kv := KendallView{M: k.NCompletePanelists, N: k.NItems}
	switch {
	case k.Status == consensus.InsufficientItems:
		kv.Note = "Not computed: the round has fewer than two items."
	case k.Status == consensus.InsufficientCompletePanelists:
		kv.Note = "Not computed: fewer than two panelists rated every item."
	case k.Corrected == nil:
		kv.Note = "Not computed: every complete panelist gave one rating to all items."
	default:
		kv.OK = true
		kv.W, kv.ChiSq, kv.DF, kv.P = fixed(k.Corrected.W, 3), fixed(k.Corrected.ChiSq, 1),
			strconv.Itoa(k.Corrected.DF), pval(k.Corrected.PValue)
	}
	return kv
}

// cell is a group's result of an item, or a group withheld from it.
type cell struct {
	consensus.Group
	withheld bool
}

// withheldCells returns an item's group results with the groups the snapshot's disclosure
// withholds put back in place as withheld cells, in the definition's order.
func withheldCells(snap *delphi.Snapshot, item string, gs consensus.GroupList) []cell {
	if snap.Disclosure == nil || len(snap.Disclosure.Items[item]) == 0 {
		out := make([]cell, len(gs))
		for i, g := range gs {
			out[i] = cell{Group: g}
		}
		return out
	}
	byName := map[string]consensus.Group{}
	for _, g := range gs {
		byName[g.Name] = g
	}
	var out []cell
	for _, dg := range snap.Groups {
		if g, ok := byName[dg.ID]; ok {
			out = append(out, cell{Group: g})
		} else if snap.Disclosure.Withheld(item, dg.ID) {
			out = append(out, cell{Group: consensus.Group{Name: dg.ID}, withheld: true})
		}
	}
	return out
}

func participation(snaps []*delphi.Snapshot, groupLabel map[string]string, minGroup int) ParticipationView {
	snap := snaps[len(snaps)-1]
	p := snap.Participation
	pv := ParticipationView{Invited: p.Invited, Submitted: p.Submitted, Rate: rate(p.Submitted, p.Invited)}
	if d := snap.Disclosure; d != nil {
		pv.Disclosure, pv.Full = d.Note, d.Full
		minGroup = d.MinGroupSize
	}
	var prev *delphi.Snapshot
	if len(snaps) > 1 {
		prev = snaps[len(snaps)-2]
	}
	prevRows := func(rows func(delphi.Participation) []delphi.ParticipationRow) map[string]int {
		if prev == nil {
			return nil
		}
		m := map[string]int{}
		for _, r := range rows(prev.Participation) {
			m[r.Key] = r.Submitted
		}
		return m
	}
	rows := func(in []delphi.ParticipationRow, prevSub map[string]int, label map[string]string) []PartRow {
		var out []PartRow
		for _, r := range in {
			pr := PartRow{Key: r.Key, Label: r.Key, Invited: r.Invited, Submitted: r.Submitted, Rate: rate(r.Submitted, r.Invited),
				Low: minGroup > 0 && r.Submitted < minGroup}
			if l := label[r.Key]; l != "" {
				pr.Label = l
			}
			if prevSub != nil {
				pr.PrevSubmitted = "–" // withheld in the previous round
				if n, ok := prevSub[r.Key]; ok {
					pr.PrevSubmitted = strconv.Itoa(n)
				}
			}
			out = append(out, pr)
		}
		return out
	}
	other := func(r *delphi.ParticipationRow, what string) []PartRow {
		if r == nil {
			return nil
		}
		pr := PartRow{Label: fmt.Sprintf("Other %s (each %s, withheld)", what, delphi.DisclosureNote(minGroup)),
			Invited: r.Invited, Submitted: r.Submitted, Rate: rate(r.Submitted, r.Invited), Withheld: true}
		if prev != nil {
			pr.PrevSubmitted = "–"
		}
		return []PartRow{pr}
	}
	pv.Groups = rows(p.Groups, prevRows(func(p delphi.Participation) []delphi.ParticipationRow { return p.Groups }), groupLabel)
	pv.Countries = rows(p.Countries, prevRows(func(p delphi.Participation) []delphi.ParticipationRow { return p.Countries }), nil)
	if d := snap.Disclosure; d != nil {
		pv.Groups = append(pv.Groups, other(d.OtherGroups, "groups")...)
		pv.Countries = append(pv.Countries, other(d.OtherCountries, "countries")...)
	}
	for i, sn := range snaps {
		rf := RoundFlow{Round: sn.Round, Invited: sn.Participation.Invited, Submitted: sn.Participation.Submitted,
			NotSubmitted: sn.Participation.Invited - sn.Participation.Submitted,
			Rate:         rate(sn.Participation.Submitted, sn.Participation.Invited)}
		if i > 0 {
			ps := snaps[i-1].Participation.Submitted
			if d := ps - rf.Invited; d > 0 {
				rf.NotReinvited = d
			} else {
				rf.NewInvite = -d
			}
		}
		pv.Rounds = append(pv.Rounds, rf)
	}
	if prev != nil {
		pv.PrevRound = prev.Round
		ps := prev.Participation.Submitted
		lost := ps - p.Submitted
		first := snaps[0].Participation.Submitted
		pv.Attrition = fmt.Sprintf("%d of the %d panelists who submitted round %d submitted round %d (attrition %s); %d of the %d who submitted round %d remain (%s).",
			p.Submitted, ps, prev.Round, snap.Round, rate(max(lost, 0), ps), p.Submitted, first, snaps[0].Round, rate(p.Submitted, first))
	}
	return pv
}

// ---- formatting ----

// day is a date and time as a report shows it: in the study's zone, "–" when unset.
func day(st Study, t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return st.Dates.DateTime(t)
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func rangeText(from, to int) string {
	if from == to {
		return strconv.Itoa(from)
	}
	return fmt.Sprintf("%d–%d", from, to)
}

// num prints a statistic: integers without decimals, others with up to two.
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	return strings.TrimRight(strings.TrimRight(s, "0"), ".")
}

func nump(p *float64) string {
	if p == nil {
		return "–"
	}
	return num(*p)
}

func fixed(v float64, d int) string {
	s := strconv.FormatFloat(v, 'f', d, 64)
	return strings.Replace(s, "-", "−", 1)
}

func pctp(p *float64) string {
	if p == nil {
		return "–"
	}
	return strconv.FormatFloat(*p, 'f', 1, 64) + "%"
}

func interval(iv consensus.Interval) string {
	return strconv.FormatFloat(iv.Lo, 'f', 1, 64) + "–" + strconv.FormatFloat(iv.Hi, 'f', 1, 64) + "%"
}

func signed(p *float64, unit string) string {
	if p == nil {
		return "–"
	}
	v := *p
	switch {
	case v > 0:
		return "+" + num(v) + unit
	case v < 0:
		return "−" + num(-v) + unit
	}
	return "0" + unit
}

// pval writes a p-value with its relation: "p = 0.042", "p < 0.001".
func pval(p float64) string {
	if p < 0.001 {
		return "p < 0.001"
	}
	return "p = " + strconv.FormatFloat(p, 'f', 3, 64)
}

func rate(a, b int) string {
	if b == 0 {
		return "–"
	}
	return strconv.FormatFloat(100*float64(a)/float64(b), 'f', 1, 64) + "%"
}

func placementText(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for _, k := range []string{"core", "expansion", "not_needed"} {
		if n, ok := m[k]; ok {
			parts = append(parts, fmt.Sprintf("%s %d", placementLabel(k), n))
		}
	}
	var other []string
	for k := range m {
		if k != "core" && k != "expansion" && k != "not_needed" {
			other = append(other, k)
		}
	}
	sort.Strings(other)
	for _, k := range other {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, " · ")
}

func placementLabel(k string) string {
	switch k {
	case "core":
		return "core"
	case "expansion":
		return "expansion module"
	case "not_needed":
		return "not needed"
	}
	return k
}

func scaleWords(sc survey.Scale) string {
	var bands []string
	for _, b := range sc.Bands {
		bands = append(bands, fmt.Sprintf("%s %s", rangeText(b.From, b.To), b.Label.In("en")))
	}
	s := fmt.Sprintf("%d–%d in %d bands (%s)", sc.Min, sc.Max, len(sc.Bands), strings.Join(bands, "; "))
	if u := sc.Unable.In("en"); u != "" {
		s += fmt.Sprintf(", plus “%s”, an answer that is not a rating", u)
	}
	return s
}

// ruleWords states the frozen rule of the round with the scale's bands, e.g. "Consensus in: at
// least 70% rate 7–9 and fewer than 15% rate 1–3. …".
func ruleWords(snap *delphi.Snapshot) string {
	r := snap.Rule
	low, high := "low", "high"
	if n := len(snap.Scale.Bands); n >= 2 {
		low = rangeText(snap.Scale.Bands[0].From, snap.Scale.Bands[0].To)
		high = rangeText(snap.Scale.Bands[n-1].From, snap.Scale.Bands[n-1].To)
	}
	s := fmt.Sprintf("Consensus in: at least %d%% rate %s and fewer than %d%% rate %s. Consensus out: at least %d%% rate %s and fewer than %d%% rate %s. Otherwise no consensus.",
		r.In.HighAtLeast, high, r.In.LowBelow, low, r.Out.LowAtLeast, low, r.Out.HighBelow, high)
	if r.EveryGroup {
		s += " The rule must hold in the whole panel and in every stakeholder group with ratings."
	} else {
		s += " Applied to the whole panel."
	}
	s += " Percentages are of the panelists who gave a rating; counts are compared, not rounded percentages."
	return s
}

// Items is a list of a summary's items.
type Items []*ItemView
