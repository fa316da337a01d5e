// Package loadgen generates studies for the load tool (cmd/delphi-load) and the benchmarks:
// a survey definition of any size, the answers each panelist gives (deterministic), and a
// round filled straight into the database, so that both measure the same data.
package loadgen

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/cart-cd/delphi/internal/store"
)

// Groups are the stakeholder groups of the generated surveys.
var Groups = []string{"haematologist", "nurse", "data_manager", "pharmacist", "patient_representative", "methodologist"}

// ItemID is the id of the i-th item (from 0) of a generated survey.
func ItemID(i int) string { return fmt.Sprintf("item_%03d", i+1) }

// Definition generates a survey definition of n items in sections of perSection.
func Definition(id string, n, perSection int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `id: %s
version: 1
title: {en: "Load test: %d items"}
description: {en: "A generated survey for delphi-load and the benchmarks."}
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
	for _, g := range Groups {
		fmt.Fprintf(&b, "  - {id: %s, label: {en: %q}}\n", g, g)
	}
	b.WriteString("sections:\n")
	for i := 0; i < n; i++ {
		if i%perSection == 0 {
			s := i/perSection + 1
			fmt.Fprintf(&b, "  - id: section_%02d\n    label: {en: \"Section %d\"}\n    items:\n", s, s)
		}
		fmt.Fprintf(&b, "      - id: %s\n        label: {en: \"Parameter %d of the generated survey\"}\n        proposed_tier: core\n", ItemID(i), i+1)
	}
	return b.String()
}

// Mix is a cheap deterministic hash of a panelist, an item and a save's sequence number.
func Mix(p, i, n int) uint64 {
	x := uint64(p)*0x9E3779B97F4A7C15 ^ uint64(i)*0xC2B2AE3D27D4EB4F ^ uint64(n)*0x165667B19E3779F9
	x ^= x >> 31
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 29
	return x
}

// AnswerValue is the answer panelist p gives to item i in their n-th save: a rating 1..9 around
// an item centre (2% unable), a placement on 30% of answers and a comment on 3%.
func AnswerValue(p, i, n int) (rating int, unable bool, placement, comment string) {
	h := Mix(p, i, n)
	centre := 1 + int(Mix(0, i, 0)%9)
	rating = min(9, max(1, centre+int(h%5)-2))
	if h>>8%100 < 2 {
		return 0, true, "", ""
	}
	if h>>16%100 < 30 {
		placement = []string{"core", "expansion", "not_needed"}[h>>24%3]
	}
	if h>>32%100 < 3 {
		comment = fmt.Sprintf("Comment %d on %s (save %d).", p, ItemID(i), n)
	}
	return rating, false, placement, comment
}

// SeedRound writes answers for every panelist of the study's round 1 straight into the
// database (the server is idle meanwhile; SQLite's lock and busy timeout keep it safe): 2% of
// answers blank, 98% of panelists submitted. It returns the number of answers written.
func SeedRound(ctx context.Context, path string, sid int64, items int) (int, error) {
	db, err := sql.Open("sqlite3", store.DSN(path))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var rid int64
	if err := db.QueryRowContext(ctx, `SELECT id FROM rounds WHERE study_id = ? AND number = 1`, sid).Scan(&rid); err != nil {
		return 0, err
	}
	var pids []int64
	rows, err := db.QueryContext(ctx, `SELECT panelist_id FROM round_panelists WHERE round_id = ? ORDER BY panelist_id`, rid)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		pids = append(pids, id)
	}
	rows.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	const per = 100
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO answers (round_id, panelist_id, item_id, rating, unable, placement, comment, reason, updated_at) VALUES `+
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, '', ?),", per), ","))
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	at := store.FormatTime(time.Now())
	args := make([]any, 0, per*8)
	n := 0
	flush := func(force bool) error {
		if len(args) == per*8 {
			_, err := stmt.ExecContext(ctx, args...)
			args = args[:0]
			return err
		}
		if force && len(args) > 0 {
			k := len(args) / 8
			_, err := tx.ExecContext(ctx, `INSERT INTO answers (round_id, panelist_id, item_id, rating, unable, placement, comment, reason, updated_at) VALUES `+
				strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, '', ?),", k), ","), args...)
			args = args[:0]
			return err
		}
		return nil
	}
	for p, pid := range pids {
		for i := 0; i < items; i++ {
			if Mix(p, i, 7)%100 < 2 {
				continue
			}
			r, unable, placement, comment := AnswerValue(p, i, 0)
			var rating any
			if !unable {
				rating = r
			}
			args = append(args, rid, pid, ItemID(i), rating, unable, placement, comment, at)
			n++
			if err := flush(false); err != nil {
				return 0, err
			}
		}
	}
	if err := flush(true); err != nil {
		return 0, err
	}
	for p, pid := range pids {
		if Mix(p, 0, 9)%100 < 2 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO submissions (round_id, panelist_id, submitted_at) VALUES (?, ?, ?)`, rid, pid, at); err != nil {
			return 0, err
		}
	}
	return n, tx.Commit()
}
