// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the HTTP parsers of kmod/http (plain C, no kernel dependency) in
 * the kernel: the request-head parser (a corpus that gives the same result
 * whole, split in two at every byte, byte by byte and in uneven pieces;
 * pipelining), the path normaliser (the traversal corpus), Range and
 * HTTP-date. tests/http runs the same parsers on the host; its corpus ideas
 * are reused here, its files (libc) are not.
 *
 * Every check is an assertion and every loop stops at its first failure:
 * on 6.1 a case's debugfs log holds 512 bytes, and a case that logs more
 * loses its own "not ok" line, which is how the guest sees a failure.
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/sched.h>
#include <linux/string.h>

#include "../../kmod/http/http_date.c"
#include "../../kmod/http/http_parse.c"
#include "../../kmod/http/http_path.c"
#include "../../kmod/http/http_range.c"

/* 2025-01-01 00:00:00 UTC */
#define FH_HT_NOW 1735689600LL

/* http_parse() of a literal, NULs included. */
#define FH_HT_PARSE(r, lit) http_parse(r, lit, sizeof(lit) - 1)

/* Room for the start of an input, escaped, in a failure message. */
#define FH_HT_ESC_CAP 64

/* @s (@n bytes) printable in @out, cut short with "..." if it is long. */
static const char *fh_ht_esc(char *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < n && o + 8 < FH_HT_ESC_CAP; i++) {
		unsigned char c = s[i];

		if (c == '\r' || c == '\n') {
			out[o++] = '\\';
			out[o++] = c == '\r' ? 'r' : 'n';
		} else if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = c;
		}
	}
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* ---- the request-head parser ---- */

/*
 * The corpus: each request with the limits it is parsed with and what it
 * gives fed whole: 200 for HTTP_PARSE_DONE, 0 for HTTP_PARSE_AGAIN, else
 * the status of HTTP_PARSE_ERROR.
 */
struct fh_ht_req {
	const char *s;
	size_t n;
	int want;
	u32 max_target;
	u32 max_head;
};

/* Limits small enough that some requests reach them. */
#define FH_HT_MAX_TARGET 32
#define FH_HT_MAX_HEAD 512

#define FH_HT_REQ(want, lit) \
	{ lit, sizeof(lit) - 1, want, FH_HT_MAX_TARGET, FH_HT_MAX_HEAD }
#define FH_HT_REQ_LIMITS(want, max_target, max_head, lit) \
	{ lit, sizeof(lit) - 1, want, max_target, max_head }

static const struct fh_ht_req fh_ht_corpus[] = {
	/* Served. */
	FH_HT_REQ(200, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
	FH_HT_REQ(200,
		  "GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n"
		  "Accept: */*\r\n\r\n"),
	FH_HT_REQ(200, "HEAD /a/b?c=d&e HTTP/1.1\r\nHost: example.com:8080\r\n\r\n"),
	FH_HT_REQ(200, "GET / HTTP/1.0\r\n\r\n"),
	FH_HT_REQ(200, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
	FH_HT_REQ(200, "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, close\r\n\r\n"),
	FH_HT_REQ(200, "\r\n\nGET / HTTP/1.1\nHost: a\n\n"),
	FH_HT_REQ(200, "GET http://Example.COM:81/p/q?r HTTP/1.1\r\nHost: other\r\n\r\n"),
	FH_HT_REQ(200, "GET HTTPS://[2001:db8::1]/ HTTP/1.1\r\nHost: [2001:db8::1]\r\n\r\n"),
	FH_HT_REQ(200, "GET http://a HTTP/1.1\r\nHost: a\r\n\r\n"),
	FH_HT_REQ(200, "GET http://a?x HTTP/1.0\r\n\r\n"),
	FH_HT_REQ(200, "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"),
	FH_HT_REQ(200,
		  "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n"),
	FH_HT_REQ(200,
		  "GET / HTTP/1.1\r\nHost: a\r\n"
		  "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n"),
	FH_HT_REQ(200,
		  "GET / HTTP/1.1\r\nHost: a\r\n"
		  "If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n\r\n"),
	FH_HT_REQ(200,
		  "GET / HTTP/1.1\r\nHost: a\r\n"
		  "If-Modified-Since: Sun Nov  6 08:49:37 1994\r\n\r\n"),
	FH_HT_REQ(200,
		  "GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"a\", W/\"b\"\r\n"
		  "If-None-Match: \"c\"\r\n\r\n"),
	FH_HT_REQ(200,
		  "GET / HTTP/1.1\r\nHost: a\r\n"
		  "Range: bytes=0-99, 200-\r\nIf-Range: \"x\"\r\n\r\n"),
	FH_HT_REQ(200, "GET / HTTP/1.1\r\nHost:   a   \r\nX-Empty:\r\nX-Tab:\tv\t\r\n\r\n"),
	FH_HT_REQ(200, "GET / HTTP/1.2\r\nHost: a\r\n\r\n"),
	FH_HT_REQ(200, "GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\n\r\n"),
	FH_HT_REQ_LIMITS(200, 8, 512, "GET /1234567 HTTP/1.1\r\nHost: a\r\n\r\n"),
	/* 405: a method known here but not allowed, once the head is read. */
	FH_HT_REQ(405, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"),
	FH_HT_REQ(405, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
	FH_HT_REQ(405, "PUT /x HTTP/1.1\r\nHost: a\r\n\r\n"),
	FH_HT_REQ(405, "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"),
	FH_HT_REQ(405, "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n"),
	/* 501: a method not known here (methods are case-sensitive). */
	FH_HT_REQ(501, "BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n"),
	FH_HT_REQ(501, "get / HTTP/1.1\r\nHost: a\r\n\r\n"),
	FH_HT_REQ(501, "GETGETGETGETGETGETGETGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
	FH_HT_REQ(501, "M-SEARCH / HTTP/1.1\r\nHost: a\r\n\r\n"),
	/* 400 */
	FH_HT_REQ(400, "GET  / HTTP/1.1\r\nHost: a\r\n\r\n"),
	FH_HT_REQ(400, "GET / HTTP/1.1 \r\nHost: a\r\n\r\n"),
	FH_HT_REQ(400, "GET / HTTP/1.1\rHost: a\r\n\r\n"),
	FH_HT_REQ(400, "GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
	FH_HT_REQ(400, "GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n z\r\n\r\n"),
	FH_HT_REQ(400, "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"),
	FH_HT_REQ(400, "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01z\r\n\r\n"),
	FH_HT_REQ(400, "GET / HTTP/1.1\r\nX: y\r\n\r\n"),
	FH_HT_REQ(400, "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"),
	FH_HT_REQ(400, "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
	FH_HT_REQ(400,
		  "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n"),
	FH_HT_REQ(400, "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\n"),
	FH_HT_REQ(400,
		  "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
	FH_HT_REQ(400, "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"),
	FH_HT_REQ(400, "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n"),
	FH_HT_REQ(400, "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"),
	FH_HT_REQ(400, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
	FH_HT_REQ(400, "POST / HTTP/1.1\r\n\r\n"),
	FH_HT_REQ(400, "GET * HTTP/1.1\r\nHost: a\r\n\r\n"),
	FH_HT_REQ(400, "M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n"),
	FH_HT_REQ(400, "GET a.example:443 HTTP/1.1\r\nHost: a\r\n\r\n"),
	FH_HT_REQ(400, "GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n"),
	FH_HT_REQ(400, "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n"),
	FH_HT_REQ(400, "GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n"),
	FH_HT_REQ(400, "G(T / HTTP/1.1\r\nHost: a\r\n\r\n"),
	FH_HT_REQ(400, "GET / http/1.1\r\nHost: a\r\n\r\n"),
	FH_HT_REQ(400, "GET / HTTP/1.10\r\nHost: a\r\n\r\n"),
	FH_HT_REQ(400, "GET /\r\n\r\n"),
	FH_HT_REQ(400, "\rGET / HTTP/1.1\r\n\r\n"),
	FH_HT_REQ(400, "GET / HTTP/1.1\r\nHost: a\r\n\rX"),
	FH_HT_REQ(400, "GET / HTTP/1.1\r\n: x\r\n\r\n"),
	FH_HT_REQ_LIMITS(400, 32, 4, "\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
	/* 414: a target over max_target, or a request line over max_head. */
	FH_HT_REQ(414, "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: a\r\n\r\n"),
	FH_HT_REQ_LIMITS(414, 8, 512, "GET /12345678 HTTP/1.1\r\nHost: a\r\n\r\n"),
	FH_HT_REQ_LIMITS(414, 32, 20,
			 "GET /abcdefghijklmnopqrstuvwxyz HTTP/1.1\r\nHost: a\r\n\r\n"),
	/* 431: a head over max_head. */
	FH_HT_REQ_LIMITS(431, 32, 64,
			 "GET / HTTP/1.1\r\nHost: a\r\n"
			 "X-Pad: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n\r\n"),
	FH_HT_REQ_LIMITS(431, 32, 40, "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"),
	/* 505: a well-formed version other than 1.x. */
	FH_HT_REQ(505, "GET / HTTP/2.0\r\nHost: a\r\n\r\n"),
	FH_HT_REQ(505, "GET / HTTP/3.0\r\nHost: a\r\n\r\n"),
	FH_HT_REQ(505, "GET / HTTP/0.9\r\n\r\n"),
	/* Incomplete: more is needed. */
	FH_HT_REQ(0, "GET / HTTP/1.1\r\nHost: a\r\n"),
	FH_HT_REQ(0, "GET /partial"),
	FH_HT_REQ(0, "POST / HTTP/1.1\r\nHost: a\r\n"),
	FH_HT_REQ(0, "\r\n\r\n"),
};

struct fh_ht_outcome {
	int res;
	size_t consumed;
	struct http_req r;
};

/* A pipelined stream as a server reads it: what each request gave. */
#define FH_HT_SEEN_MAX 8
#define FH_HT_SEEN_TARGET 16

struct fh_ht_seen {
	int res;
	u16 status;
	u8 method;
	bool keep_alive;
	u64 body_len;
	size_t end;		/* stream offset just past the head */
	u32 target_len;
	char target[FH_HT_SEEN_TARGET];
};

struct fh_ht_stream {
	size_t count;
	struct fh_ht_seen seen[FH_HT_SEEN_MAX];
	u32 pending;		/* head bytes of an unfinished request */
};

struct fh_ht_parse_test {
	struct fh_ht_outcome whole, part;
	struct fh_ht_stream swhole, spart;
	char esc[FH_HT_ESC_CAP];
};

static int fh_ht_parse_test_init(struct kunit *test)
{
	struct fh_ht_parse_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	test->priv = t;
	return 0;
}

static void fh_ht_start(struct http_req *r, const struct fh_ht_req *q)
{
	http_req_init(r, q->max_target, q->max_head);
	r->now = FH_HT_NOW;
}

/*
 * Feed q's bytes in pieces of sizes[] (cycled) until the parser says other
 * than AGAIN, as a connection reading a head would.
 */
static void fh_ht_feed(struct fh_ht_outcome *o, const struct fh_ht_req *q,
		       const size_t *sizes, size_t nsizes)
{
	size_t off = 0, k = 0, len;

	fh_ht_start(&o->r, q);
	o->consumed = 0;
	o->res = HTTP_PARSE_AGAIN;
	while (off < q->n) {
		len = sizes[k++ % nsizes];
		if (len > q->n - off)
			len = q->n - off;
		o->res = http_parse(&o->r, q->s + off, len);
		o->consumed += o->r.used;
		/* AGAIN that leaves bytes unused shows as a difference. */
		if (o->res != HTTP_PARSE_AGAIN || o->r.used != len)
			return;
		off += len;
	}
}

static void fh_ht_feed_whole(struct fh_ht_outcome *o, const struct fh_ht_req *q)
{
	fh_ht_feed(o, q, &q->n, 1);
}

static int fh_ht_status(const struct fh_ht_outcome *o)
{
	if (o->res == HTTP_PARSE_DONE)
		return 200;
	if (o->res == HTTP_PARSE_ERROR)
		return o->r.status;
	return 0;
}

/*
 * The first way two outcomes differ, or NULL: the result, the bytes used
 * in all, every field the parser fills in and the bytes of its buffers.
 * "used" is that of the last call, so it differs between feeds by design;
 * consumed stands for it.
 */
static const char *fh_ht_diff(const struct fh_ht_outcome *a,
			      const struct fh_ht_outcome *b)
{
	const struct http_req *x = &a->r, *y = &b->r;

	if (a->res != b->res)
		return "result";
	if (a->consumed != b->consumed)
		return "bytes consumed";
	if (x->head_len != y->head_len)
		return "head_len";
	if (x->status != y->status)
		return "status";
	if (x->method != y->method)
		return "method";
	if (x->form != y->form)
		return "form";
	if (x->version != y->version)
		return "version";
	if (x->complete != y->complete)
		return "complete";
	if (x->keep_alive != y->keep_alive)
		return "keep_alive";
	if (x->chunked != y->chunked)
		return "chunked";
	if (x->body_len != y->body_len)
		return "body_len";
	if (x->target_len != y->target_len)
		return "target_len";
	if (x->path_len != y->path_len)
		return "path_len";
	if (x->has_query != y->has_query)
		return "has_query";
	if (x->host_len != y->host_len)
		return "host_len";
	if (x->host_count != y->host_count)
		return "host_count";
	if (x->ims_valid != y->ims_valid)
		return "ims_valid";
	if (x->ims != y->ims)
		return "ims";
	if (x->inm_present != y->inm_present)
		return "inm_present";
	if (x->inm_overflow != y->inm_overflow)
		return "inm_overflow";
	if (x->inm_len != y->inm_len)
		return "inm_len";
	if (x->range_present != y->range_present)
		return "range_present";
	if (x->range_ignore != y->range_ignore)
		return "range_ignore";
	if (x->range_len != y->range_len)
		return "range_len";
	if (x->if_range_present != y->if_range_present)
		return "if_range_present";
	if (x->if_range_bad != y->if_range_bad)
		return "if_range_bad";
	if (x->if_range_len != y->if_range_len)
		return "if_range_len";
	if (memcmp(x->target, y->target, x->target_len))
		return "target";
	if (memcmp(x->host, y->host, x->host_len))
		return "host";
	if (memcmp(x->inm, y->inm, x->inm_len))
		return "inm";
	if (memcmp(x->range, y->range, x->range_len))
		return "range";
	if (memcmp(x->if_range, y->if_range, x->if_range_len))
		return "if_range";
	return NULL;
}

static void http_corpus_fed_whole_gives_the_expected_status(struct kunit *test)
{
	struct fh_ht_parse_test *t = test->priv;
	const struct fh_ht_req *q;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fh_ht_corpus); i++) {
		q = &fh_ht_corpus[i];
		fh_ht_feed_whole(&t->whole, q);
		KUNIT_ASSERT_EQ_MSG(test, fh_ht_status(&t->whole), q->want,
				    "corpus[%zu] \"%s\"", i,
				    fh_ht_esc(t->esc, q->s, q->n));
	}
}

static void http_corpus_has_every_outcome(struct kunit *test)
{
	static const int want[] = { 0, 200, 400, 405, 414, 431, 501, 505 };
	size_t i, k;

	for (k = 0; k < ARRAY_SIZE(want); k++) {
		for (i = 0; i < ARRAY_SIZE(fh_ht_corpus); i++)
			if (fh_ht_corpus[i].want == want[k])
				break;
		KUNIT_ASSERT_TRUE_MSG(test, i < ARRAY_SIZE(fh_ht_corpus),
				      "no request in the corpus gives %d",
				      want[k]);
	}
}

/* Whole against pieces of sizes[]; false (and a failure) if they differ. */
static bool fh_ht_same_in_pieces(struct kunit *test, size_t i,
				 const size_t *sizes, size_t nsizes,
				 const char *how, size_t arg)
{
	struct fh_ht_parse_test *t = test->priv;
	const struct fh_ht_req *q = &fh_ht_corpus[i];
	const char *why;

	fh_ht_feed(&t->part, q, sizes, nsizes);
	why = fh_ht_diff(&t->whole, &t->part);
	if (!why)
		return true;
	KUNIT_FAIL(test, "corpus[%zu] \"%s\" %s %zu: %s differs", i,
		   fh_ht_esc(t->esc, q->s, q->n), how, arg, why);
	return false;
}

static void http_corpus_split_in_two_at_every_byte_gives_the_same_result(struct kunit *test)
{
	struct fh_ht_parse_test *t = test->priv;
	size_t i, k, sizes[2];

	for (i = 0; i < ARRAY_SIZE(fh_ht_corpus); i++) {
		fh_ht_feed_whole(&t->whole, &fh_ht_corpus[i]);
		for (k = 1; k < fh_ht_corpus[i].n; k++) {
			sizes[0] = k;
			sizes[1] = fh_ht_corpus[i].n - k;
			if (!fh_ht_same_in_pieces(test, i, sizes, 2, "split at", k))
				return;
		}
		cond_resched();
	}
}

static void http_corpus_fed_byte_by_byte_gives_the_same_result(struct kunit *test)
{
	static const size_t one = 1;
	struct fh_ht_parse_test *t = test->priv;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fh_ht_corpus); i++) {
		fh_ht_feed_whole(&t->whole, &fh_ht_corpus[i]);
		if (!fh_ht_same_in_pieces(test, i, &one, 1, "byte by byte, piece", one))
			return;
	}
}

static void http_corpus_fed_in_uneven_pieces_gives_the_same_result(struct kunit *test)
{
	/* Empty pieces too: a read that brought nothing. */
	static const size_t sizes[][4] = {
		{ 2, 3, 5, 7 }, { 7, 1, 1, 13 }, { 3, 0, 4, 1 }, { 17, 2, 29, 1 },
	};
	struct fh_ht_parse_test *t = test->priv;
	size_t i, k;

	for (i = 0; i < ARRAY_SIZE(fh_ht_corpus); i++) {
		fh_ht_feed_whole(&t->whole, &fh_ht_corpus[i]);
		for (k = 0; k < ARRAY_SIZE(sizes); k++)
			if (!fh_ht_same_in_pieces(test, i, sizes[k], 4, "pieces", k))
				return;
	}
}

static void http_again_consumes_the_whole_piece(struct kunit *test)
{
	struct fh_ht_parse_test *t = test->priv;
	const struct fh_ht_req *q;
	size_t i, k;

	for (i = 0; i < ARRAY_SIZE(fh_ht_corpus); i++) {
		q = &fh_ht_corpus[i];
		fh_ht_start(&t->part.r, q);
		for (k = 0; k < q->n; k++) {
			if (http_parse(&t->part.r, q->s + k, 1) != HTTP_PARSE_AGAIN)
				break;
			if (t->part.r.used != 1) {
				KUNIT_FAIL(test, "corpus[%zu] \"%s\" byte %zu: AGAIN used %zu",
					   i, fh_ht_esc(t->esc, q->s, q->n), k,
					   t->part.r.used);
				return;
			}
		}
	}
}

/*
 * Read a stream of pipelined requests in pieces of sizes[] (cycled) as the
 * server does: after DONE, skip the body (body_len) and parse the next head
 * from the rest of the piece; after 405 or 501 the same if the connection
 * may be kept; stop at any other error.
 */
static void fh_ht_read_stream(struct fh_ht_stream *st, struct http_req *r,
			      const char *s, size_t n, const size_t *sizes,
			      size_t nsizes)
{
	size_t off = 0, k = 0, end, len;
	struct fh_ht_seen *seen;
	u64 skip = 0;
	int res;

	memset(st, 0, sizeof(*st));
	http_req_init(r, 0, 0);
	r->now = FH_HT_NOW;
	while (off < n) {
		end = off + sizes[k++ % nsizes];
		if (end > n)
			end = n;
		while (off < end) {
			if (skip) {
				len = end - off < skip ? end - off : skip;
				skip -= len;
				off += len;
				continue;
			}
			res = http_parse(r, s + off, end - off);
			off += r->used;
			if (res == HTTP_PARSE_AGAIN)
				break;
			if (st->count == FH_HT_SEEN_MAX)
				return;
			seen = &st->seen[st->count++];
			seen->res = res;
			seen->status = r->status;
			seen->method = r->method;
			seen->keep_alive = r->keep_alive;
			seen->body_len = r->body_len;
			seen->end = off;
			seen->target_len = r->target_len;
			memcpy(seen->target, r->target,
			       r->target_len < FH_HT_SEEN_TARGET ?
			       r->target_len : FH_HT_SEEN_TARGET);
			if (res == HTTP_PARSE_ERROR &&
			    !(r->complete && r->keep_alive))
				return;
			skip = r->body_len;
			http_req_reset(r);
		}
	}
	st->pending = r->head_len;
}

/* Each body (BODY, xy) starts the line after its head. */
static const char fh_ht_pipeline[] =
	"GET /a HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n"
	"BODYHEAD /b HTTP/1.1\r\nHost: a\r\n\r\n"
	"\r\nGET /c?q HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
	"POST /d HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n"
	"xyGET /e HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
	"GET /f HTTP/2.0\r\nHost: a\r\n\r\n";

static void http_pipelined_requests_parse_in_order(struct kunit *test)
{
	static const struct {
		int status;
		const char *target;
		bool keep_alive;
		u64 body_len;
	} want[] = {
		{ 200, "/a", true, 4 }, { 200, "/b", true, 0 },
		{ 200, "/c?q", true, 0 }, { 405, "/d", true, 2 },
		{ 200, "/e", false, 0 }, { 505, NULL, false, 0 },
	};
	struct fh_ht_parse_test *t = test->priv;
	size_t n = sizeof(fh_ht_pipeline) - 1, i;
	struct fh_ht_seen *s;

	fh_ht_read_stream(&t->swhole, &t->whole.r, fh_ht_pipeline, n, &n, 1);
	KUNIT_ASSERT_EQ(test, t->swhole.count, ARRAY_SIZE(want));
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		s = &t->swhole.seen[i];
		KUNIT_ASSERT_EQ_MSG(test, s->res == HTTP_PARSE_DONE ? 200 : s->status,
				    want[i].status, "request %zu", i);
		if (!want[i].target)
			continue;
		KUNIT_ASSERT_TRUE_MSG(test, s->target_len == strlen(want[i].target) &&
				      !memcmp(s->target, want[i].target, s->target_len),
				      "request %zu", i);
		KUNIT_ASSERT_EQ_MSG(test, s->keep_alive, want[i].keep_alive,
				    "request %zu", i);
		KUNIT_ASSERT_EQ_MSG(test, s->body_len, want[i].body_len,
				    "request %zu", i);
	}
}

/* The stream read whole against in pieces; false (and a failure) if not. */
static bool fh_ht_stream_same(struct kunit *test, const size_t *sizes,
			      size_t nsizes, const char *how, size_t arg)
{
	struct fh_ht_parse_test *t = test->priv;
	struct fh_ht_stream *a = &t->swhole, *b = &t->spart;
	size_t i;

	fh_ht_read_stream(b, &t->part.r, fh_ht_pipeline,
			  sizeof(fh_ht_pipeline) - 1, sizes, nsizes);
	if (a->count != b->count || a->pending != b->pending) {
		KUNIT_FAIL(test, "%s %zu: %zu requests, %u pending; whole: %zu, %u",
			   how, arg, b->count, b->pending, a->count, a->pending);
		return false;
	}
	for (i = 0; i < a->count; i++) {
		if (!memcmp(&a->seen[i], &b->seen[i], sizeof(a->seen[i])))
			continue;
		KUNIT_FAIL(test, "%s %zu: request %zu differs", how, arg, i);
		return false;
	}
	return true;
}

static void http_pipelined_stream_split_at_every_byte_gives_the_same_requests(struct kunit *test)
{
	struct fh_ht_parse_test *t = test->priv;
	size_t n = sizeof(fh_ht_pipeline) - 1, sizes[2], k;

	/* memcmp of seen[] compares padding too: both start zeroed. */
	fh_ht_read_stream(&t->swhole, &t->whole.r, fh_ht_pipeline, n, &n, 1);
	for (k = 1; k < n; k++) {
		sizes[0] = k;
		sizes[1] = n - k;
		if (!fh_ht_stream_same(test, sizes, 2, "split at", k))
			return;
	}
}

static void http_pipelined_stream_fed_byte_by_byte_gives_the_same_requests(struct kunit *test)
{
	static const size_t one = 1;
	struct fh_ht_parse_test *t = test->priv;
	size_t n = sizeof(fh_ht_pipeline) - 1;

	fh_ht_read_stream(&t->swhole, &t->whole.r, fh_ht_pipeline, n, &n, 1);
	fh_ht_stream_same(test, &one, 1, "byte by byte, piece", one);
}

static void http_done_is_sticky_until_reset(struct kunit *test)
{
	struct http_req *r = &((struct fh_ht_parse_test *)test->priv)->part.r;

	http_req_init(r, 0, 0);
	KUNIT_ASSERT_EQ(test, FH_HT_PARSE(r, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
			HTTP_PARSE_DONE);
	KUNIT_ASSERT_EQ(test, FH_HT_PARSE(r, "GET /x HTTP/1.1\r\n"),
			HTTP_PARSE_DONE);
	KUNIT_ASSERT_EQ(test, r->used, 0);
	http_req_reset(r);
	KUNIT_ASSERT_EQ(test, FH_HT_PARSE(r, "GET /x HTTP/1.1\r\n"),
			HTTP_PARSE_AGAIN);
}

static void http_error_is_sticky(struct kunit *test)
{
	struct http_req *r = &((struct fh_ht_parse_test *)test->priv)->part.r;

	http_req_init(r, 0, 0);
	KUNIT_ASSERT_EQ(test, FH_HT_PARSE(r, "GET  / HTTP/1.1\r\n"),
			HTTP_PARSE_ERROR);
	KUNIT_ASSERT_EQ(test, FH_HT_PARSE(r, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
			HTTP_PARSE_ERROR);
	KUNIT_ASSERT_EQ(test, r->status, 400);
	KUNIT_ASSERT_EQ(test, r->used, 0);
}

static void http_not_allowed_reports_the_whole_head_and_its_body(struct kunit *test)
{
	static const char req[] =
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc";
	struct http_req *r = &((struct fh_ht_parse_test *)test->priv)->part.r;

	http_req_init(r, 0, 0);
	KUNIT_ASSERT_EQ(test, FH_HT_PARSE(r, req), HTTP_PARSE_ERROR);
	KUNIT_ASSERT_EQ(test, r->status, 405);
	KUNIT_ASSERT_TRUE(test, r->complete);
	KUNIT_ASSERT_EQ(test, r->used, sizeof(req) - 4);
	KUNIT_ASSERT_EQ(test, r->body_len, 3);
	KUNIT_ASSERT_TRUE(test, r->keep_alive);
}

static void http_errors_before_the_head_ends_are_not_complete(struct kunit *test)
{
	struct http_req *r = &((struct fh_ht_parse_test *)test->priv)->part.r;

	http_req_init(r, 0, 0);
	KUNIT_ASSERT_EQ(test, FH_HT_PARSE(r, "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n"),
			HTTP_PARSE_ERROR);
	KUNIT_ASSERT_EQ(test, r->status, 400);
	KUNIT_ASSERT_FALSE(test, r->complete);
}

static struct kunit_case fh_http_parse_cases[] = {
	KUNIT_CASE(http_corpus_fed_whole_gives_the_expected_status),
	KUNIT_CASE(http_corpus_has_every_outcome),
	KUNIT_CASE(http_corpus_split_in_two_at_every_byte_gives_the_same_result),
	KUNIT_CASE(http_corpus_fed_byte_by_byte_gives_the_same_result),
	KUNIT_CASE(http_corpus_fed_in_uneven_pieces_gives_the_same_result),
	KUNIT_CASE(http_again_consumes_the_whole_piece),
	KUNIT_CASE(http_pipelined_requests_parse_in_order),
	KUNIT_CASE(http_pipelined_stream_split_at_every_byte_gives_the_same_requests),
	KUNIT_CASE(http_pipelined_stream_fed_byte_by_byte_gives_the_same_requests),
	KUNIT_CASE(http_done_is_sticky_until_reset),
	KUNIT_CASE(http_error_is_sticky),
	KUNIT_CASE(http_not_allowed_reports_the_whole_head_and_its_body),
	KUNIT_CASE(http_errors_before_the_head_ends_are_not_complete),
	{}
};

static struct kunit_suite fh_http_parse_suite = {
	.name = "fh_http_parse",
	.init = fh_ht_parse_test_init,
	.test_cases = fh_http_parse_cases,
};

/* ---- the path normaliser ---- */

struct fh_ht_path_test {
	char out[256];
	size_t out_len;
	bool is_dir;
	char esc[FH_HT_ESC_CAP];
	char esc2[FH_HT_ESC_CAP];
};

static int fh_ht_path_test_init(struct kunit *test)
{
	struct fh_ht_path_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	test->priv = t;
	return 0;
}

static int fh_ht_norm(struct kunit *test, const char *in, size_t n)
{
	struct fh_ht_path_test *t = test->priv;

	t->out_len = 0;
	t->is_dir = false;
	return http_path_normalize(in, n, t->out, sizeof(t->out), &t->out_len,
				   &t->is_dir);
}

/* @in (@n bytes) normalises to the string @want, a directory or not. */
static void fh_ht_expect_norm(struct kunit *test, const char *in, size_t n,
			      const char *want, bool dir)
{
	struct fh_ht_path_test *t = test->priv;
	int e = fh_ht_norm(test, in, n);

	KUNIT_ASSERT_EQ_MSG(test, e, 0, "\"%s\"", fh_ht_esc(t->esc, in, n));
	KUNIT_ASSERT_TRUE_MSG(test, t->out_len == strlen(want) &&
			      !memcmp(t->out, want, t->out_len),
			      "\"%s\" gives \"%s\"", fh_ht_esc(t->esc, in, n),
			      fh_ht_esc(t->esc2, t->out, t->out_len));
	KUNIT_ASSERT_EQ_MSG(test, t->is_dir, dir, "\"%s\"",
			    fh_ht_esc(t->esc, in, n));
}

static void fh_ht_expect_status(struct kunit *test, const char *in, size_t n,
				int status)
{
	struct fh_ht_path_test *t = test->priv;

	KUNIT_ASSERT_EQ_MSG(test, fh_ht_norm(test, in, n), status, "\"%s\"",
			    fh_ht_esc(t->esc, in, n));
}

#define FH_HT_NORM(test, lit, want, dir) \
	fh_ht_expect_norm(test, lit, sizeof(lit) - 1, want, dir)
#define FH_HT_REJECT(test, lit, status) \
	fh_ht_expect_status(test, lit, sizeof(lit) - 1, status)

static void http_path_root_is_slash_and_a_directory(struct kunit *test)
{
	FH_HT_NORM(test, "/", "/", true);
	FH_HT_NORM(test, "", "/", true);
}

static void http_path_plain_file_is_unchanged(struct kunit *test)
{
	FH_HT_NORM(test, "/a/b/c.html", "/a/b/c.html", false);
}

static void http_path_is_percent_decoded_once(struct kunit *test)
{
	FH_HT_NORM(test, "/a%20b/%41%4a%6F", "/a b/AJo", false);
	FH_HT_NORM(test, "/100%25", "/100%", false);
}

static void http_path_malformed_escape_is_400(struct kunit *test)
{
	FH_HT_REJECT(test, "/a%", 400);
	FH_HT_REJECT(test, "/a%4", 400);
	FH_HT_REJECT(test, "/a%zz", 400);
	FH_HT_REJECT(test, "/a%4g", 400);
	FH_HT_REJECT(test, "/a%%41", 400);
}

static void http_path_repeated_slashes_and_dot_segments_go(struct kunit *test)
{
	FH_HT_NORM(test, "//a///b//", "/a/b/", true);
	FH_HT_NORM(test, "/./a/./b/.", "/a/b/", true);
	FH_HT_NORM(test, "/a/.//./b", "/a/b", false);
}

static void http_path_dotdot_removes_the_segment_before_it(struct kunit *test)
{
	FH_HT_NORM(test, "/a/b/../c", "/a/c", false);
	FH_HT_NORM(test, "/a/b/../../c", "/c", false);
	FH_HT_NORM(test, "/a/b/..", "/a/", true);
	FH_HT_NORM(test, "/a/..", "/", true);
}

static void http_path_dotdot_above_the_root_is_400(struct kunit *test)
{
	FH_HT_REJECT(test, "/a/../../b", 400);
	FH_HT_REJECT(test, "/..", 400);
	FH_HT_REJECT(test, "/../etc/passwd", 400);
	FH_HT_REJECT(test, "/a/b/../../../", 400);
	FH_HT_REJECT(test, "//..", 400);
}

static void http_path_encoded_dotdot_above_the_root_is_400(struct kunit *test)
{
	FH_HT_REJECT(test, "/%2e%2e/etc/passwd", 400);
	FH_HT_REJECT(test, "/%2E%2e%2fetc", 400);
	FH_HT_REJECT(test, "/.%2E/x", 400);
	FH_HT_REJECT(test, "/a%2f..%2f..%2fx", 400);
}

static void http_path_encoded_slash_is_a_separator(struct kunit *test)
{
	FH_HT_NORM(test, "/a%2fb%2F%2Fc", "/a/b/c", false);
}

static void http_path_double_encoded_dots_stay_a_file_name(struct kunit *test)
{
	FH_HT_NORM(test, "/%252e%252e/x", "/%2e%2e/x", false);
	FH_HT_NORM(test, "/%252e%252e%252f", "/%2e%2e%2f", false);
}

static void http_path_overlong_utf8_dot_and_slash_are_bytes(struct kunit *test)
{
	FH_HT_NORM(test, "/%c0%ae%c0%ae/x", "/\xc0\xae\xc0\xae/x", false);
	FH_HT_NORM(test, "/%e0%80%ae%e0%80%ae/", "/\xe0\x80\xae\xe0\x80\xae/", true);
	FH_HT_NORM(test, "/..%c0%af..%c0%afpasswd", "/..\xc0\xaf..\xc0\xafpasswd", false);
}

static void http_path_backslash_is_an_ordinary_byte(struct kunit *test)
{
	FH_HT_NORM(test, "/..\\..\\etc", "/..\\..\\etc", false);
	FH_HT_NORM(test, "/%5c..%5c", "/\\..\\", false);
}

static void http_path_nul_raw_or_encoded_is_400(struct kunit *test)
{
	FH_HT_REJECT(test, "/a\0b", 400);
	FH_HT_REJECT(test, "/a%00b", 400);
	FH_HT_REJECT(test, "/a%00", 400);
}

static void http_path_control_characters_are_400(struct kunit *test)
{
	FH_HT_REJECT(test, "/a\x01", 400);
	FH_HT_REJECT(test, "/a\x7f", 400);
	FH_HT_REJECT(test, "/a%0D%0Ab", 400);
	FH_HT_REJECT(test, "/a%1f", 400);
	FH_HT_REJECT(test, "/a%7F", 400);
}

/* http_path_normalize() of @in into @cap bytes. */
static int fh_ht_norm_cap(const char *in, size_t cap)
{
	char small[4];
	size_t n;
	bool d;

	return http_path_normalize(in, strlen(in), small, cap, &n, &d);
}

static void http_path_output_that_does_not_fit_is_414(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, fh_ht_norm_cap("/abcd", 4), 414);
	KUNIT_ASSERT_EQ(test, fh_ht_norm_cap("/abc", 4), 0);
	KUNIT_ASSERT_EQ(test, fh_ht_norm_cap("/abc/", 4), 414);
	KUNIT_ASSERT_EQ(test, fh_ht_norm_cap("/a", 0), 414);
}

/*
 * The traversal corpus: whatever the encoding, each is 400 or a path that
 * starts with "/" and has no empty, "." or ".." segment and no NUL, so it
 * stays beneath the root once joined to it.
 */
static const char * const fh_ht_traversal[] = {
	"/../", "/..", "/../../../../etc/passwd", "/..%2f..%2fetc%2fpasswd",
	"/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E/", "/%2e%2E%2f", "/%2E%2e%2F..",
	"/.%2e/", "/%2e./", "/a/%2e%2e/%2e%2e/", "/a/b/%2e%2e%2f%2e%2e%2f%2e%2e",
	"/%252e%252e/", "/%252e%252e%252f", "/%25%32%65%25%32%65/",
	"/%c0%ae%c0%ae/", "/%c0%ae%c0%ae%c0%af", "/%e0%80%ae%e0%80%ae/",
	"/%c1%9c..", "/..\\..\\", "/%5c..%5c..%5c", "/a/..\\..\\b",
	"/a%00/../..", "/%00", "/a/.%00./", "/./././..", "/a/./../..",
	"//..//..//", "/a/b/c/../../../..", "/a/b/c/../../..", "/a/..//../",
	"/a/....//", "/.", "/./", "/a/..", "/a/.", "/%2e", "/%2e/", "/a/%2e%2e",
	"/a/%2e%2e/", "/%2f%2f..", "/%2F..%2F", "/x/%2e%2e%2f%2e%2e%2fetc",
	"/x/%2e%2e%5c%2e%2e%5cetc", "/x/..%252f..%252fetc", "/%ef%bc%8e%ef%bc%8e/",
	"/..;/", "/.;/..", "/%2e%2e;/", "/x/..%00/", "/x/.../", "/ ../",
};

/* Why the normalised path could leave the root, or NULL. */
static const char *fh_ht_escapes_root(const char *p, size_t n)
{
	size_t k, seg = 1;

	if (!n || p[0] != '/')
		return "no leading slash";
	if (memchr(p, '\0', n))
		return "a NUL";
	for (k = 1; k <= n; k++) {
		if (k < n && p[k] != '/')
			continue;
		if (k == seg && k < n)
			return "an empty segment";
		if ((k - seg == 1 && p[seg] == '.') ||
		    (k - seg == 2 && p[seg] == '.' && p[seg + 1] == '.'))
			return "a dot segment";
		seg = k + 1;
	}
	return NULL;
}

static void http_path_traversal_corpus_never_leaves_the_root(struct kunit *test)
{
	struct fh_ht_path_test *t = test->priv;
	const char *in, *why;
	size_t i;
	int e;

	for (i = 0; i < ARRAY_SIZE(fh_ht_traversal); i++) {
		in = fh_ht_traversal[i];
		e = fh_ht_norm(test, in, strlen(in));
		if (e) {
			KUNIT_ASSERT_EQ_MSG(test, e, 400, "\"%s\"", in);
			continue;
		}
		why = fh_ht_escapes_root(t->out, t->out_len);
		KUNIT_ASSERT_TRUE_MSG(test, !why, "\"%s\" gives \"%s\": %s", in,
				      fh_ht_esc(t->esc, t->out, t->out_len), why);
	}
}

static void http_path_traversal_corpus_climbs_are_400(struct kunit *test)
{
	static const char * const climbs[] = {
		"/../", "/%2e%2e/", "/%2E%2e%2f", "/.%2e", "/%2e.",
		"/a/%2e%2e/%2e%2e/x", "/a%2f%2e%2e%2f%2e%2e", "//%2e%2e//",
		"/a/b/c/../../../..", "/./././..", "/a/..//../", "/a/../../b",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(climbs); i++)
		KUNIT_ASSERT_EQ_MSG(test, fh_ht_norm(test, climbs[i], strlen(climbs[i])),
				    400, "\"%s\"", climbs[i]);
}

static const char *fh_ht_type(const char *path)
{
	return http_content_type(path, strlen(path));
}

static void http_path_content_type_follows_the_extension(struct kunit *test)
{
	KUNIT_ASSERT_STREQ(test, fh_ht_type("/index.html"), "text/html");
	KUNIT_ASSERT_STREQ(test, fh_ht_type("/a/b.tar.gz"),
			   "application/gzip");
	KUNIT_ASSERT_STREQ(test, fh_ht_type("/IMG.PNG"), "image/png");
	KUNIT_ASSERT_STREQ(test, fh_ht_type("/README"),
			   "application/octet-stream");
	KUNIT_ASSERT_STREQ(test, fh_ht_type("/dir.html/"),
			   "application/octet-stream");
}

static struct kunit_case fh_http_path_cases[] = {
	KUNIT_CASE(http_path_root_is_slash_and_a_directory),
	KUNIT_CASE(http_path_plain_file_is_unchanged),
	KUNIT_CASE(http_path_is_percent_decoded_once),
	KUNIT_CASE(http_path_malformed_escape_is_400),
	KUNIT_CASE(http_path_repeated_slashes_and_dot_segments_go),
	KUNIT_CASE(http_path_dotdot_removes_the_segment_before_it),
	KUNIT_CASE(http_path_dotdot_above_the_root_is_400),
	KUNIT_CASE(http_path_encoded_dotdot_above_the_root_is_400),
	KUNIT_CASE(http_path_encoded_slash_is_a_separator),
	KUNIT_CASE(http_path_double_encoded_dots_stay_a_file_name),
	KUNIT_CASE(http_path_overlong_utf8_dot_and_slash_are_bytes),
	KUNIT_CASE(http_path_backslash_is_an_ordinary_byte),
	KUNIT_CASE(http_path_nul_raw_or_encoded_is_400),
	KUNIT_CASE(http_path_control_characters_are_400),
	KUNIT_CASE(http_path_output_that_does_not_fit_is_414),
	KUNIT_CASE(http_path_traversal_corpus_never_leaves_the_root),
	KUNIT_CASE(http_path_traversal_corpus_climbs_are_400),
	KUNIT_CASE(http_path_content_type_follows_the_extension),
	{}
};

static struct kunit_suite fh_http_path_suite = {
	.name = "fh_http_path",
	.init = fh_ht_path_test_init,
	.test_cases = fh_http_path_cases,
};

/* ---- Range ---- */

static void fh_ht_expect_range(struct kunit *test, const char *v, u64 size,
			       int want, u64 start, u64 count)
{
	u64 s = 0, c = 0;
	int r = http_range_parse(v, strlen(v), size, &s, &c);

	KUNIT_ASSERT_EQ_MSG(test, r, want, "\"%s\" on %llu bytes", v, size);
	if (want != HTTP_RANGE_SINGLE)
		return;
	KUNIT_ASSERT_EQ_MSG(test, s, start, "\"%s\" on %llu bytes", v, size);
	KUNIT_ASSERT_EQ_MSG(test, c, count, "\"%s\" on %llu bytes", v, size);
}

static void fh_ht_expect_single(struct kunit *test, const char *v, u64 size,
				u64 start, u64 count)
{
	fh_ht_expect_range(test, v, size, HTTP_RANGE_SINGLE, start, count);
}

static void fh_ht_expect_result(struct kunit *test, const char *v, u64 size,
				int want)
{
	fh_ht_expect_range(test, v, size, want, 0, 0);
}

static void http_range_single_is_206_of_that_range(struct kunit *test)
{
	fh_ht_expect_single(test, "bytes=0-99", 1000, 0, 100);
	fh_ht_expect_single(test, "bytes=10-19", 1000, 10, 10);
	fh_ht_expect_single(test, "bytes=999-999", 1000, 999, 1);
}

static void http_range_last_beyond_the_size_is_clamped(struct kunit *test)
{
	fh_ht_expect_single(test, "bytes=500-5000", 1000, 500, 500);
}

static void http_range_suffix_is_the_last_bytes(struct kunit *test)
{
	fh_ht_expect_single(test, "bytes=-100", 1000, 900, 100);
	fh_ht_expect_single(test, "bytes=-1", 1000, 999, 1);
}

static void http_range_suffix_longer_than_the_file_is_all_of_it(struct kunit *test)
{
	fh_ht_expect_single(test, "bytes=-5000", 1000, 0, 1000);
}

static void http_range_open_ended_runs_to_the_end(struct kunit *test)
{
	fh_ht_expect_single(test, "bytes=100-", 1000, 100, 900);
}

static void http_range_first_at_or_beyond_the_size_is_unsatisfiable(struct kunit *test)
{
	fh_ht_expect_result(test, "bytes=1000-", 1000, HTTP_RANGE_UNSATISFIABLE);
	fh_ht_expect_result(test, "bytes=1000-2000", 1000, HTTP_RANGE_UNSATISFIABLE);
	fh_ht_expect_result(test, "bytes=-0", 1000, HTTP_RANGE_UNSATISFIABLE);
	fh_ht_expect_result(test, "bytes=50-60,70-", 10, HTTP_RANGE_UNSATISFIABLE);
}

static void http_range_several_satisfiable_is_multi_so_the_whole(struct kunit *test)
{
	fh_ht_expect_result(test, "bytes=0-1,5-6", 10, HTTP_RANGE_MULTI);
	fh_ht_expect_result(test, "bytes=0-1,-1", 10, HTTP_RANGE_MULTI);
	fh_ht_expect_result(test, "bytes=0-1 ,\t5-6", 10, HTTP_RANGE_MULTI);
}

static void http_range_several_with_one_satisfiable_is_that_one(struct kunit *test)
{
	fh_ht_expect_single(test, "bytes=50-60,2-3", 10, 2, 2);
	fh_ht_expect_single(test, "bytes=,,0-1,,", 10, 0, 2);
}

static void http_range_invalid_syntax_is_ignored(struct kunit *test)
{
	static const char * const bad[] = {
		"bytes=", "bytes=,", "bytes=-", "bytes=abc", "bytes=1-2-3",
		"bytes=1", "bytes=--1", "bytes=+1-2", "bytes=0x1-2",
		"bytes=1-2;x", "bytes=1-2 3-4", "bytes=0-1,a", "bytes=0 -1",
		"bytes=5-2", "bytes=0-1,5-2",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		fh_ht_expect_result(test, bad[i], 10, HTTP_RANGE_INVALID);
}

static void http_range_other_unit_is_ignored(struct kunit *test)
{
	fh_ht_expect_result(test, "items=0-1", 10, HTTP_RANGE_NONE);
	fh_ht_expect_result(test, "bytes =0-1", 10, HTTP_RANGE_NONE);
	fh_ht_expect_result(test, "0-1", 10, HTTP_RANGE_NONE);
	fh_ht_expect_single(test, "BYTES=0-1", 10, 0, 2);
}

static void http_range_numbers_beyond_64_bits_do_not_overflow(struct kunit *test)
{
	fh_ht_expect_result(test, "bytes=99999999999999999999999-", 10,
			    HTTP_RANGE_UNSATISFIABLE);
	fh_ht_expect_result(test, "bytes=18446744073709551616-", U64_MAX,
			    HTTP_RANGE_UNSATISFIABLE);
	fh_ht_expect_single(test, "bytes=2-99999999999999999999999", 10, 2, 8);
	fh_ht_expect_single(test, "bytes=-99999999999999999999999", 10, 0, 10);
	fh_ht_expect_result(test, "bytes=99999999999999999999-99999999999999999998",
			    10, HTTP_RANGE_INVALID);
	fh_ht_expect_result(test, "bytes=000099999999999999999999-99999999999999999999",
			    10, HTTP_RANGE_UNSATISFIABLE);
}

static void http_range_near_u64_max_is_exact(struct kunit *test)
{
	fh_ht_expect_single(test, "bytes=18446744073709551613-", U64_MAX,
			    U64_MAX - 2, 2);
	fh_ht_expect_single(test, "bytes=-3", U64_MAX, U64_MAX - 3, 3);
	fh_ht_expect_single(test, "bytes=0-18446744073709551615", U64_MAX,
			    0, U64_MAX);
}

static void http_range_on_an_empty_file_is_whole_or_unsatisfiable(struct kunit *test)
{
	fh_ht_expect_result(test, "bytes=0-", 0, HTTP_RANGE_NONE);
	fh_ht_expect_result(test, "bytes=-5", 0, HTTP_RANGE_NONE);
	fh_ht_expect_result(test, "bytes=1-2", 0, HTTP_RANGE_UNSATISFIABLE);
}

static struct kunit_case fh_http_range_cases[] = {
	KUNIT_CASE(http_range_single_is_206_of_that_range),
	KUNIT_CASE(http_range_last_beyond_the_size_is_clamped),
	KUNIT_CASE(http_range_suffix_is_the_last_bytes),
	KUNIT_CASE(http_range_suffix_longer_than_the_file_is_all_of_it),
	KUNIT_CASE(http_range_open_ended_runs_to_the_end),
	KUNIT_CASE(http_range_first_at_or_beyond_the_size_is_unsatisfiable),
	KUNIT_CASE(http_range_several_satisfiable_is_multi_so_the_whole),
	KUNIT_CASE(http_range_several_with_one_satisfiable_is_that_one),
	KUNIT_CASE(http_range_invalid_syntax_is_ignored),
	KUNIT_CASE(http_range_other_unit_is_ignored),
	KUNIT_CASE(http_range_numbers_beyond_64_bits_do_not_overflow),
	KUNIT_CASE(http_range_near_u64_max_is_exact),
	KUNIT_CASE(http_range_on_an_empty_file_is_whole_or_unsatisfiable),
	{}
};

static struct kunit_suite fh_http_range_suite = {
	.name = "fh_http_range",
	.test_cases = fh_http_range_cases,
};

/* ---- HTTP-date ---- */

static void fh_ht_expect_format(struct kunit *test, s64 t, const char *want)
{
	char buf[HTTP_DATE_LEN + 1];

	memset(buf, '?', sizeof(buf));
	http_date_format(t, buf);
	KUNIT_ASSERT_EQ_MSG(test, buf[HTTP_DATE_LEN], '?', "%lld", t);
	buf[HTTP_DATE_LEN] = '\0';
	KUNIT_ASSERT_STREQ(test, buf, want);
}

static void fh_ht_expect_parse(struct kunit *test, const char *s, s64 now,
			       s64 want)
{
	s64 t = -12345;

	KUNIT_ASSERT_TRUE_MSG(test, http_date_parse(s, strlen(s), now, &t),
			      "\"%s\" refused", s);
	KUNIT_ASSERT_EQ_MSG(test, t, want, "\"%s\"", s);
}

static void fh_ht_expect_refused(struct kunit *test, const char *s)
{
	s64 t = -12345;

	KUNIT_ASSERT_FALSE_MSG(test, http_date_parse(s, strlen(s), FH_HT_NOW, &t),
			       "\"%s\" accepted", s);
	KUNIT_ASSERT_EQ_MSG(test, t, -12345, "\"%s\" changed the time", s);
}

static void http_date_format_writes_imf_fixdate(struct kunit *test)
{
	fh_ht_expect_format(test, 0, "Thu, 01 Jan 1970 00:00:00 GMT");
	fh_ht_expect_format(test, 784111777, "Sun, 06 Nov 1994 08:49:37 GMT");
	fh_ht_expect_format(test, 951782400, "Tue, 29 Feb 2000 00:00:00 GMT");
	fh_ht_expect_format(test, 2147483648LL, "Tue, 19 Jan 2038 03:14:08 GMT");
}

static void http_date_format_clamps_out_of_range_times(struct kunit *test)
{
	fh_ht_expect_format(test, -1, "Thu, 01 Jan 1970 00:00:00 GMT");
	fh_ht_expect_format(test, HTTP_DATE_MAX + 1, "Fri, 31 Dec 9999 23:59:59 GMT");
	fh_ht_expect_format(test, S64_MAX, "Fri, 31 Dec 9999 23:59:59 GMT");
}

static void http_date_parse_imf_fixdate(struct kunit *test)
{
	fh_ht_expect_parse(test, "Sun, 06 Nov 1994 08:49:37 GMT", FH_HT_NOW, 784111777);
}

static void http_date_parse_rfc850(struct kunit *test)
{
	fh_ht_expect_parse(test, "Sunday, 06-Nov-94 08:49:37 GMT", FH_HT_NOW, 784111777);
}

static void http_date_parse_asctime(struct kunit *test)
{
	fh_ht_expect_parse(test, "Sun Nov  6 08:49:37 1994", FH_HT_NOW, 784111777);
	fh_ht_expect_parse(test, "Wed Nov 16 08:49:37 1994", FH_HT_NOW, 784975777);
}

static void http_date_rfc850_year_is_within_50_years_of_now(struct kunit *test)
{
	fh_ht_expect_parse(test, "Tuesday, 01-Jan-30 00:00:00 GMT", FH_HT_NOW, 1893456000);
	fh_ht_expect_parse(test, "Thursday, 01-Jan-76 00:00:00 GMT", FH_HT_NOW, 189302400);
	/* In 2090, "94" is 2094. */
	fh_ht_expect_parse(test, "Sunday, 06-Nov-94 08:49:37 GMT", 3786912000LL,
			   3939871777LL);
}

static void http_date_parse_refuses_what_names_no_instant(struct kunit *test)
{
	fh_ht_expect_refused(test, "Sun, 30 Feb 2025 00:00:00 GMT");
	fh_ht_expect_refused(test, "Thu, 29 Feb 1900 00:00:00 GMT");
	fh_ht_expect_refused(test, "Thu, 31 Apr 2025 00:00:00 GMT");
	fh_ht_expect_refused(test, "Sun, 06 Nov 1994 24:00:00 GMT");
	fh_ht_expect_refused(test, "Sun, 00 Nov 1994 08:49:37 GMT");
}

static void http_date_parse_refuses_anything_but_the_three_formats(struct kunit *test)
{
	static const char * const bad[] = {
		"", "Sun", "Sun, 06 Nov 1994 08:49:37 UTC",
		"Sun, 06 Nov 1994 08:49:37 GMT ", " Sun, 06 Nov 1994 08:49:37 GMT",
		"Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06-Nov-1994 08:49:37 GMT",
		"sun, 06 Nov 1994 08:49:37 GMT", "Sun, 06 nov 1994 08:49:37 GMT",
		"Sunday, 06-Nov-1994 08:49:37 GMT", "Sun Nov 6 08:49:37 1994",
		"Sun Nov  6 08:49:37 1994 GMT", "1994-11-06T08:49:37Z",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		fh_ht_expect_refused(test, bad[i]);
}

static void http_date_three_formats_of_one_instant_agree(struct kunit *test)
{
	static const char * const forms[] = {
		"Thu, 29 Feb 2024 12:34:56 GMT",
		"Thursday, 29-Feb-24 12:34:56 GMT",
		"Thu Feb 29 12:34:56 2024",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(forms); i++)
		fh_ht_expect_parse(test, forms[i], FH_HT_NOW, 1709210096);
}

/* Format then parse: the same time, for @n times from @t0 by @step. */
static void fh_ht_round_trips(struct kunit *test, s64 t0, s64 step, s64 n)
{
	char buf[HTTP_DATE_LEN];
	s64 i, t, back;

	for (i = 0; i < n; i++) {
		t = t0 + i * step;
		http_date_format(t, buf);
		back = -1;
		if (!http_date_parse(buf, sizeof(buf), FH_HT_NOW, &back) ||
		    back != t) {
			KUNIT_FAIL(test, "%lld formats as \"%.29s\", parsed back as %lld",
				   t, buf, back);
			return;
		}
		if (!(i & 4095))
			cond_resched();
	}
}

static void http_date_format_then_parse_round_trips_to_9999(struct kunit *test)
{
	/* An odd step: every second, minute and hour gets its turn. */
	fh_ht_round_trips(test, 0, 86399LL * 37 + 12345,
			  HTTP_DATE_MAX / (86399LL * 37 + 12345) + 1);
	fh_ht_round_trips(test, HTTP_DATE_MAX, 1, 1);
}

static void http_date_every_day_of_four_centuries_round_trips(struct kunit *test)
{
	/* 1970 to 2370: every leap rule (4, 100, 400) and every month end. */
	fh_ht_round_trips(test, 43199, 86400, 146097);
}

static struct kunit_case fh_http_date_cases[] = {
	KUNIT_CASE(http_date_format_writes_imf_fixdate),
	KUNIT_CASE(http_date_format_clamps_out_of_range_times),
	KUNIT_CASE(http_date_parse_imf_fixdate),
	KUNIT_CASE(http_date_parse_rfc850),
	KUNIT_CASE(http_date_parse_asctime),
	KUNIT_CASE(http_date_rfc850_year_is_within_50_years_of_now),
	KUNIT_CASE(http_date_parse_refuses_what_names_no_instant),
	KUNIT_CASE(http_date_parse_refuses_anything_but_the_three_formats),
	KUNIT_CASE(http_date_three_formats_of_one_instant_agree),
	KUNIT_CASE(http_date_format_then_parse_round_trips_to_9999),
	KUNIT_CASE(http_date_every_day_of_four_centuries_round_trips),
	{}
};

static struct kunit_suite fh_http_date_suite = {
	.name = "fh_http_date",
	.test_cases = fh_http_date_cases,
};

kunit_test_suites(&fh_http_parse_suite, &fh_http_path_suite,
		  &fh_http_range_suite, &fh_http_date_suite);
