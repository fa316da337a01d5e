package web

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/cart-cd/delphi/internal/cache"
	"github.com/cart-cd/delphi/internal/delphi"
)

// exportKey names one built export: the round, the file (its format and view) and whether it
// is an admin's full-disclosure copy.
type exportKey struct {
	sid  int64
	n    int
	file string
	full bool
	zone string // the study's time zone: human-readable dates are written in it
	// meetings fingerprints the study's meetings (delphi.Service.MeetingsPrint) for the files
	// that state them; 0 for the others
	meetings uint64
}

// builtExport is an export as sent: its body (and the body gzipped, for text), type and name.
type builtExport struct {
	body, gz    []byte
	ctype, name string
	smallCells  int // answers files: group × country cells under min_group_size (-1: not checked)
}

// exportCacheBytes bounds the bytes of built exports kept: a 1,000 × 300 round's workbook is
// about 10 MB, its tidy CSV some 60 MB.
const exportCacheBytes = 256 << 20

// exportWait is how long a request waits for a build slot before 503.
const exportWait = 15 * time.Second

// exports builds each export once and shares it: a built export is kept (bounded by bytes),
// requests for an export being built wait for that build, and at most slots builds run at
// once (a build of a large round's workbook holds a few hundred MB while it runs); the rest
// wait up to exportWait, then get 503 with Retry-After.
type exports struct {
	done   *cache.Cache[exportKey, *builtExport]
	mu     sync.Mutex
	flight map[exportKey]*exportFlight
	slots  chan struct{}
	wait   time.Duration
}

type exportFlight struct {
	done chan struct{}
	ex   *builtExport
	err  error
}

func newExports() *exports {
	return &exports{
		done:   cache.NewWeighted[exportKey](exportCacheBytes, func(e *builtExport) int { return len(e.body) + len(e.gz) }),
		flight: map[exportKey]*exportFlight{},
		slots:  make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2)),
		wait:   exportWait,
	}
}

// errBusy is returned when no build slot came free in time.
var errBusy = &delphi.Error{Code: "busy", Message: "the server is building other exports: try again in a few seconds"}

// get returns the export of k, building it with build on a miss (cacheable: keep it after).
func (x *exports) get(ctx context.Context, k exportKey, cacheable bool, build func() (*builtExport, error)) (*builtExport, error) {
	if ex, ok := x.done.Get(k); ok {
		return ex, nil
	}
	x.mu.Lock()
	if f, ok := x.flight[k]; ok {
		x.mu.Unlock()
		select {
		case <-f.done:
			return f.ex, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f := &exportFlight{done: make(chan struct{})}
	x.flight[k] = f
	x.mu.Unlock()
	defer func() {
		if v := recover(); v != nil {
			f.err = fmt.Errorf("web: building export %s: %v", k.file, v)
		}
		if f.err == nil && cacheable {
			x.done.Put(k, f.ex)
		}
		x.mu.Lock()
		delete(x.flight, k)
		x.mu.Unlock()
		close(f.done)
	}()
	t := time.NewTimer(x.wait)
	defer t.Stop()
	select {
	case x.slots <- struct{}{}:
	case <-t.C:
		f.err = errBusy
		return nil, f.err
	case <-ctx.Done():
		f.err = ctx.Err()
		return nil, f.err
	}
	defer func() { <-x.slots }()
	f.ex, f.err = build()
	if f.err == nil && f.ex.gz == nil && len(f.ex.body) >= 1024 && f.ex.ctype != xlsxType {
		f.ex.gz = gzipBytes(f.ex.body, gzip.BestSpeed, 1) // once, for every reader
	}
	return f.ex, f.err
}

// isBusy reports whether err is errBusy.
func isBusy(err error) bool { return errors.Is(err, errBusy) }
