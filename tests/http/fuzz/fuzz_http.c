// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the HTTP request parser (make fuzz; make check
 * runs it for a while too).
 *
 * The input is parsed whole and in pieces whose sizes come from its first
 * byte; the two must agree. Then the path, the Range value, the
 * If-None-Match list and the input itself (as a date) go through the other
 * parsers.
 */
#include <stdlib.h>
#include <string.h>

#include "http_date.h"
#include "http_parse.h"
#include "http_path.h"
#include "http_range.h"

static struct http_req whole, part;
static char out[HTTP_TARGET_CAP];

static int feed(struct http_req *r, const char *s, size_t n, size_t step,
		size_t *consumed)
{
	size_t off = 0;
	int res = HTTP_PARSE_AGAIN;

	http_req_init(r, 200, 1000);
	r->now = 1735689600;
	*consumed = 0;
	while (off < n) {
		size_t len = step < n - off ? step : n - off;

		res = http_parse(r, s + off, len);
		*consumed += r->used;
		if (res != HTTP_PARSE_AGAIN)
			break;
		if (r->used != len)
			abort();
		off += len;
	}
	return res;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *s = (const char *)data + 1;
	size_t n, cw, cp, pl, ol;
	const char *p;
	bool dir;
	u64 a, b;
	s64 t;
	int rw, rp;

	if (size < 1)
		return 0;
	n = size - 1;
	rw = feed(&whole, s, n, n ? n : 1, &cw);
	rp = feed(&part, s, n, 1 + data[0] % 16, &cp);
	if (rw != rp || cw != cp || whole.status != part.status ||
	    whole.target_len != part.target_len ||
	    memcmp(whole.target, part.target, whole.target_len) ||
	    whole.host_len != part.host_len ||
	    memcmp(whole.host, part.host, whole.host_len) ||
	    whole.keep_alive != part.keep_alive ||
	    whole.body_len != part.body_len || whole.ims != part.ims)
		abort();

	p = http_req_path(&whole, &pl);
	if (http_path_normalize(p, pl, out, sizeof(out), &ol, &dir) == 0) {
		if (!ol || out[0] != '/')
			abort();
		http_content_type(out, ol);
	}
	if (http_range_parse(whole.range, whole.range_len, data[0], &a, &b) ==
	    HTTP_RANGE_SINGLE && (b == 0 || a + b > data[0]))
		abort();
	http_etag_match_weak(whole.inm, whole.inm_len, "W/\"x\"", 5);
	http_req_use_range(&whole, "\"x\"", 3, 0);
	http_req_not_modified(&whole, "\"x\"", 3, 0);
	http_date_parse(s, n, 1735689600, &t);
	http_path_normalize(s, n, out, sizeof(out), &ol, &dir);
	http_range_parse(s, n, 1000, &a, &b);
	return 0;
}
