// SPDX-License-Identifier: GPL-2.0
/*
 * fhctl's argument parsing: numbers, durations and intervals, endpoints,
 * cpulists, and the options that may follow the command words. A value
 * that does not parse is a usage error naming what was expected.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fhctl.h"

/* Decimal digits only: no sign, no blanks, no base prefix, no overflow. */
bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (!is_digit(*s) || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

size_t addr_len(uint16_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

void parse_endpoint(const char *s, struct endpoint *ep)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *orig = s, *port, *end;
	uint64_t p;
	size_t len;

	memset(ep, 0, sizeof(*ep));
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end || end[1] != ':')
			goto bad;
		s++;
		port = end + 2;
		ep->family = AF_INET6;
	} else {
		/* An unbracketed IPv6 address has more than one colon: refuse it. */
		end = strchr(s, ':');
		if (!end || strchr(end + 1, ':'))
			goto bad;
		port = end + 1;
		ep->family = AF_INET;
	}
	len = (size_t)(end - s);
	if (!len || len >= sizeof(host))
		goto bad;
	memcpy(host, s, len);
	host[len] = '\0';
	if (inet_pton(ep->family, host, ep->addr) != 1)
		goto bad;
	if (!parse_u64(port, &p) || p < 1 || p > 65535)
		bad_value("bad port '%s': expected 1..65535", port);
	ep->port = (uint16_t)p;
	return;
bad:
	bad_value("bad address '%s': expected IPV4:PORT or [IPV6]:PORT", orig);
}

/*
 * Only the syntax is ours to check ("N" or "N-M" items, commas between);
 * which CPUs exist and have workers is up to the kernel.
 */
void check_cpulist(const char *s)
{
	const char *p = s;
	uint64_t lo, hi;

	if (strlen(s) >= FH_CPULIST_MAX)
		bad_value("bad cpu list: longer than %d characters", FH_CPULIST_MAX - 1);
	for (;;) {
		if (!is_digit(*p))
			goto bad;
		for (lo = 0; is_digit(*p); p++)
			if ((lo = lo * 10 + (uint64_t)(*p - '0')) > INT32_MAX)
				goto bad;
		hi = lo;
		if (*p == '-') {
			p++;
			if (!is_digit(*p))
				goto bad;
			for (hi = 0; is_digit(*p); p++)
				if ((hi = hi * 10 + (uint64_t)(*p - '0')) > INT32_MAX)
					goto bad;
			if (hi < lo)
				goto bad;
		}
		if (!*p)
			return;
		if (*p++ != ',')
			goto bad;
	}
bad:
	bad_value("bad cpu list '%s': expected CPU numbers and ranges such as 0-3,6", s);
}

/* Returns milliseconds; UINT64_MAX for a well-formed value too large to hold. */
bool parse_duration_ms(const char *s, uint64_t *ms)
{
	static const struct { const char *unit; uint64_t ms; } units[] = {
		{ "", 1000 }, { "s", 1000 }, { "ms", 1 }, { "m", 60000 }, { "h", 3600000 },
	};
	uint64_t v = 0;
	const char *p = s;
	bool big = false;

	if (!strcmp(s, "off")) {
		*ms = 0;
		return true;
	}
	if (!is_digit(*p))
		return false;
	for (; is_digit(*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			big = true;
		else
			v = v * 10 + (uint64_t)(*p - '0');
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].unit))
			continue;
		*ms = big || v > UINT64_MAX / units[i].ms ? UINT64_MAX : v * units[i].ms;
		return true;
	}
	return false;
}

/* Decimal seconds, e.g. 2 or 0.5; strtod alone would also take "inf" or "1e3". */
bool parse_interval(const char *s, double *out)
{
	const char *p = s;
	while (is_digit(*p))
		p++;
	if (p == s || (*p == '.' && !is_digit(*++p)))
		return false;
	while (is_digit(*p))
		p++;
	if (*p)
		return false;
	*out = strtod(s, NULL);
	return true;
}

/* Bytes: N, or N with a K, M or G suffix (either case; powers of 1024). */
bool parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "kmg";
	uint64_t v = 0, mult = 1;
	const char *p = s;

	if (!is_digit(*p))
		return false;
	for (; is_digit(*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p) {
		const char *u = p[1] ? NULL : strchr(units, *p | 0x20);

		if (!u)
			return false;
		for (const char *k = units; k <= u; k++)
			mult *= 1024;
	}
	if (v > UINT64_MAX / mult)
		return false;
	*out = v * mult;
	return true;
}

/*
 * Options and positional words may be mixed freely after the command words.
 * Each subcommand lists what it accepts; everything else is a usage error.
 */

static bool opt_is(const char *arg, const char *name)
{
	return !strcmp(arg, name);
}

/* "--name VALUE" or "--name=VALUE"; NULL when @argv[*i] is another option. */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t len = strlen(name);
	const char *arg = argv[*i];

	if (strncmp(arg, name, len))
		return NULL;
	if (arg[len] == '=')
		return arg + len + 1;
	if (arg[len])
		return NULL;
	if (*i + 1 >= argc)
		usage_err("option %s needs a value", name);
	return argv[++*i];
}

void parse_opts(int argc, char **argv, unsigned int allowed, struct opts *o)
{
	bool only_pos = false;
	const char *v;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		/* "-" alone and negative numbers are values, not options. */
		if (only_pos || a[0] != '-' || !a[1] || is_digit(a[1])) {
			if (o->npos >= o->max_pos || o->npos >= MAX_POS)
				usage_err("unexpected argument '%s'", a);
			o->pos[o->npos++] = a;
		} else if (opt_is(a, "--")) {
			only_pos = true;
		} else if (opt_is(a, "-h") || opt_is(a, "--help")) {
			usage_ok();
		} else if (opt_is(a, "-j") || opt_is(a, "--json")) {
			o->json = true;
		} else if ((allowed & O_CPUS) && (v = opt_value(argc, argv, &i, "--cpus"))) {
			o->cpus = v;
		} else if ((allowed & O_MAX_CONNS) &&
			   (v = opt_value(argc, argv, &i, "--max-connections"))) {
			o->max_conns = v;
		} else if ((allowed & O_SITE) && (v = opt_value(argc, argv, &i, "--root"))) {
			o->root = v;
		} else if ((allowed & O_SITE) && (v = opt_value(argc, argv, &i, "--user"))) {
			o->user = v;
		} else if ((allowed & O_SITE) && (v = opt_value(argc, argv, &i, "--cache"))) {
			o->cache = v;
		} else if ((allowed & O_SITE) && opt_is(a, "--access-log")) {
			o->access_log = true;
		} else if ((allowed & O_SITE) && opt_is(a, "--one-file-system")) {
			o->one_fs = true;
		} else if ((allowed & O_KV) && (v = opt_value(argc, argv, &i, "--mem"))) {
			o->mem = v;
		} else if ((allowed & O_KV) && (v = opt_value(argc, argv, &i, "--item-max"))) {
			o->item_max = v;
		} else if ((allowed & O_ROUTES) && (v = opt_value(argc, argv, &i, "--route"))) {
			if (o->nroutes >= FH_ROUTES_MAX)
				bad_value("too many --route: at most %d", FH_ROUTES_MAX);
			o->route[o->nroutes++] = v;
		} else if ((allowed & O_ROUTES) && (v = opt_value(argc, argv, &i, "--fallback"))) {
			o->fallback = v;
		} else if ((allowed & O_UPSTREAM) &&
			   (v = opt_value(argc, argv, &i, "--keepalive"))) {
			o->keepalive = v;
		} else if ((allowed & O_UPSTREAM) &&
			   (v = opt_value(argc, argv, &i, "--connect-timeout"))) {
			o->connect_timeout = v;
		} else if ((allowed & O_UPSTREAM) &&
			   (v = opt_value(argc, argv, &i, "--read-timeout"))) {
			o->read_timeout = v;
		} else if ((allowed & O_UPSTREAM) &&
			   (v = opt_value(argc, argv, &i, "--max-fails"))) {
			o->max_fails = v;
		} else if ((allowed & O_UPSTREAM) &&
			   (v = opt_value(argc, argv, &i, "--fail-timeout"))) {
			o->fail_timeout = v;
		} else if ((allowed & O_LISTENER) &&
			   (v = opt_value(argc, argv, &i, "--listener"))) {
			o->listener = v;
		} else if ((allowed & O_STATS) && opt_is(a, "--per-cpu")) {
			o->per_cpu = true;
		} else if ((allowed & O_STATS) && opt_is(a, "--watch")) {
			o->watch = true;
		} else if ((allowed & O_STATS) && (v = opt_value(argc, argv, &i, "--count"))) {
			o->count = v;
		} else if ((allowed & O_STATS) && (v = opt_value(argc, argv, &i, "--interval"))) {
			o->interval = v;
		} else if ((allowed & O_FOLLOW) && (opt_is(a, "--follow") || opt_is(a, "-f"))) {
			o->follow = true;
		} else if ((allowed & O_DRY_RUN) && opt_is(a, "--dry-run")) {
			o->dry_run = true;
		} else {
			usage_err("unknown option '%s'", a);
		}
	}
}
