package survey

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// yamlLineRE picks the line out of the YAML library's syntax errors ("yaml: line 3: …").
var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML reads the one YAML document in data and returns its root node, or nil after reporting
// why there is none. A second document is reported but does not stop the first being checked.
func parseYAML(p *problems, data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.add(1, "", "empty file: expected a survey definition (a YAML mapping with id, title, groups, sections …)")
			return nil
		}
		addYAMLError(p, data, err)
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		line := extra.Line
		if len(extra.Content) > 0 {
			line = extra.Content[0].Line
		}
		p.add(line, "", "a second YAML document: a survey file holds exactly one (remove the '---')")
	case !errors.Is(err, io.EOF):
		addYAMLError(p, data, err)
	}
	if len(doc.Content) == 0 {
		p.add(1, "", "empty file: expected a survey definition")
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.add(root.Line, "", "expected a mapping (id: …, title: …) at the top level, found %s", describe(root))
		return nil
	}
	return root
}

// addYAMLError reports a syntax error from the YAML library at the best line it can find.
//
// The library counts lines from 1 in scanner errors but from 0 in parser errors (those that say
// "did not find expected …" about structure, or "found …" about directives), and gives no line
// when the mark is on the first line or the error is in the bytes themselves; see fail in
// go.yaml.in/yaml/v3's decode.go. This undoes that, so the line is the one the error concerns
// (or where the collection it is in begins).
func addYAMLError(p *problems, data []byte, err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if isParserError(msg) {
			line = problemLine(data, line+1, msg)
		}
	} else {
		line = badByteLine(data)
	}
	p.add(line, "", "malformed YAML: %s", msg)
}

// problemLine narrows a parser error down from the line where the enclosing collection begins
// (all the library tells) to the first line whose inclusion makes the text fail with the same
// message, by parsing prefixes of the file in a binary search.
func problemLine(data []byte, from int, msg string) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	fails := func(k int) bool {
		dec := yaml.NewDecoder(bytes.NewReader(bytes.Join(lines[:k], nil)))
		for {
			var n yaml.Node
			err := dec.Decode(&n)
			if err == nil {
				continue
			}
			if errors.Is(err, io.EOF) {
				return false
			}
			m := yamlLineRE.FindStringSubmatch(err.Error())
			return m != nil && m[2] == msg
		}
	}
	lo, hi := max(from, 1), len(lines)
	if lo > hi || !fails(hi) {
		return from
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// isParserError reports whether msg is one of the problems the YAML library's parser (rather than
// its scanner) reports.
func isParserError(msg string) bool {
	for _, prefix := range []string{
		"did not find expected ',' or",
		"did not find expected '-' indicator",
		"did not find expected <",
		"did not find expected key",
		"did not find expected node content",
		"found duplicate %",
		"found incompatible YAML document",
		"found undefined tag handle",
	} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

// badByteLine returns the line of the first byte that is not valid UTF-8 or is a control
// character YAML forbids, or 1: where a line-less error from the YAML library comes from.
func badByteLine(data []byte) int {
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		switch {
		case r == '\n':
			line++
		case r == '\t' || r == '\r' || r == 0xFEFF:
		case r < 0x20 || (r >= 0x7F && r <= 0x9F && r != 0x85) || r == 0xFFFE || r == 0xFFFF:
			return line
		}
		i += size
	}
	return 1
}

// decoder walks a yaml.Node tree into Go values by their yaml tags. Unlike yaml's own Decode it
// goes on after a problem, reports unknown and duplicate keys, and records where each field was
// found, so that every later check can name a line.
type decoder struct {
	p *problems
	// lines maps a field path ("sections[1].items[0].label") to the line of its key, or of the
	// element for list entries.
	lines map[string]int
	// set holds the paths that were given a non-null value, for filling defaults.
	set map[string]bool
}

func newDecoder(p *problems) *decoder {
	return &decoder{p: p, lines: map[string]int{}, set: map[string]bool{}}
}

// line returns the line of path, or of its nearest ancestor that was present in the file.
func (d *decoder) line(path string) int {
	for {
		if l, ok := d.lines[path]; ok {
			return l
		}
		if path == "" {
			return 1
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			path = ""
		} else {
			path = path[:i]
		}
	}
}

// has reports whether path was given a non-null value.
func (d *decoder) has(path string) bool { return d.set[path] }

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// describe names a node's kind for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing"
	case "!!str":
		return strconv.Quote(n.Value)
	}
	return n.Value
}

// decode stores node n into v (settable), reporting problems under path.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		// Aliases could make the walk loop or explode; a survey file never needs them.
		d.p.add(n.Line, path, "YAML aliases (*%s) are not supported: write the value out", n.Value)
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // absent: defaults and required-field checks deal with it
	}
	d.set[path] = true
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
	case reflect.Struct:
		if n.Kind == yaml.ScalarNode && v.Type() == reflect.TypeFor[Category]() {
			v.FieldByName("Code").SetString(n.Value) // a category given by its code alone
			d.set[join(path, "code")] = true
			return
		}
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.p.add(n.Line, path, "expected text, found %s", describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Int:
		var i int
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			d.p.add(n.Line, path, "expected a whole number, found %s", describe(n))
			return
		}
		v.SetInt(int64(i))
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.p.add(n.Line, path, "expected true or false, found %s", describe(n))
			return
		}
		v.SetBool(b)
	default:
		// Only reached if a field of an unsupported type is added to Definition.
		d.p.add(n.Line, path, "cannot read a value of type %s", v.Type())
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.p.add(n.Line, path, "expected a mapping, found %s", describe(n))
		return
	}
	t := v.Type()
	fields := make(map[string]int, t.NumField())
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		fields[name] = i
		names = append(names, name)
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.p.add(k.Line, path, "expected a field name, found %s", describe(k))
			continue
		}
		fp := join(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			d.p.add(k.Line, fp, "duplicate key (first given on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		fi, ok := fields[k.Value]
		if !ok {
			d.p.add(k.Line, fp, "unknown field%s", suggest(k.Value, names))
			continue
		}
		d.lines[fp] = k.Line
		d.decode(val, v.Field(fi), fp)
	}
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.p.add(n.Line, path, "expected a list, found %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, e := range n.Content {
		ep := index(path, i)
		d.lines[ep] = e.Line
		d.decode(e, s.Index(i), ep)
	}
	v.Set(s)
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		if v.Type() == reflect.TypeFor[Text]() {
			d.p.add(n.Line, path, "expected text per language, e.g. {en: \"…\"}, found %s", describe(n))
		} else {
			d.p.add(n.Line, path, "expected a mapping, found %s", describe(n))
		}
		return
	}
	t := v.Type()
	m := reflect.MakeMapWithSize(t, len(n.Content)/2)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.p.add(k.Line, path, "expected a key, found %s", describe(k))
			continue
		}
		kp := join(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			d.p.add(k.Line, kp, "duplicate key (first given on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		key := reflect.New(t.Key()).Elem()
		switch t.Key().Kind() {
		case reflect.String:
			key.SetString(k.Value)
		case reflect.Int:
			var i int
			if k.ShortTag() != "!!int" || k.Decode(&i) != nil {
				d.p.add(k.Line, kp, "expected a whole number as key")
				continue
			}
			key.SetInt(int64(i))
			kp = join(path, strconv.Itoa(i))
		}
		d.lines[kp] = k.Line
		e := reflect.New(t.Elem()).Elem()
		d.decode(val, e, kp)
		m.SetMapIndex(key, e)
	}
	v.Set(m)
}

// suggest returns ` (did you mean "x"?)` for a near miss among names, or "".
func suggest(key string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if dd := distance(key, n); dd < bestD {
			best, bestD = n, dd
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + strconv.Quote(best) + "?)"
}

// distance is the Levenshtein distance between a and b, counting a swap of neighbours as one
// edit (so "proposed_teir" is 1 from "proposed_tier").
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
