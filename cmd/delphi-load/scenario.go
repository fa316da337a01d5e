package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cart-cd/delphi/internal/loadgen"
)

const (
	nItems    = 40  // items of the save survey (one section: a section save is 40 answers)
	bigItems  = 300 // items of the close and report survey
	bigPerSec = 20  // items per section of the big survey
)

// phase is one timed phase: a request kind under concurrency, with the server's resources.
type phase struct {
	Kind    string
	Clients int
	latency
	ServerCPU float64 // cores
	LoadCPU   float64 // cores used by this tool
	ServerRSS int64
	Note      string
}

// closeResult is closing one 300-item round.
type closeResult struct {
	Panelists int
	Answers   int
	Seconds   float64 // POST …/close round trip
	PeakRSS   int64   // of a server started just before (VmHWM after the close)
	ServerCPU float64 // CPU seconds the server used during the close
}

// result is one run.
type result struct {
	Ceiling   float64 // submissions of 40 answers per second, raw
	Phases    []phase
	Closes    []closeResult
	Durable   string
	ReportURL string
	Meeting   *meetingResult
}

func (r *result) phase(kind string) *phase {
	for i := range r.Phases {
		if r.Phases[i].Kind == kind {
			return &r.Phases[i]
		}
	}
	return nil
}

// env is the server under test and what the set-up made.
type env struct {
	c      *config
	dir    string
	out    io.Writer
	srv    *server
	cl     *client
	staff  string
	sid    int64
	links  []link // round 1, by panelist index
	links2 []link // round 2
	exp    *expect
}

type link struct {
	PanelistID int64  `json:"panelist_id"`
	Token      string `json:"token"`
}

func (e *env) logf(format string, args ...any) {
	if e.c.Verbose {
		fmt.Fprintf(e.out, "  · "+format+"\n", args...)
	}
}

func oneRun(ctx context.Context, c *config, dir string, out io.Writer) (*result, error) {
	r := &result{}
	e := &env{c: c, dir: dir, out: out}
	var err error
	if !c.Skip["ceiling"] {
		e.logf("raw ceiling (%s)", c.Phase)
		if r.Ceiling, err = ceiling(ctx, filepath.Join(dir, "ceiling.db"), c.Panelists, nItems, c.Phase); err != nil {
			return nil, fmt.Errorf("ceiling: %w", err)
		}
	}
	db := filepath.Join(dir, "delphi.db")
	if err := e.start(ctx, db); err != nil {
		return nil, err
	}
	defer func() {
		if e.srv != nil {
			e.srv.kill()
		}
	}()
	if err := e.setup(ctx); err != nil {
		return nil, fmt.Errorf("set-up: %w", err)
	}
	if !c.Skip["section"] {
		r.Phases = append(r.Phases, e.saves(ctx, "save-40", c.Section, nItems))
	}
	if !c.Skip["autosave"] {
		r.Phases = append(r.Phases, e.saves(ctx, "save-1", c.Autosave, 1))
	}
	if err := e.submitAll(ctx, r); err != nil {
		return nil, err
	}
	if !c.Skip["progress"] {
		r.Phases = append(r.Phases, e.progress(ctx))
	}
	if !c.Skip["meeting"] {
		ps, mr, err := e.meeting(ctx, c.Attendees, c.MeetingSpread)
		if err != nil {
			return nil, fmt.Errorf("meeting: %w", err)
		}
		r.Phases, r.Meeting = append(r.Phases, ps...), mr
	}
	// kill -9, then check that every acknowledged answer is on disk
	e.srv.kill()
	e.srv = nil
	if r.Durable, err = e.exp.check(db); err != nil {
		return nil, fmt.Errorf("durability check: %w", err)
	}
	e.logf("durability: %s", r.Durable)
	if err := e.start(ctx, db); err != nil {
		return nil, err
	}
	if !c.Skip["page"] {
		ps, err := e.round2(ctx)
		if err != nil {
			return nil, err
		}
		r.Phases = append(r.Phases, ps...)
	}
	if !c.Skip["close"] || !c.Skip["report"] {
		sizes := c.BigClose
		if c.Skip["close"] {
			sizes = sizes[:min(1, len(sizes))]
		}
		// every close first: the report phases close more rounds, which would grow the file
		// under a later close
		var first int64
		for k, n := range sizes {
			cr, sid, err := e.bigClose(ctx, db, n)
			if err != nil {
				return nil, fmt.Errorf("close %d×%d: %w", n, bigItems, err)
			}
			r.Closes = append(r.Closes, cr)
			if k == 0 {
				first = sid
			}
		}
		if len(sizes) > 0 && !c.Skip["report"] {
			ps, err := e.report(ctx, db, first)
			if err != nil {
				return nil, fmt.Errorf("report: %w", err)
			}
			r.Phases = append(r.Phases, ps...)
		}
	}
	return r, nil
}

// start (re)starts the server over db and signs in.
func (e *env) start(ctx context.Context, db string) error {
	if e.srv != nil {
		if err := e.srv.stop(); err != nil {
			return err
		}
	}
	srv, err := startServer(ctx, e.c.Bin, db, filepath.Join(e.dir, "server.log"), e.c.Profile)
	if err != nil {
		return err
	}
	e.srv = srv
	cl := newClient(srv.url, max(e.c.Section, e.c.Readers, 64))
	if e.cl != nil {
		cl.rec = e.cl.rec // keep what was recorded across restarts (the report samples after each start)
	}
	e.cl = cl
	var tok struct {
		Token string `json:"token"`
	}
	if err := e.cl.must(ctx, http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]string{"email": "admin@localhost", "password": adminPassword}, &tok); err != nil {
		return err
	}
	e.staff = tok.Token
	return nil
}

// createStudy creates a study from a generated definition with n panelists and opens round 1.
func (e *env) createStudy(ctx context.Context, id string, items, perSection, n int) (int64, error) {
	var st struct {
		ID int64 `json:"id"`
	}
	if err := e.cl.must(ctx, http.StatusCreated, "POST", "/api/v1/studies", e.staff,
		map[string]string{"definition": loadgen.Definition(id, items, perSection), "contact": "load@example.org"}, &st); err != nil {
		return 0, err
	}
	for from := 0; from < n; from += 2000 {
		var rows []map[string]string
		for p := from; p < min(n, from+2000); p++ {
			rows = append(rows, map[string]string{"name": fmt.Sprintf("Expert %d", p+1), "email": fmt.Sprintf("expert%d@example.org", p+1),
				"group": loadgen.Groups[p%len(loadgen.Groups)], "country": []string{"DE", "FR", "IT", "ES", "NL", "SE", "PL"}[p%7]})
		}
		if err := e.cl.must(ctx, http.StatusCreated, "POST", fmt.Sprintf("/api/v1/studies/%d/panelists", st.ID), e.staff, rows, nil); err != nil {
			return 0, err
		}
	}
	if err := e.cl.must(ctx, http.StatusCreated, "POST", fmt.Sprintf("/api/v1/studies/%d/rounds", st.ID), e.staff,
		map[string]any{"deadline": time.Now().Add(30 * 24 * time.Hour)}, nil); err != nil {
		return 0, err
	}
	return st.ID, nil
}

func (e *env) setup(ctx context.Context) error {
	n := e.c.Panelists
	e.logf("study of %d items, %d panelists", nItems, n)
	sid, err := e.createStudy(ctx, "load-40", nItems, nItems, n)
	if err != nil {
		return err
	}
	e.sid = sid
	if err := e.cl.must(ctx, http.StatusCreated, "POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/invitations", sid), e.staff, nil, &e.links); err != nil {
		return err
	}
	if len(e.links) != n {
		return fmt.Errorf("%d links for %d panelists", len(e.links), n)
	}
	e.exp = newExpect(e.links, nItems)
	// every expert consents and opens the questionnaire (not timed as a phase)
	return parallel(n, 16, func(i int) error {
		if err := e.cl.must(ctx, http.StatusOK, "POST", "/api/v1/respond/consent", e.links[i].Token, nil, nil); err != nil {
			return err
		}
		return e.cl.must(ctx, http.StatusOK, "GET", "/api/v1/respond", e.links[i].Token, nil, nil)
	})
}

// measure runs a timed phase and reads the server's CPU and memory around it.
func (e *env) measure(ctx context.Context, kind string, clients int, step func(ctx context.Context, w, i int)) phase {
	e.logf("%s: %d clients for %s", kind, clients, e.c.Phase)
	prof := e.profile(ctx, kind)
	s0, l0 := readProc(e.srv.pid()), readProc(0)
	wall := drive(ctx, clients, e.c.Phase, e.c.MaxReq, step)
	s1, l1 := readProc(e.srv.pid()), readProc(0)
	if err := prof(); err != nil {
		fmt.Fprintf(e.out, "  profile of %s: %v\n", kind, err)
	}
	return phase{Kind: kind, Clients: clients, latency: summarise(e.cl.rec.take(kind), wall),
		ServerCPU: usage(s0, s1), LoadCPU: usage(l0, l1), ServerRSS: s1.rss}
}

// profile starts the server's CPU profile of a phase, when asked for, and returns a function
// that waits for it and writes it to <dir>/<kind>.pprof.
func (e *env) profile(ctx context.Context, kind string) (wait func() error) {
	if e.srv.prof == "" {
		return func() error { return nil }
	}
	done := make(chan error, 1)
	go func() {
		secs := max(1, int(e.c.Phase.Seconds()))
		req, err := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", e.srv.prof, secs), nil)
		if err != nil {
			done <- err
			return
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- err
			return
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			done <- fmt.Errorf("profile: %s", res.Status)
			return
		}
		f, err := os.Create(filepath.Join(e.dir, kind+".pprof"))
		if err != nil {
			done <- err
			return
		}
		_, err = io.Copy(f, res.Body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		done <- err
	}()
	return func() error { return <-done }
}

// saves drives clients saving per answers per request. Client w owns panelists w, w+clients, …,
// so that each panelist's saves are sequential and the last acknowledged value is known.
func (e *env) saves(ctx context.Context, kind string, clients, per int) phase {
	n := len(e.links)
	seq := make([]int, clients)
	ph := e.measure(ctx, kind, clients, func(ctx context.Context, w, i int) {
		own := (n - w + clients - 1) / clients
		k := i % own
		p := w + clients*k
		save := seq[w] + 1_000_000*w + 1 // distinct values per client and save
		seq[w]++
		answers := make([]answerJSON, 0, per)
		first := 0
		if per < nItems {
			first = (i / own * per) % nItems
		}
		for j := 0; j < per; j++ {
			answers = append(answers, makeAnswer(p, (first+j)%nItems, save))
		}
		st, _, err := e.cl.do(ctx, kind, "PUT", "/api/v1/respond/answers", e.links[p].Token, map[string]any{"answers": answers})
		switch {
		case err != nil:
			e.exp.unsure(p, answers)
		case st == http.StatusOK:
			e.exp.acked(p, answers)
		}
	})
	ph.Note = fmt.Sprintf("%d answers per request", per)
	return ph
}

func (e *env) submitAll(ctx context.Context, r *result) error {
	e.logf("submit")
	s0 := readProc(e.srv.pid())
	start := time.Now()
	err := parallel(len(e.links), e.c.Section, func(i int) error {
		st, b, err := e.cl.do(ctx, "submit", "POST", "/api/v1/respond/submit", e.links[i].Token, nil)
		if err != nil {
			return err
		}
		if st != http.StatusOK {
			return fmt.Errorf("submit: %d %s", st, b)
		}
		return nil
	})
	wall := time.Since(start)
	r.Phases = append(r.Phases, phase{Kind: "submit", Clients: e.c.Section, latency: summarise(e.cl.rec.take("submit"), wall),
		ServerCPU: usage(s0, readProc(e.srv.pid())), Note: "each panelist once"})
	return err
}

func (e *env) progress(ctx context.Context) phase {
	path := fmt.Sprintf("/api/v1/studies/%d/rounds/1/progress", e.sid)
	ph := e.measure(ctx, "progress", e.c.Light, func(ctx context.Context, w, i int) {
		e.cl.do(ctx, "progress", "GET", path, e.staff, nil)
	})
	ph.Note = fmt.Sprintf("%d panelists, all submitted", len(e.links))
	return ph
}

// round2 closes round 1, opens round 2 with the same 40 items and reads the questionnaire with
// feedback: the JSON API, and the HTML section page with the cookie of the expert's link.
func (e *env) round2(ctx context.Context) ([]phase, error) {
	base := fmt.Sprintf("/api/v1/studies/%d/rounds", e.sid)
	if err := e.cl.must(ctx, http.StatusOK, "POST", base+"/1/close", e.staff, nil, nil); err != nil {
		return nil, err
	}
	ids := make([]string, nItems)
	for i := range ids {
		ids[i] = loadgen.ItemID(i)
	}
	if err := e.cl.must(ctx, http.StatusCreated, "POST", base, e.staff,
		map[string]any{"items": ids, "deadline": time.Now().Add(30 * 24 * time.Hour)}, nil); err != nil {
		return nil, err
	}
	if err := e.cl.must(ctx, http.StatusCreated, "POST", base+"/2/invitations", e.staff, nil, &e.links2); err != nil {
		return nil, err
	}
	if len(e.links2) == 0 {
		return nil, fmt.Errorf("no round-2 links")
	}
	n := len(e.links2)
	var out []phase
	ph := e.measure(ctx, "questionnaire-r2", e.c.Page, func(ctx context.Context, w, i int) {
		e.cl.do(ctx, "questionnaire-r2", "GET", "/api/v1/respond", e.links2[(w+i*e.c.Page)%n].Token, nil)
	})
	ph.Note = "GET /api/v1/respond, 40 items with round-1 feedback" + e.feedbackCaveat()
	out = append(out, ph)
	// the HTML page experts load (the first section), with the cookie their link sets
	cookies := make([]string, n)
	if err := parallel(n, 16, func(i int) error {
		var err error
		cookies[i], err = e.cl.linkCookie(ctx, e.links2[i].Token)
		return err
	}); err != nil {
		return nil, err
	}
	page := "/respond/section/section_01"
	if st, b, err := e.cl.do(ctx, "", "GET", page, "", nil, "Cookie", cookies[0]); err != nil || st != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %v %.200s", page, st, err, b)
	}
	ph = e.measure(ctx, "page-r2-html", e.c.Page, func(ctx context.Context, w, i int) {
		e.cl.do(ctx, "page-r2-html", "GET", page, "", nil, "Cookie", cookies[(w+i*e.c.Page)%n])
	})
	ph.Note = "GET " + page + " (HTML, the page experts see), 40 items with round-1 feedback" + e.feedbackCaveat()
	out = append(out, ph)
	return out, nil
}

// feedbackCaveat says when round 1 closed without answers (the save phases were skipped): the
// round-2 pages then carry empty feedback, lighter than a real panel's.
func (e *env) feedbackCaveat() string {
	if e.exp.acks.Load() == 0 {
		return " (EMPTY: round 1 had no answers, the save phases were skipped; compare builds only)"
	}
	return ""
}

// bigClose creates a study of n panelists × 300 items, fills round 1 straight into the database
// (2% of answers blank, 98% of panelists submitted), restarts the server so that its peak RSS is
// the close's, and closes the round through the API.
func (e *env) bigClose(ctx context.Context, db string, n int) (closeResult, int64, error) {
	e.logf("close: %d × %d", n, bigItems)
	sid, err := e.createStudy(ctx, fmt.Sprintf("load-%d", bigItems), bigItems, bigPerSec, n)
	if err != nil {
		return closeResult{}, 0, err
	}
	answers, err := loadgen.SeedRound(ctx, db, sid, bigItems)
	if err != nil {
		return closeResult{}, 0, fmt.Errorf("seed: %w", err)
	}
	if err := e.start(ctx, db); err != nil {
		return closeResult{}, 0, err
	}
	pid := e.srv.pid()
	s0 := readProc(pid)
	rs := sampleRSS(pid, 5*time.Millisecond)
	start := time.Now()
	err = e.cl.must(ctx, http.StatusOK, "POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", sid), e.staff, nil, nil)
	secs := time.Since(start).Seconds()
	peak := rs.end()
	s1 := readProc(pid)
	if err != nil {
		return closeResult{}, 0, err
	}
	return closeResult{Panelists: n, Answers: answers, Seconds: secs, PeakRSS: max(peak, s1.hwm),
		ServerCPU: (s1.cpu - s0.cpu).Seconds()}, sid, nil
}

// report reads closed 300-item rounds' summary pages:
//   - uncached: in the running server, the first request for the report of a round just
//     closed, as a presenter opens it (nothing of the report cached: not the page, nor the
//     round's snapshot decoded), over several rounds of 1,000 panelists;
//   - cold: the first request after a server start, several starts (the process's own start-up
//     too: a fresh heap the kernel must map page by page, a cold database cache);
//   - cached: 100 readers at once (gzip).
func (e *env) report(ctx context.Context, db string, sid int64) ([]phase, error) {
	page := fmt.Sprintf("/reports/studies/%d/rounds/1", sid)
	st, _, err := e.cl.do(ctx, "", "GET", page, e.staff, nil)
	if err != nil {
		return nil, err
	}
	note := "HTML summary page, gzip"
	if st != http.StatusOK {
		page = fmt.Sprintf("/api/v1/studies/%d/rounds/1/report.json", sid)
		note = "report.json (no report page in this build), gzip"
	}
	const starts = 5
	for i := 0; i < starts; i++ {
		if err := e.start(ctx, db); err != nil {
			return nil, err
		}
		st, b, err := e.cl.do(ctx, "report-cold", "GET", page, e.staff, nil, "Accept-Encoding", "gzip")
		if err != nil || st != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %d %v %.200s", page, st, err, b)
		}
	}
	cold := phase{Kind: "report-cold", Clients: 1, latency: summarise(e.cl.rec.take("report-cold"), 0),
		Note: fmt.Sprintf("%s; first request after each of %d server starts", note, starts)}
	const misses = 5
	for i := 0; i < misses; i++ {
		msid, err := e.createStudy(ctx, fmt.Sprintf("load-%d", bigItems), bigItems, bigPerSec, 1000)
		if err != nil {
			return nil, err
		}
		if _, err := loadgen.SeedRound(ctx, db, msid, bigItems); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
		if err := e.cl.must(ctx, http.StatusOK, "POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", msid), e.staff, nil, nil); err != nil {
			return nil, err
		}
		mpage := strings.Replace(page, fmt.Sprintf("/studies/%d/", sid), fmt.Sprintf("/studies/%d/", msid), 1)
		st, b, err := e.cl.do(ctx, "report-uncached", "GET", mpage, e.staff, nil, "Accept-Encoding", "gzip")
		if err != nil || st != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %d %v %.200s", mpage, st, err, b)
		}
	}
	un := phase{Kind: "report-uncached", Clients: 1, latency: summarise(e.cl.rec.take("report-uncached"), 0),
		Note: fmt.Sprintf("%s; first request for each of %d rounds of 1,000 × 300 just closed in the running server", note, misses)}
	ph := e.measure(ctx, "report-cached", e.c.Readers, func(ctx context.Context, w, i int) {
		e.cl.do(ctx, "report-cached", "GET", page, e.staff, nil, "Accept-Encoding", "gzip")
	})
	_, b, err := e.cl.do(ctx, "", "GET", page, e.staff, nil, "Accept-Encoding", "gzip")
	if err != nil {
		return nil, err
	}
	ph.Note = fmt.Sprintf("%s, %d bytes on the wire", strings.SplitN(note, ",", 2)[0], len(b))
	return []phase{un, cold, ph}, nil
}
