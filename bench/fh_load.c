// SPDX-License-Identifier: GPL-2.0
/*
 * fh_load: echo load generator. N connections, each keeping DEPTH messages of
 * SIZE bytes in flight, for a bounded time; every byte that comes back is
 * checked against what was sent, and each message's round trip is timed.
 *
 *   fh_load -a ADDR -p PORT [-c CONNS] [-s SIZE] [-d DEPTH] [-t SECONDS]
 *           [-C CPULIST] [-T THREADS] [-b SOURCE_ADDRS]
 *
 * THREADS event loops (default: one per CPU of CPULIST, else one) share the
 * connections, each pinned to its own CPU of the list, so the client can be
 * given more CPUs than the server and not be the bottleneck.
 *
 * Prints one line of key=value pairs (msgs_per_s, p50_us, p99_us, ...).
 * Exit status: 0 on success, 1 on a verification error or failed connect.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fh_bench.h"

#define MAX_DEPTH	256

struct conn {
	int fd;
	uint64_t sent;		/* stream bytes sent */
	uint64_t recvd;		/* stream bytes received and verified */
	uint64_t queued;	/* stream bytes the generator owes (msgs * size) */
	uint64_t stamp[MAX_DEPTH];
	int want_out;
};

static struct {
	const char *addr;
	int port;
	int conns;
	size_t size;
	int depth;
	double seconds;
	const char *cpus;
	const char *sources;
	int threads;
} opt = { "127.0.0.1", 7777, 32, 64, 1, 5.0, NULL, NULL, 0 };

/* One event loop: its slice of the connections and its own histogram. */
struct loop {
	pthread_t tid;
	int cpu;		/* -1: not pinned */
	int first, n;		/* connections [first, first + n) */
	struct conn *conns;
	uint64_t start, end;
	uint64_t hist[HIST_BUCKETS];
	uint64_t msgs;
	int rc;
};

static uint64_t hist[HIST_BUCKETS];
static uint64_t nlat;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * The byte at stream offset o of connection i is pattern[(o + i * 7919) %
 * PATTERN_PERIOD]: pseudo-random, position-dependent, and a period that is no
 * power of two, so a chunk misplaced by 4 KiB or 64 KiB does not match. The
 * table is PATTERN_PERIOD + MAX_CHUNK long, so any chunk is one contiguous
 * slice: sending is send() straight from it and checking is one memcmp, and
 * the client spends its CPU on the network, not on bytes.
 */
#define PATTERN_PERIOD	65521	/* prime */
#define MAX_CHUNK	65536
static uint8_t pattern[PATTERN_PERIOD + MAX_CHUNK];

static void pattern_init(void)
{
	uint32_t x = 2463534242u;

	for (size_t k = 0; k < sizeof(pattern); k++) {
		if (k < PATTERN_PERIOD) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			pattern[k] = (uint8_t)(x >> 24);
		} else {
			pattern[k] = pattern[k - PATTERN_PERIOD];
		}
	}
}

static const uint8_t *pattern_at(int i, uint64_t o)
{
	return pattern + (o + (uint64_t)i * 7919) % PATTERN_PERIOD;
}

static double percentile(double p)
{
	return hist_percentile(hist, nlat, p);
}

static void die(const char *msg)
{
	fprintf(stderr, "fh_load: %s: %s\n", msg, strerror(errno));
	exit(1);
}

static int open_conn(int i)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(opt.port) };
	int fd, one = 1;

	if (inet_pton(AF_INET, opt.addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "fh_load: bad address %s\n", opt.addr);
		exit(2);
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (opt.sources) {
		/* Many source addresses: more than 64K client ports. */
		char buf[256], *tok, *save;
		int n = 0, pick;
		struct sockaddr_in src = { .sin_family = AF_INET };

		snprintf(buf, sizeof(buf), "%s", opt.sources);
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			n++;
		pick = i % n;
		snprintf(buf, sizeof(buf), "%s", opt.sources);
		tok = strtok_r(buf, ",", &save);
		while (pick--)
			tok = strtok_r(NULL, ",", &save);
		if (inet_pton(AF_INET, tok, &src.sin_addr) != 1) {
			fprintf(stderr, "fh_load: bad source %s\n", tok);
			exit(2);
		}
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)))
			die("bind source");
	}
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		die("connect");
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static int do_send(struct conn *c, int i)
{
	while (c->sent < c->queued) {
		size_t n = c->queued - c->sent;
		ssize_t w;

		if (n > MAX_CHUNK)
			n = MAX_CHUNK;
		w = send(c->fd, pattern_at(i, c->sent), n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN)
				return 1;
			return -1;
		}
		c->sent += w;
	}
	return 0;
}

/* Bytes of connection ci that came back: all must match what was sent. */
static int verify(int ci, const struct conn *c, const uint8_t *buf, ssize_t got)
{
	const uint8_t *want = pattern_at(ci, c->recvd);

	if (!memcmp(buf, want, got))
		return 0;
	for (ssize_t b = 0; b < got; b++) {
		if (buf[b] != want[b]) {
			fprintf(stderr, "fh_load: connection %d: wrong byte at offset %llu\n",
				ci, (unsigned long long)(c->recvd + b));
			break;
		}
	}
	return -1;
}

/*
 * End as a polite client: send nothing new, half-close, and read (and check)
 * what is still in flight until the server's EOF. Closing with unread
 * replies would reset every connection and count as errors on the server.
 */
static int wind_down(struct loop *l, int ep, struct epoll_event *evs,
		     uint8_t *buf, size_t cap)
{
	uint64_t deadline = now_ns() + 5000000000ULL;
	int i, open = l->n;

	for (i = l->first; i < l->first + l->n; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };

		l->conns[i].queued = l->conns[i].sent;
		epoll_ctl(ep, EPOLL_CTL_MOD, l->conns[i].fd, &ev);
		shutdown(l->conns[i].fd, SHUT_WR);
	}
	while (open > 0 && now_ns() < deadline) {
		int n = epoll_wait(ep, evs, l->n, 100);

		for (int k = 0; k < n; k++) {
			int ci = (int)evs[k].data.u32;
			struct conn *c = &l->conns[ci];
			ssize_t got = recv(c->fd, buf, cap, 0);

			if (got < 0 && errno == EAGAIN)
				continue;
			if (got > 0) {
				if (verify(ci, c, buf, got))
					return 1;
				c->recvd += got;
				continue;
			}
			/* EOF (or an error): this one is done. */
			epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
			close(c->fd);
			c->fd = -1;
			open--;
		}
	}
	for (i = l->first; i < l->first + l->n; i++)
		if (l->conns[i].fd >= 0)
			close(l->conns[i].fd);
	if (open)
		fprintf(stderr, "fh_load: %d connections not closed by the server after half-close\n", open);
	return open ? 1 : 0;
}

/* Account for got verified bytes on c: time and refill each whole message. */
static void complete(struct loop *l, struct conn *c, ssize_t got, uint64_t t)
{
	uint64_t before = c->recvd / opt.size;
	uint64_t after = (c->recvd + got) / opt.size;

	c->recvd += got;
	for (uint64_t m = before; m < after; m++) {
		l->hist[hist_index(t - c->stamp[m % opt.depth])]++;
		l->msgs++;
		/* Refill: this slot carries the next message. */
		c->stamp[m % opt.depth] = t;
		c->queued += opt.size;
	}
}

static int run_loop(struct loop *l)
{
	struct epoll_event ev, *evs;
	size_t cap = MAX_CHUNK;
	uint8_t *buf;
	uint64_t t;
	int ep, i;

	if (l->cpu >= 0) {
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(l->cpu, &one);
		if (pthread_setaffinity_np(pthread_self(), sizeof(one), &one)) {
			fprintf(stderr, "fh_load: cannot pin a thread to CPU %d\n", l->cpu);
			return 1;
		}
	}
	buf = malloc(cap);
	evs = calloc(l->n, sizeof(*evs));
	ep = epoll_create1(0);
	if (!buf || !evs || ep < 0) {
		fprintf(stderr, "fh_load: out of memory or epoll_create1 failed\n");
		return 1;
	}
	for (i = l->first; i < l->first + l->n; i++) {
		ev.events = EPOLLIN;
		ev.data.u32 = i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, l->conns[i].fd, &ev)) {
			fprintf(stderr, "fh_load: epoll_ctl: %s\n", strerror(errno));
			return 1;
		}
	}
	for (i = l->first; i < l->first + l->n; i++) {
		struct conn *c = &l->conns[i];

		for (int d = 0; d < opt.depth; d++)
			c->stamp[d] = l->start;
		c->queued = opt.size * opt.depth;
		if (do_send(c, i) == 1) {
			ev.events = EPOLLIN | EPOLLOUT;
			ev.data.u32 = i;
			epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			c->want_out = 1;
		}
	}

	while ((t = now_ns()) < l->end) {
		int n = epoll_wait(ep, evs, l->n, 100);

		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "fh_load: epoll_wait: %s\n", strerror(errno));
			return 1;
		}
		for (int k = 0; k < n; k++) {
			int ci = (int)evs[k].data.u32, r;
			struct conn *c = &l->conns[ci];

			if (evs[k].events & EPOLLIN) {
				ssize_t got = recv(c->fd, buf, cap, 0);

				if (got > 0) {
					if (verify(ci, c, buf, got))
						return 1;
					complete(l, c, got, now_ns());
				} else if (got == 0 || errno != EAGAIN) {
					fprintf(stderr, "fh_load: connection %d closed by server after %llu bytes\n",
						ci, (unsigned long long)c->recvd);
					return 1;
				}
			}
			r = do_send(c, ci);
			if (r < 0) {
				fprintf(stderr, "fh_load: send: %s\n", strerror(errno));
				return 1;
			}
			if ((r == 1) != c->want_out) {
				c->want_out = r == 1;
				ev.events = EPOLLIN | (c->want_out ? EPOLLOUT : 0);
				ev.data.u32 = ci;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			}
		}
	}
	return wind_down(l, ep, evs, buf, cap);
}

static void *loop_thread(void *arg)
{
	struct loop *l = arg;

	l->rc = run_loop(l);
	return NULL;
}

int main(int argc, char **argv)
{
	int cpu_list[CPU_SETSIZE], ncpus = 0, i, ch, rc = 0;
	struct loop *loops;
	struct conn *conns;
	uint64_t start, t, msgs = 0;
	cpu_set_t set;

	while ((ch = getopt(argc, argv, "a:p:c:s:d:t:C:T:b:")) != -1) {
		switch (ch) {
		case 'a': opt.addr = optarg; break;
		case 'p': opt.port = atoi(optarg); break;
		case 'c': opt.conns = atoi(optarg); break;
		case 's': opt.size = strtoul(optarg, NULL, 10); break;
		case 'd': opt.depth = atoi(optarg); break;
		case 't': opt.seconds = atof(optarg); break;
		case 'C': opt.cpus = optarg; break;
		case 'T': opt.threads = atoi(optarg); break;
		case 'b': opt.sources = optarg; break;
		default:
			fprintf(stderr, "usage: fh_load -a ADDR -p PORT [-c CONNS] [-s SIZE] [-d DEPTH] [-t SECONDS] [-C CPUS] [-T THREADS] [-b SRC,SRC]\n");
			return 2;
		}
	}
	if (opt.conns < 1 || opt.size < 1 || opt.depth < 1 || opt.depth > MAX_DEPTH ||
	    opt.seconds <= 0 || opt.seconds > 3600 || opt.port < 1 || opt.port > 65535 ||
	    opt.threads < 0 || opt.threads > opt.conns) {
		fprintf(stderr, "fh_load: bad arguments (conns>=1, size>=1, 1<=depth<=%d, 0<seconds<=3600, 0<=threads<=conns)\n",
			MAX_DEPTH);
		return 2;
	}
	if (opt.cpus) {
		if (parse_cpus(opt.cpus, &set)) {
			fprintf(stderr, "fh_load: bad cpu list %s\n", opt.cpus);
			return 2;
		}
		for (i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &set))
				cpu_list[ncpus++] = i;
		/* Connections are opened from the client's CPUs too. */
		if (sched_setaffinity(0, sizeof(set), &set))
			die("sched_setaffinity");
	}
	if (!opt.threads)
		opt.threads = ncpus ? ncpus : 1;
	if (opt.threads > opt.conns)
		opt.threads = opt.conns;
	{
		struct rlimit rl = { opt.conns + 64, opt.conns + 64 };

		setrlimit(RLIMIT_NOFILE, &rl);
	}

	pattern_init();
	conns = calloc(opt.conns, sizeof(*conns));
	loops = calloc(opt.threads, sizeof(*loops));
	if (!conns || !loops)
		die("setup");
	for (i = 0; i < opt.conns; i++)
		conns[i].fd = open_conn(i);

	start = now_ns();
	for (i = 0; i < opt.threads; i++) {
		struct loop *l = &loops[i];

		l->cpu = ncpus ? cpu_list[i % ncpus] : -1;
		l->first = (int)((long)opt.conns * i / opt.threads);
		l->n = (int)((long)opt.conns * (i + 1) / opt.threads) - l->first;
		l->conns = conns;
		l->start = start;
		l->end = start + (uint64_t)(opt.seconds * 1e9);
		if (pthread_create(&l->tid, NULL, loop_thread, l)) {
			fprintf(stderr, "fh_load: cannot start thread %d\n", i);
			return 1;
		}
	}
	/* The run ends at l->end in every loop; wind-down is not measured. */
	for (i = 0; i < opt.threads; i++)
		pthread_join(loops[i].tid, NULL);
	t = loops[0].end;
	for (i = 0; i < opt.threads; i++) {
		rc |= loops[i].rc;
		msgs += loops[i].msgs;
		for (int b = 0; b < HIST_BUCKETS; b++)
			hist[b] += loops[i].hist[b];
	}
	for (int b = 0; b < HIST_BUCKETS; b++)
		nlat += hist[b];
	{
		double secs = (t - start) / 1e9;

		printf("conns=%d size=%zu depth=%d threads=%d seconds=%.2f msgs=%llu msgs_per_s=%.0f "
		       "mbytes_per_s=%.2f p50_us=%.1f p99_us=%.1f verified=%s\n",
		       opt.conns, opt.size, opt.depth, opt.threads, secs, (unsigned long long)msgs,
		       msgs / secs, msgs * opt.size / secs / 1e6, percentile(0.50),
		       percentile(0.99), rc ? "no" : "yes");
	}
	return rc ? 1 : 0;
}
