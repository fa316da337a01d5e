package consensus_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/cart-cd/delphi/internal/consensus"
)

// v2Options are the options the service stores snapshots with (delphi's snapshot encoding):
// what encoding/json writes.
func v2Options() jsonv2.Options {
	return jsonv2.JoinOptions(jsonv2.FormatNilSliceAsNull(true), jsonv2.FormatNilMapAsNull(true), jsonv2.Deterministic(true),
		jsontext.EscapeForHTML(true), jsontext.EscapeForJS(true))
}

// storedSnapshot is the consensus part of what the service stores when it closes a round
// (delphi.Snapshot's "result" and "stability"); the rest of a snapshot is small.
type storedSnapshot struct {
	Result    *consensus.RoundResult `json:"result"`
	Stability *consensus.Stability   `json:"stability,omitempty"`
}

func snapshotJSON(tb testing.TB, np, ni, ng int) []byte {
	tb.Helper()
	prev, cur := benchRounds(np, ni, ng, 1)
	res, st := snapshot(consensus.ThirdsScale(9), consensus.DefaultRule(), prev, cur)
	b, err := jsonv2.Marshal(storedSnapshot{res, st}, v2Options())
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkDecodeSnapshot1000x300 decodes a closed round's snapshot of 1,000 panelists × 300
// items in 6 groups, as the service does when a report first needs it after a start.
func BenchmarkDecodeSnapshot1000x300(b *testing.B) {
	data := snapshotJSON(b, 1000, 300, 6)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var s storedSnapshot
		if err := jsonv2.Unmarshal(data, &s, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)); err != nil {
			b.Fatal(err)
		}
	}
}

// A snapshot decodes to what was encoded and encodes again to the same bytes, through either
// library: encoding/json writes what go-json-experiment/json writes with the service's options.
func TestDecodeSnapshotRoundTrip(t *testing.T) {
	data := snapshotJSON(t, 1000, 300, 6)
	prev, cur := benchRounds(1000, 300, 6, 1)
	res, st := snapshot(consensus.ThirdsScale(9), consensus.DefaultRule(), prev, cur)
	var back, back1 storedSnapshot
	if err := jsonv2.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, storedSnapshot{res, st}) {
		t.Error("round trip differs")
	}
	if b2 := mustJSON(t, back); !bytes.Equal(data, b2) {
		t.Error("encoding/json's encoding differs")
	}
	if err := json.Unmarshal(data, &back1); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back1, back) {
		t.Error("encoding/json decodes another snapshot")
	}
}

// The ordered objects keep odd keys, their order and their values through a round trip.
func TestListsRoundTrip(t *testing.T) {
	f, c := 2.5, consensus.NoConsensus
	groups := consensus.GroupList{{Name: `a"b`, NRated: 1, Hist: []int{1}, Median: &f, Comet: c}, {Name: "é", Hist: []int{}}, {Name: `\u00e9`}, {Name: ""}}
	lists := []any{
		&consensus.ItemList{{ID: "z", Groups: groups}, {ID: "a", Median: &f, Comet: c}, {ID: "</>&"}},
		&groups,
		&consensus.Counts{{Name: "b", N: 2}, {Name: "a", N: 1}, {Name: "\t\u2028", N: 0}},
	}
	for _, l := range lists {
		b := mustJSON(t, l)
		back := reflect.New(reflect.TypeOf(l).Elem())
		if err := json.Unmarshal(b, back.Interface()); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !reflect.DeepEqual(back.Interface(), l) {
			t.Errorf("%s: round trip gives %+v", b, back.Elem())
		}
		if b2 := mustJSON(t, back.Interface()); !bytes.Equal(b, b2) {
			t.Errorf("second encoding %s, first %s", b2, b)
		}
		// the same through go-json-experiment/json, as the service stores and reads snapshots
		b2, err := jsonv2.Marshal(l, v2Options())
		if err != nil || !bytes.Equal(b2, b) {
			t.Errorf("go-json-experiment/json writes %s (%v), encoding/json %s", b2, err, b)
		}
		back2 := reflect.New(reflect.TypeOf(l).Elem())
		if err := jsonv2.Unmarshal(b, back2.Interface()); err != nil || !reflect.DeepEqual(back2.Interface(), l) {
			t.Errorf("%s: go-json-experiment/json reads %+v (%v)", b, back2.Elem(), err)
		}
	}
}

func TestListsDecode(t *testing.T) {
	tests := []struct {
		in   string
		want consensus.GroupList
	}{
		{`null`, nil},
		{`{}`, nil},
		{` { "\u00e9" : {} , "a\"b":{"n_low":1, "extra":{"x":["}", {"y":null}]}} , "e":null } `,
			consensus.GroupList{{Name: "é"}, {Name: `a"b`, NLow: 1}, {Name: "e"}}},
	}
	for _, tt := range tests {
		var got consensus.GroupList
		if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
			t.Errorf("%s: %v", tt.in, err)
		} else if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %+v, want %+v", tt.in, got, tt.want)
		}
	}
	// Duplicate names are refused (a snapshot never has them, and a list could not say which one counts).
	for _, in := range []string{`[]`, `{"g":1}`, `{"g":{"n_low":1.5}}`, `{"g":{"comet":"maybe"}}`, `{"g":{"hist":[1,,2]}}`,
		`{"g":{"n_low":1},"g":{"n_low":2}}`, `{"\u00e9":{},"é":{}}`, `{"g":{"n_low":1,"n_low":2}}`} {
		var gl consensus.GroupList
		var il consensus.ItemList
		if json.Unmarshal([]byte(in), &gl) == nil || json.Unmarshal([]byte(`{"i":{"groups":`+in+`}}`), &il) == nil {
			t.Errorf("%s: no error", in)
		}
	}
	var il consensus.ItemList
	if err := il.UnmarshalJSON([]byte(`{"i":{}} {}`)); err == nil {
		t.Error("data after the object: no error")
	}
}
