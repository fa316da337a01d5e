package cache

import (
	"sync"
	"testing"
)

// The caches are read on every expert request on every core: a Get must stay as cheap as the
// sync.Map load it replaced. Run with -cpu 1,2 (BENCHMARKS.md).

const benchKeys = 4096

// BenchmarkGet reads entries that are all kept (the steady state of a round being answered).
func BenchmarkGet(b *testing.B) {
	b.Run("sync.Map", func(b *testing.B) {
		var m sync.Map
		for k := range benchKeys {
			m.Store(int64(k), &k)
		}
		b.RunParallel(func(pb *testing.PB) {
			k := int64(0)
			for pb.Next() {
				if _, ok := m.Load(k & (benchKeys - 1)); !ok {
					b.Fatal("miss")
				}
				k += 7
			}
		})
	})
	b.Run("Cache", func(b *testing.B) {
		c := New[int64, *int](benchKeys)
		for k := range benchKeys {
			c.Put(int64(k), &k)
		}
		b.RunParallel(func(pb *testing.PB) {
			k := int64(0)
			for pb.Next() {
				if _, ok := c.Get(k & (benchKeys - 1)); !ok {
					b.Fatal("miss")
				}
				k += 7
			}
		})
	})
}

// BenchmarkChurn reads a key space twice the bound, putting what it misses (the worst case: a
// bound too small for what is read).
func BenchmarkChurn(b *testing.B) {
	c := New[int64, int64](benchKeys / 2)
	b.RunParallel(func(pb *testing.PB) {
		k := int64(0)
		for pb.Next() {
			key := k & (benchKeys - 1)
			if _, ok := c.Get(key); !ok {
				c.Put(key, key)
			}
			k += 7
		}
	})
}
