package templates

import (
	"bytes"
	"context"
	"testing"

	"github.com/cart-cd/delphi/internal/report"
)

// Kendall's W is shown only where it means something; otherwise the summary says why.
func TestSummaryKendallNotReported(t *testing.T) {
	s := &report.Summary{Round: 2, Kendall: report.KendallView{OK: false, M: 2, N: 40,
		Note: "Not shown: 2 of 23 panelists rated every item (at least 5 and half are needed)."}}
	var b bytes.Buffer
	if err := Summary(s).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Kendall&#39;s W is not reported for this round.", "Not shown: 2 of 23 panelists rated every item"} {
		if !bytes.Contains(b.Bytes(), []byte(want)) && !bytes.Contains(b.Bytes(), []byte(stripQuote(want))) {
			t.Errorf("summary lacks %q", want)
		}
	}
	if bytes.Contains(b.Bytes(), []byte("Kendall's W = ")) {
		t.Error("W shown though it is not reported")
	}
}

func stripQuote(s string) string {
	return string(bytes.ReplaceAll([]byte(s), []byte("&#39;"), []byte("'")))
}
