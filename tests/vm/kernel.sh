#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest kernels for the test VM.
#
#   kernel.sh stock-release   kernel release of the installed linux-image-amd64
#   kernel.sh stock-image     its vmlinuz
#   kernel.sh stock-kdir      its headers (the default KDIR)
#   kernel.sh src             pristine linux-source-6.1 tree (extracted once, cached)
#   kernel.sh debug           build (or reuse) the debug kernel; prints its build dir
#   kernel.sh debug-dir       the debug build dir, without building (may not exist yet)
#
# Everything large lives in $FH_CACHE (default /var/cache/firehose), outside the
# repository, keyed by the Debian source version and the config fragment hash,
# so a clean clone on the same machine reuses it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${FH_CACHE:-/var/cache/firehose}
fragment=$here/debug.config

die() { echo "kernel.sh: $*" >&2; exit 1; }

stock_release() {
	local dep
	dep=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null) ||
		die "linux-image-amd64 is not installed: run 'make deps'"
	dep=${dep%%[ ,]*}
	echo "${dep#linux-image-}"
}

src_version() {
	dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null ||
		die "linux-source-6.1 is not installed: run 'make deps'"
}

src_dir() {
	echo "$cache/src/linux-source-6.1_$(src_version)"
}

ensure_src() {
	local dir tarball
	dir=$(src_dir)
	[ -f "$dir/.complete" ] && { echo "$dir"; return; }
	tarball=/usr/src/linux-source-6.1.tar.xz
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
	{ src_version; cat "$fragment"; } | sha256sum | cut -c1-16
}

debug_dir() {
	echo "$cache/debug-$(debug_key)"
}

# Options the tests rely on; a fragment line that Kconfig silently dropped
# (unmet dependency) must fail the build, not produce a weaker kernel.
required_opts="KUNIT KUNIT_DEBUGFS KASAN PROVE_LOCKING DEBUG_ATOMIC_SLEEP
DEBUG_KMEMLEAK FAILSLAB FAIL_PAGE_ALLOC FAULT_INJECTION_DEBUG_FS PANIC_ON_OOPS
SMP MODULES MODULE_UNLOAD IPV6 NET_NS DEBUG_FS SLUB BLK_DEV_INITRD SERIAL_8250_CONSOLE"

build_debug() {
	local src out start pid n
	src=$(ensure_src)
	out=$(debug_dir)
	if [ -f "$out/.complete" ]; then
		echo "$out"
		return
	fi
	mkdir -p "$out"
	echo "kernel.sh: building debug kernel in $out (about 13 minutes on 2 cores)" >&2
	start=$(date +%s)
	(
		set -e
		make -C "$src" O="$out" tinyconfig
		"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$fragment"
		make -C "$src" O="$out" olddefconfig
	) >"$out/config.log" 2>&1 || { tail -20 "$out/config.log" >&2; die "debug kernel configuration failed"; }
	for opt in $required_opts; do
		grep -q "^CONFIG_$opt=y" "$out/.config" ||
			die "debug kernel config lacks CONFIG_$opt (see $out/config.log)"
	done
	make -C "$src" O="$out" -j"$(nproc)" bzImage modules >"$out/build.log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 30
		n=$(grep -c '^  CC' "$out/build.log" || true)
		echo "kernel.sh: debug kernel: $n files compiled, $(( $(date +%s) - start ))s elapsed" >&2
	done
	wait "$pid" || { tail -30 "$out/build.log" >&2; die "debug kernel build failed (log: $out/build.log)"; }
	[ -f "$out/Module.symvers" ] || die "debug kernel build left no Module.symvers"
	touch "$out/.complete"
	echo "kernel.sh: debug kernel built in $(( $(date +%s) - start ))s" >&2
	echo "$out"
}

case "${1:-}" in
stock-release) stock_release ;;
stock-image)
	img=/boot/vmlinuz-$(stock_release)
	[ -f "$img" ] || die "$img missing: run 'make deps'"
	echo "$img" ;;
stock-kdir)
	kdir=/usr/src/linux-headers-$(stock_release)
	[ -d "$kdir" ] || die "$kdir missing: run 'make deps'"
	echo "$kdir" ;;
src) ensure_src ;;
debug)
	mkdir -p "$cache"
	exec 9>"$cache/.lock"
	flock 9
	build_debug ;;
debug-dir) debug_dir ;;
*) die "usage: kernel.sh stock-release|stock-image|stock-kdir|src|debug|debug-dir" ;;
esac
