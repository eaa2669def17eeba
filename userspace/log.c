// SPDX-License-Identifier: GPL-2.0
/*
 * fhctl log [-j] [--follow]: read the access log of the http listeners
 * added with --access-log. Reading consumes: each record is printed once,
 * by whichever reader takes it (FH_CMD_LOG_GET).
 *
 * Text is the Common Log Format, as nginx writes it:
 *
 *	127.0.0.1 - - [02/Jan/2023:03:04:05 +0000] "GET /x HTTP/1.1" 404 153
 *
 * in UTC, an IPv6 client plainly (::1), "-" for the request when its line
 * did not parse as far as the method, and the body bytes (0 for none).
 * A proxied request's line ends with where it went, as nginx's
 * $upstream_addr, $upstream_status and $upstream_response_time:
 * " upstream=127.0.0.1:8000 upstream_status=200 upstream_time=0.004".
 * With -j, one JSON object per line (JSON Lines, no enclosing array), so
 * that --follow can stream them.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "fhctl.h"

/*
 * --follow reads again this often while the log is quiet, and this soon
 * after a read that found records: each CPU's ring holds 1024, so at tens
 * of thousands of requests a second a fixed 200 ms would let most of them
 * be dropped, and reading every 10 ms of a quiet log would be a waste.
 */
#define FOLLOW_IDLE_NS		200000000L
#define FOLLOW_BUSY_NS		10000000L

/* Longer methods are cut; the kernel keeps a short one anyway. */
#define METHOD_MAX	64

struct log_rec {
	uint64_t time;
	struct endpoint ep;	/* the client's address, the listener's port */
	bool has_method, has_target;
	char method[METHOD_MAX];
	char target[FH_LOG_TARGET_MAX];
	uint8_t version;	/* 10, 11, or 0: unknown */
	uint16_t status;
	uint64_t bytes;
	/* A proxied request's upstream ("": not proxied), its status, its time. */
	char upstream[FH_UPSTREAM_SERVER_MAX];
	uint16_t upstream_status;
	uint32_t upstream_us;
};

struct log_out {
	bool json;
	uint64_t n;		/* records printed */
};

static int log_parse(const struct nlmsghdr *nlh, struct log_rec *r)
{
	const struct nlattr *tb[FH_A_MAX + 1] = { 0 };

	memset(r, 0, sizeof(*r));
	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), fh_attr_cb, tb) < 0)
		return -1;
	if (!tb[FH_A_LOG_TIME] || !tb[FH_A_LOG_STATUS] || !tb[FH_A_LOG_BYTES] ||
	    !attr_get_uint(tb[FH_A_LOG_TIME], &r->time) ||
	    !attr_get_uint(tb[FH_A_LOG_BYTES], &r->bytes) ||
	    mnl_attr_validate(tb[FH_A_LOG_STATUS], MNL_TYPE_U16) < 0 ||
	    !attr_endpoint(tb, &r->ep))
		return -1;
	r->status = mnl_attr_get_u16(tb[FH_A_LOG_STATUS]);
	if (tb[FH_A_LOG_VERSION]) {
		if (mnl_attr_validate(tb[FH_A_LOG_VERSION], MNL_TYPE_U8) < 0)
			return -1;
		r->version = mnl_attr_get_u8(tb[FH_A_LOG_VERSION]);
	}
	if (tb[FH_A_LOG_METHOD]) {
		copy_str_attr(r->method, sizeof(r->method), tb[FH_A_LOG_METHOD]);
		r->has_method = true;
	}
	if (tb[FH_A_LOG_TARGET]) {
		copy_str_attr(r->target, sizeof(r->target), tb[FH_A_LOG_TARGET]);
		r->has_target = true;
	}
	if (tb[FH_A_LOG_UPSTREAM]) {
		if (!tb[FH_A_LOG_UPSTREAM_STATUS] || !tb[FH_A_LOG_UPSTREAM_TIME_US] ||
		    mnl_attr_validate(tb[FH_A_LOG_UPSTREAM_STATUS], MNL_TYPE_U16) < 0 ||
		    mnl_attr_validate(tb[FH_A_LOG_UPSTREAM_TIME_US], MNL_TYPE_U32) < 0)
			return -1;
		copy_str_attr(r->upstream, sizeof(r->upstream), tb[FH_A_LOG_UPSTREAM]);
		r->upstream_status = mnl_attr_get_u16(tb[FH_A_LOG_UPSTREAM_STATUS]);
		r->upstream_us = mnl_attr_get_u32(tb[FH_A_LOG_UPSTREAM_TIME_US]);
	}
	return 0;
}

static const char *version_str(uint8_t v)
{
	return v == 10 ? "HTTP/1.0" : v == 11 ? "HTTP/1.1" : NULL;
}

/* As nginx escapes a logged request: '"', '\' and non-printing bytes as \xHH. */
static void clf_bytes(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\' || c < 0x20 || c >= 0x7f)
			printf("\\x%02X", c);
		else
			putchar(c);
	}
}

/* The length of the valid UTF-8 sequence at @s, 0 if it is none. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* No overlong forms, surrogates or code points above U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A JSON string of bytes: valid UTF-8 as it is, any other byte as U+FFFD. */
static void json_bytes(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	while (*p) {
		size_t n = utf8_len(p);

		if (!n) {
			fputs("\\ufffd", stdout);
			p++;
		} else if (*p == '"' || *p == '\\') {
			printf("\\%c", *p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			printf("\\u%04x", *p++);
		} else {
			fwrite(p, 1, n, stdout);
			p += n;
		}
	}
	putchar('"');
}

static void print_clf(const struct log_rec *r)
{
	char host[INET6_ADDRSTRLEN], when[64];
	time_t t = (time_t)r->time;
	const char *v = version_str(r->version);
	struct tm tm;

	format_host(host, sizeof(host), r->ep.family, r->ep.addr);
	if (!gmtime_r(&t, &tm) ||
	    !strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm))
		snprintf(when, sizeof(when), "%" PRIu64, r->time);
	printf("%s - - [%s] \"", host, when);
	/* As much of the request line as was understood; "-" for none. */
	if (!r->has_method) {
		putchar('-');
	} else {
		clf_bytes(r->method);
		if (r->has_target) {
			putchar(' ');
			clf_bytes(r->target);
		}
		if (v)
			printf(" %s", v);
	}
	printf("\" %" PRIu16 " %" PRIu64, r->status, r->bytes);
	/* nginx's $upstream_addr $upstream_status $upstream_response_time */
	if (r->upstream[0])
		printf(" upstream=%s upstream_status=%" PRIu16 " upstream_time=%u.%03u",
		       r->upstream, r->upstream_status, r->upstream_us / 1000000,
		       r->upstream_us / 1000 % 1000);
	putchar('\n');
}

static void print_json(const struct log_rec *r)
{
	char host[INET6_ADDRSTRLEN];
	const char *v = version_str(r->version);

	format_host(host, sizeof(host), r->ep.family, r->ep.addr);
	printf("{\"time\":%" PRIu64 ",\"address\":", r->time);
	json_str(host);
	printf(",\"port\":%" PRIu16 ",\"method\":", r->ep.port);
	if (r->has_method)
		json_bytes(r->method);
	else
		fputs("null", stdout);
	fputs(",\"target\":", stdout);
	if (r->has_target)
		json_bytes(r->target);
	else
		fputs("null", stdout);
	fputs(",\"version\":", stdout);
	if (v)
		json_str(v);
	else
		fputs("null", stdout);
	printf(",\"status\":%" PRIu16 ",\"bytes\":%" PRIu64, r->status, r->bytes);
	if (r->upstream[0]) {
		fputs(",\"upstream\":", stdout);
		json_str(r->upstream);
		printf(",\"upstream_status\":%" PRIu16 ",\"upstream_time_us\":%" PRIu32,
		       r->upstream_status, r->upstream_us);
	}
	fputs("}\n", stdout);
}

/* Each record is printed as it arrives: a dump may hold thousands. */
static int log_cb(const struct nlmsghdr *nlh, void *data)
{
	struct log_out *lo = data;
	struct log_rec r;

	if (log_parse(nlh, &r)) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	if (lo->json)
		print_json(&r);
	else
		print_clf(&r);
	lo->n++;
	return MNL_CB_OK;
}

static int log_read(struct genl *g, struct log_out *lo)
{
	return genl_talk(g, fh_msg(g, FH_CMD_LOG_GET, NLM_F_DUMP), log_cb, lo);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Reads the log until SIGINT or SIGTERM, as often as it fills. */
static void log_follow(struct genl *g, struct log_out *lo)
{
	struct sigaction sa = { .sa_handler = on_signal };
	long interval = FOLLOW_IDLE_NS;

	/* No SA_RESTART: a blocked netlink receive must return on ^C too. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	while (!stop) {
		struct timespec next;
		uint64_t before = lo->n;

		clock_gettime(CLOCK_MONOTONIC, &next);
		next.tv_nsec += interval;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		if (log_read(g, lo)) {
			/* ^C while waiting for the kernel is a normal way to end. */
			if (stop && g->err == EINTR)
				break;
			genl_report(g, "log");
		}
		if (fflush(stdout))
			die("log: write error: %s", strerror(errno ? errno : EIO));
		interval = lo->n != before ? FOLLOW_BUSY_NS : FOLLOW_IDLE_NS;
		/* Sleeps the rest of the interval, not a fresh one after each read. */
		while (!stop &&
		       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
	}
}

int cmd_log(int argc, char **argv)
{
	struct opts o = { .max_pos = 0 };
	struct log_out lo = { 0 };
	struct genl g;

	parse_opts(argc, argv, O_FOLLOW, &o);
	if (o.follow && batch_name)
		usage_err("--follow is not for a command file");
	/* Reading consumes the records: a dry run leaves them for a real one. */
	if (dry_run)
		return 0;
	lo.json = o.json;
	genl_open(&g, "log");
	if (o.follow)
		log_follow(&g, &lo);
	else if (log_read(&g, &lo))
		genl_report(&g, "log");
	genl_close(&g);
	return 0;
}
