/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_HTTP_PARSE_H
#define _FH_HTTP_PARSE_H

#include "http_types.h"

/*
 * An incremental HTTP/1.x request-head parser (RFC 9112, RFC 9110).
 *
 * The caller keeps one struct http_req per connection and feeds it the
 * bytes as they arrive, in pieces of any size (the segments of a chain):
 *
 *	http_req_init(r, max_target, max_head);
 *	r->now = <seconds since the epoch>;
 *	switch (http_parse(r, buf, len)) {
 *	case HTTP_PARSE_AGAIN:	all len bytes consumed, the head goes on
 *	case HTTP_PARSE_DONE:	the head ends at buf[r->used - 1]
 *	case HTTP_PARSE_ERROR:	answer r->status
 *	}
 *
 * Each byte is looked at once: a head trickled in byte by byte is never
 * re-parsed, and the bytes given need not be kept, since what the parser
 * needs (the target, a few header values) is copied into the struct. After
 * DONE, http_req_reset() makes it ready for the next pipelined request,
 * whose bytes start at buf + r->used.
 *
 * Errors, in r->status: 400 (malformed request line or header field, a
 * missing or repeated Host on HTTP/1.1, Content-Length and
 * Transfer-Encoding together, a bad or conflicting Content-Length, any
 * Transfer-Encoding on GET, HEAD or HTTP/1.0), 414 (request-target longer
 * than max_target, or a request line longer than max_head), 431 (head longer
 * than max_head), 505 (HTTP-version well-formed but not 1.x), and, only
 * once the whole head has been read and found valid, 405 (a method this
 * server knows but does not allow: answer with "Allow: GET, HEAD") or 501
 * (a method it does not know). After 405 or 501 r->complete is set and
 * r->used, r->keep_alive, r->body_len and r->chunked are valid as after
 * DONE; after any other error the stream cannot be trusted: answer and
 * close.
 */

/*
 * Capacities of the buffers in struct http_req. 8192 for the target: nginx
 * takes a request line of up to 8k (large_client_header_buffers).
 */
#define HTTP_TARGET_CAP		8192
#define HTTP_HOST_CAP		256
#define HTTP_INM_CAP		512
#define HTTP_RANGE_CAP		256
#define HTTP_IF_RANGE_CAP	128
#define HTTP_SCRATCH_CAP	256

/* max_head when the caller gives 0, and the largest it may give. */
#define HTTP_HEAD_DEFAULT	32768
#define HTTP_HEAD_MAX		0x40000000U

enum http_method {
	HTTP_METHOD_OTHER,	/* a token naming no method known here */
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_POST,
	HTTP_METHOD_PUT,
	HTTP_METHOD_DELETE,
	HTTP_METHOD_CONNECT,
	HTTP_METHOD_OPTIONS,
	HTTP_METHOD_TRACE,
	HTTP_METHOD_PATCH,
};

enum http_form {
	HTTP_FORM_ORIGIN,	/* /path?query */
	HTTP_FORM_ABSOLUTE,	/* http://host[:port]/path?query */
	HTTP_FORM_AUTHORITY,	/* host:port, CONNECT only (405) */
	HTTP_FORM_ASTERISK,	/* *, OPTIONS only (405) */
};

enum http_parse_result {
	HTTP_PARSE_AGAIN,
	HTTP_PARSE_DONE,
	HTTP_PARSE_ERROR,
};

struct http_req {
	/* Limits (http_req_init()) and the clock; kept by http_req_reset(). */
	u32 max_target;		/* longest request-target; longer: 414 */
	u32 max_head;		/* longest head, request line included */
	s64 now;		/* seconds since the epoch, for dates */

	/* Everything from here to target[] is cleared by http_req_reset(). */
	size_t used;		/* bytes of the last http_parse() buffer used */
	u32 head_len;		/* bytes of this head so far */
	u16 status;		/* after HTTP_PARSE_ERROR */
	u8 method;		/* enum http_method */
	u8 form;		/* enum http_form */
	u8 version;		/* 10 or 11 (any HTTP/1.x above 1.1 is 11) */
	bool complete;		/* the whole head was read */
	bool keep_alive;	/* the connection may carry another request */
	/*
	 * The body that follows the head. GET and HEAD get only body_len
	 * (Content-Length, 0 if none): read and discard that many bytes, as
	 * nginx does, and the next request follows. chunked is only ever set
	 * with 405 or 501, and then keep_alive is false: the body cannot be
	 * skipped without decoding it.
	 */
	bool chunked;
	u64 body_len;

	/*
	 * target[]: the request-target rewritten to origin-form: the path,
	 * then "?" and the query if has_query. Not decoded: see http_path.h.
	 * An absolute-form target leaves its authority in host[] and an
	 * empty path becomes "/".
	 */
	u32 target_len;
	u32 path_len;
	bool has_query;

	/*
	 * host[]: the authority (host[:port], as received). From an
	 * absolute-form target if there is one, as RFC 9112 3.2.2 requires,
	 * else from the Host field (validated either way).
	 */
	u16 host_len;
	u8 host_count;		/* Host field lines (more than one is 400) */

	/*
	 * If-Modified-Since, parsed. Not valid (so ignored, RFC 9110 13.1.3)
	 * if it is not an HTTP-date, is later than now, or was sent twice.
	 */
	bool ims_valid;
	s64 ims;

	/*
	 * If-None-Match, raw (repeated lines joined by ", "). If it did not
	 * fit, inm_overflow is set and http_req_not_modified() never answers
	 * 304: a full 200 is always a correct answer to GET.
	 */
	bool inm_present;
	bool inm_overflow;
	u16 inm_len;

	/*
	 * Range, raw, for http_range_parse(). range_ignore: it was sent
	 * twice or did not fit; serve the whole representation.
	 */
	bool range_present;
	bool range_ignore;
	u16 range_len;

	/* If-Range, raw, for http_req_if_range(). */
	bool if_range_present;
	bool if_range_bad;	/* sent twice or too long: never matches */
	u16 if_range_len;

	/* The parser's own state. */
	struct {
		u8 state;
		u8 field;	/* which field's value is being read */
		u8 mlen;
		u8 vpos;	/* bytes of HTTP-version read */
		u8 vmajor;
		u8 vminor;
		u8 nlen;
		u8 tlen;
		u8 lstate;	/* list element: leading, token, after */
		u8 clstate;	/* Content-Length element state */
		bool tjunk;	/* list element has more than a token */
		bool vover;	/* value did not fit its buffer */
		bool te_seen;
		bool te_chunked;
		bool conn_close;
		bool conn_keep_alive;
		bool cl_seen;
		bool ims_seen;
		u32 vlen;	/* value bytes stored */
		u32 vtrim;	/* ... up to the last non-OWS byte */
		u64 cl;
		u64 cl_cur;
		char mbuf[8];
		char name[20];
		char tok[12];
	} p;

	char target[HTTP_TARGET_CAP];
	char host[HTTP_HOST_CAP];
	char inm[HTTP_INM_CAP];
	char range[HTTP_RANGE_CAP];
	char if_range[HTTP_IF_RANGE_CAP];
	char scratch[HTTP_SCRATCH_CAP];
};

/*
 * Set the limits and clear the rest. @max_target (1..HTTP_TARGET_CAP; 0 or
 * more: HTTP_TARGET_CAP) bounds the request-target; @max_head (0:
 * HTTP_HEAD_DEFAULT; at most HTTP_HEAD_MAX) bounds the head, counting
 * every byte from the first of the request line (or of the empty lines
 * before it) to the last of the empty line that ends it.
 */
void http_req_init(struct http_req *r, u32 max_target, u32 max_head);

/* Ready for the next request; limits and now are kept. */
void http_req_reset(struct http_req *r);

enum http_parse_result http_parse(struct http_req *r, const char *buf,
				  size_t len);

/* The name of a known method ("GET"), NULL for HTTP_METHOD_OTHER. */
const char *http_method_name(enum http_method m);

/* The path and the query (without "?") inside r->target. */
static inline const char *http_req_path(const struct http_req *r,
					size_t *len)
{
	*len = r->path_len;
	return r->target;
}

static inline const char *http_req_query(const struct http_req *r,
					 size_t *len)
{
	*len = r->has_query ? r->target_len - r->path_len - 1 : 0;
	return r->target + r->target_len - *len;
}

/*
 * Weak comparison (RFC 9110 8.8.3.2) of @etag (an entity-tag as the server
 * sends it: "\"xyz\"" or "W/\"xyz\"") with each member of an If-None-Match
 * value @list; "*" matches any. A malformed list never matches, so the
 * answer is a full 200.
 */
bool http_etag_match_weak(const char *list, size_t len, const char *etag,
			  size_t etag_len);

/*
 * Whether a GET or HEAD of a representation with validator @etag (may be
 * NULL) and modification time @mtime is answered 304 (RFC 9110 13.2.2):
 * If-None-Match if present (weak comparison), else If-Modified-Since
 * (mtime no later than it).
 */
bool http_req_not_modified(const struct http_req *r, const char *etag,
			   size_t etag_len, s64 mtime);

/*
 * Whether to apply the Range field (with http_range_parse() on r->range):
 * only for GET (RFC 9110 14.2: range handling is defined for GET alone),
 * with one Range line that fitted, and, if If-Range is present, only when
 * it holds a strong entity-tag identical to @etag (itself strong; may be
 * NULL) or an HTTP-date equal to @mtime (RFC 9110 13.1.5, compared as
 * nginx does). Evaluate it after http_req_not_modified().
 */
bool http_req_use_range(const struct http_req *r, const char *etag,
			size_t etag_len, s64 mtime);

#endif /* _FH_HTTP_PARSE_H */
