// SPDX-License-Identifier: GPL-2.0
/* fhctl listener add / del / list. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "fhctl.h"

static void put_endpoint(struct nlmsghdr *nlh, const struct endpoint *ep)
{
	mnl_attr_put_u16(nlh, FH_A_FAMILY, ep->family);
	mnl_attr_put(nlh, FH_A_ADDR, addr_len(ep->family), ep->addr);
	mnl_attr_put_u16(nlh, FH_A_PORT, ep->port);
}

/* The unprivileged user http opens files as unless --user says otherwise. */
#define DEFAULT_USER	"nobody"
#define NOBODY_ID	65534

/* @route ("PREFIX=UPSTREAM") cut at its last '=': the upstream's name. */
const char *route_upstream(const char *route)
{
	const char *eq = strrchr(route, '=');

	return eq ? eq + 1 : "";
}

/*
 * --route PREFIX=UPSTREAM: PREFIX starts with '/' and holds no blank or
 * control character (a request path has none), UPSTREAM is an upstream's
 * name (which has no '=': the last '=' splits), each PREFIX routed once.
 */
static void parse_route(const char *arg, struct site_opts *site)
{
	const char *eq = strrchr(arg, '=');
	size_t plen;

	if (!eq)
		bad_value("bad --route '%s': expected PREFIX=UPSTREAM", arg);
	plen = (size_t)(eq - arg);
	if (!plen || arg[0] != '/')
		bad_value("bad --route '%s': PREFIX must start with '/'", arg);
	for (size_t i = 0; i < plen; i++)
		if ((unsigned char)arg[i] <= ' ' || arg[i] == 0x7f)
			bad_value("bad --route '%s': PREFIX holds a blank or a control character",
				  arg);
	if (!upstream_name_ok(eq + 1))
		bad_value("bad --route '%s': bad upstream name '%s': expected 1..%d letters, "
			  "digits, '-', '_' or '.'", arg, eq + 1, FH_UPSTREAM_NAME_MAX - 1);
	if (strlen(arg) >= FH_ROUTE_MAX)
		bad_value("bad --route '%.32s...': longer than %d bytes", arg, FH_ROUTE_MAX - 1);
	for (unsigned int i = 0; i < site->nroutes; i++) {
		const char *other = site->routes[i];

		if ((size_t)(route_upstream(other) - 1 - other) == plen &&
		    !strncmp(other, arg, plen))
			bad_value("bad --route '%s': %.*s is routed twice", arg, (int)plen, arg);
	}
	snprintf(site->routes[site->nroutes++], sizeof(site->routes[0]), "%s", arg);
}

/*
 * http's --root, --user, --cache and --access-log: the root made absolute (the kernel
 * resolves it in fhctl's mount namespace, as realpath() does), the user
 * resolved to its uid and primary gid. With a --route or a --fallback the
 * root is optional (a pure proxy), and so, without one, are the rest.
 */
static void parse_site(const struct opts *o, struct site_opts *site)
{
	const char *user = o->user ? o->user : DEFAULT_USER;
	struct passwd *pw;
	struct stat st;

	memset(site, 0, sizeof(*site));
	for (int i = 0; i < o->nroutes; i++)
		parse_route(o->route[i], site);
	if (o->fallback) {
		if (!upstream_name_ok(o->fallback))
			bad_value("bad --fallback '%s': expected an upstream name of 1..%d "
				  "letters, digits, '-', '_' or '.'", o->fallback,
				  FH_UPSTREAM_NAME_MAX - 1);
		snprintf(site->fallback, sizeof(site->fallback), "%s", o->fallback);
		site->has_fallback = true;
	}
	site->access_log = o->access_log;
	if (!o->root && (site->nroutes || site->has_fallback)) {
		/* What a site without a root would ignore is refused. */
		if (o->user || o->cache || o->one_fs)
			usage_err("%s needs --root DIR (a listener without one serves no file)",
				  o->user ? "--user" : o->cache ? "--cache" : "--one-file-system");
		return;
	}
	if (!o->root)
		usage_err("http needs --root DIR, or a --route or a --fallback");
	if (!*o->root)
		bad_value("bad --root '': expected a directory");
	if (!realpath(o->root, site->root))
		die("listener add: --root %s: %s", o->root, strerror(errno));
	if (stat(site->root, &st))
		die("listener add: --root %s: %s", o->root, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		die("listener add: --root %s: not a directory", o->root);
	site->has_root = true;

	errno = 0;
	pw = getpwnam(user);
	if (pw) {
		site->uid = (uint32_t)pw->pw_uid;
		site->gid = (uint32_t)pw->pw_gid;
	} else if (!o->user) {
		/* No "nobody" in this passwd: its customary ids. */
		site->uid = site->gid = NOBODY_ID;
	} else {
		/* getpwnam(3): these errno values, too, mean "not found". */
		bool absent = !errno || errno == ENOENT || errno == ESRCH || errno == EBADF ||
			      errno == EPERM;

		die("listener add: --user %s: %s", user, absent ? "no such user" : strerror(errno));
	}
	site->has_user = true;

	if (o->cache) {
		if (!parse_size(o->cache, &site->cache))
			bad_value("bad size '%s' for --cache: expected N[K|M|G], 0 for no cache",
				  o->cache);
		if (site->cache > FH_CACHE_MAX)
			bad_value("--cache %s out of range: expected 0..1T", o->cache);
		site->has_cache = true;
	}
	site->one_fs = o->one_fs;
}

/* A kv size option: N[K|M|G] within min..max (their text in @range). */
static uint64_t parse_kv_size(const char *opt, const char *v, uint64_t min, uint64_t max,
			      const char *range)
{
	uint64_t n;

	if (!parse_size(v, &n))
		bad_value("bad size '%s' for %s: expected N[K|M|G]", v, opt);
	if (n < min || n > max)
		bad_value("%s %s out of range: expected %s", opt, v, range);
	return n;
}

/* kv's --mem and --item-max: absent, the kernel's defaults. */
static void parse_kv(const struct opts *o, struct site_opts *site)
{
	memset(site, 0, sizeof(*site));
	if (o->mem) {
		site->mem = parse_kv_size("--mem", o->mem, FH_KV_MEM_MIN, FH_KV_MEM_MAX,
					  "1M..1T");
		site->has_mem = true;
	}
	if (o->item_max) {
		site->item_max = (uint32_t)parse_kv_size("--item-max", o->item_max,
							 FH_KV_ITEM_MAX_MIN,
							 FH_KV_ITEM_MAX_MAX, "1K..128M");
		site->has_item_max = true;
	}
}

/* The first http option given, or NULL. */
static const char *http_opt_given(const struct opts *o)
{
	return o->root ? "--root" : o->user ? "--user" : o->cache ? "--cache" :
	       o->access_log ? "--access-log" : o->one_fs ? "--one-file-system" :
	       o->nroutes ? "--route" : o->fallback ? "--fallback" : NULL;
}

/* The first kv option given, or NULL. */
static const char *kv_opt_given(const struct opts *o)
{
	return o->mem ? "--mem" : o->item_max ? "--item-max" : NULL;
}

void parse_listener_add(int argc, char **argv, struct listener_req *r)
{
	struct opts o = { .max_pos = 2 };
	const char *other;
	size_t plen;

	parse_opts(argc, argv, O_CPUS | O_SITE | O_ROUTES | O_MAX_CONNS | O_KV, &o);
	if (o.npos < 1)
		usage_err("missing PROTO");
	if (o.npos < 2)
		usage_err("missing ADDR:PORT");
	plen = strlen(o.pos[0]);
	if (!plen || plen >= FH_PROTO_NAME_MAX)
		bad_value("bad protocol name '%s': expected 1..%d characters", o.pos[0],
			  FH_PROTO_NAME_MAX - 1);
	/* Each protocol's options are its own: another's is refused by name. */
	other = http_opt_given(&o);
	if (other && strcmp(o.pos[0], "http"))
		usage_err("%s is only for http, not %s", other, o.pos[0]);
	other = kv_opt_given(&o);
	if (other && strcmp(o.pos[0], "kv"))
		usage_err("%s is only for kv, not %s", other, o.pos[0]);
	parse_endpoint(o.pos[1], &r->ep);
	if (!strcmp(o.pos[0], "http"))
		parse_site(&o, &r->site);
	else
		parse_kv(&o, &r->site);
	if (o.cpus)
		check_cpulist(o.cpus);
	r->proto = o.pos[0];
	r->cpus = o.cpus;
	r->max_conns = 0;
	if (o.max_conns) {
		uint64_t v;

		if (!parse_u64(o.max_conns, &v))
			bad_value("bad number '%s' for --max-connections", o.max_conns);
		if (v < 1 || v > FH_MAX_CONNS_LIMIT)
			bad_value("--max-connections %s out of range: expected 1..%u",
				  o.max_conns, FH_MAX_CONNS_LIMIT);
		r->max_conns = (uint32_t)v;
	}
}

/* Whether @site has http's options, and whether kv's (what a request carries). */
static bool http_opts(const struct site_opts *site)
{
	return site->has_root || site->has_user || site->has_cache || site->access_log ||
	       site->one_fs || site->nroutes || site->has_fallback;
}

static bool kv_opts(const struct site_opts *site)
{
	return site->has_mem || site->has_item_max;
}

/* Each protocol's options in its own nest; none at all when none is given. */
static void put_opts(struct nlmsghdr *nlh, const struct site_opts *site)
{
	struct nlattr *nest;

	if (http_opts(site)) {
		nest = mnl_attr_nest_start(nlh, FH_A_LISTENER_HTTP);
		if (site->has_root)
			mnl_attr_put_strz(nlh, FH_HTTP_OPT_ROOT, site->root);
		if (site->has_user) {
			mnl_attr_put_u32(nlh, FH_HTTP_OPT_UID, site->uid);
			mnl_attr_put_u32(nlh, FH_HTTP_OPT_GID, site->gid);
		}
		if (site->has_cache)
			mnl_attr_put_u64(nlh, FH_HTTP_OPT_CACHE, site->cache);
		if (site->access_log)
			mnl_attr_put(nlh, FH_HTTP_OPT_ACCESS_LOG, 0, NULL);
		if (site->one_fs)
			mnl_attr_put(nlh, FH_HTTP_OPT_ONE_FS, 0, NULL);
		for (unsigned int i = 0; i < site->nroutes; i++)
			mnl_attr_put_strz(nlh, FH_HTTP_OPT_ROUTE, site->routes[i]);
		if (site->has_fallback)
			mnl_attr_put_strz(nlh, FH_HTTP_OPT_FALLBACK, site->fallback);
		mnl_attr_nest_end(nlh, nest);
	}
	if (kv_opts(site)) {
		nest = mnl_attr_nest_start(nlh, FH_A_LISTENER_KV);
		if (site->has_mem)
			mnl_attr_put_u64(nlh, FH_KV_OPT_MEM, site->mem);
		if (site->has_item_max)
			mnl_attr_put_u32(nlh, FH_KV_OPT_ITEM_MAX, site->item_max);
		mnl_attr_nest_end(nlh, nest);
	}
}

/* Returns 0, or -1 with g->err set. @site may be NULL. */
int listener_add(struct genl *g, const char *proto, const struct endpoint *ep,
		 const char *cpus, uint32_t max_conns, const struct site_opts *site)
{
	struct nlmsghdr *nlh = fh_msg(g, FH_CMD_LISTENER_ADD, 0);

	mnl_attr_put_strz(nlh, FH_A_PROTO, proto);
	put_endpoint(nlh, ep);
	if (cpus)
		mnl_attr_put_strz(nlh, FH_A_CPUS, cpus);
	if (max_conns)
		mnl_attr_put_u32(nlh, FH_A_LISTENER_MAX_CONNS, max_conns);
	if (site)
		put_opts(nlh, site);
	return genl_talk(g, nlh, NULL, NULL);
}

int listener_set_mem(struct genl *g, const struct endpoint *ep, uint64_t mem)
{
	struct nlmsghdr *nlh = fh_msg(g, FH_CMD_LISTENER_SET, 0);
	struct nlattr *nest;

	put_endpoint(nlh, ep);
	nest = mnl_attr_nest_start(nlh, FH_A_LISTENER_KV);
	mnl_attr_put_u64(nlh, FH_KV_OPT_MEM, mem);
	mnl_attr_nest_end(nlh, nest);
	return genl_talk(g, nlh, NULL, NULL);
}

/* The user name of @uid when @gid is its group, else "UID:GID". */
const char *user_str(uint32_t uid, uint32_t gid, char *buf, size_t size)
{
	struct passwd *pw = getpwuid((uid_t)uid);

	if (pw && (uint32_t)pw->pw_gid == gid)
		snprintf(buf, size, "%s", pw->pw_name);
	else
		snprintf(buf, size, "%" PRIu32 ":%" PRIu32, uid, gid);
	return buf;
}

/* Whether a listener has a site (http): a root, routes or a fallback. */
bool site_present(const struct site_opts *site)
{
	return site->has_root || site->nroutes || site->has_fallback;
}

/*
 * " root DIR user NAME cache SIZE access-log route PREFIX=UPSTREAM fallback
 * UPSTREAM", what a site has, for people.
 */
const char *site_str(const struct site_opts *site, char *buf, size_t size)
{
	char user[64], cache[32];
	size_t len;

	buf[0] = '\0';
	if (kv_opts(site)) {
		char mem[32], item[32];

		snprintf(buf, size, "%s%s%s%s", site->has_mem ? " mem " : "",
			 site->has_mem ? format_size(mem, sizeof(mem), site->mem) : "",
			 site->has_item_max ? " item-max " : "",
			 site->has_item_max ? format_size(item, sizeof(item), site->item_max) : "");
		return buf;
	}
	if (!site->has_root && !site->has_user && !site->has_cache && !site->access_log &&
	    !site->one_fs && !site->nroutes && !site->has_fallback)
		return buf;
	snprintf(buf, size, "%s%s%s%s%s%s%s%s", site->has_root ? " root " : "",
		 site->has_root ? site->root : "", site->has_user ? " user " : "",
		 site->has_user ? user_str(site->uid, site->gid, user, sizeof(user)) : "",
		 site->has_cache ? " cache " : "",
		 site->has_cache ? format_size(cache, sizeof(cache), site->cache) : "",
		 site->access_log ? " access-log" : "",
		 site->one_fs ? " one-file-system" : "");
	len = strlen(buf);
	for (unsigned int i = 0; i < site->nroutes && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, " route %s", site->routes[i]);
	if (site->has_fallback && len < size)
		snprintf(buf + len, size - len, " fallback %s", site->fallback);
	return buf;
}

int listener_del(struct genl *g, const struct endpoint *ep)
{
	struct nlmsghdr *nlh = fh_msg(g, FH_CMD_LISTENER_DEL, 0);

	put_endpoint(nlh, ep);
	return genl_talk(g, nlh, NULL, NULL);
}

int cmd_listener_add(int argc, char **argv)
{
	struct listener_req r;
	struct genl g;

	parse_listener_add(argc, argv, &r);
	if (dry_run)
		return 0;
	genl_open(&g, "listener add");
	if (listener_add(&g, r.proto, &r.ep, r.cpus, r.max_conns, &r.site))
		genl_report(&g, "listener add");
	genl_close(&g);
	return 0;
}

int cmd_listener_del(int argc, char **argv)
{
	struct opts o = { .max_pos = 1 };
	struct endpoint ep;
	struct genl g;

	parse_opts(argc, argv, 0, &o);
	if (o.npos < 1)
		usage_err("missing ADDR:PORT");
	parse_endpoint(o.pos[0], &ep);
	if (dry_run)
		return 0;

	genl_open(&g, "listener del");
	if (listener_del(&g, &ep))
		genl_report(&g, "listener del");
	genl_close(&g);
	return 0;
}

int cmd_listener_set(int argc, char **argv)
{
	struct opts o = { .max_pos = 1 };
	struct site_opts site;
	struct endpoint ep;
	struct genl g;

	parse_opts(argc, argv, O_KV, &o);
	if (o.npos < 1)
		usage_err("missing ADDR:PORT");
	parse_endpoint(o.pos[0], &ep);
	/* Only the memory limit changes on a running listener (kv). */
	if (o.item_max)
		usage_err("--item-max cannot change on a running listener: "
			  "delete it and add it again");
	if (!o.mem)
		usage_err("nothing to set: expected --mem SIZE");
	parse_kv(&o, &site);
	if (dry_run)
		return 0;
	genl_open(&g, "listener set");
	if (listener_set_mem(&g, &ep, site.mem))
		genl_report(&g, "listener set");
	genl_close(&g);
	return 0;
}

/* A nest's attributes by type, up to max (newer ones skipped). */
struct opt_tb {
	const struct nlattr **tb;
	unsigned int max;
};

static int opt_attr_cb(const struct nlattr *attr, void *data)
{
	const struct opt_tb *t = data;

	if (mnl_attr_type_valid(attr, (uint16_t)t->max) > 0)
		t->tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

/* http's nest: what the site has. */
static bool http_opts_cb(const struct nlattr *nest, struct site_opts *site)
{
	const struct nlattr *tb[FH_HTTP_OPT_MAX + 1] = { 0 };
	struct opt_tb t = { tb, FH_HTTP_OPT_MAX };
	const struct nlattr *a;

	if (mnl_attr_parse_nested(nest, opt_attr_cb, &t) < 0)
		return false;
	if (tb[FH_HTTP_OPT_ROOT]) {
		copy_str_attr(site->root, sizeof(site->root), tb[FH_HTTP_OPT_ROOT]);
		site->has_root = true;
	}
	if (tb[FH_HTTP_OPT_UID] && tb[FH_HTTP_OPT_GID]) {
		if (mnl_attr_validate(tb[FH_HTTP_OPT_UID], MNL_TYPE_U32) < 0 ||
		    mnl_attr_validate(tb[FH_HTTP_OPT_GID], MNL_TYPE_U32) < 0)
			return false;
		site->uid = mnl_attr_get_u32(tb[FH_HTTP_OPT_UID]);
		site->gid = mnl_attr_get_u32(tb[FH_HTTP_OPT_GID]);
		site->has_user = true;
	}
	if (tb[FH_HTTP_OPT_CACHE]) {
		if (!attr_get_uint(tb[FH_HTTP_OPT_CACHE], &site->cache))
			return false;
		site->has_cache = true;
	}
	/* Flags: present when on. */
	site->access_log = tb[FH_HTTP_OPT_ACCESS_LOG] != NULL;
	site->one_fs = tb[FH_HTTP_OPT_ONE_FS] != NULL;
	/* The routes are repeated attributes, in order: tb[] holds only the last. */
	mnl_attr_for_each_nested(a, nest) {
		if (mnl_attr_get_type(a) != FH_HTTP_OPT_ROUTE)
			continue;
		if (site->nroutes == FH_ROUTES_MAX)
			return false;
		copy_str_attr(site->routes[site->nroutes], sizeof(site->routes[0]), a);
		site->nroutes++;
	}
	if (tb[FH_HTTP_OPT_FALLBACK]) {
		copy_str_attr(site->fallback, sizeof(site->fallback), tb[FH_HTTP_OPT_FALLBACK]);
		site->has_fallback = true;
	}
	return true;
}

/* kv's nest: its limits and what it holds. */
static bool kv_opts_cb(const struct nlattr *nest, struct site_opts *site)
{
	const struct nlattr *tb[FH_KV_OPT_MAX + 1] = { 0 };
	struct opt_tb t = { tb, FH_KV_OPT_MAX };
	uint64_t v;

	if (mnl_attr_parse_nested(nest, opt_attr_cb, &t) < 0)
		return false;
	if (tb[FH_KV_OPT_MEM]) {
		if (!attr_get_uint(tb[FH_KV_OPT_MEM], &site->mem))
			return false;
		site->has_mem = true;
	}
	if (tb[FH_KV_OPT_ITEM_MAX]) {
		if (!attr_get_uint(tb[FH_KV_OPT_ITEM_MAX], &v) || v > UINT32_MAX)
			return false;
		site->item_max = (uint32_t)v;
		site->has_item_max = true;
	}
	if (tb[FH_KV_OPT_BYTES] || tb[FH_KV_OPT_ITEMS]) {
		if ((tb[FH_KV_OPT_BYTES] && !attr_get_uint(tb[FH_KV_OPT_BYTES], &site->bytes)) ||
		    (tb[FH_KV_OPT_ITEMS] && !attr_get_uint(tb[FH_KV_OPT_ITEMS], &site->items)))
			return false;
		site->has_usage = true;
	}
	return true;
}

int listener_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[FH_A_MAX + 1] = { 0 };
	struct listener_list *ll = data;
	struct listener *l, *v;
	struct endpoint ep;

	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), fh_attr_cb, tb) < 0)
		return MNL_CB_ERROR;
	if (!attr_endpoint(tb, &ep))
		goto malformed;
	v = dump_grow(ll->v, ll->n, &ll->cap, sizeof(*v));
	if (!v)
		return MNL_CB_ERROR;
	ll->v = v;
	l = &ll->v[ll->n];
	memset(l, 0, sizeof(*l));
	l->ep = ep;
	format_endpoint(l->address, sizeof(l->address), ep.family, ep.addr, ep.port);
	copy_str_attr(l->proto, sizeof(l->proto), tb[FH_A_PROTO]);
	copy_str_attr(l->cpus, sizeof(l->cpus), tb[FH_A_CPUS]);
	if ((tb[FH_A_LISTENER_ACCEPTED] && !attr_get_uint(tb[FH_A_LISTENER_ACCEPTED], &l->accepted)) ||
	    (tb[FH_A_LISTENER_ACTIVE] && !attr_get_uint(tb[FH_A_LISTENER_ACTIVE], &l->active)))
		goto malformed;
	if (tb[FH_A_LISTENER_MAX_CONNS]) {
		if (mnl_attr_validate(tb[FH_A_LISTENER_MAX_CONNS], MNL_TYPE_U32) < 0)
			goto malformed;
		l->max_conns = mnl_attr_get_u32(tb[FH_A_LISTENER_MAX_CONNS]);
	}
	if ((tb[FH_A_LISTENER_HTTP] && !http_opts_cb(tb[FH_A_LISTENER_HTTP], &l->site)) ||
	    (tb[FH_A_LISTENER_KV] && !kv_opts_cb(tb[FH_A_LISTENER_KV], &l->site)))
		goto malformed;
	ll->n++;
	return MNL_CB_OK;

malformed:
	errno = EPROTO;
	return MNL_CB_ERROR;
}

/* The LOG column: on or off for a listener with a site (http), else "-". */
static const char *log_column(const struct listener *l)
{
	if (!site_present(&l->site))
		return "-";
	return l->site.access_log ? "on" : "off";
}

#define NCOLS	16

/* A row of the table: each cell as text, ROOT (a path that may hold blanks) last. */
struct listener_row {
	char accepted[24], active[24], max[16], user[64], cache[32];
	char mem[32], item_max[32], bytes[24], items[24];
	char routes[FH_ROUTES_MAX * FH_ROUTE_MAX];
	const char *cell[NCOLS];
};

/* The ROUTES column: PREFIX=UPSTREAM,... in the kernel's order, "-" for none. */
static const char *routes_cell(const struct site_opts *site, char *buf, size_t size)
{
	size_t len = 0;

	snprintf(buf, size, "-");
	for (unsigned int i = 0; i < site->nroutes && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "," : "",
					site->routes[i]);
	return buf;
}

static void listener_row(const struct listener *l, struct listener_row *r)
{
	snprintf(r->accepted, sizeof(r->accepted), "%" PRIu64, l->accepted);
	snprintf(r->active, sizeof(r->active), "%" PRIu64, l->active);
	/* "-": no limit of its own, only the module-wide one. */
	if (l->max_conns)
		snprintf(r->max, sizeof(r->max), "%" PRIu32, l->max_conns);
	else
		snprintf(r->max, sizeof(r->max), "-");
	if (l->site.has_user)
		user_str(l->site.uid, l->site.gid, r->user, sizeof(r->user));
	else
		snprintf(r->user, sizeof(r->user), "-");
	if (!l->site.has_cache)
		snprintf(r->cache, sizeof(r->cache), "-");
	else if (!l->site.cache)
		snprintf(r->cache, sizeof(r->cache), "off");
	else
		format_size(r->cache, sizeof(r->cache), l->site.cache);
	r->cell[0] = l->proto;
	r->cell[1] = l->address;
	r->cell[2] = l->cpus;
	r->cell[3] = r->accepted;
	r->cell[4] = r->active;
	r->cell[5] = r->max;
	r->cell[6] = routes_cell(&l->site, r->routes, sizeof(r->routes));
	r->cell[7] = l->site.has_fallback ? l->site.fallback : "-";
	/* kv's: its limits and what it holds, "-" for other protocols. */
	snprintf(r->mem, sizeof(r->mem), "-");
	snprintf(r->item_max, sizeof(r->item_max), "-");
	snprintf(r->bytes, sizeof(r->bytes), "-");
	snprintf(r->items, sizeof(r->items), "-");
	if (l->site.has_mem)
		format_size(r->mem, sizeof(r->mem), l->site.mem);
	if (l->site.has_item_max)
		format_size(r->item_max, sizeof(r->item_max), l->site.item_max);
	if (l->site.has_usage) {
		snprintf(r->bytes, sizeof(r->bytes), "%" PRIu64, l->site.bytes);
		snprintf(r->items, sizeof(r->items), "%" PRIu64, l->site.items);
	}
	r->cell[8] = r->mem;
	r->cell[9] = r->item_max;
	r->cell[10] = r->bytes;
	r->cell[11] = r->items;
	r->cell[12] = r->user;
	r->cell[13] = r->cache;
	r->cell[14] = log_column(l);
	r->cell[15] = l->site.has_root ? l->site.root : "-";
}

static void print_listeners(const struct listener_list *ll)
{
	static const char *const head[NCOLS] = {
		"PROTO", "ADDRESS", "CPUS", "ACCEPTED", "ACTIVE", "MAX", "ROUTES", "FALLBACK",
		"MEM", "ITEM_MAX", "BYTES", "ITEMS", "USER", "CACHE", "LOG", "ROOT",
	};
	struct listener_row r;
	int w[NCOLS] = { 0 };

	table_fit(w, head, NCOLS);
	for (size_t i = 0; i < ll->n; i++) {
		listener_row(&ll->v[i], &r);
		table_fit(w, r.cell, NCOLS);
	}
	table_row(head, w, NCOLS);
	for (size_t i = 0; i < ll->n; i++) {
		listener_row(&ll->v[i], &r);
		table_row(r.cell, w, NCOLS);
	}
}

static void print_listeners_json(const struct listener_list *ll)
{
	putchar('[');
	for (size_t i = 0; i < ll->n; i++) {
		const struct listener *l = &ll->v[i];

		printf("%s{\"proto\":", i ? "," : "");
		json_str(l->proto);
		printf(",\"address\":");
		json_str(l->address);
		printf(",\"cpus\":");
		json_str(l->cpus);
		printf(",\"accepted\":%" PRIu64 ",\"active\":%" PRIu64 ",\"max_connections\":%" PRIu32,
		       l->accepted, l->active, l->max_conns);
		/* A site's fields only where the listener has one (http). */
		if (l->site.has_root) {
			printf(",\"root\":");
			json_str(l->site.root);
		}
		if (l->site.has_user)
			printf(",\"uid\":%" PRIu32 ",\"gid\":%" PRIu32, l->site.uid, l->site.gid);
		if (l->site.has_cache)
			printf(",\"cache\":%" PRIu64, l->site.cache);
		if (site_present(&l->site))
			printf(",\"access_log\":%s,\"one_file_system\":%s",
			       l->site.access_log ? "true" : "false",
			       l->site.one_fs ? "true" : "false");
		if (l->site.has_fallback) {
			printf(",\"fallback\":");
			json_str(l->site.fallback);
		}
		/* kv's limits and what it holds. */
		if (l->site.has_mem)
			printf(",\"mem\":%" PRIu64, l->site.mem);
		if (l->site.has_item_max)
			printf(",\"item_max\":%" PRIu32, l->site.item_max);
		if (l->site.has_usage)
			printf(",\"bytes\":%" PRIu64 ",\"items\":%" PRIu64, l->site.bytes,
			       l->site.items);
		/* Routes split at the last '=' (an upstream's name has none); last, nested. */
		if (site_present(&l->site)) {
			printf(",\"routes\":[");
			for (unsigned int r = 0; r < l->site.nroutes; r++) {
				const char *route = l->site.routes[r];
				const char *up = route_upstream(route);

				printf("%s{\"prefix\":", r ? "," : "");
				json_str_n(route, *up ? (size_t)(up - 1 - route) : strlen(route));
				printf(",\"upstream\":");
				json_str(up);
				putchar('}');
			}
			putchar(']');
		}
		putchar('}');
	}
	printf("]\n");
}

int cmd_listener_list(int argc, char **argv)
{
	struct opts o = { .max_pos = 0 };
	struct listener_list ll = { 0 };
	struct genl g;

	parse_opts(argc, argv, 0, &o);
	if (dry_run)
		return 0;
	genl_open(&g, "listener list");
	genl_do(&g, fh_msg(&g, FH_CMD_LISTENER_GET, NLM_F_DUMP), listener_cb, &ll,
		"listener list");
	genl_close(&g);
	if (o.json)
		print_listeners_json(&ll);
	else
		print_listeners(&ll);
	free(ll.v);
	return 0;
}
