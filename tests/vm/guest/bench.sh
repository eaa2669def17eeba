#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of 'make bench': bench.sh SECONDS REPS SERVER_CPUS ONLY [PICK
# [UPSTREAM_CPUS [PARAMS]]], where SERVER_CPUS 0 means half and ONLY is all,
# echo, http, proxy or kv. PICK (default all) is an extended regular expression:
# only the rows and parts whose names it matches whole run (the row names,
# and echo_profile, scale, http_profile, access_log, slow, kv_memory, proxy_profile,
# kv_profile). UPSTREAM_CPUS:
# the proxy table's upstream application server's CPUs, taken after the
# servers' (0: one when that leaves the client at least one, else it shares
# the client's). PARAMS is name=value[:name=value] module parameters for
# insmod (last: it may be empty). Servers run on the
# first SERVER_CPUS CPUs, the client on the rest; every server sees the same
# client, rows and duration.
# Results go to the report channel as lines the host turns into tables:
#   ROW <row> <server> <msgs_per_s> <p50_us> <p99_us> <server_cpu_us_per_msg> <server_cpu_util%> <client_cpu_us_per_msg> <polled_us_per_msg>
#   SCALE <server> <idle_conns> <msgs_per_s> <p99_us> <fh_bytes_per_conn>
#   PROFILE <server> <depth> <busy%> <own%> <floor%> <polling%> then PROFILE sym:<symbol> <percent>
#   HROW <row> <server> <req_per_s> <p50_us> <p99_us> <server_cpu_us_per_req> <server_cpu_util%> <client_cpu_us_per_req> <polled_us_per_req> <socket_errors> <non_2xx_3xx>
#   HSTAT <firehose counter> <its increase over the http rows>
#   HPROF <row> <server> <busy%> <floor%> <own%> <file%> <sys%> <sched%> <other%> <xmit%> <polling%> <busy_samples>
#   HPSYM <row> <server> <percent of busy samples> <leaf symbol>
#   HLOGROW <off|on|on_follow> firehose <as HROW>, then HLOGCNT <same> <log_records> <log_dropped> <requests>
#   HCACHE <fhctl cache stats -j>
#   PINFO <server cpus> <upstream cpus> <client cpus> <1: the upstream shares the client's CPUs>
#   PROW <row> <server> <req_per_s> <p50_us> <p99_us> <server_cpu_us_per_req> <server_cpu_util%> <client_cpu_us_per_req> <polled_us_per_req> <upstream_cpu_us_per_req> <upstream_cpu_util%> <socket_errors> <non_2xx_3xx> <requests> <relayed_bytes> <relay_copied_bytes> <proxied> <upstream_connects> <upstream_reuses> <upstream_failures> <client_cpu_util%>
#   PSTAT <firehose counter> <its increase over the proxy rows>
#   PKLOG <a kernel log line that must not be there, after the proxy rows>
#   KINFO <server cpus> <client cpus> <client threads> <memcached -V, spaces as _>
#   KROW <row> <firehose|memcached> <ops_per_s> <p50_us> <p99_us> <server_cpu_us_per_op> <server_cpu_util%> <client_cpu_us_per_op> <client_cpu_util%> <errors> <misses> <exit_status>
#   KMEM fh <items> <value_size> <items_held> <bytes> <fh_kv_slab_delta> <memavail_delta>
#   KMEM mc <items> <value_size> <curr_items> <bytes> <total_malloced> <rss_delta> <memavail_delta>
#   KSTAT <fh|mc> <stat> <value after the kv rows>
#   KPSYM <firehose|memcached> <percent of samples> <symbol>
#   KKLOG <a kernel log line that must not be there, after the kv rows>
#   SLOW <server> <clients> <bytes_per_s> <server_cpu_us_per_MB> <server_cpu_util%> <own_bytes_per_client> <tcp_bytes_per_client> <memavail_bytes_per_client> <exit_status> <slowest_client_bytes_per_s>
. /fh/lib.sh
secs=${1:-4}
reps=${2:-3}
ncpu=$(grep -c '^processor' /proc/cpuinfo)
only=${4:-all}
pick=${5:-all}
upcpus=${6:-0}
params=${7:-}
# want NAME: whether PICK lets NAME run.
want() {
	[ "$pick" = all ] || echo "$1" | grep -Eq "^($pick)\$"
}
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
			want "$name" || continue
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
	if want echo_profile; then
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
	fi

	if want scale; then
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
	fi
}

# The http table: firehose's http listener against nginx, tuned as a user
# would tune it, on the same server CPUs, both driven by wrk (a thread per
# client CPU, pinned to them) for the same files.
nclient=$((ncpu - half))
[ "$nclient" -ge 1 ] || nclient=1
HTTP_ROWS="512B_ka_c32:512.bin:32:ka 4KiB_ka_c32:4k.bin:32:ka 64KiB_ka_c32:64k.bin:32:ka 1MiB_ka_c32:1m.bin:32:ka 512B_close_c32:512.bin:32:close"

HTTP_PROFILE_ROWS="512B_ka_c32:512.bin:32:ka 1MiB_ka_c32:1m.bin:32:ka 512B_close_c32:512.bin:32:close"
FH_LOG_PORT=8082

# The access log's cost: 512 B keep-alive from a second firehose listener,
# the same but for --access-log, beside runs on the first, interleaved:
#   off: the listener without the log;
#   on: the listener with it, nobody reading: each CPU's ring (1024 records)
#     fills in the run's first moments and the rest of the records are
#     dropped (log_dropped), so this mostly times the dropping;
#   on_follow: the same with "fhctl log --follow >/dev/null" on the client
#     CPUs, which empties the rings every 10 ms while records come (its CPU is the client's).
# Reports per run "HLOGROW VARIANT firehose <the HROW fields>", then
# "HLOGCNT VARIANT <log_records> <log_dropped> <requests>" (the counters'
# increase over the run).
fh_stat() {
	awk -v k="$1" '$1 == k { print $2 }' /proc/net/firehose/stats
}
access_log_rows() {
	fhctl listener add http 127.0.0.1:$FH_LOG_PORT --root /srv/www --user nobody --cache 256M \
		--cpus "$scpus" --access-log || { echo "bench: http: no access-log listener"; return 1; }
	wget -q -O /tmp/got "http://127.0.0.1:$FH_LOG_PORT/512.bin" && cmp -s /tmp/got /srv/www/512.bin ||
		{ echo "bench: http: port $FH_LOG_PORT did not serve 512.bin whole"; return 1; }
	fhctl log >/dev/null
	echo "bench: http: access log: 512 B keep-alive, the log off, on and read, $reps times"
	rep=1
	while [ $rep -le "$reps" ]; do
		for v in off on on_follow; do
			port=$FH_LOG_PORT
			[ $v = off ] && port=$FH_HTTP_PORT
			fpid=
			if [ $v = on_follow ]; then
				taskset -c "$ccpus" fhctl log --follow >/dev/null &
				fpid=$!
				sleep 0.5
			fi
			r0=$(fh_stat log_records)
			d0=$(fh_stat log_dropped)
			http_row "$v" firehose $port 32 512.bin ka HLOGROW
			r1=$(fh_stat log_records)
			d1=$(fh_stat log_dropped)
			if [ -n "$fpid" ]; then
				kill $fpid
				wait $fpid 2>/dev/null
			fi
			echo "bench: access log $v: log_records +$((r1 - r0)) log_dropped +$((d1 - d0)) of $reqs requests"
			report "HLOGCNT $v $((r1 - r0)) $((d1 - d0)) $reqs"
			fhctl log >/dev/null
		done
		rep=$((rep + 1))
	done
	fhctl listener del 127.0.0.1:$FH_LOG_PORT
}

# nginx.conf for the server CPUs: a worker per CPU, each bound to its own,
# each with its own SO_REUSEPORT listener; sendfile, an open-file cache, no
# access log, keep-alive connections that last the whole run.
nginx_affinity() {
	affinity=
	i=0
	while [ $i -lt "$half" ]; do
		mask=1
		j=0
		while [ $j -lt $i ]; do mask=${mask}0; j=$((j + 1)); done
		affinity="$affinity $mask"
		i=$((i + 1))
	done
}
nginx_conf() {
	nginx_affinity
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
		listen 127.0.0.1:$NG_PORT reuseport deferred;
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

# wrk_run SECONDS PORT CONNS FILE ka|close: wrk's output. wrk reconnects
# after each response that says Connection: close, and counts each such
# request: a new connection per request.
wrk_run() {
	if [ "$5" = close ]; then
		taskset -c "$ccpus" wrk -t"$nclient" -c"$3" -d"${1}s" --timeout 10s --latency \
			-H 'Connection: close' "http://127.0.0.1:$2/$4" 2>&1
	else
		taskset -c "$ccpus" wrk -t"$nclient" -c"$3" -d"${1}s" --timeout 10s --latency \
			"http://127.0.0.1:$2/$4" 2>&1
	fi
}

# http_row ROW SERVER PORT CONNS FILE ka|close [TAG]: one timed run, reported
# as "TAG ROW SERVER ..." (TAG: HROW unless given); leaves the requests
# served in $reqs.
http_row() {
	before=$(sample)
	out=$(wrk_run "$secs" "$3" "$4" "$5" "$6") || { echo "bench: http $1 $2: wrk failed: $out"; reqs=0; return 1; }
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
	report "${7:-HROW} $1 $2 ${rate:-0} ${p50:-0} ${p99:-0} $(echo "$before $after" | awk -v m="${reqs:-0}" -v server="$2" '{
		sb = $5 - $1; sa = $6 - $2; cb = $7 - $3; pu = server == "firehose" ? $8 - $4 : 0
		printf "%.2f %.0f %.2f %.2f", m ? sb * 10000 / m : 0, sa ? 100 * sb / sa : 0,
			m ? cb * 10000 / m : 0, m ? pu / m : 0 }') $errs $non2xx"
	reqs=${reqs:-0}
}

# perf_classify ROW SERVER POLLING: perf script (ip,sym,dso) on stdin, each
# busy sample charged to a class as profile_http says; prints "HPROF ROW
# SERVER busy% floor% own% file% sys% sched% other% xmit% polling%
# busy_samples", and leaves the leaf symbols in /tmp/perf.leaf and the
# unclassified ones in /tmp/perf.other.
perf_classify() {
	awk -v row="$1" -v server="$2" -v polling="$3" \
		-v syms=/tmp/perf.leaf -v others=/tmp/perf.other '
		function cls(sym, dso) {
			if (dso ~ /firehose/ || dso ~ /\/(nginx|memcached)$/) return "own"
			if (dso ~ /^\//) return "sys"
			if (dso !~ /kernel/) return ""
			if (sym ~ /^(fh_|http_)/) return "own"
			if (sym ~ /^_*(mem(cpy|set|move|cmp)|copy_user|copy_to|copy_from|copy_page|clear_page|clear_user|rep_mov|rep_stos|check_object_size|check_heap_object|virt_addr_valid|kmem_cache_|kmalloc|kfree|kvfree|kvmalloc|slab_|alloc_pages|get_page_from_freelist|rmqueue|free_unref|free_pages|free_pcp|put_page|folio_put|raw_|queued_|native_queued|pv_queued|rcu_read|local_bh|cond_resched|preempt_|refcount_|x86_indirect|x86_return|static_call|ktime_get|read_tsc|native_sched_clock|sched_clock|list_|mutex_|iov_iter|copyout|copyin|page_frag|percpu_counter|get_user|put_user|strn?(cmp|cpy|len)|get_random|siphash|jhash|kthread_should_stop)/) return ""
			if (sym ~ /^_*(tcp|tcp4|tcp6|ip|ipv4|ip4|ip6|ipv6|inet|inet6|sk|sock|skb|napi|net|netif|netdev|dev|loopback|neigh|nf|ipt|dst|fib|csum|eth|gro|rps|sch|qdisc|pfifo|reqsk|udp)_/ ||
			    sym ~ /^_*(kfree_skb|consume_skb|process_backlog|validate_xmit|release_sock|lock_sock|build_skb|alloc_skb|pskb|move_addr|sockfd|do_accept|kernel_(sendmsg|recvmsg|sendpage|accept|sock)|security_sock|selinux_sock|apparmor_sock|bpf_skops|cgroup_bpf|mem_cgroup_(un)?charge_skmem|sys_(send|recv|accept|shutdown|socket|setsockopt|getsockopt|getsockname|getpeername))/) return "floor"
			if (sym ~ /^_*(filemap|generic_file|file_|folio|page_cache|pagecache|find_get|find_lock|find_or_create|mapping_|read_pages|readahead|ondemand_readahead|do_sendfile|x64_sys_sendfile|splice|do_splice|direct_splice|iter_file_splice|generic_splice|vfs_|rw_verify|shmem|ramfs|simple_|ext4|iomap|do_sys_open|do_filp_open|path_|link_path|walk_component|lookup_|d_|dput|dget|fsnotify|touch_atime|atime_|current_time|generic_fillattr|do_statx|cp_new_stat|do_sys_newfstat|x64_sys_newfstat|x64_sys_openat|do_sys_openat|pipe_|alloc_pipe|anon_pipe|mark_page_accessed|filp_open|open_|do_dentry_open|security_file|apparmor_file|kernel_read|inode_|generic_permission|may_open|terminate_walk|getname|putname|step_into|try_to_unlazy|legitimize|complete_walk|nd_|mntput|mntget|xas_|xa_|add_to_pipe)/) return "file"
			if (sym ~ /^_*(schedule|sched_|pick_next|put_prev|enqueue_|dequeue_|update_curr|update_load|update_rq|update_cfs|update_min_vruntime|update_blocked|reweight|set_next_entity|set_next_task|check_preempt|resched|try_to_wake_up|wake_up|ttwu_|autoremove_wake|default_wake|wake_q|finish_task_switch|switch_to|switch_mm|context_switch|psi_|cpuacct|account_|irqtime|vtime|hrtimer|tick_|timer|run_timer|mod_timer|lapic|native_apic|x2apic|sysvec_|asm_sysvec|asm_common|irq_|handle_irq|handle_edge|common_interrupt|do_idle|cpu_startup_entry|cpuidle|poll_idle|cpu_idle_poll|default_idle_call|idle_|call_cpuidle|kthread|worker_thread|process_one_work|smpboot|ret_from_fork|rcu_|note_gp|softirq|do_softirq|irq_exit|run_ksoftirqd|native_irq_return|prepare_to_wait|finish_wait|complete|queue_work|wq_|clockevents|native_write_msr|swake|raise_softirq|flush_tlb|native_flush_tlb|select_task_rq|select_idle|available_idle|load_balance|newidle_balance|nohz|trigger_load_balance|task_tick|native_read_msr|arch_cpu_idle|cpuidle|generic_smp|smp_call|flush_smp|llist_)/) return "sched"
			if (sym ~ /^_*(entry_SYSCALL|do_syscall|syscall_|x64_sys_|exit_to_user|ep_|do_epoll|epoll|fget|fput|fdget|close_fd|filp_close|fd_install|alloc_fd|get_unused_fd|put_unused_fd|restore_fpregs|fpregs|switch_fpu|error_entry|error_return|irqentry|asm_exc_page_fault|exc_page_fault|do_user_addr_fault|handle_mm_fault|do_anonymous|do_fault|security_|apparmor_|audit|seccomp|clear_bhb)/) return "sys"
			return ""
		}
		function flush(   i, c) {
			if (!nf) return
			if (fsym[1] ~ /safe_halt|default_idle|acpi_idle|mwait_idle|intel_idle/) idle++
			else {
				busy++
				leaf = fsym[1]
				if (fdso[1] !~ /kernel|firehose/) leaf = (leaf == "[unknown]" ? "" : leaf) "[" fdso[1] "]"
				sub(/\[\/.*\//, "[", leaf)
				lf[leaf]++
				c = ""
				for (i = 1; i <= nf && c == ""; i++) c = cls(fsym[i], fdso[i])
				if (c == "") { c = "other"; ot[leaf]++ }
				n[c]++
				for (i = 1; i <= nf; i++)
					if (fsym[i] == "tcp_write_xmit" || fsym[i] == "tcp_stream_alloc_skb") { xmit++; break }
			}
			nf = 0
		}
		NF == 0 { flush(); next }
		{ d = $NF; gsub(/[()]/, "", d); nf++; fsym[nf] = $2; fdso[nf] = d }
		END { flush()
			b = busy ? busy : 1
			printf "HPROF %s %s %.2f %.2f %.2f %.2f %.2f %.2f %.2f %.2f %.2f %d\n", row, server,
				busy + idle ? 100 * busy / (busy + idle) : 0, 100 * n["floor"] / b, 100 * n["own"] / b,
				100 * n["file"] / b, 100 * n["sys"] / b, 100 * n["sched"] / b, 100 * n["other"] / b,
				100 * xmit / b, polling * (busy + idle) / b, busy
			for (s in lf) printf "%.2f %s\n", 100 * lf[s] / b, s > syms
			for (s in ot) printf "%.2f %s\n", 100 * ot[s] / b, s > others
		}'
}

# perf_stacks PERF_DATA: firehose's stacks, to the log: the paths into each
# symbol of 1% or more of the samples (idle included), each stack's last 16
# frames.
perf_stacks() {
	perf report -i "$1" --stdio --no-children --sort sym -g folded,0.3,caller,count --percent-limit 1 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -n 200 |
		awk '{ n = split($NF, f, ";"); s = f[n]; for (i = n - 1; i >= 1 && i > n - 16; i--) s = f[i] ";" s
			if ($0 ~ /%/ || n < 2) print; else print $1 " " (n > 16 ? "...;" : "") s }' | sed 's/^/bench: cg: /'
}

# perf_own_leaves: firehose's top leaf symbols and its own ones, from
# perf_classify's /tmp/perf.leaf, to the log, as shares of busy samples.
perf_own_leaves() {
	sort -rn /tmp/perf.leaf | head -n 25 | tr '\n' ' ' |
		sed 's/^/bench: profile: firehose'"'"'s top leaf symbols: /; s/$/\n/'
	sort -rn /tmp/perf.leaf | awk '$2 ~ /^(fh_|http_|kv_)/' | head -n 30 | tr '\n' ' ' |
		sed 's/^/bench: profile: firehose'"'"'s own leaf symbols: /; s/$/\n/'
}

# profile_http ROW SERVER PORT CONNS FILE ka|close: where the server CPUs go
# while wrk loads one server, from perf (cpu-clock at 1 kHz, call graphs)
# over at most 3 s of the load's steady state. Each busy sample is charged
# to the first function on its stack, leaf first, that belongs to a class;
# helpers any caller uses (memcpy, memset, slab and page allocation, locks,
# RCU, iov_iter copies, ktime, retpoline thunks) and kernel functions in no
# class pass it on to their caller. Classes:
#   floor: the TCP/IP stack and the socket layer (tcp_*, ip_*, inet_*, sk_*,
#     sock_*, skb_*, net device and loopback, softirq receive, the socket
#     system calls below their entry): what every TCP server pays; on
#     loopback it includes the client's receive, run in the sender's softirq;
#   own: the server's own code: firehose's module, nginx's binary;
#   file: page cache, splice and sendfile, VFS reads, open and stat, tmpfs;
#   sys: system call entry and exit, epoll, the descriptor table, and
#     userspace libraries (libc): the price of being a process;
#   sched: scheduler, wakeups, timers and interrupts, RCU and workqueue
#     upkeep, the idle loop's own work (not its halt);
#   other: samples no function of whose stack is in a class.
# Idle samples (the leaf is the halt of the idle loop) are left out: shares
# are of busy samples. xmit: the echo profile's floor, samples under
# tcp_write_xmit or tcp_stream_alloc_skb, for comparison.
# Reports "HPROF ROW SERVER busy% floor% own% file% sys% sched% other% xmit%
# polling% busy_samples", then "HPSYM ROW SERVER percent symbol" for the 12
# leaf symbols with the most busy samples.
profile_http() {
	profile_load "$1" "$2" H wrk_run "$3" "$4" "$5" "$6"
}

# profile_load ROW SERVER TAG LOAD ARGS...: profile_http's work for any load:
# LOAD SECONDS ARGS... drives the server; reported as TAG"PROF" and TAG"PSYM".
profile_load() {
	prow=$1 pserver=$2 ptag=$3 pload=$4
	shift 4
	pt=$secs
	[ "$pt" -le 3 ] || pt=3
	"$pload" $((pt + 2)) "$@" >/tmp/wrk.prof &
	wpid=$!
	sleep 1
	before=$(sample)
	perf record -q -g -e cpu-clock -F 1000 -C "$scpus" -o /tmp/perf.data -- sleep "$pt" >/dev/null 2>&1
	after=$(sample)
	wait $wpid
	polling=$(echo "$before $after" | awk -v server="$pserver" '{ sa = $6 - $2
		printf "%.2f", (server == "firehose" && sa > 0) ? 100 * ($8 - $4) / (sa * 10000) : 0 }')
	[ "$pserver" = firehose ] && perf_stacks /tmp/perf.data
	perf script -i /tmp/perf.data -F ip,sym,dso 2>/dev/null | perf_classify "$prow" "$pserver" "$polling" |
		sed "s/^HPROF /${ptag}PROF /" >/tmp/perf.split
	cat /tmp/perf.split >>"$FH_REPORT"
	sort -rn /tmp/perf.leaf | head -n 12 | awk -v row="$prow" -v server="$pserver" -v tag="$ptag" \
		'{ print tag "PSYM " row " " server " " $1 " " $2 }' >>"$FH_REPORT"
	echo "bench: profile $prow $pserver: $(cat /tmp/perf.split)"
	[ "$pserver" = firehose ] && perf_own_leaves
	[ -s /tmp/perf.other ] && echo "bench: profile $prow $pserver: unclassified: $(sort -rn /tmp/perf.other | head -n 6 | tr '\n' ' ')"
	rm -f /tmp/perf.leaf /tmp/perf.other /tmp/perf.data
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

# The static files both servers serve (made once: the http and proxy
# tables share them), readable by nobody, as whom both open them.
http_files() {
	mkdir -p /srv/www /var/lib/nginx /var/log/nginx /var/lock
	for f in 512:512.bin 4096:4k.bin 65536:64k.bin 1048576:1m.bin; do
		[ -e "/srv/www/${f#*:}" ] || dd if=/dev/urandom of="/srv/www/${f#*:}" bs="${f%%:*}" count=1 2>/dev/null
	done
	chmod 0755 /srv /srv/www
	chmod 0644 /srv/www/*
}

bench_http() {
	http_files
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
			want "$name" || continue
			http_row "$name" firehose $FH_HTTP_PORT "$c" "$file" "$mode"
			http_row "$name" nginx $NG_PORT "$c" "$file" "$mode"
		done
		rep=$((rep + 1))
	done
	fh_counters >/tmp/fh.after
	awk 'FNR == NR { b[$1] = $2; next } { print "HSTAT " $1 " " $2 - b[$1] }' /tmp/fh.before /tmp/fh.after >>"$FH_REPORT"
	want http_profile && echo "bench: http: profiling the servers (perf, call graphs)"
	for r in $HTTP_PROFILE_ROWS; do
		IFS=: read -r name file c mode <<EOF2
$r
EOF2
		want http_profile || continue
		profile_http "$name" firehose $FH_HTTP_PORT "$c" "$file" "$mode"
		profile_http "$name" nginx $NG_PORT "$c" "$file" "$mode"
	done
	! want access_log || access_log_rows
	if want slow; then
		echo "bench: http: $SLOW_N slow clients, $SLOW_RATE bytes/s each"
		slow_run firehose $FH_HTTP_PORT
		slow_run nginx $NG_PORT
	fi
	echo "bench: firehose cache after the http rows:"
	fhctl cache stats
	report "HCACHE $(fhctl cache stats -j | tr -d '\n')"
	kill "$(cat /run/nginx.pid)"
	grep -v 'signal process started' /var/log/nginx/error.log | sed 's/^/bench: nginx: /'
	fhctl listener del 127.0.0.1:$FH_HTTP_PORT
}

# The proxy table: firehose's reverse proxy (an http listener that routes
# /api/ to an upstream) against nginx as a reverse proxy, tuned as its
# static config above, both on the server CPUs, both in front of the same
# upstream application server (fh_upstream_srv) on CPUs of its own, both
# driven by the same wrk on the client CPUs, 32 connections.
UP_PORT=8000
FHP_PORT=8090
NGP_PORT=8091
# NAME:MODE:TARGET. ka: keep-alive GETs of TARGET; close: the same, each
# with Connection: close (a new client connection per request); post: POSTs
# of a 4 KiB body to TARGET, which echoes it; mixed: mixed.lua's cycle of
# five requests, GET /api/512 (proxied) and the static /512.bin, /4k.bin,
# /512.bin, /4k.bin (80% static, 20% proxied).
PROXY_PROFILE_ROWS="get_512:ka:/api/512 new_conn_get_512:close:/api/512"
PROXY_ROWS="get_512:ka:/api/512 get_64k:ka:/api/65536 post_4k_echo:post:/api/echo new_conn_get_512:close:/api/512 mixed_80_20:mixed:/"

# The proxy table's CPUs: the servers' first (scpus, as in the other
# tables), then the upstream's (pucpus, nup of them), then the client's
# (pccpus). Without a CPU to spare (nup 0) the upstream shares the
# client's, and its CPU is then its process's own time.
proxy_cpus() {
	nup=$upcpus
	if [ "$nup" -le 0 ]; then
		nup=0
		[ $((ncpu - half)) -ge 2 ] && nup=1
	fi
	[ $((half + nup)) -lt "$ncpu" ] || nup=0
	if [ "$nup" -gt 0 ]; then
		pucpus="$half-$((half + nup - 1))"
		pccpus="$((half + nup))-$((ncpu - 1))"
		pshared=0
		pnclient=$((ncpu - half - nup))
		upthreads=$nup
	else
		pucpus=$ccpus
		pccpus=$ccpus
		pshared=1
		pnclient=$nclient
		upthreads=$nclient
	fi
}

# Busy and total jiffies of the server CPUs, of the upstream's (when it has
# its own), of the client's, firehose's polled_us, and the upstream
# process's own jiffies (user and system, all threads).
psample() {
	awk -v half="$half" -v nup="$nup" -v shared="$pshared" '
		FNR == 1 { file++ }
		file == 1 && /^cpu[0-9]/ { n = substr($1, 4) + 0; b = $2 + $3 + $4 + $7 + $8 + $9; t = b + $5 + $6
			if (n < half) { sb += b; sa += t }
			else if (!shared && n < half + nup) { ub += b; ua += t }
			else { cb += b; ca += t } }
		file == 2 && $1 == "polled_us" { polled = $2 }
		file == 3 { up = $14 + $15 }
		END { print sb + 0, sa + 0, ub + 0, ua + 0, cb + 0, ca + 0, polled + 0, up + 0 }' \
		/proc/stat /proc/net/firehose/stats "/proc/$up_pid/stat"
}

# pwrk_run SECONDS PORT MODE TARGET: wrk's output (bounded: wrk ends itself
# after SECONDS; timeout ends a wrk that does not).
pwrk_run() {
	w="timeout $(($1 + 30)) taskset -c $pccpus wrk -t$pnclient -c32 -d${1}s --timeout 10s --latency"
	case "$3" in
	close) $w -H 'Connection: close' "http://127.0.0.1:$2$4" 2>&1 ;;
	post) $w -s /tmp/post4k.lua "http://127.0.0.1:$2$4" 2>&1 ;;
	mixed) $w -s /tmp/mixed.lua "http://127.0.0.1:$2$4" 2>&1 ;;
	*) $w "http://127.0.0.1:$2$4" 2>&1 ;;
	esac
}

# TCP segments this namespace has sent (both ends, on loopback).
tcp_out_segs() {
	awk '$1 == "Tcp:" { if (!h) { for (i = 2; i <= NF; i++) c[$i] = i; h = 1 } else print $c["OutSegs"] }' /proc/net/snmp
}

# proxy_row ROW SERVER PORT MODE TARGET: one timed run, reported as PROW
# with, for firehose, its counters' increase over the run.
proxy_row() {
	[ "$2" = firehose ] && fh_counters >/tmp/pc.before
	before=$(psample)
	segs0=$(tcp_out_segs)
	out=$(pwrk_run "$secs" "$3" "$4" "$5")
	st=$?
	segs1=$(tcp_out_segs)
	after=$(psample)
	[ "$2" = firehose ] && fh_counters >/tmp/pc.after
	reqs=$(echo "$out" | awk '/ requests in / { print $1 }')
	reqs=${reqs:-0}
	rate=$(echo "$out" | awk '$1 == "Requests/sec:" { printf "%.0f", $2 }')
	p50=$(echo "$out" | wrk_us 50%)
	p99=$(echo "$out" | wrk_us 99%)
	errs=$(echo "$out" | awk '/Socket errors:/ { gsub(",", ""); e = $4 + $6 + $8 + $10 } END { print e + 0 }')
	non2xx=$(echo "$out" | awk '/Non-2xx or 3xx responses:/ { n = $NF } END { print n + 0 }')
	cnt="0 0 0 0 0 0"
	[ "$2" = firehose ] && cnt=$(awk 'FNR == NR { b[$1] = $2; next } { d[$1] = $2 - b[$1] }
		END { print d["relayed_bytes"] + 0, d["relay_copied_bytes"] + 0, d["proxied"] + 0,
			d["upstream_connects"] + 0, d["upstream_reuses"] + 0,
			d["upstream_retries"] + d["upstream_refused"] + d["upstream_timeouts"] +
			d["upstream_bad"] + d["upstream_aborts"] }' /tmp/pc.before /tmp/pc.after)
	echo "proxy $1 $2: reqs=$reqs req_per_s=${rate:-0} p50_us=$p50 p99_us=$p99 socket_errors=$errs non_2xx=$non2xx$(
		awk -v a="$segs0" -v b="$segs1" -v m="$reqs" 'BEGIN { printf " tcp_segs_per_req=%.2f", m ? (b - a) / m : 0 }')$([ "$2" = firehose ] &&
		echo "$cnt" | awk '{ printf " relayed=%s copied=%s proxied=%s upstream_connects=%s upstream_reuses=%s upstream_failures=%s", $1, $2, $3, $4, $5, $6 }')"
	# Errors are the finding, not noise: show wrk's own account of them.
	[ "$st" = 0 ] && [ "$errs" = 0 ] && [ "$non2xx" = 0 ] && [ -n "$rate" ] || {
		echo "bench: proxy $1 $2: wrk exit $st"
		echo "$out" | sed 's/^/bench: wrk: /'
	}
	report "PROW $1 $2 ${rate:-0} ${p50:-0} ${p99:-0} $(echo "$before $after" | awk -v m="$reqs" -v server="$2" \
		-v shared="$pshared" -v half="$half" -v threads="$upthreads" -v rest="$errs $non2xx $reqs $cnt" '{
		sb = $9 - $1; sa = $10 - $2; ub = $11 - $3; ua = $12 - $4; cb = $13 - $5; ca = $14 - $6
		pu = server == "firehose" ? $15 - $7 : 0; pr = $16 - $8
		# Shared: the upstream'"'"'s share of its threads'"'"' CPUs is its process time.
		if (shared) { ub = pr; ua = sa / half * threads }
		printf "%.2f %.0f %.2f %.2f %.2f %.0f %s %.0f", m ? sb * 10000 / m : 0, sa ? 100 * sb / sa : 0,
			m ? cb * 10000 / m : 0, m ? pu / m : 0, m ? ub * 10000 / m : 0, ua ? 100 * ub / ua : 0,
			rest, ca ? 100 * cb / ca : 0 }')"
}

# nginx as a reverse proxy: the static config's tuning (a pinned worker per
# server CPU, reuseport, deferred accept, sendfile, open_file_cache, no
# access log, long client keep-alive), /api/ passed to the upstream over
# kept HTTP/1.1 connections (keepalive 32 idle per worker, as firehose's
# --keepalive 32; up to 100,000 requests each, as the client side, where
# nginx's default would close one every 1,000), buffering as its default.
nginx_proxy_conf() {
	nginx_affinity
	cat <<EOF3
user nobody nogroup;
worker_processes $half;
worker_cpu_affinity$affinity;
worker_rlimit_nofile 1048576;
pid /run/nginx-proxy.pid;
error_log /var/log/nginx/proxy-error.log warn;
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
	upstream app {
		server 127.0.0.1:$UP_PORT;
		keepalive 32;
		keepalive_requests 100000;
	}
	server {
		listen 127.0.0.1:$NGP_PORT reuseport deferred;
		root /srv/www;
		location /api/ {
			proxy_pass http://app;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
		}
	}
}
EOF3
}

# proxy_check NAME PORT: the answers through the proxy are the upstream's
# (and the files) byte for byte, before anything is timed. Each fetch is
# bounded (timeout); what went wrong is printed.
proxy_check() {
	for t in /api/512 /api/65536 /api/1048576 /512.bin /4k.bin /api/echo; do
		case "$t" in
		/api/echo) timeout 20 wget -q -O /tmp/got --post-file /tmp/body4k "http://127.0.0.1:$2$t"; st=$?
			cp /tmp/body4k /tmp/want ;;
		/api/*) timeout 20 wget -q -O /tmp/want "http://127.0.0.1:$UP_PORT$t"
			timeout 20 wget -q -O /tmp/got "http://127.0.0.1:$2$t"; st=$? ;;
		*) cp "/srv/www$t" /tmp/want
			timeout 20 wget -q -O /tmp/got "http://127.0.0.1:$2$t"; st=$? ;;
		esac
		cmp -s /tmp/got /tmp/want && continue
		echo "bench: proxy: $1 (port $2): $([ "$t" = /api/echo ] && echo "POST 4 KiB to" || echo GET) $t:" \
			"wget exit $st, got $(wc -c </tmp/got 2>/dev/null || echo 0) bytes, want $(wc -c </tmp/want)"
		return 1
	done
}

# What a proxy failure leaves to read: the kernel log since the proxy part
# began, nginx's error log, firehose's counters and upstream.
proxy_diag() {
	dmesg | tail -n +$((klog0 + 1)) | tail -n 60 | sed 's/^/bench: proxy: dmesg: /'
	[ -e /var/log/nginx/proxy-error.log ] && tail -n 20 /var/log/nginx/proxy-error.log | sed 's/^/bench: proxy: nginx: /'
	fhctl stats | sed 's/^/bench: proxy: /'
	fhctl upstream show app | sed 's/^/bench: proxy: /'
}

bench_proxy() {
	any=
	for r in $PROXY_ROWS proxy_profile; do want "${r%%:*}" && any=1; done
	[ -n "$any" ] || return 0
	proxy_cpus
	http_files
	# The 4 KiB body (text: busybox wget --post-file stops at a NUL byte).
	awk 'BEGIN { for (i = 0; i < 256; i++) printf "0123456789abcdef" }' >/tmp/body4k
	# post4k.lua: the same body every request (wrk adds its Content-Length).
	{
		echo 'wrk.method = "POST"'
		echo 'wrk.body = string.rep("0123456789abcdef", 256)'
		echo 'wrk.headers["Content-Type"] = "application/octet-stream"'
	} >/tmp/post4k.lua
	# mixed.lua: a cycle of five requests per wrk thread, made once.
	cat >/tmp/mixed.lua <<'EOF3'
local reqs = {}
local i = 0
function init(args)
	local paths = { "/api/512", "/512.bin", "/4k.bin", "/512.bin", "/4k.bin" }
	for k, p in ipairs(paths) do reqs[k] = wrk.format("GET", p) end
end
function request()
	i = i % #reqs + 1
	return reqs[i]
end
EOF3
	klog0=$(dmesg | wc -l)
	taskset -c "$pucpus" fh_upstream_srv -a 127.0.0.1 -p $UP_PORT -C "$pucpus" -t 7200 &
	up_pid=$!
	i=0
	while ! timeout 5 wget -q -O /dev/null "http://127.0.0.1:$UP_PORT/api/1" && [ $i -lt 50 ]; do
		sleep 0.2; i=$((i + 1))
	done
	[ $i -lt 50 ] || { echo "bench: proxy: the upstream did not answer"; kill $up_pid; exit 1; }
	report "PINFO $scpus $pucpus $pccpus $pshared"
	fhctl upstream add app 127.0.0.1:$UP_PORT --keepalive 32 || exit 1
	fhctl listener add http 127.0.0.1:$FHP_PORT --root /srv/www --user nobody --cache 256M \
		--cpus "$scpus" --route /api/=app || exit 1
	nginx_proxy_conf >/tmp/nginx-proxy.conf
	taskset -c "$scpus" nginx -c /tmp/nginx-proxy.conf || { cat /var/log/nginx/proxy-error.log; exit 1; }
	sleep 1
	if ! proxy_check firehose $FHP_PORT || ! proxy_check nginx $NGP_PORT; then
		proxy_diag
		kill "$(cat /run/nginx-proxy.pid)" $up_pid
		exit 1
	fi
	echo "bench: proxy: firehose on $FHP_PORT and nginx $(nginx -v 2>&1 | sed 's/.*\///') on $NGP_PORT in front of" \
		"fh_upstream_srv on $UP_PORT (CPUs $pucpus$([ "$pshared" = 1 ] && echo ", shared with the client")); servers on $scpus;" \
		"wrk -t$pnclient on $pccpus"
	fh_counters >/tmp/pfh.before
	rep=1
	while [ $rep -le "$reps" ]; do
		for r in $PROXY_ROWS; do
			IFS=: read -r name mode target <<EOF2
$r
EOF2
			want "$name" || continue
			proxy_row "$name" firehose $FHP_PORT "$mode" "$target"
			proxy_row "$name" nginx $NGP_PORT "$mode" "$target"
		done
		rep=$((rep + 1))
	done
	fh_counters >/tmp/pfh.after
	awk 'FNR == NR { b[$1] = $2; next } { print "PSTAT " $1 " " $2 - b[$1] }' /tmp/pfh.before /tmp/pfh.after >>"$FH_REPORT"
	# Where each proxy's CPU goes in the rows with the least body to move:
	# the hop's own cost, on a kept client connection and on a new one.
	if want proxy_profile; then
		echo "bench: proxy: profiling the servers (perf, call graphs)"
		for r in $PROXY_PROFILE_ROWS; do
			IFS=: read -r name mode target <<EOF2
$r
EOF2
			profile_load "$name" firehose P pwrk_run $FHP_PORT "$mode" "$target"
			profile_load "$name" nginx P pwrk_run $NGP_PORT "$mode" "$target"
		done
	fi
	echo "bench: proxy: firehose's upstream after the rows:"
	fhctl upstream show app
	bad=$(dmesg | tail -n +$((klog0 + 1)) | grep -E "$FH_KLOG_BAD" | head -n 5)
	if [ -n "$bad" ]; then
		echo "$bad" | sed 's/^/PKLOG /' >>"$FH_REPORT"
		proxy_diag
	fi
	kill "$(cat /run/nginx-proxy.pid)"
	grep -v 'signal process started' /var/log/nginx/proxy-error.log | sed 's/^/bench: proxy: nginx: /'
	fhctl listener del 127.0.0.1:$FHP_PORT
	fhctl upstream del app
	kill $up_pid
	wait $up_pid 2>/dev/null
	i=0
	while [ -e /run/nginx-proxy.pid ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}

# The kv table: firehose's kv listener (memcached protocol) against
# memcached itself, on the same server CPUs (memcached -t one thread per
# server CPU, pinned there with taskset), both driven by the same client,
# fh_kv_load, a thread per client CPU, pinned to them. Each run first stores
# the row's whole key space (not timed), then times SECONDS; the tool reads
# the server and client CPUs' jiffies from /proc/stat at the window's ends.
KV_FH_PORT=11311
KV_MC_PORT=11211
KV_MEM_FH_PORT=11312
KV_MEM_MC_PORT=11212
# NAME:MODE:CONNS:VALUE_SIZE:GET_PCT:KEYS_PER_REQUEST. Key spaces: 100,000
# keys of 32 B, 20,000 of 4 KiB (both fit either store: no evictions).
KV_ROWS="get90_32B_c32:text:32:32:90:1 get90_32B_c1000:text:1000:32:90:1 set50_32B_c32:text:32:32:50:1 set50_32B_c1000:text:1000:32:50:1 get90_4KiB_c32:text:32:4096:90:1 get90_4KiB_c1000:text:1000:4096:90:1 set50_4KiB_c32:text:32:4096:50:1 set50_4KiB_c1000:text:1000:4096:50:1 mget16_32B_c32:multi:32:32:100:16 mget16_4KiB_c32:multi:32:4096:100:16 meta16_32B_c32:meta:32:32:100:16 meta16_4KiB_c32:meta:32:4096:100:16"

kv_keys() { [ "$1" -ge 1024 ] && echo 20000 || echo 100000; }

# kv_row ROW SERVER PORT MODE CONNS VSIZE GET_PCT NKEYS: one timed run, as
#   KROW <row> <server> <ops_per_s> <p50_us> <p99_us> <server_us_per_op>
#        <server_cpu%> <client_us_per_op> <client_cpu%> <errors> <misses> <exit>
kv_row() {
	out=$(fh_kv_load -a 127.0.0.1 -p "$3" -m "$4" -c "$5" -v "$6" -k "$(kv_keys "$6")" -g "$7" -n "$8" \
		-t "$secs" -C "$ccpus" -S "$scpus" 2>/tmp/kv.err)
	st=$?
	echo "kv $1 $2: $out (exit $st)"
	[ -s /tmp/kv.err ] && sed 's/^/bench: kv: fh_kv_load: /' /tmp/kv.err | head -n 8
	kv_field() { echo "$out" | sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
	report "KROW $1 $2 $(kv_field ops_per_s) $(kv_field p50_us) $(kv_field p99_us) $(echo "$out" | awk -v st="$st" '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		m = f["ops"]
		# USER_HZ is 100: a jiffy is 10 ms, 10000 us.
		printf "%.3f %.0f %.3f %.0f %d %d %d", m ? f["srv_busy_j"] * 10000 / m : 0,
			f["srv_total_j"] ? 100 * f["srv_busy_j"] / f["srv_total_j"] : 0,
			m ? f["cli_busy_j"] * 10000 / m : 0,
			f["cli_total_j"] ? 100 * f["cli_busy_j"] / f["cli_total_j"] : 0,
			f["errors"], f["misses"], st }') $(kv_field tcp_segs_per_op)"
}

# Sum of num_objs x objsize over firehose kv's slab caches (slab_nomerge).
kv_slab() { awk '$1 ~ /^fh_kv/ { s += $3 * $4 } END { printf "%.0f\n", s }' /proc/slabinfo; }
memavail() { awk '$1 == "MemAvailable:" { print $2 * 1024 }' /proc/meminfo; }

# MemAvailable once it stopped moving (a store freed in the background, by
# RCU or a workqueue, must not count against the next): up to 10 s.
memavail_settled() {
	i=0
	last=$(memavail)
	while [ $i -lt 10 ]; do
		sleep 1
		now=$(memavail)
		d=$((now - last))
		[ "${d#-}" -lt 1048576 ] && break
		last=$now
		i=$((i + 1))
	done
	memavail
}

# kv_mem ITEMS VSIZE: a fresh memcached, then a fresh firehose kv listener
# (--mem 256M, as the table's) each store ITEMS items of VSIZE bytes (nothing
# else in them); reported as
#   KMEM mc <items> <vsize> <curr_items> <bytes> <total_malloced> <rss_delta> <memavail_delta> <hash_bytes>
#   KMEM fh <items> <vsize> <stored> <bytes> <slab_delta> <memavail_delta> <hash_bytes>
kv_mem() {
	sync
	echo 1 >/proc/sys/vm/drop_caches 2>/dev/null
	m0=$(memavail_settled)
	taskset -c "$scpus" memcached -u nobody -l 127.0.0.1 -p $KV_MEM_MC_PORT -U 0 -t "$half" -m 1024 -c 4096 &
	mpid=$!
	sleep 1
	r0=$(awk '$1 == "VmRSS:" { print $2 * 1024 }' /proc/$mpid/status)
	fh_kv_load -a 127.0.0.1 -p $KV_MEM_MC_PORT -c 8 -v "$2" -k "$1" -t 0 -C "$ccpus" >/dev/null ||
		echo "bench: kv: memory: memcached preload failed"
	r1=$(awk '$1 == "VmRSS:" { print $2 * 1024 }' /proc/$mpid/status)
	m1=$(memavail_settled)
	st=$(fh_kv_load -a 127.0.0.1 -p $KV_MEM_MC_PORT -q stats | tr -d '\r')
	sl=$(fh_kv_load -a 127.0.0.1 -p $KV_MEM_MC_PORT -q 'stats slabs' | tr -d '\r')
	ci=$(echo "$st" | awk '$2 == "curr_items" { print $3 }')
	by=$(echo "$st" | awk '$2 == "bytes" { print $3 }')
	hb=$(echo "$st" | awk '$2 == "hash_bytes" { print $3 }')
	tm=$(echo "$sl" | awk '$2 == "total_malloced" { print $3 }')
	echo "bench: kv: memory: memcached $1 x $2 B: curr_items $ci bytes $by total_malloced $tm hash_bytes $hb, RSS +$((r1 - r0)) B, MemAvailable -$((m0 - m1)) B"
	report "KMEM mc $1 $2 ${ci:-0} ${by:-0} ${tm:-0} $((r1 - r0)) $((m0 - m1)) ${hb:-0}"
	kill $mpid
	wait $mpid 2>/dev/null

	m0=$(memavail_settled)
	s0=$(kv_slab)
	fhctl listener add kv 127.0.0.1:$KV_MEM_FH_PORT --mem 256M --cpus "$scpus" || return 1
	fh_kv_load -a 127.0.0.1 -p $KV_MEM_FH_PORT -c 8 -v "$2" -k "$1" -t 0 -C "$ccpus" >/dev/null ||
		echo "bench: kv: memory: firehose preload failed"
	s1=$(kv_slab)
	m1=$(memavail_settled)
	bi=$(fhctl listener list -j | tr '{' '\n' | grep "127.0.0.1:$KV_MEM_FH_PORT" |
		sed -n 's/.*"bytes":\([0-9]*\),"items":\([0-9]*\).*/\1 \2/p')
	fhb=$(fh_kv_load -a 127.0.0.1 -p $KV_MEM_FH_PORT -q stats | tr -d '\r' | awk '$2 == "hash_bytes" { print $3 }')
	echo "bench: kv: memory: firehose $1 x $2 B: bytes items = $bi, hash_bytes $fhb, fh_kv slabs +$((s1 - s0)) B, MemAvailable -$((m0 - m1)) B"
	report "KMEM fh $1 $2 $(echo "$bi" | awk '{ print $2 + 0, $1 + 0 }') $((s1 - s0)) $((m0 - m1)) ${fhb:-0}"
	fhctl listener del 127.0.0.1:$KV_MEM_FH_PORT
}

# kv_profile ROW CONNS SERVER PORT: where the server CPUs go during a get90
# 32 B row with CONNS connections (perf cpu-clock at 1 kHz with call
# graphs, 2 s of the timed window): for 32 connections KPSYM <server>
# <percent> <symbol>, the 15 symbols with the most samples (idle included,
# as busy% shows); for each row KPROF as profile_http's HPROF (the same
# classes: floor is the TCP stack every server pays), from which the table
# says how much any server could gain over the other per GET.
kv_profile() {
	fh_kv_load -a 127.0.0.1 -p "$4" -m text -c "$2" -v 32 -k 100000 -g 90 -t 6 -C "$ccpus" >/dev/null 2>&1 &
	lpid=$!
	sleep 3
	before=$(sample)
	perf record -q -g -e cpu-clock -F 1000 -C "$scpus" -o /tmp/kvperf.data -- sleep 2 >/dev/null 2>&1
	after=$(sample)
	wait $lpid
	polling=$(echo "$before $after" | awk -v server="$3" '{ sa = $6 - $2
		printf "%.2f", (server == "firehose" && sa > 0) ? 100 * ($8 - $4) / (sa * 10000) : 0 }')
	if [ "$2" = 32 ]; then
		perf report -i /tmp/kvperf.data --stdio --no-children --sort sym 2>/dev/null |
			grep -E '^ +[0-9.]+%' | head -n 15 |
			awk -v s="$3" '{ gsub("%", "", $1); print "KPSYM " s " " $1 " " $NF }' >>"$FH_REPORT"
	fi
	[ "$3" = firehose ] && perf_stacks /tmp/kvperf.data
	perf script -i /tmp/kvperf.data -F ip,sym,dso 2>/dev/null |
		perf_classify "$1" "$3" "$polling" | sed 's/^HPROF /KPROF /' >/tmp/perf.split
	cat /tmp/perf.split >>"$FH_REPORT"
	echo "bench: kv profile $1 $3: $(cat /tmp/perf.split)"
	[ "$3" = firehose ] && perf_own_leaves
	rm -f /tmp/perf.leaf /tmp/perf.other /tmp/kvperf.data
}

bench_kv() {
	klog0=$(dmesg | wc -l)
	# busybox sh: 1000 connections and more want the descriptors.
	# shellcheck disable=SC3045
	ulimit -n 65536
	report "KINFO $scpus $ccpus $nclient $(memcached -V 2>&1 | tr ' ' _)"
	if want kv_memory; then
		echo "bench: kv: memory per item (fresh stores)"
		kv_mem 100000 32
		kv_mem 20000 4096
	fi
	fhctl listener add kv 127.0.0.1:$KV_FH_PORT --mem 256M --cpus "$scpus" || exit 1
	taskset -c "$scpus" memcached -u nobody -l 127.0.0.1 -p $KV_MC_PORT -U 0 -t "$half" -m 1024 -c 4096 &
	mc_pid=$!
	sleep 1
	echo "bench: kv: firehose on $KV_FH_PORT, $(memcached -V) (-t $half -m 1024 -c 4096) on $KV_MC_PORT, servers on $scpus; fh_kv_load on $ccpus"
	rep=1
	while [ $rep -le "$reps" ]; do
		for r in $KV_ROWS; do
			IFS=: read -r name mode c vs gp nk <<EOF2
$r
EOF2
			want "$name" || continue
			kv_row "$name" firehose $KV_FH_PORT "$mode" "$c" "$vs" "$gp" "$nk"
			kv_row "$name" memcached $KV_MC_PORT "$mode" "$c" "$vs" "$gp" "$nk"
		done
		rep=$((rep + 1))
	done
	if want kv_profile; then
		echo "bench: kv: profiling the server CPUs (get90_32B_c32, get90_32B_c1000)"
		for pc in 32 1000; do
			kv_profile get90_32B_c$pc $pc firehose $KV_FH_PORT
			kv_profile get90_32B_c$pc $pc memcached $KV_MC_PORT
		done
	fi
	echo "bench: kv: firehose stats after the rows:"
	fh_kv_load -a 127.0.0.1 -p $KV_FH_PORT -q stats | tr -d '\r' | tee /tmp/kv.stats |
		grep -E 'cmd_|get_|curr_items|bytes |evictions|fh_' | sed 's/^/bench: kv: /'
	awk '$1 == "STAT" && $2 ~ /^(cmd_get|cmd_set|get_hits|get_misses|evictions|fh_out_of_memory|fh_shard_locks|fh_shard_contended|curr_items|bytes)$/ { print "KSTAT fh " $2 " " $3 }' /tmp/kv.stats >>"$FH_REPORT"
	fh_kv_load -a 127.0.0.1 -p $KV_MC_PORT -q stats | tr -d '\r' |
		awk '$1 == "STAT" && $2 ~ /^(cmd_get|cmd_set|get_hits|get_misses|evictions|curr_items|bytes)$/ { print "KSTAT mc " $2 " " $3 }' >>"$FH_REPORT"
	fhctl listener list
	bad=$(dmesg | tail -n +$((klog0 + 1)) | grep -E "$FH_KLOG_BAD" | head -n 5)
	if [ -n "$bad" ]; then
		echo "$bad" | sed 's/^/KKLOG /' >>"$FH_REPORT"
		dmesg | tail -n +$((klog0 + 1)) | tail -n 60 | sed 's/^/bench: kv: dmesg: /'
	fi
	kill $mc_pid
	wait $mc_pid 2>/dev/null
	fhctl listener del 127.0.0.1:$KV_FH_PORT
}

# shellcheck disable=SC2046 # one word per parameter
insmod "$FH_MOD" $(echo "$params" | tr : ' ') || exit 1
# The idle crowds hold 25,000 connections per source address: no per-source cap.
fhctl set idle-timeout off max-connections 1000000 max-connections-per-source off || exit 1
# http first: the echo part ends with idle crowds of 100,000 whose teardown
# can outlast its wait (a full run saw a 4 s stall in the next test).
case "$only" in all | http) bench_http ;; esac
case "$only" in all | proxy) bench_proxy ;; esac
case "$only" in all | kv) bench_kv ;; esac
case "$only" in all | echo) bench_echo ;; esac

fhctl stats
rmmod firehose || exit 1
exit 0
