//go:build tools

// Package tools pins the upstream commands that scripts/build-engine builds
// from this module (go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi).
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
