package archive

import (
	"fmt"
	"slices"
	"strings"

	"almanac/sample"
)

// Hosts lists the hosts that have at least one partition, sorted.
func (s *Store) Hosts() ([]string, error) {
	var hosts []string
	for _, table := range sample.Tables {
		names, err := s.readDirNames(table)
		if err != nil {
			return nil, fmt.Errorf("archive: hosts: %w", err)
		}
		for _, n := range names {
			host, ok := strings.CutPrefix(n, "host=")
			if !ok || CheckHost(host) != nil || slices.Contains(hosts, host) {
				continue
			}
			parts, err := s.partitions(table, host)
			if err != nil {
				return nil, fmt.Errorf("archive: hosts: %w", err)
			}
			if len(parts) > 0 {
				hosts = append(hosts, host)
			}
		}
	}
	slices.Sort(hosts)
	return hosts, nil
}

// Partitions lists the partitions of table for host, oldest first.
func (s *Store) Partitions(table, host string) ([]Partition, error) {
	if err := CheckTable(table); err != nil {
		return nil, err
	}
	if err := CheckHost(host); err != nil {
		return nil, err
	}
	parts, err := s.partitions(table, host)
	if err != nil {
		return nil, fmt.Errorf("archive: partitions of %s for %q: %w", table, host, err)
	}
	return parts, nil
}
