/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the load generators (fh_load, fh_kv_load) share: the latency
 * histogram and the CPU list of their --cpus option. Each is one .c file
 * built alone, so these are static functions in a header.
 */
#ifndef FH_BENCH_H
#define FH_BENCH_H

#include <sched.h>
#include <stdint.h>
#include <stdlib.h>

#define HIST_SUB	64	/* sub-buckets per power of two */
#define HIST_BUCKETS	(40 * HIST_SUB)

/* Log-linear histogram: exact below 12.8 us, then 64 steps per doubling. */
static int hist_index(uint64_t ns)
{
	uint64_t v = ns / 100;	/* 0.1 us units */
	int shift = 0, idx;

	if (v < 2 * HIST_SUB)
		return (int)v;
	while ((v >> shift) >= 2 * HIST_SUB)
		shift++;
	idx = (shift + 1) * HIST_SUB + (int)((v >> shift) - HIST_SUB);
	return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

static double hist_value_us(int idx)
{
	int shift, sub;

	if (idx < 2 * HIST_SUB)
		return idx / 10.0;
	shift = idx / HIST_SUB - 1;
	sub = idx % HIST_SUB + HIST_SUB;
	return ((double)sub * (double)(1ULL << shift)) / 10.0;
}

/* The latency below which a fraction @p of the @n samples in @hist lie. */
static double hist_percentile(const uint64_t *hist, uint64_t n, double p)
{
	uint64_t want = (uint64_t)(p * n), seen = 0;

	for (int i = 0; i < HIST_BUCKETS; i++) {
		seen += hist[i];
		if (seen > want)
			return hist_value_us(i);
	}
	return 0;
}

/* "0-3,6" into @set; -1 if it is no CPU list. */
static int parse_cpus(const char *s, cpu_set_t *set)
{
	char *end;
	long a, b;

	CPU_ZERO(set);
	while (*s) {
		a = strtol(s, &end, 10);
		if (end == s || a < 0 || a >= CPU_SETSIZE)
			return -1;
		b = a;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a || b >= CPU_SETSIZE)
				return -1;
		}
		for (; a <= b; a++)
			CPU_SET(a, set);
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return 0;
}

#endif /* FH_BENCH_H */
