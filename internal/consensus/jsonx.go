package consensus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// The definitions write items, groups and rounds as JSON objects keyed by id. The result types
// keep them as slices, in the order of the input (a report lists items in survey order), and
// these list types write and read them as objects whose keys keep that order.

// marshalObject writes {key(0): val(0), …} for n entries.
func marshalObject(n int, key func(int) string, val func(int) any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(key(i))
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(val(i))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// unmarshalObject reads a JSON object (or null) and calls add for each member, in order.
func unmarshalObject(b []byte, add func(key string, raw json.RawMessage) error) error {
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

// MarshalJSON writes {name: n, …} in order.
func (c Counts) MarshalJSON() ([]byte, error) {
	return marshalObject(len(c), func(i int) string { return c[i].Name }, func(i int) any { return c[i].N })
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Counts) UnmarshalJSON(b []byte) error {
	*c = nil
	return unmarshalObject(b, func(k string, raw json.RawMessage) error {
		var n int
		if err := json.Unmarshal(raw, &n); err != nil {
			return err
		}
		*c = append(*c, Count{Name: k, N: n})
		return nil
	})
}

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

// MarshalJSON writes {id: item, …} in order.
func (l ItemList) MarshalJSON() ([]byte, error) {
	return marshalObject(len(l), func(i int) string { return l[i].ID }, func(i int) any { return &l[i] })
}

// UnmarshalJSON reads what MarshalJSON writes.
func (l *ItemList) UnmarshalJSON(b []byte) error {
	*l = nil
	return unmarshalObject(b, func(k string, raw json.RawMessage) error {
		var it Item
		if err := json.Unmarshal(raw, &it); err != nil {
			return err
		}
		it.ID = k
		*l = append(*l, it)
		return nil
	})
}

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

// MarshalJSON writes {name: group, …} in order.
func (l GroupList) MarshalJSON() ([]byte, error) {
	return marshalObject(len(l), func(i int) string { return l[i].Name }, func(i int) any { return &l[i] })
}

// UnmarshalJSON reads what MarshalJSON writes.
func (l *GroupList) UnmarshalJSON(b []byte) error {
	*l = nil
	return unmarshalObject(b, func(k string, raw json.RawMessage) error {
		var g Group
		if err := json.Unmarshal(raw, &g); err != nil {
			return err
		}
		g.Name = k
		*l = append(*l, g)
		return nil
	})
}

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

// MarshalJSON writes {"n": round, …} in order.
func (l RoundList) MarshalJSON() ([]byte, error) {
	return marshalObject(len(l), func(i int) string { return strconv.Itoa(l[i].Number) }, func(i int) any { return l[i] })
}

// UnmarshalJSON reads what MarshalJSON writes; the key sets each round's Number.
func (l *RoundList) UnmarshalJSON(b []byte) error {
	*l = nil
	return unmarshalObject(b, func(k string, raw json.RawMessage) error {
		n, err := strconv.Atoi(k)
		if err != nil {
			return fmt.Errorf("round key: %w", err)
		}
		r := new(RoundResult)
		if err := json.Unmarshal(raw, r); err != nil {
			return err
		}
		r.Number = n
		*l = append(*l, r)
		return nil
	})
}

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

// MarshalJSON writes {id: stability, …} in order.
func (l StabilityItems) MarshalJSON() ([]byte, error) {
	return marshalObject(len(l), func(i int) string { return l[i].ID }, func(i int) any { return &l[i] })
}

// UnmarshalJSON reads what MarshalJSON writes.
func (l *StabilityItems) UnmarshalJSON(b []byte) error {
	*l = nil
	return unmarshalObject(b, func(k string, raw json.RawMessage) error {
		var it StabilityItem
		if err := json.Unmarshal(raw, &it); err != nil {
			return err
		}
		it.ID = k
		*l = append(*l, it)
		return nil
	})
}

// StabilityList is the stability between consecutive rounds. As the definitions require, it is
// written as one object when there are two rounds (one pair) and as a list with more.
type StabilityList []*Stability

// MarshalJSON writes one object for one pair of rounds, else an array.
func (l StabilityList) MarshalJSON() ([]byte, error) {
	if len(l) == 1 {
		return json.Marshal(l[0])
	}
	return json.Marshal([]*Stability(l))
}

// UnmarshalJSON reads an object, an array or null.
func (l *StabilityList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*l = nil
		return nil
	case len(b) > 0 && b[0] == '{':
		s := new(Stability)
		if err := json.Unmarshal(b, s); err != nil {
			return err
		}
		*l = StabilityList{s}
		return nil
	case len(b) > 0 && b[0] == '[':
		var ss []*Stability
		if err := json.Unmarshal(b, &ss); err != nil {
			return err
		}
		*l = ss
		return nil
	}
	return errors.New("stability: want an object or an array")
}
