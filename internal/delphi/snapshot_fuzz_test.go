package delphi

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/cart-cd/delphi/internal/consensus"
)

// FuzzDecodeSnapshot compares decodeSnapshot with json.Unmarshal: the same errors (one or
// none) and the same snapshot.
func FuzzDecodeSnapshot(f *testing.F) {
	m := 7.0
	snap := Snapshot{StudyID: 3, StudyTitle: "T <&>", SurveyID: "s", Round: 2, OpenedAt: time.Unix(1e9, 0).UTC(),
		Items:    []RoundItem{{SectionID: "a", Changed: true}},
		Result:   &consensus.RoundResult{Number: 2, NSubmitted: 4, Items: consensus.ItemList{{ID: "i", NRated: 4, Median: &m}}},
		Comments: map[string][]string{"i": {"ok", "Überprüfung – ✓", `"q" \ b`, "line\nbreak"}, "j": {}},
		Reasons:  map[string][]string{"i": nil}, Placement: map[string]map[string]int{"i": {"core": 2}}}
	seed, err := json.Marshal(&snap)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	for _, s := range []string{`null`, `{}`, `{"result":null,"comments":null,"reasons":null}`,
		`{"result":{"items":{"i":{"hist":[1]}}},"RESULT":null}`, `{"comments":{"i":["a"]},"comments":{"j":["b"]}}`,
		`{"comments":{"i":["a",null,"\u00e9"],"i":["b"]}}`, `{"comments":{"i":[1]}}`, `{"comments":[]}`,
		`{"reasons":{"\u00e9":["x"]}}`, `{"result":{"items":[]}}`, `{"result":{},"round":"2"}`,
		`{"round":2,"result":{"items":{}}} x`, `{"comments":{"i":"a"}}`, `{"result":{"n_submitted":1,}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want Snapshot
		wantErr := json.Unmarshal(b, &want)
		got, err := decodeSnapshot(b)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%q: error %v, encoding/json %v", b, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(*got, want) {
			t.Fatalf("%q: %+v, encoding/json %+v", b, *got, want)
		}
	})
}
