// Package templates holds delphi's HTML templates and static assets, embedded into the binary.
// The Go file lives here because //go:embed cannot reach parent directories.
package templates

import "embed"

// FS holds layout.html, partials/, pages/ and static/.
//
//go:embed layout.html partials pages static
var FS embed.FS
