// SPDX-License-Identifier: GPL-2.0
/*
 * Runs every TEST, or those named on the command line, and ends with the
 * line "http tests: N passed, N failed". Exit status: 0 when all pass, 1
 * when any fails (or none ran).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "ht.h"

#define HT_MAX 1024

static struct {
	const char *name;
	void (*fn)(void);
} ht_tests[HT_MAX];
static int ht_count;
static bool ht_failed;
static char ht_why[1024];

void ht_register(const char *name, void (*fn)(void))
{
	if (ht_count == HT_MAX) {
		fprintf(stderr, "http tests: more than %d tests\n", HT_MAX);
		exit(2);
	}
	ht_tests[ht_count].name = name;
	ht_tests[ht_count].fn = fn;
	ht_count++;
}

void ht_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ht_failed)
		return;
	ht_failed = true;
	n = snprintf(ht_why, sizeof(ht_why), "%s:%d: ", file, line);
	va_start(ap, fmt);
	vsnprintf(ht_why + n, sizeof(ht_why) - n, fmt, ap);
	va_end(ap);
}

bool ht_bytes_eq(const char *got, size_t n, const char *want)
{
	return strlen(want) == n && memcmp(got, want, n) == 0;
}

/* Printable, escaped; valid until the next call. */
const char *ht_esc(const char *s, size_t n)
{
	static char out[512];
	size_t i, o = 0;

	for (i = 0; i < n && o + 8 < sizeof(out); i++) {
		unsigned char c = s[i];

		if (c == '\r')
			o += sprintf(out + o, "\\r");
		else if (c == '\n')
			o += sprintf(out + o, "\\n");
		else if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += sprintf(out + o, "\\x%02x", c);
		else
			out[o++] = c;
	}
	if (i < n)
		o += sprintf(out + o, "...");
	out[o] = '\0';
	return out;
}

static bool ht_wanted(const char *name, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return true;
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	int i, pass = 0, fail = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < ht_count; i++) {
		if (!ht_wanted(ht_tests[i].name, argc, argv))
			continue;
		ht_failed = false;
		ht_tests[i].fn();
		if (ht_failed) {
			printf("FAIL http/%s: %s\n", ht_tests[i].name, ht_why);
			fail++;
		} else {
			printf("PASS http/%s\n", ht_tests[i].name);
			pass++;
		}
	}
	/* The last line: a run that crashed part way never prints it. */
	printf("http tests: %d passed, %d failed\n", pass, fail);
	if (pass + fail == 0) {
		fprintf(stderr, "http tests: no test ran\n");
		return 1;
	}
	return fail ? 1 : 0;
}
