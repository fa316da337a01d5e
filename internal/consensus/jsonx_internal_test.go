package consensus

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/cart-cd/delphi/internal/jsonscan"
)

// legacyGroupList decodes as GroupList did: each group by encoding/json (the object scanner
// has its own fuzz target in jsonscan).
type legacyGroupList []Group

func (l *legacyGroupList) UnmarshalJSON(b []byte) error {
	*l = nil
	return jsonscan.Members(b, func(k string, raw []byte) error {
		var g Group
		if err := json.Unmarshal(raw, &g); err != nil {
			return err
		}
		g.Name = k
		*l = append(*l, g)
		return nil
	})
}

// FuzzDecodeGroup compares decodeGroup with encoding/json, alone and inside a GroupList.
func FuzzDecodeGroup(f *testing.F) {
	h := []int{1, 0, 3}
	m := 5.5
	g := Group{NSubmitted: 10, NRated: 4, NUnable: 1, NMissing: 5, NLow: 1, NHigh: 3, Hist: h, Median: &m, PctLow: &m, Comet: ConsensusIn}
	seed, _ := json.Marshal(&g)
	f.Add(seed)
	for _, s := range []string{
		`null`, `{}`, `{"hist":[]}`, `{"hist":null}`, `{"hist":[1,null,2],"hist":[null,7]}`, `{"HIST":[1]}`,
		`{"n_rated":1.0}`, `{"n_rated":1e2}`, `{"n_rated":-0}`, `{"n_rated":"1"}`, `{"n_rated":null}`,
		`{"n_rated":99999999999999999999}`, `{"median":1e400}`, `{"median":-0.0,"median":null}`,
		`{"comet":null}`, `{"comet":"consensus_out"}`, `{"comet":"x"}`, `{"comet":"consensus\u005fin"}`,
		`{"comet":1}`, `{"N_\u212Aow":1}`, `{"n_lo\u017F":2}`, `{"extra":{"a":[1,"}"]},"n_low":3}`,
		`{"extra":{"a":}}`, `{"n_low":01}`, `{"n_low":+1}`, `{"n_low":1,}`, `[]`, `"g"`, `{"pct_mid":.5}`,
		` { "n_mid" : 2 , "hist" : [ 1 , 2 ] } `, `{"median":true}`, `{"hist":[true]}`, `{"hist":{}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want, got Group
		wantErr := json.Unmarshal(b, &want)
		err := decodeGroup(b, &got)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%q: error %v, encoding/json %v", b, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: %+v, encoding/json %+v", b, got, want)
		}
		// The same group inside a list, decoded as the service does.
		doc := append(append([]byte(`{"g":`), b...), '}')
		var wl legacyGroupList
		var gl GroupList
		wantErr, err = json.Unmarshal(doc, &wl), json.Unmarshal(doc, &gl)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%s: error %v, legacy %v", doc, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(gl, GroupList(wl)) {
			t.Fatalf("%s: %+v, legacy %+v", doc, gl, wl)
		}
	})
}

// decodeGroup is readGroup of a whole document, as GroupList.UnmarshalJSON reads its values.
func decodeGroup(b []byte, g *Group) error {
	r := jsonscan.NewReader(b, nil)
	if err := readGroup(r, g); err != nil {
		return err
	}
	return r.End()
}

// decodeItem is readItem of a whole document, as ItemList.UnmarshalJSON reads its values.
func decodeItem(b []byte, it *Item) error {
	r := jsonscan.NewReader(b, nil)
	if err := readItem(r, it); err != nil {
		return err
	}
	return r.End()
}

// FuzzDecodeItem compares readItem with encoding/json.
func FuzzDecodeItem(f *testing.F) {
	m, lo := 5.5, 1.25
	yes := true
	it := Item{NRated: 10, NUnable: 1, NMissing: 2, NLow: 1, NMid: 2, NHigh: 7, Hist: []int{1, 0, 2, 7},
		Median: &m, QuantileType7: &Quartiles{1, 3, 2}, QuantileType6: &Quartiles{0.5, 3.5, 3}, Mean: &m,
		SDSample: &lo, PctLow: &m, PctMid: &m, PctHigh: &m, PctLowWilson95: &Interval{lo, m},
		PctHighWilson95: &Interval{0, 100}, Comet: NoConsensus, Fragile: &yes,
		RAND:   &RAND{1, 2, 1, 1.5, 3.5, 7.6, true, Inappropriate, Uncertain},
		Groups: GroupList{{Name: "a", NRated: 3, Hist: []int{3}, Median: &m, Comet: ConsensusIn}, {Name: "b"}}}
	seed, _ := json.Marshal(&it)
	f.Add(seed)
	for _, s := range []string{
		`null`, `{}`, `{"fragile":null}`, `{"fragile":false,"fragile":null}`, `{"fragile":1}`,
		`{"quantile_type7":{"q1":1},"quantile_type7":{"q3":2}}`, `{"quantile_type7":null}`,
		`{"quantile_type7":{"q1":null}}`, `{"quantile_type7":[1]}`, `{"QUANTILE_TYPE7":{"Q1":2}}`,
		`{"pct_low_wilson95":{"lo":1,"hi":2,"x":[{}]}}`, `{"pct_high_wilson95":{"lo":"1"}}`,
		`{"rand":{"disagreement":true,"median_category":"uncertain","final_category":null}}`,
		`{"rand":{"disagreement":1}}`, `{"rand":{"median_category":"x"}}`, `{"rand":null}`,
		`{"rand":{"ipr":1e400}}`, `{"groups":null}`, `{"groups":{}}`, `{"groups":{"g":null}}`,
		`{"groups":[]}`, `{"groups":{"g":{"n_low":1},"g":{"n_low":2}}}`, `{"mean":-0.0,"sd_sample":null}`,
		`{"comet":"consensus_in","comet":null}`, `{"n_rated":1,}`, `{"hist":[1,null]}`, `{"ID":"x"}`,
		`{"-":1}`, ` { "rand" : { "ai" : 2 } } `, `{"rand":{}} x`, `{"fragile":tru}`, `{"rand":{"ai":}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want, got Item
		wantErr := json.Unmarshal(b, &want)
		err := decodeItem(b, &got)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%q: error %v, encoding/json %v", b, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: %+v, encoding/json %+v", b, got, want)
		}
	})
}

// The readers know every field of their types: one added there must be added there too.
func TestDecodedFields(t *testing.T) {
	for _, tt := range []struct {
		typ   reflect.Type
		names []string
	}{
		{reflect.TypeFor[Group](), groupFields},
		{reflect.TypeFor[Item](), itemFields},
		{reflect.TypeFor[RAND](), randFields},
		{reflect.TypeFor[Quartiles](), []string{"q1", "q3", "iqr"}},
		{reflect.TypeFor[Interval](), []string{"lo", "hi"}},
	} {
		var names []string
		for i := range tt.typ.NumField() {
			if tag := tt.typ.Field(i).Tag.Get("json"); tag != "-" {
				names = append(names, tag)
			}
		}
		if !reflect.DeepEqual(names, tt.names) {
			t.Errorf("%s's JSON fields are %q, its reader reads %q", tt.typ, names, tt.names)
		}
	}
}

// FuzzDecodeRoundResult compares RoundResult's decoder, called as the service calls it (not
// behind json.Unmarshal, which would check the whole input first), with encoding/json's for
// the struct.
func FuzzDecodeRoundResult(f *testing.F) {
	m := 2.0
	rr := RoundResult{Number: 2, Rule: DefaultRule(), NSubmitted: 3, GroupsSubmitted: Counts{{"a", 2}, {"b", 1}},
		Items: ItemList{{ID: "i1", NRated: 3, Median: &m, Groups: GroupList{{Name: "a"}}}, {ID: "i2"}}}
	seed, _ := json.Marshal(&rr)
	f.Add(seed)
	for _, s := range []string{`null`, `{}`, `{"items":null}`, `{"items":{}}`, `{"ITEMS":{"i":{}}}`,
		`{"items":{"i":{}},"items":{"j":{}}}`, `{"items":{"i":{"n_low":1.5}}}`, `{"items":[]}`,
		`{"n_submitted":"3"}`, `{"_round":1,"items":{"i":null}} x`, `{"items":{"i":{}},}`, `{"kendall":{}}`} {
		f.Add([]byte(s))
	}
	type plain RoundResult
	f.Fuzz(func(t *testing.T, b []byte) {
		var want plain
		var got RoundResult
		wantErr := json.Unmarshal(b, &want)
		err := got.UnmarshalJSON(b)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%q: error %v, encoding/json %v", b, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, RoundResult(want)) {
			t.Fatalf("%q: %+v, encoding/json %+v", b, got, want)
		}
	})
}
