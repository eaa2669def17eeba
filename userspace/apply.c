// SPDX-License-Identifier: GPL-2.0
/*
 * fhctl apply FILE [--dry-run]: make the running upstreams, listeners and
 * settings equal a file of "upstream", "listener add" and "set" lines, all
 * or nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netlink.h>

#include "fhctl.h"

/* A CPU set as sorted, merged ranges: the form the kernel lists ("0-3,6"). */
struct cpu_range {
	uint32_t lo, hi;
};

struct cpuset {
	struct cpu_range *r;
	size_t n, cap;
};

static void cpuset_push(struct cpuset *cs, uint32_t lo, uint32_t hi)
{
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 16;
		struct cpu_range *r = realloc(cs->r, cap * sizeof(*r));

		if (!r)
			die("out of memory");
		cs->r = r;
		cs->cap = cap;
	}
	cs->r[cs->n++] = (struct cpu_range){ lo, hi };
}

static int range_cmp(const void *a, const void *b)
{
	const struct cpu_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void cpuset_normalize(struct cpuset *cs)
{
	size_t n = 0;

	if (!cs->n)
		return;
	qsort(cs->r, cs->n, sizeof(cs->r[0]), range_cmp);
	for (size_t i = 0; i < cs->n; i++) {
		if (n && (uint64_t)cs->r[i].lo <= (uint64_t)cs->r[n - 1].hi + 1) {
			if (cs->r[i].hi > cs->r[n - 1].hi)
				cs->r[n - 1].hi = cs->r[i].hi;
		} else {
			cs->r[n++] = cs->r[i];
		}
	}
	cs->n = n;
}

/* @s passed check_cpulist(). */
static void cpuset_parse(const char *s, struct cpuset *cs)
{
	cs->n = 0;
	while (*s) {
		char *end;
		unsigned long lo = strtoul(s, &end, 10), hi = lo;

		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		cpuset_push(cs, (uint32_t)lo, (uint32_t)hi);
		s = *end == ',' ? end + 1 : end;
	}
	cpuset_normalize(cs);
}

/* Cut at @size like the kernel's cpulist, so that the two compare equal. */
static void cpuset_format(const struct cpuset *cs, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < cs->n && len + 1 < size; i++) {
		const struct cpu_range *r = &cs->r[i];
		int k;

		if (r->lo == r->hi)
			k = snprintf(buf + len, size - len, "%s%" PRIu32, i ? "," : "", r->lo);
		else
			k = snprintf(buf + len, size - len, "%s%" PRIu32 "-%" PRIu32, i ? "," : "",
				     r->lo, r->hi);
		if (k < 0)
			break;
		len += (size_t)k < size - len ? (size_t)k : size - len - 1;
	}
}

/* The first CPU of @want that is not in @have (both normalized); -1 if none. */
static int64_t cpuset_first_missing(const struct cpuset *want, const struct cpuset *have)
{
	for (size_t i = 0; i < want->n; i++) {
		uint64_t c = want->r[i].lo;

		for (size_t j = 0; j < have->n && c <= want->r[i].hi; j++)
			if (have->r[j].lo <= c && c <= have->r[j].hi)
				c = (uint64_t)have->r[j].hi + 1;
		if (c <= want->r[i].hi)
			return (int64_t)c;
	}
	return -1;
}

/* What apply does with an upstream or a listener. */
/* ACT_CHANGE: a running listener's options change in place (kv's --mem). */
enum apply_act { ACT_ADD, ACT_REPLACE, ACT_KEEP, ACT_CHANGE, ACT_DELETE };

/* A "listener add" line of the file. */
struct want {
	unsigned long line;
	char proto[FH_PROTO_NAME_MAX];
	struct endpoint ep;
	char address[INET6_ADDRSTRLEN + 8];
	char cpus_arg[FH_CPULIST_MAX];	/* as written, empty for every worker */
	char cpus[FH_CPULIST_MAX];	/* as the kernel will list it */
	uint32_t max_conns;		/* 0: none of its own */
	struct site_opts site;		/* http: root, user, cache; kv: mem, item-max */
	const struct listener *running;	/* the listener at this address now */
	enum apply_act act;
};

/* An "upstream [add]" line of the file. */
struct want_up {
	unsigned long line;
	struct upstream_req req;
	const struct upstream *running;	/* the upstream of this name now */
	enum apply_act act;
};

/* A "set" line of the file. */
struct want_set {
	unsigned long line;
	struct settings_req req;
};

struct apply_plan {
	struct want_up *u;
	size_t nu, capu;
	struct want *w;
	size_t nw, capw;
	struct want_set *s;
	size_t ns, caps;
	unsigned long set_line[NSETTINGS];	/* where each setting is set, or 0 */
	struct listener_list running;
	bool *running_wanted;
	struct upstream_list running_up;
	bool *running_up_wanted;
	struct settings_reply cur;
};

/* One change to the kernel's state, and what undoes it. */
struct apply_step {
	enum { STEP_ADD, STEP_DEL, STEP_SET, STEP_UP_ADD, STEP_UP_DEL, STEP_MEM } kind;
	unsigned long line;		/* the file line it comes from, 0 if none */
	const struct upstream_req *up;	/* UP_ADD; UP_DEL: to re-add on undo */
	const char *proto;		/* ADD; DEL: to re-add on undo */
	const struct endpoint *ep;
	const char *address;
	const char *cpus;		/* NULL: every worker CPU */
	uint32_t max_conns;
	const struct site_opts *site;
	struct settings_req set, undo_set;
	uint64_t mem, undo_mem;		/* MEM: kv's memory limit, and as it was */
};

static void *grow(void *v, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return v;
	*cap = *cap ? *cap * 2 : 16;
	v = realloc(v, *cap * elem);
	if (!v)
		die("out of memory");
	return v;
}

static const struct want_up *find_want_up(const struct apply_plan *p, const char *name)
{
	for (size_t i = 0; i < p->nu; i++)
		if (!strcmp(p->u[i].req.name, name))
			return &p->u[i];
	return NULL;
}

/* Reads and checks the whole file; any error names its line and exits. */
static void apply_parse(const char *path, struct apply_plan *p)
{
	struct cmd_file cf;

	cmd_file_open(&cf, path);
	while (cmd_file_next(&cf)) {
		const char *word = cf.w.v[0], *sub = cf.w.n > 1 ? cf.w.v[1] : NULL;

		if (!strcmp(word, "listener") && sub && !strcmp(sub, "add")) {
			struct listener_req r;
			struct want *w;

			cur_cmd = find_cmd("listener", "add");
			parse_listener_add(cf.w.n - 2, cf.w.v + 2, &r);
			p->w = grow(p->w, &p->capw, p->nw, sizeof(*p->w));
			w = &p->w[p->nw];
			memset(w, 0, sizeof(*w));
			w->line = batch_line;
			snprintf(w->proto, sizeof(w->proto), "%s", r.proto);
			w->ep = r.ep;
			format_endpoint(w->address, sizeof(w->address), r.ep.family, r.ep.addr,
					r.ep.port);
			if (r.cpus)
				snprintf(w->cpus_arg, sizeof(w->cpus_arg), "%s", r.cpus);
			w->max_conns = r.max_conns;
			w->site = r.site;
			for (size_t i = 0; i < p->nw; i++)
				if (!strcmp(p->w[i].address, w->address))
					bad_value("listener %s is already on line %lu", w->address,
						  p->w[i].line);
			p->nw++;
		} else if (!strcmp(word, "upstream") && sub && strcmp(sub, "del") &&
			   strcmp(sub, "list") && strcmp(sub, "show")) {
			/* "upstream add NAME ..." as -b has it, or "upstream NAME ...". */
			int skip = !strcmp(sub, "add") ? 2 : 1;
			struct want_up *u;

			cur_cmd = find_cmd("upstream", "add");
			p->u = grow(p->u, &p->capu, p->nu, sizeof(*p->u));
			u = &p->u[p->nu];
			memset(u, 0, sizeof(*u));
			u->line = batch_line;
			parse_upstream_add(cf.w.n - skip, cf.w.v + skip, &u->req);
			for (size_t i = 0; i < p->nu; i++)
				if (!strcmp(p->u[i].req.name, u->req.name))
					bad_value("upstream %s is already on line %lu", u->req.name,
						  p->u[i].line);
			p->nu++;
		} else if (!strcmp(word, "set")) {
			struct want_set *ws;

			cur_cmd = find_cmd("set", NULL);
			p->s = grow(p->s, &p->caps, p->ns, sizeof(*p->s));
			ws = &p->s[p->ns];
			ws->line = batch_line;
			parse_set(cf.w.n - 1, cf.w.v + 1, &ws->req);
			for (size_t k = 0; k < NSETTINGS; k++) {
				if (!ws->req.given[k])
					continue;
				if (p->set_line[k])
					bad_value("%s is already set on line %lu", settings[k].name,
						  p->set_line[k]);
				p->set_line[k] = batch_line;
			}
			p->ns++;
		} else {
			const struct cmd *c = find_cmd(word, sub);
			bool two = c && c->sub;

			bad_value("apply: only 'upstream', 'listener add' and 'set' lines belong here, "
				  "not '%s%s%s'", word, two ? " " : "", two ? sub : "");
		}
	}
	/* Upstreams not in the file are deleted: what a listener names must be here. */
	cur_cmd = find_cmd("listener", "add");
	for (size_t i = 0; i < p->nw; i++) {
		const struct site_opts *site = &p->w[i].site;

		batch_line = p->w[i].line;
		for (unsigned int r = 0; r < site->nroutes; r++)
			if (!find_want_up(p, route_upstream(site->routes[r])))
				bad_value("listener add: --route %s: no upstream %s in this file",
					  site->routes[r],
					  route_upstream(site->routes[r]));
		if (site->has_fallback && !find_want_up(p, site->fallback))
			bad_value("listener add: --fallback %s: no upstream %s in this file",
				  site->fallback, site->fallback);
	}
	cmd_file_close(&cf);
	cur_cmd = find_cmd("apply", NULL);
}

/*
 * Whether a running listener's site is not what the file wants (the access
 * log is on or off either way: a line without --access-log wants it off). A cache
 * size the file does not give is the protocol's default, which fhctl does
 * not know: then any running size will do.
 */
static bool site_differs(const struct site_opts *want, const struct site_opts *have)
{
	if (want->has_root != have->has_root ||
	    (want->has_root && strcmp(want->root, have->root)))
		return true;
	/* Without a root (a pure proxy) the kernel's user is of no account. */
	if (want->has_root && (want->has_user != have->has_user ||
	    (want->has_user && (want->uid != have->uid || want->gid != have->gid))))
		return true;
	if (want->access_log != have->access_log || want->one_fs != have->one_fs)
		return true;
	if (want->has_fallback != have->has_fallback ||
	    (want->has_fallback && strcmp(want->fallback, have->fallback)))
		return true;
	/* The same routes in any order: the longest prefix wins, not the first. */
	if (want->nroutes != have->nroutes)
		return true;
	for (unsigned int i = 0; i < want->nroutes; i++) {
		unsigned int j;

		for (j = 0; j < have->nroutes && strcmp(want->routes[i], have->routes[j]); j++)
			;
		if (j == have->nroutes)
			return true;
	}
	if (want->has_cache && (!have->has_cache || want->cache != have->cache))
		return true;
	/*
	 * kv: the largest item is fixed while it runs; the memory limit is
	 * not (mem_differs()), but one the kernel does not report is.
	 */
	if (want->has_item_max && (!have->has_item_max || want->item_max != have->item_max))
		return true;
	return want->has_mem && !have->has_mem;
}

/* kv: a memory limit listener-set changes on the running listener. */
static bool mem_differs(const struct site_opts *want, const struct site_opts *have)
{
	return want->has_mem && have->has_mem && want->mem != have->mem;
}

/*
 * Whether a running upstream is not what the file wants: its servers, in
 * order, and each option the file gives. An option the file does not give
 * is the kernel's default, which fhctl does not hold: any running value
 * will do (as for a listener's cache).
 */
static bool upstream_differs(const struct upstream_req *want, const struct upstream_req *have)
{
	if (want->nservers != have->nservers)
		return true;
	for (unsigned int i = 0; i < want->nservers; i++)
		if (strcmp(want->servers[i], have->servers[i]))
			return true;
	for (size_t k = 0; k < NUPSTREAM_OPTS; k++)
		if (want->given[k] && want->value[k] != have->value[k])
			return true;
	return false;
}

/* Running listeners with a route or the fallback to upstream @name. */
static size_t listeners_using(const struct listener_list *ll, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < ll->n; i++) {
		const struct site_opts *site = &ll->v[i].site;
		bool uses = site->has_fallback && !strcmp(site->fallback, name);

		for (unsigned int r = 0; r < site->nroutes && !uses; r++)
			uses = !strcmp(route_upstream(site->routes[r]), name);
		n += uses;
	}
	return n;
}

/*
 * The running upstreams (none when the file has no upstream and the module
 * predates them), and what to do with each upstream of the file. One that
 * differs is replaced only when no listener routes to it.
 */
static void apply_plan_upstreams(struct genl *g, const char *file, struct apply_plan *p)
{
	if (genl_talk(g, fh_msg(g, FH_CMD_UPSTREAM_GET, NLM_F_DUMP), upstream_cb, &p->running_up)) {
		if (p->nu || g->err != EOPNOTSUPP)
			genl_report(g, "apply: upstream list");
		p->running_up.n = 0;
	}
	p->running_up_wanted = calloc(p->running_up.n + 1, sizeof(*p->running_up_wanted));
	if (!p->running_up_wanted)
		die("out of memory");
	for (size_t i = 0; i < p->nu; i++) {
		struct want_up *u = &p->u[i];

		u->act = ACT_ADD;
		for (size_t j = 0; j < p->running_up.n; j++) {
			const struct upstream *r = &p->running_up.v[j];

			if (strcmp(r->u.name, u->req.name))
				continue;
			u->running = r;
			p->running_up_wanted[j] = true;
			u->act = upstream_differs(&u->req, &r->u) ? ACT_REPLACE : ACT_KEEP;
			if (u->act == ACT_REPLACE && r->users) {
				/* The kernel counts uses (a route, the fallback), we listeners. */
				size_t n = listeners_using(&p->running, r->u.name);
				char was[1024];

				batch_name = file;
				batch_line = u->line;
				die("upstream %s: differs from the running one (%s), and %zu"
				    " listener%s route%s to it: an upstream in use is not replaced "
				    "(apply a file without its listeners first, or keep it as it is)",
				    u->req.name, upstream_str(&r->u, was, sizeof(was)) + 1,
				    n ? n : 1, n > 1 ? "s" : "", n > 1 ? "" : "s");
			}
		}
	}
}

/* Reads the running state and decides what to do with each listener. */
static void apply_plan(struct genl *g, const char *file, struct apply_plan *p)
{
	struct stats st = { 0 };
	struct cpuset workers = { 0 }, cs = { 0 };
	char all[FH_CPULIST_MAX];

	genl_do(g, fh_msg(g, FH_CMD_LISTENER_GET, NLM_F_DUMP), listener_cb, &p->running,
		"apply: listener list");
	genl_do(g, fh_msg(g, FH_CMD_SETTINGS_GET, 0), settings_cb, &p->cur,
		"apply: show settings");
	for (size_t k = 0; k < NSETTINGS; k++)
		if (!p->cur.have[settings[k].attr])
			die("apply: the kernel did not report %s", settings[k].name);
	/* The workers' CPUs: what a listener without --cpus gets. */
	if (stats_fetch(g, &st))
		genl_report(g, "apply: stats");
	for (size_t i = 0; i < st.n; i++)
		cpuset_push(&workers, st.cpus[i].cpu, st.cpus[i].cpu);
	free(st.cpus);
	cpuset_normalize(&workers);
	cpuset_format(&workers, all, sizeof(all));

	apply_plan_upstreams(g, file, p);
	p->running_wanted = calloc(p->running.n + 1, sizeof(*p->running_wanted));
	if (!p->running_wanted)
		die("out of memory");
	for (size_t i = 0; i < p->nw; i++) {
		struct want *w = &p->w[i];

		if (w->cpus_arg[0]) {
			int64_t miss;

			cpuset_parse(w->cpus_arg, &cs);
			miss = cpuset_first_missing(&cs, &workers);
			if (miss >= 0) {
				batch_name = file;
				batch_line = w->line;
				die("listener add: CPU %" PRId64 " has no firehose worker (workers: %s)",
				    miss, all);
			}
			cpuset_format(&cs, w->cpus, sizeof(w->cpus));
		} else {
			snprintf(w->cpus, sizeof(w->cpus), "%s", all);
		}
		w->act = ACT_ADD;
		for (size_t j = 0; j < p->running.n; j++) {
			const struct listener *l = &p->running.v[j];

			if (strcmp(l->address, w->address))
				continue;
			w->running = l;
			p->running_wanted[j] = true;
			w->act = strcmp(l->proto, w->proto) || strcmp(l->cpus, w->cpus) ||
				 l->max_conns != w->max_conns || site_differs(&w->site, &l->site) ?
				 ACT_REPLACE : mem_differs(&w->site, &l->site) ? ACT_CHANGE :
				 ACT_KEEP;
		}
	}
	free(workers.r);
	free(cs.r);
}

/* The changes, in the order they are made: make before break. */
static struct apply_step *apply_steps(struct apply_plan *p, size_t *nsteps)
{
	struct apply_step *v = calloc(2 * p->nu + p->running_up.n + 2 * p->nw + p->ns +
				      p->running.n + 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		die("out of memory");
	/* Upstreams before the listeners that route to them. */
	for (size_t i = 0; i < p->nu; i++) {
		struct want_up *u = &p->u[i];

		if (u->act == ACT_REPLACE)
			v[n++] = (struct apply_step){ .kind = STEP_UP_DEL, .line = u->line,
				.up = &u->running->u };
		if (u->act == ACT_ADD || u->act == ACT_REPLACE)
			v[n++] = (struct apply_step){ .kind = STEP_UP_ADD, .line = u->line,
				.up = &u->req };
	}
	/* New listeners first: the likeliest to be refused, and nothing goes dark. */
	for (size_t i = 0; i < p->nw; i++) {
		struct want *w = &p->w[i];

		if (w->act != ACT_ADD)
			continue;
		v[n++] = (struct apply_step){ .kind = STEP_ADD, .line = w->line, .proto = w->proto,
			.ep = &w->ep, .address = w->address,
			.cpus = w->cpus_arg[0] ? w->cpus_arg : NULL, .max_conns = w->max_conns,
			.site = &w->site };
	}
	/* One address holds one listener: the old one goes, its connections stay. */
	for (size_t i = 0; i < p->nw; i++) {
		struct want *w = &p->w[i];
		const struct listener *l = w->running;

		if (w->act != ACT_REPLACE)
			continue;
		v[n++] = (struct apply_step){ .kind = STEP_DEL, .line = w->line, .proto = l->proto,
			.ep = &l->ep, .address = l->address, .cpus = l->cpus,
			.max_conns = l->max_conns, .site = &l->site };
		v[n++] = (struct apply_step){ .kind = STEP_ADD, .line = w->line, .proto = w->proto,
			.ep = &w->ep, .address = w->address,
			.cpus = w->cpus_arg[0] ? w->cpus_arg : NULL, .max_conns = w->max_conns,
			.site = &w->site };
	}
	/* Options a running listener changes in place: it keeps its connections. */
	for (size_t i = 0; i < p->nw; i++) {
		struct want *w = &p->w[i];

		if (w->act != ACT_CHANGE)
			continue;
		v[n++] = (struct apply_step){ .kind = STEP_MEM, .line = w->line, .ep = &w->ep,
			.address = w->address, .mem = w->site.mem,
			.undo_mem = w->running->site.mem };
	}
	/* Only the settings that differ from the running ones. */
	for (size_t i = 0; i < p->ns; i++) {
		struct apply_step st = { .kind = STEP_SET, .line = p->s[i].line };
		bool any = false;

		for (size_t k = 0; k < NSETTINGS; k++) {
			uint32_t now = p->cur.v[settings[k].attr];

			if (!p->s[i].req.given[k] || p->s[i].req.value[k] == now)
				continue;
			st.set.given[k] = st.undo_set.given[k] = true;
			st.set.value[k] = p->s[i].req.value[k];
			st.undo_set.value[k] = now;
			any = true;
		}
		if (any)
			v[n++] = st;
	}
	for (size_t j = 0; j < p->running.n; j++) {
		const struct listener *l = &p->running.v[j];

		if (p->running_wanted[j])
			continue;
		v[n++] = (struct apply_step){ .kind = STEP_DEL, .proto = l->proto, .ep = &l->ep,
			.address = l->address, .cpus = l->cpus, .max_conns = l->max_conns,
			.site = &l->site };
	}
	/* Upstreams after the listeners that routed to them. */
	for (size_t j = 0; j < p->running_up.n; j++)
		if (!p->running_up_wanted[j])
			v[n++] = (struct apply_step){ .kind = STEP_UP_DEL,
				.up = &p->running_up.v[j].u };
	*nsteps = n;
	return v;
}

static int apply_step_do(struct genl *g, const struct apply_step *st)
{
	switch (st->kind) {
	case STEP_ADD:
		return listener_add(g, st->proto, st->ep, st->cpus, st->max_conns, st->site);
	case STEP_DEL:
		return listener_del(g, st->ep);
	case STEP_SET:
		return settings_set(g, &st->set);
	case STEP_UP_ADD:
		return upstream_add(g, st->up);
	case STEP_UP_DEL:
		return upstream_del(g, st->up->name);
	case STEP_MEM:
		return listener_set_mem(g, st->ep, st->mem);
	}
	return -1;
}

static int apply_step_undo(struct genl *g, const struct apply_step *st)
{
	switch (st->kind) {
	case STEP_ADD:
		return listener_del(g, st->ep);
	case STEP_DEL:
		/* The deleted listener back as it was, its site included. */
		return listener_add(g, st->proto, st->ep, st->cpus, st->max_conns, st->site);
	case STEP_SET:
		return settings_set(g, &st->undo_set);
	case STEP_UP_ADD:
		return upstream_del(g, st->up->name);
	case STEP_UP_DEL:
		/* The running upstream back: every option as the kernel reported it. */
		return upstream_add(g, st->up);
	case STEP_MEM:
		return listener_set_mem(g, st->ep, st->undo_mem);
	}
	return -1;
}

/* "listener add ADDR", "upstream del NAME": a step, or its undo, for an error line. */
static const char *step_str(const struct apply_step *st, bool undo, char *buf, size_t size)
{
	bool add = (st->kind == STEP_ADD || st->kind == STEP_UP_ADD) != undo;

	if (st->kind == STEP_SET)
		snprintf(buf, size, "set");
	else if (st->kind == STEP_MEM)
		snprintf(buf, size, "listener set %s", st->address);
	else if (st->kind == STEP_UP_ADD || st->kind == STEP_UP_DEL)
		snprintf(buf, size, "upstream %s %s", add ? "add" : "del", st->up->name);
	else
		snprintf(buf, size, "listener %s %s", add ? "add" : "del", st->address);
	return buf;
}

/* Makes every change, or, if the kernel refuses one, undoes the others and exits. */
static void apply_run(struct genl *g, const char *file, struct apply_step *steps, size_t n)
{
	char why[512], undo_why[1024] = "", step[128];
	const struct apply_step *st;
	bool undone = true;
	size_t i;

	for (i = 0; i < n; i++)
		if (apply_step_do(g, &steps[i]))
			break;
	if (i == n)
		return;
	st = &steps[i];
	genl_strerror(g, why, sizeof(why));
	/* Newest first; an undo that fails does not stop the others. */
	while (i-- > 0) {
		const struct apply_step *u = &steps[i];
		char buf[512], what[128];

		if (!apply_step_undo(g, u) || !undone)
			continue;
		undone = false;
		genl_strerror(g, buf, sizeof(buf));
		snprintf(undo_why, sizeof(undo_why), "%s: %s",
			 step_str(u, true, what, sizeof(what)), buf);
	}
	batch_name = st->line ? file : NULL;
	batch_line = st->line;
	die("%s%s: %s; %s%s", st->line ? "" : "apply: ", step_str(st, false, step, sizeof(step)),
	    why, undone ? "nothing changed" : "undoing the earlier changes failed: ", undo_why);
}

/* "N changed, ": listeners whose options change in place. */
static const char *fmt_changed(char *buf, size_t size, unsigned int n, bool would)
{
	snprintf(buf, size, "%u %s, ", n, would ? "to change" : "changed");
	return buf;
}

/*
 * One line per upstream, listener and setting of the file, one per upstream
 * and listener deleted.
 */
static void apply_report(const struct apply_plan *p)
{
	static const char *const done[] = {
		[ACT_ADD] = "added", [ACT_REPLACE] = "replaced", [ACT_KEEP] = "kept",
		[ACT_CHANGE] = "changed", [ACT_DELETE] = "deleted",
	};
	static const char *const would[] = {
		[ACT_ADD] = "would add", [ACT_REPLACE] = "would replace",
		[ACT_KEEP] = "would keep", [ACT_CHANGE] = "would change",
		[ACT_DELETE] = "would delete",
	};
	const char *const *verb = dry_run ? would : done;
	unsigned int count[ACT_DELETE + 1] = { 0 }, ucount[ACT_DELETE + 1] = { 0 }, changed = 0;
	char a[32], b[32], site[PATH_MAX + FH_ROUTES_MAX * (FH_ROUTE_MAX + 8) + 128];
	char up[FH_UPSTREAM_SERVERS_MAX * FH_UPSTREAM_SERVER_MAX + 256];

	for (size_t i = 0; i < p->nu; i++) {
		const struct want_up *u = &p->u[i];

		ucount[u->act]++;
		printf("%s upstream %s%s", verb[u->act], u->req.name,
		       upstream_str(&u->req, up, sizeof(up)));
		if (u->act == ACT_REPLACE)
			printf(" (%s%s)", dry_run ? "now" : "was",
			       upstream_str(&u->running->u, up, sizeof(up)));
		putchar('\n');
	}
	for (size_t i = 0; i < p->nw; i++) {
		const struct want *w = &p->w[i];

		count[w->act]++;
		printf("%s %s %s cpus %s", verb[w->act], w->proto, w->address, w->cpus);
		if (w->max_conns)
			printf(" max-connections %" PRIu32, w->max_conns);
		fputs(site_str(&w->site, site, sizeof(site)), stdout);
		if (w->act == ACT_CHANGE)
			printf(" (%s%s)", dry_run ? "now" : "was",
			       site_str(&w->running->site, site, sizeof(site)));
		if (w->act == ACT_REPLACE) {
			printf(" (%s %s cpus %s", dry_run ? "now" : "was", w->running->proto,
			       w->running->cpus);
			if (w->running->max_conns)
				printf(" max-connections %" PRIu32, w->running->max_conns);
			fputs(site_str(&w->running->site, site, sizeof(site)), stdout);
			putchar(')');
		}
		putchar('\n');
	}
	for (size_t i = 0; i < p->ns; i++) {
		for (size_t k = 0; k < NSETTINGS; k++) {
			uint32_t v = p->s[i].req.value[k], now = p->cur.v[settings[k].attr];

			if (!p->s[i].req.given[k])
				continue;
			if (v == now) {
				printf("%s %s %s\n", verb[ACT_KEEP], settings[k].name,
				       setting_str(&settings[k], v, a, sizeof(a)));
				continue;
			}
			changed++;
			printf("%s %s %s (%s %s)\n", dry_run ? "would set" : "set", settings[k].name,
			       setting_str(&settings[k], v, a, sizeof(a)), dry_run ? "now" : "was",
			       setting_str(&settings[k], now, b, sizeof(b)));
		}
	}
	for (size_t j = 0; j < p->running.n; j++) {
		const struct listener *l = &p->running.v[j];

		if (p->running_wanted[j])
			continue;
		count[ACT_DELETE]++;
		printf("%s %s %s cpus %s\n", verb[ACT_DELETE], l->proto, l->address, l->cpus);
	}
	for (size_t j = 0; j < p->running_up.n; j++) {
		const struct upstream *r = &p->running_up.v[j];

		if (p->running_up_wanted[j])
			continue;
		ucount[ACT_DELETE]++;
		printf("%s upstream %s%s\n", verb[ACT_DELETE], r->u.name,
		       upstream_str(&r->u, up, sizeof(up)));
	}
	/* The upstreams' own line, only where there are any. */
	if (p->nu || p->running_up.n) {
		if (dry_run)
			printf("apply --dry-run: upstreams: %u to add, %u to replace, %u to delete, "
			       "%u to keep\n", ucount[ACT_ADD], ucount[ACT_REPLACE],
			       ucount[ACT_DELETE], ucount[ACT_KEEP]);
		else
			printf("apply: upstreams: %u added, %u replaced, %u deleted, %u kept\n",
			       ucount[ACT_ADD], ucount[ACT_REPLACE], ucount[ACT_DELETE],
			       ucount[ACT_KEEP]);
	}
	/* Listeners changed in place, only where there are any (kv's --mem). */
	if (dry_run)
		printf("apply --dry-run: %u to add, %u to replace, %u to delete, %u to keep, "
		       "%s%u setting%s to change; nothing changed\n", count[ACT_ADD],
		       count[ACT_REPLACE], count[ACT_DELETE], count[ACT_KEEP],
		       count[ACT_CHANGE] ? fmt_changed(a, sizeof(a), count[ACT_CHANGE], true) : "",
		       changed, changed == 1 ? "" : "s");
	else
		printf("apply: %u added, %u replaced, %u deleted, %u kept, %s%u setting%s changed\n",
		       count[ACT_ADD], count[ACT_REPLACE], count[ACT_DELETE], count[ACT_KEEP],
		       count[ACT_CHANGE] ? fmt_changed(a, sizeof(a), count[ACT_CHANGE], false) : "",
		       changed, changed == 1 ? "" : "s");
}

int cmd_apply(int argc, char **argv)
{
	struct opts o = { .max_pos = 1 };
	struct apply_plan p = { 0 };
	struct apply_step *steps;
	const char *file;
	size_t nsteps;
	struct genl g;

	if (batch_name)
		usage_err("not available inside a command file");
	parse_opts(argc, argv, O_DRY_RUN, &o);
	if (o.npos < 1)
		usage_err("missing FILE");
	if (o.dry_run)
		dry_run = true;
	apply_parse(o.pos[0], &p);
	file = batch_name;
	batch_name = NULL;
	batch_line = 0;

	genl_open(&g, "apply");
	apply_plan(&g, file, &p);
	steps = apply_steps(&p, &nsteps);
	if (!dry_run)
		apply_run(&g, file, steps, nsteps);
	genl_close(&g);
	apply_report(&p);
	free(steps);
	free(p.u);
	free(p.w);
	free(p.s);
	free(p.running.v);
	free(p.running_wanted);
	free(p.running_up.v);
	free(p.running_up_wanted);
	return 0;
}
