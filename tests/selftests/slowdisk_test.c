// SPDX-License-Identifier: GPL-2.0
/*
 * The staged model on a slow disk: a worker never sleeps on a disk.
 *
 * The document root is an ext4 file system on a null_blk device that
 * completes every request DELAY_MS after it was issued (irqmode=2, a timer),
 * its files cold (written, synced, dropped from memory). A request for a
 * cold file is parked and its file opened and read by the loader while the
 * worker goes on; so a client asking for a cached file on the same worker
 * (one worker: --cpus 0) keeps its latency while cold files load. If the
 * worker slept on the disk, each of its cached responses would wait behind
 * a DELAY_MS read.
 *
 * Needs a block layer and the stock kernel's null_blk, ext4 and crc32c
 * modules, which tests/check.sh packs into /fh/mod/slowdisk (load order in
 * /fh/mod/slowdisk/order), and the host's mke2fs at /usr/sbin/mke2fs.
 * The debug kernels have no block layer (CONFIG_BLOCK off): every test
 * skips there, saying so.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "fh_http.h"
#include "fh_util.h"
#include "fh_harness.h"

#define ADDR		"127.0.0.1"
#define MODDIR		"/fh/mod/slowdisk"
#define MKE2FS		"/usr/sbin/mke2fs"
#define CONFIGFS	"/sys/kernel/config"
#define DEV_NAME	"fhslow"
#define NULLB		CONFIGFS "/nullb/" DEV_NAME
#define DEV		"/dev/" DEV_NAME
#define MNT		"/mnt/slow"

/*
 * Every request the device gets completes this long after it was issued.
 * Long, so that it stands far above the emulator's own noise: a cached
 * response takes some 100 us in the VM, but the host may deschedule a vCPU
 * thread for tens of milliseconds (p99 of 15-30 ms seen with the host busy).
 */
#define DELAY_MS	200
#define DEV_MIB		64
/*
 * A cached response waiting behind a disk read would take DELAY_MS or
 * more (with cold requests queued ahead of it, several times that); half
 * of it is the bound for the 99th percentile.
 */
#define P99_BOUND_US	(DELAY_MS * 1000 / 2)

/* Cached files go up to a quarter of the cache: 4 MiB. */
#define CACHE		"16M"
#define HOT_SIZE	512
#define COLD_FILES	32
#define COLD_SIZE	(64 * 1024)
#define COLD_CONNS	4
#define BIG_SIZE	(8 << 20)
#define BASELINE_N	1000

#define IO_MS		30000

/* ---- keep-alive GETs ---- */

/*
 * GET @path on @c and read the whole response within @timeout_ms. Returns
 * the status (-1: no whole response); the body goes to @body (malloc'd,
 * the caller frees it) when @body is not NULL.
 */
static int hc_get(struct hconn *c, const char *path, char **body, size_t *body_len,
		  int timeout_ms)
{
	char req[256];
	struct resp r;
	int status;

	if (body)
		*body = NULL;
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", path);
	if (hc_sends(c, req))
		return -1;
	status = hc_read(c, &r, false, timeout_ms) ? -1 : r.status;
	/* an HTTP/1.1 response that says its length, nothing less */
	if (strcmp(r.version, "HTTP/1.1") || !resp_field(&r, "Content-Length", NULL, 0))
		status = -1;
	if (status >= 0 && body) {
		*body = r.body;
		r.body = NULL;
	}
	if (status >= 0 && body_len)
		*body_len = r.body_len;
	resp_free(&r);
	return status;
}

/* GET @path and compare its body with @want (@len bytes): 0 when exact. */
static int hc_get_exact(struct hconn *c, const char *path, const void *want, size_t len,
			int timeout_ms)
{
	size_t got = 0;
	char *body;
	int st, bad;

	st = hc_get(c, path, &body, &got, timeout_ms);
	bad = st != 200 || got != len || memcmp(body, want, len);
	free(body);
	return bad ? -1 : 0;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* ---- latencies ---- */

struct lat {
	long long *us;
	int n, cap;
};

static int lat_add(struct lat *l, long long us)
{
	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 1024;
		long long *p = realloc(l->us, cap * sizeof(*p));

		if (!p)
			return -1;
		l->us = p;
		l->cap = cap;
	}
	l->us[l->n++] = us;
	return 0;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* The @pct percentile (nearest rank) in microseconds; sorts @l. */
static long long lat_pct(struct lat *l, int pct)
{
	int rank;

	if (!l->n)
		return -1;
	qsort(l->us, l->n, sizeof(*l->us), cmp_ll);
	rank = (l->n * pct + 99) / 100;
	return l->us[rank ? rank - 1 : 0];
}

/* "N requests: p50 .. p90 .. p99 .. max .. us, K over 5 ms" of @l (sorted). */
static const char *lat_desc(struct lat *l, char *buf, size_t len)
{
	int i, slow = 0;

	for (i = 0; i < l->n; i++)
		slow += l->us[i] > 5000;
	snprintf(buf, len, "%d requests: p50 %lld, p90 %lld, p99 %lld, max %lld us; %d over 5 ms",
		 l->n, lat_pct(l, 50), lat_pct(l, 90), lat_pct(l, 99),
		 l->n ? l->us[l->n - 1] : -1, slow);
	return buf;
}

/* One cached GET of the hot file on @c, timed into @l: 0, or -1 if it failed. */
static unsigned char hot_data[HOT_SIZE];

static int hot_get(struct hconn *c, struct lat *l)
{
	long long t0 = now_us();

	if (hc_get_exact(c, "/hot.bin", hot_data, sizeof(hot_data), IO_MS))
		return -1;
	return lat_add(l, now_us() - t0);
}

/*
 * Under emulation an idle vCPU halts, and waking it takes milliseconds:
 * a cached request that finds its worker's CPU asleep would measure that,
 * not the server. While latencies are measured, a SCHED_IDLE thread spins
 * on every CPU; it yields to any other task at once and keeps none waiting.
 */
struct awake {
	atomic_bool stop;
	int n;
	pthread_t th[64];
	pthread_t watch;
	bool watching;
	long long stall_us;	/* the longest a 1 ms sleep overslept */
};

/*
 * The VM's own stalls, for comparison: a thread that sleeps 1 ms at a
 * time and notes how late it wakes, which nothing of firehose's delays.
 */
static void *watch(void *arg)
{
	struct awake *a = arg;
	struct timespec ts = { .tv_nsec = 1000000 };
	long long t0, late;

	while (!atomic_load_explicit(&a->stop, memory_order_relaxed)) {
		t0 = now_us();
		nanosleep(&ts, NULL);
		late = now_us() - t0 - 1000;
		if (late > a->stall_us)
			a->stall_us = late;
	}
	return NULL;
}

static void *spin(void *arg)
{
	struct awake *a = arg;

	while (!atomic_load_explicit(&a->stop, memory_order_relaxed))
		;
	return NULL;
}

static void awake_start(struct awake *a)
{
	struct sched_param sp = { 0 };
	pthread_attr_t attr;
	cpu_set_t set;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int i;

	atomic_init(&a->stop, false);
	a->n = 0;
	a->stall_us = 0;
	a->watching = !pthread_create(&a->watch, NULL, watch, a);
	for (i = 0; i < cpus && i < 64; i++) {
		CPU_ZERO(&set);
		CPU_SET(i, &set);
		pthread_attr_init(&attr);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
		pthread_attr_setschedpolicy(&attr, SCHED_IDLE);
		pthread_attr_setschedparam(&attr, &sp);
		if (!pthread_create(&a->th[a->n], &attr, spin, a))
			a->n++;
		pthread_attr_destroy(&attr);
	}
}

static void awake_stop(struct awake *a)
{
	int i;

	atomic_store(&a->stop, true);
	for (i = 0; i < a->n; i++)
		pthread_join(a->th[i], NULL);
	a->n = 0;
	if (a->watching)
		pthread_join(a->watch, NULL);
	a->watching = false;
}

/* ---- the slow disk ---- */

static unsigned char *cold_data(int i)
{
	static unsigned char *data[COLD_FILES];

	if (!data[i]) {
		data[i] = malloc(COLD_SIZE);
		if (data[i])
			fh_fill_random(data[i], COLD_SIZE, 1000 + i);
	}
	return data[i];
}

static unsigned char *big_data;

static bool module_loaded(const char *name)
{
	char line[256];
	size_t n = strlen(name);
	bool found = false;
	FILE *f = fopen("/proc/modules", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, name, n) && line[n] == ' ';
	fclose(f);
	return found;
}

/* insmod the modules of MODDIR/order not loaded yet: 0, or -1 with @why. */
static int load_modules(char *why, size_t len)
{
	char order[1024], out[512], *name, *save;

	if (!fh_read_file(MODDIR "/order", order, sizeof(order))) {
		snprintf(why, len, "cannot read " MODDIR "/order");
		return -1;
	}
	for (name = strtok_r(order, "\n", &save); name; name = strtok_r(NULL, "\n", &save)) {
		if (module_loaded(name))
			continue;
		if (fh_run(out, sizeof(out), "insmod " MODDIR "/%s.ko", name)) {
			snprintf(why, len, "insmod %s: %s", name, out);
			return -1;
		}
	}
	return 0;
}

/* Everything the setup makes, undone; each step may find nothing to undo. */
static int slow_disk_down(void)
{
	long long end = fh_now_ms() + 10000;
	int bad = 0;

	if (!fh_run(NULL, 0, "grep -q ' " MNT " ' /proc/mounts")) {
		/* the last references to the root may go a moment after listener del */
		while (fh_run(NULL, 0, "umount " MNT) && fh_now_ms() < end)
			usleep(100000);
		if (!fh_run(NULL, 0, "grep -q ' " MNT " ' /proc/mounts")) {
			bad = -1;
			fh_run(NULL, 0, "umount -l " MNT);
		}
	}
	if (!access(NULLB, F_OK)) {
		fh_write_file(NULLB "/power", "0");
		if (rmdir(NULLB))
			bad = -1;
	}
	return bad;
}

/* The modules, unloaded in reverse order, best effort. */
static void unload_modules(void)
{
	fh_run(NULL, 0, "umount " CONFIGFS);
	fh_run(NULL, 0, "tac " MODDIR "/order | while read m; do rmmod $m; done");
}

static int put_attr(const char *name, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), NULLB "/%s", name);
	return fh_write_file(path, val);
}

/*
 * The device, its file system and its files, then everything dropped from
 * memory: 0, or -1 with @why.
 */
static int slow_disk_up(char *why, size_t len)
{
	char out[2048], path[128], val[32];
	long long end;
	int i;

	if (access(CONFIGFS "/nullb", F_OK) &&
	    fh_run(out, sizeof(out), "mount -t configfs configfs " CONFIGFS)) {
		snprintf(why, len, "mount configfs: %s", out);
		return -1;
	}
	slow_disk_down();
	if (mkdir(NULLB, 0755)) {
		snprintf(why, len, "mkdir " NULLB ": %s", strerror(errno));
		return -1;
	}
	snprintf(val, sizeof(val), "%d", DEV_MIB);
	if (put_attr("size", val) || put_attr("blocksize", "4096") ||
	    put_attr("memory_backed", "1") || put_attr("irqmode", "2")) {
		snprintf(why, len, "null_blk attributes refused");
		return -1;
	}
	snprintf(val, sizeof(val), "%d", DELAY_MS * 1000000);
	if (put_attr("completion_nsec", val) || put_attr("power", "1")) {
		snprintf(why, len, "null_blk: completion_nsec or power refused");
		return -1;
	}
	for (end = fh_now_ms() + 10000; access(DEV, F_OK); usleep(20000))
		if (fh_now_ms() > end) {
			snprintf(why, len, DEV " did not appear");
			return -1;
		}
	/* a small inode table, zeroed now: no lazy init writes during the tests */
	if (fh_run(out, sizeof(out), MKE2FS " -q -F -t ext4 -b 4096 -N 256 -m 0"
		   " -E nodiscard,lazy_itable_init=0,lazy_journal_init=0 " DEV)) {
		snprintf(why, len, "mke2fs: %s", out);
		return -1;
	}
	if (fh_run(out, sizeof(out), "mkdir -p " MNT " && mount -t ext4 " DEV " " MNT) ||
	    chmod(MNT, 0755) || mkdir(MNT "/cold", 0755)) {
		snprintf(why, len, "mount: %s", out);
		return -1;
	}
	fh_fill_random(hot_data, sizeof(hot_data), 7);
	if (fh_create_file(MNT "/hot.bin", hot_data, sizeof(hot_data), 0644))
		goto write_failed;
	for (i = 0; i < COLD_FILES; i++) {
		snprintf(path, sizeof(path), MNT "/cold/%d.bin", i);
		if (!cold_data(i) || fh_create_file(path, cold_data(i), COLD_SIZE, 0644))
			goto write_failed;
	}
	if (!big_data)
		big_data = malloc(BIG_SIZE);
	if (!big_data)
		goto write_failed;
	fh_fill_random(big_data, BIG_SIZE, 8);
	if (fh_create_file(MNT "/big.bin", big_data, BIG_SIZE, 0644))
		goto write_failed;
	/* cold: on the device only */
	sync();
	if (fh_write_file("/proc/sys/vm/drop_caches", "3")) {
		snprintf(why, len, "drop_caches refused");
		return -1;
	}
	return 0;
write_failed:
	snprintf(why, len, "writing the files on " MNT " failed: %s", strerror(errno));
	return -1;
}

/* ---- fixture ---- */

FIXTURE(slowdisk) {
	int port;
	char addr[64];
	char skip[256];		/* why the tests cannot run here */
	bool listener;
};

FIXTURE_SETUP(slowdisk)
{
	char why[2300];
	long long t0;
	bool ok;

	signal(SIGPIPE, SIG_IGN);
	self->port = fh_test_port(22000);
	snprintf(self->addr, sizeof(self->addr), ADDR ":%d", self->port);
	if (access("/sys/block", F_OK)) {
		snprintf(self->skip, sizeof(self->skip),
			 "this kernel has no block layer (CONFIG_BLOCK off, as in the debug kernels)");
		return;
	}
	if (access(MODDIR "/order", F_OK)) {
		snprintf(self->skip, sizeof(self->skip),
			 "no null_blk and ext4 modules packed for this kernel (" MODDIR ")");
		return;
	}
	ASSERT_EQ(0, fh_module_load());
	ASSERT_EQ(0, load_modules(why, sizeof(why))) TH_LOG("%s", why);
	t0 = fh_now_ms();
	/* a setup that fails gets no teardown: it undoes what it made itself */
	ok = !slow_disk_up(why, sizeof(why));
	if (!ok)
		slow_disk_down();
	ASSERT_TRUE(ok) TH_LOG("%s", why);
	TH_LOG("slow disk made, filled and dropped from memory in %lld ms", fh_now_ms() - t0);
	ok = !fh_fhctl_ok("listener add http %s --root " MNT " --cpus 0 --cache " CACHE,
			  self->addr);
	if (!ok)
		slow_disk_down();
	ASSERT_TRUE(ok) TH_LOG("listener add http on the slow disk failed");
	self->listener = true;
}

FIXTURE_TEARDOWN(slowdisk)
{
	if (self->skip[0])
		return;
	if (self->listener)
		fh_fhctl_ok("listener del %s", self->addr);
	EXPECT_EQ(0, slow_disk_down()) TH_LOG(MNT " still busy after listener del");
	unload_modules();
}

#define NEED_THE_SLOW_DISK() do {					\
	if (self->skip[0])						\
		SKIP(return, "%s", self->skip);				\
} while (0)

/* The hot file into the cache: its first request loads it, the next is a hit. */
static void warm_hot(struct __test_metadata *_metadata, struct hconn *c)
{
	long long hits;

	ASSERT_EQ(0, hc_get_exact(c, "/hot.bin", hot_data, sizeof(hot_data), IO_MS));
	hits = fh_stat("cache_hits");
	ASSERT_EQ(0, hc_get_exact(c, "/hot.bin", hot_data, sizeof(hot_data), IO_MS));
	ASSERT_TRUE(fh_wait_stat("cache_hits", hits + 1, 2000)) TH_LOG("the hot file is not cached");
}

/* ---- tests ---- */

TEST_F(slowdisk, cold_file_is_parked_and_arrives_byte_exact)
{
	long long parked, misses, t0, ms;
	struct hconn *c;

	NEED_THE_SLOW_DISK();
	parked = fh_stat("parked");
	misses = fh_stat("cache_misses");
	ASSERT_LE(0, parked) TH_LOG("no parked counter");
	c = hc_open(self->port, IO_MS);
	ASSERT_NE(NULL, c);
	t0 = fh_now_ms();
	EXPECT_EQ(0, hc_get_exact(c, "/cold/0.bin", cold_data(0), COLD_SIZE, IO_MS));
	ms = fh_now_ms() - t0;
	/* it came from the device: at least one read of DELAY_MS */
	EXPECT_LE(DELAY_MS, ms) TH_LOG("a cold file in %lld ms: not cold?", ms);
	EXPECT_LT(parked, fh_stat("parked"));
	EXPECT_LT(misses, fh_stat("cache_misses"));
	TH_LOG("cold 64 KiB file in %lld ms (device delay %d ms)", ms, DELAY_MS);
	hc_close(c);
}

struct cold_run {
	int port;
	int first, step, count;		/* files first, first + step, ... */
	int ok, bad;
	long long min_ms, max_ms;
	atomic_int *running;
};

/* One connection fetching its share of the cold files, one after another. */
static void *cold_fetcher(void *arg)
{
	struct cold_run *r = arg;
	struct hconn *c = hc_open(r->port, IO_MS);
	char path[64];
	long long t0, ms;
	int i, f;

	r->min_ms = -1;
	for (i = 0; c && i < r->count; i++) {
		f = r->first + i * r->step;
		snprintf(path, sizeof(path), "/cold/%d.bin", f);
		t0 = fh_now_ms();
		if (hc_get_exact(c, path, cold_data(f), COLD_SIZE, IO_MS)) {
			r->bad++;
			break;
		}
		ms = fh_now_ms() - t0;
		r->ok++;
		if (r->min_ms < 0 || ms < r->min_ms)
			r->min_ms = ms;
		if (ms > r->max_ms)
			r->max_ms = ms;
	}
	if (!c)
		r->bad++;
	hc_close(c);
	atomic_fetch_sub(r->running, 1);
	return NULL;
}

TEST_F_TIMEOUT(slowdisk, cached_requests_keep_their_p99_while_cold_files_load, 300)
{
	struct cold_run runs[COLD_CONNS];
	pthread_t th[COLD_CONNS];
	struct lat base = { 0 }, busy = { 0 };
	long long p99_base, p99_busy, parked, hits, min_cold = -1, base_stall;
	char d1[256], d2[256];
	atomic_int running = COLD_CONNS;
	struct awake awake;
	struct hconn *hot;
	int i, ok = 0, failed = 0;

	NEED_THE_SLOW_DISK();
	hot = hc_open(self->port, IO_MS);
	ASSERT_NE(NULL, hot);
	warm_hot(_metadata, hot);
	awake_start(&awake);
	/* the baseline: cached requests alone */
	for (i = 0; i < BASELINE_N; i++)
		if (hot_get(hot, &base)) {
			failed++;
			break;
		}
	awake_stop(&awake);
	base_stall = awake.stall_us;
	ASSERT_EQ(0, failed) TH_LOG("a cached request failed with nothing else going on");
	p99_base = lat_pct(&base, 99);

	/* the same, while COLD_CONNS connections fetch cold files on the same worker */
	parked = fh_stat("parked");
	hits = fh_stat("cache_hits");
	awake_start(&awake);
	for (i = 0; i < COLD_CONNS; i++) {
		runs[i] = (struct cold_run){ .port = self->port, .first = i, .step = COLD_CONNS,
					     .count = COLD_FILES / COLD_CONNS, .running = &running };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, cold_fetcher, &runs[i]));
	}
	while (atomic_load(&running) > 0)
		if (hot_get(hot, &busy)) {
			failed++;
			break;
		}
	awake_stop(&awake);
	for (i = 0; i < COLD_CONNS; i++) {
		pthread_join(th[i], NULL);
		ok += runs[i].ok;
		EXPECT_EQ(0, runs[i].bad) TH_LOG("cold connection %d: a file failed or differed", i);
		if (runs[i].min_ms >= 0 && (min_cold < 0 || runs[i].min_ms < min_cold))
			min_cold = runs[i].min_ms;
	}
	hc_close(hot);
	ASSERT_EQ(0, failed) TH_LOG("a cached request failed while cold files loaded");
	EXPECT_EQ(COLD_FILES, ok);
	/* every cold file came from the device, through the loader */
	EXPECT_LE(DELAY_MS, min_cold) TH_LOG("a cold file in %lld ms: not cold?", min_cold);
	EXPECT_LE(parked + COLD_FILES, fh_stat("parked"));
	EXPECT_LE(hits + busy.n, fh_stat("cache_hits")) TH_LOG("cached requests were not cache hits");
	p99_busy = lat_pct(&busy, 99);
	TH_LOG("cached requests alone: %s; the VM itself stalled up to %lld us",
	       lat_desc(&base, d1, sizeof(d1)), base_stall);
	TH_LOG("cached requests while %d cold files load on %d connections: %s",
	       COLD_FILES, COLD_CONNS, lat_desc(&busy, d2, sizeof(d2)));
	TH_LOG("cold files: fastest %lld ms (device delay %d ms); the VM itself stalled up to %lld us",
	       min_cold, DELAY_MS, awake.stall_us);
	/* enough samples for a 99th percentile to mean something */
	EXPECT_LE(100, busy.n);
	EXPECT_GT(P99_BOUND_US, p99_busy)
		TH_LOG("p99 %lld us with cold reads, %lld us without: the worker waited on the disk",
		       p99_busy, p99_base);
	free(base.us);
	free(busy.us);
}

struct big_run {
	int port;
	int status;
	size_t len;
	bool exact;
	long long ms;
	atomic_int *running;
};

static void *big_fetcher(void *arg)
{
	struct big_run *r = arg;
	struct hconn *c = hc_open(r->port, IO_MS);
	long long t0 = fh_now_ms();
	char *body = NULL;

	r->status = c ? hc_get(c, "/big.bin", &body, &r->len, 120000) : -1;
	r->ms = fh_now_ms() - t0;
	r->exact = r->status == 200 && r->len == BIG_SIZE && !memcmp(body, big_data, BIG_SIZE);
	free(body);
	hc_close(c);
	atomic_fetch_sub(r->running, 1);
	return NULL;
}

TEST_F_TIMEOUT(slowdisk, big_cold_file_streams_byte_exact_while_cached_requests_go_on, 300)
{
	atomic_int running = 1;
	struct big_run big = { .port = self->port, .running = &running };
	struct lat busy = { 0 };
	struct awake awake;
	long long streamed, parked, p99;
	char d[256];
	struct hconn *hot;
	pthread_t th;
	int failed = 0;

	NEED_THE_SLOW_DISK();
	hot = hc_open(self->port, IO_MS);
	ASSERT_NE(NULL, hot);
	warm_hot(_metadata, hot);
	streamed = fh_stat("streamed_bytes_out");
	parked = fh_stat("parked");
	awake_start(&awake);
	failed = pthread_create(&th, NULL, big_fetcher, &big);
	if (failed)
		awake_stop(&awake);
	ASSERT_EQ(0, failed);
	while (atomic_load(&running) > 0)
		if (hot_get(hot, &busy)) {
			failed++;
			break;
		}
	awake_stop(&awake);
	pthread_join(th, NULL);
	hc_close(hot);
	EXPECT_EQ(200, big.status);
	EXPECT_EQ((size_t)BIG_SIZE, big.len);
	EXPECT_TRUE(big.exact) TH_LOG("the 8 MiB file arrived with other bytes");
	EXPECT_EQ(0, failed) TH_LOG("a cached request failed while the big file streamed");
	/* larger than a cache entry may be: streamed, its cold pages brought in by the loader */
	EXPECT_LE(streamed + BIG_SIZE, fh_stat("streamed_bytes_out"));
	EXPECT_LT(parked + 1, fh_stat("parked"));
	p99 = lat_pct(&busy, 99);
	TH_LOG("8 MiB cold file streamed in %lld ms (%lld parks); cached requests meanwhile: %s;"
	       " the VM itself stalled up to %lld us",
	       big.ms, fh_stat("parked") - parked, lat_desc(&busy, d, sizeof(d)), awake.stall_us);
	EXPECT_LE(20, busy.n);
	EXPECT_GT(P99_BOUND_US, p99) TH_LOG("p99 %lld us while streaming a cold file", p99);
	free(busy.us);
}

TEST_HARNESS_MAIN
