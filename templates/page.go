package templates

import (
	"time"

	"github.com/cart-cd/delphi/internal/i18n"
)

// Page is what the layout needs of every page built from these components.
type Page struct {
	Title   string
	Lang    string
	CSRF    string
	Flash   string
	Error   string
	Staff   *Staff // set on staff pages: the layout shows the staff menu
	Version string
	Nav     string // which menu entry is current
	// Zone is the page's study's time zone (nil: UTC): its dates and times are shown in it.
	Zone *time.Location
	// Translate looks up an interface string in the page's language; nil shows the keys.
	Translate func(lang, key string, args ...any) string
}

// Staff is the signed-in staff member, as the menu shows them.
type Staff struct {
	ID    int64
	Email string
	Role  string // the account's role
	// StudyRole is the role in the page's study (admin, facilitator or presenter), which is
	// what the page may offer; it is Role on pages about no study.
	StudyRole string
}

// T translates an interface string into the page's language.
func (p *Page) T(key string, args ...any) string {
	if p.Translate == nil {
		return key
	}
	lang := p.Lang
	if lang == "" {
		lang = "en"
	}
	return p.Translate(lang, key, args...)
}

// LangOrEn is the page's language, English when unset.
func (p *Page) LangOrEn() string {
	if p.Lang == "" {
		return "en"
	}
	return p.Lang
}

// Dates writes dates and times in the page's zone and language.
func (p *Page) Dates() i18n.Dates { return i18n.Dates{Zone: p.Zone, Lang: p.LangOrEn()} }

// Date is t's day in the page's zone and language ("4. Dezember 2026"), "–" when unset.
func (p *Page) Date(t time.Time) string { return orDash(p.Dates().Date(t)) }

// DateTime is t to the minute in the page's zone and language, with the zone's abbreviation
// ("4 December 2026, 20:44 CET"), "–" when unset.
func (p *Page) DateTime(t time.Time) string { return orDash(p.Dates().DateTime(t)) }
