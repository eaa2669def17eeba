/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kselftest_harness.h with a per-test timeout fit for the test VM: under
 * emulation with KASAN and lockdep, the debug kernel runs some 50 times
 * slower than real hardware, and 30 s is too short for honest tests.
 */
#ifndef FH_HARNESS_H
#define FH_HARNESS_H

#include "kselftest_harness.h"

#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 180

#endif /* FH_HARNESS_H */
