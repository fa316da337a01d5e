package delphi

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cart-cd/delphi/internal/store"
	"github.com/cart-cd/delphi/internal/survey"
)

// Panelist is a member of a study's panel. Pseudonym (P-7KQ2M9X, random per study) is what
// linked exports show.
type Panelist struct {
	ID          int64  `json:"id"`
	Pseudonym   string `json:"pseudonym"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	Group       string `json:"group"`
	Country     string `json:"country"`
	Language    string `json:"language"`
	Consented   bool   `json:"consented"`
	Withdrawn   bool   `json:"withdrawn"`
	WithdrawnAt string `json:"withdrawn_at,omitempty"`
	// ConsentAt and ConsentVersion say when the expert agreed, and to which consent text (the
	// expert's own pages show them; the API's panel list does not).
	ConsentAt      time.Time `json:"-"`
	ConsentVersion string    `json:"-"`
}

func toPanelist(p store.Panelist) Panelist {
	return Panelist{ID: p.ID, Pseudonym: p.Pseudonym, Name: p.Name, Email: p.Email, Group: p.Group,
		Country: p.Country, Language: p.Language, Consented: p.ConsentAt != "", Withdrawn: p.WithdrawnAt != "",
		WithdrawnAt: p.WithdrawnAt, ConsentAt: store.ParseTime(p.ConsentAt), ConsentVersion: p.ConsentVersion}
}

// PanelistInput is one panelist to add (from JSON or a CSV row).
type PanelistInput struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Group    string `json:"group"`
	Country  string `json:"country"`
	Language string `json:"language"`
}

// RowProblem is a problem with one row of a panel import: line (CSV) or index (JSON), field.
type RowProblem struct {
	Row     int    `json:"row"`  // 1-based position among the data rows
	Line    int    `json:"line"` // line in the CSV file (0 for JSON)
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p RowProblem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", p.Line, p.Field, p.Message)
	}
	return fmt.Sprintf("row %d: %s: %s", p.Row, p.Field, p.Message)
}

// ImportPreview is what an import would do: the rows read and every problem found.
type ImportPreview struct {
	Rows     []PanelistInput `json:"rows"`
	Problems []RowProblem    `json:"problems"`
	Lines    []int           `json:"-"` // CSV line of each row; nil for JSON input
}

// MaxPanelRows bounds one import.
const MaxPanelRows = 20000

var (
	langRe    = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z]{2,4})?$`)
	countryRe = regexp.MustCompile(`^[A-Za-z][A-Za-z .'-]{0,55}$`)
)

// ParsePanelCSV reads a panel CSV: a header row naming the columns name, email, group, country,
// language (any order; country and language optional; "stakeholder_group" is accepted for group),
// UTF-8 with or without BOM, comma- or semicolon-separated. Problems carry the file line.
func ParsePanelCSV(data []byte) (ImportPreview, error) {
	var pv ImportPreview
	if !utf8.Valid(data) {
		return pv, Errorf(EInvalid, "file", "the file is not UTF-8 text; save it as \"CSV UTF-8\"")
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	first, _, _ := bytes.Cut(data, []byte("\n"))
	sep := ','
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		sep = ';'
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = sep
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err == io.EOF {
		return pv, &Error{Code: EInvalid, Line: 1, Message: "the file is empty: expected a header row name,email,group,country,language"}
	}
	if err != nil {
		return pv, csvError(err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		h = strings.NewReplacer(" ", "_", "-", "_").Replace(h)
		switch h {
		case "stakeholder_group", "stakeholder":
			h = "group"
		case "e_mail", "mail":
			h = "email"
		}
		if _, dup := col[h]; dup {
			return pv, &Error{Code: EInvalid, Line: 1, Field: h, Message: fmt.Sprintf("column %q appears twice in the header", h)}
		}
		col[h] = i
	}
	for _, need := range []string{"name", "email", "group"} {
		if _, ok := col[need]; !ok {
			return pv, &Error{Code: EInvalid, Line: 1, Field: need, Message: fmt.Sprintf("the header has no %q column (expected name,email,group,country,language)", need)}
		}
	}
	for {
		line, _ := r.FieldPos(0)
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return pv, csvError(err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if len(pv.Rows) >= MaxPanelRows {
			return pv, Errorf(ETooLarge, "file", "more than %d panelists in one import", MaxPanelRows)
		}
		line, _ = r.FieldPos(0)
		cell := func(name string) string {
			i, ok := col[name]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		pv.Lines = append(pv.Lines, line)
		pv.Rows = append(pv.Rows, PanelistInput{Name: cell("name"), Email: cell("email"), Group: cell("group"),
			Country: cell("country"), Language: cell("language")})
		if len(rec) != len(header) {
			pv.Problems = append(pv.Problems, RowProblem{Row: len(pv.Rows), Line: line, Field: "row",
				Message: fmt.Sprintf("%d fields, the header has %d", len(rec), len(header))})
		}
	}
	if len(pv.Rows) == 0 {
		return pv, &Error{Code: EInvalid, Line: 2, Message: "no panelists below the header"}
	}
	return pv, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &Error{Code: EInvalid, Line: pe.Line, Message: pe.Err.Error()}
	}
	return Errorf(EInvalid, "file", "%v", err)
}

// checkPanel validates rows against the definition and the existing panel and normalises them.
// lines, when given, are the CSV lines of the rows.
// groupByName finds a stakeholder group by its id or by its label in any language of the
// definition, ignoring case and surrounding space: a facilitator's CSV says "Nurse" or
// "Pflege" as often as "nurse".
func groupByName(def *survey.Definition, name string) (string, bool) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", false
	}
	for _, g := range def.Groups {
		if strings.EqualFold(g.ID, name) {
			return g.ID, true
		}
	}
	for _, g := range def.Groups {
		for _, l := range g.Label {
			if strings.EqualFold(strings.TrimSpace(l), name) {
				return g.ID, true
			}
		}
	}
	return "", false
}

func checkPanel(def *survey.Definition, existing []store.Panelist, rows []PanelistInput, lines []int, skip int64) []RowProblem {
	var ps []RowProblem
	seen := map[string]int{}
	for _, p := range existing {
		if p.ID != skip {
			seen[strings.ToLower(p.Email)] = -1
		}
	}
	groups := make([]string, len(def.Groups))
	for i, g := range def.Groups {
		groups[i] = g.ID
	}
	for i := range rows {
		r := &rows[i]
		add := func(field, format string, args ...any) {
			p := RowProblem{Row: i + 1, Field: field, Message: fmt.Sprintf(format, args...)}
			if lines != nil {
				p.Line = lines[i]
			}
			ps = append(ps, p)
		}
		r.Name = strings.TrimSpace(r.Name)
		r.Email = strings.TrimSpace(r.Email)
		r.Group = strings.TrimSpace(r.Group)
		r.Country = strings.TrimSpace(r.Country)
		r.Language = strings.TrimSpace(r.Language)
		if r.Name == "" {
			add("name", "name is empty")
		} else if utf8.RuneCountInString(r.Name) > 200 {
			add("name", "name is longer than 200 characters")
		}
		if a, err := mail.ParseAddress(r.Email); err != nil || a.Address != r.Email || len(r.Email) > 254 {
			add("email", "%q is not an email address", r.Email)
		} else if prev, dup := seen[strings.ToLower(r.Email)]; dup {
			if prev < 0 {
				add("email", "%s is already on the panel", r.Email)
			} else {
				add("email", "%s appears twice (also row %d)", r.Email, prev)
			}
		} else {
			seen[strings.ToLower(r.Email)] = i + 1
		}
		if id, ok := groupByName(def, r.Group); ok {
			r.Group = id
		} else {
			add("group", "unknown stakeholder group %q (known: %s)", r.Group, strings.Join(groups, ", "))
		}
		if r.Country != "" && !countryRe.MatchString(r.Country) {
			add("country", "%q is not a country name or code", r.Country)
		} else if len(r.Country) == 2 {
			r.Country = strings.ToUpper(r.Country)
		}
		if r.Language == "" {
			r.Language = "en"
		}
		r.Language = strings.ToLower(r.Language)
		if !langRe.MatchString(r.Language) {
			add("language", "%q is not a language code such as en, de, fr", r.Language)
		}
	}
	return ps
}

// PreviewPanel checks rows against a study without writing anything.
func (s *Service) PreviewPanel(ctx context.Context, studyID int64, pv ImportPreview) (ImportPreview, error) {
	st, err := s.Study(ctx, studyID)
	if err != nil {
		return pv, err
	}
	existing, err := s.st.Panelists(ctx, studyID)
	if err != nil {
		return pv, err
	}
	pv.Problems = append(pv.Problems, checkPanel(st.Def, existing, pv.Rows, pv.Lines, 0)...)
	return pv, nil
}

// ImportError carries every problem of a refused import.
type ImportError struct{ Problems []RowProblem }

func (e *ImportError) Error() string {
	msgs := make([]string, 0, len(e.Problems))
	for _, p := range e.Problems {
		msgs = append(msgs, p.String())
	}
	return fmt.Sprintf("%d problem(s), nothing imported:\n%s", len(e.Problems), strings.Join(msgs, "\n"))
}

// AddPanelists adds panelists, all or nothing: any problem refuses the whole import.
func (s *Service) AddPanelists(ctx context.Context, a Actor, studyID int64, rows []PanelistInput) ([]Panelist, error) {
	return s.ImportPanel(ctx, a, studyID, ImportPreview{Rows: rows})
}

// ImportPanel adds the rows of a parsed import, all or nothing; problems name CSV lines.
func (s *Service) ImportPanel(ctx context.Context, a Actor, studyID int64, pv ImportPreview) ([]Panelist, error) {
	rows := pv.Rows
	if err := a.mustRun(); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, Errorf(EInvalid, "panelists", "no panelists given")
	}
	if len(rows) > MaxPanelRows {
		return nil, Errorf(ETooLarge, "panelists", "more than %d panelists in one import", MaxPanelRows)
	}
	var out []Panelist
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		st, err := s.activeStudy(tx, studyID)
		if err != nil {
			return err
		}
		existing, err := tx.Panelists(studyID)
		if err != nil {
			return err
		}
		if ps := append(pv.Problems, checkPanel(st.Def, existing, rows, pv.Lines, 0)...); len(ps) > 0 {
			return &ImportError{Problems: ps}
		}
		taken := make(map[string]bool, len(existing)+len(rows))
		for _, p := range existing {
			taken[p.Pseudonym] = true
		}
		in := make([]store.Panelist, len(rows))
		for i, r := range rows {
			in[i] = store.Panelist{Name: r.Name, Email: r.Email, Group: r.Group, Country: r.Country, Language: r.Language,
				Pseudonym: s.newPseudonym(taken)}
		}
		ids, err := tx.AddPanelists(studyID, in)
		if err != nil {
			return err
		}
		for _, id := range ids {
			p, err := tx.Panelist(id)
			if err != nil {
				return err
			}
			out = append(out, toPanelist(p))
		}
		return tx.Audit(a.String(), "panel.add", studyID, fmt.Sprintf(`{"count":%d}`, len(ids)))
	})
	return out, err
}

// ConsentCount counts the study's panelists who recorded consent (withdrawn ones included),
// for the methods text.
func (s *Service) ConsentCount(ctx context.Context, studyID int64) (int, error) {
	return s.st.ConsentCount(ctx, studyID)
}

// Panel lists a study's panelists.
func (s *Service) Panel(ctx context.Context, studyID int64) ([]Panelist, error) {
	if _, err := s.st.Study(ctx, studyID); err != nil {
		return nil, notFound(err, "study %d does not exist", studyID)
	}
	rows, err := s.st.Panelists(ctx, studyID)
	if err != nil {
		return nil, err
	}
	out := make([]Panelist, len(rows))
	for i, r := range rows {
		out[i] = toPanelist(r)
	}
	return out, nil
}

// UpdatePanelist edits a panelist's details.
func (s *Service) UpdatePanelist(ctx context.Context, a Actor, studyID, id int64, in PanelistInput) (Panelist, error) {
	if err := a.mustRun(); err != nil {
		return Panelist{}, err
	}
	var out Panelist
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		st, err := s.activeStudy(tx, studyID)
		if err != nil {
			return err
		}
		p, err := tx.Panelist(id)
		if err != nil || p.StudyID != studyID {
			return Errorf(ENotFound, "", "panelist %d is not on study %d's panel", id, studyID)
		}
		existing, err := tx.Panelists(studyID)
		if err != nil {
			return err
		}
		rows := []PanelistInput{in}
		if ps := checkPanel(st.Def, existing, rows, nil, id); len(ps) > 0 {
			return Errorf(EInvalid, ps[0].Field, "%s", ps[0].Message)
		}
		r := rows[0]
		p.Name, p.Email, p.Group, p.Country, p.Language = r.Name, r.Email, r.Group, r.Country, r.Language
		if err := tx.UpdatePanelist(p); err != nil {
			return err
		}
		out = toPanelist(p)
		return tx.Audit(a.String(), "panel.update", studyID, fmt.Sprintf(`{"panelist":%d}`, id))
	})
	return out, err
}

// What becomes of a withdrawn panelist's answers in rounds still open.
const (
	KeepAnswers       = "keep"        // they stay, pseudonymous, and count when the round closes
	RemoveOpenAnswers = "remove_open" // they are deleted; closed rounds keep theirs
)

// WithdrawPanelist withdraws a panelist (facilitators): their links stop working at once; their
// answers in open rounds stay or go, as answers says (keep, remove_open; "" keeps), and the
// choice is recorded.
func (s *Service) WithdrawPanelist(ctx context.Context, a Actor, studyID, id int64, answers string) error {
	if err := a.mustRun(); err != nil {
		return err
	}
	return s.withdraw(ctx, a, studyID, id, answers)
}

// WithdrawSelf is an expert withdrawing from the study, with their choice for their answers in
// rounds still open.
func (s *Service) WithdrawSelf(ctx context.Context, e *Expert, answers string) error {
	return s.withdraw(ctx, e.Actor(), e.Study.ID, e.Panelist.ID, answers)
}

func (s *Service) withdraw(ctx context.Context, a Actor, studyID, id int64, answers string) error {
	switch answers {
	case "":
		answers = KeepAnswers
	case KeepAnswers, RemoveOpenAnswers:
	default:
		return Errorf(EInvalid, "answers", "answers must be %q or %q, not %q", KeepAnswers, RemoveOpenAnswers, answers)
	}
	return s.st.InTx(ctx, func(tx *store.Tx) error {
		p, err := tx.Panelist(id)
		if err != nil || p.StudyID != studyID {
			return Errorf(ENotFound, "", "panelist %d is not on study %d's panel", id, studyID)
		}
		if p.WithdrawnAt != "" {
			return Errorf(EConflict, "", "panelist %s is already withdrawn", p.Pseudonym)
		}
		if _, err := tx.WithdrawPanelist(studyID, id, answers); err != nil {
			return err
		}
		if err := tx.RevokePanelistInvitations(id); err != nil {
			return err
		}
		removed := int64(0)
		if answers == RemoveOpenAnswers {
			if removed, err = tx.RemoveOpenAnswers(studyID, id); err != nil {
				return err
			}
		}
		return tx.Audit(a.String(), "panel.withdraw", studyID, fmt.Sprintf(`{"panelist":%d,"answers":%q,"removed":%d}`, id, answers, removed))
	})
}

// panelByID indexes panelists by id.
func panelByID(panel []store.Panelist) map[int64]store.Panelist {
	m := make(map[int64]store.Panelist, len(panel))
	for _, p := range panel {
		m[p.ID] = p
	}
	return m
}

// pseudonymAlphabet is Crockford's base32: no I, L, O or U to misread.
const pseudonymAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newPseudonym returns a random pseudonym not in taken, and takes it. Random, not in import
// order: a pseudonym must not tell who was imported first (the first row of the facilitator's
// CSV), and 7 characters (35 bits) make a collision within a study rare; one is drawn again.
func (s *Service) newPseudonym(taken map[string]bool) string {
	b := make([]byte, 7)
	for {
		if _, err := io.ReadFull(s.Rand, b); err != nil {
			panic(fmt.Sprintf("delphi: random pseudonym: %v", err)) // crypto/rand does not fail
		}
		for i := range b {
			b[i] = pseudonymAlphabet[b[i]&31]
		}
		p := "P-" + string(b)
		if !taken[p] {
			taken[p] = true
			return p
		}
	}
}
