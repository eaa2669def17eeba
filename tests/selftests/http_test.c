// SPDX-License-Identifier: GPL-2.0
/*
 * http service: HTTP/1.0 and 1.1 static files from a document root, as
 * nginx serves them (RFC 9110, RFC 9112).
 *
 * Every test builds its own document root in the guest's tmpfs (/tmp/www),
 * adds "listener add http 127.0.0.1:PORT --root /tmp/www" and talks to it
 * with raw sockets where the exact bytes matter, and with curl and wrk
 * where a real client fits. Every read has a deadline.
 *
 * FH_HTTP_PEER_PORT=N runs the tests against another server that already
 * serves /tmp/www on 127.0.0.1:N (port N+1 for the second listener), e.g.
 * nginx, to check the specification itself; the fhctl, counter and cache
 * tests then fail, as they must.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fh_http.h"
#include "fh_util.h"
#include "fh_harness.h"
#include "uapi/firehose.h"

#define ADDR	"127.0.0.1"
#define ROOT	"/tmp/www"
#define OUTSIDE	"/tmp/www-outside"
/* Inside /tmp/www-outside: must never be served. */
#define OUTSIDE_MARK	"FIREHOSE-OUTSIDE-THE-ROOT"
/* The start of /etc/passwd in the guest: must never be served either. */
#define PASSWD_MARK	"root:x:0:0:"

/* Every fixed file gets this mtime: Mon, 02 Jan 2023 03:04:05 GMT. */
#define MTIME		1672628645L
#define MTIME_HTTP	"Mon, 02 Jan 2023 03:04:05 GMT"

#define IO_MS		10000

/* ---- the document root ---- */

static int write_str(const char *path, const char *s)
{
	return fh_create_file(path, s, strlen(s), 0644);
}

static int set_mtime(const char *path, time_t t)
{
	struct timespec ts[2] = { { .tv_sec = t }, { .tv_sec = t } };

	return utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

static unsigned char data_4k[4096];
static unsigned char *data_1m;

#define INDEX_BODY	"<html>root index</html>\n"
#define SUB_BODY	"<html>sub index</html>\n"
#define SECRET_BODY	"root only\n"

/* The same file under each extension the server must know, and one it must not. */
static const struct { const char *name, *type; } typed[] = {
	{ "page.html", "text/html" },
	{ "style.css", "text/css" },
	/* RFC 9239 made text/javascript the type (nginx 1.22 still says application/). */
	{ "app.js", "text/javascript" },
	{ "notes.txt", "text/plain" },
	{ "image.png", "image/png" },
	{ "photo.jpg", "image/jpeg" },
	{ "data.json", "application/json" },
	{ "blob.qqq", "application/octet-stream" },
};

static int make_root(void)
{
	char path[256];
	size_t i;
	int bad = 0;

	bad |= fh_run(NULL, 0, "rm -rf " ROOT " " OUTSIDE);
	bad |= mkdir(ROOT, 0755) | mkdir(OUTSIDE, 0755);
	bad |= write_str(OUTSIDE "/secret.txt", OUTSIDE_MARK "\n");
	bad |= fh_create_file(ROOT "/empty.txt", "", 0, 0644);
	bad |= write_str(ROOT "/one.txt", "x");
	fh_fill_random(data_4k, sizeof(data_4k), 4096);
	bad |= fh_create_file(ROOT "/4k.bin", data_4k, sizeof(data_4k), 0644);
	if (!data_1m)
		data_1m = malloc(1 << 20);
	if (!data_1m)
		return -1;
	fh_fill_random(data_1m, 1 << 20, 1 << 20);
	bad |= fh_create_file(ROOT "/1m.bin", data_1m, 1 << 20, 0644);
	bad |= write_str(ROOT "/index.html", INDEX_BODY);
	for (i = 0; i < sizeof(typed) / sizeof(typed[0]); i++) {
		snprintf(path, sizeof(path), ROOT "/%s", typed[i].name);
		bad |= write_str(path, "typed\n");
	}
	bad |= mkdir(ROOT "/sub", 0755);
	bad |= write_str(ROOT "/sub/index.html", SUB_BODY);
	bad |= mkdir(ROOT "/noindex", 0755);
	bad |= write_str(ROOT "/noindex/a.txt", "a\n");
	bad |= fh_create_file(ROOT "/secret.txt", SECRET_BODY, strlen(SECRET_BODY), 0600);
	bad |= chown(ROOT "/secret.txt", 0, 0);
	bad |= symlink("one.txt", ROOT "/link.txt");
	bad |= symlink("/etc/passwd", ROOT "/escape");
	bad |= symlink(OUTSIDE "/secret.txt", ROOT "/escape.txt");
	bad |= mkfifo(ROOT "/fifo", 0644);
	bad |= set_mtime(ROOT "/4k.bin", MTIME);
	return bad ? -1 : 0;
}

/* ---- fixture ---- */

FIXTURE(http) {
	int port;
	char addr[64];
	int port2;		/* a second listener some tests add */
	char addr2[64];
};

FIXTURE_SETUP(http)
{
	struct rlimit rl = { 8192, 8192 };

	setrlimit(RLIMIT_NOFILE, &rl);
	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(0, make_root());
	if (getenv("FH_HTTP_PEER_PORT")) {
		/* the reference run: another server already serves /tmp/www */
		self->port = atoi(getenv("FH_HTTP_PEER_PORT"));
		self->port2 = self->port + 1;
		snprintf(self->addr, sizeof(self->addr), ADDR ":%d", self->port);
		snprintf(self->addr2, sizeof(self->addr2), ADDR ":%d", self->port2);
		return;
	}
	ASSERT_EQ(0, fh_module_load());
	self->port = fh_test_port(20000);
	self->port2 = self->port + 1000;
	snprintf(self->addr, sizeof(self->addr), ADDR ":%d", self->port);
	snprintf(self->addr2, sizeof(self->addr2), ADDR ":%d", self->port2);
	ASSERT_EQ(0, fh_fhctl_ok("listener add http %s --root " ROOT, self->addr));
	/*
	 * A file changed in the last 50 ms is served but not cached (README,
	 * "The content cache"): the tests that count hits need files older.
	 */
	usleep(100 * 1000);
}

FIXTURE_TEARDOWN(http)
{
	if (getenv("FH_HTTP_PEER_PORT"))
		return;
	fh_fhctl_ok("listener del %s", self->addr);
	fh_run(NULL, 0, "fhctl listener del %s", self->addr2);
	/* what the tests change, back to the defaults */
	fh_fhctl_ok("set max-connections 100000");
	fh_fhctl_ok("set http-header-timeout 10s http-max-header 32K");
	fh_run(NULL, 0, "rm -rf " ROOT " " OUTSIDE);
}

/* ---- short hands ---- */

/* One request on a fresh connection; the connection is returned for more checks. */
static struct hconn *ask(struct __test_metadata *_metadata, int port,
			 const char *req, struct resp *r)
{
	struct hconn *c = hc_open(port, IO_MS);
	bool head = !strncmp(req, "HEAD ", 5);

	EXPECT_NE(NULL, c);
	if (!c)
		return NULL;
	EXPECT_EQ(0, hc_sends(c, req));
	EXPECT_EQ(0, hc_read(c, r, head, IO_MS)) TH_LOG("no whole response to: %.200s", req);
	return c;
}

/* GET @path over HTTP/1.1; returns the status, body in @r. */
static int get(struct __test_metadata *_metadata, int port, const char *path, struct resp *r)
{
	char req[1024];

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", path);
	hc_close(ask(_metadata, port, req, r));
	return r->status;
}

/*
 * An error after which the stream cannot be trusted: exactly @status, the
 * response says Connection: close, and the server closes after sending it.
 */
static void expect_fatal(struct __test_metadata *_metadata, int port,
			 const char *req, size_t len, int status)
{
	struct hconn *c = hc_open(port, IO_MS);
	struct resp r;

	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, hc_send(c, req, len));
	ASSERT_EQ(0, hc_read(c, &r, false, IO_MS));
	EXPECT_EQ(status, r.status) TH_LOG("head: %s", r.head);
	EXPECT_TRUE(resp_has(&r, "Connection", "close")) TH_LOG("head: %s", r.head);
	EXPECT_TRUE(resp_has(&r, "Server", "firehose"));
	EXPECT_TRUE(hc_closed(c, IO_MS)) TH_LOG("still open after %d", status);
	resp_free(&r);
	hc_close(c);
}

static void expect_fatal_str(struct __test_metadata *_metadata, int port,
			     const char *req, int status)
{
	expect_fatal(_metadata, port, req, strlen(req), status);
}

/* ---- files ---- */

TEST_F(http, get_of_a_file_returns_200_and_its_exact_bytes)
{
	struct resp r;

	EXPECT_EQ(200, get(_metadata, self->port, "/4k.bin", &r));
	EXPECT_TRUE(resp_has(&r, "Content-Length", "4096")) TH_LOG("head: %s", r.head);
	ASSERT_EQ(sizeof(data_4k), r.body_len);
	EXPECT_EQ(0, memcmp(data_4k, r.body, sizeof(data_4k)));
	resp_free(&r);
}

TEST_F(http, empty_file_returns_200_with_content_length_0)
{
	struct resp r;

	EXPECT_EQ(200, get(_metadata, self->port, "/empty.txt", &r));
	EXPECT_TRUE(resp_has(&r, "Content-Length", "0")) TH_LOG("head: %s", r.head);
	EXPECT_EQ(0U, r.body_len);
	resp_free(&r);
}

TEST_F(http, one_byte_file_returns_its_byte)
{
	struct resp r;

	EXPECT_EQ(200, get(_metadata, self->port, "/one.txt", &r));
	EXPECT_TRUE(resp_has(&r, "Content-Length", "1"));
	EXPECT_STREQ("x", r.body);
	resp_free(&r);
}

TEST_F(http, one_mebibyte_file_arrives_byte_exact)
{
	struct resp r;

	EXPECT_EQ(200, get(_metadata, self->port, "/1m.bin", &r));
	EXPECT_TRUE(resp_has(&r, "Content-Length", "1048576"));
	ASSERT_EQ((size_t)1 << 20, r.body_len);
	EXPECT_EQ(0, memcmp(data_1m, r.body, r.body_len));
	resp_free(&r);
}

/* curl and sha256sum judge: the hash of what came is the hash of the file. */
TEST_F_TIMEOUT(http, hundred_mebibyte_file_via_curl_has_the_files_sha256, 900)
{
	char want[256], got[256], out[1024];
	int i;

	ASSERT_EQ(0, fh_run(NULL, 0, "head -c 104857600 /dev/urandom >" ROOT "/100m.bin"));
	ASSERT_EQ(0, fh_run(want, sizeof(want), "sha256sum <" ROOT "/100m.bin"));
	EXPECT_LE(64U, strlen(want));
	/* the second time it may come from the cache or the page cache */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, fh_run(out, sizeof(out), "curl -sSf --max-time 400 -o /tmp/http_test.out"
				    " http://%s/100m.bin", self->addr)) TH_LOG("curl: %s", out);
		ASSERT_EQ(0, fh_run(got, sizeof(got), "sha256sum </tmp/http_test.out"));
		unlink("/tmp/http_test.out");
		EXPECT_STREQ(want, got) TH_LOG("download %d", i + 1);
	}
}

TEST_F(http, small_files_via_curl_have_the_files_sha256)
{
	static const char *const names[] = { "empty.txt", "one.txt", "4k.bin", "1m.bin" };
	char want[256], got[256];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ASSERT_EQ(0, fh_run(want, sizeof(want), "sha256sum <" ROOT "/%s", names[i]));
		ASSERT_EQ(0, fh_run(NULL, 0, "curl -sSf --max-time 60 -o /tmp/http_test.out"
				    " http://%s/%s", self->addr, names[i])) TH_LOG("%s", names[i]);
		ASSERT_EQ(0, fh_run(got, sizeof(got), "sha256sum </tmp/http_test.out"));
		EXPECT_STREQ(want, got) TH_LOG("%s", names[i]);
	}
	unlink("/tmp/http_test.out");
}

TEST_F(http, missing_file_is_404)
{
	struct resp r;

	EXPECT_EQ(404, get(_metadata, self->port, "/no-such-file.txt", &r));
	resp_free(&r);
}

/* ---- the fields of a response ---- */

TEST_F(http, response_says_server_firehose)
{
	struct resp r;

	EXPECT_EQ(200, get(_metadata, self->port, "/one.txt", &r));
	EXPECT_TRUE(resp_has(&r, "Server", "firehose")) TH_LOG("head: %s", r.head);
	resp_free(&r);
}

TEST_F(http, response_carries_the_current_date_in_http_date_form)
{
	struct resp r;
	struct tm tm = { 0 };
	char date[128], *end;
	time_t now = time(NULL);

	EXPECT_EQ(200, get(_metadata, self->port, "/one.txt", &r));
	ASSERT_EQ(1, resp_field(&r, "Date", date, sizeof(date)));
	end = strptime(date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	ASSERT_TRUE(end && !*end) TH_LOG("Date: %s", date);
	EXPECT_GE(5, labs((long)(timegm(&tm) - now))) TH_LOG("Date: %s", date);
	resp_free(&r);
}

TEST_F(http, last_modified_is_the_files_mtime)
{
	struct resp r;

	EXPECT_EQ(200, get(_metadata, self->port, "/4k.bin", &r));
	EXPECT_TRUE(resp_has(&r, "Last-Modified", MTIME_HTTP)) TH_LOG("head: %s", r.head);
	resp_free(&r);
}

/* nginx's form: "%lx-%llx" of the mtime in seconds and the size. */
TEST_F(http, etag_is_hex_mtime_and_hex_size_like_nginx)
{
	char want[64];
	struct resp r;

	snprintf(want, sizeof(want), "\"%lx-%llx\"", MTIME, 4096ULL);
	EXPECT_EQ(200, get(_metadata, self->port, "/4k.bin", &r));
	EXPECT_TRUE(resp_has(&r, "ETag", want)) TH_LOG("want %s; head: %s", want, r.head);
	resp_free(&r);
}

TEST_F(http, accept_ranges_bytes_is_announced)
{
	struct resp r;

	EXPECT_EQ(200, get(_metadata, self->port, "/4k.bin", &r));
	EXPECT_TRUE(resp_has(&r, "Accept-Ranges", "bytes")) TH_LOG("head: %s", r.head);
	resp_free(&r);
}

TEST_F(http, content_type_follows_the_extension)
{
	char path[128];
	struct resp r;
	size_t i;

	for (i = 0; i < sizeof(typed) / sizeof(typed[0]); i++) {
		snprintf(path, sizeof(path), "/%s", typed[i].name);
		EXPECT_EQ(200, get(_metadata, self->port, path, &r));
		EXPECT_TRUE(resp_has(&r, "Content-Type", typed[i].type))
			TH_LOG("%s: want %s; head: %s", path, typed[i].type, r.head);
		resp_free(&r);
	}
}

TEST_F(http, head_gives_the_get_fields_and_no_body)
{
	char etag[64];
	struct hconn *c;
	struct resp h, g;

	/* HEAD then GET on one connection: a body after HEAD would be read as the next status line */
	c = hc_open(self->port, IO_MS);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, hc_sends(c, "HEAD /4k.bin HTTP/1.1\r\nHost: a\r\n\r\n"
				 "GET /4k.bin HTTP/1.1\r\nHost: a\r\n\r\n"));
	ASSERT_EQ(0, hc_read(c, &h, true, IO_MS));
	ASSERT_EQ(0, hc_read(c, &g, false, IO_MS));
	EXPECT_EQ(200, h.status);
	EXPECT_EQ(200, g.status) TH_LOG("after HEAD: %s", g.head);
	EXPECT_TRUE(resp_has(&h, "Content-Length", "4096")) TH_LOG("head: %s", h.head);
	EXPECT_TRUE(resp_has(&h, "Content-Type", "application/octet-stream"));
	ASSERT_EQ(1, resp_field(&g, "ETag", etag, sizeof(etag)));
	EXPECT_TRUE(resp_has(&h, "ETag", etag)) TH_LOG("head: %s", h.head);
	EXPECT_TRUE(resp_has(&h, "Last-Modified", MTIME_HTTP));
	EXPECT_EQ(4096U, g.body_len);
	resp_free(&h);
	resp_free(&g);
	hc_close(c);
}

/* ---- connections ---- */

TEST_F(http, http11_connection_stays_open_for_the_next_request)
{
	struct hconn *c;
	struct resp r;
	int i;

	c = hc_open(self->port, IO_MS);
	ASSERT_NE(NULL, c);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, hc_sends(c, "GET /one.txt HTTP/1.1\r\nHost: a\r\n\r\n"));
		ASSERT_EQ(0, hc_read(c, &r, false, IO_MS)) TH_LOG("request %d", i);
		EXPECT_EQ(200, r.status);
		EXPECT_FALSE(resp_has(&r, "Connection", "close"));
		resp_free(&r);
	}
	hc_close(c);
}

TEST_F(http, http10_response_closes_the_connection)
{
	struct hconn *c;
	struct resp r;

	c = ask(_metadata, self->port, "GET /one.txt HTTP/1.0\r\n\r\n", &r);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(200, r.status);
	EXPECT_STREQ("x", r.body);
	EXPECT_TRUE(hc_closed(c, IO_MS));
	resp_free(&r);
	hc_close(c);
}

TEST_F(http, http10_with_keep_alive_stays_open)
{
	struct hconn *c;
	struct resp r;

	c = ask(_metadata, self->port, "GET /one.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(200, r.status);
	EXPECT_TRUE(resp_has(&r, "Connection", "keep-alive")) TH_LOG("head: %s", r.head);
	resp_free(&r);
	ASSERT_EQ(0, hc_sends(c, "GET /4k.bin HTTP/1.0\r\n\r\n"));
	ASSERT_EQ(0, hc_read(c, &r, false, IO_MS));
	EXPECT_EQ(200, r.status);
	EXPECT_EQ(4096U, r.body_len);
	/* that one asked for no keep-alive */
	EXPECT_TRUE(hc_closed(c, IO_MS));
	resp_free(&r);
	hc_close(c);
}

TEST_F(http, connection_close_is_honoured)
{
	struct hconn *c;
	struct resp r;

	c = ask(_metadata, self->port,
		"GET /one.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", &r);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(200, r.status);
	EXPECT_TRUE(resp_has(&r, "Connection", "close")) TH_LOG("head: %s", r.head);
	EXPECT_TRUE(hc_closed(c, IO_MS));
	resp_free(&r);
	hc_close(c);
}

/*
 * Nothing unread and nothing more expected: the server closes as soon as
 * the answer is out, as nginx does, instead of holding the connection
 * until the client's FIN (the linger after errors, up to 5 s).
 */
TEST_F(http, connection_close_ends_the_connection_without_waiting_for_the_client)
{
	long long closed = fh_stat("closed");
	struct hconn *c;
	struct resp r;

	ASSERT_LE(0, closed);
	c = ask(_metadata, self->port,
		"GET /one.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", &r);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(200, r.status);
	EXPECT_TRUE(hc_closed(c, IO_MS));
	/* The client still holds its end open. */
	EXPECT_TRUE(fh_wait_stat("closed", closed + 1, 1000));
	resp_free(&r);
	hc_close(c);
}

/*
 * After a request that could not be read whole, the peer may still be
 * sending: the server shuts its side and waits for the client's FIN, so
 * what the client sends meanwhile meets no reset that could destroy the
 * answer; the client's FIN then ends it as a clean close, not an error.
 */
TEST_F(http, close_after_a_400_lingers_until_the_client_closes_and_is_no_error)
{
	long long closed = fh_stat("closed"), errors = fh_stat("errors");
	struct hconn *c;
	struct resp r;

	ASSERT_LE(0, closed);
	ASSERT_LE(0, errors);
	c = ask(_metadata, self->port, "GET\r\n\r\n", &r);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(400, r.status);
	EXPECT_TRUE(hc_closed(c, IO_MS));
	usleep(300 * 1000);
	EXPECT_EQ(closed, fh_stat("closed")) TH_LOG("closed before the client did");
	hc_close(c);
	EXPECT_TRUE(fh_wait_stat("closed", closed + 1, 2000));
	EXPECT_EQ(errors, fh_stat("errors"));
	resp_free(&r);
}

/*
 * HTTP clients speak first: the listener defers accept until the request
 * arrives (one turn of the worker, not two), and a client that stays
 * silent is still accepted about a second later and timed out as usual.
 */
TEST_F(http, connection_that_sent_nothing_is_not_accepted_until_its_request_arrives)
{
	long long accepted = fh_stat("accepted");
	struct hconn *c;
	struct resp r;

	ASSERT_LE(0, accepted);
	c = hc_open(self->port, IO_MS);
	ASSERT_NE(NULL, c);
	usleep(300 * 1000);
	EXPECT_EQ(accepted, fh_stat("accepted"));
	ASSERT_EQ(0, hc_sends(c, "GET /one.txt HTTP/1.1\r\nHost: a\r\n\r\n"));
	ASSERT_EQ(0, hc_read(c, &r, false, IO_MS));
	EXPECT_EQ(200, r.status);
	EXPECT_EQ(accepted + 1, fh_stat("accepted"));
	resp_free(&r);
	hc_close(c);
}

/*
 * A connection that never sends a head is closed, without an answer, when
 * the header timeout runs out from its accept (nginx does the same); the
 * accept itself comes about a second after the handshake (deferred).
 */
TEST_F(http, silent_client_is_closed_without_an_answer_after_the_header_timeout)
{
	long long t0, t;
	struct hconn *c;

	ASSERT_EQ(0, fh_fhctl_ok("set http-header-timeout 1s"));
	c = hc_open(self->port, IO_MS);
	ASSERT_NE(NULL, c);
	t0 = fh_now_ms();
	EXPECT_TRUE(hc_closed(c, 10000)) TH_LOG("%zu bytes came", c->len);
	t = fh_now_ms() - t0;
	EXPECT_LE(900, t);
	EXPECT_GE(8000, t);
	hc_close(c);
}

/* A head begun on a new connection must end within the timeout from the accept. */
TEST_F(http, first_head_must_be_complete_within_the_header_timeout_of_the_accept)
{
	struct hconn *c;
	struct resp r;
	long long t0;

	ASSERT_EQ(0, fh_fhctl_ok("set http-header-timeout 2s"));
	c = hc_open(self->port, IO_MS);
	ASSERT_NE(NULL, c);
	t0 = fh_now_ms();
	ASSERT_EQ(0, hc_sends(c, "GET /one.txt HTTP/1.1\r\n"));
	usleep(1000 * 1000);
	ASSERT_EQ(0, hc_sends(c, "Host: a\r\n"));
	ASSERT_EQ(0, hc_read(c, &r, false, 10000));
	EXPECT_EQ(408, r.status);
	/* two seconds from the accept, not from the second line */
	EXPECT_GE(2800, fh_now_ms() - t0);
	resp_free(&r);
	hc_close(c);
}

TEST_F(http, pipelined_requests_are_answered_in_order)
{
	struct hconn *c;
	struct resp a, b, d;

	c = hc_open(self->port, IO_MS);
	ASSERT_NE(NULL, c);
	/* three requests in one write */
	ASSERT_EQ(0, hc_sends(c, "GET /4k.bin HTTP/1.1\r\nHost: a\r\n\r\n"
				 "GET /one.txt HTTP/1.1\r\nHost: a\r\n\r\n"
				 "GET /sub/ HTTP/1.1\r\nHost: a\r\n\r\n"));
	ASSERT_EQ(0, hc_read(c, &a, false, IO_MS));
	ASSERT_EQ(0, hc_read(c, &b, false, IO_MS));
	ASSERT_EQ(0, hc_read(c, &d, false, IO_MS));
	EXPECT_EQ(200, a.status);
	ASSERT_EQ(4096u, a.body_len);
	EXPECT_EQ(0, memcmp(data_4k, a.body, 4096));
	EXPECT_EQ(200, b.status);
	EXPECT_STREQ("x", b.body);
	EXPECT_EQ(200, d.status);
	EXPECT_STREQ(SUB_BODY, d.body);
	EXPECT_TRUE(hc_open_still(c, 300));
	resp_free(&a);
	resp_free(&b);
	resp_free(&d);
	hc_close(c);
}

TEST_F(http, absolute_form_target_is_served)
{
	struct resp r;

	hc_close(ask(_metadata, self->port,
		     "GET http://localhost/one.txt HTTP/1.1\r\nHost: localhost\r\n\r\n", &r));
	EXPECT_EQ(200, r.status);
	EXPECT_STREQ("x", r.body);
	resp_free(&r);
}

TEST_F(http, query_string_is_not_part_of_the_file_name)
{
	struct resp r;

	EXPECT_EQ(200, get(_metadata, self->port, "/one.txt?v=1&x=%2e", &r));
	EXPECT_STREQ("x", r.body);
	resp_free(&r);
}

/* ---- conditional requests ---- */

TEST_F(http, if_modified_since_the_mtime_is_304_without_body)
{
	struct hconn *c;
	struct resp r;

	c = ask(_metadata, self->port, "GET /4k.bin HTTP/1.1\r\nHost: a\r\n"
		"If-Modified-Since: " MTIME_HTTP "\r\n\r\n", &r);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(304, r.status);
	EXPECT_EQ(0U, r.body_len);
	/* no body follows: the connection is quiet and still open */
	EXPECT_TRUE(hc_open_still(c, 300));
	resp_free(&r);
	hc_close(c);
}

TEST_F(http, if_modified_since_before_the_mtime_is_200)
{
	struct resp r;

	hc_close(ask(_metadata, self->port, "GET /4k.bin HTTP/1.1\r\nHost: a\r\n"
		     "If-Modified-Since: Sun, 01 Jan 2023 00:00:00 GMT\r\n\r\n", &r));
	EXPECT_EQ(200, r.status);
	EXPECT_EQ(4096U, r.body_len);
	resp_free(&r);
}

TEST_F(http, if_none_match_with_the_etag_is_304_without_body)
{
	char req[256], etag[64];
	struct hconn *c;
	struct resp r;

	EXPECT_EQ(200, get(_metadata, self->port, "/4k.bin", &r));
	ASSERT_EQ(1, resp_field(&r, "ETag", etag, sizeof(etag)));
	resp_free(&r);
	snprintf(req, sizeof(req), "GET /4k.bin HTTP/1.1\r\nHost: a\r\nIf-None-Match: %s\r\n\r\n", etag);
	c = ask(_metadata, self->port, req, &r);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(304, r.status);
	EXPECT_EQ(0U, r.body_len);
	EXPECT_TRUE(hc_open_still(c, 300));
	resp_free(&r);
	hc_close(c);
}

TEST_F(http, if_none_match_with_another_etag_is_200)
{
	struct resp r;

	hc_close(ask(_metadata, self->port, "GET /4k.bin HTTP/1.1\r\nHost: a\r\n"
		     "If-None-Match: \"0-0\"\r\n\r\n", &r));
	EXPECT_EQ(200, r.status);
	EXPECT_EQ(4096U, r.body_len);
	resp_free(&r);
}

/* ---- ranges ---- */

TEST_F(http, range_of_the_first_ten_bytes_is_206_with_content_range)
{
	struct resp r;

	hc_close(ask(_metadata, self->port, "GET /4k.bin HTTP/1.1\r\nHost: a\r\n"
		     "Range: bytes=0-9\r\n\r\n", &r));
	EXPECT_EQ(206, r.status);
	EXPECT_TRUE(resp_has(&r, "Content-Range", "bytes 0-9/4096")) TH_LOG("head: %s", r.head);
	EXPECT_TRUE(resp_has(&r, "Content-Length", "10"));
	ASSERT_EQ(10U, r.body_len);
	EXPECT_EQ(0, memcmp(data_4k, r.body, 10));
	resp_free(&r);
}

TEST_F(http, range_in_the_middle_is_206_with_those_bytes)
{
	struct resp r;

	hc_close(ask(_metadata, self->port, "GET /4k.bin HTTP/1.1\r\nHost: a\r\n"
		     "Range: bytes=1000-1999\r\n\r\n", &r));
	EXPECT_EQ(206, r.status);
	EXPECT_TRUE(resp_has(&r, "Content-Range", "bytes 1000-1999/4096")) TH_LOG("head: %s", r.head);
	ASSERT_EQ(1000U, r.body_len);
	EXPECT_EQ(0, memcmp(data_4k + 1000, r.body, 1000));
	resp_free(&r);
}

/*
 * The cache holds a file in 64 KiB chunks, the last one smaller: sizes on
 * either side of a chunk's end come back byte-exact from the load and
 * from the cache, and a range across a chunk's end has the right bytes.
 */
TEST_F(http, cached_files_around_the_64k_chunk_come_back_byte_exact)
{
	static const size_t sizes[] = { 65535, 65536, 65537, 69633, 200000 };
	static char data[200000];
	char path[64], req[256];
	struct resp r;
	size_t i;
	int round;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		fh_fill_random(data, sizes[i], sizes[i]);
		snprintf(path, sizeof(path), ROOT "/chunk%zu.bin", sizes[i]);
		ASSERT_EQ(0, fh_create_file(path, data, sizes[i], 0644));
	}
	/* older than the cache's 50 ms settling time, so the load caches it */
	usleep(200 * 1000);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		fh_fill_random(data, sizes[i], sizes[i]);
		snprintf(path, sizeof(path), "/chunk%zu.bin", sizes[i]);
		for (round = 0; round < 2; round++) {
			EXPECT_EQ(200, get(_metadata, self->port, path, &r)) TH_LOG("%s", path);
			EXPECT_EQ(sizes[i], r.body_len) TH_LOG("%s round %d", path, round);
			if (r.body_len == sizes[i])
				EXPECT_EQ(0, memcmp(data, r.body, sizes[i]))
					TH_LOG("%s round %d", path, round);
			resp_free(&r);
		}
	}
	/* fh_fill_random(data, 200000, 200000) is still in data */
	snprintf(req, sizeof(req), "GET /chunk200000.bin HTTP/1.1\r\nHost: a\r\n"
		 "Range: bytes=65530-65545\r\n\r\n");
	hc_close(ask(_metadata, self->port, req, &r));
	EXPECT_EQ(206, r.status);
	ASSERT_EQ(16U, r.body_len);
	EXPECT_EQ(0, memcmp(data + 65530, r.body, 16));
	resp_free(&r);
}

TEST_F(http, suffix_range_gives_the_last_bytes)
{
	struct resp r;

	hc_close(ask(_metadata, self->port, "GET /4k.bin HTTP/1.1\r\nHost: a\r\n"
		     "Range: bytes=-100\r\n\r\n", &r));
	EXPECT_EQ(206, r.status);
	EXPECT_TRUE(resp_has(&r, "Content-Range", "bytes 3996-4095/4096")) TH_LOG("head: %s", r.head);
	ASSERT_EQ(100U, r.body_len);
	EXPECT_EQ(0, memcmp(data_4k + 3996, r.body, 100));
	resp_free(&r);
}

TEST_F(http, unsatisfiable_range_is_416_with_star_content_range)
{
	struct resp r;

	hc_close(ask(_metadata, self->port, "GET /4k.bin HTTP/1.1\r\nHost: a\r\n"
		     "Range: bytes=5000-6000\r\n\r\n", &r));
	EXPECT_EQ(416, r.status);
	EXPECT_TRUE(resp_has(&r, "Content-Range", "bytes */4096")) TH_LOG("head: %s", r.head);
	resp_free(&r);
}

/*
 * No multipart/byteranges: a request for several ranges gets the whole file,
 * as nginx with max_ranges 1 answers it (RFC 9110 14.2 lets a server ignore Range).
 */
TEST_F(http, several_ranges_give_200_and_the_whole_file)
{
	struct resp r;

	hc_close(ask(_metadata, self->port, "GET /4k.bin HTTP/1.1\r\nHost: a\r\n"
		     "Range: bytes=0-9,20-29\r\n\r\n", &r));
	EXPECT_EQ(200, r.status);
	ASSERT_EQ(4096U, r.body_len);
	EXPECT_EQ(0, memcmp(data_4k, r.body, 4096));
	resp_free(&r);
}

/* ---- directories ---- */

TEST_F(http, slash_serves_index_html)
{
	struct resp r;

	EXPECT_EQ(200, get(_metadata, self->port, "/", &r));
	EXPECT_STREQ(INDEX_BODY, r.body);
	EXPECT_TRUE(resp_has(&r, "Content-Type", "text/html"));
	resp_free(&r);
}

TEST_F(http, subdirectory_with_slash_serves_its_index_html)
{
	struct resp r;

	EXPECT_EQ(200, get(_metadata, self->port, "/sub/", &r));
	EXPECT_STREQ(SUB_BODY, r.body);
	resp_free(&r);
}

/* nginx may give the Location absolute (absolute_redirect on): its path must be /sub/. */
TEST_F(http, directory_without_slash_is_301_to_the_slash)
{
	char loc[256];
	struct resp r;
	size_t n;

	EXPECT_EQ(301, get(_metadata, self->port, "/sub", &r));
	ASSERT_EQ(1, resp_field(&r, "Location", loc, sizeof(loc))) TH_LOG("head: %s", r.head);
	n = strlen(loc);
	EXPECT_TRUE(!strcmp(loc, "/sub/") ||
		    (!strncmp(loc, "http://", 7) && n > 5 && !strcmp(loc + n - 5, "/sub/") &&
		     strchr(loc + 7, '/') == loc + n - 5)) TH_LOG("Location: %s", loc);
	resp_free(&r);
}

TEST_F(http, directory_without_index_is_403)
{
	struct resp r;

	EXPECT_EQ(403, get(_metadata, self->port, "/noindex/", &r));
	EXPECT_EQ(NULL, strstr(r.body, "a.txt")) TH_LOG("a listing: %s", r.body);
	resp_free(&r);
}

TEST_F(http, symlink_inside_the_root_is_followed)
{
	struct resp r;

	EXPECT_EQ(200, get(_metadata, self->port, "/link.txt", &r));
	EXPECT_STREQ("x", r.body);
	resp_free(&r);
}

TEST_F(http, fifo_is_403)
{
	struct resp r;

	EXPECT_EQ(403, get(_metadata, self->port, "/fifo", &r));
	resp_free(&r);
}

/* ---- credentials ---- */

TEST_F(http, root_only_file_is_403_for_user_nobody)
{
	struct resp r;

	EXPECT_EQ(403, get(_metadata, self->port, "/secret.txt", &r));
	EXPECT_EQ(NULL, strstr(r.body, SECRET_BODY));
	resp_free(&r);
}

TEST_F(http, root_only_file_is_200_for_a_listener_with_user_root)
{
	struct resp r;

	ASSERT_EQ(0, fh_fhctl_ok("listener add http %s --root " ROOT " --user root", self->addr2));
	EXPECT_EQ(200, get(_metadata, self->port2, "/secret.txt", &r));
	EXPECT_STREQ(SECRET_BODY, r.body);
	resp_free(&r);
	/* and the nobody listener still refuses it */
	EXPECT_EQ(403, get(_metadata, self->port, "/secret.txt", &r));
	resp_free(&r);
}

/* ---- errors ---- */

TEST_F(http, malformed_request_line_is_400_and_close)
{
	expect_fatal_str(_metadata, self->port, "GET\r\n\r\n", 400);
}

TEST_F(http, request_line_with_extra_words_is_400_and_close)
{
	expect_fatal_str(_metadata, self->port, "GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n", 400);
}

TEST_F(http, http11_without_host_is_400_and_close)
{
	expect_fatal_str(_metadata, self->port, "GET /one.txt HTTP/1.1\r\n\r\n", 400);
}

TEST_F(http, two_host_fields_are_400_and_close)
{
	expect_fatal_str(_metadata, self->port,
			 "GET /one.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
}

TEST_F(http, content_length_with_transfer_encoding_is_400_and_close)
{
	expect_fatal_str(_metadata, self->port,
			 "POST /one.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
}

TEST_F(http, conflicting_content_lengths_are_400_and_close)
{
	expect_fatal_str(_metadata, self->port,
			 "GET /one.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
			 "Content-Length: 2\r\n\r\nab", 400);
}

TEST_F(http, post_is_405_with_allow_get_head)
{
	struct resp r;

	hc_close(ask(_metadata, self->port,
		     "POST /one.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", &r));
	EXPECT_EQ(405, r.status);
	EXPECT_TRUE(resp_has(&r, "Allow", "GET, HEAD")) TH_LOG("head: %s", r.head);
	resp_free(&r);
}

TEST_F(http, unknown_method_is_501)
{
	struct resp r;

	hc_close(ask(_metadata, self->port, "FOO /one.txt HTTP/1.1\r\nHost: a\r\n\r\n", &r));
	EXPECT_EQ(501, r.status);
	resp_free(&r);
}

TEST_F(http, target_longer_than_8k_is_414_and_close)
{
	size_t tlen = 9000, i;
	char *req = malloc(tlen + 64);

	ASSERT_NE(NULL, req);
	strcpy(req, "GET /");
	for (i = 5; i < tlen; i++)
		req[i] = 'a';
	strcpy(req + tlen, " HTTP/1.1\r\nHost: a\r\n\r\n");
	expect_fatal_str(_metadata, self->port, req, 414);
	free(req);
}

/* Many fields of 100 bytes each, @total bytes of head in all. */
static char *big_head(size_t total)
{
	char *req = malloc(total + 200);
	size_t len, i = 0;

	if (!req)
		return NULL;
	len = sprintf(req, "GET /one.txt HTTP/1.1\r\nHost: a\r\n");
	while (len + 100 + 2 <= total) {
		len += sprintf(req + len, "X-Pad-%05zu: %0*d\r\n", i++, 100 - 15, 0);
	}
	strcpy(req + len, "\r\n");
	return req;
}

TEST_F(http, head_within_http_max_header_is_served)
{
	char *req = big_head(3000);
	struct resp r;

	ASSERT_NE(NULL, req);
	ASSERT_EQ(0, fh_fhctl_ok("set http-max-header 4K"));
	hc_close(ask(_metadata, self->port, req, &r));
	EXPECT_EQ(200, r.status);
	resp_free(&r);
	free(req);
}

TEST_F(http, head_beyond_http_max_header_is_431_and_close)
{
	char *req = big_head(6000);

	ASSERT_NE(NULL, req);
	ASSERT_EQ(0, fh_fhctl_ok("set http-max-header 4K"));
	expect_fatal_str(_metadata, self->port, req, 431);
	free(req);
}

TEST_F(http, head_beyond_the_default_32k_is_431_and_close)
{
	char *req = big_head(40000);

	ASSERT_NE(NULL, req);
	expect_fatal_str(_metadata, self->port, req, 431);
	free(req);
}

TEST_F(http, http2_request_line_is_505_and_close)
{
	expect_fatal_str(_metadata, self->port, "GET /one.txt HTTP/2.0\r\nHost: a\r\n\r\n", 505);
}

TEST_F(http, http3_request_line_is_505_and_close)
{
	expect_fatal_str(_metadata, self->port, "GET /one.txt HTTP/3.0\r\nHost: a\r\n\r\n", 505);
}

TEST_F(http, not_found_keeps_the_connection_usable)
{
	struct hconn *c;
	struct resp r;

	c = ask(_metadata, self->port, "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n", &r);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(404, r.status);
	resp_free(&r);
	ASSERT_EQ(0, hc_sends(c, "GET /one.txt HTTP/1.1\r\nHost: a\r\n\r\n"));
	ASSERT_EQ(0, hc_read(c, &r, false, IO_MS));
	EXPECT_EQ(200, r.status);
	resp_free(&r);
	hc_close(c);
}

/*
 * Slowloris: with http-header-timeout 1s, a client trickling one field every
 * 300 ms gets 408 and a close within 1-3 s, while another client is served
 * meanwhile.
 */
TEST_F(http, header_trickled_past_the_timeout_is_408_and_close_while_others_are_served)
{
	struct hconn *slow, *fast;
	struct resp r, f;
	long long t0, t;
	int i = 0, got = -1;
	bool served = false;
	char line[32];

	ASSERT_EQ(0, fh_fhctl_ok("set http-header-timeout 1s"));
	slow = hc_open(self->port, IO_MS);
	ASSERT_NE(NULL, slow);
	t0 = fh_now_ms();
	ASSERT_EQ(0, hc_sends(slow, "GET /one.txt HTTP/1.1\r\nHost: a\r\n"));
	while (fh_now_ms() - t0 < 8000) {
		if (!served && fh_now_ms() - t0 > 400) {
			fast = ask(_metadata, self->port, "GET /one.txt HTTP/1.1\r\nHost: a\r\n\r\n", &f);
			EXPECT_EQ(200, f.status);
			EXPECT_GT(3000, fh_now_ms() - t0) TH_LOG("the other client waited");
			resp_free(&f);
			hc_close(fast);
			served = true;
		}
		got = hc_read(slow, &r, false, 300);
		if (got == 0 || slow->eof)
			break;
		snprintf(line, sizeof(line), "X-Slow-%d: y\r\n", i++);
		hc_send(slow, line, strlen(line));
	}
	t = fh_now_ms() - t0;
	EXPECT_TRUE(served);
	ASSERT_EQ(0, got) TH_LOG("no response after %lld ms", t);
	EXPECT_EQ(408, r.status);
	EXPECT_LE(900, t);
	EXPECT_GE(3500, t);
	EXPECT_TRUE(resp_has(&r, "Connection", "close")) TH_LOG("head: %s", r.head);
	EXPECT_TRUE(hc_closed(slow, 3000));
	resp_free(&r);
	hc_close(slow);
}

/* ---- the document root is a boundary ---- */

/*
 * @target is refused with one of the statuses in @ok (0-terminated), and what
 * comes back holds nothing from outside the root.
 */
static void expect_refused(struct __test_metadata *_metadata, int port,
			   const char *target, const int *ok)
{
	char req[1024];
	struct hconn *c;
	struct resp r;
	bool allowed = false;
	int i;

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", target);
	c = hc_open(port, IO_MS);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, hc_sends(c, req));
	ASSERT_EQ(0, hc_read(c, &r, false, IO_MS)) TH_LOG("%s", target);
	for (i = 0; ok[i]; i++)
		allowed |= r.status == ok[i];
	EXPECT_TRUE(allowed) TH_LOG("%s: %d", target, r.status);
	EXPECT_EQ(NULL, strstr(r.body, PASSWD_MARK)) TH_LOG("%s served /etc/passwd", target);
	EXPECT_EQ(NULL, strstr(r.body, OUTSIDE_MARK)) TH_LOG("%s served a file outside", target);
	resp_free(&r);
	hc_close(c);
}

static const int any_refusal[] = { 400, 403, 404, 0 };
static const int only_400[] = { 400, 0 };
static const int only_404[] = { 404, 0 };

TEST_F(http, raw_dot_dot_cannot_climb_out)
{
	expect_refused(_metadata, self->port, "/../etc/passwd", any_refusal);
	expect_refused(_metadata, self->port, "/../../../../../etc/passwd", any_refusal);
	expect_refused(_metadata, self->port, "/sub/../../www-outside/secret.txt", any_refusal);
}

TEST_F(http, encoded_dot_dot_cannot_climb_out)
{
	expect_refused(_metadata, self->port, "/%2e%2e/etc/passwd", any_refusal);
	expect_refused(_metadata, self->port, "/%2E%2E/%2e%2e/etc/passwd", any_refusal);
	expect_refused(_metadata, self->port, "/.%2e/www-outside/secret.txt", any_refusal);
}

TEST_F(http, encoded_slash_cannot_climb_out)
{
	expect_refused(_metadata, self->port, "/..%2fetc%2fpasswd", any_refusal);
	expect_refused(_metadata, self->port, "/sub%2f..%2f..%2fwww-outside%2fsecret.txt", any_refusal);
}

/* Decoded once: "%252e" is the file name "%2e", which does not exist. */
TEST_F(http, double_encoded_dot_dot_is_a_literal_name_so_404)
{
	expect_refused(_metadata, self->port, "/%252e%252e/etc/passwd", only_404);
}

/* Bytes are bytes: 0xc0 0xae is never a dot. */
TEST_F(http, overlong_utf8_dot_dot_is_a_literal_name_so_404)
{
	expect_refused(_metadata, self->port, "/%c0%ae%c0%ae/etc/passwd", only_404);
}

/* A backslash is a file-name byte on Linux, as in nginx there. */
TEST_F(http, backslash_dot_dot_is_a_literal_name_so_404)
{
	expect_refused(_metadata, self->port, "/..\\..\\etc\\passwd", only_404);
}

TEST_F(http, encoded_nul_is_400)
{
	expect_refused(_metadata, self->port, "/one.txt%00.html", only_400);
}

TEST_F(http, encoded_control_character_is_400)
{
	expect_refused(_metadata, self->port, "/one%01.txt", only_400);
}

TEST_F(http, symlink_out_of_the_root_is_never_followed)
{
	expect_refused(_metadata, self->port, "/escape", (const int[]){ 403, 404, 0 });
	expect_refused(_metadata, self->port, "/escape.txt", (const int[]){ 403, 404, 0 });
}

TEST_F(http, absolute_form_dot_dot_cannot_climb_out)
{
	expect_refused(_metadata, self->port, "http://localhost/../etc/passwd", any_refusal);
}

/* ---- consistency under change ---- */

#define VERSIONS	40
#define VSIZE(k)	(8192 + 1000 * (k))

/* Version k: VSIZE(k) bytes, all 'A' + k. */
static int write_version(int k)
{
	char *b = malloc(VSIZE(k));
	int ret;

	if (!b)
		return -1;
	memset(b, 'A' + k, VSIZE(k));
	ret = fh_create_file(ROOT "/v.tmp", b, VSIZE(k), 0644) ||
	      rename(ROOT "/v.tmp", ROOT "/v.txt");
	free(b);
	return ret;
}

/* The body is one whole version: its size, and its one byte throughout. */
static int which_version(const struct resp *r)
{
	size_t i;
	int k;

	if (!r->body_len)
		return -1;
	k = r->body[0] - 'A';
	if (k < 0 || k >= VERSIONS || r->body_len != (size_t)VSIZE(k))
		return -1;
	for (i = 0; i < r->body_len; i++)
		if (r->body[i] != 'A' + k)
			return -1;
	return k;
}

TEST_F_TIMEOUT(http, file_replaced_under_load_is_never_torn_or_stale, 300)
{
	struct hconn *c;
	struct resp r;
	int k, requests = 0, st, last = 0, bad = 0;
	bool reaped = false;
	pid_t writer;

	ASSERT_EQ(0, write_version(0));
	writer = fork();
	ASSERT_LE(0, writer);
	if (!writer) {
		for (k = 1; k < VERSIONS; k++) {
			usleep(30000);
			if (write_version(k))
				_exit(1);
		}
		_exit(0);
	}
	c = hc_open(self->port, IO_MS);
	while (c && !bad && !(reaped = waitpid(writer, &st, WNOHANG) == writer)) {
		if (hc_sends(c, "GET /v.txt HTTP/1.1\r\nHost: a\r\n\r\n") ||
		    hc_read(c, &r, false, IO_MS)) {
			TH_LOG("request %d: no response", requests);
			bad++;
			break;
		}
		k = r.status == 200 ? which_version(&r) : -2;
		if (k == -2)
			TH_LOG("request %d: status %d", requests, r.status);
		else if (k < 0)
			TH_LOG("request %d: a torn body of %zu bytes", requests, r.body_len);
		/* never older than one seen before */
		else if (k < last)
			TH_LOG("request %d: version %d after %d", requests, k, last);
		bad += k < last;
		last = k;
		/* a server may end a keep-alive connection after N requests */
		if (resp_has(&r, "Connection", "close")) {
			hc_close(c);
			c = hc_open(self->port, IO_MS);
		}
		resp_free(&r);
		requests++;
	}
	if (!reaped) {
		if (bad || !c)
			kill(writer, SIGKILL);
		ASSERT_EQ(writer, waitpid(writer, &st, 0));
	}
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, bad);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* the rewrite is complete: the next answer is the last version */
	ASSERT_EQ(0, hc_sends(c, "GET /v.txt HTTP/1.1\r\nHost: a\r\n\r\n"));
	ASSERT_EQ(0, hc_read(c, &r, false, IO_MS));
	EXPECT_EQ(VERSIONS - 1, which_version(&r));
	resp_free(&r);
	TH_LOG("%d requests while the file changed", requests);
	EXPECT_LT(0, requests);
	hc_close(c);
}

/* Rewritten in place (same inode, same size): the change shows at once. */
TEST_F(http, file_rewritten_in_place_is_served_new)
{
	struct resp r;

	ASSERT_EQ(0, write_str(ROOT "/w.txt", "old-content\n"));
	EXPECT_EQ(200, get(_metadata, self->port, "/w.txt", &r));
	EXPECT_STREQ("old-content\n", r.body);
	resp_free(&r);
	EXPECT_EQ(200, get(_metadata, self->port, "/w.txt", &r));
	resp_free(&r);
	ASSERT_EQ(0, write_str(ROOT "/w.txt", "new-content\n"));
	EXPECT_EQ(200, get(_metadata, self->port, "/w.txt", &r));
	EXPECT_STREQ("new-content\n", r.body);
	resp_free(&r);
}

/*
 * Asks for @path until it answers @want (with @body, if given) or
 * @ms pass; the status of the last answer.
 */
static int get_until(struct __test_metadata *_metadata, int port, const char *path,
		     int want, const char *body, int ms)
{
	long long end = fh_now_ms() + ms;
	struct resp r;
	int got;

	for (;;) {
		got = get(_metadata, port, path, &r);
		if (got == want && (!body || (r.body && !strcmp(r.body, body)))) {
			resp_free(&r);
			return got;
		}
		resp_free(&r);
		if (fh_now_ms() > end)
			return got ? got : -1;
		usleep(100 * 1000);
	}
}

/* Serves @path twice, the second time from the cache. */
static void get_cached(struct __test_metadata *_metadata, int port, const char *path,
		       const char *body)
{
	struct resp r;
	int i;

	/* older than the cache's 50 ms settling time, so the load caches it */
	usleep(200 * 1000);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(200, get(_metadata, port, path, &r));
		EXPECT_STREQ(body, r.body);
		resp_free(&r);
	}
}

/*
 * A change above a cached file (its directory renamed, its directory
 * closed to the site's user, a symlink on its path pointed elsewhere)
 * does not touch the file's inode: the cache resolves the path again a
 * second after it last did, so the change shows within about a second.
 */
TEST_F(http, cached_file_is_404_soon_after_its_directory_is_renamed)
{
	ASSERT_EQ(0, fh_run(NULL, 0, "mkdir -p " ROOT "/d1 && chmod 755 " ROOT "/d1"));
	ASSERT_EQ(0, write_str(ROOT "/d1/f.txt", "in-d1\n"));
	get_cached(_metadata, self->port, "/d1/f.txt", "in-d1\n");
	ASSERT_EQ(0, fh_run(NULL, 0, "mv " ROOT "/d1 " ROOT "/d2"));
	EXPECT_EQ(404, get_until(_metadata, self->port, "/d1/f.txt", 404, NULL, 3000));
	EXPECT_EQ(200, get_until(_metadata, self->port, "/d2/f.txt", 200, "in-d1\n", 3000));
}

TEST_F(http, cached_file_is_403_soon_after_its_directory_is_closed_to_the_user)
{
	ASSERT_EQ(0, fh_run(NULL, 0, "mkdir -p " ROOT "/dc && chmod 755 " ROOT "/dc"));
	ASSERT_EQ(0, write_str(ROOT "/dc/f.txt", "in-dc\n"));
	get_cached(_metadata, self->port, "/dc/f.txt", "in-dc\n");
	ASSERT_EQ(0, fh_run(NULL, 0, "chmod 700 " ROOT "/dc"));
	EXPECT_EQ(403, get_until(_metadata, self->port, "/dc/f.txt", 403, NULL, 3000));
}

TEST_F(http, cached_path_follows_a_symlink_pointed_elsewhere_soon)
{
	ASSERT_EQ(0, write_str(ROOT "/la.txt", "target-a\n"));
	ASSERT_EQ(0, write_str(ROOT "/lb.txt", "target-b\n"));
	ASSERT_EQ(0, fh_run(NULL, 0, "ln -sfn la.txt " ROOT "/link.txt"));
	get_cached(_metadata, self->port, "/link.txt", "target-a\n");
	ASSERT_EQ(0, fh_run(NULL, 0, "ln -sfn lb.txt " ROOT "/link.txt"));
	EXPECT_EQ(200, get_until(_metadata, self->port, "/link.txt", 200, "target-b\n", 3000));
}

/* ---- counters and the cache ---- */

TEST_F(http, second_request_of_a_file_is_a_cache_hit)
{
	long long hits, misses;
	struct resp r;

	misses = fh_stat("cache_misses");
	EXPECT_EQ(200, get(_metadata, self->port, "/4k.bin", &r));
	resp_free(&r);
	EXPECT_LT(misses, fh_stat("cache_misses"));
	hits = fh_stat("cache_hits");
	ASSERT_LE(0, hits) TH_LOG("no cache_hits counter");
	EXPECT_EQ(200, get(_metadata, self->port, "/4k.bin", &r));
	ASSERT_EQ(4096u, r.body_len);
	EXPECT_EQ(0, memcmp(data_4k, r.body, 4096));
	resp_free(&r);
	EXPECT_TRUE(fh_wait_stat("cache_hits", hits + 1, 2000));
}

TEST_F(http, status_counters_count_2xx_3xx_and_4xx)
{
	long long c2 = fh_stat("http_2xx"), c3 = fh_stat("http_3xx"), c4 = fh_stat("http_4xx");
	struct resp r;

	ASSERT_LE(0, c2);
	ASSERT_LE(0, c3);
	ASSERT_LE(0, c4);
	EXPECT_EQ(404, get(_metadata, self->port, "/no-such-file", &r));
	resp_free(&r);
	EXPECT_TRUE(fh_wait_stat("http_4xx", c4 + 1, 2000));
	EXPECT_EQ(200, get(_metadata, self->port, "/one.txt", &r));
	resp_free(&r);
	EXPECT_TRUE(fh_wait_stat("http_2xx", c2 + 1, 2000));
	EXPECT_EQ(301, get(_metadata, self->port, "/sub", &r));
	resp_free(&r);
	EXPECT_TRUE(fh_wait_stat("http_3xx", c3 + 1, 2000));
}

/*
 * The number after "key": in the object of `fhctl cache stats -j` whose
 * address is @addr; -1 when there is none.
 */
static long long cache_stat(const char *addr, const char *key)
{
	char out[16384], pat[128];
	const char *o, *start, *end, *k;

	if (fh_fhctl_out(out, sizeof(out), "cache stats -j"))
		return -1;
	snprintf(pat, sizeof(pat), "\"%s\"", addr);
	o = strstr(out, pat);
	if (!o)
		return -1;
	for (start = o; start > out && *start != '{'; start--)
		;
	end = strchr(o, '}');
	snprintf(pat, sizeof(pat), "\"%s\"", key);
	k = strstr(start, pat);
	if (!k || (end && k > end))
		return -1;
	k += strlen(pat);
	while (*k == ' ' || *k == ':')
		k++;
	return strtoll(k, NULL, 10);
}

TEST_F(http, cache_stats_show_entries_and_flush_empties_them)
{
	struct resp r;

	EXPECT_EQ(200, get(_metadata, self->port, "/4k.bin", &r));
	resp_free(&r);
	EXPECT_EQ(200, get(_metadata, self->port, "/one.txt", &r));
	resp_free(&r);
	EXPECT_EQ(200, get(_metadata, self->port, "/4k.bin", &r));
	resp_free(&r);
	EXPECT_LE(1, cache_stat(self->addr, "entries"));
	EXPECT_LE(4096, cache_stat(self->addr, "bytes"));
	EXPECT_LE(1, cache_stat(self->addr, "hits"));
	EXPECT_LT(0, cache_stat(self->addr, "limit"));
	ASSERT_EQ(0, fh_fhctl_ok("cache flush"));
	EXPECT_EQ(0, cache_stat(self->addr, "entries"));
	EXPECT_EQ(0, cache_stat(self->addr, "bytes"));
	/* and the file is still served, byte exact */
	EXPECT_EQ(200, get(_metadata, self->port, "/4k.bin", &r));
	ASSERT_EQ(4096u, r.body_len);
	EXPECT_EQ(0, memcmp(data_4k, r.body, 4096));
	resp_free(&r);
}

TEST_F(http, cache_flush_of_one_listener_leaves_the_other)
{
	struct resp r;

	ASSERT_EQ(0, fh_fhctl_ok("listener add http %s --root " ROOT, self->addr2));
	EXPECT_EQ(200, get(_metadata, self->port, "/4k.bin", &r));
	resp_free(&r);
	EXPECT_EQ(200, get(_metadata, self->port2, "/4k.bin", &r));
	resp_free(&r);
	ASSERT_EQ(0, fh_fhctl_ok("cache flush --listener %s", self->addr));
	EXPECT_EQ(0, cache_stat(self->addr, "entries"));
	EXPECT_LE(1, cache_stat(self->addr2, "entries"));
}

TEST_F(http, listener_with_cache_0_caches_nothing_and_serves)
{
	struct resp r;
	int i;

	ASSERT_EQ(0, fh_fhctl_ok("listener add http %s --root " ROOT " --cache 0", self->addr2));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(200, get(_metadata, self->port2, "/4k.bin", &r));
		ASSERT_EQ(4096U, r.body_len);
		EXPECT_EQ(0, memcmp(data_4k, r.body, 4096));
		resp_free(&r);
	}
	EXPECT_EQ(0, cache_stat(self->addr2, "entries"));
	EXPECT_EQ(0, cache_stat(self->addr2, "bytes"));
}

/* ---- load ---- */

#define CLIENTS	1000
#define ROUNDS	3

TEST_F_TIMEOUT(http, thousand_keep_alive_clients_all_get_200, 600)
{
	static struct hconn *c[CLIENTS];
	const char req[] = "GET /4k.bin HTTP/1.1\r\nHost: a\r\n\r\n";
	struct resp r;
	int i, round, ok = 0;

	/*
	 * Opening a thousand connections can take longer than the header
	 * timeout on an emulated debug kernel, and the first ones would then
	 * be closed unanswered, as they should be: that is another test's.
	 */
	if (!getenv("FH_HTTP_PEER_PORT"))
		ASSERT_EQ(0, fh_fhctl_ok("set max-connections 100000 http-header-timeout 5m"));
	for (i = 0; i < CLIENTS; i++) {
		c[i] = hc_open(self->port, IO_MS);
		ASSERT_NE(NULL, c[i]) TH_LOG("client %d could not connect", i);
	}
	for (round = 0; round < ROUNDS; round++) {
		/* every client has a request outstanding at once */
		for (i = 0; i < CLIENTS; i++)
			ASSERT_EQ(0, hc_sends(c[i], req)) TH_LOG("client %d", i);
		for (i = 0; i < CLIENTS; i++) {
			ASSERT_EQ(0, hc_read(c[i], &r, false, 60000))
				TH_LOG("client %d round %d: no response", i, round);
			EXPECT_EQ(200, r.status);
			ok += r.status == 200 && r.body_len == 4096 &&
			      !memcmp(r.body, data_4k, 4096);
			resp_free(&r);
		}
	}
	EXPECT_EQ(CLIENTS * ROUNDS, ok);
	for (i = 0; i < CLIENTS; i++)
		hc_close(c[i]);
}

/* The number after @label in wrk's output (0 when the line is absent). */
static long long wrk_number(const char *out, const char *label)
{
	const char *p = strstr(out, label);

	return p ? strtoll(p + strlen(label), NULL, 10) : 0;
}

TEST_F_TIMEOUT(http, wrk_gets_no_errors_and_only_2xx_from_a_4k_file, 300)
{
	char out[8192];
	const char *e;

	ASSERT_EQ(0, fh_run(out, sizeof(out), "wrk -t 2 -c 32 -d 4s --timeout 10s http://%s/4k.bin",
			    self->addr)) TH_LOG("%s", out);
	TH_LOG("%s", out);
	/* "  12345 requests in 4.00s, 50.00MB read" */
	e = strstr(out, " requests in ");
	ASSERT_NE(NULL, e) TH_LOG("%s", out);
	while (e > out && e[-1] >= '0' && e[-1] <= '9')
		e--;
	EXPECT_LT(0, strtoll(e, NULL, 10));
	EXPECT_EQ(NULL, strstr(out, "Socket errors:")) TH_LOG("%s", out);
	EXPECT_EQ(0, wrk_number(out, "Non-2xx or 3xx responses:"));
}

/* ---- the access log ---- */

/* The records each CPU's ring keeps. */
#define LOG_RECORDS	FH_LOG_RECORDS

/* Reads, and so empties, the access log: what earlier tests left. */
static void log_drain(void)
{
	fh_run(NULL, 0, "fhctl log >/dev/null");
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/*
 * `fhctl log ARGS` again and again, each output appended to @out, until
 * @out holds @lines lines or @ms pass (a record may be written just after
 * its response is sent). Returns the lines @out holds, or -1.
 */
static int log_read_lines(char *out, size_t len, const char *args, int lines, int ms)
{
	long long end = fh_now_ms() + ms;
	size_t used = 0;
	int n;

	out[0] = '\0';
	for (;;) {
		if (used + 1 < len && fh_fhctl_out(out + used, len - used, "log %s", args))
			return -1;
		used = strlen(out);
		n = count_lines(out);
		if (n >= lines || fh_now_ms() >= end)
			return n;
		usleep(50000);
	}
}

/* The second listener, with --access-log, on an empty log. */
static int add_logged(const char *addr, const char *more)
{
	int ret = fh_fhctl_ok("listener add http %s --root " ROOT " --access-log %s", addr, more);

	log_drain();
	return ret;
}

TEST_F(http, access_log_has_one_clf_line_for_a_get)
{
	char out[4096], want[128];
	const char *when;
	struct tm tm;
	struct resp r;
	time_t t;

	ASSERT_EQ(0, add_logged(self->addr2, ""));
	EXPECT_EQ(404, get(_metadata, self->port2, "/x", &r));
	ASSERT_EQ(1, log_read_lines(out, sizeof(out), "", 1, 2000)) TH_LOG("%s", out);
	/* 127.0.0.1 - - [02/Jan/2023:03:04:05 +0000] "GET /x HTTP/1.1" 404 153 */
	EXPECT_EQ(0, strncmp(out, "127.0.0.1 - - [", 15)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), " +0000] \"GET /x HTTP/1.1\" 404 %zu\n", r.body_len);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("no '%s' in: %s", want, out);
	resp_free(&r);
	memset(&tm, 0, sizeof(tm));
	when = strchr(out, '[');
	ASSERT_NE(NULL, when);
	ASSERT_NE(NULL, strptime(when + 1, "%d/%b/%Y:%H:%M:%S +0000]", &tm)) TH_LOG("%s", out);
	t = timegm(&tm);
	EXPECT_GE(60, labs((long)(t - time(NULL)))) TH_LOG("logged at %s", out);
}

TEST_F(http, access_log_read_twice_prints_nothing_the_second_time)
{
	char out[4096];
	struct resp r;

	ASSERT_EQ(0, add_logged(self->addr2, ""));
	EXPECT_EQ(200, get(_metadata, self->port2, "/one.txt", &r));
	resp_free(&r);
	ASSERT_EQ(1, log_read_lines(out, sizeof(out), "", 1, 2000)) TH_LOG("%s", out);
	ASSERT_EQ(0, fh_fhctl_out(out, sizeof(out), "log"));
	EXPECT_STREQ("", out);
}

TEST_F(http, listener_without_access_log_logs_nothing)
{
	char out[4096], want[64];
	struct resp r;

	/* the fixture's listener has no --access-log; the second one logs */
	ASSERT_EQ(0, add_logged(self->addr2, ""));
	EXPECT_EQ(200, get(_metadata, self->port, "/one.txt", &r));
	resp_free(&r);
	EXPECT_EQ(200, get(_metadata, self->port2, "/one.txt", &r));
	resp_free(&r);
	ASSERT_EQ(1, log_read_lines(out, sizeof(out), "-j", 1, 2000)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "\"port\":%d,", self->port2);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("no '%s' in: %s", want, out);
	/* and nothing else comes */
	usleep(500000);
	EXPECT_EQ(0, log_read_lines(out, sizeof(out), "-j", 1, 0)) TH_LOG("%s", out);
}

TEST_F(http, bad_request_line_is_logged_as_dash_with_400)
{
	char out[4096], want[64];
	struct hconn *c;
	struct resp r;

	ASSERT_EQ(0, add_logged(self->addr2, ""));
	/* '@' cannot start a method: the line does not parse that far */
	c = hc_open(self->port2, IO_MS);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, hc_sends(c, "@GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
	ASSERT_EQ(0, hc_read(c, &r, false, IO_MS));
	hc_close(c);
	EXPECT_EQ(400, r.status);
	ASSERT_EQ(1, log_read_lines(out, sizeof(out), "", 1, 2000)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), " +0000] \"-\" 400 %zu\n", r.body_len);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("no '%s' in: %s", want, out);
	resp_free(&r);
}

TEST_F(http, access_log_counts_log_records)
{
	long long before;
	struct resp r;

	ASSERT_EQ(0, add_logged(self->addr2, ""));
	before = fh_stat("log_records");
	ASSERT_LE(0, before);
	EXPECT_EQ(200, get(_metadata, self->port2, "/one.txt", &r));
	resp_free(&r);
	EXPECT_TRUE(fh_wait_stat("log_records", before + 1, 2000))
		TH_LOG("log_records %lld, was %lld", fh_stat("log_records"), before);
	log_drain();
}

/*
 * More responses than one CPU's ring holds, none read: the ones beyond it
 * are dropped and counted, and every request is still answered.
 */
#define FLOOD	(LOG_RECORDS + 200)

TEST_F_TIMEOUT(http, flood_beyond_the_ring_counts_log_dropped_and_answers_every_request, 600)
{
	const char req[] = "GET /one.txt HTTP/1.1\r\nHost: a\r\n\r\n";
	long long before;
	struct hconn *c;
	struct resp r;
	int i, ok = 0;

	ASSERT_EQ(0, add_logged(self->addr2, "--cpus 0"));
	before = fh_stat("log_dropped");
	ASSERT_LE(0, before);
	/* one keep-alive connection: one worker, CPU 0's, answers all of them */
	c = hc_open(self->port2, IO_MS);
	ASSERT_NE(NULL, c);
	for (i = 0; i < FLOOD; i++) {
		if (hc_sends(c, req) || hc_read(c, &r, false, IO_MS))
			break;
		ok += r.status == 200 && r.body_len == 1 && r.body[0] == 'x';
		resp_free(&r);
	}
	hc_close(c);
	EXPECT_EQ(FLOOD, ok) TH_LOG("%d of %d answered 200", ok, FLOOD);
	EXPECT_TRUE(fh_wait_stat("log_dropped", before + (FLOOD - LOG_RECORDS), 2000))
		TH_LOG("log_dropped %lld, was %lld", fh_stat("log_dropped"), before);
	log_drain();
}

TEST_HARNESS_MAIN
