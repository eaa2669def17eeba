#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: boot the stock-kernel VM and measure, in one run with the same
# client, firehose echo against the tuned epoll reference server; then the
# same 64-byte test beside 10,000 and 100,000 idle connections, and a CPU
# profile of the server CPUs. Writes bench/results/bench.txt, bench.csv and
# PNG charts. Absolute numbers under emulation mean little; ratios do.
#
#   VM_CPUS (default 2)  BENCH_SECONDS (default 5)  VM_MEM (MiB, default 6144)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
res=bench/results
out=build/bench/vm
mkdir -p "$res" "$out"
secs=${BENCH_SECONDS:-5}

tests/vm/mkinitramfs.sh -o build/bench/bench.cpio.gz --dir tests/vm/guest:/fh \
	--file kmod/firehose.ko:/fh/mod/firehose.ko --file userspace/fhctl:/fh/bin/fhctl \
	--file build/bench/fh_load:/fh/bin/fh_load --file build/bench/epoll_echo:/fh/bin/epoll_echo \
	--file build/bench/fh_idle:/fh/bin/fh_idle --bin perf

echo "bench: booting the VM ($(tests/vm/kernel.sh stock-release), ${VM_CPUS:-2} CPUs); progress:"
# slab_nomerge: firehose's caches must show in /proc/slabinfo under their names.
tests/vm/run.sh --kernel stock --initrd build/bench/bench.cpio.gz --run bench.sh \
	--args "$secs" --cpus "${VM_CPUS:-2}" --mem "${VM_MEM:-6144}" --timeout 3000 \
	--append slab_nomerge --out "$out" --show-console | grep --line-buffered -E '^(bench|scale|[0-9A-Za-z_]+ (firehose|epoll):)' || true
report=$out/report
tr -d '\r' <"$report" | grep -q '^FH-STATUS 0$' || { echo "bench: the guest failed; see $out/console.log" >&2; exit 1; }

when=$(date -u +%Y-%m-%dT%H:%MZ)
kernel=$(tests/vm/kernel.sh stock-release)
tr -d '\r' <"$report" | awk -v csv="$res/bench.csv" -v when="$when" -v kernel="$kernel" \
	-v cpus="${VM_CPUS:-2}" -v secs="$secs" '
	$1 == "ROW" { key = $2; rows[key] = 1; if (!(key in order)) order[key] = ++n
		rate[key, $3] = $4; p50[key, $3] = $5; p99[key, $3] = $6; cpu[key, $3] = $7; util[key, $3] = $8 }
	$1 == "SCALE" { sc[++ns] = $0 }
	$1 == "PROFILE" { prof[++np] = $2 " " $3 }
	END {
		printf "firehose bench, %s, guest kernel %s, %d vCPUs (qemu TCG), %ss per run\n", when, kernel, cpus, secs
		printf "servers pinned to the first half of the CPUs, the client (fh_load) to the rest\n\n"
		printf "%-14s %12s %12s %7s %10s %10s %9s %9s %9s %9s\n", "row", "firehose/s", "epoll/s", "ratio",
			"fh_p99us", "ep_p99us", "fh_us/msg", "ep_us/msg", "fh_cpu%", "ep_cpu%"
		print "row,firehose_msgs_per_s,epoll_msgs_per_s,ratio,firehose_p50_us,epoll_p50_us,firehose_p99_us,epoll_p99_us,firehose_cpu_us_per_msg,epoll_cpu_us_per_msg" > csv
		for (i = 1; i <= n; i++) for (k in order) if (order[k] == i) {
			f = rate[k, "firehose"]; e = rate[k, "epoll"]
			r = e > 0 ? f / e : 0
			printf "%-14s %12d %12d %6.2fx %10.1f %10.1f %9.2f %9.2f %9d %9d\n", k, f, e, r,
				p99[k, "firehose"], p99[k, "epoll"], cpu[k, "firehose"], cpu[k, "epoll"],
				util[k, "firehose"], util[k, "epoll"]
			printf "%s,%d,%d,%.3f,%s,%s,%s,%s,%s,%s\n", k, f, e, r, p50[k, "firehose"], p50[k, "epoll"],
				p99[k, "firehose"], p99[k, "epoll"], cpu[k, "firehose"], cpu[k, "epoll"] >> csv
		}
		printf "\nscale: firehose 64 B, depth 1, 32 connections, beside an idle crowd\n"
		printf "%-12s %12s %10s %8s %22s\n", "idle_conns", "msgs/s", "p99_us", "vs_none", "fh_bytes/idle_conn"
		for (i = 1; i <= ns; i++) {
			split(sc[i], a, " ")
			if (i == 1) base = a[3]
			printf "%-12d %12d %10.1f %7.1f%% %22d\n", a[2], a[3], a[4], base ? 100 * a[3] / base : 0, a[5]
		}
		printf "\nprofile: server CPUs during firehose 64 B, depth 1, 32 connections (perf, cpu-clock)\n"
		for (i = 1; i <= np; i++) { split(prof[i], a, " "); printf "  %6.2f%%  %s\n", a[2], a[1] }
	}' >"$res/bench.txt"
cat "$res/bench.txt"

# Charts: messages/s side by side per row, and server CPU time per message.
if command -v gnuplot >/dev/null; then
	tail -n +2 "$res/bench.csv" | tr ',' ' ' >build/bench/plot.dat
	gnuplot <<EOF
set terminal pngcairo size 900,480 noenhanced
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set grid ytics
set xtics rotate by -20
set key top right
set output "$res/throughput.png"
set title "echo messages/s: firehose vs tuned epoll server (same pinned CPUs, same client)"
set ylabel "messages/s"
plot "build/bench/plot.dat" using 2:xtic(1) title "firehose", "" using 3 title "epoll reference"
set output "$res/cpu_per_msg.png"
set title "server CPU time per message (lower is better)"
set ylabel "microseconds of server CPU per message"
set logscale y
plot "build/bench/plot.dat" using 9:xtic(1) title "firehose", "" using 10 title "epoll reference"
EOF
	echo "bench: charts in $res/throughput.png and $res/cpu_per_msg.png"
fi
