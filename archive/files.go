package archive

import (
	"path"
	"slices"
)

// ClosedFiles lists the closed Parquet files of every host, as keys
// relative to the archive folder ("cpu/host=web1/date=2026-08-21/
// part-1787…parquet"), sorted: the files readers use, today's parts
// included, and the rollups (rollup/<res>/<table>/host=<host>/date=<day>/
// day-<seq>.parquet). Journals, temporary files and parts a day file
// covers are left out. It is what almanac ship uploads.
func (s *Store) ClosedFiles() ([]string, error) {
	hosts, err := s.Hosts()
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, h := range hosts {
		parts, err := s.hostDirs(h)
		if err != nil {
			return nil, err
		}
		for _, p := range parts {
			names, err := s.readDirNames(p.Dir())
			if err != nil {
				return nil, err
			}
			live, _ := liveFiles(names)
			for _, f := range live {
				keys = append(keys, p.Dir()+"/"+f.name)
			}
		}
		rk, err := s.rollupFiles(h)
		if err != nil {
			return nil, err
		}
		keys = append(keys, rk...)
	}
	slices.Sort(keys)
	return keys, nil
}

// Superseded returns the keys among keys that name files a day file of the
// same folder, also among keys, covers: the parts it merged and older day
// files it replaced (a late part makes a day be compacted again). Once
// that day file is in a store, they only duplicate its rows. Keys that are
// not archive data files are ignored.
func Superseded(keys []string) []string {
	byDir := map[string][]string{}
	for _, k := range keys {
		dir, name := path.Split(k)
		byDir[dir] = append(byDir[dir], name)
	}
	var out []string
	for dir, names := range byDir {
		_, covered := liveFiles(names)
		for _, f := range covered {
			out = append(out, dir+f.name)
		}
	}
	slices.Sort(out)
	return out
}
