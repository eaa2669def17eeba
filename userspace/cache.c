// SPDX-License-Identifier: GPL-2.0
/* fhctl cache flush / stats: the content caches of http listeners. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "fhctl.h"

/* One listener's cache, as FH_CMD_CACHE_GET reports it. */
struct cache_row {
	char proto[FH_PROTO_NAME_MAX];
	char address[INET6_ADDRSTRLEN + 8];
	uint64_t limit, bytes, entries, hits, misses, evictions, invalidations, loads, pinned;
};

struct cache_list {
	struct cache_row *v;
	size_t n, cap;
};

int cmd_cache_flush(int argc, char **argv)
{
	struct opts o = { .max_pos = 0 };
	struct nlmsghdr *nlh;
	struct endpoint ep;
	struct genl g;

	parse_opts(argc, argv, O_LISTENER, &o);
	if (o.listener)
		parse_endpoint(o.listener, &ep);
	if (dry_run)
		return 0;
	genl_open(&g, "cache flush");
	nlh = fh_msg(&g, FH_CMD_CACHE_FLUSH, 0);
	if (o.listener) {
		mnl_attr_put_u16(nlh, FH_A_FAMILY, ep.family);
		mnl_attr_put(nlh, FH_A_ADDR, addr_len(ep.family), ep.addr);
		mnl_attr_put_u16(nlh, FH_A_PORT, ep.port);
	}
	genl_do(&g, nlh, NULL, NULL, "cache flush");
	genl_close(&g);
	return 0;
}

/* A u64 attribute every cache message carries. */
static bool get_u64(const struct nlattr *const *tb, int type, uint64_t *out)
{
	return tb[type] && attr_get_uint(tb[type], out);
}

static int cache_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[FH_A_MAX + 1] = { 0 };
	struct cache_list *cl = data;
	struct cache_row *r, *v;
	struct endpoint ep;

	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), fh_attr_cb, tb) < 0)
		return MNL_CB_ERROR;
	if (!attr_endpoint(tb, &ep))
		goto malformed;
	v = dump_grow(cl->v, cl->n, &cl->cap, sizeof(*v));
	if (!v)
		return MNL_CB_ERROR;
	cl->v = v;
	r = &cl->v[cl->n];
	memset(r, 0, sizeof(*r));
	copy_str_attr(r->proto, sizeof(r->proto), tb[FH_A_PROTO]);
	format_endpoint(r->address, sizeof(r->address), ep.family, ep.addr, ep.port);
	if (!get_u64(tb, FH_A_LISTENER_CACHE, &r->limit) ||
	    !get_u64(tb, FH_A_CACHE_BYTES, &r->bytes) ||
	    !get_u64(tb, FH_A_CACHE_ENTRIES, &r->entries) ||
	    !get_u64(tb, FH_A_CACHE_HITS, &r->hits) ||
	    !get_u64(tb, FH_A_CACHE_MISSES, &r->misses) ||
	    !get_u64(tb, FH_A_CACHE_EVICTIONS, &r->evictions) ||
	    !get_u64(tb, FH_A_CACHE_INVALIDATIONS, &r->invalidations) ||
	    !get_u64(tb, FH_A_CACHE_LOADS, &r->loads) ||
	    !get_u64(tb, FH_A_CACHE_PINNED, &r->pinned))
		goto malformed;
	cl->n++;
	return MNL_CB_OK;

malformed:
	errno = EPROTO;
	return MNL_CB_ERROR;
}

/* Hits per request served, in percent with one decimal; "-" before any. */
static const char *hit_rate(const struct cache_row *r, char *buf, size_t size)
{
	uint64_t all = r->hits + r->misses;

	if (!all)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.1f%%", 100.0 * (double)r->hits / (double)all);
	return buf;
}

/* The limit as --cache takes it; "off" for a listener added with --cache 0. */
static const char *limit_str(const struct cache_row *r, char *buf, size_t size)
{
	if (r->limit)
		return format_size(buf, size, r->limit);
	snprintf(buf, size, "off");
	return buf;
}

#define NCOLS	11

/* A row of the table: each cell as text. */
static void cache_cells(const struct cache_row *r, char cell[NCOLS][64])
{
	snprintf(cell[0], 64, "%s", r->address);
	limit_str(r, cell[1], 64);
	snprintf(cell[2], 64, "%" PRIu64, r->bytes);
	snprintf(cell[3], 64, "%" PRIu64, r->entries);
	snprintf(cell[4], 64, "%" PRIu64, r->hits);
	snprintf(cell[5], 64, "%" PRIu64, r->misses);
	hit_rate(r, cell[6], 64);
	snprintf(cell[7], 64, "%" PRIu64, r->evictions);
	snprintf(cell[8], 64, "%" PRIu64, r->invalidations);
	snprintf(cell[9], 64, "%" PRIu64, r->loads);
	snprintf(cell[10], 64, "%" PRIu64, r->pinned);
}

static void print_cache(const struct cache_list *cl)
{
	static const char *const head[NCOLS] = {
		"ADDRESS", "LIMIT", "BYTES", "ENTRIES", "HITS", "MISSES", "HIT_RATE",
		"EVICTIONS", "INVALIDATIONS", "LOADS", "PINNED",
	};
	char cell[NCOLS][64];
	const char *row[NCOLS];
	int w[NCOLS] = { 0 };

	/* Nothing at all without a cache: no header over no rows. */
	if (!cl->n)
		return;
	for (int c = 0; c < NCOLS; c++)
		row[c] = cell[c];
	table_fit(w, head, NCOLS);
	for (size_t i = 0; i < cl->n; i++) {
		cache_cells(&cl->v[i], cell);
		table_fit(w, row, NCOLS);
	}
	table_row(head, w, NCOLS);
	for (size_t i = 0; i < cl->n; i++) {
		cache_cells(&cl->v[i], cell);
		table_row(row, w, NCOLS);
	}
}

static void print_cache_json(const struct cache_list *cl)
{
	putchar('[');
	for (size_t i = 0; i < cl->n; i++) {
		const struct cache_row *r = &cl->v[i];
		uint64_t all = r->hits + r->misses;

		printf("%s{\"proto\":", i ? "," : "");
		json_str(r->proto);
		printf(",\"address\":");
		json_str(r->address);
		printf(",\"limit\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"entries\":%" PRIu64
		       ",\"hits\":%" PRIu64 ",\"misses\":%" PRIu64, r->limit, r->bytes, r->entries,
		       r->hits, r->misses);
		/* A fraction of 1; null before the first request. */
		if (all)
			printf(",\"hit_rate\":%.4f", (double)r->hits / (double)all);
		else
			printf(",\"hit_rate\":null");
		printf(",\"evictions\":%" PRIu64 ",\"invalidations\":%" PRIu64
		       ",\"loads\":%" PRIu64 ",\"pinned\":%" PRIu64 "}", r->evictions,
		       r->invalidations, r->loads, r->pinned);
	}
	printf("]\n");
}

int cmd_cache_stats(int argc, char **argv)
{
	struct opts o = { .max_pos = 0 };
	struct cache_list cl = { 0 };
	struct genl g;

	parse_opts(argc, argv, 0, &o);
	if (dry_run)
		return 0;
	genl_open(&g, "cache stats");
	genl_do(&g, fh_msg(&g, FH_CMD_CACHE_GET, NLM_F_DUMP), cache_cb, &cl, "cache stats");
	genl_close(&g);
	if (o.json)
		print_cache_json(&cl);
	else
		print_cache(&cl);
	free(cl.v);
	return 0;
}
