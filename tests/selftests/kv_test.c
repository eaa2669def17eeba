// SPDX-License-Identifier: GPL-2.0
/*
 * kv service: the memcached text and meta protocols, answered byte for byte
 * as memcached 1.6.18 answers them.
 *
 * Every expectation here was checked against the real memcached: with
 * FH_KV_TARGET=HOST:PORT the fixtures use that server and leave the module
 * and fhctl alone, e.g.
 *
 *	memcached -p 22122 -U 0 -t 2 -m 64 &
 *	FH_KV_TARGET=127.0.0.1:22122 build/selftests/kv_test
 *
 * Tests of firehose's own counters and listener options (--mem, --item-max)
 * skip there. Without it, each fixture adds a kv listener of its own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fh_util.h"
#include "fh_harness.h"

#define ADDR "127.0.0.1"
#define KV_TIMEOUT_MS 10000
/* iproute2, not busybox's ip (earlier in the guest's PATH): netns. */
#define IP "/usr/bin/ip"
#define NETNS "fhkv"

/* Where the tests talk to: a kv listener of ours, or FH_KV_TARGET. */
struct kv_target {
	char host[64];
	int port;
	char addr[96];		/* "host:port", as fhctl names the listener */
	bool external;		/* FH_KV_TARGET: no module, no fhctl */
};

static void kv_target_setup(struct __test_metadata *_metadata,
			    struct kv_target *t, int base, const char *opts)
{
	const char *env = getenv("FH_KV_TARGET");
	const char *colon;

	if (env && *env) {
		colon = strrchr(env, ':');
		ASSERT_NE(NULL, colon) TH_LOG("FH_KV_TARGET=%s is not HOST:PORT", env);
		ASSERT_LT((size_t)(colon - env), sizeof(t->host));
		memcpy(t->host, env, colon - env);
		t->host[colon - env] = '\0';
		t->port = atoi(colon + 1);
		ASSERT_LT(0, t->port);
		t->external = true;
		snprintf(t->addr, sizeof(t->addr), "%s", env);
		return;
	}
	ASSERT_EQ(0, fh_module_load());
	snprintf(t->host, sizeof(t->host), ADDR);
	t->port = fh_test_port(base);
	snprintf(t->addr, sizeof(t->addr), ADDR ":%d", t->port);
	ASSERT_EQ(0, fh_fhctl_ok("listener add kv %s%s", t->addr, opts));
}

static void kv_target_teardown(struct kv_target *t)
{
	if (!t->external && t->port)
		fh_fhctl_ok("listener del %s", t->addr);
}

/* The default listener: no options, so memcached's defaults hold. */
FIXTURE(kv) {
	struct kv_target t;
};

FIXTURE_SETUP(kv)
{
	kv_target_setup(_metadata, &self->t, 14000, "");
}

FIXTURE_TEARDOWN(kv)
{
	kv_target_teardown(&self->t);
}

/* A listener with a small item size limit (memcached's is 1 MiB, -I 1m). */
FIXTURE(kv_small) {
	struct kv_target t;
};

FIXTURE_SETUP(kv_small)
{
	kv_target_setup(_metadata, &self->t, 19000, " --item-max 64K");
}

FIXTURE_TEARDOWN(kv_small)
{
	kv_target_teardown(&self->t);
}

/* A listener with a memory limit of 2 MiB. */
FIXTURE(kv_mem) {
	struct kv_target t;
};

FIXTURE_SETUP(kv_mem)
{
	/* memcached's limit is per-slab-class and needs its own -m: skipped. */
	if (getenv("FH_KV_TARGET") && *getenv("FH_KV_TARGET")) {
		self->t.external = true;
		return;
	}
	kv_target_setup(_metadata, &self->t, 22000, " --mem 2M");
}

FIXTURE_TEARDOWN(kv_mem)
{
	kv_target_teardown(&self->t);
}

#define FIREHOSE_ONLY(t, why) do { \
	if ((t)->external) \
		SKIP(return, "firehose only: %s", why); \
} while (0)

/* ---- one client connection: buffered reads, exact-bytes exchanges ---- */

struct kvc {
	int fd;
	size_t off, have;
	char buf[65536];
};

static struct kvc *kv_open(struct kv_target *t)
{
	struct kvc *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = fh_connect(t->host, t->port);
	if (c->fd < 0 || fh_set_timeout(c->fd, KV_TIMEOUT_MS)) {
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return NULL;
	}
	return c;
}

static void kv_close(struct kvc *c)
{
	if (c) {
		close(c->fd);
		free(c);
	}
}

static int kv_send(struct kvc *c, const void *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p = (const char *)p + w;
		n -= w;
	}
	return 0;
}

/* More bytes into c->buf; 0 on EOF, -1 on error or timeout. */
static ssize_t kv_fill(struct kvc *c)
{
	ssize_t n;

	if (c->off == c->have) {
		c->off = c->have = 0;
	} else if (c->have == sizeof(c->buf)) {
		memmove(c->buf, c->buf + c->off, c->have - c->off);
		c->have -= c->off;
		c->off = 0;
	}
	if (c->have == sizeof(c->buf))
		return -1;
	do
		n = recv(c->fd, c->buf + c->have, sizeof(c->buf) - c->have, 0);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		c->have += n;
	return n;
}

/* Exactly n bytes (fewer on EOF or timeout): how many there were. */
static size_t kv_read_n(struct kvc *c, void *out, size_t n)
{
	size_t got = 0, k;

	while (got < n) {
		if (c->off == c->have && kv_fill(c) <= 0)
			break;
		k = c->have - c->off;
		if (k > n - got)
			k = n - got;
		memcpy((char *)out + got, c->buf + c->off, k);
		c->off += k;
		got += k;
	}
	return got;
}

/*
 * Everything up to and including the first @term, NUL-terminated in out:
 * its length, or -1 (timeout, EOF, or longer than cap - 1).
 */
static long kv_read_until(struct kvc *c, char *out, size_t cap, const char *term)
{
	size_t tl = strlen(term), scanned = 0, len;
	char *hit;

	for (;;) {
		hit = memmem(c->buf + c->off + scanned, c->have - c->off - scanned,
			     term, tl);
		if (hit) {
			len = hit + tl - (c->buf + c->off);
			if (len >= cap)
				return -1;
			memcpy(out, c->buf + c->off, len);
			out[len] = '\0';
			c->off += len;
			return len;
		}
		if (c->have - c->off >= tl)
			scanned = c->have - c->off - tl + 1;
		if (c->have - c->off >= cap)
			return -1;
		if (c->off && c->have == sizeof(c->buf)) {
			memmove(c->buf, c->buf + c->off, c->have - c->off);
			c->have -= c->off;
			c->off = 0;
		}
		if (kv_fill(c) <= 0)
			return -1;
	}
}

static long kv_read_line(struct kvc *c, char *out, size_t cap)
{
	return kv_read_until(c, out, cap, "\r\n");
}

/* Bytes until the peer closes: how many, or -1 on timeout. A reset is a close. */
static long kv_read_to_close(struct kvc *c, int timeout_ms)
{
	long long end = fh_now_ms() + timeout_ms;
	long got = c->have - c->off;
	ssize_t n;

	c->off = c->have = 0;
	while (fh_now_ms() < end) {
		n = kv_fill(c);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return got;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return got;
		if (n > 0)
			got += n;
		c->off = c->have = 0;
	}
	return -1;
}

static void kv_log_bytes(const char *what, const char *p, size_t n)
{
	size_t i, max = n > 600 ? 600 : n;

	fprintf(stderr, "# %s (%zu bytes): '", what, n);
	for (i = 0; i < max; i++) {
		unsigned char ch = p[i];

		if (ch == '\r')
			fputs("\\r", stderr);
		else if (ch == '\n')
			fputs("\\n", stderr);
		else if (ch < 32 || ch > 126)
			fprintf(stderr, "\\x%02x", ch);
		else
			fputc(ch, stderr);
	}
	fprintf(stderr, "%s'\n", max < n ? "..." : "");
}

/*
 * Send req, read as many bytes as want has (or as the longer alternative):
 * true when they are exactly want (or want2). Logs both sides otherwise.
 */
static bool kv_exchange2(struct kvc *c, const void *req, size_t reqlen,
			 const char *want, size_t wantlen,
			 const char *want2, size_t want2len)
{
	size_t n = wantlen > want2len ? wantlen : want2len;
	char *got = malloc(n + 1);
	size_t k = 0;
	bool ok = false;

	if (!got)
		return false;
	if (reqlen && kv_send(c, req, reqlen)) {
		fprintf(stderr, "# send failed: %s\n", strerror(errno));
		goto out;
	}
	k = kv_read_n(c, got, wantlen);
	ok = k == wantlen && !memcmp(got, want, wantlen);
	if (!ok && want2 && k <= want2len) {
		k += kv_read_n(c, got + k, want2len - k);
		ok = k == want2len && !memcmp(got, want2, want2len);
	}
	if (!ok) {
		kv_log_bytes("sent", req, reqlen);
		kv_log_bytes("want", want, wantlen);
		if (want2)
			kv_log_bytes("or  ", want2, want2len);
		kv_log_bytes("got ", got, k);
	}
out:
	free(got);
	return ok;
}

static bool kv_exchange(struct kvc *c, const void *req, size_t reqlen,
			const char *want, size_t wantlen)
{
	return kv_exchange2(c, req, reqlen, want, wantlen, NULL, 0);
}

/* The request (a string) gets exactly the reply want. */
#define KV_EXPECT(c, req, want) \
	EXPECT_TRUE(kv_exchange(c, req, strlen(req), want, strlen(want)))
#define KV_EXPECT2(c, req, want, want2) \
	EXPECT_TRUE(kv_exchange2(c, req, strlen(req), want, strlen(want), \
				 want2, strlen(want2)))
/* Only read: the next bytes are exactly want. */
#define KV_EXPECT_READ(c, want) KV_EXPECT(c, "", want)

#define KV_OPEN(c, t) do { \
	c = kv_open(t); \
	ASSERT_NE(NULL, c) TH_LOG("cannot connect to %s", (t)->addr); \
} while (0)

/* "get key" until it misses: ms it took, -1 if still there after timeout_ms. */
static long kv_wait_gone(struct kvc *c, const char *key, int timeout_ms)
{
	long long start = fh_now_ms();
	char req[300], line[400];

	snprintf(req, sizeof(req), "mg %s\r\n", key);
	while (fh_now_ms() - start < timeout_ms) {
		if (kv_send(c, req, strlen(req)) || kv_read_line(c, line, sizeof(line)) < 0)
			return -1;
		if (!strcmp(line, "EN\r\n"))
			return fh_now_ms() - start;
		if (strcmp(line, "HD\r\n"))
			return -1;
		usleep(50000);
	}
	return -1;
}

/* The cas token "mg KEY c" reports, 0 on a miss or error. */
static uint64_t kv_cas_of(struct kvc *c, const char *key)
{
	char req[300], line[400];
	uint64_t cas;

	snprintf(req, sizeof(req), "mg %s c\r\n", key);
	if (kv_send(c, req, strlen(req)) || kv_read_line(c, line, sizeof(line)) < 0)
		return 0;
	if (sscanf(line, "HD c%" SCNu64 "\r\n", &cas) != 1)
		return 0;
	return cas;
}

/* ---- storage and retrieval ---- */

TEST_F(kv, set_then_get_returns_value_and_flags)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "set sg_key 4294967295 0 5\r\nhello\r\n", "STORED\r\n");
	KV_EXPECT(c, "get sg_key\r\n", "VALUE sg_key 4294967295 5\r\nhello\r\nEND\r\n");
	KV_EXPECT(c, "set sg_key 7 0 0\r\n\r\n", "STORED\r\n");
	KV_EXPECT(c, "get sg_key\r\n", "VALUE sg_key 7 0\r\n\r\nEND\r\n");
	kv_close(c);
}

TEST_F(kv, get_of_missing_key_is_just_END)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "get gm_never_set\r\n", "END\r\n");
	KV_EXPECT(c, "gets gm_never_set\r\n", "END\r\n");
	kv_close(c);
}

TEST_F(kv, gets_returns_the_cas_token)
{
	char line[200], want[200];
	uint64_t cas;
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "set gs_key 3 0 2\r\nab\r\n", "STORED\r\n");
	cas = kv_cas_of(c, "gs_key");
	ASSERT_NE(0u, cas);
	snprintf(want, sizeof(want), "VALUE gs_key 3 2 %" PRIu64 "\r\n", cas);
	ASSERT_EQ(0, kv_send(c, "gets gs_key\r\n", 13));
	ASSERT_LT(0, kv_read_line(c, line, sizeof(line)));
	EXPECT_STREQ(want, line);
	KV_EXPECT_READ(c, "ab\r\nEND\r\n");
	kv_close(c);
}

TEST_F(kv, key_of_250_bytes_is_stored_and_251_is_refused)
{
	char k250[251], k251[252], req[600], want[600];
	struct kvc *c;

	memset(k250, 'k', 250);
	k250[250] = '\0';
	memset(k251, 'k', 251);
	k251[251] = '\0';
	KV_OPEN(c, &self->t);
	snprintf(req, sizeof(req), "set %s 0 0 1\r\nx\r\n", k250);
	KV_EXPECT(c, req, "STORED\r\n");
	snprintf(req, sizeof(req), "get %s\r\n", k250);
	snprintf(want, sizeof(want), "VALUE %s 0 1\r\nx\r\nEND\r\n", k250);
	KV_EXPECT(c, req, want);
	snprintf(req, sizeof(req), "get %s\r\n", k251);
	KV_EXPECT(c, req, "CLIENT_ERROR bad command line format\r\n");
	/*
	 * memcached refuses the command line before it trusts its length: the
	 * data line that follows is read as a command of its own.
	 */
	snprintf(req, sizeof(req), "set %s 0 0 1\r\nx\r\n", k251);
	KV_EXPECT(c, req, "CLIENT_ERROR bad command line format\r\nERROR\r\n");
	kv_close(c);
}

TEST_F(kv, value_with_crlf_inside_is_data)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "set crlf_key 0 0 14\r\nab\r\nEND\r\nget x\r\n", "STORED\r\n");
	KV_EXPECT(c, "get crlf_key\r\n", "VALUE crlf_key 0 14\r\nab\r\nEND\r\nget x\r\nEND\r\n");
	kv_close(c);
}

TEST_F(kv, value_with_every_byte_value_roundtrips)
{
	char req[600], want[600];
	int i, rl, wl;
	struct kvc *c;

	KV_OPEN(c, &self->t);
	rl = snprintf(req, sizeof(req), "set bin_key 0 0 256\r\n");
	wl = snprintf(want, sizeof(want), "VALUE bin_key 0 256\r\n");
	for (i = 0; i < 256; i++)
		req[rl + i] = want[wl + i] = (char)i;
	memcpy(req + rl + 256, "\r\n", 2);
	memcpy(want + wl + 256, "\r\nEND\r\n", 7);
	EXPECT_TRUE(kv_exchange(c, req, rl + 258, "STORED\r\n", 8));
	EXPECT_TRUE(kv_exchange(c, "get bin_key\r\n", 13, want, wl + 263));
	kv_close(c);
}

TEST_F(kv, value_of_a_million_bytes_roundtrips)
{
	const size_t len = 1000000;
	char *req = malloc(len + 100), *want = malloc(len + 100);
	int rl, wl;
	struct kvc *c;

	ASSERT_NE(NULL, req);
	ASSERT_NE(NULL, want);
	KV_OPEN(c, &self->t);
	rl = snprintf(req, 100, "set million 0 0 %zu\r\n", len);
	wl = snprintf(want, 100, "VALUE million 0 %zu\r\n", len);
	fh_fill_random(req + rl, len, 1);
	memcpy(want + wl, req + rl, len);
	memcpy(req + rl + len, "\r\n", 2);
	memcpy(want + wl + len, "\r\nEND\r\n", 7);
	EXPECT_TRUE(kv_exchange(c, req, rl + len + 2, "STORED\r\n", 8));
	EXPECT_TRUE(kv_exchange(c, "get million\r\n", 13, want, wl + len + 7));
	kv_close(c);
	free(req);
	free(want);
}

TEST_F(kv, noreply_set_sends_nothing_and_stores)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "set nr_key 1 0 1 noreply\r\na\r\nget nr_key\r\n",
		  "VALUE nr_key 1 1\r\na\r\nEND\r\n");
	kv_close(c);
}

TEST_F(kv, noreply_on_every_command_sends_nothing)
{
	struct kvc *c;
	uint64_t cas;
	char req[200];

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "add nra 0 0 1 noreply\r\n5\r\n"
		  "add nra 0 0 1 noreply\r\n6\r\n"
		  "replace nra 0 0 2 noreply\r\n10\r\n"
		  "replace nr_missing 0 0 1 noreply\r\nx\r\n"
		  "append nra 0 0 1 noreply\r\n0\r\n"
		  "prepend nra 0 0 1 noreply\r\n2\r\n"
		  "incr nra 5 noreply\r\n"
		  "decr nra 1 noreply\r\n"
		  "incr nr_missing 1 noreply\r\n"
		  "touch nra 0 noreply\r\n"
		  "delete nr_missing noreply\r\n"
		  "get nra\r\n",
		  "VALUE nra 0 4\r\n2104\r\nEND\r\n");
	cas = kv_cas_of(c, "nra");
	ASSERT_NE(0u, cas);
	snprintf(req, sizeof(req), "cas nra 9 0 1 %" PRIu64 " noreply\r\nz\r\n"
		 "get nra\r\ndelete nra noreply\r\nget nra\r\n", cas);
	KV_EXPECT(c, req, "VALUE nra 9 1\r\nz\r\nEND\r\nEND\r\n");
	kv_close(c);
}

TEST_F(kv, add_on_existing_is_NOT_STORED)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "add add_key 1 0 1\r\na\r\n", "STORED\r\n");
	KV_EXPECT(c, "add add_key 2 0 1\r\nb\r\n", "NOT_STORED\r\n");
	KV_EXPECT(c, "get add_key\r\n", "VALUE add_key 1 1\r\na\r\nEND\r\n");
	kv_close(c);
}

TEST_F(kv, replace_on_missing_is_NOT_STORED)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "replace rep_key 1 0 1\r\na\r\n", "NOT_STORED\r\n");
	KV_EXPECT(c, "get rep_key\r\n", "END\r\n");
	KV_EXPECT(c, "set rep_key 1 0 1\r\na\r\n", "STORED\r\n");
	KV_EXPECT(c, "replace rep_key 3 0 2\r\nzz\r\n", "STORED\r\n");
	KV_EXPECT(c, "get rep_key\r\n", "VALUE rep_key 3 2\r\nzz\r\nEND\r\n");
	kv_close(c);
}

TEST_F(kv, append_and_prepend_keep_flags)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "set ap_key 42 0 2\r\nbc\r\n", "STORED\r\n");
	KV_EXPECT(c, "append ap_key 0 0 1\r\nd\r\n", "STORED\r\n");
	KV_EXPECT(c, "prepend ap_key 7 0 1\r\na\r\n", "STORED\r\n");
	KV_EXPECT(c, "get ap_key\r\n", "VALUE ap_key 42 4\r\nabcd\r\nEND\r\n");
	kv_close(c);
}

TEST_F(kv, append_and_prepend_on_missing_are_NOT_STORED)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "append apm_key 0 0 1\r\nx\r\n", "NOT_STORED\r\n");
	KV_EXPECT(c, "prepend apm_key 0 0 1\r\nx\r\n", "NOT_STORED\r\n");
	KV_EXPECT(c, "get apm_key\r\n", "END\r\n");
	kv_close(c);
}

TEST_F(kv, cas_with_fresh_token_stores_and_changes_token)
{
	struct kvc *c;
	uint64_t cas, cas2;
	char req[200];

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "set casf 1 0 1\r\na\r\n", "STORED\r\n");
	cas = kv_cas_of(c, "casf");
	ASSERT_NE(0u, cas);
	snprintf(req, sizeof(req), "cas casf 2 0 1 %" PRIu64 "\r\nb\r\n", cas);
	KV_EXPECT(c, req, "STORED\r\n");
	KV_EXPECT(c, "get casf\r\n", "VALUE casf 2 1\r\nb\r\nEND\r\n");
	cas2 = kv_cas_of(c, "casf");
	EXPECT_NE(0u, cas2);
	EXPECT_NE(cas, cas2);
	kv_close(c);
}

TEST_F(kv, cas_with_stale_token_is_EXISTS)
{
	struct kvc *c;
	uint64_t cas;
	char req[200];

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "set cass 1 0 1\r\na\r\n", "STORED\r\n");
	cas = kv_cas_of(c, "cass");
	ASSERT_NE(0u, cas);
	KV_EXPECT(c, "set cass 1 0 1\r\nb\r\n", "STORED\r\n");
	snprintf(req, sizeof(req), "cas cass 2 0 1 %" PRIu64 "\r\nc\r\n", cas);
	KV_EXPECT(c, req, "EXISTS\r\n");
	KV_EXPECT(c, "get cass\r\n", "VALUE cass 1 1\r\nb\r\nEND\r\n");
	kv_close(c);
}

TEST_F(kv, cas_on_missing_key_is_NOT_FOUND)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "cas casm_never 0 0 1 1\r\nb\r\n", "NOT_FOUND\r\n");
	KV_EXPECT(c, "get casm_never\r\n", "END\r\n");
	kv_close(c);
}

TEST_F(kv, delete_then_get_misses)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "set del_key 0 0 1\r\na\r\n", "STORED\r\n");
	KV_EXPECT(c, "delete del_key\r\n", "DELETED\r\n");
	KV_EXPECT(c, "get del_key\r\n", "END\r\n");
	KV_EXPECT(c, "delete del_key\r\n", "NOT_FOUND\r\n");
	kv_close(c);
}

TEST_F(kv, delete_takes_a_legacy_zero_time_but_refuses_any_other)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "set delt 0 0 1\r\na\r\n", "STORED\r\n");
	KV_EXPECT(c, "delete delt 1\r\n",
		  "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n");
	KV_EXPECT(c, "delete delt 0\r\n", "DELETED\r\n");
	kv_close(c);
}

/* ---- incr/decr ---- */

/*
 * "get KEY" shows the number digits; memcached keeps the old length and pads
 * with spaces when the number shrinks in place (protocol.txt allows both).
 */
static bool kv_number_is(struct kvc *c, const char *key, const char *digits)
{
	char req[300], line[400], want[400], *val;
	unsigned int flags;
	size_t len, i, dl = strlen(digits);
	bool ok;

	snprintf(req, sizeof(req), "get %s\r\n", key);
	snprintf(want, sizeof(want), "VALUE %s ", key);
	if (kv_send(c, req, strlen(req)) || kv_read_line(c, line, sizeof(line)) < 0)
		return false;
	if (strncmp(line, want, strlen(want)) ||
	    sscanf(line + strlen(want), "%u %zu", &flags, &len) != 2 || len < dl || len > 20) {
		kv_log_bytes("got", line, strlen(line));
		return false;
	}
	val = malloc(len + 7);
	if (!val)
		return false;
	ok = kv_read_n(c, val, len + 7) == len + 7 && !memcmp(val, digits, dl) &&
	     !memcmp(val + len, "\r\nEND\r\n", 7);
	for (i = dl; ok && i < len; i++)
		ok = val[i] == ' ';
	if (!ok)
		kv_log_bytes("value", val, len + 7);
	free(val);
	return ok;
}

TEST_F(kv, incr_and_decr_answer_the_new_value)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "set ctr 5 0 2\r\n99\r\n", "STORED\r\n");
	KV_EXPECT(c, "incr ctr 5\r\n", "104\r\n");
	KV_EXPECT(c, "get ctr\r\n", "VALUE ctr 5 3\r\n104\r\nEND\r\n");
	KV_EXPECT(c, "decr ctr 100\r\n", "4\r\n");
	EXPECT_TRUE(kv_number_is(c, "ctr", "4"));
	kv_close(c);
}

TEST_F(kv, incr_wraps_at_2_to_64)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "set wrap 0 0 20\r\n18446744073709551615\r\n", "STORED\r\n");
	KV_EXPECT(c, "incr wrap 1\r\n", "0\r\n");
	EXPECT_TRUE(kv_number_is(c, "wrap", "0"));
	KV_EXPECT(c, "set wrap 0 0 20\r\n18446744073709551610\r\n", "STORED\r\n");
	KV_EXPECT(c, "incr wrap 18446744073709551615\r\n", "18446744073709551609\r\n");
	kv_close(c);
}

TEST_F(kv, decr_stops_at_zero)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "set dz 0 0 2\r\n10\r\n", "STORED\r\n");
	KV_EXPECT(c, "decr dz 11\r\n", "0\r\n");
	EXPECT_TRUE(kv_number_is(c, "dz", "0"));
	KV_EXPECT(c, "decr dz 1\r\n", "0\r\n");
	kv_close(c);
}

TEST_F(kv, incr_on_non_numeric_value_is_client_error)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "set nn 0 0 3\r\nabc\r\n", "STORED\r\n");
	KV_EXPECT(c, "incr nn 1\r\n",
		  "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
	KV_EXPECT(c, "decr nn 1\r\n",
		  "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
	KV_EXPECT(c, "get nn\r\n", "VALUE nn 0 3\r\nabc\r\nEND\r\n");
	kv_close(c);
}

TEST_F(kv, incr_with_bad_delta_is_client_error)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "set bd 0 0 1\r\n1\r\n", "STORED\r\n");
	KV_EXPECT(c, "incr bd abc\r\n", "CLIENT_ERROR invalid numeric delta argument\r\n");
	KV_EXPECT(c, "incr bd -1\r\n", "CLIENT_ERROR invalid numeric delta argument\r\n");
	KV_EXPECT(c, "decr bd 18446744073709551616\r\n",
		  "CLIENT_ERROR invalid numeric delta argument\r\n");
	kv_close(c);
}

TEST_F(kv, incr_on_missing_key_is_NOT_FOUND)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "incr incr_never 1\r\n", "NOT_FOUND\r\n");
	KV_EXPECT(c, "decr incr_never 1\r\n", "NOT_FOUND\r\n");
	kv_close(c);
}

/* ---- expiry, touch, flush ---- */

TEST_F(kv, expiry_relative_seconds)
{
	struct kvc *c;
	long ms;

	KV_OPEN(c, &self->t);
	/* memcached's clock ticks in whole seconds: 2 s lives 1 to 2 s. */
	KV_EXPECT(c, "set exp2 0 2 1\r\na\r\nget exp2\r\n",
		  "STORED\r\nVALUE exp2 0 1\r\na\r\nEND\r\n");
	ms = kv_wait_gone(c, "exp2", 4000);
	EXPECT_LE(800, ms) TH_LOG("gone after %ld ms", ms);
	kv_close(c);
}

TEST_F(kv, negative_exptime_expires_at_once)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "set negexp 0 -1 1\r\nx\r\n", "STORED\r\n");
	KV_EXPECT(c, "get negexp\r\n", "END\r\n");
	kv_close(c);
}

TEST_F(kv, touch_and_gat_change_expiry)
{
	struct kvc *c;
	long ms;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "set tA 0 0 1\r\na\r\nset tB 0 0 1\r\nb\r\nset tC 0 2 1\r\nc\r\n",
		  "STORED\r\nSTORED\r\nSTORED\r\n");
	KV_EXPECT(c, "touch tA 2\r\n", "TOUCHED\r\n");
	KV_EXPECT(c, "gat 2 tB\r\n", "VALUE tB 0 1\r\nb\r\nEND\r\n");
	KV_EXPECT(c, "gat 0 tC\r\n", "VALUE tC 0 1\r\nc\r\nEND\r\n");
	ms = kv_wait_gone(c, "tA", 4000);
	EXPECT_LE(800, ms) TH_LOG("tA gone after %ld ms", ms);
	EXPECT_LE(0, kv_wait_gone(c, "tB", 1000));
	/* tC was made permanent by gat 0. */
	KV_EXPECT(c, "get tC\r\n", "VALUE tC 0 1\r\nc\r\nEND\r\n");
	kv_close(c);
}

TEST_F(kv, touch_of_missing_is_NOT_FOUND_and_gats_has_cas)
{
	char line[200], want[200];
	struct kvc *c;
	uint64_t cas;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "touch touch_never 10\r\n", "NOT_FOUND\r\n");
	KV_EXPECT(c, "gat 10 touch_never\r\n", "END\r\n");
	KV_EXPECT(c, "set gats_k 3 0 1\r\nx\r\n", "STORED\r\n");
	cas = kv_cas_of(c, "gats_k");
	ASSERT_NE(0u, cas);
	snprintf(want, sizeof(want), "VALUE gats_k 3 1 %" PRIu64 "\r\n", cas);
	ASSERT_EQ(0, kv_send(c, "gats 100 gats_k touch_never\r\n", 29));
	ASSERT_LT(0, kv_read_line(c, line, sizeof(line)));
	EXPECT_STREQ(want, line);
	KV_EXPECT_READ(c, "x\r\nEND\r\n");
	kv_close(c);
}

TEST_F(kv, flush_all_empties)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "set fl1 0 0 1\r\na\r\nset fl2 0 0 1\r\nb\r\n", "STORED\r\nSTORED\r\n");
	KV_EXPECT(c, "flush_all\r\n", "OK\r\n");
	KV_EXPECT(c, "get fl1 fl2\r\n", "END\r\n");
	KV_EXPECT(c, "set fl1 0 0 1\r\nc\r\nflush_all noreply\r\nget fl1\r\n",
		  "STORED\r\nEND\r\n");
	KV_EXPECT(c, "flush_all bogus\r\n", "CLIENT_ERROR invalid exptime argument\r\n");
	kv_close(c);
}

TEST_F(kv, flush_all_with_delay_then_empties_later)
{
	struct kvc *c;
	long ms;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "set fd1 0 0 1\r\na\r\n", "STORED\r\n");
	/* 3 s in whole-second ticks: the flush comes 1 to 2 s later. */
	KV_EXPECT(c, "flush_all 3\r\n", "OK\r\n");
	/* Stored after the flush_all but before its time: flushed too. */
	KV_EXPECT(c, "set fd2 0 0 1\r\nb\r\nget fd1 fd2\r\n",
		  "STORED\r\nVALUE fd1 0 1\r\na\r\nVALUE fd2 0 1\r\nb\r\nEND\r\n");
	ms = kv_wait_gone(c, "fd1", 5000);
	EXPECT_LE(800, ms) TH_LOG("flushed after %ld ms", ms);
	KV_EXPECT(c, "get fd2\r\n", "END\r\n");
	/*
	 * In memcached an item stored in the very second the flush comes due
	 * goes too (it->time <= oldest_live): the next second's stay.
	 */
	usleep(1100000);
	KV_EXPECT(c, "set fd3 0 0 1\r\nc\r\nget fd3\r\n",
		  "STORED\r\nVALUE fd3 0 1\r\nc\r\nEND\r\n");
	kv_close(c);
}

/* ---- errors and limits ---- */

TEST_F(kv, unknown_command_is_ERROR)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "bogus\r\n", "ERROR\r\n");
	KV_EXPECT(c, "GET x\r\n", "ERROR\r\n");
	KV_EXPECT(c, "\r\n", "ERROR\r\n");
	/* A command with too few arguments is not known either. */
	KV_EXPECT(c, "get\r\n", "ERROR\r\n");
	KV_EXPECT(c, "set x 0 0\r\n", "ERROR\r\n");
	KV_EXPECT(c, "incr x\r\n", "ERROR\r\n");
	/* A bare LF ends a line too. */
	KV_EXPECT(c, "bogus\nmn\n", "ERROR\r\nMN\r\n");
	kv_close(c);
}

TEST_F(kv, bad_numbers_in_storage_command_are_bad_command_line_format)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "set bn x 0 1\r\n", "CLIENT_ERROR bad command line format\r\n");
	KV_EXPECT(c, "set bn 0 0 -1\r\n", "CLIENT_ERROR bad command line format\r\n");
	KV_EXPECT(c, "set bn 0 x 1\r\n", "CLIENT_ERROR bad command line format\r\n");
	KV_EXPECT(c, "get bn\r\n", "END\r\n");
	kv_close(c);
}

TEST_F(kv, bad_data_chunk_is_CLIENT_ERROR_bad_data_chunk)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	/* Exactly length + 2 bytes are taken as the data block, whatever they are. */
	KV_EXPECT(c, "set bdc 0 0 3\r\nabcXYget bdc\r\n", "CLIENT_ERROR bad data chunk\r\nEND\r\n");
	/* A longer block: the 2 bytes after the length, then the rest is a line. */
	KV_EXPECT(c, "set bdc 0 0 3\r\nabcd\r\n", "CLIENT_ERROR bad data chunk\r\nERROR\r\n");
	KV_EXPECT(c, "get bdc\r\n", "END\r\n");
	kv_close(c);
}

TEST_F(kv_small, too_large_value_is_SERVER_ERROR_object_too_large_for_cache)
{
	const size_t len = 2 << 20;
	char *req = malloc(len + 100);
	int rl;
	struct kvc *c;

	ASSERT_NE(NULL, req);
	KV_OPEN(c, &self->t);
	/* A refused set drops the old value: no stale data stays behind. */
	KV_EXPECT(c, "set big 0 0 3\r\nold\r\n", "STORED\r\n");
	rl = snprintf(req, 100, "set big 0 0 %zu\r\n", len);
	memset(req + rl, 'x', len);
	rl += len;
	rl += snprintf(req + rl, 100, "\r\nget big\r\n");
	/* The refused value is read and dropped: the next command is served. */
	KV_EXPECT(c, req, "SERVER_ERROR object too large for cache\r\nEND\r\n");
	rl = snprintf(req, 100, "ms big %zu T0\r\n", len);
	memset(req + rl, 'x', len);
	rl += len;
	rl += snprintf(req + rl, 100, "\r\nmn\r\n");
	KV_EXPECT(c, req, "SERVER_ERROR object too large for cache\r\nMN\r\n");
	kv_close(c);
	free(req);
}

TEST_F(kv_small, item_max_takes_60000_bytes_and_refuses_70000)
{
	static char req[70100];
	struct kvc *c;
	int rl;

	FIREHOSE_ONLY(&self->t, "the listener's --item-max");
	KV_OPEN(c, &self->t);
	rl = snprintf(req, 100, "set im 0 0 60000\r\n");
	memset(req + rl, 'y', 60000);
	memcpy(req + rl + 60000, "\r\n", 2);
	EXPECT_TRUE(kv_exchange(c, req, rl + 60002, "STORED\r\n", 8));
	rl = snprintf(req, 100, "set im 0 0 70000\r\n");
	memset(req + rl, 'z', 70000);
	memcpy(req + rl + 70000, "\r\n", 2);
	EXPECT_TRUE(kv_exchange(c, req, rl + 70002,
				"SERVER_ERROR object too large for cache\r\n", 41));
	/* As memcached does, the refused set drops the old value. */
	KV_EXPECT(c, "mg im\r\n", "EN\r\n");
	kv_close(c);
}

TEST_F(kv, endless_line_closes_the_connection_without_a_reply)
{
	char line[4000];
	struct kvc *c;

	memset(line, 'x', sizeof(line));
	KV_OPEN(c, &self->t);
	ASSERT_EQ(0, kv_send(c, "set ", 4));
	ASSERT_EQ(0, kv_send(c, line, sizeof(line)));
	EXPECT_EQ(0, kv_read_to_close(c, 5000));
	kv_close(c);
}

TEST_F(kv, multiget_line_longer_than_2048_bytes_is_served)
{
	char req[8192], want[8192];
	size_t rl, wl;
	struct kvc *c;
	int i;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "set lg_have 0 0 1\r\nh\r\n", "STORED\r\n");
	rl = snprintf(req, sizeof(req), "get");
	wl = 0;
	for (i = 0; i < 300; i++) {
		if (i % 50 == 49) {
			rl += snprintf(req + rl, sizeof(req) - rl, " lg_have");
			wl += snprintf(want + wl, sizeof(want) - wl, "VALUE lg_have 0 1\r\nh\r\n");
		} else {
			rl += snprintf(req + rl, sizeof(req) - rl, " lg_missing_%03d", i);
		}
	}
	rl += snprintf(req + rl, sizeof(req) - rl, "\r\n");
	wl += snprintf(want + wl, sizeof(want) - wl, "END\r\n");
	ASSERT_LT(2048u, rl);
	EXPECT_TRUE(kv_exchange(c, req, rl, want, wl));
	kv_close(c);
}

/* ---- many requests, pipelining, framing ---- */

TEST_F(kv, multiget_of_100_keys_in_order)
{
	char req[8192], want[8192];
	size_t rl = 0, wl = 0;
	struct kvc *c;
	int i;

	KV_OPEN(c, &self->t);
	for (i = 0; i < 100; i += 2)
		rl += snprintf(req + rl, sizeof(req) - rl, "set mget_%d %d 0 %d noreply\r\n%d\r\n",
			       i, i, i < 10 ? 1 : 2, i);
	rl += snprintf(req + rl, sizeof(req) - rl, "mn\r\n");
	EXPECT_TRUE(kv_exchange(c, req, rl, "MN\r\n", 4));
	/* Asked from 99 down: the even ones, in the order asked, once per mention. */
	rl = snprintf(req, sizeof(req), "get");
	for (i = 99; i >= 0; i--) {
		rl += snprintf(req + rl, sizeof(req) - rl, " mget_%d", i);
		if (i % 2 == 0)
			wl += snprintf(want + wl, sizeof(want) - wl,
				       "VALUE mget_%d %d %d\r\n%d\r\n", i, i, i < 10 ? 1 : 2, i);
	}
	rl += snprintf(req + rl, sizeof(req) - rl, " mget_0\r\n");
	wl += snprintf(want + wl, sizeof(want) - wl, "VALUE mget_0 0 1\r\n0\r\nEND\r\n");
	EXPECT_TRUE(kv_exchange(c, req, rl, want, wl));
	kv_close(c);
}

/* A command mix whose replies are fixed bytes (no cas tokens, no versions). */
static const char mix_req[] =
	"set mix1 5 0 5\r\nhello\r\n"
	"get mix1 mix2\r\n"
	"append mix1 0 0 3\r\n!!!\r\n"
	"incr mix2 1\r\n"
	"set mix2 0 0 2\r\n41\r\n"
	"incr mix2 1\r\n"
	"bogus command\r\n"
	"get mix1\r\n"
	"delete mix1\r\n"
	"ms mix3 2 T0 F3\r\nhi\r\n"
	"mg mix3 v f\r\n"
	"mg mix1 v\r\n"
	"mg mix1 v q\r\n"
	"add mix3 0 0 1\r\nx\r\n"
	"mn\r\n";
static const char mix_want[] =
	"STORED\r\n"
	"VALUE mix1 5 5\r\nhello\r\nEND\r\n"
	"STORED\r\n"
	"NOT_FOUND\r\n"
	"STORED\r\n"
	"42\r\n"
	"ERROR\r\n"
	"VALUE mix1 5 8\r\nhello!!!\r\nEND\r\n"
	"DELETED\r\n"
	"HD\r\n"
	"VA 2 f3\r\nhi\r\n"
	"EN\r\n"
	"NOT_STORED\r\n"
	"MN\r\n";

TEST_F(kv, pipelined_requests_in_one_write_are_answered_in_order)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "delete mix2 noreply\r\n" "delete mix3 noreply\r\n" "mn\r\n", "MN\r\n");
	KV_EXPECT(c, mix_req, mix_want);
	kv_close(c);
}

TEST_F(kv, split_at_every_byte_boundary)
{
	size_t i, n = strlen(mix_req);
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "delete mix2 noreply\r\n" "delete mix3 noreply\r\n" "mn\r\n", "MN\r\n");
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, kv_send(c, mix_req + i, 1));
		usleep(200);
	}
	KV_EXPECT_READ(c, mix_want);
	kv_close(c);
}

/* ---- other commands ---- */

TEST_F(kv, version_is_VERSION_line)
{
	char line[200];
	struct kvc *c;
	size_t n;

	KV_OPEN(c, &self->t);
	ASSERT_EQ(0, kv_send(c, "version\r\nmn\r\n", 13));
	ASSERT_LT(0, kv_read_line(c, line, sizeof(line)));
	n = strlen(line);
	/* "VERSION " and one word: memcached's number, or ours. */
	EXPECT_EQ(0, strncmp(line, "VERSION ", 8)) TH_LOG("%s", line);
	EXPECT_LT(10u, n);
	EXPECT_EQ(n - 2, strcspn(line + 8, " \r\n") + 8) TH_LOG("%s", line);
	KV_EXPECT_READ(c, "MN\r\n");
	kv_close(c);
}

TEST_F(kv, verbosity_is_OK)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "verbosity 1\r\n", "OK\r\n");
	KV_EXPECT(c, "verbosity 0 noreply\r\nverbosity 0\r\n", "OK\r\n");
	KV_EXPECT(c, "verbosity\r\n", "ERROR\r\n");
	kv_close(c);
}

TEST_F(kv, quit_closes)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	ASSERT_EQ(0, kv_send(c, "quit\r\nget x\r\n", 13));
	EXPECT_EQ(0, kv_read_to_close(c, 5000));
	kv_close(c);
}

/*
 * memcached keeps an idle client's connection (its idle_timeout is off by
 * default), and clients keep pools of them: the engine's idle timeout,
 * which http's connections obey, does not apply to kv.
 */
TEST_F(kv, idle_connection_outlives_the_engines_idle_timeout)
{
	long long timeouts;
	struct kvc *c;

	FIREHOSE_ONLY(&self->t, "firehose's idle timeout");
	ASSERT_EQ(0, fh_fhctl_ok("set idle-timeout 200ms"));
	timeouts = fh_stat("timeouts");
	c = kv_open(&self->t);
	if (c) {
		KV_EXPECT(c, "set idle_k 0 0 1\r\na\r\n", "STORED\r\n");
		usleep(1500 * 1000);
		KV_EXPECT(c, "get idle_k\r\n", "VALUE idle_k 0 1\r\na\r\nEND\r\n");
		kv_close(c);
	}
	EXPECT_EQ(0, fh_fhctl_ok("set idle-timeout 60s"));
	ASSERT_NE(NULL, c);
	EXPECT_EQ(timeouts, fh_stat("timeouts"));
}

TEST_F(kv, quit_is_counted_as_a_closed_connection)
{
	long long closed;
	struct kvc *c;

	FIREHOSE_ONLY(&self->t, "firehose's stats counters");
	closed = fh_stat("closed");
	KV_OPEN(c, &self->t);
	ASSERT_EQ(0, kv_send(c, "quit\r\n", 6));
	EXPECT_EQ(0, kv_read_to_close(c, 5000));
	EXPECT_TRUE(fh_wait_stat("closed", closed + 1, 10000));
	kv_close(c);
}

/* The value of "STAT name value" in a stats reply, -1 if absent. */
static long long kv_stat_of(const char *stats, const char *name)
{
	char pat[100];
	const char *p;

	snprintf(pat, sizeof(pat), "STAT %s ", name);
	p = strstr(stats, pat);
	return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

static bool kv_stats(struct kvc *c, char *out, size_t cap)
{
	if (kv_send(c, "stats\r\n", 7) || kv_read_until(c, out, cap, "END\r\n") < 0)
		return false;
	return !strncmp(out, "STAT ", 5);
}

TEST_F(kv, stats_has_curr_items_and_get_hits)
{
	static char a[16384], b[16384];
	long long d_items = 0, d_hits = 0, d_miss = 0;
	char req[300];
	struct kvc *c;
	int attempt;

	KV_OPEN(c, &self->t);
	/*
	 * memcached's LRU crawler may reap an earlier test's expired items
	 * meanwhile, which moves curr_items: measure up to three times.
	 */
	for (attempt = 0; attempt < 3; attempt++) {
		ASSERT_TRUE(kv_stats(c, a, sizeof(a)));
		EXPECT_LE(0, kv_stat_of(a, "curr_items"));
		EXPECT_LE(0, kv_stat_of(a, "get_hits"));
		EXPECT_LE(0, kv_stat_of(a, "get_misses"));
		snprintf(req, sizeof(req), "set st_%d_%d 0 0 1\r\nx\r\nget st_%d_%d\r\nget st_none\r\n",
			 getpid(), attempt, getpid(), attempt);
		ASSERT_EQ(0, kv_send(c, req, strlen(req)));
		ASSERT_LT(0, kv_read_until(c, b, sizeof(b), "END\r\nEND\r\n"));
		ASSERT_TRUE(kv_stats(c, b, sizeof(b)));
		d_items = kv_stat_of(b, "curr_items") - kv_stat_of(a, "curr_items");
		d_hits = kv_stat_of(b, "get_hits") - kv_stat_of(a, "get_hits");
		d_miss = kv_stat_of(b, "get_misses") - kv_stat_of(a, "get_misses");
		if (d_items == 1 && d_hits == 1 && d_miss == 1)
			break;
	}
	EXPECT_EQ(1, d_items);
	EXPECT_EQ(1, d_hits);
	EXPECT_EQ(1, d_miss);
	kv_close(c);
}

/*
 * An item freed on a worker (a SET replacing it) goes, after its grace
 * period, to that worker's lookaside list for its size, and the next SETs
 * there take it back without the slab.
 */
TEST_F(kv, items_freed_on_a_worker_are_reused_from_its_lookaside_lists)
{
	static char a[16384], b[16384];
	const char *v = "0123456789abcdef0123456789abcdef";
	long long d_hits, d_slab;
	char req[200];
	struct kvc *c;
	int i;

	FIREHOSE_ONLY(&self->t, "firehose's lookaside counters");
	KV_OPEN(c, &self->t);
	snprintf(req, sizeof(req), "set la_%d 0 0 32\r\n%s\r\n", getpid(), v);
	for (i = 0; i < 100; i++)
		KV_EXPECT(c, req, "STORED\r\n");
	/* The 99 replaced items' grace period ends while the worker idles. */
	usleep(1000 * 1000);
	ASSERT_TRUE(kv_stats(c, a, sizeof(a)));
	for (i = 0; i < 50; i++)
		KV_EXPECT(c, req, "STORED\r\n");
	ASSERT_TRUE(kv_stats(c, b, sizeof(b)));
	d_hits = kv_stat_of(b, "fh_item_lookaside_hits") -
		 kv_stat_of(a, "fh_item_lookaside_hits");
	d_slab = kv_stat_of(b, "fh_item_slab_allocs") -
		 kv_stat_of(a, "fh_item_slab_allocs");
	EXPECT_EQ(50, d_hits + d_slab);
	EXPECT_LE(45, d_hits) TH_LOG("hits %lld, slab %lld", d_hits, d_slab);
	kv_close(c);
}

/* ---- meta commands ---- */

TEST_F(kv, mn_is_MN)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "mn\r\n", "MN\r\n");
	kv_close(c);
}

TEST_F(kv, mg_with_v_f_t_c_k_flags)
{
	char line[200], want[200];
	struct kvc *c;
	uint64_t cas;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "set mgk 30 0 5\r\nhello\r\n", "STORED\r\n");
	cas = kv_cas_of(c, "mgk");
	ASSERT_NE(0u, cas);
	snprintf(want, sizeof(want), "VA 5 f30 t-1 c%" PRIu64 " kmgk\r\n", cas);
	ASSERT_EQ(0, kv_send(c, "mg mgk v f t c k\r\n", 18));
	ASSERT_LT(0, kv_read_line(c, line, sizeof(line)));
	EXPECT_STREQ(want, line);
	KV_EXPECT_READ(c, "hello\r\n");
	/* Flags answer in the order asked; no flags is HD; s is the size. */
	KV_EXPECT(c, "mg mgk k t f v\r\n", "VA 5 kmgk t-1 f30\r\nhello\r\n");
	KV_EXPECT(c, "mg mgk\r\n", "HD\r\n");
	KV_EXPECT(c, "mg mgk s v\r\n", "VA 5 s5\r\nhello\r\n");
	KV_EXPECT(c, "mg mgk s\r\n", "HD s5\r\n");
	kv_close(c);
}

TEST_F(kv, mg_miss_is_EN)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "mg mg_never v\r\n", "EN\r\n");
	KV_EXPECT(c, "mg mg_never\r\n", "EN\r\n");
	KV_EXPECT(c, "mg mg_never v f t c s\r\n", "EN\r\n");
	kv_close(c);
}

TEST_F(kv, mg_with_bad_flags_is_CLIENT_ERROR)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "ms mgbad 1\r\nx\r\n", "HD\r\n");
	KV_EXPECT(c, "mg mgbad zz\r\n", "CLIENT_ERROR invalid flag\r\n");
	KV_EXPECT(c, "mg mgbad v v\r\n", "CLIENT_ERROR duplicate flag\r\n");
	KV_EXPECT(c, "mg\r\n", "ERROR\r\n");
	kv_close(c);
}

TEST_F(kv, mg_q_miss_is_silent_and_mn_ends_pipeline)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "ms mgq 5\r\nhello\r\n", "HD\r\n");
	/* q hides EN only: a hit still answers. */
	KV_EXPECT(c, "mg mgq_never v q\r\nmg mgq v q\r\nmg mgq_never2 q k\r\nmg mgq q\r\nmn\r\n",
		  "VA 5\r\nhello\r\nHD\r\nMN\r\n");
	kv_close(c);
}

TEST_F(kv, mg_opaque_O_echoed)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "ms mgo 5\r\nhello\r\n", "HD\r\n");
	KV_EXPECT(c, "mg mgo O123456 v\r\n", "VA 5 O123456\r\nhello\r\n");
	KV_EXPECT(c, "mg mgo v Oabc k\r\n", "VA 5 Oabc kmgo\r\nhello\r\n");
	/* A miss echoes O and k too, unless q hides it. */
	KV_EXPECT(c, "mg mgo_never O99 q\r\nmg mgo_never O98\r\nmg mgo_never k O97\r\n"
		  "mg mgo_never v k s O5 q\r\nmn\r\n",
		  "EN O98\r\nEN kmgo_never O97\r\nMN\r\n");
	kv_close(c);
}

TEST_F(kv, mg_base64_key_b_flag)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	/* "Zm9vYmFy" is base64 for "foobar". */
	KV_EXPECT(c, "ms Zm9vYmFy 3 b\r\nbar\r\n", "HD\r\n");
	KV_EXPECT(c, "mg Zm9vYmFy b v k\r\n", "VA 3 kZm9vYmFy b\r\nbar\r\n");
	/* The item remembers its key came in base64: k answers so, b or not. */
	KV_EXPECT(c, "mg foobar v k\r\n", "VA 3 kZm9vYmFy b\r\nbar\r\n");
	KV_EXPECT(c, "mg foobar v\r\n", "VA 3\r\nbar\r\n");
	KV_EXPECT(c, "mg Zm9vYmFy v\r\n", "EN\r\n");
	KV_EXPECT(c, "mg !!!! b v\r\n", "CLIENT_ERROR error decoding key\r\n");
	KV_EXPECT(c, "md Zm9vYmFy b\r\nmg foobar\r\n", "HD\r\nEN\r\n");
	/* Stored under its plain name, k answers plain, even to a b request. */
	KV_EXPECT(c, "ms foobar 3\r\nbaz\r\nmg Zm9vYmFy b k v\r\n", "HD\r\nVA 3 kfoobar\r\nbaz\r\n");
	kv_close(c);
}

TEST_F(kv, mg_hit_h_and_last_access_l_flags)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	/* One write: the second mg comes within the same second. */
	KV_EXPECT(c, "ms mghl 1\r\nx\r\nmg mghl h l t\r\nmg mghl h l\r\nmg mghl h v\r\n",
		  "HD\r\nHD h0 l0 t-1\r\nHD h1 l0\r\nVA 1 h1\r\nx\r\n");
	kv_close(c);
}

TEST_F(kv, mg_T_touches_and_mg_t_shows_the_remaining_seconds)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT2(c, "ms mgT 1\r\nx\r\nmg mgT T100 t v\r\n",
		   "HD\r\nVA 1 t100\r\nx\r\n", "HD\r\nVA 1 t99\r\nx\r\n");
	KV_EXPECT2(c, "mg mgT t\r\n", "HD t100\r\n", "HD t99\r\n");
	kv_close(c);
}

TEST_F(kv, ms_stores_with_T_and_F)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT2(c, "ms mst 3 T100 F7\r\nabc\r\nmg mst v f t\r\n",
		   "HD\r\nVA 3 f7 t100\r\nabc\r\n", "HD\r\nVA 3 f7 t99\r\nabc\r\n");
	KV_EXPECT(c, "ms mst2 3\r\nxyz\r\nmg mst2 t f v\r\n", "HD\r\nVA 3 t-1 f0\r\nxyz\r\n");
	KV_EXPECT(c, "get mst\r\n", "VALUE mst 7 3\r\nabc\r\nEND\r\n");
	/* q hides HD. */
	KV_EXPECT(c, "ms mst3 1 q\r\nq\r\nmg mst3 v\r\n", "VA 1\r\nq\r\n");
	kv_close(c);
}

TEST_F(kv, ms_modes_E_A_P_R_S)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "ms mm1 1 ME\r\na\r\n", "HD\r\n");
	KV_EXPECT(c, "ms mm1 1 ME\r\nb\r\n", "NS\r\n");
	KV_EXPECT(c, "ms mm1 1 MA\r\nc\r\nmg mm1 v\r\n", "HD\r\nVA 2\r\nac\r\n");
	KV_EXPECT(c, "ms mm1 1 MP\r\nz\r\nmg mm1 v\r\n", "HD\r\nVA 3\r\nzac\r\n");
	KV_EXPECT(c, "ms mm_never 1 MR\r\nx\r\n", "NS\r\n");
	KV_EXPECT(c, "ms mm1 1 MR\r\ny\r\nmg mm1 v\r\n", "HD\r\nVA 1\r\ny\r\n");
	KV_EXPECT(c, "ms mm1 1 MS\r\nq\r\nmg mm1 v\r\n", "HD\r\nVA 1\r\nq\r\n");
	KV_EXPECT(c, "ms mm_never 1 MA\r\nx\r\nms mm_never 1 MP\r\nx\r\nmg mm_never\r\n",
		  "NS\r\nNS\r\nEN\r\n");
	/* Mode letters are upper case only (in 1.6.18). */
	KV_EXPECT(c, "ms mm1 1 Ma\r\nw\r\nmg mm1 v\r\n",
		  "CLIENT_ERROR invalid mode for ms M token\r\nVA 1\r\nq\r\n");
	kv_close(c);
}

TEST_F(kv, ms_with_invalid_flag_is_CLIENT_ERROR)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	/* The data block is read and dropped: no ERROR for it. */
	KV_EXPECT(c, "ms msbad 1 !\r\na\r\nmn\r\n", "CLIENT_ERROR invalid flag\r\nMN\r\n");
	KV_EXPECT(c, "ms msbad 1 MX\r\na\r\nmn\r\n",
		  "CLIENT_ERROR invalid mode for ms M token\r\nMN\r\n");
	KV_EXPECT(c, "mg msbad\r\n", "EN\r\n");
	/* A size that is no number: the line is refused, the data is a line. */
	KV_EXPECT(c, "ms msbad abc\r\nabc\r\n", "CLIENT_ERROR bad command line format\r\nERROR\r\n");
	kv_close(c);
}

TEST_F(kv, ms_with_C_compares_cas)
{
	char req[200];
	struct kvc *c;
	uint64_t cas;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "ms msc 1\r\na\r\n", "HD\r\n");
	cas = kv_cas_of(c, "msc");
	ASSERT_NE(0u, cas);
	snprintf(req, sizeof(req), "ms msc 1 C%" PRIu64 "\r\nb\r\n", cas + 1000);
	KV_EXPECT(c, req, "EX\r\n");
	snprintf(req, sizeof(req), "ms msc 1 C%" PRIu64 "\r\nc\r\nmg msc v\r\n", cas);
	KV_EXPECT(c, req, "HD\r\nVA 1\r\nc\r\n");
	KV_EXPECT(c, "ms msc_never 1 C1\r\nx\r\n", "NF\r\n");
	kv_close(c);
}

/*
 * ms I with C: a value computed from an older version (its cas below the
 * item's) is still stored, marked stale, keeping the item's expiry and
 * whether a recache was handed out; a cas above the item's is EX.
 */
TEST_F(kv, ms_I_with_an_older_cas_stores_the_value_stale)
{
	char req[200], want[200], line[200];
	uint64_t cas, new_cas;
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "ms msi 1\r\na\r\nms msi 1\r\nb\r\n", "HD\r\nHD\r\n");
	cas = kv_cas_of(c, "msi");
	ASSERT_LT(1u, cas);
	snprintf(req, sizeof(req), "ms msi 1 I C%" PRIu64 "\r\nx\r\n", cas + 1000);
	KV_EXPECT(c, req, "EX\r\n");
	/* The T is not taken: the item's expiry (none) stays. */
	snprintf(req, sizeof(req), "ms msi 1 I T100 c C%" PRIu64 "\r\nz\r\n", cas - 1);
	ASSERT_EQ(0, kv_send(c, req, strlen(req)));
	ASSERT_LT(0, kv_read_line(c, line, sizeof(line)));
	ASSERT_EQ(1, sscanf(line, "HD c%" SCNu64 "\r\n", &new_cas)) TH_LOG("%s", line);
	EXPECT_LT(cas, new_cas);
	snprintf(want, sizeof(want), "VA 1 c%" PRIu64 " t-1 X W\r\nz\r\n"
		 "VA 1 c%" PRIu64 " Z X\r\nz\r\n", new_cas, new_cas);
	KV_EXPECT(c, "mg msi v c t\r\nmg msi v c\r\n", want);
	/* Without C, I changes nothing: a plain set, fresh again. */
	KV_EXPECT(c, "ms msi 1 I\r\nq\r\nmg msi v\r\n", "HD\r\nVA 1\r\nq\r\n");
	kv_close(c);
}

TEST_F(kv, md_deletes_and_q_hides_HD)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "ms mdk 1\r\na\r\n", "HD\r\n");
	KV_EXPECT(c, "md mdk\r\n", "HD\r\n");
	KV_EXPECT(c, "md mdk\r\n", "NF\r\n");
	/* q hides HD, not NF. */
	KV_EXPECT(c, "ms mdk 1\r\na\r\nmd mdk q\r\nmd mdk q\r\nmg mdk\r\nmn\r\n",
		  "HD\r\nNF\r\nEN\r\nMN\r\n");
	kv_close(c);
}

TEST_F(kv, ma_increments_and_N_autovivifies)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "ma ma_never\r\n", "NF\r\n");
	/* N creates it with J (default 0) and does not add D to it. */
	KV_EXPECT(c, "ma mak N0 J10 v\r\n", "VA 2\r\n10\r\n");
	KV_EXPECT(c, "ma mak N0 J10 v\r\n", "VA 2\r\n11\r\n");
	KV_EXPECT(c, "ma mak D5 v\r\n", "VA 2\r\n16\r\n");
	KV_EXPECT(c, "ma mak\r\n", "HD\r\n");
	KV_EXPECT(c, "ma mak q\r\nmn\r\n", "MN\r\n");
	KV_EXPECT(c, "mg mak v\r\n", "VA 2\r\n18\r\n");
	KV_EXPECT(c, "ma mak2 N0\r\nmg mak2 v\r\n", "HD\r\nVA 1\r\n0\r\n");
	kv_close(c);
}

TEST_F(kv, ma_decrements_not_below_zero)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "ms mad 2\r\n10\r\n", "HD\r\n");
	KV_EXPECT(c, "ma mad MD D3 v\r\n", "VA 1\r\n7\r\n");
	KV_EXPECT(c, "ma mad MD D100 v\r\n", "VA 1\r\n0\r\n");
	KV_EXPECT(c, "ma mad MI D4 t v\r\n", "VA 1 t-1\r\n4\r\n");
	KV_EXPECT(c, "ma mad M- D1 v\r\n", "VA 1\r\n3\r\n");
	kv_close(c);
}

TEST_F(kv, ma_errors_are_CLIENT_ERROR)
{
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "ms maerr 1\r\nx\r\n", "HD\r\n");
	KV_EXPECT(c, "ma maerr\r\n",
		  "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
	KV_EXPECT(c, "ma maerr MX\r\n", "CLIENT_ERROR invalid mode for ma M token\r\n");
	KV_EXPECT(c, "ma maerr Dabc\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n");
	kv_close(c);
}

TEST_F(kv, me_shows_expiry_cas_and_fetch_and_misses_with_EN)
{
	char line[300], want[300];
	struct kvc *c;
	uint64_t cas;

	KV_OPEN(c, &self->t);
	/* ms's c returns the new cas; any mg hit (even without v) is a fetch. */
	ASSERT_EQ(0, kv_send(c, "ms mek 2 c\r\nhi\r\n", 16));
	ASSERT_LT(0, kv_read_line(c, line, sizeof(line)));
	ASSERT_EQ(1, sscanf(line, "HD c%" SCNu64 "\r\n", &cas)) TH_LOG("%s", line);
	/* cls= and size= are memcached's slab class and item size: not compared. */
	snprintf(want, sizeof(want), "ME mek exp=-1 la=0 cas=%" PRIu64 " fetch=no cls=", cas);
	ASSERT_EQ(0, kv_send(c, "me mek\r\n", 8));
	ASSERT_LT(0, kv_read_line(c, line, sizeof(line)));
	EXPECT_EQ(0, strncmp(want, line, strlen(want))) TH_LOG("want %s got %s", want, line);
	KV_EXPECT(c, "mg mek v\r\n", "VA 2\r\nhi\r\n");
	snprintf(want, sizeof(want), "ME mek exp=-1 la=0 cas=%" PRIu64 " fetch=yes cls=", cas);
	ASSERT_EQ(0, kv_send(c, "me mek\r\n", 8));
	ASSERT_LT(0, kv_read_line(c, line, sizeof(line)));
	EXPECT_EQ(0, strncmp(want, line, strlen(want))) TH_LOG("want %s got %s", want, line);
	KV_EXPECT(c, "me me_never\r\n", "EN\r\n");
	kv_close(c);
}

/* The cas token in an mg reply line ("... c123 ..."), 0 if none. */
static uint64_t kv_line_cas(const char *line)
{
	const char *p = strstr(line, " c");

	return p ? strtoull(p + 2, NULL, 10) : 0;
}

TEST_F(kv, md_I_marks_stale_first_mg_wins_with_W_then_Z)
{
	char line[200], want[200];
	uint64_t cas, stale_cas;
	struct kvc *c;

	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "ms mdi 3 T30\r\nold\r\n", "HD\r\n");
	cas = kv_cas_of(c, "mdi");
	ASSERT_NE(0u, cas);
	KV_EXPECT(c, "md mdi I T30\r\n", "HD\r\n");
	/* The first fetch of a stale item: X (stale) and W (you recache it). */
	ASSERT_EQ(0, kv_send(c, "mg mdi v c\r\n", 12));
	ASSERT_LT(0, kv_read_line(c, line, sizeof(line)));
	stale_cas = kv_line_cas(line);
	/* Invalidation gives the item a new cas. */
	EXPECT_NE(cas, stale_cas);
	snprintf(want, sizeof(want), "VA 3 c%" PRIu64 " X W\r\n", stale_cas);
	EXPECT_STREQ(want, line);
	KV_EXPECT_READ(c, "old\r\n");
	/* Later ones: Z (a win was already handed out) and X. */
	snprintf(want, sizeof(want), "VA 3 c%" PRIu64 " Z X\r\nold\r\nHD Z X\r\n", stale_cas);
	KV_EXPECT(c, "mg mdi v c\r\nmg mdi\r\n", want);
	/* A plain ms replaces the stale item: fresh again. */
	KV_EXPECT(c, "ms mdi 3\r\nnew\r\nmg mdi v\r\n", "HD\r\nVA 3\r\nnew\r\n");
	kv_close(c);
}

TEST_F(kv, mg_N_vivifies_a_miss_with_W_then_Z)
{
	char line[200], want[200];
	struct kvc *c;
	uint64_t cas;

	KV_OPEN(c, &self->t);
	ASSERT_EQ(0, kv_send(c, "mg mgn N30 v c\r\n", 16));
	ASSERT_LT(0, kv_read_line(c, line, sizeof(line)));
	cas = kv_line_cas(line);
	snprintf(want, sizeof(want), "VA 0 c%" PRIu64 " W\r\n", cas);
	EXPECT_STREQ(want, line);
	KV_EXPECT_READ(c, "\r\n");
	KV_EXPECT(c, "mg mgn N30 v\r\nmg mgn N30 s\r\n", "VA 0 Z\r\n\r\nHD s0 Z\r\n");
	KV_EXPECT(c, "ms mgn 3\r\nnew\r\nmg mgn v\r\n", "HD\r\nVA 3\r\nnew\r\n");
	kv_close(c);
}

/* ---- concurrency ---- */

#define CC_CONNS 100
#define CC_KEYS 8
#define CC_MS 3000		/* and on, up to CC_MAX_MS, until cc_enough() */
#define CC_MAX_MS 60000
#define CC_GETS 2000
#define CC_SETS 1000
#define CC_APPENDS 1000
#define CC_CAS_OK 20

/* All workers' counts so far, for a slow (emulated, debug) kernel to catch up. */
static long cc_total[4];	/* gets, sets, appends, cas stored */

static void cc_count(int i)
{
	__atomic_add_fetch(&cc_total[i], 1, __ATOMIC_RELAXED);
}

static bool cc_enough(void)
{
	return __atomic_load_n(&cc_total[0], __ATOMIC_RELAXED) >= CC_GETS &&
	       __atomic_load_n(&cc_total[1], __ATOMIC_RELAXED) >= CC_SETS &&
	       __atomic_load_n(&cc_total[2], __ATOMIC_RELAXED) >= CC_APPENDS &&
	       __atomic_load_n(&cc_total[3], __ATOMIC_RELAXED) >= CC_CAS_OK;
}

static uint32_t cc_fnv(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--) {
		h ^= (unsigned char)*p++;
		h *= 16777619u;
	}
	return h;
}

/*
 * A record: 4 hex digits of length, 8 of FNV-1a hash, then that many
 * payload bytes. A value is one or more whole records.
 */
static size_t cc_record(char *out, uint64_t *rnd)
{
	size_t len, i;
	char hdr[16];

	*rnd ^= *rnd << 13;
	*rnd ^= *rnd >> 7;
	*rnd ^= *rnd << 17;
	len = 1 + *rnd % 120;
	for (i = 0; i < len; i++)
		out[12 + i] = 'a' + (*rnd >> (i % 50)) % 26;
	snprintf(hdr, sizeof(hdr), "%04zx%08x", len, cc_fnv(out + 12, len));
	memcpy(out, hdr, 12);
	return 12 + len;
}

static bool cc_value_ok(const char *v, size_t n)
{
	unsigned int len, hash;
	char hdr[13];

	if (!n)
		return false;
	while (n) {
		if (n < 12)
			return false;
		memcpy(hdr, v, 12);
		hdr[12] = '\0';
		if (sscanf(hdr, "%4x%8x", &len, &hash) != 2 || len > n - 12 ||
		    cc_fnv(v + 12, len) != hash)
			return false;
		v += 12 + len;
		n -= 12 + len;
	}
	return true;
}

struct cc_worker {
	struct kv_target *t;
	long long end, hard_end;
	int id;
	long gets, sets, appends, cas_ok, cas_tries;
	char err[200];
};

/* GET or GETS one key: 1 on a hit with a good value, 0 on a miss, -1 on error. */
static int cc_get(struct kvc *c, struct cc_worker *w, const char *key, bool gets,
		  uint64_t *cas, size_t *vlen)
{
	char req[64], line[200], *val;
	unsigned int flags;
	size_t len;
	int n;

	snprintf(req, sizeof(req), "%s %s\r\n", gets ? "gets" : "get", key);
	if (kv_send(c, req, strlen(req)) || kv_read_line(c, line, sizeof(line)) < 0) {
		snprintf(w->err, sizeof(w->err), "%s: no reply", req);
		return -1;
	}
	if (!strcmp(line, "END\r\n"))
		return 0;
	n = gets ? sscanf(line, "VALUE %*s %u %zu %" SCNu64, &flags, &len, cas)
		 : sscanf(line, "VALUE %*s %u %zu", &flags, &len);
	if (n != (gets ? 3 : 2) || len > 60000) {
		snprintf(w->err, sizeof(w->err), "bad header: %.150s", line);
		return -1;
	}
	val = malloc(len + 7);
	if (!val)
		return -1;
	if (kv_read_n(c, val, len + 7) != len + 7 || memcmp(val + len, "\r\nEND\r\n", 7)) {
		snprintf(w->err, sizeof(w->err), "%s: value not framed", key);
		free(val);
		return -1;
	}
	if (!cc_value_ok(val, len)) {
		snprintf(w->err, sizeof(w->err), "%s: torn value of %zu bytes: %.100s",
			 key, len, val);
		free(val);
		return -1;
	}
	free(val);
	*vlen = len;
	return 1;
}

/* One storage command, its reply one of two accepted lines. */
static int cc_store(struct kvc *c, struct cc_worker *w, const char *hdr,
		    const char *data, size_t n, const char *ok1, const char *ok2)
{
	char line[100];

	if (kv_send(c, hdr, strlen(hdr)) || kv_send(c, data, n) || kv_send(c, "\r\n", 2) ||
	    kv_read_line(c, line, sizeof(line)) < 0) {
		snprintf(w->err, sizeof(w->err), "%.60s: no reply", hdr);
		return -1;
	}
	if (!strcmp(line, ok1))
		return 1;
	if (ok2 && !strcmp(line, ok2))
		return 0;
	snprintf(w->err, sizeof(w->err), "%.60s: answered %.60s", hdr, line);
	return -1;
}

static void *cc_run(void *arg)
{
	struct cc_worker *w = arg;
	uint64_t rnd = 0x9e3779b97f4a7c15ull * (w->id + 1), cas = 0;
	char key[32], hdr[128], data[1024];
	struct kvc *c = kv_open(w->t);
	size_t n, vlen = 0;
	int op, r;

	if (!c) {
		snprintf(w->err, sizeof(w->err), "connect failed");
		return NULL;
	}
	while (fh_now_ms() < w->end || (!cc_enough() && fh_now_ms() < w->hard_end)) {
		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		snprintf(key, sizeof(key), "cc_key_%d", (int)(rnd % CC_KEYS));
		op = (rnd >> 8) % 10;
		if (op < 4) {		/* get */
			r = cc_get(c, w, key, false, &cas, &vlen);
			w->gets++;
			cc_count(0);
			/* Long values are cut back to one record by a set. */
			if (r == 1 && vlen > 4000)
				op = 4;
		}
		if (op >= 4 && op < 6) {	/* set: one to three records */
			n = 0;
			for (r = (rnd >> 20) % 3; r >= 0; r--)
				n += cc_record(data + n, &rnd);
			snprintf(hdr, sizeof(hdr), "set %s %d 0 %zu\r\n", key, w->id, n);
			r = cc_store(c, w, hdr, data, n, "STORED\r\n", NULL);
			w->sets++;
			cc_count(1);
		} else if (op >= 6 && op < 8) {	/* append one record */
			n = cc_record(data, &rnd);
			snprintf(hdr, sizeof(hdr), "append %s 0 0 %zu\r\n", key, n);
			r = cc_store(c, w, hdr, data, n, "STORED\r\n", "NOT_STORED\r\n");
			w->appends++;
			cc_count(2);
		} else if (op >= 8) {		/* gets, then cas */
			r = cc_get(c, w, key, true, &cas, &vlen);
			if (r == 1) {
				n = cc_record(data, &rnd);
				snprintf(hdr, sizeof(hdr), "cas %s %d 0 %zu %" PRIu64 "\r\n",
					 key, w->id, n, cas);
				r = cc_store(c, w, hdr, data, n, "STORED\r\n", "EXISTS\r\n");
				w->cas_tries++;
				if (r == 1) {
					w->cas_ok++;
					cc_count(3);
				}
			}
		}
		if (r < 0)
			break;
	}
	kv_close(c);
	return NULL;
}

TEST_F_TIMEOUT(kv, hundred_connections_never_see_a_torn_value, 120)
{
	static struct cc_worker w[CC_CONNS];
	pthread_t th[CC_CONNS];
	long gets = 0, sets = 0, appends = 0, cas_ok = 0, cas_tries = 0;
	struct kvc *c;
	uint64_t cas;
	size_t vlen;
	char key[32], v[600];
	uint64_t rnd = 1;
	size_t n;
	int i;

	/* The checker itself: whole records pass, a cut or a changed byte does not. */
	n = cc_record(v, &rnd);
	n += cc_record(v + n, &rnd);
	ASSERT_TRUE(cc_value_ok(v, n));
	ASSERT_FALSE(cc_value_ok(v, n - 1));
	v[n - 1] ^= 1;
	ASSERT_FALSE(cc_value_ok(v, n));

	for (i = 0; i < CC_CONNS; i++) {
		w[i].t = &self->t;
		w[i].id = i;
		w[i].end = fh_now_ms() + CC_MS;
		w[i].hard_end = w[i].end - CC_MS + CC_MAX_MS;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, cc_run, &w[i]));
	}
	for (i = 0; i < CC_CONNS; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ('\0', w[i].err[0]) TH_LOG("connection %d: %s", i, w[i].err);
		gets += w[i].gets;
		sets += w[i].sets;
		appends += w[i].appends;
		cas_ok += w[i].cas_ok;
		cas_tries += w[i].cas_tries;
	}
	TH_LOG("%ld gets, %ld sets, %ld appends, %ld of %ld cas stored",
	       gets, sets, appends, cas_ok, cas_tries);
	EXPECT_LE(CC_GETS, gets);
	EXPECT_LE(CC_SETS, sets);
	EXPECT_LE(CC_APPENDS, appends);
	EXPECT_LE(CC_CAS_OK, cas_ok);
	/* And what is left is whole. */
	KV_OPEN(c, &self->t);
	for (i = 0; i < CC_KEYS; i++) {
		struct cc_worker check = { .id = -1 };

		snprintf(key, sizeof(key), "cc_key_%d", i);
		EXPECT_EQ(1, cc_get(c, &check, key, false, &cas, &vlen)) TH_LOG("%s", check.err);
	}
	kv_close(c);
}

/* ---- a memcached conformance client ---- */

TEST_F_TIMEOUT(kv, memccapable_ascii_passes, 120)
{
	static char out[65536];
	int st;

	if (fh_run(NULL, 0, "command -v memccapable >/dev/null"))
		SKIP(return, "memccapable (libmemcached-tools) not in PATH");
	st = fh_run(out, sizeof(out), "memccapable -a -t 10 -h %s -p %d", self->t.host,
		    self->t.port);
	fprintf(stderr, "%s", out);
	EXPECT_EQ(0, st);
	EXPECT_EQ(NULL, strstr(out, "[FAIL]"));
	EXPECT_NE(NULL, strstr(out, "All tests passed"));
}

/* ---- firehose's memory limit ---- */

/* Store 40 values of 100 KiB into a 2 MiB listener, touching mem_0 between. */
static void kv_fill_past_limit(struct __test_metadata *_metadata, struct kvc *c)
{
	static char req[102500];
	char line[100];
	int i, rl;

	for (i = 0; i < 40; i++) {
		rl = snprintf(req, 100, "set mem_%d 0 0 102400\r\n", i);
		memset(req + rl, 'a' + i % 26, 102400);
		memcpy(req + rl + 102400, "\r\n", 2);
		ASSERT_TRUE(kv_exchange(c, req, rl + 102402, "STORED\r\n", 8)) TH_LOG("mem_%d", i);
		if (i) {
			ASSERT_EQ(0, kv_send(c, "mg mem_0\r\n", 10));
			ASSERT_LT(0, kv_read_line(c, line, sizeof(line)));
			ASSERT_STREQ("HD\r\n", line);
		}
	}
}

TEST_F(kv_mem, memory_limit_evicts_the_least_recently_used)
{
	struct kvc *c;

	FIREHOSE_ONLY(&self->t, "the listener's --mem (memcached needs its own -m)");
	KV_OPEN(c, &self->t);
	kv_fill_past_limit(_metadata, c);
	KV_EXPECT(c, "mg mem_0 s\r\nmg mem_39 s\r\nmg mem_1 s\r\n",
		  "HD s102400\r\nHD s102400\r\nEN\r\n");
	kv_close(c);
}

TEST_F(kv_mem, memory_limit_holds_what_fits)
{
	char req[100], line[100];
	struct kvc *c;
	int i, present = 0;

	FIREHOSE_ONLY(&self->t, "the listener's --mem (memcached needs its own -m)");
	KV_OPEN(c, &self->t);
	kv_fill_past_limit(_metadata, c);
	for (i = 0; i < 40; i++) {
		snprintf(req, sizeof(req), "mg mem_%d\r\n", i);
		ASSERT_EQ(0, kv_send(c, req, strlen(req)));
		ASSERT_LT(0, kv_read_line(c, line, sizeof(line)));
		if (!strcmp(line, "HD\r\n"))
			present++;
		else
			ASSERT_STREQ("EN\r\n", line);
	}
	TH_LOG("%d of 40 values of 100 KiB kept in 2 MiB", present);
	EXPECT_LE(present, 20);
	EXPECT_LE(10, present);
	kv_close(c);
}

/* ---- lifetimes: busy kv connections while things go away ---- */

/*
 * LT_CONNS clients, each on its own connection, loop over set, append and
 * get of a 100-byte value and set and get of a 100 KiB one, checking every
 * reply, until the server closes the connection or they are told to stop.
 */
#define LT_CONNS 50
#define LT_SMALL 100
#define LT_BIG (100 * 1024)
/* A reply slower than this is a stall, not a close. */
#define LT_TIMEOUT_MS 30000

enum lt_end {
	LT_RUNNING,
	LT_CLOSED,	/* the server closed (EOF or reset) */
	LT_STOPPED,	/* told to stop, the connection still served */
	LT_STALLED,	/* no reply and no close */
	LT_BAD,		/* a reply that is not the one due */
};

struct lt_client {
	struct kv_target *t;
	int id;
	int *stop;
	long *ops;		/* all clients' cycles, shared */
	enum lt_end end;
	char err[200];
};

/* Why the last read or write fell short: a close, or a stall. */
static enum lt_end lt_short(struct lt_client *lc, const char *what)
{
	int e = errno;

	if (e == EAGAIN || e == EWOULDBLOCK) {
		snprintf(lc->err, sizeof(lc->err), "%s: no reply in %d ms", what,
			 LT_TIMEOUT_MS);
		return LT_STALLED;
	}
	return LT_CLOSED;
}

static enum lt_end lt_send(struct lt_client *lc, struct kvc *c, const char *hdr,
			   const char *data, size_t n)
{
	errno = 0;
	if (kv_send(c, hdr, strlen(hdr)) || (data && (kv_send(c, data, n) ||
						      kv_send(c, "\r\n", 2))))
		return lt_short(lc, hdr);
	return LT_RUNNING;
}

/* The next line is exactly @want. */
static enum lt_end lt_expect_line(struct lt_client *lc, struct kvc *c, const char *hdr,
				  const char *want)
{
	char line[200];

	errno = 0;
	if (kv_read_line(c, line, sizeof(line)) < 0)
		return lt_short(lc, hdr);
	if (strcmp(line, want)) {
		snprintf(lc->err, sizeof(lc->err), "%.40s: answered %.80s", hdr, line);
		return LT_BAD;
	}
	return LT_RUNNING;
}

/* get @key: one VALUE of @n bytes, each @ch, then END. */
static enum lt_end lt_get(struct lt_client *lc, struct kvc *c, const char *key,
			  char *buf, size_t n, char ch)
{
	char req[64], want[96];
	enum lt_end e;
	size_t i;

	snprintf(req, sizeof(req), "get %s\r\n", key);
	snprintf(want, sizeof(want), "VALUE %s %d %zu\r\n", key, lc->id, n);
	e = lt_send(lc, c, req, NULL, 0);
	if (e == LT_RUNNING)
		e = lt_expect_line(lc, c, req, want);
	if (e != LT_RUNNING)
		return e;
	errno = 0;
	if (kv_read_n(c, buf, n + 2) != n + 2)
		return lt_short(lc, req);
	for (i = 0; i < n && buf[i] == ch; i++)
		;
	if (i < n || memcmp(buf + n, "\r\n", 2)) {
		snprintf(lc->err, sizeof(lc->err), "%s: byte %zu of %zu is wrong", key, i, n);
		return LT_BAD;
	}
	return lt_expect_line(lc, c, req, "END\r\n");
}

static enum lt_end lt_cycle(struct lt_client *lc, struct kvc *c, char *buf)
{
	char ch = 'a' + lc->id % 26, hdr[96], skey[32], bkey[32];
	enum lt_end e;

	snprintf(skey, sizeof(skey), "lt_s_%d", lc->id);
	snprintf(bkey, sizeof(bkey), "lt_b_%d", lc->id);
	memset(buf, ch, LT_BIG);

	snprintf(hdr, sizeof(hdr), "set %s %d 0 %d\r\n", skey, lc->id, LT_SMALL);
	if ((e = lt_send(lc, c, hdr, buf, LT_SMALL)) ||
	    (e = lt_expect_line(lc, c, hdr, "STORED\r\n")))
		return e;
	snprintf(hdr, sizeof(hdr), "append %s 0 0 %d\r\n", skey, LT_SMALL);
	if ((e = lt_send(lc, c, hdr, buf, LT_SMALL)) ||
	    (e = lt_expect_line(lc, c, hdr, "STORED\r\n")) ||
	    (e = lt_get(lc, c, skey, buf, 2 * LT_SMALL, ch)))
		return e;
	memset(buf, ch, LT_BIG);
	snprintf(hdr, sizeof(hdr), "set %s %d 0 %d\r\n", bkey, lc->id, LT_BIG);
	if ((e = lt_send(lc, c, hdr, buf, LT_BIG)) ||
	    (e = lt_expect_line(lc, c, hdr, "STORED\r\n")))
		return e;
	return lt_get(lc, c, bkey, buf, LT_BIG, ch);
}

static void *lt_run(void *arg)
{
	struct lt_client *lc = arg;
	char *buf = malloc(LT_BIG + 2);
	struct kvc *c = kv_open(lc->t);

	if (!c || !buf || fh_set_timeout(c->fd, LT_TIMEOUT_MS)) {
		snprintf(lc->err, sizeof(lc->err), "cannot connect");
		lc->end = LT_BAD;
	}
	while (lc->end == LT_RUNNING) {
		if (__atomic_load_n(lc->stop, __ATOMIC_ACQUIRE)) {
			lc->end = LT_STOPPED;
			break;
		}
		lc->end = lt_cycle(lc, c, buf);
		__atomic_add_fetch(lc->ops, 1, __ATOMIC_RELAXED);
	}
	kv_close(c);
	free(buf);
	return NULL;
}

struct lt_load {
	struct lt_client lc[LT_CONNS];
	pthread_t th[LT_CONNS];
	int stop;
	long ops;
};

/* Starts the clients; true once every one of them has done a few cycles. */
static bool lt_start(struct lt_load *l, struct kv_target *t)
{
	long long end = fh_now_ms() + 120000;
	int i;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < LT_CONNS; i++) {
		l->lc[i].t = t;
		l->lc[i].id = i;
		l->lc[i].stop = &l->stop;
		l->lc[i].ops = &l->ops;
		if (pthread_create(&l->th[i], NULL, lt_run, &l->lc[i]))
			return false;
	}
	while (__atomic_load_n(&l->ops, __ATOMIC_RELAXED) < 3 * LT_CONNS &&
	       fh_now_ms() < end)
		usleep(20000);
	for (i = 0; i < LT_CONNS; i++)
		if (l->lc[i].end != LT_RUNNING)
			return false;
	return __atomic_load_n(&l->ops, __ATOMIC_RELAXED) >= 3 * LT_CONNS;
}

/* Stops (if @stop) and joins the clients: how many ended as @want says. */
static int lt_join(struct __test_metadata *_metadata, struct lt_load *l, bool stop,
		   bool may_stop)
{
	int i, good = 0;

	if (stop)
		__atomic_store_n(&l->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < LT_CONNS; i++) {
		struct lt_client *lc = &l->lc[i];

		pthread_join(l->th[i], NULL);
		if (lc->end == LT_CLOSED || (may_stop && lc->end == LT_STOPPED))
			good++;
		else
			TH_LOG("client %d: ended %d: %s", i, lc->end, lc->err);
	}
	return good;
}

/*
 * Sanitizers under emulation make the debug kernel some 50 times slower:
 * rmmod under the fifty clients' load took 1.5 s on stock-6.1 and 69 s on
 * debug-6.1 (the clients, busy until closed, share its two CPUs).
 */
static long long lt_limit_ms(long long stock_ms)
{
	return fh_debug_kernel() ? 30 * stock_ms : stock_ms;
}

/* No slab cache of ours was destroyed with objects in it (a store not freed). */
static void lt_expect_no_leftover_objects(struct __test_metadata *_metadata)
{
	char out[512];

	out[0] = '\0';
	fh_run(out, sizeof(out), "dmesg | grep 'fh_kv.*still has objects' || true");
	EXPECT_STREQ("", out);
}

TEST_F_TIMEOUT(kv, rmmod_under_load_of_fifty_clients_closes_every_connection, 600)
{
	static struct lt_load l;
	long long t;

	FIREHOSE_ONLY(&self->t, "unloads the module");
	ASSERT_TRUE(lt_start(&l, &self->t)) TH_LOG("%ld cycles", l.ops);
	t = fh_now_ms();
	ASSERT_EQ(0, fh_module_unload());
	t = fh_now_ms() - t;
	self->t.port = 0;	/* its listener went with the module */
	TH_LOG("rmmod with %d busy kv clients took %lld ms (%ld cycles)", LT_CONNS, t, l.ops);
	EXPECT_LT(t, lt_limit_ms(5000));
	EXPECT_FALSE(fh_module_loaded());
	/* Every client sees its connection closed, none a wrong reply. */
	EXPECT_EQ(LT_CONNS, lt_join(_metadata, &l, false, false));
	lt_expect_no_leftover_objects(_metadata);
	ASSERT_EQ(0, fh_module_load());
}

TEST_F_TIMEOUT(kv, listener_del_under_load_returns_at_once_and_lets_clients_finish, 600)
{
	static struct lt_load l;
	int port = self->t.port;
	long long t;
	long ops;

	FIREHOSE_ONLY(&self->t, "deletes a listener");
	ASSERT_TRUE(lt_start(&l, &self->t)) TH_LOG("%ld cycles", l.ops);
	t = fh_now_ms();
	ASSERT_EQ(0, fh_fhctl_ok("listener del %s", self->t.addr));
	t = fh_now_ms() - t;
	self->t.port = 0;
	TH_LOG("listener del with %d busy kv clients took %lld ms", LT_CONNS, t);
	/*
	 * It waits for no connection (they run on until told to stop), only
	 * for each worker to close its listening socket between batches; in
	 * an emulated guest whose two CPUs the clients keep busy, fhctl
	 * itself may take a second or two to run.
	 */
	EXPECT_LT(t, lt_limit_ms(5000));
	/* No new connection; those accepted are still served. */
	EXPECT_GT(0, fh_connect(ADDR, port));
	ops = __atomic_load_n(&l.ops, __ATOMIC_RELAXED);
	usleep(lt_limit_ms(500) * 1000);
	EXPECT_LT(ops, __atomic_load_n(&l.ops, __ATOMIC_RELAXED))
		TH_LOG("no client made progress after the listener went");
	EXPECT_EQ(LT_CONNS, lt_join(_metadata, &l, true, true));
	/* The store goes once its last connection has: the module unloads clean. */
	t = fh_now_ms() + 10000;
	while (fh_stat("active") != 0 && fh_now_ms() < t)
		usleep(50000);
	EXPECT_EQ(0, fh_stat("active"));
	ASSERT_EQ(0, fh_module_unload());
	lt_expect_no_leftover_objects(_metadata);
	ASSERT_EQ(0, fh_module_load());
}

TEST_F_TIMEOUT(kv, netns_exit_under_load_closes_every_connection, 600)
{
	int sync[2], status;
	pid_t child;
	char ch;

	FIREHOSE_ONLY(&self->t, "adds a listener in a namespace");
	fh_run(NULL, 0, IP " netns del " NETNS " 2>/dev/null");
	ASSERT_EQ(0, fh_run(NULL, 0, IP " netns add " NETNS " && " IP " -n " NETNS
			    " link set lo up"));
	ASSERT_EQ(0, fh_run(NULL, 0, IP " netns exec " NETNS " fhctl listener add kv %s",
			    self->t.addr));
	ASSERT_EQ(0, pipe(sync));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		/* the clients, in the namespace, busy until killed */
		static struct lt_load l;
		int ns = open("/run/netns/" NETNS, O_RDONLY);

		if (ns < 0)
			ns = open("/var/run/netns/" NETNS, O_RDONLY);
		if (ns < 0 || setns(ns, CLONE_NEWNET))
			_exit(1);
		if (!lt_start(&l, &self->t))
			_exit(2);
		if (write(sync[1], "x", 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	close(sync[1]);
	EXPECT_EQ(1, read(sync[0], &ch, 1)) TH_LOG("the clients did not get going");
	close(sync[0]);
	/* The clients go with their process (answers still queued), then the namespace. */
	kill(child, SIGKILL);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, fh_run(NULL, 0, IP " netns del " NETNS));
	/* Everything of the namespace is gone, or goes: the module unloads. */
	EXPECT_EQ(0, fh_module_unload());
	self->t.port = 0;
	lt_expect_no_leftover_objects(_metadata);
	ASSERT_EQ(0, fh_module_load());
}

/* Closes @fd with a reset rather than a FIN. */
static void lt_reset(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/*
 * A client that sends half a data block and resets: the item being filled
 * is dropped, the key is not stored, the server serves on, and both the
 * listener and the module go cleanly afterwards.
 */
TEST_F_TIMEOUT(kv, client_reset_mid_data_block_stores_nothing_and_leaks_nothing, 300)
{
	static const char *const heads[] = {
		"set lt_half_set 0 0 102400\r\n",
		"ms lt_half_ms 102400 T0 F5\r\n",
		"set lt_half_small 0 0 900\r\n",
		"ms lt_half_msmall 900\r\n",
	};
	static char half[LT_BIG / 2];
	long long active, end;
	struct kvc *c, *r;
	unsigned int i;

	FIREHOSE_ONLY(&self->t, "deletes the listener, unloads the module");
	memset(half, 'h', sizeof(half));
	KV_OPEN(c, &self->t);
	KV_EXPECT(c, "set lt_half_set 0 0 3\r\nold\r\n", "STORED\r\n");
	active = fh_stat("active");
	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		size_t n = strstr(heads[i], " 900") ? 450 : sizeof(half);

		KV_OPEN(r, &self->t);
		ASSERT_EQ(0, kv_send(r, heads[i], strlen(heads[i])));
		ASSERT_EQ(0, kv_send(r, half, n));
		/* The server has taken it in (a reply would be a bug). */
		usleep(lt_limit_ms(200) * 1000);
		lt_reset(r->fd);
		free(r);
	}
	end = fh_now_ms() + 10000;
	while (fh_stat("active") > active && fh_now_ms() < end)
		usleep(50000);
	EXPECT_EQ(active, fh_stat("active"));
	/* Nothing of the halves was stored; what was there still is. */
	KV_EXPECT(c, "get lt_half_set lt_half_ms lt_half_small lt_half_msmall\r\n",
		  "VALUE lt_half_set 0 3\r\nold\r\nEND\r\n");
	KV_EXPECT(c, "set lt_after 0 0 2\r\nok\r\nget lt_after\r\n",
		  "STORED\r\nVALUE lt_after 0 2\r\nok\r\nEND\r\n");
	kv_close(c);
	ASSERT_EQ(0, fh_fhctl_ok("listener del %s", self->t.addr));
	self->t.port = 0;
	ASSERT_EQ(0, fh_module_unload());
	lt_expect_no_leftover_objects(_metadata);
	ASSERT_EQ(0, fh_module_load());
}

/* A connection to @port whose receive buffer is a few KiB. */
static struct kvc *lt_open_small_rcvbuf(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct kvc *c = calloc(1, sizeof(*c));
	int rcvbuf = 4096;

	if (!c)
		return NULL;
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0 || setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) ||
	    inet_pton(AF_INET, ADDR, &sa.sin_addr) != 1 ||
	    connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    fh_set_timeout(c->fd, KV_TIMEOUT_MS)) {
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return NULL;
	}
	return c;
}

/*
 * A client that asks for a multiget of large values and stops reading:
 * the answers pile up (in the socket, and up to the window in the
 * connection). Deleting the listener leaves it be; removing the module
 * closes it at once, values still queued by reference in TCP.
 */
TEST_F_TIMEOUT(kv, client_not_reading_a_large_multiget_survives_listener_del_and_rmmod, 300)
{
	static char req[LT_BIG + 64];
	char get[1024];
	struct kvc *c;
	long long t;
	int i, n;

	FIREHOSE_ONLY(&self->t, "deletes the listener, unloads the module");
	KV_OPEN(c, &self->t);
	for (i = 0; i < 16; i++) {
		n = snprintf(req, 64, "set lt_big_%d 0 0 %d\r\n", i, LT_BIG);
		memset(req + n, 'A' + i, LT_BIG);
		memcpy(req + n + LT_BIG, "\r\n", 2);
		ASSERT_TRUE(kv_exchange(c, req, n + LT_BIG + 2, "STORED\r\n", 8));
	}
	kv_close(c);

	/* A small receive buffer, set before connecting, and no reads. */
	c = lt_open_small_rcvbuf(self->t.port);
	ASSERT_NE(NULL, c);
	n = snprintf(get, sizeof(get), "get");
	for (i = 0; i < 16; i++)
		n += snprintf(get + n, sizeof(get) - n, " lt_big_%d", i);
	n += snprintf(get + n, sizeof(get) - n, "\r\n");
	/* 1.6 MB of answers per line, four lines: far more than TCP and the window take. */
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, kv_send(c, get, n));
	usleep(lt_limit_ms(500) * 1000);

	t = fh_now_ms();
	ASSERT_EQ(0, fh_fhctl_ok("listener del %s", self->t.addr));
	EXPECT_LT(fh_now_ms() - t, lt_limit_ms(2000));
	self->t.port = 0;
	/* The connection waits for its reader, as it did before. */
	usleep(lt_limit_ms(200) * 1000);
	EXPECT_LE(1, fh_stat("active"));

	t = fh_now_ms();
	ASSERT_EQ(0, fh_module_unload());
	TH_LOG("rmmod with a stalled multiget took %lld ms", fh_now_ms() - t);
	EXPECT_LT(fh_now_ms() - t, lt_limit_ms(5000));
	/* The client reads what was queued, then the close. */
	EXPECT_LE(0, kv_read_to_close(c, lt_limit_ms(10000)));
	kv_close(c);
	lt_expect_no_leftover_objects(_metadata);
	ASSERT_EQ(0, fh_module_load());
}

TEST_HARNESS_MAIN
