// Package ratingcsv reads the ratings CSV of consensus-definitions.md ("Input CSV") into the
// rounds of package consensus:
//
//	panelist,group,item,round,rating
//	P01,clinician,I01,1,7
//	P02,patient,I01,1,
//	P03,nurse,I01,1,U
//
// One row per answer, rows in any order, header exactly as above (a UTF-8 BOM is allowed).
// A rating is an integer 1..max; blank is missing; U or 0 is unable to score. The panel is
// every panelist of the file; a panelist submitted a round when they have a row in it, and a
// submitter's (item, round) without a row is missing. Every round gets every item of the file.
//
// Errors name the file and line: "ratings.csv:4: rating \"10\" outside 1..9". It imports
// consensus for its types only and does no I/O beyond the reader it is given.
package ratingcsv

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/cart-cd/delphi/internal/consensus"
)

// Header is the required header line.
const Header = "panelist,group,item,round,rating"

// Error is a problem in the input at a line (1-based; line 1 is the header).
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// row is one parsed answer; indices are in order of first appearance until Parse sorts them.
type row struct {
	panelist, item, round int32
	line                  int32
	rating                int8
}

// interner gives each distinct string an index in order of first appearance.
type interner struct {
	index map[string]int32
	names []string
}

func newInterner() *interner { return &interner{index: make(map[string]int32)} }

func (in *interner) id(s string) int32 {
	if i, ok := in.index[s]; ok {
		return i
	}
	s = strings.Clone(s) // s points into the CSV reader's record buffer
	i := int32(len(in.names))
	in.index[s] = i
	in.names = append(in.names, s)
	return i
}

// order sorts the names and returns old index → new index.
func (in *interner) order(less func(a, b string) int) []int32 {
	byOld := make([]int32, len(in.names))
	for i := range byOld {
		byOld[i] = int32(i)
	}
	slices.SortFunc(byOld, func(a, b int32) int { return less(in.names[a], in.names[b]) })
	newOf := make([]int32, len(in.names))
	sorted := make([]string, len(in.names))
	for n, old := range byOld {
		newOf[old] = int32(n)
		sorted[n] = in.names[old]
	}
	in.names = sorted
	return newOf
}

// Parse reads the ratings CSV from r on the scale 1..max; name is the file name used in errors.
// It returns the rounds in increasing order, all sharing the panel (Panelists, Groups, Group)
// and the items of the whole file, each sorted by id. The first problem found is returned as an
// *Error; a duplicate answer (same panelist, item and round twice) is a problem too.
func Parse(name string, r io.Reader, max int) ([]*consensus.Round, error) {
	if max < 3 || max > consensus.MaxScale {
		return nil, fmt.Errorf("ratingcsv: scale max %d outside 3..%d", max, consensus.MaxScale)
	}
	fail := func(line int, format string, args ...any) error {
		return &Error{File: name, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	br := bufio.NewReaderSize(r, 1<<16)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\uFEFF")) {
		br.Discard(3) //nolint:errcheck // Peek has just read these bytes
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	readErr := func(err error) error {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return fail(pe.Line, "%v", pe.Err)
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	rec, err := cr.Read()
	if err == io.EOF {
		return nil, fail(1, "empty file, want the header %s", Header)
	}
	if err != nil {
		return nil, readErr(err)
	}
	if h := strings.Join(rec, ","); h != Header {
		line, _ := cr.FieldPos(0)
		return nil, fail(line, "header is %q, want %q", h, Header)
	}

	panelists, items, groups := newInterner(), newInterner(), newInterner()
	var groupOf []int32 // per panelist
	var groupLine []int32
	roundIndex := make(map[int]int32)
	var roundNums []int
	var rows rowChunks
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readErr(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != 5 {
			return nil, fail(line, "%d fields, want 5 (%s)", len(rec), Header)
		}
		for f, what := range []string{"panelist", "group", "item", "round"} {
			if rec[f] == "" {
				return nil, fail(line, "empty %s", what)
			}
		}
		round, err := strconv.Atoi(rec[3])
		if err != nil || round < 1 {
			return nil, fail(line, "round %q is not a positive integer", rec[3])
		}
		v, msg := parseRating(rec[4], max)
		if msg != "" {
			return nil, fail(line, "%s", msg)
		}
		p := panelists.id(rec[0])
		g := groups.id(rec[1])
		if int(p) == len(groupOf) {
			groupOf, groupLine = append(groupOf, g), append(groupLine, int32(line))
		} else if groupOf[p] != g {
			return nil, fail(line, "panelist %q is in group %q here but in %q on line %d",
				rec[0], rec[1], groups.names[groupOf[p]], groupLine[p])
		}
		ri, ok := roundIndex[round]
		if !ok {
			ri = int32(len(roundNums))
			roundIndex[round] = ri
			roundNums = append(roundNums, round)
		}
		rows.add(row{panelist: p, item: items.id(rec[2]), round: ri, line: int32(line), rating: v})
	}
	return build(name, rows, panelists, items, groups, groupOf, roundNums)
}

// parseRating returns the answer in a rating field, or a message saying why it is not one:
// blank is Missing, U or an integer 0 is Unable, an integer 1..max is a rating.
func parseRating(f string, max int) (int8, string) {
	switch f {
	case "":
		return consensus.Missing, ""
	case "U":
		return consensus.Unable, ""
	}
	digits := strings.TrimPrefix(f, "-")
	if digits == "" {
		return 0, fmt.Sprintf("rating %q is not an integer, U or blank", f)
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, fmt.Sprintf("rating %q is not an integer, U or blank", f)
		}
	}
	v, err := strconv.Atoi(f)
	switch {
	case err == nil && v == 0:
		return consensus.Unable, ""
	case err != nil || v < 1 || v > max:
		return 0, fmt.Sprintf("rating %q outside 1..%d", f, max)
	}
	return int8(v), ""
}

// build sorts the panel and items and fills one Round per round number.
func build(name string, rows rowChunks, panelists, items, groups *interner, groupOf []int32, roundNums []int) ([]*consensus.Round, error) {
	pNew := panelists.order(strings.Compare)
	iNew := items.order(strings.Compare)
	gNew := groups.order(strings.Compare)
	group := make([]int, len(panelists.names))
	for old, g := range groupOf {
		group[pNew[old]] = int(gNew[g])
	}
	// Rounds in increasing number; rNew maps first-appearance index → position.
	byNum := make([]int32, len(roundNums))
	for i := range byNum {
		byNum[i] = int32(i)
	}
	slices.SortFunc(byNum, func(a, b int32) int { return roundNums[a] - roundNums[b] })
	rNew := make([]int32, len(roundNums))
	np, ni := len(panelists.names), len(items.names)
	rounds := make([]*consensus.Round, len(roundNums))
	for pos, old := range byNum {
		rNew[old] = int32(pos)
		ratings := make([]int8, np*ni)
		for j := range ratings {
			ratings[j] = unset
		}
		rounds[pos] = &consensus.Round{
			Number:    roundNums[old],
			Items:     items.names,
			Panelists: panelists.names,
			Groups:    groups.names,
			Group:     group,
			Submitted: make([]bool, np),
			Ratings:   ratings,
		}
	}
	for _, chunk := range rows {
		for _, rw := range chunk {
			rd := rounds[rNew[rw.round]]
			p, i := int(pNew[rw.panelist]), int(iNew[rw.item])
			rd.Submitted[p] = true
			cell := &rd.Ratings[p*ni+i]
			if *cell != unset {
				return nil, &Error{File: name, Line: int(rw.line), Msg: fmt.Sprintf(
					"panelist %q answered item %q in round %d already on line %d",
					panelists.names[p], items.names[i], rd.Number, rows.firstLine(rw))}
			}
			*cell = rw.rating
		}
	}
	for _, rd := range rounds {
		for j, v := range rd.Ratings {
			if v == unset {
				rd.Ratings[j] = consensus.Missing
			}
		}
	}
	return rounds, nil
}

// unset marks a cell with no row yet; it is neither a rating nor Missing nor Unable.
const unset int8 = -128

// rowChunks stores the rows in fixed-size chunks: millions of rows are appended without ever
// copying the ones already read.
type rowChunks [][]row

const chunkRows = 1 << 16

func (c *rowChunks) add(r row) {
	if n := len(*c); n == 0 || len((*c)[n-1]) == chunkRows {
		*c = append(*c, make([]row, 0, chunkRows))
	}
	last := &(*c)[len(*c)-1]
	*last = append(*last, r)
}

// firstLine finds the line of the first row for the same cell as rw (rows are in file order).
func (c rowChunks) firstLine(rw row) int {
	for _, chunk := range c {
		for _, e := range chunk {
			if e.panelist == rw.panelist && e.item == rw.item && e.round == rw.round {
				return int(e.line)
			}
		}
	}
	return 0
}
