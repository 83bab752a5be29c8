//go:build linux

package sample

import (
	"almanac/schema"
	"errors"
	"io/fs"
	"log/slog"
	"time"
)

// sensorRescan is how often the list of sensors is built again: sensors
// rarely come and go (a hot-plugged NVMe drive, a loaded driver), and
// listing them costs far more than reading them.
const sensorRescan = 10 * time.Minute

// sensorRetry is how soon the list is built again after a sensor file
// vanished (its driver was unloaded, its device unplugged).
const sensorRetry = time.Minute

// temperatureCollector reads every thermal zone
// (/sys/class/thermal/thermal_zone*/{type,temp}) and every hwmon
// temperature input (/sys/class/hwmon/hwmon*/temp*_input, with temp*_label
// and the chip's name) and appends one TemperatureRow per sensor, in
// degrees Celsius. The list of sensor files is kept and built again every
// 10 minutes, or a minute after a sensor file vanished. A sensor that fails to read
// (EIO and ENODATA are common for absent sensors) or holds no number is
// left out. A host without sensors gives no rows and one debug line.
type temperatureCollector struct {
	log *slog.Logger

	file     kernelFile
	sensors  []tempSensor
	scanned  time.Time // when sensors was built; zero: never
	sysFor   string    // the sys tree sensors was built for
	rescan   bool      // a sensor vanished: build the list again
	saidNone bool      // the absence of sensors was logged
}

// Collect implements collector.
func (c *temperatureCollector) Collect(src Source, t Tick, b *schema.Batch) error {
	since := t.Now.Sub(c.scanned)
	if c.scanned.IsZero() || c.sysFor != src.SysPath || since >= sensorRescan || since < 0 ||
		c.rescan && since >= sensorRetry {
		c.scan(src, t.Now)
	}
	if t.First {
		return nil // gauges too: a first reading appends no rows
	}
	for i := range c.sensors {
		s := &c.sensors[i]
		v, err := c.readSensor(s.path)
		if err != nil {
			if !s.failing && c.log != nil {
				c.log.Debug("temperature sensor unreadable", "sensor", s.sensor, "label", s.label, "err", err)
			}
			s.failing = true
			if errors.Is(err, fs.ErrNotExist) {
				c.rescan = true
			}
			continue
		}
		s.failing = false
		b.Temperature = append(b.Temperature, schema.TemperatureRow{Time: t.Time, Sensor: s.sensor, Label: s.label, Celsius: v})
	}
	return nil
}

func (c *temperatureCollector) readSensor(path string) (schema.Centi, error) {
	data, err := c.file.readPath(path)
	if err != nil {
		return 0, err
	}
	return parseHwmonTemp(data)
}

// scan builds the list of sensors.
func (c *temperatureCollector) scan(src Source, now time.Time) {
	failing := map[string]bool{}
	for _, s := range c.sensors {
		if s.failing {
			failing[s.path] = true
		}
	}
	c.sensors = append(findThermalZones(src.sysFile("class", "thermal")), findHwmon(src.sysFile("class", "hwmon"))...)
	for i := range c.sensors {
		c.sensors[i].failing = failing[c.sensors[i].path]
	}
	c.scanned, c.sysFor, c.rescan = now, src.SysPath, false
	if len(c.sensors) == 0 && !c.saidNone && c.log != nil {
		c.log.Debug("no temperature sensors", "thermal", src.sysFile("class", "thermal"), "hwmon", src.sysFile("class", "hwmon"))
		c.saidNone = true
	}
}
