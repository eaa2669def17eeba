#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lint.sh KSRC KDIR: checkpatch --strict (from the linux-source tree) and sparse
# (C=2: every file, whether or not it needs rebuilding) over the module.
# Any finding fails.
set -uo pipefail
ksrc=$1
kdir=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
status=0

files=()
for f in kmod/*.c kmod/*.h include/uapi/firehose.h tests/kunit/*.c; do
	case $f in *.mod.c) ;; *) files+=("$f") ;; esac
done
if ! "$ksrc/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
	--ignore FILE_PATH_CHANGES -f "${files[@]}" >build/checkpatch.log 2>&1; then
	grep -v '^total:\|^$' build/checkpatch.log
	echo "lint: checkpatch found problems" >&2
	status=1
else
	echo "lint: checkpatch --strict: clean (${#files[@]} files)"
fi

command -v sparse >/dev/null || { echo "lint: sparse missing: run 'make deps'" >&2; exit 1; }
make -C "$kdir" M="$top" C=2 modules >build/sparse.log 2>&1
checked=$(grep -c '^  CHECK' build/sparse.log)
if [ "$checked" = 0 ]; then
	echo "lint: sparse checked no file (see build/sparse.log)" >&2
	status=1
elif grep -E 'warning:|error:' build/sparse.log; then
	echo "lint: sparse found problems" >&2
	status=1
else
	echo "lint: sparse: clean ($checked files)"
fi
exit $status
