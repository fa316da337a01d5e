package templates

import (
	"strconv"
	"strings"

	"github.com/a-h/templ"
)

// Expert is what every questionnaire page shows around its content.
type Expert struct {
	Page
	StudyTitle  string
	Contact     string // the study contact's email
	ContactName string // the study contact's name, shown beside the email
	Round       int
	Editable    bool
	Consented   bool
	Total       int
	Answered    int
	Sections    []SectionNav
	StoreKey    string // localStorage key for unsent answers (expert.js)
	CanSuggest  bool
	Deadline    string // formatted; "" when the round has none
	ClosedAt    string // formatted; "" while the round is not closed
	SubmittedAt string // formatted; "" until the expert submits
	ConsentAt   string // formatted; "" before consent
	ConsentVer  string // the version of the consent text agreed to
}

// ProgressText says how many items are answered.
func (e *Expert) ProgressText() string {
	return e.T("progress.answered", strconv.Itoa(e.Answered), e.Total)
}

// ProgressTemplate is ProgressText with {n} for the count, for expert.js.
func (e *Expert) ProgressTemplate() string { return e.T("progress.answered", "{n}", e.Total) }

// SectionNav is one entry of the list of sections.
type SectionNav struct {
	ID       string
	Label    string
	Lang     string // the language of Label when not the page's (no translation)
	Total    int
	Answered int
	Current  bool
}

// LinkPage explains why a link does not work and whom to ask.
type LinkPage struct {
	Page
	Kind        string // expired, revoked, withdrawn, invalid, nolink, error; closed, server, other
	Status      int
	Contact     string
	ContactName string
	Body        string // what happened, when not the catalogue's link.<kind>.body
	Answers     bool   // link to the expert's answers, read-only
	Back        bool   // link back to the questionnaire
}

// HomePage is the welcome page (consent), the overview, or the closed round's answers.
type HomePage struct {
	Expert
	Description string
	First       string // the first section not complete
	OpenRound   int    // a round open now that the expert is not invited to (0: none)
	Closed      []ClosedSection
}

// ClosedSection is a section of a closed round's answers.
type ClosedSection struct {
	Label string
	Lang  string // the language of Label when not the page's
	Items []ClosedItem
}

// ClosedItem is one answer of a closed round, in words.
type ClosedItem struct {
	Label     string
	Lang      string // the language of Label when not the page's
	Answer    string
	Placement string
	Comment   string
}

// ReviewPage lists what is unanswered and offers to submit.
type ReviewPage struct {
	Expert
	Unanswered []ReviewSection
	Missing    int
}

// ReviewSection is a section with its unanswered items.
type ReviewSection struct {
	ID    string
	Label string
	Lang  string // the language of Label when not the page's
	Items []Option
}

// Option is a value with its label; Lang is the label's language when not the page's.
type Option struct{ Value, Label, Lang string }

// SuggestPage is round 1's form to suggest missing parameters.
type SuggestPage struct {
	Expert
	Mine       []Suggestion
	Label      string
	Rationale  string
	FieldError string
	MaxLabel   int
	MaxReason  int
}

// Suggestion is one of the expert's suggestions.
type Suggestion struct {
	Label, Rationale, Status string
}

// SectionPage is one section of the questionnaire.
type SectionPage struct {
	Expert
	ID          string
	Label       string
	LabelLang   string // the language of Label when not the page's (no translation)
	Description string
	DescLang    string // as LabelLang, for Description
	Index       int    // 1-based
	Prev, Next  string
	Items       []Item
	Scale       *Scale // the same for every item of the round in one language
	Parts       *Parts // the items' markup kept for the round, language and editability; nil: none
	Placement   *Placement
	FromRound   int
	MaxComment  int
	MaxReason   int
	Text        SectionTexts
}

// SectionTexts are the catalogue texts every item of a section repeats, looked up once per
// page.
type SectionTexts struct {
	Rate, Comment, Reason                        string
	Changed, Unit, Values, Derived, DerivedYes   string
	Tier, FeedbackTitle, FeedbackOwn, OwnComment string
	AnswerNone, Clear                            string
}

// Scale is the rating scale as an item's inputs show it: the points by band, then "unable to
// score".
type Scale struct {
	Bands  []ScaleBand
	Unable string
}

// ScaleBand is one band of the scale with its points.
type ScaleBand struct {
	ID     string
	Label  string
	From   int
	To     int
	Points []int
}

// Placement is the optional second question.
type Placement struct {
	Question string
	Options  []Option
}

// Item is one item of a section with the expert's answer and the feedback of the round before.
type Item struct {
	ID          string
	Label       string
	LabelLang   string // the language of Label when it is not the page's (no translation); "" when it is
	Description string
	DescLang    string // as LabelLang, for Description
	Unit        string
	Values      []Value // the categories of a categorical item
	Derived     bool
	Tier        string
	Changed     bool
	Rating      *int
	Unable      bool
	Placement   string
	Comment     string
	Reason      string
	Answered    bool
	AskReason   bool // there is a previous rating to compare with
	ReasonOpen  bool // the current rating is in another band than the previous one, or a reason is given
	Feedback    *Feedback
	Error       string

	headHTML []byte // the head (itemHead) rendered before; nil: render it
}

// Value is one category of an item, labelled in the page's language or, without a
// translation, in Lang; Sep is what separates it from the one before ("" for the first).
type Value struct{ Sep, Label, Lang string }

// langAttr is the lang attribute of a text in another language than the page's: none for "".
func langAttr(lang string) templ.Attributes {
	if lang == "" {
		return nil
	}
	return templ.Attributes{"lang": lang}
}

// describedBy is the aria-describedby attribute for ids: none for "".
func describedBy(ids string) templ.Attributes {
	if ids == "" {
		return nil
	}
	return templ.Attributes{"aria-describedby": ids}
}

// describedBy is the ids of what describes an item's rating: its error, the expert's own
// answer of the round before and the panel's median and status.
func (it *Item) describedBy() string {
	var ids []string
	if it.Error != "" {
		ids = append(ids, "err-"+it.ID)
	}
	if f := it.Feedback; f != nil {
		if f.ShowOwn {
			ids = append(ids, "fbown-"+it.ID)
		}
		ids = append(ids, "fbsum-"+it.ID)
	}
	return strings.Join(ids, " ")
}

// Feedback is the round before's feedback beside an item: the expert's own answer, and the
// panel's part, rendered once per round and language (FeedbackPanel) and kept as bytes.
type Feedback struct {
	ShowOwn    bool
	Own        string
	OwnBand    string
	OwnComment string
	Panel      []byte
}

// FeedbackPanel is the panel's part of an item's feedback: distribution, median, class,
// groups, comments.
type FeedbackPanel struct {
	Page         *Page
	Item         string // the item's id, for the ids its rating refers to
	FromRound    int
	ShowDist     bool
	ShowMedian   bool
	Hist         Hist
	NRated       int
	NUnable      int
	Bands        []BandStat
	ScaleBands   []ScaleBand
	Median       string
	Class        string
	ClassLabel   string
	Groups       []GroupStat
	HiddenGroups int
	MinGroup     int
	Comments     []string
	NPlaced      int // answers to the placement question
	Placement    []PlacementStat
}

// pointLabel names a point of the scale in the table of ratings per point, saying which is
// the reader's own rating.
func (f *FeedbackPanel) pointLabel(v int) string {
	if v == f.Hist.Own {
		return strconv.Itoa(v) + " (" + f.Hist.OwnLabel + ")"
	}
	return strconv.Itoa(v)
}

// PlacementStat is the share of one placement option among the panel's placement answers.
type PlacementStat struct {
	Label string
	Value string // the percent, rounded, for the bar
	Pct   string // "60% (6)"
}

// BandStat is one band's count and share.
type BandStat struct {
	ID    string
	Label string
	From  int
	To    int
	N     int
	Pct   string
}

// GroupStat is one stakeholder group's figures.
type GroupStat struct {
	Label  string
	N      int
	Median string
	Bands  []BandStat
}

func (it *Item) sectionClass() string {
	c := "item"
	if it.Feedback != nil {
		c += " has-feedback"
	}
	if it.Answered {
		c += " answered"
	}
	if it.Error != "" {
		c += " invalid"
	}
	return c
}

func (it *Item) checked(point int) bool { return it.Rating != nil && *it.Rating == point }

func countClass(s SectionNav) string {
	if s.Answered == s.Total {
		return "count done"
	}
	return "count"
}

// DataPage is the expert's own data: the download of everything stored about them, their
// consent, and the form to withdraw from the study.
type DataPage struct {
	Expert
	Answers string // the choice posted with a refused withdrawal: keep, remove_open or ""
}

// WithdrawnPage confirms that the expert has left the study: the link no longer works, what
// became of their answers, and whom to contact.
type WithdrawnPage struct {
	Page
	StudyTitle  string
	Contact     string
	ContactName string
	Answers     string // keep or remove_open
}
