#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything firehose needs to build, test and benchmark (Debian 12).
# Idempotent: when every package is present it only says so.
set -euo pipefail

pkgs=(
	# both LTS kernels: build the module against their headers, boot their images
	# in the VM, build a debug kernel from each source (checkpatch.pl and
	# kselftest_harness.h come from the sources too)
	linux-headers-amd64 linux-image-amd64 linux-source-6.1
	linux-headers-6.12-amd64 linux-image-6.12-amd64 linux-source-6.12
	bc flex bison libelf-dev libssl-dev xz-utils dwarves rsync kmod
	# DKMS builds the module for every installed kernel
	dkms
	build-essential pkg-config
	# the test VM
	qemu-system-x86 busybox-static cpio
	# fhctl and lint
	libmnl-dev sparse
	# spec_test compiles netlink/firehose.yaml in (tests/selftests/spec_gen.py)
	python3 python3-yaml
	# clients, peers and charts for tests and benchmarks (liburing: the io_uring echo peer)
	gnuplot-nox curl wrk nginx-light memcached libmemcached-tools linux-perf iproute2 liburing-dev
)

missing=()
for p in "${pkgs[@]}"; do
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#pkgs[@]} packages present"
else
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing ${missing[*]}; run 'make deps' as root" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# Services must not start on the build host: nginx and memcached run only in the VM.
	policy=/usr/sbin/policy-rc.d
	[ -e "$policy" ] || { printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; trap 'rm -f "$policy"' EXIT; }
	apt-get install -y -q --no-install-recommends "${pkgs[@]}"
fi

# Each stock kernel's headers must match its image, or the module won't load in the VM.
for series in 6.1 6.12; do
	rel=$("$(dirname "$0")/vm/kernel.sh" release "$series")
	[ -d "/usr/src/linux-headers-$rel" ] || { echo "deps: headers for $rel missing" >&2; exit 1; }
	echo "deps: guest kernel $series is $rel"
done
echo "deps: done"
