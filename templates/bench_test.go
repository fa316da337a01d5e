package templates

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/cart-cd/delphi/internal/report"
)

// benchSummary is a summary of 300 items in 15 sections and 6 stakeholder groups, a third of
// them to discuss, as cmd/delphi-load's report reads (the figures are made up: only the
// markup is measured).
func benchSummary() *report.Summary {
	s := &report.Summary{Title: "Load study", Round: 1}
	for v := 1; v <= 9; v++ {
		s.Points = append(s.Points, report.Point{Value: v, Band: []string{"low", "mid", "high"}[(v-1)/3], BandIndex: (v - 1) / 3})
	}
	for g := range 6 {
		s.Groups = append(s.Groups, report.GroupHead{ID: fmt.Sprint("g", g), Label: fmt.Sprint("Group ", g)})
	}
	for sec := range 15 {
		sv := report.SectionView{ID: fmt.Sprint("s", sec), Label: fmt.Sprint("Section ", sec)}
		for k := range 20 {
			iv := &report.ItemView{ID: fmt.Sprintf("item_%03d", sec*20+k), Label: fmt.Sprintf("Parameter %d of section %d", k, sec),
				Section: sv.Label, N: 980, NUnable: 20, NMissing: 5, PctLow: "10.2%", PctMid: "20.4%", PctHigh: "69.4%",
				Median: "7", Q1: "5", Q3: "8", IQR: "3", WilsonHigh: "66.4–72.2%", WilsonLow: "8.5–12.3%",
				Class: "no_consensus", ClassLabel: "No consensus", Hist: []int{10, 20, 70, 60, 80, 60, 200, 250, 230},
				Placement: "core 100 · expansion module 50", Comments: []string{"A comment", "Another one"}}
			for g := range 6 {
				iv.Groups = append(iv.Groups, report.GroupCell{ID: fmt.Sprint("g", g), Label: fmt.Sprint("Group ", g), NRated: 160,
					PctHigh: "70.1%", PctLow: "9.0%", Median: "7", Class: "consensus_in", ClassLabel: "Consensus in", Differs: g%2 == 0})
			}
			iv.Contested = k%3 == 0
			iv.Why = "no consensus"
			s.Items = append(s.Items, iv)
			sv.Items = append(sv.Items, iv)
			if iv.Contested {
				s.Contested = append(s.Contested, iv)
			}
		}
		s.Sections = append(s.Sections, sv)
	}
	s.Comments = s.Items
	return s
}

// BenchmarkSummary renders the summary of 300 items (the report page's body).
func BenchmarkSummary(b *testing.B) {
	s := benchSummary()
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := Summary(s).Render(context.Background(), &buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes")
}
