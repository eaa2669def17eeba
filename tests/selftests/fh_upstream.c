// SPDX-License-Identifier: GPL-2.0
/*
 * A small HTTP/1.1 upstream server for the proxy selftests: an accepting
 * thread and a thread per connection, every wait bounded (fh_upstream.h
 * says what each path gets).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fh_upstream.h"
#include "fh_util.h"

#define SLICE_MS	100
#define HEAD_MAX	(1 << 20)	/* a request head longer than this: the connection is closed */
#define BODY_MAX	(64 << 20)	/* and a request body longer than this */
#define BLOCK		65536

struct up_conn {
	struct fh_upstream *u;
	pthread_t th;
	bool started;
	int fd;			/* -1 once closed (under u->lock) */
	int serial;		/* 1, 2, ... in accept order */
	int nreq;		/* requests read on it */
	bool drop_next;		/* close-after: the next request is not answered */
	bool silent;		/* hang: nothing more is answered */
	char *buf;		/* received, not yet taken as a request */
	size_t len, cap;
};

struct fh_upstream {
	int port;
	int lfd;
	int fill[3];		/* FH_UP_BLACKHOLE: what fills the accept queue */
	enum fh_up_mode mode;
	char tag[32];
	atomic_bool stop;
	atomic_long accepts, requests, open;
	pthread_t acceptor;
	bool acceptor_started;
	pthread_mutex_t lock;
	struct up_conn *conns[FH_UP_CONNS_MAX];
	int nconns;
	char *last_head;	/* under lock */
	size_t last_len;
};

/* One request, as read off a connection. */
struct up_req {
	char method[32];
	char version[32];
	char target[8192];
	char *head;		/* the head as received, NUL-terminated */
	size_t head_len;
	bool chunked, has_cl, close;
	bool streamed;		/* the body is left on the connection: answer() reads it */
	uint64_t cl;
	char *body;
	size_t body_len, body_cap;
};

/* ---- the body pattern ---- */

static uint64_t splitmix64(uint64_t z)
{
	z += 0x9E3779B97F4A7C15ULL;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

void fh_up_pattern(void *buf, uint64_t off, size_t len)
{
	unsigned char *p = buf;
	uint64_t w = splitmix64(off / 8);
	size_t i;

	for (i = 0; i < len; i++, off++) {
		if (i && !(off % 8))
			w = splitmix64(off / 8);
		p[i] = (unsigned char)(w >> (8 * (off % 8)));
	}
}

static unsigned char bulk[2 * FH_UP_BULK_PERIOD];
static pthread_once_t bulk_once = PTHREAD_ONCE_INIT;

static void bulk_init(void)
{
	fh_up_pattern(bulk, 0, FH_UP_BULK_PERIOD);
	memcpy(bulk + FH_UP_BULK_PERIOD, bulk, FH_UP_BULK_PERIOD);
}

const unsigned char *fh_up_bulk(uint64_t off)
{
	pthread_once(&bulk_once, bulk_init);
	return bulk + off % FH_UP_BULK_PERIOD;
}

long fh_up_pattern_diff(const void *buf, uint64_t off, size_t len)
{
	const unsigned char *p = buf;
	unsigned char want[4096];
	size_t done = 0, n, i;

	while (done < len) {
		n = len - done < sizeof(want) ? len - done : sizeof(want);
		fh_up_pattern(want, off + done, n);
		if (memcmp(want, p + done, n))
			for (i = 0; i < n; i++)
				if (want[i] != p[done + i])
					return (long)(done + i);
		done += n;
	}
	return -1;
}

/* ---- bounded socket work ---- */

static bool stopping(struct fh_upstream *u)
{
	return atomic_load(&u->stop);
}

/* Sleep @ms in slices: false if the server is stopping. */
static bool up_sleep(struct fh_upstream *u, int ms)
{
	long long end = fh_now_ms() + ms;

	while (fh_now_ms() < end) {
		if (stopping(u))
			return false;
		usleep(20 * 1000);
	}
	return !stopping(u);
}

/*
 * More bytes into c->buf within @ms: >0 the bytes received, 0 on EOF or
 * error, -1 on timeout or stop.
 */
static long conn_fill(struct up_conn *c, int ms)
{
	long long end = fh_now_ms() + ms;
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	ssize_t n;

	if (c->cap - c->len < BLOCK) {
		size_t cap = c->cap ? c->cap * 2 : 4 * BLOCK;
		char *b;

		if (cap > 2 * (size_t)BODY_MAX)
			return 0;
		b = realloc(c->buf, cap + 1);
		if (!b)
			return 0;
		c->buf = b;
		c->cap = cap;
	}
	for (;;) {
		long long left = end - fh_now_ms();

		if (stopping(c->u) || left <= 0)
			return -1;
		if (poll(&pfd, 1, left < SLICE_MS ? (int)left : SLICE_MS) <= 0)
			continue;
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
		if (n > 0) {
			c->len += n;
			c->buf[c->len] = '\0';
			return n;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			return 0;
	}
}

/* Drop the first @n bytes of c->buf. */
static void conn_take(struct up_conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
	c->buf[c->len] = '\0';
}

/* Send all of @p, giving up after FH_UP_IO_MS without progress: 0 or -1. */
static int conn_send(struct up_conn *c, const void *p, size_t len)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
	long long end = fh_now_ms() + FH_UP_IO_MS;
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		if (stopping(c->u) || fh_now_ms() > end)
			return -1;
		if (poll(&pfd, 1, SLICE_MS) <= 0)
			continue;
		n = send(c->fd, (const char *)p + done, len - done, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			done += n;
			end = fh_now_ms() + FH_UP_IO_MS;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			return -1;
		}
	}
	return 0;
}

static int conn_sends(struct up_conn *c, const char *s)
{
	return conn_send(c, s, strlen(s));
}

/* @len bytes of the pattern from offset @off. */
static int conn_send_pattern(struct up_conn *c, uint64_t off, uint64_t len)
{
	unsigned char *blk = malloc(BLOCK);
	int ret = blk ? 0 : -1;

	while (!ret && len) {
		size_t n = len < BLOCK ? len : BLOCK;

		fh_up_pattern(blk, off, n);
		ret = conn_send(c, blk, n);
		off += n;
		len -= n;
	}
	free(blk);
	return ret;
}

/* Close the connection: with a reset (SO_LINGER 0) if @reset. */
static void conn_close(struct up_conn *c, bool reset)
{
	struct fh_upstream *u = c->u;

	pthread_mutex_lock(&u->lock);
	if (c->fd >= 0) {
		if (reset) {
			struct linger l = { .l_onoff = 1, .l_linger = 0 };

			setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		}
		close(c->fd);
		c->fd = -1;
		atomic_fetch_sub(&u->open, 1);
	}
	pthread_mutex_unlock(&u->lock);
}

/*
 * End a response delimited by the close: FIN, then what the peer still
 * sends is read (up to a second) so that the close is not a reset.
 */
static void conn_finish(struct up_conn *c)
{
	long long end = fh_now_ms() + 1000;

	shutdown(c->fd, SHUT_WR);
	while (fh_now_ms() < end) {
		long n = conn_fill(c, (int)(end - fh_now_ms()));

		if (n <= 0)
			break;
		c->len = 0;
	}
}

/* ---- requests ---- */

static void req_free(struct up_req *rq)
{
	free(rq->head);
	free(rq->body);
	memset(rq, 0, sizeof(*rq));
}

static bool body_put(struct up_req *rq, const char *p, size_t n)
{
	if (rq->body_len + n > BODY_MAX)
		return false;
	if (rq->body_len + n + 1 > rq->body_cap) {
		size_t cap = rq->body_cap ? rq->body_cap : 65536;
		char *b;

		while (cap < rq->body_len + n + 1)
			cap *= 2;
		b = realloc(rq->body, cap);
		if (!b)
			return false;
		rq->body = b;
		rq->body_cap = cap;
	}
	memcpy(rq->body + rq->body_len, p, n);
	rq->body_len += n;
	rq->body[rq->body_len] = '\0';
	return true;
}

/* Whether the comma-separated list @v holds @token (case-insensitive). */
static bool has_token(const char *v, const char *token)
{
	size_t tl = strlen(token);

	while (*v) {
		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		if (!strncasecmp(v, token, tl) &&
		    (!v[tl] || v[tl] == ',' || v[tl] == ' ' || v[tl] == '\t'))
			return true;
		while (*v && *v != ',')
			v++;
	}
	return false;
}

/* The fields that frame the body, and Connection. false: a malformed head. */
static bool parse_head(struct up_req *rq)
{
	const char *p = rq->head, *eol = strstr(p, "\r\n"), *sp1, *sp2;
	bool keep10 = false;

	if (!eol)
		return false;
	sp1 = memchr(p, ' ', eol - p);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', eol - sp1 - 1) : NULL;
	if (!sp1 || !sp2 || (size_t)(sp1 - p) >= sizeof(rq->method) ||
	    (size_t)(sp2 - sp1 - 1) >= sizeof(rq->target) ||
	    (size_t)(eol - sp2 - 1) >= sizeof(rq->version))
		return false;
	memcpy(rq->method, p, sp1 - p);
	memcpy(rq->target, sp1 + 1, sp2 - sp1 - 1);
	memcpy(rq->version, sp2 + 1, eol - sp2 - 1);
	for (p = eol + 2; (eol = strstr(p, "\r\n")) && eol != p; p = eol + 2) {
		const char *colon = memchr(p, ':', eol - p);
		char val[1024];
		size_t vl;

		if (!colon)
			return false;
		colon++;
		while (*colon == ' ' || *colon == '\t')
			colon++;
		vl = (size_t)(eol - colon) < sizeof(val) - 1 ? (size_t)(eol - colon) : sizeof(val) - 1;
		memcpy(val, colon, vl);
		val[vl] = '\0';
		while (vl && (val[vl - 1] == ' ' || val[vl - 1] == '\t'))
			val[--vl] = '\0';
		if (!strncasecmp(p, "Content-Length:", 15)) {
			rq->has_cl = true;
			rq->cl = strtoull(val, NULL, 10);
		} else if (!strncasecmp(p, "Transfer-Encoding:", 18)) {
			rq->chunked = has_token(val, "chunked");
		} else if (!strncasecmp(p, "Connection:", 11)) {
			if (has_token(val, "close"))
				rq->close = true;
			if (has_token(val, "keep-alive"))
				keep10 = true;
		}
	}
	if (!strcmp(rq->version, "HTTP/1.0") && !keep10)
		rq->close = true;
	return true;
}

/* The chunked body at the front of c->buf into rq: true once it is whole. */
static bool read_chunked(struct up_conn *c, struct up_req *rq)
{
	for (;;) {
		char *eol;
		unsigned long long size;

		while (!(eol = memmem(c->buf, c->len, "\r\n", 2)))
			if (c->len > 4096 || conn_fill(c, FH_UP_IO_MS) <= 0)
				return false;
		size = strtoull(c->buf, NULL, 16);
		conn_take(c, eol + 2 - c->buf);
		if (!size) {
			/* trailer fields, up to the empty line */
			for (;;) {
				while (!(eol = memmem(c->buf, c->len, "\r\n", 2)))
					if (c->len > 65536 || conn_fill(c, FH_UP_IO_MS) <= 0)
						return false;
				if (eol == c->buf) {
					conn_take(c, 2);
					return true;
				}
				conn_take(c, eol + 2 - c->buf);
			}
		}
		if (size > BODY_MAX)
			return false;
		while (c->len < size + 2)
			if (conn_fill(c, FH_UP_IO_MS) <= 0)
				return false;
		if (!body_put(rq, c->buf, size) || memcmp(c->buf + size, "\r\n", 2))
			return false;
		conn_take(c, size + 2);
	}
}

static bool streams_body(const char *target);

/*
 * The next request on @c into @rq: 1, or 0 when the connection is to be
 * closed (EOF, timeout, stop, a malformed request). A sink's body is left
 * on the connection (rq->streamed), for answer() to read as it comes.
 */
static int read_request(struct up_conn *c, struct up_req *rq)
{
	struct fh_upstream *u = c->u;
	char *end;
	size_t hlen;

	memset(rq, 0, sizeof(*rq));
	while (!c->buf || !(end = memmem(c->buf, c->len, "\r\n\r\n", 4))) {
		/* An idle connection waits longer than a request arriving. */
		if ((c->len > HEAD_MAX) ||
		    conn_fill(c, c->len ? FH_UP_IO_MS : FH_UP_IDLE_MS) <= 0)
			return 0;
	}
	hlen = end + 4 - c->buf;
	rq->head = strndup(c->buf, hlen);
	if (!rq->head)
		return 0;
	rq->head_len = hlen;
	conn_take(c, hlen);
	c->nreq++;
	atomic_fetch_add(&u->requests, 1);
	pthread_mutex_lock(&u->lock);
	free(u->last_head);
	u->last_head = strdup(rq->head);
	u->last_len = u->last_head ? hlen : 0;
	pthread_mutex_unlock(&u->lock);
	if (!parse_head(rq))
		return 0;
	rq->streamed = streams_body(rq->target);
	if (rq->streamed)
		return 1;
	if (rq->chunked)
		return read_chunked(c, rq) ? 1 : 0;
	if (rq->has_cl) {
		if (rq->cl > BODY_MAX)
			return 0;
		while (c->len < rq->cl)
			if (conn_fill(c, FH_UP_IO_MS) <= 0)
				return 0;
		if (!body_put(rq, c->buf, rq->cl))
			return 0;
		conn_take(c, rq->cl);
	}
	return 1;
}

/*
 * After a 101: every byte that comes is sent back, until the peer closes
 * or nothing comes for FH_UP_IO_MS (bounded, like every wait here).
 */
static void conn_echo_raw(struct up_conn *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	char *b = malloc(BLOCK);
	int quiet = 0;
	ssize_t n;

	if (!b)
		return;
	if (c->len && conn_send(c, c->buf, c->len))
		goto out;
	c->len = 0;
	while (!stopping(c->u) && quiet < FH_UP_IO_MS) {
		if (poll(&pfd, 1, SLICE_MS) <= 0) {
			quiet += SLICE_MS;
			continue;
		}
		quiet = 0;
		n = read(c->fd, b, BLOCK);
		if (n <= 0 || conn_send(c, b, n))
			break;
	}
out:
	free(b);
}

/* ---- answers ---- */

enum up_kind {
	K_ECHO, K_SIZE, K_CHUNKED, K_CLOSE, K_SLOW, K_HANG, K_STATUS, K_HOP,
	K_HEAD_GARBAGE, K_HUGE_HEAD, K_RESET_BEFORE_HEAD, K_RESET_MID_BODY, K_CLOSE_AFTER,
	K_WS, K_SINK,
};

static const char *const kind_names[] = {
	[K_ECHO] = "echo", [K_SIZE] = "size", [K_CHUNKED] = "chunked", [K_CLOSE] = "close",
	[K_SLOW] = "slow", [K_HANG] = "hang", [K_STATUS] = "status", [K_HOP] = "hop",
	[K_HEAD_GARBAGE] = "head-garbage", [K_HUGE_HEAD] = "huge-head",
	[K_RESET_BEFORE_HEAD] = "reset-before-head", [K_RESET_MID_BODY] = "reset-mid-body",
	[K_CLOSE_AFTER] = "close-after", [K_WS] = "ws", [K_SINK] = "sink",
};

/* The first path segment of @target naming a behaviour, its argument in *arg. */
static enum up_kind kind_of(const char *target, uint64_t *arg, bool *has_arg)
{
	const char *p = target, *end;
	size_t k;

	*has_arg = false;
	*arg = 0;
	if (!strncmp(p, "http://", 7)) {
		p = strchr(p + 7, '/');
		if (!p)
			return K_ECHO;
	}
	end = p + strcspn(p, "?#");
	while (p < end) {
		const char *seg, *se;

		while (p < end && *p == '/')
			p++;
		seg = p;
		while (p < end && *p != '/')
			p++;
		se = p;
		for (k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); k++) {
			if (strlen(kind_names[k]) != (size_t)(se - seg) ||
			    strncmp(seg, kind_names[k], se - seg))
				continue;
			/* the next segment, if it is a number */
			if (p < end && p[1] >= '0' && p[1] <= '9') {
				*arg = strtoull(p + 1, NULL, 10);
				*has_arg = true;
			}
			return (enum up_kind)k;
		}
	}
	return K_ECHO;
}

static bool streams_body(const char *target)
{
	uint64_t arg;
	bool has_arg;

	return kind_of(target, &arg, &has_arg) == K_SINK;
}

/*
 * The status line, our own fields, @extra (whole lines) and the empty
 * line, into @out.
 */
static void head_fmt(struct up_conn *c, const struct up_req *rq, char *out, size_t cap,
		     int status, const char *extra)
{
	snprintf(out, cap,
		 "HTTP/1.1 %d %s\r\nX-Upstream: %s\r\nX-Upstream-Conn: %d\r\n"
		 "X-Upstream-Req: %d\r\n%s%s\r\n",
		 status, status == 200 ? "OK" : "Whatever", c->u->tag, c->serial, c->nreq,
		 extra, rq->close ? "Connection: close\r\n" : "");
}

/* A response with a small body @body (no body for HEAD): 0 or -1. */
static int answer_small(struct up_conn *c, const struct up_req *rq, int status,
			const char *extra, const char *body, size_t len)
{
	char head[1024], fields[512];

	snprintf(fields, sizeof(fields), "%sContent-Length: %zu\r\n", extra, len);
	head_fmt(c, rq, head, sizeof(head), status, fields);
	if (conn_sends(c, head))
		return -1;
	if (!strcmp(rq->method, "HEAD"))
		return 0;
	return conn_send(c, body, len);
}

static int answer_echo(struct up_conn *c, const struct up_req *rq)
{
	size_t cap = rq->head_len * 2 + 1024 + rq->body_len, n;
	const char *p, *eol;
	char *out = malloc(cap);
	int ret;

	if (!out)
		return -1;
	n = snprintf(out, cap, "method %s\ntarget %s\nversion %s\n",
		     rq->method, rq->target, rq->version);
	p = strstr(rq->head, "\r\n") + 2;
	for (; (eol = strstr(p, "\r\n")) && eol != p; p = eol + 2)
		n += snprintf(out + n, cap - n, "header %.*s\n", (int)(eol - p), p);
	n += snprintf(out + n, cap - n, "framing %s\nbody-length %zu\n\n",
		      rq->chunked ? "chunked" : rq->has_cl ? "content-length" : "none",
		      rq->body_len);
	if (rq->body_len)
		memcpy(out + n, rq->body, rq->body_len);
	n += rq->body_len;
	ret = answer_small(c, rq, 200, "Content-Type: text/plain\r\n", out, n);
	free(out);
	return ret;
}

static int answer_chunked(struct up_conn *c, const struct up_req *rq, uint64_t total)
{
	static const size_t sizes[] = { 1, 7, 13, 100, 4097, 65537, 3, 8191, 33, 30001 };
	char head[1024], line[64];
	unsigned char *blk;
	uint64_t off = 0;
	size_t i = 0;
	int ret = 0;

	head_fmt(c, rq, head, sizeof(head), 200, "Transfer-Encoding: chunked\r\n");
	if (conn_sends(c, head))
		return -1;
	if (!strcmp(rq->method, "HEAD"))
		return 0;
	blk = malloc(70000);
	if (!blk)
		return -1;
	while (!ret && off < total) {
		size_t n = sizes[i++ % (sizeof(sizes) / sizeof(sizes[0]))];

		if (n > total - off)
			n = total - off;
		/* the first chunk carries an extension, which changes nothing */
		snprintf(line, sizeof(line), off ? "%zx\r\n" : "%zx;ext=1\r\n", n);
		memcpy(blk, line, strlen(line));
		fh_up_pattern(blk + strlen(line), off, n);
		memcpy(blk + strlen(line) + n, "\r\n", 2);
		ret = conn_send(c, blk, strlen(line) + n + 2);
		off += n;
	}
	free(blk);
	return ret ? ret : conn_sends(c, "0\r\n\r\n");
}

/* The CRLF that ends a chunk (or the body); false if anything else. */
static bool sink_crlf(struct up_conn *c)
{
	while (c->len < 2)
		if (conn_fill(c, FH_UP_IO_MS) <= 0)
			return false;
	if (memcmp(c->buf, "\r\n", 2))
		return false;
	conn_take(c, 2);
	return true;
}

/*
 * @n body bytes of a sink, from offset *@off of the bulk stream: read as
 * they come (what c->buf holds first), compared, dropped. *@diff is set to
 * the offset of the first byte that differs, if none was found before.
 * false: the connection ended or stalled first.
 */
static bool sink_take(struct up_conn *c, uint64_t n, uint64_t *off, int64_t *diff)
{
	while (n) {
		size_t k, i;

		if (!c->len && conn_fill(c, FH_UP_IO_MS) <= 0)
			return false;
		k = c->len < n ? c->len : n;
		if (k > FH_UP_BULK_PERIOD)
			k = FH_UP_BULK_PERIOD;
		if (*diff < 0 && memcmp(c->buf, fh_up_bulk(*off), k))
			for (i = 0; i < k; i++)
				if ((unsigned char)c->buf[i] != fh_up_bulk(*off)[i]) {
					*diff = (int64_t)(*off + i);
					break;
				}
		conn_take(c, k);
		*off += k;
		n -= k;
	}
	return true;
}

/*
 * sink/N: wait N ms before reading the body (the sender's bytes back up
 * meanwhile), then take it as it comes, chunked or not, comparing it with
 * the bulk stream and keeping none of it; answer with what arrived.
 */
static int answer_sink(struct up_conn *c, const struct up_req *rq, uint64_t wait_ms)
{
	uint64_t off = 0, size;
	int64_t diff = -1;
	char out[256], *eol;
	int len;

	if (!up_sleep(c->u, (int)(wait_ms < 60000 ? wait_ms : 60000)))
		return -1;
	if (!rq->chunked && rq->has_cl && !sink_take(c, rq->cl, &off, &diff))
		return -1;
	while (rq->chunked) {
		while (!(eol = memmem(c->buf, c->len, "\r\n", 2)))
			if (c->len > 4096 || conn_fill(c, FH_UP_IO_MS) <= 0)
				return -1;
		size = strtoull(c->buf, NULL, 16);
		conn_take(c, eol + 2 - c->buf);
		/* the last chunk has no trailer fields: just the empty line */
		if (size && !sink_take(c, size, &off, &diff))
			return -1;
		if (!sink_crlf(c))
			return -1;
		if (!size)
			break;
	}
	len = snprintf(out, sizeof(out), "body-length %llu\nbody-diff %lld\n",
		       (unsigned long long)off, (long long)diff);
	return answer_small(c, rq, 200, "", out, len);
}

/*
 * Answer @rq as its path says. Returns true if the connection goes on to
 * the next request; false when it is to be closed (*reset: by a reset).
 */
static bool answer(struct up_conn *c, const struct up_req *rq, bool *reset)
{
	bool head_only = !strcmp(rq->method, "HEAD"), has_arg;
	char head[1024], fields[256], *big;
	uint64_t arg;
	int st;

	*reset = false;
	switch (kind_of(rq->target, &arg, &has_arg)) {
	case K_ECHO:
		return !answer_echo(c, rq) && !rq->close;
	case K_SIZE:
		snprintf(fields, sizeof(fields), "Content-Type: application/octet-stream\r\n"
			 "Content-Length: %llu\r\n", (unsigned long long)arg);
		head_fmt(c, rq, head, sizeof(head), 200, fields);
		if (conn_sends(c, head) || (!head_only && conn_send_pattern(c, 0, arg)))
			return false;
		return !rq->close;
	case K_CHUNKED:
		return !answer_chunked(c, rq, arg) && !rq->close;
	case K_CLOSE:
		head_fmt(c, rq, head, sizeof(head), 200, "");
		if (!conn_sends(c, head) && !head_only && !conn_send_pattern(c, 0, arg))
			conn_finish(c);
		return false;
	case K_SLOW:
		if (!up_sleep(c->u, has_arg ? (int)(arg < 60000 ? arg : 60000) : 1000))
			return false;
		return !answer_small(c, rq, 200, "", "slow\n", 5) && !rq->close;
	case K_HANG:
		c->silent = true;
		return true;
	case K_STATUS:
		st = arg >= 200 && arg <= 599 ? (int)arg : 500;
		if (st == 204 || st == 304) {
			head_fmt(c, rq, head, sizeof(head), st, "");
			return !conn_sends(c, head) && !rq->close;
		}
		snprintf(fields, sizeof(fields), "status %d\n", st);
		return !answer_small(c, rq, st, "", fields, strlen(fields)) && !rq->close;
	case K_HOP:
		return !answer_small(c, rq, 200,
				     rq->close ? "" : "Connection: keep-alive, X-Resp-Hop\r\n"
				     "X-Resp-Hop: secret\r\nKeep-Alive: timeout=99\r\n"
				     "Upgrade: h2c\r\nX-End-To-End: kept\r\n", "hop\n", 4) &&
		       !rq->close;
	case K_HEAD_GARBAGE:
		if (!conn_sends(c, "HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\nok"))
			conn_finish(c);
		return false;
	case K_HUGE_HEAD:
		if (!has_arg)
			arg = 65536;
		if (arg > (16 << 20))
			arg = 16 << 20;
		big = malloc(arg + 128);
		if (!big)
			return false;
		memcpy(big, "X-Huge: ", 8);
		memset(big + 8, 'h', arg);
		strcpy(big + 8 + arg, "\r\nContent-Length: 2\r\n");
		head_fmt(c, rq, head, sizeof(head), 200, "");
		/* the status line and our fields, the huge field, the rest */
		if (!conn_send(c, head, strlen(head) - 2) && !conn_sends(c, big) &&
		    !conn_sends(c, "\r\nok"))
			conn_finish(c);
		free(big);
		return false;
	case K_RESET_BEFORE_HEAD:
		*reset = true;
		return false;
	case K_RESET_MID_BODY:
		if (!has_arg)
			arg = 1 << 20;
		snprintf(fields, sizeof(fields), "Content-Length: %llu\r\n",
			 (unsigned long long)arg);
		head_fmt(c, rq, head, sizeof(head), 200, fields);
		if (!conn_sends(c, head) && !conn_send_pattern(c, 0, arg / 2 < BLOCK ? arg / 2 : BLOCK))
			up_sleep(c->u, 300);
		*reset = true;
		return false;
	case K_CLOSE_AFTER:
		c->drop_next = true;
		return !answer_small(c, rq, 200, "", "close-after\n", 12) && !rq->close;
	case K_WS:
		/* Switched whether asked or not: the proxy must tell. */
		if (!conn_sends(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
				"Connection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n"))
			conn_echo_raw(c);
		return false;
	case K_SINK:
		return !answer_sink(c, rq, arg) && !rq->close;
	}
	return false;
}

static void *conn_main(void *arg)
{
	struct up_conn *c = arg;
	struct up_req rq;
	bool reset = false;

	while (read_request(c, &rq) == 1) {
		bool go_on;

		if (c->drop_next) {
			/* closed "while idle", the request already on its way */
			req_free(&rq);
			break;
		}
		if (c->u->mode == FH_UP_SILENT || c->silent) {
			/* a sink's body unread is no request to look for */
			if (rq.streamed)
				break;
			req_free(&rq);
			continue;
		}
		go_on = answer(c, &rq, &reset);
		req_free(&rq);
		if (!go_on)
			break;
	}
	req_free(&rq);
	conn_close(c, reset);
	return NULL;
}

static void *accept_main(void *arg)
{
	struct fh_upstream *u = arg;
	struct pollfd pfd = { .fd = u->lfd, .events = POLLIN };
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 512 << 10);
	while (!stopping(u)) {
		struct up_conn *c;
		int fd, one = 1;

		if (poll(&pfd, 1, SLICE_MS) <= 0)
			continue;
		fd = accept4(u->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		atomic_fetch_add(&u->accepts, 1);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = calloc(1, sizeof(*c));
		pthread_mutex_lock(&u->lock);
		if (!c || u->nconns == FH_UP_CONNS_MAX) {
			pthread_mutex_unlock(&u->lock);
			free(c);
			close(fd);
			continue;
		}
		c->u = u;
		c->fd = fd;
		c->serial = u->nconns + 1;
		u->conns[u->nconns++] = c;
		atomic_fetch_add(&u->open, 1);
		c->started = !pthread_create(&c->th, &attr, conn_main, c);
		if (!c->started) {
			close(fd);
			c->fd = -1;
			atomic_fetch_sub(&u->open, 1);
		}
		pthread_mutex_unlock(&u->lock);
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

/* ---- the server ---- */

struct fh_upstream *fh_upstream_start(int port, enum fh_up_mode mode, const char *tag)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct fh_upstream *u = calloc(1, sizeof(*u));
	int one = 1, i;

	if (!u)
		return NULL;
	u->port = port;
	u->mode = mode;
	snprintf(u->tag, sizeof(u->tag), "%s", tag ? tag : "up");
	for (i = 0; i < 3; i++)
		u->fill[i] = -1;
	pthread_mutex_init(&u->lock, NULL);
	u->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (u->lfd < 0)
		goto fail;
	setsockopt(u->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(u->lfd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(u->lfd, mode == FH_UP_BLACKHOLE ? 0 : 512))
		goto fail;
	if (mode == FH_UP_BLACKHOLE) {
		/*
		 * A backlog of 0 holds one connection: this one, made whole
		 * and never accepted. The two after it wait on SYNs that are
		 * dropped, as is every SYN after them.
		 */
		u->fill[0] = fh_connect("127.0.0.1", port);
		if (u->fill[0] < 0)
			goto fail;
		for (i = 1; i < 3; i++) {
			u->fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			if (u->fill[i] < 0 ||
			    (connect(u->fill[i], (struct sockaddr *)&sin, sizeof(sin)) &&
			     errno != EINPROGRESS))
				goto fail;
		}
		return u;
	}
	if (pthread_create(&u->acceptor, NULL, accept_main, u))
		goto fail;
	u->acceptor_started = true;
	return u;
fail:
	fh_upstream_stop(u);
	return NULL;
}

void fh_upstream_stop(struct fh_upstream *u)
{
	int i;

	if (!u)
		return;
	atomic_store(&u->stop, true);
	if (u->acceptor_started)
		pthread_join(u->acceptor, NULL);
	pthread_mutex_lock(&u->lock);
	for (i = 0; i < u->nconns; i++)
		if (u->conns[i]->fd >= 0)
			shutdown(u->conns[i]->fd, SHUT_RDWR);
	pthread_mutex_unlock(&u->lock);
	for (i = 0; i < u->nconns; i++) {
		struct up_conn *c = u->conns[i];

		if (c->started)
			pthread_join(c->th, NULL);
		if (c->fd >= 0)
			close(c->fd);
		free(c->buf);
		free(c);
	}
	if (u->lfd >= 0)
		close(u->lfd);
	for (i = 0; i < 3; i++)
		if (u->fill[i] >= 0)
			close(u->fill[i]);
	free(u->last_head);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

long fh_upstream_accepts(struct fh_upstream *u)
{
	return atomic_load(&u->accepts);
}

long fh_upstream_requests(struct fh_upstream *u)
{
	return atomic_load(&u->requests);
}

long fh_upstream_open(struct fh_upstream *u)
{
	return atomic_load(&u->open);
}

bool fh_upstream_wait_requests(struct fh_upstream *u, long n, int ms)
{
	long long end = fh_now_ms() + ms;

	while (fh_upstream_requests(u) < n) {
		if (fh_now_ms() > end)
			return false;
		usleep(10 * 1000);
	}
	return true;
}

bool fh_upstream_wait_open_at_most(struct fh_upstream *u, long n, int ms)
{
	long long end = fh_now_ms() + ms;

	while (fh_upstream_open(u) > n) {
		if (fh_now_ms() > end)
			return false;
		usleep(10 * 1000);
	}
	return true;
}

size_t fh_upstream_last_head(struct fh_upstream *u, char *buf, size_t cap)
{
	size_t n = 0;

	if (!cap)
		return 0;
	pthread_mutex_lock(&u->lock);
	if (u->last_head) {
		n = u->last_len < cap - 1 ? u->last_len : cap - 1;
		memcpy(buf, u->last_head, n);
	}
	pthread_mutex_unlock(&u->lock);
	buf[n] = '\0';
	return n;
}
