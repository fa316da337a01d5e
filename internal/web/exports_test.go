package web

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestExportsBuiltOnce: requests for one export while it is built wait for that build and
// share it, and later ones are served from the cache; with every build slot taken, a request
// for another export waits, then gets errBusy (503 with Retry-After over HTTP); a failed
// build is not kept.
func TestExportsBuiltOnce(t *testing.T) {
	t.Parallel()
	x := newExports()
	x.wait = 50 * time.Millisecond
	ctx := context.Background()
	var builds atomic.Int32
	release := make(chan struct{})
	build := func() (*builtExport, error) {
		builds.Add(1)
		<-release
		return &builtExport{body: []byte("body"), ctype: "text/csv"}, nil
	}
	k := exportKey{sid: 1, n: 1, file: "report.csv", full: false, zone: "UTC"}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			ex, err := x.get(ctx, k, true, build)
			if err != nil || string(ex.body) != "body" {
				t.Errorf("get: %v", err)
			}
		})
	}
	for builds.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	// every slot busy: fill the others with builds that wait too
	for i := 1; i < cap(x.slots); i++ {
		wg.Go(func() {
			x.get(ctx, exportKey{sid: 1, n: 1, file: fmt.Sprint("other", i), full: false, zone: "UTC"}, true, build)
		})
	}
	for int(builds.Load()) < cap(x.slots) {
		time.Sleep(time.Millisecond)
	}
	if _, err := x.get(ctx, exportKey{sid: 2, n: 1, file: "report.xlsx", full: false, zone: "UTC"}, true, build); !isBusy(err) {
		t.Errorf("with every slot taken: %v, want errBusy", err)
	}
	close(release)
	wg.Wait()
	if n := builds.Load(); int(n) != cap(x.slots) {
		t.Errorf("%d builds, want %d (one per export)", n, cap(x.slots))
	}
	if _, err := x.get(ctx, k, true, build); err != nil || int(builds.Load()) != cap(x.slots) {
		t.Errorf("a kept export was built again (%v)", err)
	}
	fail := errors.New("boom")
	k2 := exportKey{sid: 3, n: 1, file: "report.csv", full: false, zone: "UTC"}
	if _, err := x.get(ctx, k2, true, func() (*builtExport, error) { return nil, fail }); !errors.Is(err, fail) {
		t.Fatalf("failed build: %v", err)
	}
	if _, err := x.get(ctx, k2, true, build); err != nil {
		t.Errorf("after a failed build: %v", err)
	}
}

// TestExportBusy503: over HTTP, an export that finds every build slot taken is 503 with
// Retry-After and the JSON error code "busy".
func TestExportBusy503(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sid := e.simStudy(8, 1)
	e.web.exports.wait = 20 * time.Millisecond
	x := e.web.exports
	for range cap(x.slots) {
		x.slots <- struct{}{}
	}
	r := e.get(fmt.Sprintf("/api/v1/studies/%d/rounds/1/report.xlsx", sid))
	if r.Status != 503 || r.Header.Get("Retry-After") == "" {
		t.Errorf("busy export: %d, Retry-After %q, %s", r.Status, r.Header.Get("Retry-After"), r.Body)
	}
	for range cap(x.slots) {
		<-x.slots
	}
	e.must(e.get(fmt.Sprintf("/api/v1/studies/%d/rounds/1/report.xlsx", sid)), 200)
}
