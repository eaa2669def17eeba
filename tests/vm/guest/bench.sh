#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of 'make bench'. Servers run on the first $3 CPUs (default half),
# the client on the rest; every server sees the same client, rows and duration.
# Results go to the report channel as lines the host turns into tables:
#   ROW <row> <server> <msgs_per_s> <p50_us> <p99_us> <server_cpu_us_per_msg> <server_cpu_util%> <client_cpu_us_per_msg> <polled_us_per_msg>
#   SCALE <server> <idle_conns> <msgs_per_s> <p99_us> <fh_bytes_per_conn>
#   PROFILE <server> <depth> <busy%> <own%> <floor%> <polling%> then PROFILE sym:<symbol> <percent>
. /fh/lib.sh
secs=${1:-4}
reps=${2:-3}
ncpu=$(grep -c '^processor' /proc/cpuinfo)
# Server CPUs: the first $3 (default half); the client gets the rest.
half=${3:-$((ncpu / 2))}
[ "$half" -lt "$ncpu" ] || half=$((ncpu - 1))
[ "$half" -ge 1 ] || half=1
scpus="0-$((half - 1))"
ccpus="$half-$((ncpu - 1))"
[ "$ncpu" -ge 2 ] || ccpus=0
FH_PORT=7777
EP_PORT=7778
UR_PORT=7779
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

insmod "$FH_MOD" || exit 1
fhctl set idle-timeout off max-connections 1000000 || exit 1
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

fhctl stats
rmmod firehose || exit 1
exit 0
