package consensus

// RoundResult is the result of one round (definitions, `rounds."1"`), the snapshot the service
// stores when it closes a round.
type RoundResult struct {
	// Number is the round number: the key in the JSON object "rounds", and "_round" when a
	// RoundResult is stored on its own.
	Number int `json:"_round"`
	// Rule is the consensus rule the classes were computed with (metadata).
	Rule       Rule `json:"_rule"`
	NSubmitted int  `json:"n_submitted"`
	// GroupsSubmitted is the number of submitters per group, every group of the round.
	GroupsSubmitted Counts   `json:"groups_submitted"`
	Items           ItemList `json:"items"`
	Kendall         Kendall  `json:"kendall"`
}

// ComputeRound computes every per-round statistic of the definitions for rd on scale s under
// rule r: per item and per group (ITEM, GROUP) and Kendall's W. It assumes s.Validate() and
// rd.Validate(s) hold; answers outside the scale count as missing.
func ComputeRound(s Scale, r Rule, rd *Round) *RoundResult {
	return computeRound(s, r, rd, newTally(s, rd))
}

func computeRound(s Scale, r Rule, rd *Round, t *tally) *RoundResult {
	ni, ng := len(rd.Items), len(rd.Groups)
	res := &RoundResult{
		Number:          rd.Number,
		Rule:            r,
		NSubmitted:      t.nSubmitted,
		GroupsSubmitted: make(Counts, ng),
		Items:           make(ItemList, ni),
		Kendall:         kendall(s, rd),
	}
	for g, name := range rd.Groups {
		res.GroupsSubmitted[g] = Count{Name: name, N: t.submitted[g]}
	}
	groups := make([]Group, ni*ng)
	a := newItemArena(ni, ng, s.Max)
	m := newMoments(s.Max)
	h := make([]int32, s.Max+1)
	classes := make([]Class, ng)
	z := wilsonZ()
	for i, id := range rd.Items {
		it := &res.Items[i]
		it.ID = id
		it.Groups = groups[i*ng : (i+1)*ng : (i+1)*ng]
		for g, name := range rd.Groups {
			it.Groups[g].Name = name
		}
		computeItem(s, r, t, i, it, a, m, h, classes, z)
	}
	return res
}
