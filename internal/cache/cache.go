// Package cache is a concurrent map with a bound on its size, for the caches that grow with
// use. The service reads them on every expert request, several times, on every core, so a Get
// takes no lock: it is a sync.Map load and one atomic read, as cheap as the sync.Map it
// replaces (BENCHMARKS.md). Writes come from misses, rarely: they take a lock and evict by
// CLOCK (second chance), which approximates least-recently-used without writing on reads.
//
// What a cache holds and when an entry stops being right is for its owner to say, beside it:
// this type only bounds the memory.
package cache

import (
	"sync"
	"sync/atomic"
)

// Cache maps keys to values, keeping at most Max units (entries, or what cost says).
// The zero value is not usable: make one with New or NewWeighted.
type Cache[K comparable, V any] struct {
	m    sync.Map // K → *entry[K, V]; every entry in m is in the ring, and only those
	max  int
	cost func(V) int

	mu    sync.Mutex
	hand  *entry[K, V] // the oldest entry, where eviction looks first; the ring runs on to the newest
	n     int
	total int // the cost of every entry
}

type entry[K comparable, V any] struct {
	key  K
	val  V
	cost int
	// read since the hand last passed: set by Get, and only when not yet set, so that a hot
	// entry's cache line is not written on every read
	ref atomic.Bool

	prev, next *entry[K, V] // the ring, guarded by Cache.mu
}

// New returns a cache of at most max entries.
func New[K comparable, V any](max int) *Cache[K, V] {
	return NewWeighted[K, V](max, nil)
}

// NewWeighted returns a cache whose entries' cost(v) add up to at most max; a value that costs
// more than max on its own is not kept, and one that costs less than 1 counts as 1. cost nil
// counts each entry as 1.
func NewWeighted[K comparable, V any](max int, cost func(V) int) *Cache[K, V] {
	if max < 1 {
		max = 1
	}
	return &Cache[K, V]{max: max, cost: cost}
}

// Get returns the value kept for k.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	x, ok := c.m.Load(k)
	if !ok {
		var zero V
		return zero, false
	}
	e := x.(*entry[K, V])
	if !e.ref.Load() {
		e.ref.Store(true)
	}
	return e.val, true
}

// Put keeps v for k, in place of any value kept for it, and evicts what no longer fits.
func (c *Cache[K, V]) Put(k K, v V) {
	e, ok := c.newEntry(k, v)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !ok {
		c.deleteLocked(k)
		return
	}
	c.putLocked(e)
}

// LoadOrStore returns the value kept for k if there is one (loaded true); otherwise it keeps v
// and returns it. Callers that must agree on one value (one decoding shared by its waiters) use
// it. A value too costly to keep is returned, not kept.
func (c *Cache[K, V]) LoadOrStore(k K, v V) (actual V, loaded bool) {
	if old, ok := c.Get(k); ok {
		return old, true
	}
	e, ok := c.newEntry(k, v)
	c.mu.Lock()
	defer c.mu.Unlock()
	if x, ok := c.m.Load(k); ok {
		return x.(*entry[K, V]).val, true
	}
	if ok {
		c.putLocked(e)
	}
	return v, false
}

// DeleteIf drops k's entry if drop says so of its value (a failed decoding, and not the one
// that may have replaced it since).
func (c *Cache[K, V]) DeleteIf(k K, drop func(V) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if x, ok := c.m.Load(k); ok && drop(x.(*entry[K, V]).val) {
		c.deleteLocked(k)
	}
}

// Delete drops k's entry.
func (c *Cache[K, V]) Delete(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deleteLocked(k)
}

// Len returns the number of entries.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// newEntry makes k's entry, or reports that v costs too much to keep.
func (c *Cache[K, V]) newEntry(k K, v V) (*entry[K, V], bool) {
	e := &entry[K, V]{key: k, val: v, cost: 1}
	// marked as read: a new entry gets one pass of the hand, or it would be the first to go
	// after a turn that spared every older one
	e.ref.Store(true)
	if c.cost != nil {
		e.cost = max(c.cost(v), 1) // free entries would escape the bound
	}
	return e, e.cost <= c.max
}

func (c *Cache[K, V]) putLocked(e *entry[K, V]) {
	if x, loaded := c.m.Swap(e.key, e); loaded {
		c.unlink(x.(*entry[K, V]))
	}
	// the newest sits just behind the hand
	if c.hand == nil {
		e.prev, e.next, c.hand = e, e, e
	} else {
		e.prev, e.next = c.hand.prev, c.hand
		c.hand.prev.next = e
		c.hand.prev = e
	}
	c.n++
	c.total += e.cost
	for c.total > c.max {
		c.evictOne()
	}
}

// evictOne moves the hand past entries read since its last pass (clearing their mark) and
// drops the first one that was not. It ends: one turn clears every mark.
func (c *Cache[K, V]) evictOne() {
	for {
		e := c.hand
		if e.ref.Load() {
			e.ref.Store(false)
			c.hand = e.next
			continue
		}
		c.m.CompareAndDelete(e.key, e)
		c.unlink(e)
		return
	}
}

func (c *Cache[K, V]) deleteLocked(k K) {
	if x, ok := c.m.LoadAndDelete(k); ok {
		c.unlink(x.(*entry[K, V]))
	}
}

// unlink takes e out of the ring (not out of m).
func (c *Cache[K, V]) unlink(e *entry[K, V]) {
	if e.next == e {
		c.hand = nil
	} else {
		e.prev.next = e.next
		e.next.prev = e.prev
		if c.hand == e {
			c.hand = e.next
		}
	}
	e.prev, e.next = nil, nil
	c.n--
	c.total -= e.cost
}
