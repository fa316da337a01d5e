package templates

import (
	"encoding/base64"
	"fmt"
	"strconv"

	"github.com/a-h/templ"
)

// MeetingListPage lists a study's meetings, with the form that creates one (facilitators).
type MeetingListPage struct {
	Page
	StudyID    int64
	StudyTitle string
	CanRun     bool
	Meetings   []MeetingRow
}

// MeetingRow is one meeting of the list.
type MeetingRow struct {
	ID                        int64
	Title, Date, Place, State string
}

// PresenterPage is the presenter's screen: one item of a meeting, large.
type PresenterPage struct {
	Page
	MeetingID  int64
	Title      string
	Date       string
	Place      string
	State      string
	StudyTitle string
	CanRun     bool
	// Join: the code, whether it takes attendees, the link and its QR code (PNG bytes, shown
	// as a data: URI built here: no text can reach the src).
	JoinCode, JoinURL string
	QR                []byte
	JoinOpen          bool
	Attendees         int
	// Item is the item shown (nil: an empty list); Pos and N its place; Prev and Next links.
	Item       *ScreenItem
	Pos, N     int
	Prev, Next string
	Items      []ScreenLink
	Rule       string
}

// ScreenLink is an item of the meeting's list, as the screen's menu shows it.
type ScreenLink struct {
	ID, Label, State, URL string
	Current               bool
}

// ScreenItem is the item on the screen.
type ScreenItem struct {
	ID, Label, Section, State, Why string
	Rounds                         []ScreenRound
	Groups                         []ScreenGroup // a cell per round of Rounds
	MinGroupSize                   int
	Placement                      *ScreenPlacement
	Comments                       []string
	// Question is the question put ("" before the vote); VotesCast while it is open.
	Question  string
	VotesCast int
	Result    *ScreenResult
	Modules   []Option // for a proposal of tier expansion
}

// ScreenRound is one round's result of the item.
type ScreenRound struct {
	Round             int
	PctHigh, Class    string
	NRated, Threshold int
}

// ScreenGroup is one group's % high in each round.
type ScreenGroup struct {
	Label string
	Cells []ScreenCell
}

// ScreenCell is a group's % high in a round, or the note that stands for it ("fewer than 5",
// "withheld", "–" when it gave no rating).
type ScreenCell struct {
	PctHigh, Note string
	NRated        int
}

// ScreenPlacement is the last round's placement answers.
type ScreenPlacement struct{ N, Core, Expansion, NotNeeded int }

// ScreenResult is a closed vote.
type ScreenResult struct {
	Carried           bool
	Outcome           string // "core", "expansion (module)", "excluded", "no agreement"
	Voters, Abstained int
	Options           []ScreenCount
	Groups            []ScreenGroupVotes
	Hidden            int
}

// ScreenCount is one option's votes.
type ScreenCount struct {
	Option string
	N      int
	Pct    string
}

// ScreenGroupVotes is one group's votes, for a group large enough to show.
type ScreenGroupVotes struct {
	Label  string
	Counts []ScreenCount
}

// JoinPage is the attendee's join form.
type JoinPage struct {
	Page
	Code   string
	Name   string
	Group  string
	Groups []Option // empty until the code is known
	// AsPanelist is set when the browser holds a panelist's invite link: they join as themselves.
	AsPanelist string
}

// VotePage is the attendee's phone page: the open vote with big buttons, or a wait.
type VotePage struct {
	Page
	Title    string
	Ended    bool
	Item     string
	Label    string
	Question string
	Options  []Option
	Mine     string
	Voted    bool
}

func meetingURL(id int64, item string) templ.SafeURL {
	if item == "" {
		return templ.SafeURL(fmt.Sprintf("/reports/meetings/%d", id))
	}
	return templ.SafeURL(fmt.Sprintf("/reports/meetings/%d?item=%s", id, item))
}

func apiMeeting(id int64, rest string) string { return fmt.Sprintf("/api/v1/meetings/%d%s", id, rest) }

func itoa(n int) string { return strconv.Itoa(n) }

// qrSrc is the QR code's PNG as an image source.
func qrSrc(png []byte) templ.SafeURL {
	return templ.SafeURL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
}

// MeetingRecordPage is a meeting's record for presenters, on screen and on paper: attendees by
// group (never by name; small groups together), and each item's question, counts and result.
type MeetingRecordPage struct {
	Page
	MeetingID                             int64
	StudyTitle, Title, Date, Place, State string
	Attendees                             int
	Groups                                []RecordCount // attendees per group, small groups together last
	Rule, RuleHash                        string
	Items                                 []RecordItem
}

// RecordCount is a count with its label.
type RecordCount struct {
	Label string
	N     int
}

// RecordItem is an item of the record; Result is nil until its vote closed.
type RecordItem struct {
	ID, Label, Question, State string
	Result                     *ScreenResult
}

// MeetingEditPage edits and reorders a meeting's list (facilitators and admins): a button per
// move, so it needs neither drag nor JavaScript.
type MeetingEditPage struct {
	Page
	MeetingID int64
	Title     string
	Ended     bool
	Items     []EditItem
	// Addable are the study's items not on the list (Value the id); the first Undecided of
	// them are undecided.
	Addable   []Option
	Undecided int
}

// EditItem is an item of the list being edited; Voted items (open or closed) cannot leave it.
type EditItem struct {
	ID, Label, State string
	Voted            bool
}

func recordURL(id int64) templ.SafeURL {
	return templ.SafeURL(fmt.Sprintf("/reports/meetings/%d/record", id))
}

func editURL(id int64) templ.SafeURL {
	return templ.SafeURL(fmt.Sprintf("/reports/meetings/%d/items", id))
}

// groupCount is a group's votes for the j-th option ("–" if it has none listed).
func groupCount(g ScreenGroupVotes, j int) string {
	if j < len(g.Counts) {
		return itoa(g.Counts[j].N)
	}
	return "–"
}

// MeetingAttendeesPage lists a meeting's attendees by name for its organisers, with a button
// that removes one (never shown on the projected screen).
type MeetingAttendeesPage struct {
	Page
	MeetingID int64
	Title     string
	Ended     bool
	Attendees []AttendeeLine
}

// AttendeeLine is one attendee of the list.
type AttendeeLine struct {
	ID                    int64
	Name, Group, JoinedAt string
	Panelist              bool
}

func attendeesURL(id int64) templ.SafeURL {
	return templ.SafeURL(fmt.Sprintf("/reports/meetings/%d/attendees", id))
}
