/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small HTTP/1.1 upstream server for the proxy selftests (run inside the
 * test VM, in the test's own process): one thread accepts on
 * 127.0.0.1:PORT, one thread per connection reads requests one after the
 * other (pipelined ones in order) and keeps the connection open between
 * them. Every wait is bounded: polls run in 100 ms slices that look at the
 * stop flag, sends and reads give up after FH_UP_IO_MS without progress,
 * an idle connection is closed after FH_UP_IDLE_MS.
 *
 * What a request gets is chosen by the first segment of its path (before
 * any '?') that names a behaviour, so a route prefix may stand before it
 * ("/api/v2/size/100" is "/size/100"); N is the next segment:
 *
 *   echo (and any path naming nothing)   200, Content-Length, a body
 *	listing the request as it arrived:
 *		method GET
 *		target /api/echo?x=1
 *		version HTTP/1.1
 *		header Host: a			(each field line as received)
 *		framing content-length|chunked|none
 *		body-length N
 *		<empty line>
 *		<the body, de-chunked>
 *   size/N        200, Content-Length N, N bytes of fh_up_pattern()
 *   chunked/N     200, chunked, N pattern bytes in chunks of odd sizes (the
 *		   first with an extension)
 *   close/N       200, no Content-Length: N pattern bytes, then close
 *   slow/N        200 "slow\n" after N ms (default 1000)
 *   hang          read the request, never answer
 *   status/NNN    that status: 204 and 304 with no body nor length, others
 *		   "status NNN\n"
 *   hop           200 "hop\n" with hop-by-hop fields (Connection naming
 *		   X-Resp-Hop, X-Resp-Hop, Keep-Alive: timeout=99, Upgrade) and
 *		   an end-to-end one (X-End-To-End: kept)
 *   head-garbage  "HTTP/1.1 2OO OK" (letters for digits), then close
 *   huge-head/N   a head with an N-byte field (default 65536), then close
 *   reset-before-head   read the request, then reset (SO_LINGER 0)
 *   reset-mid-body/N    Content-Length N (default 1 MiB), 64 KiB of it,
 *		   300 ms, then reset
 *   ws            101 Switching Protocols (Upgrade: websocket), asked for or
 *		   not, then every byte that comes is echoed until the peer
 *		   closes
 *   sink/N        the request body (Content-Length or chunked, no trailer
 *		   fields) is not kept: it is read only after N ms (the
 *		   sender's bytes back up meanwhile), then as it comes, and
 *		   compared with the bulk stream (fh_up_bulk()); 200
 *		   "body-length L\nbody-diff D\n", D the offset of the first
 *		   byte that differs, -1 if none
 *   close-after   200 "close-after\n" keep-alive; the next request on that
 *		   connection is read and the connection closed unanswered
 *		   (as if the upstream closed it while idle, in a race with
 *		   the request)
 *
 * HEAD gets the head alone. Every response carries X-Upstream: TAG,
 * X-Upstream-Conn: the connection's number (1, 2, ... in accept order) and
 * X-Upstream-Req: the request's number on its connection. A request with
 * Connection: close is answered with it, and the connection closed.
 */
#ifndef FH_UPSTREAM_H
#define FH_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FH_UP_IO_MS	20000	/* no progress for this long: give up the connection */
#define FH_UP_IDLE_MS	60000	/* an idle connection is closed after this */
#define FH_UP_CONNS_MAX	512	/* connections over a server's life; later ones are closed */

enum fh_up_mode {
	FH_UP_SERVE,		/* answer by path, as above */
	FH_UP_SILENT,		/* accept and read requests, never answer one */
	/*
	 * Never accept: listen(0) and one connection made to it fill the
	 * accept queue, so the SYNs that follow are dropped and a connect
	 * times out (no netns or route needed).
	 */
	FH_UP_BLACKHOLE,
};

struct fh_upstream;

/*
 * Listen on 127.0.0.1:@port (SO_REUSEADDR) and serve in threads of this
 * process; @tag goes in X-Upstream. NULL if the port cannot be had.
 */
struct fh_upstream *fh_upstream_start(int port, enum fh_up_mode mode, const char *tag);
/* Close every connection, join every thread, free @u (NULL is fine). */
void fh_upstream_stop(struct fh_upstream *u);

/* Connections accepted, requests read (counted once their head is), and open now. */
long fh_upstream_accepts(struct fh_upstream *u);
long fh_upstream_requests(struct fh_upstream *u);
long fh_upstream_open(struct fh_upstream *u);
/* Wait until requests >= @n: true, or false after @ms. */
bool fh_upstream_wait_requests(struct fh_upstream *u, long n, int ms);
/* Wait until no more than @n connections are open: true, or false after @ms. */
bool fh_upstream_wait_open_at_most(struct fh_upstream *u, long n, int ms);
/* The last request head read, NUL-terminated in @buf: its length. */
size_t fh_upstream_last_head(struct fh_upstream *u, char *buf, size_t cap);

/* The body bytes the server sends: the bytes at offsets @off.. of one stream. */
void fh_up_pattern(void *buf, uint64_t off, size_t len);
/*
 * The bulk stream, for bodies too big to make byte by byte: the pattern's
 * first FH_UP_BULK_PERIOD bytes over and over. The period is prime, so no
 * slip by a whole number of pages or windows lines up with it. Returns
 * where its bytes from offset @off lie: FH_UP_BULK_PERIOD of them.
 */
#define FH_UP_BULK_PERIOD	65521
const unsigned char *fh_up_bulk(uint64_t off);
/* The offset of the first byte of @buf that differs from the pattern at @off, or -1. */
long fh_up_pattern_diff(const void *buf, uint64_t off, size_t len);

#endif /* FH_UPSTREAM_H */
