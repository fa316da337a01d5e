// Package surveys holds the survey definitions shipped with delphi (cart-cd.yaml, example.yaml),
// embedded in the binary. Parse and validate them with internal/survey.
//
// The package sits beside the YAML files because //go:embed cannot reach into parent
// directories: the files must be at or below the embedding package's directory.
package surveys

import "embed"

// FS holds every *.yaml survey definition of this directory; main passes it on as an fs.FS.
//
//go:embed *.yaml
var FS embed.FS
