package web

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

// gunzipOne reads z as a gzip reader does, one member only (as browsers do).
func gunzipOne(t testing.TB, z []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if rest, _ := io.ReadAll(zr); len(rest) > 0 {
		t.Fatalf("%d bytes after the member", len(rest))
	}
	return b
}

// Parts compressed at once join into one gzip member that decompresses to the input, at
// every size around the part boundaries, and are not much larger than one part would be.
func TestGzipBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	page := bytes.Repeat([]byte(`<tr><th scope="row">Item label</th><td class="num">12</td></tr>`+"\n"), 40000)
	noise := make([]byte, 3*gzipMinPart+17)
	for i := range noise {
		noise[i] = byte(rng.IntN(256))
	}
	for _, tt := range []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"small", []byte("<p>hello</p>")},
		{"one part", page[:gzipMinPart*2-1]},
		{"two parts", page[:gzipMinPart*2]},
		{"page", page},
		{"incompressible", noise},
	} {
		for _, level := range []int{gzip.BestSpeed, gzip.BestCompression} {
			for _, parts := range []int{1, 2, 3, 8} {
				z := gzipBytes(tt.in, level, parts)
				if got := gunzipOne(t, z); !bytes.Equal(got, tt.in) {
					t.Fatalf("%s, level %d, %d parts: %d bytes back, want %d", tt.name, level, parts, len(got), len(tt.in))
				}
				if one := gzipBytes(tt.in, level, 1); len(z) > len(one)+len(one)/50+80*parts {
					t.Errorf("%s, level %d, %d parts: %d bytes, in one part %d", tt.name, level, parts, len(z), len(one))
				}
			}
		}
	}
}

func FuzzGzipBytes(f *testing.F) {
	f.Add([]byte("abc"), 2)
	f.Fuzz(func(t *testing.T, b []byte, parts int) {
		// repeated, so that inputs the fuzzer finds reach several parts
		in := bytes.Repeat(b, 1+2*gzipMinPart/(len(b)+1))
		if got := gunzipOne(t, gzipBytes(in, gzip.BestSpeed, parts%5)); !bytes.Equal(got, in) {
			t.Fatalf("%d bytes back, want %d", len(got), len(in))
		}
	})
}

// A page compressed while it is written, as the report page is: advance is told the page so
// far from a buffer that grows (and moves) as it is written, and the member holds the page.
func TestGzipAhead(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var buf bytes.Buffer // small at first: it is reallocated several times
	g := newGzipAhead(gzip.BestSpeed, gzipMinPart)
	for buf.Len() < 5*gzipMinPart+12345 {
		fmt.Fprintf(&buf, `<tr id="row-%d"><td class="num">%d</td></tr>`+"\n", rng.IntN(1000), rng.IntN(100))
		if rng.IntN(50) == 0 {
			g.advance(buf.Bytes())
		}
	}
	page := buf.Bytes()
	z := g.finish(page)
	if len(g.parts) < 3 {
		t.Errorf("%d parts: the page was not compressed as it was written", len(g.parts))
	}
	if got := gunzipOne(t, z); !bytes.Equal(got, page) {
		t.Fatalf("%d bytes back, want %d", len(got), len(page))
	}
}
