#!/bin/sh
# check.sh: run backup-metrics.sh on a scratch backup folder and check the
# file it writes (its metrics, values and final newline, and that no
# temporary file is left), then check the unit and timer with
# systemd-analyze verify. The sampler's side (that almanac reads such a
# file into the custom table) is TestTextfileExample in sample/.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/backups"
head -c 1234 /dev/zero >"$tmp/backups/db-1.sql.gz"
head -c 5678 /dev/zero >"$tmp/backups/db-2.sql.gz"
touch -d '-2 hours' "$tmp/backups/db-1.sql.gz"
touch -d '-1 hour' "$tmp/backups/db-2.sql.gz"
BACKUP_DIR="$tmp/backups" TEXTFILE_DIR="$tmp/textfile" "$here/backup-metrics.sh"
out="$tmp/textfile/backup.prom"
fail() { echo "textfile/check.sh: $*" >&2; cat "$out" >&2; exit 1; }
grep -qx 'backup_files 2' "$out" || fail "want backup_files 2"
grep -qx 'backup_size_bytes 5678' "$out" || fail "want the newest backup's size, 5678"
age=$(sed -n 's/^backup_age_seconds //p' "$out")
[ "$age" -ge 3590 ] && [ "$age" -le 3700 ] || fail "backup_age_seconds $age, want about 3600"
[ "$(tail -c 1 "$out" | od -An -c | tr -d ' ')" = '\n' ] || fail "no final newline"
[ "$(ls -A "$tmp/textfile")" = backup.prom ] || fail "left behind: $(ls -A "$tmp/textfile")"
# No backups: the count only.
BACKUP_DIR="$tmp/none" TEXTFILE_DIR="$tmp/textfile" "$here/backup-metrics.sh"
grep -qx 'backup_files 0' "$out" && ! grep -q backup_age "$out" || fail "without backups"

if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir -p "$tmp/units" "$tmp/bin"
	printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/backup-metrics.sh"
	chmod 0755 "$tmp/bin/backup-metrics.sh"
	for f in "$here"/*.service "$here"/*.timer; do
		sed "s|/usr/local/lib/almanac/backup-metrics.sh|$tmp/bin/backup-metrics.sh|" "$f" >"$tmp/units/$(basename "$f")"
	done
	v=$(cd "$tmp/units" && systemd-analyze verify --man=no ./*.service ./*.timer 2>&1) || { echo "$v" >&2; exit 1; }
	[ -z "$v" ] || { printf 'systemd-analyze verify:\n%s\n' "$v" >&2; exit 1; }
else
	echo "textfile/check.sh: systemd-analyze not found (apt-get install systemd)" >&2
	exit 1
fi
echo "textfile/check.sh: ok"
