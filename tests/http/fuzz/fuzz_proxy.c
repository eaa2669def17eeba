// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the proxy's parsing (make fuzz). The first byte
 * picks the part:
 * - a request head re-framed: whatever it is, the output stays within its
 *   buffer and never carries a bare CR or LF outside line ends, nor a
 *   field the proxy must drop;
 * - a response head: a head found whole parses or is refused, and what is
 *   written is lines ending CRLF, never a field named by hop-by-hop rules;
 * - a chunked body, cut at the byte the second byte picks: both ways of
 *   following it agree on where it ends and how much data it has.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "http_proxy_parse.h"

static char out[70000];

/* Every LF is preceded by CR and every CR followed by LF. */
static void check_lines(const char *p, long n)
{
	long i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			abort();
		if (p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n'))
			abort();
	}
}

static long follow(const char *p, size_t len, size_t cut, size_t *data_n,
		   int *res)
{
	struct http_chunk ck = { 0 };
	size_t pos = 0, n, end;
	bool data;

	*data_n = 0;
	*res = HTTP_CHUNK_AGAIN;
	while (pos < len && *res == HTTP_CHUNK_AGAIN) {
		end = pos < cut ? cut : len;
		*res = http_chunk_run(&ck, p + pos, end - pos, &n, &data);
		if (*res == HTTP_CHUNK_ERROR)
			return -1;
		if (n > end - pos)
			abort();
		if (data)
			*data_n += n;
		pos += n;
		if (!n && *res == HTTP_CHUNK_AGAIN && pos < len && end == len)
			abort();	/* no progress on bytes it was given whole */
	}
	return pos;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *p = (const char *)data + 2;
	size_t len, d1, d2;
	struct http_resp r;
	bool upgrade;
	int r1, r2;
	long n, a, b;

	if (size < 2)
		return 0;
	len = size - 2;
	switch (data[0] % 3) {
	case 0:
		n = http_proxy_request(p, len, out, sizeof(out) / 2, "127.0.0.1",
				       "h:1", &upgrade);
		if (n > (long)sizeof(out) / 2)
			abort();
		if (n > 0) {
			check_lines(out, n);
			if (memmem(out, n, "\r\nKeep-Alive:", 13) ||
			    memmem(out, n, "\r\nTE:", 5) ||
			    memmem(out, n, "\r\nExpect:", 9))
				abort();
		}
		break;
	case 1:
		len = http_resp_head_len(p, len);
		if (!len)
			break;
		n = http_resp_parse(p, len, &r, out, sizeof(out) / 2, data[1] & 1,
				    data[1] & 2);
		if (n > (long)sizeof(out) / 2)
			abort();
		if (n > 0) {
			check_lines(out, n);
			if (memmem(out, n, "\r\nConnection:", 13) ||
			    memmem(out, n, "\r\nKeep-Alive:", 13))
				abort();
			if (r.status < 100 || r.status > 599 || (r.chunked && r.has_cl))
				abort();
		}
		break;
	default:
		a = follow(p, len, len, &d1, &r1);
		b = follow(p, len, data[1] % (len + 1), &d2, &r2);
		if (a != b || r1 != r2 || (a >= 0 && d1 != d2))
			abort();
		break;
	}
	return 0;
}
