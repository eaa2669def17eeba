// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures (failslab, debug kernel only): a connection that
 * cannot get memory is closed, nothing else breaks, nothing leaks (the
 * debug run's kmemleak scan and dmesg check judge the last two).
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fh_upstream.h"
#include "fh_util.h"
#include "fh_harness.h"

#define ADDR "127.0.0.1"
#define FAILSLAB "/sys/kernel/debug/failslab"

/*
 * The request path's caches carry the failslab flag from boot (run.sh puts
 * slub_debug=A,fh_conn,fh_seg,skbuff_head_cache,fh_http_conn,http_req,
 * fh_http_path,fh_proxy,fh_upconn,fh_kv_* on the debug kernel's command
 * line); the rate decides whether anything fails.
 */
static const char *const caches[] = { "fh_conn", "fh_seg", "skbuff_head_cache",
				      "fh_http_conn", "http_req", "fh_http_path",
				      "fh_proxy", "fh_upconn", "fh_kv_conn" };

static bool cache_flagged(const char *cache)
{
	char path[128], v = '0';
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/failslab", cache);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	if (read(fd, &v, 1) != 1)
		v = '0';
	close(fd);
	return v == '1';
}

static int failslab(bool on)
{
	return fh_write_file(FAILSLAB "/probability", on ? "20" : "0");
}

FIXTURE(faults) {
	int port;
	char addr[64];
	char haddr[64];
	char paddr[64];
	char kaddr[64];
	struct fh_upstream *up;
};

#define ROOT	"/tmp/faults-www"
#define NFILES	16

FIXTURE_SETUP(faults)
{
	/* The test itself reports the skip: setup cannot end a test here. */
	if (access(FAILSLAB, F_OK))
		return;
	ASSERT_EQ(0, fh_module_load());
	self->port = fh_test_port(13000);
	snprintf(self->addr, sizeof(self->addr), ADDR ":%d", self->port);
	ASSERT_EQ(0, fh_fhctl_ok("listener add echo %s", self->addr));
	snprintf(self->haddr, sizeof(self->haddr), ADDR ":%d", self->port + 1);
	ASSERT_EQ(0, fh_run(NULL, 0, "rm -rf " ROOT " && mkdir -p " ROOT));
	for (int i = 0; i < NFILES; i++) {
		char path[64], body[64];

		snprintf(path, sizeof(path), ROOT "/f%d.txt", i);
		snprintf(body, sizeof(body), "file %d\n", i);
		ASSERT_EQ(0, fh_create_file(path, body, strlen(body), 0644));
	}
	/* No cache: every request a miss, parked for the loader. */
	ASSERT_EQ(0, fh_fhctl_ok("listener add http %s --root " ROOT " --cache 0", self->haddr));
	/* A proxy in front of an upstream of the test's own. */
	self->up = fh_upstream_start(self->port + 2, FH_UP_SERVE, "f");
	ASSERT_NE(NULL, self->up);
	ASSERT_EQ(0, fh_fhctl_ok("upstream add fapp " ADDR ":%d", self->port + 2));
	snprintf(self->paddr, sizeof(self->paddr), ADDR ":%d", self->port + 3);
	ASSERT_EQ(0, fh_fhctl_ok("listener add http %s --route /api/=fapp", self->paddr));
	snprintf(self->kaddr, sizeof(self->kaddr), ADDR ":%d", self->port + 4);
	ASSERT_EQ(0, fh_fhctl_ok("listener add kv %s", self->kaddr));
	ASSERT_EQ(0, fh_write_file(FAILSLAB "/cache-filter", "Y"));
	ASSERT_EQ(0, fh_write_file(FAILSLAB "/interval", "1"));
	ASSERT_EQ(0, fh_write_file(FAILSLAB "/times", "-1"));
	ASSERT_EQ(0, fh_write_file(FAILSLAB "/verbose", "0"));
	ASSERT_EQ(0, fh_write_file(FAILSLAB "/ignore-gfp-wait", "N"));
}

FIXTURE_TEARDOWN(faults)
{
	if (access(FAILSLAB, F_OK))
		return;
	failslab(false);
	fh_fhctl_ok("listener del %s", self->addr);
	fh_fhctl_ok("listener del %s", self->haddr);
	fh_fhctl_ok("listener del %s", self->paddr);
	fh_fhctl_ok("listener del %s", self->kaddr);
	fh_fhctl_ok("upstream del fapp");
	if (self->up)
		fh_upstream_stop(self->up);
	fh_run(NULL, 0, "rm -rf " ROOT);
}

TEST_F_TIMEOUT(faults, allocation_failures_close_connections_and_nothing_else, 600)
{
	char in[8192], out[sizeof(in)];
	int i, fd, ok = 0, failed = 0, corrupt = 0;
	long long end;

	if (access(FAILSLAB, F_OK))
		SKIP(return, "this kernel has no failslab (the debug kernel has)");
	for (i = 0; i < (int)(sizeof(caches) / sizeof(caches[0])); i++) {
		ASSERT_TRUE(cache_flagged(caches[i])) TH_LOG("%s lacks the failslab flag", caches[i]);
	}
	fh_fill_random(in, sizeof(in), 13);
	ASSERT_EQ(0, failslab(true));
	for (i = 0; i < 100; i++) {
		fd = fh_connect(ADDR, self->port);
		if (fd < 0) {
			failed++;
			continue;
		}
		if (fh_echo_exchange(fd, in, sizeof(in), out, 5000))
			failed++;
		else if (memcmp(in, out, sizeof(in)))
			corrupt++;
		else
			ok++;
		close(fd);
	}
	ASSERT_EQ(0, failslab(false));
	TH_LOG("under failslab: %d exchanges whole, %d cut short", ok, failed);
	/* A connection either echoes exactly or is closed: never corrupted. */
	EXPECT_EQ(0, corrupt);

	/* With memory back, the server serves as before and holds nothing. */
	fd = fh_connect(ADDR, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fh_echo_exchange(fd, in, sizeof(in), out, 10000));
	EXPECT_EQ(0, memcmp(in, out, sizeof(in)));
	close(fd);
	end = fh_now_ms() + 10000;
	while (fh_stat("active") != 0 && fh_now_ms() < end)
		usleep(50000);
	EXPECT_EQ(0, fh_stat("active"));
}

/*
 * Pipelined GETs of files not cached yet: each one parked, its request
 * kept, its path given to the loader; any of those allocations may fail.
 */
TEST_F_TIMEOUT(faults, allocation_failures_during_pipelined_misses_close_connections_and_nothing_else,
	       600)
{
	char req[NFILES * 64], buf[65536];
	int i, j, fd, n = 0, whole = 0, cut = 0;
	long long end;
	long got;

	if (access(FAILSLAB, F_OK))
		SKIP(return, "this kernel has no failslab (the debug kernel has)");
	for (i = 0; i < NFILES; i++)
		n += sprintf(req + n, "GET /f%d.txt HTTP/1.1\r\nHost: a\r\n%s\r\n", i,
			     i == NFILES - 1 ? "Connection: close\r\n" : "");
	ASSERT_EQ(0, failslab(true));
	for (i = 0; i < 40; i++) {
		fd = fh_connect(ADDR, self->port + 1);
		if (fd < 0) {
			cut++;
			continue;
		}
		if (write(fd, req, n) != n) {
			cut++;
			close(fd);
			continue;
		}
		got = fh_read_to_eof(fd, buf, sizeof(buf) - 1, 20000);
		close(fd);
		if (got < 0) {
			cut++;
			continue;
		}
		buf[got] = '\0';
		/* Whatever came is answers in order, each to its own file. */
		{
			char *p = buf;
			int k = 0;

			for (j = 0; j < NFILES && (p = strstr(p, "\r\n\r\n")); j++) {
				char want[32];

				p += 4;
				if (strncmp(p, "file ", 5))
					break;
				snprintf(want, sizeof(want), "file %d\n", j);
				EXPECT_EQ(0, strncmp(p, want, strlen(want))) TH_LOG("answer %d", j);
				k++;
			}
			if (k == NFILES)
				whole++;
			else
				cut++;
		}
	}
	ASSERT_EQ(0, failslab(false));
	TH_LOG("under failslab: %d pipelines whole, %d cut short", whole, cut);

	/* With memory back, every file is served and nothing is held. */
	fd = fh_connect(ADDR, self->port + 1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(n, write(fd, req, n));
	got = fh_read_to_eof(fd, buf, sizeof(buf) - 1, 20000);
	close(fd);
	ASSERT_GT(got, 0);
	buf[got] = '\0';
	EXPECT_NE(NULL, strstr(buf, "file 15\n"));
	end = fh_now_ms() + 10000;
	while (fh_stat("active") != 0 && fh_now_ms() < end)
		usleep(50000);
	EXPECT_EQ(0, fh_stat("active"));
}

/* Whole 200s of @size bytes at the start of buf[0..len): how many. */
static int proxied_answers(const char *buf, long len, int size)
{
	const char *p = buf, *end = buf + len, *h;
	char want[48];
	int n = 0;

	snprintf(want, sizeof(want), "Content-Length: %d\r\n", size);
	while (p < end && !strncmp(p, "HTTP/1.1 200 ", 13)) {
		h = strstr(p, "\r\n\r\n");
		if (!h || !memmem(p, h - p, want, strlen(want)))
			break;
		h += 4;
		if (end - h < size)
			break;
		p = h + size;
		n++;
	}
	return n;
}

/*
 * Pipelined proxied requests: each a proxy object, an upstream connection
 * and its state, a re-framed head; any of those allocations may fail.
 */
TEST_F_TIMEOUT(faults, allocation_failures_during_proxied_requests_close_connections_and_nothing_else,
	       600)
{
	char req[8 * 96], buf[65536];
	int i, fd, n = 0, whole = 0, cut = 0, k;
	long long end;
	long got;

	if (access(FAILSLAB, F_OK))
		SKIP(return, "this kernel has no failslab (the debug kernel has)");
	for (i = 0; i < 8; i++)
		n += sprintf(req + n, "GET /api/size/1000 HTTP/1.1\r\nHost: a\r\n%s\r\n",
			     i == 7 ? "Connection: close\r\n" : "");
	ASSERT_EQ(0, failslab(true));
	for (i = 0; i < 40; i++) {
		fd = fh_connect(ADDR, self->port + 3);
		if (fd < 0) {
			cut++;
			continue;
		}
		got = write(fd, req, n) == n ? fh_read_to_eof(fd, buf, sizeof(buf), 20000) : -1;
		close(fd);
		k = got > 0 ? proxied_answers(buf, got, 1000) : 0;
		/* Whatever came is whole answers in order, then nothing. */
		if (k == 8)
			whole++;
		else
			cut++;
	}
	ASSERT_EQ(0, failslab(false));
	TH_LOG("under failslab: %d proxied pipelines whole, %d cut short", whole, cut);

	/* With memory back, every request is answered and nothing is held. */
	fd = fh_connect(ADDR, self->port + 3);
	ASSERT_LE(0, fd);
	ASSERT_EQ(n, write(fd, req, n));
	got = fh_read_to_eof(fd, buf, sizeof(buf), 20000);
	close(fd);
	EXPECT_EQ(8, got > 0 ? proxied_answers(buf, got, 1000) : 0);
	end = fh_now_ms() + 10000;
	while (fh_stat("active") != 0 && fh_now_ms() < end)
		usleep(50000);
	EXPECT_EQ(0, fh_stat("active"));
}

/* ---- kv: sets and gets while its caches fail ---- */

#define KV_KEYS 6
static const int kv_lens[] = { 10, 700, 1500, 20000 };

/* A buffered kv client connection. */
struct kvr {
	int fd;
	size_t off, have;
	char buf[32768];
};

/* More bytes into r->buf; 0 on EOF, <0 on error or timeout. */
static ssize_t kvr_fill(struct kvr *r)
{
	ssize_t n;

	if (r->off == r->have)
		r->off = r->have = 0;
	if (r->have == sizeof(r->buf)) {
		memmove(r->buf, r->buf + r->off, r->have - r->off);
		r->have -= r->off;
		r->off = 0;
	}
	if (r->have == sizeof(r->buf))
		return -1;
	n = recv(r->fd, r->buf + r->have, sizeof(r->buf) - r->have, 0);
	if (n > 0)
		r->have += n;
	return n;
}

/* A line with its "\r\n", NUL-terminated: its length, or -1. */
static long kvr_line(struct kvr *r, char *out, size_t cap)
{
	char *nl;
	size_t len;

	for (;;) {
		nl = memchr(r->buf + r->off, '\n', r->have - r->off);
		if (nl) {
			len = nl + 1 - (r->buf + r->off);
			if (len >= cap)
				return -1;
			memcpy(out, r->buf + r->off, len);
			out[len] = '\0';
			r->off += len;
			return len;
		}
		if (r->have - r->off >= cap || kvr_fill(r) <= 0)
			return -1;
	}
}

static bool kvr_n(struct kvr *r, char *out, size_t n)
{
	size_t got = 0, k;

	while (got < n) {
		if (r->off == r->have && kvr_fill(r) <= 0)
			return false;
		k = r->have - r->off < n - got ? r->have - r->off : n - got;
		memcpy(out + got, r->buf + r->off, k);
		r->off += k;
		got += k;
	}
	return true;
}

static bool kvr_send(struct kvr *r, const void *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = send(r->fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return false;
		p = (const char *)p + w;
		n -= w;
	}
	return true;
}

/* A value that names itself: 8 hex digits of seed, ':', then bytes of it. */
static void kv_value(char *v, int len, unsigned int seed)
{
	char hdr[10];
	int i;

	snprintf(hdr, sizeof(hdr), "%08x:", seed);
	memcpy(v, hdr, 9);
	for (i = 9; i < len; i++)
		v[i] = 'a' + (seed + (unsigned int)i * 7) % 26;
}

/* Whole: one of the lengths set, every byte as its seed says. */
static bool kv_value_ok(const char *v, int len)
{
	unsigned int seed, i, ok_len = 0;
	char hdr[9];

	for (i = 0; i < sizeof(kv_lens) / sizeof(kv_lens[0]); i++)
		ok_len |= kv_lens[i] == len;
	if (!ok_len || v[8] != ':')
		return false;
	memcpy(hdr, v, 8);
	hdr[8] = '\0';
	if (sscanf(hdr, "%8x", &seed) != 1)
		return false;
	for (i = 9; i < (unsigned int)len; i++)
		if (v[i] != (char)('a' + (seed + i * 7) % 26))
			return false;
	return true;
}

enum kv_op_res { KV_OP_OK, KV_OP_OOM, KV_OP_MISS, KV_OP_CUT, KV_OP_BAD };

static enum kv_op_res kv_set(struct kvr *r, int key, int len, unsigned int seed,
			     char *v)
{
	char hdr[64], line[128];

	kv_value(v, len, seed);
	memcpy(v + len, "\r\n", 2);
	snprintf(hdr, sizeof(hdr), "set fk%d 0 0 %d\r\n", key, len);
	if (!kvr_send(r, hdr, strlen(hdr)) || !kvr_send(r, v, len + 2) ||
	    kvr_line(r, line, sizeof(line)) < 0)
		return KV_OP_CUT;
	if (!strcmp(line, "STORED\r\n"))
		return KV_OP_OK;
	if (!strcmp(line, "SERVER_ERROR out of memory storing object\r\n"))
		return KV_OP_OOM;
	fprintf(stderr, "# set fk%d (%d bytes): answered %.100s", key, len, line);
	return KV_OP_BAD;
}

static enum kv_op_res kv_get(struct kvr *r, int key, char *v)
{
	char req[32], line[128], want[48];
	int len;

	snprintf(req, sizeof(req), "get fk%d\r\n", key);
	snprintf(want, sizeof(want), "VALUE fk%d 0 %%d\r\n%%n", key);
	if (!kvr_send(r, req, strlen(req)) || kvr_line(r, line, sizeof(line)) < 0)
		return KV_OP_CUT;
	if (!strcmp(line, "END\r\n"))
		return KV_OP_MISS;
	{
		int end = 0;

		if (sscanf(line, want, &len, &end) != 1 || !end || len < 0 || len > 20000) {
			fprintf(stderr, "# get fk%d: answered %.100s", key, line);
			return KV_OP_BAD;
		}
	}
	if (!kvr_n(r, v, len + 7))
		return KV_OP_CUT;
	if (memcmp(v + len, "\r\nEND\r\n", 7) || !kv_value_ok(v, len)) {
		fprintf(stderr, "# get fk%d: a value of %d bytes not whole\n", key, len);
		return KV_OP_BAD;
	}
	return KV_OP_OK;
}

static struct kvr *kvr_open(int port)
{
	struct kvr *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = fh_connect(ADDR, port);
	if (r->fd < 0 || fh_set_timeout(r->fd, 10000)) {
		if (r->fd >= 0)
			close(r->fd);
		free(r);
		return NULL;
	}
	return r;
}

static void kvr_close(struct kvr *r)
{
	if (r) {
		close(r->fd);
		free(r);
	}
}

/*
 * kv sets and gets (inline values, values in pages, a connection's state
 * made at its first set): an allocation that fails closes the connection
 * or answers "SERVER_ERROR out of memory storing object", and nothing else.
 */
TEST_F_TIMEOUT(faults, allocation_failures_during_kv_sets_and_gets_close_or_answer_out_of_memory,
	       600)
{
	static char v[20000 + 16];
	int i, j, n[KV_OP_BAD + 1] = { 0 }, cut_conns = 0, kport = self->port + 4;
	enum kv_op_res res;
	struct kvr *r;
	long long end;
	glob_t caches;

	if (access(FAILSLAB, F_OK))
		SKIP(return, "this kernel has no failslab (the debug kernel has)");
	/* kv's item caches, one per size class, each flagged by run.sh's glob. */
	ASSERT_EQ(0, glob("/sys/kernel/slab/fh_kv_[0-9]*", 0, NULL, &caches));
	EXPECT_LE(20, (int)caches.gl_pathc) TH_LOG("only %zu item caches", caches.gl_pathc);
	for (i = 0; i < (int)caches.gl_pathc; i++) {
		const char *name = strrchr(caches.gl_pathv[i], '/') + 1;

		EXPECT_TRUE(cache_flagged(name)) TH_LOG("%s lacks the failslab flag", name);
	}
	globfree(&caches);
	ASSERT_TRUE(cache_flagged("fh_kv_conn")) TH_LOG("fh_kv_conn lacks the failslab flag");
	ASSERT_EQ(0, failslab(true));
	for (i = 0; i < 30; i++) {
		r = kvr_open(kport);
		if (!r) {
			cut_conns++;
			continue;
		}
		for (j = 0, res = KV_OP_OK; j < 10 && res != KV_OP_CUT && res != KV_OP_BAD; j++) {
			int key = (i + j) % KV_KEYS, len = kv_lens[(i * 3 + j) % 4];

			res = j % 2 ? kv_get(r, key, v) :
				      kv_set(r, key, len, (unsigned int)(i * 100 + j), v);
			n[res]++;
		}
		if (res == KV_OP_CUT)
			cut_conns++;
		kvr_close(r);
	}
	ASSERT_EQ(0, failslab(false));
	TH_LOG("under failslab: %d whole, %d out of memory, %d misses, %d connections cut, %d wrong",
	       n[KV_OP_OK], n[KV_OP_OOM], n[KV_OP_MISS], cut_conns, n[KV_OP_BAD]);
	/* A connection answers exactly, says it is out of memory, or is closed. */
	EXPECT_EQ(0, n[KV_OP_BAD]);
	EXPECT_LT(0, n[KV_OP_OOM]) TH_LOG("no set was refused for memory: failslab missed kv");

	/* With memory back: only whole values, then every set and get as due. */
	r = kvr_open(kport);
	ASSERT_NE(NULL, r);
	for (i = 0; i < KV_KEYS; i++) {
		res = kv_get(r, i, v);
		EXPECT_TRUE(res == KV_OP_OK || res == KV_OP_MISS) TH_LOG("fk%d: %d", i, res);
	}
	for (i = 0; i < KV_KEYS; i++) {
		EXPECT_EQ(KV_OP_OK, (int)kv_set(r, i, kv_lens[i % 4], 7000 + i, v));
		EXPECT_EQ(KV_OP_OK, (int)kv_get(r, i, v));
	}
	kvr_close(r);
	end = fh_now_ms() + 10000;
	while (fh_stat("active") != 0 && fh_now_ms() < end)
		usleep(50000);
	EXPECT_EQ(0, fh_stat("active"));
}

TEST_HARNESS_MAIN
