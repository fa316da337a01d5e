package cache

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

// keys returns the keys kept, in order.
func keys(c *Cache[int, string]) []int {
	var out []int
	c.m.Range(func(k, _ any) bool {
		out = append(out, k.(int))
		return true
	})
	slices.Sort(out)
	return out
}

// TestEviction: the cache keeps within its bound, and evicts the oldest entry not read since
// the hand last passed.
func TestEviction(t *testing.T) {
	tests := []struct {
		name string
		max  int
		ops  func(c *Cache[int, string])
		want []int
	}{
		{"under the bound", 3, func(c *Cache[int, string]) {
			c.Put(1, "a")
			c.Put(2, "b")
		}, []int{1, 2}},
		{"oldest goes first", 3, func(c *Cache[int, string]) {
			for k := 1; k <= 5; k++ {
				c.Put(k, "v")
			}
		}, []int{3, 4, 5}},
		{"a read entry gets a second chance", 3, func(c *Cache[int, string]) {
			c.Put(1, "a")
			c.Put(2, "b")
			c.Put(3, "c")
			c.Put(4, "d") // a turn clears every mark, then 1 goes
			c.Get(2)
			c.Put(5, "e") // 2 was read since: 3 goes
		}, []int{2, 4, 5}},
		{"replacing does not grow", 2, func(c *Cache[int, string]) {
			c.Put(1, "a")
			c.Put(1, "b")
			c.Put(1, "c")
			c.Put(2, "d")
		}, []int{1, 2}},
		{"delete", 3, func(c *Cache[int, string]) {
			c.Put(1, "a")
			c.Put(2, "b")
			c.Delete(1)
			c.Delete(9)
			c.Put(3, "c")
			c.Put(4, "d")
		}, []int{2, 3, 4}},
		{"bound of one", 1, func(c *Cache[int, string]) {
			c.Put(1, "a")
			c.Get(1)
			c.Put(2, "b")
		}, []int{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New[int, string](tt.max)
			tt.ops(c)
			if got := keys(c); !slices.Equal(got, tt.want) {
				t.Errorf("kept %v, want %v", got, tt.want)
			}
			if c.Len() != len(tt.want) || c.total != len(tt.want) {
				t.Errorf("Len %d, total %d, want %d", c.Len(), c.total, len(tt.want))
			}
		})
	}
}

func TestGetPutReplace(t *testing.T) {
	c := New[string, int](10)
	if _, ok := c.Get("a"); ok {
		t.Fatal("empty cache has a")
	}
	c.Put("a", 1)
	c.Put("a", 2)
	if v, ok := c.Get("a"); !ok || v != 2 {
		t.Fatalf("Get = %d, %v; want the replacement 2", v, ok)
	}
	if v, loaded := c.LoadOrStore("a", 3); !loaded || v != 2 {
		t.Fatalf("LoadOrStore = %d, %v; want 2, loaded", v, loaded)
	}
	if v, loaded := c.LoadOrStore("b", 4); loaded || v != 4 {
		t.Fatalf("LoadOrStore = %d, %v; want 4, stored", v, loaded)
	}
	c.DeleteIf("b", func(v int) bool { return v == 5 })
	if _, ok := c.Get("b"); !ok {
		t.Fatal("DeleteIf dropped a value it did not match")
	}
	c.DeleteIf("b", func(v int) bool { return v == 4 })
	if _, ok := c.Get("b"); ok {
		t.Fatal("DeleteIf kept a value it matched")
	}
}

// TestWeighted: the costs add up to the bound at most; a value too costly alone is not kept,
// and does not leave the value it replaced behind.
func TestWeighted(t *testing.T) {
	c := NewWeighted[int, []int](10, func(v []int) int { return len(v) })
	c.Put(1, make([]int, 4))
	c.Put(2, make([]int, 4))
	c.Put(3, make([]int, 4)) // 12 > 10: 1 goes
	if _, ok := c.Get(1); ok || c.total != 8 || c.Len() != 2 {
		t.Fatalf("after overflow: 1 kept %v, total %d, Len %d", ok, c.total, c.Len())
	}
	c.Put(2, make([]int, 11))
	if _, ok := c.Get(2); ok || c.total != 4 {
		t.Fatalf("too costly: kept %v, total %d", ok, c.total)
	}
	if v, loaded := c.LoadOrStore(4, make([]int, 11)); loaded || len(v) != 11 {
		t.Fatalf("LoadOrStore of a too costly value: %d, %v", len(v), loaded)
	}
	if _, ok := c.Get(4); ok {
		t.Fatal("too costly value kept by LoadOrStore")
	}
	for k := 10; k < 30; k++ { // empty values cost 1 each: the count stays bounded too
		c.Put(k, nil)
	}
	if c.Len() > 10 || c.total > 10 {
		t.Fatalf("empty values: Len %d, total %d, bound 10", c.Len(), c.total)
	}
}

// TestConcurrent: readers and writers at once keep the cache within its bound and consistent
// (run with -race).
func TestConcurrent(t *testing.T) {
	c := New[int, int](64)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20000 {
				k := (i*7 + g) % 200
				if v, ok := c.Get(k); ok && v != k {
					panic(fmt.Sprintf("key %d holds %d", k, v))
				}
				switch i % 10 {
				case 0:
					c.Put(k, k)
				case 1:
					c.LoadOrStore(k, k)
				case 2:
					c.Delete(k)
				}
			}
		})
	}
	wg.Wait()
	n := 0
	c.m.Range(func(_, _ any) bool { n++; return true })
	if c.Len() > 64 || n != c.Len() || c.total != c.Len() {
		t.Fatalf("Len %d, map %d, total %d, bound 64", c.Len(), n, c.total)
	}
	// the ring holds exactly the map's entries
	seen := 0
	if e := c.hand; e != nil {
		for {
			if x, ok := c.m.Load(e.key); !ok || x.(*entry[int, int]) != e {
				t.Fatalf("ring entry %d is not the map's", e.key)
			}
			seen++
			if e = e.next; e == c.hand {
				break
			}
		}
	}
	if seen != n {
		t.Fatalf("ring has %d entries, map %d", seen, n)
	}
}
