#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of 'make check'. $1 is the guest kernel's name (stock-6.1,
# debug-6.12, ...): every result line starts with it. On a debug kernel it
# also runs the KUnit module, and ends by failing the run on any kernel report
# (KASAN, lockdep, BUG, WARN, oops) or kmemleak leak.
. /fh/lib.sh
kernel=${1:-stock-6.1}
flavour=${kernel%%-*}
[ $# -gt 0 ] && shift
# Optional: run only these selftest programs (names without path).
only="$*"

kml=/sys/kernel/debug/kmemleak
# Only leaks and reports from here on count, not boot-time ones.
[ "$flavour" = debug ] && [ -w $kml ] && echo clear >$kml
dmesg -c >/dev/null

if [ "$flavour" = debug ] && { [ -z "$only" ] || echo " $only " | grep -q ' kunit '; }; then
	if insmod /fh/mod/firehose_kunit.ko; then
		report "PASS $kernel/kunit: module loads"
	else
		report "FAIL $kernel/kunit: module does not load"
	fi
	for suite in $(cat /fh/kunit-suites); do
		res=/sys/kernel/debug/kunit/$suite/results
		if [ ! -r "$res" ]; then
			report "FAIL $kernel/kunit/$suite: suite missing"
			continue
		fi
		cat "$res"
		# Cases sit one level in; deeper lines are parameters of a case.
		# A case whose log overflowed (512 bytes a case on 6.1) can lose
		# its own result line: the suite's plan (1..N) and its own
		# verdict (unindented) catch what the case lines alone would miss.
		awk -v pre="$kernel/kunit/$suite" '
			/^    1\.\.[0-9]+/ { sub(/^    1\.\./, ""); plan = $0 + 0 }
			/^    ok [0-9]+ / { sub(/^    ok [0-9]+ (- )?/, ""); print "PASS " pre "/" $0; n++ }
			/^    not ok [0-9]+ / { sub(/^    not ok [0-9]+ (- )?/, ""); print "FAIL " pre "/" $0; n++; bad++ }
			/^not ok [0-9]+ / { suite_bad = 1 }
			END {
				if (n && n != plan)
					print "FAIL " pre ": " plan " cases planned, " n " reported (a lost result line?)"
				else if (suite_bad && !bad)
					print "FAIL " pre ": the suite failed, no case says why (log overflow?)"
				exit n == 0
			}' "$res" >>"$FH_REPORT" ||
			report "FAIL $kernel/kunit/$suite: no test results (crashed?)"
	done
	rmmod firehose_kunit 2>/dev/null
fi

for prog in /fh/selftests/*_test; do
	[ -x "$prog" ] || continue
	[ -z "$only" ] || echo " $only " | grep -q " $(basename "$prog") " || continue
	# A slow disk needs a block layer, which the debug kernels leave out:
	# there the test is not run at all (and not counted), rather than skipped.
	if [ "$(basename "$prog")" = slowdisk_test ] && [ "$flavour" = debug ]; then
		echo "check: $kernel: slowdisk_test not run: no block layer in this kernel"
		continue
	fi
	fh_mod_load || { report "FAIL $kernel/$(basename "$prog"): insmod failed"; continue; }
	FH_KERNEL=$kernel run_selftest "$kernel" "$prog"
	fh_mod_unload || report "FAIL $kernel/$(basename "$prog"): rmmod failed afterwards"
done

# Smoke test of the benchmark tools, a second each: make bench relies on them.
smoke() { # smoke NAME COMMAND...
	name=$1
	shift
	if out=$("$@" 2>&1); then
		report "PASS $kernel/bench/$name"
	else
		report "FAIL $kernel/bench/$name: $(echo "$out" | tail -n1)"
	fi
	echo "$name: $out"
}
if [ "$flavour" = stock ] && { [ -z "$only" ] || echo " $only " | grep -q ' bench '; }; then
	fh_mod_load && fhctl listener add echo 127.0.0.1:7900
	smoke fh_load_verifies_firehose_echo fh_load -a 127.0.0.1 -p 7900 -c 4 -s 64 -d 4 -t 1
	smoke fh_load_threads_share_the_connections fh_load -a 127.0.0.1 -p 7900 -c 5 -s 100 -d 3 -t 1 -T 2
	smoke fh_idle_holds_connections_to_firehose fh_idle -a 127.0.0.1 -p 7900 -n 200 \
		-b 127.0.0.2,127.0.0.3 -t 1
	epoll_echo -p 7901 -a 127.0.0.1 -t 5 &
	sleep 1
	smoke epoll_echo_serves_fh_load fh_load -a 127.0.0.1 -p 7901 -c 4 -s 4096 -d 2 -t 1
	wait
	# The io_uring peer, one thread per CPU; the second instance has four
	# 1000-byte buffers, so multishot recv runs dry (ENOBUFS, re-armed when
	# buffers come back), a message spans buffers and replies pile up.
	uring_echo -p 7903 -a 127.0.0.1 -t 120 &
	u1=$!
	uring_echo -p 7904 -a 127.0.0.1 -n 4 -b 1000 -t 120 &
	u2=$!
	sleep 1
	smoke uring_echo_serves_fh_load fh_load -a 127.0.0.1 -p 7903 -c 4 -s 4096 -d 2 -t 1
	smoke uring_echo_pipelined_small_messages fh_load -a 127.0.0.1 -p 7903 -c 32 -s 64 -d 16 -t 1
	smoke uring_echo_messages_larger_than_a_buffer fh_load -a 127.0.0.1 -p 7903 -c 4 -s 200000 -d 2 -t 1
	smoke uring_echo_out_of_buffers fh_load -a 127.0.0.1 -p 7904 -c 16 -s 3000 -d 4 -t 1
	kill $u1 $u2
	wait
	fh_mod_unload
fi

# The module DKMS built on the host (tests/dkms.sh) loads and serves, and
# reports the version that fhctl reports: both come from the VERSION file.
if [ -f /fh/mod/dkms/firehose.ko ] && { [ -z "$only" ] || echo " $only " | grep -q ' dkms '; }; then
	fh_mod_unload
	name=$kernel/dkms/module_built_by_dkms_loads_and_serves_echo
	if ! insmod /fh/mod/dkms/firehose.ko; then
		report "FAIL $name: insmod failed: $(dmesg | tail -n1)"
	elif ! fhctl listener add echo 127.0.0.1:7902 ||
		! out=$(fh_load -a 127.0.0.1 -p 7902 -c 2 -s 64 -d 2 -t 1 2>&1); then
		report "FAIL $name: $(echo "$out" | tail -n1)"
	else
		report "PASS $name"
	fi
	name=$kernel/dkms/module_and_fhctl_report_one_version
	modver=$(cat /sys/module/firehose/version 2>/dev/null)
	if [ -n "$modver" ] && fhctl --version | grep -qF "$modver"; then
		report "PASS $name"
	else
		report "FAIL $name: module says '$modver', fhctl says '$(fhctl --version)'"
	fi
	rmmod firehose || report "FAIL $kernel/dkms: rmmod failed"
fi

# A module built for the other LTS series must be refused, with the kernel
# saying why, and leave nothing loaded.
if [ -f /fh/mod/other/firehose.ko ] && { [ -z "$only" ] || echo " $only " | grep -q ' dkms '; }; then
	fh_mod_unload
	name=$kernel/vermagic/module_built_for_another_kernel_is_refused
	dmesg -c >/dev/null
	if insmod /fh/mod/other/firehose.ko 2>/tmp/insmod.err; then
		report "FAIL $name: it loaded"
		rmmod firehose
	elif grep -q '^firehose ' /proc/modules; then
		report "FAIL $name: insmod failed but the module is listed"
	elif ! dmesg | grep -Eq 'firehose: (disagrees about version|version magic|.*must match the kernel)'; then
		report "FAIL $name: the kernel gave no reason: $(dmesg | tail -n1)"
	else
		report "PASS $name"
		echo "refused: $(cat /tmp/insmod.err); kernel: $(dmesg | grep firehose | head -n1)"
	fi
fi

if [ "$flavour" = debug ]; then
	if [ -w "$kml" ]; then
		# An object must stay unreferenced across scans to be reported.
		sleep 6
		echo scan >$kml
		echo scan >$kml
		if [ -s $kml ]; then
			cat $kml
			report "FAIL $kernel/kmemleak: $(grep -c '^unreferenced object' $kml) leaked objects"
		else
			report "PASS $kernel/kmemleak: no leaks"
		fi
	else
		report "FAIL $kernel/kmemleak: $kml not available"
	fi
	# What came after the last selftest program (each had its own check).
	klog_check "$kernel/dmesg"
fi
exit 0
