#!/bin/sh
# verify.sh: check the example units with systemd-analyze verify, and the
# sysusers file with systemd-sysusers in a scratch root.
#
# systemd-analyze checks that ExecStart= names an executable, so the units
# are copied to a scratch folder with /usr/local/bin/almanac replaced by a
# stand-in executable. Nothing is installed or started.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "verify.sh: systemd-analyze not found (apt-get install systemd)" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/units" "$tmp/bin"
printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/almanac"
chmod 0755 "$tmp/bin/almanac"
for f in "$here"/*.service "$here"/*.timer; do
	sed "s|/usr/local/bin/almanac|$tmp/bin/almanac|g" "$f" >"$tmp/units/$(basename "$f")"
done
# verify prints findings on stderr and may still exit 0: any output fails.
out=$(cd "$tmp/units" && systemd-analyze verify --man=no ./*.service ./*.timer 2>&1) || {
	printf '%s\n' "$out" >&2
	exit 1
}
if [ -n "$out" ]; then
	printf 'systemd-analyze verify:\n%s\n' "$out" >&2
	exit 1
fi
# Each timer must fire every 5 minutes.
for t in "$here"/*.timer; do
	cal=$(sed -n 's/^OnCalendar=//p' "$t")
	prev=""
	n=0
	for at in $(TZ=UTC systemd-analyze calendar --iterations=4 "$cal" |
		sed -n 's/^ *\(Next elapse\|Iter\. #[0-9]*\): //p' |
		while read -r when; do date -u -d "$when" +%s; done); do
		if [ -n "$prev" ] && [ $((at - prev)) -ne 300 ]; then
			echo "verify.sh: $(basename "$t"): OnCalendar=$cal does not fire every 5 minutes" >&2
			exit 1
		fi
		prev=$at
		n=$((n + 1))
	done
	if [ "$n" -ne 4 ]; then
		echo "verify.sh: $(basename "$t"): OnCalendar=$cal: read $n elapses, want 4" >&2
		exit 1
	fi
done
# The hardening must stay: systemd's own exposure score (0 best, 10 worst)
# of each service must be at most 2.0.
for f in "$tmp"/units/*.service; do
	score=$(systemd-analyze security --offline=true --no-pager "$f" 2>/dev/null |
		sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
	if [ -z "$score" ] || ! awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
		echo "verify.sh: $(basename "$f"): exposure level ${score:-unknown}, want at most 2.0 (systemd-analyze security --offline=true)" >&2
		exit 1
	fi
	echo "verify.sh: $(basename "$f"): exposure level $score"
done
# The capabilities almanac-sample.service grants must be what reading
# /proc/<pid>/io of another user's process takes: as an unprivileged user,
# the unit's set must do, and the set less any one of them must not.
caps=$(sed -n 's/^AmbientCapabilities=//p' "$here/almanac-sample.service")
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null 2>&1; then
	echo "verify.sh: not checked: the capabilities for /proc/<pid>/io (needs root and setpriv)" >&2
	exit 1
fi
# setpriv spells CAP_SYS_PTRACE as +sys_ptrace.
setcaps() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n 's/^CAP_\(.*\)$/+\1/p' | tr 'A-Z' 'a-z' | paste -sd, -; }
read_io() { # read_io CAPS PID: read /proc/PID/io as nobody with CAPS (setpriv syntax, may be empty)
	if [ -n "$1" ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps="$1" --ambient-caps="$1" cat "/proc/$2/io" >/dev/null 2>&1
	else
		setpriv --reuid=65534 --regid=65534 --clear-groups cat "/proc/$2/io" >/dev/null 2>&1
	fi
}
sleep 60 &
target=$!
ok=1
if read_io "" "$target"; then
	echo "verify.sh: nobody read /proc/<pid>/io of a root process with no capability; the unit's comment is wrong here" >&2
	ok=0
fi
for c in $caps; do
	others=$(printf '%s\n' $caps | grep -vx "$c" | paste -sd' ' -)
	if read_io "$(setcaps "$others")" "$target"; then
		echo "verify.sh: ${others:-no capability} is enough to read /proc/<pid>/io; $c is not needed" >&2
		ok=0
	fi
done
if ! read_io "$(setcaps "$caps")" "$target"; then
	echo "verify.sh: AmbientCapabilities=$caps does not let the sampler read /proc/<pid>/io of other users" >&2
	ok=0
fi
kill "$target"
wait "$target" 2>/dev/null || true
[ $ok -eq 1 ] || exit 1
echo "verify.sh: AmbientCapabilities=$caps is what reading other users' /proc/<pid>/io takes"
mkdir -p "$tmp/root/etc"
: >"$tmp/root/etc/passwd"
: >"$tmp/root/etc/group"
systemd-sysusers --root="$tmp/root" "$here/almanac.sysusers.conf" >"$tmp/sysusers.log" 2>&1 || {
	cat "$tmp/sysusers.log" >&2
	exit 1
}
grep -q '^almanac:' "$tmp/root/etc/passwd" || {
	echo "verify.sh: almanac.sysusers.conf created no almanac user" >&2
	exit 1
}
echo "verify.sh: $(ls "$here"/*.service "$here"/*.timer | wc -l) units and the sysusers file are valid"
