//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3"

	"github.com/cart-cd/delphi/internal/store"
)

// The crash test runs the real delphi binary, drives saves and submits from many experts at
// once, kills the process with SIGKILL at random moments, restarts it, and checks the database
// file against what the clients were told:
//
//   - every save or submit answered 2xx is in the database exactly as sent;
//   - a request refused with an error status left nothing behind;
//   - a request whose answer was lost in the kill is either wholly there or wholly absent;
//   - the file passes PRAGMA integrity_check after every kill.
//
// `go test` runs 3 kills (2 with -short); DELPHI_CRASH_KILLS=N (make test-long: 25) runs N.

const crashPassword = "crash test password"

// crashAnswer is one stored answer, compared field by field with what was sent.
type crashAnswer struct {
	Rating    *int   `json:"rating"`
	Unable    bool   `json:"unable"`
	Placement string `json:"placement,omitempty"`
	Comment   string `json:"comment,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

func (a crashAnswer) String() string {
	r := "-"
	if a.Rating != nil {
		r = strconv.Itoa(*a.Rating)
	}
	return fmt.Sprintf("{rating %s unable %v placement %q comment %q reason %q}", r, a.Unable, a.Placement, a.Comment, a.Reason)
}

// crashReq is one request in flight.
type crashReq struct {
	answers map[string]crashAnswer // a save
	submit  bool                   // a submit
}

// expertModel is what one expert was told: the answers acknowledged, and at most one request
// whose outcome was lost when the server died.
type expertModel struct {
	id        int64
	token     string
	acked     map[string]crashAnswer
	submitted bool
	pending   *crashReq
}

func (m *expertModel) applied(r *crashReq) (map[string]crashAnswer, bool) {
	out := make(map[string]crashAnswer, len(m.acked)+len(r.answers))
	for k, v := range m.acked {
		out[k] = v
	}
	for k, v := range r.answers {
		out[k] = v
	}
	return out, m.submitted || r.submit
}

// crashServer is one run of the binary.
type crashServer struct {
	cmd    *exec.Cmd
	url    string
	stdout *lockedBuffer
	stderr *lockedBuffer
	exited chan error
}

func buildDelphi(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "delphi")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func startDelphi(t *testing.T, bin, db string) *crashServer {
	t.Helper()
	s := &crashServer{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, exited: make(chan error, 1)}
	s.cmd = exec.Command(bin, "serve", "-addr", "127.0.0.1:0", "-db", db)
	s.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"DELPHI_ADMIN_PASSWORD=" + crashPassword, "DELPHI_FIRST_SURVEY=cart-cd"}
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.exited <- s.cmd.Wait() }()
	t.Cleanup(func() { s.cmd.Process.Kill() })
	re := regexp.MustCompile(`listening on (\S+)`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := re.FindStringSubmatch(s.stdout.String()); m != nil {
			s.url = "http://" + m[1]
			return s
		}
		select {
		case err := <-s.exited:
			t.Fatalf("delphi serve exited: %v\n%s\n%s", err, s.stdout.String(), s.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("delphi serve did not start:\n%s\n%s", s.stdout.String(), s.stderr.String())
		}
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *crashServer) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatal(err)
	}
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the killed server did not exit")
	}
}

// crashClient is a JSON client with a bearer token.
type crashClient struct{ http *http.Client }

func (c crashClient) do(ctx context.Context, method, url, tok string, body any, out any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, err // the body was cut: the outcome is unknown
	}
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			return 0, nil, fmt.Errorf("decode %s: %w", b, err)
		}
	}
	return res.StatusCode, b, nil
}

func (c crashClient) must(t *testing.T, method, url, tok string, body any, out any, want int) {
	t.Helper()
	st, b, err := c.do(context.Background(), method, url, tok, body, out)
	if err != nil || st != want {
		t.Fatalf("%s %s: %d %s %v (want %d)", method, url, st, b, err, want)
	}
}

// crashStats are the figures reported at the end.
type crashStats struct {
	saves, submits, refused, lost, lostApplied atomic.Int64
}

func TestCrashKill9(t *testing.T) {
	kills := 3
	if testing.Short() {
		kills = 2
	}
	if v := os.Getenv("DELPHI_CRASH_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("DELPHI_CRASH_KILLS=%q", v)
		}
		kills = n
	}
	seed := time.Now().UnixNano()
	if v := os.Getenv("DELPHI_CRASH_SEED"); v != "" {
		seed, _ = strconv.ParseInt(v, 10, 64)
	}
	t.Logf("seed %d (DELPHI_CRASH_SEED), %d kills (DELPHI_CRASH_KILLS)", seed, kills)
	rng := rand.New(rand.NewSource(seed))

	bin := buildDelphi(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "delphi.db")
	srv := startDelphi(t, bin, db)
	c := crashClient{http: &http.Client{Timeout: 20 * time.Second}}

	// set up: the CART-CD study of the first start, a panel, round 1 open, links, consent
	var login struct{ Token string }
	c.must(t, "POST", srv.url+"/api/v1/auth/login", "", map[string]string{"email": "admin@localhost", "password": crashPassword}, &login, 200)
	admin := login.Token
	var studies []struct{ ID int64 }
	c.must(t, "GET", srv.url+"/api/v1/studies", admin, nil, &studies, 200)
	if len(studies) != 1 {
		t.Fatalf("studies %v", studies)
	}
	sid := studies[0].ID
	const nExperts = 48
	groups := []string{"haematologist", "nurse", "pharmacist", "patient"}
	var def struct {
		Definition struct{ Groups []struct{ ID string } }
	}
	c.must(t, "GET", fmt.Sprintf("%s/api/v1/studies/%d", srv.url, sid), admin, nil, &def, 200)
	groups = groups[:0]
	for _, g := range def.Definition.Groups {
		groups = append(groups, g.ID)
	}
	panel := make([]map[string]string, nExperts)
	for i := range panel {
		panel[i] = map[string]string{"name": fmt.Sprintf("Expert %d", i), "email": fmt.Sprintf("x%d@example.org", i),
			"group": groups[i%len(groups)], "country": "DE", "language": "en"}
	}
	c.must(t, "POST", fmt.Sprintf("%s/api/v1/studies/%d/panelists", srv.url, sid), admin, panel, nil, 201)
	// the first-start study has no contact: round 1 needs one
	c.must(t, "PATCH", fmt.Sprintf("%s/api/v1/studies/%d", srv.url, sid), admin,
		map[string]string{"contact_name": "Study Office", "contact": "office@example.org"}, nil, 200)
	c.must(t, "POST", fmt.Sprintf("%s/api/v1/studies/%d/rounds", srv.url, sid), admin, map[string]any{}, nil, 201)
	var links []struct {
		PanelistID int64 `json:"panelist_id"`
		Token      string
	}
	c.must(t, "POST", fmt.Sprintf("%s/api/v1/studies/%d/rounds/1/invitations", srv.url, sid), admin, nil, &links, 201)
	if len(links) != nExperts {
		t.Fatalf("%d links", len(links))
	}
	experts := make([]*expertModel, len(links))
	for i, l := range links {
		experts[i] = &expertModel{id: l.PanelistID, token: l.Token, acked: map[string]crashAnswer{}}
		c.must(t, "POST", srv.url+"/api/v1/respond/consent", l.Token, nil, nil, 200)
	}
	var q struct {
		Items []struct{ ID string }
		Scale struct{ Min, Max int }
		// placement options, when the survey asks it
		Placement *struct{ Options []string }
	}
	c.must(t, "GET", srv.url+"/api/v1/respond", links[0].Token, nil, &q, 200)
	items := make([]string, len(q.Items))
	for i, it := range q.Items {
		items[i] = it.ID
	}
	var placements []string
	if q.Placement != nil {
		placements = q.Placement.Options
	}
	t.Logf("%d experts, %d items, scale %d–%d, placements %v", nExperts, len(items), q.Scale.Min, q.Scale.Max, placements)

	var stats crashStats
	var backupDone, restoreRefused bool
	backup := filepath.Join(dir, "under-load.backup.db")
	for k := 0; k < kills; k++ {
		if k > 0 {
			srv = startDelphi(t, bin, db)
		}
		tr := &http.Transport{MaxIdleConnsPerHost: 64}
		lc := crashClient{http: &http.Client{Timeout: 20 * time.Second, Transport: tr}}
		ctx, cancel := context.WithCancel(context.Background())
		const workers = 16
		var wg sync.WaitGroup
		var acked atomic.Int64
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int, wseed int64) {
				defer wg.Done()
				crashWorker(ctx, t, lc, srv.url, experts, w, workers, items, q.Scale.Min, q.Scale.Max, placements, rand.New(rand.NewSource(wseed)), k, &stats, &acked)
			}(w, rng.Int63())
		}
		// a random moment: from just after start to over a second of full load
		time.Sleep(time.Duration(rng.Int63n(int64(1200 * time.Millisecond))))
		if k == 0 && !backupDone {
			// `delphi backup` under load; `delphi restore` refused while the server runs
			var out, errb bytes.Buffer
			cmd := exec.Command(bin, "backup", "-db", db, backup)
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Run(); err != nil {
				t.Fatalf("delphi backup under load: %v\n%s%s", err, out.String(), errb.String())
			}
			if err := store.Verify(context.Background(), backup); err != nil {
				t.Fatal(err)
			}
			backupDone = true
			out.Reset()
			errb.Reset()
			cmd = exec.Command(bin, "restore", "-db", db, backup)
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Run(); err == nil || !bytes.Contains(errb.Bytes(), []byte("serve running")) {
				t.Fatalf("delphi restore while the server runs: %v\n%s%s", err, out.String(), errb.String())
			}
			restoreRefused = true
			time.Sleep(time.Duration(rng.Int63n(int64(300 * time.Millisecond))))
		}
		srv.kill(t)
		cancel()
		wg.Wait()
		tr.CloseIdleConnections()
		t.Logf("kill %d: %d requests acknowledged in this run", k+1, acked.Load())
		verifyCrashDB(t, db, sid, experts, &stats)
	}

	// after the last kill: a clean start serves the same answers through the API
	srv = startDelphi(t, bin, db)
	for _, e := range experts[:4] {
		var got struct {
			Answers []struct {
				Item string `json:"item"`
				crashAnswer
			}
			SubmittedAt *time.Time `json:"submitted_at"`
		}
		c.must(t, "GET", srv.url+"/api/v1/respond", e.token, nil, &got, 200)
		m := map[string]crashAnswer{}
		for _, a := range got.Answers {
			m[a.Item] = a.crashAnswer
		}
		if !reflect.DeepEqual(m, e.acked) || (got.SubmittedAt != nil) != e.submitted {
			t.Fatalf("expert %d through the API after restart: %v, want %v", e.id, m, e.acked)
		}
	}
	srv.kill(t)

	// the backup taken under load restores and serves
	restored := filepath.Join(dir, "restored", "delphi.db")
	if out, err := exec.Command(bin, "restore", "-db", restored, backup).CombinedOutput(); err != nil {
		t.Fatalf("delphi restore: %v\n%s", err, out)
	}
	srv = startDelphi(t, bin, restored)
	var st []struct{ ID int64 }
	c.must(t, "POST", srv.url+"/api/v1/auth/login", "", map[string]string{"email": "admin@localhost", "password": crashPassword}, &login, 200)
	c.must(t, "GET", srv.url+"/api/v1/studies", login.Token, nil, &st, 200)
	if len(st) != 1 {
		t.Fatalf("restored studies %v", st)
	}
	srv.kill(t)

	n := 0
	for _, e := range experts {
		n += len(e.acked)
	}
	if !restoreRefused {
		t.Error("restore-while-running was not exercised")
	}
	t.Logf("%d kills; %d saves and %d submits acknowledged, %d refused with an error status, %d lost in a kill (%d of them committed); "+
		"%d acknowledged answers checked after the last kill",
		kills, stats.saves.Load(), stats.submits.Load(), stats.refused.Load(), stats.lost.Load(), stats.lostApplied.Load(), n)
	if stats.saves.Load() == 0 {
		t.Fatal("no save was acknowledged: the load did not run")
	}
}

// crashWorker drives the experts w, w+workers, … until the server dies or ctx ends. Each expert
// has at most one request in flight, so the model knows what the database may hold.
func crashWorker(ctx context.Context, t *testing.T, c crashClient, url string, experts []*expertModel, w, workers int,
	items []string, min, max int, placements []string, rng *rand.Rand, run int, stats *crashStats, acked *atomic.Int64) {
	seq := 0
	for {
		for i := w; i < len(experts); i += workers {
			if ctx.Err() != nil {
				return
			}
			e := experts[i]
			seq++
			r := &crashReq{}
			var status int
			var body []byte
			var err error
			switch p := rng.Intn(100); {
			case p < 8: // submit
				r.submit = true
				status, body, err = c.do(ctx, "POST", url+"/api/v1/respond/submit", e.token, nil, nil)
			case p < 14: // a save with one bad answer: refused whole
				as := randomAnswers(rng, items, min, max, placements, e.id, run, seq)
				list := answerList(as)
				bad := max + 1
				list = append(list, map[string]any{"item": items[rng.Intn(len(items))], "rating": bad})
				status, body, err = c.do(ctx, "PUT", url+"/api/v1/respond/answers", e.token, map[string]any{"answers": list}, nil)
				if err == nil && status != http.StatusUnprocessableEntity {
					t.Errorf("a save with a bad answer: %d %s", status, body)
				}
				if err != nil {
					// the outcome was lost, but a refused request may not be there at all
					r = &crashReq{}
					e.pending = r
					stats.lost.Add(1)
					return
				}
				stats.refused.Add(1)
				continue
			default:
				r.answers = randomAnswers(rng, items, min, max, placements, e.id, run, seq)
				status, body, err = c.do(ctx, "PUT", url+"/api/v1/respond/answers", e.token, map[string]any{"answers": answerList(r.answers)}, nil)
			}
			if err != nil {
				// the server died with the request in flight: either outcome is allowed
				e.pending = r
				stats.lost.Add(1)
				return
			}
			if status/100 != 2 {
				t.Errorf("expert %d: %d %s", e.id, status, body)
				stats.refused.Add(1)
				continue
			}
			e.acked, e.submitted = e.applied(r)
			acked.Add(1)
			if r.submit {
				stats.submits.Add(1)
			} else {
				stats.saves.Add(1)
			}
		}
	}
}

// randomAnswers makes 1–6 answers; every text is unique to the request, so the database shows
// which request each stored answer came from.
func randomAnswers(rng *rand.Rand, items []string, min, max int, placements []string, id int64, run, seq int) map[string]crashAnswer {
	n := 1 + rng.Intn(6)
	out := make(map[string]crashAnswer, n)
	for len(out) < n {
		it := items[rng.Intn(len(items))]
		a := crashAnswer{}
		if rng.Intn(10) == 0 {
			a.Unable = true
		} else {
			v := min + rng.Intn(max-min+1)
			a.Rating = &v
		}
		if len(placements) > 0 && rng.Intn(2) == 0 {
			a.Placement = placements[rng.Intn(len(placements))]
		}
		if rng.Intn(2) == 0 {
			a.Comment = fmt.Sprintf("p%d r%d s%d «ünïcode» \"quoted\" 'single' <b>tag</b>\nsecond line 😀", id, run, seq)
		}
		if rng.Intn(4) == 0 {
			a.Reason = fmt.Sprintf("reason p%d r%d s%d", id, run, seq)
		}
		out[it] = a
	}
	return out
}

func answerList(as map[string]crashAnswer) []map[string]any {
	keys := make([]string, 0, len(as))
	for k := range as {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]map[string]any, 0, len(as))
	for _, k := range keys {
		a := as[k]
		m := map[string]any{"item": k, "unable": a.Unable}
		if a.Rating != nil {
			m["rating"] = *a.Rating
		}
		if a.Placement != "" {
			m["placement"] = a.Placement
		}
		if a.Comment != "" {
			m["comment"] = a.Comment
		}
		if a.Reason != "" {
			m["reason"] = a.Reason
		}
		out = append(out, m)
	}
	return out
}

// verifyCrashDB opens the file the killed server left and compares it with the model.
func verifyCrashDB(t *testing.T, path string, sid int64, experts []*expertModel, stats *crashStats) {
	t.Helper()
	db, err := sqlx.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ic []string
	if err := db.Select(&ic, `PRAGMA integrity_check`); err != nil || len(ic) != 1 || ic[0] != "ok" {
		t.Fatalf("integrity_check after kill -9: %v %v", ic, err)
	}
	var roundID int64
	if err := db.Get(&roundID, `SELECT id FROM rounds WHERE study_id = ? AND number = 1`, sid); err != nil {
		t.Fatal(err)
	}
	type row struct {
		Item      string `db:"item_id"`
		Rating    *int   `db:"rating"`
		Unable    bool   `db:"unable"`
		Placement string `db:"placement"`
		Comment   string `db:"comment"`
		Reason    string `db:"reason"`
	}
	for _, e := range experts {
		var rows []row
		if err := db.Select(&rows, `SELECT item_id, rating, unable, placement, comment, reason FROM answers
			WHERE round_id = ? AND panelist_id = ?`, roundID, e.id); err != nil {
			t.Fatal(err)
		}
		got := make(map[string]crashAnswer, len(rows))
		for _, r := range rows {
			got[r.Item] = crashAnswer{Rating: r.Rating, Unable: r.Unable, Placement: r.Placement, Comment: r.Comment, Reason: r.Reason}
		}
		var nsub int
		if err := db.Get(&nsub, `SELECT count(*) FROM submissions WHERE round_id = ? AND panelist_id = ?`, roundID, e.id); err != nil {
			t.Fatal(err)
		}
		sub := nsub == 1
		switch {
		case reflect.DeepEqual(got, e.acked) && sub == e.submitted:
			// the acknowledged state; a lost request did not commit
		case e.pending != nil:
			want, wsub := e.applied(e.pending)
			if !reflect.DeepEqual(got, want) || sub != wsub {
				t.Fatalf("expert %d after kill: the database holds neither the acknowledged state nor it plus the lost request\n%s",
					e.id, diffAnswers(got, sub, e.acked, e.submitted, e.pending))
			}
			e.acked, e.submitted = want, wsub // committed, only the answer was lost
			stats.lostApplied.Add(1)
		default:
			t.Fatalf("expert %d after kill: the database differs from what was acknowledged\n%s", e.id, diffAnswers(got, sub, e.acked, e.submitted, nil))
		}
		e.pending = nil
	}
}

func diffAnswers(got map[string]crashAnswer, gotSub bool, acked map[string]crashAnswer, ackSub bool, pending *crashReq) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "submitted: database %v, acknowledged %v\n", gotSub, ackSub)
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range acked {
		keys[k] = true
	}
	if pending != nil {
		for k := range pending.answers {
			keys[k] = true
		}
		fmt.Fprintf(&b, "lost request: submit %v, %d answers\n", pending.submit, len(pending.answers))
	}
	ks := make([]string, 0, len(keys))
	for k := range keys {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		g, gok := got[k]
		a, aok := acked[k]
		if gok == aok && reflect.DeepEqual(g, a) {
			continue
		}
		fmt.Fprintf(&b, "  %s: database %v %v, acknowledged %v %v", k, gok, g, aok, a)
		if pending != nil {
			if p, ok := pending.answers[k]; ok {
				fmt.Fprintf(&b, ", lost request %v", p)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
