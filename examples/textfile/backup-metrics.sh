#!/bin/sh
# backup-metrics.sh: write the age and size of the newest backup in
# BACKUP_DIR as custom metrics for almanac sample --textfile-dir.
#
# The file is written under a temporary name that starts with a dot (the
# sampler ignores it) and renamed into place: a rename is atomic, so the
# sampler reads either the old file or the new one, never half of one.
#
#   BACKUP_DIR    where the backups are (default /var/backups/db)
#   TEXTFILE_DIR  almanac's --textfile-dir (default /var/lib/almanac/textfile)
set -eu
backup_dir=${BACKUP_DIR:-/var/backups/db}
out_dir=${TEXTFILE_DIR:-/var/lib/almanac/textfile}
mkdir -p "$out_dir"
tmp="$out_dir/.backup.prom.$$"
trap 'rm -f "$tmp"' EXIT

now=$(date +%s)
newest=""
files=0
for f in "$backup_dir"/*; do
	[ -f "$f" ] || continue
	files=$((files + 1))
	if [ -z "$newest" ] || [ "$f" -nt "$newest" ]; then
		newest=$f
	fi
done

{
	echo "# HELP backup_files Backup files in the backup directory."
	echo "# TYPE backup_files gauge"
	echo "backup_files $files"
	if [ -n "$newest" ]; then
		mtime=$(stat -c %Y "$newest")
		size=$(stat -c %s "$newest")
		echo "# HELP backup_age_seconds Seconds since the newest backup was written."
		echo "# TYPE backup_age_seconds gauge"
		echo "backup_age_seconds $((now - mtime))"
		echo "# HELP backup_size_bytes Size of the newest backup."
		echo "# TYPE backup_size_bytes gauge"
		echo "backup_size_bytes $size"
	fi
} >"$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$out_dir/backup.prom"
