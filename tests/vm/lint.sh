#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make lint: checkpatch --strict (from the newest supported linux-source
# tree) over the module, then sparse (C=2: every file, whether or not it needs
# rebuilding) against each supported kernel's headers, each in its own mirror
# tree; first, includes.sh (no include circle in the module). Any finding fails.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
ks=tests/vm/kernel.sh
status=0
mkdir -p build

# The module's units include each other one way only: a circle fails.
if out=$(tests/vm/includes.sh kmod); then
	echo "lint: $out"
else
	echo "lint: the module's includes form a circle" >&2
	status=1
fi

ksrc=$("$ks" src 6.12) || exit 1
files=()
for f in kmod/*.c kmod/*.h kmod/http/*.c kmod/http/*.h kmod/kv/*.c kmod/kv/*.h include/uapi/firehose.h tests/kunit/*.c; do
	case $f in *.mod.c|kmod/compat.h) ;; *) files+=("$f") ;; esac
done
cp=("$ksrc/scripts/checkpatch.pl" --strict --no-tree --terse --show-types --ignore FILE_PATH_CHANGES)
# compat.h is the one place allowed to test LINUX_VERSION_CODE (checkpatch
# still flags it everywhere else).
(
	"${cp[@]}" -f "${files[@]}"
	a=$?
	"${cp[@]}" --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f kmod/compat.h
	exit $((a | $?))
) >build/checkpatch.log 2>&1
if [ $? != 0 ]; then
	grep -v '^total:\|^$' build/checkpatch.log
	echo "lint: checkpatch found problems" >&2
	status=1
else
	echo "lint: checkpatch --strict: clean ($((${#files[@]} + 1)) files)"
fi

command -v sparse >/dev/null || { echo "lint: sparse missing: run 'make deps'" >&2; exit 1; }
for k in stock-6.1 stock-6.12; do
	kdir=$("$ks" kdir "$k") || exit 1
	tree=build/lint/$k
	mkdir -p "$tree"
	rsync -a --include='*/' --include='*.[ch]' --include=Kbuild --exclude='*' \
		Kbuild kmod include "$tree/"
	cp VERSION "$tree/"
	log=build/lint/sparse-$k.log
	make -C "$kdir" M="$top/$tree" C=2 modules >"$log" 2>&1
	checked=$(grep -c '^  CHECK' "$log")
	if [ "$checked" = 0 ]; then
		echo "lint: sparse checked no file against $k (see $log)" >&2
		status=1
	elif grep -E 'warning:|error:' "$log"; then
		echo "lint: sparse found problems against $k" >&2
		status=1
	else
		echo "lint: sparse against $k ($kdir): clean ($checked files)"
	fi
done
exit $status
