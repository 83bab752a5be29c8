//go:build !linux

package site

// exchange puts the directory built in the place of the directory dst and
// returns where the old tree now is. Only Linux exchanges two paths in one
// step (renameat2 RENAME_EXCHANGE); elsewhere this is renameAside, which
// is not atomic.
func exchange(dst, built string) (string, error) {
	return renameAside(dst, built)
}
