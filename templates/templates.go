// Package templates holds the HTML templates and the static assets of the
// site that almanac render builds. The template contract (which data each
// template gets) is documented in package render.
package templates

import "embed"

// FS holds the page templates (*.html) and the static assets (assets/):
// the site's script and style sheet, and echarts.min.js with its license.
//
//go:embed *.html assets
var FS embed.FS
