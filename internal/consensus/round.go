package consensus

import (
	"errors"
	"fmt"
)

// Round is the input of one round: the whole panel, who submitted, and a panelist × item matrix
// of answers.
type Round struct {
	// Number is the round number (1, 2, …); it is the key of the round in the JSON.
	Number int
	// Items are this round's item ids. Kendall's W ranks across all of them (the CLI passes
	// every item of the file, as the definitions require).
	Items []string
	// Panelists are the panelist ids of the whole panel, whether or not they submitted.
	Panelists []string
	// Groups are the stakeholder group names; Group[p] indexes into it.
	Groups []string
	// Group is, per panelist, the index of their group in Groups.
	Group []int
	// Submitted is, per panelist, whether they submitted this round. Per-round counts are over
	// submitters only; the rows of the others are ignored.
	Submitted []bool
	// Ratings has len(Panelists)·len(Items) answers, row = panelist: Ratings[p·len(Items)+i].
	// Each is Missing, Unable or a rating 1..Max. Values outside -1..Max count as Missing; use
	// Validate to reject them instead.
	Ratings []int8
}

// Validate checks the shapes of rd and that every answer of a submitter is Missing, Unable or
// a rating on s. Ids must be unique and non-empty.
func (rd *Round) Validate(s Scale) error {
	np, ni := len(rd.Panelists), len(rd.Items)
	var errs []error
	if len(rd.Group) != np || len(rd.Submitted) != np {
		errs = append(errs, fmt.Errorf("round %d: %d panelists but %d groups and %d submitted flags",
			rd.Number, np, len(rd.Group), len(rd.Submitted)))
	}
	if len(rd.Ratings) != np*ni {
		errs = append(errs, fmt.Errorf("round %d: %d ratings, want %d panelists × %d items",
			rd.Number, len(rd.Ratings), np, ni))
	}
	if err := uniqueIDs("item", rd.Items); err != nil {
		errs = append(errs, fmt.Errorf("round %d: %w", rd.Number, err))
	}
	if err := uniqueIDs("panelist", rd.Panelists); err != nil {
		errs = append(errs, fmt.Errorf("round %d: %w", rd.Number, err))
	}
	if err := uniqueIDs("group", rd.Groups); err != nil {
		errs = append(errs, fmt.Errorf("round %d: %w", rd.Number, err))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for p, g := range rd.Group {
		if g < 0 || g >= len(rd.Groups) {
			return fmt.Errorf("round %d: panelist %q: group index %d outside 0..%d",
				rd.Number, rd.Panelists[p], g, len(rd.Groups)-1)
		}
	}
	for p := range rd.Panelists {
		if !rd.Submitted[p] {
			continue
		}
		for i, v := range rd.Ratings[p*ni : (p+1)*ni] {
			if v < Missing || int(v) > s.Max {
				return fmt.Errorf("round %d: panelist %q, item %q: answer %d outside -1..%d",
					rd.Number, rd.Panelists[p], rd.Items[i], v, s.Max)
			}
		}
	}
	return nil
}

func uniqueIDs(what string, ids []string) error {
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id == "" {
			return fmt.Errorf("empty %s id", what)
		}
		if seen[id] {
			return fmt.Errorf("%s %q listed twice", what, id)
		}
		seen[id] = true
	}
	return nil
}

// tally holds the answer counts of one round: for each group g, item i and answer slot k,
// c[(g·ni + i)·k + slot], where slot 0 is Missing, 1 is Unable and v+1 is the rating v.
// Counting once gives every per-item statistic; nothing is sorted.
type tally struct {
	ni, ng, k  int
	c          []int32
	submitted  []int // per group
	nSubmitted int
}

func newTally(s Scale, rd *Round) *tally {
	ni, ng, k := len(rd.Items), len(rd.Groups), s.Max+2
	t := &tally{ni: ni, ng: ng, k: k, c: make([]int32, ng*ni*k), submitted: make([]int, ng)}
	for p := range rd.Panelists {
		if !rd.Submitted[p] {
			continue
		}
		g := rd.Group[p]
		t.submitted[g]++
		t.nSubmitted++
		c := t.c[g*ni*k : (g+1)*ni*k]
		row := rd.Ratings[p*ni : (p+1)*ni]
		for i, v := range row {
			slot := uint(int(v) + 1)
			if slot >= uint(k) {
				slot = 0 // outside the scale: Missing
			}
			c[i*k+int(slot)]++
		}
	}
	return t
}

// hist fills h[1..Max] with the ratings of item i in group g (g < 0: all groups) and returns
// the unable count. h[0] is set to 0.
func (t *tally) hist(g, i int, h []int32) (unable int) {
	k := t.k
	for v := range h {
		h[v] = 0
	}
	add := func(g int) {
		c := t.c[(g*t.ni+i)*k : (g*t.ni+i+1)*k]
		unable += int(c[1])
		for v := 1; v < k-1; v++ {
			h[v] += c[v+1]
		}
	}
	if g >= 0 {
		add(g)
		return unable
	}
	for g := 0; g < t.ng; g++ {
		add(g)
	}
	return unable
}
