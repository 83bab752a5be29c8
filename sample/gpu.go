//go:build linux

package sample

import (
	"almanac/schema"
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// gpuCollector fills the gpu table: one row per GPU of /sys/class/drm
// (card<N> with a device), from what its driver exposes, and one per
// NVIDIA GPU through NVML in a binary built with the nvml tag.
//
//	amdgpu   device/gpu_busy_percent, device/mem_info_vram_{used,total},
//	         device/hwmon/hwmon*/{temp1_input, power1_average or
//	         power1_input, freq1_input (graphics), freq2_input (memory)}
//	i915     gt_act_freq_mhz (or gt_cur_freq_mhz), gt_max_freq_mhz,
//	         device/hwmon/hwmon*/{power1_input or energy1_input}
//	xe       device/tile0/gt0/freq0/{act_freq or cur_freq, max_freq},
//	         device/hwmon/hwmon*/{temp*_input, energy1_input}
//
// The driver and PCI address come from device/uevent. The list of cards
// and their files is built again every 10 minutes. A file a driver does
// not have is a NULL column; a host without GPUs gives no rows and no
// error.
type gpuCollector struct {
	log     *slog.Logger
	file    kernelFile
	cards   []gpuCard
	scanned time.Time
	sysFor  string
	rescan  bool
	nvml    gpuSource // NVIDIA GPUs; nil without the nvml build tag
}

// gpuSource is a source of GPU rows other than sysfs (NVML). Collect
// appends a row per GPU and may fill the GPU memory of processes already
// in b.
type gpuSource interface {
	collect(t Tick, b *schema.Batch)
}

// gpuCard is one card of /sys/class/drm and the files it has ("" for
// absent ones).
type gpuCard struct {
	card, driver, name                                             string
	busy, memUsed, memTotal, temp, power, energy, gfx, gfxMax, mem string
	// energy1_input's previous reading (µJ), for power from energy
	prevEnergy uint64
	prevAt     time.Time
	hasPrev    bool
}

func newGPUCollector(log *slog.Logger) *gpuCollector {
	return &gpuCollector{log: log, nvml: newNVML(log)}
}

// Collect implements collector.
func (c *gpuCollector) Collect(src Source, t Tick, b *schema.Batch) error {
	since := t.Now.Sub(c.scanned)
	if c.scanned.IsZero() || c.sysFor != src.SysPath || since >= sensorRescan || since < 0 ||
		c.rescan && since >= sensorRetry {
		c.cards = findGPUs(src.sysFile("class", "drm"))
		c.scanned, c.sysFor, c.rescan = t.Now, src.SysPath, false
	}
	for i := range c.cards {
		row := c.read(&c.cards[i], t)
		if !t.First {
			b.GPU = append(b.GPU, row)
		}
	}
	if c.nvml != nil && !t.First {
		c.nvml.collect(t, b)
	}
	return nil
}

// read reads one card's files into a row.
func (c *gpuCollector) read(g *gpuCard, t Tick) schema.GPURow {
	row := schema.GPURow{Time: t.Time, Card: g.card, Driver: g.driver, Name: g.name}
	num := func(path string) (uint64, bool) {
		if path == "" {
			return 0, false
		}
		data, err := c.file.readPath(path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				c.rescan = true
			}
			return 0, false
		}
		return parseUint(bytes.TrimSpace(data))
	}
	// opt reads path as an integer divided by div; nil when absent.
	opt := func(path string, div uint64) *int64 {
		v, ok := num(path)
		if !ok || v/div > 1<<62 {
			return nil
		}
		n := int64(v / div)
		return &n
	}
	if v, ok := num(g.busy); ok && v <= 100 {
		p := schema.Centi(v * 100)
		row.BusyPct = &p
	}
	row.MemUsedBytes = opt(g.memUsed, 1)
	row.MemTotalBytes = opt(g.memTotal, 1)
	if g.temp != "" {
		if data, err := c.file.readPath(g.temp); err == nil {
			if v, err := parseHwmonTemp(data); err == nil {
				row.Celsius = &v
			}
		}
	}
	if v, ok := num(g.power); ok && v < 1<<50 {
		w := schema.Centi((v + 5000) / 10000) // µW to centiwatts
		row.PowerWatts = &w
	} else if v, ok := num(g.energy); ok {
		if g.hasPrev && v >= g.prevEnergy && t.Now.After(g.prevAt) {
			us := t.Now.Sub(g.prevAt).Microseconds()
			w := schema.ToCenti(float64(v-g.prevEnergy) / float64(us)) // µJ/µs = W
			row.PowerWatts = &w
		}
		g.prevEnergy, g.prevAt, g.hasPrev = v, t.Now, true
	}
	hz := uint64(1)
	if g.driver == "amdgpu" {
		hz = 1e6 // hwmon freq*_input is in Hz
	}
	row.GraphicsMHz = opt(g.gfx, hz)
	row.MemoryMHz = opt(g.mem, hz)
	row.GraphicsMax = opt(g.gfxMax, 1)
	return row
}

// findGPUs lists the cards below classDir (/sys/class/drm): card<N>
// entries (not their connectors, card0-DP-1, nor render nodes) that have
// a device, in card order.
func findGPUs(classDir string) []gpuCard {
	var cards []gpuCard
	for _, e := range indexedEntries(classDir, "card") {
		dir := filepath.Join(classDir, e.name)
		uevent, err := os.ReadFile(filepath.Join(dir, "device", "uevent"))
		if err != nil {
			continue // a card without a device (a virtual one)
		}
		g := gpuCard{card: e.name}
		g.driver, g.name = parseUevent(uevent)
		if !slices.Contains(gpuDrivers, g.driver) {
			continue // nvidia (read through NVML), simpledrm, virtio_gpu, …
		}
		g.findFiles(dir)
		cards = append(cards, g)
	}
	return cards
}

// gpuDrivers are the drivers whose sysfs files the collector reads.
var gpuDrivers = []string{"amdgpu", "i915", "xe"}

// parseUevent returns the DRIVER and PCI_SLOT_NAME of a device's uevent
// file.
func parseUevent(data []byte) (driver, slot string) {
	for len(data) > 0 {
		var line []byte
		line, data = nextLine(data)
		k, v, ok := bytes.Cut(line, []byte("="))
		if !ok {
			continue
		}
		switch string(k) {
		case "DRIVER":
			driver = validName(string(bytes.TrimSpace(v)))
		case "PCI_SLOT_NAME":
			slot = validName(string(bytes.TrimSpace(v)))
		}
	}
	return driver, slot
}

// findFiles fills in the files card dir has for its driver.
func (g *gpuCard) findFiles(dir string) {
	dev := filepath.Join(dir, "device")
	first := func(paths ...string) string {
		for _, p := range paths {
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				return p
			}
		}
		return ""
	}
	hw := hwmonDirs(dev)
	inHwmon := func(names ...string) string {
		for _, h := range hw {
			for _, n := range names {
				if p := first(filepath.Join(h, n)); p != "" {
					return p
				}
			}
		}
		return ""
	}
	switch g.driver {
	case "amdgpu":
		g.busy = first(filepath.Join(dev, "gpu_busy_percent"))
		g.memUsed = first(filepath.Join(dev, "mem_info_vram_used"))
		g.memTotal = first(filepath.Join(dev, "mem_info_vram_total"))
		g.gfx = inHwmon("freq1_input")
		g.mem = inHwmon("freq2_input")
	case "i915":
		g.gfx = first(filepath.Join(dir, "gt_act_freq_mhz"), filepath.Join(dir, "gt_cur_freq_mhz"))
		g.gfxMax = first(filepath.Join(dir, "gt_max_freq_mhz"))
	case "xe":
		freq := filepath.Join(dev, "tile0", "gt0", "freq0")
		g.gfx = first(filepath.Join(freq, "act_freq"), filepath.Join(freq, "cur_freq"))
		g.gfxMax = first(filepath.Join(freq, "max_freq"))
	}
	g.temp = inHwmon(tempInputs(hw)...)
	g.power = inHwmon("power1_average", "power1_input")
	if g.power == "" {
		g.energy = inHwmon("energy1_input")
	}
}

// hwmonDirs lists the hwmon chips of a device (device/hwmon/hwmon*), in
// order.
func hwmonDirs(dev string) []string {
	ents, err := os.ReadDir(filepath.Join(dev, "hwmon"))
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "hwmon") {
			out = append(out, filepath.Join(dev, "hwmon", e.Name()))
		}
	}
	return out
}

// tempInputs lists the names of the temp*_input files of the chips, the
// lowest number first (amdgpu's temp1 is the edge sensor; xe's first is
// the package).
func tempInputs(hw []string) []string {
	var nums []int
	for _, h := range hw {
		ents, _ := os.ReadDir(h)
		for _, e := range ents {
			if n, ok := parseTempInputName(e.Name()); ok && !slices.Contains(nums, n) {
				nums = append(nums, n)
			}
		}
	}
	slices.Sort(nums)
	out := make([]string, len(nums))
	for i, n := range nums {
		out[i] = "temp" + strconv.Itoa(n) + "_input"
	}
	return out
}
