/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small test runner for the HTTP parsers, compiled on the host against
 * the very files the module builds (kmod/http). TEST(name) defines a test;
 * each prints "PASS http/<name>" or "FAIL http/<name>: <why>", the lines
 * tests/check.sh collects.
 */
#ifndef _FH_HTTP_TEST_H
#define _FH_HTTP_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

void ht_register(const char *name, void (*fn)(void));
void ht_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define TEST(n)								\
	static void n(void);						\
	__attribute__((constructor)) static void ht_reg_##n(void)	\
	{								\
		ht_register(#n, n);					\
	}								\
	static void n(void)

/* On failure: record why, and leave the test. */
#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			ht_fail(__FILE__, __LINE__, __VA_ARGS__);	\
			return;						\
		}							\
	} while (0)

#define CHECK_INT(got, want)						\
	do {								\
		long long _g = (long long)(got), _w = (long long)(want); \
		CHECK(_g == _w, "%s is %lld, expected %lld", #got, _g, _w); \
	} while (0)

/* A byte string and its length, NULs included. */
#define S(lit) lit, sizeof(lit) - 1

/* got (n bytes) equals the C string want; why printed with escapes. */
bool ht_bytes_eq(const char *got, size_t n, const char *want);
const char *ht_esc(const char *s, size_t n);

#define CHECK_BYTES(got, n, want)					\
	CHECK(ht_bytes_eq(got, n, want), "%s is \"%s\", expected \"%s\"", \
	      #got, ht_esc(got, n), want)

#endif /* _FH_HTTP_TEST_H */
