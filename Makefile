# SPDX-License-Identifier: GPL-2.0
#
# firehose: the developer's front door.
#
#   make deps      install everything (Debian 12, apt-get)
#   make           kmod/firehose.ko (against KDIR) and userspace/fhctl
#   make lint      checkpatch --strict and sparse over kmod/
#   make check     build, KUnit on the debug kernel, selftests on both kernels
#   make demo      boot the VM with firehose serving and show it working
#   make bench     side-by-side benchmarks (not part of check)
#   make check-harness  prove that check goes red on a failing test, KASAN, a hang

VMDIR   := tests/vm
KDIR    ?= $(shell $(VMDIR)/kernel.sh stock-kdir 2>/dev/null)
BUILD   := build
CC      ?= cc
USER_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Iinclude
KSRC     = $(shell $(VMDIR)/kernel.sh src)
DEBUG_KDIR = $(shell $(VMDIR)/kernel.sh debug)

SELFTEST_SRCS := $(wildcard tests/selftests/*_test.c)
SELFTESTS     := $(patsubst tests/selftests/%.c,$(BUILD)/selftests/%,$(SELFTEST_SRCS))
SELFTEST_LIB  := tests/selftests/fh_util.c

.PHONY: all module fhctl deps lint check demo bench check-harness debug-kernel \
	debug-modules faulty-modules selftests bench-tools clean

all: module fhctl

deps:
	tests/deps.sh

module:
	@test -n "$(KDIR)" || { echo "no kernel headers: run 'make deps' or pass KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

fhctl: userspace/fhctl

userspace/fhctl: userspace/fhctl.c include/uapi/firehose.h
	$(CC) $(USER_CFLAGS) -o $@ userspace/fhctl.c $(shell pkg-config --cflags --libs libmnl)

# kselftest_harness.h comes from the linux-source tarball, never from the repo.
$(BUILD)/kselftest/kselftest_harness.h:
	@mkdir -p $(@D)
	cp $(KSRC)/tools/testing/selftests/kselftest_harness.h $(KSRC)/tools/testing/selftests/kselftest.h $(@D)/

$(BUILD)/selftests/%: tests/selftests/%.c $(SELFTEST_LIB) tests/selftests/fh_util.h tests/selftests/fh_harness.h \
		$(BUILD)/kselftest/kselftest_harness.h include/uapi/firehose.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Wno-unused-parameter -I$(BUILD)/kselftest -Itests/selftests \
		-o $@ $< $(SELFTEST_LIB) -pthread $(shell pkg-config --libs libmnl)

selftests: $(SELFTESTS)

BENCH_TOOLS := $(BUILD)/bench/fh_load $(BUILD)/bench/epoll_echo $(BUILD)/bench/fh_idle

$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $< -pthread

bench-tools: $(BENCH_TOOLS)

debug-kernel:
	$(VMDIR)/kernel.sh debug >/dev/null

# The same sources built against the debug kernel, with the KUnit module, in a
# mirror tree so the stock build in kmod/ is left alone.
debug-modules: debug-kernel
	@mkdir -p $(BUILD)/debug
	rsync -a --include='*/' --include='*.[ch]' --include=Kbuild --exclude='*' \
		Kbuild kmod include tests $(BUILD)/debug/
	$(MAKE) -C $(DEBUG_KDIR) M=$(CURDIR)/$(BUILD)/debug FH_KUNIT=m modules

lint:
	@$(VMDIR)/lint.sh $(KSRC) $(KDIR)

# FH_KERNELS=stock skips the debug kernel (and its build) while developing.
check: all selftests bench-tools $(if $(filter stock,$(FH_KERNELS)),,debug-modules)
	tests/check.sh

demo: all bench-tools
	tests/demo.sh

# Deliberately faulty KUnit modules, built only for check-harness.
faulty-modules: debug-kernel
	@mkdir -p $(BUILD)/faulty
	rsync -a --include='*.c' --include=Kbuild --exclude='*' tests/vm/faulty/ $(BUILD)/faulty/
	$(MAKE) -C $(DEBUG_KDIR) M=$(CURDIR)/$(BUILD)/faulty modules

bench: all bench-tools
	bench/run.sh

check-harness: all selftests bench-tools debug-modules faulty-modules
	tests/check-harness.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	rm -rf $(BUILD) userspace/fhctl
