package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// answerFixture is a study with one open round of the given items and one panelist.
func answerFixture(t testing.TB, s *Store, items int) (round, panelist int64) {
	t.Helper()
	err := s.InTx(context.Background(), func(tx *Tx) error {
		study, err := tx.CreateStudy("x", "X", []byte("id: x"), "h", "", 0)
		if err != nil {
			return err
		}
		ids, err := tx.AddPanelists(study, []Panelist{{Name: "A", Email: "a@x.org", Group: "g", Language: "en"}})
		if err != nil {
			return err
		}
		panelist = ids[0]
		ri := make([]RoundItem, items)
		for i := range ri {
			ri[i] = RoundItem{ItemID: fmt.Sprintf("i%d", i), SectionID: "s"}
		}
		round, err = tx.CreateOpenRound(NewRound{StudyID: study, Number: 1, Rule: "{}", RuleHash: "h", Items: ri, Panelists: ids})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return round, panelist
}

// TestUpsertAnswersRoundTrip checks that every field comes back as written, whatever the text
// holds: the answers travel to SQLite as JSON, so quoting must be exact.
func TestUpsertAnswersRoundTrip(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	round, panelist := answerFixture(t, s, 0)
	one, nine := 1, 9
	texts := []string{
		"", "plain", `quote " and backslash \ and slash /`, "new\nline\ttab\r", "nul\x00inside",
		"ünïcödé – “typographic” €", "emoji 🧬🩸", "<script>alert(1)</script>&amp;", "=HYPERLINK(\"x\")",
		"\u2028\u2029 separators", "\x7f delete", strings.Repeat("long ", 800),
	}
	var want []Answer
	for i, text := range texts {
		a := Answer{RoundID: round, PanelistID: panelist, ItemID: fmt.Sprintf("item_%02d", i), Comment: text, Reason: text, Placement: text}
		switch i % 3 {
		case 0:
			a.Rating = &one
		case 1:
			a.Rating = &nine
		case 2:
			a.Unable = true
		}
		want = append(want, a)
	}
	want = append(want, Answer{RoundID: round, PanelistID: panelist, ItemID: `odd "id" \ ü`})
	for pass := 0; pass < 2; pass++ { // the second pass replaces every answer with itself
		if err := s.InTx(ctx, func(tx *Tx) error { return tx.UpsertAnswers(want) }); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Answers(ctx, round, panelist)
	if err != nil {
		t.Fatal(err)
	}
	byItem := map[string]Answer{}
	for _, a := range got {
		a.UpdatedAt = ""
		byItem[a.ItemID] = a
	}
	if len(got) != len(want) {
		t.Fatalf("%d answers stored, want %d", len(got), len(want))
	}
	for _, w := range want {
		if g := byItem[w.ItemID]; !reflect.DeepEqual(g, w) {
			t.Errorf("item %q:\n got %+v\nwant %+v", w.ItemID, g, w)
		}
	}
}

// TestAnswerRowsRandomText writes random valid UTF-8 through AnswerRows and reads it back.
func TestAnswerRowsRandomText(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	round, panelist := answerFixture(t, s, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 200; n++ {
		var b strings.Builder
		for b.Len() < 1+rng.IntN(60) {
			r := rune(rng.IntN(0x11000))
			if rng.IntN(3) == 0 {
				r = rune(rng.IntN(0x80))
			}
			if utf8.ValidRune(r) {
				b.WriteRune(r)
			}
		}
		text := b.String()
		a := Answer{RoundID: round, PanelistID: panelist, ItemID: "x", Comment: text}
		if err := s.InTx(ctx, func(tx *Tx) error { return tx.UpsertAnswers([]Answer{a}) }); err != nil {
			t.Fatal(err)
		}
		got, err := s.Answers(ctx, round, panelist)
		if err != nil || len(got) != 1 || got[0].Comment != text {
			t.Fatalf("%q came back as %+v (%v)", text, got, err)
		}
	}
}

// BenchmarkUpsertAnswers40 is one 40-answer save per transaction, as the load tool's ceiling.
func BenchmarkUpsertAnswers40(b *testing.B) {
	s, _ := newTestStore(b)
	round, panelist := answerFixture(b, s, 0)
	as := make([]Answer, 40)
	r := 5
	for i := range as {
		as[i] = Answer{RoundID: round, PanelistID: panelist, ItemID: fmt.Sprintf("item_%03d", i), Rating: &r}
	}
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		if err := s.InTx(ctx, func(tx *Tx) error { return tx.UpsertAnswers(as) }); err != nil {
			b.Fatal(err)
		}
	}
}

// TestUpsertAnswersChunks saves more answers in one call than one statement takes.
func TestUpsertAnswersChunks(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	round, panelist := answerFixture(t, s, 0)
	var as []Answer
	for i := range 2*upsertChunk + 7 {
		r := 1 + i%9
		as = append(as, Answer{RoundID: round, PanelistID: panelist, ItemID: fmt.Sprintf("i%03d", i), Rating: &r})
	}
	if err := s.InTx(ctx, func(tx *Tx) error { return tx.UpsertAnswers(as) }); err != nil {
		t.Fatal(err)
	}
	got, err := s.Answers(ctx, round, panelist)
	if err != nil || len(got) != len(as) {
		t.Fatalf("%d answers stored of %d (%v)", len(got), len(as), err)
	}
	for _, a := range got {
		var i int
		fmt.Sscanf(a.ItemID, "i%03d", &i)
		if *a.Rating != 1+i%9 {
			t.Errorf("%s: rating %d, want %d", a.ItemID, *a.Rating, 1+i%9)
		}
	}
}
