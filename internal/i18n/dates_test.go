package i18n

import (
	"testing"
	"time"
	_ "time/tzdata" // as in the binary: the zones do not depend on the machine's zoneinfo
)

// TestDates: dates in the study's zone (across daylight saving changes) and the reader's
// language, with CLDR's month names and order.
func TestDates(t *testing.T) {
	zone := func(name string) *time.Location {
		t.Helper()
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	berlin, ny, sydney, kolkata, saoPaulo := zone("Europe/Berlin"), zone("America/New_York"), zone("Australia/Sydney"),
		zone("Asia/Kolkata"), zone("America/Sao_Paulo")
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name           string
		at             time.Time
		zone           *time.Location
		lang           string
		date, dateTime string
	}{
		{"utc, the zero Dates", utc("2026-12-04T20:44:59.123456789Z"), nil, "", "4 December 2026", "4 December 2026, 20:44 UTC"},
		{"berlin winter en", utc("2026-12-18T16:00:00Z"), berlin, "en", "18 December 2026", "18 December 2026, 17:00 CET"},
		{"berlin winter de", utc("2026-12-18T16:00:00Z"), berlin, "de", "18. Dezember 2026", "18. Dezember 2026, 17:00 CET"},
		{"berlin winter fr", utc("2026-12-18T16:00:00Z"), berlin, "fr", "18 décembre 2026", "18 décembre 2026, 17:00 CET"},
		{"berlin summer de", utc("2027-07-15T16:00:00Z"), berlin, "de", "15. Juli 2027", "15. Juli 2027, 18:00 CEST"},
		{"berlin, an hour before the spring change", utc("2027-03-28T00:30:00Z"), berlin, "fr", "28 mars 2027", "28 mars 2027, 01:30 CET"},
		{"berlin, an hour after the spring change", utc("2027-03-28T01:30:00Z"), berlin, "fr", "28 mars 2027", "28 mars 2027, 03:30 CEST"},
		{"berlin, the autumn change's repeated hour, first", utc("2027-10-31T00:30:00Z"), berlin, "de", "31. Oktober 2027", "31. Oktober 2027, 02:30 CEST"},
		{"berlin, the autumn change's repeated hour, second", utc("2027-10-31T01:30:00Z"), berlin, "de", "31. Oktober 2027", "31. Oktober 2027, 02:30 CET"},
		{"the day is the zone's day, not UTC's", utc("2027-03-14T03:30:00Z"), ny, "en", "13 March 2027", "13 March 2027, 22:30 EST"},
		{"southern summer", utc("2027-01-31T14:00:00Z"), sydney, "fr", "1 février 2027", "1 février 2027, 01:00 AEDT"},
		{"half-hour offset", utc("2027-05-01T12:00:00Z"), kolkata, "de", "1. Mai 2027", "1. Mai 2027, 17:30 IST"},
		{"a zone without an abbreviation", utc("2027-05-01T12:00:00Z"), saoPaulo, "en", "1 May 2027", "1 May 2027, 09:00 UTC-03"},
		{"an unknown language is English", utc("2027-08-01T12:00:00Z"), nil, "xx", "1 August 2027", "1 August 2027, 12:00 UTC"},
		{"zero", time.Time{}, berlin, "de", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Dates{Zone: tt.zone, Lang: tt.lang}
			if got := d.Date(tt.at); got != tt.date {
				t.Errorf("Date = %q, want %q", got, tt.date)
			}
			if got := d.DateTime(tt.at); got != tt.dateTime {
				t.Errorf("DateTime = %q, want %q", got, tt.dateTime)
			}
		})
	}
	if got := (Dates{}).ZoneName(); got != "UTC" {
		t.Errorf("zero ZoneName = %q", got)
	}
	if got := (Dates{Zone: berlin}).ZoneName(); got != "Europe/Berlin" {
		t.Errorf("ZoneName = %q", got)
	}
}
