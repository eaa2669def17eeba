// SPDX-License-Identifier: GPL-2.0
/*
 * netlink/firehose.yaml cannot drift from the kernel: the live "firehose"
 * family's commands (CTRL_CMD_GETFAMILY) and its attribute policies
 * (CTRL_CMD_GETPOLICY) are compared with the spec, both ways. Every command
 * the kernel has is in the spec with the same value, flags and do/dump, and
 * the other way round; every request accepts exactly the attributes the
 * spec lists, with the spec's types; every range and length the kernel
 * enforces is one of the spec's checks, and every check of the spec is
 * enforced.
 *
 * The guest has no repository: spec_gen.py compiles the spec into
 * spec_gen.h at build time, with each name as its uAPI constant too, so a
 * spec name include/uapi/firehose.h lacks does not even build.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "fh_util.h"
#include "fh_harness.h"
#include "uapi/firehose.h"

/* ---- the spec, as spec_gen.py writes it --------------------------------- */

struct spec_attr {
	const char *name;
	unsigned int value;	/* as the spec numbers it */
	int uapi;		/* the uAPI constant of the same name */
	const char *type;	/* "u32", "string", ... */
	bool unterminated_ok, multi_attr;
	int nested;		/* index in spec_sets, -1 if none */
	/* checks; min/max hold an s64 as two's complement for signed types */
	bool has_min, has_max, has_min_len, has_max_len;
	uint64_t min, max;
	uint32_t min_len, max_len;
};

struct spec_set {
	const char *name;
	const struct spec_attr *attrs;
	unsigned int n;
};

struct spec_op {
	const char *name;
	unsigned int value;
	int uapi;
	int set;		/* index in spec_sets */
	bool admin_perm, uns_admin_perm;
	bool has_do, has_dump;
	const unsigned int *do_req, *dump_req;	/* attribute values */
	unsigned int n_do_req, n_dump_req;
};

#include "spec_gen.h"

#define NSPEC_OPS	(sizeof(spec_ops) / sizeof(spec_ops[0]))
#define NSPEC_SETS	(sizeof(spec_sets) / sizeof(spec_sets[0]))

static const struct spec_attr *spec_attr(int set, uint32_t value)
{
	if (set < 0)
		return NULL;
	for (unsigned int i = 0; i < spec_sets[set].n; i++)
		if (spec_sets[set].attrs[i].value == value)
			return &spec_sets[set].attrs[i];
	return NULL;
}

static const struct spec_op *spec_op(uint32_t value)
{
	for (size_t i = 0; i < NSPEC_OPS; i++)
		if (spec_ops[i].value == value)
			return &spec_ops[i];
	return NULL;
}

/* ---- the kernel, as the generic netlink controller describes it --------- */

#define RX_LEN		(256 * 1024)
#define K_MAX_OPS	256	/* a command is a u8 */
#define K_MAX_POLICIES	64
#define K_MAX_ATTR	255

/* One attribute of one policy: NL_POLICY_TYPE_ATTR_*. */
struct kattr {
	bool present;
	uint32_t type;		/* NL_ATTR_TYPE_* */
	bool has_min_u, has_max_u, has_min_s, has_max_s;
	bool has_min_len, has_max_len, has_mask, has_pidx;
	uint64_t min_u, max_u, mask;
	int64_t min_s, max_s;
	uint32_t min_len, max_len, pidx;
};

struct kpolicy {
	bool referenced;	/* by an op, or by a nest of another policy */
	int set;		/* the spec's attribute set for it, -1 unknown */
	struct kattr a[K_MAX_ATTR + 1];
};

struct kop {
	bool present;
	uint32_t flags;		/* GENL_ADMIN_PERM, GENL_CMD_CAP_* */
	bool has_do_pol, has_dump_pol;
	uint32_t do_pol, dump_pol;
};

struct kfamily {
	uint16_t id;
	uint32_t version, maxattr;
	struct kop ops[K_MAX_OPS];
	struct kpolicy pol[K_MAX_POLICIES];
	char broken[256];	/* why a reply could not be read, if one could not */
};

static void __attribute__((format(printf, 2, 3)))
broken(struct kfamily *k, const char *fmt, ...)
{
	va_list ap;

	if (k->broken[0])
		return;
	va_start(ap, fmt);
	vsnprintf(k->broken, sizeof(k->broken), fmt, ap);
	va_end(ap);
}

struct nl {
	struct mnl_socket *sock;
	uint32_t seq;
	_Alignas(NLMSG_ALIGNTO) char tx[1024];
	char *rx;
};

/* Send req and feed each reply to cb until the ack or the end of the dump. */
static int nl_talk(struct nl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	bool cb_failed = false;

	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return -1;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->rx, RX_LEN);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)nl->rx;
		int len = (int)n;

		if (n < 0)
			return -1;
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != req->nlmsg_seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
					return -1;
				return e->error ? -e->error : cb_failed ? -1 : 0;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				int err = 0;

				if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err))
					memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
				return err ? -err : cb_failed ? -1 : 0;
			}
			if (cb(nlh, data) != MNL_CB_OK)
				cb_failed = true;
		}
	}
}

static struct nlmsghdr *ctrl_msg(struct nl *nl, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->tx);
	struct genlmsghdr *gh;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	gh = mnl_nlmsg_put_extra_header(nlh, sizeof(*gh));
	gh->cmd = cmd;
	gh->version = 2;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, SPEC_FAMILY_NAME);
	return nlh;
}

/* CTRL_ATTR_OPS: a nest of nests, each with an op's id and flags. */
static int op_cb(const struct nlattr *a, void *data)
{
	struct kfamily *k = data;
	const struct nlattr *x;
	bool have_id = false;
	uint32_t id = 0, flags = 0;

	if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
		return MNL_CB_ERROR;
	mnl_attr_for_each_nested(x, a) {
		if (mnl_attr_validate(x, MNL_TYPE_U32) < 0)
			continue;
		if (mnl_attr_get_type(x) == CTRL_ATTR_OP_ID) {
			id = mnl_attr_get_u32(x);
			have_id = true;
		} else if (mnl_attr_get_type(x) == CTRL_ATTR_OP_FLAGS) {
			flags = mnl_attr_get_u32(x);
		}
	}
	if (!have_id || id >= K_MAX_OPS) {
		broken(k, "an op without an id, or with id %u", id);
		return MNL_CB_ERROR;
	}
	k->ops[id].present = true;
	k->ops[id].flags = flags;
	return MNL_CB_OK;
}

static int family_attr_cb(const struct nlattr *a, void *data)
{
	struct kfamily *k = data;

	switch (mnl_attr_get_type(a)) {
	case CTRL_ATTR_FAMILY_ID:
		if (mnl_attr_validate(a, MNL_TYPE_U16) == 0)
			k->id = mnl_attr_get_u16(a);
		break;
	case CTRL_ATTR_VERSION:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			k->version = mnl_attr_get_u32(a);
		break;
	case CTRL_ATTR_MAXATTR:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			k->maxattr = mnl_attr_get_u32(a);
		break;
	case CTRL_ATTR_OPS:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			return MNL_CB_ERROR;
		return mnl_attr_parse_nested(a, op_cb, k);
	}
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb, data);
}

/* CTRL_ATTR_OP_POLICY: { cmd: { CTRL_ATTR_POLICY_DO, CTRL_ATTR_POLICY_DUMP } } */
static int op_policy_cb(const struct nlattr *a, void *data)
{
	struct kfamily *k = data;
	unsigned int cmd = mnl_attr_get_type(a);
	const struct nlattr *x;

	if (cmd >= K_MAX_OPS || mnl_attr_validate(a, MNL_TYPE_NESTED) < 0) {
		broken(k, "op policy for command %u", cmd);
		return MNL_CB_ERROR;
	}
	mnl_attr_for_each_nested(x, a) {
		uint32_t idx;

		if (mnl_attr_validate(x, MNL_TYPE_U32) < 0)
			continue;
		idx = mnl_attr_get_u32(x);
		if (idx >= K_MAX_POLICIES) {
			broken(k, "policy index %u", idx);
			return MNL_CB_ERROR;
		}
		if (mnl_attr_get_type(x) == CTRL_ATTR_POLICY_DO) {
			k->ops[cmd].has_do_pol = true;
			k->ops[cmd].do_pol = idx;
		} else if (mnl_attr_get_type(x) == CTRL_ATTR_POLICY_DUMP) {
			k->ops[cmd].has_dump_pol = true;
			k->ops[cmd].dump_pol = idx;
		}
		k->pol[idx].referenced = true;
	}
	return MNL_CB_OK;
}

/* One attribute of one policy: { policy idx: { attr: { NL_POLICY_TYPE_ATTR_* } } } */
static int policy_attr_cb(const struct nlattr *a, void *data)
{
	struct kfamily *k = data;
	unsigned int idx = mnl_attr_get_type(a);
	const struct nlattr *an, *x;

	if (idx >= K_MAX_POLICIES || mnl_attr_validate(a, MNL_TYPE_NESTED) < 0) {
		broken(k, "policy index %u", idx);
		return MNL_CB_ERROR;
	}
	mnl_attr_for_each_nested(an, a) {
		unsigned int type = mnl_attr_get_type(an);
		struct kattr *ka;

		if (type > K_MAX_ATTR || mnl_attr_validate(an, MNL_TYPE_NESTED) < 0) {
			broken(k, "policy %u: attribute %u", idx, type);
			return MNL_CB_ERROR;
		}
		ka = &k->pol[idx].a[type];
		ka->present = true;
		mnl_attr_for_each_nested(x, an) {
			uint16_t t = mnl_attr_get_type(x);
			bool u32 = mnl_attr_get_payload_len(x) == sizeof(uint32_t);
			bool u64 = mnl_attr_get_payload_len(x) == sizeof(uint64_t);

			if (t == NL_POLICY_TYPE_ATTR_TYPE && u32) {
				ka->type = mnl_attr_get_u32(x);
			} else if (t == NL_POLICY_TYPE_ATTR_MIN_VALUE_U && u64) {
				ka->has_min_u = true;
				ka->min_u = mnl_attr_get_u64(x);
			} else if (t == NL_POLICY_TYPE_ATTR_MAX_VALUE_U && u64) {
				ka->has_max_u = true;
				ka->max_u = mnl_attr_get_u64(x);
			} else if (t == NL_POLICY_TYPE_ATTR_MIN_VALUE_S && u64) {
				ka->has_min_s = true;
				ka->min_s = (int64_t)mnl_attr_get_u64(x);
			} else if (t == NL_POLICY_TYPE_ATTR_MAX_VALUE_S && u64) {
				ka->has_max_s = true;
				ka->max_s = (int64_t)mnl_attr_get_u64(x);
			} else if (t == NL_POLICY_TYPE_ATTR_MIN_LENGTH && u32) {
				ka->has_min_len = true;
				ka->min_len = mnl_attr_get_u32(x);
			} else if (t == NL_POLICY_TYPE_ATTR_MAX_LENGTH && u32) {
				ka->has_max_len = true;
				ka->max_len = mnl_attr_get_u32(x);
			} else if (t == NL_POLICY_TYPE_ATTR_MASK && u64) {
				ka->has_mask = true;
				ka->mask = mnl_attr_get_u64(x);
			} else if (t == NL_POLICY_TYPE_ATTR_BITFIELD32_MASK && u32) {
				ka->has_mask = true;
				ka->mask = mnl_attr_get_u32(x);
			} else if (t == NL_POLICY_TYPE_ATTR_POLICY_IDX && u32) {
				ka->has_pidx = true;
				ka->pidx = mnl_attr_get_u32(x);
				if (ka->pidx >= K_MAX_POLICIES) {
					broken(k, "nested policy index %u", ka->pidx);
					return MNL_CB_ERROR;
				}
				k->pol[ka->pidx].referenced = true;
			}
		}
	}
	return MNL_CB_OK;
}

static int policy_cb_attr(const struct nlattr *a, void *data)
{
	switch (mnl_attr_get_type(a)) {
	case CTRL_ATTR_OP_POLICY:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			return MNL_CB_ERROR;
		return mnl_attr_parse_nested(a, op_policy_cb, data);
	case CTRL_ATTR_POLICY:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			return MNL_CB_ERROR;
		return mnl_attr_parse_nested(a, policy_attr_cb, data);
	}
	return MNL_CB_OK;
}

static int policy_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), policy_cb_attr, data);
}

/*
 * Which spec attribute set each policy validates: an op's own policies are
 * of the op's set, a nest's policy of the nest's nested-attributes.
 */
static void assign_sets(struct kfamily *k)
{
	bool changed = true;

	for (unsigned int p = 0; p < K_MAX_POLICIES; p++)
		k->pol[p].set = -1;
	for (unsigned int c = 0; c < K_MAX_OPS; c++) {
		const struct spec_op *so = spec_op(c);
		const struct kop *o = &k->ops[c];

		if (!o->present || !so)
			continue;
		if (o->has_do_pol)
			k->pol[o->do_pol].set = so->set;
		if (o->has_dump_pol)
			k->pol[o->dump_pol].set = so->set;
	}
	while (changed) {
		changed = false;
		for (unsigned int p = 0; p < K_MAX_POLICIES; p++) {
			for (unsigned int t = 0; t <= K_MAX_ATTR; t++) {
				const struct kattr *ka = &k->pol[p].a[t];
				const struct spec_attr *sa = spec_attr(k->pol[p].set, t);

				if (!ka->present || !ka->has_pidx || !sa || sa->nested < 0 ||
				    k->pol[ka->pidx].set >= 0)
					continue;
				k->pol[ka->pidx].set = sa->nested;
				changed = true;
			}
		}
	}
}

/* 0, or the errno of the request that failed (-1: the reply did not parse). */
static int kernel_read(struct kfamily *k)
{
	struct timeval tv = { .tv_sec = 10 };
	struct nl nl = { 0 };
	int one = 1, ret = -1;

	nl.rx = malloc(RX_LEN);
	nl.sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl.rx || !nl.sock ||
	    mnl_socket_setsockopt(nl.sock, NETLINK_CAP_ACK, &one, sizeof(one)) ||
	    setsockopt(mnl_socket_get_fd(nl.sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    mnl_socket_bind(nl.sock, 0, MNL_SOCKET_AUTOPID))
		goto out;
	ret = nl_talk(&nl, ctrl_msg(&nl, CTRL_CMD_GETFAMILY, 0), family_cb, k);
	if (ret)
		goto out;
	ret = nl_talk(&nl, ctrl_msg(&nl, CTRL_CMD_GETPOLICY, NLM_F_DUMP), policy_cb, k);
	if (ret)
		goto out;
	assign_sets(k);
out:
	if (nl.sock)
		mnl_socket_close(nl.sock);
	free(nl.rx);
	return ret;
}

/* ---- comparing them ------------------------------------------------------ */

/* "listener-add do, stats-get do": the requests a policy validates. */
static const char *policy_users(const struct kfamily *k, uint32_t p, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned int c = 0; c < K_MAX_OPS && len < size; c++) {
		const struct spec_op *so = spec_op(c);
		const struct kop *o = &k->ops[c];
		char name[32];

		if (!o->present)
			continue;
		if (so)
			snprintf(name, sizeof(name), "%s", so->name);
		else
			snprintf(name, sizeof(name), "command %u", c);
		if (o->has_do_pol && o->do_pol == p)
			len += (size_t)snprintf(buf + len, size - len, "%s%s do", len ? ", " : "", name);
		if (o->has_dump_pol && o->dump_pol == p && len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s dump", len ? ", " : "",
						name);
	}
	if (!buf[0])
		snprintf(buf, size, "a nested policy %u", p);
	return buf;
}

static const char *nl_type_name(uint32_t t)
{
	static const char *const names[] = {
		[NL_ATTR_TYPE_INVALID] = "invalid", [NL_ATTR_TYPE_FLAG] = "flag",
		[NL_ATTR_TYPE_U8] = "u8", [NL_ATTR_TYPE_U16] = "u16",
		[NL_ATTR_TYPE_U32] = "u32", [NL_ATTR_TYPE_U64] = "u64",
		[NL_ATTR_TYPE_S8] = "s8", [NL_ATTR_TYPE_S16] = "s16",
		[NL_ATTR_TYPE_S32] = "s32", [NL_ATTR_TYPE_S64] = "s64",
		[NL_ATTR_TYPE_BINARY] = "binary", [NL_ATTR_TYPE_STRING] = "string",
		[NL_ATTR_TYPE_NUL_STRING] = "nul-string", [NL_ATTR_TYPE_NESTED] = "nested",
		[NL_ATTR_TYPE_NESTED_ARRAY] = "nested-array",
		[NL_ATTR_TYPE_BITFIELD32] = "bitfield32",
	};

	return t < sizeof(names) / sizeof(names[0]) && names[t] ? names[t] : "unknown";
}

/* The NL_ATTR_TYPE_* the kernel dumps for a spec attribute; -1 for none (pad). */
static int spec_nl_type(const struct spec_attr *sa)
{
	static const struct { const char *spec; int nl; } map[] = {
		{ "flag", NL_ATTR_TYPE_FLAG }, { "binary", NL_ATTR_TYPE_BINARY },
		{ "bitfield32", NL_ATTR_TYPE_BITFIELD32 },
		{ "u8", NL_ATTR_TYPE_U8 }, { "u16", NL_ATTR_TYPE_U16 },
		{ "u32", NL_ATTR_TYPE_U32 }, { "u64", NL_ATTR_TYPE_U64 },
		{ "s8", NL_ATTR_TYPE_S8 }, { "s16", NL_ATTR_TYPE_S16 },
		{ "s32", NL_ATTR_TYPE_S32 }, { "s64", NL_ATTR_TYPE_S64 },
		{ "nest", NL_ATTR_TYPE_NESTED }, { "indexed-array", NL_ATTR_TYPE_NESTED_ARRAY },
	};

	/* A spec string is NUL-terminated unless it says unterminated-ok. */
	if (!strcmp(sa->type, "string"))
		return sa->unterminated_ok ? NL_ATTR_TYPE_STRING : NL_ATTR_TYPE_NUL_STRING;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(sa->type, map[i].spec))
			return map[i].nl;
	return -1;
}

/*
 * The bounds a check puts on an attribute, with the type's own limits
 * (0..65535 for a u16, no length limit) counting as no check: the kernel
 * dumps those for every integer, and "max: u16-max" in the spec adds nothing.
 */
struct bounds {
	bool is_signed;
	bool has_min, has_max, has_min_len, has_max_len;
	uint64_t min, max;	/* s64 in two's complement when is_signed */
	uint32_t min_len, max_len;
};

static bool int_limits(uint32_t nl_type, bool *is_signed, uint64_t *lo, uint64_t *hi)
{
	switch (nl_type) {
	case NL_ATTR_TYPE_U8:	*lo = 0; *hi = UINT8_MAX; break;
	case NL_ATTR_TYPE_U16:	*lo = 0; *hi = UINT16_MAX; break;
	case NL_ATTR_TYPE_U32:	*lo = 0; *hi = UINT32_MAX; break;
	case NL_ATTR_TYPE_U64:	*lo = 0; *hi = UINT64_MAX; break;
	case NL_ATTR_TYPE_S8:	*lo = (uint64_t)INT8_MIN; *hi = INT8_MAX; break;
	case NL_ATTR_TYPE_S16:	*lo = (uint64_t)INT16_MIN; *hi = INT16_MAX; break;
	case NL_ATTR_TYPE_S32:	*lo = (uint64_t)INT32_MIN; *hi = INT32_MAX; break;
	case NL_ATTR_TYPE_S64:	*lo = (uint64_t)INT64_MIN; *hi = INT64_MAX; break;
	default:
		return false;
	}
	*is_signed = nl_type >= NL_ATTR_TYPE_S8 && nl_type <= NL_ATTR_TYPE_S64;
	return true;
}

static void kernel_bounds(const struct kattr *ka, struct bounds *b)
{
	uint64_t lo, hi;

	memset(b, 0, sizeof(*b));
	if (int_limits(ka->type, &b->is_signed, &lo, &hi)) {
		uint64_t min = b->is_signed ? (uint64_t)ka->min_s : ka->min_u;
		uint64_t max = b->is_signed ? (uint64_t)ka->max_s : ka->max_u;
		bool has_min = b->is_signed ? ka->has_min_s : ka->has_min_u;
		bool has_max = b->is_signed ? ka->has_max_s : ka->has_max_u;

		b->has_min = has_min && min != lo;
		b->min = min;
		b->has_max = has_max && max != hi;
		b->max = max;
	}
	b->has_min_len = ka->has_min_len && ka->min_len;
	b->min_len = ka->min_len;
	b->has_max_len = ka->has_max_len;
	b->max_len = ka->max_len;
}

static void spec_bounds(const struct spec_attr *sa, struct bounds *b)
{
	int t = spec_nl_type(sa);
	uint64_t lo = 0, hi = UINT64_MAX;

	memset(b, 0, sizeof(*b));
	if (t >= 0)
		int_limits((uint32_t)t, &b->is_signed, &lo, &hi);
	b->has_min = sa->has_min && sa->min != lo;
	b->min = sa->min;
	b->has_max = sa->has_max && sa->max != hi;
	b->max = sa->max;
	b->has_min_len = sa->has_min_len && sa->min_len;
	b->min_len = sa->min_len;
	b->has_max_len = sa->has_max_len;
	b->max_len = sa->max_len;
}

static const char *fmt_bound(const struct bounds *b, uint64_t v, char *buf, size_t size)
{
	if (b->is_signed)
		snprintf(buf, size, "%lld", (long long)(int64_t)v);
	else
		snprintf(buf, size, "%llu", (unsigned long long)v);
	return buf;
}

/*
 * Each bound of @have that @want lacks or holds with another value, as
 * log lines "<what> <bound> is <x> in <have_name>, <y or none> in <want_name>".
 * Returns how many.
 */
static int missing_bounds(struct __test_metadata *_metadata, const char *what,
			  const struct bounds *have, const char *have_name,
			  const struct bounds *want, const char *want_name)
{
	char x[32], y[32];
	int bad = 0;

#define CHECK_BOUND(field, label, fmt_x, fmt_y)						\
	do {										\
		if (have->has_##field &&						\
		    (!want->has_##field || want->field != have->field)) {		\
			TH_LOG("%s: %s is %s in %s, %s in %s", what, label, fmt_x,	\
			       have_name, want->has_##field ? fmt_y : "none", want_name);\
			bad++;								\
		}									\
	} while (0)

	CHECK_BOUND(min, "min", fmt_bound(have, have->min, x, sizeof(x)),
		    fmt_bound(want, want->min, y, sizeof(y)));
	CHECK_BOUND(max, "max", fmt_bound(have, have->max, x, sizeof(x)),
		    fmt_bound(want, want->max, y, sizeof(y)));
	snprintf(x, sizeof(x), "%u", have->min_len);
	snprintf(y, sizeof(y), "%u", want->min_len);
	CHECK_BOUND(min_len, "min-len", x, y);
	snprintf(x, sizeof(x), "%u", have->max_len);
	snprintf(y, sizeof(y), "%u", want->max_len);
	CHECK_BOUND(max_len, "max-len", x, y);
#undef CHECK_BOUND
	return bad;
}

/* ---- the fixture -------------------------------------------------------- */

FIXTURE(spec) {
	struct kfamily *k;
};

FIXTURE_SETUP(spec)
{
	int ret;

	ASSERT_EQ(0, fh_module_load());
	self->k = calloc(1, sizeof(*self->k));
	ASSERT_NE(NULL, self->k);
	ret = kernel_read(self->k);
	ASSERT_EQ(0, ret) TH_LOG("reading the family from the kernel: %s%s%s",
				 ret > 0 ? strerror(ret) : "reply did not parse",
				 self->k->broken[0] ? ": " : "", self->k->broken);
	ASSERT_NE(0, self->k->id);
}

FIXTURE_TEARDOWN(spec)
{
	free(self->k);
}

/* ---- the family ---------------------------------------------------------- */

TEST_F(spec, family_version_is_the_specs)
{
	EXPECT_EQ(SPEC_FAMILY_VERSION, (int)self->k->version);
}

TEST_F(spec, family_maxattr_is_the_last_attribute_of_the_commands_set)
{
	unsigned int max = 0;

	for (size_t i = 0; i < NSPEC_OPS; i++) {
		const struct spec_set *s = &spec_sets[spec_ops[i].set];

		for (unsigned int j = 0; j < s->n; j++)
			if (s->attrs[j].value > max)
				max = s->attrs[j].value;
	}
	EXPECT_EQ(max, self->k->maxattr);
}

/* The kernel knows its commands and attributes by the uAPI header's values. */
TEST_F(spec, spec_values_are_the_uapi_headers)
{
	int bad = 0;

	for (size_t i = 0; i < NSPEC_OPS; i++) {
		if (spec_ops[i].value == (unsigned int)spec_ops[i].uapi)
			continue;
		TH_LOG("command %s is %u in the spec, %d in the uAPI header", spec_ops[i].name,
		       spec_ops[i].value, spec_ops[i].uapi);
		bad++;
	}
	for (size_t s = 0; s < NSPEC_SETS; s++) {
		for (unsigned int j = 0; j < spec_sets[s].n; j++) {
			const struct spec_attr *sa = &spec_sets[s].attrs[j];

			if (sa->value == (unsigned int)sa->uapi)
				continue;
			TH_LOG("attribute %s/%s is %u in the spec, %d in the uAPI header",
			       spec_sets[s].name, sa->name, sa->value, sa->uapi);
			bad++;
		}
	}
	EXPECT_EQ(0, bad);
}

/*
 * The other way round: every attribute and counter of the uAPI header is in
 * the spec (a new one, such as the http site's, is described there too).
 */
TEST_F(spec, every_uapi_attribute_and_counter_is_in_the_spec)
{
	static const struct { const char *set; unsigned int max; } sets[] = {
		{ "firehose", FH_A_MAX }, { "stats", FH_STAT_MAX },
		{ "http-opts", FH_HTTP_OPT_MAX }, { "kv-opts", FH_KV_OPT_MAX },
	};
	/* Numbers of attributes that moved into a protocol's nest: never reused. */
	static const unsigned int reserved[] = {
		FH_A_RESERVED_19, FH_A_RESERVED_20, FH_A_RESERVED_21, FH_A_RESERVED_31,
		FH_A_RESERVED_41, FH_A_RESERVED_55, FH_A_RESERVED_56,
	};

	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		int set = -1;

		for (size_t s = 0; s < NSPEC_SETS; s++)
			if (!strcmp(spec_sets[s].name, sets[i].set))
				set = (int)s;
		ASSERT_NE(-1, set) TH_LOG("no attribute set %s in the spec", sets[i].set);
		for (unsigned int v = 1; v <= sets[i].max; v++) {
			bool is_reserved = false;
			int missing;

			for (size_t r = 0; r < sizeof(reserved) / sizeof(reserved[0]) && !i; r++)
				is_reserved |= reserved[r] == v;
			if (is_reserved) {
				EXPECT_EQ(NULL, spec_attr(set, v))
					TH_LOG("reserved attribute %u is in the spec", v);
				continue;
			}
			missing = !spec_attr(set, v);

			EXPECT_EQ(0, missing) TH_LOG("%s attribute %u of the uAPI header is not in the spec",
						   sets[i].set, v);
		}
	}
}

/* ---- commands ------------------------------------------------------------ */

TEST_F(spec, every_kernel_command_is_in_the_spec)
{
	int bad = 0;

	for (unsigned int c = 0; c < K_MAX_OPS; c++) {
		if (!self->k->ops[c].present || spec_op(c))
			continue;
		TH_LOG("the kernel has command %u, %s has none", c, SPEC_PATH);
		bad++;
	}
	EXPECT_EQ(0, bad);
}

TEST_F(spec, every_spec_command_is_in_the_kernel)
{
	int bad = 0;

	for (size_t i = 0; i < NSPEC_OPS; i++) {
		if (spec_ops[i].value < K_MAX_OPS && self->k->ops[spec_ops[i].value].present)
			continue;
		TH_LOG("%s has command %s (%u), the kernel does not", SPEC_PATH,
		       spec_ops[i].name, spec_ops[i].value);
		bad++;
	}
	EXPECT_EQ(0, bad);
}

TEST_F(spec, commands_need_cap_net_admin_where_the_spec_says)
{
	int bad = 0;

	for (size_t i = 0; i < NSPEC_OPS; i++) {
		const struct spec_op *so = &spec_ops[i];
		const struct kop *o = &self->k->ops[so->value % K_MAX_OPS];

		if (!o->present)
			continue;	/* every_spec_command_is_in_the_kernel says so */
		if (!!(o->flags & GENL_ADMIN_PERM) != so->admin_perm) {
			TH_LOG("%s: admin-perm %s in the kernel, %s in the spec", so->name,
			       o->flags & GENL_ADMIN_PERM ? "set" : "not set",
			       so->admin_perm ? "set" : "not set");
			bad++;
		}
		if (!!(o->flags & GENL_UNS_ADMIN_PERM) != so->uns_admin_perm) {
			TH_LOG("%s: uns-admin-perm %s in the kernel, %s in the spec", so->name,
			       o->flags & GENL_UNS_ADMIN_PERM ? "set" : "not set",
			       so->uns_admin_perm ? "set" : "not set");
			bad++;
		}
	}
	EXPECT_EQ(0, bad);
}

TEST_F(spec, commands_offer_do_and_dump_as_the_spec_says)
{
	int bad = 0;

	for (size_t i = 0; i < NSPEC_OPS; i++) {
		const struct spec_op *so = &spec_ops[i];
		const struct kop *o = &self->k->ops[so->value % K_MAX_OPS];

		if (!o->present)
			continue;
		if (!!(o->flags & GENL_CMD_CAP_DO) != so->has_do) {
			TH_LOG("%s: do is %s in the kernel, %s in the spec", so->name,
			       o->flags & GENL_CMD_CAP_DO ? "offered" : "absent",
			       so->has_do ? "offered" : "absent");
			bad++;
		}
		if (!!(o->flags & GENL_CMD_CAP_DUMP) != so->has_dump) {
			TH_LOG("%s: dump is %s in the kernel, %s in the spec", so->name,
			       o->flags & GENL_CMD_CAP_DUMP ? "offered" : "absent",
			       so->has_dump ? "offered" : "absent");
			bad++;
		}
	}
	EXPECT_EQ(0, bad);
}

/* ---- requests ------------------------------------------------------------ */

/* The spec lists a request's attributes; without a policy nothing checks them. */
TEST_F(spec, every_request_is_validated_by_a_policy)
{
	int bad = 0;

	for (unsigned int c = 0; c < K_MAX_OPS; c++) {
		const struct kop *o = &self->k->ops[c];
		const struct spec_op *so = spec_op(c);
		const char *name = so ? so->name : "?";

		if (!o->present)
			continue;
		if ((o->flags & GENL_CMD_CAP_DO) && !o->has_do_pol) {
			TH_LOG("command %u (%s) do: the kernel validates it by no policy", c, name);
			bad++;
		}
		if ((o->flags & GENL_CMD_CAP_DUMP) && !o->has_dump_pol) {
			TH_LOG("command %u (%s) dump: the kernel validates it by no policy", c, name);
			bad++;
		}
	}
	EXPECT_EQ(0, bad);
}

static int compare_request(struct __test_metadata *_metadata, const struct kfamily *k,
			   const struct spec_op *so, const char *kind, uint32_t pol,
			   const unsigned int *req, unsigned int nreq)
{
	const struct kpolicy *p = &k->pol[pol];
	int bad = 0;

	for (unsigned int t = 0; t <= K_MAX_ATTR; t++) {
		const struct spec_attr *sa = spec_attr(so->set, t);
		bool listed = false;

		for (unsigned int i = 0; i < nreq; i++)
			listed |= req[i] == t;
		if (p->a[t].present && !listed) {
			TH_LOG("%s %s: the kernel accepts attribute %u (%s), the spec does not list it",
			       so->name, kind, t, sa ? sa->name : "not in the spec");
			bad++;
		} else if (!p->a[t].present && listed) {
			TH_LOG("%s %s: the spec lists %s (%u), the kernel's policy refuses it",
			       so->name, kind, sa ? sa->name : "?", t);
			bad++;
		}
	}
	return bad;
}

TEST_F(spec, requests_accept_exactly_the_specs_attributes)
{
	int bad = 0;

	for (size_t i = 0; i < NSPEC_OPS; i++) {
		const struct spec_op *so = &spec_ops[i];
		const struct kop *o = &self->k->ops[so->value % K_MAX_OPS];

		if (!o->present)
			continue;
		if (so->has_do && o->has_do_pol)
			bad += compare_request(_metadata, self->k, so, "do", o->do_pol,
					       so->do_req, so->n_do_req);
		if (so->has_dump && o->has_dump_pol)
			bad += compare_request(_metadata, self->k, so, "dump", o->dump_pol,
					       so->dump_req, so->n_dump_req);
	}
	EXPECT_EQ(0, bad);
}

/* ---- attributes ---------------------------------------------------------- */

TEST_F(spec, attribute_types_are_the_specs)
{
	int bad = 0;

	for (unsigned int p = 0; p < K_MAX_POLICIES; p++) {
		const struct kpolicy *kp = &self->k->pol[p];
		char users[256];

		for (unsigned int t = 0; t <= K_MAX_ATTR; t++) {
			const struct spec_attr *sa = spec_attr(kp->set, t);
			const struct kattr *ka = &kp->a[t];

			if (!ka->present || kp->set < 0)
				continue;	/* no set: every_kernel_command_is_in_the_spec */
			policy_users(self->k, p, users, sizeof(users));
			if (!sa) {
				TH_LOG("%s: the kernel's policy has attribute %u (%s), the spec's set %s does not",
				       users, t, nl_type_name(ka->type),
				       kp->set >= 0 ? spec_sets[kp->set].name : "(unknown)");
				bad++;
			} else if (spec_nl_type(sa) != (int)ka->type) {
				TH_LOG("%s: %s is %s in the kernel, %s%s in the spec", users, sa->name,
				       nl_type_name(ka->type), sa->type,
				       sa->unterminated_ok ? " (unterminated-ok)" : "");
				bad++;
			}
		}
	}
	EXPECT_EQ(0, bad);
}

TEST_F(spec, every_check_the_kernel_enforces_is_in_the_spec)
{
	int bad = 0;

	for (unsigned int p = 0; p < K_MAX_POLICIES; p++) {
		const struct kpolicy *kp = &self->k->pol[p];

		for (unsigned int t = 0; t <= K_MAX_ATTR; t++) {
			const struct spec_attr *sa = spec_attr(kp->set, t);
			struct bounds kb, sb;
			char what[320], users[256];

			if (!kp->a[t].present || !sa)
				continue;	/* attribute_types_are_the_specs says so */
			kernel_bounds(&kp->a[t], &kb);
			spec_bounds(sa, &sb);
			snprintf(what, sizeof(what), "%s in %s", sa->name,
				 policy_users(self->k, p, users, sizeof(users)));
			bad += missing_bounds(_metadata, what, &kb, "the kernel", &sb, "the spec");
		}
	}
	EXPECT_EQ(0, bad);
}

/*
 * Whether the kernel accepts a nest of spec set @set without checking what
 * is inside (no policy of its own): a protocol's options whose protocol
 * this build does not have (kv), which the kernel refuses whole.
 */
static const char *nest_unchecked(const struct kfamily *k, int set)
{
	for (unsigned int p = 0; p < K_MAX_POLICIES; p++) {
		for (unsigned int t = 0; t <= K_MAX_ATTR; t++) {
			const struct kattr *ka = &k->pol[p].a[t];
			const struct spec_attr *sa = spec_attr(k->pol[p].set, t);

			if (ka->present && ka->type == NL_ATTR_TYPE_NESTED && !ka->has_pidx &&
			    sa && sa->nested == set)
				return sa->name;
		}
	}
	return NULL;
}

/*
 * A nest whose policy the kernel dumps is compared like a request's
 * attributes (assign_sets()); one the spec gives no attribute set would
 * not be compared at all.
 */
TEST_F(spec, every_nested_policy_is_compared)
{
	int bad = 0;

	for (unsigned int p = 0; p < K_MAX_POLICIES; p++) {
		char users[256];

		if (!self->k->pol[p].referenced || self->k->pol[p].set >= 0)
			continue;
		TH_LOG("%s: the kernel checks it, no attribute set of the spec describes it",
		       policy_users(self->k, p, users, sizeof(users)));
		bad++;
	}
	EXPECT_EQ(0, bad);
}

TEST_F(spec, every_check_in_the_spec_is_enforced_by_the_kernel)
{
	int bad = 0;

	for (size_t s = 0; s < NSPEC_SETS; s++) {
		for (unsigned int j = 0; j < spec_sets[s].n; j++) {
			const struct spec_attr *sa = &spec_sets[s].attrs[j];
			bool seen = false;
			struct bounds sb;

			spec_bounds(sa, &sb);
			if (!sb.has_min && !sb.has_max && !sb.has_min_len && !sb.has_max_len)
				continue;
			for (unsigned int p = 0; p < K_MAX_POLICIES; p++) {
				const struct kpolicy *kp = &self->k->pol[p];
				struct bounds kb;
				char what[320], users[256];

				if (kp->set != (int)s || sa->value > K_MAX_ATTR ||
				    !kp->a[sa->value].present)
					continue;
				seen = true;
				kernel_bounds(&kp->a[sa->value], &kb);
				snprintf(what, sizeof(what), "%s in %s", sa->name,
					 policy_users(self->k, p, users, sizeof(users)));
				bad += missing_bounds(_metadata, what, &sb, "the spec", &kb,
						      "the kernel");
			}
			if (!seen && nest_unchecked(self->k, (int)s)) {
				/* Said, not counted: kv's tests compare it where kv is built. */
				TH_LOG("%s/%s: not compared: this kernel takes %s unchecked (protocol not built)",
				       spec_sets[s].name, sa->name, nest_unchecked(self->k, (int)s));
			} else if (!seen) {
				TH_LOG("%s/%s: the spec has checks, but no kernel policy of the spec's commands accepts it",
				       spec_sets[s].name, sa->name);
				bad++;
			}
		}
	}
	EXPECT_EQ(0, bad);
}

TEST_HARNESS_MAIN
