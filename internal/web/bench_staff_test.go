package web

import (
	"context"
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user and system CPU time so far. The machine these figures come from
// is shared, so wall time per op moves with what else runs; CPU time per op much less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds cpu-ns/op, from start (cpuTime before the loop).
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// The staff session check runs on every staff request: the token's signature, then its session
// row and account (cached while the store's Meta holds), then, on a route naming a study, the
// member's role there. These benchmarks take the cheapest staff routes through the whole
// handler stack, so that the check is most of what they measure.

// BenchmarkStaffMe is GET /api/v1/me as the admin: the session check and little else.
func BenchmarkStaffMe(b *testing.B) {
	e := newBenchEnv(b, 1)
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for b.Loop() {
		if st, res := e.serve("GET", "/api/v1/me", e.staff, nil); st != http.StatusOK {
			b.Fatalf("me: %d %s", st, res)
		}
	}
	reportCPU(b, start)
}

// BenchmarkStaffStudy is GET /api/v1/studies/{sid} as a facilitator who is a member of the
// study: the session check, the membership check and a cached study.
func BenchmarkStaffStudy(b *testing.B) {
	e := newBenchEnv(b, 1)
	var st struct{ ID int64 }
	e.call(b, http.StatusCreated, "POST", "/api/v1/staff", e.staff,
		map[string]string{"email": "fac@bench", "role": "facilitator", "password": "facilitator password"}, &st)
	// a build without study membership answers 404 here: its facilitators see every study
	e.serve("PUT", fmt.Sprintf("/api/v1/studies/%d/members/%d", e.sid, st.ID), e.staff, []byte(`{"role":"facilitator"}`))
	var tok struct{ Token string }
	e.call(b, http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]string{"email": "fac@bench", "password": "facilitator password"}, &tok)
	path := fmt.Sprintf("/api/v1/studies/%d", e.sid)
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for b.Loop() {
		if st, res := e.serve("GET", path, tok.Token, nil); st != http.StatusOK {
			b.Fatalf("study: %d %s", st, res)
		}
	}
	reportCPU(b, start)
}

// BenchmarkStaffSessionCheck is what the session rows add to every staff request on the cached
// path: the token (already checked) looked up against its session and account.
func BenchmarkStaffSessionCheck(b *testing.B) {
	e := newBenchEnv(b, 1)
	sess, err := e.srv.Signer.ParseSession(e.staff)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.svc.StaffSession(ctx, sess); err != nil {
			b.Fatal(err)
		}
	}
}
