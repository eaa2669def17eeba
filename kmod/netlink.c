// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "firehose": a thin adapter that validates requests
 * and calls into listener, stats and settings code. include/uapi/firehose.h
 * documents every command.
 */
#include <linux/cpumask.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/limits.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include <uapi/firehose.h>

#include "fh.h"
#include "listener.h"
#include "log.h"
#include "netlink.h"
#include "proto.h"
#include "stats.h"
#include "upstream.h"
#include "worker.h"

static struct netlink_range_validation fh_max_conns_range = {
	.min = 1,
	.max = FH_MAX_CONNS_LIMIT,
};

static struct netlink_range_validation fh_per_source_range = {
	.min = 0,
	.max = FH_MAX_CONNS_LIMIT,
};

/*
 * The protocols' option nests: checked here only for being nests, and by
 * the protocol's own policy, which fh_netlink_init() hangs below them so
 * that the policy dump shows it (fh_protos_opts_policy()).
 */
static struct nla_policy fh_listener_add_policy[FH_A_MAX + 1] __ro_after_init = {
	[FH_A_PROTO] = { .type = NLA_NUL_STRING, .len = FH_PROTO_NAME_MAX - 1 },
	[FH_A_FAMILY] = { .type = NLA_U16 },
	[FH_A_ADDR] = { .type = NLA_BINARY, .len = 16 },
	[FH_A_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[FH_A_CPUS] = { .type = NLA_NUL_STRING, .len = FH_CPULIST_MAX - 1 },
	[FH_A_LISTENER_MAX_CONNS] = NLA_POLICY_FULL_RANGE(NLA_U32, &fh_max_conns_range),
	[FH_A_LISTENER_HTTP] = { .type = NLA_NESTED },
	[FH_A_LISTENER_KV] = { .type = NLA_NESTED },
};

/* A listener named by its address, and its protocol's options. */
static struct nla_policy fh_listener_set_policy[FH_A_MAX + 1] __ro_after_init = {
	[FH_A_FAMILY] = { .type = NLA_U16 },
	[FH_A_ADDR] = { .type = NLA_BINARY, .len = 16 },
	[FH_A_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[FH_A_LISTENER_HTTP] = { .type = NLA_NESTED },
	[FH_A_LISTENER_KV] = { .type = NLA_NESTED },
};

static struct netlink_range_validation fh_upstream_timeout_range = {
	.min = FH_TIMEOUT_MIN_MS,
	.max = FH_TIMEOUT_MAX_MS,
};

static const struct nla_policy fh_upstream_add_policy[FH_A_MAX + 1] = {
	[FH_A_UPSTREAM_NAME] = { .type = NLA_NUL_STRING,
				 .len = FH_UPSTREAM_NAME_MAX - 1 },
	[FH_A_UPSTREAM_SERVER] = { .type = NLA_NUL_STRING,
				   .len = FH_UPSTREAM_SERVER_MAX - 1 },
	[FH_A_UPSTREAM_KEEPALIVE] = NLA_POLICY_MAX(NLA_U32, FH_UPSTREAM_KEEPALIVE_MAX),
	[FH_A_UPSTREAM_CONNECT_TIMEOUT_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &fh_upstream_timeout_range),
	[FH_A_UPSTREAM_READ_TIMEOUT_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &fh_upstream_timeout_range),
	[FH_A_UPSTREAM_MAX_FAILS] = NLA_POLICY_MAX(NLA_U32, FH_UPSTREAM_MAX_FAILS_MAX),
	[FH_A_UPSTREAM_FAIL_TIMEOUT_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &fh_upstream_timeout_range),
};

static const struct nla_policy fh_upstream_name_policy[FH_A_MAX + 1] = {
	[FH_A_UPSTREAM_NAME] = { .type = NLA_NUL_STRING,
				 .len = FH_UPSTREAM_NAME_MAX - 1 },
};

/* An address naming one listener: listener del, and cache flush. */
static const struct nla_policy fh_listener_del_policy[FH_A_MAX + 1] = {
	[FH_A_FAMILY] = { .type = NLA_U16 },
	[FH_A_ADDR] = { .type = NLA_BINARY, .len = 16 },
	[FH_A_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
};

static struct netlink_range_validation fh_timeout_range = {
	.min = 0,
	.max = FH_TIMEOUT_MAX_MS,
};

static struct netlink_range_validation fh_http_max_header_range = {
	.min = FH_HTTP_MAX_HEADER_MIN,
	.max = FH_HTTP_MAX_HEADER_MAX,
};

static struct netlink_range_validation fh_http_pin_limit_range = {
	.min = FH_HTTP_PIN_LIMIT_MIN,
	.max = FH_HTTP_PIN_LIMIT_MAX,
};

static const struct nla_policy fh_settings_policy[FH_A_MAX + 1] = {
	[FH_A_MAX_CONNS] = NLA_POLICY_FULL_RANGE(NLA_U32, &fh_max_conns_range),
	[FH_A_MAX_CONNS_PER_SOURCE] = NLA_POLICY_FULL_RANGE(NLA_U32, &fh_per_source_range),
	[FH_A_IDLE_TIMEOUT_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &fh_timeout_range),
	[FH_A_SEND_TIMEOUT_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &fh_timeout_range),
	[FH_A_KEEPALIVE_S] = NLA_POLICY_MAX(NLA_U32, FH_KEEPALIVE_MAX_S),
	[FH_A_KEEPALIVE_INTVL_S] = NLA_POLICY_RANGE(NLA_U32, 1, FH_KEEPALIVE_MAX_S),
	[FH_A_KEEPALIVE_CNT] = NLA_POLICY_RANGE(NLA_U32, 1, FH_KEEPALIVE_CNT_MAX),
	[FH_A_HTTP_HEADER_TIMEOUT_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &fh_timeout_range),
	[FH_A_HTTP_MAX_HEADER] = NLA_POLICY_FULL_RANGE(NLA_U32, &fh_http_max_header_range),
	[FH_A_HTTP_PIN_LIMIT] = NLA_POLICY_FULL_RANGE(NLA_U32, &fh_http_pin_limit_range),
	[FH_A_SOURCE_PREFIX6] = NLA_POLICY_RANGE(NLA_U32, FH_SOURCE_PREFIX6_MIN,
						 FH_SOURCE_PREFIX6_MAX),
};

/* Requests without attributes: strict validation rejects any attribute. */
static const struct nla_policy fh_empty_policy[FH_A_MAX + 1] = { };

/* Extack messages must be literals, hence a macro. */
#define fh_require(info, attr, msg) ({					\
	struct genl_info *__fhi = (info);				\
	int __ret = 0;							\
	if (GENL_REQ_ATTR_CHECK(__fhi, attr)) {			\
		GENL_SET_ERR_MSG(__fhi, msg);				\
		__ret = -EINVAL;					\
	}								\
	__ret;								\
})

static int fh_parse_addr(struct genl_info *info, struct fh_listen_req *req)
{
	const struct nlattr *a;
	int ret;

	ret = fh_require(info, FH_A_FAMILY, "missing address family") ?:
	      fh_require(info, FH_A_ADDR, "missing address") ?:
	      fh_require(info, FH_A_PORT, "missing port");
	if (ret)
		return ret;
	req->family = nla_get_u16(info->attrs[FH_A_FAMILY]);
	req->port = nla_get_u16(info->attrs[FH_A_PORT]);
	a = info->attrs[FH_A_ADDR];
	if (req->family != AF_INET && req->family != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[FH_A_FAMILY],
				    "address family must be AF_INET or AF_INET6");
		return -EINVAL;
	}
	if (nla_len(a) != (req->family == AF_INET ? 4 : 16)) {
		NL_SET_ERR_MSG_ATTR(info->extack, a,
				    "address length does not match its family");
		return -EINVAL;
	}
	memcpy(req->addr, nla_data(a), nla_len(a));
	return 0;
}

static int fh_parse_cpus(struct genl_info *info, struct cpumask *cpus)
{
	struct nlattr *a = info->attrs[FH_A_CPUS];
	unsigned int cpu;

	if (!a) {
		for_each_possible_cpu(cpu)
			if (fh_worker_of(cpu))
				cpumask_set_cpu(cpu, cpus);
		return 0;
	}
	if (cpulist_parse(nla_data(a), cpus) || cpumask_empty(cpus)) {
		NL_SET_ERR_MSG_ATTR(info->extack, a, "bad cpulist");
		return -EINVAL;
	}
	for_each_cpu(cpu, cpus) {
		if (!fh_worker_of(cpu)) {
			NL_SET_ERR_MSG_ATTR(info->extack, a,
					    "a listed CPU has no firehose worker");
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Every @type attribute of the request, in order (a repeated one, which the
 * parsed table holds only the last of; the policy checked each).
 */
static int fh_parse_multi(struct genl_info *info, int type, const char **out,
			  unsigned int max, unsigned int *n)
{
	const struct nlattr *a;
	int rem;

	*n = 0;
	nlmsg_for_each_attr(a, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(a) != type)
			continue;
		if (*n == max) {
			NL_SET_ERR_MSG_ATTR(info->extack, a, "too many of this attribute");
			return -E2BIG;
		}
		out[(*n)++] = nla_data(a);
	}
	return 0;
}

/*
 * The option nests a request has (fh_listener_add_policy's nested ones);
 * one of them, or none, is the listener's protocol's.
 */
static const int fh_opts_nests[] = { FH_A_LISTENER_HTTP, FH_A_LISTENER_KV };

/* Extack messages are literals: one per nest. */
static void fh_opts_misplaced(struct genl_info *info, const struct nlattr *a)
{
	switch (nla_type(a)) {
	case FH_A_LISTENER_HTTP:
		NL_SET_ERR_MSG_ATTR(info->extack, a, "these options are for protocol http");
		break;
	case FH_A_LISTENER_KV:
		NL_SET_ERR_MSG_ATTR(info->extack, a, "these options are for protocol kv");
		break;
	}
}

/*
 * The protocol's options: another protocol's nest is refused; its own is
 * parsed strictly by its own policy into a table the caller frees (NULL:
 * the protocol takes none), opts[0] the nest itself (struct fh_proto).
 * What the options mean is the protocol's to judge.
 */
static int fh_parse_opts(struct genl_info *info, const struct fh_proto *proto,
			 struct nlattr ***optsp)
{
	struct nlattr *nest = NULL, **opts;
	unsigned int i;
	int ret;

	*optsp = NULL;
	for (i = 0; i < ARRAY_SIZE(fh_opts_nests); i++) {
		struct nlattr *a = info->attrs[fh_opts_nests[i]];

		if (!a)
			continue;
		if (!proto->opts_attr) {
			NL_SET_ERR_MSG_ATTR(info->extack, a,
					    "this protocol takes no options");
			return -EINVAL;
		}
		if (fh_opts_nests[i] != proto->opts_attr) {
			fh_opts_misplaced(info, a);
			return -EINVAL;
		}
		nest = a;
	}
	if (!proto->opts_attr)
		return 0;
	opts = kcalloc(proto->opts_maxattr + 1, sizeof(*opts), GFP_KERNEL);
	if (!opts)
		return -ENOMEM;
	if (nest) {
		ret = nla_parse_nested(opts, proto->opts_maxattr, nest,
				       proto->opts_policy, info->extack);
		if (ret) {
			kfree(opts);
			return ret;
		}
		opts[0] = nest;
	}
	*optsp = opts;
	return 0;
}

static int fh_nl_listener_add(struct sk_buff *skb, struct genl_info *info)
{
	struct fh_listen_req req = { };
	bool known;
	int ret;

	ret = fh_require(info, FH_A_PROTO, "missing protocol") ?:
	      fh_parse_addr(info, &req);
	if (ret)
		return ret;
	req.proto = fh_proto_find(nla_data(info->attrs[FH_A_PROTO]), &known);
	if (!req.proto && known) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[FH_A_PROTO],
				    "protocol not available in this build");
		return -EPROTONOSUPPORT;
	}
	if (!req.proto) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[FH_A_PROTO],
				    "unknown protocol");
		return -EINVAL;
	}
	if (info->attrs[FH_A_LISTENER_MAX_CONNS])
		req.max_conns = nla_get_u32(info->attrs[FH_A_LISTENER_MAX_CONNS]);
	ret = fh_parse_opts(info, req.proto, &req.opts);
	if (ret)
		return ret;
	if (!zalloc_cpumask_var(&req.cpus, GFP_KERNEL)) {
		kfree(req.opts);
		return -ENOMEM;
	}
	ret = fh_parse_cpus(info, req.cpus) ?:
	      fh_listener_add(genl_info_net(info), &req, info->extack);
	free_cpumask_var(req.cpus);
	kfree(req.opts);
	return ret;
}

/* Whether @l is the listener @req names (listener.c compares the same). */
static bool fh_listener_is(const struct fh_listener *l,
			   const struct fh_listen_req *req)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&l->addr;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&l->addr;

	if (l->addr.ss_family != req->family)
		return false;
	if (req->family == AF_INET)
		return sin->sin_port == htons(req->port) &&
		       !memcmp(&sin->sin_addr, req->addr, 4);
	return sin6->sin6_port == htons(req->port) &&
	       !memcmp(&sin6->sin6_addr, req->addr, 16);
}

static int fh_nl_listener_del(struct sk_buff *skb, struct genl_info *info)
{
	struct fh_listen_req req = { };
	int ret;

	ret = fh_parse_addr(info, &req);
	if (ret)
		return ret;
	return fh_listener_del(genl_info_net(info), &req, info->extack);
}

struct fh_listener_set_ctx {
	const struct fh_listen_req *req;
	struct genl_info *info;
	bool found;
	int ret;
};

/*
 * Under the configuration mutex (fh_listener_walk()): the listener and its
 * site stay while the protocol changes them.
 */
static int fh_listener_set_one(const struct fh_listener *l, void *arg)
{
	struct fh_listener_set_ctx *ctx = arg;
	struct genl_info *info = ctx->info;
	struct nlattr **opts;

	if (!fh_listener_is(l, ctx->req))
		return 0;
	ctx->found = true;
	ctx->ret = fh_parse_opts(info, l->proto, &opts);
	if (ctx->ret)
		return 1;
	if (!l->site || !l->proto->site_set) {
		NL_SET_ERR_MSG(info->extack,
			       "this protocol's options cannot be changed while it runs");
		ctx->ret = -EOPNOTSUPP;
	} else if (!opts[0]) {
		NL_SET_ERR_MSG(info->extack, "no options given");
		ctx->ret = -EINVAL;
	} else {
		ctx->ret = l->proto->site_set(l->site, opts, info->extack);
	}
	kfree(opts);
	return 1;
}

static int fh_nl_listener_set(struct sk_buff *skb, struct genl_info *info)
{
	struct fh_listen_req req = { };
	struct fh_listener_set_ctx ctx = { .req = &req, .info = info };
	int ret;

	ret = fh_parse_addr(info, &req);
	if (ret)
		return ret;
	fh_listener_walk(genl_info_net(info), 0, fh_listener_set_one, &ctx);
	if (!ctx.found) {
		NL_SET_ERR_MSG(info->extack, "no firehose listener has this address");
		return -ENOENT;
	}
	return ctx.ret;
}

/* The protocol, family, address and port that name a listener. */
static int fh_put_listener_addr(struct sk_buff *skb, const struct fh_listener *l)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&l->addr;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&l->addr;

	if (nla_put_string(skb, FH_A_PROTO, l->proto->name) ||
	    nla_put_u16(skb, FH_A_FAMILY, l->addr.ss_family) ||
	    (l->addr.ss_family == AF_INET ?
	     nla_put_in_addr(skb, FH_A_ADDR, sin->sin_addr.s_addr) :
	     nla_put_in6_addr(skb, FH_A_ADDR, &sin6->sin6_addr)) ||
	    nla_put_u16(skb, FH_A_PORT, ntohs(sin->sin_port)))
		return -EMSGSIZE;
	return 0;
}

/*
 * What a protocol with a content cache shows of it. Called with the
 * listener kept alive by the configuration mutex (fh_listener_walk()), so
 * its site is.
 */
static bool fh_listener_site_info(const struct fh_listener *l,
				  struct fh_site_info *info)
{
	if (!l->site || !l->proto->site_info)
		return false;
	memset(info, 0, sizeof(*info));
	l->proto->site_info(l->site, info);
	return true;
}

static int fh_listener_fill(struct sk_buff *skb, const struct fh_listener *l,
			    u32 portid, u32 seq, int flags)
{
	char cpus[FH_CPULIST_MAX];
	u64 accepted, active;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &fh_genl_family, flags,
			  FH_CMD_LISTENER_GET);
	if (!hdr)
		return -EMSGSIZE;
	fh_listener_counts(l, &accepted, &active);
	scnprintf(cpus, sizeof(cpus), "%*pbl", cpumask_pr_args(&l->cpus));
	if (fh_put_listener_addr(skb, l) ||
	    nla_put_string(skb, FH_A_CPUS, cpus) ||
	    nla_put_u64_64bit(skb, FH_A_LISTENER_ACCEPTED, accepted, FH_A_PAD) ||
	    nla_put_u64_64bit(skb, FH_A_LISTENER_ACTIVE, active, FH_A_PAD) ||
	    nla_put_u32(skb, FH_A_LISTENER_MAX_CONNS, l->max_conns))
		goto cancel;
	/* The dump runs in the reader's context: ids as it sees them. */
	if (l->site && l->proto->site_fill &&
	    l->proto->site_fill(l->site, skb, current_user_ns()))
		goto cancel;
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/*
 * The largest listener message: a document root of PATH_MAX bytes does not
 * fit the page a dump starts with, so dumps start with room for one.
 */
static int fh_listener_dump_start(struct netlink_callback *cb)
{
	cb->min_dump_alloc = NLMSG_GOODSIZE + PATH_MAX;
	return 0;
}

struct fh_listener_dump_ctx {
	struct sk_buff *skb;
	struct netlink_callback *cb;
	int err;
};

static int fh_listener_dump_one(const struct fh_listener *l, void *arg)
{
	struct fh_listener_dump_ctx *ctx = arg;

	ctx->err = fh_listener_fill(ctx->skb, l, NETLINK_CB(ctx->cb->skb).portid,
				    ctx->cb->nlh->nlmsg_seq, NLM_F_MULTI);
	return ctx->err;
}

/*
 * A message that does not fit an empty buffer would end the dump early
 * and silently: say so instead.
 */
static int fh_dump_end(struct sk_buff *skb, const struct fh_listener_dump_ctx *ctx)
{
	return ctx->err && !skb->len ? ctx->err : skb->len;
}

static int fh_nl_listener_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct fh_listener_dump_ctx ctx = { .skb = skb, .cb = cb };

	cb->args[0] = fh_listener_walk(sock_net(skb->sk), cb->args[0],
				       fh_listener_dump_one, &ctx);
	return fh_dump_end(skb, &ctx);
}

static int fh_put_stats(struct sk_buff *msg, int attr, int cpu,
			const struct fh_stats_snap *s)
{
	struct nlattr *nest = nla_nest_start(msg, attr);
	unsigned int i;

	if (!nest)
		return -EMSGSIZE;
	if (cpu >= 0 && nla_put_u32(msg, FH_STAT_CPU, cpu))
		goto cancel;
	for (i = FH_STAT_ACCEPTED; i < __FH_STAT_MAX; i++)
		if (nla_put_u64_64bit(msg, i, s->v[i], FH_STAT_PAD))
			goto cancel;
	nla_nest_end(msg, nest);
	return 0;
cancel:
	nla_nest_cancel(msg, nest);
	return -EMSGSIZE;
}

/*
 * One nest as fh_put_stats() writes it: the CPU, then every counter as a
 * 64-bit attribute, which may need a pad attribute before it to be aligned
 * (nla_total_size_64bit counts it), so 16 bytes a counter, not 12.
 */
static size_t fh_stats_nest_size(void)
{
	return nla_total_size(0) + nla_total_size(sizeof(u32)) +
	       (__FH_STAT_MAX - FH_STAT_ACCEPTED) * nla_total_size_64bit(sizeof(u64));
}

static int fh_nl_stats_get(struct sk_buff *skb, struct genl_info *info)
{
	unsigned int cpu, workers = 0;
	struct fh_stats_snap s;
	struct sk_buff *msg;
	void *hdr;

	for_each_possible_cpu(cpu)
		if (fh_worker_of(cpu))
			workers++;
	/* The totals and one nest per worker, each of the size it will take. */
	msg = genlmsg_new((workers + 1) * fh_stats_nest_size(), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &fh_genl_family, 0, FH_CMD_STATS_GET);
	if (!hdr)
		goto nospace;
	fh_stats_snap_total(&s);
	if (fh_put_stats(msg, FH_A_STATS, -1, &s))
		goto nospace;
	for_each_possible_cpu(cpu) {
		if (!fh_worker_of(cpu))
			continue;
		fh_stats_snap_cpu(cpu, &s);
		if (fh_put_stats(msg, FH_A_STATS_CPU, cpu, &s))
			goto nospace;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
nospace:
	nlmsg_free(msg);
	NL_SET_ERR_MSG(info->extack, "statistics do not fit in a message");
	return -EMSGSIZE;
}

static int fh_nl_settings_get(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &fh_genl_family, 0,
				FH_CMD_SETTINGS_GET);
	if (!hdr ||
	    nla_put_u32(msg, FH_A_MAX_CONNS, READ_ONCE(fh_settings.max_conns)) ||
	    nla_put_u32(msg, FH_A_MAX_CONNS_PER_SOURCE,
			READ_ONCE(fh_settings.max_conns_per_source)) ||
	    nla_put_u32(msg, FH_A_IDLE_TIMEOUT_MS,
			READ_ONCE(fh_settings.idle_timeout_ms)) ||
	    nla_put_u32(msg, FH_A_SEND_TIMEOUT_MS,
			READ_ONCE(fh_settings.send_timeout_ms)) ||
	    nla_put_u32(msg, FH_A_KEEPALIVE_S,
			READ_ONCE(fh_settings.keepalive_s)) ||
	    nla_put_u32(msg, FH_A_KEEPALIVE_INTVL_S,
			READ_ONCE(fh_settings.keepalive_intvl_s)) ||
	    nla_put_u32(msg, FH_A_KEEPALIVE_CNT,
			READ_ONCE(fh_settings.keepalive_cnt)) ||
	    nla_put_u32(msg, FH_A_HTTP_HEADER_TIMEOUT_MS,
			READ_ONCE(fh_settings.http_header_timeout_ms)) ||
	    nla_put_u32(msg, FH_A_HTTP_MAX_HEADER,
			READ_ONCE(fh_settings.http_max_header)) ||
	    nla_put_u32(msg, FH_A_HTTP_PIN_LIMIT,
			READ_ONCE(fh_settings.http_pin_limit)) ||
	    nla_put_u32(msg, FH_A_SOURCE_PREFIX6,
			READ_ONCE(fh_settings.source_prefix6))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int fh_check_timeout(struct genl_info *info, int attr)
{
	u32 v;

	if (!info->attrs[attr])
		return 0;
	v = nla_get_u32(info->attrs[attr]);
	if (v && v < FH_TIMEOUT_MIN_MS) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[attr],
				    "timeout below the minimum of 100 ms");
		return -EINVAL;
	}
	return 0;
}

static void fh_wake_workers(void)
{
	unsigned int cpu;

	/* Timeouts changed: let sleeping workers recompute their deadline. */
	for_each_possible_cpu(cpu)
		if (fh_worker_of(cpu))
			wake_up_process(fh_worker_of(cpu)->task);
}

static int fh_nl_settings_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	int ret;

	if (!a[FH_A_MAX_CONNS] && !a[FH_A_MAX_CONNS_PER_SOURCE] &&
	    !a[FH_A_IDLE_TIMEOUT_MS] &&
	    !a[FH_A_SEND_TIMEOUT_MS] && !a[FH_A_KEEPALIVE_S] &&
	    !a[FH_A_KEEPALIVE_INTVL_S] && !a[FH_A_KEEPALIVE_CNT] &&
	    !a[FH_A_HTTP_HEADER_TIMEOUT_MS] && !a[FH_A_HTTP_MAX_HEADER] &&
	    !a[FH_A_HTTP_PIN_LIMIT] && !a[FH_A_SOURCE_PREFIX6]) {
		NL_SET_ERR_MSG(info->extack, "no setting given");
		return -EINVAL;
	}
	ret = fh_check_timeout(info, FH_A_IDLE_TIMEOUT_MS) ?:
	      fh_check_timeout(info, FH_A_SEND_TIMEOUT_MS) ?:
	      fh_check_timeout(info, FH_A_HTTP_HEADER_TIMEOUT_MS);
	if (ret)
		return ret;
	if (a[FH_A_MAX_CONNS])
		WRITE_ONCE(fh_settings.max_conns, nla_get_u32(a[FH_A_MAX_CONNS]));
	if (a[FH_A_MAX_CONNS_PER_SOURCE])
		WRITE_ONCE(fh_settings.max_conns_per_source,
			   nla_get_u32(a[FH_A_MAX_CONNS_PER_SOURCE]));
	if (a[FH_A_IDLE_TIMEOUT_MS])
		WRITE_ONCE(fh_settings.idle_timeout_ms,
			   nla_get_u32(a[FH_A_IDLE_TIMEOUT_MS]));
	if (a[FH_A_SEND_TIMEOUT_MS])
		WRITE_ONCE(fh_settings.send_timeout_ms,
			   nla_get_u32(a[FH_A_SEND_TIMEOUT_MS]));
	/* Keepalive: read at accept, so it needs no wakeup. */
	if (a[FH_A_KEEPALIVE_S])
		WRITE_ONCE(fh_settings.keepalive_s,
			   nla_get_u32(a[FH_A_KEEPALIVE_S]));
	if (a[FH_A_KEEPALIVE_INTVL_S])
		WRITE_ONCE(fh_settings.keepalive_intvl_s,
			   nla_get_u32(a[FH_A_KEEPALIVE_INTVL_S]));
	if (a[FH_A_KEEPALIVE_CNT])
		WRITE_ONCE(fh_settings.keepalive_cnt,
			   nla_get_u32(a[FH_A_KEEPALIVE_CNT]));
	if (a[FH_A_HTTP_HEADER_TIMEOUT_MS])
		WRITE_ONCE(fh_settings.http_header_timeout_ms,
			   nla_get_u32(a[FH_A_HTTP_HEADER_TIMEOUT_MS]));
	/* Read as each request head is parsed. */
	if (a[FH_A_HTTP_MAX_HEADER])
		WRITE_ONCE(fh_settings.http_max_header,
			   nla_get_u32(a[FH_A_HTTP_MAX_HEADER]));
	/* Read by the loader as it decides to fill a cache. */
	if (a[FH_A_HTTP_PIN_LIMIT])
		WRITE_ONCE(fh_settings.http_pin_limit,
			   nla_get_u32(a[FH_A_HTTP_PIN_LIMIT]));
	/* Read at accept; a connection keeps the source it was counted by. */
	if (a[FH_A_SOURCE_PREFIX6])
		WRITE_ONCE(fh_settings.source_prefix6,
			   nla_get_u32(a[FH_A_SOURCE_PREFIX6]));
	fh_wake_workers();
	return 0;
}

struct fh_cache_flush_ctx {
	const struct fh_listen_req *req;	/* NULL: every listener */
	bool found, flushable;
};

static int fh_cache_flush_one(const struct fh_listener *l, void *arg)
{
	struct fh_cache_flush_ctx *ctx = arg;
	bool flushable = l->site && l->proto->site_flush;

	if (ctx->req && !fh_listener_is(l, ctx->req))
		return 0;
	if (flushable)
		l->proto->site_flush(l->site);
	ctx->found = true;
	ctx->flushable = flushable;
	return !!ctx->req;	/* one listener named: done */
}

static int fh_nl_cache_flush(struct sk_buff *skb, struct genl_info *info)
{
	struct fh_cache_flush_ctx ctx = { };
	struct fh_listen_req req = { };
	struct nlattr **a = info->attrs;
	int ret;

	if (a[FH_A_FAMILY] || a[FH_A_ADDR] || a[FH_A_PORT]) {
		ret = fh_parse_addr(info, &req);
		if (ret)
			return ret;
		ctx.req = &req;
	}
	fh_listener_walk(genl_info_net(info), 0, fh_cache_flush_one, &ctx);
	if (!ctx.req)
		return 0;
	if (!ctx.found) {
		NL_SET_ERR_MSG(info->extack, "no firehose listener has this address");
		return -ENOENT;
	}
	if (!ctx.flushable) {
		NL_SET_ERR_MSG(info->extack, "this listener's protocol has no cache");
		return -EOPNOTSUPP;
	}
	return 0;
}

static int fh_cache_fill(struct sk_buff *skb, const struct fh_listener *l,
			 const struct fh_site_info *si, u32 portid, u32 seq)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &fh_genl_family, NLM_F_MULTI,
			  FH_CMD_CACHE_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (fh_put_listener_addr(skb, l) ||
	    nla_put_u64_64bit(skb, FH_A_LISTENER_CACHE, si->cache_limit, FH_A_PAD) ||
	    nla_put_u64_64bit(skb, FH_A_CACHE_BYTES, si->cache_bytes, FH_A_PAD) ||
	    nla_put_u64_64bit(skb, FH_A_CACHE_ENTRIES, si->cache_entries, FH_A_PAD) ||
	    nla_put_u64_64bit(skb, FH_A_CACHE_HITS, si->hits, FH_A_PAD) ||
	    nla_put_u64_64bit(skb, FH_A_CACHE_MISSES, si->misses, FH_A_PAD) ||
	    nla_put_u64_64bit(skb, FH_A_CACHE_EVICTIONS, si->evictions, FH_A_PAD) ||
	    nla_put_u64_64bit(skb, FH_A_CACHE_INVALIDATIONS, si->invalidations,
			      FH_A_PAD) ||
	    nla_put_u64_64bit(skb, FH_A_CACHE_LOADS, si->loads, FH_A_PAD) ||
	    nla_put_u64_64bit(skb, FH_A_CACHE_PINNED, si->pinned, FH_A_PAD)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int fh_cache_dump_one(const struct fh_listener *l, void *arg)
{
	struct fh_listener_dump_ctx *ctx = arg;
	struct fh_site_info si;

	if (!fh_listener_site_info(l, &si))
		return 0;	/* no site, no cache: not listed */
	ctx->err = fh_cache_fill(ctx->skb, l, &si, NETLINK_CB(ctx->cb->skb).portid,
				 ctx->cb->nlh->nlmsg_seq);
	return ctx->err;
}

static int fh_nl_cache_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct fh_listener_dump_ctx ctx = { .skb = skb, .cb = cb };

	cb->args[0] = fh_listener_walk(sock_net(skb->sk), cb->args[0],
				       fh_cache_dump_one, &ctx);
	return fh_dump_end(skb, &ctx);
}

static int fh_log_fill(const struct fh_log_rec *rec, void *arg)
{
	struct fh_listener_dump_ctx *ctx = arg;
	struct netlink_callback *cb = ctx->cb;
	struct sk_buff *skb = ctx->skb;
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &fh_genl_family, NLM_F_MULTI, FH_CMD_LOG_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, FH_A_LOG_TIME, rec->time, FH_A_PAD) ||
	    nla_put_u16(skb, FH_A_FAMILY, rec->family) ||
	    nla_put(skb, FH_A_ADDR, rec->family == AF_INET ? 4 : 16, rec->addr) ||
	    nla_put_u16(skb, FH_A_PORT, rec->lport) ||
	    (rec->method[0] &&
	     (nla_put_string(skb, FH_A_LOG_METHOD, rec->method) ||
	      nla_put_string(skb, FH_A_LOG_TARGET, rec->target))) ||
	    nla_put_u8(skb, FH_A_LOG_VERSION, rec->version) ||
	    nla_put_u16(skb, FH_A_LOG_STATUS, rec->status) ||
	    nla_put_u64_64bit(skb, FH_A_LOG_BYTES, rec->bytes, FH_A_PAD) ||
	    (rec->upstream[0] &&
	     (nla_put_string(skb, FH_A_LOG_UPSTREAM, rec->upstream) ||
	      nla_put_u16(skb, FH_A_LOG_UPSTREAM_STATUS, rec->upstream_status) ||
	      nla_put_u32(skb, FH_A_LOG_UPSTREAM_TIME_US, rec->upstream_us)))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* A dump reads what there is when it starts, not what comes after. */
static int fh_log_dump_start(struct netlink_callback *cb)
{
	cb->args[0] = 0;		/* the CPU whose ring is read */
	cb->args[1] = fh_log_pending();	/* records left to read */
	return 0;
}

static int fh_nl_log_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct fh_listener_dump_ctx ctx = { .skb = skb, .cb = cb };
	unsigned int cpu = cb->args[0];
	u64 budget = cb->args[1];
	int ret;

	ret = fh_log_read(&cpu, &budget, fh_log_fill, &ctx);
	cb->args[0] = cpu;
	cb->args[1] = budget;
	/* A record that fits no empty message cannot be: the attributes are bounded. */
	if (ret && !skb->len)
		return ret;
	return skb->len;
}

static u32 fh_get_u32(struct genl_info *info, int attr, u32 def)
{
	return info->attrs[attr] ? nla_get_u32(info->attrs[attr]) : def;
}

static int fh_nl_upstream_add(struct sk_buff *skb, struct genl_info *info)
{
	struct fh_upstream_req req = { };
	int ret;

	ret = fh_require(info, FH_A_UPSTREAM_NAME, "missing upstream name") ?:
	      fh_require(info, FH_A_UPSTREAM_SERVER, "an upstream needs a server");
	if (ret)
		return ret;
	req.name = nla_data(info->attrs[FH_A_UPSTREAM_NAME]);
	ret = fh_parse_multi(info, FH_A_UPSTREAM_SERVER, req.servers,
			     FH_UPSTREAM_SERVERS_MAX, &req.nr_servers);
	if (ret)
		return ret;
	req.keepalive = fh_get_u32(info, FH_A_UPSTREAM_KEEPALIVE, 32);
	req.connect_ms = fh_get_u32(info, FH_A_UPSTREAM_CONNECT_TIMEOUT_MS, 60000);
	req.read_ms = fh_get_u32(info, FH_A_UPSTREAM_READ_TIMEOUT_MS, 60000);
	req.max_fails = fh_get_u32(info, FH_A_UPSTREAM_MAX_FAILS, 1);
	req.fail_ms = fh_get_u32(info, FH_A_UPSTREAM_FAIL_TIMEOUT_MS, 10000);
	return fh_upstream_add(genl_info_net(info), &req, info->extack);
}

static int fh_nl_upstream_del(struct sk_buff *skb, struct genl_info *info)
{
	int ret = fh_require(info, FH_A_UPSTREAM_NAME, "missing upstream name");

	if (ret)
		return ret;
	return fh_upstream_del(genl_info_net(info),
			       nla_data(info->attrs[FH_A_UPSTREAM_NAME]),
			       info->extack);
}

static int fh_upstream_fill(struct sk_buff *skb, const struct fh_upstream *up,
			    u32 portid, u32 seq, int flags)
{
	struct fh_upstream_info ui;
	unsigned int i;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &fh_genl_family, flags,
			  FH_CMD_UPSTREAM_GET);
	if (!hdr)
		return -EMSGSIZE;
	fh_upstream_info(up, &ui);
	if (nla_put_string(skb, FH_A_UPSTREAM_NAME, up->name))
		goto cancel;
	for (i = 0; i < up->nr_servers; i++)
		if (nla_put_string(skb, FH_A_UPSTREAM_SERVER, up->servers[i].name))
			goto cancel;
	if (nla_put_u32(skb, FH_A_UPSTREAM_KEEPALIVE, up->keepalive) ||
	    nla_put_u32(skb, FH_A_UPSTREAM_CONNECT_TIMEOUT_MS, up->connect_ms) ||
	    nla_put_u32(skb, FH_A_UPSTREAM_READ_TIMEOUT_MS, up->read_ms) ||
	    nla_put_u32(skb, FH_A_UPSTREAM_MAX_FAILS, up->max_fails) ||
	    nla_put_u32(skb, FH_A_UPSTREAM_FAIL_TIMEOUT_MS, up->fail_ms) ||
	    nla_put_u32(skb, FH_A_UPSTREAM_USERS, up->users) ||
	    nla_put_u64_64bit(skb, FH_A_UPSTREAM_REQUESTS, ui.requests, FH_A_PAD) ||
	    nla_put_u64_64bit(skb, FH_A_UPSTREAM_CONNECTS, ui.connects, FH_A_PAD) ||
	    nla_put_u64_64bit(skb, FH_A_UPSTREAM_REUSES, ui.reuses, FH_A_PAD) ||
	    nla_put_u64_64bit(skb, FH_A_UPSTREAM_FAILS, ui.fails, FH_A_PAD))
		goto cancel;
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

struct fh_upstream_dump_ctx {
	struct sk_buff *skb;
	u32 portid, seq;
	int flags;
	int err;
	bool found;
};

static int fh_upstream_dump_one(const struct fh_upstream *up, void *arg)
{
	struct fh_upstream_dump_ctx *ctx = arg;

	ctx->found = true;
	ctx->err = fh_upstream_fill(ctx->skb, up, ctx->portid, ctx->seq,
				    ctx->flags);
	return ctx->err;
}

static int fh_nl_upstream_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct fh_upstream_dump_ctx ctx = {
		.skb = skb,
		.portid = NETLINK_CB(cb->skb).portid,
		.seq = cb->nlh->nlmsg_seq,
		.flags = NLM_F_MULTI,
	};

	cb->args[0] = fh_upstream_walk(sock_net(skb->sk), cb->args[0], NULL,
				       fh_upstream_dump_one, &ctx);
	return ctx.err && !skb->len ? ctx.err : skb->len;
}

static int fh_nl_upstream_get(struct sk_buff *skb, struct genl_info *info)
{
	struct fh_upstream_dump_ctx ctx = { .portid = info->snd_portid,
					    .seq = info->snd_seq };
	int ret;

	ret = fh_require(info, FH_A_UPSTREAM_NAME, "missing upstream name");
	if (ret)
		return ret;
	ctx.skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!ctx.skb)
		return -ENOMEM;
	fh_upstream_walk(genl_info_net(info), 0,
			 nla_data(info->attrs[FH_A_UPSTREAM_NAME]),
			 fh_upstream_dump_one, &ctx);
	if (!ctx.found || ctx.err) {
		nlmsg_free(ctx.skb);
		if (!ctx.found)
			GENL_SET_ERR_MSG(info, "no upstream has this name");
		return ctx.found ? ctx.err : -ENOENT;
	}
	return genlmsg_reply(ctx.skb, info);
}

static const struct genl_ops fh_genl_ops[] = {
	{
		.cmd = FH_CMD_LISTENER_ADD,
		.doit = fh_nl_listener_add,
		.policy = fh_listener_add_policy,
		.maxattr = FH_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = FH_CMD_LISTENER_DEL,
		.doit = fh_nl_listener_del,
		.policy = fh_listener_del_policy,
		.maxattr = FH_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = FH_CMD_LISTENER_SET,
		.doit = fh_nl_listener_set,
		.policy = fh_listener_set_policy,
		.maxattr = FH_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = FH_CMD_LISTENER_GET,
		.start = fh_listener_dump_start,
		.dumpit = fh_nl_listener_dump,
		.policy = fh_empty_policy,
		.maxattr = FH_A_MAX,
	},
	{
		.cmd = FH_CMD_STATS_GET,
		.doit = fh_nl_stats_get,
		.policy = fh_empty_policy,
		.maxattr = FH_A_MAX,
	},
	{
		.cmd = FH_CMD_SETTINGS_GET,
		.doit = fh_nl_settings_get,
		.policy = fh_empty_policy,
		.maxattr = FH_A_MAX,
	},
	{
		.cmd = FH_CMD_SETTINGS_SET,
		.doit = fh_nl_settings_set,
		.policy = fh_settings_policy,
		.maxattr = FH_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = FH_CMD_CACHE_FLUSH,
		.doit = fh_nl_cache_flush,
		.policy = fh_listener_del_policy,
		.maxattr = FH_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = FH_CMD_CACHE_GET,
		.dumpit = fh_nl_cache_dump,
		.policy = fh_empty_policy,
		.maxattr = FH_A_MAX,
	},
	{
		.cmd = FH_CMD_LOG_GET,
		.start = fh_log_dump_start,
		.dumpit = fh_nl_log_dump,
		.policy = fh_empty_policy,
		.maxattr = FH_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = FH_CMD_UPSTREAM_ADD,
		.doit = fh_nl_upstream_add,
		.policy = fh_upstream_add_policy,
		.maxattr = FH_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = FH_CMD_UPSTREAM_DEL,
		.doit = fh_nl_upstream_del,
		.policy = fh_upstream_name_policy,
		.maxattr = FH_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = FH_CMD_UPSTREAM_GET,
		.doit = fh_nl_upstream_get,
		.dumpit = fh_nl_upstream_dump,
		.policy = fh_upstream_name_policy,
		.maxattr = FH_A_MAX,
	},
};

struct genl_family fh_genl_family __ro_after_init = {
	.name = FH_GENL_NAME,
	.version = FH_GENL_VERSION,
	.maxattr = FH_A_MAX,
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = fh_genl_ops,
	.n_ops = ARRAY_SIZE(fh_genl_ops),
	/*
	 * No resv_start_op: every command gets the strict checks (reserved
	 * header field zero, no unknown attributes). Handlers serialize on
	 * the configuration mutex themselves, so the genl mutex need not be
	 * held while one waits on the workers.
	 */
	.parallel_ops = true,
};

int fh_netlink_init(void)
{
	fh_protos_opts_policy(fh_listener_add_policy);
	fh_protos_opts_policy(fh_listener_set_policy);
	return genl_register_family(&fh_genl_family);
}

void fh_netlink_exit(void)
{
	genl_unregister_family(&fh_genl_family);
}
