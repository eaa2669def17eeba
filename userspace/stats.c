// SPDX-License-Identifier: GPL-2.0
/* fhctl stats: the counters, once or --watch'ed as rates. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "fhctl.h"

/* Stable output names, shared with /proc/net/firehose/stats. */
static const char *const stat_names[FH_STAT_MAX + 1] = FH_STAT_NAMES_INIT;

/* A counter added to the ABI needs a name above before fhctl builds again. */
_Static_assert(FH_STAT_MAX == FH_STAT_RELAY_COPIED_BYTES,
	       "name every FH_STAT_* counter in stat_names");

#define FIRST_COUNTER	FH_STAT_ACCEPTED

static int stat_attr_cb(const struct nlattr *attr, void *data)
{
	struct stat_row *row = data;
	int type = mnl_attr_get_type(attr);

	if (type == FH_STAT_CPU) {
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			goto malformed;
		row->cpu = mnl_attr_get_u32(attr);
	} else if (type >= FIRST_COUNTER && type <= FH_STAT_MAX) {
		if (!attr_get_uint(attr, &row->v[type]))
			goto malformed;
	}
	/* PAD, and counters from a newer module, are skipped. */
	return MNL_CB_OK;

malformed:
	errno = EPROTO;
	return MNL_CB_ERROR;
}

static int stats_attr_cb(const struct nlattr *attr, void *data)
{
	struct stats *st = data;
	struct stat_row *row, *cpus;

	switch (mnl_attr_get_type(attr)) {
	case FH_A_STATS:
		row = &st->total;
		break;
	case FH_A_STATS_CPU:
		cpus = dump_grow(st->cpus, st->n, &st->cap, sizeof(*cpus));
		if (!cpus)
			return MNL_CB_ERROR;
		st->cpus = cpus;
		row = &st->cpus[st->n++];
		break;
	default:
		return MNL_CB_OK;
	}
	memset(row, 0, sizeof(*row));
	if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	return mnl_attr_parse_nested(attr, stat_attr_cb, row);
}

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), stats_attr_cb, data);
}

/* Returns 0, or -1 with g->err set; the caller decides how to report. */
int stats_fetch(struct genl *g, struct stats *st)
{
	memset(&st->total, 0, sizeof(st->total));
	st->n = 0;
	return genl_talk(g, fh_msg(g, FH_CMD_STATS_GET, 0), stats_cb, st);
}

static void print_stats_lines(const struct stats *st)
{
	for (int s = FIRST_COUNTER; s <= FH_STAT_MAX; s++)
		printf("%s %" PRIu64 "\n", stat_names[s], st->total.v[s]);
}

static void print_stats_table(const struct stats *st)
{
	int w[FH_STAT_MAX + 1];

	w[FH_STAT_CPU] = 5;	/* "total" */
	for (int s = FIRST_COUNTER; s <= FH_STAT_MAX; s++) {
		w[s] = max_int((int)strlen(stat_names[s]), u64_width(st->total.v[s]));
		for (size_t i = 0; i < st->n; i++)
			w[s] = max_int(w[s], u64_width(st->cpus[i].v[s]));
	}
	printf("%-*s", w[FH_STAT_CPU], stat_names[FH_STAT_CPU]);
	for (int s = FIRST_COUNTER; s <= FH_STAT_MAX; s++)
		printf("  %*s", w[s], stat_names[s]);
	putchar('\n');
	for (size_t i = 0; i <= st->n; i++) {
		const struct stat_row *row = i < st->n ? &st->cpus[i] : &st->total;

		if (i < st->n)
			printf("%-*" PRIu32, w[FH_STAT_CPU], row->cpu);
		else
			printf("%-*s", w[FH_STAT_CPU], "total");
		for (int s = FIRST_COUNTER; s <= FH_STAT_MAX; s++)
			printf("  %*" PRIu64, w[s], row->v[s]);
		putchar('\n');
	}
}

static void print_row_json(const struct stat_row *row, bool with_cpu)
{
	const char *sep = "";

	putchar('{');
	if (with_cpu) {
		printf("\"cpu\":%" PRIu32, row->cpu);
		sep = ",";
	}
	for (int s = FIRST_COUNTER; s <= FH_STAT_MAX; s++) {
		printf("%s\"%s\":%" PRIu64, sep, stat_names[s], row->v[s]);
		sep = ",";
	}
	putchar('}');
}

static void print_stats_json(const struct stats *st)
{
	printf("{\"total\":");
	print_row_json(&st->total, false);
	printf(",\"cpus\":[");
	for (size_t i = 0; i < st->n; i++) {
		if (i)
			putchar(',');
		print_row_json(&st->cpus[i], true);
	}
	printf("]}\n");
}

static void print_stats(const struct stats *st, const struct opts *o)
{
	if (o->json)
		print_stats_json(st);
	else if (o->per_cpu)
		print_stats_table(st);
	else
		print_stats_lines(st);
}

static void rate_row(const struct stat_row *prev, const struct stat_row *cur,
		     double secs, struct stat_row *out)
{
	out->cpu = cur->cpu;
	for (int s = FIRST_COUNTER; s <= FH_STAT_MAX; s++) {
		if (s == FH_STAT_ACTIVE || s == FH_STAT_SEGMENTS)
			out->v[s] = cur->v[s];	/* a gauge, not a counter */
		else if (!prev || cur->v[s] < prev->v[s])
			out->v[s] = 0;		/* new worker or module reloaded */
		else
			out->v[s] = (uint64_t)((double)(cur->v[s] - prev->v[s]) / secs + 0.5);
	}
}

static void stats_rates(const struct stats *prev, const struct stats *cur, double secs,
			struct stats *out)
{
	rate_row(&prev->total, &cur->total, secs, &out->total);
	for (size_t i = 0; i < cur->n; i++) {
		const struct stat_row *p = NULL;

		/* Match by CPU, not position: the worker set may change between samples. */
		for (size_t j = 0; j < prev->n && !p; j++)
			if (prev->cpus[j].cpu == cur->cpus[i].cpu)
				p = &prev->cpus[j];
		rate_row(p, &cur->cpus[i], secs, &out->cpus[i]);
	}
	out->n = cur->n;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleeps until the absolute @deadline; false when a signal asked us to stop. */
static bool sleep_until(double deadline)
{
	struct timespec ts = {
		.tv_sec = (time_t)deadline,
		.tv_nsec = (long)((deadline - (double)(time_t)deadline) * 1e9),
	};

	while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
	return !stop;
}

static int stats_watch(struct genl *g, const struct opts *o, uint64_t count, double interval)
{
	struct stats a = { 0 }, b = { 0 }, rates = { 0 };
	struct stats *prev = &a, *cur = &b, *tmp;
	struct sigaction sa = { .sa_handler = on_signal };
	double t_prev, deadline;
	int ret = 0;

	/* No SA_RESTART: a blocked netlink receive must return on ^C too. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (stats_fetch(g, prev))
		ret = -1;
	t_prev = now_secs();
	deadline = t_prev;
	for (uint64_t n = 0; !ret && (!count || n < count); n++) {
		double t_cur;

		deadline += interval;
		if (!sleep_until(deadline))
			break;
		if (stats_fetch(g, cur)) {
			ret = -1;
			break;
		}
		t_cur = now_secs();
		if (cur->n > rates.cap) {
			rates.cpus = realloc(rates.cpus, cur->n * sizeof(*rates.cpus));
			if (!rates.cpus)
				die("stats: out of memory");
			rates.cap = cur->n;
		}
		stats_rates(prev, cur, t_cur - t_prev, &rates);
		if (!o->json && n)
			putchar('\n');
		print_stats(&rates, o);
		fflush(stdout);
		tmp = prev;
		prev = cur;
		cur = tmp;
		t_prev = t_cur;
	}
	free(a.cpus);
	free(b.cpus);
	free(rates.cpus);
	/* ^C while waiting for the kernel is a normal way to end. */
	if (ret && !(stop && g->err == EINTR))
		genl_report(g, "stats");
	return 0;
}

int cmd_stats(int argc, char **argv)
{
	struct opts o = { .max_pos = 0 };
	struct stats st = { 0 };
	uint64_t count = 0;
	double interval = 1.0;
	struct genl g;

	parse_opts(argc, argv, O_STATS, &o);
	if (!o.watch && (o.count || o.interval))
		usage_err("%s needs --watch", o.count ? "--count" : "--interval");
	if (o.count && (!parse_u64(o.count, &count) || count < 1))
		bad_value("bad count '%s': expected a number of samples, at least 1", o.count);
	if (o.interval && (!parse_interval(o.interval, &interval) ||
			   interval < 0.1 || interval > 86400))
		bad_value("bad interval '%s': expected seconds, 0.1 to 86400", o.interval);
	if (dry_run)
		return 0;

	genl_open(&g, "stats");
	if (o.watch) {
		int ret = stats_watch(&g, &o, count, interval);

		genl_close(&g);
		return ret;
	}
	if (stats_fetch(&g, &st))
		genl_report(&g, "stats");
	genl_close(&g);
	print_stats(&st, &o);
	free(st.cpus);
	return 0;
}

