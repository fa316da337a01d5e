package web

import (
	"testing"
	"time"
)

// FuzzDeadline reads arbitrary deadline fields in a zone with daylight saving: never a panic;
// a time read is in UTC, and shown back in the field's layout it reads as the same minute (a
// local time that the spring change skips is read once, as the time the clocks show then).
func FuzzDeadline(f *testing.F) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"2027-07-15T18:00", "2027-03-28T02:30", "2027-10-31T02:30", "2027-01-20", "2027-01-20 18:00",
		"2027-01-20T18:00:59", "2027-01-20T18:00:00+09:00", " ", "", "18:00", "2027-13-01T00:00", "0000-01-01T00:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, err := parseDeadline(v, berlin)
		if err != nil || d.IsZero() {
			return
		}
		if d.Location() != time.UTC {
			t.Fatalf("%q read as %v, not in UTC", v, d)
		}
		shown := d.In(berlin).Format(deadlineLayout)
		again, err := parseDeadline(shown, berlin)
		if err != nil || again.In(berlin).Format(deadlineLayout) != shown || again.Sub(d).Abs() >= time.Minute {
			t.Fatalf("%q read as %v, shown as %q, read back as %v (%v)", v, d, shown, again, err)
		}
	})
}
