package main

import (
	"context"
	"fmt"
	"time"

	"github.com/cart-cd/delphi/internal/loadgen"
	"github.com/cart-cd/delphi/internal/store"
)

// ceiling measures the raw one-transaction-per-submission rate: on a fresh database with the
// real schema, submissions of `answers` answers go one after another, each in its own
// transaction, through the store's own upsert (store.Tx.UpsertAnswers, the statement the
// service runs), committed with synchronous=FULL. No HTTP, no concurrency, so no group
// commit: each commit is one submission. It returns submissions per second.
func ceiling(ctx context.Context, path string, panelists, answers int, d time.Duration) (float64, error) {
	st, err := store.Open(ctx, path, time.Now)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	items := make([]string, answers)
	ri := make([]store.RoundItem, answers)
	for i := range items {
		items[i] = loadgen.ItemID(i)
		ri[i] = store.RoundItem{ItemID: items[i], SectionID: "s"}
	}
	var round int64
	var ids []int64
	err = st.InTx(ctx, func(tx *store.Tx) error {
		study, err := tx.CreateStudy("ceiling", "ceiling", []byte("id: ceiling"), "x", "", 0)
		if err != nil {
			return err
		}
		ps := make([]store.Panelist, panelists)
		for p := range ps {
			ps[p] = store.Panelist{Name: "x", Email: fmt.Sprintf("p%d@example.org", p+1), Group: "g", Language: "en"}
		}
		if ids, err = tx.AddPanelists(study, ps); err != nil {
			return err
		}
		round, err = tx.CreateOpenRound(store.NewRound{StudyID: study, Number: 1, Rule: "{}", RuleHash: "x", Items: ri, Panelists: ids})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("ceiling setup: %w", err)
	}
	rows := make([]store.Answer, answers)
	ratings := make([]int, answers)
	n := 0
	start := time.Now()
	for time.Since(start) < d && ctx.Err() == nil {
		p := n % panelists
		for i, it := range items {
			r, unable, placement, comment := loadgen.AnswerValue(p+1, i, n)
			ratings[i] = r
			rows[i] = store.Answer{RoundID: round, PanelistID: ids[p], ItemID: it, Unable: unable, Placement: placement, Comment: comment}
			if !unable {
				rows[i].Rating = &ratings[i]
			}
		}
		if err := st.InAnswerTx(ctx, func(tx *store.AnswerTx) error { return tx.UpsertAnswers(rows) }); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
