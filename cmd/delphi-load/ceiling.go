package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/cart-cd/delphi/internal/store"
)

// writerDSN is the store's write connection: WAL, synchronous=FULL, foreign keys, immediate
// transactions (store.Open builds the same).
func writerDSN(path string) string {
	q := url.Values{}
	q.Set("_foreign_keys", "on")
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "5000")
	q.Set("_synchronous", "FULL")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// ceiling measures the raw one-transaction-per-submission rate: on a fresh database with the
// real schema, one connection writes submissions of `answers` answers, each in its own
// transaction with the store's upsert statement (prepared once),
// committed with synchronous=FULL. No HTTP, no group commit. It returns submissions per second.
func ceiling(ctx context.Context, path string, panelists, answers int, d time.Duration) (float64, error) {
	st, err := store.Open(ctx, path, time.Now)
	if err != nil {
		return 0, err
	}
	if err := st.Close(); err != nil {
		return 0, err
	}
	db, err := sql.Open("sqlite3", writerDSN(path))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	now := store.FormatTime(time.Now())
	setup := []string{
		`INSERT INTO studies (id, survey_id, title, definition, definition_hash, created_at) VALUES (1, 'ceiling', 'ceiling', x'00', 'x', '` + now + `')`,
		`INSERT INTO rounds (id, study_id, number, state, created_at) VALUES (1, 1, 1, 'open', '` + now + `')`,
	}
	for _, q := range setup {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return 0, fmt.Errorf("ceiling setup: %w", err)
		}
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	for p := 1; p <= panelists; p++ {
		if _, err := tx.ExecContext(ctx, `INSERT INTO panelists (id, study_id, pseudonym, name, email, grp, created_at) VALUES (?, 1, ?, 'x', ?, 'g', ?)`,
			p, fmt.Sprintf("P%05d", p), fmt.Sprintf("p%d@example.org", p), now); err != nil {
			return 0, fmt.Errorf("ceiling setup: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	items := make([]string, answers)
	for i := range items {
		items[i] = itemID(i)
	}
	// prepared once, as the store's connections keep their statements
	prep, err := db.PrepareContext(ctx, store.UpsertAnswerSQL)
	if err != nil {
		return 0, err
	}
	defer prep.Close()
	n := 0
	start := time.Now()
	for time.Since(start) < d && ctx.Err() == nil {
		p := 1 + n%panelists
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		stmt := tx.StmtContext(ctx, prep)
		at := store.FormatTime(time.Now())
		for i, it := range items {
			r, unable, placement, comment := answerValue(p, i, n)
			var rating any
			if !unable {
				rating = r
			}
			if _, err := stmt.ExecContext(ctx, 1, p, it, rating, unable, placement, comment, "", at); err != nil {
				stmt.Close()
				tx.Rollback()
				return 0, err
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
