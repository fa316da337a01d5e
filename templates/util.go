package templates

import (
	"context"
	"io"
	"net/url"

	"github.com/a-h/templ"
)

// mailto is a mailto: link to an address. templ checks the scheme of every URL it writes; the
// address is escaped as a URL path so that "?" or "#" in it cannot add headers to the mail.
func mailto(addr string) templ.SafeURL {
	return templ.URL("mailto:" + (&url.URL{Path: addr}).EscapedPath())
}

// Bytes writes markup rendered before (by these components, so escaped then) as it is: the
// fragments cached once a round is open or closed.
func Bytes(b []byte) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// translatorKey carries the interface strings' translator in a render's context, for the
// components that have no Page: the round summary is one markup for every view and reader.
type translatorKey struct{}

// Translator looks up an interface string (plural forms included) in a language.
type Translator func(lang, key string, args ...any) string

// WithTranslator returns ctx carrying t for the components rendered with it.
func WithTranslator(ctx context.Context, t Translator) context.Context {
	return context.WithValue(ctx, translatorKey{}, t)
}

// tr translates key into English (the reports' language) with the context's translator; without
// one it shows the key, as a Page without Translate does.
func tr(ctx context.Context, key string, args ...any) string {
	t, _ := ctx.Value(translatorKey{}).(Translator)
	if t == nil {
		return key
	}
	return t("en", key, args...)
}
