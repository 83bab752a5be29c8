#!/bin/sh
# check-flags.sh: every almanac command line in the examples (the systemd
# units' ExecStart/ExecStartPost, compose.yaml's command, the Kubernetes
# manifests' args, the Dockerfile's CMD and HEALTHCHECK) names a command
# and flags that the almanac built from this tree knows, per
# `almanac <command> --help`.
#
# ALMANAC=path/to/almanac uses that binary instead of building one.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=${ALMANAC:-}
if [ -z "$bin" ]; then
	bin="$tmp/almanac"
	(cd "$repo" && go build -o "$bin" ./cmd/almanac)
fi

# Each command line, one per line: "file: <command> <args…>".
{
	for f in "$here"/systemd/*.service; do
		sed -n 's|^ *#* *ExecStart\(Post\)\{0,1\}=/usr/local/bin/almanac \(.*\)$|'"$(basename "$f")"': \2|p' "$f"
	done
	# compose.yaml: the list under "command:".
	awk '/^ *command:/ { on = 1; next } on && /^ *- / { sub(/^ *- /, ""); printf "%s ", $0; next } on { exit }' \
		"$here/compose.yaml" | sed 's|^|compose.yaml: |; s| $||'
	echo
	# Kubernetes manifests: each container's args list, on one line.
	for f in "$here"/k8s/*.yaml; do
		sed -n 's|^ *args: *\[\(.*\)\] *$|\1|p' "$f" | sed 's/"//g; s/, */ /g; s|^|'"$(basename "$f")"': |'
	done
	for kw in CMD HEALTHCHECK; do
		awk -v kw="$kw" '
			$0 ~ "^"kw" " { on = 1 }
			on { line = line $0; if ($0 !~ /\\$/) { print line; exit } ; sub(/\\$/, "", line) }
		' "$repo/Dockerfile" | sed 's/^[^[]*\[//; s/\].*$//; s/"//g; s/,/ /g; s|^ */almanac ||' | sed "s|^|Dockerfile $kw: |"
	done
} | grep -v '^$' >"$tmp/lines"

fail=0
n=0
while IFS= read -r line; do
	where=${line%%: *}
	args=${line#*: }
	set -- $args
	cmd=$1
	shift
	if ! "$bin" "$cmd" --help >"$tmp/help" 2>"$tmp/err"; then
		echo "FAIL $where: almanac $cmd: not a command ($(head -1 "$tmp/err"))" >&2
		fail=1
		continue
	fi
	sub=""
	for a in "$@"; do
		case $a in
		--*)
			flag=${a%%=*}
			if ! grep -q -- "^ *\(-[a-z], \)\{0,1\}$flag[ =\[]" "$tmp/help"; then
				echo "FAIL $where: almanac $cmd${sub:+ $sub} has no flag $flag" >&2
				fail=1
			fi
			n=$((n + 1))
			;;
		esac
	done
done <"$tmp/lines"
if [ "$(wc -l <"$tmp/lines")" -lt 5 ]; then
	echo "check-flags.sh: found only $(wc -l <"$tmp/lines") command lines; the parsing is broken" >&2
	exit 1
fi
[ $fail -eq 0 ] || exit 1
echo "check-flags.sh: $(wc -l <"$tmp/lines") command lines, $n flags: all known to almanac"
