package site

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// renameExchange exchanges the paths a and b in one atomic step. A
// variable so that a test can take the path of file systems without
// RENAME_EXCHANGE.
var renameExchange = func(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}

// exchange puts the directory built in the place of the directory dst and
// returns where the old tree now is: at built after an atomic exchange, or
// aside (renameAside) on a file system that cannot exchange.
func exchange(dst, built string) (string, error) {
	err := renameExchange(built, dst)
	if err == nil {
		return built, nil
	}
	if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EOPNOTSUPP) {
		return "", fmt.Errorf("exchange %s and %s: %w", built, dst, err)
	}
	return renameAside(dst, built)
}
