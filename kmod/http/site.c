// SPDX-License-Identifier: GPL-2.0
/*
 * An http listener's site: its document root, held open as a path so that
 * every request is resolved beneath it (LOOKUP_BENEATH) whatever happens to
 * the name it was given; the credentials files are opened with, those of
 * an unprivileged user with no capabilities, so that what that user may
 * not read is refused whatever root could; and its content cache.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/namei.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uidgid.h>
#include <linux/workqueue.h>
#include <net/netlink.h>

#include "http.h"
#include "log.h"
#include "proto.h"
#include "upstream.h"

/* The unprivileged nobody of the initial namespace, as in most distros. */
#define FH_HTTP_NOBODY	65534

/* http's listener options: the nest FH_A_LISTENER_HTTP (uapi/firehose.h). */
const struct nla_policy fh_http_opts_policy[FH_HTTP_OPT_MAX + 1] = {
	[FH_HTTP_OPT_ROOT] = { .type = NLA_NUL_STRING, .len = PATH_MAX - 1 },
	[FH_HTTP_OPT_UID] = { .type = NLA_U32 },
	[FH_HTTP_OPT_GID] = { .type = NLA_U32 },
	[FH_HTTP_OPT_CACHE] = { .type = NLA_U64 },
	[FH_HTTP_OPT_ACCESS_LOG] = { .type = NLA_FLAG },
	[FH_HTTP_OPT_ONE_FS] = { .type = NLA_FLAG },
	[FH_HTTP_OPT_ROUTE] = { .type = NLA_NUL_STRING, .len = FH_ROUTE_MAX - 1 },
	[FH_HTTP_OPT_FALLBACK] = { .type = NLA_NUL_STRING,
				   .len = FH_UPSTREAM_NAME_MAX - 1 },
};

/*
 * The options, taken out of the parsed nest. Strings point into the
 * request and are valid only during fh_http_site_create().
 */
struct fh_http_site_req {
	const char *root;	/* NULL: not given */
	bool has_user;
	u32 uid, gid;		/* in the caller's user namespace */
	bool has_cache;
	u64 cache_bytes;
	bool access_log;	/* log every response (kmod/log.h) */
	bool one_fs;		/* no lookup crosses into a mount below the root */
	struct net *net;	/* where upstreams are named */
	unsigned int nr_routes;	/* "PREFIX=UPSTREAM" each */
	const char *routes[FH_ROUTES_MAX];
	const char *fallback;	/* an upstream's name, or NULL */
};

/* Checked for shape by the policy; what they mean fh_http_site_create() judges. */
static int fh_http_site_parse(struct nlattr **opts, struct fh_http_site_req *req,
			      struct netlink_ext_ack *extack)
{
	const struct nlattr *a;
	int rem;

	if (opts[FH_HTTP_OPT_UID] && !opts[FH_HTTP_OPT_GID]) {
		NL_SET_ERR_ATTR_MISS(extack, opts[0], FH_HTTP_OPT_GID);
		NL_SET_ERR_MSG(extack, "a uid needs its gid");
		return -EINVAL;
	}
	if (opts[FH_HTTP_OPT_GID] && !opts[FH_HTTP_OPT_UID]) {
		NL_SET_ERR_ATTR_MISS(extack, opts[0], FH_HTTP_OPT_UID);
		NL_SET_ERR_MSG(extack, "a gid needs its uid");
		return -EINVAL;
	}
	if (opts[FH_HTTP_OPT_ROOT])
		req->root = nla_data(opts[FH_HTTP_OPT_ROOT]);
	if (opts[FH_HTTP_OPT_UID]) {
		req->has_user = true;
		req->uid = nla_get_u32(opts[FH_HTTP_OPT_UID]);
		req->gid = nla_get_u32(opts[FH_HTTP_OPT_GID]);
	}
	if (opts[FH_HTTP_OPT_CACHE]) {
		req->has_cache = true;
		req->cache_bytes = nla_get_u64(opts[FH_HTTP_OPT_CACHE]);
	}
	req->access_log = nla_get_flag(opts[FH_HTTP_OPT_ACCESS_LOG]);
	req->one_fs = nla_get_flag(opts[FH_HTTP_OPT_ONE_FS]);
	if (opts[FH_HTTP_OPT_FALLBACK])
		req->fallback = nla_data(opts[FH_HTTP_OPT_FALLBACK]);
	if (!opts[0])
		return 0;
	/* Routes repeat, in order: the parsed table holds only the last. */
	nla_for_each_nested(a, opts[0], rem) {
		if (nla_type(a) != FH_HTTP_OPT_ROUTE)
			continue;
		if (req->nr_routes == FH_ROUTES_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, a, "too many routes");
			return -E2BIG;
		}
		req->routes[req->nr_routes++] = nla_data(a);
	}
	return 0;
}

static const struct cred *fh_http_site_cred(kuid_t uid, kgid_t gid)
{
	struct cred *cred = prepare_kernel_cred(&init_task);

	if (!cred)
		return NULL;
	cred->uid = uid;
	cred->euid = uid;
	cred->suid = uid;
	cred->fsuid = uid;
	cred->gid = gid;
	cred->egid = gid;
	cred->sgid = gid;
	cred->fsgid = gid;
	/* The user's own rights and nothing more: no DAC override. */
	cap_clear(cred->cap_inheritable);
	cap_clear(cred->cap_permitted);
	cap_clear(cred->cap_effective);
	cap_clear(cred->cap_bset);
	cap_clear(cred->cap_ambient);
	return cred;
}

/* The listener is deleted: its upstreams may be, though it still serves. */
static void fh_http_site_unuse(struct fh_http_site *site)
{
	unsigned int i;

	if (site->unused)
		return;
	site->unused = true;
	for (i = 0; i < site->nr_routes; i++)
		fh_upstream_unuse(site->routes[i].up);
	if (site->fallback)
		fh_upstream_unuse(site->fallback);
}

void fh_http_site_close(void *arg)
{
	fh_http_site_unuse(arg);
}

static void fh_http_site_unroute(struct fh_http_site *site)
{
	unsigned int i;

	fh_http_site_unuse(site);
	for (i = 0; i < site->nr_routes; i++) {
		fh_upstream_put(site->routes[i].up);
		kfree(site->routes[i].prefix);
	}
	site->nr_routes = 0;
	if (site->fallback)
		fh_upstream_put(site->fallback);
	site->fallback = NULL;
}

/* "PREFIX=UPSTREAM" each, and the fallback: upstreams of the namespace. */
static int fh_http_site_routes(struct fh_http_site *site,
			       const struct fh_http_site_req *req,
			       struct netlink_ext_ack *extack)
{
	struct fh_http_route *rt;
	const char *eq;
	unsigned int i, j;

	for (i = 0; i < req->nr_routes; i++) {
		eq = strrchr(req->routes[i], '=');
		if (!eq || req->routes[i][0] != '/' || !eq[1]) {
			NL_SET_ERR_MSG(extack,
				       "a route is PREFIX=UPSTREAM, PREFIX starting with '/'");
			return -EINVAL;
		}
		for (j = 0; j < i; j++)
			if (site->routes[j].len == eq - req->routes[i] &&
			    !memcmp(site->routes[j].prefix, req->routes[i],
				    site->routes[j].len)) {
				NL_SET_ERR_MSG(extack, "two routes have the same prefix");
				return -EINVAL;
			}
		rt = &site->routes[site->nr_routes];
		rt->len = eq - req->routes[i];
		rt->prefix = kmemdup_nul(req->routes[i], rt->len, GFP_KERNEL);
		if (!rt->prefix)
			return -ENOMEM;
		rt->up = fh_upstream_use(req->net, eq + 1);
		if (!rt->up) {
			kfree(rt->prefix);
			NL_SET_ERR_MSG(extack, "a route names no upstream of this namespace");
			return -ENOENT;
		}
		site->nr_routes++;
	}
	if (req->fallback) {
		site->fallback = fh_upstream_use(req->net, req->fallback);
		if (!site->fallback) {
			NL_SET_ERR_MSG(extack, "the fallback names no upstream of this namespace");
			return -ENOENT;
		}
	}
	return 0;
}

static void *fh_http_site_make(const struct fh_http_site_req *req,
			       struct netlink_ext_ack *extack)
{
	struct fh_http_site *site;
	u64 limit = req->has_cache ? req->cache_bytes : FH_HTTP_CACHE_DEFAULT;
	kuid_t uid;
	kgid_t gid;
	int err, i;

	if (!req->root && !req->nr_routes && !req->fallback) {
		NL_SET_ERR_MSG(extack,
			       "http needs a document root (--root), a route or a fallback");
		return ERR_PTR(-EINVAL);
	}
	/* Page counts of a quarter of it must fit an entry's (32 bits). */
	if (limit > FH_CACHE_MAX) {
		NL_SET_ERR_MSG(extack, "the cache limit is over 1T");
		return ERR_PTR(-ERANGE);
	}
	if (req->root && req->root[0] != '/') {
		NL_SET_ERR_MSG(extack, "the document root must be an absolute path");
		return ERR_PTR(-EINVAL);
	}
	if (req->has_user) {
		uid = make_kuid(current_user_ns(), req->uid);
		gid = make_kgid(current_user_ns(), req->gid);
	} else {
		uid = KUIDT_INIT(FH_HTTP_NOBODY);
		gid = KGIDT_INIT(FH_HTTP_NOBODY);
	}
	if (!uid_valid(uid) || !gid_valid(gid)) {
		NL_SET_ERR_MSG(extack, "the user or group has no mapping here");
		return ERR_PTR(-EINVAL);
	}

	site = kzalloc(sizeof(*site), GFP_KERNEL);
	if (!site)
		return ERR_PTR(-ENOMEM);
	site->uid = uid;
	site->gid = gid;
	site->access_log = req->access_log;
	/*
	 * By default a lookup crosses into file systems mounted below the
	 * root, as nginx follows the tree it is given; --one-file-system
	 * keeps every lookup on the root's own (LOOKUP_NO_XDEV: a file
	 * behind a mount point is 403).
	 */
	site->lookup_flags = FH_HTTP_LOOKUP | (req->one_fs ? LOOKUP_NO_XDEV : 0);
	if (req->access_log) {
		err = fh_log_enable();
		if (err)
			goto err_free;
	}
	err = fh_http_site_routes(site, req, extack);
	if (err)
		goto err_free;
	err = -ENOMEM;
	site->cred = fh_http_site_cred(uid, gid);
	if (!site->cred)
		goto err_free;
	if (req->root) {
		site->root_name = kstrdup(req->root, GFP_KERNEL);
		if (!site->root_name)
			goto err_free;
		err = kern_path(req->root, LOOKUP_FOLLOW | LOOKUP_DIRECTORY,
				&site->root);
		if (err) {
			NL_SET_ERR_MSG(extack, "the document root is not a directory");
			goto err_free;
		}
		site->has_root = true;
	}
	err = fh_http_cache_init(&site->cache, limit);
	if (err)
		goto err_path;
	/* Unbound: a job sleeping on a disk holds no worker's CPU. */
	site->wq = alloc_workqueue("fh_http_load", WQ_UNBOUND, 0);
	if (!site->wq) {
		err = -ENOMEM;
		goto err_cache;
	}
	for (i = 0; i < FH_HTTP_LOAD_LOCKS; i++)
		mutex_init(&site->load_lock[i]);
	return site;

err_cache:
	fh_http_cache_destroy(&site->cache);
err_path:
	if (site->has_root)
		path_put(&site->root);
err_free:
	fh_http_site_unroute(site);
	if (site->cred)
		put_cred(site->cred);
	kfree(site->root_name);
	kfree(site);
	return ERR_PTR(err);
}

/* Off the stack: the routes alone are 256 bytes. */
void *fh_http_site_create(struct net *net, struct nlattr **opts,
			  struct netlink_ext_ack *extack)
{
	struct fh_http_site_req *req;
	void *site;
	int err;

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return ERR_PTR(-ENOMEM);
	req->net = net;
	err = fh_http_site_parse(opts, req, extack);
	site = err ? ERR_PTR(err) : fh_http_site_make(req, extack);
	kfree(req);
	return site;
}

/* After the listener's last connection: nothing can reach the site. */
void fh_http_site_destroy(void *arg)
{
	struct fh_http_site *site = arg;

	/*
	 * Its connections are gone, and so are their jobs but for the last
	 * steps after handing a connection back: waits only for those.
	 */
	destroy_workqueue(site->wq);
	/* Entries hold their own files (and mounts): any order is safe. */
	fh_http_cache_destroy(&site->cache);
	if (site->has_root)
		path_put(&site->root);
	fh_http_site_unroute(site);
	put_cred(site->cred);
	kfree(site->root_name);
	kfree(site);
}

/* Each route as "PREFIX=UPSTREAM", written in place (no stack copy). */
static int fh_http_put_routes(struct sk_buff *skb, const struct fh_http_site *site)
{
	const struct fh_http_route *rt;
	struct nlattr *a;
	unsigned int i;
	size_t len;

	for (i = 0; i < site->nr_routes; i++) {
		rt = &site->routes[i];
		len = rt->len + 1 + strlen(rt->up->name) + 1;
		a = nla_reserve(skb, FH_HTTP_OPT_ROUTE, len);
		if (!a)
			return -EMSGSIZE;
		snprintf(nla_data(a), len, "%s=%s", rt->prefix, rt->up->name);
	}
	return 0;
}

/*
 * The options as they were given, ids as @reader sees them. Called with
 * the listener, so its site, kept alive by the configuration mutex.
 */
int fh_http_site_fill(void *arg, struct sk_buff *skb,
		      struct user_namespace *reader)
{
	struct fh_http_site *site = arg;
	struct nlattr *nest;

	nest = nla_nest_start(skb, FH_A_LISTENER_HTTP);
	if (!nest)
		return -EMSGSIZE;
	if ((site->root_name &&
	     nla_put_string(skb, FH_HTTP_OPT_ROOT, site->root_name)) ||
	    nla_put_u32(skb, FH_HTTP_OPT_UID, from_kuid_munged(reader, site->uid)) ||
	    nla_put_u32(skb, FH_HTTP_OPT_GID, from_kgid_munged(reader, site->gid)) ||
	    nla_put_u64_64bit(skb, FH_HTTP_OPT_CACHE, site->cache.limit,
			      FH_HTTP_OPT_PAD) ||
	    (site->access_log && nla_put_flag(skb, FH_HTTP_OPT_ACCESS_LOG)) ||
	    ((site->lookup_flags & LOOKUP_NO_XDEV) &&
	     nla_put_flag(skb, FH_HTTP_OPT_ONE_FS)) ||
	    (site->fallback &&
	     nla_put_string(skb, FH_HTTP_OPT_FALLBACK, site->fallback->name)) ||
	    fh_http_put_routes(skb, site)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* The content cache, for cache-get. */
void fh_http_site_info(void *arg, struct fh_site_info *info)
{
	struct fh_http_site *site = arg;
	struct fh_http_cache *cache = &site->cache;
	unsigned int cpu;

	info->cache_limit = cache->limit;
	spin_lock(&cache->lock);
	info->cache_bytes = cache->bytes;
	info->cache_entries = cache->entries;
	info->evictions = cache->evictions;
	info->invalidations = cache->invalidations;
	info->loads = cache->loads;
	info->pinned = atomic64_read(&fh_http_pinned);
	spin_unlock(&cache->lock);
	/* Each CPU's worker writes its own; a torn read is off by one hit. */
	for_each_possible_cpu(cpu) {
		const struct fh_http_cache_cpu *c = per_cpu_ptr(cache->cpu, cpu);

		info->hits += READ_ONCE(c->hits);
		info->misses += READ_ONCE(c->misses);
	}
}

void fh_http_site_flush(void *arg)
{
	struct fh_http_site *site = arg;

	fh_http_cache_flush(&site->cache);
}
