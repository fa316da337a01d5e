package report

// Deck is the slides view as a deck for a room (issue 15, item 5): after the title,
// participation and the overview per section, one slide per item under discussion in the
// order given (the meeting's ranking: closest to a decision first), then the other items in
// an appendix list.
type Deck struct {
	// Ranked are the items under discussion, in order.
	Ranked []DeckItem
	// Appendix are the round's other items, in the summary's order.
	Appendix Items
}

// DeckItem is an item under discussion with its class in each round that asked it.
type DeckItem struct {
	*ItemView
	History []DeckRound
}

// DeckRound is an item's class in one round.
type DeckRound struct {
	Round int
	Class string // consensus_in, no_consensus, consensus_out; "" when nobody rated it
	Label string
}

// ClassLabel is the words for a class key (consensus_in …), or "not rated".
func ClassLabel(key string) string {
	for c, l := range classLabels {
		if classKey(c) == key {
			return l
		}
	}
	return "not rated"
}

// WithDeck returns the summary with its deck: the items whose ids are in order (the ranking,
// by this round's item ids), in that order, under discussion; when order is nil (no ranking),
// the contested items are. history holds each item's rounds, by this round's item id.
func (s *Summary) WithDeck(order []string, history map[string][]DeckRound) *Summary {
	c := *s
	byID := make(map[string]*ItemView, len(s.Items))
	for _, iv := range s.Items {
		byID[iv.ID] = iv
	}
	var ranked Items
	if order == nil {
		ranked = s.Contested
	} else {
		for _, id := range order {
			if iv := byID[id]; iv != nil {
				ranked = append(ranked, iv)
			}
		}
	}
	d := &Deck{}
	in := make(map[*ItemView]bool, len(ranked))
	for _, iv := range ranked {
		if in[iv] {
			continue
		}
		in[iv] = true
		d.Ranked = append(d.Ranked, DeckItem{ItemView: iv, History: history[iv.ID]})
	}
	for _, iv := range s.Items {
		if !in[iv] {
			d.Appendix = append(d.Appendix, iv)
		}
	}
	c.Deck = d
	return &c
}
