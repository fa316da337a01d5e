// Package store owns delphi's SQLite database: the connection settings, the embedded migrations,
// and every SQL statement. It returns its own row types and the sentinel errors ErrNotFound and
// ErrConflict; it knows nothing of HTTP or of the Delphi rules, which live in internal/delphi.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// ErrNotFound is returned when a row asked for does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write breaks a unique or check constraint.
var ErrConflict = errors.New("conflict")

// TimeFormat is how times are stored: UTC RFC 3339 with nanoseconds, so text order is time order.
const TimeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// Store is the database. Writes go through one connection (SQLite has one writer; a pool of
// writers only queues on the lock and risks SQLITE_BUSY), reads through a read-only pool.
type Store struct {
	w   *sqlx.DB
	r   *sqlx.DB
	now func() time.Time

	ck         *sql.DB       // the checkpointer's connection
	kick       chan struct{} // a commit tells the checkpointer there is WAL to fold
	ckDone     chan struct{}
	queue      chan writeReq
	commits    atomic.Uint64 // transactions committed by the writer
	meta       atomic.Uint64 // see Meta
	votes      atomic.Uint64 // see Votes
	closed     chan struct{}
	writerDone chan struct{}
	closeOnce  sync.Once
}

// Open opens (creating if needed) the database file at path and applies pending migrations.
//
// synchronous=FULL: an answer acknowledged with 2xx must survive a power cut, not just a killed
// process (NORMAL in WAL mode survives kill -9 but may lose the last commits on power loss).
func Open(ctx context.Context, path string, now func() time.Time) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: create directory: %w", err)
		}
	}
	// The database holds personal data: owner-only. SQLite gives its -wal and -shm files the
	// database file's permissions, so creating this one 0600 covers them.
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("store: create %s: %w", path, err)
	}
	q := writerQuery()
	dsn := "file:" + path + "?" + q.Encode()
	// The checkpointer folds the WAL into the file on its own connection, beside the writer (see
	// checkpointer): writing and syncing thousands of pages inside a commit would stall every
	// save queued behind it. The writer keeps a late checkpoint of its own as a backstop: only
	// a writer that begins after a complete checkpoint starts the WAL again from the beginning,
	// and under a steady stream of saves the writer always begins while the checkpointer is
	// still copying, so without it the WAL would grow for as long as the stream lasts. By then
	// the checkpointer has copied most of the frames, so the backstop has little left to do.
	w := sqlx.NewDb(sql.OpenDB(connector{dsn: dsn, drv: &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		for _, pragma := range []string{
			"PRAGMA wal_autocheckpoint = " + strconv.Itoa(writerCheckpointPages),
			"PRAGMA journal_size_limit = " + strconv.Itoa(walSizeLimit), // the file shrinks back after a burst
		} {
			if _, err := c.Exec(pragma, nil); err != nil {
				return err
			}
		}
		return nil
	}}}), "sqlite3")
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	ck, err := sql.Open("sqlite3", dsn)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open checkpointer %s: %w", path, err)
	}
	ck.SetMaxOpenConns(1)
	ck.SetConnMaxLifetime(0)
	s := &Store{w: w, ck: ck, now: now, kick: make(chan struct{}, 1), ckDone: make(chan struct{}),
		queue: make(chan writeReq, maxBatch), closed: make(chan struct{}), writerDone: make(chan struct{})}
	go s.writer()
	go s.checkpointer()
	if err := s.migrate(ctx); err != nil {
		s.stopWriter()
		ck.Close()
		w.Close()
		return nil, err
	}
	q.Set("_query_only", "on")
	q.Set("_txlock", "deferred")
	r, err := sqlx.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		s.stopWriter()
		ck.Close()
		w.Close()
		return nil, fmt.Errorf("store: open reader %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	s.r = r
	return s, nil
}

// writerQuery is the write connection's settings: WAL, synchronous=FULL, foreign keys,
// immediate transactions.
func writerQuery() url.Values {
	q := url.Values{}
	q.Set("_foreign_keys", "on")
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "5000")
	q.Set("_synchronous", "FULL")
	q.Set("_txlock", "immediate")
	// Each connection keeps its prepared statements: preparing costs more than running most of
	// our queries (a save is a handful of indexed lookups and one multi-row upsert).
	q.Set("_stmt_cache_size", "64")
	return q
}

// DSN is the data source name of the store's write connection to the file at path, for tools
// that open the file themselves with the same settings (the load tool seeds and checks it).
func DSN(path string) string { return "file:" + path + "?" + writerQuery().Encode() }

// Close stops the writer (after the batch in hand) and the checkpointer, and closes the
// connections (SQLite folds the WAL into the file as the last one closes).
func (s *Store) Close() error {
	s.stopWriter()
	return errors.Join(s.r.Close(), s.ck.Close(), s.w.Close())
}

func (s *Store) stopWriter() {
	s.closeOnce.Do(func() { close(s.closed) })
	<-s.writerDone
	<-s.ckDone
}

// writerCheckpointPages is the WAL size (in 4 KB pages) at which the writer checkpoints
// itself, and walSizeLimit the size the WAL file is cut back to once restarted.
const (
	writerCheckpointPages = 4000
	walSizeLimit          = 64 << 20
)

// checkpointEvery spaces the checkpoints: often enough that the WAL stays a few MB under a
// burst of saves, rarely enough that each folds many commits at once.
const checkpointEvery = 200 * time.Millisecond

// checkpointer folds the WAL into the database file after commits, at most every
// checkpointEvery, until the store closes. A PASSIVE checkpoint takes no lock the writer needs:
// it copies what no reader still uses and leaves the rest for the next time (or for the
// writer's backstop, writerCheckpointPages).
func (s *Store) checkpointer() {
	defer close(s.ckDone)
	for {
		select {
		case <-s.kick:
		case <-s.closed:
			return
		}
		// A failure is not fatal: the WAL grows until the next one succeeds, and what made it
		// fail (a full disk, a read-only file) fails the writes too, which say so.
		_, _ = s.ck.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
		select {
		case <-time.After(checkpointEvery):
		case <-s.closed:
			return
		}
	}
}

// connector opens connections with a driver of our own settings, without registering a driver
// name globally.
type connector struct {
	dsn string
	drv *sqlite3.SQLiteDriver
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.drv }

// Ping checks that the database answers (for /readyz).
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.r.GetContext(ctx, &one, `SELECT 1`)
}

// Now returns the store's clock reading in UTC.
func (s *Store) Now() time.Time { return s.now().UTC() }

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("store: list migrations: %w", err)
	}
	sort.Strings(names)
	var applied []string
	if err := s.w.SelectContext(ctx, &applied, `SELECT version FROM schema_migrations ORDER BY version`); err != nil {
		return fmt.Errorf("store: read schema_migrations: %w", err)
	}
	known := map[string]bool{}
	for _, n := range names {
		known[strings.TrimSuffix(filepath.Base(n), ".sql")] = true
	}
	done := map[string]bool{}
	for _, v := range applied {
		if !known[v] {
			return fmt.Errorf("store: database has migration %s that this binary does not know: it was written by a newer delphi", v)
		}
		done[v] = true
	}
	for _, n := range names {
		v := strings.TrimSuffix(filepath.Base(n), ".sql")
		if done[v] {
			continue
		}
		body, err := migrationFS.ReadFile(n)
		if err != nil {
			return fmt.Errorf("store: read migration %s: %w", v, err)
		}
		err = s.InTx(ctx, func(tx *Tx) error {
			if _, err := tx.tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, v, tx.Now())
			return err
		})
		if err != nil {
			return fmt.Errorf("store: apply migration %s: %w", v, err)
		}
	}
	return nil
}

// Migrations returns the versions applied, in order.
func (s *Store) Migrations(ctx context.Context) ([]string, error) {
	var v []string
	err := s.r.SelectContext(ctx, &v, `SELECT version FROM schema_migrations ORDER BY version`)
	return v, err
}

// Tx is one unit of write work inside a transaction. Every method on it sees the same clock
// reading.
type Tx struct {
	tx   *sqlx.Tx
	now  string
	ctx  context.Context
	meta *atomic.Uint64
}

// Now is the transaction's time, formatted for storage.
func (tx *Tx) Now() string { return tx.now }

// maxBatch bounds how many queued writes share one commit.
const maxBatch = 128

// writeReq is a queued unit of write work and where its outcome goes.
type writeReq struct {
	ctx     context.Context
	fn      func(*Tx) error
	done    chan error
	answers bool // an InAnswerTx unit: it writes answers and nothing else
	votes   bool // an InVoteTx unit (answers is set too): meeting attendees and votes
}

// InTx runs fn as one atomic unit of write work: all of it is committed if fn returns nil, none
// of it otherwise. It returns once the outcome is durable.
//
// Group commit: one goroutine owns the write connection. It takes the queued units, runs each
// under its own SAVEPOINT inside one transaction, commits once, and then answers each. With
// synchronous=FULL the fsync dominates a small write, so sharing it is what lets many experts
// save at once; a unit that fails is rolled back to its savepoint without touching the others.
func (s *Store) InTx(ctx context.Context, fn func(*Tx) error) error {
	return s.enqueue(writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)})
}

// AnswerTx is a unit of an expert's own work: it may read the round it answers, and write
// answers, a submission, their audit entries and the first opening of the expert's link (and
// of their round), nothing else. Such units leave Meta
// unchanged, which is what lets the readers of everything else (studies, rounds, panelists,
// invitations) keep their caches while a panel saves and submits.
type AnswerTx struct{ tx *Tx }

// InAnswerTx is InTx for a unit that writes only answers and submissions (AnswerTx).
func (s *Store) InAnswerTx(ctx context.Context, fn func(*AnswerTx) error) error {
	return s.enqueue(writeReq{ctx: ctx, fn: func(tx *Tx) error { return fn(&AnswerTx{tx}) }, done: make(chan error, 1), answers: true})
}

// Meta is the value of Store.Meta as the unit runs: it includes the units before it in the same
// batch. If it equals the value read before some data was read, no other write has happened
// since, in the database or in this transaction.
func (a *AnswerTx) Meta() uint64 { return a.tx.meta.Load() }

// Round reads a study's round by number.
func (a *AnswerTx) Round(studyID int64, n int) (Round, error) { return a.tx.Round(studyID, n) }

// InRound says whether a panelist is invited to a round.
func (a *AnswerTx) InRound(roundID, panelistID int64) (bool, error) {
	return a.tx.InRound(roundID, panelistID)
}

// RoundItems lists a round's items.
func (a *AnswerTx) RoundItems(roundID int64) ([]RoundItem, error) { return a.tx.RoundItems(roundID) }

// UpsertAnswers writes answers; see Tx.UpsertAnswers.
func (a *AnswerTx) UpsertAnswers(as []Answer) error { return a.tx.UpsertAnswers(as) }

// Submit records a submission; see Tx.Submit.
func (a *AnswerTx) Submit(roundID, panelistID int64) error { return a.tx.Submit(roundID, panelistID) }

// OpenInvitation records when a link was first used; a link opened before keeps its time.
func (a *AnswerTx) OpenInvitation(id string) error {
	_, err := a.tx.exec("open invitation", `UPDATE invitations SET opened_at = ? WHERE id = ? AND opened_at IS NULL`, a.tx.now, id)
	return err
}

// OpenRound records when a panelist first opened their link while a round was open; a later
// opening keeps the first time.
func (a *AnswerTx) OpenRound(roundID, panelistID int64) error {
	_, err := a.tx.exec("open round", `UPDATE round_panelists SET opened_at = ? WHERE round_id = ? AND panelist_id = ? AND opened_at IS NULL`,
		a.tx.now, roundID, panelistID)
	return err
}

// Audit records an entry of the audit log; see Tx.Audit.
func (a *AnswerTx) Audit(actor, action string, studyID int64, detail string) error {
	return a.tx.Audit(actor, action, studyID, detail)
}

func (s *Store) enqueue(r writeReq) error {
	select {
	case s.queue <- r:
	case <-s.closed:
		return errors.New("store: closed")
	}
	// Wait for the outcome even if ctx ends: the unit may be committing, and the caller must not
	// report a failure for work that became durable.
	select {
	case err := <-r.done:
		return err
	case <-s.writerDone:
		select {
		case err := <-r.done:
			return err
		default:
			return errors.New("store: closed")
		}
	}
}

// writer is the one goroutine that writes.
func (s *Store) writer() {
	defer close(s.writerDone)
	batch := make([]writeReq, 0, maxBatch)
	for {
		var first writeReq
		select {
		case first = <-s.queue:
		case <-s.closed:
			for {
				select {
				case r := <-s.queue:
					r.done <- errors.New("store: closed")
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	drain:
		for len(batch) < maxBatch {
			select {
			case r := <-s.queue:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		s.commit(batch)
	}
}

// commit runs a batch in one transaction and answers every request in it.
func (s *Store) commit(batch []writeReq) {
	errs := make([]error, len(batch))
	metaUnits, voteUnits := false, false
	answer := func(all error) {
		if metaUnits {
			// again once the transaction is over, committed or not, and before anyone hears of
			// it: a reader that saw the in-batch value may have read the data of before
			s.meta.Add(1)
		}
		if voteUnits {
			s.votes.Add(1) // the same, for Votes
		}
		for i, r := range batch {
			if all != nil && errs[i] == nil {
				errs[i] = all
			}
			r.done <- errs[i]
		}
	}
	// A background context: sqlite3_interrupt on one request's cancellation would roll back the
	// whole shared transaction.
	bg := context.Background()
	t, err := s.w.BeginTxx(bg, nil)
	if err != nil {
		answer(fmt.Errorf("store: begin: %w", mapErr(err)))
		return
	}
	single := len(batch) == 1
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if !single {
			if _, err := t.ExecContext(bg, "SAVEPOINT unit"); err != nil {
				t.Rollback()
				answer(fmt.Errorf("store: savepoint: %w", err))
				return
			}
		}
		errs[i] = run(r.fn, &Tx{tx: t, now: s.Now().Format(TimeFormat), ctx: context.WithoutCancel(r.ctx), meta: &s.meta})
		if !r.answers {
			// before the commit too, for the units after this one in the batch (AnswerTx.Meta)
			s.meta.Add(1)
			metaUnits = true
		}
		if r.votes {
			s.votes.Add(1)
			voteUnits = true
		}
		if single {
			break
		}
		if errs[i] != nil {
			if _, err := t.ExecContext(bg, "ROLLBACK TO unit"); err != nil {
				t.Rollback()
				answer(fmt.Errorf("store: roll back a failed unit: %w", err))
				return
			}
		}
		if _, err := t.ExecContext(bg, "RELEASE unit"); err != nil {
			t.Rollback()
			answer(fmt.Errorf("store: release savepoint: %w", err))
			return
		}
	}
	if single && errs[0] != nil {
		t.Rollback()
		answer(nil)
		return
	}
	if err := t.Commit(); err != nil {
		answer(fmt.Errorf("store: commit: %w", mapErr(err)))
		return
	}
	s.commits.Add(1)
	select {
	case s.kick <- struct{}{}:
	default:
	}
	answer(nil)
}

// Version counts the write transactions committed so far. It changes whenever the data may
// have changed, so a result read from the database when Version was v stays exact for as long
// as Version is v: this process is the database's only writer (DESIGN.md §7: one process on
// SQLite). Read it before the queries whose result it tags.
func (s *Store) Version() uint64 { return s.commits.Load() }

// Meta counts the units of write work other than InAnswerTx ones, and changes again once their
// transaction is over. Anything but answers, submissions and the audit log read when Meta was m
// is exact for as long as Meta is m: readers cache studies, rounds and experts' credentials against it while
// a panel saves answers (which moves Version, not Meta). Read it before the queries.
func (s *Store) Meta() uint64 { return s.meta.Load() }

// Votes counts the InVoteTx units (meeting joins, votes), and changes again once their
// transaction is over: what a meeting's attendees and votes decide, read when Meta was m and
// Votes was v, is exact for as long as both hold, whatever answers are saved meanwhile.
func (s *Store) Votes() uint64 { return s.votes.Load() }

// run calls fn, turning a panic into an error so that the writer goroutine survives it.
func run(fn func(*Tx) error, tx *Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("store: panic in transaction: %v", v)
		}
	}()
	return fn(tx)
}

// mapErr turns SQLite constraint failures into ErrConflict and no rows into ErrNotFound,
// keeping the original message.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if u := unavailable(err); u != nil {
		return u
	}
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrConstraint {
		return fmt.Errorf("%w: %s", ErrConflict, se.Error())
	}
	return err
}

// ParseTime reads a stored time; empty means zero.
func ParseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, _ := time.Parse(TimeFormat, s)
	return t
}

// FormatTime formats t for storage.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }
