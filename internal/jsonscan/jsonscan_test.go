package jsonscan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

// legacyMembers reads an object's members through a json.Decoder, as the service did before
// Members: the reference the fuzz targets compare the one-pass scanner with.
func legacyMembers(b []byte, add func(key string, raw json.RawMessage) error) error {
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
		return ms, legacyMembers(b, func(k string, raw json.RawMessage) error { return add(k, raw) })
	}
	return ms, Members(b, add)
}

var objectSeeds = []string{
	`null`, ` null `, `{}`, ` { } `, `{"a":1}`, `{"a":1,"a":2}`, `{"a\"b":{"x":[1,{"y":"}"}]}}`,
	`{"\u00e9":"é","é":null,"\ud800":true}`, `{"a":1,}`, `{"a" 1}`, `{"a":}`, `{"a":1} x`, `{"a":1}{}`,
	`[1]`, `"x"`, `1`, `{1:2}`, `{"a":"\q"}`, `{"a":"` + "\x01" + `"}`, `{"a":[}]}`, `{"a":tru}`,
	`{"a":1e5,"b":-0.5e-3,"c":01}`, `{"a":{"b":{"c":[[],[{}]]}}}`, "{\n\t\"k\" :\r [ ] }", `{"a":"\\"}`,
	`{"a":"x\"}`, `{"a`, `{`, ``, `{"a":[1,2`,
}

// FuzzMembers compares the scanner with the json.Decoder it replaces: what the old one
// rejects, the new one rejects; what both accept gives the same members. The new one may reject
// more only for input that is not JSON (the old one ignored what followed the object).
func FuzzMembers(f *testing.F) {
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

// splitT is a document with members of several kinds; Split takes out "x" and "z".
type splitT struct {
	X []string       `json:"x"`
	Y string         `json:"y"`
	Z map[string]int `json:"z"`
	W *splitT        `json:"w"`
}

// FuzzSplit checks that decoding what Split takes out and what it leaves gives what
// json.Unmarshal gives for the whole, errors included, whenever Split says ok.
func FuzzSplit(f *testing.F) {
	for _, s := range append(objectSeeds, `{"x":["a","b"],"y":"c","z":{"k":1},"w":{"x":["in"]}}`,
		`{"X":["a"]}`, `{"x":["a"],"x":null}`, `{"y":1}`, `{"x":[1]}`, `{"z":{"k":"v"}}`, `{"x":["\u00e9"],"y":"\ud800"}`,
		`{"w":null,"x":null,"z":null}`, `{"y":"a","x":[]}`, `{"x":{}}`) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want splitT
		wantErr := json.Unmarshal(b, &want)
		vals, rest, ok, err := Split(b, "x", "z")
		if err == nil && !ok {
			return // the caller decodes b whole
		}
		var got splitT
		if err == nil {
			err = json.Unmarshal(rest, &got)
		}
		if err == nil && vals[0] != nil {
			err = json.Unmarshal(vals[0], &got.X)
		}
		if err == nil && vals[1] != nil {
			err = json.Unmarshal(vals[1], &got.Z)
		}
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%q: error %v, encoding/json %v", b, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: %+v, encoding/json %+v", b, got, want)
		}
	})
}

// FuzzStrings compares Reader.Strings with encoding/json into a nil slice.
func FuzzStrings(f *testing.F) {
	for _, s := range []string{`null`, `[]`, `["a","b"]`, `["é ✓","\u00e9","\ud800",null]`, `["a\"b\\c\n"]`,
		"[\"\xff\"]", "[\"\x01\"]", `["\u2028"]`, `[1]`, `["a",]`, `[ "a" , "b" ] `, `["a"] x`, `"a"`, `[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want, got []string
		wantErr := json.Unmarshal(b, &want)
		r := NewReader(b, nil)
		err := r.Strings(&got)
		if err == nil {
			err = r.End()
		}
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%q: error %v, encoding/json %v", b, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: %q, encoding/json %q", b, got, want)
		}
	})
}
