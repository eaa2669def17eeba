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

#include <string.h>

/* fhctl's stderr @err is exactly one line, "fhctl: ...", naming @needle. */
static inline void fh_expect_error_line(struct __test_metadata *_metadata,
					const char *err, const char *needle)
{
	size_t n = strlen(err);

	EXPECT_EQ(0, strncmp(err, "fhctl: ", 7)) TH_LOG("stderr: %s", err);
	EXPECT_TRUE(n && err[n - 1] == '\n' && strchr(err, '\n') == err + n - 1)
		TH_LOG("not exactly one line on stderr: '%s'", err);
	EXPECT_NE(NULL, strstr(err, needle)) TH_LOG("no '%s' in: %s", needle, err);
}

#endif /* FH_HARNESS_H */
