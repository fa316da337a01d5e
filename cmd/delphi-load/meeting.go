package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cart-cd/delphi/internal/loadgen"
)

// meetingResult is the meeting phase: attendees join, then all vote on one item while the
// presenter's stream is read.
type meetingResult struct {
	Attendees int
	// Lag is the longest wait, over the votes, from a vote's acknowledgement to the first
	// pulse on the presenter's stream that counts at least as many votes as had been
	// acknowledged by then (0 when the pulse came first).
	Lag time.Duration
	// Acked is the votes acknowledged; Counted what the closed vote's decision counted
	// (voters + abstentions): every acknowledged vote must be in it.
	Acked, Counted int
	// JoinWall and VoteWall are how long all the joins and all the votes took.
	JoinWall, VoteWall time.Duration
}

// timed sends a request, records its latency under kind and returns its body (do drops the body
// of a timed 2xx; a join's token is in it).
func (c *client) timed(ctx context.Context, kind, method, path, token string, body any) (int, []byte, error) {
	start := time.Now()
	st, b, err := c.do(ctx, "", method, path, token, body)
	if err != nil {
		st = 0
	}
	c.rec.add(kind, time.Since(start), st)
	return st, b, err
}

type pulseAt struct {
	at    time.Time
	votes int
}

// meeting runs the meeting phase on the study of the save phases (its round 1 is open, so its
// items may be put to a vote): n attendees join by code, spread over spread; the presenter's
// stream is opened and a vote on one item; each attendee votes once, the votes spread over
// spread too; the vote is closed and its decision must count every acknowledged vote.
func (e *env) meeting(ctx context.Context, n int, spread time.Duration) ([]phase, *meetingResult, error) {
	item := loadgen.ItemID(0)
	var m struct {
		ID       int64  `json:"id"`
		JoinCode string `json:"join_code"`
	}
	if err := e.cl.must(ctx, http.StatusCreated, "POST", fmt.Sprintf("/api/v1/studies/%d/meetings", e.sid), e.staff,
		map[string]any{"title": "Load meeting", "date": time.Now().Format(time.DateOnly), "items": []string{item}}, &m); err != nil {
		return nil, nil, err
	}
	res := &meetingResult{Attendees: n}
	e.logf("meeting %d: %d attendees join over %s", m.ID, n, spread)
	tokens := make([]string, n)
	join := e.measureSpread(ctx, "meeting-join", n, spread, &res.JoinWall, func(ctx context.Context, i int) {
		st, b, err := e.cl.timed(ctx, "meeting-join", "POST", "/api/v1/meetings/join", "", map[string]string{
			"code": m.JoinCode, "name": fmt.Sprintf("Attendee %d", i+1), "group": loadgen.Groups[i%len(loadgen.Groups)]})
		var j struct {
			Token string `json:"token"`
		}
		if err == nil && st == http.StatusCreated && json.Unmarshal(b, &j) == nil {
			tokens[i] = j.Token
		}
	})

	// the presenter's screen: the stream, read as it comes
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, _ := http.NewRequestWithContext(sctx, "GET", e.cl.base+fmt.Sprintf("/api/v1/meetings/%d/events", m.ID), nil)
	req.Header.Set("Authorization", "Bearer "+e.staff)
	sres, err := e.cl.hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("events: %w", err)
	}
	defer sres.Body.Close()
	if sres.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("events: %s", sres.Status)
	}
	var (
		pmu    sync.Mutex
		pulses []pulseAt
	)
	go func() {
		sc := bufio.NewScanner(sres.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var p struct {
					VotesCast int `json:"votes_cast"`
				}
				if json.Unmarshal([]byte(d), &p) == nil {
					pmu.Lock()
					pulses = append(pulses, pulseAt{time.Now(), p.VotesCast})
					pmu.Unlock()
				}
			}
		}
	}()
	if err := e.cl.must(ctx, http.StatusOK, "POST", fmt.Sprintf("/api/v1/meetings/%d/items/%s/open", m.ID, item), e.staff,
		map[string]string{"question": "proposal", "tier": "core"}, nil); err != nil {
		return nil, nil, err
	}

	e.logf("meeting %d: %d votes over %s", m.ID, n, spread)
	acks := make([]time.Time, 0, n)
	var amu sync.Mutex
	options := []string{"agree", "agree", "agree", "disagree", "abstain"}
	vote := e.measureSpread(ctx, "meeting-vote", n, spread, &res.VoteWall, func(ctx context.Context, i int) {
		if tokens[i] == "" {
			return // its join failed, and is counted there
		}
		st, _, err := e.cl.do(ctx, "meeting-vote", "PUT", "/api/v1/meetings/vote", tokens[i], map[string]string{"item": item, "option": options[i%len(options)]})
		if err == nil && st == http.StatusOK {
			amu.Lock()
			acks = append(acks, time.Now())
			amu.Unlock()
		}
	})
	res.Acked = len(acks)
	// the presenter's count: wait up to 5 s for the last pulse, then measure each ack's wait
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		pmu.Lock()
		done := len(pulses) > 0 && pulses[len(pulses)-1].votes >= res.Acked
		pmu.Unlock()
		if done {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	pmu.Lock()
	ps := slices.Clone(pulses)
	pmu.Unlock()
	slices.SortFunc(acks, func(a, b time.Time) int { return a.Compare(b) })
	for k, at := range acks {
		lag := 5 * time.Second // never shown within the wait: counted as 5 s
		for _, p := range ps {
			if p.votes >= k+1 {
				lag = max(0, p.at.Sub(at))
				break
			}
		}
		res.Lag = max(res.Lag, lag)
	}

	var closed struct {
		Items []struct {
			Result *struct {
				Voters    int `json:"voters"`
				Abstained int `json:"abstained"`
			} `json:"result"`
		} `json:"items"`
	}
	if err := e.cl.must(ctx, http.StatusOK, "POST", fmt.Sprintf("/api/v1/meetings/%d/items/%s/close", m.ID, item), e.staff, nil, &closed); err != nil {
		return nil, nil, err
	}
	if len(closed.Items) == 1 && closed.Items[0].Result != nil {
		res.Counted = closed.Items[0].Result.Voters + closed.Items[0].Result.Abstained
	}
	vote.Note = fmt.Sprintf("%d attendees joined in %.1f s and voted in %.1f s; %d votes acknowledged, %d counted at close; presenter's count behind an ack by at most %s ms",
		n, res.JoinWall.Seconds(), res.VoteWall.Seconds(), res.Acked, res.Counted, ms(res.Lag))
	if res.Counted != res.Acked {
		return nil, nil, fmt.Errorf("meeting: %d votes acknowledged, %d counted at close", res.Acked, res.Counted)
	}
	return []phase{join, vote}, res, nil
}

// measureSpread runs n steps, step i starting at i·spread/n, and measures them as one phase.
func (e *env) measureSpread(ctx context.Context, kind string, n int, spread time.Duration, wall *time.Duration, step func(ctx context.Context, i int)) phase {
	s0, l0 := readProc(e.srv.pid()), readProc(0)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		at := start.Add(time.Duration(i) * spread / time.Duration(n))
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Until(at))
			step(ctx, i)
		}()
	}
	wg.Wait()
	*wall = time.Since(start)
	s1, l1 := readProc(e.srv.pid()), readProc(0)
	return phase{Kind: kind, Clients: n, latency: summarise(e.cl.rec.take(kind), *wall),
		ServerCPU: usage(s0, s1), LoadCPU: usage(l0, l1), ServerRSS: s1.rss}
}
