#!/bin/sh
# dockerfile-check.sh: what can be checked of the Dockerfile without a
# Docker engine. It builds the binary the way the build stage does, from
# only the folders the Dockerfile copies (so a package missing from the
# COPY lines fails here), checks that the binary is static, then runs the
# image's CMD (with --once) and its HEALTHCHECK against this machine, with
# /host/proc, /host/sys and /host/rootfs replaced by /proc, /sys and /.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
df="$repo/Dockerfile"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/src" "$tmp/out"
cp "$repo/go.mod" "$repo/go.sum" "$tmp/src/"
for d in $(sed -n 's|^COPY \([a-z][a-z0-9_-]*\) \./\1$|\1|p' "$df"); do
	cp -R "$repo/$d" "$tmp/src/$d"
done
# The go build line of the build stage, as written.
build=$(sed -n 's|^RUN \(go build .*\) \\$|\1|p' "$df" | sed 's| &&.*||')
[ -n "$build" ] || {
	echo "dockerfile-check.sh: no 'RUN go build' line in $df" >&2
	exit 1
}
build=$(printf '%s\n' "$build" | sed -e 's|/out/|'"$tmp"'/out/|g' -e 's|\${VERSION}|dockerfile-check|')
(cd "$tmp/src" && env CGO_ENABLED=0 GOFLAGS=-trimpath GOWORK=off sh -c "$build")
bin="$tmp/out/almanac"
if readelf -l "$bin" 2>/dev/null | grep -q 'INTERP'; then
	echo "dockerfile-check.sh: $bin is dynamically linked; the scratch image cannot run it" >&2
	exit 1
fi
go version -m "$bin" | grep -q 'CGO_ENABLED=0' || {
	echo "dockerfile-check.sh: $bin was not built with CGO_ENABLED=0" >&2
	exit 1
}
"$bin" --version | grep -q dockerfile-check || {
	echo "dockerfile-check.sh: --version does not print the -X main.version value" >&2
	exit 1
}

# json_args KEYWORD: the JSON array of the CMD or HEALTHCHECK … CMD line
# (continuation lines joined), one argument per line, with the container
# paths mapped to this machine.
json_args() {
	awk -v kw="$1" '
		$0 ~ "^"kw" " { on = 1 }
		on { line = line $0; if ($0 !~ /\\$/) { print line; exit } ; sub(/\\$/, "", line) }
	' "$df" | sed 's/^[^[]*\[//; s/\].*$//' | tr ',' '\n' | sed 's/^[[:space:]]*"//; s/"[[:space:]]*$//' |
		sed -e "s|^/host/proc\$|/proc|" -e "s|^/host/sys\$|/sys|" -e "s|^/host/rootfs\$|/|" \
			-e "s|^/var/lib/almanac\$|$tmp/archive|" -e "s|^/almanac\$|$bin|"
}
set -- $(json_args CMD)
echo "dockerfile-check.sh: CMD: almanac $* --once --no-sync"
"$bin" "$@" --once --no-sync --log-level warn
set -- $(json_args HEALTHCHECK)
echo "dockerfile-check.sh: HEALTHCHECK: $*"
"$@"
echo "dockerfile-check.sh: the build stage builds a static binary; CMD and HEALTHCHECK run"
