#!/bin/sh
# install-versitygw.sh installs the S3-compatible test server used by the site
# package's tests (github.com/versity/versitygw, posix backend) into
# .tools/bin/versitygw when it is missing. It builds from the Go module proxy:
# no prebuilt binary is downloaded. (The module root holds no main package:
# the command lives in cmd/versitygw.)
set -eu

cd "$(dirname "$0")/.."
if [ -x .tools/bin/versitygw ]; then
	exit 0
fi
mkdir -p .tools/bin
echo "installing versitygw v1.8.0 into .tools/bin (go install) ..."
GOBIN="$PWD/.tools/bin" go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
