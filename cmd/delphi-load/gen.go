package main

import (
	"fmt"
	"strings"
)

// groups of the generated surveys.
var groups = []string{"haematologist", "nurse", "data_manager", "pharmacist", "patient_representative", "methodologist"}

func itemID(i int) string { return fmt.Sprintf("item_%03d", i+1) }

// definition generates a survey definition of n items in sections of perSection.
func definition(id string, n, perSection int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `id: %s
version: 1
title: {en: "Load test: %d items"}
description: {en: "A generated survey for delphi-load."}
scale:
  min: 1
  max: 9
  labels:
    1: {en: "Not important"}
    9: {en: "Critical"}
  bands:
    - {id: low, from: 1, to: 3, label: {en: "Not important"}}
    - {id: mid, from: 4, to: 6, label: {en: "Important but not critical"}}
    - {id: high, from: 7, to: 9, label: {en: "Critical"}}
  unable: {en: "Unable to score"}
placement:
  label: {en: "Where does this item belong?"}
  options: [core, expansion, not_needed]
consensus:
  rule: comet
  in: {high_at_least: 70, low_below: 15}
  out: {low_at_least: 70, high_below: 15}
feedback:
  min_group_size: 5
  show: [own, distribution, groups, median, comments]
groups:
`, id, n)
	for _, g := range groups {
		fmt.Fprintf(&b, "  - {id: %s, label: {en: %q}}\n", g, g)
	}
	b.WriteString("sections:\n")
	for i := 0; i < n; i++ {
		if i%perSection == 0 {
			s := i/perSection + 1
			fmt.Fprintf(&b, "  - id: section_%02d\n    label: {en: \"Section %d\"}\n    items:\n", s, s)
		}
		fmt.Fprintf(&b, "      - id: %s\n        label: {en: \"Parameter %d of the generated survey\"}\n        proposed_tier: core\n", itemID(i), i+1)
	}
	return b.String()
}

// mix is a cheap deterministic hash of a panelist, an item and a save's sequence number.
func mix(p, i, n int) uint64 {
	x := uint64(p)*0x9E3779B97F4A7C15 ^ uint64(i)*0xC2B2AE3D27D4EB4F ^ uint64(n)*0x165667B19E3779F9
	x ^= x >> 31
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 29
	return x
}

// answerValue is the answer panelist p gives to item i in their n-th save: a rating 1..9 around
// an item centre (2% unable), a placement on 30% of answers and a comment on 3%.
func answerValue(p, i, n int) (rating int, unable bool, placement, comment string) {
	h := mix(p, i, n)
	centre := 1 + int(mix(0, i, 0)%9)
	rating = min(9, max(1, centre+int(h%5)-2))
	if h>>8%100 < 2 {
		return 0, true, "", ""
	}
	if h>>16%100 < 30 {
		placement = []string{"core", "expansion", "not_needed"}[h>>24%3]
	}
	if h>>32%100 < 3 {
		comment = fmt.Sprintf("Comment %d on %s (save %d).", p, itemID(i), n)
	}
	return rating, false, placement, comment
}

// answerJSON is an answer as the API takes it.
type answerJSON struct {
	Item      string `json:"item"`
	Rating    *int   `json:"rating,omitempty"`
	Unable    bool   `json:"unable,omitempty"`
	Placement string `json:"placement,omitempty"`
	Comment   string `json:"comment,omitempty"`
}

func makeAnswer(p, i, n int) answerJSON {
	r, unable, placement, comment := answerValue(p, i, n)
	a := answerJSON{Item: itemID(i), Unable: unable, Placement: placement, Comment: comment}
	if !unable {
		a.Rating = &r
	}
	return a
}
