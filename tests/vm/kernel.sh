#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest kernels for the test VM. Two LTS series are supported, 6.1 and 6.12,
# each as Debian's stock kernel and as a debug kernel built from Debian's
# linux-source package with tests/vm/debug.config. A guest kernel is named
# FLAVOUR-SERIES: stock-6.1, stock-6.12, debug-6.1, debug-6.12.
#
#   kernel.sh names             every guest kernel name, in test order
#   kernel.sh release SERIES    release of the installed stock image (6.1.0-NN-amd64)
#   kernel.sh image NAME        the kernel image to boot
#   kernel.sh kdir NAME         the tree to build the module against
#   kernel.sh src SERIES        pristine linux-source tree (extracted once, cached)
#   kernel.sh debug SERIES      build (or reuse) the debug kernel; prints its build dir
#   kernel.sh debug-dir SERIES  the debug build dir, without building (may not exist yet)
#
# Everything large lives in $FH_CACHE (default /var/cache/firehose), outside the
# repository, keyed by the Debian source version and the config fragment hash,
# so a clean clone on the same machine reuses it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${FH_CACHE:-/var/cache/firehose}
fragment=$here/debug.config
series_all="6.1 6.12"

die() { echo "kernel.sh: $*" >&2; exit 1; }

check_series() {
	case " $series_all " in
	*" $1 "*) ;;
	*) die "unknown kernel series '$1' (supported: $series_all)" ;;
	esac
}

# Debian's metapackage for each series depends on the current ABI's image.
image_pkg() {
	case $1 in
	6.1) echo linux-image-amd64 ;;
	*) echo "linux-image-$1-amd64" ;;
	esac
}

stock_release() {
	local dep pkg
	check_series "$1"
	pkg=$(image_pkg "$1")
	dep=$(dpkg-query -W -f='${Depends}' "$pkg" 2>/dev/null) ||
		die "$pkg is not installed: run 'make deps'"
	dep=${dep%%[ ,]*}
	echo "${dep#linux-image-}"
}

src_version() {
	dpkg-query -W -f='${Version}' "linux-source-$1" 2>/dev/null ||
		die "linux-source-$1 is not installed: run 'make deps'"
}

src_dir() {
	echo "$cache/src/linux-source-$1_$(src_version "$1")"
}

ensure_src() {
	local dir tarball
	check_series "$1"
	dir=$(src_dir "$1")
	[ -f "$dir/.complete" ] && { echo "$dir"; return; }
	tarball=/usr/src/linux-source-$1.tar.xz
	[ -f "$tarball" ] || die "$tarball missing: run 'make deps'"
	mkdir -p "$cache/src"
	echo "kernel.sh: extracting $tarball (once)" >&2
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp"
	tar -xJf "$tarball" -C "$dir.tmp" --strip-components=1
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
	touch "$dir/.complete"
	echo "$dir"
}

debug_key() {
	{ echo "$1"; src_version "$1"; cat "$fragment"; } | sha256sum | cut -c1-16
}

debug_dir() {
	check_series "$1"
	echo "$cache/debug-$1-$(debug_key "$1")"
}

# Options the tests rely on; a fragment line that Kconfig silently dropped
# (unmet dependency) must fail the build, not produce a weaker kernel.
required_opts="KUNIT KUNIT_DEBUGFS KASAN PROVE_LOCKING DEBUG_ATOMIC_SLEEP
DEBUG_KMEMLEAK FAILSLAB FAIL_PAGE_ALLOC FAULT_INJECTION_DEBUG_FS PANIC_ON_OOPS
SMP MODULES MODULE_UNLOAD IPV6 NET_NS DEBUG_FS SLUB BLK_DEV_INITRD SERIAL_8250_CONSOLE
OVERLAY_FS"

build_debug() {
	local src out start pid n
	src=$(ensure_src "$1")
	out=$(debug_dir "$1")
	if [ -f "$out/.complete" ]; then
		echo "$out"
		return
	fi
	mkdir -p "$out"
	echo "kernel.sh: building the $1 debug kernel in $out (15 to 30 minutes on 2 cores, less on an idle machine)" >&2
	start=$(date +%s)
	(
		set -e
		make -C "$src" O="$out" tinyconfig
		"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$fragment"
		make -C "$src" O="$out" olddefconfig
	) >"$out/config.log" 2>&1 || { tail -20 "$out/config.log" >&2; die "debug kernel configuration failed"; }
	for opt in $required_opts; do
		grep -q "^CONFIG_$opt=y" "$out/.config" ||
			die "$1 debug kernel config lacks CONFIG_$opt (see $out/config.log)"
	done
	make -C "$src" O="$out" -j"$(nproc)" bzImage modules >"$out/build.log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 30
		n=$(grep -c '^  CC' "$out/build.log" || true)
		echo "kernel.sh: $1 debug kernel: $n files compiled, $(( $(date +%s) - start ))s elapsed" >&2
	done
	wait "$pid" || { tail -30 "$out/build.log" >&2; die "$1 debug kernel build failed (log: $out/build.log)"; }
	[ -f "$out/Module.symvers" ] || die "$1 debug kernel build left no Module.symvers"
	touch "$out/.complete"
	echo "kernel.sh: $1 debug kernel built in $(( $(date +%s) - start ))s" >&2
	echo "$out"
}

# split NAME: sets flavour and series from stock-6.12 and the like.
split() {
	flavour=${1%%-*}
	series=${1#*-}
	case $flavour in stock|debug) ;; *) die "unknown guest kernel '$1' (try: kernel.sh names)" ;; esac
	[ "$flavour" != "$1" ] || die "unknown guest kernel '$1' (try: kernel.sh names)"
	check_series "$series"
}

cmd=${1:-}
arg=${2:-}
[ "$cmd" = names ] || [ -n "$arg" ] || die "usage: kernel.sh names|release|image|kdir|src|debug|debug-dir ARG"
case "$cmd" in
names)
	for f in stock debug; do for s in $series_all; do echo "$f-$s"; done; done ;;
release) stock_release "$arg" ;;
image)
	split "$arg"
	if [ "$flavour" = stock ]; then
		img=/boot/vmlinuz-$(stock_release "$series")
		[ -f "$img" ] || die "$img missing: run 'make deps'"
	else
		img=$(debug_dir "$series")/arch/x86/boot/bzImage
		[ -f "$img" ] || die "no $arg kernel yet: run 'tests/vm/kernel.sh debug $series'"
	fi
	echo "$img" ;;
kdir)
	split "$arg"
	if [ "$flavour" = stock ]; then
		kdir=/usr/src/linux-headers-$(stock_release "$series")
		[ -d "$kdir" ] || die "$kdir missing: run 'make deps'"
		echo "$kdir"
	else
		debug_dir "$series"
	fi ;;
src) ensure_src "$arg" ;;
debug)
	check_series "$arg"
	mkdir -p "$cache"
	# One lock per series: the two debug kernels may build side by side.
	exec 9>"$cache/.lock-$arg"
	flock 9
	build_debug "$arg" ;;
debug-dir) debug_dir "$arg" ;;
*) die "usage: kernel.sh names|release|image|kdir|src|debug|debug-dir ARG" ;;
esac
