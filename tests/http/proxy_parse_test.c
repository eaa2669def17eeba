// SPDX-License-Identifier: GPL-2.0
/* The reverse proxy's re-framing and chunked-body following. */
#include <stdio.h>

#include "ht.h"
#include "http_proxy_parse.h"

static char out[4096];
static bool upgrade;

static long reframe(const char *head)
{
	long n = http_proxy_request(head, strlen(head), out, sizeof(out) - 1,
				    "10.0.0.9", "127.0.0.1:8000", &upgrade);

	out[n > 0 ? n : 0] = 0;
	return n;
}

TEST(proxy_request_drops_hop_by_hop_fields_and_what_connection_names)
{
	CHECK(reframe("GET /a?b HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-Secret\r\n"
		      "X-Secret: 1\r\nKeep-Alive: 5\r\nTE: trailers\r\nTrailer: a\r\n"
		      "Upgrade: h2c\r\nProxy-Authorization: p\r\nProxy-Connection: x\r\n"
		      "Expect: 100-continue\r\nAccept: */*\r\n\r\n") > 0, "refused");
	CHECK(!strcmp(out, "GET /a?b HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n"
		      "X-Forwarded-For: 10.0.0.9\r\nX-Forwarded-Proto: http\r\n\r\n"),
	      "got [%s]", out);
}

TEST(proxy_request_appends_the_client_to_x_forwarded_for_in_one_field)
{
	CHECK(reframe("POST / HTTP/1.1\r\nX-Forwarded-For: 1.1.1.1\r\nHost: x\r\n"
		      "x-forwarded-for: 2.2.2.2\r\nX-Forwarded-Proto: https\r\n"
		      "Content-Length: 3\r\n\r\n") > 0, "refused");
	CHECK(!strcmp(out, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
		      "X-Forwarded-For: 1.1.1.1, 2.2.2.2, 10.0.0.9\r\n"
		      "X-Forwarded-Proto: http\r\n\r\n"), "got [%s]", out);
}

TEST(proxy_request_from_http_1_0_goes_as_1_1_with_a_host)
{
	CHECK(reframe("GET / HTTP/1.0\n\n") > 0, "refused");
	CHECK(!strcmp(out, "GET / HTTP/1.1\r\nX-Forwarded-For: 10.0.0.9\r\n"
		      "Host: 127.0.0.1:8000\r\nX-Forwarded-Proto: http\r\n\r\n"),
	      "got [%s]", out);
}

TEST(proxy_request_that_does_not_fit_is_refused)
{
	const char *h = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

	CHECK_INT(http_proxy_request(h, strlen(h), out, 20, "1.2.3.4", NULL, &upgrade), -1);
}

TEST(proxy_request_for_a_websocket_keeps_its_upgrade)
{
	CHECK(reframe("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
		      "Upgrade: websocket\r\nSec-WebSocket-Key: k\r\n\r\n") > 0, "refused");
	CHECK(upgrade, "not an upgrade");
	CHECK(!strcmp(out, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
		      "Sec-WebSocket-Key: k\r\nX-Forwarded-For: 10.0.0.9\r\n"
		      "Connection: upgrade\r\nX-Forwarded-Proto: http\r\n\r\n"),
	      "got [%s]", out);
}

TEST(proxy_request_for_h2c_or_a_post_upgrade_is_not_tunnelled)
{
	CHECK(reframe("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
		      "Upgrade: h2c\r\nHTTP2-Settings: a\r\n\r\n") > 0, "refused");
	CHECK(!upgrade && !strstr(out, "pgrade") && !strstr(out, "HTTP2"), "got [%s]", out);
	CHECK(reframe("POST / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\n"
		      "Upgrade: websocket\r\nContent-Length: 0\r\n\r\n") > 0, "refused");
	CHECK(!upgrade && !strstr(out, "pgrade"), "got [%s]", out);
}

static struct http_resp resp;

static long parse(const char *head, bool dechunk)
{
	size_t len = http_resp_head_len(head, strlen(head));
	long n;

	if (!len)
		return -2;
	n = http_resp_parse(head, len, &resp, out, sizeof(out) - 1, dechunk,
			    upgrade);
	out[n > 0 ? n : 0] = 0;
	return n;
}

TEST(proxy_response_keeps_end_to_end_fields_and_drops_hop_by_hop)
{
	CHECK(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close, X-A\r\n"
		    "X-A: 1\r\nKeep-Alive: t\r\nServer: app\r\n\r\nhello", false) > 0,
	      "refused");
	CHECK(!strcmp(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: app\r\n"),
	      "got [%s]", out);
	CHECK(resp.has_cl && resp.cl == 5 && resp.conn_close && resp.status == 200,
	      "framing wrong");
	CHECK(!resp.has_date, "a Date seen where none was");
	CHECK(parse("HTTP/1.1 204 No Content\r\ndate: Mon, 07 Dec 2026 04:00:00 GMT\r\n\r\n",
		    false) > 0 && resp.has_date, "its Date not seen");
}

TEST(proxy_response_with_chunked_and_content_length_is_chunked_without_the_length)
{
	CHECK(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
		    false) > 0, "refused");
	CHECK(resp.chunked && !resp.has_cl, "framing wrong");
	CHECK(!strstr(out, "Content-Length"), "got [%s]", out);
	CHECK(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true) > 0,
	      "refused");
	CHECK(!strstr(out, "Transfer-Encoding"), "dechunked keeps it: [%s]", out);
}

TEST(proxy_response_101_keeps_its_upgrade_only_for_an_upgrade_request)
{
	upgrade = true;
	CHECK(parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		    "Connection: Upgrade\r\nSec-WebSocket-Accept: a\r\n\r\n", false) > 0,
	      "refused");
	CHECK(!strcmp(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		      "Sec-WebSocket-Accept: a\r\n"), "got [%s]", out);
	upgrade = false;
	CHECK(parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
		    false) > 0, "refused");
	CHECK(!strstr(out, "Upgrade"), "got [%s]", out);
}

TEST(proxy_response_malformed_heads_are_refused)
{
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
			false), -1);
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false), -1);
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", false), -1);
	CHECK_INT(parse("HTTP/2 200 OK\r\n\r\n", false), -1);
	CHECK_INT(parse("HTTP/1.1 20 OK\r\n\r\n", false), -1);
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", false), -1);
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", false), -1);
	CHECK_INT(parse("HTTP/1.1 200 OK\r\n", false), -2);
}

/* Follow @body split at @split; returns bytes to the end, data bytes seen. */
static long follow(const char *body, size_t split, size_t *data_bytes)
{
	struct http_chunk ck = { 0 };
	size_t len = strlen(body), pos = 0, n, end;
	enum http_chunk_result r = HTTP_CHUNK_AGAIN;
	bool data;

	*data_bytes = 0;
	while (pos < len && r == HTTP_CHUNK_AGAIN) {
		end = pos < split ? split : len;
		r = http_chunk_run(&ck, body + pos, end - pos, &n, &data);
		if (r == HTTP_CHUNK_ERROR)
			return -1;
		if (data)
			*data_bytes += n;
		pos += n;
	}
	return r == HTTP_CHUNK_DONE ? (long)pos : -2;
}

TEST(proxy_chunked_body_ends_at_its_last_chunk_split_at_every_byte)
{
	const char *b = "5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n"
			"0\r\nX-T: 1\r\n\r\nNEXT";
	size_t data, split;

	for (split = 0; split <= strlen(b); split++) {
		CHECK_INT(follow(b, split, &data), strlen(b) - 4);
		CHECK_INT(data, 31);
	}
}

TEST(proxy_chunked_bad_framing_is_an_error)
{
	size_t data;

	CHECK_INT(follow("5\r\nhelloX\r\n0\r\n\r\n", 0, &data), -1);
	CHECK_INT(follow("g\r\n", 0, &data), -1);
	CHECK_INT(follow("10000000000000000\r\n", 0, &data), -1);
	CHECK_INT(follow("5\r\nhel", 0, &data), -2);
}
