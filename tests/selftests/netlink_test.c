// SPDX-License-Identifier: GPL-2.0
/*
 * The "firehose" generic netlink family, spoken raw: every malformed request
 * is refused with the documented errno and an extended-ack message, and
 * changes nothing; state-changing commands need CAP_NET_ADMIN; a listener
 * reads back with the attributes include/uapi/firehose.h documents.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
	_Alignas(8) char tx[4096];
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

struct settings {
	uint32_t max_conns, max_conns_per_source, idle_ms, send_ms;
	uint32_t keepalive_s, keepalive_intvl_s, keepalive_cnt;
	int seen;
};

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
};

FIXTURE_SETUP(nl)
{
	ASSERT_EQ(0, fh_module_load());
	ASSERT_EQ(0, fhnl_open(&self->nl));
	self->port = (uint16_t)fh_test_port(21000);
	ASSERT_EQ(0, get_settings(&self->nl, &self->before));
	ASSERT_EQ(7, self->before.seen);
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
	put_u32(nlh, FH_A_MAX_CONNS_PER_SOURCE, 0);
	put_u32(nlh, FH_A_IDLE_TIMEOUT_MS, 60000);
	put_u32(nlh, FH_A_SEND_TIMEOUT_MS, 30000);
	put_u32(nlh, FH_A_KEEPALIVE_S, 60);
	put_u32(nlh, FH_A_KEEPALIVE_INTVL_S, 10);
	put_u32(nlh, FH_A_KEEPALIVE_CNT, 6);
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

TEST_F(nl, listener_add_known_but_unbuilt_protocol_http_is_eprotonosupport)
{
	struct nlmsghdr *nlh = fhnl_msg(&self->nl, FH_CMD_LISTENER_ADD, 0);
	const struct nlattr *bad;

	bad = put_str(nlh, FH_A_PROTO, "http");
	put_loopback4(nlh, self->port);
	expect_refused(_metadata, self, nlh, EPROTONOSUPPORT, bad, 0);
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

/* ---- privileges --------------------------------------------------------- */

enum nobody_op { NOBODY_LISTENER_ADD, NOBODY_SETTINGS_SET, NOBODY_STATS_GET,
		 NOBODY_SETTINGS_GET };

/*
 * Run op on a fresh socket as uid/gid 65534 without supplementary groups, in
 * a child. Returns the kernel's errno (0 success), or 250 and up when the
 * child could not get that far, or -1.
 */
static int as_nobody(enum nobody_op op, uint16_t port)
{
	struct nlmsghdr *nlh = NULL;
	struct settings s;
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
		if (!ret && s.seen != 7)
			ret = 252;
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

TEST_HARNESS_MAIN
