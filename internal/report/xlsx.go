package report

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/cart-cd/delphi/internal/delphi"
)

// XLSX writes a workbook of the last of snaps (rounds 1..n in order), a sheet per purpose:
// Summary (study, round, rule, scale, participation, Kendall's W, methods), Items (whole
// panel), Groups (per stakeholder group), Participation (every round, by group and country),
// Comments (anonymised comments and reasons), Outcome (the data dictionary after round n) and,
// when the study held any, Meetings (the record of its consensus meetings).
// Values are typed (numbers as numbers); every text cell passes the formula guard.
func XLSX(w io.Writer, st Study, snaps ...*delphi.Snapshot) error {
	if len(snaps) == 0 {
		return fmt.Errorf("report: no snapshot")
	}
	snap := snaps[len(snaps)-1]
	res := tidy(snap, st.Feedback.MinGroupSize)
	isAll := func(r []any) bool { return r[6] == "all" }
	sheets := []*table{
		summaryTable(st, snaps),
		res.filter("Items", isAll),
		res.filter("Groups", func(r []any) bool { return !isAll(r) }),
		participationTable(snaps),
		commentsTable(snap),
		outcomeTable(Outcome(st, snaps)),
	}
	sheets[0].name, sheets[3].name, sheets[4].name, sheets[5].name = "Summary", "Participation", "Comments", "Outcome"
	if len(st.Meetings) > 0 {
		sheets = append(sheets, meetingTable(st.Meetings))
	}

	x := excelize.NewFile()
	defer x.Close()
	bold, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	for i, t := range sheets {
		if i == 0 {
			if err := x.SetSheetName("Sheet1", t.name); err != nil {
				return err
			}
		} else if _, err := x.NewSheet(t.name); err != nil {
			return err
		}
		if err := writeSheet(x, t, bold); err != nil {
			return fmt.Errorf("report: sheet %s: %w", t.name, err)
		}
	}
	x.SetActiveSheet(0)
	return x.Write(w)
}

func writeSheet(x *excelize.File, t *table, bold int) error {
	hdr := make([]any, len(t.header))
	for i, h := range t.header {
		hdr[i] = Cell(h)
	}
	if err := x.SetSheetRow(t.name, "A1", &hdr); err != nil {
		return err
	}
	last, _ := excelize.CoordinatesToCellName(len(t.header), 1)
	if err := x.SetCellStyle(t.name, "A1", last, bold); err != nil {
		return err
	}
	row := make([]any, len(t.header))
	for r, vals := range t.rows {
		for i, v := range vals {
			switch s := v.(type) {
			case string:
				row[i] = Cell(s)
			case nil:
				row[i] = nil
			default:
				row[i] = v
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, r+2)
		if err := x.SetSheetRow(t.name, cell, &row); err != nil {
			return err
		}
	}
	if t.name == "Summary" {
		if err := x.SetColWidth(t.name, "A", "A", 28); err != nil {
			return err
		}
		return x.SetColWidth(t.name, "B", "B", 100)
	}
	return x.SetPanes(t.name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}

// summaryTable is the Summary sheet: one field per row.
func summaryTable(st Study, snaps []*delphi.Snapshot) *table {
	snap := snaps[len(snaps)-1]
	t := &table{name: "Summary", header: []string{"field", "value"}}
	add := func(k string, v any) { t.rows = append(t.rows, []any{k, v}) }
	if d := snap.Disclosure; d != nil {
		add("disclosure", d.Note) // first: a full export says so before anything else
	}
	add("study", snap.StudyTitle)
	add("study_id", int(snap.StudyID))
	add("survey_id", snap.SurveyID)
	add("round", snap.Round)
	add("opened", day(st, snap.OpenedAt))
	add("closed", day(st, snap.ClosedAt))
	add("time_zone", st.Dates.ZoneName())
	add("consensus_rule", ruleWords(snap))
	add("rule_sha256", snap.RuleHash)
	add("scale", scaleWords(snap.Scale))
	add("invited", snap.Participation.Invited)
	add("submitted", snap.Participation.Submitted)
	if snap.Participation.Invited > 0 {
		add("response_rate_pct", 100*float64(snap.Participation.Submitted)/float64(snap.Participation.Invited))
	}
	k := snap.Result.Kendall
	shown, why := KendallStatus(snap)
	add("kendall_status", why)
	add("kendall_m_complete_panelists", k.NCompletePanelists)
	add("kendall_n_items", k.NItems)
	if k.Corrected != nil && shown {
		add("kendall_w_corrected", k.Corrected.W)
		add("kendall_chisq", k.Corrected.ChiSq)
		add("kendall_df", k.Corrected.DF)
		add("kendall_p", k.Corrected.PValue)
	}
	add("quartiles", "Hyndman–Fan type 7 (R quantile default)")
	add("software", snap.Software)
	for i, p := range Methods(st, snaps) {
		add(fmt.Sprintf("methods_%d", i+1), p)
	}
	add("outcome_rule", OutcomeRuleText(ruleOr(st.OutcomeRule)))
	return t
}
