package templates

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"

	"github.com/a-h/templ"
)

// Parts keeps the markup of a section's items that is the same for every expert reading one
// round in one language, editable or not. A section page has forty items of some twenty
// inputs each, and it is the page experts load most; rendered field by field through templ
// (every text through fmt.Sprint, every dynamic class through a map) it took several times
// what the hand-built page did. So the item component is rendered once for each shape an item
// takes (the point it checks, the placement it chose, whether it is answered, invalid, asks
// for a reason, has feedback…) with marks in place of the item's own values, and kept; writing
// an item writes the kept rendering with its values, escaped as templ escapes them, where the
// marks were. Each item's head (label, description, metadata) is rendered once and kept too.
// A round's items never change once it is open, so nothing here is invalidated; the server
// keeps one Parts per round, language and editability.
type Parts struct {
	mu    sync.Mutex
	cuts  map[itemShape]*cut // nil: the shape cannot be cut (see cutOf); rendered whole
	heads map[string][]byte
}

// NewParts returns an empty Parts.
func NewParts() *Parts {
	return &Parts{cuts: map[itemShape]*cut{}, heads: map[string][]byte{}}
}

// itemShape is what an item's markup depends on beyond its values: the choices it makes.
type itemShape struct {
	scale, placement                int // the input checked, -1 none
	answered, invalid               bool
	askReason, reasonOpen, feedback bool
	showOwn, hasOwn, hasOwnComment  bool
	labelLang                       string // the lang attribute of the label's copies (legend, feedback heading)
}

// The marks stand for an item's values while its shape is rendered: control characters that
// neither the markup nor escaping produces (not tab, newline or carriage return, which texts
// hold).
const (
	markID byte = iota + 1
	markLabel
	markError
	markReason
	markComment
	markOwn
	markOwnComment
	markOwnBand
	markHead  byte = 14 // raw: the item's head, rendered before
	markPanel byte = 15 // raw: the panel's feedback, rendered before
	nMarks    byte = 16
)

// isMark reports whether r is one of the marks.
func isMark(r rune) bool {
	return r >= rune(markID) && r <= rune(markOwnBand) || r == rune(markHead) || r == rune(markPanel)
}

// cut is a rendering split at its marks: parts[0], the value of marks[0], parts[1], … .
type cut struct {
	parts []string
	marks []byte
}

// cutOf renders marked, an item whose values are marks, and splits it at the marks. To be
// sure every mark stands where a value goes (a text of the definition could hold one), the
// cut is checked: filled with the values of sample, it must give what sample renders.
// Otherwise it returns nil, and items of that shape are rendered whole.
func cutOf(v *SectionPage, marked, sample *Item) *cut {
	var b, want bytes.Buffer
	if item(v, marked).Render(context.Background(), &b) != nil || item(v, sample).Render(context.Background(), &want) != nil {
		return nil
	}
	c := &cut{}
	s := b.String()
	for {
		i := strings.IndexFunc(s, isMark)
		if i < 0 {
			break
		}
		c.parts = append(c.parts, s[:i])
		c.marks = append(c.marks, s[i])
		s = s[i+1:]
	}
	c.parts = append(c.parts, s)
	var got bytes.Buffer
	if c.write(&got, sample) != nil || got.String() != want.String() {
		return nil
	}
	return c
}

// write writes the cut with the item's values where the marks were: escaped, but for the
// head and the panel, markup rendered before.
func (c *cut) write(w io.Writer, it *Item) error {
	vals := values(it)
	for i, p := range c.parts {
		if i > 0 {
			var err error
			switch m := c.marks[i-1]; m {
			case markHead:
				_, err = w.Write(it.headHTML)
			case markPanel:
				if it.Feedback != nil {
					_, err = w.Write(it.Feedback.Panel)
				}
			default:
				_, err = io.WriteString(w, templ.EscapeString(vals[m]))
			}
			if err != nil {
				return err
			}
		}
		if _, err := io.WriteString(w, p); err != nil {
			return err
		}
	}
	return nil
}

// values are an item's texts by mark (the head and the panel are markup: see write).
func values(it *Item) [nMarks]string {
	var v [nMarks]string
	v[markID], v[markLabel], v[markError] = it.ID, it.Label, it.Error
	v[markReason], v[markComment] = it.Reason, it.Comment
	if f := it.Feedback; f != nil {
		v[markOwn], v[markOwnComment], v[markOwnBand] = f.Own, f.OwnComment, f.OwnBand
	}
	return v
}

// withValues is it with vals in place of its values. Whether the error, the own answer and
// its comment are there changes the markup (they are in itemShape): those it lacks stay
// empty. Every other value is a mark whether the item has it or not, so that an item of the
// same shape with another text finds its place.
func withValues(it *Item, vals [nMarks]string) *Item {
	have := values(it)
	for _, m := range []byte{markError, markOwn, markOwnComment} {
		if have[m] == "" {
			vals[m] = ""
		}
	}
	m := *it
	m.ID, m.Label, m.Error = vals[markID], vals[markLabel], vals[markError]
	m.Reason, m.Comment, m.headHTML = vals[markReason], vals[markComment], []byte(vals[markHead])
	if f := it.Feedback; f != nil {
		mf := *f
		mf.Own, mf.OwnComment, mf.OwnBand, mf.Panel = vals[markOwn], vals[markOwnComment], vals[markOwnBand], []byte(vals[markPanel])
		m.Feedback = &mf
	}
	return &m
}

func (v *SectionPage) shape(it *Item) itemShape {
	sh := itemShape{scale: -1, placement: -1, answered: it.Answered, invalid: it.Error != "",
		askReason: it.AskReason, reasonOpen: it.ReasonOpen, feedback: it.Feedback != nil, labelLang: it.LabelLang}
	k := 0
	for _, b := range v.Scale.Bands {
		for _, p := range b.Points {
			if it.Rating != nil && p == *it.Rating && !it.Unable {
				sh.scale = k
			}
			k++
		}
	}
	if it.Unable {
		sh.scale = k
	}
	if v.Placement != nil {
		for i, o := range v.Placement.Options {
			if it.Placement == o.Value {
				sh.placement = i
			}
		}
	}
	if f := it.Feedback; f != nil {
		sh.showOwn, sh.hasOwn, sh.hasOwnComment = f.ShowOwn, f.Own != "", f.OwnComment != ""
	}
	return sh
}

// cachedItem writes an item of a section: from the kept rendering of its shape when the page
// has Parts, else rendered whole.
func cachedItem(v *SectionPage, it *Item) templ.Component {
	ps := v.Parts
	if ps == nil {
		return item(v, it)
	}
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		sh := v.shape(it)
		ps.mu.Lock()
		head, okHead := ps.heads[it.ID]
		c, ok := ps.cuts[sh]
		ps.mu.Unlock()
		if !okHead {
			var b bytes.Buffer
			if err := itemHead(v, it).Render(ctx, &b); err != nil {
				return err
			}
			head = b.Bytes()
			ps.mu.Lock()
			ps.heads[it.ID] = head
			ps.mu.Unlock()
		}
		withHead := *it
		withHead.headHTML = head
		if !ok {
			var marks, sample [nMarks]string
			for m := markID; m < nMarks; m++ {
				if isMark(rune(m)) {
					marks[m] = string(rune(m))
					sample[m] = "v" + string(rune('a'+m)) + ` <&>"'`
				}
			}
			sample[markHead], sample[markPanel] = "<h2>head</h2>", "<p>panel</p>"
			c = cutOf(v, withValues(&withHead, marks), withValues(&withHead, sample))
			ps.mu.Lock()
			ps.cuts[sh] = c
			ps.mu.Unlock()
		}
		if c == nil {
			return item(v, &withHead).Render(ctx, w)
		}
		return c.write(w, &withHead)
	})
}
