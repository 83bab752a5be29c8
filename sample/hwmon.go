//go:build linux

package sample

import (
	"almanac/schema"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// tempSensor is one temperature file found in sysfs.
type tempSensor struct {
	path    string // the file holding millidegrees Celsius
	sensor  string // "thermal_zone0", "hwmon1/temp2"
	label   string // "x86_pkg_temp", "coretemp Package id 0"
	order   [2]int // sort key: zone or chip number, then temp index
	failing bool   // the last read failed (logged once)
}

// errNotTemp is returned for a temperature file whose content is not one.
var errNotTemp = errors.New("not a temperature in millidegrees")

// minMilliCelsius is absolute zero: anything below is a driver's
// placeholder, not a reading.
const minMilliCelsius = -273150

// parseHwmonTemp parses the content of a hwmon temp*_input file or a
// thermal zone's temp file: a signed integer in millidegrees Celsius
// followed by a newline (Documentation/hwmon/sysfs-interface.rst). It
// returns degrees Celsius as Centi, rounded half away from zero.
func parseHwmonTemp(b []byte) (schema.Centi, error) {
	b = bytes.TrimSpace(b)
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	u, ok := parseUint(b)
	if !ok || u > 1<<53 {
		return 0, errNotTemp
	}
	m := int64(u)
	if neg {
		m = -m
	}
	if m < minMilliCelsius {
		return 0, errNotTemp
	}
	if m >= 0 {
		return schema.Centi((m + 5) / 10), nil
	}
	return schema.Centi((m - 5) / 10), nil
}

// parseSysfsLabel turns the content of a sysfs name, type or label file
// into a label: the first line, trimmed, as valid UTF-8.
func parseSysfsLabel(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return validName(string(bytes.TrimSpace(b)))
}

// parseTempInputName returns N for a file named "tempN_input".
func parseTempInputName(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, "temp")
	if !ok {
		return 0, false
	}
	num, ok := strings.CutSuffix(rest, "_input")
	if !ok {
		return 0, false
	}
	return parseIndex(num)
}

// parseIndex parses the number of a sysfs entry ("0" in thermal_zone0).
func parseIndex(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || s[0] == '+' {
		return 0, false
	}
	return n, true
}

// indexedEntry is an entry of a sysfs class folder named prefix<N>.
type indexedEntry struct {
	n    int
	name string
}

// indexedEntries lists the entries of classDir named prefix<N> (card0,
// thermal_zone3, hwmon1), in the order of N; none when it cannot be read.
func indexedEntries(classDir, prefix string) []indexedEntry {
	ents, err := os.ReadDir(classDir)
	if err != nil {
		return nil
	}
	var out []indexedEntry
	for _, e := range ents {
		num, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok {
			continue
		}
		if n, ok := parseIndex(num); ok {
			out = append(out, indexedEntry{n, e.Name()})
		}
	}
	slices.SortFunc(out, func(a, b indexedEntry) int { return a.n - b.n })
	return out
}

// readLabel reads a sysfs name, type or label file; "" when it is missing.
func readLabel(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return parseSysfsLabel(b)
}

// findThermalZones lists the thermal zones below classDir
// (/sys/class/thermal): each thermal_zoneN's temp file, labelled with the
// zone's type. A zone without a temp file is not a sensor.
func findThermalZones(classDir string) []tempSensor {
	var out []tempSensor
	for _, e := range indexedEntries(classDir, "thermal_zone") {
		dir := filepath.Join(classDir, e.name)
		if _, err := os.Stat(filepath.Join(dir, "temp")); err != nil {
			continue // a zone without a temperature (some ACPI zones)
		}
		label := readLabel(filepath.Join(dir, "type"))
		if label == "" {
			label = e.name
		}
		out = append(out, tempSensor{
			path:   filepath.Join(dir, "temp"),
			sensor: e.name,
			label:  label,
			order:  [2]int{e.n, 0},
		})
	}
	sortSensors(out)
	return out
}

// findHwmon lists the temperature inputs of every chip below classDir
// (/sys/class/hwmon): each hwmonM's tempN_input, labelled
// "<chip name> <tempN_label>", or "<chip name> tempN" without a label.
// Old drivers keep their files in the chip's device folder.
func findHwmon(classDir string) []tempSensor {
	var out []tempSensor
	for _, e := range indexedEntries(classDir, "hwmon") {
		chipDir := filepath.Join(classDir, e.name)
		chip := readLabel(filepath.Join(chipDir, "name"))
		found := hwmonInputs(chipDir, e.name, chip, e.n)
		if len(found) == 0 {
			dev := filepath.Join(chipDir, "device")
			if chip == "" {
				chip = readLabel(filepath.Join(dev, "name"))
			}
			found = hwmonInputs(dev, e.name, chip, e.n)
		}
		out = append(out, found...)
	}
	sortSensors(out)
	return out
}

// hwmonInputs lists the tempN_input files in dir, which belongs to the
// chip hwmonM (id) named chip.
func hwmonInputs(dir, id, chip string, m int) []tempSensor {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	if chip == "" {
		chip = id
	}
	var out []tempSensor
	for _, e := range ents {
		n, ok := parseTempInputName(e.Name())
		if !ok {
			continue
		}
		temp := "temp" + strconv.Itoa(n)
		label := readLabel(filepath.Join(dir, temp+"_label"))
		if label == "" {
			label = temp
		}
		out = append(out, tempSensor{
			path:   filepath.Join(dir, e.Name()),
			sensor: id + "/" + temp,
			label:  chip + " " + label,
			order:  [2]int{m, n},
		})
	}
	return out
}

func sortSensors(s []tempSensor) {
	slices.SortFunc(s, func(a, b tempSensor) int {
		if a.order[0] != b.order[0] {
			return a.order[0] - b.order[0]
		}
		return a.order[1] - b.order[1]
	})
}
