/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What fhctl's files share. fhctl.c has main(), the command table and error
 * reporting; genl.c the generic netlink layer; parse.c argument parsing;
 * output.c text and JSON formatting; listener.c, upstream.c, stats.c,
 * settings.c, cache.c, log.c, batch.c and apply.c one object or command each.
 */
#ifndef FHCTL_H
#define FHCTL_H

#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include "uapi/firehose.h"

#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

/* ------------------------------------------------------------------------ */
/* fhctl.c: error reporting and command table                               */

struct cmd {
	const char *word;	/* first command word */
	const char *sub;	/* second command word, NULL if none */
	int (*fn)(int argc, char **argv);
	const char *synopsis;
};

/* The command being run, so usage errors can quote its synopsis. */
extern const struct cmd *cur_cmd;

/*
 * The file being read by -b or apply, and its line (0: the file as a whole),
 * so that every error names where it comes from.
 */
extern const char *batch_name;
extern unsigned long batch_line;

/* --dry-run: check everything, send nothing that changes state. */
extern bool dry_run;

void __attribute__((format(printf, 2, 3), noreturn))
vdie(int status, const char *fmt, ...);

#define die(...)	vdie(EXIT_RUNTIME, __VA_ARGS__)
/* A value the user typed is wrong; the message itself says what is expected. */
#define bad_value(...)	vdie(EXIT_USAGE, __VA_ARGS__)

/* The shape of the command line is wrong: append the synopsis as the hint. */
void __attribute__((format(printf, 1, 2), noreturn))
usage_err(const char *fmt, ...);
void __attribute__((noreturn)) usage_ok(void);

const struct cmd *find_cmd(const char *word, const char *sub);
/* @argv[0] is the command's first word. */
int run_command(int argc, char **argv);

/* ------------------------------------------------------------------------ */
/* genl.c: generic netlink helper layer                                      */

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

/* Open a socket and resolve the firehose family; exits on failure. */
void genl_open(struct genl *g, const char *ctx);
void genl_close(struct genl *g);
/* A firehose request; fails hard if a dry run would change state. */
struct nlmsghdr *fh_msg(struct genl *g, uint8_t cmd, uint16_t flags);
/*
 * Send @nlh and feed every reply to @cb until the ack (or the end of a dump).
 * Returns 0, or -1 with g->err and possibly g->msg describing the failure.
 */
int genl_talk(struct genl *g, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
/* What the last failed genl_talk() said, for an error line. */
const char *genl_strerror(const struct genl *g, char *buf, size_t size);
void __attribute__((noreturn)) genl_report(const struct genl *g, const char *ctx);
/* genl_talk() that reports any failure and exits. */
void genl_do(struct genl *g, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
	     const char *ctx);

/* Counters are u64, but accept a u32 too rather than fail on a narrow one. */
bool attr_get_uint(const struct nlattr *attr, uint64_t *out);
/* mnl_attr_parse() callback filling a table of FH_A_MAX + 1 attributes. */
int fh_attr_cb(const struct nlattr *attr, void *data);
/* A string attribute, cut to @size; "-" when absent. */
void copy_str_attr(char *dst, size_t size, const struct nlattr *attr);

struct endpoint;
/*
 * FH_A_FAMILY (AF_INET or AF_INET6), FH_A_ADDR of its length and FH_A_PORT
 * into @ep; false when one is missing or malformed.
 */
bool attr_endpoint(const struct nlattr *const *tb, struct endpoint *ep);
/*
 * Room for element @n of a dump callback's array @v of *@cap elements of
 * @elem bytes (doubling, from 16): the array, perhaps moved; NULL with
 * errno ENOMEM, @v still allocated, when there is none.
 */
void *dump_grow(void *v, size_t n, size_t *cap, size_t elem);

/* ------------------------------------------------------------------------ */
/* parse.c: argument parsing                                                 */

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Decimal digits only: no sign, no blanks, no base prefix, no overflow. */
bool parse_u64(const char *s, uint64_t *out);

struct endpoint {
	uint16_t family;
	uint16_t port;
	unsigned char addr[16];	/* network order, 4 or 16 bytes used */
};

size_t addr_len(uint16_t family);
void parse_endpoint(const char *s, struct endpoint *ep);
/* The syntax of a cpulist; which CPUs have workers is up to the kernel. */
void check_cpulist(const char *s);
/* Returns milliseconds; UINT64_MAX for a well-formed value too large to hold. */
bool parse_duration_ms(const char *s, uint64_t *ms);
/* Decimal seconds, e.g. 2 or 0.5. */
bool parse_interval(const char *s, double *out);
/* Bytes: N, or N with a K, M or G suffix (either case; powers of 1024). */
bool parse_size(const char *s, uint64_t *out);

#define MAX_POS		24

struct opts {
	const char *pos[MAX_POS];	/* positional words, in order */
	int npos;
	int max_pos;		/* more than this is an error */
	bool json;
	bool per_cpu;
	bool watch;
	bool dry_run;
	bool access_log;	/* listener add --access-log */
	bool one_fs;		/* listener add --one-file-system */
	bool follow;		/* log --follow */
	const char *cpus, *root, *user, *cache, *count, *interval, *max_conns;
	const char *mem, *item_max;	/* listener add kv, listener set */
	const char *listener;
	/* listener add --route (in order) and --fallback */
	const char *route[FH_ROUTES_MAX];
	int nroutes;
	const char *fallback;
	/* upstream add */
	const char *keepalive, *connect_timeout, *read_timeout, *max_fails, *fail_timeout;
};

enum {
	O_CPUS = 1 << 0,
	O_SITE = 1 << 1,	/* --root, --user, --cache, --access-log, --one-file-system */
	O_STATS = 1 << 2,
	O_DRY_RUN = 1 << 3,
	O_MAX_CONNS = 1 << 4,
	O_LISTENER = 1 << 5,	/* --listener ADDR:PORT */
	O_FOLLOW = 1 << 6,	/* --follow */
	O_ROUTES = 1 << 7,	/* --route PREFIX=UPSTREAM (repeated), --fallback UPSTREAM */
	O_UPSTREAM = 1 << 8,	/* --keepalive, --connect-timeout, --read-timeout,
				 * --max-fails, --fail-timeout */
	O_KV = 1 << 9,		/* --mem SIZE, --item-max SIZE */
};

void parse_opts(int argc, char **argv, unsigned int allowed, struct opts *o);

/* ------------------------------------------------------------------------ */
/* output.c: formatting, text tables and JSON                                */

/* An address as inet_ntop() writes it, "?" if it cannot. */
const char *format_host(char *buf, size_t size, uint16_t family, const unsigned char *addr);
/* ADDR:PORT, [ADDR]:PORT for IPv6, as parse_endpoint() takes it. */
void format_endpoint(char *buf, size_t size, uint16_t family,
		     const unsigned char *addr, uint16_t port);
const char *format_ms(char *buf, size_t size, uint64_t ms);
/* Bytes as parse_size() takes them: 256M, 8K, 1000; 0 is "0". */
const char *format_size(char *buf, size_t size, uint64_t bytes);
int u64_width(uint64_t v);
int max_int(int a, int b);
/*
 * Text tables: each column as wide as its widest cell (table_fit() over the
 * header and every row, @w zeroed first), left-aligned, two blanks between
 * columns and none after the last, so awk splits a row cleanly.
 */
void table_fit(int *w, const char *const *cell, int ncols);
void table_row(const char *const *cell, const int *w, int ncols);
void json_str(const char *s);
/* The first @len bytes of @s (fewer at a NUL) as a JSON string. */
void json_str_n(const char *s, size_t len);

/* ------------------------------------------------------------------------ */
/* listener.c: listener add / del / list                                     */

/*
 * A listener's protocol options. http's site: root, user, cache size,
 * access log, and the routes to upstreams (a pure proxy has routes or a
 * fallback and no root, nor user or cache). kv's: memory limit and largest
 * item, and in what the kernel reports what it holds.
 */
struct site_opts {
	bool has_root;
	char root[PATH_MAX];	/* absolute, as realpath() made it */
	bool has_user;
	uint32_t uid, gid;
	bool has_cache;
	uint64_t cache;		/* bytes, 0: no cache */
	bool access_log;	/* its responses go to the access log */
	bool one_fs;		/* lookups stay on the root's file system */
	unsigned int nroutes;
	char routes[FH_ROUTES_MAX][FH_ROUTE_MAX];	/* "PREFIX=UPSTREAM", in order */
	bool has_fallback;
	char fallback[FH_UPSTREAM_NAME_MAX];	/* the upstream for 404s and 405s */
	bool has_mem;
	uint64_t mem;		/* kv: memory limit, bytes */
	bool has_item_max;
	uint32_t item_max;	/* kv: largest item, bytes */
	bool has_usage;		/* kv, reported: bytes and items held */
	uint64_t bytes, items;
};

/* A checked "listener add": what a real run would send. */
struct listener_req {
	const char *proto;
	struct endpoint ep;
	const char *cpus;	/* NULL: every worker CPU */
	uint32_t max_conns;	/* 0: only the module-wide limit */
	struct site_opts site;
};

struct listener {
	struct endpoint ep;
	char proto[FH_PROTO_NAME_MAX];
	char address[INET6_ADDRSTRLEN + 8];
	char cpus[FH_CPULIST_MAX];
	uint64_t accepted, active;
	uint32_t max_conns;
	struct site_opts site;	/* has_root etc.: what the kernel reported */
};

struct listener_list {
	struct listener *v;
	size_t n, cap;
};

void parse_listener_add(int argc, char **argv, struct listener_req *r);
/* Return 0, or -1 with g->err set. @site may be NULL. */
int listener_add(struct genl *g, const char *proto, const struct endpoint *ep,
		 const char *cpus, uint32_t max_conns, const struct site_opts *site);
int listener_del(struct genl *g, const struct endpoint *ep);
/* kv's memory limit of a running listener: 0, or -1 with g->err set. */
int listener_set_mem(struct genl *g, const struct endpoint *ep, uint64_t mem);
/* Whether a listener has a site (http): a root, routes or a fallback. */
bool site_present(const struct site_opts *site);
/* @route ("PREFIX=UPSTREAM") cut at its last '=': the upstream's name. */
const char *route_upstream(const char *route);
/*
 * " root DIR user NAME cache SIZE access-log route PREFIX=UPSTREAM fallback
 * UPSTREAM", what a site has, for people.
 */
const char *site_str(const struct site_opts *site, char *buf, size_t size);
/* The user name of @uid when @gid is its group, else "UID:GID". */
const char *user_str(uint32_t uid, uint32_t gid, char *buf, size_t size);
/* Dump callback: appends each listener to a struct listener_list. */
int listener_cb(const struct nlmsghdr *nlh, void *data);

int cmd_listener_add(int argc, char **argv);
int cmd_listener_del(int argc, char **argv);
int cmd_listener_list(int argc, char **argv);
int cmd_listener_set(int argc, char **argv);

/* ------------------------------------------------------------------------ */
/* stats.c                                                                   */

struct stat_row {
	uint32_t cpu;
	uint64_t v[FH_STAT_MAX + 1];
};

struct stats {
	struct stat_row total;
	struct stat_row *cpus;
	size_t n, cap;
};

/* Returns 0, or -1 with g->err set; the caller decides how to report. */
int stats_fetch(struct genl *g, struct stats *st);

int cmd_stats(int argc, char **argv);

/* ------------------------------------------------------------------------ */
/* settings.c: set / show settings                                           */

enum setting_kind {
	SETTING_COUNT,		/* a number */
	SETTING_MS,		/* a duration the kernel holds in milliseconds */
	SETTING_S,		/* a duration the kernel holds in whole seconds */
	SETTING_SIZE,		/* bytes, K/M/G suffixes allowed */
};

struct setting {
	const char *name;
	const char *json;	/* its key in "show settings -j" */
	int attr;
	enum setting_kind kind;
	bool off_ok;		/* 0 (or "off" for a duration) disables it */
	uint32_t min, max;	/* in the kernel's unit, besides 0 when off_ok */
};

/* The settings, in the order "show settings" prints them. */
#define NSETTINGS	11
extern const struct setting settings[];

/* A checked "set": given[k] says whether value[k] is to be set. */
struct settings_req {
	bool given[NSETTINGS];
	uint32_t value[NSETTINGS];
};

struct settings_reply {
	bool have[FH_A_MAX + 1];
	uint32_t v[FH_A_MAX + 1];
};

void parse_set(int argc, char **argv, struct settings_req *r);
/*
 * @val for @s in its kernel unit, checked against its range; a bad value
 * exits with a message naming s->name.
 */
uint32_t parse_setting(const struct setting *s, const char *val);
/* Several settings in one request are applied by the kernel together. */
int settings_set(struct genl *g, const struct settings_req *r);
/* Reply callback filling a struct settings_reply. */
int settings_cb(const struct nlmsghdr *nlh, void *data);
const char *setting_str(const struct setting *s, uint32_t v, char *buf, size_t size);

int cmd_set(int argc, char **argv);
int cmd_show_settings(int argc, char **argv);

/* ------------------------------------------------------------------------ */
/* upstream.c: upstream add / del / list / show                              */

/* The options of "upstream add", in the order they are shown. */
#define NUPSTREAM_OPTS	5
/* Each one's name (without "--"), JSON key, attribute, kind and range. */
extern const struct setting upstream_opts[];

/* A checked "upstream add": what a real run would send. */
struct upstream_req {
	char name[FH_UPSTREAM_NAME_MAX];
	unsigned int nservers;
	char servers[FH_UPSTREAM_SERVERS_MAX][FH_UPSTREAM_SERVER_MAX];	/* canonical */
	bool given[NUPSTREAM_OPTS];	/* not given: the kernel's default */
	uint32_t value[NUPSTREAM_OPTS];
};

/* An upstream as FH_CMD_UPSTREAM_GET reports it: every option is given. */
struct upstream {
	struct upstream_req u;
	uint32_t users;
	uint64_t requests, connects, reuses, fails;
};

struct upstream_list {
	struct upstream *v;
	size_t n, cap;
};

/* 1..FH_UPSTREAM_NAME_MAX - 1 letters, digits, '-', '_' and '.'. */
bool upstream_name_ok(const char *name);
void parse_upstream_add(int argc, char **argv, struct upstream_req *r);
/* Return 0, or -1 with g->err set. */
int upstream_add(struct genl *g, const struct upstream_req *r);
int upstream_del(struct genl *g, const char *name);
/* " SERVER... keepalive N ...": the servers, and the options given, for people. */
const char *upstream_str(const struct upstream_req *r, char *buf, size_t size);
/* Dump (or get) callback: appends each upstream to a struct upstream_list. */
int upstream_cb(const struct nlmsghdr *nlh, void *data);

int cmd_upstream_add(int argc, char **argv);
int cmd_upstream_del(int argc, char **argv);
int cmd_upstream_list(int argc, char **argv);
int cmd_upstream_show(int argc, char **argv);

/* ------------------------------------------------------------------------ */
/* cache.c: cache flush / stats                                              */

int cmd_cache_flush(int argc, char **argv);
int cmd_cache_stats(int argc, char **argv);

/* ------------------------------------------------------------------------ */
/* log.c: the access log                                                     */

int cmd_log(int argc, char **argv);

/* ------------------------------------------------------------------------ */
/* batch.c: command files (-b, and the reading half of apply)                */

/* The words of one line; they point into the line. */
struct words {
	char **v;
	int n, cap;
};

struct cmd_file {
	FILE *f;
	char *line;
	size_t cap;
	struct words w;
};

/* "-" is standard input. Errors from here on name the file. */
void cmd_file_open(struct cmd_file *cf, const char *path);
/* The next line that has words (in cf->w); false at the end of the file. */
bool cmd_file_next(struct cmd_file *cf);
void cmd_file_close(struct cmd_file *cf);

int run_batch(const char *path);

/* ------------------------------------------------------------------------ */
/* apply.c                                                                   */

int cmd_apply(int argc, char **argv);

#endif /* FHCTL_H */
