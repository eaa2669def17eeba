// SPDX-License-Identifier: GPL-2.0
/*
 * fhctl - control the firehose in-kernel TCP request server.
 *
 * Talks to the module over the "firehose" generic netlink family described in
 * include/uapi/firehose.h and netlink/firehose.yaml.
 *
 * Exit status: 0 success, 1 runtime or kernel error, 2 usage error. Every
 * error is a single line on stderr starting with "fhctl: ", and every argument
 * is checked before the first message is sent, so a rejected command never
 * changes anything.
 *
 * "fhctl -b FILE" runs one command per line and stops at the first error,
 * which names the line ("fhctl: FILE:LINE: ..."); "fhctl apply FILE" makes
 * the running listeners and settings equal a file of "listener add" and
 * "set" lines, all or nothing. --dry-run checks everything and changes
 * nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "uapi/firehose.h"

/* The build passes -DFH_VERSION="..." from the top-level VERSION file. */
#ifndef FH_VERSION
#define FH_VERSION	"unknown"
#endif

#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

/*
 * Large enough for a stats reply from a machine with a thousand or so CPUs;
 * a reply that does not fit is reported (ENOSPC) rather than silently cut.
 */
#define RX_BUF_SIZE	(1 << 20)

/* ------------------------------------------------------------------------ */
/* Error reporting and command table                                        */

struct cmd {
	const char *word;	/* first command word */
	const char *sub;	/* second command word, NULL if none */
	int (*fn)(int argc, char **argv);
	const char *synopsis;
};

/* The command being run, so usage errors can quote its synopsis. */
static const struct cmd *cur_cmd;

/*
 * The file being read by -b or apply, and its line (0: the file as a whole),
 * so that every error names where it comes from.
 */
static const char *batch_name;
static unsigned long batch_line;

/* --dry-run: check everything, send nothing that changes state. */
static bool dry_run;

static const char usage_text[] =
	"Usage: fhctl listener add PROTO ADDR:PORT [--cpus LIST]\n"
	"       fhctl listener del ADDR:PORT\n"
	"       fhctl listener list [-j]\n"
	"       fhctl stats [-j] [--per-cpu] [--watch [--count N] [--interval SECONDS]]\n"
	"       fhctl set {max-connections N | idle-timeout DURATION | send-timeout DURATION}...\n"
	"       fhctl show settings [-j]\n"
	"       fhctl apply FILE [--dry-run]\n"
	"       fhctl -b FILE [--dry-run]\n"
	"       fhctl --dry-run COMMAND...\n"
	"       fhctl --version | -h | --help | help\n"
	"\n"
	"ADDR:PORT  IPV4:PORT or [IPV6]:PORT, e.g. 127.0.0.1:7777 or [::1]:8080\n"
	"LIST       cpulist such as 0-3,6 (default: every worker CPU)\n"
	"DURATION   N[ms|s|m|h], seconds if no unit; 0 or off disables\n"
	"-j         JSON output\n"
	"-b FILE    run the commands in FILE ('-': standard input), one per line as\n"
	"           typed after 'fhctl'; '#' starts a comment, \"double quotes\" group;\n"
	"           stops at the first error, which names FILE:LINE\n"
	"--dry-run  check every command, change nothing; with -b the module need\n"
	"           not be loaded\n"
	"apply FILE make the running listeners and settings equal FILE, which holds\n"
	"           'listener add' and 'set' lines (the -b syntax): adds what is\n"
	"           missing, deletes listeners not in FILE, keeps identical ones\n"
	"           with their connections; checks all of FILE before changing\n"
	"           anything and undoes its changes if the kernel refuses one\n";

/* "fhctl: " and, inside a file, "FILE:LINE: ". */
static void err_prefix(void)
{
	fputs("fhctl: ", stderr);
	if (batch_name && batch_line)
		fprintf(stderr, "%s:%lu: ", batch_name, batch_line);
	else if (batch_name)
		fprintf(stderr, "%s: ", batch_name);
}

static void __attribute__((format(printf, 2, 3), noreturn))
vdie(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	err_prefix();
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

#define die(...)	vdie(EXIT_RUNTIME, __VA_ARGS__)
/* A value the user typed is wrong; the message itself says what is expected. */
#define bad_value(...)	vdie(EXIT_USAGE, __VA_ARGS__)

/* The shape of the command line is wrong: append the synopsis as the hint. */
static void __attribute__((format(printf, 1, 2), noreturn))
usage_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	err_prefix();
	if (cur_cmd)
		fprintf(stderr, "%s%s%s: ", cur_cmd->word,
			cur_cmd->sub ? " " : "", cur_cmd->sub ? cur_cmd->sub : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cur_cmd)
		fprintf(stderr, " (usage: fhctl %s)\n", cur_cmd->synopsis);
	else
		fputs(" (try 'fhctl --help')\n", stderr);
	exit(EXIT_USAGE);
}

static void __attribute__((noreturn)) usage_ok(void)
{
	if (batch_name)
		usage_err("help is not a command for a file");
	fputs(usage_text, stdout);
	exit(fflush(stdout) ? EXIT_RUNTIME : 0);
}

/* ------------------------------------------------------------------------ */
/* Generic netlink helper layer                                              */

struct genl {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;
	/* Netlink headers are read in place: keep them aligned. Requests are small. */
	_Alignas(NLMSG_ALIGNTO) char tx[8192];
	char *rx;
	/* Outcome of the last genl_talk() that failed. */
	int err;		/* positive errno */
	char msg[256];		/* extack message, may be empty */
};

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
static int genl_talk(struct genl *g, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
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
static const char *genl_strerror(const struct genl *g, char *buf, size_t size)
{
	if (g->msg[0])
		snprintf(buf, size, "%s (%s)", g->msg, strerror(g->err));
	else if (g->err == EPERM)
		snprintf(buf, size, "%s (needs CAP_NET_ADMIN)", strerror(g->err));
	else
		snprintf(buf, size, "%s", strerror(g->err));
	return buf;
}

static void __attribute__((noreturn)) genl_report(const struct genl *g, const char *ctx)
{
	char buf[512];

	die("%s: %s", ctx, genl_strerror(g, buf, sizeof(buf)));
}

/* genl_talk() that reports any failure and exits. */
static void genl_do(struct genl *g, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
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
static void genl_open(struct genl *g, const char *ctx)
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

static void genl_close(struct genl *g)
{
	mnl_socket_close(g->nl);
	free(g->rx);
}

static struct nlmsghdr *fh_msg(struct genl *g, uint8_t cmd, uint16_t flags)
{
	/* Commands return before they send in a dry run; this is the backstop. */
	if (dry_run && (cmd == FH_CMD_LISTENER_ADD || cmd == FH_CMD_LISTENER_DEL ||
			cmd == FH_CMD_SETTINGS_SET))
		die("internal error: a dry run tried to change the kernel's state");
	return genl_msg(g, g->family, cmd, FH_GENL_VERSION, flags);
}

/* ------------------------------------------------------------------------ */
/* Argument parsing                                                          */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Decimal digits only: no sign, no blanks, no base prefix, no overflow. */
static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (!is_digit(*s) || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

struct endpoint {
	uint16_t family;
	uint16_t port;
	unsigned char addr[16];	/* network order, 4 or 16 bytes used */
};

static size_t addr_len(uint16_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

static void parse_endpoint(const char *s, struct endpoint *ep)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *orig = s, *port, *end;
	uint64_t p;
	size_t len;

	memset(ep, 0, sizeof(*ep));
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end || end[1] != ':')
			goto bad;
		s++;
		port = end + 2;
		ep->family = AF_INET6;
	} else {
		/* An unbracketed IPv6 address has more than one colon: refuse it. */
		end = strchr(s, ':');
		if (!end || strchr(end + 1, ':'))
			goto bad;
		port = end + 1;
		ep->family = AF_INET;
	}
	len = (size_t)(end - s);
	if (!len || len >= sizeof(host))
		goto bad;
	memcpy(host, s, len);
	host[len] = '\0';
	if (inet_pton(ep->family, host, ep->addr) != 1)
		goto bad;
	if (!parse_u64(port, &p) || p < 1 || p > 65535)
		bad_value("bad port '%s': expected 1..65535", port);
	ep->port = (uint16_t)p;
	return;
bad:
	bad_value("bad address '%s': expected IPV4:PORT or [IPV6]:PORT", orig);
}

static void format_endpoint(char *buf, size_t size, uint16_t family,
			    const unsigned char *addr, uint16_t port)
{
	char host[INET6_ADDRSTRLEN];

	if (!inet_ntop(family, addr, host, sizeof(host)))
		snprintf(host, sizeof(host), "?");
	if (family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", host, port);
	else
		snprintf(buf, size, "%s:%u", host, port);
}

/*
 * Only the syntax is ours to check ("N" or "N-M" items, commas between);
 * which CPUs exist and have workers is up to the kernel.
 */
static void check_cpulist(const char *s)
{
	const char *p = s;
	uint64_t lo, hi;

	if (strlen(s) >= FH_CPULIST_MAX)
		bad_value("bad cpu list: longer than %d characters", FH_CPULIST_MAX - 1);
	for (;;) {
		if (!is_digit(*p))
			goto bad;
		for (lo = 0; is_digit(*p); p++)
			if ((lo = lo * 10 + (uint64_t)(*p - '0')) > INT32_MAX)
				goto bad;
		hi = lo;
		if (*p == '-') {
			p++;
			if (!is_digit(*p))
				goto bad;
			for (hi = 0; is_digit(*p); p++)
				if ((hi = hi * 10 + (uint64_t)(*p - '0')) > INT32_MAX)
					goto bad;
			if (hi < lo)
				goto bad;
		}
		if (!*p)
			return;
		if (*p++ != ',')
			goto bad;
	}
bad:
	bad_value("bad cpu list '%s': expected CPU numbers and ranges such as 0-3,6", s);
}

/* Returns milliseconds; UINT64_MAX for a well-formed value too large to hold. */
static bool parse_duration_ms(const char *s, uint64_t *ms)
{
	static const struct { const char *unit; uint64_t ms; } units[] = {
		{ "", 1000 }, { "s", 1000 }, { "ms", 1 }, { "m", 60000 }, { "h", 3600000 },
	};
	uint64_t v = 0;
	const char *p = s;
	bool big = false;

	if (!strcmp(s, "off")) {
		*ms = 0;
		return true;
	}
	if (!is_digit(*p))
		return false;
	for (; is_digit(*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			big = true;
		else
			v = v * 10 + (uint64_t)(*p - '0');
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].unit))
			continue;
		*ms = big || v > UINT64_MAX / units[i].ms ? UINT64_MAX : v * units[i].ms;
		return true;
	}
	return false;
}

static const char *format_ms(char *buf, size_t size, uint64_t ms)
{
	if (!ms)
		snprintf(buf, size, "off");
	else if (ms % 1000)
		snprintf(buf, size, "%" PRIu64 "ms", ms);
	else
		snprintf(buf, size, "%" PRIu64 "s", ms / 1000);
	return buf;
}

/*
 * Options and positional words may be mixed freely after the command words.
 * Each subcommand lists what it accepts; everything else is a usage error.
 */
#define MAX_POS		8

struct opts {
	const char *pos[MAX_POS];	/* positional words, in order */
	int npos;
	int max_pos;		/* more than this is an error */
	bool json;
	bool per_cpu;
	bool watch;
	bool dry_run;
	const char *cpus, *root, *mem, *count, *interval;
};

enum {
	O_CPUS = 1 << 0,
	O_ROOT_MEM = 1 << 1,
	O_STATS = 1 << 2,
	O_DRY_RUN = 1 << 3,
};

static bool opt_is(const char *arg, const char *name)
{
	return !strcmp(arg, name);
}

/* "--name VALUE" or "--name=VALUE"; NULL when @argv[*i] is another option. */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t len = strlen(name);
	const char *arg = argv[*i];

	if (strncmp(arg, name, len))
		return NULL;
	if (arg[len] == '=')
		return arg + len + 1;
	if (arg[len])
		return NULL;
	if (*i + 1 >= argc)
		usage_err("option %s needs a value", name);
	return argv[++*i];
}

static void parse_opts(int argc, char **argv, unsigned int allowed, struct opts *o)
{
	bool only_pos = false;
	const char *v;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		/* "-" alone and negative numbers are values, not options. */
		if (only_pos || a[0] != '-' || !a[1] || is_digit(a[1])) {
			if (o->npos >= o->max_pos || o->npos >= MAX_POS)
				usage_err("unexpected argument '%s'", a);
			o->pos[o->npos++] = a;
		} else if (opt_is(a, "--")) {
			only_pos = true;
		} else if (opt_is(a, "-h") || opt_is(a, "--help")) {
			usage_ok();
		} else if (opt_is(a, "-j") || opt_is(a, "--json")) {
			o->json = true;
		} else if ((allowed & O_CPUS) && (v = opt_value(argc, argv, &i, "--cpus"))) {
			o->cpus = v;
		} else if ((allowed & O_ROOT_MEM) && (v = opt_value(argc, argv, &i, "--root"))) {
			o->root = v;
		} else if ((allowed & O_ROOT_MEM) && (v = opt_value(argc, argv, &i, "--mem"))) {
			o->mem = v;
		} else if ((allowed & O_STATS) && opt_is(a, "--per-cpu")) {
			o->per_cpu = true;
		} else if ((allowed & O_STATS) && opt_is(a, "--watch")) {
			o->watch = true;
		} else if ((allowed & O_STATS) && (v = opt_value(argc, argv, &i, "--count"))) {
			o->count = v;
		} else if ((allowed & O_STATS) && (v = opt_value(argc, argv, &i, "--interval"))) {
			o->interval = v;
		} else if ((allowed & O_DRY_RUN) && opt_is(a, "--dry-run")) {
			o->dry_run = true;
		} else {
			usage_err("unknown option '%s'", a);
		}
	}
}

/* ------------------------------------------------------------------------ */
/* JSON output                                                               */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* ------------------------------------------------------------------------ */
/* listener add / del / list                                                 */

static void put_endpoint(struct nlmsghdr *nlh, const struct endpoint *ep)
{
	mnl_attr_put_u16(nlh, FH_A_FAMILY, ep->family);
	mnl_attr_put(nlh, FH_A_ADDR, addr_len(ep->family), ep->addr);
	mnl_attr_put_u16(nlh, FH_A_PORT, ep->port);
}

/* A checked "listener add": what a real run would send. */
struct listener_req {
	const char *proto;
	struct endpoint ep;
	const char *cpus;	/* NULL: every worker CPU */
};

static void parse_listener_add(int argc, char **argv, struct listener_req *r)
{
	struct opts o = { .max_pos = 2 };
	size_t plen;

	parse_opts(argc, argv, O_CPUS | O_ROOT_MEM, &o);
	if (o.npos < 1)
		usage_err("missing PROTO");
	if (o.npos < 2)
		usage_err("missing ADDR:PORT");
	/* Accepted by the syntax for later protocols, but the ABI cannot carry them. */
	if (o.root)
		die("--root is not supported by this firehose version");
	if (o.mem)
		die("--mem is not supported by this firehose version");
	plen = strlen(o.pos[0]);
	if (!plen || plen >= FH_PROTO_NAME_MAX)
		bad_value("bad protocol name '%s': expected 1..%d characters", o.pos[0],
			  FH_PROTO_NAME_MAX - 1);
	parse_endpoint(o.pos[1], &r->ep);
	if (o.cpus)
		check_cpulist(o.cpus);
	r->proto = o.pos[0];
	r->cpus = o.cpus;
}

/* Returns 0, or -1 with g->err set. */
static int listener_add(struct genl *g, const char *proto, const struct endpoint *ep,
			const char *cpus)
{
	struct nlmsghdr *nlh = fh_msg(g, FH_CMD_LISTENER_ADD, 0);

	mnl_attr_put_strz(nlh, FH_A_PROTO, proto);
	put_endpoint(nlh, ep);
	if (cpus)
		mnl_attr_put_strz(nlh, FH_A_CPUS, cpus);
	return genl_talk(g, nlh, NULL, NULL);
}

static int listener_del(struct genl *g, const struct endpoint *ep)
{
	struct nlmsghdr *nlh = fh_msg(g, FH_CMD_LISTENER_DEL, 0);

	put_endpoint(nlh, ep);
	return genl_talk(g, nlh, NULL, NULL);
}

static int cmd_listener_add(int argc, char **argv)
{
	struct listener_req r;
	struct genl g;

	parse_listener_add(argc, argv, &r);
	if (dry_run)
		return 0;
	genl_open(&g, "listener add");
	if (listener_add(&g, r.proto, &r.ep, r.cpus))
		genl_report(&g, "listener add");
	genl_close(&g);
	return 0;
}

static int cmd_listener_del(int argc, char **argv)
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

struct listener {
	struct endpoint ep;
	char proto[FH_PROTO_NAME_MAX];
	char address[INET6_ADDRSTRLEN + 8];
	char cpus[FH_CPULIST_MAX];
	uint64_t accepted, active;
};

struct listener_list {
	struct listener *v;
	size_t n, cap;
};

/* Counters are u64, but accept a u32 too rather than fail on a narrow one. */
static bool attr_get_uint(const struct nlattr *attr, uint64_t *out)
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

static int fh_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	/* Attributes from a newer module are skipped, not fatal. */
	if (mnl_attr_type_valid(attr, FH_A_MAX) > 0)
		tb[type] = attr;
	return MNL_CB_OK;
}

static void copy_str_attr(char *dst, size_t size, const struct nlattr *attr)
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

static int listener_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[FH_A_MAX + 1] = { 0 };
	struct listener_list *ll = data;
	struct listener *l;
	uint16_t family;

	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), fh_attr_cb, tb) < 0)
		return MNL_CB_ERROR;
	if (!tb[FH_A_FAMILY] || !tb[FH_A_ADDR] || !tb[FH_A_PORT] ||
	    mnl_attr_validate(tb[FH_A_FAMILY], MNL_TYPE_U16) < 0 ||
	    mnl_attr_validate(tb[FH_A_PORT], MNL_TYPE_U16) < 0)
		goto malformed;
	family = mnl_attr_get_u16(tb[FH_A_FAMILY]);
	if ((family != AF_INET && family != AF_INET6) ||
	    mnl_attr_get_payload_len(tb[FH_A_ADDR]) != addr_len(family))
		goto malformed;

	if (ll->n == ll->cap) {
		size_t cap = ll->cap ? ll->cap * 2 : 16;
		struct listener *v = realloc(ll->v, cap * sizeof(*v));

		if (!v) {
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
		ll->v = v;
		ll->cap = cap;
	}
	l = &ll->v[ll->n];
	memset(l, 0, sizeof(*l));
	l->ep.family = family;
	l->ep.port = mnl_attr_get_u16(tb[FH_A_PORT]);
	memcpy(l->ep.addr, mnl_attr_get_payload(tb[FH_A_ADDR]), addr_len(family));
	format_endpoint(l->address, sizeof(l->address), family, l->ep.addr, l->ep.port);
	copy_str_attr(l->proto, sizeof(l->proto), tb[FH_A_PROTO]);
	copy_str_attr(l->cpus, sizeof(l->cpus), tb[FH_A_CPUS]);
	if ((tb[FH_A_LISTENER_ACCEPTED] && !attr_get_uint(tb[FH_A_LISTENER_ACCEPTED], &l->accepted)) ||
	    (tb[FH_A_LISTENER_ACTIVE] && !attr_get_uint(tb[FH_A_LISTENER_ACTIVE], &l->active)))
		goto malformed;
	ll->n++;
	return MNL_CB_OK;

malformed:
	errno = EPROTO;
	return MNL_CB_ERROR;
}

static int u64_width(uint64_t v)
{
	char buf[24];

	return snprintf(buf, sizeof(buf), "%" PRIu64, v);
}

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

static void print_listeners(const struct listener_list *ll)
{
	int wp = 5, wa = 7, wc = 4, wacc = 8;

	for (size_t i = 0; i < ll->n; i++) {
		wp = max_int(wp, (int)strlen(ll->v[i].proto));
		wa = max_int(wa, (int)strlen(ll->v[i].address));
		wc = max_int(wc, (int)strlen(ll->v[i].cpus));
		wacc = max_int(wacc, u64_width(ll->v[i].accepted));
	}
	/* Two blanks between columns, none after the last, so awk splits it cleanly. */
	printf("%-*s  %-*s  %-*s  %-*s  %s\n", wp, "PROTO", wa, "ADDRESS", wc, "CPUS",
	       wacc, "ACCEPTED", "ACTIVE");
	for (size_t i = 0; i < ll->n; i++) {
		const struct listener *l = &ll->v[i];

		printf("%-*s  %-*s  %-*s  %-*" PRIu64 "  %" PRIu64 "\n", wp, l->proto, wa,
		       l->address, wc, l->cpus, wacc, l->accepted, l->active);
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
		printf(",\"accepted\":%" PRIu64 ",\"active\":%" PRIu64 "}", l->accepted, l->active);
	}
	printf("]\n");
}

static int cmd_listener_list(int argc, char **argv)
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

/* ------------------------------------------------------------------------ */
/* stats                                                                     */

/* Stable output names, shared with /proc/net/firehose/stats. */
static const char *const stat_names[FH_STAT_MAX + 1] = FH_STAT_NAMES_INIT;

/* A counter added to the ABI needs a name above before fhctl builds again. */
_Static_assert(FH_STAT_MAX == FH_STAT_POLLED_US, "name every FH_STAT_* counter in stat_names");

#define FIRST_COUNTER	FH_STAT_ACCEPTED

struct stat_row {
	uint32_t cpu;
	uint64_t v[FH_STAT_MAX + 1];
};

struct stats {
	struct stat_row total;
	struct stat_row *cpus;
	size_t n, cap;
};

static int stat_attr_cb(const struct nlattr *attr, void *data)
{
	struct stat_row *row = data;
	int type = mnl_attr_get_type(attr);

	if (type == FH_STAT_CPU) {
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			goto malformed;
		row->cpu = mnl_attr_get_u32(attr);
	} else if (type >= FIRST_COUNTER && type <= FH_STAT_MAX) {
		if (!attr_get_uint(attr, &row->v[type]))
			goto malformed;
	}
	/* PAD, and counters from a newer module, are skipped. */
	return MNL_CB_OK;

malformed:
	errno = EPROTO;
	return MNL_CB_ERROR;
}

static int stats_attr_cb(const struct nlattr *attr, void *data)
{
	struct stats *st = data;
	struct stat_row *row;

	switch (mnl_attr_get_type(attr)) {
	case FH_A_STATS:
		row = &st->total;
		break;
	case FH_A_STATS_CPU:
		if (st->n == st->cap) {
			size_t cap = st->cap ? st->cap * 2 : 64;
			struct stat_row *v = realloc(st->cpus, cap * sizeof(*v));

			if (!v) {
				errno = ENOMEM;
				return MNL_CB_ERROR;
			}
			st->cpus = v;
			st->cap = cap;
		}
		row = &st->cpus[st->n++];
		break;
	default:
		return MNL_CB_OK;
	}
	memset(row, 0, sizeof(*row));
	if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	return mnl_attr_parse_nested(attr, stat_attr_cb, row);
}

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), stats_attr_cb, data);
}

/* Returns 0, or -1 with g->err set; the caller decides how to report. */
static int stats_fetch(struct genl *g, struct stats *st)
{
	memset(&st->total, 0, sizeof(st->total));
	st->n = 0;
	return genl_talk(g, fh_msg(g, FH_CMD_STATS_GET, 0), stats_cb, st);
}

static void print_stats_lines(const struct stats *st)
{
	for (int s = FIRST_COUNTER; s <= FH_STAT_MAX; s++)
		printf("%s %" PRIu64 "\n", stat_names[s], st->total.v[s]);
}

static void print_stats_table(const struct stats *st)
{
	int w[FH_STAT_MAX + 1];

	w[FH_STAT_CPU] = 5;	/* "total" */
	for (int s = FIRST_COUNTER; s <= FH_STAT_MAX; s++) {
		w[s] = max_int((int)strlen(stat_names[s]), u64_width(st->total.v[s]));
		for (size_t i = 0; i < st->n; i++)
			w[s] = max_int(w[s], u64_width(st->cpus[i].v[s]));
	}
	printf("%-*s", w[FH_STAT_CPU], stat_names[FH_STAT_CPU]);
	for (int s = FIRST_COUNTER; s <= FH_STAT_MAX; s++)
		printf("  %*s", w[s], stat_names[s]);
	putchar('\n');
	for (size_t i = 0; i <= st->n; i++) {
		const struct stat_row *row = i < st->n ? &st->cpus[i] : &st->total;

		if (i < st->n)
			printf("%-*" PRIu32, w[FH_STAT_CPU], row->cpu);
		else
			printf("%-*s", w[FH_STAT_CPU], "total");
		for (int s = FIRST_COUNTER; s <= FH_STAT_MAX; s++)
			printf("  %*" PRIu64, w[s], row->v[s]);
		putchar('\n');
	}
}

static void print_row_json(const struct stat_row *row, bool with_cpu)
{
	const char *sep = "";

	putchar('{');
	if (with_cpu) {
		printf("\"cpu\":%" PRIu32, row->cpu);
		sep = ",";
	}
	for (int s = FIRST_COUNTER; s <= FH_STAT_MAX; s++) {
		printf("%s\"%s\":%" PRIu64, sep, stat_names[s], row->v[s]);
		sep = ",";
	}
	putchar('}');
}

static void print_stats_json(const struct stats *st)
{
	printf("{\"total\":");
	print_row_json(&st->total, false);
	printf(",\"cpus\":[");
	for (size_t i = 0; i < st->n; i++) {
		if (i)
			putchar(',');
		print_row_json(&st->cpus[i], true);
	}
	printf("]}\n");
}

static void print_stats(const struct stats *st, const struct opts *o)
{
	if (o->json)
		print_stats_json(st);
	else if (o->per_cpu)
		print_stats_table(st);
	else
		print_stats_lines(st);
}

static void rate_row(const struct stat_row *prev, const struct stat_row *cur,
		     double secs, struct stat_row *out)
{
	out->cpu = cur->cpu;
	for (int s = FIRST_COUNTER; s <= FH_STAT_MAX; s++) {
		if (s == FH_STAT_ACTIVE)
			out->v[s] = cur->v[s];	/* a gauge, not a counter */
		else if (!prev || cur->v[s] < prev->v[s])
			out->v[s] = 0;		/* new worker or module reloaded */
		else
			out->v[s] = (uint64_t)((double)(cur->v[s] - prev->v[s]) / secs + 0.5);
	}
}

static void stats_rates(const struct stats *prev, const struct stats *cur, double secs,
			struct stats *out)
{
	rate_row(&prev->total, &cur->total, secs, &out->total);
	for (size_t i = 0; i < cur->n; i++) {
		const struct stat_row *p = NULL;

		/* Match by CPU, not position: the worker set may change between samples. */
		for (size_t j = 0; j < prev->n && !p; j++)
			if (prev->cpus[j].cpu == cur->cpus[i].cpu)
				p = &prev->cpus[j];
		rate_row(p, &cur->cpus[i], secs, &out->cpus[i]);
	}
	out->n = cur->n;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleeps until the absolute @deadline; false when a signal asked us to stop. */
static bool sleep_until(double deadline)
{
	struct timespec ts = {
		.tv_sec = (time_t)deadline,
		.tv_nsec = (long)((deadline - (double)(time_t)deadline) * 1e9),
	};

	while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
	return !stop;
}

/* Decimal seconds, e.g. 2 or 0.5; strtod alone would also take "inf" or "1e3". */
static bool parse_interval(const char *s, double *out)
{
	const char *p = s;
	while (is_digit(*p))
		p++;
	if (p == s || (*p == '.' && !is_digit(*++p)))
		return false;
	while (is_digit(*p))
		p++;
	if (*p)
		return false;
	*out = strtod(s, NULL);
	return true;
}

static int stats_watch(struct genl *g, const struct opts *o, uint64_t count, double interval)
{
	struct stats a = { 0 }, b = { 0 }, rates = { 0 };
	struct stats *prev = &a, *cur = &b, *tmp;
	struct sigaction sa = { .sa_handler = on_signal };
	double t_prev, deadline;
	int ret = 0;

	/* No SA_RESTART: a blocked netlink receive must return on ^C too. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (stats_fetch(g, prev))
		ret = -1;
	t_prev = now_secs();
	deadline = t_prev;
	for (uint64_t n = 0; !ret && (!count || n < count); n++) {
		double t_cur;

		deadline += interval;
		if (!sleep_until(deadline))
			break;
		if (stats_fetch(g, cur)) {
			ret = -1;
			break;
		}
		t_cur = now_secs();
		if (cur->n > rates.cap) {
			rates.cpus = realloc(rates.cpus, cur->n * sizeof(*rates.cpus));
			if (!rates.cpus)
				die("stats: out of memory");
			rates.cap = cur->n;
		}
		stats_rates(prev, cur, t_cur - t_prev, &rates);
		if (!o->json && n)
			putchar('\n');
		print_stats(&rates, o);
		fflush(stdout);
		tmp = prev;
		prev = cur;
		cur = tmp;
		t_prev = t_cur;
	}
	free(a.cpus);
	free(b.cpus);
	free(rates.cpus);
	/* ^C while waiting for the kernel is a normal way to end. */
	if (ret && !(stop && g->err == EINTR))
		genl_report(g, "stats");
	return 0;
}

static int cmd_stats(int argc, char **argv)
{
	struct opts o = { .max_pos = 0 };
	struct stats st = { 0 };
	uint64_t count = 0;
	double interval = 1.0;
	struct genl g;

	parse_opts(argc, argv, O_STATS, &o);
	if (!o.watch && (o.count || o.interval))
		usage_err("%s needs --watch", o.count ? "--count" : "--interval");
	if (o.count && (!parse_u64(o.count, &count) || count < 1))
		bad_value("bad count '%s': expected a number of samples, at least 1", o.count);
	if (o.interval && (!parse_interval(o.interval, &interval) ||
			   interval < 0.1 || interval > 86400))
		bad_value("bad interval '%s': expected seconds, 0.1 to 86400", o.interval);
	if (dry_run)
		return 0;

	genl_open(&g, "stats");
	if (o.watch) {
		int ret = stats_watch(&g, &o, count, interval);

		genl_close(&g);
		return ret;
	}
	if (stats_fetch(&g, &st))
		genl_report(&g, "stats");
	genl_close(&g);
	print_stats(&st, &o);
	free(st.cpus);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* set / show settings                                                       */

static const struct setting {
	const char *name;
	int attr;
	bool duration;
} settings[] = {
	{ "max-connections", FH_A_MAX_CONNS, false },
	{ "idle-timeout", FH_A_IDLE_TIMEOUT_MS, true },
	{ "send-timeout", FH_A_SEND_TIMEOUT_MS, true },
};

#define NSETTINGS	(sizeof(settings) / sizeof(settings[0]))
_Static_assert(2 * NSETTINGS <= MAX_POS, "set takes a name and a value per setting");

static uint32_t parse_setting(const struct setting *s, const char *val)
{
	uint64_t v;

	if (!s->duration) {
		if (!parse_u64(val, &v))
			bad_value("bad number '%s' for %s", val, s->name);
		if (v < 1 || v > FH_MAX_CONNS_LIMIT)
			bad_value("%s %s out of range: expected 1..%d", s->name, val,
				  FH_MAX_CONNS_LIMIT);
		return (uint32_t)v;
	}
	if (!parse_duration_ms(val, &v))
		bad_value("bad duration '%s' for %s: expected N[ms|s|m|h], 0 or off", val,
			  s->name);
	if (v && (v < FH_TIMEOUT_MIN_MS || v > FH_TIMEOUT_MAX_MS)) {
		char lo[32], hi[32];

		bad_value("%s %s out of range: expected 0 (off) or %s..%s", s->name, val,
			  format_ms(lo, sizeof(lo), FH_TIMEOUT_MIN_MS),
			  format_ms(hi, sizeof(hi), FH_TIMEOUT_MAX_MS));
	}
	return (uint32_t)v;
}

/* A checked "set": given[k] says whether value[k] is to be set. */
struct settings_req {
	bool given[NSETTINGS];
	uint32_t value[NSETTINGS];
};

static void parse_set(int argc, char **argv, struct settings_req *r)
{
	struct opts o = { .max_pos = 2 * NSETTINGS };

	memset(r, 0, sizeof(*r));
	parse_opts(argc, argv, 0, &o);
	if (!o.npos)
		usage_err("missing setting");
	for (int i = 0; i < o.npos; i += 2) {
		size_t k;

		for (k = 0; k < NSETTINGS && strcmp(o.pos[i], settings[k].name); k++)
			;
		if (k == NSETTINGS)
			usage_err("unknown setting '%s'", o.pos[i]);
		if (r->given[k])
			usage_err("%s given twice", o.pos[i]);
		if (i + 1 >= o.npos)
			usage_err("missing value for %s", o.pos[i]);
		r->value[k] = parse_setting(&settings[k], o.pos[i + 1]);
		r->given[k] = true;
	}
}

/* Several settings in one request are applied by the kernel together. */
static int settings_set(struct genl *g, const struct settings_req *r)
{
	struct nlmsghdr *nlh = fh_msg(g, FH_CMD_SETTINGS_SET, 0);

	for (size_t k = 0; k < NSETTINGS; k++)
		if (r->given[k])
			mnl_attr_put_u32(nlh, (uint16_t)settings[k].attr, r->value[k]);
	return genl_talk(g, nlh, NULL, NULL);
}

static int cmd_set(int argc, char **argv)
{
	struct settings_req r;
	struct genl g;

	parse_set(argc, argv, &r);
	if (dry_run)
		return 0;
	genl_open(&g, "set");
	if (settings_set(&g, &r))
		genl_report(&g, "set");
	genl_close(&g);
	return 0;
}

struct settings_reply {
	bool have[FH_A_MAX + 1];
	uint32_t v[FH_A_MAX + 1];
};

static int settings_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[FH_A_MAX + 1] = { 0 };
	struct settings_reply *r = data;

	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), fh_attr_cb, tb) < 0)
		return MNL_CB_ERROR;
	for (size_t k = 0; k < NSETTINGS; k++) {
		const struct nlattr *a = tb[settings[k].attr];

		if (!a)
			continue;
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0) {
			errno = EPROTO;
			return MNL_CB_ERROR;
		}
		r->have[settings[k].attr] = true;
		r->v[settings[k].attr] = mnl_attr_get_u32(a);
	}
	return MNL_CB_OK;
}

static int cmd_show_settings(int argc, char **argv)
{
	struct opts o = { .max_pos = 0 };
	struct settings_reply r = { 0 };
	struct genl g;
	char buf[32];

	parse_opts(argc, argv, 0, &o);
	if (dry_run)
		return 0;
	genl_open(&g, "show settings");
	genl_do(&g, fh_msg(&g, FH_CMD_SETTINGS_GET, 0), settings_cb, &r, "show settings");
	genl_close(&g);
	for (size_t k = 0; k < NSETTINGS; k++)
		if (!r.have[settings[k].attr])
			die("show settings: the kernel did not report %s", settings[k].name);

	if (o.json) {
		printf("{\"max_connections\":%" PRIu32 ",\"idle_timeout_ms\":%" PRIu32
		       ",\"send_timeout_ms\":%" PRIu32 "}\n",
		       r.v[FH_A_MAX_CONNS], r.v[FH_A_IDLE_TIMEOUT_MS], r.v[FH_A_SEND_TIMEOUT_MS]);
		return 0;
	}
	printf("max-connections %" PRIu32 "\n", r.v[FH_A_MAX_CONNS]);
	printf("idle-timeout %s\n", format_ms(buf, sizeof(buf), r.v[FH_A_IDLE_TIMEOUT_MS]));
	printf("send-timeout %s\n", format_ms(buf, sizeof(buf), r.v[FH_A_SEND_TIMEOUT_MS]));
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Command files: -b and apply                                               */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* The words of one line; they point into the line. */
struct words {
	char **v;
	int n, cap;
};

/*
 * Splits @line in place on blanks. Parts of a word may be "double-quoted",
 * keeping blanks and '#', with \" and \\ inside quotes for " and \. A '#'
 * that starts a word starts a comment. False on an unterminated quote.
 */
static bool split_words(char *line, struct words *w)
{
	char *r = line, *o;

	w->n = 0;
	for (;;) {
		bool quoted = false;

		while (is_blank(*r))
			r++;
		if (!*r || *r == '#')
			break;
		if (w->n + 1 >= w->cap) {
			int cap = w->cap ? w->cap * 2 : 16;
			char **v = realloc(w->v, (size_t)cap * sizeof(*v));

			if (!v)
				die("out of memory");
			w->v = v;
			w->cap = cap;
		}
		w->v[w->n++] = o = r;
		for (; *r && (quoted || !is_blank(*r)); r++) {
			if (*r == '"') {
				quoted = !quoted;
				continue;
			}
			if (quoted && *r == '\\' && (r[1] == '"' || r[1] == '\\'))
				r++;
			*o++ = *r;
		}
		if (quoted)
			return false;
		if (*r)
			r++;
		*o = '\0';
	}
	if (w->v)
		w->v[w->n] = NULL;
	return true;
}

struct cmd_file {
	FILE *f;
	char *line;
	size_t cap;
	struct words w;
};

/* "-" is standard input. Errors from here on name the file. */
static void cmd_file_open(struct cmd_file *cf, const char *path)
{
	bool in = !strcmp(path, "-");

	memset(cf, 0, sizeof(*cf));
	batch_name = in ? "stdin" : path;
	batch_line = 0;
	cf->f = in ? stdin : fopen(path, "r");
	if (!cf->f)
		die("%s", strerror(errno));
}

/* The next line that has words (in cf->w); false at the end of the file. */
static bool cmd_file_next(struct cmd_file *cf)
{
	for (;;) {
		errno = 0;
		if (getline(&cf->line, &cf->cap, cf->f) < 0) {
			if (ferror(cf->f)) {
				batch_line = 0;
				die("read error: %s", strerror(errno ? errno : EIO));
			}
			return false;
		}
		batch_line++;
		cur_cmd = NULL;
		if (!split_words(cf->line, &cf->w))
			usage_err("unterminated quote");
		if (cf->w.n)
			return true;
	}
}

static void cmd_file_close(struct cmd_file *cf)
{
	if (cf->f != stdin)
		fclose(cf->f);
	free(cf->line);
	free(cf->w.v);
}

static int run_command(int argc, char **argv);

static int run_batch(const char *path)
{
	struct cmd_file cf;
	unsigned long n = 0;
	const char *name;
	int ret = 0;

	cmd_file_open(&cf, path);
	while (!ret && cmd_file_next(&cf)) {
		ret = run_command(cf.w.n, cf.w.v);
		n++;
		/* Each command's output before the next one's errors. */
		fflush(stdout);
	}
	cmd_file_close(&cf);
	name = batch_name;
	batch_name = NULL;
	if (dry_run && !ret)
		printf("%s: %lu command%s checked, nothing changed\n", name, n, n == 1 ? "" : "s");
	return ret;
}

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

/* What apply does with a listener. */
enum apply_act { ACT_ADD, ACT_REPLACE, ACT_KEEP, ACT_DELETE };

/* A "listener add" line of the file. */
struct want {
	unsigned long line;
	char proto[FH_PROTO_NAME_MAX];
	struct endpoint ep;
	char address[INET6_ADDRSTRLEN + 8];
	char cpus_arg[FH_CPULIST_MAX];	/* as written, empty for every worker */
	char cpus[FH_CPULIST_MAX];	/* as the kernel will list it */
	const struct listener *running;	/* the listener at this address now */
	enum apply_act act;
};

/* A "set" line of the file. */
struct want_set {
	unsigned long line;
	struct settings_req req;
};

struct apply_plan {
	struct want *w;
	size_t nw, capw;
	struct want_set *s;
	size_t ns, caps;
	unsigned long set_line[NSETTINGS];	/* where each setting is set, or 0 */
	struct listener_list running;
	bool *running_wanted;
	struct settings_reply cur;
};

/* One change to the kernel's state, and what undoes it. */
struct apply_step {
	enum { STEP_ADD, STEP_DEL, STEP_SET } kind;
	unsigned long line;		/* the file line it comes from, 0 if none */
	const char *proto;		/* ADD; DEL: to re-add on undo */
	const struct endpoint *ep;
	const char *address;
	const char *cpus;		/* NULL: every worker CPU */
	struct settings_req set, undo_set;
};

static const struct cmd *find_cmd(const char *word, const char *sub);

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
			for (size_t i = 0; i < p->nw; i++)
				if (!strcmp(p->w[i].address, w->address))
					bad_value("listener %s is already on line %lu", w->address,
						  p->w[i].line);
			p->nw++;
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

			bad_value("apply: only 'listener add' and 'set' lines belong here, not '%s%s%s'",
				  word, two ? " " : "", two ? sub : "");
		}
	}
	cmd_file_close(&cf);
	cur_cmd = find_cmd("apply", NULL);
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
			w->act = strcmp(l->proto, w->proto) || strcmp(l->cpus, w->cpus) ?
				 ACT_REPLACE : ACT_KEEP;
		}
	}
	free(workers.r);
	free(cs.r);
}

/* The changes, in the order they are made: make before break. */
static struct apply_step *apply_steps(struct apply_plan *p, size_t *nsteps)
{
	struct apply_step *v = calloc(2 * p->nw + p->ns + p->running.n + 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		die("out of memory");
	/* New listeners first: the likeliest to be refused, and nothing goes dark. */
	for (size_t i = 0; i < p->nw; i++) {
		struct want *w = &p->w[i];

		if (w->act != ACT_ADD)
			continue;
		v[n++] = (struct apply_step){ .kind = STEP_ADD, .line = w->line, .proto = w->proto,
			.ep = &w->ep, .address = w->address,
			.cpus = w->cpus_arg[0] ? w->cpus_arg : NULL };
	}
	/* One address holds one listener: the old one goes, its connections stay. */
	for (size_t i = 0; i < p->nw; i++) {
		struct want *w = &p->w[i];
		const struct listener *l = w->running;

		if (w->act != ACT_REPLACE)
			continue;
		v[n++] = (struct apply_step){ .kind = STEP_DEL, .line = w->line, .proto = l->proto,
			.ep = &l->ep, .address = l->address, .cpus = l->cpus };
		v[n++] = (struct apply_step){ .kind = STEP_ADD, .line = w->line, .proto = w->proto,
			.ep = &w->ep, .address = w->address,
			.cpus = w->cpus_arg[0] ? w->cpus_arg : NULL };
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
			.address = l->address, .cpus = l->cpus };
	}
	*nsteps = n;
	return v;
}

static int apply_step_do(struct genl *g, const struct apply_step *st)
{
	switch (st->kind) {
	case STEP_ADD:
		return listener_add(g, st->proto, st->ep, st->cpus);
	case STEP_DEL:
		return listener_del(g, st->ep);
	case STEP_SET:
		return settings_set(g, &st->set);
	}
	return -1;
}

static int apply_step_undo(struct genl *g, const struct apply_step *st)
{
	switch (st->kind) {
	case STEP_ADD:
		return listener_del(g, st->ep);
	case STEP_DEL:
		return listener_add(g, st->proto, st->ep, st->cpus);
	case STEP_SET:
		return settings_set(g, &st->undo_set);
	}
	return -1;
}

/* Makes every change, or, if the kernel refuses one, undoes the others and exits. */
static void apply_run(struct genl *g, const char *file, struct apply_step *steps, size_t n)
{
	char why[512], undo_why[1024] = "";
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
		char buf[512];

		if (!apply_step_undo(g, u) || !undone)
			continue;
		undone = false;
		genl_strerror(g, buf, sizeof(buf));
		if (u->kind == STEP_SET)
			snprintf(undo_why, sizeof(undo_why), "set: %s", buf);
		else
			snprintf(undo_why, sizeof(undo_why), "listener %s %s: %s",
				 u->kind == STEP_ADD ? "del" : "add", u->address, buf);
	}
	batch_name = st->line ? file : NULL;
	batch_line = st->line;
	if (st->kind == STEP_SET)
		die("%sset: %s; %s%s", st->line ? "" : "apply: ", why,
		    undone ? "nothing changed" : "undoing the earlier changes failed: ", undo_why);
	die("%slistener %s %s: %s; %s%s", st->line ? "" : "apply: ",
	    st->kind == STEP_ADD ? "add" : "del", st->address, why,
	    undone ? "nothing changed" : "undoing the earlier changes failed: ", undo_why);
}

static const char *setting_str(const struct setting *s, uint32_t v, char *buf, size_t size)
{
	if (s->duration)
		return format_ms(buf, size, v);
	snprintf(buf, size, "%" PRIu32, v);
	return buf;
}

/* One line per listener and setting of the file, one per listener deleted. */
static void apply_report(const struct apply_plan *p)
{
	static const char *const done[] = {
		[ACT_ADD] = "added", [ACT_REPLACE] = "replaced", [ACT_KEEP] = "kept",
		[ACT_DELETE] = "deleted",
	};
	static const char *const would[] = {
		[ACT_ADD] = "would add", [ACT_REPLACE] = "would replace",
		[ACT_KEEP] = "would keep", [ACT_DELETE] = "would delete",
	};
	const char *const *verb = dry_run ? would : done;
	unsigned int count[ACT_DELETE + 1] = { 0 }, changed = 0;
	char a[32], b[32];

	for (size_t i = 0; i < p->nw; i++) {
		const struct want *w = &p->w[i];

		count[w->act]++;
		printf("%s %s %s cpus %s", verb[w->act], w->proto, w->address, w->cpus);
		if (w->act == ACT_REPLACE)
			printf(" (%s %s cpus %s)", dry_run ? "now" : "was", w->running->proto,
			       w->running->cpus);
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
	if (dry_run)
		printf("apply --dry-run: %u to add, %u to replace, %u to delete, %u to keep, "
		       "%u setting%s to change; nothing changed\n", count[ACT_ADD],
		       count[ACT_REPLACE], count[ACT_DELETE], count[ACT_KEEP], changed,
		       changed == 1 ? "" : "s");
	else
		printf("apply: %u added, %u replaced, %u deleted, %u kept, %u setting%s changed\n",
		       count[ACT_ADD], count[ACT_REPLACE], count[ACT_DELETE], count[ACT_KEEP],
		       changed, changed == 1 ? "" : "s");
}

static int cmd_apply(int argc, char **argv)
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
	free(p.w);
	free(p.s);
	free(p.running.v);
	free(p.running_wanted);
	return 0;
}

/* ------------------------------------------------------------------------ */

static const struct cmd cmds[] = {
	{ "listener", "add", cmd_listener_add, "listener add PROTO ADDR:PORT [--cpus LIST]" },
	{ "listener", "del", cmd_listener_del, "listener del ADDR:PORT" },
	{ "listener", "list", cmd_listener_list, "listener list [-j]" },
	{ "stats", NULL, cmd_stats,
	  "stats [-j] [--per-cpu] [--watch [--count N] [--interval SECONDS]]" },
	{ "set", NULL, cmd_set,
	  "set {max-connections N | idle-timeout DURATION | send-timeout DURATION}..." },
	{ "show", "settings", cmd_show_settings, "show settings [-j]" },
	{ "apply", NULL, cmd_apply, "apply FILE [--dry-run]" },
};

#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

static const struct cmd *find_cmd(const char *word, const char *sub)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (!strcmp(word, cmds[i].word) &&
		    (!cmds[i].sub || (sub && !strcmp(sub, cmds[i].sub))))
			return &cmds[i];
	return NULL;
}

static bool is_help(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "help");
}

/* @argv[0] is the command's first word. */
static int run_command(int argc, char **argv)
{
	const char *word = argv[0], *sub = argc > 1 ? argv[1] : NULL;
	bool known = false;

	cur_cmd = NULL;
	if (is_help(word))
		usage_ok();
	for (size_t i = 0; i < NCMDS; i++)
		known |= !strcmp(word, cmds[i].word);
	if (!known)
		usage_err("unknown command '%s'", word);
	cur_cmd = find_cmd(word, sub);
	if (!cur_cmd) {
		const char *expect = strcmp(word, "listener") ? "settings" : "add, del or list";

		if (sub && is_help(sub))
			usage_ok();
		if (sub)
			usage_err("%s: unknown subcommand '%s': expected %s", word, sub, expect);
		usage_err("%s: missing subcommand: expected %s", word, expect);
	}
	if (cur_cmd->sub)
		return cur_cmd->fn(argc - 2, argv + 2);
	return cur_cmd->fn(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	const char *batch = NULL;
	int i, ret;

	/* Options before the command: -b FILE, --dry-run, --version, --help. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (is_help(a)) {
			usage_ok();
		} else if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
			printf("fhctl %s (firehose netlink version %d)\n", FH_VERSION,
			       FH_GENL_VERSION);
			return fflush(stdout) ? EXIT_RUNTIME : 0;
		} else if (!strcmp(a, "--dry-run")) {
			dry_run = true;
		} else if (!strcmp(a, "-b") || !strcmp(a, "--batch") ||
			   !strncmp(a, "--batch=", 8)) {
			if (batch)
				usage_err("-b given twice");
			if (a[1] == '-' && a[7] == '=')
				batch = a + 8;
			else if (i + 1 < argc)
				batch = argv[++i];
			else
				usage_err("option %s needs a FILE", a);
		} else {
			usage_err("unknown option '%s'", a);
		}
	}
	if (batch) {
		if (i < argc)
			usage_err("unexpected argument '%s' after -b FILE", argv[i]);
		ret = run_batch(batch);
	} else {
		if (i >= argc)
			usage_err("missing command");
		ret = run_command(argc - i, argv + i);
	}

	/* Output to a full disk or closed pipe is a failure, not a success. */
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "fhctl: write error: %s\n", strerror(errno ? errno : EIO));
		return EXIT_RUNTIME;
	}
	return ret;
}
