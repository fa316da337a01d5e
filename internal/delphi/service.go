// Package delphi is the domain: studies, panels, rounds, answers, invitations and the rules of
// the Delphi lifecycle. Each use case is one store transaction. It knows nothing of HTTP; web
// calls it and maps its *Error codes to statuses.
package delphi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/cache"
	"github.com/cart-cd/delphi/internal/outcome"
	"github.com/cart-cd/delphi/internal/store"
	"github.com/cart-cd/delphi/internal/survey"
)

// Service runs Delphi studies over a store.
type Service struct {
	st      *store.Store
	surveys fs.FS
	signer  *auth.Signer
	now     func() time.Time
	log     *slog.Logger

	// InviteTTL is how long a new invite link stays valid.
	InviteTTL time.Duration
	// Rand is where random pseudonyms come from: crypto/rand, unless a test needs the same
	// pseudonyms on every run (golden files).
	Rand io.Reader
	// PasswordCost is the bcrypt cost of new password hashes: bcrypt's default (10) unless a
	// test lowers it to keep sign-ins fast under the race detector.
	PasswordCost int

	dummyOnce sync.Once
	dummy     string

	// The caches, each bounded (an evicted entry is read again on its next use). Beside each:
	// what it holds, and when an entry stops being right.

	// round id → *decodedSnapshot (or its decoding under way). Never invalidated: a snapshot is
	// written once, when its round closes; a failed decoding is dropped. 32: a snapshot holds
	// every statistic and comment of its round (about 1 MB of JSON at 1,000 × 300), and
	// reports and feedback read the latest closed rounds.
	snaps *cache.Cache[int64, *decodedSnapshot]
	// feedbackKey → map[item]ItemFeedback, the panel's part. Never invalidated: built from a
	// snapshot. 128: open rounds × languages.
	feedbacks *cache.Cache[feedbackKey, map[string]ItemFeedback]
	// definition hash → parsedDef. Never invalidated: the hash names the bytes. 256
	// definitions (a study keeps its own; many studies share one).
	defs *cache.Cache[string, parsedDef]
	// round id → *cachedItems. Never invalidated: a round's items are written when it opens
	// and never change (drafts, without items, are not cached). 256 rounds answered at once.
	items *cache.Cache[int64, *cachedItems]
	// progressKey → *cachedProgress, right while the store's Version is the one it was read
	// at (every commit moves it). 64 rounds watched at once (a progress lists every panelist).
	progress *cache.Cache[progressKey, *cachedProgress]
	// session id → *cachedSession (the session's account, or why it no longer works), right
	// while the store's Meta holds (ending a session or changing an account moves it). 10,000
	// sessions: far more staff signed in at once than an institution has.
	sessions *cache.Cache[string, *cachedSession]
	// staff id → *cachedMemberships (study id → role there), right while the store's Meta
	// holds. 10,000 staff.
	members *cache.Cache[int64, *cachedMemberships]
	// study id → *cachedStudy, right while the store's Meta is the one it was read at (every
	// write but experts' saves and submissions moves it). 1,024 studies.
	studies *cache.Cache[int64, *cachedStudy]
	// invitation id (the token's jti) → *Expert, right while the store's Meta is the one it was read at (a
	// revoked link, a withdrawn panelist, a closed round move it). 20,000: every panelist of
	// the largest panel we plan for (10,000) twice over.
	experts *cache.Cache[string, *Expert]
	// ownKey → a panelist's answers to a closed round by item. Never invalidated: a closed
	// round's answers never change. Bounded by answers, maxOwnCached in all.
	owns *cache.Cache[ownKey, map[string]Answer]
	// study id → *cachedSuggestions, right while the store's Meta holds (a suggestion and its
	// triage are written in transactions that move it). 1,024 studies: a workshop room
	// reloading a summary must not read them on every request.
	suggestions *cache.Cache[int64, *cachedSuggestions]
	// study id → its meetings' fingerprint, right while the store's Meta and Votes hold
	// (attendees' joins and votes move only Votes). 1,024 studies.
	meetingPrints *cache.Cache[int64, cachedPrint]

	passwords *auth.PasswordPolicy
}

// New returns a Service. surveys holds the definition files studies can be created from.
func New(st *store.Store, surveys fs.FS, signer *auth.Signer, now func() time.Time, log *slog.Logger) *Service {
	return &Service{st: st, surveys: surveys, signer: signer, now: now, log: log, InviteTTL: 120 * 24 * time.Hour,
		PasswordCost: bcrypt.DefaultCost, Rand: rand.Reader, passwords: auth.NewPasswordPolicy(),
		snaps:         cache.New[int64, *decodedSnapshot](32),
		feedbacks:     cache.New[feedbackKey, map[string]ItemFeedback](128),
		defs:          cache.New[string, parsedDef](256),
		items:         cache.New[int64, *cachedItems](256),
		progress:      cache.New[progressKey, *cachedProgress](64),
		studies:       cache.New[int64, *cachedStudy](1024),
		experts:       cache.New[string, *Expert](20_000),
		owns:          cache.NewWeighted[ownKey, map[string]Answer](maxOwnCached, func(m map[string]Answer) int { return len(m) }),
		sessions:      cache.New[string, *cachedSession](maxCachedSessions),
		members:       cache.New[int64, *cachedMemberships](maxCachedMembers),
		suggestions:   cache.New[int64, *cachedSuggestions](1024),
		meetingPrints: cache.New[int64, cachedPrint](1024),
	}
}

// Now returns the service's clock reading.
func (s *Service) Now() time.Time { return s.now() }

// Store returns the store (for health checks and backups).
func (s *Service) Store() *store.Store { return s.st }

// Actor is who does something, for permissions and the audit log.
type Actor struct {
	StaffID    int64
	Role       string // admin, facilitator, presenter
	PanelistID int64
}

func (a Actor) String() string {
	switch {
	case a.StaffID > 0:
		return fmt.Sprintf("staff:%d", a.StaffID)
	case a.PanelistID > 0:
		return fmt.Sprintf("panelist:%d", a.PanelistID)
	}
	return "system"
}

// System is the actor for things the service does by itself (first start, deadline closing).
var System = Actor{Role: RoleAdmin}

// Roles.
const (
	RoleAdmin       = "admin"
	RoleFacilitator = "facilitator"
	RolePresenter   = "presenter"
)

// CanRun reports whether a staff role may change studies (facilitators and admins).
func (a Actor) CanRun() bool { return a.Role == RoleAdmin || a.Role == RoleFacilitator }

func (a Actor) mustRun() error {
	if !a.CanRun() {
		return Errorf(EForbidden, "", "only facilitators and admins may do this")
	}
	return nil
}

// Study is a study with its parsed definition.
type Study struct {
	ID             int64
	SurveyID       string
	Title          string
	Def            *survey.Definition
	Definition     []byte // the exact bytes it was created from
	DefinitionHash string
	State          string
	Contact        string // the contact's email: experts see it on every page and in every email
	ContactName    string // the contact's name, shown beside the email
	// Zone is the study's time zone (IANA): its pages, emails and reports show dates and
	// times in it, and deadlines typed in the console are read in it.
	Zone       *time.Location
	CreatedAt  time.Time
	FinishedAt time.Time
	Rounds     []Round
	// OutcomeRule and OutcomeRuleHash are the tier rule frozen when the study was finished
	// ("" before).
	OutcomeRule     string
	OutcomeRuleHash string
}

// Round is a round of a study.
type Round struct {
	ID       int64
	StudyID  int64
	Number   int
	State    string // open, closed
	Deadline time.Time
	Rule     survey.Rule
	RuleHash string
	// OutcomeRule is the tier rule frozen when the round opened (JSON; "" for rounds opened
	// before it was frozen), with its sha256.
	OutcomeRule     string
	OutcomeRuleHash string
	OpenedAt        time.Time
	ClosedAt        time.Time
}

// Open reports whether the round takes answers.
func (r Round) Open() bool { return r.State == "open" }

// parsedDef is a stored definition with its parse.
type parsedDef struct {
	def  *survey.Definition
	data []byte
}

func (s *Service) definition(file string, data []byte, hash string) (parsedDef, error) {
	if d, ok := s.defs.Get(hash); ok {
		return d, nil
	}
	d, err := survey.Parse(file, data)
	if err != nil {
		return parsedDef{}, err
	}
	pd := parsedDef{def: d, data: data}
	s.defs.Put(hash, pd)
	return pd, nil
}

func (s *Service) study(row store.Study) (*Study, error) {
	pd, err := s.definition(fmt.Sprintf("study %d", row.ID), row.Definition, row.DefinitionHash)
	if err != nil {
		return nil, fmt.Errorf("study %d: stored definition: %w", row.ID, err)
	}
	zone, err := time.LoadLocation(row.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("study %d: stored time zone: %w", row.ID, err)
	}
	return &Study{ID: row.ID, SurveyID: row.SurveyID, Title: row.Title, Def: pd.def, Definition: pd.data,
		DefinitionHash: row.DefinitionHash, State: row.State, Contact: row.Contact, ContactName: row.ContactName,
		Zone: zone, CreatedAt: store.ParseTime(row.CreatedAt), FinishedAt: store.ParseTime(row.FinishedAt),
		OutcomeRule: row.OutcomeRule, OutcomeRuleHash: row.OutcomeRuleHash}, nil
}

// StoredTime reads a time as the store keeps it (RFC 3339 in UTC, in the rows the domain passes
// on as they are: outbox, audit, panel); "" is the zero time.
func StoredTime(s string) time.Time { return store.ParseTime(s) }

func toRound(r store.Round) Round {
	out := Round{ID: r.ID, StudyID: r.StudyID, Number: r.Number, State: r.State, RuleHash: r.RuleHash,
		OutcomeRule: r.OutcomeRule, OutcomeRuleHash: r.OutcomeRuleHash,
		Deadline: store.ParseTime(r.Deadline), OpenedAt: store.ParseTime(r.OpenedAt), ClosedAt: store.ParseTime(r.ClosedAt)}
	if r.Rule != "" {
		_ = json.Unmarshal([]byte(r.Rule), &out.Rule)
	}
	return out
}

// Study returns a study with its rounds.
func (s *Service) Study(ctx context.Context, id int64) (*Study, error) {
	meta := s.st.Meta()
	if c, ok := s.studies.Get(id); ok && c.meta == meta {
		return c.study.clone(), nil
	}
	row, err := s.st.StudyHead(ctx, id)
	if err != nil {
		return nil, notFound(err, "study %d does not exist", id)
	}
	if _, ok := s.defs.Get(row.DefinitionHash); !ok {
		// first sight of this definition: read its bytes once
		if row, err = s.st.Study(ctx, id); err != nil {
			return nil, err
		}
	}
	st, err := s.study(row)
	if err != nil {
		return nil, err
	}
	rs, err := s.st.Rounds(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		st.Rounds = append(st.Rounds, toRound(r))
	}
	s.studies.Put(id, &cachedStudy{meta: meta, study: st.clone()})
	return st, nil
}

// cachedStudy is a study as read when the store's Meta was meta.
type cachedStudy struct {
	meta  uint64
	study *Study
}

// clone copies a study so that the caller may change it (the definition is shared: it is
// never changed).
func (st *Study) clone() *Study {
	c := *st
	c.Rounds = slices.Clone(st.Rounds)
	return &c
}

// CurrentRound returns the open round, or the last one, or nil before round 1.
func (st *Study) CurrentRound() *Round {
	if len(st.Rounds) == 0 {
		return nil
	}
	for i := range st.Rounds {
		if st.Rounds[i].Open() {
			return &st.Rounds[i]
		}
	}
	return &st.Rounds[len(st.Rounds)-1]
}

// Round returns round n, or nil.
func (st *Study) Round(n int) *Round {
	for i := range st.Rounds {
		if st.Rounds[i].Number == n {
			return &st.Rounds[i]
		}
	}
	return nil
}

// Studies lists every study.
func (s *Service) Studies(ctx context.Context) ([]*Study, error) {
	rows, err := s.st.Studies(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Study, 0, len(rows))
	for _, r := range rows {
		st, err := s.Study(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// LoadStudies reads every study and parses its definition, as delphi serve does at start so that
// no request waits for it; a study that fails does not stop the others (the errors are joined).
func (s *Service) LoadStudies(ctx context.Context) error {
	rows, err := s.st.Studies(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range rows {
		if _, err := s.Study(ctx, r.ID); err != nil {
			errs = append(errs, fmt.Errorf("study %d: %w", r.ID, err))
		}
	}
	return errors.Join(errs...)
}

// Surveys lists the definition files studies can be created from.
func (s *Service) Surveys() ([]*survey.Definition, error) { return survey.List(s.surveys) }

// CreateStudyInput names a bundled survey or carries an uploaded definition.
type CreateStudyInput struct {
	Survey     string // id of a file in surveys/ (e.g. "cart-cd")
	Definition []byte // an uploaded definition, validated like the files
	Title      string // optional: defaults to the definition's English title
	Contact    string // the email experts contact about the study (needed before round 1 opens)
	// ContactName is the contact's name, shown beside the email.
	ContactName string
	// TimeZone is the study's time zone, an IANA name ("Europe/Paris"); "" is UTC.
	TimeZone string
}

// CreateStudy creates a study from a definition; it keeps the exact bytes.
func (s *Service) CreateStudy(ctx context.Context, a Actor, in CreateStudyInput) (*Study, error) {
	if err := a.mustRun(); err != nil {
		return nil, err
	}
	var (
		data []byte
		def  *survey.Definition
		err  error
	)
	switch {
	case len(in.Definition) > 0 && in.Survey != "":
		return nil, Errorf(EInvalid, "survey", "give either a survey name or a definition, not both")
	case len(in.Definition) > 0:
		data = in.Definition
		def, err = survey.Parse("definition", data)
		if err != nil {
			return nil, definitionError(err)
		}
	case in.Survey != "":
		name := in.Survey
		if !strings.HasSuffix(name, ".yaml") {
			name += ".yaml"
		}
		if strings.ContainsAny(in.Survey, "/\\") {
			return nil, Errorf(EInvalid, "survey", "unknown survey %q", in.Survey)
		}
		def, data, err = survey.Load(s.surveys, name)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, Errorf(EInvalid, "survey", "unknown survey %q", in.Survey)
		}
		if err != nil {
			return nil, definitionError(err)
		}
	default:
		return nil, Errorf(EInvalid, "survey", "name a survey (e.g. \"cart-cd\") or upload a definition")
	}
	title := strings.TrimSpace(in.Title)
	if title == "" {
		title = def.Title.In("en")
	}
	if len(title) > 300 {
		return nil, Errorf(EInvalid, "title", "title is longer than 300 characters")
	}
	contactName, contact, err := checkContact(in.ContactName, in.Contact)
	if err != nil {
		return nil, err
	}
	zone := "UTC"
	if in.TimeZone != "" {
		if zone, err = checkZone(in.TimeZone); err != nil {
			return nil, err
		}
	}
	hash := survey.Hash(data)
	var id int64
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		id, err = tx.CreateStudy(def.ID, title, data, hash, contact, a.StaffID)
		if err != nil {
			return err
		}
		if contactName != "" {
			if _, err := tx.SetStudyContact(id, contactName, contact); err != nil {
				return err
			}
		}
		if zone != "UTC" {
			if _, err := tx.SetStudyTimeZone(id, zone); err != nil {
				return err
			}
		}
		if a.StaffID > 0 { // whoever creates a study is its first member
			if _, err := tx.PutMember(id, a.StaffID, RoleFacilitator, a.StaffID); err != nil {
				return err
			}
		}
		return tx.Audit(a.String(), "study.create", id, fmt.Sprintf(`{"survey":%q,"hash":%q}`, def.ID, hash))
	})
	if err != nil {
		return nil, fmt.Errorf("create study: %w", err)
	}
	return s.Study(ctx, id)
}

// checkContact trims and checks a study's contact: a name of at most 200 characters and, when
// given, one plain email address.
func checkContact(name, email string) (string, string, error) {
	name, email = strings.TrimSpace(name), strings.TrimSpace(email)
	if len(name) > 200 {
		return "", "", Errorf(EInvalid, "contact_name", "the contact's name is longer than 200 characters")
	}
	if strings.ContainsAny(name, "\r\n") {
		return "", "", Errorf(EInvalid, "contact_name", "the contact's name is one line")
	}
	if email != "" {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
			return "", "", Errorf(EInvalid, "contact", "%q is not an email address (e.g. study-team@example.org)", email)
		}
	}
	return name, email, nil
}

// checkZone checks an IANA time zone name ("Europe/Paris", "UTC") and returns it trimmed.
func checkZone(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || name == "Local" || len(name) > 64 {
		return "", Errorf(EInvalid, "time_zone", "%q is not a time zone: give an IANA name such as Europe/Paris or UTC", name)
	}
	if _, err := time.LoadLocation(name); err != nil {
		return "", Errorf(EInvalid, "time_zone", "%q is not a time zone: give an IANA name such as Europe/Paris or UTC", name)
	}
	return name, nil
}

// StudyUpdate changes a study's contact and time zone; a nil field stays as it is.
type StudyUpdate struct {
	ContactName *string `json:"contact_name,omitempty"`
	Contact     *string `json:"contact,omitempty"`
	// TimeZone is an IANA name ("Europe/Paris"): dates are shown, and deadlines read, in it.
	TimeZone *string `json:"time_zone,omitempty"`
}

// UpdateStudy changes whom experts contact about the study (the name and email they see on
// every page and in every email from now on) and the zone its dates are shown in.
func (s *Service) UpdateStudy(ctx context.Context, a Actor, sid int64, in StudyUpdate) (*Study, error) {
	if err := a.mustRun(); err != nil {
		return nil, err
	}
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		st, err := tx.Study(sid)
		if err != nil {
			return notFound(err, "study %d does not exist", sid)
		}
		if in.TimeZone != nil {
			zone, err := checkZone(*in.TimeZone)
			if err != nil {
				return err
			}
			if _, err := tx.SetStudyTimeZone(sid, zone); err != nil {
				return err
			}
			v, _ := json.Marshal(map[string]string{"time_zone": zone})
			if err := tx.Audit(a.String(), "study.time_zone", sid, string(v)); err != nil {
				return err
			}
		}
		if in.ContactName == nil && in.Contact == nil {
			return nil
		}
		name, email := st.ContactName, st.Contact
		if in.ContactName != nil {
			name = *in.ContactName
		}
		if in.Contact != nil {
			email = *in.Contact
		}
		if name, email, err = checkContact(name, email); err != nil {
			return err
		}
		if email == "" {
			rs, err := tx.Rounds(sid)
			if err != nil {
				return err
			}
			if len(rs) > 0 {
				return Errorf(EConflict, "contact", "study %d has rounds: its contact email can be changed but not removed", sid)
			}
		}
		if _, err := tx.SetStudyContact(sid, name, email); err != nil {
			return err
		}
		v, _ := json.Marshal(map[string]string{"contact_name": name, "contact": email})
		return tx.Audit(a.String(), "study.contact", sid, string(v))
	})
	if err != nil {
		return nil, err
	}
	return s.Study(ctx, sid)
}

// definitionError turns the loader's problems into one invalid-input error listing them all.
func definitionError(err error) error {
	ps := survey.Problems(err)
	if len(ps) == 0 {
		return Errorf(EInvalid, "definition", "%v", err)
	}
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = p.Error()
	}
	e := Errorf(EInvalid, "definition", "%s", strings.Join(msgs, "\n"))
	e.Line = ps[0].Line
	return e
}

// FinishStudy ends a study after its last round; reports stay available.
func (s *Service) FinishStudy(ctx context.Context, a Actor, id int64) error {
	if err := a.mustRun(); err != nil {
		return err
	}
	return s.st.InTx(ctx, func(tx *store.Tx) error {
		rs, err := tx.Rounds(id)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.State == "open" {
				return Errorf(EConflict, "", "round %d is still open: close it before finishing the study", r.Number)
			}
		}
		n, err := tx.FinishStudy(id)
		if err != nil {
			return err
		}
		if n == 0 {
			if _, err := tx.Study(id); err != nil {
				return notFound(err, "study %d does not exist", id)
			}
			return Errorf(EConflict, "", "study %d is already finished", id)
		}
		// the outcome rule in force is frozen again at the end, beside the rounds' copies
		row, err := tx.Study(id)
		if err != nil {
			return err
		}
		st, err := s.study(row)
		if err != nil {
			return err
		}
		rule, hash := outcome.Freeze(st.Def.Outcome)
		if err := tx.FreezeOutcomeRule(id, rule, hash); err != nil {
			return err
		}
		return tx.Audit(a.String(), "study.finish", id, fmt.Sprintf(`{"outcome_rule_hash":%q}`, hash))
	})
}

func (s *Service) activeStudy(tx *store.Tx, id int64) (*Study, error) {
	row, err := tx.Study(id)
	if err != nil {
		return nil, notFound(err, "study %d does not exist", id)
	}
	st, err := s.study(row)
	if err != nil {
		return nil, err
	}
	if st.State != "active" {
		return nil, Errorf(EConflict, "", "study %d is finished", id)
	}
	return st, nil
}
