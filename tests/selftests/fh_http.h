/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny HTTP/1.1 client for the selftests (run inside the test VM).
 *
 * A request goes out as the exact bytes the test gives, malformed ones
 * too; a response is read raw from the socket, its head kept as it came,
 * its body by Transfer-Encoding: chunked (de-chunked), else by
 * Content-Length (to EOF when it has neither). Every read has a deadline:
 * a server that does not answer fails the read, never hangs the test. No
 * TLS, IPv4 loopback only.
 */
#ifndef FH_HTTP_H
#define FH_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/* A connection and the bytes received on it not yet read as a response. */
struct hconn {
	int fd;
	char *buf;		/* NUL-terminated */
	size_t len, cap;
	bool eof;		/* the server closed (or reset) the connection */
};

/* One response, as hc_read() parsed it. */
struct resp {
	int status;
	char version[16];	/* "HTTP/1.1" */
	char *head;		/* status line and fields, NUL-terminated */
	char *body;		/* NUL-terminated too, for strstr */
	size_t body_len;
	bool chunked;		/* the body came chunked (body is its data) */
};

/*
 * Connect to 127.0.0.1:@port; a send blocked for @io_ms fails. NULL when
 * the connection cannot be made.
 */
struct hconn *hc_open(int port, int io_ms);
/* Close and free @c (NULL is fine). */
void hc_close(struct hconn *c);

/* Send all @len bytes of @p: 0, or -1. */
int hc_send(struct hconn *c, const void *p, size_t len);
/* Send the string @s: 0, or -1. */
int hc_sends(struct hconn *c, const char *s);

/*
 * Receive more into @c->buf, until @deadline (fh_now_ms()): the bytes
 * received (>0), 0 on EOF or reset (@c->eof), -1 on timeout.
 */
long hc_fill(struct hconn *c, long long deadline);

/*
 * Read one response into @r within @timeout_ms. @head_only: the request was
 * HEAD, so no body follows whatever Content-Length says. Returns 0, or -1
 * (timeout, EOF or garbage before a whole response). Either way @r is
 * resp_free()'s to release.
 */
int hc_read(struct hconn *c, struct resp *r, bool head_only, int timeout_ms);

/* The server closed the connection within @ms, with nothing more sent. */
bool hc_closed(struct hconn *c, int ms);
/* The connection is still open after @ms (no EOF, no bytes). */
bool hc_open_still(struct hconn *c, int ms);

void resp_free(struct resp *r);
/*
 * The value of header field @name (case-insensitive) in @r, trimmed, in
 * @val (may be NULL); returns how many times the field appears.
 */
int resp_field(const struct resp *r, const char *name, char *val, size_t cap);
/* Field @name appears once in @r, and its value is @want. */
bool resp_has(const struct resp *r, const char *name, const char *want);

#endif /* FH_HTTP_H */
