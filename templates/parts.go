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
// round in one language, editable or not: each item's head (label, description, metadata),
// and the rating scale's, the placement question's and the text fields' markup. They are
// rendered by the components (itemHead, scale, placement, texts) the first time they are
// needed, then written as bytes: a section page has forty items of some twenty inputs each,
// and it is the page experts load most.
//
// The inputs are rendered once for every choice an item can make (the point it checks, the
// reason field shown or not) with marks in place of the item's id and of the expert's texts;
// writing an item puts its id and texts, escaped as templ escapes them, where the marks were.
// A round's items never change once it is open, so nothing here is invalidated; the server
// keeps one Parts per round, language and editability.
type Parts struct {
	mu    sync.Mutex
	cuts  map[cutKey]*cut // nil: the component cannot be cut (see cutOf); rendered whole
	heads map[string][]byte
}

// NewParts returns an empty Parts.
func NewParts() *Parts {
	return &Parts{cuts: map[cutKey]*cut{}, heads: map[string][]byte{}}
}

// cutKey names one rendering of a component with marks: which component, and which choice.
type cutKey struct {
	part   byte // 's' scale, 'p' placement, 't' texts
	choice int
}

// The marks stand for an item's id and its two texts while a component is rendered. They are
// control characters, which neither escaping nor the markup around them produce.
const (
	markID byte = iota + 1
	markReason
	markComment
)

// cut is a rendering of a component split at its marks: parts[0], the value of marks[0],
// parts[1], … .
type cut struct {
	parts []string
	marks []byte
}

// cutOf renders c, whose item has marks for its values, and splits it at the marks. To be
// sure every mark stands where a value goes (a text of the definition could hold one), the
// cut is checked: filled with sample, it must give what check, the same component with
// sample's values, renders. Otherwise it returns nil, and the component is rendered whole.
func cutOf(marked, check templ.Component, sample [4]string) *cut {
	var b, want bytes.Buffer
	if marked.Render(context.Background(), &b) != nil || check.Render(context.Background(), &want) != nil {
		return nil
	}
	c := &cut{}
	s := b.String()
	for {
		i := strings.IndexFunc(s, func(r rune) bool { return r >= rune(markID) && r <= rune(markComment) })
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

// write writes the cut with vals[mark] where each mark was, escaped.
func (c *cut) write(w io.Writer, vals [4]string) error {
	for i, p := range c.parts {
		if i > 0 {
			if _, err := io.WriteString(w, templ.EscapeString(vals[c.marks[i-1]])); err != nil {
				return err
			}
		}
		if _, err := io.WriteString(w, p); err != nil {
			return err
		}
	}
	return nil
}

// kept writes what component part, for the choice it makes, gives for it: from the cut,
// cutting it first if need be (marked renders the choice with marks), or rendered whole.
func (ps *Parts) kept(k cutKey, it *Item, marked func(*Item) templ.Component) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		ps.mu.Lock()
		c, ok := ps.cuts[k]
		ps.mu.Unlock()
		if !ok {
			m, sample := *it, *it
			m.ID, m.Reason, m.Comment = string(markID), string(markReason), string(markComment)
			sample.ID, sample.Reason, sample.Comment = "item_x", "reason <&> \"x\"", "comment 'y'"
			c = cutOf(marked(&m), marked(&sample), [4]string{markID: sample.ID, markReason: sample.Reason, markComment: sample.Comment})
			ps.mu.Lock()
			ps.cuts[k] = c
			ps.mu.Unlock()
		}
		if c == nil {
			return marked(it).Render(ctx, w)
		}
		return c.write(w, [4]string{markID: it.ID, markReason: it.Reason, markComment: it.Comment})
	})
}

// scaleChoice is the position of the scale's input an item checks: -1 none, the number of
// points for "unable to score".
func scaleChoice(v *SectionPage, it *Item) int {
	k := 0
	for _, b := range v.Scale.Bands {
		for _, p := range b.Points {
			if it.Rating != nil && p == *it.Rating && !it.Unable {
				return k
			}
			k++
		}
	}
	if it.Unable {
		return k
	}
	return -1
}

// cachedScale writes an item's rating inputs.
func cachedScale(v *SectionPage, it *Item) templ.Component {
	if v.Parts == nil {
		return scale(v, it)
	}
	return v.Parts.kept(cutKey{'s', scaleChoice(v, it)}, it, func(m *Item) templ.Component { return scale(v, m) })
}

// cachedPlacement writes an item's placement question.
func cachedPlacement(v *SectionPage, it *Item) templ.Component {
	if v.Parts == nil || v.Placement == nil {
		return placement(v, it)
	}
	k := -1
	for i, o := range v.Placement.Options {
		if it.Placement == o.Value {
			k = i
		}
	}
	return v.Parts.kept(cutKey{'p', k}, it, func(m *Item) templ.Component { return placement(v, m) })
}

// cachedTexts writes an item's reason and comment fields.
func cachedTexts(v *SectionPage, it *Item) templ.Component {
	if v.Parts == nil {
		return texts(v, it)
	}
	k := 0
	if it.AskReason {
		k = 1
		if it.ReasonOpen {
			k = 2
		}
	}
	return v.Parts.kept(cutKey{'t', k}, it, func(m *Item) templ.Component { return texts(v, m) })
}

// cachedHead writes an item's head.
func cachedHead(v *SectionPage, it *Item) templ.Component {
	if v.Parts == nil {
		return itemHead(v, it)
	}
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		ps := v.Parts
		ps.mu.Lock()
		b, ok := ps.heads[it.ID]
		ps.mu.Unlock()
		if !ok {
			var buf bytes.Buffer
			if err := itemHead(v, it).Render(ctx, &buf); err != nil {
				return err
			}
			b = buf.Bytes()
			ps.mu.Lock()
			ps.heads[it.ID] = b
			ps.mu.Unlock()
		}
		_, err := w.Write(b)
		return err
	})
}
