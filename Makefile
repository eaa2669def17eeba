# SPDX-License-Identifier: GPL-2.0
#
# firehose: the developer's front door.
#
#   make deps      install everything (Debian 12, apt-get): both LTS kernels, tools, peers
#   make           kmod/firehose.ko (against KDIR) and userspace/fhctl
#   make lint      checkpatch --strict, and sparse against both kernels' headers
#   make check     build for every guest kernel; KUnit on the debug kernels,
#                  selftests on all four (FH_KERNELS narrows: FH_KERNELS=stock-6.12)
#   make demo      boot the VM with firehose serving and show it working
#   make bench     side-by-side benchmarks (not part of check; BENCH_KERNEL=6.12)
#   make install   fhctl to /usr/sbin, the systemd unit, /etc/firehose/firehose.conf
#   make dkms-install / dkms-uninstall   register the module with DKMS
#   make check-harness  prove that check goes red on a failing test, KASAN, a hang

VMDIR   := tests/vm
VERSION := $(shell cat VERSION)
# The running kernel's headers when it has them (a user building for the
# machine in front of them), else Debian's 6.1 LTS headers.
KDIR    ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	     $(shell $(VMDIR)/kernel.sh kdir stock-6.1 2>/dev/null))
BUILD   := build
CC      ?= cc
USER_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Iinclude \
	-DFH_VERSION='"$(VERSION)"'
# kselftest_harness.h from 6.1: 6.12's trips gcc 12's -Wclobbered under -Werror.
KSRC     = $(shell $(VMDIR)/kernel.sh src 6.1)
FH_KERNELS ?= $(shell $(VMDIR)/kernel.sh names)
export FH_KERNELS

DESTDIR ?=
SBINDIR ?= /usr/sbin
UNITDIR ?= /lib/systemd/system
CONFDIR ?= /etc/firehose
DKMS_SRC = $(DESTDIR)/usr/src/firehose-$(VERSION)

SELFTEST_SRCS := $(wildcard tests/selftests/*_test.c)
SELFTESTS     := $(patsubst tests/selftests/%.c,$(BUILD)/selftests/%,$(SELFTEST_SRCS))
SELFTEST_LIB  := tests/selftests/fh_util.c tests/selftests/fh_http.c tests/selftests/fh_upstream.c
SELFTEST_HDRS := tests/selftests/fh_util.h tests/selftests/fh_http.h tests/selftests/fh_upstream.h \
	tests/selftests/fh_harness.h

.PHONY: all module fhctl deps lint check demo bench check-harness debug-kernel \
	kmods faulty-modules selftests bench-tools clean install uninstall \
	dkms-install dkms-uninstall dkms-tree http-test fuzz fuzz-build print-fuzzers

all: module fhctl

deps:
	tests/deps.sh

module:
	@test -n "$(KDIR)" || { echo "no kernel headers: run 'make deps' or pass KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

fhctl: userspace/fhctl

# One file per concern (fhctl.h says which); any of them changing rebuilds.
FHCTL_SRCS := $(wildcard userspace/*.c)
FHCTL_HDRS := $(wildcard userspace/*.h)

userspace/fhctl: $(FHCTL_SRCS) $(FHCTL_HDRS) include/uapi/firehose.h VERSION
	$(CC) $(USER_CFLAGS) -o $@ $(FHCTL_SRCS) $(shell pkg-config --cflags --libs libmnl)

# kselftest_harness.h comes from the linux-source tarball, never from the repo.
$(BUILD)/kselftest/kselftest_harness.h:
	@mkdir -p $(@D)
	cp $(KSRC)/tools/testing/selftests/kselftest_harness.h $(KSRC)/tools/testing/selftests/kselftest.h $(@D)/

$(BUILD)/selftests/%: tests/selftests/%.c $(SELFTEST_LIB) $(SELFTEST_HDRS) \
		$(BUILD)/kselftest/kselftest_harness.h include/uapi/firehose.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Wno-unused-parameter -I$(BUILD)/kselftest -Itests/selftests \
		-o $@ $< $(SELFTEST_LIB) -pthread $(shell pkg-config --libs libmnl)

# spec_test carries netlink/firehose.yaml compiled in: the guest has no repository.
$(BUILD)/spec/spec_gen.h: netlink/firehose.yaml tests/selftests/spec_gen.py
	@mkdir -p $(@D)
	python3 tests/selftests/spec_gen.py $< >$@.tmp && mv $@.tmp $@

$(BUILD)/selftests/spec_test: tests/selftests/spec_test.c $(BUILD)/spec/spec_gen.h $(SELFTEST_LIB) \
		$(SELFTEST_HDRS) $(BUILD)/kselftest/kselftest_harness.h include/uapi/firehose.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Wno-unused-parameter -I$(BUILD)/kselftest -Itests/selftests -I$(BUILD)/spec \
		-o $@ $< $(SELFTEST_LIB) -pthread $(shell pkg-config --libs libmnl)

selftests: $(SELFTESTS)

# The HTTP parsers (kmod/http, plain C with no kernel dependency) compiled on
# the host, against the very files the module uses, with ASan and UBSan.
# Only the http_*.c parsers: the protocol around them is kernel code.
HTTP_SRCS      := $(wildcard kmod/http/http_*.c) kmod/kv/kv_parse.c
HTTP_TEST_SRCS := $(wildcard tests/http/*.c)
HTTP_CFLAGS    := -std=c11 -O1 -g -Wall -Wextra -Werror -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all -Ikmod/http -Itests/http

$(BUILD)/http/http_test: $(HTTP_SRCS) $(HTTP_TEST_SRCS) $(wildcard kmod/http/http_*.h kmod/kv/kv_parse.h tests/http/*.h)
	@mkdir -p $(@D)
	$(CC) $(HTTP_CFLAGS) -o $@ $(HTTP_TEST_SRCS) $(HTTP_SRCS)

http-test: $(BUILD)/http/http_test
	$(BUILD)/http/http_test

# libFuzzer targets for every parser (request, path, Range, date), with ASan
# and UBSan, against the module's own files. 'make fuzz' runs each for
# FUZZ_SECONDS (default 600) from its seed corpus in tests/http/fuzz/corpus
# (what it finds new goes to build/fuzz/corpus, not the tree) and prints the
# executions; make check runs each for FUZZ_CHECK_SECONDS.
FUZZERS        := http path range date proxy kv
FUZZ_SECONDS   ?= 600
FUZZ_BINS      := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZERS))
FUZZ_CFLAGS    := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Ikmod/http

$(BUILD)/fuzz/fuzz_%: tests/http/fuzz/fuzz_%.c $(HTTP_SRCS) $(wildcard kmod/http/http_*.h kmod/kv/kv_parse.h)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -o $@ $< $(HTTP_SRCS)

fuzz-build: $(FUZZ_BINS)

# The fuzzers' names, for tests/check.sh (one list, here).
print-fuzzers:
	@echo $(FUZZERS)

fuzz: $(FUZZ_BINS)
	tests/fuzz.sh $(FUZZ_SECONDS) $(FUZZERS)

BENCH_TOOLS := $(BUILD)/bench/fh_load $(BUILD)/bench/epoll_echo $(BUILD)/bench/uring_echo \
	$(BUILD)/bench/fh_idle $(BUILD)/bench/fh_upstream_srv $(BUILD)/bench/fh_kv_load

$(BUILD)/bench/%: bench/%.c bench/fh_bench.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $< -pthread

# The io_uring peer links liburing (liburing-dev; the guest gets liburing.so through ldd).
$(BUILD)/bench/uring_echo: bench/uring_echo.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $< -pthread $(shell pkg-config --cflags --libs liburing)

bench-tools: $(BENCH_TOOLS)

debug-kernel:
	for s in 6.1 6.12; do $(VMDIR)/kernel.sh debug $$s >/dev/null || exit 1; done

# The module for each guest kernel in FH_KERNELS, each in its own mirror tree
# (build/k/NAME); debug kernels are built (or taken from the cache) first.
kmods:
	for k in $(FH_KERNELS); do $(VMDIR)/build-module.sh $$k || exit 1; done

lint:
	@$(VMDIR)/lint.sh

check: fhctl selftests bench-tools kmods
	tests/check.sh

demo: fhctl bench-tools
	tests/demo.sh

# Deliberately faulty KUnit modules, built only for check-harness (debug 6.1).
faulty-modules:
	$(VMDIR)/kernel.sh debug 6.1 >/dev/null
	@mkdir -p $(BUILD)/faulty
	rsync -a --include='*.c' --include=Kbuild --exclude='*' tests/vm/faulty/ $(BUILD)/faulty/
	$(MAKE) -C $$($(VMDIR)/kernel.sh debug-dir 6.1) M=$(CURDIR)/$(BUILD)/faulty modules

bench: fhctl bench-tools
	bench/run.sh

check-harness: fhctl selftests bench-tools faulty-modules
	FH_KERNELS=debug-6.1 $(MAKE) kmods
	tests/check-harness.sh

# What DKMS builds: the module's sources and nothing else.
dkms-tree:
	rm -rf $(DKMS_SRC)
	mkdir -p $(DKMS_SRC)
	rsync -a --include='*/' --include='*.[ch]' --include=Kbuild --exclude='*' \
		Kbuild kmod include $(DKMS_SRC)/
	cp VERSION dkms.conf $(DKMS_SRC)/

# Built and installed for every kernel whose headers are installed; DKMS
# rebuilds it for kernels installed later (AUTOINSTALL).
dkms-install: dkms-tree
	dkms add firehose/$(VERSION)
	n=0; for b in /lib/modules/*/build; do \
		[ -d "$$b" ] || continue; k=$${b#/lib/modules/}; k=$${k%/build}; \
		dkms install firehose/$(VERSION) -k "$$k" || exit 1; n=$$((n + 1)); \
	done; [ $$n -gt 0 ] || { echo "no kernel headers installed: apt-get install linux-headers-$$(uname -r)" >&2; exit 1; }

dkms-uninstall:
	-dkms remove firehose/$(VERSION) --all
	rm -rf $(DKMS_SRC)

install: fhctl
	install -D -m 0755 userspace/fhctl $(DESTDIR)$(SBINDIR)/fhctl
	install -D -m 0644 packaging/firehose.service $(DESTDIR)$(UNITDIR)/firehose.service
	test -e $(DESTDIR)$(CONFDIR)/firehose.conf || \
		install -D -m 0644 packaging/firehose.conf $(DESTDIR)$(CONFDIR)/firehose.conf
	-[ -n "$(DESTDIR)" ] || systemctl daemon-reload 2>/dev/null

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/fhctl $(DESTDIR)$(UNITDIR)/firehose.service
	-[ -n "$(DESTDIR)" ] || systemctl daemon-reload 2>/dev/null

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	rm -rf $(BUILD) userspace/fhctl
