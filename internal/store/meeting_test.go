package store

import (
	"context"
	"errors"
	"testing"
)

// TestMeetingVotes: one vote per attendee and item (a second replaces the first); one open vote
// per meeting, even against the code; closing unties the stored votes from their attendees.
func TestMeetingVotes(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	var mid, a1, a2 int64
	err := s.InTx(ctx, func(tx *Tx) error {
		sid, err := tx.CreateStudy("x", "X", []byte("id: x"), "h", "", 0)
		if err != nil {
			return err
		}
		if mid, err = tx.CreateMeeting(Meeting{StudyID: sid, Title: "M", Date: "2026-01-01", JoinCode: "ABCDEF"}); err != nil {
			return err
		}
		if err := tx.SetMeetingItems(mid, []string{"a", "b"}); err != nil {
			return err
		}
		if a1, err = tx.AddAttendee(Attendee{MeetingID: mid, Name: "One", GroupID: "g"}); err != nil {
			return err
		}
		a2, err = tx.AddAttendee(Attendee{MeetingID: mid, Name: "Two", GroupID: "h"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.InTx(ctx, func(tx *Tx) error { return tx.OpenMeetingItem(mid, "a", `{"question":"options"}`) }); err != nil {
		t.Fatal(err)
	}
	// a second open vote is refused by the schema itself
	err = s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec("force open", `UPDATE meeting_items SET state = 'open' WHERE meeting_id = ? AND item_id = 'b'`, mid)
		return err
	})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("two open votes: %v", err)
	}
	for _, v := range []struct {
		who int64
		g   string
		opt string
	}{{a1, "g", "core"}, {a2, "h", "exclude"}, {a1, "g", "abstain"}} {
		if err := s.InVoteTx(ctx, func(tx *VoteTx) error { return tx.PutVote(mid, "a", v.who, v.g, v.opt) }); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := s.VotesCast(ctx, mid, "a"); n != 2 {
		t.Fatalf("%d votes cast, want 2 (the second vote replaces the first)", n)
	}
	if o, _ := s.MyVote(ctx, mid, "a", a1); o != "abstain" {
		t.Fatalf("attendee 1's vote: %q", o)
	}
	if err := s.InTx(ctx, func(tx *Tx) error { return tx.CloseMeetingItem(mid, "a", 0) }); err == nil {
		// decision 0 does not exist: the foreign key refuses it, and nothing changes
		t.Fatal("closed with a decision that does not exist")
	}
	err = s.InTx(ctx, func(tx *Tx) error {
		id, err := tx.AddDecision(Decision{StudyID: 1, ItemID: "a", Tier: "core", Basis: "meeting_vote"})
		if err != nil {
			return err
		}
		return tx.CloseMeetingItem(mid, "a", id)
	})
	if err != nil {
		t.Fatal(err)
	}
	var tied int
	if err := s.r.GetContext(ctx, &tied, `SELECT COUNT(*) FROM meeting_votes WHERE attendee_id IS NOT NULL`); err != nil || tied != 0 {
		t.Fatalf("%d votes still tied to an attendee after the close (%v)", tied, err)
	}
	counts, err := s.MeetingVotes(ctx, mid, "a")
	if err != nil || len(counts) != 2 {
		t.Fatalf("counts after the close: %v %v", counts, err)
	}
	if err := s.InTx(ctx, func(tx *Tx) error { return tx.OpenMeetingItem(mid, "a", `{}`) }); !errors.Is(err, ErrConflict) {
		t.Fatalf("reopening a closed vote: %v", err)
	}
}
