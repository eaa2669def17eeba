#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms.sh OUTDIR SERIES...: build firehose through DKMS, exactly as
# 'make dkms-install' would, against each series' stock kernel headers, in a
# private DKMS tree (nothing is installed into /lib/modules, nothing is
# loaded on this machine). Leaves each built module, uncompressed, at
# OUTDIR/SERIES/firehose.ko for the stock guest of that series to load.
# Prints one "PASS host/dkms/..." or "FAIL host/dkms/...: why" line per check.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=$(realpath -m "${1:?usage: dkms.sh OUTDIR SERIES...}")
shift
version=$(cat VERSION)
rm -rf "$out"
mkdir -p "$out/tree" "$out/src"
command -v dkms >/dev/null || { echo "FAIL host/dkms: dkms missing: run 'make deps'"; exit 1; }

# The same source tree 'make dkms-install' puts in /usr/src.
if ! make -s dkms-tree DKMS_SRC="$out/src/firehose-$version" >&2; then
	echo "FAIL host/dkms/source_tree: make dkms-tree failed"
	exit 1
fi
d=(dkms --dkmstree "$out/tree" --sourcetree "$out/src")
if ! "${d[@]}" add "firehose/$version" >&2; then
	echo "FAIL host/dkms/add: dkms add firehose/$version failed"
	exit 1
fi
echo "PASS host/dkms/add_takes_the_version_from_VERSION"
for s in "$@"; do
	rel=$(tests/vm/kernel.sh release "$s") || { echo "FAIL host/dkms/builds_for_$s: no stock $s kernel"; continue; }
	if ! "${d[@]}" build "firehose/$version" -k "$rel" >&2; then
		echo "FAIL host/dkms/builds_for_$s: dkms build -k $rel failed (log: $out/tree/firehose/$version/build/make.log)"
		continue
	fi
	ko=$(find "$out/tree/firehose/$version/$rel" -name 'firehose.ko*' | head -n1)
	mkdir -p "$out/$s"
	case $ko in
	*.xz) xz -dc "$ko" >"$out/$s/firehose.ko" ;;
	*.zst) zstd -qdc "$ko" >"$out/$s/firehose.ko" ;;
	*.gz) gzip -dc "$ko" >"$out/$s/firehose.ko" ;;
	*) cp "$ko" "$out/$s/firehose.ko" ;;
	esac
	got=$(modinfo -F vermagic "$out/$s/firehose.ko" 2>/dev/null)
	ver=$(modinfo -F version "$out/$s/firehose.ko" 2>/dev/null)
	if [ "${got%% *}" != "$rel" ]; then
		echo "FAIL host/dkms/builds_for_$s: vermagic '$got', expected $rel"
	elif [ "$ver" != "$version" ]; then
		echo "FAIL host/dkms/builds_for_$s: modinfo version '$ver', expected $version"
	else
		echo "PASS host/dkms/builds_for_$s"
	fi
done
