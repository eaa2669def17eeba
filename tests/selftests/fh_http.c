// SPDX-License-Identifier: GPL-2.0
/*
 * A tiny HTTP/1.1 client for the selftests: exact bytes out, raw responses
 * in, a deadline on every read (fh_http.h says what each call does).
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fh_http.h"
#include "fh_util.h"

struct hconn *hc_open(int port, int io_ms)
{
	struct hconn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = fh_connect("127.0.0.1", port);
	if (c->fd < 0) {
		free(c);
		return NULL;
	}
	fh_set_timeout(c->fd, io_ms);
	return c;
}

void hc_close(struct hconn *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c->buf);
	free(c);
}

int hc_send(struct hconn *c, const void *p, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = send(c->fd, (const char *)p + done, len - done, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

int hc_sends(struct hconn *c, const char *s)
{
	return hc_send(c, s, strlen(s));
}

long hc_fill(struct hconn *c, long long deadline)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	ssize_t n;

	if (c->eof)
		return 0;
	if (c->cap - c->len < 16384) {
		size_t cap = c->cap ? c->cap * 2 : 32768;
		char *b = realloc(c->buf, cap + 1);

		if (!b)
			return -1;
		c->buf = b;
		c->cap = cap;
	}
	for (;;) {
		int left = (int)(deadline - fh_now_ms());

		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return -1;
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
		if (n > 0) {
			c->len += n;
			c->buf[c->len] = '\0';
			return n;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			c->eof = true;
			return 0;
		}
	}
}

void resp_free(struct resp *r)
{
	free(r->head);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

int resp_field(const struct resp *r, const char *name, char *val, size_t cap)
{
	size_t nlen = strlen(name);
	const char *p = r->head ? strstr(r->head, "\r\n") : NULL;
	int n = 0;

	if (val && cap)
		val[0] = '\0';
	while (p && p[2]) {
		const char *line = p + 2, *end = strstr(line, "\r\n");

		if (!end)
			break;
		if (!strncasecmp(line, name, nlen) && line[nlen] == ':') {
			const char *v = line + nlen + 1;
			const char *e = end;

			while (*v == ' ' || *v == '\t')
				v++;
			while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if (!n && val && cap) {
				size_t l = (size_t)(e - v) < cap - 1 ? (size_t)(e - v) : cap - 1;

				memcpy(val, v, l);
				val[l] = '\0';
			}
			n++;
		}
		p = end;
	}
	return n;
}

bool resp_has(const struct resp *r, const char *name, const char *want)
{
	char v[512];

	return resp_field(r, name, v, sizeof(v)) == 1 && !strcmp(v, want);
}

/*
 * The chunked body at @p, @n bytes of it so far: the bytes it takes
 * through its last chunk and trailer once they have all arrived (0: not
 * yet; -1: malformed), its data copied to @out (NULL: none) and counted
 * in *@dlen.
 */
static long dechunk(const char *p, size_t n, char *out, size_t *dlen)
{
	size_t i = 0, d = 0;

	for (;;) {
		const char *eol = memmem(p + i, n - i, "\r\n", 2);
		unsigned long long size;
		char *e;

		if (!eol)
			return 0;
		if (!isxdigit((unsigned char)p[i]))
			return -1;
		size = strtoull(p + i, &e, 16);
		if (e > eol || (e != eol && *e != ';' && *e != ' ' && *e != '\t'))
			return -1;
		i = eol + 2 - p;
		if (!size) {
			/* trailer fields, up to the empty line */
			for (;;) {
				eol = memmem(p + i, n - i, "\r\n", 2);
				if (!eol)
					return 0;
				if (eol == p + i) {
					*dlen = d;
					return (long)(i + 2);
				}
				i = eol + 2 - p;
			}
		}
		if (size > n || n - i < size + 2)
			return 0;
		if (memcmp(p + i + size, "\r\n", 2))
			return -1;
		if (out)
			memcpy(out + d, p + i, size);
		d += size;
		i += size + 2;
	}
}

/* The chunked body after the head's @hlen bytes into @r: 0, or -1. */
static int hc_read_chunked(struct hconn *c, struct resp *r, size_t hlen, long long deadline)
{
	size_t blen;
	long used;

	while (!(used = dechunk(c->buf + hlen, c->len - hlen, NULL, &blen)))
		if (hc_fill(c, deadline) <= 0)
			return -1;
	if (used < 0)
		return -1;
	r->body = malloc(blen + 1);
	if (!r->body)
		return -1;
	dechunk(c->buf + hlen, c->len - hlen, r->body, &blen);
	r->body[blen] = '\0';
	r->body_len = blen;
	r->chunked = true;
	memmove(c->buf, c->buf + hlen + used, c->len - hlen - used);
	c->len -= hlen + used;
	c->buf[c->len] = '\0';
	return 0;
}

int hc_read(struct hconn *c, struct resp *r, bool head_only, int timeout_ms)
{
	long long deadline = fh_now_ms() + timeout_ms;
	char cl[64], te[128], *end;
	size_t hlen, blen;
	bool to_eof = false;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	while (!c->buf || !(end = memmem(c->buf, c->len, "\r\n\r\n", 4)))
		if (hc_fill(c, deadline) <= 0)
			return -1;
	hlen = end + 4 - c->buf;
	r->head = strndup(c->buf, hlen);
	if (!r->head || sscanf(r->head, "%15s %d", r->version, &r->status) != 2)
		return -1;
	if (head_only || r->status == 304 || r->status == 204 || r->status / 100 == 1)
		blen = 0;
	else if (resp_field(r, "Transfer-Encoding", te, sizeof(te)) && strcasestr(te, "chunked"))
		return hc_read_chunked(c, r, hlen, deadline);
	else if (resp_field(r, "Content-Length", cl, sizeof(cl)) == 1)
		blen = strtoull(cl, NULL, 10);
	else
		to_eof = true, blen = 0;
	/* the body: up to its Content-Length, or up to EOF when it has none */
	while (to_eof ? !c->eof : c->len < hlen + blen) {
		if (hc_fill(c, deadline) < 0)
			return -1;
		if (c->eof && !to_eof && c->len < hlen + blen)
			return -1;
	}
	if (to_eof)
		blen = c->len - hlen;
	r->body = malloc(blen + 1);
	if (!r->body)
		return -1;
	memcpy(r->body, c->buf + hlen, blen);
	r->body[blen] = '\0';
	r->body_len = blen;
	memmove(c->buf, c->buf + hlen + blen, c->len - hlen - blen);
	c->len -= hlen + blen;
	c->buf[c->len] = '\0';
	return 0;
}

bool hc_closed(struct hconn *c, int ms)
{
	long long deadline = fh_now_ms() + ms;

	while (!c->eof)
		if (hc_fill(c, deadline) < 0)
			return false;
	return c->len == 0;
}

bool hc_open_still(struct hconn *c, int ms)
{
	return hc_fill(c, fh_now_ms() + ms) < 0 && !c->eof && c->len == 0;
}
