// Package jsonscan reads the large JSON documents the service stores, round snapshots above
// all, in one pass and without reflection. encoding/json checks a whole document before it
// decodes it, and checks again every value it hands to an UnmarshalJSON method: for the
// snapshot of a 300-item round that was most of the time a report took to first show.
//
// The decoders built on it (consensus's items and groups, delphi's snapshots) give what
// json.Unmarshal gives, and reject what it rejects; their fuzz targets compare the two. One
// difference is left: encoding/json refuses nesting deeper than 10,000 levels counted from the
// document's root, and these readers count only inside a value they skip.
package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Members reads a JSON object (or null) and calls add for each member, in order, with its key
// and the bytes of its value. It reads b once: a value's end is found by its quotes and
// brackets, and add must check the value (json.Unmarshal of it does). raw is a slice of b.
func Members(b []byte, add func(key string, raw []byte) error) error {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	return each(b, func(_ []byte, key string, raw []byte) error { return add(key, raw) })
}

// Split reads the JSON object b once and takes out the members named keys: vals[k] is the
// value of keys[k] (nil when it is absent) and rest is b without them, still a JSON object,
// for json.Unmarshal to decode the other members. A value in vals is not checked: its decoder
// must. ok is false, with no error, when b is null, or when a key occurs twice or a member's
// name matches a key only ignoring case: encoding/json's rules for those (the last wins, names
// match ignoring case) need the whole object, so decode b with json.Unmarshal then.
func Split(b []byte, keys ...string) (vals [][]byte, rest []byte, ok bool, err error) {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil, nil, false, nil
	}
	vals = make([][]byte, len(keys))
	rest = make([]byte, 0, 256)
	rest = append(rest, '{')
	ok = true
	err = each(b, func(rawKey []byte, key string, raw []byte) error {
		for k, name := range keys {
			switch {
			case key == name:
				if vals[k] != nil {
					ok = false
				}
				vals[k] = raw
				return nil
			case bytes.EqualFold([]byte(key), []byte(name)):
				ok = false
			}
		}
		if len(rest) > 1 {
			rest = append(rest, ',')
		}
		rest = append(rest, rawKey...)
		rest = append(rest, ':')
		rest = append(rest, raw...)
		return nil
	})
	if err != nil {
		return nil, nil, false, err
	}
	return vals, append(rest, '}'), ok, nil
}

// each calls f for each member of the object b with its key as written, unquoted, and value.
func each(b []byte, f func(rawKey []byte, key string, raw []byte) error) error {
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
		rawKey := b[i:end]
		var key string
		if plain {
			key = string(b[i+1 : end-1])
		} else if err := json.Unmarshal(rawKey, &key); err != nil {
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
		if err := f(rawKey, key, b[i:end]); err != nil {
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

// endOfInput checks that only white space follows the value that ends before i.
func endOfInput(b []byte, i int) error {
	if i = skipSpace(b, i); i < len(b) {
		return fmt.Errorf("data after the value at offset %d", i)
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
// and brackets only, or -1 if there is none. It does not check the value.
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
	for j < len(b) && !isDelim(b[j]) {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// isDelim says whether c may follow a number or literal.
func isDelim(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\n', '\r', '\t':
		return true
	}
	return false
}

// Field returns the name of names that key matches as encoding/json matches a member to a
// struct field: exactly, else ignoring case; "" if none.
func Field(key []byte, names []string) string {
	for _, f := range names {
		if string(key) == f {
			return f
		}
	}
	for _, f := range names {
		if bytes.EqualFold(key, []byte(f)) {
			return f
		}
	}
	return ""
}

// Reader reads JSON tokens from a value, into Go values as json.Unmarshal would.
type Reader struct {
	b []byte
	i int
	// floats holds the numbers that Float points to, a block at a time.
	floats []float64
}

// NewReader reads b. Numbers that Float reads are kept in floats' spare capacity, then in new
// blocks; Floats returns what is left, for the next reader.
func NewReader(b []byte, floats []float64) *Reader { return &Reader{b: b, floats: floats} }

// Floats returns the block that Float takes numbers from.
func (r *Reader) Floats() []float64 { return r.floats }

// Space skips white space.
func (r *Reader) Space() { r.i = skipSpace(r.b, r.i) }

// Peek skips white space and returns the next byte, 0 at the end.
func (r *Reader) Peek() byte {
	r.Space()
	if r.i == len(r.b) {
		return 0
	}
	return r.b[r.i]
}

// Byte skips white space and c, and says whether c was there.
func (r *Reader) Byte(c byte) bool {
	r.Space()
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// Literal skips s if it is next (after white space) and ends there.
func (r *Reader) Literal(s string) bool {
	r.Space()
	if !bytes.HasPrefix(r.b[r.i:], []byte(s)) {
		return false
	}
	if j := r.i + len(s); j < len(r.b) && !isDelim(r.b[j]) {
		return false
	}
	r.i += len(s)
	return true
}

// End checks that only white space is left.
func (r *Reader) End() error { return endOfInput(r.b, r.i) }

// Key reads an object key and the colon after it. The key is unquoted (a slice of the input
// when it has no escapes).
func (r *Reader) Key() ([]byte, error) {
	r.Space()
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
	if !r.Byte(':') {
		return nil, fmt.Errorf("%q: want ':' after the key", key)
	}
	return key, nil
}

// Object reads an object (or null, when it calls nothing), calling member for each key with
// the reader just before the member's value, which member must read.
func (r *Reader) Object(member func(key []byte) error) error {
	if r.Literal("null") {
		return nil
	}
	if !r.Byte('{') {
		return errors.New("want an object")
	}
	if r.Byte('}') {
		return nil
	}
	for {
		key, err := r.Key()
		if err != nil {
			return err
		}
		if err := member(key); err != nil {
			return fmt.Errorf("%q: %w", key, err)
		}
		if r.Byte(',') {
			continue
		}
		if r.Byte('}') {
			return nil
		}
		return errors.New("want ',' or '}' after a value")
	}
}

// Number returns the JSON number next, or ok = false if there is none (which includes a
// malformed number).
func (r *Reader) Number() (num []byte, ok bool) {
	r.Space()
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

// Int reads a number into *v as encoding/json does: null leaves *v alone, anything but an
// integer in range is an error.
func (r *Reader) Int(v *int) error {
	if r.Literal("null") {
		return nil
	}
	num, ok := r.Number()
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

// Float reads a number or null into *v, pointing it into the reader's block of numbers when
// it is nil.
func (r *Reader) Float(v **float64) error {
	if r.Literal("null") {
		*v = nil
		return nil
	}
	if *v == nil {
		if len(r.floats) == cap(r.floats) {
			r.floats = make([]float64, 0, 64)
		}
		r.floats = append(r.floats, 0)
		*v = &r.floats[len(r.floats)-1]
	}
	return r.Float64(*v)
}

// Float64 reads a number into *v; null leaves it alone.
func (r *Reader) Float64(v *float64) error {
	if r.Literal("null") {
		return nil
	}
	num, ok := r.Number()
	if !ok {
		return errors.New("want a number")
	}
	f, err := strconv.ParseFloat(string(num), 64)
	if err != nil {
		return err
	}
	*v = f
	return nil
}

// Bool reads true or false into *v; null leaves it alone.
func (r *Reader) Bool(v *bool) error {
	switch {
	case r.Literal("null"):
	case r.Literal("true"):
		*v = true
	case r.Literal("false"):
		*v = false
	default:
		return errors.New("want true or false")
	}
	return nil
}

// BoolPtr reads true, false or null into *v.
func (r *Reader) BoolPtr(v **bool) error {
	if r.Literal("null") {
		*v = nil
		return nil
	}
	if *v == nil {
		*v = new(bool)
	}
	return r.Bool(*v)
}

// Ints reads an array of integers or null into *v as encoding/json does: into *v's array
// when it has one (a null element keeps what was there), an empty array as a non-nil slice.
func (r *Reader) Ints(v *[]int) error {
	if r.Literal("null") {
		*v = nil
		return nil
	}
	if !r.Byte('[') {
		return errors.New("want an array")
	}
	if r.Byte(']') {
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
		if err := r.Int(&s[len(s)-1]); err != nil {
			return err
		}
		if r.Byte(',') {
			continue
		}
		if r.Byte(']') {
			if fresh {
				s = append([]int(nil), s...)
			}
			*v = s
			return nil
		}
		return errors.New("want ',' or ']' in an array")
	}
}

// String reads a string into *v; null leaves it alone.
func (r *Reader) String(v *string) error {
	if r.Literal("null") {
		return nil
	}
	r.Space()
	if r.i == len(r.b) || r.b[r.i] != '"' {
		return errors.New("want a string")
	}
	end, plain := stringEnd(r.b, r.i)
	if end < 0 {
		return errors.New("unterminated string")
	}
	if plain {
		*v = string(r.b[r.i+1 : end-1])
	} else if u, ok := unquote(r.b[r.i+1 : end-1]); ok {
		*v = u
	} else if err := json.Unmarshal(r.b[r.i:end], v); err != nil {
		return err
	}
	r.i = end
	return nil
}

// unquote returns the string whose JSON form, between the quotes, is s: valid UTF-8 with the
// one-letter escapes (\n, \", …). Others (\uXXXX, a control character, invalid UTF-8) it
// leaves to encoding/json, with ok = false.
func unquote(s []byte) (_ string, ok bool) {
	var b strings.Builder // its String does not copy
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20:
			return "", false
		case c != '\\':
			b.WriteByte(c)
			continue
		}
		if i++; i == len(s) {
			return "", false
		}
		switch s[i] {
		case '"', '\\', '/':
			b.WriteByte(s[i])
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		default:
			return "", false
		}
	}
	if !utf8.ValidString(b.String()) {
		return "", false
	}
	return b.String(), true
}

// Strings reads an array of strings or null into a new slice *v, as encoding/json does into
// a nil slice (a null element is "").
func (r *Reader) Strings(v *[]string) error {
	if r.Literal("null") {
		*v = nil
		return nil
	}
	if !r.Byte('[') {
		return errors.New("want an array")
	}
	s := []string{}
	if r.Byte(']') {
		*v = s
		return nil
	}
	for {
		var t string
		if err := r.String(&t); err != nil {
			return err
		}
		s = append(s, t)
		if r.Byte(',') {
			continue
		}
		if r.Byte(']') {
			*v = s
			return nil
		}
		return errors.New("want ',' or ']' in an array")
	}
}

// Value passes the bytes of the next value, found by valueEnd, to f, which must check them.
func (r *Reader) Value(f func([]byte) error) error {
	r.Space()
	end := valueEnd(r.b, r.i)
	if end < 0 {
		return errors.New("want a value")
	}
	v := r.b[r.i:end]
	r.i = end
	return f(v)
}

// Skip skips the next value, which must be valid JSON: what encoding/json does with a member
// that matches no field.
func (r *Reader) Skip() error {
	return r.Value(func(v []byte) error {
		if !json.Valid(v) {
			return errors.New("invalid JSON value")
		}
		return nil
	})
}
