package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/report/reporttest"
)

// smallCellStudy runs a two-round study of 30 panelists in which one panelist is both the only
// data manager and the only expert from Malta; every other group and country has at least 7.
func (e *env) smallCellStudy() int64 {
	e.t.Helper()
	sid, err := reporttest.Run(context.Background(), e.svc, reporttest.Options{Definition: reporttest.Fixture,
		Panelists: 30, Rounds: 2, Seed: 11, Advance: e.clock.Add,
		Panel: func(i int, p *delphi.PanelistInput) {
			p.Country = []string{"DE", "FR", "IT"}[i%3]
			if p.Group == "data_manager" {
				p.Group = []string{"haematologist", "nurse"}[(i/4)%2]
			}
			if i == 2 { // the only one
				p.Group, p.Country = "data_manager", "MT"
			}
		}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.admin = e.login("admin@test", adminPassword)
	return sid
}

// TestSmallCellsWithheld: a group of one and a country of one (the only data manager, also the
// only expert from Malta) are found in no presenter output: not in report.json, report.csv, the
// workbook, the HTML export, the summary page in every view (slides included) nor the
// participation tables; each withheld cell says "fewer than 5" or is flagged, and the rest
// of each table does not give it away by subtraction. answers.csv is flagged by the small-cell
// check. An admin may export every cell on purpose (?disclosure=full): audited, marked; others
// are refused (403).
func TestSmallCellsWithheld(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sid := e.smallCellStudy()
	pid := e.addStaff("pres@test", "presenter", "presenter password")
	e.member(sid, pid, "presenter")
	pres := e.login("pres@test", "presenter password")
	st, err := e.svc.Study(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	fewer := fmt.Sprintf("fewer than %d", minGroupSize(st)) // the fixture's min_group_size
	get := func(path, token string) response {
		t.Helper()
		return e.must(e.call("GET", path, token, nil, nil), 200)
	}
	for n := 1; n <= 2; n++ {
		base := fmt.Sprintf("/api/v1/studies/%d/rounds/%d/", sid, n)
		t.Run(fmt.Sprintf("round %d", n), func(t *testing.T) {
			// JSON: no object member named after the group; the country nowhere
			r := get(base+"report.json", pres)
			var doc any
			if err := json.Unmarshal(r.Body, &doc); err != nil {
				t.Fatal(err)
			}
			walkJSON(doc, "", func(path string, key string, v any) {
				if key == "data_manager" {
					t.Errorf("report.json: %s holds the group of one", path)
				}
				if s, ok := v.(string); ok && s == "MT" {
					t.Errorf("report.json: %s names the country of one", path)
				}
			})
			if !bytes.Contains(r.Body, []byte(`"disclosure":{`)) || !regexp.MustCompile(`"groups_withheld":\[[^\]]*"data_manager"`).Match(r.Body) {
				i := bytes.Index(r.Body, []byte(`"disclosure"`))
				t.Errorf("report.json does not say what it withholds: %.300s", r.Body[max(i, 0):])
			}

			// CSV: the group's rows are flagged and hold no figure
			r = get(base+"report.csv", pres)
			recs, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			checkTidy(t, "report.csv", recs)

			// XLSX: every sheet
			r = get(base+"report.xlsx", pres)
			x, err := excelize.OpenReader(bytes.NewReader(r.Body))
			if err != nil {
				t.Fatal(err)
			}
			for _, sh := range x.GetSheetList() {
				rows, err := x.GetRows(sh)
				if err != nil {
					t.Fatal(err)
				}
				if sh == "Groups" {
					checkTidy(t, "report.xlsx Groups", rows)
				}
				for i, row := range rows {
					for _, c := range row {
						if c == "MT" || (sh == "Participation" && c == "data_manager") {
							t.Errorf("report.xlsx %s row %d: %q", sh, i+1, row)
						}
					}
				}
			}

			// HTML export and every view of the summary page
			pages := map[string][]byte{"report.html": get(base+"report.html", pres).Body}
			for _, v := range []string{"screen", "print", "slides"} {
				pages["page "+v] = get(fmt.Sprintf("/reports/studies/%d/rounds/%d?view=%s", sid, n, v), pres).Body
			}
			rowHead := regexp.MustCompile(`<th scope="row">Data manager / registry</th>(.{0,40})`)
			for name, b := range pages {
				if bytes.Contains(b, []byte(">MT<")) {
					t.Errorf("%s: the country of one is in a table", name)
				}
				if bytes.Contains(b, []byte(`title="Data manager / registry:`)) {
					t.Errorf("%s: a cell of the group of one", name)
				}
				for _, m := range rowHead.FindAllSubmatch(b, -1) {
					if !bytes.HasPrefix(m[1], []byte(`<td colspan="5">`+fewer+`</td>`)) && !bytes.HasPrefix(m[1], []byte(`<td colspan="3">`+fewer+`</td>`)) {
						t.Errorf("%s: the group of one's row: %s", name, m[0])
					}
				}
				if !bytes.Contains(b, []byte("Other groups (each "+fewer+", withheld)")) || !bytes.Contains(b, []byte("Other countries (each "+fewer+", withheld)")) {
					t.Errorf("%s: the withheld participation rows do not say fewer than 5", name)
				}
				if !bytes.Contains(b, []byte(">"+fewer+"<")) {
					t.Errorf("%s: no withheld group cell says fewer than 5", name)
				}
			}

			// the raw answers carry the small-cell check
			r = get(base+"answers.csv", pres)
			if r.Header.Get("X-Delphi-Small-Cells") == "" || r.Header.Get("X-Delphi-Small-Cells") == "0" {
				t.Errorf("answers.csv: X-Delphi-Small-Cells = %q", r.Header.Get("X-Delphi-Small-Cells"))
			}
			if !regexp.MustCompile(`Warning: [1-9][0-9]* group × country cell\(s\) of the panel have ` + fewer + ` panelists`).Match(pages["page screen"]) {
				i := bytes.Index(pages["page screen"], []byte("Answers CSV"))
				t.Errorf("the download list does not warn of the small cell: %.600s", pages["page screen"][max(i, 0):])
			}
		})
	}

	// full disclosure: admins only, marked and audited
	base := fmt.Sprintf("/api/v1/studies/%d/rounds/2/", sid)
	e.must(e.call("GET", base+"report.json?disclosure=full", pres, nil, nil), 403)
	e.must(e.call("GET", base+"report.json?disclosure=everything", e.admin, nil, nil), 422)
	var x *excelize.File
	r := get(base+"report.json?disclosure=full", e.admin)
	if !bytes.Contains(r.Body, []byte(`"data_manager":{`)) || !bytes.Contains(r.Body, []byte(`"full":true`)) || !bytes.Contains(r.Body, []byte("FULL DISCLOSURE")) {
		t.Error("report.json?disclosure=full is not whole and marked")
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, "full-disclosure") {
		t.Errorf("full export named %q", cd)
	}
	r = get(base+"report.xlsx?disclosure=full", e.admin)
	x, err = excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := x.GetCellValue("Summary", "B2"); !strings.HasPrefix(v, "FULL DISCLOSURE") {
		t.Errorf("the full workbook's first row says %q", v)
	}
	r = get(base+"report.csv?disclosure=full", e.admin)
	if !bytes.Contains(r.Body, []byte(",data_manager,1,")) {
		t.Error("report.csv?disclosure=full has no row of the group of one")
	}
	if std := get(base+"report.json", e.admin); bytes.Contains(std.Body, []byte(`"data_manager":{`)) {
		t.Error("the admin's standard export is the full one")
	}
	audit, err := e.store.AuditLog(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	full := 0
	for _, a := range audit {
		if a.Action == "report.export" && strings.Contains(a.Detail, "disclosure=full") {
			full++
		}
	}
	if full != 3 {
		t.Errorf("%d full exports audited, want 3", full)
	}
}

// checkTidy checks the tidy results (header first): the group of one's rows are flagged
// suppressed and hold nothing but the item and the group.
func checkTidy(t *testing.T, name string, recs [][]string) {
	t.Helper()
	hdr := recs[0]
	col := func(c string) int {
		for i, h := range hdr {
			if h == c {
				return i
			}
		}
		t.Fatalf("%s: no column %s", name, c)
		return -1
	}
	g, sup, nsub := col("group"), col("suppressed"), col("n_submitted")
	seen := 0
	for _, r := range recs[1:] {
		if len(r) <= g || r[g] != "data_manager" {
			continue
		}
		seen++
		if len(r) <= sup || r[sup] != "TRUE" {
			t.Errorf("%s: row of the group of one not flagged: %q", name, r)
			continue
		}
		for i := nsub; i < sup; i++ {
			if r[i] != "NA" && r[i] != "" {
				t.Errorf("%s: the group of one's %s is %q", name, hdr[i], r[i])
			}
		}
	}
	if seen == 0 {
		t.Errorf("%s: no flagged row for the group of one", name)
	}
}

// walkJSON calls fn for every member and element of v.
func walkJSON(v any, path string, fn func(path, key string, v any)) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			fn(path+"."+k, k, c)
			walkJSON(c, path+"."+k, fn)
		}
	case []any:
		for i, c := range x {
			fn(fmt.Sprintf("%s[%d]", path, i), "", c)
			walkJSON(c, fmt.Sprintf("%s[%d]", path, i), fn)
		}
	}
}
