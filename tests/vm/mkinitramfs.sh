#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Pack a guest initramfs: busybox, our /init, the files given with --file, and
# host programs given with --bin together with every shared library they load
# (so nginx, wrk, curl, memcached and perf run inside the guest unchanged).
#
#   mkinitramfs.sh -o OUT.cpio.gz [--file SRC:DEST]... [--bin PROG]... [--dir SRC:DEST]...
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=
files=()
bins=()
dirs=()
while [ $# -gt 0 ]; do
	case "$1" in
	-o) out=$2; shift 2 ;;
	--file) files+=("$2"); shift 2 ;;
	--bin) bins+=("$2"); shift 2 ;;
	--dir) dirs+=("$2"); shift 2 ;;
	*) echo "mkinitramfs.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$out" ] || { echo "mkinitramfs.sh: -o OUT required" >&2; exit 2; }

root=$(mktemp -d)
# mktemp makes it 0700: the guest's unprivileged tests must reach /.
chmod 0755 "$root"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,var/log,var/run,var/tmp,usr/bin,usr/sbin,lib64,fh}
busybox=$(command -v busybox) || { echo "mkinitramfs.sh: busybox missing: run 'make deps'" >&2; exit 1; }
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
install -m 0755 "$here/init" "$root/init"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nwww-data:x:33:33:www-data:/var/www:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\nwww-data:x:33:\n' >"$root/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
printf 'hosts: files\n' >"$root/etc/nsswitch.conf"

copy_libs() {
	local lib
	# ldd prints "name => /path (addr)" or "/lib64/ld-linux... (addr)".
	for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*' || true); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

copy_with_libs() {
	mkdir -p "$root$(dirname "$1")"
	cp -L "$1" "$root$1"
	copy_libs "$1"
}

for b in "${bins[@]}"; do
	p=$(command -v "$b" || true)
	[ -n "$p" ] || { echo "mkinitramfs.sh: $b not found on the host: run 'make deps'" >&2; exit 1; }
	copy_with_libs "$(readlink -f "$p")"
	# Keep the name the tests call it by, wherever the package put it.
	[ "$(readlink -f "$p")" = "$p" ] || { mkdir -p "$root$(dirname "$p")"; ln -sf "$(readlink -f "$p")" "$root$p"; }
done
# glibc resolves names through NSS plugins it loads at run time.
for lib in /lib/x86_64-linux-gnu/libnss_files.so.2 /lib/x86_64-linux-gnu/libresolv.so.2; do
	[ -e "$lib" ] && { mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; }
done
for f in "${files[@]}"; do
	src=${f%%:*}
	dst=${f#*:}
	mkdir -p "$root$(dirname "$dst")"
	cp -L "$src" "$root$dst"
	if [ -x "$src" ]; then copy_libs "$src"; fi
done
for d in "${dirs[@]}"; do
	src=${d%%:*}
	dst=${d#*:}
	mkdir -p "$root$dst"
	cp -a "$src/." "$root$dst/"
done

(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
