package web

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
)

// BenchmarkMeetingVote is an attendee's vote (durable when answered) from 300 attendees at once,
// 32 goroutines per core: each vote after an attendee's first replaces it.
func BenchmarkMeetingVote(b *testing.B) {
	e := newBenchEnv(b, 3)
	var m struct {
		ID       int64  `json:"id"`
		JoinCode string `json:"join_code"`
	}
	e.call(b, http.StatusCreated, "POST", fmt.Sprintf("/api/v1/studies/%d/meetings", e.sid), e.staff,
		map[string]any{"title": "Bench", "date": "2026-06-12", "items": []string{"item_001"}}, &m)
	tokens := make([]string, 300)
	for i := range tokens {
		var j struct{ Token string }
		e.call(b, http.StatusCreated, "POST", "/api/v1/meetings/join", "", map[string]string{"code": m.JoinCode, "name": fmt.Sprint("A", i), "group": []string{"a", "b", "c"}[i%3]}, &j)
		tokens[i] = j.Token
	}
	e.call(b, http.StatusOK, "POST", fmt.Sprintf("/api/v1/meetings/%d/items/item_001/open", m.ID), e.staff, map[string]string{"question": "proposal", "tier": "core"}, nil)
	bodies := [][]byte{[]byte(`{"item":"item_001","option":"agree"}`), []byte(`{"item":"item_001","option":"disagree"}`), []byte(`{"item":"item_001","option":"abstain"}`)}
	var next atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		tok := tokens[int(next.Add(1)-1)%len(tokens)]
		for v := 0; pb.Next(); v++ {
			if st, res := e.serve("PUT", "/api/v1/meetings/vote", tok, bodies[v%3]); st != http.StatusOK {
				b.Fatalf("vote: %d %s", st, res)
			}
		}
	})
}

// BenchmarkMeetingJoin is joining a meeting by code, one after another.
func BenchmarkMeetingJoin(b *testing.B) {
	e := newBenchEnv(b, 3)
	var m struct {
		JoinCode string `json:"join_code"`
	}
	e.call(b, http.StatusCreated, "POST", fmt.Sprintf("/api/v1/studies/%d/meetings", e.sid), e.staff,
		map[string]any{"title": "Bench", "date": "2026-06-12", "items": []string{"item_001"}}, &m)
	body := []byte(fmt.Sprintf(`{"code":%q,"name":"Attendee","group":"a"}`, m.JoinCode))
	b.ResetTimer()
	for b.Loop() {
		if st, res := e.serve("POST", "/api/v1/meetings/join", "", body); st != http.StatusCreated {
			b.Fatalf("join: %d %s", st, res)
		}
	}
}
