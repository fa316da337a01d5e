package survey

import (
	"errors"
	"fmt"
	"sort"
)

// Error is one problem in a survey definition, located by file, line and field path (such as
// "sections[2].items[3].label"). Parse returns every problem at once, joined with errors.Join.
type Error struct {
	File  string
	Line  int // 1-based; 0 when the YAML library gave no position
	Field string
	Msg   string
}

// Error formats the problem as "file:line: field: message", the form editors and CI logs link to.
func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Field == "" {
		return loc + ": " + e.Msg
	}
	return loc + ": " + e.Field + ": " + e.Msg
}

// Problems returns the *Error values inside err, which may be one *Error or a join of them (as
// returned by Parse, Load and List), in order. Errors of other kinds are left out.
func Problems(err error) []*Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) && e == err {
		return []*Error{e}
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*Error
		for _, x := range j.Unwrap() {
			out = append(out, Problems(x)...)
		}
		return out
	}
	if errors.As(err, &e) {
		return []*Error{e}
	}
	return nil
}

// problems collects the errors of one file.
type problems struct {
	file string
	list []*Error
}

func (p *problems) add(line int, field, format string, args ...any) {
	p.list = append(p.list, &Error{File: p.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// err returns the problems sorted by line (stable, so problems on one line keep their order),
// joined, or nil.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	sort.SliceStable(p.list, func(i, j int) bool { return p.list[i].Line < p.list[j].Line })
	errs := make([]error, len(p.list))
	for i, e := range p.list {
		errs[i] = e
	}
	return errors.Join(errs...)
}
