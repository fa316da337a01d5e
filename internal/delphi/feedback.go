package delphi

import (
	"context"

	"github.com/cart-cd/delphi/internal/consensus"
	"github.com/cart-cd/delphi/internal/survey"
)

// ItemFeedback is what an expert sees beside an item from round 2 on: their own previous answer
// and the panel's anonymised results of the previous round. Groups smaller than the definition's
// min_group_size are not broken out (HiddenGroups counts them).
type ItemFeedback struct {
	FromItem     string  // the previous round's item (differs when reworded or merged)
	Own          *Answer // nil if they did not answer it
	NRated       int     // ratings on the scale
	NUnable      int
	Hist         []int          // counts per scale point Min..Max
	Bands        []BandFeedback // low, mid, high
	Median       *float64
	Class        string // consensus_in, consensus_out, no_consensus, "" when unrated
	Groups       []GroupFeedback
	HiddenGroups int
	Comments     []string
	// Placement is the panel's answers to the placement question, in the definition's order of
	// options; nil when the item had none (or the survey asks none).
	Placement []PlacementFeedback
}

// PlacementFeedback is the count and percent of one placement option among those who answered
// the placement question.
type PlacementFeedback struct {
	Option string
	N      int
	Pct    float64
}

// BandFeedback is the count and percent of ratings in one band.
type BandFeedback struct {
	ID    string
	From  int
	To    int
	N     int
	Pct   float64
	Label string
}

// GroupFeedback is one stakeholder group's results, shown only when large enough.
type GroupFeedback struct {
	ID     string
	NRated int
	Median *float64
	Bands  []BandFeedback
}

// feedback builds per-item feedback for the expert's round from the previous round's snapshot:
// the panel's part (the same for every expert reading in one language, and immutable since it
// comes from a snapshot) is built once and cached; the expert's own previous answer is added.
func (s *Service) feedback(ctx context.Context, e *Expert, prev *Round, cur *Round, items []RoundItem) (map[string]*ItemFeedback, error) {
	def := e.Study.Def
	lang := e.Panelist.Language
	key := feedbackKey{prev: prev.ID, cur: cur.ID, lang: lang}
	panel, ok := s.feedbacks.Get(key)
	if !ok {
		snap, err := s.Snapshot(ctx, e.Study.ID, prev.Number)
		if err != nil {
			return nil, err
		}
		panel = panelFeedback(def, snap, items, lang)
		s.feedbacks.Put(key, panel)
	}
	var ownBy map[string]Answer
	if def.Feedback.Shows("own") {
		var err error
		if ownBy, err = s.closedAnswers(ctx, prev.ID, e.Panelist.ID); err != nil {
			return nil, err
		}
	}
	out := make(map[string]*ItemFeedback, len(panel))
	fs := make([]ItemFeedback, 0, len(panel)) // in two blocks, not two objects per item
	owns := make([]Answer, 0, len(panel))
	for id, pf := range panel {
		fs = append(fs, pf)
		f := &fs[len(fs)-1]
		if a, ok := ownBy[f.FromItem]; ok {
			owns = append(owns, a)
			f.Own = &owns[len(owns)-1]
		}
		out[id] = f
	}
	return out, nil
}

// maxOwnCached bounds the answers closedAnswers keeps, all panelists and rounds together (about
// 100 bytes each): a panel of hundreds on a survey of hundreds of items fits; beyond, the
// panelists read least lately are read again.
const maxOwnCached = 300_000

// closedAnswers returns a panelist's answers to a closed round by item, for the feedback beside
// every item of the next round. A closed round's answers never change, so they are kept (up to
// maxOwnCached in all); the map is shared: callers must not change it.
func (s *Service) closedAnswers(ctx context.Context, roundID, panelistID int64) (map[string]Answer, error) {
	key := ownKey{roundID, panelistID}
	if m, ok := s.owns.Get(key); ok {
		return m, nil
	}
	rows, err := s.st.Answers(ctx, roundID, panelistID)
	if err != nil {
		return nil, err
	}
	m := make(map[string]Answer, len(rows))
	for _, a := range rows {
		m[a.ItemID] = toAnswer(a)
	}
	s.owns.Put(key, m)
	return m, nil
}

type ownKey struct{ round, panelist int64 }

// feedbackKey names the panel's feedback for one round's items, from the round before, in one
// language.
type feedbackKey struct {
	prev, cur int64
	lang      string
}

// panelFeedback is the anonymised part of the feedback, per item of the round, showing only the
// parts the definition's feedback.show lists (the previous class is always shown).
func panelFeedback(def *survey.Definition, snap *Snapshot, items []RoundItem, lang string) map[string]ItemFeedback {
	min := def.Feedback.MinGroupSize
	if min < 1 {
		min = 5
	}
	out := make(map[string]ItemFeedback, len(items))
	for _, it := range items {
		from := it.ID
		res := snap.Result.Items.Get(from)
		if res == nil && len(it.DerivedFrom) == 1 {
			from = it.DerivedFrom[0]
			res = snap.Result.Items.Get(from)
		}
		if res == nil {
			continue // new in this round
		}
		f := ItemFeedback{FromItem: from, NRated: res.NRated, NUnable: res.NUnable, Class: string(res.Comet)}
		if def.Feedback.Shows("distribution") {
			f.Hist = res.Hist
			f.Bands = bands(snap, res.NRated, res.NLow, res.NMid, res.NHigh, lang)
		}
		if def.Feedback.Shows("median") {
			f.Median = res.Median
		}
		if def.Feedback.Shows("groups") {
			for _, g := range res.Groups {
				if g.NRated == 0 {
					continue
				}
				if g.NRated < min {
					f.HiddenGroups++
					continue
				}
				gf := GroupFeedback{ID: g.Name, NRated: g.NRated}
				if def.Feedback.Shows("median") {
					gf.Median = g.Median
				}
				gf.Bands = bands(snap, g.NRated, g.NLow, g.NMid, g.NHigh, lang)
				f.Groups = append(f.Groups, gf)
			}
			f.Groups, f.HiddenGroups = suppressComplement(f.Groups, f.HiddenGroups, res.NRated, min)
		}
		if def.Feedback.Shows("comments") {
			f.Comments = snap.Comments[from]
		}
		f.Placement = placementFeedback(def, snap.Placement[from])
		out[it.ID] = f
	}
	return out
}

// placementFeedback is the split of the placement answers counts, in the order of the
// definition's options; nil when nobody answered.
func placementFeedback(def *survey.Definition, counts map[string]int) []PlacementFeedback {
	if def.Placement == nil {
		return nil
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	if n == 0 {
		return nil
	}
	out := make([]PlacementFeedback, 0, len(def.Placement.Options))
	for _, o := range def.Placement.Options {
		out = append(out, PlacementFeedback{Option: o, N: counts[o], Pct: 100 * float64(counts[o]) / float64(n)})
	}
	return out
}

func bands(snap *Snapshot, n, low, mid, high int, lang string) []BandFeedback {
	counts := []int{low, mid, high}
	out := make([]BandFeedback, 0, 3)
	for i, b := range snap.Scale.Bands {
		bf := BandFeedback{ID: b.ID, From: b.From, To: b.To, N: counts[i], Label: b.Label.In(lang)}
		if n > 0 {
			bf.Pct = 100 * float64(counts[i]) / float64(n)
		}
		out = append(out, bf)
	}
	return out
}

// ClassOf returns an item's class in a snapshot ("" when not rated or absent).
func (snap *Snapshot) ClassOf(item string) consensus.Class {
	if it := snap.Result.Items.Get(item); it != nil {
		return it.Comet
	}
	return ""
}

// suppressComplement hides more groups when the ones shown would give the hidden ones away: the
// panel's ratings minus those of the groups shown are the hidden groups' ratings, so when they
// are fewer than min (one small group, say), the smallest groups shown are hidden too until the
// remainder is at least min ratings (or nothing is broken out).
func suppressComplement(shown []GroupFeedback, hidden, nRated, min int) ([]GroupFeedback, int) {
	rest := nRated
	for _, g := range shown {
		rest -= g.NRated
	}
	for rest > 0 && rest < min && len(shown) > 0 {
		small := 0
		for i, g := range shown {
			if g.NRated < shown[small].NRated {
				small = i
			}
		}
		rest += shown[small].NRated
		shown = append(shown[:small:small], shown[small+1:]...)
		hidden++
	}
	return shown, hidden
}
