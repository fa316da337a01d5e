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
