package i18n

import (
	"strings"
	"time"

	"github.com/go-playground/locales"
	"github.com/go-playground/locales/de"
	"github.com/go-playground/locales/en_GB"
	"github.com/go-playground/locales/fr"
)

// Dates and times are written from CLDR's data as github.com/go-playground/locales generates
// it (month and weekday names, the order of day, month and year). English is British English:
// the day before the month and a 24-hour clock, as the study's European readers expect.
var dateLocales = map[string]locales.Translator{"en": en_GB.New(), "de": de.New(), "fr": fr.New()}

// Dates writes dates and times in one time zone and one language; the zero value writes them in
// UTC and English. Every page, email and report writes its dates through one.
type Dates struct {
	Zone *time.Location // nil is UTC
	Lang string         // en, de or fr; anything else is English
}

func (d Dates) local(t time.Time) (time.Time, locales.Translator) {
	loc := d.Zone
	if loc == nil {
		loc = time.UTC
	}
	tr, ok := dateLocales[d.Lang]
	if !ok {
		tr = dateLocales["en"]
	}
	return t.In(loc), tr
}

// Date is t's day in the zone: "4 December 2026", "4. Dezember 2026", "4 décembre 2026";
// "" for the zero time.
func (d Dates) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t, tr := d.local(t)
	return tr.FmtDateLong(t)
}

// DateTime is t to the minute in the zone, with the zone's abbreviation:
// "4 December 2026, 20:44 CET", "4. Dezember 2026, 20:44 CET"; "" for the zero time.
func (d Dates) DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t, tr := d.local(t)
	return tr.FmtDateLong(t) + ", " + tr.FmtTimeShort(t) + " " + ZoneAbbrev(t)
}

// ZoneName is the zone's IANA name ("Europe/Paris"), "UTC" for nil.
func (d Dates) ZoneName() string {
	if d.Zone == nil {
		return "UTC"
	}
	return d.Zone.String()
}

// ZoneAbbrev is the abbreviation of t's zone at t ("CET", "CEST", "UTC"); zones without one
// show their offset from UTC ("UTC-03").
func ZoneAbbrev(t time.Time) string {
	a := t.Format("MST")
	if strings.HasPrefix(a, "+") || strings.HasPrefix(a, "-") {
		return "UTC" + a
	}
	return a
}
