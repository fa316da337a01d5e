package consensus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
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

// unmarshalObject reads a JSON object (or null) and calls add for each member, in order, with
// its key and the bytes of its value. It reads b once: a value's end is found by its quotes
// and brackets, and add's json.Unmarshal checks and decodes the value, so each value is read
// once more rather than three times as through a json.Decoder and json.RawMessage. raw is a
// slice of b: add must not keep it.
func unmarshalObject(b []byte, add func(key string, raw []byte) error) error {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	i := skipSpace(b, 0)
	if i == len(b) || b[i] != '{' {
		return errors.New("want a JSON object")
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return endOfInput(b, i+1)
	}
	for {
		if i == len(b) || b[i] != '"' {
			return fmt.Errorf("want an object key at offset %d", i)
		}
		end, plain := stringEnd(b, i)
		if end < 0 {
			return errors.New("unterminated object key")
		}
		var key string
		if plain {
			key = string(b[i+1 : end-1])
		} else if err := json.Unmarshal(b[i:end], &key); err != nil {
			return fmt.Errorf("object key: %w", err)
		}
		i = skipSpace(b, end)
		if i == len(b) || b[i] != ':' {
			return fmt.Errorf("%q: want ':' after the key", key)
		}
		i = skipSpace(b, i+1)
		end = valueEnd(b, i)
		if end < 0 {
			return fmt.Errorf("%q: want a value at offset %d", key, i)
		}
		if err := add(key, b[i:end]); err != nil {
			return fmt.Errorf("%q: %w", key, err)
		}
		i = skipSpace(b, end)
		if i == len(b) {
			return errors.New("unterminated object")
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return endOfInput(b, i+1)
		default:
			return fmt.Errorf("%q: want ',' or '}' after the value, got %q", key, b[i])
		}
	}
}

// skipSpace returns the index of the first byte at or after i that is not JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// endOfInput checks that only white space follows the object that ends before i.
func endOfInput(b []byte, i int) error {
	if i = skipSpace(b, i); i < len(b) {
		return fmt.Errorf("data after the object at offset %d", i)
	}
	return nil
}

// stringEnd returns the index after the string that starts with the quote at b[i], or -1 if
// it does not end, and whether its bytes between the quotes are plain: printable ASCII
// without a backslash, so that they are the string itself. Others need unquoting, which
// also checks them.
func stringEnd(b []byte, i int) (end int, plain bool) {
	plain = true
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, plain
		case c == '\\':
			plain = false
			j++ // the escaped byte; \uXXXX has no quote or backslash after it
		case c < 0x20 || c >= 0x80:
			plain = false
		}
	}
	return -1, false
}

// valueEnd returns the index after the JSON value that starts at b[i], found by its quotes
// and brackets only, or -1 if there is none. It does not check the value: json.Unmarshal of
// b[i:end] does, and rejects whatever is not one well-formed value.
func valueEnd(b []byte, i int) int {
	if i == len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		end, _ := stringEnd(b, i)
		return end
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, _ := stringEnd(b, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	// A number, true, false or null: up to the next delimiter.
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\n', '\r', '\t':
			return j
		}
		j++
	}
	if j == i {
		return -1
	}
	return j
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
	return unmarshalObject(b, func(k string, raw []byte) error {
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
	if err := unmarshalObject(b, func(k string, raw []byte) error {
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
			for i := w; i < len(ms); i += workers {
				if err := json.Unmarshal(ms[i].raw, &items[i]); err != nil {
					errs[i] = fmt.Errorf("%q: %w", ms[i].key, err)
				}
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
	*l = nil
	var floats []float64
	return unmarshalObject(b, func(k string, raw []byte) error {
		var g Group
		if err := decodeGroup(&floats, raw, &g); err != nil {
			return err
		}
		g.Name = k
		*l = append(*l, g)
		return nil
	})
}

// decodeGroup does what json.Unmarshal(b, g) does, in one pass: a report decodes a group per
// item and group, most of a snapshot. It reads the numbers itself and leaves strings, unknown
// members and escaped keys to encoding/json. FuzzDecodeGroup compares the two.
//
// The numbers that g's pointers point to are taken from *floats, in blocks.
func decodeGroup(floats *[]float64, b []byte, g *Group) error {
	r := jsonReader{b: b, floats: *floats}
	defer func() { *floats = r.floats }()
	r.space()
	if r.literal("null") {
		return r.end()
	}
	if !r.byte('{') {
		return errors.New("group: want an object")
	}
	if r.byte('}') {
		return r.end()
	}
	for {
		key, err := r.key()
		if err != nil {
			return err
		}
		switch groupField(key) {
		case "n_submitted":
			err = r.int(&g.NSubmitted)
		case "n_rated":
			err = r.int(&g.NRated)
		case "n_unable":
			err = r.int(&g.NUnable)
		case "n_missing":
			err = r.int(&g.NMissing)
		case "n_low":
			err = r.int(&g.NLow)
		case "n_mid":
			err = r.int(&g.NMid)
		case "n_high":
			err = r.int(&g.NHigh)
		case "hist":
			err = r.ints(&g.Hist)
		case "median":
			err = r.float(&g.Median)
		case "pct_low":
			err = r.float(&g.PctLow)
		case "pct_mid":
			err = r.float(&g.PctMid)
		case "pct_high":
			err = r.float(&g.PctHigh)
		case "comet":
			err = r.value(func(v []byte) error { return readClass(v, &g.Comet) })
		default:
			err = r.value(func(v []byte) error {
				if !json.Valid(v) {
					return errors.New("invalid JSON value")
				}
				return nil
			})
		}
		if err != nil {
			return fmt.Errorf("group: %q: %w", key, err)
		}
		r.space()
		if r.byte(',') {
			continue
		}
		if r.byte('}') {
			return r.end()
		}
		return errors.New("group: want ',' or '}' after a value")
	}
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

// groupField returns the field name that key matches as encoding/json matches them: exactly,
// else ignoring case (bytes.EqualFold); "" if none.
func groupField(key []byte) string {
	for _, f := range groupFields {
		if string(key) == f {
			return f
		}
	}
	for _, f := range groupFields {
		if bytes.EqualFold(key, []byte(f)) {
			return f
		}
	}
	return ""
}

// jsonReader reads JSON tokens from b[i:].
type jsonReader struct {
	b []byte
	i int
	// floats holds the numbers that float points to, a block at a time.
	floats []float64
}

func (r *jsonReader) space() { r.i = skipSpace(r.b, r.i) }

// byte skips white space and c, and says whether c was there.
func (r *jsonReader) byte(c byte) bool {
	r.space()
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// literal skips s if it is next (after white space) and ends there.
func (r *jsonReader) literal(s string) bool {
	r.space()
	if !bytes.HasPrefix(r.b[r.i:], []byte(s)) {
		return false
	}
	if j := r.i + len(s); j < len(r.b) && !isDelim(r.b[j]) {
		return false
	}
	r.i += len(s)
	return true
}

// end checks that only white space is left.
func (r *jsonReader) end() error { return endOfInput(r.b, r.i) }

// key reads an object key and the colon after it. The key is unquoted (a slice of b when it
// has no escapes).
func (r *jsonReader) key() ([]byte, error) {
	r.space()
	if r.i == len(r.b) || r.b[r.i] != '"' {
		return nil, errors.New("want an object key")
	}
	end, plain := stringEnd(r.b, r.i)
	if end < 0 {
		return nil, errors.New("unterminated object key")
	}
	key := r.b[r.i+1 : end-1]
	if !plain {
		var s string
		if err := json.Unmarshal(r.b[r.i:end], &s); err != nil {
			return nil, fmt.Errorf("object key: %w", err)
		}
		key = []byte(s)
	}
	r.i = end
	if !r.byte(':') {
		return nil, fmt.Errorf("%q: want ':' after the key", key)
	}
	return key, nil
}

// number returns the JSON number next, or ok = false if there is none (which includes a
// malformed number).
func (r *jsonReader) number() (num []byte, ok bool) {
	r.space()
	b, i := r.b, r.i
	digits := func() bool {
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return nil, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return nil, false
		}
	}
	if i < len(b) && !isDelim(b[i]) {
		return nil, false
	}
	num, r.i = b[r.i:i], i
	return num, true
}

// int reads a number into *v as encoding/json does: null leaves *v alone, anything but an
// integer in range is an error.
func (r *jsonReader) int(v *int) error {
	if r.literal("null") {
		return nil
	}
	num, ok := r.number()
	if !ok {
		return errors.New("want an integer")
	}
	n, err := strconv.ParseInt(string(num), 10, strconv.IntSize)
	if err != nil {
		return err
	}
	*v = int(n)
	return nil
}

// float reads a number or null into *v.
func (r *jsonReader) float(v **float64) error {
	if r.literal("null") {
		*v = nil
		return nil
	}
	num, ok := r.number()
	if !ok {
		return errors.New("want a number")
	}
	f, err := strconv.ParseFloat(string(num), 64)
	if err != nil {
		return err
	}
	if *v == nil {
		if len(r.floats) == cap(r.floats) {
			r.floats = make([]float64, 0, 64)
		}
		r.floats = append(r.floats, 0)
		*v = &r.floats[len(r.floats)-1]
	}
	**v = f
	return nil
}

// ints reads an array of integers or null into *v as encoding/json does: into *v's array
// when it has one (a null element keeps what was there), an empty array as a non-nil slice.
func (r *jsonReader) ints(v *[]int) error {
	if r.literal("null") {
		*v = nil
		return nil
	}
	if !r.byte('[') {
		return errors.New("want an array")
	}
	if r.byte(']') {
		*v = []int{}
		return nil
	}
	// A new slice is read into buf and copied once, to its length; an old one is reused.
	var buf [16]int
	s := (*v)[:0]
	fresh := cap(s) == 0
	if fresh {
		s = buf[:0]
	}
	for {
		if len(s) < cap(s) {
			s = s[:len(s)+1]
		} else {
			s = append(s, 0)
		}
		if err := r.int(&s[len(s)-1]); err != nil {
			return err
		}
		if r.byte(',') {
			continue
		}
		if r.byte(']') {
			if fresh {
				s = append([]int(nil), s...)
			}
			*v = s
			return nil
		}
		return errors.New("want ',' or ']' in an array")
	}
}

// value passes the bytes of the next value, found by valueEnd, to f, which must check them.
func (r *jsonReader) value(f func([]byte) error) error {
	r.space()
	end := valueEnd(r.b, r.i)
	if end < 0 {
		return errors.New("want a value")
	}
	v := r.b[r.i:end]
	r.i = end
	return f(v)
}

// isDelim says whether c may follow a number or literal.
func isDelim(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\n', '\r', '\t':
		return true
	}
	return false
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
	return unmarshalObject(b, func(k string, raw []byte) error {
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
	return unmarshalObject(b, func(k string, raw []byte) error {
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
