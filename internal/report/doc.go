// Package report builds round summaries and exports from round snapshots: the view model of
// the summary page (screen, print and slides), the methods paragraph, the final outcome as a
// data dictionary, and the CSV, XLSX and JSON exports. Its markup (the summary page and the
// standalone report.html) is the templates package's: this package holds no HTML.
//
// It is fed by snapshots only (delphi.Snapshot, written once when a round closes) and by the
// pseudonymous raw answers of closed rounds, so a report of a closed round never changes. It
// never recomputes statistics from live data and never sees names or emails. It imports
// internal/delphi, internal/consensus and internal/survey for their types, and no HTTP or SQL.
//
// Every text cell of a CSV or XLSX export goes through Cell, which neutralises spreadsheet
// formulas (a text starting with =, +, -, @, tab or CR gets a leading apostrophe).
package report
