#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run each parser's libFuzzer target (built by 'make fuzz-build') for
# SECONDS from its seed corpus, one after another. Every fuzzer prints one
# line "PASS fuzz/NAME: N executions in S s, corpus C" or "FAIL fuzz/NAME:
# ..." with the crashing input kept under build/fuzz/crashes/NAME (add it
# to tests/http/fuzz/corpus/NAME once fixed). Exit 1 if any failed.
#
#   tests/fuzz.sh SECONDS NAME...
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:?seconds}
shift
bad=0
for name in "$@"; do
	bin=build/fuzz/fuzz_$name
	work=build/fuzz/corpus/$name
	crashes=build/fuzz/crashes/$name
	log=build/fuzz/$name.log
	mkdir -p "$work" "$crashes"
	if [ ! -x "$bin" ]; then
		echo "FAIL fuzz/$name: $bin not built"
		bad=1
		continue
	fi
	"$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$crashes/" "$work" "tests/http/fuzz/corpus/$name" >"$log" 2>&1
	st=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	units=$(find "$work" -type f | wc -l)
	if [ "$st" = 0 ] && [ -n "$execs" ]; then
		echo "PASS fuzz/$name: ${execs} executions in ${secs} s, corpus $units"
	else
		echo "FAIL fuzz/$name: exit $st after ${execs:-?} executions: $(grep -m1 -E 'ERROR|SUMMARY|deadly' "$log") (log: $log)"
		bad=1
	fi
done
exit $bad
