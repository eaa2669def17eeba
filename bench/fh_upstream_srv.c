// SPDX-License-Identifier: GPL-2.0
/*
 * fh_upstream_srv: the application server behind the proxy benchmark, an
 * HTTP/1.1 origin that does next to nothing per request so the proxies in
 * front of it, not it, set the pace:
 *
 *   GET|HEAD /api/N      200, N bytes of a fixed pattern (Content-Length)
 *   POST|PUT /api/echo   200, the request's body back (Content-Length; the
 *                        request may be framed by Content-Length or chunked)
 *   anything else        404 (a short body)
 *
 * One thread per CPU given, each pinned, each with its own SO_REUSEPORT
 * listener and edge-triggered epoll set; non-blocking sockets, TCP_NODELAY.
 * Keep-alive (HTTP/1.1 unless "Connection: close", HTTP/1.0 with
 * "Connection: keep-alive") and pipelining-safe: every whole request in
 * the input is answered, in order, and the answers go out together with
 * one writev; bodies past 4 KiB are sent from a shared pattern buffer,
 * never copied. While more than OUT_HIGH bytes wait to be sent it reads
 * no more (TCP holds the rest).
 *
 *   fh_upstream_srv -p PORT [-a ADDR] [-C CPULIST] [-t SECONDS]
 *
 * Runs until killed, or for SECONDS when given (bounded benchmarks).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS	256
#define IN_MIN		16384		/* a read asks for at least this much room */
#define HEAD_MAX	65536		/* the longest request head */
#define BODY_MAX	(64u << 20)	/* the longest request body, and GET /api/N */
#define COPY_MAX	4096		/* bodies up to this are copied beside their head */
#define PATTERN_SIZE	(1u << 20)	/* longer ones are sent from here, by reference */
#define OUT_HIGH	(1u << 20)	/* unsent bytes past which no more is read */
#define IOV_MAX_SEGS	64

/* A piece of output: bytes in the connection's out buffer, or in pattern. */
struct seg {
	const char *ext;	/* NULL: out[off, off + len) */
	size_t off;
	size_t len;
};

struct conn {
	int fd;
	int readable;		/* the socket may hold data */
	int hup;		/* the peer shut down its side */
	int closing;		/* close once the output is out */
	char *in;
	size_t in_cap, in_off, in_len;	/* unparsed: in[in_off, in_len) */
	char *out;
	size_t out_cap, out_len;
	struct seg *segs;
	size_t nsegs, segs_cap, seg_done;	/* segs[seg_done..] are unsent */
	size_t seg_sent;	/* bytes of segs[seg_done] already sent */
	size_t pending;		/* unsent bytes in all */
};

static struct sockaddr_in listen_addr = { .sin_family = AF_INET };
static char *pattern;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		die("fh_upstream_srv: realloc");
	return p;
}

static int make_listener(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;

	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&listen_addr, sizeof(listen_addr)) ||
	    listen(fd, 4096))
		die("fh_upstream_srv: listener");
	return fd;
}

static void close_conn(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c->segs);
	free(c);
}

static void add_seg(struct conn *c, const char *ext, size_t off, size_t len)
{
	struct seg *s;

	if (!len)
		return;
	/* Bytes that follow the last piece in out join it. */
	if (!ext && c->nsegs > c->seg_done) {
		s = &c->segs[c->nsegs - 1];
		if (!s->ext && s->off + s->len == off) {
			s->len += len;
			c->pending += len;
			return;
		}
	}
	if (c->nsegs == c->segs_cap) {
		c->segs_cap = c->segs_cap ? 2 * c->segs_cap : 16;
		c->segs = xrealloc(c->segs, c->segs_cap * sizeof(*c->segs));
	}
	c->segs[c->nsegs++] = (struct seg){ ext, off, len };
	c->pending += len;
}

/* Room for n more bytes in out; their offset. */
static size_t out_room(struct conn *c, size_t n)
{
	if (c->out_len + n > c->out_cap) {
		while (c->out_len + n > c->out_cap)
			c->out_cap = c->out_cap ? 2 * c->out_cap : 16384;
		c->out = xrealloc(c->out, c->out_cap);
	}
	return c->out_len;
}

static void out_bytes(struct conn *c, const char *p, size_t n)
{
	size_t off = out_room(c, n);

	memcpy(c->out + off, p, n);
	c->out_len += n;
	add_seg(c, NULL, off, n);
}

/* An IMF-fixdate for the Date field, made once a second per thread. */
static const char *http_date(void)
{
	static _Thread_local char buf[64];
	static _Thread_local time_t last;
	time_t now = time(NULL);
	struct tm tm;

	if (now != last) {
		gmtime_r(&now, &tm);
		strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		last = now;
	}
	return buf;
}

/*
 * Queue a response: its head, then body (len bytes, NULL: the pattern), or
 * no body for HEAD. keep: 0 closes after it, 1 keeps (HTTP/1.1), 2 keeps
 * and says so (HTTP/1.0 with keep-alive).
 */
static void respond(struct conn *c, int status, const char *body, size_t len,
		    int head_only, int keep)
{
	char head[512];
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %s\r\nServer: fh_upstream_srv\r\nDate: %s\r\n"
		     "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\n%s\r\n",
		     status == 200 ? "200 OK" : status == 404 ? "404 Not Found" :
		     status == 413 ? "413 Content Too Large" : "400 Bad Request",
		     http_date(), len,
		     !keep ? "Connection: close\r\n" : keep == 2 ? "Connection: keep-alive\r\n" : "");
	out_bytes(c, head, (size_t)n);
	if (!keep)
		c->closing = 1;
	if (head_only || !len)
		return;
	if (body) {
		out_bytes(c, body, len);
		return;
	}
	if (len <= COPY_MAX) {
		out_bytes(c, pattern, len);
		return;
	}
	while (len) {
		size_t k = len < PATTERN_SIZE ? len : PATTERN_SIZE;

		add_seg(c, pattern, 0, k);
		len -= k;
	}
}

static int ieq(const char *a, size_t alen, const char *b)
{
	return strlen(b) == alen && !strncasecmp(a, b, alen);
}

/* Whether the comma-separated list v[0, vlen) has token t. */
static int has_token(const char *v, size_t vlen, const char *t)
{
	size_t i = 0, s, e;

	while (i < vlen) {
		while (i < vlen && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < vlen && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e > s && ieq(v + s, e - s, t))
			return 1;
	}
	return 0;
}

/*
 * A chunked body at p[0, n): its length on the wire, and the data's in
 * *dlen (copied to dst when dst is given). 0: not whole yet; -1: malformed.
 */
static long chunked(const char *p, size_t n, char *dst, size_t *dlen)
{
	size_t i = 0, d = 0;

	for (;;) {
		size_t size = 0, digits = 0;
		const char *eol;

		while (i < n) {
			int ch = p[i], v;

			if (ch >= '0' && ch <= '9')
				v = ch - '0';
			else if (ch >= 'a' && ch <= 'f')
				v = ch - 'a' + 10;
			else if (ch >= 'A' && ch <= 'F')
				v = ch - 'A' + 10;
			else
				break;
			if (++digits > 8)
				return -1;
			size = size * 16 + (size_t)v;
			i++;
		}
		if (i == n)
			return 0;
		if (!digits)
			return -1;
		eol = memchr(p + i, '\n', n - i);	/* chunk extensions skipped */
		if (!eol)
			return n - i > 1024 ? -1 : 0;
		i = (size_t)(eol - p) + 1;
		if (!size)
			break;
		if (d + size > BODY_MAX)
			return -1;
		if (n - i < size + 2)
			return 0;
		if (dst)
			memcpy(dst + d, p + i, size);
		d += size;
		i += size;
		if (p[i] == '\r')
			i++;
		if (p[i] != '\n')
			return -1;
		i++;
	}
	/* Trailer fields up to the empty line. */
	for (;;) {
		const char *eol = memchr(p + i, '\n', n - i);

		if (!eol)
			return n - i > HEAD_MAX ? -1 : 0;
		if (eol == p + i || (eol == p + i + 1 && p[i] == '\r')) {
			i = (size_t)(eol - p) + 1;
			break;
		}
		i = (size_t)(eol - p) + 1;
	}
	*dlen = d;
	return (long)i;
}

/*
 * Answer the request at the start of the unparsed input, if it is whole.
 * 1: answered (input consumed); 0: wait for more; -1: malformed (a 400 is
 * queued and the connection closes after it).
 */
static int one_request(struct conn *c)
{
	char *p = c->in + c->in_off, *end, *line, *eol, *sp1, *sp2, *target;
	size_t n = c->in_len - c->in_off, hlen, mlen, tlen, cl = 0, blen = 0, used;
	int has_cl = 0, is_chunked = 0, conn_close = 0, conn_keep = 0, v10, keep, head_only;
	const char *body = NULL;
	char *decoded = NULL;

	end = memmem(p, n, "\r\n\r\n", 4);
	if (!end) {
		if (n > HEAD_MAX)
			goto bad;
		return 0;
	}
	hlen = (size_t)(end - p) + 4;
	/* The request line. */
	eol = memchr(p, '\r', hlen);
	sp1 = memchr(p, ' ', (size_t)(eol - p));
	if (!sp1)
		goto bad;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (!sp2 || eol - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/1.", 7))
		goto bad;
	v10 = sp2[8] == '0';
	mlen = (size_t)(sp1 - p);
	target = sp1 + 1;
	tlen = (size_t)(sp2 - target);
	/* The fields that matter here. */
	for (line = eol + 2; line < end; line = eol + 2) {
		char *colon, *v, *ve;

		eol = memchr(line, '\r', (size_t)(end + 2 - line));
		colon = memchr(line, ':', (size_t)(eol - line));
		if (!colon || colon == line)
			goto bad;
		for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
			;
		if (ieq(line, (size_t)(colon - line), "content-length")) {
			char *q;

			if (v == ve)
				goto bad;
			for (q = v, cl = 0; q < ve; q++) {
				if (*q < '0' || *q > '9' || cl > BODY_MAX)
					goto bad;
				cl = cl * 10 + (size_t)(*q - '0');
			}
			has_cl = 1;
		} else if (ieq(line, (size_t)(colon - line), "transfer-encoding")) {
			if (!has_token(v, (size_t)(ve - v), "chunked"))
				goto bad;
			is_chunked = 1;
		} else if (ieq(line, (size_t)(colon - line), "connection")) {
			conn_close |= has_token(v, (size_t)(ve - v), "close");
			conn_keep |= has_token(v, (size_t)(ve - v), "keep-alive");
		}
	}
	if (is_chunked && has_cl)
		goto bad;
	if (cl > BODY_MAX)
		goto bad;
	/* The body, whole, or wait for it. */
	if (is_chunked) {
		long w = chunked(p + hlen, n - hlen, NULL, &blen);

		if (w < 0)
			goto bad;
		if (!w)
			return 0;
		decoded = malloc(blen ? blen : 1);
		if (!decoded)
			die("fh_upstream_srv: malloc");
		chunked(p + hlen, n - hlen, decoded, &blen);
		body = decoded;
		used = hlen + (size_t)w;
	} else {
		if (n - hlen < cl)
			return 0;
		body = p + hlen;
		blen = cl;
		used = hlen + cl;
	}
	keep = conn_close ? 0 : v10 ? (conn_keep ? 2 : 0) : 1;
	head_only = ieq(p, mlen, "HEAD");
	if (tlen > 5 && !memcmp(target, "/api/", 5)) {
		const char *r = target + 5, *re = target + tlen;
		const char *q = memchr(r, '?', (size_t)(re - r));
		size_t want = 0;
		int digits = 1;

		if (q)
			re = q;
		if ((ieq(p, mlen, "POST") || ieq(p, mlen, "PUT")) && re - r == 4 &&
		    !memcmp(r, "echo", 4)) {
			respond(c, 200, body, blen, 0, keep);
			goto done;
		}
		for (q = r; q < re; q++) {
			if (*q < '0' || *q > '9' || want > BODY_MAX) {
				digits = 0;
				break;
			}
			want = want * 10 + (size_t)(*q - '0');
		}
		if (digits && re > r && (head_only || ieq(p, mlen, "GET"))) {
			if (want > BODY_MAX)
				respond(c, 413, NULL, 0, 0, 0);
			else
				respond(c, 200, NULL, want, head_only, keep);
			goto done;
		}
	}
	respond(c, 404, "not found\n", 10, head_only, keep);
done:
	free(decoded);
	c->in_off += used;
	return 1;
bad:
	respond(c, 400, "bad request\n", 12, 0, 0);
	c->in_off = c->in_len;
	return -1;
}

/* Send what is queued. 0: all out; 1: the socket is full; -1: failed. */
static int flush_out(struct conn *c)
{
	while (c->pending) {
		struct iovec iov[IOV_MAX_SEGS];
		size_t i, k = 0;
		ssize_t w;

		for (i = c->seg_done; i < c->nsegs && k < IOV_MAX_SEGS; i++, k++) {
			const struct seg *s = &c->segs[i];
			const char *base = s->ext ? s->ext : c->out + s->off;
			size_t skip = i == c->seg_done ? c->seg_sent : 0;

			iov[k].iov_base = (void *)(base + skip);
			iov[k].iov_len = s->len - skip;
		}
		w = writev(c->fd, iov, (int)k);
		if (w < 0)
			return errno == EAGAIN ? 1 : -1;
		c->pending -= (size_t)w;
		while (w > 0) {
			size_t left = c->segs[c->seg_done].len - c->seg_sent;

			if ((size_t)w < left) {
				c->seg_sent += (size_t)w;
				break;
			}
			w -= (ssize_t)left;
			c->seg_done++;
			c->seg_sent = 0;
		}
	}
	c->nsegs = c->seg_done = c->seg_sent = 0;
	c->out_len = 0;
	return 0;
}

/*
 * Send what is queued, answer the whole requests there are, read more
 * while the socket may hold some, until the socket is drained or full.
 */
static void serve(int ep, struct conn *c, uint32_t events)
{
	ssize_t n;

	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->readable = 1;
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->hup = 1;
	for (;;) {
		int r = 0, any = 0;

		while (!c->closing && c->pending < OUT_HIGH && (r = one_request(c)) > 0)
			any = 1;
		if (c->in_off == c->in_len)
			c->in_off = c->in_len = 0;
		r = flush_out(c);
		if (r < 0 || (!r && c->closing)) {
			close_conn(ep, c);
			return;
		}
		if (r > 0)
			return;		/* EPOLLOUT (edge) brings us back */
		if (any)
			continue;	/* the output went: more may be whole */
		if (!c->readable)
			return;
		/* Room to read into: the unparsed bytes to the front, then grow. */
		if (c->in_cap - c->in_len < IN_MIN && c->in_off) {
			memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
			c->in_len -= c->in_off;
			c->in_off = 0;
		}
		if (c->in_cap - c->in_len < IN_MIN) {
			c->in_cap = c->in_cap ? 2 * c->in_cap : 4 * IN_MIN;
			if (c->in_cap > BODY_MAX + 2 * HEAD_MAX) {
				close_conn(ep, c);
				return;
			}
			c->in = xrealloc(c->in, c->in_cap);
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			close_conn(ep, c);
			return;
		}
		if (n < 0) {
			c->readable = 0;
			return;
		}
		if ((size_t)n < c->in_cap - c->in_len && !c->hup)
			c->readable = 0;	/* a short read: drained */
		c->in_len += (size_t)n;
	}
}

static void *worker(void *arg)
{
	int cpu = (int)(long)arg, lfd, ep, one = 1, i, n;
	struct epoll_event ev, evs[MAX_EVENTS];

	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	lfd = make_listener();
	ep = epoll_create1(0);
	if (ep < 0)
		die("fh_upstream_srv: epoll_create1");
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, MAX_EVENTS, -1);
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (!c) {
				int fd;

				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					c = calloc(1, sizeof(*c));
					if (!c) {
						close(fd);
						continue;
					}
					c->fd = fd;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					/* Writable at once, so the add queues an event,
					 * with EPOLLIN if a request is already there. */
					ev.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
					ev.data.ptr = c;
					if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
						close(fd);
						free(c);
					}
				}
				continue;
			}
			serve(ep, c, evs[i].events);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *cpus = NULL, *addr = "0.0.0.0";
	int port = 0, ch, nthreads = 0, list[CPU_SETSIZE];
	unsigned int seconds = 0;
	pthread_t tid;
	size_t i;

	while ((ch = getopt(argc, argv, "p:a:C:t:")) != -1) {
		switch (ch) {
		case 'p': port = atoi(optarg); break;
		case 'a': addr = optarg; break;
		case 'C': cpus = optarg; break;
		case 't': seconds = (unsigned int)atoi(optarg); break;
		default:
			fprintf(stderr, "usage: fh_upstream_srv -p PORT [-a ADDR] [-C CPULIST] [-t SECONDS]\n");
			return 2;
		}
	}
	if (port < 1 || port > 65535 || inet_pton(AF_INET, addr, &listen_addr.sin_addr) != 1) {
		fprintf(stderr, "fh_upstream_srv: need -p PORT (1-65535) and an IPv4 -a ADDR\n");
		return 2;
	}
	listen_addr.sin_port = htons((uint16_t)port);
	{
		struct rlimit rl = { 1 << 20, 1 << 20 };

		setrlimit(RLIMIT_NOFILE, &rl);
	}
	pattern = malloc(PATTERN_SIZE);
	if (!pattern)
		die("fh_upstream_srv: malloc");
	/* Printable, and not periodic in any power of two a splitter might use. */
	for (i = 0; i < PATTERN_SIZE; i++)
		pattern[i] = (char)('a' + (i * 7 + i / 61) % 26);
	if (cpus) {
		char *copy = strdup(cpus), *tok, *save;

		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			int a, b;

			if (sscanf(tok, "%d-%d", &a, &b) != 2)
				b = a = atoi(tok);
			for (; a <= b && nthreads < CPU_SETSIZE; a++)
				list[nthreads++] = a;
		}
		free(copy);
	} else {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		for (nthreads = 0; nthreads < n && nthreads < CPU_SETSIZE; nthreads++)
			list[nthreads] = nthreads;
	}
	if (!nthreads) {
		fprintf(stderr, "fh_upstream_srv: no CPU in -C %s\n", cpus);
		return 2;
	}
	for (int t = 0; t < nthreads; t++)
		if (pthread_create(&tid, NULL, worker, (void *)(long)list[t]))
			return 1;
	if (seconds)
		sleep(seconds);
	else
		for (;;)
			pause();
	return 0;
}
