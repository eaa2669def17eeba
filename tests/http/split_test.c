// SPDX-License-Identifier: GPL-2.0
/*
 * The parser's incremental property: every request of a corpus, fed whole,
 * split in two at every byte boundary, fed byte by byte, or in pieces of
 * varying sizes, gives the identical result (outcome, status, bytes
 * consumed, and every field it extracted).
 */
#include <stdio.h>
#include <stdlib.h>

#include "ht.h"
#include "http_parse.h"

#define NOW 1735689600LL

struct corpus {
	const char *s;
	size_t n;
};

#define C(lit) { lit, sizeof(lit) - 1 }

static const struct corpus corpus[] = {
	C("GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
	C("GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n"),
	C("HEAD /a/b?c=d&e HTTP/1.1\r\nHost: example.com:8080\r\n\r\n"),
	C("GET / HTTP/1.0\r\n\r\n"),
	C("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
	C("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, close\r\n\r\n"),
	C("\r\n\nGET / HTTP/1.1\nHost: a\n\n"),
	C("GET http://Example.COM:81/p/q?r HTTP/1.1\r\nHost: other\r\n\r\n"),
	C("GET HTTPS://[2001:db8::1]/ HTTP/1.1\r\nHost: [2001:db8::1]\r\n\r\n"),
	C("GET http://a HTTP/1.1\r\nHost: a\r\n\r\n"),
	C("GET http://a?x HTTP/1.0\r\n\r\n"),
	C("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"),
	C("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n"),
	C("GET / HTTP/1.1\r\nHost: a\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n"),
	C("GET / HTTP/1.1\r\nHost: a\r\nIf-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n\r\n"),
	C("GET / HTTP/1.1\r\nHost: a\r\nIf-Modified-Since: Sun Nov  6 08:49:37 1994\r\n\r\n"),
	C("GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"a\", W/\"b\"\r\nIf-None-Match: \"c\"\r\n\r\n"),
	C("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-99, 200-\r\nIf-Range: \"x\"\r\n\r\n"),
	C("GET / HTTP/1.1\r\nHost:   a   \r\nX-Empty:\r\nX-Tab:\tv\t\r\n\r\n"),
	C("GET / HTTP/1.2\r\nHost: a\r\n\r\n"),
	C("GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\n\r\n"),
	C("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"),
	C("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
	C("PUT /x HTTP/1.1\r\nHost: a\r\n\r\n"),
	C("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"),
	C("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n"),
	C("BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n"),
	C("get / HTTP/1.1\r\nHost: a\r\n\r\n"),
	/* 400s */
	C("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"),
	C("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"),
	C("GET / HTTP/1.1\rHost: a\r\n\r\n"),
	C("GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
	C("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n z\r\n\r\n"),
	C("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"),
	C("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01" "b\r\n\r\n"),
	C("GET / HTTP/1.1\r\nX: y\r\n\r\n"),
	C("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"),
	C("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
	C("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"),
	C("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\n"),
	C("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
	C("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"),
	C("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"),
	C("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
	C("GET * HTTP/1.1\r\nHost: a\r\n\r\n"),
	C("GET a.example:443 HTTP/1.1\r\nHost: a\r\n\r\n"),
	C("GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n"),
	C("GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n"),
	C("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"),
	C("GET / http/1.1\r\nHost: a\r\n\r\n"),
	C("GET / HTTP/1.10\r\nHost: a\r\n\r\n"),
	C("GET /\r\n\r\n"),
	C("\rGET / HTTP/1.1\r\n\r\n"),
	C("GET / HTTP/1.1\r\nHost: a\r\n\rX"),
	C("GET / HTTP/1.1\r\n: x\r\n\r\n"),
	/* 414 at MAX_TARGET 64 */
	C("GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: a\r\n\r\n"),
	/* 505 */
	C("GET / HTTP/2.0\r\nHost: a\r\n\r\n"),
	C("GET / HTTP/0.9\r\n\r\n"),
	/* incomplete: needs more */
	C("GET / HTTP/1.1\r\nHost: a\r\n"),
	C("GET /partial"),
};

#define NCORPUS (sizeof(corpus) / sizeof(corpus[0]))

/* Limits small enough that some corpus entries hit them too. */
#define MAX_TARGET 64
#define MAX_HEAD 512

struct outcome {
	int res;
	size_t consumed;
	struct http_req r;
};

static void start(struct http_req *r)
{
	http_req_init(r, MAX_TARGET, MAX_HEAD);
	r->now = NOW;
}

/* Feed @s in pieces of the given sizes (cycled), until not AGAIN. */
static void feed(struct outcome *o, const char *s, size_t n,
		 const size_t *sizes, size_t nsizes)
{
	size_t off = 0, k = 0;

	start(&o->r);
	o->consumed = 0;
	o->res = HTTP_PARSE_AGAIN;
	while (off < n) {
		size_t len = sizes[k++ % nsizes];

		if (len > n - off)
			len = n - off;
		o->res = http_parse(&o->r, s + off, len);
		o->consumed += o->r.used;
		if (o->res != HTTP_PARSE_AGAIN)
			return;
		if (o->r.used != len)
			return;	/* AGAIN must consume all: caught below */
		off += len;
	}
}

static bool bytes_same(const char *a, const char *b, size_t n)
{
	return memcmp(a, b, n) == 0;
}

/* Every result field the same; describe the first difference in why. */
static bool same(const struct outcome *a, const struct outcome *b,
		 char *why, size_t wlen)
{
	const struct http_req *x = &a->r, *y = &b->r;

#define SAME(f)								\
	do {								\
		if ((long long)(x->f) != (long long)(y->f)) {		\
			snprintf(why, wlen, #f " %lld vs %lld",		\
				 (long long)(x->f), (long long)(y->f));	\
			return false;					\
		}							\
	} while (0)
#define SAME_BUF(f, len)						\
	do {								\
		if (!bytes_same(x->f, y->f, x->len)) {			\
			snprintf(why, wlen, #f " differs");		\
			return false;					\
		}							\
	} while (0)

	if (a->res != b->res) {
		snprintf(why, wlen, "result %d vs %d", a->res, b->res);
		return false;
	}
	if (a->consumed != b->consumed) {
		snprintf(why, wlen, "consumed %zu vs %zu", a->consumed,
			 b->consumed);
		return false;
	}
	SAME(status);
	SAME(head_len);
	SAME(method);
	SAME(version);
	SAME(complete);
	if (a->res == HTTP_PARSE_ERROR && !x->complete)
		return true;
	SAME(form);
	SAME(keep_alive);
	SAME(chunked);
	SAME(body_len);
	SAME(target_len);
	SAME(path_len);
	SAME(has_query);
	SAME_BUF(target, target_len);
	SAME(host_len);
	SAME(host_count);
	SAME_BUF(host, host_len);
	SAME(ims_valid);
	SAME(ims);
	SAME(inm_present);
	SAME(inm_overflow);
	SAME(inm_len);
	SAME_BUF(inm, inm_len);
	SAME(range_present);
	SAME(range_ignore);
	SAME(range_len);
	SAME_BUF(range, range_len);
	SAME(if_range_present);
	SAME(if_range_bad);
	SAME(if_range_len);
	SAME_BUF(if_range, if_range_len);
	return true;
#undef SAME
#undef SAME_BUF
}

static struct outcome whole, part;

TEST(corpus_split_at_every_byte_gives_the_same_result)
{
	char why[128];
	size_t i, k;

	for (i = 0; i < NCORPUS; i++) {
		size_t all = corpus[i].n;

		feed(&whole, corpus[i].s, corpus[i].n, &all, 1);
		for (k = 0; k <= corpus[i].n; k++) {
			size_t sizes[2] = { k, corpus[i].n - k };

			if (k == 0)
				sizes[0] = corpus[i].n;
			feed(&part, corpus[i].s, corpus[i].n, sizes, 2);
			CHECK(same(&whole, &part, why, sizeof(why)),
			      "corpus[%zu] \"%s\" split at %zu: %s", i,
			      ht_esc(corpus[i].s, corpus[i].n), k, why);
		}
	}
}

TEST(corpus_fed_byte_by_byte_gives_the_same_result)
{
	static const size_t one = 1;
	char why[128];
	size_t i;

	for (i = 0; i < NCORPUS; i++) {
		size_t all = corpus[i].n;

		feed(&whole, corpus[i].s, corpus[i].n, &all, 1);
		feed(&part, corpus[i].s, corpus[i].n, &one, 1);
		CHECK(same(&whole, &part, why, sizeof(why)),
		      "corpus[%zu] \"%s\" byte by byte: %s", i,
		      ht_esc(corpus[i].s, corpus[i].n), why);
	}
}

TEST(corpus_fed_in_uneven_pieces_gives_the_same_result)
{
	static const size_t sizes[][4] = {
		{ 2, 3, 5, 7 }, { 7, 1, 1, 13 }, { 3, 0, 4, 1 }, { 17, 2, 29, 1 },
	};
	char why[128];
	size_t i, k;

	for (i = 0; i < NCORPUS; i++) {
		size_t all = corpus[i].n;

		feed(&whole, corpus[i].s, corpus[i].n, &all, 1);
		for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			feed(&part, corpus[i].s, corpus[i].n, sizes[k], 4);
			CHECK(same(&whole, &part, why, sizeof(why)),
			      "corpus[%zu] \"%s\" pieces %zu: %s", i,
			      ht_esc(corpus[i].s, corpus[i].n), k, why);
		}
	}
}

TEST(corpus_has_every_outcome)
{
	bool seen[600] = { false };
	size_t i, all;
	static const int want[] = { 0, 200, 400, 405, 414, 501, 505 };

	for (i = 0; i < NCORPUS; i++) {
		all = corpus[i].n;
		feed(&whole, corpus[i].s, corpus[i].n, &all, 1);
		if (whole.res == HTTP_PARSE_DONE)
			seen[200] = true;
		else if (whole.res == HTTP_PARSE_ERROR)
			seen[whole.r.status] = true;
		else
			seen[0] = true;
	}
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK(seen[want[i]], "no corpus entry gives %d", want[i]);
}

TEST(again_always_consumes_the_whole_piece)
{
	size_t i, k;

	for (i = 0; i < NCORPUS; i++) {
		start(&part.r);
		for (k = 0; k < corpus[i].n; k++) {
			int res = http_parse(&part.r, corpus[i].s + k, 1);

			if (res != HTTP_PARSE_AGAIN)
				break;
			CHECK_INT(part.r.used, 1);
		}
	}
}

/* A long target and a large head, in pieces: limits hold across calls. */
TEST(limits_hold_across_pieces)
{
	static char req[2048];
	static const size_t one = 1, three = 3;
	int n;

	n = sprintf(req, "GET /");
	memset(req + n, 'a', MAX_TARGET);
	n += MAX_TARGET;
	n += sprintf(req + n, " HTTP/1.1\r\nHost: a\r\n\r\n");
	feed(&part, req, n, &one, 1);
	CHECK_INT(part.res, HTTP_PARSE_ERROR);
	CHECK_INT(part.r.status, 414);

	n = sprintf(req, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
	memset(req + n, 'x', MAX_HEAD);
	n += MAX_HEAD;
	n += sprintf(req + n, "\r\n\r\n");
	feed(&part, req, n, &three, 1);
	CHECK_INT(part.res, HTTP_PARSE_ERROR);
	CHECK_INT(part.r.status, 431);
}

/*
 * A cheap fuzz: random bytes from an alphabet of the parser's special
 * characters, whole against byte by byte. A crash or sanitizer report
 * fails the run; so does any difference.
 */
TEST(random_heads_split_give_the_same_result)
{
	static const char alphabet[] = "GET HTTP/1.0\r\n:Host,a \t\0\x01\x80"
				       "Content-Length5Transfer-Encodingchunked"
				       "If-Range\"W/*?#%";
	static const size_t one = 1;
	static char buf[256];
	unsigned int seed = 12345;
	char why[128];
	int iter;
	size_t i, n, all;

	for (iter = 0; iter < 20000; iter++) {
		n = sprintf(buf, "GET / HTTP/1.1\r\n");
		seed = seed * 1103515245 + 12345;
		for (i = 0; i < (seed >> 16) % 120; i++) {
			seed = seed * 1103515245 + 12345;
			buf[n++] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		all = n;
		feed(&whole, buf, n, &all, 1);
		feed(&part, buf, n, &one, 1);
		CHECK(same(&whole, &part, why, sizeof(why)), "\"%s\": %s",
		      ht_esc(buf, n), why);
	}
}
