#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host side of 'make check'. First the host tests (DKMS builds the module
# against each kernel's headers; nothing is loaded here), then one VM per guest
# kernel in FH_KERNELS (default: stock-6.1 stock-6.12 debug-6.1 debug-6.12):
# pack its initramfs, boot it, collect its report channel. Every result line
# names its kernel. Ends with one line alone: "N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
vm=tests/vm
out=${FH_CHECK_OUT:-build/check}
rm -rf "$out"
mkdir -p "$out"
kernels=${FH_KERNELS:-$("$vm/kernel.sh" names)}
for k in $kernels; do
	case " $("$vm/kernel.sh" names | tr '\n' ' ') " in
	*" $k "*) ;;
	*) echo "check: unknown kernel '$k' in FH_KERNELS (known: $("$vm/kernel.sh" names | tr '\n' ' '))"
	   echo "0 passed, 1 failed"; exit 1 ;;
	esac
done

# Host programs the selftests drive inside the guest (mke2fs: slowdisk_test
# makes an ext4 file system on its slow block device; nginx: proxy_test's
# real upstream, as make bench packs it; memccapable: kv_test's memcached
# conformance client, from libmemcached-tools).
export PATH=$PATH:/usr/sbin:/sbin
guest_bins=(ip curl wrk sha256sum mke2fs nginx memccapable)

suites=${FH_KUNIT_SUITES:-$(sed -n 's/^[[:space:]]*\.name = "\(fh_[a-z0-9_]*\)".*/\1/p' tests/kunit/*_test.c)}
printf '%s\n' $suites >"$out/kunit-suites"

: >"$out/results"
: >"$out/times"

# DKMS, on the host, for the series of the stock kernels being tested: the
# module DKMS builds is also packed into that stock guest, which loads it.
dkms_series=
for k in $kernels; do
	case $k in stock-*) dkms_series="$dkms_series ${k#stock-}" ;; esac
done
if [ -n "$dkms_series" ] && [ "${FH_DKMS:-1}" != 0 ]; then
	tests/dkms.sh "$out/dkms" $dkms_series >>"$out/results" 2>"$out/dkms.log"
	grep -E '^(PASS|FAIL) ' "$out/results" | sed 's/^/check: /'
fi

# The HTTP parsers, on the host: built against the very files the module
# uses (kmod/http) with ASan and UBSan, then run; every test is one
# "PASS http/..." or "FAIL http/..." line. A failed build, or a run that
# dies before its closing summary line, is a FAIL of its own.
http_out=$out/http
mkdir -p "$http_out"
if make -s build/http/http_test >"$http_out/build.log" 2>&1; then
	build/http/http_test >"$http_out/results" 2>"$http_out/stderr.log"
	http_st=$?
	grep -E '^(PASS|FAIL) ' "$http_out/results" >>"$out/results"
	if ! grep -q '^http tests: ' "$http_out/results"; then
		echo "FAIL http/runner: died part way, exit $http_st (see $http_out/stderr.log)" >>"$out/results"
	elif [ "$http_st" != 0 ] && ! grep -q '^FAIL ' "$http_out/results"; then
		echo "FAIL http/runner: exit $http_st with no failing test (see $http_out/stderr.log)" >>"$out/results"
	fi
	echo "check: http: $(grep -c '^PASS http/' "$out/results") passed," \
		"$(grep -c '^FAIL http/' "$out/results") failed"
	grep '^FAIL http/' "$out/results" | sed 's/^/check: /'
else
	echo "FAIL http/build: the HTTP parser tests did not build (log: $http_out/build.log)" >>"$out/results"
	echo "check: FAIL http/build: the HTTP parser tests did not build:"
	tail -n 20 "$http_out/build.log" | sed 's/^/check:   /'
fi

# The parsers' libFuzzer targets, a while each (make fuzz runs them longer):
# one "PASS fuzz/NAME: N executions" or "FAIL fuzz/NAME: ..." line each.
# FUZZ_CHECK_SECONDS=0 leaves them out (a narrower run while developing).
if [ "${FUZZ_CHECK_SECONDS:-45}" = 0 ]; then
	:
elif make -s fuzz-build >"$out/fuzz-build.log" 2>&1; then
	tests/fuzz.sh "${FUZZ_CHECK_SECONDS:-45}" $(make -s --no-print-directory print-fuzzers) \
		>"$out/fuzz" 2>&1
	grep -E '^(PASS|FAIL) ' "$out/fuzz" >>"$out/results"
	sed 's/^/check: /' "$out/fuzz"
else
	echo "FAIL fuzz/build: the fuzzers did not build (log: $out/fuzz-build.log)" >>"$out/results"
fi

# kmod_closure RELEASE DIR MODULE...: the stock kernel's MODULEs and what
# they depend on (modules.dep), decompressed into DIR, their names in load
# order in DIR/order. Fails when one is missing.
kmod_closure() {
	local rel=$1 dir=$2 m path
	shift 2
	rm -rf "$dir"
	mkdir -p "$dir"
	: >"$dir/order"
	for m in "$@"; do
		path=$(grep -E "(^|/)$m\.ko(\.[a-z]+)?:" "/lib/modules/$rel/modules.dep" | cut -d: -f1)
		kmod_add "$rel" "$dir" "$path" || return 1
	done
}
kmod_add() { # kmod_add RELEASE DIR PATH: PATH as in modules.dep, after its dependencies
	local rel=$1 dir=$2 path=$3 name d
	[ -n "$path" ] && [ -f "/lib/modules/$rel/$path" ] || return 1
	name=$(basename "$path")
	name=${name%%.ko*}
	grep -qx "$name" "$dir/order" && return 0
	for d in $(grep "^$path:" "/lib/modules/$rel/modules.dep" | cut -d: -f2-); do
		kmod_add "$rel" "$dir" "$d" || return 1
	done
	case $path in
	*.xz) xz -dc "/lib/modules/$rel/$path" ;;
	*.zst) zstd -qdc "/lib/modules/$rel/$path" ;;
	*.gz) gzip -dc "/lib/modules/$rel/$path" ;;
	*) cat "/lib/modules/$rel/$path" ;;
	esac >"$dir/$name.ko" || return 1
	echo "$name" >>"$dir/order"
}

pack() { # pack NAME [extra mkinitramfs args]
	local name=$1 moddir=build/k/$1/kmod
	shift
	local args=(-o "$out/$name.cpio.gz" --dir "$vm/guest:/fh" --dir build/selftests:/fh/selftests
		--file "$moddir/firehose.ko:/fh/mod/firehose.ko" --file userspace/fhctl:/fh/bin/fhctl
		--file "$out/kunit-suites:/fh/kunit-suites"
		--file build/bench/fh_load:/fh/bin/fh_load --file build/bench/epoll_echo:/fh/bin/epoll_echo
		--file build/bench/uring_echo:/fh/bin/uring_echo
		--file build/bench/fh_idle:/fh/bin/fh_idle)
	for b in "${guest_bins[@]}"; do args+=(--bin "$b"); done
	"$vm/mkinitramfs.sh" "${args[@]}" "$@"
}

boot() { # boot KERNEL TIMEOUT: run the guest check script, keep its report
	local kernel=$1 timeout=$2 st
	echo "check: booting $kernel ($("$vm/kernel.sh" image "$kernel"); timeout ${timeout}s; console: $out/$kernel/console.log)"
	local start=$SECONDS
	local args=$kernel
	[ -n "${FH_SELFTESTS:-}" ] && args="$args,$(echo $FH_SELFTESTS | tr ' ' ,)"
	local try
	for try in 1 2; do
		"$vm/run.sh" --kernel "$kernel" --initrd "$out/$kernel.cpio.gz" --run check.sh \
			--args "$args" --timeout "$timeout" --out "$out/$kernel" 2>"$out/$kernel.verdict"
		st=$?
		# A guest that crashed before its first test ran (an emulated
		# CPU's fault while booting: once a stock 6.12 guest died of an
		# int3 7 s in, and the same tree then passed) boots once more;
		# its console is kept. A crash once tests run always fails.
		if [ "$try" = 1 ] && [ "$st" = 125 ] &&
		   ! grep -q '^#  RUN ' "$out/$kernel/console.log"; then
			cp "$out/$kernel/console.log" "$out/$kernel/console-crashed-at-boot.log"
			echo "check: $kernel crashed before any test ran ($(sed -n 's/.*VERDICT //p' "$out/$kernel.verdict")); booting it again"
			continue
		fi
		break
	done
	cat "$out/$kernel.verdict" >&2
	grep -E '^(PASS|FAIL|SKIP) ' "$out/$kernel/report" | tr -d '\r' >>"$out/results"
	grep -E '^TIME ' "$out/$kernel/report" | tr -d '\r' >>"$out/times"
	case $st in
	0) ;;
	124|125) echo "FAIL $kernel/vm: $(sed -n 's/.*VERDICT //p' "$out/$kernel.verdict")" >>"$out/results" ;;
	*) echo "FAIL $kernel/vm: guest script exited $st" >>"$out/results" ;;
	esac
	echo "check: $kernel: seconds per selftest program:" \
		"$(grep "^TIME $kernel/" "$out/times" | sed "s|^TIME $kernel/||" | tr '\n' ' ')"
	echo "check: $kernel done in $((SECONDS - start))s:" \
		"$(grep -c "^PASS $kernel/" "$out/results") passed," \
		"$(grep -c "^FAIL $kernel/" "$out/results") failed"
}

# FH_KERNELS and FH_SELFTESTS narrow a run while developing, e.g.
# FH_KERNELS=stock-6.12 FH_SELFTESTS="echo_test" make check
for k in $kernels; do
	extra=()
	case $k in
	debug-*)
		extra=(--file "${FH_KUNIT_KO:-build/k/$k/tests/kunit/firehose_kunit.ko}:/fh/mod/firehose_kunit.ko")
		timeout=${CHECK_DEBUG_TIMEOUT:-2400} ;;
	stock-*)
		# Stock kernels carry veth as a module; close_test needs it.
		rel=$("$vm/kernel.sh" release "${k#stock-}")
		veth=$(find "/lib/modules/$rel/kernel/drivers/net" -name 'veth.ko*' | head -n1)
		if [ -n "$veth" ]; then
			case $veth in
			*.xz) xz -dc "$veth" >"$out/veth-$k.ko" ;;
			*) cp "$veth" "$out/veth-$k.ko" ;;
			esac
			extra+=(--file "$out/veth-$k.ko:/fh/mod/extra/veth.ko")
		fi
		# slowdisk_test's slow disk: null_blk, and ext4 with the crc32c it
		# asks the crypto API for by name at mount (no modprobe in the guest).
		# Debug kernels have no block layer; the test is not run there.
		if kmod_closure "$rel" "$out/slowdisk-$k" crc32c_generic null_blk ext4; then
			extra+=(--dir "$out/slowdisk-$k:/fh/mod/slowdisk")
		else
			echo "FAIL $k/slowdisk: null_blk or ext4 missing from /lib/modules/$rel" >>"$out/results"
		fi
		# overlayfs, for the document roots containers have (loader_test).
		if kmod_closure "$rel" "$out/overlay-$k" overlay; then
			extra+=(--dir "$out/overlay-$k:/fh/mod/overlay")
		else
			echo "FAIL $k/overlay: overlay missing from /lib/modules/$rel" >>"$out/results"
		fi
		dko=$out/dkms/${k#stock-}/firehose.ko
		[ -f "$dko" ] && extra+=(--file "$dko:/fh/mod/dkms/firehose.ko")
		# The other series' stock module, which this kernel must refuse.
		for o in $("$vm/kernel.sh" names); do
			[ "${o%%-*}" = stock ] && [ "$o" != "$k" ] && [ -f "build/k/$o/kmod/firehose.ko" ] &&
				extra+=(--file "build/k/$o/kmod/firehose.ko:/fh/mod/other/firehose.ko")
		done
		timeout=${CHECK_STOCK_TIMEOUT:-1200} ;;
	esac
	if ! pack "$k" "${extra[@]}"; then
		echo "FAIL $k/vm: packing the guest failed" >>"$out/results"
		continue
	fi
	boot "$k" "$timeout"
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
