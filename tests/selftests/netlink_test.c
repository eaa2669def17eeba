// SPDX-License-Identifier: GPL-2.0
/*
 * The "firehose" generic netlink family, spoken raw: every malformed request
 * is refused with the documented errno and an extended-ack message, and
 * changes nothing; state-changing commands need CAP_NET_ADMIN; a listener
 * reads back with the attributes include/uapi/firehose.h documents; the
 * cache commands name their listener or answer for all of them.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "fh_util.h"
#include "fh_harness.h"
#include "uapi/firehose.h"

#define NOBODY		65534
#define RX_LEN		(64 * 1024)
#define MAX_LISTENERS	16

/* ---- a minimal generic netlink client ----------------------------------- */

struct fhnl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;
	/* Extended ack of the last request. */
	char msg[256];
	bool has_offs, has_miss;
	uint32_t offs, miss_type;
	_Alignas(8) char tx[8192];	/* a document root of PATH_MAX fits */
	char *rx;
};

typedef int (*fhnl_cb)(const struct nlmsghdr *nlh, void *data);

static int ext_attr_cb(const struct nlattr *a, void *data)
{
	struct fhnl *nl = data;

	switch (mnl_attr_get_type(a)) {
	case NLMSGERR_ATTR_MSG:
		if (!mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			snprintf(nl->msg, sizeof(nl->msg), "%s", mnl_attr_get_str(a));
		break;
	case NLMSGERR_ATTR_OFFS:
		if (!mnl_attr_validate(a, MNL_TYPE_U32)) {
			nl->has_offs = true;
			nl->offs = mnl_attr_get_u32(a);
		}
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		if (!mnl_attr_validate(a, MNL_TYPE_U32)) {
			nl->has_miss = true;
			nl->miss_type = mnl_attr_get_u32(a);
		}
		break;
	}
	return MNL_CB_OK;
}

/* The extack TLVs of an error or done message start at payload offset off. */
static void parse_extack(struct fhnl *nl, const struct nlmsghdr *nlh, size_t off)
{
	size_t len = mnl_nlmsg_get_payload_len(nlh);

	off = MNL_ALIGN(off);
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off >= len)
		return;
	mnl_attr_parse_payload((const char *)mnl_nlmsg_get_payload(nlh) + off,
			       len - off, ext_attr_cb, nl);
}

/*
 * Send req (built with NLM_F_ACK) and hand each reply to cb until the ack or
 * the end of the dump. Returns 0, the kernel's positive errno, or -1 when the
 * exchange itself broke (no answer, or cb refused a reply).
 */
static int fhnl_talk(struct fhnl *nl, struct nlmsghdr *req, fhnl_cb cb, void *data)
{
	long long end = fh_now_ms() + 10000;
	bool cb_failed = false;

	nl->msg[0] = '\0';
	nl->has_offs = nl->has_miss = false;
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return -1;
	while (fh_now_ms() < end) {
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
				size_t off = sizeof(*e);

				if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
					return -1;
				if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
					off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
				parse_extack(nl, nlh, off);
				if (e->error)
					return -e->error;
				return cb_failed ? -1 : 0;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				int err = 0;

				if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err))
					memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
				parse_extack(nl, nlh, sizeof(err));
				if (err)
					return -err;
				return cb_failed ? -1 : 0;
			}
			if (!cb || cb(nlh, data) != MNL_CB_OK)
				cb_failed = true;
		}
	}
	return -1;
}

static struct nlmsghdr *fhnl_put(struct fhnl *nl, uint16_t type, uint8_t cmd,
				 uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->tx);
	struct genlmsghdr *gh;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	gh = mnl_nlmsg_put_extra_header(nlh, sizeof(*gh));
	gh->cmd = cmd;
	gh->version = version;
	return nlh;
}

/* A firehose request; add attributes, then fhnl_talk(). */
static struct nlmsghdr *fhnl_msg(struct fhnl *nl, uint8_t cmd, uint16_t flags)
{
	return fhnl_put(nl, nl->family, cmd, FH_GENL_VERSION, flags);
}

static int family_attr_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
	    !mnl_attr_validate(a, MNL_TYPE_U16))
		*(uint16_t *)data = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb, data);
}

static void fhnl_close(struct fhnl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->rx);
	nl->sock = NULL;
	nl->rx = NULL;
}

/* Open a socket with extended acks and resolve the family: 0, errno or -1. */
static int fhnl_open(struct fhnl *nl)
{
	struct timeval tv = { .tv_sec = 5 };
	struct nlmsghdr *nlh;
	int one = 1, err;

	memset(nl, 0, sizeof(*nl));
	nl->rx = malloc(RX_LEN);
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->rx || !nl->sock ||
	    mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one)) ||
	    setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO, &tv,
		       sizeof(tv)) ||
	    mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID))
		return -1;
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);
	nlh = fhnl_put(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, FH_GENL_NAME);
	err = fhnl_talk(nl, nlh, family_cb, &nl->family);
	if (err)
		return err;
	return nl->family ? 0 : -1;
}

/* Append an attribute and return where it sits, for extack offsets. */
static const struct nlattr *put_attr(struct nlmsghdr *nlh, uint16_t type, size_t len,
				     const void *data)
{
	const struct nlattr *a = mnl_nlmsg_get_payload_tail(nlh);

	mnl_attr_put(nlh, type, len, data);
	return a;
}

static const struct nlattr *put_u16(struct nlmsghdr *nlh, uint16_t type, uint16_t v)
{
	return put_attr(nlh, type, sizeof(v), &v);
}

static const struct nlattr *put_u32(struct nlmsghdr *nlh, uint16_t type, uint32_t v)
{
	return put_attr(nlh, type, sizeof(v), &v);
}

static const struct nlattr *put_str(struct nlmsghdr *nlh, uint16_t type, const char *s)
{
	return put_attr(nlh, type, strlen(s) + 1, s);
}

/* A protocol's option nest, empty: nest_put() fills it. */
static const struct nlattr *nest_open(struct nlmsghdr *nlh, uint16_t type)
{
	return put_attr(nlh, type | NLA_F_NESTED, 0, NULL);
}

/* The message's last top-level attribute: the nest nest_put() grows. */
static struct nlattr *last_attr(struct nlmsghdr *nlh)
{
	struct nlattr *a, *last = NULL;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		last = a;
	return last;
}

/* An attribute inside the nest that ends the message (nest_open()). */
static const struct nlattr *nest_put(struct nlmsghdr *nlh, uint16_t type, size_t len,
				     const void *data)
{
	struct nlattr *nest = last_attr(nlh);
	const struct nlattr *a = put_attr(nlh, type, len, data);

	nest->nla_len = (uint16_t)((char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)nest);
	return a;
}

static const struct nlattr *nest_put_u32(struct nlmsghdr *nlh, uint16_t type, uint32_t v)
{
	return nest_put(nlh, type, sizeof(v), &v);
}

static const struct nlattr *nest_put_u64(struct nlmsghdr *nlh, uint16_t type, uint64_t v)
{
	return nest_put(nlh, type, sizeof(v), &v);
}

static const struct nlattr *nest_put_str(struct nlmsghdr *nlh, uint16_t type, const char *v)
{
	return nest_put(nlh, type, strlen(v) + 1, v);
}

static uint32_t offset_of(const struct nlmsghdr *nlh, const struct nlattr *a)
{
	return (uint32_t)((const char *)a - (const char *)nlh);
}

static void put_loopback4(struct nlmsghdr *nlh, uint16_t port)
{
	struct in_addr lo = { .s_addr = htonl(INADDR_LOOPBACK) };

	put_u16(nlh, FH_A_FAMILY, AF_INET);
	put_attr(nlh, FH_A_ADDR, sizeof(lo), &lo);
	put_u16(nlh, FH_A_PORT, port);
}

static void put_loopback6(struct nlmsghdr *nlh, uint16_t port)
{
	put_u16(nlh, FH_A_FAMILY, AF_INET6);
	put_attr(nlh, FH_A_ADDR, sizeof(in6addr_loopback), &in6addr_loopback);
	put_u16(nlh, FH_A_PORT, port);
}

/* ---- replies ------------------------------------------------------------ */

struct listener {
	uint8_t cmd;
	int family_len, addr_len, port_len, accepted_len, active_len, max_conns_len;
	uint16_t family, port;
	unsigned char addr[16];
	uint64_t accepted, active;
	uint32_t max_conns;
	bool proto_nul, cpus_nul;
	char proto[64], cpus[FH_CPULIST_MAX];
	/* http's nest: how often it came; how many of its attributes, and what. */
	int http_nests, kv_nests;
	int site_attrs, uid_len, gid_len, cache_len;
	uint32_t uid, gid;
	uint64_t cache;
	bool root_nul;
	char root[PATH_MAX];
	/* FH_HTTP_OPT_ACCESS_LOG, a flag: how often it came, and its length. */
	int access_log_seen, access_log_len;
	/* kv's nest: its memory limit and largest item, 0 if absent. */
	uint64_t kv_mem;
	uint32_t kv_item_max;
};

struct listeners {
	struct listener v[MAX_LISTENERS];
	int n;
};

static void copy_str(char *dst, size_t size, const struct nlattr *a, bool *nul)
{
	size_t len = mnl_attr_get_payload_len(a);
	const char *s = mnl_attr_get_payload(a);

	*nul = len && memchr(s, '\0', len) == s + len - 1;
	len = strnlen(s, len);
	if (len >= size)
		len = size - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/* Inside FH_A_LISTENER_HTTP. */
static int http_opt_cb(const struct nlattr *a, void *data)
{
	struct listener *l = data;
	int len = (int)mnl_attr_get_payload_len(a);

	switch (mnl_attr_get_type(a)) {
	case FH_HTTP_OPT_ROOT:
		l->site_attrs++;
		copy_str(l->root, sizeof(l->root), a, &l->root_nul);
		break;
	case FH_HTTP_OPT_UID:
		l->site_attrs++;
		l->uid_len = len;
		if (len == 4)
			l->uid = mnl_attr_get_u32(a);
		break;
	case FH_HTTP_OPT_GID:
		l->site_attrs++;
		l->gid_len = len;
		if (len == 4)
			l->gid = mnl_attr_get_u32(a);
		break;
	case FH_HTTP_OPT_CACHE:
		l->site_attrs++;
		l->cache_len = len;
		if (len == 8)
			l->cache = mnl_attr_get_u64(a);
		break;
	case FH_HTTP_OPT_ACCESS_LOG:
		l->access_log_seen++;
		l->access_log_len = len;
		break;
	}
	return MNL_CB_OK;
}

static int kv_opt_cb(const struct nlattr *a, void *data)
{
	struct listener *l = data;

	if (mnl_attr_get_type(a) == FH_KV_OPT_MEM && mnl_attr_get_payload_len(a) == 8)
		l->kv_mem = mnl_attr_get_u64(a);
	if (mnl_attr_get_type(a) == FH_KV_OPT_ITEM_MAX && mnl_attr_get_payload_len(a) == 4)
		l->kv_item_max = mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int listener_attr_cb(const struct nlattr *a, void *data)
{
	struct listener *l = data;
	int len = (int)mnl_attr_get_payload_len(a);

	switch (mnl_attr_get_type(a)) {
	case FH_A_PROTO:
		copy_str(l->proto, sizeof(l->proto), a, &l->proto_nul);
		break;
	case FH_A_CPUS:
		copy_str(l->cpus, sizeof(l->cpus), a, &l->cpus_nul);
		break;
	case FH_A_FAMILY:
		l->family_len = len;
		if (len == 2)
			l->family = mnl_attr_get_u16(a);
		break;
	case FH_A_PORT:
		l->port_len = len;
		if (len == 2)
			l->port = mnl_attr_get_u16(a);
		break;
	case FH_A_ADDR:
		l->addr_len = len;
		if (len <= 16)
			memcpy(l->addr, mnl_attr_get_payload(a), len);
		break;
	case FH_A_LISTENER_ACCEPTED:
		l->accepted_len = len;
		if (len == 8)
			l->accepted = mnl_attr_get_u64(a);
		break;
	case FH_A_LISTENER_ACTIVE:
		l->active_len = len;
		if (len == 8)
			l->active = mnl_attr_get_u64(a);
		break;
	case FH_A_LISTENER_MAX_CONNS:
		l->max_conns_len = len;
		if (len == 4)
			l->max_conns = mnl_attr_get_u32(a);
		break;
	case FH_A_LISTENER_HTTP:
		l->http_nests++;
		return mnl_attr_parse_nested(a, http_opt_cb, l);
	case FH_A_LISTENER_KV:
		l->kv_nests++;
		return mnl_attr_parse_nested(a, kv_opt_cb, l);
	}
	return MNL_CB_OK;
}

static int listener_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *gh = mnl_nlmsg_get_payload(nlh);
	struct listeners *ls = data;
	struct listener *l;

	if (ls->n == MAX_LISTENERS)
		return MNL_CB_ERROR;
	l = &ls->v[ls->n++];
	memset(l, 0, sizeof(*l));
	l->cmd = gh->cmd;
	return mnl_attr_parse(nlh, sizeof(*gh), listener_attr_cb, l);
}

/* LISTENER_GET dump: 0 or the errno; ls gets every listener. */
static int dump_listeners(struct fhnl *nl, struct listeners *ls)
{
	memset(ls, 0, sizeof(*ls));
	return fhnl_talk(nl, fhnl_msg(nl, FH_CMD_LISTENER_GET, NLM_F_DUMP), listener_cb, ls);
}

/* Listeners of this namespace, or -1 when the dump fails. */
static int listener_count(struct fhnl *nl)
{
	struct listeners ls;

	return dump_listeners(nl, &ls) ? -1 : ls.n;
}

/* One CACHE_GET message: the attributes that came, by type, and their values. */
struct cache_msg {
	uint8_t cmd;
	int len[FH_A_MAX + 1];
	uint64_t v[FH_A_MAX + 1];	/* the u64 ones */
	uint16_t port;
	char proto[64];
};

struct caches {
	struct cache_msg v[MAX_LISTENERS];
	int n;
};

static int cache_attr_cb(const struct nlattr *a, void *data)
{
	struct cache_msg *m = data;
	uint16_t type = mnl_attr_get_type(a);
	int len = (int)mnl_attr_get_payload_len(a);
	bool nul;

	if (type > FH_A_MAX)
		return MNL_CB_OK;
	m->len[type] = len;
	if (len == 8)
		m->v[type] = mnl_attr_get_u64(a);
	if (type == FH_A_PORT && len == 2)
		m->port = mnl_attr_get_u16(a);
	if (type == FH_A_PROTO)
		copy_str(m->proto, sizeof(m->proto), a, &nul);
	return MNL_CB_OK;
}

static int cache_cb(const struct nlmsghdr *nlh, void *data)
{
	struct caches *cs = data;
	const struct genlmsghdr *gh = mnl_nlmsg_get_payload(nlh);

	if (cs->n >= MAX_LISTENERS)
		return MNL_CB_ERROR;
	cs->v[cs->n].cmd = gh->cmd;
	if (mnl_attr_parse(nlh, sizeof(*gh), cache_attr_cb, &cs->v[cs->n]) < 0)
		return MNL_CB_ERROR;
	cs->n++;
	return MNL_CB_OK;
}

/* CACHE_GET dump: 0 or the errno; cs gets one entry per listener with a cache. */
static int dump_caches(struct fhnl *nl, struct caches *cs)
{
	memset(cs, 0, sizeof(*cs));
	return fhnl_talk(nl, fhnl_msg(nl, FH_CMD_CACHE_GET, NLM_F_DUMP), cache_cb, cs);
}

/* One LOG_GET message: the attributes that came, by type, and their values. */
struct log_msg {
	uint8_t cmd;
	int len[FH_A_MAX + 1];
	uint64_t time, bytes;
	uint16_t family, port, status;
	uint8_t version;
	unsigned char addr[16];
	bool method_nul, target_nul;
	char method[64], target[FH_LOG_TARGET_MAX + 8];
};

#define MAX_LOG_MSGS	16

struct log_msgs {
	struct log_msg v[MAX_LOG_MSGS];
	int n;			/* messages kept */
	long total;		/* messages received, kept or not */
};

static int log_attr_cb(const struct nlattr *a, void *data)
{
	struct log_msg *m = data;
	uint16_t type = mnl_attr_get_type(a);
	int len = (int)mnl_attr_get_payload_len(a);

	if (type > FH_A_MAX)
		return MNL_CB_OK;
	m->len[type] = len;
	switch (type) {
	case FH_A_LOG_TIME:
		if (len == 8)
			m->time = mnl_attr_get_u64(a);
		break;
	case FH_A_LOG_BYTES:
		if (len == 8)
			m->bytes = mnl_attr_get_u64(a);
		break;
	case FH_A_FAMILY:
		if (len == 2)
			m->family = mnl_attr_get_u16(a);
		break;
	case FH_A_PORT:
		if (len == 2)
			m->port = mnl_attr_get_u16(a);
		break;
	case FH_A_LOG_STATUS:
		if (len == 2)
			m->status = mnl_attr_get_u16(a);
		break;
	case FH_A_LOG_VERSION:
		if (len == 1)
			m->version = mnl_attr_get_u8(a);
		break;
	case FH_A_ADDR:
		if (len <= 16)
			memcpy(m->addr, mnl_attr_get_payload(a), len);
		break;
	case FH_A_LOG_METHOD:
		copy_str(m->method, sizeof(m->method), a, &m->method_nul);
		break;
	case FH_A_LOG_TARGET:
		copy_str(m->target, sizeof(m->target), a, &m->target_nul);
		break;
	}
	return MNL_CB_OK;
}

/* Keeps the first MAX_LOG_MSGS records and counts the rest. */
static int log_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *gh = mnl_nlmsg_get_payload(nlh);
	struct log_msgs *lm = data;
	struct log_msg *m;

	lm->total++;
	if (lm->n >= MAX_LOG_MSGS)
		return MNL_CB_OK;
	m = &lm->v[lm->n++];
	memset(m, 0, sizeof(*m));
	m->cmd = gh->cmd;
	return mnl_attr_parse(nlh, sizeof(*gh), log_attr_cb, m) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

/* LOG_GET dump, which consumes what it reads: 0 or the errno. */
static int dump_log(struct fhnl *nl, struct log_msgs *lm)
{
	memset(lm, 0, sizeof(*lm));
	return fhnl_talk(nl, fhnl_msg(nl, FH_CMD_LOG_GET, NLM_F_DUMP), log_cb, lm);
}

struct settings {
	uint32_t max_conns, max_conns_per_source, idle_ms, send_ms;
	uint32_t keepalive_s, keepalive_intvl_s, keepalive_cnt;
	uint32_t http_header_ms, http_max_header, http_pin_limit, source_prefix6;
	int seen;
};

#define NSETTINGS	11

static int settings_attr_cb(const struct nlattr *a, void *data)
{
	struct settings *s = data;
	uint32_t *v;

	switch (mnl_attr_get_type(a)) {
	case FH_A_MAX_CONNS:
		v = &s->max_conns;
		break;
	case FH_A_MAX_CONNS_PER_SOURCE:
		v = &s->max_conns_per_source;
		break;
	case FH_A_IDLE_TIMEOUT_MS:
		v = &s->idle_ms;
		break;
	case FH_A_SEND_TIMEOUT_MS:
		v = &s->send_ms;
		break;
	case FH_A_KEEPALIVE_S:
		v = &s->keepalive_s;
		break;
	case FH_A_KEEPALIVE_INTVL_S:
		v = &s->keepalive_intvl_s;
		break;
	case FH_A_KEEPALIVE_CNT:
		v = &s->keepalive_cnt;
		break;
	case FH_A_HTTP_HEADER_TIMEOUT_MS:
		v = &s->http_header_ms;
		break;
	case FH_A_HTTP_MAX_HEADER:
		v = &s->http_max_header;
		break;
	case FH_A_HTTP_PIN_LIMIT:
		v = &s->http_pin_limit;
		break;
	case FH_A_SOURCE_PREFIX6:
		v = &s->source_prefix6;
		break;
	default:
		return MNL_CB_OK;
	}
	if (mnl_attr_validate(a, MNL_TYPE_U32))
		return MNL_CB_ERROR;
	*v = mnl_attr_get_u32(a);
	s->seen++;
	return MNL_CB_OK;
}

static int settings_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), settings_attr_cb, data);
}

static int get_settings(struct fhnl *nl, struct settings *s)
{
	memset(s, 0, sizeof(*s));
	return fhnl_talk(nl, fhnl_msg(nl, FH_CMD_SETTINGS_GET, 0), settings_cb, s);
}

struct stats {
	int totals, cpus, cpu_first, cpu_ids;
	unsigned long long cpu_seen;	/* bit per FH_STAT_CPU value < 64 */
};

static int stat_cpu_cb(const struct nlattr *a, void *data)
{
	struct stats *st = data;

	if (mnl_attr_get_type(a) == FH_STAT_CPU && !mnl_attr_validate(a, MNL_TYPE_U32)) {
		uint32_t cpu = mnl_attr_get_u32(a);

		if (cpu < 64 && !(st->cpu_seen & (1ULL << cpu))) {
			st->cpu_seen |= 1ULL << cpu;
			st->cpu_ids++;
		}
	}
	return MNL_CB_OK;
}

static int stats_attr_cb(const struct nlattr *a, void *data)
{
	struct stats *st = data;
	const struct nlattr *first;

	switch (mnl_attr_get_type(a)) {
	case FH_A_STATS:
		st->totals++;
		break;
	case FH_A_STATS_CPU:
		st->cpus++;
		first = mnl_attr_get_payload(a);
		if (mnl_attr_get_payload_len(a) >= MNL_ATTR_HDRLEN &&
		    mnl_attr_get_type(first) == FH_STAT_CPU)
			st->cpu_first++;
		return mnl_attr_parse_nested(a, stat_cpu_cb, st);
	}
	return MNL_CB_OK;
}

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), stats_attr_cb, data);
}

/* ---- the fixture -------------------------------------------------------- */

FIXTURE(nl) {
	struct fhnl nl;
	uint16_t port;
	struct settings before;
	char refused_msg[256];	/* the extack message of expect_refused()'s request */
};

FIXTURE_SETUP(nl)
{
	ASSERT_EQ(0, fh_module_load());
	ASSERT_EQ(0, fhnl_open(&self->nl));
	self->port = (uint16_t)fh_test_port(21000);
	ASSERT_EQ(0, get_settings(&self->nl, &self->before));
	ASSERT_EQ(NSETTINGS, self->before.seen);
	/* Each test starts from no listener at all. */
	ASSERT_EQ(0, listener_count(&self->nl));
}

FIXTURE_TEARDOWN(nl)
{
	struct nlmsghdr *nlh;

	if (!self->nl.sock)
		return;
	/* Whichever listener the test added; the other gets ENOENT. */
	nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_DEL, 0);
	put_loopback4(nlh, self->port);
	fhnl_talk(&self->nl, nlh, NULL, NULL);
	nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_DEL, 0);
	put_loopback6(nlh, self->port);
	fhnl_talk(&self->nl, nlh, NULL, NULL);
	nlh = fhnl_msg(&self->nl, FH_CMD_SETTINGS_SET, 0);
	put_u32(nlh, FH_A_MAX_CONNS, 100000);
	put_u32(nlh, FH_A_MAX_CONNS_PER_SOURCE, 4096);
	put_u32(nlh, FH_A_IDLE_TIMEOUT_MS, 60000);
	put_u32(nlh, FH_A_SEND_TIMEOUT_MS, 30000);
	put_u32(nlh, FH_A_KEEPALIVE_S, 60);
	put_u32(nlh, FH_A_KEEPALIVE_INTVL_S, 10);
	put_u32(nlh, FH_A_KEEPALIVE_CNT, 6);
	put_u32(nlh, FH_A_HTTP_HEADER_TIMEOUT_MS, 10000);
	put_u32(nlh, FH_A_HTTP_MAX_HEADER, 32768);
	if (fhnl_talk(&self->nl, nlh, NULL, NULL))
		TH_LOG("teardown: restoring the default settings failed");
	fhnl_close(&self->nl);
}

/*
 * Send a request that must be refused with want and an extack message
 * (pointing at the attribute bad, or naming the attribute type missing, when
 * given), and check that nothing changed: still no listener, settings as
 * before.
 */
static void expect_refused(struct __test_metadata *_metadata, FIXTURE_DATA(nl) *self,
			   struct nlmsghdr *nlh, int want, const struct nlattr *bad,
			   int missing)
{
	uint32_t bad_off = bad ? offset_of(nlh, bad) : 0;
	struct settings now;
	int err;

	err = fhnl_talk(&self->nl, nlh, NULL, NULL);
	snprintf(self->refused_msg, sizeof(self->refused_msg), "%s", self->nl.msg);
	EXPECT_EQ(want, err) TH_LOG("got %s (%d), extack '%s'", err > 0 ? strerror(err) : "?",
				    err, self->nl.msg);
	EXPECT_NE(0, self->nl.msg[0]) TH_LOG("no extack message");
	if (bad) {
		EXPECT_TRUE(self->nl.has_offs) TH_LOG("extack names no attribute");
		if (self->nl.has_offs)
			EXPECT_EQ(bad_off, self->nl.offs);
	}
	if (missing) {
		EXPECT_TRUE(self->nl.has_miss) TH_LOG("extack names no missing attribute");
		if (self->nl.has_miss)
			EXPECT_EQ((uint32_t)missing, self->nl.miss_type);
	}
	EXPECT_EQ(0, listener_count(&self->nl));
	ASSERT_EQ(0, get_settings(&self->nl, &now));
	EXPECT_EQ(self->before.max_conns, now.max_conns);
	EXPECT_EQ(self->before.idle_ms, now.idle_ms);
	EXPECT_EQ(self->before.send_ms, now.send_ms);
	EXPECT_EQ(self->before.keepalive_s, now.keepalive_s);
	EXPECT_EQ(self->before.keepalive_intvl_s, now.keepalive_intvl_s);
	EXPECT_EQ(self->before.keepalive_cnt, now.keepalive_cnt);
	EXPECT_EQ(self->before.http_header_ms, now.http_header_ms);
	EXPECT_EQ(self->before.http_max_header, now.http_max_header);
}

/* ---- malformed LISTENER_ADD --------------------------------------------- */

TEST_F(nl, listener_add_port_of_one_byte_is_einval)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_ADD, 0);
	struct in_addr lo = { .s_addr = htonl(INADDR_LOOPBACK) };
	const struct nlattr *bad;
	uint8_t port = 80;

	put_str(nlh, FH_A_PROTO, "echo");
	put_u16(nlh, FH_A_FAMILY, AF_INET);
	put_attr(nlh, FH_A_ADDR, sizeof(lo), &lo);
	bad = put_attr(nlh, FH_A_PORT, sizeof(port), &port);
	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
}

TEST_F(nl, listener_add_inet_address_of_five_bytes_is_einval)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_ADD, 0);
	const unsigned char addr[5] = { 127, 0, 0, 1, 0 };
	const struct nlattr *bad;

	put_str(nlh, FH_A_PROTO, "echo");
	put_u16(nlh, FH_A_FAMILY, AF_INET);
	bad = put_attr(nlh, FH_A_ADDR, sizeof(addr), addr);
	put_u16(nlh, FH_A_PORT, self->port);
	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
}

TEST_F(nl, listener_add_family_af_unix_is_einval)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_ADD, 0);
	struct in_addr lo = { .s_addr = htonl(INADDR_LOOPBACK) };
	const struct nlattr *bad;

	put_str(nlh, FH_A_PROTO, "echo");
	bad = put_u16(nlh, FH_A_FAMILY, AF_UNIX);
	put_attr(nlh, FH_A_ADDR, sizeof(lo), &lo);
	put_u16(nlh, FH_A_PORT, self->port);
	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
}

TEST_F(nl, listener_add_port_0_is_erange)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_ADD, 0);
	struct in_addr lo = { .s_addr = htonl(INADDR_LOOPBACK) };
	const struct nlattr *bad;

	put_str(nlh, FH_A_PROTO, "echo");
	put_u16(nlh, FH_A_FAMILY, AF_INET);
	put_attr(nlh, FH_A_ADDR, sizeof(lo), &lo);
	bad = put_u16(nlh, FH_A_PORT, 0);
	expect_refused(_metadata, self, nlh, ERANGE, bad, 0);
}

TEST_F(nl, listener_add_attribute_above_fh_a_max_is_einval)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_ADD, 0);
	const struct nlattr *bad;

	put_str(nlh, FH_A_PROTO, "echo");
	put_loopback4(nlh, self->port);
	bad = put_u32(nlh, FH_A_MAX + 1, 1);
	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
}

TEST_F(nl, listener_add_protocol_without_nul_is_einval)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_ADD, 0);
	const struct nlattr *bad;

	bad = put_attr(nlh, FH_A_PROTO, 4, "echo");
	put_loopback4(nlh, self->port);
	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
}

TEST_F(nl, listener_add_without_protocol_is_einval_naming_it_missing)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_ADD, 0);

	put_loopback4(nlh, self->port);
	expect_refused(_metadata, self, nlh, EINVAL, NULL, FH_A_PROTO);
}

TEST_F(nl, listener_add_cpulist_banana_is_einval)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_ADD, 0);
	const struct nlattr *bad;

	put_str(nlh, FH_A_PROTO, "echo");
	put_loopback4(nlh, self->port);
	bad = put_str(nlh, FH_A_CPUS, "banana");
	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
}

TEST_F(nl, listener_add_unknown_protocol_gopher_is_einval)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_ADD, 0);
	const struct nlattr *bad;

	bad = put_str(nlh, FH_A_PROTO, "gopher");
	put_loopback4(nlh, self->port);
	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
}

TEST_F(nl, listener_add_kv_with_mem_below_1m_is_erange_pointing_at_it)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_ADD, 0);
	const struct nlattr *bad;

	put_str(nlh, FH_A_PROTO, "kv");
	put_loopback4(nlh, self->port);
	nest_open(nlh, FH_A_LISTENER_KV);
	bad = nest_put_u64(nlh, FH_KV_OPT_MEM, FH_KV_MEM_MIN - 1);
	expect_refused(_metadata, self, nlh, ERANGE, bad, 0);
}

TEST_F(nl, listener_add_kv_whose_largest_item_is_over_half_its_memory_is_einval)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_ADD, 0);

	put_str(nlh, FH_A_PROTO, "kv");
	put_loopback4(nlh, self->port);
	nest_open(nlh, FH_A_LISTENER_KV);
	nest_put_u64(nlh, FH_KV_OPT_MEM, 2 << 20);
	nest_put_u32(nlh, FH_KV_OPT_ITEM_MAX, (1 << 20) + 1);
	expect_refused(_metadata, self, nlh, EINVAL, NULL, 0);
	EXPECT_STREQ("the largest item may take at most half of the memory", self->refused_msg);
}

TEST_F(nl, listener_set_changes_a_kv_listeners_memory_and_refuses_its_largest_item)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_ADD, 0);
	struct listeners ls;

	put_str(nlh, FH_A_PROTO, "kv");
	put_loopback4(nlh, self->port);
	ASSERT_EQ(0, fhnl_talk(&self->nl, nlh, NULL, NULL)) TH_LOG("extack '%s'", self->nl.msg);
	EXPECT_EQ(0, dump_listeners(&self->nl, &ls));
	ASSERT_EQ(1, ls.n);
	EXPECT_EQ(FH_KV_MEM_DEFAULT, ls.v[0].kv_mem);
	EXPECT_EQ(FH_KV_ITEM_MAX_DEFAULT, ls.v[0].kv_item_max);
	nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_SET, 0);
	put_loopback4(nlh, self->port);
	nest_open(nlh, FH_A_LISTENER_KV);
	nest_put_u64(nlh, FH_KV_OPT_MEM, 128 << 20);
	EXPECT_EQ(0, fhnl_talk(&self->nl, nlh, NULL, NULL)) TH_LOG("extack '%s'", self->nl.msg);
	nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_SET, 0);
	put_loopback4(nlh, self->port);
	nest_open(nlh, FH_A_LISTENER_KV);
	nest_put_u32(nlh, FH_KV_OPT_ITEM_MAX, 2 << 20);
	EXPECT_EQ(EINVAL, fhnl_talk(&self->nl, nlh, NULL, NULL));
	EXPECT_STREQ("the largest item is fixed: replace the listener to change it", self->nl.msg);
	EXPECT_EQ(0, dump_listeners(&self->nl, &ls));
	ASSERT_EQ(1, ls.n);
	EXPECT_EQ((uint64_t)128 << 20, ls.v[0].kv_mem);
	EXPECT_EQ(FH_KV_ITEM_MAX_DEFAULT, ls.v[0].kv_item_max);
}

/* ---- protocol options (FH_A_LISTENER_HTTP, _KV) on LISTENER_ADD --------- */

/* A LISTENER_ADD of proto on loopback at port, and an open nest of type. */
static struct nlmsghdr *add_with_nest(struct fhnl *nl, const char *proto, uint16_t port,
				      uint16_t type, const struct nlattr **nest)
{
	struct nlmsghdr *nlh = fhnl_msg(nl, FH_CMD_LISTENER_ADD, 0);

	put_str(nlh, FH_A_PROTO, proto);
	put_loopback4(nlh, port);
	*nest = nest_open(nlh, type);
	return nlh;
}

TEST_F(nl, listener_add_echo_with_a_root_is_einval_pointing_at_the_nest)
{
	const struct nlattr *bad;
	struct nlmsghdr *nlh = add_with_nest(&self->nl, "echo", self->port,
					     FH_A_LISTENER_HTTP, &bad);

	nest_put_str(nlh, FH_HTTP_OPT_ROOT, "/");
	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
	EXPECT_STREQ("this protocol takes no options", self->refused_msg);
}

TEST_F(nl, listener_add_echo_with_a_uid_and_gid_is_einval)
{
	const struct nlattr *bad;
	struct nlmsghdr *nlh = add_with_nest(&self->nl, "echo", self->port,
					     FH_A_LISTENER_HTTP, &bad);

	nest_put_u32(nlh, FH_HTTP_OPT_UID, NOBODY);
	nest_put_u32(nlh, FH_HTTP_OPT_GID, NOBODY);
	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
	EXPECT_STREQ("this protocol takes no options", self->refused_msg);
}

TEST_F(nl, listener_add_echo_with_an_empty_kv_nest_is_einval)
{
	const struct nlattr *bad;
	struct nlmsghdr *nlh = add_with_nest(&self->nl, "echo", self->port,
					     FH_A_LISTENER_KV, &bad);

	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
	EXPECT_STREQ("this protocol takes no options", self->refused_msg);
}

/* The old flat attribute's number is reserved: unknown at the top level. */
TEST_F(nl, listener_add_http_option_outside_its_nest_is_einval)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_ADD, 0);
	const struct nlattr *bad;

	put_str(nlh, FH_A_PROTO, "http");
	put_loopback4(nlh, self->port);
	bad = put_str(nlh, FH_A_RESERVED_19, "/");
	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
}

TEST_F(nl, listener_add_http_with_a_kv_nest_is_einval_naming_kv)
{
	const struct nlattr *bad;
	struct nlmsghdr *nlh = add_with_nest(&self->nl, "http", self->port,
					     FH_A_LISTENER_KV, &bad);

	nest_put_u64(nlh, FH_KV_OPT_MEM, 64 << 20);
	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
	EXPECT_STREQ("these options are for protocol kv", self->refused_msg);
}

TEST_F(nl, listener_add_http_with_an_unknown_attribute_in_its_nest_is_einval)
{
	const struct nlattr *nest, *bad;
	struct nlmsghdr *nlh = add_with_nest(&self->nl, "http", self->port,
					     FH_A_LISTENER_HTTP, &nest);

	nest_put_str(nlh, FH_HTTP_OPT_ROOT, "/");
	bad = nest_put_u32(nlh, FH_HTTP_OPT_MAX + 1, 1);
	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
}

TEST_F(nl, listener_add_uid_without_gid_is_einval_naming_gid_missing)
{
	const struct nlattr *nest;
	struct nlmsghdr *nlh = add_with_nest(&self->nl, "http", self->port,
					     FH_A_LISTENER_HTTP, &nest);

	nest_put_str(nlh, FH_HTTP_OPT_ROOT, "/");
	nest_put_u32(nlh, FH_HTTP_OPT_UID, NOBODY);
	expect_refused(_metadata, self, nlh, EINVAL, NULL, FH_HTTP_OPT_GID);
	EXPECT_STREQ("a uid needs its gid", self->refused_msg);
}

TEST_F(nl, listener_add_gid_without_uid_is_einval_naming_uid_missing)
{
	const struct nlattr *nest;
	struct nlmsghdr *nlh = add_with_nest(&self->nl, "http", self->port,
					     FH_A_LISTENER_HTTP, &nest);

	nest_put_str(nlh, FH_HTTP_OPT_ROOT, "/");
	nest_put_u32(nlh, FH_HTTP_OPT_GID, NOBODY);
	expect_refused(_metadata, self, nlh, EINVAL, NULL, FH_HTTP_OPT_UID);
	EXPECT_STREQ("a gid needs its uid", self->refused_msg);
}

TEST_F(nl, listener_add_root_without_nul_is_einval)
{
	const struct nlattr *nest, *bad;
	struct nlmsghdr *nlh = add_with_nest(&self->nl, "http", self->port,
					     FH_A_LISTENER_HTTP, &nest);

	bad = nest_put(nlh, FH_HTTP_OPT_ROOT, 4, "/srv");
	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
}

/* PATH_MAX bytes and the NUL: the NUL is not where the policy looks. */
TEST_F(nl, listener_add_root_of_path_max_bytes_is_einval)
{
	static char root[PATH_MAX + 1];
	const struct nlattr *nest, *bad;
	struct nlmsghdr *nlh = add_with_nest(&self->nl, "http", self->port,
					     FH_A_LISTENER_HTTP, &nest);

	memset(root, 'a', PATH_MAX);
	root[0] = '/';
	root[PATH_MAX] = '\0';
	bad = nest_put_str(nlh, FH_HTTP_OPT_ROOT, root);
	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
}

TEST_F(nl, listener_add_cache_of_four_bytes_is_einval)
{
	const struct nlattr *nest, *bad;
	struct nlmsghdr *nlh = add_with_nest(&self->nl, "http", self->port,
					     FH_A_LISTENER_HTTP, &nest);

	nest_put_str(nlh, FH_HTTP_OPT_ROOT, "/");
	bad = nest_put_u32(nlh, FH_HTTP_OPT_CACHE, 1);
	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
}

/* ---- LISTENER_SET --------------------------------------------------------- */

TEST_F(nl, listener_set_of_a_missing_listener_is_enoent)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_SET, 0);

	put_loopback4(nlh, self->port);
	nest_open(nlh, FH_A_LISTENER_KV);
	nest_put_u64(nlh, FH_KV_OPT_MEM, 64 << 20);
	expect_refused(_metadata, self, nlh, ENOENT, NULL, 0);
	EXPECT_STREQ("no firehose listener has this address", self->refused_msg);
}

TEST_F(nl, listener_set_without_a_port_is_einval_naming_it_missing)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_SET, 0);
	struct in_addr lo = { .s_addr = htonl(INADDR_LOOPBACK) };

	put_u16(nlh, FH_A_FAMILY, AF_INET);
	put_attr(nlh, FH_A_ADDR, sizeof(lo), &lo);
	expect_refused(_metadata, self, nlh, EINVAL, NULL, FH_A_PORT);
}

/* ---- malformed SETTINGS_SET, STATS_GET, commands ------------------------ */

TEST_F(nl, settings_set_max_connections_0_is_erange)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_SETTINGS_SET, 0);
	const struct nlattr *bad;

	put_u32(nlh, FH_A_IDLE_TIMEOUT_MS, 5000);
	bad = put_u32(nlh, FH_A_MAX_CONNS, 0);
	expect_refused(_metadata, self, nlh, ERANGE, bad, 0);
}

TEST_F(nl, settings_set_idle_timeout_of_50_ms_is_einval)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_SETTINGS_SET, 0);
	const struct nlattr *bad;

	put_u32(nlh, FH_A_MAX_CONNS, 1234);
	bad = put_u32(nlh, FH_A_IDLE_TIMEOUT_MS, 50);
	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
}

/* A valid setting, then attr = val, which must be refused with ERANGE. */
static void expect_setting_erange(struct __test_metadata *_metadata, FIXTURE_DATA(nl) *self,
				  int attr, uint32_t val)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_SETTINGS_SET, 0);
	const struct nlattr *bad;

	put_u32(nlh, FH_A_MAX_CONNS, 1234);
	bad = put_u32(nlh, attr, val);
	expect_refused(_metadata, self, nlh, ERANGE, bad, 0);
}

TEST_F(nl, settings_set_keepalive_of_32768_s_is_erange)
{
	expect_setting_erange(_metadata, self, FH_A_KEEPALIVE_S, FH_KEEPALIVE_MAX_S + 1);
}

TEST_F(nl, settings_set_keepalive_interval_0_is_erange)
{
	expect_setting_erange(_metadata, self, FH_A_KEEPALIVE_INTVL_S, 0);
}

TEST_F(nl, settings_set_keepalive_interval_of_32768_s_is_erange)
{
	expect_setting_erange(_metadata, self, FH_A_KEEPALIVE_INTVL_S, FH_KEEPALIVE_MAX_S + 1);
}

TEST_F(nl, settings_set_keepalive_count_0_is_erange)
{
	expect_setting_erange(_metadata, self, FH_A_KEEPALIVE_CNT, 0);
}

TEST_F(nl, settings_set_keepalive_count_128_is_erange)
{
	expect_setting_erange(_metadata, self, FH_A_KEEPALIVE_CNT, FH_KEEPALIVE_CNT_MAX + 1);
}

TEST_F(nl, settings_set_http_header_timeout_of_50_ms_is_einval)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_SETTINGS_SET, 0);
	const struct nlattr *bad;

	put_u32(nlh, FH_A_MAX_CONNS, 1234);
	bad = put_u32(nlh, FH_A_HTTP_HEADER_TIMEOUT_MS, 50);
	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
}

TEST_F(nl, settings_set_http_header_timeout_above_a_day_is_erange)
{
	expect_setting_erange(_metadata, self, FH_A_HTTP_HEADER_TIMEOUT_MS,
			      FH_TIMEOUT_MAX_MS + 1);
}

TEST_F(nl, settings_set_http_max_header_of_1023_is_erange)
{
	expect_setting_erange(_metadata, self, FH_A_HTTP_MAX_HEADER,
			      FH_HTTP_MAX_HEADER_MIN - 1);
}

TEST_F(nl, settings_set_http_max_header_above_1_mib_is_erange)
{
	expect_setting_erange(_metadata, self, FH_A_HTTP_MAX_HEADER,
			      FH_HTTP_MAX_HEADER_MAX + 1);
}

TEST_F(nl, settings_set_http_pin_limit_below_1_mib_is_erange)
{
	expect_setting_erange(_metadata, self, FH_A_HTTP_PIN_LIMIT,
			      FH_HTTP_PIN_LIMIT_MIN - 1);
}

TEST_F(nl, settings_set_http_pin_limit_above_3_gib_is_erange)
{
	expect_setting_erange(_metadata, self, FH_A_HTTP_PIN_LIMIT,
			      FH_HTTP_PIN_LIMIT_MAX + 1);
}

TEST_F(nl, settings_set_source_prefix6_below_32_is_erange)
{
	expect_setting_erange(_metadata, self, FH_A_SOURCE_PREFIX6, FH_SOURCE_PREFIX6_MIN - 1);
}

TEST_F(nl, settings_set_source_prefix6_above_128_is_erange)
{
	expect_setting_erange(_metadata, self, FH_A_SOURCE_PREFIX6, FH_SOURCE_PREFIX6_MAX + 1);
}

TEST_F(nl, settings_set_without_any_setting_is_einval)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_SETTINGS_SET, 0);

	expect_refused(_metadata, self, nlh, EINVAL, NULL, 0);
}

TEST_F(nl, stats_get_with_a_stray_attribute_is_einval)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_STATS_GET, 0);
	const struct nlattr *bad;

	bad = put_u16(nlh, FH_A_PORT, self->port);
	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
}

TEST_F(nl, unknown_command_is_eopnotsupp)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_MAX + 10, 0);
	struct settings now;

	EXPECT_EQ(EOPNOTSUPP, fhnl_talk(&self->nl, nlh, NULL, NULL));
	EXPECT_EQ(0, listener_count(&self->nl));
	ASSERT_EQ(0, get_settings(&self->nl, &now));
	EXPECT_EQ(self->before.max_conns, now.max_conns);
}

/* ---- CACHE_FLUSH and CACHE_GET, refused --------------------------------- */

TEST_F(nl, cache_flush_of_an_unknown_address_is_enoent)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_CACHE_FLUSH, 0);

	put_loopback4(nlh, self->port);
	expect_refused(_metadata, self, nlh, ENOENT, NULL, 0);
	EXPECT_STREQ("no firehose listener has this address", self->refused_msg);
}

TEST_F(nl, cache_flush_with_an_address_but_no_port_is_einval_naming_it_missing)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_CACHE_FLUSH, 0);
	struct in_addr lo = { .s_addr = htonl(INADDR_LOOPBACK) };

	put_u16(nlh, FH_A_FAMILY, AF_INET);
	put_attr(nlh, FH_A_ADDR, sizeof(lo), &lo);
	expect_refused(_metadata, self, nlh, EINVAL, NULL, FH_A_PORT);
}

TEST_F(nl, cache_flush_with_a_protocol_is_einval)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_CACHE_FLUSH, 0);
	const struct nlattr *bad;

	bad = put_str(nlh, FH_A_PROTO, "http");
	put_loopback4(nlh, self->port);
	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
}

TEST_F(nl, cache_get_with_a_stray_attribute_is_einval)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_CACHE_GET, NLM_F_DUMP);
	const struct nlattr *bad;

	bad = put_u16(nlh, FH_A_PORT, self->port);
	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
}

/* ---- LOG_GET, refused ---------------------------------------------------- */

TEST_F(nl, log_get_with_a_stray_attribute_is_einval)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LOG_GET, NLM_F_DUMP);
	const struct nlattr *bad;

	bad = put_u16(nlh, FH_A_PORT, self->port);
	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
}

TEST_F(nl, log_get_with_a_stray_flag_is_einval)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LOG_GET, NLM_F_DUMP);
	const struct nlattr *bad;

	bad = put_attr(nlh, FH_A_RESERVED_31, 0, NULL);
	expect_refused(_metadata, self, nlh, EINVAL, bad, 0);
}

/* ---- privileges --------------------------------------------------------- */

enum nobody_op { NOBODY_LISTENER_ADD, NOBODY_SETTINGS_SET, NOBODY_STATS_GET,
		 NOBODY_SETTINGS_GET, NOBODY_CACHE_FLUSH, NOBODY_CACHE_GET, NOBODY_LOG_GET };

/*
 * Run op on a fresh socket as uid/gid 65534 without supplementary groups, in
 * a child. Returns the kernel's errno (0 success), or 250 and up when the
 * child could not get that far, or -1.
 */
static int as_nobody(enum nobody_op op, uint16_t port)
{
	struct nlmsghdr *nlh = NULL;
	struct settings s;
	struct caches cs;
	struct log_msgs lm;
	struct stats st;
	struct fhnl nl;
	int status, ret;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid) {
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
			return -1;
		return WEXITSTATUS(status);
	}
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY) ||
	    getuid() != NOBODY || geteuid() != NOBODY)
		_exit(250);
	if (fhnl_open(&nl))
		_exit(251);
	switch (op) {
	case NOBODY_LISTENER_ADD:
		nlh = fhnl_msg(&nl, FH_CMD_LISTENER_ADD, 0);
		put_str(nlh, FH_A_PROTO, "echo");
		put_loopback4(nlh, port);
		ret = fhnl_talk(&nl, nlh, NULL, NULL);
		break;
	case NOBODY_SETTINGS_SET:
		nlh = fhnl_msg(&nl, FH_CMD_SETTINGS_SET, 0);
		put_u32(nlh, FH_A_MAX_CONNS, 5);
		ret = fhnl_talk(&nl, nlh, NULL, NULL);
		break;
	case NOBODY_STATS_GET:
		memset(&st, 0, sizeof(st));
		ret = fhnl_talk(&nl, fhnl_msg(&nl, FH_CMD_STATS_GET, 0), stats_cb, &st);
		if (!ret && st.totals != 1)
			ret = 252;
		break;
	case NOBODY_SETTINGS_GET:
		ret = get_settings(&nl, &s);
		if (!ret && s.seen != NSETTINGS)
			ret = 252;
		break;
	case NOBODY_CACHE_FLUSH:
		ret = fhnl_talk(&nl, fhnl_msg(&nl, FH_CMD_CACHE_FLUSH, 0), NULL, NULL);
		break;
	case NOBODY_CACHE_GET:
		ret = dump_caches(&nl, &cs);
		break;
	case NOBODY_LOG_GET:
		ret = dump_log(&nl, &lm);
		break;
	default:
		ret = 253;
	}
	_exit(ret < 0 ? 255 : ret);
}

TEST_F(nl, unprivileged_listener_add_is_eperm_and_adds_nothing)
{
	EXPECT_EQ(EPERM, as_nobody(NOBODY_LISTENER_ADD, self->port));
	EXPECT_EQ(0, listener_count(&self->nl));
}

TEST_F(nl, unprivileged_settings_set_is_eperm_and_changes_nothing)
{
	struct settings now;

	EXPECT_EQ(EPERM, as_nobody(NOBODY_SETTINGS_SET, self->port));
	ASSERT_EQ(0, get_settings(&self->nl, &now));
	EXPECT_EQ(self->before.max_conns, now.max_conns);
}

TEST_F(nl, unprivileged_stats_get_succeeds)
{
	EXPECT_EQ(0, as_nobody(NOBODY_STATS_GET, self->port));
}

TEST_F(nl, unprivileged_settings_get_succeeds)
{
	EXPECT_EQ(0, as_nobody(NOBODY_SETTINGS_GET, self->port));
}

TEST_F(nl, unprivileged_cache_flush_is_eperm)
{
	EXPECT_EQ(EPERM, as_nobody(NOBODY_CACHE_FLUSH, self->port));
}

TEST_F(nl, unprivileged_cache_get_succeeds)
{
	EXPECT_EQ(0, as_nobody(NOBODY_CACHE_GET, self->port));
}

TEST_F(nl, unprivileged_log_get_is_eperm)
{
	EXPECT_EQ(EPERM, as_nobody(NOBODY_LOG_GET, self->port));
}

/* ---- what succeeds, reads back as documented ---------------------------- */

TEST_F(nl, listener_add_then_dump_returns_the_documented_attributes)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_ADD, 0);
	const unsigned char lo[4] = { 127, 0, 0, 1 };
	struct listeners ls;
	struct listener *l;

	put_str(nlh, FH_A_PROTO, "echo");
	put_loopback4(nlh, self->port);
	put_str(nlh, FH_A_CPUS, "0");
	ASSERT_EQ(0, fhnl_talk(&self->nl, nlh, NULL, NULL)) TH_LOG("extack '%s'", self->nl.msg);
	ASSERT_EQ(0, dump_listeners(&self->nl, &ls));
	ASSERT_EQ(1, ls.n);
	l = &ls.v[0];
	EXPECT_EQ(FH_CMD_LISTENER_GET, l->cmd);
	EXPECT_EQ(2, l->family_len);
	EXPECT_EQ(AF_INET, l->family);
	ASSERT_EQ(4, l->addr_len);
	EXPECT_EQ(0, memcmp(lo, l->addr, 4));
	EXPECT_EQ(2, l->port_len);
	EXPECT_EQ(self->port, l->port);
	EXPECT_TRUE(l->proto_nul);
	EXPECT_STREQ("echo", l->proto);
	EXPECT_TRUE(l->cpus_nul);
	EXPECT_STREQ("0", l->cpus);
	EXPECT_EQ(8, l->accepted_len);
	EXPECT_EQ((uint64_t)0, l->accepted);
	EXPECT_EQ(8, l->active_len);
	EXPECT_EQ((uint64_t)0, l->active);
	EXPECT_EQ(4, l->max_conns_len);
	EXPECT_EQ(0U, l->max_conns);
}

TEST_F(nl, listener_add_ipv6_dumps_sixteen_address_bytes_and_every_cpu)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_ADD, 0);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	struct listeners ls;
	char want[32];

	if (n == 1)
		snprintf(want, sizeof(want), "0");
	else
		snprintf(want, sizeof(want), "0-%ld", n - 1);
	put_str(nlh, FH_A_PROTO, "echo");
	put_loopback6(nlh, self->port);
	ASSERT_EQ(0, fhnl_talk(&self->nl, nlh, NULL, NULL)) TH_LOG("extack '%s'", self->nl.msg);
	ASSERT_EQ(0, dump_listeners(&self->nl, &ls));
	ASSERT_EQ(1, ls.n);
	EXPECT_EQ(AF_INET6, ls.v[0].family);
	ASSERT_EQ(16, ls.v[0].addr_len);
	EXPECT_EQ(0, memcmp(&in6addr_loopback, ls.v[0].addr, 16));
	EXPECT_EQ(self->port, ls.v[0].port);
	EXPECT_STREQ(want, ls.v[0].cpus);
}

TEST_F(nl, listener_add_twice_is_eexist_and_keeps_one_listener)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_ADD, 0);

	put_str(nlh, FH_A_PROTO, "echo");
	put_loopback4(nlh, self->port);
	ASSERT_EQ(0, fhnl_talk(&self->nl, nlh, NULL, NULL));
	nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_ADD, 0);
	put_str(nlh, FH_A_PROTO, "echo");
	put_loopback4(nlh, self->port);
	EXPECT_EQ(EEXIST, fhnl_talk(&self->nl, nlh, NULL, NULL));
	EXPECT_NE(0, self->nl.msg[0]) TH_LOG("no extack message");
	EXPECT_EQ(1, listener_count(&self->nl));
}

TEST_F(nl, listener_del_removes_it_and_a_second_del_is_enoent)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_ADD, 0);

	put_str(nlh, FH_A_PROTO, "echo");
	put_loopback4(nlh, self->port);
	ASSERT_EQ(0, fhnl_talk(&self->nl, nlh, NULL, NULL));
	nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_DEL, 0);
	put_loopback4(nlh, self->port);
	EXPECT_EQ(0, fhnl_talk(&self->nl, nlh, NULL, NULL));
	EXPECT_EQ(0, listener_count(&self->nl));
	nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_DEL, 0);
	put_loopback4(nlh, self->port);
	EXPECT_EQ(ENOENT, fhnl_talk(&self->nl, nlh, NULL, NULL));
}

TEST_F(nl, settings_set_reads_back_through_settings_get)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_SETTINGS_SET, 0);
	struct settings now;

	put_u32(nlh, FH_A_MAX_CONNS, 4321);
	put_u32(nlh, FH_A_IDLE_TIMEOUT_MS, 0);
	put_u32(nlh, FH_A_SEND_TIMEOUT_MS, 100);
	ASSERT_EQ(0, fhnl_talk(&self->nl, nlh, NULL, NULL)) TH_LOG("extack '%s'", self->nl.msg);
	ASSERT_EQ(0, get_settings(&self->nl, &now));
	EXPECT_EQ(4321U, now.max_conns);
	EXPECT_EQ(0U, now.idle_ms);
	EXPECT_EQ(100U, now.send_ms);
}

TEST_F(nl, settings_set_keepalive_at_its_limits_reads_back_through_settings_get)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_SETTINGS_SET, 0);
	struct settings now;

	put_u32(nlh, FH_A_KEEPALIVE_S, 0);
	put_u32(nlh, FH_A_KEEPALIVE_INTVL_S, FH_KEEPALIVE_MAX_S);
	put_u32(nlh, FH_A_KEEPALIVE_CNT, FH_KEEPALIVE_CNT_MAX);
	ASSERT_EQ(0, fhnl_talk(&self->nl, nlh, NULL, NULL)) TH_LOG("extack '%s'", self->nl.msg);
	ASSERT_EQ(0, get_settings(&self->nl, &now));
	EXPECT_EQ(0U, now.keepalive_s);
	EXPECT_EQ((uint32_t)FH_KEEPALIVE_MAX_S, now.keepalive_intvl_s);
	EXPECT_EQ((uint32_t)FH_KEEPALIVE_CNT_MAX, now.keepalive_cnt);
	EXPECT_EQ(self->before.max_conns, now.max_conns);
}

TEST_F(nl, stats_get_has_totals_and_one_nest_per_cpu_with_its_cpu_first)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	struct stats st = { 0 };

	ASSERT_EQ(0, fhnl_talk(&self->nl, fhnl_msg(&self->nl, FH_CMD_STATS_GET, 0),
			       stats_cb, &st));
	EXPECT_EQ(1, st.totals);
	EXPECT_EQ(n, st.cpus);
	EXPECT_EQ(n, st.cpu_first);
	EXPECT_EQ(n, st.cpu_ids);
}

TEST_F(nl, settings_set_http_settings_read_back_through_settings_get)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_SETTINGS_SET, 0);
	struct settings now;

	put_u32(nlh, FH_A_HTTP_HEADER_TIMEOUT_MS, 2500);
	put_u32(nlh, FH_A_HTTP_MAX_HEADER, FH_HTTP_MAX_HEADER_MAX);
	ASSERT_EQ(0, fhnl_talk(&self->nl, nlh, NULL, NULL)) TH_LOG("extack '%s'", self->nl.msg);
	ASSERT_EQ(0, get_settings(&self->nl, &now));
	EXPECT_EQ(2500U, now.http_header_ms);
	EXPECT_EQ((uint32_t)FH_HTTP_MAX_HEADER_MAX, now.http_max_header);
	EXPECT_EQ(self->before.idle_ms, now.idle_ms);
}

TEST_F(nl, settings_set_http_header_timeout_0_turns_it_off)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_SETTINGS_SET, 0);
	struct settings now;

	put_u32(nlh, FH_A_HTTP_HEADER_TIMEOUT_MS, 0);
	put_u32(nlh, FH_A_HTTP_MAX_HEADER, FH_HTTP_MAX_HEADER_MIN);
	ASSERT_EQ(0, fhnl_talk(&self->nl, nlh, NULL, NULL)) TH_LOG("extack '%s'", self->nl.msg);
	ASSERT_EQ(0, get_settings(&self->nl, &now));
	EXPECT_EQ(0U, now.http_header_ms);
	EXPECT_EQ((uint32_t)FH_HTTP_MAX_HEADER_MIN, now.http_max_header);
}

TEST_F(nl, fresh_module_has_the_documented_http_defaults)
{
	/* The fixture's teardown restores these; the module loads with them. */
	EXPECT_EQ(10000U, self->before.http_header_ms);
	EXPECT_EQ(32768U, self->before.http_max_header);
}

/* Add an echo listener on loopback at port; 0 or the errno. */
static int add_echo(struct fhnl *nl, uint16_t port)
{
	struct nlmsghdr *nlh = fhnl_msg(nl, FH_CMD_LISTENER_ADD, 0);

	put_str(nlh, FH_A_PROTO, "echo");
	put_loopback4(nlh, port);
	return fhnl_talk(nl, nlh, NULL, NULL);
}

TEST_F(nl, listener_echo_dumps_no_site_attributes)
{
	struct listeners ls;

	ASSERT_EQ(0, add_echo(&self->nl, self->port)) TH_LOG("extack '%s'", self->nl.msg);
	ASSERT_EQ(0, dump_listeners(&self->nl, &ls));
	ASSERT_EQ(1, ls.n);
	EXPECT_EQ(0, ls.v[0].site_attrs);
	EXPECT_EQ(0, ls.v[0].http_nests);
	EXPECT_EQ(0, ls.v[0].kv_nests);
}

TEST_F(nl, cache_flush_of_an_echo_listener_is_eopnotsupp)
{
	struct nlmsghdr *nlh;

	ASSERT_EQ(0, add_echo(&self->nl, self->port)) TH_LOG("extack '%s'", self->nl.msg);
	nlh = fhnl_msg(&self->nl, FH_CMD_CACHE_FLUSH, 0);
	put_loopback4(nlh, self->port);
	EXPECT_EQ(EOPNOTSUPP, fhnl_talk(&self->nl, nlh, NULL, NULL));
	EXPECT_STREQ("this listener's protocol has no cache", self->nl.msg);
	EXPECT_EQ(1, listener_count(&self->nl));
}

TEST_F(nl, cache_flush_of_every_listener_without_a_cache_succeeds)
{
	ASSERT_EQ(0, add_echo(&self->nl, self->port)) TH_LOG("extack '%s'", self->nl.msg);
	EXPECT_EQ(0, fhnl_talk(&self->nl, fhnl_msg(&self->nl, FH_CMD_CACHE_FLUSH, 0), NULL, NULL))
		TH_LOG("extack '%s'", self->nl.msg);
	EXPECT_EQ(1, listener_count(&self->nl));
}

TEST_F(nl, cache_get_lists_no_echo_listener)
{
	struct caches cs;

	ASSERT_EQ(0, add_echo(&self->nl, self->port)) TH_LOG("extack '%s'", self->nl.msg);
	ASSERT_EQ(0, dump_caches(&self->nl, &cs));
	EXPECT_EQ(0, cs.n);
}

/* ---- http listeners (need the http protocol built in) ------------------- */

/*
 * An http LISTENER_ADD on loopback at port, with root unless NULL, its
 * nest last: nest_put() adds more options.
 */
static struct nlmsghdr *http_add_msg(struct fhnl *nl, uint16_t port, const char *root)
{
	struct nlmsghdr *nlh = fhnl_msg(nl, FH_CMD_LISTENER_ADD, 0);

	put_str(nlh, FH_A_PROTO, "http");
	put_loopback4(nlh, port);
	nest_open(nlh, FH_A_LISTENER_HTTP);
	if (root)
		nest_put_str(nlh, FH_HTTP_OPT_ROOT, root);
	return nlh;
}

TEST_F(nl, listener_add_http_without_root_is_einval)
{
	expect_refused(_metadata, self, http_add_msg(&self->nl, self->port, NULL), EINVAL,
		       NULL, 0);
	EXPECT_EQ(0, strncmp(self->refused_msg, "http needs a document root", 26))
		TH_LOG("extack '%s'", self->refused_msg);
}

TEST_F(nl, listener_add_http_with_a_relative_root_is_einval)
{
	expect_refused(_metadata, self, http_add_msg(&self->nl, self->port, "tmp"), EINVAL,
		       NULL, 0);
}

TEST_F(nl, listener_add_http_with_a_missing_root_fails_and_adds_nothing)
{
	struct nlmsghdr *nlh = http_add_msg(&self->nl, self->port, "/nonexistent/fh-root");

	EXPECT_NE(0, fhnl_talk(&self->nl, nlh, NULL, NULL));
	EXPECT_NE(0, self->nl.msg[0]) TH_LOG("no extack message");
	EXPECT_EQ(0, listener_count(&self->nl));
}

TEST_F(nl, listener_add_http_dumps_root_uid_gid_and_the_default_cache)
{
	char root[] = "/tmp/fh-nl-XXXXXX";
	struct nlmsghdr *nlh;
	struct listeners ls;
	struct listener *l;

	ASSERT_NE(NULL, mkdtemp(root));
	nlh = http_add_msg(&self->nl, self->port, root);
	nest_put_u32(nlh, FH_HTTP_OPT_UID, NOBODY);
	nest_put_u32(nlh, FH_HTTP_OPT_GID, NOBODY);
	EXPECT_EQ(0, fhnl_talk(&self->nl, nlh, NULL, NULL)) TH_LOG("extack '%s'", self->nl.msg);
	EXPECT_EQ(0, dump_listeners(&self->nl, &ls));
	rmdir(root);
	ASSERT_EQ(1, ls.n);
	l = &ls.v[0];
	EXPECT_STREQ("http", l->proto);
	EXPECT_EQ(1, l->http_nests);
	EXPECT_EQ(0, l->kv_nests);
	EXPECT_EQ(4, l->site_attrs);
	EXPECT_TRUE(l->root_nul);
	EXPECT_STREQ(root, l->root);
	EXPECT_EQ(4, l->uid_len);
	EXPECT_EQ((uint32_t)NOBODY, l->uid);
	EXPECT_EQ(4, l->gid_len);
	EXPECT_EQ((uint32_t)NOBODY, l->gid);
	EXPECT_EQ(8, l->cache_len);
	EXPECT_EQ((uint64_t)64 << 20, l->cache);
}

TEST_F(nl, listener_add_http_with_cache_0_dumps_cache_0)
{
	char root[] = "/tmp/fh-nl-XXXXXX";
	struct nlmsghdr *nlh;
	struct listeners ls;

	ASSERT_NE(NULL, mkdtemp(root));
	nlh = http_add_msg(&self->nl, self->port, root);
	nest_put_u64(nlh, FH_HTTP_OPT_CACHE, 0);
	EXPECT_EQ(0, fhnl_talk(&self->nl, nlh, NULL, NULL)) TH_LOG("extack '%s'", self->nl.msg);
	EXPECT_EQ(0, dump_listeners(&self->nl, &ls));
	rmdir(root);
	ASSERT_EQ(1, ls.n);
	EXPECT_EQ(8, ls.v[0].cache_len);
	EXPECT_EQ((uint64_t)0, ls.v[0].cache);
}

/*
 * A root of nearly PATH_MAX bytes (nested directories) still lists: the
 * dump makes room for it.
 */
TEST_F(nl, listener_add_http_with_a_root_near_path_max_dumps_it_whole)
{
	char base[] = "/tmp/fh-nl-XXXXXX";
	static char root[PATH_MAX];
	char part[201];
	struct listeners ls;
	size_t len;
	int depth = 0;

	ASSERT_NE(NULL, mkdtemp(base));
	memset(part, 'd', sizeof(part) - 1);
	part[sizeof(part) - 1] = '\0';
	snprintf(root, sizeof(root), "%s", base);
	len = strlen(root);
	while (len + 1 + strlen(part) < PATH_MAX - 1) {
		root[len++] = '/';
		memcpy(root + len, part, strlen(part) + 1);
		len += strlen(part);
		ASSERT_EQ(0, mkdir(root, 0755)) TH_LOG("mkdir %zu bytes: %s", len, strerror(errno));
		depth++;
	}
	EXPECT_EQ(0, fhnl_talk(&self->nl, http_add_msg(&self->nl, self->port, root), NULL, NULL))
		TH_LOG("extack '%s'", self->nl.msg);
	EXPECT_EQ(0, dump_listeners(&self->nl, &ls));
	EXPECT_EQ(1, ls.n);
	EXPECT_STREQ(root, ls.v[0].root);
	for (; depth > 0; depth--) {
		rmdir(root);
		*strrchr(root, '/') = '\0';
	}
	rmdir(base);
}

TEST_F(nl, cache_get_reports_an_http_listener_with_every_documented_attribute)
{
	static const int u64s[] = { FH_A_LISTENER_CACHE, FH_A_CACHE_BYTES, FH_A_CACHE_ENTRIES,
				    FH_A_CACHE_HITS, FH_A_CACHE_MISSES, FH_A_CACHE_EVICTIONS,
				    FH_A_CACHE_INVALIDATIONS, FH_A_CACHE_LOADS, FH_A_CACHE_PINNED };
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_ADD, 0);
	char root[] = "/tmp/fh-nl-XXXXXX";
	struct caches cs;

	ASSERT_NE(NULL, mkdtemp(root));
	/* An echo listener beside it, on [::1] (the teardown removes both). */
	put_str(nlh, FH_A_PROTO, "echo");
	put_loopback6(nlh, self->port);
	ASSERT_EQ(0, fhnl_talk(&self->nl, nlh, NULL, NULL)) TH_LOG("extack '%s'", self->nl.msg);
	EXPECT_EQ(0, fhnl_talk(&self->nl, http_add_msg(&self->nl, self->port, root), NULL, NULL))
		TH_LOG("extack '%s'", self->nl.msg);
	rmdir(root);
	ASSERT_EQ(0, dump_caches(&self->nl, &cs));
	ASSERT_EQ(1, cs.n);
	EXPECT_EQ(FH_CMD_CACHE_GET, cs.v[0].cmd);
	EXPECT_STREQ("http", cs.v[0].proto);
	EXPECT_EQ(2, cs.v[0].len[FH_A_FAMILY]);
	EXPECT_EQ(4, cs.v[0].len[FH_A_ADDR]);
	EXPECT_EQ(self->port, cs.v[0].port);
	for (size_t i = 0; i < sizeof(u64s) / sizeof(u64s[0]); i++) {
		int type = u64s[i];

		EXPECT_EQ(8, cs.v[0].len[type]) TH_LOG("attribute %d", type);
	}
	EXPECT_EQ((uint64_t)64 << 20, cs.v[0].v[FH_A_LISTENER_CACHE]);
	EXPECT_EQ((uint64_t)0, cs.v[0].v[FH_A_CACHE_ENTRIES]);
}

TEST_F(nl, cache_flush_of_an_http_listener_succeeds)
{
	char root[] = "/tmp/fh-nl-XXXXXX";
	struct nlmsghdr *nlh;

	ASSERT_NE(NULL, mkdtemp(root));
	EXPECT_EQ(0, fhnl_talk(&self->nl, http_add_msg(&self->nl, self->port, root), NULL, NULL))
		TH_LOG("extack '%s'", self->nl.msg);
	rmdir(root);
	nlh = fhnl_msg(&self->nl, FH_CMD_CACHE_FLUSH, 0);
	put_loopback4(nlh, self->port);
	EXPECT_EQ(0, fhnl_talk(&self->nl, nlh, NULL, NULL)) TH_LOG("extack '%s'", self->nl.msg);
}

/* ---- the access log (needs http) --------------------------------------- */

TEST_F(nl, listener_add_http_with_access_log_dumps_the_flag)
{
	char root[] = "/tmp/fh-nl-XXXXXX";
	struct nlmsghdr *nlh;
	struct listeners ls;

	ASSERT_NE(NULL, mkdtemp(root));
	nlh = http_add_msg(&self->nl, self->port, root);
	nest_put(nlh, FH_HTTP_OPT_ACCESS_LOG, 0, NULL);
	EXPECT_EQ(0, fhnl_talk(&self->nl, nlh, NULL, NULL)) TH_LOG("extack '%s'", self->nl.msg);
	EXPECT_EQ(0, dump_listeners(&self->nl, &ls));
	rmdir(root);
	ASSERT_EQ(1, ls.n);
	EXPECT_EQ(1, ls.v[0].access_log_seen);
	EXPECT_EQ(0, ls.v[0].access_log_len);
	/* the other site attributes as always */
	EXPECT_EQ(4, ls.v[0].site_attrs);
}

TEST_F(nl, listener_add_http_without_access_log_dumps_no_flag)
{
	char root[] = "/tmp/fh-nl-XXXXXX";
	struct listeners ls;

	ASSERT_NE(NULL, mkdtemp(root));
	EXPECT_EQ(0, fhnl_talk(&self->nl, http_add_msg(&self->nl, self->port, root), NULL, NULL))
		TH_LOG("extack '%s'", self->nl.msg);
	EXPECT_EQ(0, dump_listeners(&self->nl, &ls));
	rmdir(root);
	ASSERT_EQ(1, ls.n);
	EXPECT_EQ(0, ls.v[0].access_log_seen);
}

TEST_F(nl, listener_set_of_an_http_listener_is_eopnotsupp_and_changes_nothing)
{
	char root[] = "/tmp/fh-nl-XXXXXX";
	struct nlmsghdr *nlh;
	struct listeners ls;

	ASSERT_NE(NULL, mkdtemp(root));
	nlh = http_add_msg(&self->nl, self->port, root);
	nest_put_u64(nlh, FH_HTTP_OPT_CACHE, 1 << 20);
	ASSERT_EQ(0, fhnl_talk(&self->nl, nlh, NULL, NULL)) TH_LOG("extack '%s'", self->nl.msg);
	nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_SET, 0);
	put_loopback4(nlh, self->port);
	nest_open(nlh, FH_A_LISTENER_HTTP);
	nest_put_u64(nlh, FH_HTTP_OPT_CACHE, 2 << 20);
	EXPECT_EQ(EOPNOTSUPP, fhnl_talk(&self->nl, nlh, NULL, NULL));
	EXPECT_STREQ("this protocol's options cannot be changed while it runs", self->nl.msg);
	/* Another protocol's nest names that protocol first. */
	nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_SET, 0);
	put_loopback4(nlh, self->port);
	nest_open(nlh, FH_A_LISTENER_KV);
	nest_put_u64(nlh, FH_KV_OPT_MEM, 64 << 20);
	EXPECT_EQ(EINVAL, fhnl_talk(&self->nl, nlh, NULL, NULL));
	EXPECT_STREQ("these options are for protocol kv", self->nl.msg);
	EXPECT_EQ(0, dump_listeners(&self->nl, &ls));
	rmdir(root);
	ASSERT_EQ(1, ls.n);
	EXPECT_EQ((uint64_t)1 << 20, ls.v[0].cache);
}

/* One request on a fresh connection with Connection: close; the response's body bytes, or -1. */
static long http_get_close(uint16_t port, const char *path, int *status)
{
	static char resp[65536];
	char req[512];
	const char *body;
	long n;
	int fd;

	fd = fh_connect("127.0.0.1", port);
	if (fd < 0)
		return -1;
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
		 path);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		close(fd);
		return -1;
	}
	n = fh_read_to_eof(fd, resp, sizeof(resp) - 1, 10000);
	close(fd);
	if (n <= 0)
		return -1;
	resp[n] = '\0';
	body = strstr(resp, "\r\n\r\n");
	if (!body || sscanf(resp, "HTTP/1.%*d %d", status) != 1)
		return -1;
	return n - (body + 4 - resp);
}

TEST_F(nl, log_get_record_of_a_request_has_the_documented_attributes)
{
	const unsigned char lo[4] = { 127, 0, 0, 1 };
	char root[] = "/tmp/fh-nl-XXXXXX";
	struct nlmsghdr *nlh;
	struct log_msgs lm;
	struct log_msg *m;
	long long end;
	int status = 0;
	long body;

	ASSERT_NE(NULL, mkdtemp(root));
	/* mkdtemp's 0700 would make every request 403 for the site's user, nobody */
	ASSERT_EQ(0, chmod(root, 0755));
	nlh = http_add_msg(&self->nl, self->port, root);
	nest_put(nlh, FH_HTTP_OPT_ACCESS_LOG, 0, NULL);
	ASSERT_EQ(0, fhnl_talk(&self->nl, nlh, NULL, NULL)) TH_LOG("extack '%s'", self->nl.msg);
	/* what earlier tests left */
	ASSERT_EQ(0, dump_log(&self->nl, &lm));
	body = http_get_close(self->port, "/nothing", &status);
	ASSERT_LT(0, body);
	EXPECT_EQ(404, status);
	/* the record may be written just after the response is sent */
	end = fh_now_ms() + 2000;
	do {
		ASSERT_EQ(0, dump_log(&self->nl, &lm));
	} while (!lm.n && fh_now_ms() < end && !usleep(20000));
	rmdir(root);
	ASSERT_EQ(1, lm.total);
	m = &lm.v[0];
	EXPECT_EQ(FH_CMD_LOG_GET, m->cmd);
	EXPECT_EQ(8, m->len[FH_A_LOG_TIME]);
	EXPECT_GE(60, llabs((long long)m->time - (long long)time(NULL))) TH_LOG("time %llu",
		(unsigned long long)m->time);
	EXPECT_EQ(2, m->len[FH_A_FAMILY]);
	EXPECT_EQ(AF_INET, m->family);
	ASSERT_EQ(4, m->len[FH_A_ADDR]);
	EXPECT_EQ(0, memcmp(lo, m->addr, 4));
	EXPECT_EQ(2, m->len[FH_A_PORT]);
	EXPECT_EQ(self->port, m->port);
	EXPECT_TRUE(m->method_nul);
	EXPECT_STREQ("GET", m->method);
	EXPECT_TRUE(m->target_nul);
	EXPECT_STREQ("/nothing", m->target);
	EXPECT_EQ(1, m->len[FH_A_LOG_VERSION]);
	EXPECT_EQ(11, m->version);
	EXPECT_EQ(2, m->len[FH_A_LOG_STATUS]);
	EXPECT_EQ(404, m->status);
	EXPECT_EQ(8, m->len[FH_A_LOG_BYTES]);
	EXPECT_EQ((uint64_t)body, m->bytes);
}

TEST_HARNESS_MAIN
