package delphi

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/cart-cd/delphi/internal/consensus"
)

// TestStoredSnapshotsRead reads snapshots written by the service before it used
// go-json-experiment/json (testdata/snapshot-round{1,2}.json: a 40 × 20 study closed at
// 3f91be0, round 2 with stability, comments with hostile text): they decode to what
// encoding/json decodes, and encoding them again gives the stored bytes.
func TestStoredSnapshotsRead(t *testing.T) {
	for _, name := range []string{"snapshot-round1.json", "snapshot-round2.json"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			snap, err := decodeSnapshot(b)
			if err != nil {
				t.Fatal(err)
			}
			var want Snapshot
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*snap, want) {
				t.Errorf("decoded %+v\nencoding/json %+v", *snap, want)
			}
			if snap.Result == nil || len(snap.Result.Items) == 0 || len(snap.Comments) == 0 || (snap.Round == 2) != (snap.Stability != nil) {
				t.Errorf("round %d: the fixture lacks results, comments or stability", snap.Round)
			}
			again, err := encodeSnapshot(snap)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, b) {
				t.Errorf("encoded again differs from the stored bytes:\n%s\n%s", again, b)
			}
		})
	}
}

// FuzzDecodeSnapshot holds the snapshot's decoding (the library and the typed unmarshalers of
// the ordered lists) to a round trip: whatever decodes encodes to a document that decodes to
// the same value, and nothing panics.
func FuzzDecodeSnapshot(f *testing.F) {
	m := 7.0
	snap := Snapshot{StudyID: 3, StudyTitle: "T <&>", SurveyID: "s", Round: 2, OpenedAt: time.Unix(1e9, 0).UTC(),
		Items:    []RoundItem{{SectionID: "a", Changed: true}},
		Result:   &consensus.RoundResult{Number: 2, NSubmitted: 4, Items: consensus.ItemList{{ID: "i", NRated: 4, Median: &m}}},
		Comments: map[string][]string{"i": {"ok", "Überprüfung – ✓", `"q" \ b`, "line\nbreak"}, "j": {}},
		Reasons:  map[string][]string{"i": nil}, Placement: map[string]map[string]int{"i": {"core": 2}}}
	seed, err := encodeSnapshot(&snap)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	if b, err := os.ReadFile(filepath.Join("testdata", "snapshot-round2.json")); err == nil {
		f.Add(b)
	}
	for _, s := range []string{`null`, `{}`, `{"result":null,"comments":null,"reasons":null}`,
		`{"result":{"items":{"i":{"hist":[1]}}},"RESULT":null}`, `{"comments":{"i":["a"]},"comments":{"j":["b"]}}`,
		`{"comments":{"i":["a",null,"\u00e9"]}}`, `{"comments":{"i":[1]}}`, `{"comments":[]}`,
		`{"reasons":{"\u00e9":["x"]}}`, `{"result":{"items":[]}}`, `{"result":{},"round":"2"}`,
		`{"round":2,"result":{"items":{}}} x`, `{"comments":{"i":"a"}}`, `{"result":{"n_submitted":1,}}`,
		`{"result":{"items":{"i":{"groups":{"g":{"comet":"consensus\u005fin"}}}}}}`, `{"result":{"items":{"i":{"rand":{"median_category":"x"}}}}}`,
		`{"stability":{"from_round":"1","to_round":"2","items":{"i":{"wilcoxon":{"wilcox":{"approx":{"error":"no_pairs"}}}}}}}`,
		`{"closed_at":"2026-01-02T03:04:05+01:00","deadline":"0001-01-01T00:00:00Z"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		snap, err := decodeSnapshot(b)
		if err != nil {
			return
		}
		enc, err := encodeSnapshot(snap)
		if err != nil {
			t.Fatalf("%q decodes but does not encode: %v", b, err)
		}
		back, err := decodeSnapshot(enc)
		if err != nil {
			t.Fatalf("%q decodes, its encoding %s does not: %v", b, enc, err)
		}
		if enc2, err := encodeSnapshot(back); err != nil || !bytes.Equal(enc2, enc) {
			t.Fatalf("%q: encodes as %s, then as %s (%v)", b, enc, enc2, err)
		}
	})
}
