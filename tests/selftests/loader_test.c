// SPDX-License-Identifier: GPL-2.0
/*
 * The http file path's lifetimes and memory (issue 17): document roots as
 * deployments have them (overlayfs, a file system mounted below the root),
 * clients that half-close, reset or never read, and every path that parks
 * a request for the loader while a client, an admin or a namespace goes
 * away. The module's test knob test_load_delay_ms holds each loader job
 * as a slow disk would, so these run on every kernel, the debug kernels
 * (KASAN, lockdep, kmemleak) included; the guest fails the program on any
 * kernel report it leaves in the log.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "fh_http.h"
#include "fh_util.h"
#include "fh_harness.h"

#define ADDR		"127.0.0.1"
#define BASE		"/tmp/ld"
#define ROOT		BASE "/www"
#define OVL		BASE "/ovl"
#define MERGED		OVL "/merged"
#define SUBMNT		ROOT "/sub"
#define DELAY_PARAM	"/sys/module/firehose/parameters/test_load_delay_ms"
#define OVERLAY_KO_DIR	"/fh/mod/overlay"
#define IO_MS		20000
/* iproute2, not busybox's ip (earlier in the guest's PATH): netns. */
#define IP		"/usr/bin/ip"

#define BIG		(3 << 20)	/* several 256 KiB windows */
#define PARKED_N	100

static unsigned char *big;

static int write_str(const char *path, const char *s)
{
	return fh_create_file(path, s, strlen(s), 0644);
}

/* overlayfs, from the guest's own module on a stock kernel. */
static int overlay_available(void)
{
	char buf[4096];

	if (fh_read_file("/proc/filesystems", buf, sizeof(buf)) && strstr(buf, "overlay"))
		return 1;
	fh_run(NULL, 0, "[ -f " OVERLAY_KO_DIR "/order ] && for m in $(cat "
	       OVERLAY_KO_DIR "/order); do insmod " OVERLAY_KO_DIR "/$m.ko; done");
	return fh_read_file("/proc/filesystems", buf, sizeof(buf)) && strstr(buf, "overlay");
}

static int set_delay(unsigned int ms)
{
	char v[32];

	snprintf(v, sizeof(v), "%u", ms);
	return fh_write_file(DELAY_PARAM, v);
}

FIXTURE(loader) {
	int port;
	char addr[64];
	bool listening;
};

FIXTURE_SETUP(loader)
{
	struct rlimit rl = { 8192, 8192 };

	setrlimit(RLIMIT_NOFILE, &rl);
	signal(SIGPIPE, SIG_IGN);
	if (!big) {
		big = malloc(BIG);
		ASSERT_NE(NULL, big);
		fh_fill_random(big, BIG, 17);
	}
	fh_run(NULL, 0, "umount -l " SUBMNT " " MERGED " 2>/dev/null; rm -rf " BASE);
	ASSERT_EQ(0, fh_run(NULL, 0, "mkdir -p " ROOT " " OVL "/lower " OVL "/upper "
			    OVL "/work " MERGED));
	ASSERT_EQ(0, fh_create_file(ROOT "/big.bin", big, BIG, 0644));
	ASSERT_EQ(0, write_str(ROOT "/small.txt", "small\n"));
	ASSERT_EQ(0, fh_module_load());
	ASSERT_EQ(0, set_delay(0));
	self->port = fh_test_port(24000);
	snprintf(self->addr, sizeof(self->addr), ADDR ":%d", self->port);
	/* Files younger than 50 ms are not cached (README). */
	usleep(100 * 1000);
}

FIXTURE_TEARDOWN(loader)
{
	if (fh_module_loaded()) {
		set_delay(0);
		if (self->listening)
			fh_run(NULL, 0, "fhctl listener del %s", self->addr);
		fh_run(NULL, 0, "fhctl set http-pin-limit 64M send-timeout 30s");
	}
	fh_run(NULL, 0, "umount -l " SUBMNT " " MERGED " 2>/dev/null; rm -rf " BASE);
}

static int listen_on(struct __test_metadata *_metadata, FIXTURE_DATA(loader) *self,
		     const char *root, const char *opts)
{
	int ret = fh_fhctl_ok("listener add http %s --root %s %s", self->addr, root, opts);

	self->listening = !ret;
	return ret;
}

/*
 * A read-only overlay of two layers, as a container image's: @file (NULL:
 * none) in the upper one of them. Any file made under OVL/lower before
 * is in it too.
 */
static int mount_overlay(const char *file, const void *data, size_t len)
{
	char path[256];

	if (file) {
		snprintf(path, sizeof(path), OVL "/lower/%s", file);
		if (fh_create_file(path, data, len, 0644))
			return -1;
	}
	return mount("overlay", MERGED, "overlay", MS_RDONLY,
		     "lowerdir=" OVL "/lower:" OVL "/upper");
}

/* GET @path on a fresh connection: the status, body in @r (caller frees). */
static int get(int port, const char *path, const char *extra, struct resp *r)
{
	struct hconn *c = hc_open(port, IO_MS);
	char req[512];
	int ret = -1;

	memset(r, 0, sizeof(*r));
	if (!c)
		return -1;
	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: a\r\n%s\r\n",
		 extra && !strncmp(extra, "HEAD", 4) ? "HEAD" : "GET", path,
		 extra && strncmp(extra, "HEAD", 4) ? extra : "");
	if (!hc_sends(c, req) &&
	    !hc_read(c, r, extra && !strncmp(extra, "HEAD", 4), IO_MS))
		ret = r->status;
	hc_close(c);
	return ret;
}

/*
 * Connect and send a GET of @path, without reading. @rcvbuf (0: the
 * default): a small receive buffer makes a client that does not read
 * stall its response at once.
 */
static int send_get_rcvbuf(int port, const char *path, int rcvbuf)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	char req[256];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	inet_pton(AF_INET, ADDR, &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", path);
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_get(int port, const char *path)
{
	return send_get_rcvbuf(port, path, 0);
}

static void reset_close(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}


static long long cache_stat(const char *key)
{
	char out[4096], *p;
	char k[64];

	if (fh_fhctl_out(out, sizeof(out), "cache stats -j"))
		return -1;
	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(out, k);
	return p ? atoll(p + strlen(k)) : -1;
}

/* ---- overlayfs: the file's pages are not in its own mapping ---- */

TEST_F(loader, overlayfs_root_streams_a_file_larger_than_the_cache_byte_exact)
{
	long long streamed = fh_stat("streamed_bytes_out");
	struct resp r;

	if (!overlay_available())
		SKIP(return, "no overlayfs in this kernel or guest");
	ASSERT_EQ(0, mount_overlay("big.bin", big, BIG)) TH_LOG("mount: %s", strerror(errno));
	/* A quarter of 1M is the largest cached file: this one streams. */
	ASSERT_EQ(0, listen_on(_metadata, self, MERGED, "--cache 1M"));
	ASSERT_EQ(200, get(self->port, "/big.bin", NULL, &r));
	ASSERT_EQ((size_t)BIG, r.body_len);
	EXPECT_EQ(0, memcmp(big, r.body, BIG));
	resp_free(&r);
	EXPECT_GE(fh_stat("streamed_bytes_out") - streamed, BIG);
}

TEST_F(loader, overlayfs_root_with_cache_0_serves_every_size_byte_exact)
{
	static const size_t sizes[] = { 1, 4095, 4097, 300000, BIG };
	char name[64];
	struct resp r;
	size_t i;

	if (!overlay_available())
		SKIP(return, "no overlayfs in this kernel or guest");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(name, sizeof(name), OVL "/lower/f%zu", sizes[i]);
		ASSERT_EQ(0, fh_create_file(name, big, sizes[i], 0644));
	}
	ASSERT_EQ(0, mount_overlay(NULL, NULL, 0));
	ASSERT_EQ(0, listen_on(_metadata, self, MERGED, "--cache 0"));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(name, sizeof(name), "/f%zu", sizes[i]);
		EXPECT_EQ(200, get(self->port, name, NULL, &r)) TH_LOG("%s", name);
		EXPECT_EQ(sizes[i], r.body_len) TH_LOG("%s", name);
		if (r.body_len == sizes[i])
			EXPECT_EQ(0, memcmp(big, r.body, sizes[i])) TH_LOG("%s", name);
		resp_free(&r);
	}
}

TEST_F(loader, streamed_range_starting_mid_page_is_206_with_those_bytes)
{
	struct resp r;

	if (!overlay_available())
		SKIP(return, "no overlayfs in this kernel or guest");
	ASSERT_EQ(0, mount_overlay("big.bin", big, BIG));
	ASSERT_EQ(0, listen_on(_metadata, self, MERGED, "--cache 0"));
	ASSERT_EQ(206, get(self->port, "/big.bin", "Range: bytes=5000-700000\r\n", &r));
	ASSERT_EQ((size_t)(700000 - 5000 + 1), r.body_len);
	EXPECT_EQ(0, memcmp(big + 5000, r.body, r.body_len));
	resp_free(&r);
}

TEST_F(loader, streamed_head_304_and_416_have_no_body_and_keep_their_status)
{
	char etag[64], hdr[128];
	struct resp r;

	if (!overlay_available())
		SKIP(return, "no overlayfs in this kernel or guest");
	ASSERT_EQ(0, mount_overlay("big.bin", big, BIG));
	ASSERT_EQ(0, listen_on(_metadata, self, MERGED, "--cache 0"));
	ASSERT_EQ(200, get(self->port, "/big.bin", "HEAD", &r));
	EXPECT_TRUE(resp_has(&r, "Content-Length", "3145728"));
	EXPECT_EQ(0u, r.body_len);
	ASSERT_EQ(1, resp_field(&r, "ETag", etag, sizeof(etag)));
	resp_free(&r);
	snprintf(hdr, sizeof(hdr), "If-None-Match: %s\r\n", etag);
	EXPECT_EQ(304, get(self->port, "/big.bin", hdr, &r));
	EXPECT_EQ(0u, r.body_len);
	resp_free(&r);
	EXPECT_EQ(416, get(self->port, "/big.bin", "Range: bytes=9999999-\r\n", &r));
	EXPECT_TRUE(resp_has(&r, "Content-Range", "bytes */3145728"));
	resp_free(&r);
}

TEST_F(loader, reset_in_the_middle_of_a_streamed_overlayfs_body_leaves_the_server_serving)
{
	char buf[65536];
	struct resp r;
	long n = 0;
	int fd, i;

	if (!overlay_available())
		SKIP(return, "no overlayfs in this kernel or guest");
	ASSERT_EQ(0, mount_overlay("big.bin", big, BIG));
	ASSERT_EQ(0, listen_on(_metadata, self, MERGED, "--cache 0"));
	ASSERT_EQ(0, set_delay(200));
	for (i = 0; i < 8; i++) {
		fd = send_get(self->port, "/big.bin");
		ASSERT_LE(0, fd);
		fh_set_timeout(fd, IO_MS);
		/* Into the body, with the next window parked or about to be. */
		for (n = 0; n < 300000;) {
			long got = read(fd, buf, sizeof(buf));

			if (got <= 0)
				break;
			n += got;
		}
		EXPECT_GE(n, 300000);
		reset_close(fd);
	}
	usleep(600 * 1000);
	ASSERT_EQ(0, set_delay(0));
	EXPECT_EQ(200, get(self->port, "/big.bin", NULL, &r));
	EXPECT_EQ((size_t)BIG, r.body_len);
	resp_free(&r);
}

/* ---- what a cache entry pins: an open file, so its mount ---- */

/* umount @path, tried again for up to @ms: 0, or -1 with errno. */
static int umount_within(const char *path, int ms)
{
	long long end = fh_now_ms() + ms;

	while (umount(path)) {
		if (errno != EBUSY || fh_now_ms() > end)
			return -1;
		usleep(100 * 1000);
	}
	return 0;
}

TEST_F(loader, cached_file_on_a_submount_keeps_umount_busy_until_a_flush)
{
	struct resp r;

	ASSERT_EQ(0, fh_run(NULL, 0, "mkdir -p " SUBMNT " && mount -t tmpfs sub " SUBMNT));
	ASSERT_EQ(0, write_str(SUBMNT "/f.txt", "on the submount\n"));
	usleep(100 * 1000);
	ASSERT_EQ(0, listen_on(_metadata, self, ROOT, ""));
	ASSERT_EQ(200, get(self->port, "/sub/f.txt", NULL, &r));
	resp_free(&r);
	ASSERT_EQ(200, get(self->port, "/sub/f.txt", NULL, &r));
	resp_free(&r);
	ASSERT_EQ(1, cache_stat("entries"));
	/* As with any open file on it. */
	EXPECT_EQ(-1, umount(SUBMNT));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, fh_fhctl_ok("cache flush"));
	/* The entry's file is let go after a grace period. */
	EXPECT_EQ(0, umount_within(SUBMNT, 5000)) TH_LOG("umount after the flush: %s",
							 strerror(errno));
}

TEST_F(loader, listener_delete_lets_a_submount_with_cached_files_go)
{
	struct resp r;

	ASSERT_EQ(0, fh_run(NULL, 0, "mkdir -p " SUBMNT " && mount -t tmpfs sub " SUBMNT));
	ASSERT_EQ(0, fh_create_file(SUBMNT "/f.bin", big, 100000, 0644));
	usleep(100 * 1000);
	ASSERT_EQ(0, listen_on(_metadata, self, ROOT, ""));
	ASSERT_EQ(200, get(self->port, "/sub/f.bin", NULL, &r));
	resp_free(&r);
	ASSERT_EQ(0, fh_fhctl_ok("listener del %s", self->addr));
	self->listening = false;
	EXPECT_EQ(0, umount_within(SUBMNT, 5000)) TH_LOG("umount after listener del: %s",
							 strerror(errno));
}

TEST_F(loader, lookups_cross_into_a_mount_below_the_root_by_default)
{
	struct resp r;

	ASSERT_EQ(0, fh_run(NULL, 0, "mkdir -p " SUBMNT " && mount -t tmpfs sub " SUBMNT));
	ASSERT_EQ(0, write_str(SUBMNT "/f.txt", "on the submount\n"));
	ASSERT_EQ(0, listen_on(_metadata, self, ROOT, "--cache 0"));
	EXPECT_EQ(200, get(self->port, "/sub/f.txt", NULL, &r));
	resp_free(&r);
}

TEST_F(loader, one_file_system_listener_answers_403_behind_a_mount_point)
{
	char out[1024];
	struct resp r;

	ASSERT_EQ(0, fh_run(NULL, 0, "mkdir -p " SUBMNT " && mount -t tmpfs sub " SUBMNT));
	ASSERT_EQ(0, write_str(SUBMNT "/f.txt", "on the submount\n"));
	ASSERT_EQ(0, listen_on(_metadata, self, ROOT, "--one-file-system"));
	EXPECT_EQ(403, get(self->port, "/sub/f.txt", NULL, &r));
	EXPECT_EQ(NULL, strstr(r.body ? r.body : "", "submount"));
	resp_free(&r);
	/* The root's own files are served as ever. */
	EXPECT_EQ(200, get(self->port, "/small.txt", NULL, &r));
	resp_free(&r);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "listener list -j"));
	EXPECT_NE(NULL, strstr(out, "\"one_file_system\":true")) TH_LOG("%s", out);
}

/* ---- clients ---- */

static void expect_whole_after_half_close(struct __test_metadata *_metadata, int port)
{
	static char buf[BIG + 4096];
	char *body;
	long n;
	int fd;

	fd = send_get(port, "/big.bin");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shutdown(fd, SHUT_WR));
	/* Well inside the 30 s send timeout a stalled window would wait for. */
	n = fh_read_to_eof(fd, buf, sizeof(buf), 10000);
	close(fd);
	ASSERT_GT(n, 0);
	buf[n < (long)sizeof(buf) ? n : (long)sizeof(buf) - 1] = '\0';
	body = strstr(buf, "\r\n\r\n");
	ASSERT_NE(NULL, body);
	body += 4;
	EXPECT_EQ((long)BIG, n - (body - buf));
	EXPECT_EQ(0, memcmp(big, body, BIG));
}

TEST_F(loader, half_closed_client_gets_the_whole_body_of_a_cached_file)
{
	ASSERT_EQ(0, listen_on(_metadata, self, ROOT, "--cache 64M"));
	expect_whole_after_half_close(_metadata, self->port);
	/* and again, from the cache */
	expect_whole_after_half_close(_metadata, self->port);
}

TEST_F(loader, half_closed_client_gets_the_whole_body_of_a_streamed_file)
{
	ASSERT_EQ(0, listen_on(_metadata, self, ROOT, "--cache 0"));
	expect_whole_after_half_close(_metadata, self->port);
}

TEST_F(loader, thirty_two_concurrent_gets_of_one_cold_file_make_one_load)
{
	static char buf[(1 << 20) + 4096];
	int fds[32], i;

	ASSERT_EQ(0, fh_create_file(ROOT "/cold.bin", big, 1 << 20, 0644));
	usleep(100 * 1000);
	ASSERT_EQ(0, listen_on(_metadata, self, ROOT, ""));
	/* Every miss parked before the first load ends. */
	ASSERT_EQ(0, set_delay(300));
	for (i = 0; i < 32; i++) {
		fds[i] = send_get(self->port, "/cold.bin");
		ASSERT_LE(0, fds[i]);
	}
	for (i = 0; i < 32; i++) {
		long n;

		ASSERT_EQ(0, shutdown(fds[i], SHUT_WR));
		n = fh_read_to_eof(fds[i], buf, sizeof(buf), IO_MS);
		close(fds[i]);
		EXPECT_GT(n, 1 << 20) TH_LOG("connection %d", i);
		if (n > 1 << 20)
			EXPECT_EQ(0, memcmp(big, buf + n - (1 << 20), 1 << 20));
	}
	EXPECT_EQ(1, cache_stat("loads"));
	EXPECT_EQ(1, cache_stat("entries"));
}

TEST_F(loader, clients_that_never_read_pin_no_more_than_the_pin_limit)
{
	enum { N = 24, SZ = 2 << 20 };
	static char buf[SZ + 4096];
	char name[64];
	int fds[N], i;
	long long pinned, bytes, avail0, used;

	/* Entries of up to 2 MiB (a quarter of 8M); 4M may be pinned. */
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), ROOT "/p%d.bin", i);
		ASSERT_EQ(0, fh_create_file(name, big + i * 4096, SZ, 0644));
	}
	usleep(100 * 1000);
	/* Read one by one below, the last ones wait long on a debug kernel. */
	ASSERT_EQ(0, fh_fhctl_ok("set http-pin-limit 4M send-timeout off"));
	ASSERT_EQ(0, listen_on(_metadata, self, ROOT, "--cache 8M"));
	avail0 = fh_mem_available();
	for (i = 0; i < N; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/p%d.bin", i);
		fds[i] = send_get_rcvbuf(self->port, path, 4096);
		ASSERT_LE(0, fds[i]);
		/* One at a time: each load evicts the entries before it. */
		usleep(300 * 1000);
	}
	pinned = cache_stat("pinned");
	bytes = cache_stat("bytes");
	used = avail0 - fh_mem_available();
	TH_LOG("pinned %lld, cached %lld, MemAvailable down by %lld KiB", pinned, bytes,
	       used >> 10);
	EXPECT_LE(0, pinned);
	EXPECT_LE(bytes, 8 << 20);
	/* The limit, overshot by at most the entries one load evicts. */
	EXPECT_LE(pinned, (4 << 20) + 2 * (SZ + 65536));
	/*
	 * The cache, the pinned bytes, and per connection a window queued
	 * and its socket's buffers; a private copy per client would be
	 * N * 2 MiB on top of the cache.
	 */
	EXPECT_LE(used, (8 << 20) + (6 << 20) + N * (768 << 10) + (8 << 20));
	for (i = 0; i < N; i++) {
		long n;

		shutdown(fds[i], SHUT_WR);
		n = fh_read_to_eof(fds[i], buf, sizeof(buf), IO_MS);
		close(fds[i]);
		EXPECT_GT(n, SZ) TH_LOG("connection %d", i);
		if (n > SZ)
			EXPECT_EQ(0, memcmp(big + i * 4096, buf + n - SZ, SZ)) TH_LOG("file %d", i);
	}
}

TEST_F(loader, tiny_packets_behind_a_stalled_response_wait_in_the_socket_uncopied)
{
	static char buf[BIG + 8192];
	long long compacted;
	char *pad;
	int fd, i, one = 1;
	long n;

	ASSERT_EQ(0, listen_on(_metadata, self, ROOT, "--cache 0"));
	fd = send_get_rcvbuf(self->port, "/big.bin", 4096);
	ASSERT_LE(0, fd);
	usleep(300 * 1000);	/* the response is stalled on the client */
	compacted = fh_stat("compacted_bytes");
	/* The next request's head: 16 KB at once, then byte by byte. */
	pad = malloc(16100);
	ASSERT_NE(NULL, pad);
	n = sprintf(pad, "GET /small.txt HTTP/1.1\r\nHost: a\r\nX-Pad: ");
	memset(pad + n, 'p', 16000);
	ASSERT_EQ(n + 16000, write(fd, pad, n + 16000));
	free(pad);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(1, write(fd, "p", 1));
		usleep(2000);
	}
	ASSERT_EQ(4, write(fd, "\r\n\r\n", 4));
	usleep(300 * 1000);
	/* Each packet used to cost a copy of all that was held. */
	EXPECT_LT(fh_stat("compacted_bytes") - compacted, 65536);
	/* Both responses arrive whole, in order. */
	shutdown(fd, SHUT_WR);
	n = fh_read_to_eof(fd, buf, sizeof(buf) - 1, 120000);
	close(fd);
	ASSERT_GT(n, BIG);
	buf[n] = '\0';
	EXPECT_EQ(0, memcmp(buf, "HTTP/1.1 200", 12));
	/* (the file's bytes may hold NULs: no strstr) */
	EXPECT_NE(NULL, memmem(buf + BIG, n - BIG, "\r\n\r\nsmall\n", 10));
}

TEST_F(loader, file_truncated_while_it_streams_gives_a_short_body_and_a_close)
{
	static char buf[BIG + 4096];
	long n;
	int fd;

	ASSERT_EQ(0, listen_on(_metadata, self, ROOT, "--cache 0"));
	fd = send_get_rcvbuf(self->port, "/big.bin", 4096);
	ASSERT_LE(0, fd);
	usleep(300 * 1000);	/* headers and a first window are out */
	ASSERT_EQ(0, truncate(ROOT "/big.bin", 0));
	/* The promised length cannot be kept: the connection ends, no hang. */
	n = fh_read_to_eof(fd, buf, sizeof(buf), IO_MS);
	close(fd);
	ASSERT_GT(n, 0) TH_LOG("no end within %d ms", IO_MS);
	EXPECT_LT(n, (long)BIG);
	EXPECT_EQ(0, memcmp(buf, "HTTP/1.1 200", 12));
}

/*
 * Send @req whole on a new connection and read until the server closes:
 * the bytes read (NUL-terminated in @buf), or -1.
 */
static long exchange(int port, const char *req, char *buf, size_t cap)
{
	long n;
	int fd;

	fd = fh_connect(ADDR, port);
	if (fd < 0)
		return -1;
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return -1;
	}
	n = fh_read_to_eof(fd, buf, cap - 1, IO_MS);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

TEST_F(loader, requests_pipelined_after_connection_close_are_not_answered)
{
	static const char req[] =
		"GET /small.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
		"GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n";
	char buf[8192];
	long n;

	ASSERT_EQ(0, listen_on(_metadata, self, ROOT, ""));
	n = exchange(self->port, req, buf, sizeof(buf));
	ASSERT_GT(n, 0);
	EXPECT_EQ(0, memcmp(buf, "HTTP/1.1 200", 12));
	/* One response, ending with the first file's body. */
	EXPECT_EQ(NULL, strstr(buf + 12, "HTTP/1.1"));
	EXPECT_EQ(0, strcmp(buf + n - 6, "small\n"));
}

TEST_F(loader, body_of_a_405_is_skipped_exactly_and_the_next_request_served)
{
	static const char req[] =
		"POST /small.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 21\r\n\r\n"
		"GET /big.bin HTTP/1.1"		/* the body: 21 bytes that look like a request */
		"GET /small.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	char buf[8192];
	long n;

	ASSERT_EQ(0, listen_on(_metadata, self, ROOT, ""));
	n = exchange(self->port, req, buf, sizeof(buf));
	ASSERT_GT(n, 0);
	EXPECT_EQ(0, memcmp(buf, "HTTP/1.1 405", 12)) TH_LOG("%s", buf);
	ASSERT_NE(NULL, strstr(buf + 12, "HTTP/1.1 200")) TH_LOG("%s", buf);
	EXPECT_EQ(0, strcmp(buf + n - 6, "small\n"));
	EXPECT_EQ(NULL, strstr(buf, "Content-Length: 3145728"));
}

TEST_F(loader, cache_over_1t_is_refused_and_nothing_is_added)
{
	char err[512], out[4096];

	EXPECT_EQ(2, fh_fhctl_err(err, sizeof(err), "listener add http %s --root " ROOT
				  " --cache 2048G", self->addr));
	EXPECT_NE(NULL, strstr(err, "--cache")) TH_LOG("%s", err);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "listener list -j"));
	EXPECT_EQ(NULL, strstr(out, self->addr)) TH_LOG("%s", out);
}

/* ---- parked requests while things go away ---- */

/* @n connections, each with a GET of a distinct cold file parked. */
static void park_gets(struct __test_metadata *_metadata, int port, int *fds, int n)
{
	long long parked = fh_stat("parked");
	char path[32];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/none%d", i);
		fds[i] = send_get(port, path);
		ASSERT_LE(0, fds[i]);
	}
	ASSERT_TRUE(fh_wait_stat("parked", parked + n, 10000));
}

TEST_F(loader, client_reset_while_parked_leaves_the_server_serving)
{
	int fds[PARKED_N], i;
	struct resp r;

	ASSERT_EQ(0, listen_on(_metadata, self, ROOT, ""));
	ASSERT_EQ(0, set_delay(1000));
	park_gets(_metadata, self->port, fds, PARKED_N);
	for (i = 0; i < PARKED_N; i++)
		reset_close(fds[i]);
	ASSERT_EQ(0, set_delay(0));
	/* The parked jobs come back to connections that are gone. */
	usleep(1500 * 1000);
	EXPECT_EQ(200, get(self->port, "/small.txt", NULL, &r));
	resp_free(&r);
}

TEST_F(loader, listener_delete_with_parked_requests_returns_at_once_and_they_finish)
{
	int fds[PARKED_N], i;
	long long t;
	char buf[4096];

	ASSERT_EQ(0, listen_on(_metadata, self, ROOT, ""));
	ASSERT_EQ(0, set_delay(3000));
	park_gets(_metadata, self->port, fds, PARKED_N);
	t = fh_now_ms();
	ASSERT_EQ(0, fh_fhctl_ok("listener del %s", self->addr));
	self->listening = false;
	EXPECT_LT(fh_now_ms() - t, 2000);
	/* Accepted connections finish normally: each gets its answer. */
	for (i = 0; i < PARKED_N; i++) {
		long n;

		shutdown(fds[i], SHUT_WR);
		n = fh_read_to_eof(fds[i], buf, sizeof(buf) - 1, 15000);
		EXPECT_GT(n, 12) TH_LOG("client %d", i);
		if (n > 12)
			EXPECT_EQ(0, memcmp(buf, "HTTP/1.1 404", 12)) TH_LOG("client %d", i);
		close(fds[i]);
	}
}

TEST_F(loader, rmmod_with_parked_requests_is_refused_at_once_then_succeeds)
{
	int fds[PARKED_N], i;
	long long t;
	char out[256];

	ASSERT_EQ(0, listen_on(_metadata, self, ROOT, ""));
	ASSERT_EQ(0, set_delay(4000));
	park_gets(_metadata, self->port, fds, PARKED_N);
	t = fh_now_ms();
	EXPECT_NE(0, fh_run(out, sizeof(out), "rmmod firehose"));
	EXPECT_LT(fh_now_ms() - t, 2000);
	EXPECT_TRUE(fh_module_loaded());
	/* Once the jobs are back, it goes, closing every connection. */
	ASSERT_EQ(0, fh_module_unload());
	for (i = 0; i < PARKED_N; i++)
		close(fds[i]);
	ASSERT_EQ(0, fh_module_load());
	self->listening = false;
}

TEST_F(loader, netns_exit_with_parked_requests_closes_them_all)
{
	long long parked = fh_stat("parked");
	int sync[2], i;
	pid_t child;
	char c;

	fh_run(NULL, 0, IP " netns del fhld 2>/dev/null");
	ASSERT_EQ(0, fh_run(NULL, 0, IP " netns add fhld && " IP " -n fhld link set lo up"));
	ASSERT_EQ(0, fh_run(NULL, 0, IP " netns exec fhld fhctl listener add http %s --root "
			    ROOT, self->addr));
	ASSERT_EQ(0, set_delay(3000));
	ASSERT_EQ(0, pipe(sync));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		int ns = open("/run/netns/fhld", O_RDONLY), fds[50];
		char path[32];

		if (ns < 0)
			ns = open("/var/run/netns/fhld", O_RDONLY);
		if (ns < 0 || setns(ns, CLONE_NEWNET))
			_exit(1);
		for (i = 0; i < 50; i++) {
			snprintf(path, sizeof(path), "/none%d", i);
			fds[i] = send_get(self->port, path);
			if (fds[i] < 0)
				_exit(2);
		}
		if (write(sync[1], "x", 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	close(sync[1]);
	ASSERT_EQ(1, read(sync[0], &c, 1)) TH_LOG("the client could not enter the namespace");
	ASSERT_TRUE(fh_wait_stat("parked", parked + 50, 10000));
	/* The clients go with their process, then the namespace. */
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	EXPECT_EQ(0, fh_run(NULL, 0, IP " netns del fhld"));
	ASSERT_EQ(0, set_delay(0));
	/* Every connection and the listener go once the jobs are back. */
	EXPECT_TRUE(fh_module_unload() == 0);
	ASSERT_EQ(0, fh_module_load());
	close(sync[0]);
}

/* ---- confinement past the normaliser: each with its exact status ---- */

TEST_F(loader, relative_symlink_that_climbs_out_is_403)
{
	struct resp r;

	ASSERT_EQ(0, write_str(BASE "/outside.txt", "OUTSIDE\n"));
	ASSERT_EQ(0, symlink("../outside.txt", ROOT "/up.txt"));
	ASSERT_EQ(0, listen_on(_metadata, self, ROOT, ""));
	EXPECT_EQ(403, get(self->port, "/up.txt", NULL, &r));
	EXPECT_EQ(NULL, strstr(r.body ? r.body : "", "OUTSIDE"));
	resp_free(&r);
}

TEST_F(loader, symlinked_directory_in_the_middle_of_a_path_that_climbs_out_is_403)
{
	struct resp r;

	ASSERT_EQ(0, fh_run(NULL, 0, "mkdir -p " BASE "/out/d"));
	ASSERT_EQ(0, write_str(BASE "/out/d/f.txt", "OUTSIDE\n"));
	ASSERT_EQ(0, symlink("../out", ROOT "/mid"));
	ASSERT_EQ(0, listen_on(_metadata, self, ROOT, ""));
	EXPECT_EQ(403, get(self->port, "/mid/d/f.txt", NULL, &r));
	EXPECT_EQ(NULL, strstr(r.body ? r.body : "", "OUTSIDE"));
	resp_free(&r);
}

TEST_F(loader, magic_link_under_a_proc_mounted_below_the_root_is_403)
{
	struct resp r;

	ASSERT_EQ(0, fh_run(NULL, 0, "mkdir -p " ROOT "/proc && mount -t proc proc " ROOT "/proc"));
	ASSERT_EQ(0, listen_on(_metadata, self, ROOT, ""));
	EXPECT_EQ(403, get(self->port, "/proc/self/root/etc/passwd", NULL, &r));
	EXPECT_EQ(NULL, strstr(r.body ? r.body : "", "root:x:0:0"));
	resp_free(&r);
	EXPECT_EQ(403, get(self->port, "/proc/1/cwd/etc/passwd", NULL, &r));
	resp_free(&r);
	fh_run(NULL, 0, "umount " ROOT "/proc");
}

enum { ST_200, ST_403, ST_404, ST_503, ST_OTHER, ST_N };

/*
 * @n keep-alive GETs of @path while another process races them; @counts
 * gets how many of each status came, and a body holding @never fails the
 * test. Returns how many were answered.
 */
static int race_gets(struct __test_metadata *_metadata, int port, const char *path, int n,
		     const char *never, int counts[ST_N])
{
	struct hconn *c = hc_open(port, IO_MS);
	char req[256];
	int i;

	memset(counts, 0, ST_N * sizeof(counts[0]));
	if (!c)
		return 0;
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", path);
	for (i = 0; i < n; i++) {
		struct resp r;

		if (hc_sends(c, req) || hc_read(c, &r, false, IO_MS)) {
			resp_free(&r);
			break;
		}
		counts[r.status == 200 ? ST_200 : r.status == 403 ? ST_403 :
		       r.status == 404 ? ST_404 : r.status == 503 ? ST_503 : ST_OTHER]++;
		EXPECT_EQ(NULL, strstr(r.body ? r.body : "", never)) TH_LOG("GET %d", i);
		resp_free(&r);
	}
	hc_close(c);
	return i;
}

TEST_F_TIMEOUT(loader, dot_dot_symlink_raced_by_renames_is_never_a_500, 600)
{
	int counts[ST_N], n;
	pid_t child;

	ASSERT_EQ(0, fh_run(NULL, 0, "mkdir -p " ROOT "/a " ROOT "/r"));
	ASSERT_EQ(0, write_str(ROOT "/inside.txt", "inside\n"));
	ASSERT_EQ(0, symlink("../inside.txt", ROOT "/a/up.txt"));
	/* No cache: every request walks "..", beneath the root. */
	ASSERT_EQ(0, listen_on(_metadata, self, ROOT, "--cache 0"));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		/* Any rename moves the seqcount LOOKUP_BENEATH's ".." checks. */
		for (;;) {
			rename(ROOT "/r", ROOT "/r2");
			rename(ROOT "/r2", ROOT "/r");
		}
	}
	n = race_gets(_metadata, self->port, "/a/up.txt", 3000, "OUTSIDE", counts);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	EXPECT_EQ(3000, n);
	/* A race is retried, then "come back" (503): never an error. */
	EXPECT_EQ(n, counts[ST_200] + counts[ST_503]);
	TH_LOG("%d served, %d told to come back", counts[ST_200], counts[ST_503]);
}

TEST_F_TIMEOUT(loader, symlink_flipped_during_10000_gets_never_serves_an_outside_byte, 600)
{
	int counts[ST_N], n, flips = 0;
	pid_t child;

	ASSERT_EQ(0, write_str(BASE "/outside.txt", "OUTSIDE\n"));
	ASSERT_EQ(0, write_str(ROOT "/inside.txt", "inside\n"));
	ASSERT_EQ(0, symlink("inside.txt", ROOT "/flip.txt"));
	ASSERT_EQ(0, listen_on(_metadata, self, ROOT, ""));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		for (;;) {
			unlink(ROOT "/flip.tmp");
			if (symlink(flips++ & 1 ? "inside.txt" : "../outside.txt", ROOT "/flip.tmp") ||
			    rename(ROOT "/flip.tmp", ROOT "/flip.txt"))
				_exit(1);
			usleep(1000);
		}
	}
	n = race_gets(_metadata, self->port, "/flip.txt", 10000, "OUTSIDE", counts);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	EXPECT_EQ(10000, n);
	EXPECT_EQ(0, counts[ST_OTHER] + counts[ST_503]);
	TH_LOG("%d served inside, %d refused", counts[ST_200], counts[ST_403]);
	EXPECT_GT(counts[ST_200], 0);
}

TEST_HARNESS_MAIN
