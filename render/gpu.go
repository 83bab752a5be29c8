package render

import (
	"almanac/schema"
)

// gpu draws the GPUs (the gpu table) on the host page: busy share, video
// memory, temperature, power and clocks, a series per card. A chart whose
// values no card exposes (Intel drivers give no busy share) is left out.
func (g *gatherer) gpu() error {
	busy, mem, temp, power, clock := g.newSet(1), g.newSet(2), g.newSet(1), g.newSet(1), g.newSet(3)
	label := map[string]string{}
	accs := []dayAcc{busy, mem, temp, power, clock, &newestOf[string]{m: &label, put: (*memoBuf).str, get: (*memoReader).str}}
	err := g.eachWith(schema.TableGPU, []string{"card", "driver", "name", "busy_pct", "mem_used_bytes", "mem_total_bytes",
		"celsius", "power_watts", "graphics_mhz", "memory_mhz", "graphics_max_mhz"}, accs, func(c chunk) {
		card, driver, name := c.str("card"), c.str("driver"), c.str("name")
		for i, k := range card {
			label[k] = k + " " + driver[i]
			if name[i] != "" {
				label[k] += " " + name[i]
			}
		}
		busy.addChunk(c.f.Time, c.res, card, c.num("busy_pct"))
		mem.addChunk(c.f.Time, c.res, card, c.num("mem_used_bytes"), c.num("mem_total_bytes"))
		temp.addChunk(c.f.Time, c.res, card, c.num("celsius"))
		power.addChunk(c.f.Time, c.res, card, c.num("power_watts"))
		clock.addChunk(c.f.Time, c.res, card, c.num("graphics_mhz"), c.num("memory_mhz"), c.num("graphics_max_mhz"))
	})
	if err != nil {
		return err
	}
	cards := busy.keys()
	names := make([]string, len(cards))
	for i, k := range cards {
		names[i] = label[k]
	}
	charts := []struct {
		id, title, unit string
		set             *seriesSet
		names           []string
		o               lineOpts
	}{
		{"gpu-busy", "GPU busy", unitPct, busy, names, lineOpts{Max: 100}},
		{"gpu-memory", "GPU memory", unitBytes, mem, valueKeys(names, "used", "total"), lineOpts{}},
		{"gpu-temperature", "GPU temperature", unitCelsius, temp, names, lineOpts{}},
		{"gpu-power", "GPU power", "W", power, names, lineOpts{}},
		{"gpu-clocks", "GPU clocks", "MHz", clock, valueKeys(names, "graphics", "memory", "graphics max"), lineOpts{}},
	}
	for r := range ranges {
		var s Section
		for _, c := range charts {
			if c.set.grid(r, cards).hasValues() {
				s.Charts = append(s.Charts, g.line(r, c.id, c.title, c.unit, c.set, cards, c.names, c.o))
			}
		}
		s.Title = "GPUs"
		g.add(r, s)
	}
	return nil
}
