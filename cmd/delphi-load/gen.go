package main

import "github.com/cart-cd/delphi/internal/loadgen"

// answerJSON is an answer as the API takes it.
type answerJSON struct {
	Item      string `json:"item"`
	Rating    *int   `json:"rating,omitempty"`
	Unable    bool   `json:"unable,omitempty"`
	Placement string `json:"placement,omitempty"`
	Comment   string `json:"comment,omitempty"`
}

func makeAnswer(p, i, n int) answerJSON {
	r, unable, placement, comment := loadgen.AnswerValue(p, i, n)
	a := answerJSON{Item: loadgen.ItemID(i), Unable: unable, Placement: placement, Comment: comment}
	if !unable {
		a.Rating = &r
	}
	return a
}
