// SPDX-License-Identifier: GPL-2.0
/* fhctl upstream add / del / list / show: the servers http routes proxy to. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "fhctl.h"

const struct setting upstream_opts[] = {
	{ "keepalive", "keepalive", FH_A_UPSTREAM_KEEPALIVE, SETTING_COUNT, false,
	  0, FH_UPSTREAM_KEEPALIVE_MAX },
	{ "connect-timeout", "connect_timeout_ms", FH_A_UPSTREAM_CONNECT_TIMEOUT_MS, SETTING_MS,
	  false, FH_TIMEOUT_MIN_MS, FH_TIMEOUT_MAX_MS },
	{ "read-timeout", "read_timeout_ms", FH_A_UPSTREAM_READ_TIMEOUT_MS, SETTING_MS, false,
	  FH_TIMEOUT_MIN_MS, FH_TIMEOUT_MAX_MS },
	{ "max-fails", "max_fails", FH_A_UPSTREAM_MAX_FAILS, SETTING_COUNT, false,
	  0, FH_UPSTREAM_MAX_FAILS_MAX },
	{ "fail-timeout", "fail_timeout_ms", FH_A_UPSTREAM_FAIL_TIMEOUT_MS, SETTING_MS, false,
	  FH_TIMEOUT_MIN_MS, FH_TIMEOUT_MAX_MS },
};

_Static_assert(sizeof(upstream_opts) / sizeof(upstream_opts[0]) == NUPSTREAM_OPTS,
	       "NUPSTREAM_OPTS counts the upstream options");
_Static_assert(1 + FH_UPSTREAM_SERVERS_MAX <= MAX_POS, "upstream add takes a name and its servers");

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
	       c == '-' || c == '_' || c == '.';
}

/* 1..FH_UPSTREAM_NAME_MAX - 1 letters, digits, '-', '_' and '.'. */
bool upstream_name_ok(const char *name)
{
	size_t len = strlen(name);

	if (!len || len >= FH_UPSTREAM_NAME_MAX)
		return false;
	for (; *name; name++)
		if (!name_char(*name))
			return false;
	return true;
}

static void check_name(const char *name, const char *what)
{
	if (!upstream_name_ok(name))
		bad_value("bad %s '%s': expected 1..%d letters, digits, '-', '_' or '.'", what,
			  name, FH_UPSTREAM_NAME_MAX - 1);
}

void parse_upstream_add(int argc, char **argv, struct upstream_req *r)
{
	struct opts o = { .max_pos = MAX_POS };
	const char *val[NUPSTREAM_OPTS];

	memset(r, 0, sizeof(*r));
	parse_opts(argc, argv, O_UPSTREAM, &o);
	if (o.npos < 1)
		usage_err("missing NAME");
	if (o.npos < 2)
		usage_err("missing ADDR:PORT");
	check_name(o.pos[0], "upstream name");
	snprintf(r->name, sizeof(r->name), "%s", o.pos[0]);
	if (o.npos - 1 > FH_UPSTREAM_SERVERS_MAX)
		bad_value("too many servers (%d): at most %d", o.npos - 1, FH_UPSTREAM_SERVERS_MAX);
	for (int i = 1; i < o.npos; i++) {
		struct endpoint ep;

		/* IPv4 dotted quad or [IPv6]:PORT, sent as inet_ntop() writes it. */
		parse_endpoint(o.pos[i], &ep);
		format_endpoint(r->servers[r->nservers], sizeof(r->servers[0]), ep.family,
				ep.addr, ep.port);
		r->nservers++;
	}

	val[0] = o.keepalive;
	val[1] = o.connect_timeout;
	val[2] = o.read_timeout;
	val[3] = o.max_fails;
	val[4] = o.fail_timeout;
	for (size_t k = 0; k < NUPSTREAM_OPTS; k++) {
		struct setting s = upstream_opts[k];
		char opt[32];

		if (!val[k])
			continue;
		/* Its errors name the option as typed: "--keepalive 2000 out of range". */
		snprintf(opt, sizeof(opt), "--%s", s.name);
		s.name = opt;
		r->value[k] = parse_setting(&s, val[k]);
		r->given[k] = true;
	}
}

/* Returns 0, or -1 with g->err set. */
int upstream_add(struct genl *g, const struct upstream_req *r)
{
	struct nlmsghdr *nlh = fh_msg(g, FH_CMD_UPSTREAM_ADD, 0);

	mnl_attr_put_strz(nlh, FH_A_UPSTREAM_NAME, r->name);
	for (unsigned int i = 0; i < r->nservers; i++)
		mnl_attr_put_strz(nlh, FH_A_UPSTREAM_SERVER, r->servers[i]);
	for (size_t k = 0; k < NUPSTREAM_OPTS; k++)
		if (r->given[k])
			mnl_attr_put_u32(nlh, (uint16_t)upstream_opts[k].attr, r->value[k]);
	return genl_talk(g, nlh, NULL, NULL);
}

int upstream_del(struct genl *g, const char *name)
{
	struct nlmsghdr *nlh = fh_msg(g, FH_CMD_UPSTREAM_DEL, 0);

	mnl_attr_put_strz(nlh, FH_A_UPSTREAM_NAME, name);
	return genl_talk(g, nlh, NULL, NULL);
}

/* " SERVER... keepalive N ...": the servers, and the options given, for people. */
const char *upstream_str(const struct upstream_req *r, char *buf, size_t size)
{
	size_t len = 0;
	char v[32];

	buf[0] = '\0';
	for (unsigned int i = 0; i < r->nservers && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, " %s", r->servers[i]);
	for (size_t k = 0; k < NUPSTREAM_OPTS && len < size; k++)
		if (r->given[k])
			len += (size_t)snprintf(buf + len, size - len, " %s %s",
						upstream_opts[k].name,
						setting_str(&upstream_opts[k], r->value[k], v,
							    sizeof(v)));
	return buf;
}

int cmd_upstream_add(int argc, char **argv)
{
	struct upstream_req r;
	struct genl g;

	parse_upstream_add(argc, argv, &r);
	if (dry_run)
		return 0;
	genl_open(&g, "upstream add");
	if (upstream_add(&g, &r))
		genl_report(&g, "upstream add");
	genl_close(&g);
	return 0;
}

/* NAME, the only word of upstream del and show, checked. */
static const char *parse_name_arg(int argc, char **argv, struct opts *o)
{
	parse_opts(argc, argv, 0, o);
	if (o->npos < 1)
		usage_err("missing NAME");
	check_name(o->pos[0], "upstream name");
	return o->pos[0];
}

int cmd_upstream_del(int argc, char **argv)
{
	struct opts o = { .max_pos = 1 };
	const char *name = parse_name_arg(argc, argv, &o);
	struct genl g;

	if (dry_run)
		return 0;
	genl_open(&g, "upstream del");
	if (upstream_del(&g, name))
		genl_report(&g, "upstream del");
	genl_close(&g);
	return 0;
}

/* Dump (or get) callback: appends each upstream to a struct upstream_list. */
int upstream_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[FH_A_MAX + 1] = { 0 };
	struct upstream_list *ul = data;
	struct upstream *u, *v;
	const struct nlattr *a;

	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), fh_attr_cb, tb) < 0)
		return MNL_CB_ERROR;
	if (!tb[FH_A_UPSTREAM_NAME] || !tb[FH_A_UPSTREAM_SERVER])
		goto malformed;
	v = dump_grow(ul->v, ul->n, &ul->cap, sizeof(*v));
	if (!v)
		return MNL_CB_ERROR;
	ul->v = v;
	u = &ul->v[ul->n];
	memset(u, 0, sizeof(*u));
	copy_str_attr(u->u.name, sizeof(u->u.name), tb[FH_A_UPSTREAM_NAME]);
	/* The servers are repeated attributes: tb[] holds only the last. */
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) != FH_A_UPSTREAM_SERVER)
			continue;
		if (u->u.nservers == FH_UPSTREAM_SERVERS_MAX)
			goto malformed;
		copy_str_attr(u->u.servers[u->u.nservers], sizeof(u->u.servers[0]), a);
		u->u.nservers++;
	}
	for (size_t k = 0; k < NUPSTREAM_OPTS; k++) {
		a = tb[upstream_opts[k].attr];
		if (!a || mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			goto malformed;
		u->u.value[k] = mnl_attr_get_u32(a);
		u->u.given[k] = true;
	}
	if (!tb[FH_A_UPSTREAM_USERS] || mnl_attr_validate(tb[FH_A_UPSTREAM_USERS], MNL_TYPE_U32) < 0)
		goto malformed;
	u->users = mnl_attr_get_u32(tb[FH_A_UPSTREAM_USERS]);
	if (!tb[FH_A_UPSTREAM_REQUESTS] || !attr_get_uint(tb[FH_A_UPSTREAM_REQUESTS], &u->requests) ||
	    !tb[FH_A_UPSTREAM_CONNECTS] || !attr_get_uint(tb[FH_A_UPSTREAM_CONNECTS], &u->connects) ||
	    !tb[FH_A_UPSTREAM_REUSES] || !attr_get_uint(tb[FH_A_UPSTREAM_REUSES], &u->reuses) ||
	    !tb[FH_A_UPSTREAM_FAILS] || !attr_get_uint(tb[FH_A_UPSTREAM_FAILS], &u->fails))
		goto malformed;
	ul->n++;
	return MNL_CB_OK;

malformed:
	errno = EPROTO;
	return MNL_CB_ERROR;
}

/* The servers joined by commas (no blanks: awk still splits the row). */
static const char *servers_str(const struct upstream_req *r, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < r->nservers && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "," : "", r->servers[i]);
	return buf;
}

#define NCOLS	(1 + NUPSTREAM_OPTS + 5 + 1)

/* A row of the table: each cell as text, SERVERS (the widest) last. */
struct upstream_row {
	char opt[NUPSTREAM_OPTS][32];
	char users[16], requests[24], connects[24], reuses[24], fails[24];
	char servers[FH_UPSTREAM_SERVERS_MAX * FH_UPSTREAM_SERVER_MAX];
	const char *cell[NCOLS];
};

static void upstream_row(const struct upstream *u, struct upstream_row *r)
{
	int c = 0;

	r->cell[c++] = u->u.name;
	for (size_t k = 0; k < NUPSTREAM_OPTS; k++)
		r->cell[c++] = setting_str(&upstream_opts[k], u->u.value[k], r->opt[k],
					   sizeof(r->opt[k]));
	snprintf(r->users, sizeof(r->users), "%" PRIu32, u->users);
	snprintf(r->requests, sizeof(r->requests), "%" PRIu64, u->requests);
	snprintf(r->connects, sizeof(r->connects), "%" PRIu64, u->connects);
	snprintf(r->reuses, sizeof(r->reuses), "%" PRIu64, u->reuses);
	snprintf(r->fails, sizeof(r->fails), "%" PRIu64, u->fails);
	r->cell[c++] = r->users;
	r->cell[c++] = r->requests;
	r->cell[c++] = r->connects;
	r->cell[c++] = r->reuses;
	r->cell[c++] = r->fails;
	r->cell[c++] = servers_str(&u->u, r->servers, sizeof(r->servers));
}

static void print_upstreams(const struct upstream_list *ul)
{
	static const char *const head[NCOLS] = {
		"NAME", "KEEPALIVE", "CONNECT_TIMEOUT", "READ_TIMEOUT", "MAX_FAILS",
		"FAIL_TIMEOUT", "USERS", "REQUESTS", "CONNECTS", "REUSES", "FAILS", "SERVERS",
	};
	struct upstream_row r;
	int w[NCOLS] = { 0 };

	table_fit(w, head, NCOLS);
	for (size_t i = 0; i < ul->n; i++) {
		upstream_row(&ul->v[i], &r);
		table_fit(w, r.cell, NCOLS);
	}
	table_row(head, w, NCOLS);
	for (size_t i = 0; i < ul->n; i++) {
		upstream_row(&ul->v[i], &r);
		table_row(r.cell, w, NCOLS);
	}
}

static void print_upstream_json(const struct upstream *u)
{
	printf("{\"name\":");
	json_str(u->u.name);
	printf(",\"servers\":[");
	for (unsigned int i = 0; i < u->u.nservers; i++) {
		if (i)
			putchar(',');
		json_str(u->u.servers[i]);
	}
	putchar(']');
	for (size_t k = 0; k < NUPSTREAM_OPTS; k++)
		printf(",\"%s\":%" PRIu32, upstream_opts[k].json, u->u.value[k]);
	printf(",\"users\":%" PRIu32 ",\"requests\":%" PRIu64 ",\"connects\":%" PRIu64
	       ",\"reuses\":%" PRIu64 ",\"fails\":%" PRIu64 "}", u->users, u->requests,
	       u->connects, u->reuses, u->fails);
}

int cmd_upstream_list(int argc, char **argv)
{
	struct opts o = { .max_pos = 0 };
	struct upstream_list ul = { 0 };
	struct genl g;

	parse_opts(argc, argv, 0, &o);
	if (dry_run)
		return 0;
	genl_open(&g, "upstream list");
	genl_do(&g, fh_msg(&g, FH_CMD_UPSTREAM_GET, NLM_F_DUMP), upstream_cb, &ul,
		"upstream list");
	genl_close(&g);
	if (o.json) {
		putchar('[');
		for (size_t i = 0; i < ul.n; i++) {
			if (i)
				putchar(',');
			print_upstream_json(&ul.v[i]);
		}
		printf("]\n");
	} else {
		print_upstreams(&ul);
	}
	free(ul.v);
	return 0;
}

/* One upstream: "NAME VALUE" lines as upstream add takes them, or one JSON object. */
int cmd_upstream_show(int argc, char **argv)
{
	struct opts o = { .max_pos = 1 };
	const char *name = parse_name_arg(argc, argv, &o);
	struct upstream_list ul = { 0 };
	const struct upstream *u;
	struct nlmsghdr *nlh;
	struct genl g;
	char buf[32];

	if (dry_run)
		return 0;
	genl_open(&g, "upstream show");
	/* A get, not a dump: the kernel answers for the one named (ENOENT: none). */
	nlh = fh_msg(&g, FH_CMD_UPSTREAM_GET, 0);
	mnl_attr_put_strz(nlh, FH_A_UPSTREAM_NAME, name);
	genl_do(&g, nlh, upstream_cb, &ul, "upstream show");
	genl_close(&g);
	if (ul.n != 1 || strcmp(ul.v[0].u.name, name))
		die("upstream show: the kernel did not report upstream %s", name);
	u = &ul.v[0];
	if (o.json) {
		print_upstream_json(u);
		putchar('\n');
	} else {
		printf("name %s\nservers", u->u.name);
		for (unsigned int i = 0; i < u->u.nservers; i++)
			printf(" %s", u->u.servers[i]);
		putchar('\n');
		for (size_t k = 0; k < NUPSTREAM_OPTS; k++)
			printf("%s %s\n", upstream_opts[k].name,
			       setting_str(&upstream_opts[k], u->u.value[k], buf, sizeof(buf)));
		printf("users %" PRIu32 "\nrequests %" PRIu64 "\nconnects %" PRIu64
		       "\nreuses %" PRIu64 "\nfails %" PRIu64 "\n", u->users, u->requests,
		       u->connects, u->reuses, u->fails);
	}
	free(ul.v);
	return 0;
}
