package templates

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
