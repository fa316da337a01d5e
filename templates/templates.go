// Package templates holds delphi's pages as compiled templ components (*.templ, generated into
// *_templ.go by `make generate`) with the view models they render, and the static assets,
// embedded into the binary. The console's pages are still html/template files (layout.html,
// partials/, pages/console/), parsed by internal/web, until they move to components too.
package templates

import "embed"

// FS holds the console's layout.html, partials/ and pages/, and static/.
//
//go:embed layout.html partials pages static
var FS embed.FS
