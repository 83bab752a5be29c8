#!/usr/bin/env bash
# test-deps.sh installs what almanac's tests need when it is missing, and
# does nothing (quickly) when everything is already there. `make test` runs it.
#
#   - chromium: the headless browser of render's browser tests (Debian package
#     "chromium", installed with apt-get when we are root on Debian).
#   - test servers built from Go modules go into .tools/bin (see below).
#
# It exits non-zero, saying why and what to do, when something needed cannot
# be installed. Safe to run again and again.
set -euo pipefail

cd "$(dirname "$0")/.."

say() { printf 'test-deps: %s\n' "$*"; }
die() { printf 'test-deps: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------
# chromium (render/browser_test.go)
# ---------------------------------------------------------------------------

apt_updated=no

apt_update() {
	if [ "$apt_updated" = no ]; then
		say "apt-get update"
		apt-get update -qq || die "apt-get update failed; fix the package sources and re-run $0"
		apt_updated=yes
	fi
}

# has_candidate reports whether apt knows a version of package $1 to install.
has_candidate() {
	local cand
	cand=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2; exit}')
	[ -n "$cand" ] && [ "$cand" != "(none)" ]
}

install_chromium() {
	if [ "$(id -u)" != 0 ]; then
		die "chromium is not installed and we are not root: run 'sudo apt-get install chromium' (Debian/Ubuntu) or 'sudo $0', or install Chromium another way and put it on PATH as 'chromium'"
	fi
	if [ ! -r /etc/debian_version ] || ! command -v apt-get >/dev/null 2>&1; then
		die "chromium is not installed and this is not a Debian system with apt-get: install Chromium with the system's package manager and put it on PATH as 'chromium'"
	fi
	export DEBIAN_FRONTEND=noninteractive
	# Only refresh the package lists when apt does not know chromium (empty or
	# stale lists); a second attempt after an update covers lists that name a
	# version the mirror no longer has.
	if ! has_candidate chromium; then
		apt_update
	fi
	say "apt-get install chromium"
	if ! apt-get install -y -qq --no-install-recommends chromium; then
		[ "$apt_updated" = no ] || die "apt-get install chromium failed"
		apt_update
		apt-get install -y -qq --no-install-recommends chromium || die "apt-get install chromium failed"
	fi
	command -v chromium >/dev/null 2>&1 || die "chromium was installed but is not on PATH"
}

if ! command -v chromium >/dev/null 2>&1; then
	install_chromium
fi
say "chromium: $(command -v chromium)"

# ---------------------------------------------------------------------------
# The deployment examples' checks (examples/check.sh): nginx serves a site on
# 127.0.0.1, systemd-analyze verifies the units, setpriv (util-linux) proves
# the capabilities the sampler needs, curl asks nginx.
# ---------------------------------------------------------------------------

need_pkg() { # need_pkg COMMAND PACKAGE
	command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] && return 0
	[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 ||
		die "$1 is missing: install the package $2 (sudo apt-get install $2)"
	export DEBIAN_FRONTEND=noninteractive
	has_candidate "$2" || apt_update
	say "apt-get install $2"
	apt-get install -y -qq --no-install-recommends "$2" >/dev/null || die "apt-get install $2 failed"
}
need_pkg nginx nginx-light
need_pkg systemd-analyze systemd
need_pkg setpriv util-linux
need_pkg curl curl

# ---------------------------------------------------------------------------
# Go-built test servers, pinned, installed into .tools/bin (on PATH in the
# Makefile). Add each one here, in this form, so a fresh checkout gets the
# exact version and an existing one costs a single test -x:
#
#   if [ ! -x .tools/bin/NAME ]; then
#   	say "go install MODULE@VERSION"
#   	GOBIN="$PWD/.tools/bin" go install MODULE@VERSION || die "go install MODULE failed"
#   fi
#   say "NAME: $PWD/.tools/bin/NAME"
#
# The S3 test server (versitygw) is installed this way today by
# scripts/install-versitygw.sh, which make test-deps calls next; it can move
# here as one more block.
# ---------------------------------------------------------------------------
