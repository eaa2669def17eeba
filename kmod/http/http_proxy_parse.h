/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_HTTP_PROXY_PARSE_H
#define _FH_HTTP_PROXY_PARSE_H

#include "http_types.h"

/*
 * What the reverse proxy parses and writes on the way through (plain C:
 * builds in userspace for the unit tests and the fuzzer).
 *
 * A request head the client side already accepted (http_parse.c) is
 * re-framed for the upstream: http_proxy_request(). An upstream's response
 * head is checked and re-framed for the client: http_resp_parse(). Bodies
 * framed as chunked are followed, not decoded, by http_chunk_run(): the
 * bytes pass through by reference and only the framing is looked at.
 */

/* Header names a Connection field may make hop-by-hop, kept per head. */
#define HTTP_PROXY_CONN_NAMES	8
#define HTTP_PROXY_CONN_NAME	32

/*
 * Re-frame the head in[0..len) (request line and fields, ending with its
 * empty line) for an upstream: HTTP/1.1, hop-by-hop fields dropped
 * (Connection and the fields it names, Keep-Alive, TE, Trailer, Upgrade,
 * Proxy-*, Expect: the proxy answers 100-continue itself), the client's
 * address @xff appended to X-Forwarded-For (earlier values kept, in one
 * field), X-Forwarded-Proto set to http, and a Host of @host added if the
 * request had none (HTTP/1.0). A GET asking for a WebSocket (Connection:
 * upgrade and Upgrade: websocket) keeps its Upgrade field and says
 * "Connection: upgrade", and *upgrade is set: after a 101 the proxy
 * becomes a tunnel. Returns the bytes written to out[0..cap), or -1 if
 * they do not fit or the head is not one http_parse() accepted.
 */
long http_proxy_request(const char *in, size_t len, char *out, size_t cap,
			const char *xff, const char *host, bool *upgrade);

/* The head asks for "Expect: 100-continue". */
bool http_proxy_expects_continue(const char *in, size_t len);

/* An upstream's response head, as http_resp_parse() found it. */
struct http_resp {
	u16 status;
	u8 version;		/* 10 or 11 */
	bool chunked;		/* Transfer-Encoding ends with chunked */
	bool other_te;		/* ... or is something else: read to close */
	bool has_cl;
	u64 cl;
	bool conn_close;	/* the upstream closes after this response */
	bool conn_keep;		/* HTTP/1.0 with keep-alive */
	bool has_date;		/* a Date field: else the proxy adds one */
};

/*
 * The length of the head at in[0..len), through its empty line (CRLF or
 * a bare LF, as nginx takes), or 0 if it has not all arrived.
 */
size_t http_resp_head_len(const char *in, size_t len);

/*
 * Parse the response head in[0..len) (whole: see http_resp_head_len()) and
 * write it for the client to out[0..cap): status line as HTTP/1.1, fields
 * but the hop-by-hop ones (Connection and what it names, Keep-Alive, TE,
 * Trailer, Upgrade, Proxy-Connection; Transfer-Encoding too if @dechunk;
 * a 101 to an @upgrade request keeps its Upgrade field),
 * without the empty line: the caller adds its own Connection field and
 * the end. Returns the bytes written, or -1: a malformed status line or
 * field, a bad or conflicting Content-Length, obsolete line folding, or
 * no room.
 */
long http_resp_parse(const char *in, size_t len, struct http_resp *r,
		     char *out, size_t cap, bool dechunk, bool upgrade);

/* Following a chunked body (RFC 9112 7.1). Zero it to start. */
struct http_chunk {
	u8 state;
	u8 digits;
	u16 line;		/* bytes of an extension or trailer line */
	u64 left;		/* data bytes left in this chunk */
};

enum http_chunk_result {
	HTTP_CHUNK_AGAIN,	/* all bytes taken; the body goes on */
	HTTP_CHUNK_DONE,	/* the body ended after *n bytes */
	HTTP_CHUNK_ERROR,	/* malformed framing */
};

/*
 * Take the next run of in[0..len): either framing (sizes, extensions,
 * CRLFs, trailers; *data false) or chunk data (*data true), at most len
 * bytes, *n set to the run's length. A run stops where the kind changes,
 * so a caller that drops framing (a client that cannot take chunked) moves
 * only data runs; one that relays all moves every run.
 */
enum http_chunk_result http_chunk_run(struct http_chunk *c, const char *in,
				      size_t len, size_t *n, bool *data);
/* Whether the next byte is chunk data: the kind of the next run. */
bool http_chunk_at_data(const struct http_chunk *c);

#endif /* _FH_HTTP_PROXY_PARSE_H */
