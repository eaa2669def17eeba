#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh NAME: build firehose.ko for one guest kernel (stock-6.1,
# stock-6.12, debug-6.1, debug-6.12; see kernel.sh names) in a mirror tree
# build/k/NAME, so builds for different kernels never share objects. Debug
# kernels are built first if they are not cached, and also get the KUnit
# module. Any compiler or modpost warning fails the build: the module must
# build warning-free on every supported kernel.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
name=${1:?usage: build-module.sh NAME}
ks=tests/vm/kernel.sh
flavour=${name%%-*}
series=${name#*-}
[ "$flavour" = debug ] && "$ks" debug "$series" >/dev/null
kdir=$("$ks" kdir "$name")
out=build/k/$name
mkdir -p "$out"
# Sources only: a *.mod.c is modpost's output, and one left in kmod/ by an
# in-tree build for another kernel (make module) would be linked in as it is.
rsync -a --exclude='*.mod.c' --include='*/' --include='*.[ch]' --include=Kbuild --exclude='*' \
	Kbuild kmod include tests "$out/"
cp VERSION "$out/"
kunit=
[ "$flavour" = debug ] && kunit=FH_KUNIT=m
log=$out/build.log
if ! make -C "$kdir" M="$top/$out" $kunit modules >"$log" 2>&1; then
	grep -E 'error|warning' "$log" | head -20 >&2
	echo "build-module.sh: $name: build failed (log: $log)" >&2
	exit 1
fi
if grep -E 'warning:|WARNING:' "$log" >&2; then
	echo "build-module.sh: $name: the build has warnings (log: $log)" >&2
	exit 1
fi
echo "build-module.sh: $name: $out/kmod/firehose.ko"
