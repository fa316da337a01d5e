package auth

import (
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// audAttendee keeps a meeting attendee's token from being used as an invite or a staff session.
const audAttendee = "attendee"

// Attendee is what an attendee token says: this attendee of this meeting, until Expires.
type Attendee struct {
	MeetingID  int64
	AttendeeID int64
	Expires    time.Time
}

type attendeeClaims struct {
	Meeting int64 `json:"mid"`
	jwt.RegisteredClaims
}

// SignAttendee returns the token of a meeting attendee, valid for ttl.
func (s *Signer) SignAttendee(meetingID, attendeeID int64, ttl time.Duration) (string, Attendee, error) {
	a := Attendee{MeetingID: meetingID, AttendeeID: attendeeID, Expires: s.now().Add(ttl).Truncate(time.Second)}
	c := attendeeClaims{Meeting: meetingID, RegisteredClaims: jwt.RegisteredClaims{
		ID: NewID(), Subject: fmt.Sprint(attendeeID), Issuer: issuer, Audience: jwt.ClaimStrings{audAttendee},
		IssuedAt: jwt.NewNumericDate(s.now()), ExpiresAt: jwt.NewNumericDate(a.Expires),
	}}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.key)
	return tok, a, err
}

// maxCheckedAttendees bounds Signer.attendees, the attendee tokens already checked: a room of
// phones votes within seconds, and each vote would otherwise check its token again.
const maxCheckedAttendees = 20_000

// ParseAttendee checks an attendee token's signature (HS256 only), issuer, audience and expiry.
// Whether the meeting still runs is the caller's to check.
func (s *Signer) ParseAttendee(token string) (Attendee, error) {
	if a, ok := s.attendees.Get(token); ok {
		if !s.now().Before(a.Expires) {
			return Attendee{}, ErrExpired
		}
		return a, nil
	}
	var c attendeeClaims
	if err := s.parse(token, audAttendee, &c); err != nil {
		return Attendee{}, err
	}
	var id int64
	if _, err := fmt.Sscan(c.Subject, &id); err != nil || id <= 0 || c.Meeting <= 0 {
		return Attendee{}, ErrInvalid
	}
	a := Attendee{MeetingID: c.Meeting, AttendeeID: id, Expires: c.ExpiresAt.Time}
	s.attendees.Put(token, a)
	return a, nil
}
