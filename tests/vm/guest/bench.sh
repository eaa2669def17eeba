#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of 'make bench': bench.sh SECONDS REPS SERVER_CPUS ONLY, where
# SERVER_CPUS 0 means half and ONLY is all, echo or http. Servers run on the
# first SERVER_CPUS CPUs, the client on the rest; every server sees the same
# client, rows and duration.
# Results go to the report channel as lines the host turns into tables:
#   ROW <row> <server> <msgs_per_s> <p50_us> <p99_us> <server_cpu_us_per_msg> <server_cpu_util%> <client_cpu_us_per_msg> <polled_us_per_msg>
#   SCALE <server> <idle_conns> <msgs_per_s> <p99_us> <fh_bytes_per_conn>
#   PROFILE <server> <depth> <busy%> <own%> <floor%> <polling%> then PROFILE sym:<symbol> <percent>
#   HROW <row> <server> <req_per_s> <p50_us> <p99_us> <server_cpu_us_per_req> <server_cpu_util%> <client_cpu_us_per_req> <polled_us_per_req> <socket_errors> <non_2xx_3xx>
#   HSTAT <firehose counter> <its increase over the http rows>
#   HCACHE <fhctl cache stats -j>
#   SLOW <server> <clients> <bytes_per_s> <server_cpu_us_per_MB> <server_cpu_util%> <own_bytes_per_client> <tcp_bytes_per_client> <memavail_bytes_per_client> <exit_status> <slowest_client_bytes_per_s>
. /fh/lib.sh
secs=${1:-4}
reps=${2:-3}
ncpu=$(grep -c '^processor' /proc/cpuinfo)
only=${4:-all}
# Server CPUs: the first $3 (default half); the client gets the rest.
half=${3:-0}
[ "$half" -gt 0 ] || half=$((ncpu / 2))
[ "$half" -lt "$ncpu" ] || half=$((ncpu - 1))
[ "$half" -ge 1 ] || half=1
scpus="0-$((half - 1))"
ccpus="$half-$((ncpu - 1))"
[ "$ncpu" -ge 2 ] || ccpus=0
FH_PORT=7777
EP_PORT=7778
UR_PORT=7779
FH_HTTP_PORT=8080
NG_PORT=8081
echo "bench: $ncpu CPUs: servers on $scpus, client on $ccpus, ${secs}s per run, $reps repetitions"

# Busy jiffies of the server CPUs, total jiffies of the server CPUs, busy
# jiffies of the client CPUs (from /proc/stat), and the microseconds
# firehose's workers spent polling for work (its polled_us counter).
sample() {
	awk -v half="$half" '
		FNR == 1 { file++ }
		file == 1 && /^cpu[0-9]/ { n = substr($1, 4) + 0; b = $2 + $3 + $4 + $7 + $8 + $9
			if (n < half) { sb += b; sa += b + $5 + $6 } else { cb += b } }
		file == 2 && $1 == "polled_us" { polled = $2 }
		END { print sb, sa, cb, polled + 0 }' /proc/stat /proc/net/firehose/stats
}

# run_row ROW SERVER PORT CONNS SIZE DEPTH
run_row() {
	before=$(sample)
	out=$(fh_load -a 127.0.0.1 -p "$3" -c "$4" -s "$5" -d "$6" -t "$secs" -C "$ccpus") || {
		echo "bench: $1 $2 failed"; return 1; }
	after=$(sample)
	echo "$1 $2: $out"
	msgs=$(echo "$out" | sed -n 's/.* msgs=\([0-9]*\).*/\1/p')
	rate=$(echo "$out" | sed -n 's/.*msgs_per_s=\([0-9]*\).*/\1/p')
	p50=$(echo "$out" | sed -n 's/.*p50_us=\([0-9.]*\).*/\1/p')
	p99=$(echo "$out" | sed -n 's/.*p99_us=\([0-9.]*\).*/\1/p')
	# USER_HZ is 100: a jiffy of /proc/stat is 10 ms. Polling is firehose
	# spinning while it waits for work; the userspace servers have none.
	report "ROW $1 $2 $rate $p50 $p99 $(echo "$before $after" | awk -v m="$msgs" -v server="$2" '{
		sb = $5 - $1; sa = $6 - $2; cb = $7 - $3; pu = server == "firehose" ? $8 - $4 : 0
		printf "%.2f %.0f %.2f %.2f", m ? sb * 10000 / m : 0, sa ? 100 * sb / sa : 0,
			m ? cb * 10000 / m : 0, m ? pu / m : 0 }')"
}

ROWS="64B_d1_c32:32:64:1 64B_d16_c32:32:64:16 4KiB_d1_c32:32:4096:1 64KiB_d1_c32:32:65536:1 64B_d1_c1000:1000:64:1"

# The echo table: firehose against the epoll and io_uring reference servers,
# then the profile and the idle crowds.
bench_echo() {
	fhctl listener add echo 127.0.0.1:$FH_PORT --cpus "$scpus" || exit 1
	epoll_echo -p $EP_PORT -a 127.0.0.1 -C "$scpus" &
	ep_pid=$!
	uring_echo -p $UR_PORT -a 127.0.0.1 -C "$scpus" &
	ur_pid=$!
	sleep 1

	# Repetitions interleave the servers, so drift under emulation hits both alike.
	rep=1
	while [ $rep -le "$reps" ]; do
		for r in $ROWS; do
			IFS=: read -r name c s d <<EOF2
$r
EOF2
			run_row "$name" firehose $FH_PORT "$c" "$s" "$d"
			run_row "$name" epoll $EP_PORT "$c" "$s" "$d"
			run_row "$name" uring $UR_PORT "$c" "$s" "$d"
		done
		rep=$((rep + 1))
	done
	kill $ep_pid $ur_pid
	wait $ep_pid $ur_pid 2>/dev/null

	# Profile: where the server CPUs spend each server's 64-byte runs, with call
	# graphs. "floor" is what any server must spend to answer over TCP: sending
	# the segment (tcp_write_xmit, which on loopback also carries the client's
	# receive) and allocating it (tcp_stream_alloc_skb); "own" is firehose's fh_*
	# functions, and "polling" the part of them spent spinning for work.
	profile() { # profile SERVER PORT DEPTH
		before=$(sample)
		perf record -q -g -e cpu-clock -C "$scpus" -o /tmp/perf.data -- \
			fh_load -a 127.0.0.1 -p "$2" -c 32 -s 64 -d "$3" -t "$secs" -C "$ccpus" >/dev/null 2>&1
		after=$(sample)
		perf report -i /tmp/perf.data --stdio --no-children --sort sym 2>/dev/null |
			grep -E '^ +[0-9.]+%' >/tmp/perf.self
		perf report -i /tmp/perf.data --stdio --children --sort sym 2>/dev/null |
			grep -E '^ +[0-9.]+% +[0-9.]+%' >/tmp/perf.children
		# Polling share of the server CPUs' time, from firehose's polled_us.
		polling=$(echo "$before $after" | awk -v server="$1" '{ sa = $6 - $2
			printf "%.2f", (server == "firehose" && sa > 0) ? 100 * ($8 - $4) / (sa * 10000) : 0 }')
		awk -v server="$1" -v depth="$3" -v polling="$polling" '
			FNR == 1 { file++ }
			{ gsub("%", "") }
			file == 1 && $NF ~ /^fh_/ { fh += $1 }
			file == 1 && $NF ~ /safe_halt|default_idle|acpi_idle|cpu_idle|poll_idle/ { idle += $1 }
			file == 2 && ($NF == "tcp_write_xmit" || $NF == "tcp_stream_alloc_skb") { floor += $1 }
			END { busy = 100 - idle
				printf "PROFILE %s %s %.2f %.2f %.2f %.2f\n", server, depth, busy,
					(busy > 0 ? 100 * fh / busy : 0), (busy > 0 ? 100 * floor / busy : 0),
					(busy > 0 ? 100 * polling / busy : 0) }' \
			/tmp/perf.self /tmp/perf.children >>"$FH_REPORT"
		if [ "$1" = firehose ] && [ "$3" = 1 ]; then
			awk '{ gsub("%", "", $1); print "PROFILE sym:" $NF " " $1 }' /tmp/perf.self | head -n 20 >>"$FH_REPORT"
			grep ' fh_' /tmp/perf.self | head -n 12
		fi
	}
	epoll_echo -p $EP_PORT -a 127.0.0.1 -C "$scpus" &
	ep_pid=$!
	uring_echo -p $UR_PORT -a 127.0.0.1 -C "$scpus" &
	ur_pid=$!
	sleep 1
	echo "bench: profiling the servers (perf, call graphs)"
	for depth in 1 16; do
		profile firehose $FH_PORT $depth
		profile epoll $EP_PORT $depth
		profile uring $UR_PORT $depth
	done
	kill $ep_pid $ur_pid
	wait $ep_pid $ur_pid 2>/dev/null

	# Scale: each server's 64-byte test while it also holds an idle crowd.
	sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
	epoll_echo -p $EP_PORT -a 127.0.0.1 -C "$scpus" &
	ep_pid=$!
	uring_echo -p $UR_PORT -a 127.0.0.1 -C "$scpus" &
	ur_pid=$!
	sleep 1
	for server in firehose epoll uring; do
		port=$FH_PORT
		[ $server = epoll ] && port=$EP_PORT
		[ $server = uring ] && port=$UR_PORT
		for n in 0 10000 100000; do
			if [ "$n" -gt 0 ]; then
				rm -f /tmp/idle.ready
				taskset -c "$ccpus" fh_idle -a 127.0.0.1 -p $port -n "$n" \
					-b 127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5 -t 3600 -r /tmp/idle.ready &
				idle_pid=$!
				i=0
				while [ ! -e /tmp/idle.ready ] && [ $i -lt 1200 ] && kill -0 $idle_pid 2>/dev/null; do
					sleep 1; i=$((i + 1))
				done
				[ -e /tmp/idle.ready ] || { echo "bench: could not open $n idle connections"; kill $idle_pid; continue; }
			fi
			active=$(awk '$1=="active"{print $2}' /proc/net/firehose/stats)
			conn_bytes=$(awk '$1=="fh_conn"{print $3 * $4}' /proc/slabinfo)
			seg_bytes=$(awk '$1=="fh_seg"{print $3 * $4}' /proc/slabinfo)
			# As many runs beside the same crowd as the rows had; the median counts.
			: >/tmp/scale.runs
			run=0
			while [ $run -lt "$reps" ]; do
				run=$((run + 1))
				out=$(fh_load -a 127.0.0.1 -p $port -c 32 -s 64 -d 1 -t "$secs" -C "$ccpus") ||
					echo "bench: scale run failed"
				echo "scale $server $n idle (firehose active $active, fh_conn slab ${conn_bytes}B, fh_seg slab ${seg_bytes}B): $out"
				echo "$out" | sed -n 's/.*msgs_per_s=\([0-9]*\).*p99_us=\([0-9.]*\).*/\1 \2/p' >>/tmp/scale.runs
			done
			set -- $(sort -n /tmp/scale.runs | sed -n "$(( ($(wc -l </tmp/scale.runs) + 1) / 2 ))p")
			rate=${1:-0}
			p99=${2:-0}
			per=0
			[ $server = firehose ] && per=$(awk -v a="$active" -v c="$conn_bytes" -v s="$seg_bytes" \
				'BEGIN { printf "%.0f", (a > 32 ? (c + s) / a : 0) }')
			report "SCALE $server $n $rate $p99 $per"
			[ "$n" -gt 0 ] && { kill $idle_pid; wait $idle_pid 2>/dev/null; }
			# The crowd's teardown (the server closing its side) must be over
			# before the next run: on the server CPUs it would slow that run.
			# Over means the TCP sockets in use stopped going down for 2 s
			# (some may stay: a FIN lost to a full backlog under emulation).
			i=0
			last=-1
			now=$(awk '$1 == "TCP:" { print $3 }' /proc/net/sockstat)
			while [ "$now" != "$last" ] && [ $i -lt 120 ]; do
				last=$now
				sleep 2; i=$((i + 2))
				now=$(awk '$1 == "TCP:" { print $3 }' /proc/net/sockstat)
			done
			[ "$now" -le 100 ] || echo "bench: $now TCP sockets still in use ${i}s after the idle crowd left"
			sleep 2
		done
	done
	kill $ep_pid $ur_pid
}

# The http table: firehose's http listener against nginx, tuned as a user
# would tune it, on the same server CPUs, both driven by wrk (a thread per
# client CPU, pinned to them) for the same files.
nclient=$((ncpu - half))
[ "$nclient" -ge 1 ] || nclient=1
HTTP_ROWS="512B_ka_c32:512.bin:32:ka 4KiB_ka_c32:4k.bin:32:ka 64KiB_ka_c32:64k.bin:32:ka 1MiB_ka_c32:1m.bin:32:ka 512B_close_c32:512.bin:32:close"

# nginx.conf for the server CPUs: a worker per CPU, each bound to its own,
# each with its own SO_REUSEPORT listener; sendfile, an open-file cache, no
# access log, keep-alive connections that last the whole run.
nginx_conf() {
	affinity=
	i=0
	while [ $i -lt "$half" ]; do
		mask=1
		j=0
		while [ $j -lt $i ]; do mask=${mask}0; j=$((j + 1)); done
		affinity="$affinity $mask"
		i=$((i + 1))
	done
	cat <<EOF3
user nobody nogroup;
worker_processes $half;
worker_cpu_affinity$affinity;
worker_rlimit_nofile 1048576;
pid /run/nginx.pid;
error_log /var/log/nginx/error.log warn;
events {
	worker_connections 65536;
}
http {
	sendfile on;
	tcp_nopush on;
	tcp_nodelay on;
	open_file_cache max=10000 inactive=60s;
	open_file_cache_valid 60s;
	access_log off;
	keepalive_requests 100000;
	keepalive_timeout 75s;
	default_type application/octet-stream;
	server {
		listen 127.0.0.1:$NG_PORT reuseport;
		root /srv/www;
	}
}
EOF3
}

# wrk's latencies come with units (917.00us, 1.23ms, 2.00s): to microseconds.
wrk_us() {
	awk -v p="$1" '/Latency Distribution/ { d = 1 }
		d && $1 == p { v = $2; x = v + 0
			if (v ~ /us$/) {} else if (v ~ /ms$/) x *= 1000
			else if (v ~ /[0-9]s$/) x *= 1000000
			else if (v ~ /m$/) x *= 60000000
			printf "%.1f", x; exit }'
}

# http_row ROW SERVER PORT CONNS FILE ka|close
http_row() {
	before=$(sample)
	# wrk reconnects after each response that says Connection: close, and
	# counts each such request: a new connection per request.
	if [ "$6" = close ]; then
		out=$(taskset -c "$ccpus" wrk -t"$nclient" -c"$4" -d"${secs}s" --timeout 10s --latency \
			-H 'Connection: close' "http://127.0.0.1:$3/$5" 2>&1)
	else
		out=$(taskset -c "$ccpus" wrk -t"$nclient" -c"$4" -d"${secs}s" --timeout 10s --latency \
			"http://127.0.0.1:$3/$5" 2>&1)
	fi || { echo "bench: http $1 $2: wrk failed: $out"; return 1; }
	after=$(sample)
	reqs=$(echo "$out" | awk '/ requests in / { print $1 }')
	rate=$(echo "$out" | awk '$1 == "Requests/sec:" { printf "%.0f", $2 }')
	p50=$(echo "$out" | wrk_us 50%)
	p99=$(echo "$out" | wrk_us 99%)
	errs=$(echo "$out" | awk '/Socket errors:/ { gsub(",", ""); e = $4 + $6 + $8 + $10 } END { print e + 0 }')
	non2xx=$(echo "$out" | awk '/Non-2xx or 3xx responses:/ { n = $NF } END { print n + 0 }')
	echo "http $1 $2: reqs=${reqs:-0} req_per_s=${rate:-0} p50_us=$p50 p99_us=$p99 socket_errors=$errs non_2xx=$non2xx"
	# Errors are the finding, not noise: show wrk's own account of them.
	[ "$errs" = 0 ] && [ "$non2xx" = 0 ] || echo "$out" | sed 's/^/bench: wrk: /'
	report "HROW $1 $2 ${rate:-0} ${p50:-0} ${p99:-0} $(echo "$before $after" | awk -v m="${reqs:-0}" -v server="$2" '{
		sb = $5 - $1; sa = $6 - $2; cb = $7 - $3; pu = server == "firehose" ? $8 - $4 : 0
		printf "%.2f %.0f %.2f %.2f", m ? sb * 10000 / m : 0, sa ? 100 * sb / sa : 0,
			m ? cb * 10000 / m : 0, m ? pu / m : 0 }') $errs $non2xx"
}

# Memory the slow clients cost: the server's own (firehose: its slabs,
# fh_conn, fh_seg, fh_http_conn, http_req and fh_source; nginx: its
# processes' resident memory), TCP buffers (both ends: loopback) and the
# drop in MemAvailable (everything).
slow_mem() {
	own=0
	if [ "$1" = firehose ]; then
		own=$(awk '$1 ~ /^(fh_conn|fh_seg|fh_http_conn|http_req|fh_source)$/ { b += $3 * $4 } END { print b + 0 }' /proc/slabinfo)
	else
		for p in $(pidof nginx); do
			own=$((own + $(awk '$1 == "VmRSS:" { print $2 * 1024 }' /proc/$p/status)))
		done
	fi
	echo "$own $(awk '$1 == "TCP:" { print $NF * 4096 }' /proc/net/sockstat) $(awk '$1 == "MemAvailable:" { print $2 * 1024 }' /proc/meminfo)"
}

# slow_run SERVER PORT: Kegel's second test, $SLOW_N clients each reading
# 1m.bin at $SLOW_RATE bytes/s for the run's seconds (at least 5).
SLOW_N=1000
SLOW_RATE=10000
slow_run() {
	t=$secs
	[ "$t" -ge 5 ] || t=5
	rm -f /tmp/slow.ready
	m0=$(slow_mem "$1")
	taskset -c "$ccpus" fh_slow -a 127.0.0.1 -p "$2" -n $SLOW_N -u /1m.bin -r $SLOW_RATE -t "$t" \
		-R /tmp/slow.ready >/tmp/slow.out 2>/tmp/slow.err &
	pid=$!
	i=0
	while [ ! -e /tmp/slow.ready ] && [ $i -lt 600 ] && kill -0 $pid 2>/dev/null; do
		sleep 0.2; i=$((i + 1))
	done
	# Measure once the server has accepted them all: its listeners' accept
	# queues (rx_queue of the LISTEN sockets in /proc/net/tcp) are empty.
	hex=$(printf '%04X' "$2")
	i=0
	while [ $i -lt 300 ] && [ "$(awk -v p=":$hex" 'NR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p {
		split($5, q, ":"); n += ("0x" q[2]) + 0 } END { print n + 0 }' /proc/net/tcp)" != 0 ]; do
		sleep 0.1; i=$((i + 1))
	done
	echo "bench: slow $1: accept queues empty $((i / 10)).$((i % 10)) s after the clients connected"
	before=$(sample)
	sleep 1
	m1=$(slow_mem "$1")
	[ "$1" = firehose ] && echo "bench: slow firehose: $(awk '$1 == "active"' /proc/net/firehose/stats) connections"
	[ "$1" = firehose ] && grep -E '^(fh_conn|fh_seg|fh_http_conn|http_req|fh_source) ' /proc/slabinfo |
		awk '{ print "bench: slow firehose slab " $1 ": " $2 " objects of " $4 " B" }'
	sleep $((t - 1))
	after=$(sample)
	wait $pid
	st=$?
	out=$(cat /tmp/slow.out)
	echo "http slow $1: $out (exit $st)"
	[ -s /tmp/slow.err ] && head -n 5 /tmp/slow.err | sed 's/^/bench: fh_slow: /'
	bytes=$(echo "$out" | sed -n 's/.*rate_Bps=\([0-9]*\).*/\1/p')
	least=$(echo "$out" | sed -n 's/.*per_client_min_Bps=\([0-9]*\).*/\1/p')
	report "SLOW $1 $SLOW_N ${bytes:-0} $(echo "$before $after $m0 $m1" | awk -v n=$SLOW_N -v r="${bytes:-0}" -v t="$t" '{
		sb = $5 - $1; sa = $6 - $2; mb = r * t / 1048576
		printf "%.1f %.0f %.0f %.0f %.0f", mb ? sb * 10000 / mb : 0, sa ? 100 * sb / sa : 0,
			($12 - $9) / n, ($13 - $10) / n, ($11 - $14) / n }') $st ${least:-0}"
	# Let the closed connections go before the next server is timed.
	sleep 2
}

fh_counters() {
	awk 'NF == 2 && $2 ~ /^[0-9]+$/ { print $1, $2 } NF != 2 { exit }' /proc/net/firehose/stats
}

bench_http() {
	mkdir -p /srv/www /var/lib/nginx /var/log/nginx /var/lock
	dd if=/dev/urandom of=/srv/www/512.bin bs=512 count=1 2>/dev/null
	dd if=/dev/urandom of=/srv/www/4k.bin bs=4096 count=1 2>/dev/null
	dd if=/dev/urandom of=/srv/www/64k.bin bs=65536 count=1 2>/dev/null
	dd if=/dev/urandom of=/srv/www/1m.bin bs=1048576 count=1 2>/dev/null
	# Both servers open the files as nobody.
	chmod 0755 /srv /srv/www
	chmod 0644 /srv/www/*
	fhctl listener add http 127.0.0.1:$FH_HTTP_PORT --root /srv/www --user nobody --cache 256M \
		--cpus "$scpus" || exit 1
	nginx_conf >/tmp/nginx.conf
	taskset -c "$scpus" nginx -c /tmp/nginx.conf || { cat /var/log/nginx/error.log; exit 1; }
	sleep 1
	# Both must serve every file whole before they are timed.
	for port in $FH_HTTP_PORT $NG_PORT; do
		for f in 512.bin 4k.bin 64k.bin 1m.bin; do
			wget -q -O /tmp/got "http://127.0.0.1:$port/$f" && cmp -s /tmp/got "/srv/www/$f" ||
				{ echo "bench: http: port $port did not serve $f whole"; cat /var/log/nginx/error.log; exit 1; }
		done
	done
	echo "bench: http: firehose on $FH_HTTP_PORT and nginx $(nginx -v 2>&1 | sed 's/.*\///') on $NG_PORT serve /srv/www; wrk -t$nclient on $ccpus"
	fh_counters >/tmp/fh.before
	rep=1
	while [ $rep -le "$reps" ]; do
		for r in $HTTP_ROWS; do
			IFS=: read -r name file c mode <<EOF2
$r
EOF2
			http_row "$name" firehose $FH_HTTP_PORT "$c" "$file" "$mode"
			http_row "$name" nginx $NG_PORT "$c" "$file" "$mode"
		done
		rep=$((rep + 1))
	done
	fh_counters >/tmp/fh.after
	awk 'FNR == NR { b[$1] = $2; next } { print "HSTAT " $1 " " $2 - b[$1] }' /tmp/fh.before /tmp/fh.after >>"$FH_REPORT"
	echo "bench: http: $SLOW_N slow clients, $SLOW_RATE bytes/s each"
	slow_run firehose $FH_HTTP_PORT
	slow_run nginx $NG_PORT
	echo "bench: firehose cache after the http rows:"
	fhctl cache stats
	report "HCACHE $(fhctl cache stats -j | tr -d '\n')"
	kill "$(cat /run/nginx.pid)"
	grep -v 'signal process started' /var/log/nginx/error.log | sed 's/^/bench: nginx: /'
	fhctl listener del 127.0.0.1:$FH_HTTP_PORT
}

insmod "$FH_MOD" || exit 1
fhctl set idle-timeout off max-connections 1000000 || exit 1
# http first: the echo part ends with idle crowds of 100,000 whose teardown
# can outlast its wait (a full run saw a 4 s stall in the next test).
[ "$only" = echo ] || bench_http
[ "$only" = http ] || bench_echo

fhctl stats
rmmod firehose || exit 1
exit 0
