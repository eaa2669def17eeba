#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of 'make demo': load firehose, serve echo and a small web site,
# drive them, show counters.
. /fh/lib.sh
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step insmod "$FH_MOD" || exit 1
step fhctl listener add echo 0.0.0.0:7777 --cpus 0 || exit 1
step fhctl listener add echo '[::]:7777' --cpus 0 || exit 1
step fhctl listener list || exit 1
step fhctl show settings || exit 1
echo
echo "# 32 connections, 64-byte messages, 3 seconds; client pinned to CPU 1,"
echo "# firehose's worker on CPU 0. Every byte is verified."
step fh_load -a 127.0.0.1 -p 7777 -c 32 -s 64 -d 1 -t 3 -C 1 || exit 1
echo "# 8 connections, 64 KiB messages: the payload goes back by page reference"
step fh_load -a 127.0.0.1 -p 7777 -c 8 -s 65536 -d 2 -t 2 -C 1 || exit 1
step fhctl stats --per-cpu || exit 1
step cat /proc/net/firehose/listeners || exit 1
step fhctl stats || exit 1
zc=$(awk '$1=="zerocopy_bytes"{print $2}' /proc/net/firehose/stats)
cp=$(awk '$1=="copied_bytes"{print $2}' /proc/net/firehose/stats)
echo "# zero-copy share of bytes sent: $zc of $((zc + cp))"

echo
echo "# A small site, served as the unprivileged nobody from a 16 MiB cache."
mkdir -p /srv/www/docs
cat >/srv/www/index.html <<'HTML'
<!doctype html>
<title>firehose</title>
<h1>Served from the kernel</h1>
<p>See <a href="/docs/">the docs</a>.</p>
HTML
echo '<h1>docs</h1>' >/srv/www/docs/index.html
head -c 4096 /dev/urandom >/srv/www/4k.bin
chmod -R a+rX /srv/www
step fhctl listener add http 0.0.0.0:8080 --root /srv/www --cache 16M --cpus 0 || exit 1
step fhctl listener list || exit 1
# Older than the cache's settling time (a file changed just now is streamed).
sleep 1
step curl -sS -i http://127.0.0.1:8080/ || exit 1
step curl -sS -i http://127.0.0.1:8080/docs || exit 1
step curl -sS -I http://127.0.0.1:8080/4k.bin || exit 1
step curl -sS -i -r 0-15 -o /dev/null -D - http://127.0.0.1:8080/4k.bin || exit 1
step curl -sS -i http://127.0.0.1:8080/../etc/passwd --path-as-is || exit 1
echo
echo "# wrk: 2 seconds, 16 keep-alive connections, the 4 KiB file; client on CPU 1"
step taskset -c 1 wrk -t1 -c16 -d2s http://127.0.0.1:8080/4k.bin || exit 1
step fhctl cache stats || exit 1
step fhctl stats || exit 1
step rmmod firehose || exit 1
echo "# unloaded cleanly"
exit 0
