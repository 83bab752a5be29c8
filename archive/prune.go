package archive

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
)

// allPartitions lists every partition of the archive, by table, host and
// day. Folders whose names do not parse are skipped.
func (s *Store) allPartitions() ([]Partition, error) {
	var out []Partition
	for _, table := range tableNames() {
		names, err := s.readDirNames(table)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			host, ok := strings.CutPrefix(n, "host=")
			if !ok || CheckHost(host) != nil {
				continue
			}
			ps, err := s.partitions(table, host)
			if err != nil {
				return nil, err
			}
			out = append(out, ps...)
		}
	}
	return out, nil
}

// allRollups lists the day folders of the rollups at res, as the
// partitions they summarize.
func (s *Store) allRollups(res Resolution) ([]Partition, error) {
	var out []Partition
	for _, table := range tableNames() {
		if !HasResolution(table, res) {
			continue
		}
		base := rollupDir + "/" + res.String() + "/" + table
		names, err := s.readDirNames(base)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			host, ok := strings.CutPrefix(n, "host=")
			if !ok || CheckHost(host) != nil {
				continue
			}
			days, err := s.readDirNames(base + "/" + n)
			if err != nil {
				return nil, err
			}
			for _, d := range days {
				date, ok := strings.CutPrefix(d, "date=")
				if !ok {
					continue
				}
				if day, err := parseDay(date); err == nil {
					out = append(out, Partition{Table: table, Host: host, Day: day})
				}
			}
		}
	}
	return out, nil
}

// Prune deletes the day partitions, of every table and host, whose day
// ended more than keep before now, and returns them; their rollups go
// with them. A host folder left empty is removed too.
func (s *Store) Prune(now time.Time, keep time.Duration) ([]Partition, error) {
	if keep <= 0 {
		return nil, fmt.Errorf("archive: prune: keep %v: want a positive duration", keep)
	}
	all, err := s.allPartitions()
	if err != nil {
		return nil, fmt.Errorf("archive: prune: %w", err)
	}
	var done []Partition
	var errs []error
	for _, p := range Expired(all, now, keep) {
		if err := s.root.RemoveAll(p.Dir()); err != nil {
			errs = append(errs, err)
			continue
		}
		done = append(done, p)
		// Fails, as it should, while the host has other days.
		s.root.Remove(p.Table + "/host=" + p.Host)
	}
	for _, res := range resolutions {
		rolls, err := s.allRollups(res)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, p := range Expired(rolls, now, keep) {
			dir := rollupPath(res, p)
			if err := s.root.RemoveAll(dir); err != nil {
				errs = append(errs, err)
				continue
			}
			s.root.Remove(path.Dir(dir))
		}
	}
	if len(done) > 0 {
		s.log.Info("partitions pruned", "partitions", len(done), "keep_seconds", keep.Seconds())
	}
	if len(errs) > 0 {
		return done, fmt.Errorf("archive: prune: %w", errors.Join(errs...))
	}
	return done, nil
}
