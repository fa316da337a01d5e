package auth

import (
	"container/list"
	"sync"
	"time"
)

// Throttle slows password guessing by counting failed sign-ins per key (an account, a client
// address). Only failures count, and a success clears the account's count, so people who sign
// in are never held up; after a key's free failures each further attempt must wait a delay
// that doubles with every failure, up to a ceiling.
//
// The table is bounded: when full, the entry whose last failure is the oldest goes. A flood of
// new keys therefore evicts only stale entries first, never the whole table, and the flood's
// own address is throttled by its failures long before it could cycle the table.
type Throttle struct {
	mu      sync.Mutex
	now     func() time.Time
	max     int
	entries map[string]*list.Element
	order   *list.List // of *throttleEntry, most recent failure at the front

	// Base is the first delay, Ceiling the longest; Forget is how long after its last failure
	// a key's count is dropped.
	Base, Ceiling, Forget time.Duration
}

type throttleEntry struct {
	key   string
	fails int
	last  time.Time
	until time.Time // no attempt before this
}

// NewThrottle returns a throttle holding at most max keys.
func NewThrottle(now func() time.Time, max int) *Throttle {
	return &Throttle{now: now, max: max, entries: map[string]*list.Element{}, order: list.New(),
		Base: time.Second, Ceiling: 15 * time.Minute, Forget: 24 * time.Hour}
}

// Wait returns how long key must wait before its next attempt (0: go ahead).
func (t *Throttle) Wait(key string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	el, ok := t.entries[key]
	if !ok {
		return 0
	}
	e := el.Value.(*throttleEntry)
	now := t.now()
	if now.Sub(e.last) >= t.Forget {
		t.remove(el)
		return 0
	}
	if d := e.until.Sub(now); d > 0 {
		return d.Round(time.Second) + time.Second/2 // never "wait 0 s"
	}
	return 0
}

// Fail counts a failed attempt for key, which has free failures before delays start. It
// returns the delay now imposed (0 while failures are free) and whether this failure started
// the key's first delay (worth an audit line: someone may be guessing).
func (t *Throttle) Fail(key string, free int) (delay time.Duration, started bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var e *throttleEntry
	if el, ok := t.entries[key]; ok {
		e = el.Value.(*throttleEntry)
		if now.Sub(e.last) >= t.Forget {
			e.fails, e.until = 0, time.Time{}
		}
		t.order.MoveToFront(el)
	} else {
		for len(t.entries) >= t.max && t.order.Len() > 0 {
			t.remove(t.order.Back())
		}
		e = &throttleEntry{key: key}
		t.entries[key] = t.order.PushFront(e)
	}
	e.fails++
	e.last = now
	if e.fails < free {
		return 0, false
	}
	delay = t.Base
	for i := free; i < e.fails && delay < t.Ceiling; i++ {
		delay *= 2
	}
	delay = min(delay, t.Ceiling)
	e.until = now.Add(delay)
	return delay, e.fails == free
}

// Clear forgets key's failures (after a successful sign-in to that account).
func (t *Throttle) Clear(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.entries[key]; ok {
		t.remove(el)
	}
}

// Len is the number of keys held.
func (t *Throttle) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.entries)
}

func (t *Throttle) remove(el *list.Element) {
	delete(t.entries, el.Value.(*throttleEntry).key)
	t.order.Remove(el)
}
