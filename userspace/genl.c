// SPDX-License-Identifier: GPL-2.0
/*
 * fhctl's generic netlink layer: open a socket and resolve the firehose
 * family, send a request and read its replies until the ack, and turn the
 * kernel's errno and extended-ack message into one error line. Also the
 * small helpers every reply parser uses.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "fhctl.h"

/*
 * Large enough for a stats reply from a machine with a thousand or so CPUs;
 * a reply that does not fit is reported (ENOSPC) rather than silently cut.
 */
#define RX_BUF_SIZE	(1 << 20)

/* mnl_cb_run2() hands the same pointer to data and control callbacks. */
struct talk {
	struct genl *g;
	mnl_cb_t cb;
	void *data;
};

static int extack_attr_cb(const struct nlattr *attr, void *data)
{
	struct genl *g = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(g->msg, sizeof(g->msg), "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

static void parse_extack(struct genl *g, const struct nlmsghdr *nlh, size_t off)
{
	size_t len = mnl_nlmsg_get_payload_len(nlh);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off >= len)
		return;
	mnl_attr_parse_payload((const char *)mnl_nlmsg_get_payload(nlh) + off,
			       len - off, extack_attr_cb, g);
}

static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP;	/* the ack that ends every request */

	t->g->err = -e->error;
	/* Unless capped, the kernel echoes our request before the TLVs. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len >= sizeof(struct nlmsghdr))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	parse_extack(t->g, nlh, off);
	errno = t->g->err;
	return MNL_CB_ERROR;
}

/* A dump that fails part way reports the error in NLMSG_DONE, not in an ack. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	int err;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(err))
		return MNL_CB_STOP;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err >= 0)
		return MNL_CB_STOP;
	t->g->err = -err;
	parse_extack(t->g, nlh, sizeof(err));
	errno = t->g->err;
	return MNL_CB_ERROR;
}

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;

	return t->cb ? t->cb(nlh, t->data) : MNL_CB_OK;
}

static struct nlmsghdr *genl_msg(struct genl *g, uint16_t type, uint8_t cmd,
				 uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(g->tx);
	struct genlmsghdr *gh;

	nlh->nlmsg_type = type;
	/* Always ask for an ack: it is the only place extack errors arrive. */
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++g->seq;
	gh = mnl_nlmsg_put_extra_header(nlh, sizeof(*gh));
	gh->cmd = cmd;
	gh->version = version;
	return nlh;
}

/*
 * Send @nlh and feed every reply to @cb until the ack (or the end of a dump).
 * Returns 0, or -1 with g->err and possibly g->msg describing the failure.
 */
int genl_talk(struct genl *g, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = error_cb,
		[NLMSG_DONE] = done_cb,
	};
	struct talk t = { .g = g, .cb = cb, .data = data };
	int ret;

	g->err = 0;
	g->msg[0] = '\0';
	if (mnl_socket_sendto(g->nl, nlh, nlh->nlmsg_len) < 0) {
		g->err = errno;
		return -1;
	}
	do {
		ssize_t n = mnl_socket_recvfrom(g->nl, g->rx, RX_BUF_SIZE);
		if (n < 0) {
			g->err = errno;
			if (errno == ENOSPC)
				snprintf(g->msg, sizeof(g->msg), "reply too large");
			return -1;
		}
		errno = 0;
		ret = mnl_cb_run2(g->rx, n, nlh->nlmsg_seq, g->portid, data_cb, &t,
				  ctl, NLMSG_MIN_TYPE);
	} while (ret > MNL_CB_STOP);

	if (ret == MNL_CB_ERROR) {
		if (!g->err) {
			/* Not the kernel's verdict: our parser refused the reply. */
			g->err = errno ? errno : EPROTO;
			snprintf(g->msg, sizeof(g->msg), "unexpected reply from the kernel");
		}
		return -1;
	}
	return 0;
}

/* What the last failed genl_talk() said, for an error line. */
const char *genl_strerror(const struct genl *g, char *buf, size_t size)
{
	if (g->msg[0])
		snprintf(buf, size, "%s (%s)", g->msg, strerror(g->err));
	else if (g->err == EPERM)
		snprintf(buf, size, "%s (needs CAP_NET_ADMIN)", strerror(g->err));
	else
		snprintf(buf, size, "%s", strerror(g->err));
	return buf;
}

void __attribute__((noreturn)) genl_report(const struct genl *g, const char *ctx)
{
	char buf[512];

	die("%s: %s", ctx, genl_strerror(g, buf, sizeof(buf)));
}

/* genl_talk() that reports any failure and exits. */
void genl_do(struct genl *g, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
		    const char *ctx)
{
	if (genl_talk(g, nlh, cb, data))
		genl_report(g, ctx);
}

struct family_info {
	uint16_t id;
	uint32_t version;
};

static int family_attr_cb(const struct nlattr *attr, void *data)
{
	struct family_info *fi = data;

	switch (mnl_attr_get_type(attr)) {
	case CTRL_ATTR_FAMILY_ID:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
			return MNL_CB_ERROR;
		fi->id = mnl_attr_get_u16(attr);
		break;
	case CTRL_ATTR_VERSION:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		fi->version = mnl_attr_get_u32(attr);
		break;
	}
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb, data);
}

/* Open a socket and resolve the firehose family; exits on failure. */
void genl_open(struct genl *g, const char *ctx)
{
	struct family_info fi = { 0 };
	struct nlmsghdr *nlh;
	int one = 1;

	memset(g, 0, sizeof(*g));
	g->rx = malloc(RX_BUF_SIZE);
	if (!g->rx)
		die("%s: out of memory", ctx);
	g->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!g->nl)
		die("%s: cannot open generic netlink socket: %s", ctx, strerror(errno));
	/*
	 * Best effort: a kernel without these still works, we only lose the
	 * error text (EXT_ACK) or receive our request echoed back (CAP_ACK).
	 */
	mnl_socket_setsockopt(g->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(g->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(g->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die("%s: cannot bind netlink socket: %s", ctx, strerror(errno));
	g->portid = mnl_socket_get_portid(g->nl);
	g->seq = (uint32_t)time(NULL);

	nlh = genl_msg(g, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, FH_GENL_NAME);
	if (genl_talk(g, nlh, family_cb, &fi)) {
		if (g->err == ENOENT)
			die("firehose module not loaded (insmod firehose.ko)");
		genl_report(g, ctx);
	}
	if (!fi.id)
		die("%s: no family id in the kernel's reply", ctx);
	/* Newer versions must stay compatible; an older one may lack commands. */
	if (fi.version < FH_GENL_VERSION)
		die("%s: firehose module speaks netlink version %" PRIu32 ", fhctl needs %d",
		    ctx, fi.version, FH_GENL_VERSION);
	g->family = fi.id;
}

void genl_close(struct genl *g)
{
	mnl_socket_close(g->nl);
	free(g->rx);
}

struct nlmsghdr *fh_msg(struct genl *g, uint8_t cmd, uint16_t flags)
{
	/*
	 * Commands return before they send in a dry run; this is the backstop.
	 * Reading the log consumes it, so it counts as a change.
	 */
	if (dry_run && (cmd == FH_CMD_LISTENER_ADD || cmd == FH_CMD_LISTENER_DEL ||
			cmd == FH_CMD_SETTINGS_SET || cmd == FH_CMD_CACHE_FLUSH ||
			cmd == FH_CMD_LOG_GET || cmd == FH_CMD_UPSTREAM_ADD ||
			cmd == FH_CMD_UPSTREAM_DEL))
		die("internal error: a dry run tried to change the kernel's state");
	return genl_msg(g, g->family, cmd, FH_GENL_VERSION, flags);
}

/* ------------------------------------------------------------------------ */
/* Reply attributes                                                          */

/* Counters are u64, but accept a u32 too rather than fail on a narrow one. */
bool attr_get_uint(const struct nlattr *attr, uint64_t *out)
{
	switch (mnl_attr_get_payload_len(attr)) {
	case sizeof(uint64_t):
		*out = mnl_attr_get_u64(attr);
		return true;
	case sizeof(uint32_t):
		*out = mnl_attr_get_u32(attr);
		return true;
	}
	return false;
}

int fh_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	/* Attributes from a newer module are skipped, not fatal. */
	if (mnl_attr_type_valid(attr, FH_A_MAX) > 0)
		tb[type] = attr;
	return MNL_CB_OK;
}

void copy_str_attr(char *dst, size_t size, const struct nlattr *attr)
{
	size_t len;

	if (!attr) {
		snprintf(dst, size, "-");
		return;
	}
	/* Not trusting the kernel to NUL-terminate within the payload. */
	len = strnlen(mnl_attr_get_payload(attr), mnl_attr_get_payload_len(attr));
	if (len >= size)
		len = size - 1;
	memcpy(dst, mnl_attr_get_payload(attr), len);
	dst[len] = '\0';
}

bool attr_endpoint(const struct nlattr *const *tb, struct endpoint *ep)
{
	if (!tb[FH_A_FAMILY] || !tb[FH_A_ADDR] || !tb[FH_A_PORT] ||
	    mnl_attr_validate(tb[FH_A_FAMILY], MNL_TYPE_U16) < 0 ||
	    mnl_attr_validate(tb[FH_A_PORT], MNL_TYPE_U16) < 0)
		return false;
	memset(ep, 0, sizeof(*ep));
	ep->family = mnl_attr_get_u16(tb[FH_A_FAMILY]);
	if ((ep->family != AF_INET && ep->family != AF_INET6) ||
	    mnl_attr_get_payload_len(tb[FH_A_ADDR]) != addr_len(ep->family))
		return false;
	memcpy(ep->addr, mnl_attr_get_payload(tb[FH_A_ADDR]), addr_len(ep->family));
	ep->port = mnl_attr_get_u16(tb[FH_A_PORT]);
	return true;
}

void *dump_grow(void *v, size_t n, size_t *cap, size_t elem)
{
	size_t want;

	if (n < *cap)
		return v;
	want = *cap ? *cap * 2 : 16;
	v = realloc(v, want * elem);
	if (!v) {
		errno = ENOMEM;
		return NULL;
	}
	*cap = want;
	return v;
}
