#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: boot a stock-kernel VM (BENCH_KERNEL=6.1, the default, or 6.12)
# and measure, in one run with the same
# client, firehose echo against the tuned epoll and io_uring reference servers;
# then the same 64-byte test beside 10,000 and 100,000 idle connections, and a
# CPU profile of the server CPUs; then firehose's http listener against nginx
# (static files, wrk as the client); then firehose's reverse proxy against
# nginx as one, in front of the same upstream (bench/fh_upstream_srv); then
# firehose's kv listener against memcached (bench/fh_kv_load as the client).
# Writes bench/results/bench.txt, bench.csv, http.csv, proxy.txt, proxy.csv,
# kv.txt, kv.csv and PNG charts. Absolute numbers under emulation mean
# little; ratios do.
#
#   VM_CPUS (default 2; 3 with BENCH_ONLY=proxy)  BENCH_SECONDS (default 4)
#   BENCH_REPS (default 5)  VM_MEM (MiB, default 6144)
#   BENCH_SERVER_CPUS (default VM_CPUS / 2)  BENCH_UPSTREAM_CPUS (the proxy
#   table's upstream, on the CPUs after the servers'; default 1 when that
#   leaves the client one, else it shares the client's)
#   BENCH_RESULTS (directory, default bench/results)  BENCH_KERNEL (6.1 or 6.12)
#   BENCH_ONLY=echo, http, proxy or kv: that table alone (results then default
#   to build/bench/results-echo, -http, -proxy or -kv, leaving bench/results
#   whole; BENCH_ONLY=proxy (or kv) BENCH_RESULTS=bench/results replaces
#   proxy.txt and proxy.csv (kv.txt, kv.csv) there and nothing else)
#   BENCH_PICK: an extended regular expression; only the rows and parts whose
#   names it matches whole run (row names as in the tables, and echo_profile,
#   scale, http_profile, proxy_profile, access_log, slow, kv_memory,
#   kv_profile); for a quick look at one row
#   BENCH_PARAMS: module parameters, name=value[:name=value], e.g. poll_us=0
# The servers get the first BENCH_SERVER_CPUS CPUs, the client the rest (one
# fh_load thread per CPU): on a host with cores to spare, give the client more
# CPUs than the server so the server, not the client, sets the pace.
# Each row runs BENCH_REPS times, the servers interleaved; the table shows
# the median run of each.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# 6.1 results stay where they always were; other kernels get their own.
bk=${BENCH_KERNEL:-6.1}
only=${BENCH_ONLY:-all}
case "$only" in
all) res=${BENCH_RESULTS:-bench/results$([ "$bk" = 6.1 ] || echo "-$bk")} ;;
echo | http | proxy | kv) res=${BENCH_RESULTS:-build/bench/results-$only$([ "$bk" = 6.1 ] || echo "-$bk")} ;;
*) echo "bench: BENCH_ONLY is echo, http, proxy or kv, not $only" >&2; exit 2 ;;
esac
# The proxy table wants a CPU each for the proxy, its upstream and the
# client; the other tables keep the 2 vCPUs their results were made with.
cpus=${VM_CPUS:-$([ "$only" = proxy ] && echo 3 || echo 2)}
# table NAME: whether this run makes that table.
table() { [ "$only" = all ] || [ "$only" = "$1" ]; }
# A pick is a partial table: it never overwrites the full results.
[ "${BENCH_PICK:-all}" = all ] || res=${BENCH_RESULTS:-build/bench/results-pick}
out=build/bench/vm
mkdir -p "$res" "$out"
secs=${BENCH_SECONDS:-4}
reps=${BENCH_REPS:-5}

guest=stock-$bk
tests/vm/build-module.sh "$guest"
# The slow-client test's client and the proxy table's upstream (the
# Makefile's pattern rule builds them; bench-tools has the upstream too).
${MAKE:-make} -s build/bench/fh_slow build/bench/fh_upstream_srv build/bench/fh_kv_load
tests/vm/mkinitramfs.sh -o build/bench/bench.cpio.gz --dir tests/vm/guest:/fh \
	--file "build/k/$guest/kmod/firehose.ko:/fh/mod/firehose.ko" --file userspace/fhctl:/fh/bin/fhctl \
	--file build/bench/fh_load:/fh/bin/fh_load --file build/bench/epoll_echo:/fh/bin/epoll_echo \
	--file build/bench/uring_echo:/fh/bin/uring_echo --file build/bench/fh_idle:/fh/bin/fh_idle \
	--file build/bench/fh_slow:/fh/bin/fh_slow --file build/bench/fh_upstream_srv:/fh/bin/fh_upstream_srv \
	--file build/bench/fh_kv_load:/fh/bin/fh_kv_load \
	--bin perf --bin nginx --bin wrk --bin memcached

echo "bench: booting the VM ($(tests/vm/kernel.sh release "${guest#stock-}"), $cpus CPUs); progress:"
# slab_nomerge: firehose's caches must show in /proc/slabinfo under their names.
# The TSC, not the emulated HPET: under TCG every HPET read is a costly exit
# that would dominate both servers' profiles (real hardware reads the TSC).
# thash_entries: an established-connection hash sized for C100K, as a user
# holding 100,000 connections would size it.
tests/vm/run.sh --kernel "$guest" --initrd build/bench/bench.cpio.gz --run bench.sh \
	--args "$secs,$reps,${BENCH_SERVER_CPUS:-0},$only,${BENCH_PICK:-all},${BENCH_UPSTREAM_CPUS:-0},${BENCH_PARAMS:-}" --cpus "$cpus" --mem "${VM_MEM:-6144}" --timeout 3000 \
	--append "slab_nomerge thash_entries=262144 ${BENCH_APPEND-clocksource=tsc tsc=reliable}" --out "$out" --show-console | grep --line-buffered -E '^(bench|scale|http |proxy |kv |[0-9A-Za-z_]+ (firehose|epoll|uring):)' || true
report=$out/report
tr -d '\r' <"$report" | grep -q '^FH-STATUS 0$' || { echo "bench: the guest failed; see $out/console.log" >&2; exit 1; }

# The run with the median rate stands for a row: of runs 1..cnt of row k
# (rates r[k, 1..cnt]), the one with (cnt - 1) / 2 runs below it, ties
# going to the earlier run. Both tables' awk programs start with it.
# The http and proxy profiles' legend and tables (profile_http in the
# guest's bench.sh): hp[ROW, SERVER] the HPROF line, hs[ROW SUBSEP SERVER,
# i] its top leaf symbols, mus[ROW, SERVER] the row's median us/req.
profile_awk='
	function profile_legend() {
		printf "graphs, up to 3 s of the load'"'"'s steady state, as wrk drives the row). Each busy sample\n"
		printf "goes to the first function of its stack, leaf first, that is in a class; shared helpers\n"
		printf "(memcpy, memset, slab and page allocation, locks, RCU, iov_iter copies, ktime) pass it\n"
		printf "to their caller. floor: TCP/IP stack and socket layer (tcp_, ip_, inet_, sk_, sock_,\n"
		printf "skb_, net device, loopback; on loopback this includes the client'"'"'s receive, run in\n"
		printf "the sender'"'"'s softirq): what every server pays. own: firehose'"'"'s module or nginx'"'"'s\n"
		printf "binary. file: page cache, splice/sendfile, VFS. sys: syscall entry/exit, epoll, fd\n"
		printf "table, libc. sched: scheduler, wakeups, timers, irqs, RCU/workqueue upkeep. xmit: the\n"
		printf "echo profile'"'"'s floor (under tcp_write_xmit or tcp_stream_alloc_skb). poll: firehose\n"
		printf "spinning for work (polled_us), part of own. Shares of busy samples.\n"
		printf "us/req: the row'"'"'s median server CPU per request (the table above); floor_us: us/req x\n"
		printf "floor%%; ceiling: the other server'"'"'s us/req over this one'"'"'s floor_us, the most this\n"
		printf "server could gain per request over the other if all its non-floor CPU went to zero.\n"
	}
	function profile_rows(hp, hs, mus, porder, npo,    i, j, r, sv, ov, a, us, fus, x, y) {
		for (i = 1; i <= npo; i++) for (r in porder) if (porder[r] == i) {
			printf "\n%s\n", r
			printf "%-9s %6s %6s %6s %6s %6s %6s %6s %6s %6s %8s %8s %8s %8s\n", "server", "busy%", "floor%", "own%",
				"file%", "sys%", "sched%", "other%", "xmit%", "poll%", "samples", "us/req", "floor_us", "ceiling"
			for (j = 1; j <= 2; j++) {
				sv = j == 1 ? "firehose" : "nginx"; ov = j == 1 ? "nginx" : "firehose"
				if (!((r, sv) in hp)) continue
				split(hp[r, sv], a, " ")
				us = mus[r, sv]; fus = us * a[5] / 100
				printf "%-9s %5.1f%% %5.1f%% %5.1f%% %5.1f%% %5.1f%% %5.1f%% %5.1f%% %5.1f%% %6s %8d %8.2f %8.2f %8s\n",
					sv, a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11],
					sv == "firehose" ? sprintf("%.1f%%", a[12]) : "-", a[13], us, fus,
					((fus > 0 && mus[r, ov] > 0) ? sprintf("%.2fx", mus[r, ov] / fus) : "-")
			}
			printf "  top leaf symbols, share of busy samples:\n"
			printf "  %-39s | %s\n", "firehose", "nginx"
			for (j = 1; j <= 12; j++) {
				x = hs[r SUBSEP "firehose", j]; y = hs[r SUBSEP "nginx", j]
				if (x == "" && y == "") break
				printf "  %-39s | %s\n", x, y
			}
		}
	}'

median_awk='
	function median_run(r, k, cnt,    i, j, lo) {
		for (i = 1; i <= cnt; i++) {
			lo = 0
			for (j = 1; j <= cnt; j++)
				if (r[k, j] < r[k, i] || (r[k, j] == r[k, i] && j < i))
					lo++
			if (lo == int((cnt - 1) / 2))
				return i
		}
		return 1
	}'

when=$(date -u +%Y-%m-%dT%H:%MZ)
kernel=$(tests/vm/kernel.sh release "${guest#stock-}")
# The host's CPU: the vCPUs are qemu threads on it.
host_cpu="$(awk -F': *' '$1 ~ /^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores"
[ "$only" = proxy ] || [ "$only" = kv ] || : >"$res/bench.txt"
! table echo || tr -d '\r' <"$report" | awk -v csv="$res/bench.csv" -v when="$when" -v kernel="$kernel" \
	-v cpus="$cpus" -v scpus="${BENCH_SERVER_CPUS:-$((cpus / 2))}" -v secs="$secs" -v reps="$reps" "$median_awk"'
	$1 == "ROW" { key = $2; if (!(key in order)) order[key] = ++n
		k = key SUBSEP $3; runs[k]++
		rate[k, runs[k]] = $4; p50[k, runs[k]] = $5; p99[k, runs[k]] = $6
		cpu[k, runs[k]] = $7; util[k, runs[k]] = $8; ccpu[k, runs[k]] = $9
		poll[k, runs[k]] = $10 }
	$1 == "SCALE" { sc[++ns] = $0 }
	$1 == "PROFILE" && NF == 7 { pr[++npr] = $0 }
	$1 == "PROFILE" && NF == 3 { prof[++np] = $2 " " $3 }
	function median(k) { return median_run(rate, k, runs[k]) }
	END {
		printf "firehose bench, %s, guest kernel %s, %d vCPUs (qemu TCG), %ss per run, median of %s\n", when, kernel, cpus, secs, reps
		printf "servers pinned to the first %d CPU(s), the client (fh_load, a thread per CPU) to the rest\n\n", scpus
		printf "ratio: firehose/epoll messages per second. eff: the same per second of server CPU\n"
		printf "(epoll us/msg over firehose us/msg), the figure the client cannot cap.\n"
		printf "ratio_u, eff_u, eff_np_u: the same against the io_uring server (uring).\n"
		printf "us/msg: server CPU time per message; cli: client CPU time per message; cpu%%: server CPU busy\n"
		printf "fh_poll: of fh_us, the time firehose spun waiting for work (poll_us), which served no\n"
		printf "message; eff_np: eff with that time left out.\n\n"
		printf "%-14s %11s %11s %11s %6s %6s %7s %7s %6s %8s %9s %9s %9s %8s %8s %8s %7s %7s %7s %7s %6s %6s %6s\n",
			"row", "firehose/s", "epoll/s", "uring/s", "ratio", "eff", "eff_np", "ratio_u", "eff_u", "eff_np_u",
			"fh_p99us", "ep_p99us", "ur_p99us", "fh_us", "ep_us", "ur_us", "fh_poll",
			"fh_cli", "ep_cli", "ur_cli", "fh_cpu", "ep_cpu", "ur_cpu"
		# The uring columns come last, so the earlier ones keep their places.
		print "row,firehose_msgs_per_s,epoll_msgs_per_s,ratio,efficiency_ratio,firehose_p50_us,epoll_p50_us,firehose_p99_us,epoll_p99_us,firehose_cpu_us_per_msg,epoll_cpu_us_per_msg,firehose_client_us_per_msg,epoll_client_us_per_msg,firehose_polled_us_per_msg,efficiency_ratio_net_of_polling,uring_msgs_per_s,ratio_uring,efficiency_ratio_uring,efficiency_ratio_uring_net_of_polling,uring_p50_us,uring_p99_us,uring_cpu_us_per_msg,uring_client_us_per_msg" > csv
		for (i = 1; i <= n; i++) for (k in order) if (order[k] == i) {
			F = k SUBSEP "firehose"; E = k SUBSEP "epoll"; U = k SUBSEP "uring"
			mf = median(F); me = median(E); mu = median(U)
			f = rate[F, mf]; e = rate[E, me]; u = rate[U, mu]
			r = e > 0 ? f / e : 0
			x = cpu[F, mf] > 0 ? cpu[E, me] / cpu[F, mf] : 0
			net = cpu[F, mf] - poll[F, mf]
			xn = net > 0 ? cpu[E, me] / net : 0
			ru = u > 0 ? f / u : 0
			xu = cpu[F, mf] > 0 ? cpu[U, mu] / cpu[F, mf] : 0
			xnu = net > 0 ? cpu[U, mu] / net : 0
			printf "%-14s %11d %11d %11d %5.2fx %5.2fx %6.2fx %6.2fx %5.2fx %7.2fx %9.1f %9.1f %9.1f %8.2f %8.2f %8.2f %7.2f %7.2f %7.2f %7.2f %5d%% %5d%% %5d%%\n",
				k, f, e, u, r, x, xn, ru, xu, xnu,
				p99[F, mf], p99[E, me], p99[U, mu], cpu[F, mf], cpu[E, me], cpu[U, mu], poll[F, mf],
				ccpu[F, mf], ccpu[E, me], ccpu[U, mu], util[F, mf], util[E, me], util[U, mu]
			printf "%s,%d,%d,%.3f,%.3f,%s,%s,%s,%s,%s,%s,%s,%s,%s,%.3f,%d,%.3f,%.3f,%.3f,%s,%s,%s,%s\n", k, f, e, r, x, p50[F, mf],
				p50[E, me], p99[F, mf], p99[E, me], cpu[F, mf], cpu[E, me],
				ccpu[F, mf], ccpu[E, me], poll[F, mf], xn,
				u, ru, xu, xnu, p50[U, mu], p99[U, mu], cpu[U, mu], ccpu[U, mu] >> csv
		}
		printf "\nscale: 64 B, depth 1, 32 connections, while the same server holds an idle crowd\n"
		printf "%-10s %-10s %12s %10s %8s %20s\n", "server", "idle_conns", "msgs/s", "p99_us", "vs_none", "fh_bytes/conn"
		for (i = 1; i <= ns; i++) {
			split(sc[i], a, " ")
			if (a[3] == 0) base[a[2]] = a[4]
			# Parenthesized: a bare > among printf arguments redirects.
			pct = base[a[2]] ? 100 * a[4] / base[a[2]] : 0
			per = (a[2] == "firehose" && a[3] > 0) ? a[6] : "-"
			printf "%-10s %-10d %12d %10.1f %7.1f%% %20s\n", a[2], a[3], a[4], a[5], pct, per
		}
		printf "\nprofile: server CPUs, 64 B, 32 connections (perf cpu-clock with call graphs)\n"
		printf "floor: sending each reply (tcp_write_xmit, which on loopback also runs the\n"
		printf "client receive) and allocating its skb (tcp_stream_alloc_skb): what any TCP server pays.\n"
		printf "ceiling: 100 / the floor share of a userspace server (epoll, uring), the most any server\n"
		printf "could gain per CPU-second over it.\n"
		printf "fh_functions: the functions of firehose itself; polling: of those, the worker spinning for work\n"
		printf "(its polled_us counter), which is busy time but no work. Shares of busy samples.\n\n"
		printf "%-10s %5s %7s %8s %14s %9s %8s\n", "server", "depth", "busy%", "floor%", "fh_functions%", "polling%", "ceiling"
		for (i = 1; i <= npr; i++) {
			split(pr[i], a, " ")
			printf "%-10s %5s %6.1f%% %7.1f%% %14s %9s %8s\n", a[2], a[3], a[4], a[6],
				a[2] == "firehose" ? sprintf("%.1f%%", a[5]) : "-",
				a[2] == "firehose" ? sprintf("%.1f%%", a[7]) : "-",
				(a[2] != "firehose" && a[6] > 0) ? sprintf("%.2fx", 100 / a[6]) : "-"
		}
		printf "\ntop symbols, server CPUs during firehose 64 B, depth 1 (share of all samples)\n"
		for (i = 1; i <= np; i++) { split(prof[i], a, " "); printf "  %6.2f%%  %s\n", a[2], a[1] }
	}' >>"$res/bench.txt"
! table http || tr -d '\r' <"$report" | awk -v csv="$res/http.csv" -v when="$when" -v kernel="$kernel" \
	-v cpus="$cpus" -v scpus="${BENCH_SERVER_CPUS:-$((cpus / 2))}" -v secs="$secs" -v reps="$reps" \
	-v nginx="$(nginx -v 2>&1 | sed 's/.*: //')" -v alone="$([ "$only" = http ] && echo 1 || echo 0)" "$median_awk$profile_awk"'
	$1 == "HROW" { key = $2; if (!(key in order)) order[key] = ++n
		k = key SUBSEP $3; runs[k]++
		rate[k, runs[k]] = $4; p50[k, runs[k]] = $5; p99[k, runs[k]] = $6
		cpu[k, runs[k]] = $7; util[k, runs[k]] = $8; ccpu[k, runs[k]] = $9
		poll[k, runs[k]] = $10; errs[k] += $11 + $12 }
	$1 == "HSTAT" { st[$2] = $3 }
	$1 == "HPROF" { hp[$2, $3] = $0; if (!($2 in porder)) porder[$2] = ++npo }
	$1 == "HPSYM" { pk = $2 SUBSEP $3; hs[pk, ++nhs[pk]] = sprintf("%6.2f%%  %-30s", $4, substr($5, 1, 30)) }
	$1 == "HLOGROW" { v = $2; if (!(v in lorder)) lorder[v] = ++nlo; lr[v]++; L = v SUBSEP lr[v]
		lrate[L] = $4; lp50[L] = $5; lp99[L] = $6; lcpu[L] = $7; lutil[L] = $8; lcli[L] = $9
		lpoll[L] = $10; lerr[v] += $11 + $12 }
	$1 == "HLOGCNT" { L = $2 SUBSEP lr[$2]; lrec[L] = $3; ldrop[L] = $4; lreq[L] = $5 }
	$1 == "HCACHE" { sub(/^HCACHE /, ""); cache = $0 }
	$1 == "SLOW" { slow[++nslow] = $0 }
	function median(k) { return median_run(rate, k, runs[k]) }
	function lmedian(v) { return median_run(lrate, v, lr[v]) }
	function pct(a, b) { return a + b > 0 ? sprintf("%.1f%%", 100 * a / (a + b)) : "-" }
	END {
		if (alone) {
			printf "firehose bench, %s, guest kernel %s, %d vCPUs (qemu TCG), %ss per run, median of %s\n", when, kernel, cpus, secs, reps
			printf "servers pinned to the first %d CPU(s), the client to the rest\n", scpus
		} else
			printf "\n"
		printf "\nhttp: static files, firehose (fhctl listener add http) against %s, both on the\n", nginx
		printf "server CPUs; client wrk, a thread per client CPU, pinned to them, 32 connections,\n"
		printf "keep-alive (ka) or Connection: close on every request (close: a new connection each).\n"
		printf "ratio: firehose/nginx requests per second. eff: nginx us/req over firehose us/req.\n"
		printf "us/req: server CPU time per request (of it, fh_poll: firehose spinning for work);\n"
		printf "cli: client CPU per request; cpu%%: server CPU busy. err: socket errors plus non-2xx\n"
		printf "responses wrk saw, over all runs (must be 0).\n\n"
		printf "%-15s %10s %10s %6s %6s %9s %9s %9s %9s %8s %8s %7s %7s %7s %6s %6s %6s %6s\n",
			"row", "fh_req/s", "ng_req/s", "ratio", "eff", "fh_p50us", "ng_p50us", "fh_p99us", "ng_p99us",
			"fh_us", "ng_us", "fh_poll", "fh_cli", "ng_cli", "fh_cpu", "ng_cpu", "fh_err", "ng_err"
		print "row,firehose_req_per_s,nginx_req_per_s,ratio,efficiency_ratio,firehose_p50_us,nginx_p50_us,firehose_p99_us,nginx_p99_us,firehose_cpu_us_per_req,nginx_cpu_us_per_req,firehose_polled_us_per_req,firehose_client_us_per_req,nginx_client_us_per_req,firehose_cpu_util,nginx_cpu_util,firehose_errors,nginx_errors" > csv
		for (i = 1; i <= n; i++) for (k in order) if (order[k] == i) {
			F = k SUBSEP "firehose"; N = k SUBSEP "nginx"
			mf = median(F); mn = median(N)
			f = rate[F, mf]; g = rate[N, mn]
			r = g > 0 ? f / g : 0
			x = cpu[F, mf] > 0 ? cpu[N, mn] / cpu[F, mf] : 0
			mus[k, "firehose"] = cpu[F, mf]; mus[k, "nginx"] = cpu[N, mn]
			printf "%-15s %10d %10d %5.2fx %5.2fx %9.1f %9.1f %9.1f %9.1f %8.2f %8.2f %7.2f %7.2f %7.2f %5d%% %5d%% %6d %6d\n",
				k, f, g, r, x, p50[F, mf], p50[N, mn], p99[F, mf], p99[N, mn], cpu[F, mf], cpu[N, mn],
				poll[F, mf], ccpu[F, mf], ccpu[N, mn], util[F, mf], util[N, mn], errs[F], errs[N]
			printf "%s,%d,%d,%.3f,%.3f,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%d,%d\n", k, f, g, r, x,
				p50[F, mf], p50[N, mn], p99[F, mf], p99[N, mn], cpu[F, mf], cpu[N, mn], poll[F, mf],
				ccpu[F, mf], ccpu[N, mn], util[F, mf], util[N, mn], errs[F], errs[N] >> csv
		}
		printf "\nfirehose counters over the http rows (every run):\n"
		printf "  responses: 2xx %.0f, 3xx %.0f, 4xx %.0f, 5xx %.0f; connections accepted %.0f\n",
			st["http_2xx"], st["http_3xx"], st["http_4xx"], st["http_5xx"], st["accepted"]
		printf "  cache: %.0f hits, %.0f misses, hit rate %s; %.0f requests parked for the loader\n",
			st["cache_hits"], st["cache_misses"], pct(st["cache_hits"], st["cache_misses"]), st["parked"]
		printf "  body bytes: %.0f from the content cache, %.0f streamed from the page cache\n",
			st["cache_bytes_out"], st["streamed_bytes_out"]
		printf "  zero-copy share of bytes sent: %s (zerocopy_bytes %.0f, copied_bytes %.0f)\n",
			pct(st["zerocopy_bytes"], st["copied_bytes"]), st["zerocopy_bytes"], st["copied_bytes"]
		printf "  fhctl cache stats -j: %s\n", cache
		if (nlo) {
			printf "\naccess log: 512 B keep-alive, 32 connections, from a second firehose listener added\n"
			printf "with --access-log (on), beside the first listener (off), interleaved, median of %s.\n", reps
			printf "on: nobody reads the log during the run, so each CPU'"'"'s ring (1024 records) fills at\n"
			printf "once and the rest of the records are dropped (log_dropped): it times mostly the drop.\n"
			printf "on_follow: fhctl log --follow >/dev/null runs on the client CPUs, emptying the rings\n"
			printf "every 10 ms while records come (its CPU counts as client CPU, in cli_us). records, dropped: the counters'"'"'\n"
			printf "increase over the median run; us_vs_off: server us/req over the off run'"'"'s.\n\n"
			printf "%-10s %9s %9s %9s %8s %8s %8s %6s %9s %9s %8s %9s %4s\n", "variant", "req/s", "p50us", "p99us",
				"fh_us", "fh_poll", "cli_us", "cpu%", "records", "dropped", "drop%", "us_vs_off", "err"
			for (i = 1; i <= nlo; i++) for (v in lorder) if (lorder[v] == i) {
				m = lmedian(v); L = v SUBSEP m
				if (v == "off") offus = lcpu[L]
				printf "%-10s %9d %9.1f %9.1f %8.2f %8.2f %8.2f %5d%% %9d %9d %7.1f%% %9s %4d\n", v, lrate[L], lp50[L], lp99[L],
					lcpu[L], lpoll[L], lcli[L], lutil[L], lrec[L], ldrop[L],
					(lreq[L] > 0 ? 100 * ldrop[L] / lreq[L] : 0),
					(offus > 0 ? sprintf("%.3fx", lcpu[L] / offus) : "-"), lerr[v]
			}
		}
		if (npo) {
			printf "\nprofile: the server CPUs during each server'"'"'s run (perf cpu-clock at 1 kHz with call\n"
			profile_legend()
			profile_rows(hp, hs, mus, porder, npo)
		}
		if (nslow) {
			split(slow[1], a, " ")
			printf "\nslow clients (Kegel): %d clients each reading 1m.bin at most 10,000 bytes/s\n", a[3]
			printf "(bench/fh_slow, 8 KiB receive buffer; 9.54 MiB/s offered in all), one run. MiB/s: all\n"
			printf "clients together; slowest: the slowest client'"'"'s bytes/s;\n"
			printf "us/MiB: server CPU per MiB sent; own B/client: firehose'"'"'s slabs (fh_conn, fh_seg,\n"
			printf "fh_http_conn, http_req, fh_source), nginx'"'"'s resident memory; tcp B/client: TCP\n"
			printf "buffers of both ends; memavail: the drop in MemAvailable (everything).\n\n"
			printf "%-10s %8s %8s %8s %9s %6s %13s %13s %15s %5s\n", "server", "clients", "MiB/s", "slowest", "us/MiB", "cpu%",
				"own_B/client", "tcp_B/client", "memavail_B/cl", "exit"
			for (i = 1; i <= nslow; i++) {
				split(slow[i], a, " ")
				printf "%-10s %8d %8.2f %8d %9.1f %5d%% %13d %13d %15d %5d\n", a[2], a[3], a[4] / 1048576, a[11],
					a[5], a[6], a[7], a[8], a[9], a[10]
			}
		}
	}' >>"$res/bench.txt"
# The proxy table: its own file (proxy.txt, proxy.csv), with its own header;
# none when BENCH_PICK left out all its rows (the guest then gives no PINFO).
ptable=
if table proxy && tr -d '\r' <"$report" | grep -q '^PINFO '; then
	ptable=1
	tr -d '\r' <"$report" | awk -v csv="$res/proxy.csv" -v when="$when" -v kernel="$kernel" \
	-v cpus="$cpus" -v secs="$secs" -v reps="$reps" -v host="$host_cpu" \
	-v nginx="$(nginx -v 2>&1 | sed 's/.*: //')" "$median_awk$profile_awk"'
	$1 == "PINFO" { sc = $2; uc = $3; cc = $4; shared = $5 }
	$1 == "PROW" { key = $2; if (!(key in order)) order[key] = ++n
		k = key SUBSEP $3; runs[k]++; j = runs[k]
		rate[k, j] = $4; p50[k, j] = $5; p99[k, j] = $6; cpu[k, j] = $7; util[k, j] = $8
		ccpu[k, j] = $9; poll[k, j] = $10; ucpu[k, j] = $11; uutil[k, j] = $12
		errs[k] += $13 + $14; reqs[k] += $15
		relayed[k] += $16; copied[k] += $17; proxied[k] += $18
		conns[k] += $19; reuses[k] += $20; ufail[k] += $21; cutil[k, j] = $22 }
	$1 == "PSTAT" { st[$2] = $3 }
	$1 == "PKLOG" { sub(/^PKLOG /, ""); klog[++nk] = $0 }
	$1 == "PPROF" { hp[$2, $3] = $0; if (!($2 in porder)) porder[$2] = ++npo }
	$1 == "PPSYM" { pk = $2 SUBSEP $3; hs[pk, ++nhs[pk]] = sprintf("%6.2f%%  %-30s", $4, substr($5, 1, 30)) }
	function median(k) { return median_run(rate, k, runs[k]) }
	function share(a, b) { return a + b > 0 ? 100 * a / (a + b) : -1 }
	END {
		printf "firehose bench, %s, guest kernel %s, %d vCPUs (qemu TCG), %ss per run, median of %s\n", when, kernel, cpus, secs, reps
		printf "host: %s; the vCPUs are qemu threads on its cores, so with more vCPUs than cores\n", host
		printf "they take turns on them, and anything else running on the host competes too.\n"
		printf "\nproxy: firehose'"'"'s reverse proxy (fhctl upstream add app 127.0.0.1:8000 --keepalive 32;\n"
		printf "listener add http --route /api/=app, static files beside it) against %s as a reverse\n", nginx
		printf "proxy (proxy_pass http://app, upstream keepalive 32, proxy_http_version 1.1,\n"
		printf "proxy_set_header Connection \"\", default buffering; tuned as the http table'"'"'s nginx), both\n"
		printf "pinned to the server CPUs (%s), both in front of the same upstream, bench/fh_upstream_srv,\n", sc
		if (shared)
			printf "a thread per CPU of %s, SHARING the client'"'"'s CPUs (no CPU to spare: VM_CPUS=3 separates them);\n", uc
		else
			printf "a thread per CPU of %s, CPUs of its own;\n", uc
		printf "client wrk, a thread per client CPU (%s), pinned to them, 32 connections.\n", cc
		printf "rows: get_512, get_64k: keep-alive GET /api/512, /api/65536; post_4k_echo: keep-alive POST\n"
		printf "/api/echo of 4 KiB, echoed back; new_conn_get_512: GET /api/512 with Connection: close, a new\n"
		printf "client connection per request (the proxies keep their upstream connections); mixed_80_20:\n"
		printf "keep-alive, each wrk thread cycling GET /api/512, /512.bin, /4k.bin, /512.bin, /4k.bin.\n"
		printf "us/req: the proxy'"'"'s CPU per request, the server CPUs'"'"' busy time over requests; the upstream and\n"
		printf "the client run on other CPUs, not in it (on loopback a sender'"'"'s CPU also runs the receiver'"'"'s TCP\n"
		printf "receive: each side carries the receive of what it sends). eff: nginx us/req over firehose us/req.\n"
		printf "fh_poll: of fh_us, firehose spinning for work. cli: client CPU per request%s.\n",
			shared ? "\n(the upstream'"'"'s with it, on the same CPUs)" : ""
		printf "up_us, up%%: the upstream'"'"'s CPU per request and busy share while each proxy ran%s.\n",
			shared ? " (its process time)" : ""
		printf "fh%%, ng%%, up%%, cli%%: the server, upstream and client CPUs busy (up%% and cli%% for firehose'"'"'s\n"
		printf "run / nginx'"'"'s): one near 100 set the pace; none near 100: the host'"'"'s cores, shared by the vCPUs, did.\n"
		printf "relay%%: of firehose'"'"'s relayed body bytes, the share moved by page reference (relayed_bytes\n"
		printf "/ (relayed_bytes + relay_copied_bytes), all runs); prx%%: firehose'"'"'s proxied count over the\n"
		printf "requests wrk counted (100 in proxied rows, 20 mixed; a little over: requests cut at the end).\n"
		printf "err: socket errors plus non-2xx responses wrk saw, over all runs (must be 0).\n"
		printf "goals: eff >= 2 (the hop at most half nginx'"'"'s CPU; proxied rows), req/s >= nginx'"'"'s (ratio\n"
		printf ">= 1), relay%% >= 99; ok, or the ones missed.\n\n"
		printf "%-17s %9s %9s %6s %6s %8s %8s %9s %9s %7s %7s %7s %7s %7s %7s %7s %5s %5s %5s %5s %7s %5s %5s %5s %s\n",
			"row", "fh_req/s", "ng_req/s", "ratio", "eff", "fh_us", "ng_us", "fh_p99us", "ng_p99us",
			"fh_poll", "fh_cli", "ng_cli", "fh_up", "ng_up", "fh_p50", "ng_p50", "fh%", "ng%", "up%", "cli%",
			"relay%", "prx%", "fh_er", "ng_er", "goals"
		print "row,firehose_req_per_s,nginx_req_per_s,ratio,efficiency_ratio,firehose_p50_us,nginx_p50_us,firehose_p99_us,nginx_p99_us,firehose_cpu_us_per_req,nginx_cpu_us_per_req,firehose_polled_us_per_req,firehose_client_us_per_req,nginx_client_us_per_req,firehose_cpu_util,nginx_cpu_util,firehose_upstream_us_per_req,nginx_upstream_us_per_req,firehose_upstream_util,nginx_upstream_util,firehose_errors,nginx_errors,relayed_bytes,relay_copied_bytes,relay_by_reference_pct,firehose_proxied_pct,upstream_connects,upstream_reuses,upstream_failures,goal_efficiency,goal_rate,goal_relay,firehose_client_util,nginx_client_util" > csv
		for (i = 1; i <= n; i++) for (k in order) if (order[k] == i) {
			F = k SUBSEP "firehose"; N = k SUBSEP "nginx"
			mf = median(F); mn = median(N)
			f = rate[F, mf]; g = rate[N, mn]
			r = g > 0 ? f / g : 0
			x = cpu[F, mf] > 0 ? cpu[N, mn] / cpu[F, mf] : 0
			mus[k, "firehose"] = cpu[F, mf]; mus[k, "nginx"] = cpu[N, mn]
			z = share(relayed[F], copied[F])
			px = reqs[F] > 0 ? 100 * proxied[F] / reqs[F] : 0
			mixed = k ~ /^mixed/
			ge = mixed ? "-" : (x >= 2 ? "yes" : "no")
			gr = r >= 1 ? "yes" : "no"
			gz = z < 0 ? "-" : (z >= 99 ? "yes" : "no")
			miss = ""
			if (ge == "no") miss = miss ",eff"
			if (gr == "no") miss = miss ",req/s"
			if (gz == "no") miss = miss ",relay"
			miss = miss == "" ? "ok" : "missed:" substr(miss, 2)
			printf "%-17s %9d %9d %5.2fx %5.2fx %8.2f %8.2f %9.1f %9.1f %7.2f %7.2f %7.2f %7.2f %7.2f %7.1f %7.1f %4d%% %4d%% %2d/%2d %2d/%2d %7s %4.0f%% %5d %5d %s\n",
				k, f, g, r, x, cpu[F, mf], cpu[N, mn], p99[F, mf], p99[N, mn], poll[F, mf],
				ccpu[F, mf], ccpu[N, mn], ucpu[F, mf], ucpu[N, mn], p50[F, mf], p50[N, mn],
				util[F, mf], util[N, mn], uutil[F, mf], uutil[N, mn], cutil[F, mf], cutil[N, mn],
				z < 0 ? "-" : sprintf("%.2f%%", z), px, errs[F], errs[N], miss
			printf "%s,%d,%d,%.3f,%.3f,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%d,%d,%.0f,%.0f,%s,%.1f,%.0f,%.0f,%.0f,%s,%s,%s,%s,%s\n",
				k, f, g, r, x, p50[F, mf], p50[N, mn], p99[F, mf], p99[N, mn], cpu[F, mf], cpu[N, mn],
				poll[F, mf], ccpu[F, mf], ccpu[N, mn], util[F, mf], util[N, mn], ucpu[F, mf], ucpu[N, mn],
				uutil[F, mf], uutil[N, mn], errs[F], errs[N], relayed[F], copied[F],
				z < 0 ? "" : sprintf("%.3f", z), px, conns[F], reuses[F], ufail[F], ge, gr, gz,
				cutil[F, mf], cutil[N, mn] >> csv
		}
		printf "\nfirehose counters over the proxy rows (every run):\n"
		printf "  proxied %.0f; upstream connections opened %.0f, requests on kept ones %.0f\n",
			st["proxied"], st["upstream_connects"], st["upstream_reuses"]
		printf "  upstream retries %.0f, refused %.0f, timeouts %.0f, bad heads %.0f, aborted by the client %.0f\n",
			st["upstream_retries"], st["upstream_refused"], st["upstream_timeouts"], st["upstream_bad"], st["upstream_aborts"]
		z = share(st["relayed_bytes"], st["relay_copied_bytes"])
		printf "  body bytes relayed by page reference %.0f, copied %.0f (%s by reference)\n",
			st["relayed_bytes"], st["relay_copied_bytes"], z < 0 ? "-" : sprintf("%.2f%%", z)
		printf "  responses: 2xx %.0f, 3xx %.0f, 4xx %.0f, 5xx %.0f; client connections accepted %.0f\n",
			st["http_2xx"], st["http_3xx"], st["http_4xx"], st["http_5xx"], st["accepted"]
		if (npo) {
			printf "\nprofile: the server CPUs during each proxy'"'"'s run of the row, in front of the same upstream\n"
			printf "(perf cpu-clock at 1 kHz with call "
			profile_legend()
			profile_rows(hp, hs, mus, porder, npo)
		}
		if (nk) {
			printf "\nkernel log during the proxy rows (must be empty; the console log has the rest):\n"
			for (i = 1; i <= nk; i++) printf "  %s\n", klog[i]
		}
	}' >"$res/proxy.txt"
fi
# The kv table: its own file (kv.txt, kv.csv), with its own header; none when
# BENCH_PICK left out all of it (the guest then gives no KINFO).
ktable=
if table kv && tr -d '\r' <"$report" | grep -q '^KINFO '; then
	ktable=1
	tr -d '\r' <"$report" | awk -v csv="$res/kv.csv" -v when="$when" -v kernel="$kernel" \
	-v cpus="$cpus" -v secs="$secs" -v reps="$reps" -v host="$host_cpu" "$median_awk"'
	$1 == "KINFO" { sc = $2; cc = $3; nc = $4; mcv = $5; gsub("_", " ", mcv) }
	$1 == "KROW" { key = $2; if (!(key in order)) order[key] = ++n
		k = key SUBSEP $3; runs[k]++; j = runs[k]
		rate[k, j] = $4; p50[k, j] = $5; p99[k, j] = $6; cpu[k, j] = $7; util[k, j] = $8
		ccpu[k, j] = $9; cutil[k, j] = $10; errs[k] += $11; miss[k] += $12; if ($13 != 0) fails[k]++
		segs[k, j] = $14 + 0 }
	$1 == "KMEM" && $2 == "fh" { mk = $3 " x " $4 " B"; if (!(mk in morder)) morder[mk] = ++nm
		fi[mk] = $3; fheld[mk] = $5; fb[mk] = $6; fslab[mk] = $7; fma[mk] = $8; fhash[mk] = $9 }
	$1 == "KMEM" && $2 == "mc" { mk = $3 " x " $4 " B"; if (!(mk in morder)) morder[mk] = ++nm
		mi[mk] = $5; mb[mk] = $6; mmal[mk] = $7; mrss[mk] = $8; mma[mk] = $9; mhash[mk] = $10 }
	$1 == "KSTAT" { st[$2, $3] = $4 }
	$1 == "KKLOG" { sub(/^KKLOG /, ""); klog[++nk] = $0 }
	$1 == "KPSYM" { ps[$2, ++nps[$2]] = sprintf("%6.2f%%  %-34s", $3, substr($4, 1, 34)) }
	$1 == "KPROF" { kp[$2, $3] = $0; if (!(($2, "row") in kp)) { kp[$2, "row"] = 1; kprn[++nkr] = $2 } }
	function pace(su, cu) { return su >= 95 ? (cu >= 95 ? "both" : "srv") : (cu >= 95 ? "cli" : "host") }
	function median(k) { return median_run(rate, k, runs[k]) }
	function per(a, b) { return b > 0 ? sprintf("%.1f", a / b) : "-" }
	END {
		printf "firehose bench, %s, guest kernel %s, %d vCPUs (qemu TCG), %ss per run, median of %s\n", when, kernel, cpus, secs, reps
		printf "host: %s; the vCPUs are qemu threads on its cores, so with more vCPUs than cores\n", host
		printf "they take turns on them, and anything else running on the host competes too.\n"
		printf "\nkv: firehose'"'"'s kv listener (fhctl listener add kv --mem 256M --cpus %s) against %s\n", sc, mcv
		printf "(-t %d -m 1024 -c 4096 -U 0, taskset to the same CPUs), both pinned to the server CPUs (%s);\n", (split(sc, sx, "-") == 2 ? sx[2] - sx[1] + 1 : 1), sc
		printf "client bench/fh_kv_load, %d thread(s) pinned to the client CPUs (%s), the same for both.\n", nc, cc
		printf "Each run stores its whole key space first (100,000 keys of 32 B, 20,000 of 4 KiB; not timed),\n"
		printf "then times %ss; every reply is checked (value length and bytes, key order, END/MN).\n", secs
		printf "rows: getG_S_cC: text get/set, G%% gets, S values, C connections, one request in flight each;\n"
		printf "mget16: \"get k1 .. k16\"; meta16: \"mg KEY v q\" x16 then \"mn\" (32 connections, all gets).\n"
		printf "ops: keys got or set (a multiget of 16 is 16). us/op: the server CPUs'"'"' busy time (/proc/stat)\n"
		printf "over ops in the timed window. eff: memcached us/op over firehose us/op. cli: client CPU per op;\n"
		printf "fh%%, mc%%: server CPUs busy; cli%%: client CPUs busy (firehose'"'"'s run / memcached'"'"'s): one near\n"
		printf "100 set the pace; the client'"'"'s includes the loopback receive of the replies it gets.\n"
		printf "pace (fh/mc): which CPUs were saturated (>= 95%% busy) in the run: srv, cli (the client: its\n"
		printf "numbers then understate the server), both, or host (neither: the host'"'"'s cores, shared by the\n"
		printf "vCPUs and anything else running, set the pace; us/op still holds).\n"
		printf "segs: TCP segments per op, both ends (fh/mc; /proc/net/snmp OutSegs over the window): 2 in a\n"
		printf "row of single gets when every ACK rides on a request or a reply; above 2, ACKs went alone (a delayed\n"
		printf "ACK timer fired: a reply or the next request came later than it), costing both ends CPU.\n"
		printf "err: reply errors (fh/mc, all runs, must be 0); miss: gets that found nothing (fh/mc, must be 0).\n"
		printf "goals: ops/s >= memcached'"'"'s in every row (ratio >= 1); server CPU per GET at most half\n"
		printf "memcached'"'"'s (eff >= 2) in the get rows (get90, mget, meta); ok, or the ones missed.\n\n"
		printf "%-17s %9s %9s %6s %6s %8s %8s %9s %9s %8s %8s %7s %7s %4s %4s %7s %-9s %9s %7s %7s %s\n",
			"row", "fh_ops/s", "mc_ops/s", "ratio", "eff", "fh_us", "mc_us", "fh_p99us", "mc_p99us",
			"fh_p50", "mc_p50", "fh_cli", "mc_cli", "fh%", "mc%", "cli%", "pace", "segs", "err", "miss", "goals"
		print "row,firehose_ops_per_s,memcached_ops_per_s,ratio,efficiency_ratio,firehose_cpu_us_per_op,memcached_cpu_us_per_op,firehose_p50_us,memcached_p50_us,firehose_p99_us,memcached_p99_us,firehose_client_us_per_op,memcached_client_us_per_op,firehose_cpu_util,memcached_cpu_util,firehose_client_util,memcached_client_util,firehose_errors,memcached_errors,firehose_misses,memcached_misses,goal_rate,goal_efficiency,firehose_tcp_segs_per_op,memcached_tcp_segs_per_op" > csv
		for (i = 1; i <= n; i++) for (k in order) if (order[k] == i) {
			F = k SUBSEP "firehose"; M = k SUBSEP "memcached"
			mf = median(F); mm = median(M)
			f = rate[F, mf]; g = rate[M, mm]
			r = g > 0 ? f / g : 0
			x = cpu[F, mf] > 0 ? cpu[M, mm] / cpu[F, mf] : 0
			getrow = k ~ /^(get|mget|meta)/
			gr = r >= 1 ? "yes" : "no"
			ge = getrow ? (x >= 2 ? "yes" : "no") : "-"
			m = ""
			if (gr == "no") m = m ",ops/s"
			if (ge == "no") m = m ",cpu/get"
			if (errs[F] + errs[M] + fails[F] + fails[M] > 0) m = m ",errors"
			m = m == "" ? "ok" : "missed:" substr(m, 2)
			printf "%-17s %9d %9d %5.2fx %5.2fx %8.2f %8.2f %9.1f %9.1f %8.1f %8.1f %7.2f %7.2f %3d%% %3d%% %3d/%3d %-9s %4.2f/%4.2f %3d/%3d %3d/%3d %s\n",
				k, f, g, r, x, cpu[F, mf], cpu[M, mm], p99[F, mf], p99[M, mm], p50[F, mf], p50[M, mm],
				ccpu[F, mf], ccpu[M, mm], util[F, mf], util[M, mm], cutil[F, mf], cutil[M, mm],
				pace(util[F, mf], cutil[F, mf]) "/" pace(util[M, mm], cutil[M, mm]),
				segs[F, mf], segs[M, mm], errs[F], errs[M], miss[F], miss[M], m
			printf "%s,%d,%d,%.3f,%.3f,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%d,%d,%d,%d,%s,%s,%s,%s\n", k, f, g, r, x,
				cpu[F, mf], cpu[M, mm], p50[F, mf], p50[M, mm], p99[F, mf], p99[M, mm], ccpu[F, mf], ccpu[M, mm],
				util[F, mf], util[M, mm], cutil[F, mf], cutil[M, mm], errs[F], errs[M], miss[F], miss[M], gr, ge,
				segs[F, mf], segs[M, mm] >> csv
		}
		if (nm) {
			printf "\nkv memory: a fresh firehose kv listener and a fresh memcached each store N items of S bytes\n"
			printf "(keys of 12-14 bytes, flags 0, no expiry), nothing else; bytes per item:\n"
			printf "  fh_acct: the listener'"'"'s \"bytes\" / \"items\" (fhctl listener list -j): what firehose counts\n"
			printf "  against --mem; fh_slab: the growth of its fh_kv_* slab caches (num_objs x objsize) / items;\n"
			printf "  fh_avail: the drop in MemAvailable over the listener'"'"'s creation and load / items (all it costs:\n"
			printf "  slabs, value pages, hash table; some noise).\n"
			printf "  mc_bytes: memcached stats bytes / curr_items (its item accounting); mc_malloc: stats slabs\n"
			printf "  total_malloced / curr_items (slab pages it took, 1 MiB at a time); mc_rss: its VmRSS growth\n"
			printf "  over the load / items; mc_avail: the drop in MemAvailable over its start and load / items.\n"
			printf "  Both hash tables grow with the items (stats hash_bytes): fh_hash, mc_hash / items.\n"
			printf "  fh_alloc = fh_acct + fh_hash: the objects and pages its items took, and its table;\n"
			printf "  mc_alloc = mc_malloc + mc_hash: the slab memory memcached took, and its table.\n"
			printf "goal: firehose'"'"'s memory per item not above memcached'"'"'s: fh_alloc <= mc_alloc. Also shown, not\n"
			printf "goals: fh_acct against mc_bytes (memcached counts an item'"'"'s exact length, firehose its\n"
			printf "class'"'"'s size) and fh_avail against mc_avail (noisy: page cache and other slabs move).\n\n"
			printf "%-14s %8s %8s %8s %7s %8s %8s %9s %9s %8s %7s %8s %8s %9s %s\n", "items", "fh_held", "fh_acct", "fh_slab",
				"fh_hash", "fh_alloc", "fh_avail", "mc_held", "mc_bytes", "mc_malloc", "mc_hash", "mc_alloc", "mc_rss", "mc_avail", "goal"
			for (i = 1; i <= nm; i++) for (k in morder) if (morder[k] == i) {
				a = fheld[k] > 0 ? (fb[k] + fhash[k]) / fheld[k] : 0; b = mi[k] > 0 ? (mmal[k] + mhash[k]) / mi[k] : 0
				c = fheld[k] > 0 ? fb[k] / fheld[k] : 0; d = mi[k] > 0 ? mb[k] / mi[k] : 0
				e = fheld[k] > 0 ? fma[k] / fheld[k] : 0; f = mi[k] > 0 ? mma[k] / mi[k] : 0
				printf "%-14s %8d %8s %8s %7s %8s %8s %9d %9s %8s %7s %8s %8s %9s alloc %s (%.2fx); acct %.2fx, avail %.2fx\n", k, fheld[k],
					per(fb[k], fheld[k]), per(fslab[k], fheld[k]), per(fhash[k], fheld[k]),
					per(fb[k] + fhash[k], fheld[k]), per(fma[k], fheld[k]), mi[k],
					per(mb[k], mi[k]), per(mmal[k], mi[k]), per(mhash[k], mi[k]), per(mmal[k] + mhash[k], mi[k]),
					per(mrss[k], mi[k]), per(mma[k], mi[k]),
					(a > 0 && a <= b) ? "ok" : "missed", (b > 0 ? a / b : 0),
					(d > 0 ? c / d : 0), (f > 0 ? e / f : 0)
			}
		}
		printf "\nstats after the kv rows (every run): firehose cmd_get %.0f, cmd_set %.0f, get_hits %.0f,\n",
			st["fh", "cmd_get"], st["fh", "cmd_set"], st["fh", "get_hits"]
		printf "  get_misses %.0f, evictions %.0f, fh_out_of_memory %.0f, fh_shard_locks %.0f, fh_shard_contended %.0f (%s);\n",
			st["fh", "get_misses"], st["fh", "evictions"], st["fh", "fh_out_of_memory"], st["fh", "fh_shard_locks"],
			st["fh", "fh_shard_contended"], (st["fh", "fh_shard_locks"] > 0 ? sprintf("%.3f%% of locks", 100 * st["fh", "fh_shard_contended"] / st["fh", "fh_shard_locks"]) : "-")
		printf "  memcached cmd_get %.0f, cmd_set %.0f, get_hits %.0f, get_misses %.0f, evictions %.0f\n",
			st["mc", "cmd_get"], st["mc", "cmd_set"], st["mc", "get_hits"], st["mc", "get_misses"], st["mc", "evictions"]
		if (nps["firehose"] + nps["memcached"]) {
			printf "\nprofile: the server CPUs during get90_32B_c32 (perf cpu-clock, 2 s of the timed window),\n"
			printf "top symbols, share of all samples (idle included):\n"
			printf "  %-43s | %s\n", "firehose", "memcached"
			for (j = 1; j <= 15; j++) {
				a = ps["firehose", j]; b = ps["memcached", j]
				if (a == "" && b == "") break
				printf "  %-43s | %s\n", a, b
			}
		}
		if (nkr) {
			printf "\nwhere the busy server CPU goes in the get90 32 B rows, by class (as in the http profile: floor is\n"
			printf "the TCP/IP stack and socket layer, which on loopback includes the client'"'"'s receive; own is the\n"
			printf "server'"'"'s code; sys is system calls, epoll and libc; poll is firehose'"'"'s spinning). floor_us: us/op x\n"
			printf "floor%%; ceiling: the other server'"'"'s us/op over this one'"'"'s floor_us, the most this one could gain per\n"
			printf "op over the other if all its CPU but the floor went to zero (the eff goal of 2 needs a ceiling above 2).\n"
			printf "%-16s %-10s %6s %6s %6s %6s %6s %6s %6s %8s %8s %8s\n", "row", "server", "busy%", "floor%", "own%", "sys%", "sched%", "other%", "poll%", "us/op", "floor_us", "ceiling"
			for (r = 1; r <= nkr; r++) {
				kprow = kprn[r]
				if (!((kprow, "firehose") in kp) || !((kprow, "memcached") in kp)) continue
				F = kprow SUBSEP "firehose"; M = kprow SUBSEP "memcached"
				uf = cpu[F, median(F)]; um = cpu[M, median(M)]
				for (j = 1; j <= 2; j++) {
					sv = j == 1 ? "firehose" : "memcached"
					split(kp[kprow, sv], q, " ")
					us = j == 1 ? uf : um; other = j == 1 ? um : uf
					fl = us * q[5] / 100
					printf "%-16s %-10s %6.1f %6.1f %6.1f %6.1f %6.1f %6.1f %6.1f %8.1f %8.1f %8s\n", kprow, sv, q[4], q[5], q[6], q[8], q[9], q[10], q[12],
						us, fl, (fl > 0 && other > 0 ? sprintf("%.2fx", other / fl) : "-")
				}
			}
		}
		if (nk) {
			printf "\nkernel log during the kv rows (must be empty; the console log has the rest):\n"
			for (i = 1; i <= nk; i++) printf "  %s\n", klog[i]
		}
	}' >"$res/kv.txt"
fi
[ "$only" = proxy ] || [ "$only" = kv ] || cat "$res/bench.txt"
[ -z "$ptable" ] || cat "$res/proxy.txt"
[ -z "$ktable" ] || cat "$res/kv.txt"

# Charts: messages/s side by side per row, and server CPU time per message.
if table echo && command -v gnuplot >/dev/null; then
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
set title "echo messages/s: firehose vs tuned epoll and io_uring servers (same pinned CPUs, same client)"
set ylabel "messages/s"
plot "build/bench/plot.dat" using 2:xtic(1) title "firehose", "" using 3 title "epoll reference", \
	"" using 16 title "io_uring reference"
set output "$res/cpu_per_msg.png"
set title "server CPU time per message (lower is better)"
set ylabel "microseconds of server CPU per message"
set logscale y
set key top left
plot "build/bench/plot.dat" using 10:xtic(1) title "firehose", "" using (\$10-\$14) title "firehose, net of polling", \
	"" using 11 title "epoll reference", "" using 22 title "io_uring reference"
EOF
	echo "bench: charts in $res/throughput.png and $res/cpu_per_msg.png"
fi
