# SPDX-License-Identifier: GPL-2.0
# Shared by the guest scripts. Results go to the report channel as lines
# "PASS name", "FAIL name: why" or "SKIP name", one per test.

FH_MOD=/fh/mod/firehose.ko
export FH_MOD

report() {
	echo "$*" >>"${FH_REPORT:-/dev/null}"
}

fh_mod_load() {
	grep -q '^firehose ' /proc/modules || insmod "$FH_MOD"
}

# A loader job still out holds the module (kmod/http/load.c): rmmod is
# refused until it ends, so it is tried for up to 20 s.
fh_mod_unload() {
	i=0
	while grep -q '^firehose ' /proc/modules; do
		rmmod firehose 2>/dev/null && return 0
		i=$((i + 1))
		[ $i -ge 100 ] && { rmmod firehose; return 1; }
		sleep 0.2
	done
	return 0
}

# What the kernel log must never show after a test program, on any kernel.
FH_KLOG_BAD='BUG:|WARNING:|KASAN|UBSAN|Oops|general protection|Busy inodes|blocked for more than|circular locking|inconsistent lock|lock held when returning|refcount_t:|list_add corruption|list_del corruption|use-after-free'

# klog_check NAME: fail NAME if the kernel log since the last check has a
# report, then start the next program with an empty log.
klog_check() {
	bad=$(dmesg | grep -E "$FH_KLOG_BAD" | head -n 3)
	if [ -n "$bad" ]; then
		report "FAIL $1/kernel_log_is_clean: $(echo "$bad" | head -n1)"
		dmesg
	else
		report "PASS $1/kernel_log_is_clean"
	fi
	dmesg -c >/dev/null
}

# run_selftest KERNEL PROG: run one kselftest-harness program, turn its TAP
# into report lines; a program that dies without saying why still fails.
run_selftest() {
	kernel=$1
	prog=$2
	name=$(basename "$prog")
	log=/tmp/$name.tap
	echo "=== $kernel: $name"
	t0=$(cut -d. -f1 /proc/uptime)
	timeout "${FH_SELFTEST_TIMEOUT:-900}" "$prog" >"$log" 2>&1
	st=$?
	# How long each program took, for the host's timing summary.
	report "TIME $kernel/$name $(($(cut -d. -f1 /proc/uptime) - t0))"
	cat "$log"
	# A skipped test's TAP line has no name: take it from its RUN line.
	awk -v pre="$kernel/$name/" '
		/^#  RUN / { run = $3 }
		/^ok [0-9]+ .*# SKIP/ { sub(/.*# SKIP */, ""); print "SKIP " pre run ": " $0; n++; next }
		/^ok [0-9]+ / { sub(/^ok [0-9]+ /, ""); print "PASS " pre $0; n++; next }
		/^not ok [0-9]+ / { sub(/^not ok [0-9]+ /, ""); print "FAIL " pre $0; f++; next }
		END { exit (n + f) == 0 }' "$log" >>"$FH_REPORT"
	empty=$?
	if [ "$empty" = 1 ]; then
		report "FAIL $kernel/$name: no results (exit status $st)"
	elif [ "$st" != 0 ] && ! grep -q '^not ok' "$log"; then
		report "FAIL $kernel/$name: exit status $st with no failing test"
	fi
	klog_check "$kernel/$name"
}
