#!/bin/sh
# test.sh: run nginx with almanac.conf on 127.0.0.1 over a small site and
# check what a browser gets: gzip for html, js, css and json; a long cache
# for assets/, a short one for pages; 404 for dot files and missing pages.
#
# Needs nginx (apt-get install nginx-light) and curl. It starts its own
# nginx master in a scratch prefix and stops it (by its pid) on exit.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
for c in nginx curl; do
	command -v "$c" >/dev/null 2>&1 || {
		echo "test.sh: $c not found (apt-get install nginx-light curl)" >&2
		exit 1
	}
done
tmp=$(mktemp -d)
pidfile="$tmp/nginx.pid"
stop() {
	if [ -s "$pidfile" ]; then
		kill -QUIT "$(cat "$pidfile")" 2>/dev/null || true
		i=0
		while [ -e "$pidfile" ] && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
	rm -rf "$tmp"
}
trap stop EXIT
chmod 0755 "$tmp"

# A site shaped like almanac render's output; large enough to be worth
# compressing (gzip_min_length 1024).
site="$tmp/site"
mkdir -p "$site/assets" "$site/host/web1" "$site/.site-tmp"
filler=$(awk 'BEGIN { for (i = 0; i < 200; i++) printf "almanac keeps the history of hosts. " }')
printf '<!doctype html><title>fleet</title><p>%s</p>\n' "$filler" >"$site/index.html"
printf '<!doctype html><title>web1</title><p>%s</p>\n' "$filler" >"$site/host/web1/index.html"
printf 'var a = "%s";\n' "$filler" >"$site/assets/echarts.min.js"
printf 'body { content: "%s"; }\n' "$filler" >"$site/assets/site.css"
printf '{"note": "%s"}\n' "$filler" >"$site/assets/data.json"
echo secret >"$site/.site-tmp/index.html"
chmod -R a+rX "$site"

port=""
for p in 18080 18081 18082 28080 38080; do
	sed -e "s|listen 80;|listen 127.0.0.1:$p;|" -e '/listen \[::\]:80;/d' \
		-e "s|root /var/www/almanac/site;|root $site;|" "$here/almanac.conf" >"$tmp/almanac.conf"
	cat >"$tmp/nginx.conf" <<CONF
worker_processes 1;
pid $pidfile;
error_log $tmp/error.log;
events { worker_connections 64; }
http {
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	access_log off;
	client_body_temp_path $tmp/body;
	proxy_temp_path $tmp/proxy;
	fastcgi_temp_path $tmp/fastcgi;
	uwsgi_temp_path $tmp/uwsgi;
	scgi_temp_path $tmp/scgi;
	include $tmp/almanac.conf;
}
CONF
	nginx -t -q -p "$tmp" -e "$tmp/error.log" -c "$tmp/nginx.conf"
	if nginx -p "$tmp" -e "$tmp/error.log" -c "$tmp/nginx.conf" 2>"$tmp/start.log"; then
		port=$p
		break
	fi
done
if [ -z "$port" ]; then
	echo "test.sh: nginx did not start:" >&2
	cat "$tmp/start.log" "$tmp/error.log" >&2
	exit 1
fi

fail=0
# check PATH STATUS ENCODING CACHE-CONTROL: fetch PATH as a browser would
# and compare the status, Content-Encoding and Cache-Control.
check() {
	hdr=$(curl -s -o "$tmp/body.out" -D - -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port$1" | tr -d '\r')
	status=$(printf '%s\n' "$hdr" | sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p')
	enc=$(printf '%s\n' "$hdr" | sed -n 's/^[Cc]ontent-[Ee]ncoding: //p')
	cc=$(printf '%s\n' "$hdr" | sed -n 's/^[Cc]ache-[Cc]ontrol: //p')
	if [ "$status" != "$2" ] || [ "$enc" != "$3" ] || [ "$cc" != "$4" ]; then
		echo "FAIL $1: got status=$status encoding=$enc cache-control=$cc; want $2 $3 $4" >&2
		fail=1
		return
	fi
	echo "ok   $1: $status ${enc:-identity} $cc"
}
page="public, max-age=60, must-revalidate"
asset="public, max-age=2592000"
check / 200 gzip "$page"
check /index.html 200 gzip "$page"
check /host/web1/ 200 gzip "$page"
check /assets/echarts.min.js 200 gzip "$asset"
check /assets/site.css 200 gzip "$asset"
check /assets/data.json 200 gzip "$asset"
check /assets/missing.js 404 "" "$asset"
check /nope.html 404 "" "$page"
check /.site-tmp/index.html 404 "" ""
# A folder without index.html: forbidden, not listed.
check /host/ 403 "" "$page"

# The compressed page must be the page.
curl -s --compressed "http://127.0.0.1:$port/host/web1/" >"$tmp/got.html"
if ! cmp -s "$tmp/got.html" "$site/host/web1/index.html"; then
	echo "FAIL /host/web1/: the decompressed body differs from the file" >&2
	fail=1
fi
if [ $fail -ne 0 ]; then
	exit 1
fi
echo "test.sh: almanac.conf serves the site as intended"
