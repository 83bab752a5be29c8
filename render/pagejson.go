package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"slices"
	"unicode/utf8"
)

// A page's data block, its charts as one JSON object in <script
// type="application/json" id="almanac-data">, is most of its bytes: a
// line chart's dataset rows. Written as {{.Data}}, html/template's JS
// escaper would json.Marshal the data, and encoding/json would validate
// and copy every byte that Option.MarshalJSON returned, the escaper would
// then decode every rune of the result looking for U+2028 and U+2029, and
// text/template copy it twice more. Handed to html/template as a
// template.JS, the block was still copied into a string, into fmt's buffer
// and into the page's. So base.html writes {{.Data.Slot}}, a mark, and
// fillData writes the block in its place, once, into the page's bytes:
// the same bytes html/template would write for {{.Data}}.

// dataSlot is the mark that base.html writes where the data block goes.
// Nothing from a host can spell it: html/template writes a NUL byte of a
// host's text as U+FFFD, \u0000, %00 or an entity, never as itself.
const dataSlot = "\x00almanac-data\x00"

// Slot returns the mark of the page's data block (fillData).
func (d pageData) Slot() template.JS { return dataSlot }

// fillData appends page to out with its data block, the bytes json.Marshal
// writes for d (which is what html/template wrote for {{.Data}}), in place
// of the one mark base.html wrote (Slot).
//
// The block is written into the page unescaped, so fillData makes sure
// its bytes are safe in a script element. Everything but the dataset rows
// is written by encoding/json, which writes <, > and & as \u003c, \u003e
// and \u0026, U+2028 and U+2029 as \u2028 and \u2029, and invalid UTF-8
// as U+FFFD; the rows are numbers, null, commas and brackets
// (appendRows). And fillData checks the block (checkScript): a byte that
// could end the script element or open a comment in it is an error, and
// the page is not written.
//
// A page without the mark is appended as it is: a base.html of --templates
// may write the block itself ({{.Data.JSON}}, as base.html did before), or
// have none.
func fillData(out, page []byte, d pageData) ([]byte, error) {
	k := bytes.Index(page, []byte(dataSlot))
	if k < 0 {
		return append(out, page...), nil
	}
	if bytes.Contains(page[k+len(dataSlot):], []byte(dataSlot)) {
		return out, errors.New("page with two data block marks")
	}
	out = append(out, page[:k]...)
	out, err := appendData(out, d)
	if err != nil {
		return out, fmt.Errorf("page data: %w", err)
	}
	return append(out, page[k+len(dataSlot):]...), nil
}

// JSON returns the page's data block as fillData writes it, as a
// template.JS: for a base.html of --templates that writes {{.Data.JSON}},
// as the built-in one did before it wrote a mark (it costs three more
// copies of the block).
func (d pageData) JSON() (template.JS, error) {
	b, err := appendData(nil, d)
	if err != nil {
		return "", fmt.Errorf("page data: %w", err)
	}
	return template.JS(b), nil
}

// appendData appends the JSON of d to out. The line charts' dataset rows
// stand as a mark (rowsMark) while encoding/json writes the rest, then
// are written in place of their marks, in order, by appendRows: the page
// order of the charts is the order of the marks, since each chart's
// dataset comes before its series (keys in order) and a host's text
// cannot spell the mark with its key (quotes in a string are escaped).
func appendData(out []byte, d pageData) ([]byte, error) {
	rs := make([]rows, len(d.Charts))
	for i := range d.Charts {
		rs[i] = datasetRows(d.Charts[i].Option)
	}
	for i, r := range rs {
		if r.T != nil {
			d.Charts[i].Option.DatasetList[0].Source = rowsMark
		}
	}
	b, err := json.Marshal(d)
	for i, r := range rs {
		if r.T != nil {
			d.Charts[i].Option.DatasetList[0].Source = r
		}
	}
	if err != nil {
		return out, err
	}
	size := len(b)
	for _, r := range rs {
		size += r.size()
	}
	out = slices.Grow(out, size)
	start := len(out)
	for i, r := range rs {
		if r.T == nil {
			continue
		}
		k := bytes.Index(b, rowsMarkJSON)
		if k < 0 {
			return out, fmt.Errorf("chart %q without its dataset mark", d.Charts[i].ID)
		}
		out = append(out, b[:k+len(rowsMarkKey)]...)
		out = appendRows(out, r)
		b = b[k+len(rowsMarkJSON):]
	}
	out = append(out, b...)
	return out, checkScript(out[start:])
}

// datasetRows returns the rows of o's dataset, written by Option's
// MarshalJSON itself, or no rows.
func datasetRows(o Option) rows {
	if o.RectChart == nil || len(o.DatasetList) != 1 {
		return rows{}
	}
	r, _ := o.DatasetList[0].Source.(rows)
	return r
}

// checkScript returns an error if b, JSON for a script element, holds '<'
// (no "</script" and no "<!--" without it), '>' or '&', a line or
// paragraph separator (U+2028, U+2029: line ends in older JavaScript), or
// invalid UTF-8: none of which encoding/json writes.
func checkScript(b []byte) error {
	for _, c := range []byte("<>&") {
		if i := bytes.IndexByte(b, c); i >= 0 {
			return fmt.Errorf("unescaped %q at byte %d", c, i)
		}
	}
	for _, s := range []string{"\u2028", "\u2029"} {
		if i := bytes.Index(b, []byte(s)); i >= 0 {
			return fmt.Errorf("unescaped %+q at byte %d", s, i)
		}
	}
	if !utf8.Valid(b) {
		return errors.New("invalid UTF-8")
	}
	return nil
}
