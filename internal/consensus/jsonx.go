package consensus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"

	"github.com/cart-cd/delphi/internal/jsonscan"
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
	return jsonscan.Members(b, func(k string, raw []byte) error {
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
	type member struct {
		key string
		raw []byte
	}
	var ms []member
	if err := jsonscan.Members(b, func(k string, raw []byte) error {
		ms = append(ms, member{k, raw})
		return nil
	}); err != nil {
		return err
	}
	if len(ms) == 0 {
		return nil
	}
	// Items decode independently, so a large list is shared among the cores: a round's snapshot
	// is decoded when its report or feedback is first asked for, and its items are most of it.
	items := make([]Item, len(ms))
	errs := make([]error, len(ms))
	workers := min(runtime.GOMAXPROCS(0), 1+len(ms)/64)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var floats []float64 // the numbers items point to, in blocks
			for i := w; i < len(ms); i += workers {
				r := jsonscan.NewReader(ms[i].raw, floats)
				err := readItem(r, &items[i])
				if err == nil {
					err = r.End()
				}
				if err != nil {
					errs[i] = fmt.Errorf("%q: %w", ms[i].key, err)
				}
				floats = r.Floats()
				items[i].ID = ms[i].key
			}
		}()
	}
	wg.Wait()
	if err := firstError(errs); err != nil {
		return err
	}
	*l = items
	return nil
}

// firstError is the first error of errs in order (the one a sequential decoder would give).
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
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
	r := jsonscan.NewReader(b, nil)
	if err := readGroups(r, l); err != nil {
		return err
	}
	return r.End()
}

// readGroups reads a GroupList as its UnmarshalJSON does.
func readGroups(r *jsonscan.Reader, l *GroupList) error {
	*l = nil
	return r.Object(func(key []byte) error {
		var g Group
		if err := readGroup(r, &g); err != nil {
			return err
		}
		g.Name = string(key)
		*l = append(*l, g)
		return nil
	})
}

// readGroup does what json.Unmarshal does with a group, in one pass and without reflection:
// a report decodes a group per item and group, most of a snapshot. FuzzDecodeGroup compares
// the two.
func readGroup(r *jsonscan.Reader, g *Group) error {
	return r.Object(func(key []byte) error {
		switch jsonscan.Field(key, groupFields) {
		case "n_submitted":
			return r.Int(&g.NSubmitted)
		case "n_rated":
			return r.Int(&g.NRated)
		case "n_unable":
			return r.Int(&g.NUnable)
		case "n_missing":
			return r.Int(&g.NMissing)
		case "n_low":
			return r.Int(&g.NLow)
		case "n_mid":
			return r.Int(&g.NMid)
		case "n_high":
			return r.Int(&g.NHigh)
		case "hist":
			return r.Ints(&g.Hist)
		case "median":
			return r.Float(&g.Median)
		case "pct_low":
			return r.Float(&g.PctLow)
		case "pct_mid":
			return r.Float(&g.PctMid)
		case "pct_high":
			return r.Float(&g.PctHigh)
		case "comet":
			return r.Value(func(v []byte) error { return readClass(v, &g.Comet) })
		}
		return r.Skip()
	})
}

// itemFields are the JSON names of Item's fields.
var itemFields = []string{"n_rated", "n_unable", "n_missing", "n_low", "n_mid", "n_high", "hist",
	"median", "quantile_type7", "quantile_type6", "mean", "sd_sample", "pct_low", "pct_mid", "pct_high",
	"pct_low_wilson95", "pct_high_wilson95", "comet", "fragile", "rand", "groups"}

// readItem does what json.Unmarshal does with an item, as readGroup does with a group.
// FuzzDecodeItem compares the two.
func readItem(r *jsonscan.Reader, it *Item) error {
	return r.Object(func(key []byte) error {
		switch jsonscan.Field(key, itemFields) {
		case "n_rated":
			return r.Int(&it.NRated)
		case "n_unable":
			return r.Int(&it.NUnable)
		case "n_missing":
			return r.Int(&it.NMissing)
		case "n_low":
			return r.Int(&it.NLow)
		case "n_mid":
			return r.Int(&it.NMid)
		case "n_high":
			return r.Int(&it.NHigh)
		case "hist":
			return r.Ints(&it.Hist)
		case "median":
			return r.Float(&it.Median)
		case "quantile_type7":
			return readQuartiles(r, &it.QuantileType7)
		case "quantile_type6":
			return readQuartiles(r, &it.QuantileType6)
		case "mean":
			return r.Float(&it.Mean)
		case "sd_sample":
			return r.Float(&it.SDSample)
		case "pct_low":
			return r.Float(&it.PctLow)
		case "pct_mid":
			return r.Float(&it.PctMid)
		case "pct_high":
			return r.Float(&it.PctHigh)
		case "pct_low_wilson95":
			return readInterval(r, &it.PctLowWilson95)
		case "pct_high_wilson95":
			return readInterval(r, &it.PctHighWilson95)
		case "comet":
			return r.Value(func(v []byte) error { return readClass(v, &it.Comet) })
		case "fragile":
			return r.BoolPtr(&it.Fragile)
		case "rand":
			return readRAND(r, &it.RAND)
		case "groups":
			return readGroups(r, &it.Groups)
		}
		return r.Skip()
	})
}

// readStruct reads an object or null into *p as encoding/json does into a pointer to a
// struct: null sets it nil, an object fills the struct (a new one if *p is nil) through
// field, which reads the member of a key or skips it.
func readStruct[T any](r *jsonscan.Reader, p **T, field func(v *T, key []byte) error) error {
	if r.Literal("null") {
		*p = nil
		return nil
	}
	if r.Peek() != '{' {
		return errors.New("want an object")
	}
	if *p == nil {
		*p = new(T)
	}
	v := *p
	return r.Object(func(key []byte) error { return field(v, key) })
}

func readQuartiles(r *jsonscan.Reader, p **Quartiles) error {
	return readStruct(r, p, func(q *Quartiles, key []byte) error {
		switch jsonscan.Field(key, []string{"q1", "q3", "iqr"}) {
		case "q1":
			return r.Float64(&q.Q1)
		case "q3":
			return r.Float64(&q.Q3)
		case "iqr":
			return r.Float64(&q.IQR)
		}
		return r.Skip()
	})
}

func readInterval(r *jsonscan.Reader, p **Interval) error {
	return readStruct(r, p, func(in *Interval, key []byte) error {
		switch jsonscan.Field(key, []string{"lo", "hi"}) {
		case "lo":
			return r.Float64(&in.Lo)
		case "hi":
			return r.Float64(&in.Hi)
		}
		return r.Skip()
	})
}

// randFields are the JSON names of RAND's fields.
var randFields = []string{"p30_type7", "p70_type7", "ipr", "iprcp", "ai", "ipras", "disagreement",
	"median_category", "final_category"}

func readRAND(r *jsonscan.Reader, p **RAND) error {
	return readStruct(r, p, func(x *RAND, key []byte) error {
		switch jsonscan.Field(key, randFields) {
		case "p30_type7":
			return r.Float64(&x.P30Type7)
		case "p70_type7":
			return r.Float64(&x.P70Type7)
		case "ipr":
			return r.Float64(&x.IPR)
		case "iprcp":
			return r.Float64(&x.IPRCP)
		case "ai":
			return r.Float64(&x.AI)
		case "ipras":
			return r.Float64(&x.IPRAS)
		case "disagreement":
			return r.Bool(&x.Disagreement)
		case "median_category":
			return r.Value(func(v []byte) error { return readCategory(v, &x.MedianCategory) })
		case "final_category":
			return r.Value(func(v []byte) error { return readCategory(v, &x.FinalCategory) })
		}
		return r.Skip()
	})
}

// readCategory is Category.UnmarshalJSON, without encoding/json for the categories as
// MarshalJSON writes them.
func readCategory(v []byte, c *Category) error {
	if len(v) > 2 && v[0] == '"' && v[len(v)-1] == '"' {
		switch s := Category(v[1 : len(v)-1]); s {
		case Inappropriate, Uncertain, Appropriate:
			*c = s
			return nil
		}
	}
	return c.UnmarshalJSON(v)
}

// readClass is Class.UnmarshalJSON, without encoding/json for the classes as MarshalJSON
// writes them.
func readClass(v []byte, c *Class) error {
	if len(v) > 2 && v[0] == '"' && v[len(v)-1] == '"' {
		switch s := Class(v[1 : len(v)-1]); s {
		case ConsensusIn, ConsensusOut, NoConsensus:
			*c = s
			return nil
		}
	}
	return c.UnmarshalJSON(v)
}

// groupFields are the JSON names of Group's fields.
var groupFields = []string{"n_submitted", "n_rated", "n_unable", "n_missing", "n_low", "n_mid", "n_high",
	"hist", "median", "pct_low", "pct_mid", "pct_high", "comet"}

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
	return jsonscan.Members(b, func(k string, raw []byte) error {
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
	return jsonscan.Members(b, func(k string, raw []byte) error {
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
