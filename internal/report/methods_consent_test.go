package report_test

import (
	"strings"
	"testing"

	"github.com/cart-cd/delphi/internal/report"
)

// The methods text states how many panelists recorded consent, when the count is known.
func TestMethodsConsentCount(t *testing.T) {
	f := loadFixture(t)
	st := f.study
	st.Consented = 17
	text := strings.Join(report.Methods(st, f.snaps), "\n")
	if !strings.Contains(text, "Every panelist recorded consent before answering (17 panelists consented).") {
		t.Errorf("methods lack the consent count:\n%s", text)
	}
	st.Consented = -1
	text = strings.Join(report.Methods(st, f.snaps), "\n")
	if !strings.Contains(text, "Every panelist recorded consent before answering. ") || strings.Contains(text, "panelists consented") {
		t.Errorf("methods with an unknown count:\n%s", text)
	}
}
