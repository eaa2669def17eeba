#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: boot a stock-kernel VM (DEMO_KERNEL=6.1, the default, or 6.12)
# with firehose serving echo and a small web site, drive them with real
# clients (fh_load, curl, wrk), print the counters, power off.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=build/demo
mkdir -p "$out"
guest=stock-${DEMO_KERNEL:-6.1}
tests/vm/build-module.sh "$guest"
tests/vm/mkinitramfs.sh -o "$out/demo.cpio.gz" --dir tests/vm/guest:/fh \
	--file "build/k/$guest/kmod/firehose.ko:/fh/mod/firehose.ko" --file userspace/fhctl:/fh/bin/fhctl \
	--file build/bench/fh_load:/fh/bin/fh_load --bin curl --bin wrk
echo "demo: booting the test VM (qemu, $(tests/vm/kernel.sh release "${guest#stock-}")); console also in $out/console.log"
tests/vm/run.sh --kernel "$guest" --initrd "$out/demo.cpio.gz" --run demo.sh \
	--timeout 300 --out "$out" --show-console
echo "demo: the VM powered off cleanly"
