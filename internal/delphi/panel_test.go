package delphi

import (
	"errors"
	"strings"
	"testing"

	"github.com/cart-cd/delphi/internal/store"
	"github.com/cart-cd/delphi/internal/survey"
	"github.com/cart-cd/delphi/surveys"
)

func exampleDef(t *testing.T) *survey.Definition {
	t.Helper()
	def, _, err := survey.Load(surveys.FS, "example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return def
}

func TestParsePanelCSV(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		rows     int
		lines    []int
		firstErr string // error from parsing the file itself
	}{
		{"comma", "name,email,group,country,language\nAnna,a@x.org,nurse,DE,de\nBen,b@x.org,nurse,FR,fr\n", 2, []int{2, 3}, ""},
		{"semicolon with BOM", "\xef\xbb\xbfName;E-mail;Stakeholder group;Country\nAnna;a@x.org;nurse;DE\n", 1, []int{2}, ""},
		{"blank lines skipped", "name,email,group\n\nAnna,a@x.org,nurse\n\n", 1, []int{3}, ""},
		{"quoted comma and newline", "name,email,group\n\"Doe, Jane\",j@x.org,nurse\n\"Multi\nLine\",m@x.org,nurse\n", 2, []int{2, 3}, ""},
		{"missing email column", "name,group\nA,nurse\n", 0, nil, `no "email" column`},
		{"empty", "", 0, nil, "empty"},
		{"header only", "name,email,group\n", 0, nil, "no panelists"},
		{"bare quote", "name,email,group\n\"A,a@x.org,nurse\n", 0, nil, "line"},
		{"not UTF-8", "name,email,group\nJ\xe9r\xf4me,j@x.org,nurse\n", 0, nil, "UTF-8"},
		{"duplicate column", "name,email,email,group\n", 0, nil, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pv, err := ParsePanelCSV([]byte(tt.in))
			if tt.firstErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.firstErr) {
					t.Fatalf("err %v, want %q", err, tt.firstErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(pv.Rows) != tt.rows || len(pv.Lines) != tt.rows {
				t.Fatalf("rows %+v lines %v", pv.Rows, pv.Lines)
			}
			for i, l := range tt.lines {
				if pv.Lines[i] != l {
					t.Errorf("row %d on line %d, want %d", i, pv.Lines[i], l)
				}
			}
		})
	}
}

func TestCheckPanel(t *testing.T) {
	def := exampleDef(t)
	existing := []store.Panelist{{ID: 1, Email: "taken@x.org"}}
	rows := []PanelistInput{
		{Name: "Good", Email: "good@x.org", Group: "nurse", Country: "de", Language: "DE"},
		{Name: "", Email: "noname@x.org", Group: "nurse"},
		{Name: "Bad email", Email: "not-an-email", Group: "nurse"},
		{Name: "Display form", Email: "Jo <jo@x.org>", Group: "nurse"},
		{Name: "Taken", Email: "TAKEN@x.org", Group: "nurse"},
		{Name: "Twice", Email: "good@x.org", Group: "nurse"},
		{Name: "Wizard", Email: "w@x.org", Group: "wizard"},
		{Name: "Lang", Email: "l@x.org", Group: "nurse", Language: "english please"},
		{Name: "Country", Email: "c@x.org", Group: "nurse", Country: "=cmd|' /C calc'!A0"},
	}
	ps := checkPanel(def, existing, rows, []int{2, 3, 4, 5, 6, 7, 8, 9, 10}, 0)
	want := map[int]string{3: "name", 4: "email", 5: "email", 6: "email", 7: "email", 8: "group", 9: "language", 10: "country"}
	got := map[int]string{}
	for _, p := range ps {
		got[p.Line] = p.Field
	}
	for line, field := range want {
		if got[line] != field {
			t.Errorf("line %d: problem on %q, want %q (all: %+v)", line, got[line], field, ps)
		}
	}
	if _, ok := got[2]; ok {
		t.Errorf("good row flagged: %+v", ps)
	}
	if rows[0].Country != "DE" || rows[0].Language != "de" {
		t.Errorf("not normalised: %+v", rows[0])
	}
}

func TestResolveItems(t *testing.T) {
	def := exampleDef(t)
	items := def.Items()
	sec := def.Sections[0].ID
	tests := []struct {
		name  string
		specs []ItemSpec
		field string // "" = valid
	}{
		{"as defined", []ItemSpec{{ID: items[0].ID}, {ID: items[1].ID}}, ""},
		{"reworded", []ItemSpec{{ID: items[0].ID, Label: survey.Text{"en": "New words"}, DerivedFrom: []string{items[0].ID}}}, ""},
		{"new item", []ItemSpec{{ID: "brand_new", Section: sec, Label: survey.Text{"en": "Brand new"}}}, ""},
		{"merged", []ItemSpec{{ID: "merged", Section: sec, Label: survey.Text{"en": "Merged"}, DerivedFrom: []string{items[0].ID, items[1].ID}}}, ""},
		{"empty", nil, "items"},
		{"bad id", []ItemSpec{{ID: "Bad Id"}}, "items[0].id"},
		{"twice", []ItemSpec{{ID: items[0].ID}, {ID: items[0].ID}}, "items[1].id"},
		{"new without section", []ItemSpec{{ID: "x_new", Label: survey.Text{"en": "X"}}}, "items[0].section"},
		{"new without label", []ItemSpec{{ID: "x_new", Section: sec}}, "items[0].label"},
		{"unknown section", []ItemSpec{{ID: items[0].ID, Section: "nope"}}, "items[0].section"},
		{"derived from unknown", []ItemSpec{{ID: items[0].ID, DerivedFrom: []string{"ghost"}}}, "items[0].derived_from"},
		{"bad tier", []ItemSpec{{ID: items[0].ID, ProposedTier: "gold"}}, "items[0].proposed_tier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := resolveItems(def, nil, tt.specs)
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				back := roundItems(def, out)
				for i, sp := range tt.specs {
					if back[i].ID != sp.ID || (sp.Label != nil && back[i].Label["en"] != sp.Label["en"]) || back[i].SectionID == "" {
						t.Errorf("item %d came back as %+v", i, back[i])
					}
					if (sp.Label != nil) != back[i].Changed {
						t.Errorf("item %d changed=%v", i, back[i].Changed)
					}
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Field != tt.field || e.Code != EInvalid {
				t.Fatalf("err %v, want invalid on %s", err, tt.field)
			}
		})
	}
}

func TestRenderMail(t *testing.T) {
	for _, lang := range []string{"en", "de", "fr", "xx"} {
		for kind := range mailTexts {
			subj, body, err := renderMail(kind, lang, mailData{Name: "Anna", Study: "CART-CD", URL: "https://d/r/tok", Deadline: "1 Dec", Contact: "c@x", Round: 2})
			if err != nil {
				t.Fatal(err)
			}
			if strings.ContainsAny(subj, "\r\n") || !strings.Contains(body, "https://d/r/tok") || !strings.Contains(body, "Anna") || !strings.Contains(subj, "2") {
				t.Errorf("%s/%s: %q\n%s", kind, lang, subj, body)
			}
		}
	}
}

// TestPanelGroupByLabel: a panel file may name a group by its id or its label in any language
// of the survey, in any case; the row gets the group's id.
func TestPanelGroupByLabel(t *testing.T) {
	def := exampleDef(t)
	tests := []struct{ in, want string }{
		{"nurse", "nurse"}, {"Nurse", "nurse"}, {" NURSE ", "nurse"}, {"Pflege", "nurse"}, {"pflege", "nurse"},
		{"Haematologist / oncologist", "haematologist"}, {"Hämatologie / Onkologie (ärztlich)", "haematologist"},
		{"DATA_MANAGER", "data_manager"}, {"Patientenvertretung", "patient_representative"},
		{"Nurses", ""}, {"", ""}, {"haematologist / oncologist / nurse", ""},
	}
	for _, tt := range tests {
		rows := []PanelistInput{{Name: "X", Email: "x@x.org", Group: tt.in}}
		ps := checkPanel(def, nil, rows, nil, 0)
		switch {
		case tt.want == "" && len(ps) == 0:
			t.Errorf("%q: taken as %q", tt.in, rows[0].Group)
		case tt.want != "" && (len(ps) != 0 || rows[0].Group != tt.want):
			t.Errorf("%q: group %q, problems %+v; want %q", tt.in, rows[0].Group, ps, tt.want)
		}
	}
}
