package consensus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

// legacyUnmarshalObject is unmarshalObject as it was, through a json.Decoder: the reference
// the fuzz targets compare the one-pass scanner with.
func legacyUnmarshalObject(b []byte, add func(key string, raw json.RawMessage) error) error {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("want a JSON object, got %v", tok)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("want an object key, got %v", tok)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("%q: %w", key, err)
		}
		if err := add(key, raw); err != nil {
			return fmt.Errorf("%q: %w", key, err)
		}
	}
	_, err = dec.Token()
	return err
}

// legacyGroupList decodes as GroupList did: each group by encoding/json.
type legacyGroupList []Group

func (l *legacyGroupList) UnmarshalJSON(b []byte) error {
	*l = nil
	return legacyUnmarshalObject(b, func(k string, raw json.RawMessage) error {
		var g Group
		if err := json.Unmarshal(raw, &g); err != nil {
			return err
		}
		g.Name = k
		*l = append(*l, g)
		return nil
	})
}

type member struct {
	key string
	raw string
}

func members(b []byte, legacy bool) ([]member, error) {
	var ms []member
	add := func(k string, raw []byte) error {
		if !json.Valid(raw) {
			return fmt.Errorf("invalid value %q", raw)
		}
		ms = append(ms, member{k, string(raw)})
		return nil
	}
	if legacy {
		return ms, legacyUnmarshalObject(b, func(k string, raw json.RawMessage) error { return add(k, raw) })
	}
	return ms, unmarshalObject(b, add)
}

var objectSeeds = []string{
	`null`, ` null `, `{}`, ` { } `, `{"a":1}`, `{"a":1,"a":2}`, `{"a\"b":{"x":[1,{"y":"}"}]}}`,
	`{"\u00e9":"é","é":null,"\ud800":true}`, `{"a":1,}`, `{"a" 1}`, `{"a":}`, `{"a":1} x`, `{"a":1}{}`,
	`[1]`, `"x"`, `1`, `{1:2}`, `{"a":"\q"}`, `{"a":"` + "\x01" + `"}`, `{"a":[}]}`, `{"a":tru}`,
	`{"a":1e5,"b":-0.5e-3,"c":01}`, `{"a":{"b":{"c":[[],[{}]]}}}`, "{\n\t\"k\" :\r [ ] }", `{"a":"\\"}`,
	`{"a":"x\"}`, `{"a`, `{`, ``, `{"a":[1,2`,
}

// FuzzUnmarshalObject compares the scanner with the json.Decoder it replaces: what the old one
// rejects, the new one rejects; what both accept gives the same members. The new one may reject
// more only for input that is not JSON (the old one ignored what followed the object).
func FuzzUnmarshalObject(f *testing.F) {
	for _, s := range objectSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		old, oldErr := members(b, true)
		got, err := members(b, false)
		switch {
		case oldErr != nil && err == nil:
			t.Fatalf("%q: accepted, legacy says %v", b, oldErr)
		case oldErr == nil && err != nil && json.Valid(b):
			t.Fatalf("%q: %v, legacy accepts it", b, err)
		case oldErr == nil && err == nil && !reflect.DeepEqual(got, old):
			t.Fatalf("%q: members %q, legacy %q", b, got, old)
		}
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
		var floats []float64
		err := decodeGroup(&floats, b, &got)
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

// decodeGroup knows every field of Group: one added there must be added there too.
func TestGroupFields(t *testing.T) {
	var names []string
	typ := reflect.TypeFor[Group]()
	for i := range typ.NumField() {
		if tag := typ.Field(i).Tag.Get("json"); tag != "-" {
			names = append(names, tag)
		}
	}
	if !reflect.DeepEqual(names, groupFields) {
		t.Errorf("Group's JSON fields are %q, decodeGroup reads %q", names, groupFields)
	}
}
