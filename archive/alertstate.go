package archive

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
)

func alertStateName(host string) string { return journalDir + "/" + host + ".alerts.json" }

// AlertState returns what SaveAlertState last saved for host: the state of
// its alerting rules, so that a restarted sampler resolves the incidents
// it fired. A host without one gives nil.
func (s *Store) AlertState(host string) ([]byte, error) {
	if err := CheckHost(host); err != nil {
		return nil, err
	}
	data, err := s.root.ReadFile(alertStateName(host))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("archive: alert state of %q: %w", host, err)
	}
	return data, nil
}

// SaveAlertState writes the state of host's alerting rules atomically
// (a tmp file renamed over the old one) beside its journal.
func (s *Store) SaveAlertState(host string, data []byte, nosync bool) error {
	if err := CheckHost(host); err != nil {
		return err
	}
	if _, err := s.writeFile(alertStateName(host), nosync, func(out io.Writer) error {
		_, err := out.Write(data)
		return err
	}); err != nil {
		return fmt.Errorf("archive: save alert state of %q: %w", host, err)
	}
	if nosync {
		return nil
	}
	return s.syncDir(journalDir)
}
