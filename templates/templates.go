// Package templates holds delphi's pages as compiled templ components (*.templ, generated into
// *_templ.go by `make generate`) with the view models they render, and the static assets,
// embedded into the binary.
package templates

import "embed"

// FS holds static/, the stylesheets and scripts served under /static.
//
//go:embed static
var FS embed.FS
