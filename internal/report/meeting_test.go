package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/report"
	"github.com/cart-cd/delphi/internal/survey"
)

// meetingRecord is a meeting's record as delphi.Service.Report builds it: one item carried,
// one not voted on; a place that reads as a formula.
func meetingRecord() *delphi.MeetingReport {
	rule := survey.Meeting{AgreeAtLeast: 70, MinVoters: 10}
	return &delphi.MeetingReport{Meeting: 7, Study: 1, Title: "EHA25 consensus meeting", Date: "2026-06-12", Place: "=HYPERLINK(\"x\")",
		State: "ended", Attendees: 14, AttendeeGroups: map[string]int{"haematologist": 9}, OtherAttendees: 5, HiddenGroups: 2,
		Rule: rule, RuleHash: "abcdef0123456789", MinGroupSize: 5,
		Items: []delphi.MeetingItemView{
			{Candidate: delphi.Candidate{Item: "crs_grade", Label: survey.Text{"en": "CRS grade"}}, State: "closed",
				Question: &delphi.Question{Kind: "proposal", Tier: "core"}, Options: []string{"agree", "disagree", "abstain"},
				Result: &delphi.MeetingResult{Counts: map[string]int{"agree": 11, "disagree": 2, "abstain": 1}, Voters: 13, Abstained: 1,
					Groups: map[string]map[string]int{"haematologist": {"agree": 8, "disagree": 1}}, HiddenGroups: 2, Carried: true,
					Tier: "core", Rule: rule, RuleHash: "abcdef0123456789"}},
			{Candidate: delphi.Candidate{Item: "icans", Label: survey.Text{"en": "ICANS"}}, State: "waiting"},
		}}
}

// TestMeetingInWorkbook reads the workbook back: the Meetings sheet has the meeting, attendees
// by group with the small ones folded, each option's count, the groups large enough and the
// rule's hash, every text cell guarded; the methods text states the meeting.
func TestMeetingInWorkbook(t *testing.T) {
	f := loadFixture(t)
	st := f.study
	st.Meetings = []*delphi.MeetingReport{meetingRecord()}
	var b bytes.Buffer
	if err := report.XLSX(&b, st, f.snaps...); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows("Meetings", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatalf("no Meetings sheet: %v (sheets %v)", err, x.GetSheetList())
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	get := func(r []string, name string) string {
		if i, ok := col[name]; ok && i < len(r) {
			return r[i]
		}
		return ""
	}
	find := func(record, item, option, group string) []string {
		for _, r := range rows[1:] {
			if get(r, "record") == record && get(r, "item") == item && get(r, "option") == option && get(r, "group") == group {
				return r
			}
		}
		t.Fatalf("no %s row for %q %q %q in\n%v", record, item, option, group, rows)
		return nil
	}
	for _, tt := range []struct {
		name, record, item, option, group, column, want string
	}{
		{"attendees", "meeting", "", "", "", "n", "14"},
		{"place guarded", "meeting", "", "", "", "place", "'=HYPERLINK(\"x\")"},
		{"rule", "meeting", "", "", "", "rule", "carried with at least 70% of the votes cast (abstentions not counted) and at least 10 voters"},
		{"rule hash", "meeting", "", "", "", "rule_sha256", "abcdef0123456789"},
		{"a group", "attendees", "", "", "haematologist", "n", "9"},
		{"small groups folded", "attendees", "", "", "2 other groups together (under 5 each, or withheld with them)", "n", "5"},
		{"agree", "vote", "crs_grade", "agree", "", "n", "11"},
		{"question", "vote", "crs_grade", "agree", "", "question", "proposal: core"},
		{"voters", "vote", "crs_grade", "abstain", "", "voters", "13"},
		{"result", "vote", "crs_grade", "disagree", "", "result", "carried: core"},
		{"group of sufficient size", "group_vote", "crs_grade", "disagree", "haematologist", "n", "1"},
		{"not voted", "item", "icans", "", "", "result", "waiting"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := get(find(tt.record, tt.item, tt.option, tt.group), tt.column); got != tt.want {
				t.Errorf("%s = %q, want %q", tt.column, got, tt.want)
			}
		})
	}
	summary, _ := x.GetRows("Summary")
	var methods string
	for _, r := range summary {
		if len(r) > 1 && strings.HasPrefix(r[0], "methods_") {
			methods += r[1] + "\n"
		}
	}
	for _, want := range []string{"1 consensus meeting was held", "“EHA25 consensus meeting” (2026-06-12", "14 attendees",
		"haematologist 9, other groups together 5", "1 item voted on, 1 carried", "at least 70% of the votes cast",
		"meeting rule SHA-256 abcdef012345"} {
		if !strings.Contains(methods, want) {
			t.Errorf("the methods text lacks %q:\n%s", want, methods)
		}
	}
	// a study without meetings, or whose meeting has held no vote yet, has no paragraph
	planned := meetingRecord()
	planned.Items = planned.Items[1:]
	for _, ms := range [][]*delphi.MeetingReport{nil, {planned}} {
		st.Meetings = ms
		if text := strings.Join(report.Methods(st, f.snaps), "\n"); strings.Contains(text, "consensus meeting") && strings.Contains(text, "held with the panel") {
			t.Errorf("methods with %d meetings, no vote:\n%s", len(ms), text)
		}
	}
}
