package main

import (
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/cart-cd/delphi/internal/store"
)

// expect remembers, per panelist and item, the answer last acknowledged with 2xx. Each panelist
// is driven by one client at a time, so each entry has one writer.
type expect struct {
	ids   []int64
	items []map[string]expected
	acks  atomic.Int64
	lost  atomic.Int64
}

type expected struct {
	a      answerJSON
	unsure bool // a save of this item got no answer: either value may be stored
}

func newExpect(links []link, items int) *expect {
	e := &expect{ids: make([]int64, len(links)), items: make([]map[string]expected, len(links))}
	for i, l := range links {
		e.ids[i] = l.PanelistID
		e.items[i] = make(map[string]expected, items)
	}
	return e
}

func (e *expect) acked(p int, as []answerJSON) {
	e.acks.Add(1)
	for _, a := range as {
		e.items[p][a.Item] = expected{a: a}
	}
}

func (e *expect) unsure(p int, as []answerJSON) {
	e.lost.Add(1)
	for _, a := range as {
		e.items[p][a.Item] = expected{a: a, unsure: true}
	}
}

// check opens the database after the server was killed and compares every stored answer of
// round 1 with what was acknowledged. It returns a one-line verdict, or an error listing the
// first differences.
func (e *expect) check(path string) (string, error) {
	db, err := sql.Open("sqlite3", store.DSN(path))
	if err != nil {
		return "", err
	}
	defer db.Close()
	byID := make(map[int64]int, len(e.ids))
	for i, id := range e.ids {
		byID[id] = i
	}
	got := make([]map[string]answerJSON, len(e.ids))
	for i := range got {
		got[i] = map[string]answerJSON{}
	}
	rows, err := db.Query(`SELECT a.panelist_id, a.item_id, a.rating, a.unable, a.placement, a.comment
		FROM answers a JOIN rounds r ON r.id = a.round_id WHERE r.number = 1 AND r.study_id =
		(SELECT study_id FROM panelists WHERE id = ?)`, e.ids[0])
	if err != nil {
		return "", err
	}
	defer rows.Close()
	for rows.Next() {
		var pid int64
		var a answerJSON
		var rating sql.NullInt64
		if err := rows.Scan(&pid, &a.Item, &rating, &a.Unable, &a.Placement, &a.Comment); err != nil {
			return "", err
		}
		if rating.Valid {
			v := int(rating.Int64)
			a.Rating = &v
		}
		if p, ok := byID[pid]; ok {
			got[p][a.Item] = a
		}
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	var bad []string
	checked, unsure := 0, 0
	for p, m := range e.items {
		for item, want := range m {
			if want.unsure {
				unsure++
				continue
			}
			checked++
			g, ok := got[p][item]
			if !ok || !same(g, want.a) {
				if len(bad) < 5 {
					bad = append(bad, fmt.Sprintf("panelist %d item %s: acknowledged %s, stored %s", e.ids[p], item, show(want.a), show(g)))
				}
				if len(bad) == 5 {
					bad = append(bad, "…")
				}
			}
		}
	}
	if len(bad) > 0 {
		return "", fmt.Errorf("acknowledged answers missing or different after kill -9:\n  %s", strings.Join(bad, "\n  "))
	}
	return fmt.Sprintf("ok: %d acknowledged saves, %d answers checked after kill -9 (%d without reply, not checked)",
		e.acks.Load(), checked, unsure), nil
}

func same(a, b answerJSON) bool {
	r := func(x *int) int {
		if x == nil {
			return -1
		}
		return *x
	}
	return a.Item == b.Item && r(a.Rating) == r(b.Rating) && a.Unable == b.Unable && a.Placement == b.Placement && a.Comment == b.Comment
}

func show(a answerJSON) string {
	if a.Item == "" {
		return "nothing"
	}
	if a.Rating != nil {
		return fmt.Sprintf("rating %d %q %q", *a.Rating, a.Placement, a.Comment)
	}
	return fmt.Sprintf("unable=%v %q %q", a.Unable, a.Placement, a.Comment)
}
