#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host side of 'make check': pack the guests, boot the stock kernel then the
# debug kernel, collect each guest's report channel and count the results.
# Ends with one line alone: "N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
vm=tests/vm
out=${FH_CHECK_OUT:-build/check}
rm -rf "$out"
mkdir -p "$out"

# Host programs the selftests drive inside the guest.
guest_bins=(ip curl)

suites=${FH_KUNIT_SUITES:-$(sed -n 's/^[[:space:]]*\.name = "\(fh_[a-z0-9_]*\)".*/\1/p' tests/kunit/*_test.c)}
printf '%s\n' $suites >"$out/kunit-suites"

pack() { # pack NAME MODDIR [extra mkinitramfs args]
	local name=$1 moddir=$2
	shift 2
	local args=(-o "$out/$name.cpio.gz" --dir "$vm/guest:/fh" --dir build/selftests:/fh/selftests
		--file "$moddir/firehose.ko:/fh/mod/firehose.ko" --file userspace/fhctl:/fh/bin/fhctl
		--file "$out/kunit-suites:/fh/kunit-suites"
		--file build/bench/fh_load:/fh/bin/fh_load --file build/bench/epoll_echo:/fh/bin/epoll_echo
		--file build/bench/fh_idle:/fh/bin/fh_idle)
	for b in "${guest_bins[@]}"; do args+=(--bin "$b"); done
	"$vm/mkinitramfs.sh" "${args[@]}" "$@"
}

boot() { # boot KERNEL TIMEOUT: run the guest check script, keep its report
	local kernel=$1 timeout=$2 st
	echo "check: booting the $kernel kernel (timeout ${timeout}s; console: $out/$kernel/console.log)"
	local start=$SECONDS
	local args=$kernel
	[ -n "${FH_SELFTESTS:-}" ] && args="$args,$(echo $FH_SELFTESTS | tr ' ' ,)"
	"$vm/run.sh" --kernel "$kernel" --initrd "$out/$kernel.cpio.gz" --run check.sh \
		--args "$args" --timeout "$timeout" --out "$out/$kernel" 2>"$out/$kernel.verdict"
	st=$?
	cat "$out/$kernel.verdict" >&2
	grep -E '^(PASS|FAIL|SKIP) ' "$out/$kernel/report" | tr -d '\r' >>"$out/results"
	case $st in
	0) ;;
	124) echo "FAIL $kernel/vm: $(sed -n 's/.*VERDICT //p' "$out/$kernel.verdict")" >>"$out/results" ;;
	125) echo "FAIL $kernel/vm: $(sed -n 's/.*VERDICT //p' "$out/$kernel.verdict")" >>"$out/results" ;;
	*) echo "FAIL $kernel/vm: guest script exited $st" >>"$out/results" ;;
	esac
	echo "check: $kernel kernel done in $((SECONDS - start))s"
}

: >"$out/results"
pack stock kmod || { echo "check: packing the stock guest failed"; echo "0 passed, 1 failed"; exit 1; }
[ "${FH_KERNELS:-debug}" = stock ] ||
pack debug build/debug/kmod --file "${FH_KUNIT_KO:-build/debug/tests/kunit/firehose_kunit.ko}:/fh/mod/firehose_kunit.ko" ||
	{ echo "check: packing the debug guest failed"; echo "0 passed, 1 failed"; exit 1; }
# FH_KERNELS and FH_SELFTESTS narrow a run while developing, e.g.
# FH_KERNELS=stock FH_SELFTESTS="echo_test" make check
for k in ${FH_KERNELS:-stock debug}; do
	case $k in
	stock) boot stock "${CHECK_STOCK_TIMEOUT:-1200}" ;;
	debug) boot debug "${CHECK_DEBUG_TIMEOUT:-2400}" ;;
	esac
done

passed=$(grep -c '^PASS ' "$out/results")
failed=$(grep -c '^FAIL ' "$out/results")
skipped=$(grep -c '^SKIP ' "$out/results")
if [ "$failed" != 0 ]; then
	echo "check: failures:"
	grep '^FAIL ' "$out/results" | sed 's/^/  /'
fi
[ "$skipped" != 0 ] && grep '^SKIP ' "$out/results" | sed 's/^/  /'
if [ "$skipped" != 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
