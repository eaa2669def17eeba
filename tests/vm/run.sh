#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a test VM (qemu, TCG) on an initramfs and run one guest script.
# NAME is a guest kernel (kernel.sh names: stock-6.1, debug-6.12, ...).
#
#   run.sh --initrd FILE --run SCRIPT [--kernel NAME] [--args A,B]
#          [--cpus N] [--mem MiB] [--timeout SECONDS] [--out DIR] [--show-console]
#          [--append KERNEL-ARGS]
#
# The console (ttyS0) goes to DIR/console.log; the guest's report channel
# (ttyS1) goes to DIR/report. The verdict is the "FH-STATUS n" line the guest's
# init writes last on the report channel, never text from the console.
# Exit status: the guest script's, or 124 when the guest hung past the
# timeout, or 125 when it died (panic) without reporting. The console is only
# read to name the cause.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
kernel=stock-6.1
initrd=
run=
args=
cpus=${VM_CPUS:-2}
mem=${VM_MEM:-2048}
timeout=${VM_TIMEOUT:-600}
out=
show=0
extra=
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--initrd) initrd=$2; shift 2 ;;
	--run) run=$2; shift 2 ;;
	--args) args=$2; shift 2 ;;
	--cpus) cpus=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--show-console) show=1; shift ;;
	--append) extra=$2; shift 2 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -f "$initrd" ] || { echo "run.sh: --initrd FILE required" >&2; exit 2; }
[ -n "$run" ] || { echo "run.sh: --run SCRIPT required" >&2; exit 2; }
[ -n "$out" ] || out=$(mktemp -d)
mkdir -p "$out"

append="console=ttyS0 panic=-1 oops=panic fh.run=$run"
[ -n "$args" ] && append="$append fh.args=$args"
[ -n "$extra" ] && append="$append $extra"
image=$("$here/kernel.sh" image "$kernel") || exit 2
case "$kernel" in
stock-*)
	append="$append quiet loglevel=4" ;;
debug-*)
	# Any warning is a failure; lockdep and KASAN reports end the run.
	# failslab may hit the request path's caches only (flag A, set at boot:
	# 6.1 has no runtime switch); nothing fails until a test sets a rate.
	# fh_kv_* (a trailing '*' matches a prefix, on 6.1 and 6.12 alike):
	# kv's item caches, fh_kv_64 ... fh_kv_4096, and its fh_kv_conn.
	append="$append panic_on_warn=1 kasan.fault=panic loglevel=4"
	append="$append slub_debug=A,fh_conn,fh_seg,skbuff_head_cache,fh_http_conn,http_req,fh_http_path,fh_proxy,fh_upconn,fh_kv_*" ;;
esac

console=$out/console.log
report=$out/report
: >"$console"
: >"$report"
tailpid=
if [ "$show" = 1 ]; then
	tail -n +1 -f "$console" &
	tailpid=$!
fi

set +e
timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
	-accel tcg,thread=multi -cpu max -smp "$cpus" -m "$mem" \
	-kernel "$image" -initrd "$initrd" -append "$append" \
	-display none -monitor none -nic none -no-reboot \
	-serial "file:$console" -serial "file:$report" </dev/null
qstatus=$?
set -e
[ -n "$tailpid" ] && { sleep 0.5; kill "$tailpid" 2>/dev/null; wait "$tailpid" 2>/dev/null || true; }

cause() {
	local pat
	for pat in 'KASAN' 'possible circular locking' 'inconsistent lock state' \
		'BUG: sleeping function' 'BUG:' 'UBSAN' 'WARNING:' 'Oops' \
		'soft lockup' 'hung_task' 'Kernel panic'; do
		if grep -q "$pat" "$console"; then
			grep -m1 "$pat" "$console" | sed 's/^\[[^]]*\] //'
			return
		fi
	done
	echo "no report on the console"
}

status=$(tr -d '\r' <"$report" | sed -n 's/^FH-STATUS \([0-9]*\)$/\1/p' | tail -n1)
if [ "$qstatus" = 124 ] || [ "$qstatus" = 137 ]; then
	echo "run.sh: VERDICT hung: guest killed after ${timeout}s ($run, $kernel kernel; $(cause)); console: $console" >&2
	exit 124
fi
if [ -z "$status" ]; then
	echo "run.sh: VERDICT crashed: guest ended without a status ($run, $kernel kernel): $(cause); console: $console" >&2
	exit 125
fi
exit "$status"
