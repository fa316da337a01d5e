package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/report"
)

// attendeeCookie holds an attendee's token on their phone (pages); the API takes it as a bearer.
const attendeeCookie = "delphi_attendee"

// meetingID reads :mid.
func meetingID(c *gin.Context) (int64, error) { return pathInt(c, "mid") }

// apiCreateMeeting serves POST /api/v1/studies/{sid}/meetings.
func (s *Server) apiCreateMeeting(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	var in delphi.MeetingInput
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.svc.CreateMeeting(c.Request.Context(), actorFrom(c), sid, in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, s.withJoinURL(v))
}

// meetingJSON is a meeting with the link its join code stands for.
type meetingJSON struct {
	delphi.MeetingView
	JoinURL string `json:"join_url"`
}

func (s *Server) withJoinURL(v *delphi.MeetingView) meetingJSON {
	return meetingJSON{MeetingView: *v, JoinURL: s.joinURL(v.JoinCode)}
}

// meetingRow is a meeting of a study's list.
type meetingRow struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
	Date  string `json:"date"`
	Place string `json:"place"`
	State string `json:"state"`
}

// meetingItemsInput is a meeting's list, in order.
type meetingItemsInput struct {
	Items []string `json:"items"`
}

// joinActionInput opens or closes joining, or asks for a new code.
type joinActionInput struct {
	Join string `json:"join"`
}

// joinURL is the link a QR code on the screen carries: the join page with the code filled in.
func (s *Server) joinURL(code string) string { return s.BaseURL + "/m/" + code }

// apiStudyMeetings serves GET /api/v1/studies/{sid}/meetings.
func (s *Server) apiStudyMeetings(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	ms, err := s.svc.StudyMeetings(c.Request.Context(), sid)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]meetingRow, 0, len(ms))
	for _, m := range ms {
		out = append(out, meetingRow{m.ID, m.Title, m.Date, m.Place, m.State})
	}
	c.JSON(http.StatusOK, out)
}

// apiMeeting serves GET /api/v1/meetings/{mid}.
func (s *Server) apiMeeting(c *gin.Context) {
	mid, err := meetingID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.svc.Meeting(c.Request.Context(), actorFrom(c), mid)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, s.withJoinURL(v))
}

// apiMeetingItems serves PUT /api/v1/meetings/{mid}/items: the list, edited and reordered.
func (s *Server) apiMeetingItems(c *gin.Context) {
	mid, err := meetingID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var in meetingItemsInput
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.svc.SetMeetingItems(c.Request.Context(), actorFrom(c), mid, in.Items)
	s.meetingChanged(c, mid, v, err)
}

// meetingChanged answers a change of a meeting and tells its screens.
func (s *Server) meetingChanged(c *gin.Context, mid int64, v *delphi.MeetingView, err error) {
	if err != nil {
		s.fail(c, err)
		return
	}
	s.hub.notify(mid)
	c.JSON(http.StatusOK, s.withJoinURL(v))
}

// apiOpenVote serves POST /api/v1/meetings/{mid}/items/{item}/open.
func (s *Server) apiOpenVote(c *gin.Context) {
	mid, err := meetingID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var q delphi.Question
	if err := decodeJSON(c, &q); err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.svc.OpenVote(c.Request.Context(), actorFrom(c), mid, c.Param("item"), q)
	s.meetingChanged(c, mid, v, err)
}

// apiCloseVote serves POST /api/v1/meetings/{mid}/items/{item}/close.
func (s *Server) apiCloseVote(c *gin.Context) {
	mid, err := meetingID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.svc.CloseVote(c.Request.Context(), actorFrom(c), mid, c.Param("item"))
	s.meetingChanged(c, mid, v, err)
}

// apiMeetingJoin serves PUT /api/v1/meetings/{mid}/join {join: open|close|new_code}.
func (s *Server) apiMeetingJoin(c *gin.Context) {
	mid, err := meetingID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var in joinActionInput
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.svc.SetJoin(c.Request.Context(), actorFrom(c), mid, in.Join)
	s.meetingChanged(c, mid, v, err)
}

// apiEndMeeting serves POST /api/v1/meetings/{mid}/end.
func (s *Server) apiEndMeeting(c *gin.Context) {
	mid, err := meetingID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.svc.EndMeeting(c.Request.Context(), actorFrom(c), mid)
	s.meetingChanged(c, mid, v, err)
}

// apiMeetingReport serves GET /api/v1/meetings/{mid}/report.json and report.csv.
func (s *Server) apiMeetingReport(file string) gin.HandlerFunc {
	return func(c *gin.Context) {
		mid, err := meetingID(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		ctx := c.Request.Context()
		a := actorFrom(c)
		r, err := s.svc.Report(ctx, a, mid)
		if err != nil {
			s.fail(c, err)
			return
		}
		var body []byte
		ctype := "application/json"
		if file == "report.csv" {
			var buf bytes.Buffer
			err = report.MeetingCSV(&buf, r)
			body, ctype = buf.Bytes(), "text/csv; charset=utf-8"
		} else {
			body, err = json.MarshalIndent(r, "", " ")
		}
		if err != nil {
			s.fail(c, err)
			return
		}
		if err := s.svc.AuditMeetingExport(ctx, a, r, file); err != nil {
			s.fail(c, err)
			return
		}
		c.Header("Cache-Control", "private, no-store")
		c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="meeting-%d-%s"`, mid, file))
		c.Data(http.StatusOK, ctype, body)
	}
}

// apiJoin serves POST /api/v1/meetings/join {code, name, group}: anyone with the code joins. A
// panelist sending their invite token (bearer, or the expert cookie) joins under their own name
// and group. Other credentials are ignored: the route is public.
func (s *Server) apiJoin(c *gin.Context) {
	var in delphi.JoinInput
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	j, err := s.join(c, in)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.hub.notify(j.Meeting)
	c.JSON(http.StatusCreated, j)
}

// join joins a meeting. An invite token sent as the bearer must be valid (a revoked link is
// refused, as everywhere); the expert cookie is ambient, so one that no longer works is ignored
// and the form's name and group count.
func (s *Server) join(c *gin.Context, in delphi.JoinInput) (*delphi.Joined, error) {
	ctx := c.Request.Context()
	var ex *delphi.Expert
	if tok := bearer(c); tok != "" {
		if _, perr := s.Signer.ParseInvite(tok); perr == nil || errors.Is(perr, auth.ErrExpired) {
			e, err := s.svc.Expert(ctx, tok)
			if err != nil {
				return nil, err
			}
			ex = e
		}
	} else if tok, err := c.Cookie(expertCookie); err == nil {
		if e, err := s.svc.Expert(ctx, tok); err == nil {
			ex = e
		}
	}
	return s.svc.Join(ctx, in, ex)
}

// attendeeAuth identifies a meeting attendee from a bearer token (API) or the attendee cookie
// (the phone's page). Cookie-authenticated unsafe requests must carry the CSRF token.
func (s *Server) attendeeAuth(c *gin.Context) {
	tok, fromCookie := bearer(c), false
	if tok == "" {
		if ck, err := c.Cookie(attendeeCookie); err == nil {
			tok, fromCookie = ck, true
		}
	}
	if tok == "" {
		s.fail(c, delphi.Errorf(delphi.EUnauthorized, "", "join the meeting with the code on the screen first"))
		return
	}
	a, err := s.svc.AttendeeOf(tok)
	if err != nil {
		if fromCookie {
			s.setCookie(c, attendeeCookie, "", -1, "/")
		}
		s.fail(c, err)
		return
	}
	if fromCookie && !safeMethod(c.Request.Method) && !s.csrfOK(c, attendeeCSRFKey(a)) {
		s.fail(c, delphi.Errorf(delphi.EForbidden, "csrf", "the page has expired; reload it and vote again"))
		return
	}
	c.Set(fmt.Sprint(keyAttendee), a)
	c.Next()
}

func attendeeCSRFKey(a auth.Attendee) string { return fmt.Sprintf("attendee:%d", a.AttendeeID) }

func attendeeFrom(c *gin.Context) auth.Attendee {
	v, _ := c.Get(fmt.Sprint(keyAttendee))
	a, _ := v.(auth.Attendee)
	return a
}

// apiVote serves PUT /api/v1/meetings/vote {item, option}. A 2xx answer means the vote is durable.
func (s *Server) apiVote(c *gin.Context) {
	var in delphi.VoteInput
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	a := attendeeFrom(c)
	if err := s.svc.Vote(c.Request.Context(), a, in); err != nil {
		s.fail(c, err)
		return
	}
	s.hub.notify(a.MeetingID)
	c.JSON(http.StatusOK, delphi.VoteInput{Item: in.Item, Option: in.Option})
}

// apiAttending serves GET /api/v1/meetings/current: the attendee's meeting and its open vote.
func (s *Server) apiAttending(c *gin.Context) {
	v, err := s.svc.Attending(c.Request.Context(), attendeeFrom(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

// The hub tells the presenters' streams that a meeting changed. It holds one signal channel
// (capacity 1) per stream, so a burst of votes costs each stream one read of the pulse, and a
// slow reader never holds anyone up. Bounded: maxStreams in all, maxStreamsPerMeeting each.
type hub struct {
	mu     sync.Mutex
	subs   map[int64]map[chan struct{}]struct{}
	n      int
	closed chan struct{}
	once   sync.Once
}

const (
	maxStreams           = 256
	maxStreamsPerMeeting = 16
	// streamLife ends a stream after a while: EventSource reconnects by itself, and a session
	// ended meanwhile is checked again then.
	streamLife = 10 * time.Minute
	// streamEvery is the shortest gap between two events of a stream.
	streamEvery = 100 * time.Millisecond
	heartbeat   = 15 * time.Second
)

func newHub() *hub {
	return &hub{subs: map[int64]map[chan struct{}]struct{}{}, closed: make(chan struct{})}
}

var errHubFull = delphi.Errorf("busy", "", "too many live screens are open; close one and reload")

func (h *hub) subscribe(mid int64) (chan struct{}, func(), error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n >= maxStreams || len(h.subs[mid]) >= maxStreamsPerMeeting {
		return nil, nil, errHubFull
	}
	ch := make(chan struct{}, 1)
	if h.subs[mid] == nil {
		h.subs[mid] = map[chan struct{}]struct{}{}
	}
	h.subs[mid][ch] = struct{}{}
	h.n++
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs[mid], ch)
		if len(h.subs[mid]) == 0 {
			delete(h.subs, mid)
		}
		h.n--
	}, nil
}

func (h *hub) notify(mid int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[mid] {
		select {
		case ch <- struct{}{}:
		default: // already signalled: the stream reads the newest pulse anyway
		}
	}
}

func (h *hub) streams() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// CloseStreams ends every live stream (server shutdown).
func (s *Server) CloseStreams() { s.hub.once.Do(func() { close(s.hub.closed) }) }

// apiMeetingEvents serves GET /api/v1/meetings/{mid}/events: server-sent events, one "pulse"
// event (delphi.Pulse as JSON) at the start and after every change, at most every 100 ms.
func (s *Server) apiMeetingEvents(c *gin.Context) {
	mid, err := meetingID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	if _, err := s.svc.Meeting(ctx, actorFrom(c), mid); err != nil {
		s.fail(c, err)
		return
	}
	ch, cancel, err := s.hub.subscribe(mid)
	if err != nil {
		c.Header("Retry-After", "5")
		s.fail(c, err)
		return
	}
	defer cancel()
	rc := http.NewResponseController(c.Writer)
	_ = rc.SetWriteDeadline(time.Time{}) // the server's WriteTimeout would cut the stream
	c.Header("Content-Type", "text/event-stream")
	c.Header("X-Accel-Buffering", "no")
	c.Status(http.StatusOK)
	if _, err := fmt.Fprint(c.Writer, "retry: 1000\n\n"); err != nil {
		return
	}
	last := ""
	send := func() bool {
		p, err := s.svc.MeetingPulse(ctx, mid)
		if err != nil {
			s.Log.Warn("meeting stream", "meeting", mid, "err", err)
			return false
		}
		b, _ := json.Marshal(p)
		if string(b) == last {
			return true
		}
		last = string(b)
		if _, err := fmt.Fprintf(c.Writer, "event: pulse\ndata: %s\n\n", b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send() {
		return
	}
	end := time.NewTimer(streamLife)
	defer end.Stop()
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.hub.closed:
			return
		case <-end.C:
			return
		case <-beat.C:
			if _, err := fmt.Fprint(c.Writer, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-ch:
			if !send() {
				return
			}
			select { // let a burst gather
			case <-time.After(streamEvery):
			case <-ctx.Done():
				return
			}
		}
	}
}
