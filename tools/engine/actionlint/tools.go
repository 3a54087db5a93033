//go:build tools

// Package tools pins actionlint, which scripts/build-engine builds from this module
// (go build github.com/rhysd/actionlint/cmd/actionlint).
package tools

import (
	_ "github.com/rhysd/actionlint/cmd/actionlint"
)
