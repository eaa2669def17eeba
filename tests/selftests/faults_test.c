// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures (failslab, debug kernel only): a connection that
 * cannot get memory is closed, nothing else breaks, nothing leaks (the
 * debug run's kmemleak scan and dmesg check judge the last two).
 */
#include <errno.h>
#include <fcntl.h>
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
 * fh_http_path on the debug kernel's command line); the rate decides
 * whether anything fails.
 */
static const char *const caches[] = { "fh_conn", "fh_seg", "skbuff_head_cache",
				      "fh_http_conn", "http_req", "fh_http_path",
				      "fh_proxy", "fh_upconn" };

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

TEST_HARNESS_MAIN
