#!/bin/sh
# check.sh: run every check of the deployment examples. Needs systemd
# (systemd-analyze, systemd-sysusers), nginx-light, curl and Go.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
"$here/systemd/verify.sh"
"$here/nginx/test.sh"
"$here/check-flags.sh"
"$here/dockerfile-check.sh"
"$here/textfile/check.sh"
