#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-harness: prove that 'make check' goes red, and names the cause,
# for a failing KUnit case, a KASAN report and a hung guest. Each scenario
# runs the real tests/check.sh with a deliberately faulty KUnit module in
# place of ours. Ends with "N passed, N failed" (a pass = red as expected).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
passed=0
failed=0

scenario() { # scenario NAME MODULE SUITE TIMEOUT EXPECTED-TEXT
	local name=$1 ko=$2 suite=$3 timeout=$4 want=$5 out=build/harness/$1 st
	echo "check-harness: $name (expect red, naming: $want)"
	FH_CHECK_OUT=$out FH_KERNELS=debug-6.1 FH_SELFTESTS=kunit FH_KUNIT_KO=$ko \
		FH_KUNIT_SUITES=$suite CHECK_DEBUG_TIMEOUT=$timeout \
		tests/check.sh >"$out.log" 2>&1
	st=$?
	tail -n 4 "$out.log" | sed 's/^/    /'
	if [ "$st" != 0 ] && tail -n1 "$out.log" | grep -Eq '^[0-9]+ passed, [1-9][0-9]* failed' &&
		grep -q -- "$want" "$out.log"; then
		echo "check-harness: PASS $name: check went red (exit $st) and named the cause"
		passed=$((passed + 1))
	else
		echo "check-harness: FAIL $name: exit $st, or the cause '$want' was not named (log: $out.log)"
		failed=$((failed + 1))
	fi
}

mkdir -p build/harness
scenario failing-kunit-case build/faulty/faulty_kunit.ko fh_faulty 900 \
	'FAIL debug-6.1/kunit/fh_faulty/fh_faulty_fails'
scenario kasan-report build/faulty/faulty_kasan.ko fh_faulty_kasan 900 \
	'crashed.*KASAN'
scenario hung-guest build/faulty/faulty_hang.ko fh_faulty_hang 120 \
	'hung: guest killed after 120s'
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
