package consensus

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// The definitions write items, groups and rounds as JSON objects keyed by id. The result types
// keep them as slices, in the order of the input (a report lists items in survey order), and
// these list types write and read them as objects whose members keep that order, through
// go-json-experiment/json's typed (un)marshalers (MarshalJSONTo, UnmarshalJSONFrom), which
// work on the caller's encoder or decoder (encoding/json checks a value before it hands it to
// UnmarshalJSON, and the whole document before that). Their MarshalJSON and UnmarshalJSON
// serve encoding/json's callers with the same document.

// legacyOptions make json.Marshal write what encoding/json writes for these types: nil slices
// and maps as null (so that a round trip keeps nil apart from empty), map keys sorted.
func legacyOptions() json.Options {
	return json.JoinOptions(json.FormatNilSliceAsNull(true), json.FormatNilMapAsNull(true), json.Deterministic(true))
}

// writeObject writes {key(0): val(0), …} for n entries.
func writeObject(enc *jsontext.Encoder, n int, key func(int) string, val func(int) any) error {
	if err := enc.WriteToken(jsontext.BeginObject); err != nil {
		return err
	}
	for i := range n {
		if err := enc.WriteToken(jsontext.String(key(i))); err != nil {
			return err
		}
		if err := json.MarshalEncode(enc, val(i)); err != nil {
			return err
		}
	}
	return enc.WriteToken(jsontext.EndObject)
}

// readObject reads an object, calling member with each name while dec is at its value (which
// member must read), or null, which has no members.
func readObject(dec *jsontext.Decoder, member func(name string) error) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	switch tok.Kind() {
	case 'n':
		return nil
	case '{':
	default:
		return fmt.Errorf("want an object, not %s", tok.Kind())
	}
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			return err
		}
		if err := member(name.String()); err != nil {
			return err
		}
	}
	_, err = dec.ReadToken()
	return err
}

// writeEnum writes s, or null for the empty string.
func writeEnum(enc *jsontext.Encoder, s string) error {
	if s == "" {
		return enc.WriteToken(jsontext.Null)
	}
	return enc.WriteToken(jsontext.String(s))
}

// readEnum reads one of valid or null (as "") into *p.
func readEnum[T ~string](dec *jsontext.Decoder, what string, p *T, valid ...T) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	switch v.Kind() {
	case 'n':
		*p = ""
		return nil
	case '"':
	default:
		return fmt.Errorf("%s: want a string or null, not %s", what, v.Kind())
	}
	s := v[1 : len(v)-1] // as written, without escapes, in nearly every case
	if bytes.IndexByte(s, '\\') >= 0 {
		if s, err = jsontext.AppendUnquote(nil, v); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	for _, c := range valid {
		if string(s) == string(c) {
			*p = c
			return nil
		}
	}
	return fmt.Errorf("%s: unknown %q", what, s)
}

// Count is a number of panelists in one named group.
type Count struct {
	Name string
	N    int
}

// Counts is an ordered JSON object {name: n}.
type Counts []Count

// Get returns the count of name, and whether it is there.
func (c Counts) Get(name string) (int, bool) {
	for _, x := range c {
		if x.Name == name {
			return x.N, true
		}
	}
	return 0, false
}

// MarshalJSONTo writes {name: n, …} in order.
func (c Counts) MarshalJSONTo(enc *jsontext.Encoder) error {
	return writeObject(enc, len(c), func(i int) string { return c[i].Name }, func(i int) any { return c[i].N })
}

// UnmarshalJSONFrom reads what MarshalJSONTo writes.
func (c *Counts) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*c = nil
	return readObject(dec, func(name string) error {
		var n int
		if err := json.UnmarshalDecode(dec, &n); err != nil {
			return err
		}
		*c = append(*c, Count{Name: name, N: n})
		return nil
	})
}

// MarshalJSON is MarshalJSONTo for encoding/json.
func (c Counts) MarshalJSON() ([]byte, error) { return json.Marshal(c, legacyOptions()) }

// UnmarshalJSON is UnmarshalJSONFrom for encoding/json.
func (c *Counts) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, c) }

// ItemList is the items of a round, written as the JSON object {id: ITEM} in order.
type ItemList []Item

// Get returns the item with the given id, or nil.
func (l ItemList) Get(id string) *Item {
	for i := range l {
		if l[i].ID == id {
			return &l[i]
		}
	}
	return nil
}

// MarshalJSONTo writes {id: item, …} in order.
func (l ItemList) MarshalJSONTo(enc *jsontext.Encoder) error {
	return writeObject(enc, len(l), func(i int) string { return l[i].ID }, func(i int) any { return &l[i] })
}

// UnmarshalJSONFrom reads what MarshalJSONTo writes. Items decode independently, so a large
// list is shared among the cores: a round's snapshot is decoded when its report or feedback is
// first asked for, and its items are most of it. The decoder only delimits each item (its
// syntax is checked there); the items are then decoded in parallel with dec's options.
func (l *ItemList) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*l = nil
	var ids []string
	// raw holds the items' values one after another, ends[i] where item i ends. The unread
	// input bounds its size (it is all of it when the document is in memory).
	raw := make([]byte, 0, len(dec.UnreadBuffer()))
	var ends []int
	if err := readObject(dec, func(id string) error {
		v, err := dec.ReadValue()
		if err != nil {
			return err
		}
		ids, raw = append(ids, id), append(raw, v...) // v is only valid until the next read
		ends = append(ends, len(raw))
		return nil
	}); err != nil || len(ids) == 0 {
		return err
	}
	items := make(ItemList, len(ids))
	errs := make([]error, len(ids))
	opts := dec.Options()
	workers := min(runtime.GOMAXPROCS(0), 1+len(ids)/64)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(ids); i += workers {
				start := 0
				if i > 0 {
					start = ends[i-1]
				}
				if err := json.Unmarshal(raw[start:ends[i]], &items[i], opts); err != nil {
					errs[i] = fmt.Errorf("item %q: %w", ids[i], err)
				}
				items[i].ID = ids[i]
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	*l = items
	return nil
}

// MarshalJSON is MarshalJSONTo for encoding/json.
func (l ItemList) MarshalJSON() ([]byte, error) { return json.Marshal(l, legacyOptions()) }

// UnmarshalJSON is UnmarshalJSONFrom for encoding/json.
func (l *ItemList) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, l) }

// GroupList is the per-group results of an item, written as {name: GROUP} in order.
type GroupList []Group

// Get returns the group with the given name, or nil.
func (l GroupList) Get(name string) *Group {
	for i := range l {
		if l[i].Name == name {
			return &l[i]
		}
	}
	return nil
}

// MarshalJSONTo writes {name: group, …} in order.
func (l GroupList) MarshalJSONTo(enc *jsontext.Encoder) error {
	return writeObject(enc, len(l), func(i int) string { return l[i].Name }, func(i int) any { return &l[i] })
}

// UnmarshalJSONFrom reads what MarshalJSONTo writes.
func (l *GroupList) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*l = nil
	return readObject(dec, func(name string) error {
		*l = append(*l, Group{})
		g := &(*l)[len(*l)-1]
		if err := json.UnmarshalDecode(dec, g); err != nil {
			return err
		}
		g.Name = name
		return nil
	})
}

// MarshalJSON is MarshalJSONTo for encoding/json.
func (l GroupList) MarshalJSON() ([]byte, error) { return json.Marshal(l, legacyOptions()) }

// UnmarshalJSON is UnmarshalJSONFrom for encoding/json.
func (l *GroupList) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, l) }

// RoundList is the rounds of a study, written as {"1": ROUND, "2": ROUND} in order.
type RoundList []*RoundResult

// Get returns round n, or nil.
func (l RoundList) Get(n int) *RoundResult {
	for _, r := range l {
		if r.Number == n {
			return r
		}
	}
	return nil
}

// MarshalJSONTo writes {"n": round, …} in order.
func (l RoundList) MarshalJSONTo(enc *jsontext.Encoder) error {
	return writeObject(enc, len(l), func(i int) string { return strconv.Itoa(l[i].Number) }, func(i int) any { return l[i] })
}

// UnmarshalJSONFrom reads what MarshalJSONTo writes; the key sets each round's Number.
func (l *RoundList) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*l = nil
	return readObject(dec, func(key string) error {
		n, err := strconv.Atoi(key)
		if err != nil {
			return fmt.Errorf("round key: %w", err)
		}
		r := new(RoundResult)
		if err := json.UnmarshalDecode(dec, r); err != nil {
			return err
		}
		r.Number = n
		*l = append(*l, r)
		return nil
	})
}

// MarshalJSON is MarshalJSONTo for encoding/json.
func (l RoundList) MarshalJSON() ([]byte, error) { return json.Marshal(l, legacyOptions()) }

// UnmarshalJSON is UnmarshalJSONFrom for encoding/json.
func (l *RoundList) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, l) }

// StabilityItems is the per-item stability, written as {id: …} in order.
type StabilityItems []StabilityItem

// Get returns the stability of the item with the given id, or nil.
func (l StabilityItems) Get(id string) *StabilityItem {
	for i := range l {
		if l[i].ID == id {
			return &l[i]
		}
	}
	return nil
}

// MarshalJSONTo writes {id: stability, …} in order.
func (l StabilityItems) MarshalJSONTo(enc *jsontext.Encoder) error {
	return writeObject(enc, len(l), func(i int) string { return l[i].ID }, func(i int) any { return &l[i] })
}

// UnmarshalJSONFrom reads what MarshalJSONTo writes.
func (l *StabilityItems) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*l = nil
	return readObject(dec, func(id string) error {
		*l = append(*l, StabilityItem{})
		it := &(*l)[len(*l)-1]
		if err := json.UnmarshalDecode(dec, it); err != nil {
			return err
		}
		it.ID = id
		return nil
	})
}

// MarshalJSON is MarshalJSONTo for encoding/json.
func (l StabilityItems) MarshalJSON() ([]byte, error) { return json.Marshal(l, legacyOptions()) }

// UnmarshalJSON is UnmarshalJSONFrom for encoding/json.
func (l *StabilityItems) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, l) }

// StabilityList is the stability between consecutive rounds. As the definitions require, it is
// written as one object when there are two rounds (one pair) and as a list with more.
type StabilityList []*Stability

// MarshalJSONTo writes one object for one pair of rounds, else an array.
func (l StabilityList) MarshalJSONTo(enc *jsontext.Encoder) error {
	if len(l) == 1 {
		return json.MarshalEncode(enc, l[0])
	}
	return json.MarshalEncode(enc, []*Stability(l))
}

// UnmarshalJSONFrom reads an object, an array or null.
func (l *StabilityList) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	switch dec.PeekKind() {
	case '{':
		s := new(Stability)
		if err := json.UnmarshalDecode(dec, s); err != nil {
			return err
		}
		*l = StabilityList{s}
		return nil
	case '[', 'n':
		var ss []*Stability
		if err := json.UnmarshalDecode(dec, &ss); err != nil {
			return err
		}
		*l = ss
		return nil
	}
	if _, err := dec.ReadValue(); err != nil {
		return err
	}
	return errors.New("stability: want an object or an array")
}

// MarshalJSON is MarshalJSONTo for encoding/json.
func (l StabilityList) MarshalJSON() ([]byte, error) { return json.Marshal(l, legacyOptions()) }

// UnmarshalJSON is UnmarshalJSONFrom for encoding/json.
func (l *StabilityList) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, l) }
