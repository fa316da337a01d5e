package templates

import (
	"fmt"
	"net/url"

	"github.com/a-h/templ"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/outcome"
	"github.com/cart-cd/delphi/internal/report"
)

// The facilitator console's view models (console.templ). The console is in English; its
// counted strings go through the catalogue (Page.T) for their plural forms.

// StudyTabs is what the study header and its tabs need: the study and the current tab.
type StudyTabs struct {
	Study *delphi.Study
	Tab   string // overview, panel, round<n>, suggestions, outbox, members, audit
}

// Choice is one option of a select: a stakeholder group or a section.
type Choice struct{ ID, Label string }

// LoginPage is the sign-in form.
type LoginPage struct {
	Page
	Email string
	Next  string
}

// PasswordPage is the form to choose a password from a one-time link.
type PasswordPage struct {
	Page
	Token   string
	Email   string
	Purpose string // invite, reset
}

// SessionRow is one staff session, as the account pages list them.
type SessionRow struct {
	ID, Started, Expires, Client, Address string
	Current                               bool
}

// AccountPage is the signed-in member's own account.
type AccountPage struct {
	Page
	Account  delphi.Staff
	Sessions []SessionRow
}

// StaffListPage lists staff accounts with the form to add one.
type StaffListPage struct {
	Page
	Staff []delphi.Staff
	Form  delphi.NewStaff
}

// PasswordLinkView is a link to choose a password, just made (shown once).
type PasswordLinkView struct {
	URL, Expires, Purpose string
}

// StaffMemberPage is one account as an admin governs it.
type StaffMemberPage struct {
	Page
	Member    delphi.Staff
	Sessions  []SessionRow
	Link      *PasswordLinkView
	Self      bool
	LastAdmin bool // the only active admin: cannot be disabled or demoted
}

// MembersPage is a study's members with the form to add one.
type MembersPage struct {
	Page
	StudyTabs
	Members []delphi.Member
	Email   string
	Role    string
}

// StudyRow is one study in the list.
type StudyRow struct {
	ID         int64
	Title      string
	Survey     string
	State      string
	Rounds     int
	RoundState string // state of the current round ("" before round 1)
	CreatedAt  string
}

// SurveyOption is a bundled survey definition to start a study from.
type SurveyOption struct {
	ID    string
	Title string
	Items int
}

// CreateStudyForm is the new-study form as posted.
type CreateStudyForm struct {
	Survey, Title, Contact, ContactName string
	TimeZone                            string // "" on a new form: the console script puts the browser's zone in
}

// StudiesPage is the list of studies, with the form to create one.
type StudiesPage struct {
	Page
	Studies []StudyRow
	Surveys []SurveyOption
	CanRun  bool
	Form    CreateStudyForm
}

// RoundRow is one round in a study's overview.
type RoundRow struct {
	Number   int
	State    string
	Deadline string
	OpenedAt string
	ClosedAt string
	RuleHash string
}

// PanelCounts counts a study's panel.
type PanelCounts struct{ Active, Withdrawn int }

// StudyPage is one study: its definition, rounds and what can be done next.
type StudyPage struct {
	Page
	StudyTabs
	Items     int
	Sections  int
	Groups    []string
	Rounds    []RoundRow
	Panel     PanelCounts
	CanRun    bool
	OpenRound int // the open round's number, or 0
	Pending   int // suggestions waiting for triage
	NextRound int
	StudyForms
}

// StudyForms are the study page's forms: their values (the study's, or what was sent when
// refused) and why they were refused.
type StudyForms struct {
	ContactForm         ContactForm
	ContactError        string
	ZoneForm, ZoneError string // the time zone's IANA name
}

// ContactForm is the study contact's name and email as typed.
type ContactForm struct{ Name, Email string }

// AuditRow is one entry of the audit log.
type AuditRow struct {
	At, Actor, Action, Detail string
	Study                     int64
}

// AuditPage is the audit log, of one study (Study set) or of everything.
type AuditPage struct {
	Page
	StudyTabs
	Entries []AuditRow
}

// PanelPage is a study's panel with the import and add forms.
type PanelPage struct {
	Page
	StudyTabs
	Panel     []delphi.Panelist
	Active    int
	Groups    []Choice
	Add       delphi.PanelistInput
	CSV       string
	Problems  []string // of the single-panelist form
	CanChange bool     // the study is active
}

// PreviewRow is one row of a panel import, as checked.
type PreviewRow struct {
	Line     int
	Input    delphi.PanelistInput
	Group    string // the group the row got, by its label (or as written, when unknown)
	Problems []string
}

// PreviewPage is a panel import checked and not yet written.
type PreviewPage struct {
	Page
	StudyTabs
	CSV      string
	Rows     []PreviewRow
	Problems int
	Other    []string // problems not tied to one row
}

// PanelistPage is the form to edit one panelist.
type PanelistPage struct {
	Page
	StudyTabs
	Panelist delphi.Panelist
	Form     delphi.PanelistInput
	Groups   []Choice
}

// ProgressRow is the progress counts of a group, a country or everybody.
type ProgressRow struct {
	Label string
	delphi.ProgressCounts
}

// OutboxCounts counts a study's messages by state.
type OutboxCounts struct{ Queued, Sent, Failed int }

// RoundSummary is what closing a round computed, in counts.
type RoundSummary struct {
	Invited, Submitted     int
	In, Out, None, Unrated int
	KendallW               string // "–" when not reported, KendallWhy then says why
	KendallWhy             string
	ClosedAt               string
}

// RoundPage is one round: progress and invitations while open, the result once closed.
type RoundPage struct {
	Page
	StudyTabs
	Round        *delphi.Round
	RuleText     string
	Items        int
	Groups       []ProgressRow
	Countries    []ProgressRow
	Total        ProgressRow
	Outbox       OutboxCounts
	SMTP         bool
	Deadline     string // for the deadline input (UTC)
	Summary      *RoundSummary
	NotYet       []delphi.ProgressPerson // LastSaved formatted for reading
	Links        delphi.LinkCounts
	Panelists    []delphi.PanelistStatus // those the filter shows
	Filters      []PanelistFilter
	FilterLabel  string // the filter shown
	ActiveStudy  bool
	NextRound    int
	HasNextRound bool
}

// PanelistFilter is one choice of which panelists the round page lists, with how many it shows.
type PanelistFilter struct {
	Key, Label string
	N          int
	Current    bool
}

// OutboxRow is one message of the outbox.
type OutboxRow struct {
	ID                           int64
	Kind, To, Subject, Body      string
	CreatedAt, SentAt, SendError string
}

// OutboxPage lists a study's messages, newest first.
type OutboxPage struct {
	Page
	StudyTabs
	Messages []OutboxRow
	SMTP     bool
}

// SuggestionsPage lists the suggestions of a study's experts, with the triage forms.
type SuggestionsPage struct {
	Page
	StudyTabs
	Suggestions []delphi.Suggestion
	Sections    []Choice
	ItemIDs     []string
	Pending     int
	Active      bool
}

// DraftRow is one item of the next round's draft.
type DraftRow struct {
	Index        int
	ID           string
	Section      string
	SectionLabel string
	Label        string
	Description  string
	DerivedFrom  []string
	Keep         bool
	Known        bool // in the definition or the previous round
	Reworded     bool
	Class        string // class in the previous round ("" when new)
	Note         string
	// Reason is why the row is reworded, merged, added or (unkept) dropped: the form field
	// reason.<index>, required by the domain for every change from round 2.
	Reason string
}

// NeedsReason reports whether the domain asks a reason for the row as it stands.
func (r DraftRow) NeedsReason() bool {
	return r.Reworded || !r.Known || len(r.DerivedFrom) > 0 || (!r.Keep && r.Class == "no_consensus")
}

// NewItemForm is the merge or add fieldset of the draft, as posted.
type NewItemForm struct{ ID, Section, Label, Description string }

// NextPage is the editor of the next round (round 1: a confirmation).
type NextPage struct {
	Page
	StudyTabs
	Number      int  // the round to open
	First       bool // round 1: every item, whole panel
	FromRound   int
	Rows        []DraftRow
	Kept        int
	Leaving     int
	Sections    []Choice
	Deadline    string
	Invite      string // "submitted" (default) or "all"
	Submitted   int    // active panelists who submitted the previous round
	ActivePanel int
	DefItems    int
	Pending     int // suggestions not yet triaged
	Merge, Add  NewItemForm
	Blocked     []string // why the round cannot open as things stand (the button is disabled)
}

// consoleURL is a console path made of our own numbers (and path-escaped strings).
func consoleURL(format string, args ...any) templ.SafeURL {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = url.PathEscape(s)
		}
	}
	return templ.SafeURL(fmt.Sprintf(format, args...))
}

// commonZones are offered in the time zone fields; any other IANA name may be typed.
var commonZones = []string{"UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin",
	"Europe/Amsterdam", "Europe/Brussels", "Europe/Zurich", "Europe/Vienna", "Europe/Rome", "Europe/Madrid",
	"Europe/Stockholm", "Europe/Oslo", "Europe/Copenhagen", "Europe/Helsinki", "Europe/Warsaw", "Europe/Prague",
	"Europe/Athens", "Europe/Istanbul", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
	"America/Toronto", "America/Sao_Paulo", "Asia/Jerusalem", "Asia/Kolkata", "Asia/Shanghai", "Asia/Tokyo",
	"Asia/Singapore", "Australia/Sydney", "Pacific/Auckland"}

func pct(v float64) string { return fmt.Sprintf("%.0f%%", v) }

// short is the first 12 characters of a hash.
func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// staffState says whether an account can sign in.
func staffState(s delphi.Staff) string {
	switch {
	case s.Disabled:
		return "disabled"
	case !s.PasswordSet:
		return "no password yet"
	}
	return "active"
}

// studyVersion is the version of the study's survey definition.
func studyVersion(st *delphi.Study) string {
	if st.Def == nil {
		return ""
	}
	return fmt.Sprint(st.Def.Version)
}

// DecisionsPage is a study's committee decisions: the items its outcome leaves undecided (or
// pending), each with the decision form for those who run the study, and the decisions recorded.
type DecisionsPage struct {
	Page
	StudyTabs
	CanDecide bool
	// NoOutcome says why there is nothing to decide yet (no round opened); "" otherwise.
	NoOutcome string
	Undecided []report.OutcomeRow
	Decisions []outcome.Decision // newest first
	Modules   []Choice
	// Form is what was typed into the form of Form.Item when it was refused (Page.Error says why).
	Form DecisionForm
}

// DecisionForm is the committee decision form: the item, its tier, the module of an expansion
// item, and the reason.
type DecisionForm struct{ Item, Tier, Module, Reason string }

// form returns the form's values for item: what was typed when it was refused, else empty.
func (v *DecisionsPage) form(item string) DecisionForm {
	if v.Form.Item == item {
		return v.Form
	}
	return DecisionForm{Item: item}
}

// formOther reports whether the refused form named an item not listed as undecided.
func (v *DecisionsPage) formOther() bool {
	if v.Form.Item == "" && v.Form.Tier == "" && v.Form.Reason == "" {
		return false
	}
	for _, r := range v.Undecided {
		if r.Item == v.Form.Item {
			return false
		}
	}
	return true
}

func (v *DecisionsPage) tierText(tier, module string) string {
	if tier == "expansion" && module != "" {
		for _, m := range v.Modules {
			if m.ID == module {
				return "expansion: " + m.Label
			}
		}
		return "expansion: " + module
	}
	return tier
}
