package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// client talks to the server under test, recording every request's latency and status by kind.
type client struct {
	base string
	hc   *http.Client
	rec  *recorder
	bufs sync.Pool // *[]byte: read buffers of discard
}

func newClient(base string, conns int) *client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns * 2,
		MaxConnsPerHost:     0,
		IdleConnTimeout:     60 * time.Second,
		DisableCompression:  true, // ask for gzip explicitly where measuring it
		ReadBufferSize:      64 << 10,
	}
	return &client{base: base, hc: &http.Client{Transport: tr, Timeout: 120 * time.Second}, rec: newRecorder()}
}

// do sends one request and returns status and body (of a timed request, only when it is not
// 2xx). kind "" is not recorded.
func (c *client) do(ctx context.Context, kind, method, path, token string, body any, hdr ...string) (int, []byte, error) {
	var rd io.Reader
	var ct string
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ct = bytes.NewReader(b), "application/json"
	default:
		js, err := json.Marshal(b)
		if err != nil {
			return 0, nil, err
		}
		rd, ct = bytes.NewReader(js), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	start := time.Now()
	res, err := c.hc.Do(req)
	if err != nil {
		if kind != "" && ctx.Err() == nil {
			c.rec.add(kind, time.Since(start), 0)
		}
		return 0, nil, err
	}
	// A timed request's successful body is read to the end and dropped: holding it would cost
	// this tool allocations (and its GC the shared cores) that a real client does not cause.
	var b []byte
	if kind == "" || res.StatusCode >= 300 {
		b, err = io.ReadAll(res.Body)
	} else {
		err = c.discard(res.Body)
	}
	res.Body.Close()
	d := time.Since(start)
	if kind != "" {
		st := res.StatusCode
		if err != nil {
			st = 0
		}
		c.rec.add(kind, d, st)
	}
	return res.StatusCode, b, err
}

// discard reads r to the end in large reads (io.Discard reads 8 KB at a time: a 300 KB page
// would cost this tool dozens of system calls).
func (c *client) discard(r io.Reader) error {
	p, _ := c.bufs.Get().(*[]byte)
	if p == nil {
		b := make([]byte, 256<<10)
		p = &b
	}
	defer c.bufs.Put(p)
	for {
		if _, err := r.Read(*p); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

// linkCookie opens an invite link as a browser does and returns the cookie it sets, for the
// expert's HTML pages.
func (c *client) linkCookie(ctx context.Context, token string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/r/"+token, nil)
	if err != nil {
		return "", err
	}
	hc := *c.hc
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	for _, ck := range res.Cookies() {
		if ck.Value != "" {
			return ck.Name + "=" + ck.Value, nil
		}
	}
	return "", fmt.Errorf("GET /r/…: %s without a cookie", res.Status)
}

// must sends a set-up request and fails unless it answers want.
func (c *client) must(ctx context.Context, want int, method, path, token string, body, out any) error {
	st, b, err := c.do(ctx, "", method, path, token, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if st != want {
		return fmt.Errorf("%s %s: status %d: %.300s", method, path, st, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return nil
}

// recorder keeps latencies and statuses per request kind.
type recorder struct {
	mu    sync.Mutex
	kinds map[string]*kindRec
}

type kindRec struct {
	lat    []time.Duration
	status map[int]int
}

func newRecorder() *recorder { return &recorder{kinds: map[string]*kindRec{}} }

func (r *recorder) add(kind string, d time.Duration, status int) {
	r.mu.Lock()
	k := r.kinds[kind]
	if k == nil {
		k = &kindRec{status: map[int]int{}}
		r.kinds[kind] = k
	}
	k.lat = append(k.lat, d)
	k.status[status]++
	r.mu.Unlock()
}

// take returns and forgets what was recorded for kind.
func (r *recorder) take(kind string) *kindRec {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.kinds[kind]
	delete(r.kinds, kind)
	if k == nil {
		k = &kindRec{status: map[int]int{}}
	}
	return k
}

// latency summarises one kind of request over a phase.
type latency struct {
	N                  int
	PerSec             float64
	P50, P95, P99, Max time.Duration
	Status             map[int]int
}

func summarise(k *kindRec, wall time.Duration) latency {
	l := latency{N: len(k.lat), Status: k.status}
	if l.N == 0 {
		return l
	}
	s := slices.Clone(k.lat)
	slices.Sort(s)
	q := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	l.P50, l.P95, l.P99, l.Max = q(0.50), q(0.95), q(0.99), s[len(s)-1]
	if wall > 0 {
		l.PerSec = float64(l.N) / wall.Seconds()
	}
	return l
}

func (l latency) errors() string {
	var ks []int
	for st := range l.Status {
		if st < 200 || st > 299 {
			ks = append(ks, st)
		}
	}
	if len(ks) == 0 {
		return "none"
	}
	sort.Ints(ks)
	var b strings.Builder
	for i, st := range ks {
		if i > 0 {
			b.WriteString(" ")
		}
		name := fmt.Sprint(st)
		if st == 0 {
			name = "neterr"
		}
		fmt.Fprintf(&b, "%s×%d", name, l.Status[st])
	}
	return b.String()
}

func (l latency) fiveXX() int {
	n := 0
	for st, c := range l.Status {
		if st >= 500 || st == 0 {
			n += c
		}
	}
	return n
}

// drive runs clients goroutines; each calls step(ctx, client index, iteration) until the phase's
// time is up or maxReq steps were started in all. A step under way when time is up finishes (its
// request is not cancelled, so that every answer is either acknowledged or refused). It returns
// the wall time.
func drive(ctx context.Context, clients int, d time.Duration, maxReq int, step func(ctx context.Context, w, i int)) time.Duration {
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil && time.Now().Before(end); i++ {
				if n.Add(1) > int64(maxReq) {
					return
				}
				step(ctx, w, i)
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// parallel runs fn for 0..n-1 on conc goroutines and returns the first error.
func parallel(n, conc int, fn func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}
