// SPDX-License-Identifier: GPL-2.0
/*
 * fh_kv_load: memcached load generator. N connections, each keeping DEPTH
 * requests in flight, over a key space of KEYS keys with values of VSIZE
 * bytes, for a bounded time. Before the timed run it stores every key of the
 * space (pipelined sets), so every get should hit.
 *
 *   fh_kv_load -a ADDR -p PORT [-m text|multi|meta] [-c CONNS] [-d DEPTH]
 *              [-k KEYS] [-v VSIZE] [-g GET_PCT] [-n KEYS_PER_REQ]
 *              [-t SECONDS] [-C CLIENT_CPUS] [-S SERVER_CPUS] [-T THREADS]
 *   fh_kv_load -a ADDR -p PORT -q 'stats slabs'   (print a reply up to END or OK)
 *
 * modes: text: "get KEY" or "set KEY 0 0 VSIZE" (GET_PCT of them gets);
 * multi: "get K1 .. KN" (N = KEYS_PER_REQ), a request of N gets; meta:
 * "mg KEY v q" x N then "mn", N gets, the hits answered "VA VSIZE", the
 * pipeline ended by "MN". -t 0: only store the key space (and report it).
 *
 * Every reply is checked: a value of the wrong length or with other bytes
 * than were stored, a key out of order, a missing END or MN, or anything
 * else unexpected is an error, counted and reported; the connection is then
 * dropped and the run fails (exit 1). A get that finds nothing is a miss,
 * counted, not an error. Values are deterministic per key (a slice of a
 * fixed pseudo-random pattern), so a check is one memcmp.
 *
 * THREADS event loops (default one per CPU of CLIENT_CPUS) share the
 * connections, each pinned to its CPU. With -S the timed window's busy and
 * total jiffies of the SERVER_CPUS and CLIENT_CPUS are read from /proc/stat
 * (the setup, preload and wind-down fall outside it). Nothing is allocated
 * per request: each connection's buffers and request ring are made once.
 *
 * Prints one line of key=value pairs (ops_per_s, p50_us, p99_us, errors, ...).
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
#define MAX_NKEYS	100
#define PRELOAD_DEPTH	32
#define PATTERN_PERIOD	65521
#define MAX_VSIZE	65536
#define KEY_MAX		32

enum { M_TEXT, M_MULTI, M_META };
enum { R_GET, R_SET, R_MULTI, R_META };

struct req {
	uint64_t stamp;
	uint8_t type;
};

struct conn {
	int fd, dead, want_out;
	char *wbuf, *rbuf;
	size_t wlen, woff, rlen, roff;
	struct req *ring;	/* ring of rsize requests */
	uint32_t *keys;		/* their keys, nkeys per slot */
	int head, out;		/* oldest outstanding, how many */
	int got;		/* head request: keys answered or skipped */
	int rmiss;		/* head request: of those, skipped (misses) */
};

static struct {
	const char *addr, *cpus, *scpus, *query;
	int port, conns, depth, get_pct, nkeys, threads, mode;
	uint32_t keys;
	size_t vsize;
	double seconds;
} opt = { "127.0.0.1", NULL, NULL, NULL, 11211, 32, 1, 90, 16, 0, M_TEXT, 100000, 32, 4 };

struct loop {
	pthread_t tid;
	int cpu, first, n, rc;
	struct conn *conns;
	uint64_t rng;
	uint32_t pre_next, pre_end;	/* preload: keys still to store */
	int preload, stop;
	uint64_t hist[HIST_BUCKETS];
	uint64_t ops, reqs, gets, sets, hits, misses, errors;
};

static uint8_t pattern[PATTERN_PERIOD + MAX_VSIZE];
static size_t rsize, wcap, rcap, keylen;
static pthread_barrier_t bar;
static volatile uint64_t t_start, t_end;
static uint64_t hist[HIST_BUCKETS];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

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

/* The value stored under key k. */
static const uint8_t *value_of(uint32_t k)
{
	return pattern + ((uint64_t)k * 7919) % PATTERN_PERIOD;
}

/* Key k's name, keylen bytes: k<vsize>:<8 digits>, so rows of different value sizes never share keys. */
static size_t key_name(char *p, uint32_t k)
{
	char d[8];
	int n = snprintf(p, KEY_MAX, "k%zu:", opt.vsize);

	for (int i = 7; i >= 0; i--, k /= 10)
		d[i] = (char)('0' + k % 10);
	memcpy(p + n, d, 8);
	return (size_t)n + 8;
}

static double percentile(uint64_t n, double p)
{
	return hist_percentile(hist, n, p);
}

static void die(const char *msg)
{
	fprintf(stderr, "fh_kv_load: %s: %s\n", msg, strerror(errno));
	exit(1);
}

/* Busy and total jiffies of the CPUs of set, from /proc/stat. */
static void cpu_jiffies(const cpu_set_t *set, unsigned long long *busy, unsigned long long *total)
{
	char line[512];
	FILE *f = fopen("/proc/stat", "r");

	*busy = *total = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[8] = { 0 };
		int cpu;

		if (strncmp(line, "cpu", 3) || line[3] < '0' || line[3] > '9')
			continue;
		if (sscanf(line + 3, "%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1],
			   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 9 || cpu >= CPU_SETSIZE ||
		    !CPU_ISSET(cpu, set))
			continue;
		/* user nice system idle iowait irq softirq steal, as bench.sh counts them */
		*busy += v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
		*total += v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
	}
	fclose(f);
}

/*
 * TCP segments this namespace has sent (/proc/net/snmp Tcp OutSegs): both
 * ends, on loopback. Over the window, per op, 2 when every ACK rides on a
 * request or a response; more when ACKs go alone.
 */
static unsigned long long tcp_out_segs(void)
{
	char names[1024], vals[1024], *n, *v, *ns, *vs;
	unsigned long long segs = 0;
	FILE *f = fopen("/proc/net/snmp", "r");

	if (!f)
		return 0;
	while (fgets(names, sizeof(names), f) && fgets(vals, sizeof(vals), f)) {
		if (strncmp(names, "Tcp:", 4) || strncmp(vals, "Tcp:", 4))
			continue;
		n = strtok_r(names, " \n", &ns);
		v = strtok_r(vals, " \n", &vs);
		while (n && v) {
			if (!strcmp(n, "OutSegs"))
				segs = strtoull(v, NULL, 10);
			n = strtok_r(NULL, " \n", &ns);
			v = strtok_r(NULL, " \n", &vs);
		}
	}
	fclose(f);
	return segs;
}

static int open_conn(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(opt.port) };
	int fd, one = 1;

	if (inet_pton(AF_INET, opt.addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "fh_kv_load: bad address %s\n", opt.addr);
		exit(2);
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		die("connect");
	return fd;
}

/* -q: send one command, print the reply up to its END line. */
static int query(void)
{
	static char buf[1 << 20];
	size_t len = 0;
	int fd = open_conn();

	dprintf(fd, "%s\r\n", opt.query);
	for (;;) {
		ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);

		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = 0;
		if ((len >= 5 && !strcmp(buf + len - 5, "END\r\n")) || !strcmp(buf, "OK\r\n") ||
		    strstr(buf, "ERROR"))
			break;
	}
	fwrite(buf, 1, len, stdout);
	close(fd);
	return len ? 0 : 1;
}

static uint32_t rnd(struct loop *l, uint32_t n)
{
	l->rng ^= l->rng << 13;
	l->rng ^= l->rng >> 7;
	l->rng ^= l->rng << 17;
	return (uint32_t)((l->rng >> 16) % n);
}

static void put(struct conn *c, const void *p, size_t n)
{
	memcpy(c->wbuf + c->wlen, p, n);
	c->wlen += n;
}

/* Queue a new request on c (the preload's sets, or the mode's). */
static void issue(struct loop *l, struct conn *c)
{
	int slot = (c->head + c->out) % (int)rsize;
	struct req *r = &c->ring[slot];
	uint32_t *k = &c->keys[(size_t)slot * opt.nkeys];
	char line[128];
	size_t n;

	if (c->wlen + wcap / rsize > wcap) {
		memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
		c->wlen -= c->woff;
		c->woff = 0;
	}
	if (l->preload) {
		r->type = R_SET;
		k[0] = l->pre_next++;
	} else if (opt.mode == M_MULTI) {
		r->type = R_MULTI;
	} else if (opt.mode == M_META) {
		r->type = R_META;
	} else {
		r->type = (int)rnd(l, 100) < opt.get_pct ? R_GET : R_SET;
	}
	switch (r->type) {
	case R_SET:
		if (!l->preload)
			k[0] = rnd(l, opt.keys);
		put(c, "set ", 4);
		n = key_name(line, k[0]);
		n += (size_t)snprintf(line + n, sizeof(line) - n, " 0 0 %zu\r\n", opt.vsize);
		put(c, line, n);
		put(c, value_of(k[0]), opt.vsize);
		put(c, "\r\n", 2);
		break;
	case R_GET:
		k[0] = rnd(l, opt.keys);
		put(c, "get ", 4);
		put(c, line, key_name(line, k[0]));
		put(c, "\r\n", 2);
		break;
	case R_MULTI:
		put(c, "get", 3);
		for (int i = 0; i < opt.nkeys; i++) {
			k[i] = rnd(l, opt.keys);
			line[0] = ' ';
			put(c, line, 1 + key_name(line + 1, k[i]));
		}
		put(c, "\r\n", 2);
		break;
	case R_META:
		for (int i = 0; i < opt.nkeys; i++) {
			k[i] = rnd(l, opt.keys);
			put(c, "mg ", 3);
			put(c, line, key_name(line, k[i]));
			put(c, " v q\r\n", 6);
		}
		put(c, "mn\r\n", 4);
		break;
	}
	r->stamp = now_ns();
	c->out++;
}

static void refill(struct loop *l, struct conn *c)
{
	if (l->preload) {
		while (c->out < PRELOAD_DEPTH && l->pre_next < l->pre_end)
			issue(l, c);
		return;
	}
	while (!l->stop && c->out < opt.depth)
		issue(l, c);
}

static int do_send(struct conn *c)
{
	while (c->woff < c->wlen) {
		ssize_t w = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);

		if (w < 0)
			return errno == EAGAIN ? 1 : -1;
		c->woff += (size_t)w;
	}
	c->woff = c->wlen = 0;
	return 0;
}

static int bad(struct loop *l, struct conn *c, int ci, const char *what, const char *at, size_t n)
{
	if (l->errors++ < 5)
		fprintf(stderr, "fh_kv_load: connection %d: %s: \"%.*s\"\n", ci, what,
			(int)(n > 80 ? 80 : n), at);
	c->dead = 1;
	return -1;
}

/* A whole request answered: time it, count it. */
static void done(struct loop *l, struct conn *c, uint64_t t)
{
	struct req *r = &c->ring[c->head];
	int n = r->type == R_GET || r->type == R_SET ? 1 : opt.nkeys;

	if (!l->preload && !l->stop) {
		l->hist[hist_index(t - r->stamp)]++;
		l->ops += (uint64_t)n;
		l->reqs++;
		if (r->type == R_SET) {
			l->sets++;
		} else {
			l->gets += (uint64_t)n;
			l->hits += (uint64_t)(n - c->rmiss);
			l->misses += (uint64_t)c->rmiss;
		}
	}
	c->head = (c->head + 1) % (int)rsize;
	c->out--;
	c->got = c->rmiss = 0;
}

/*
 * Consume what c's buffer holds of the replies, oldest request first. A
 * value must be there whole (its line, its bytes, CRLF) before it is taken.
 * Returns -1 on an error (c is then dead).
 */
static int parse(struct loop *l, struct conn *c, int ci, uint64_t t)
{
	char kbuf[KEY_MAX];

	while (c->roff < c->rlen) {
		char *p = c->rbuf + c->roff, *nl;
		size_t avail = c->rlen - c->roff, len, vlen;
		struct req *r;
		uint32_t *k;
		int j;

		if (!c->out)
			return bad(l, c, ci, "data with no request outstanding", p, avail);
		r = &c->ring[c->head];
		k = &c->keys[(size_t)c->head * opt.nkeys];
		nl = memchr(p, '\n', avail);
		if (!nl) {
			if (avail > 512)
				return bad(l, c, ci, "line too long", p, avail);
			return 0;
		}
		len = (size_t)(nl - p) + 1;
		if (len < 2 || nl[-1] != '\r')
			return bad(l, c, ci, "line not ended by CRLF", p, len);
		if (r->type == R_SET) {
			if (len != 8 || memcmp(p, "STORED\r\n", 8))
				return bad(l, c, ci, "set: not STORED", p, len);
			c->roff += len;
			done(l, c, t);
			continue;
		}
		if ((r->type != R_META && len == 5 && !memcmp(p, "END\r\n", 5)) ||
		    (r->type == R_META && len == 4 && !memcmp(p, "MN\r\n", 4))) {
			int n = r->type == R_GET ? 1 : opt.nkeys;

			c->rmiss += n - c->got;
			c->roff += len;
			done(l, c, t);
			continue;
		}
		if (r->type == R_META) {
			char *e;

			if (len < 6 || memcmp(p, "VA ", 3))
				return bad(l, c, ci, "mg: neither VA nor MN", p, len);
			vlen = strtoul(p + 3, &e, 10);
			if (e != nl - 1)
				return bad(l, c, ci, "mg: VA line with flags", p, len);
		} else {
			/* VALUE <key> <flags> <bytes> */
			char *ks = p + 6, *ke, *e;
			size_t kl;

			if (len < 8 || memcmp(p, "VALUE ", 6) || !(ke = memchr(ks, ' ', len - 6)))
				return bad(l, c, ci, "get: neither VALUE nor END", p, len);
			kl = (size_t)(ke - ks);
			for (j = c->got; j < (r->type == R_GET ? 1 : opt.nkeys); j++)
				if (key_name(kbuf, k[j]) == kl && !memcmp(kbuf, ks, kl))
					break;
			if (j == (r->type == R_GET ? 1 : opt.nkeys))
				return bad(l, c, ci, "get: a key not asked for (or out of order)", p, len);
			if (strtoul(ke + 1, &e, 10) != 0 || *e != ' ')
				return bad(l, c, ci, "get: flags not 0", p, len);
			vlen = strtoul(e + 1, &e, 10);
			if (e != nl - 1)
				return bad(l, c, ci, "get: bad VALUE line", p, len);
			c->rmiss += j - c->got;
			c->got = j;
		}
		if (vlen != opt.vsize)
			return bad(l, c, ci, "a value of the wrong length", p, len);
		if (avail < len + vlen + 2)
			return 0;	/* the rest of the value is still coming */
		if (memcmp(p + len + vlen, "\r\n", 2))
			return bad(l, c, ci, "a value not ended by CRLF", p, len);
		if (r->type == R_META) {
			/* No key on VA: the value says which key it is (misses are skipped). */
			for (j = c->got; j < opt.nkeys; j++)
				if (!memcmp(p + len, value_of(k[j]), vlen))
					break;
			if (j == opt.nkeys)
				return bad(l, c, ci, "mg: a value that is no asked key's", p, len);
			c->rmiss += j - c->got;
			c->got = j;
		} else if (memcmp(p + len, value_of(k[c->got]), vlen)) {
			return bad(l, c, ci, "get: a value with other bytes than stored", p, len);
		}
		c->got++;
		c->roff += len + vlen + 2;
	}
	c->roff = c->rlen = 0;
	return 0;
}

static void drop(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->dead = 1;
}

/* Serve events until until_ns, or (until_ns 0) until nothing is outstanding. */
static int pump(struct loop *l, int ep, struct epoll_event *evs, uint64_t until_ns)
{
	uint64_t deadline = until_ns ? until_ns : now_ns() + (l->preload ? 300 : 10) * 1000000000ULL;
	struct epoll_event ev;

	for (;;) {
		uint64_t t = now_ns();
		int busy = 0, n;

		if (t >= deadline)
			return until_ns ? 0 : -1;
		if (!until_ns) {
			for (int i = l->first; i < l->first + l->n; i++)
				busy |= !l->conns[i].dead && (l->conns[i].out ||
					(l->preload && l->pre_next < l->pre_end));
			if (!busy)
				return 0;
		}
		n = epoll_wait(ep, evs, l->n, 50);
		if (n < 0 && errno != EINTR)
			return -1;
		for (int e = 0; e < n; e++) {
			int ci = (int)evs[e].data.u32, r;
			struct conn *c = &l->conns[ci];

			if (c->dead)
				continue;
			if (evs[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
				ssize_t got;

				if (c->roff && c->rlen + 4096 > rcap) {
					memmove(c->rbuf, c->rbuf + c->roff, c->rlen - c->roff);
					c->rlen -= c->roff;
					c->roff = 0;
				}
				got = recv(c->fd, c->rbuf + c->rlen, rcap - c->rlen, 0);
				if (got > 0) {
					c->rlen += (size_t)got;
					if (parse(l, c, ci, now_ns())) {
						drop(ep, c);
						continue;
					}
				} else if (got == 0 || errno != EAGAIN) {
					bad(l, c, ci, "connection closed by the server", "", 0);
					drop(ep, c);
					continue;
				}
			}
			refill(l, c);
			r = do_send(c);
			if (r < 0) {
				bad(l, c, ci, "send failed", "", 0);
				drop(ep, c);
				continue;
			}
			if ((r == 1) != c->want_out) {
				c->want_out = r == 1;
				ev.events = EPOLLIN | (c->want_out ? EPOLLOUT : 0);
				ev.data.u32 = (uint32_t)ci;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			}
		}
	}
}

/* Start every connection of l: fill it, send, arm EPOLLOUT if blocked. */
static void kick(struct loop *l, int ep)
{
	struct epoll_event ev;

	for (int i = l->first; i < l->first + l->n; i++) {
		struct conn *c = &l->conns[i];

		if (c->dead)
			continue;
		refill(l, c);
		c->want_out = do_send(c) == 1;
		ev.events = EPOLLIN | (c->want_out ? EPOLLOUT : 0);
		ev.data.u32 = (uint32_t)i;
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	}
}

static int run_loop(struct loop *l)
{
	struct epoll_event ev, *evs;
	int ep, rc = 0;

	if (l->cpu >= 0) {
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(l->cpu, &one);
		if (pthread_setaffinity_np(pthread_self(), sizeof(one), &one))
			fprintf(stderr, "fh_kv_load: cannot pin a thread to CPU %d\n", l->cpu);
	}
	evs = calloc((size_t)l->n, sizeof(*evs));
	ep = epoll_create1(0);
	if (!evs || ep < 0)
		die("setup");
	for (int i = l->first; i < l->first + l->n; i++) {
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, l->conns[i].fd, &ev))
			die("epoll_ctl");
	}
	/* Store this loop's share of the key space. */
	l->preload = 1;
	kick(l, ep);
	if (pump(l, ep, evs, 0) || l->pre_next < l->pre_end) {
		fprintf(stderr, "fh_kv_load: preload did not finish (%u of %u keys sent)\n",
			l->pre_next, l->pre_end);
		rc = 1;
	}
	l->preload = 0;
	pthread_barrier_wait(&bar);	/* all stored */
	pthread_barrier_wait(&bar);	/* t_start, t_end set */
	if (t_end > t_start) {
		kick(l, ep);
		pump(l, ep, evs, t_end);
		/* Wind down (not timed): no new requests; what is in flight is read and checked. */
		l->stop = 1;
		if (pump(l, ep, evs, 0))
			fprintf(stderr, "fh_kv_load: replies still outstanding 10 s after the run\n");
	}
	for (int i = l->first; i < l->first + l->n; i++)
		if (l->conns[i].fd >= 0)
			close(l->conns[i].fd);
	return rc || l->errors;
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
	unsigned long long sb0 = 0, st0 = 0, cb0 = 0, ct0 = 0, sb1 = 0, st1 = 0, cb1 = 0, ct1 = 0;
	unsigned long long segs0 = 0, segs1 = 0;
	uint64_t ops = 0, reqs = 0, gets = 0, sets = 0, hits = 0, misses = 0, errors = 0, nlat = 0;
	struct rusage ru0, ru1;
	struct loop *loops;
	struct conn *conns;
	cpu_set_t set, sset;
	const char *mode = "text";
	size_t wreq;
	double secs;

	CPU_ZERO(&set);
	CPU_ZERO(&sset);
	while ((ch = getopt(argc, argv, "a:p:m:c:d:k:v:g:n:t:C:S:T:q:")) != -1) {
		switch (ch) {
		case 'a': opt.addr = optarg; break;
		case 'p': opt.port = atoi(optarg); break;
		case 'm': mode = optarg; break;
		case 'c': opt.conns = atoi(optarg); break;
		case 'd': opt.depth = atoi(optarg); break;
		case 'k': opt.keys = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'v': opt.vsize = strtoul(optarg, NULL, 10); break;
		case 'g': opt.get_pct = atoi(optarg); break;
		case 'n': opt.nkeys = atoi(optarg); break;
		case 't': opt.seconds = atof(optarg); break;
		case 'C': opt.cpus = optarg; break;
		case 'S': opt.scpus = optarg; break;
		case 'T': opt.threads = atoi(optarg); break;
		case 'q': opt.query = optarg; break;
		default:
			fprintf(stderr, "usage: fh_kv_load -a ADDR -p PORT [-m text|multi|meta] [-c CONNS] [-d DEPTH] [-k KEYS] [-v VSIZE] [-g GET_PCT] [-n KEYS_PER_REQ] [-t SECONDS] [-C CPUS] [-S SERVER_CPUS] [-T THREADS] | -q COMMAND\n");
			return 2;
		}
	}
	if (opt.query)
		return query();
	opt.mode = !strcmp(mode, "multi") ? M_MULTI : !strcmp(mode, "meta") ? M_META : M_TEXT;
	if (opt.mode == M_TEXT)
		opt.nkeys = 1;
	if (strcmp(mode, "text") && opt.mode == M_TEXT) {
		fprintf(stderr, "fh_kv_load: mode is text, multi or meta\n");
		return 2;
	}
	if (opt.conns < 1 || opt.depth < 1 || opt.depth > MAX_DEPTH || opt.keys < 1 ||
	    opt.keys > 99999999 || opt.vsize < 1 || opt.vsize > MAX_VSIZE || opt.get_pct < 0 ||
	    opt.get_pct > 100 || opt.nkeys < 1 || opt.nkeys > MAX_NKEYS || opt.seconds < 0 ||
	    opt.seconds > 3600 || opt.port < 1 || opt.port > 65535 || opt.threads < 0) {
		fprintf(stderr, "fh_kv_load: bad arguments\n");
		return 2;
	}
	if (opt.cpus) {
		if (parse_cpus(opt.cpus, &set)) {
			fprintf(stderr, "fh_kv_load: bad cpu list %s\n", opt.cpus);
			return 2;
		}
		for (i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &set))
				cpu_list[ncpus++] = i;
		if (sched_setaffinity(0, sizeof(set), &set))
			die("sched_setaffinity");
	}
	if (opt.scpus && parse_cpus(opt.scpus, &sset)) {
		fprintf(stderr, "fh_kv_load: bad cpu list %s\n", opt.scpus);
		return 2;
	}
	if (!opt.threads)
		opt.threads = ncpus ? ncpus : 1;
	if (opt.threads > opt.conns)
		opt.threads = opt.conns;
	{
		struct rlimit rl = { (rlim_t)opt.conns + 64, (rlim_t)opt.conns + 64 };

		setrlimit(RLIMIT_NOFILE, &rl);
	}

	/* Buffers: a request ring deep enough for the preload and the run. */
	pattern_init();
	{
		char tmp[KEY_MAX];

		keylen = key_name(tmp, 0);
	}
	rsize = (size_t)(opt.depth > PRELOAD_DEPTH ? opt.depth : PRELOAD_DEPTH);
	wreq = opt.vsize + keylen + 64;
	if (wreq < (size_t)opt.nkeys * (keylen + 16) + 16)
		wreq = (size_t)opt.nkeys * (keylen + 16) + 16;
	wcap = rsize * wreq;
	rcap = 2 * (opt.vsize + 600) + 16384;
	conns = calloc((size_t)opt.conns, sizeof(*conns));
	loops = calloc((size_t)opt.threads, sizeof(*loops));
	if (!conns || !loops)
		die("setup");
	for (i = 0; i < opt.conns; i++) {
		struct conn *c = &conns[i];

		c->fd = open_conn();
		fcntl(c->fd, F_SETFL, O_NONBLOCK);
		c->wbuf = malloc(wcap);
		c->rbuf = malloc(rcap);
		c->ring = calloc(rsize, sizeof(*c->ring));
		c->keys = calloc(rsize * (size_t)opt.nkeys, sizeof(*c->keys));
		if (!c->wbuf || !c->rbuf || !c->ring || !c->keys)
			die("buffers");
	}
	pthread_barrier_init(&bar, NULL, (unsigned)opt.threads + 1);
	for (i = 0; i < opt.threads; i++) {
		struct loop *l = &loops[i];

		l->cpu = ncpus ? cpu_list[i % ncpus] : -1;
		l->first = (int)((long)opt.conns * i / opt.threads);
		l->n = (int)((long)opt.conns * (i + 1) / opt.threads) - l->first;
		l->conns = conns;
		l->rng = 0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1) ^ (uint64_t)now_ns();
		l->pre_next = (uint32_t)((uint64_t)opt.keys * (uint64_t)i / (uint64_t)opt.threads);
		l->pre_end = (uint32_t)((uint64_t)opt.keys * (uint64_t)(i + 1) / (uint64_t)opt.threads);
		if (pthread_create(&l->tid, NULL, loop_thread, l)) {
			fprintf(stderr, "fh_kv_load: cannot start thread %d\n", i);
			return 1;
		}
	}
	pthread_barrier_wait(&bar);
	/* The timed window: CPU counters at its ends, the loops stop at t_end. */
	cpu_jiffies(&sset, &sb0, &st0);
	cpu_jiffies(&set, &cb0, &ct0);
	segs0 = tcp_out_segs();
	getrusage(RUSAGE_SELF, &ru0);
	t_start = now_ns();
	t_end = t_start + (uint64_t)(opt.seconds * 1e9);
	pthread_barrier_wait(&bar);
	if (opt.seconds > 0) {
		struct timespec ts = { (time_t)opt.seconds, (long)((opt.seconds - (double)(time_t)opt.seconds) * 1e9) };

		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		while (now_ns() < t_end)
			;
	}
	cpu_jiffies(&sset, &sb1, &st1);
	cpu_jiffies(&set, &cb1, &ct1);
	segs1 = tcp_out_segs();
	getrusage(RUSAGE_SELF, &ru1);
	for (i = 0; i < opt.threads; i++) {
		struct loop *l = &loops[i];

		pthread_join(l->tid, NULL);
		rc |= l->rc;
		ops += l->ops;
		reqs += l->reqs;
		gets += l->gets;
		sets += l->sets;
		hits += l->hits;
		misses += l->misses;
		errors += l->errors;
		for (int b = 0; b < HIST_BUCKETS; b++)
			hist[b] += l->hist[b];
	}
	for (int b = 0; b < HIST_BUCKETS; b++)
		nlat += hist[b];
	secs = (t_end - t_start) / 1e9;
	if (secs <= 0)
		secs = 1e-9;
	{
		double proc_us = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec -
				  ru0.ru_stime.tv_sec) * 1e6 + (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec +
				  ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec);

		printf("mode=%s conns=%d depth=%d keys=%u vsize=%zu get_pct=%d nkeys=%d threads=%d "
		       "seconds=%.2f ops=%llu ops_per_s=%.0f reqs=%llu gets=%llu sets=%llu hits=%llu "
		       "misses=%llu errors=%llu p50_us=%.1f p99_us=%.1f srv_busy_j=%llu srv_total_j=%llu "
		       "cli_busy_j=%llu cli_total_j=%llu cli_proc_us=%.0f tcp_segs_per_op=%.2f verified=%s\n",
		       mode, opt.conns, opt.depth, opt.keys, opt.vsize, opt.get_pct, opt.nkeys, opt.threads,
		       opt.seconds > 0 ? secs : 0.0, (unsigned long long)ops, opt.seconds > 0 ? ops / secs : 0.0,
		       (unsigned long long)reqs, (unsigned long long)gets, (unsigned long long)sets,
		       (unsigned long long)hits, (unsigned long long)misses, (unsigned long long)errors,
		       percentile(nlat, 0.50), percentile(nlat, 0.99), sb1 - sb0, st1 - st0, cb1 - cb0,
		       ct1 - ct0, proc_us, ops ? (double)(segs1 - segs0) / ops : 0.0,
		       rc || errors ? "no" : "yes");
	}
	return rc || errors ? 1 : 0;
}
