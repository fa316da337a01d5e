package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

func mb(b int64) string { return fmt.Sprintf("%.0f", float64(b)/(1<<20)) }

func (r *result) print(w io.Writer) {
	if r.Ceiling > 0 {
		fmt.Fprintf(w, "raw ceiling: %.0f submissions/s of %d answers, one transaction each (%.0f answers/s), synchronous=FULL, no HTTP\n",
			r.Ceiling, nItems, r.Ceiling*nItems)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tclients\trequests\treq/s\tvs ceiling\tp50 ms\tp95 ms\tp99 ms\tmax ms\tserver CPU\tserver RSS MB\tload CPU\terrors\t")
	for _, p := range r.Phases {
		vs := ""
		if strings.HasPrefix(p.Kind, "save-40") && r.Ceiling > 0 {
			vs = fmt.Sprintf("%.2f×", p.PerSec/r.Ceiling)
		}
		rate := fmt.Sprintf("%.0f", p.PerSec)
		if p.PerSec == 0 {
			rate = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t%s\t%.2f\t%s\t\n", p.Kind, p.Clients, p.N, rate, vs,
			ms(p.P50), ms(p.P95), ms(p.P99), ms(p.Max), p.ServerCPU, mb(p.ServerRSS), p.LoadCPU, p.errors())
	}
	tw.Flush()
	for _, p := range r.Phases {
		if p.Note != "" {
			fmt.Fprintf(w, "  %s: %s\n", p.Kind, p.Note)
		}
	}
	for _, c := range r.Closes {
		fmt.Fprintf(w, "close %d×%d (%d answers): %.3f s, server CPU %.2f s, server peak RSS %s MB\n",
			c.Panelists, bigItems, c.Answers, c.Seconds, c.ServerCPU, mb(c.PeakRSS))
	}
	if r.Durable != "" {
		fmt.Fprintf(w, "durability: %s\n", r.Durable)
	}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// target is one goal of the performance issue, checked on the medians.
type target struct {
	name   string
	figure func(r *result) (float64, bool) // false: not measured in that run
	unit   string
	ok     func(v float64) bool
	goal   string
}

func phaseFig(kind string, f func(p *phase) float64) func(r *result) (float64, bool) {
	return func(r *result) (float64, bool) {
		if p := r.phase(kind); p != nil && p.N > 0 {
			return f(p), true
		}
		return 0, false
	}
}

func closeFig(n int, f func(c closeResult) float64) func(r *result) (float64, bool) {
	return func(r *result) (float64, bool) {
		for _, c := range r.Closes {
			if c.Panelists == n {
				return f(c), true
			}
		}
		return 0, false
	}
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

var targets = []target{
	{"raw ceiling (40-answer submissions/s)", func(r *result) (float64, bool) { return r.Ceiling, r.Ceiling > 0 }, "/s", nil, ""},
	{"section save of 40, 64 clients: req/s", phaseFig("save-40", func(p *phase) float64 { return p.PerSec }), "/s", nil, ""},
	{"section save of 40: × ceiling of the same run", func(r *result) (float64, bool) {
		p := r.phase("save-40")
		if p == nil || r.Ceiling == 0 {
			return 0, false
		}
		return p.PerSec / r.Ceiling, true
	}, "×", func(v float64) bool { return v >= 1.2 }, "≥ 1.2×"},
	{"section save of 40: p99", phaseFig("save-40", func(p *phase) float64 { return msOf(p.P99) }), "ms", func(v float64) bool { return v <= 25 }, "≤ 25 ms"},
	{"section save of 40: 5xx and network errors", phaseFig("save-40", func(p *phase) float64 { return float64(p.fiveXX()) }), "", func(v float64) bool { return v == 0 }, "0"},
	{"autosave, 16 clients: req/s", phaseFig("save-1", func(p *phase) float64 { return p.PerSec }), "/s", func(v float64) bool { return v >= 3000 }, "≥ 3,000/s"},
	{"autosave: p99", phaseFig("save-1", func(p *phase) float64 { return msOf(p.P99) }), "ms", func(v float64) bool { return v <= 10 }, "≤ 10 ms"},
	{"questionnaire r2 JSON, 16 clients: p99", phaseFig("questionnaire-r2", func(p *phase) float64 { return msOf(p.P99) }), "ms", func(v float64) bool { return v <= 10 }, "≤ 10 ms"},
	{"questionnaire r2 HTML page, 16 clients: p99", phaseFig("page-r2-html", func(p *phase) float64 { return msOf(p.P99) }), "ms", func(v float64) bool { return v <= 10 }, "≤ 10 ms"},
	{"close 1,000×300", closeFig(1000, func(c closeResult) float64 { return c.Seconds * 1000 }), "ms", func(v float64) bool { return v <= 250 }, "≤ 250 ms"},
	{"close 10,000×300", closeFig(10000, func(c closeResult) float64 { return c.Seconds * 1000 }), "ms", func(v float64) bool { return v <= 2500 }, "≤ 2,500 ms"},
	{"close 10,000×300: server peak RSS", closeFig(10000, func(c closeResult) float64 { return float64(c.PeakRSS) / (1 << 20) }), "MB", func(v float64) bool { return v <= 300 }, "≤ 300 MB"},
	// uncached: the first request for a round's report in the running server (see env.report);
	// the first request after a server start also times the process's own start: no target
	{"report 300 items uncached (running server): p50", phaseFig("report-uncached", func(p *phase) float64 { return msOf(p.P50) }), "ms", func(v float64) bool { return v <= 20 }, "≤ 20 ms"},
	{"report 300 items, first after a start: p50", phaseFig("report-cold", func(p *phase) float64 { return msOf(p.P50) }), "ms", nil, "(none)"},
	{"report cached, 100 readers: p99", phaseFig("report-cached", func(p *phase) float64 { return msOf(p.P99) }), "ms", func(v float64) bool { return v <= 50 }, "≤ 50 ms"},
	{"meeting: 300 attendees join: p99", phaseFig("meeting-join", func(p *phase) float64 { return msOf(p.P99) }), "ms", nil, "(none)"},
	{"meeting: 300 votes: p99", phaseFig("meeting-vote", func(p *phase) float64 { return msOf(p.P99) }), "ms", func(v float64) bool { return v <= 50 }, "≤ 50 ms"},
	{"meeting: joins and votes not 2xx", func(r *result) (float64, bool) {
		j, v := r.phase("meeting-join"), r.phase("meeting-vote")
		if j == nil || v == nil {
			return 0, false
		}
		n := 0
		for _, p := range []*phase{j, v} {
			for st, c := range p.Status {
				if st < 200 || st > 299 {
					n += c
				}
			}
		}
		return float64(n + j.N - v.N), true // a join that failed leaves a vote missing
	}, "", func(v float64) bool { return v == 0 }, "0"},
	{"meeting: presenter's count behind a vote, max", func(r *result) (float64, bool) {
		if r.Meeting == nil {
			return 0, false
		}
		return msOf(r.Meeting.Lag), true
	}, "ms", func(v float64) bool { return v <= 1000 }, "≤ 1,000 ms"},
	{"progress JSON, 16 clients: req/s", phaseFig("progress", func(p *phase) float64 { return p.PerSec }), "/s", func(v float64) bool { return v >= 20000 }, "≥ 20,000/s"},
}

// summary prints the median of each figure over the runs with its target, and fails when the
// durability check failed (the runs return an error then) or a save phase saw 5xx.
func summary(w io.Writer, runs []*result) error {
	fmt.Fprintf(w, "\n=== medians of %d run(s)\n", len(runs))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tmedian\truns\ttarget\t")
	for _, t := range targets {
		var vs []float64
		for _, r := range runs {
			if v, ok := t.figure(r); ok {
				vs = append(vs, v)
			}
		}
		if len(vs) == 0 {
			continue
		}
		m := median(vs)
		verdict := ""
		if t.ok != nil {
			verdict = t.goal + " MISSED"
			if t.ok(m) {
				verdict = t.goal + " ok"
			}
		}
		each := make([]string, len(vs))
		for i, v := range vs {
			each[i] = num(v)
		}
		fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\t\n", t.name, num(m), t.unit, strings.Join(each, " "), verdict)
	}
	tw.Flush()
	for _, r := range runs {
		if r.Durable == "" {
			return errors.New("a run has no durability verdict")
		}
	}
	fmt.Fprintln(w, "durability: every run's check passed")
	return nil
}

func num(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}
