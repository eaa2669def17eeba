// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP/1.x request heads (RFC 9112, RFC 9110), parsed a byte at a time by a
 * state machine whose whole state lives in struct http_req, so the head
 * may arrive in pieces of any size and no byte is looked at twice.
 *
 * Where RFC 9112 allows leniency, this parser is as strict as nginx or
 * stricter: exactly one SP between the parts of the request line, no
 * whitespace before a field's colon, no obs-fold, no bare CR. A bare LF
 * ends a line, as nginx and RFC 9112 2.2 allow, and empty lines before the
 * request line are skipped (RFC 9112 2.2).
 */
#include "http_parse.h"
#include "http_date.h"

enum {
	HTTP_S_START,		/* before the request line: empty lines skipped */
	HTTP_S_START_LF,	/* the CR of such an empty line */
	HTTP_S_METHOD,
	HTTP_S_TARGET,
	HTTP_S_VERSION,
	HTTP_S_LINE_LF,		/* the CR after the version */
	HTTP_S_FIELD,		/* start of a field line or of the empty line */
	HTTP_S_END_LF,		/* the CR of the empty line */
	HTTP_S_NAME,
	HTTP_S_OWS,		/* after the colon */
	HTTP_S_VALUE,
	HTTP_S_VALUE_LF,	/* the CR after a value */
	HTTP_S_DONE,
	HTTP_S_ERROR,
};

/* The fields acted on; any other is checked for syntax and skipped. */
enum {
	HTTP_F_OTHER,
	HTTP_F_HOST,
	HTTP_F_CONTENT_LENGTH,
	HTTP_F_TRANSFER_ENCODING,
	HTTP_F_CONNECTION,
	HTTP_F_IF_MODIFIED_SINCE,
	HTTP_F_IF_NONE_MATCH,
	HTTP_F_RANGE,
	HTTP_F_IF_RANGE,
	HTTP_F_COUNT,
};

static const char * const http_fields[HTTP_F_COUNT] = {
	[HTTP_F_HOST] = "host",
	[HTTP_F_CONTENT_LENGTH] = "content-length",
	[HTTP_F_TRANSFER_ENCODING] = "transfer-encoding",
	[HTTP_F_CONNECTION] = "connection",
	[HTTP_F_IF_MODIFIED_SINCE] = "if-modified-since",
	[HTTP_F_IF_NONE_MATCH] = "if-none-match",
	[HTTP_F_RANGE] = "range",
	[HTTP_F_IF_RANGE] = "if-range",
};

/* Methods are case-sensitive (RFC 9110 9.1): "get" is unknown, 501. */
static const char * const http_methods[] = {
	[HTTP_METHOD_GET] = "GET",
	[HTTP_METHOD_HEAD] = "HEAD",
	[HTTP_METHOD_POST] = "POST",
	[HTTP_METHOD_PUT] = "PUT",
	[HTTP_METHOD_DELETE] = "DELETE",
	[HTTP_METHOD_CONNECT] = "CONNECT",
	[HTTP_METHOD_OPTIONS] = "OPTIONS",
	[HTTP_METHOD_TRACE] = "TRACE",
	[HTTP_METHOD_PATCH] = "PATCH",
};

/* States of a list element (Connection, Transfer-Encoding). */
enum {
	HTTP_L_LEAD,		/* nothing yet but OWS */
	HTTP_L_TOKEN,		/* in the leading token */
	HTTP_L_AFTER,		/* past it */
};

/* States of a Content-Length list element. */
enum {
	HTTP_CL_LEAD,
	HTTP_CL_DIGITS,
	HTTP_CL_AFTER,
};

/* Content-Length bound: what an off_t holds, nginx's bound too. */
#define HTTP_CL_MAX ((u64)0x7fffffffffffffffULL)

/* http_byte() result: the head is complete and valid. */
#define HTTP_HEAD_DONE (-1)

/* tchar (RFC 9110 5.6.2): "!#$%&'*+-.^_`|~", DIGIT, ALPHA */
static const u32 http_tchar_map[8] = {
	0x00000000, 0x03ff6cfa, 0xc7fffffe, 0x57ffffff,
};

/* reg-name bytes (RFC 3986 3.2.2): unreserved, sub-delims; "%" apart */
static const u32 http_regname_map[8] = {
	0x00000000, 0x2bff7fd2, 0x87fffffe, 0x47fffffe,
};

static bool http_in(const u32 *map, u8 c)
{
	return map[c >> 5] & (1U << (c & 31));
}

static bool http_tchar(u8 c)
{
	return http_in(http_tchar_map, c);
}

static bool http_ows(u8 c)
{
	return c == ' ' || c == '\t';
}

/*
 * What a field value may hold: field-vchar, obs-text, SP and HTAB. NUL, the
 * other controls and DEL are rejected (RFC 9110 5.5 allows a recipient to
 * keep them; nginx refuses NUL only: refusing all is the safe choice).
 */
static bool http_value_char(u8 c)
{
	return c == '\t' || (c >= ' ' && c != 0x7f);
}

static bool http_digit(u8 c)
{
	return c >= '0' && c <= '9';
}

static bool http_hexdig(u8 c)
{
	return http_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static u8 http_lower(u8 c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* @s (@n bytes) equals the NUL-terminated @name exactly. */
static bool http_eq(const char *s, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (name[i] == '\0' || s[i] != name[i])
			return false;
	return name[n] == '\0';
}

/* @s (@n bytes, any case) equals the lower-case NUL-terminated @name. */
static bool http_ieq(const char *s, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (name[i] == '\0' || http_lower(s[i]) != name[i])
			return false;
	return name[n] == '\0';
}

static void http_copy(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = src[i];
}

/* dec-octet "." dec-octet "." dec-octet "." dec-octet, exactly @n bytes */
static bool http_ipv4_valid(const char *s, size_t n)
{
	size_t i = 0;
	int part, digits, v;

	for (part = 0; part < 4; part++) {
		if (part) {
			if (i == n || s[i] != '.')
				return false;
			i++;
		}
		for (digits = 0, v = 0; i < n && http_digit(s[i]); i++) {
			/* dec-octet has no leading zero */
			if (digits == 1 && v == 0)
				return false;
			v = v * 10 + (s[i] - '0');
			if (++digits > 3 || v > 255)
				return false;
		}
		if (!digits)
			return false;
	}
	return i == n;
}

/* IPv6address (RFC 3986 3.2.2): eight h16, or fewer around one "::". */
static bool http_ipv6_valid(const char *s, size_t n)
{
	size_t i = 0, start;
	int groups = 0, h;
	bool gap = false;

	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		gap = true;
		i = 2;
		if (i == n)
			return true;
	}
	for (;;) {
		start = i;
		for (h = 0; i < n && h < 5 && http_hexdig(s[i]); h++)
			i++;
		if (i < n && s[i] == '.') {
			/* ls32 may be an IPv4address: the last two groups */
			if (!http_ipv4_valid(s + start, n - start))
				return false;
			groups += 2;
			break;
		}
		if (h == 0 || h > 4)
			return false;
		groups++;
		if (i == n)
			break;
		if (s[i++] != ':' || i == n)
			return false;
		if (s[i] == ':') {
			if (gap)
				return false;
			gap = true;
			if (++i == n)
				break;
		}
	}
	return gap ? groups <= 7 : groups == 8;
}

/* IP-literal without its brackets: IPv6address / IPvFuture */
static bool http_ip_literal_valid(const char *s, size_t n)
{
	size_t i = 1;

	if (n == 0)
		return false;
	if (s[0] != 'v' && s[0] != 'V')
		return http_ipv6_valid(s, n);
	/* "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ) */
	while (i < n && http_hexdig(s[i]))
		i++;
	if (i == 1 || i == n || s[i] != '.' || ++i == n)
		return false;
	for (; i < n; i++)
		if (s[i] != ':' && !http_in(http_regname_map, s[i]))
			return false;
	return true;
}

/*
 * uri-host [ ":" port ] (RFC 9110 7.2, RFC 3986 3.2.2-3.2.3), @n bytes.
 * *@host_len gets the length of uri-host, which may be empty (a reg-name
 * may be: RFC 9112 3.2 lets a Host field be empty).
 */
static bool http_host_valid(const char *s, size_t n, size_t *host_len)
{
	size_t i = 0;

	if (n && s[0] == '[') {
		while (i < n && s[i] != ']')
			i++;
		if (i == n || !http_ip_literal_valid(s + 1, i - 1))
			return false;
		i++;
	} else {
		while (i < n && s[i] != ':') {
			if (s[i] == '%') {
				if (n - i < 3 || !http_hexdig(s[i + 1]) ||
				    !http_hexdig(s[i + 2]))
					return false;
				i += 3;
			} else if (http_in(http_regname_map, s[i])) {
				i++;
			} else {
				return false;
			}
		}
	}
	*host_len = i;
	if (i == n)
		return true;
	if (s[i++] != ':')
		return false;
	for (; i < n; i++)
		if (!http_digit(s[i]))
			return false;
	return true;
}

static void http_method_end(struct http_req *r)
{
	int m;

	r->method = HTTP_METHOD_OTHER;
	if (r->p.mlen > sizeof(r->p.mbuf))
		return;
	for (m = HTTP_METHOD_GET; m <= HTTP_METHOD_PATCH; m++) {
		if (http_eq(r->p.mbuf, r->p.mlen, http_methods[m])) {
			r->method = m;
			return;
		}
	}
}

const char *http_method_name(enum http_method m)
{
	return m >= HTTP_METHOD_GET && m <= HTTP_METHOD_PATCH ?
	       http_methods[m] : NULL;
}

static void http_split_query(struct http_req *r)
{
	u32 i;

	for (i = 0; i < r->target_len && r->target[i] != '?'; i++)
		;
	r->path_len = i;
	r->has_query = i < r->target_len;
}

/*
 * The request-target is complete (RFC 9112 3.2). Origin-form stays as it
 * is; absolute-form leaves its authority in host[] and its path and query
 * in target[]; asterisk-form is for OPTIONS and authority-form for CONNECT
 * only (both then get 405); anything else is 400.
 */
static int http_target_end(struct http_req *r)
{
	char *t = r->target;
	u32 n = r->target_len, i = 0, a, end, o;
	size_t hl;

	if (n == 0)
		return 400;
	if (t[0] == '/') {
		r->form = HTTP_FORM_ORIGIN;
		http_split_query(r);
		return 0;
	}
	if (n == 1 && t[0] == '*') {
		r->form = HTTP_FORM_ASTERISK;
		return r->method == HTTP_METHOD_OPTIONS ? 0 : 400;
	}

	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	if ((t[0] >= 'a' && t[0] <= 'z') || (t[0] >= 'A' && t[0] <= 'Z')) {
		for (i = 1; i < n; i++) {
			u8 c = http_lower(t[i]);

			if (!((c >= 'a' && c <= 'z') || http_digit(c) ||
			      c == '+' || c == '-' || c == '.'))
				break;
		}
	}
	if (i && n - i >= 3 && t[i] == ':' && t[i + 1] == '/' &&
	    t[i + 2] == '/') {
		/* An origin server is the authority for http(s) only. */
		if (!http_ieq(t, i, "http") && !http_ieq(t, i, "https"))
			return 400;
		a = i + 3;
		for (end = a; end < n && t[end] != '/' && t[end] != '?'; end++)
			;
		/*
		 * No userinfo (RFC 9110 4.2.4: a recipient should treat it
		 * as an error), and no empty host (4.2.1: MUST reject).
		 */
		if (!http_host_valid(t + a, end - a, &hl) || hl == 0 ||
		    end - a > HTTP_HOST_CAP)
			return 400;
		http_copy(r->host, t + a, end - a);
		r->host_len = end - a;

		/* The path moves to the front; an empty one is "/". */
		o = 0;
		if (end == n || t[end] == '?')
			t[o++] = '/';
		for (i = end; i < n; i++)
			t[o++] = t[i];
		r->target_len = o;
		r->form = HTTP_FORM_ABSOLUTE;
		http_split_query(r);
		return 0;
	}

	/* authority-form: uri-host ":" port */
	if (r->method == HTTP_METHOD_CONNECT) {
		if (!http_host_valid(t, n, &hl) || hl == 0 || hl + 1 >= n ||
		    n > HTTP_HOST_CAP)
			return 400;
		http_copy(r->host, t, n);
		r->host_len = n;
		r->form = HTTP_FORM_AUTHORITY;
		return 0;
	}
	return 400;
}

/* "HTTP/" DIGIT "." DIGIT, one byte at a time; 400 on any other. */
static int http_version_byte(struct http_req *r, u8 c)
{
	static const char name[] = "HTTP/";
	u8 pos = r->p.vpos++;

	if (pos < 5)
		return c == name[pos] ? 0 : 400;
	if (pos == 6)
		return c == '.' ? 0 : 400;
	if (pos > 7 || !http_digit(c))
		return 400;
	if (pos == 5)
		r->p.vmajor = c - '0';
	else
		r->p.vminor = c - '0';
	return 0;
}

/*
 * A well-formed version other than 1.x is 505. A minor version above 1 is
 * served as 1.1: RFC 9110 2.5 says a recipient SHOULD process it as the
 * highest minor version it implements, and nginx does.
 */
static int http_version_end(struct http_req *r)
{
	if (r->p.vpos != 8)
		return 400;
	if (r->p.vmajor != 1)
		return 505;
	r->version = r->p.vminor ? 11 : 10;
	r->p.state = HTTP_S_FIELD;
	return 0;
}

static void http_list_element(struct http_req *r)
{
	bool token = r->p.tlen && r->p.tlen <= sizeof(r->p.tok) &&
		     !r->p.tjunk;

	/* Empty list elements are allowed and skipped (RFC 9110 5.6.1.2). */
	if (r->p.lstate != HTTP_L_LEAD || r->p.tjunk) {
		if (r->p.field == HTTP_F_TRANSFER_ENCODING) {
			/* Only the last coding matters: it must be chunked. */
			r->p.te_chunked = token &&
				http_eq(r->p.tok, r->p.tlen, "chunked");
		} else if (token) {
			if (http_eq(r->p.tok, r->p.tlen, "close"))
				r->p.conn_close = true;
			if (http_eq(r->p.tok, r->p.tlen, "keep-alive"))
				r->p.conn_keep_alive = true;
		}
	}
	r->p.lstate = HTTP_L_LEAD;
	r->p.tlen = 0;
	r->p.tjunk = false;
}

/* Connection and Transfer-Encoding: #token, tokens case-insensitive. */
static void http_list_byte(struct http_req *r, u8 c)
{
	if (c == ',') {
		http_list_element(r);
		return;
	}
	if (http_ows(c)) {
		if (r->p.lstate == HTTP_L_TOKEN)
			r->p.lstate = HTTP_L_AFTER;
		return;
	}
	if (http_tchar(c) && r->p.lstate != HTTP_L_AFTER) {
		r->p.lstate = HTTP_L_TOKEN;
		if (r->p.tlen < sizeof(r->p.tok))
			r->p.tok[r->p.tlen] = http_lower(c);
		if (r->p.tlen <= sizeof(r->p.tok))
			r->p.tlen++;
		return;
	}
	/* parameters, or junk: the element is not a bare token */
	r->p.tjunk = true;
	r->p.lstate = HTTP_L_AFTER;
}

static int http_cl_element(struct http_req *r)
{
	if (r->p.clstate == HTTP_CL_LEAD)
		return 400;
	if (r->p.cl_seen && r->p.cl != r->p.cl_cur)
		return 400;
	r->p.cl = r->p.cl_cur;
	r->p.cl_seen = true;
	r->p.clstate = HTTP_CL_LEAD;
	return 0;
}

/*
 * Content-Length = 1*DIGIT. A list of identical values ("5, 5", or the
 * same value on two lines) is one value, as RFC 9110 8.6 allows; differing
 * values, an empty element, a sign or any other byte is 400 (RFC 9112 6.3).
 */
static int http_cl_byte(struct http_req *r, u8 c)
{
	if (http_digit(c)) {
		u64 d = c - '0';

		if (r->p.clstate == HTTP_CL_AFTER)
			return 400;
		if (r->p.clstate == HTTP_CL_LEAD) {
			r->p.cl_cur = 0;
			r->p.clstate = HTTP_CL_DIGITS;
		}
		if (r->p.cl_cur > (HTTP_CL_MAX - d) / 10)
			return 400;
		r->p.cl_cur = r->p.cl_cur * 10 + d;
		return 0;
	}
	if (http_ows(c)) {
		if (r->p.clstate == HTTP_CL_DIGITS)
			r->p.clstate = HTTP_CL_AFTER;
		return 0;
	}
	if (c == ',')
		return http_cl_element(r);
	return 400;
}

/* The buffer a value is kept in, for the fields kept as text. */
static char *http_value_buf(struct http_req *r, u32 *cap)
{
	switch (r->p.field) {
	case HTTP_F_HOST:
	case HTTP_F_IF_MODIFIED_SINCE:
		*cap = HTTP_SCRATCH_CAP;
		return r->scratch;
	case HTTP_F_IF_NONE_MATCH:
		*cap = HTTP_INM_CAP;
		return r->inm;
	case HTTP_F_RANGE:
		*cap = HTTP_RANGE_CAP;
		return r->range;
	case HTTP_F_IF_RANGE:
		*cap = HTTP_IF_RANGE_CAP;
		return r->if_range;
	}
	return NULL;
}

/*
 * A byte of a value (leading OWS already skipped). Trailing OWS is stored
 * but not counted in vtrim, and does not overflow the buffer.
 */
static int http_value_byte(struct http_req *r, u8 c)
{
	u32 cap;
	char *buf;

	switch (r->p.field) {
	case HTTP_F_OTHER:
		return 0;
	case HTTP_F_CONTENT_LENGTH:
		return http_cl_byte(r, c);
	case HTTP_F_TRANSFER_ENCODING:
	case HTTP_F_CONNECTION:
		http_list_byte(r, c);
		return 0;
	}
	buf = http_value_buf(r, &cap);
	if (r->p.vlen < cap) {
		buf[r->p.vlen++] = c;
		if (!http_ows(c))
			r->p.vtrim = r->p.vlen;
	} else if (!http_ows(c)) {
		r->p.vover = true;
	}
	return 0;
}

static int http_field_begin(struct http_req *r)
{
	int f;

	r->p.field = HTTP_F_OTHER;
	for (f = HTTP_F_HOST; f < HTTP_F_COUNT; f++) {
		if (r->p.nlen <= sizeof(r->p.name) &&
		    http_eq(r->p.name, r->p.nlen, http_fields[f])) {
			r->p.field = f;
			break;
		}
	}
	r->p.vlen = 0;
	r->p.vtrim = 0;
	r->p.vover = false;
	r->p.lstate = HTTP_L_LEAD;
	r->p.tlen = 0;
	r->p.tjunk = false;
	r->p.state = HTTP_S_OWS;

	switch (r->p.field) {
	case HTTP_F_HOST:
		/* RFC 9112 3.2: more than one Host field line is 400. */
		if (++r->host_count > 1)
			return 400;
		break;
	case HTTP_F_CONTENT_LENGTH:
		r->p.clstate = HTTP_CL_LEAD;
		break;
	case HTTP_F_TRANSFER_ENCODING:
		r->p.te_seen = true;
		break;
	case HTTP_F_IF_NONE_MATCH:
		/* Lines of a list field join with ", " (RFC 9110 5.3). */
		r->inm_present = true;
		r->p.vlen = r->inm_len;
		r->p.vtrim = r->inm_len;
		if (r->inm_len) {
			if (r->inm_len + 2 > HTTP_INM_CAP) {
				r->p.vover = true;
			} else {
				r->inm[r->p.vlen++] = ',';
				r->inm[r->p.vlen++] = ' ';
			}
		}
		break;
	case HTTP_F_RANGE:
		if (r->range_present)
			r->range_ignore = true;
		r->range_present = true;
		break;
	case HTTP_F_IF_RANGE:
		if (r->if_range_present)
			r->if_range_bad = true;
		r->if_range_present = true;
		break;
	}
	return 0;
}

static int http_field_end(struct http_req *r)
{
	size_t hl;
	int err = 0;

	switch (r->p.field) {
	case HTTP_F_HOST:
		if (r->p.vover || !http_host_valid(r->scratch, r->p.vtrim, &hl))
			return 400;
		/*
		 * An empty Host names no authority, which an origin-form
		 * target needs (RFC 9112 3.2: MUST respond 400).
		 */
		if (!r->p.vtrim && r->form != HTTP_FORM_ABSOLUTE)
			return 400;
		if (r->form != HTTP_FORM_ABSOLUTE &&
		    r->form != HTTP_FORM_AUTHORITY) {
			http_copy(r->host, r->scratch, r->p.vtrim);
			r->host_len = r->p.vtrim;
		}
		break;
	case HTTP_F_CONTENT_LENGTH:
		err = http_cl_element(r);
		break;
	case HTTP_F_TRANSFER_ENCODING:
	case HTTP_F_CONNECTION:
		http_list_element(r);
		break;
	case HTTP_F_IF_MODIFIED_SINCE:
		/*
		 * RFC 9110 13.1.3: ignored unless one valid HTTP-date, and a
		 * date later than now is not valid.
		 */
		if (r->p.ims_seen) {
			r->ims_valid = false;
			break;
		}
		r->p.ims_seen = true;
		r->ims_valid = !r->p.vover &&
			http_date_parse(r->scratch, r->p.vtrim, r->now,
					&r->ims) &&
			(r->now <= 0 || r->ims <= r->now);
		break;
	case HTTP_F_IF_NONE_MATCH:
		r->inm_len = r->p.vtrim;
		if (r->p.vover)
			r->inm_overflow = true;
		break;
	case HTTP_F_RANGE:
		r->range_len = r->p.vtrim;
		if (r->p.vover)
			r->range_ignore = true;
		break;
	case HTTP_F_IF_RANGE:
		r->if_range_len = r->p.vtrim;
		if (r->p.vover)
			r->if_range_bad = true;
		break;
	}
	r->p.state = HTTP_S_FIELD;
	return err;
}

/*
 * The empty line: the head is complete. What is left to check needs all
 * the fields: Host, and how a body would be framed (RFC 9112 6.1-6.3).
 *
 * Bodies: GET and HEAD requests have none here. A Content-Length body is
 * reported (body_len) for the caller to read and discard, as nginx does,
 * since its length is known and the next request starts after it; a
 * Transfer-Encoding on GET or HEAD is 400, since a chunked body would have
 * to be decoded just to be thrown away and is a request smuggling vector.
 */
static int http_head_end(struct http_req *r)
{
	bool get = r->method == HTTP_METHOD_GET ||
		   r->method == HTTP_METHOD_HEAD;

	if (r->version == 11 && !r->host_count)
		return 400;
	if (r->p.te_seen) {
		/* Both framings: smuggling (RFC 9112 6.1, 6.3). */
		if (r->p.cl_seen)
			return 400;
		/* RFC 9112 6.1: HTTP/1.0 framing with it is faulty. */
		if (r->version == 10)
			return 400;
		if (get)
			return 400;
		/* RFC 9112 6.1: chunked must be last, or it is 400. */
		if (!r->p.te_chunked)
			return 400;
		r->chunked = true;
	}
	r->body_len = r->p.cl_seen ? r->p.cl : 0;
	if (r->version == 11)
		r->keep_alive = !r->p.conn_close;
	else
		r->keep_alive = r->p.conn_keep_alive && !r->p.conn_close;
	/* A chunked body is never decoded here, so it cannot be skipped. */
	if (r->chunked)
		r->keep_alive = false;
	r->complete = true;
	if (get)
		return HTTP_HEAD_DONE;
	return r->method == HTTP_METHOD_OTHER ? 501 : 405;
}

/* One byte: 0 to go on, HTTP_HEAD_DONE, or the status of an error. */
static int http_byte(struct http_req *r, u8 c)
{
	switch (r->p.state) {
	case HTTP_S_START:
		if (c == '\r') {
			r->p.state = HTTP_S_START_LF;
			return 0;
		}
		if (c == '\n')
			return 0;
		if (!http_tchar(c))
			return 400;
		r->p.state = HTTP_S_METHOD;
		r->p.mbuf[r->p.mlen++] = c;
		return 0;
	case HTTP_S_START_LF:
		if (c != '\n')
			return 400;
		r->p.state = HTTP_S_START;
		return 0;
	case HTTP_S_METHOD:
		if (c == ' ') {
			http_method_end(r);
			r->p.state = HTTP_S_TARGET;
			return 0;
		}
		if (!http_tchar(c))
			return 400;
		if (r->p.mlen < sizeof(r->p.mbuf))
			r->p.mbuf[r->p.mlen] = c;
		if (r->p.mlen <= sizeof(r->p.mbuf))
			r->p.mlen++;
		return 0;
	case HTTP_S_TARGET:
		if (c == ' ') {
			r->p.state = HTTP_S_VERSION;
			return http_target_end(r);
		}
		/*
		 * Visible ASCII only: CTL, DEL (and SP, above) end or break
		 * the line, and no byte above 0x7F can be in a request-target
		 * (RFC 3986: non-ASCII is percent-encoded). "#" would start a
		 * fragment, never sent in a request (RFC 9112 3.2). ASCII
		 * outside the URI grammar ("|", "^", "[") is let through, as
		 * nginx does: browsers send some of it unencoded.
		 */
		if (c <= ' ' || c >= 0x7f || c == '#')
			return 400;
		if (r->target_len == r->max_target)
			return 414;
		r->target[r->target_len++] = c;
		return 0;
	case HTTP_S_VERSION:
		if (c == '\r') {
			if (r->p.vpos != 8)
				return 400;
			r->p.state = HTTP_S_LINE_LF;
			return 0;
		}
		if (c == '\n')
			return http_version_end(r);
		return http_version_byte(r, c);
	case HTTP_S_LINE_LF:
		if (c != '\n')
			return 400;
		return http_version_end(r);
	case HTTP_S_FIELD:
		if (c == '\r') {
			r->p.state = HTTP_S_END_LF;
			return 0;
		}
		if (c == '\n')
			return http_head_end(r);
		/*
		 * SP or HTAB here is obs-fold (RFC 9112 5.2) or whitespace
		 * before the first field (2.2): 400 either way. So is an
		 * empty field name.
		 */
		if (!http_tchar(c))
			return 400;
		r->p.state = HTTP_S_NAME;
		r->p.name[0] = http_lower(c);
		r->p.nlen = 1;
		return 0;
	case HTTP_S_END_LF:
		if (c != '\n')
			return 400;
		return http_head_end(r);
	case HTTP_S_NAME:
		if (c == ':')
			return http_field_begin(r);
		/* Whitespace before the colon is 400 (RFC 9112 5.1). */
		if (!http_tchar(c))
			return 400;
		if (r->p.nlen < sizeof(r->p.name))
			r->p.name[r->p.nlen] = http_lower(c);
		if (r->p.nlen <= sizeof(r->p.name))
			r->p.nlen++;
		return 0;
	case HTTP_S_OWS:
		if (http_ows(c))
			return 0;
		r->p.state = HTTP_S_VALUE;
		break;
	case HTTP_S_VALUE:
		break;
	case HTTP_S_VALUE_LF:
		if (c != '\n')
			return 400;
		return http_field_end(r);
	default:
		return 400;
	}

	/* HTTP_S_VALUE */
	if (c == '\r') {
		r->p.state = HTTP_S_VALUE_LF;
		return 0;
	}
	if (c == '\n')
		return http_field_end(r);
	if (!http_value_char(c))
		return 400;
	return http_value_byte(r, c);
}

enum http_parse_result http_parse(struct http_req *r, const char *buf,
				  size_t len)
{
	size_t i;
	int ret;

	r->used = 0;
	if (r->p.state == HTTP_S_DONE)
		return HTTP_PARSE_DONE;
	if (r->p.state == HTTP_S_ERROR)
		return HTTP_PARSE_ERROR;
	for (i = 0; i < len; i++) {
		if (r->head_len == r->max_head) {
			/*
			 * Too long a request-target is 414, as in nginx; a
			 * method that never ends is no method at all (400);
			 * too many field bytes is 431 (RFC 6585 5).
			 */
			if (r->p.state <= HTTP_S_METHOD)
				ret = 400;
			else if (r->p.state <= HTTP_S_LINE_LF)
				ret = 414;
			else
				ret = 431;
			goto fail;
		}
		r->head_len++;
		ret = http_byte(r, buf[i]);
		if (!ret)
			continue;
		if (ret == HTTP_HEAD_DONE) {
			r->p.state = HTTP_S_DONE;
			r->used = i + 1;
			return HTTP_PARSE_DONE;
		}
		goto fail;
	}
	r->used = len;
	return HTTP_PARSE_AGAIN;

fail:
	r->status = ret;
	r->p.state = HTTP_S_ERROR;
	r->used = r->complete ? i + 1 : i;
	return HTTP_PARSE_ERROR;
}

void http_req_reset(struct http_req *r)
{
	char *p = (char *)&r->used;
	char *end = (char *)r->target;

	/* Scalars only: the buffers are bounded by the lengths cleared. */
	while (p < end)
		*p++ = 0;
}

void http_req_init(struct http_req *r, u32 max_target, u32 max_head)
{
	if (max_target == 0 || max_target > HTTP_TARGET_CAP)
		max_target = HTTP_TARGET_CAP;
	if (max_head == 0)
		max_head = HTTP_HEAD_DEFAULT;
	if (max_head > HTTP_HEAD_MAX)
		max_head = HTTP_HEAD_MAX;
	r->max_target = max_target;
	r->max_head = max_head;
	r->now = 0;
	http_req_reset(r);
}

/*
 * entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE at s[*i]; etagc is %x21,
 * %x23-7E and obs-text. On success *i is past it, and the opaque-tag
 * (quotes included) is s[*op..*op + *ol).
 */
static bool http_etag_at(const char *s, size_t n, size_t *i, size_t *op,
			 size_t *ol, bool *weak)
{
	size_t p = *i;

	*weak = false;
	if (n - p >= 2 && s[p] == 'W' && s[p + 1] == '/') {
		*weak = true;
		p += 2;
	}
	if (p >= n || s[p] != '"')
		return false;
	*op = p++;
	for (; p < n && s[p] != '"'; p++)
		if ((u8)s[p] < 0x21 || s[p] == 0x7f)
			return false;
	if (p == n)
		return false;
	*ol = ++p - *op;
	*i = p;
	return true;
}

bool http_etag_match_weak(const char *list, size_t len, const char *etag,
			  size_t etag_len)
{
	size_t i = 0, k = 0, eo, el, lo, ll;
	bool ew, lw, found = false;

	while (len && http_ows(list[len - 1]))
		len--;
	while (i < len && http_ows(list[i]))
		i++;
	if (len - i == 1 && list[i] == '*')
		return true;
	if (!etag || !http_etag_at(etag, etag_len, &k, &eo, &el, &ew) ||
	    k != etag_len)
		return false;
	for (;;) {
		while (i < len && (http_ows(list[i]) || list[i] == ','))
			i++;
		if (i == len)
			return found;
		if (!http_etag_at(list, len, &i, &lo, &ll, &lw))
			return false;
		/* Weak comparison: W/ aside, the opaque-tags are equal. */
		if (ll == el) {
			for (k = 0; k < ll && list[lo + k] == etag[eo + k]; k++)
				;
			if (k == ll)
				found = true;
		}
		while (i < len && http_ows(list[i]))
			i++;
		if (i < len && list[i] != ',')
			return false;
	}
}

bool http_req_not_modified(const struct http_req *r, const char *etag,
			   size_t etag_len, s64 mtime)
{
	/* RFC 9110 13.2.2: If-None-Match first; then IMS is ignored. */
	if (r->inm_present)
		return !r->inm_overflow &&
		       http_etag_match_weak(r->inm, r->inm_len, etag, etag_len);
	if (r->method != HTTP_METHOD_GET && r->method != HTTP_METHOD_HEAD)
		return false;
	return r->ims_valid && mtime <= r->ims;
}

bool http_req_use_range(const struct http_req *r, const char *etag,
			size_t etag_len, s64 mtime)
{
	size_t i = 0, k = 0, io, il, eo, el;
	bool iw, ew;
	s64 t;

	if (r->method != HTTP_METHOD_GET || !r->range_present ||
	    r->range_ignore)
		return false;
	if (!r->if_range_present)
		return true;
	if (r->if_range_bad)
		return false;
	if (r->if_range_len && (r->if_range[0] == '"' || r->if_range[0] == 'W')) {
		/* Strong comparison: neither may be weak. */
		if (!etag ||
		    !http_etag_at(r->if_range, r->if_range_len, &i, &io, &il,
				  &iw) || i != r->if_range_len || iw ||
		    !http_etag_at(etag, etag_len, &k, &eo, &el, &ew) ||
		    k != etag_len || ew || il != el)
			return false;
		for (k = 0; k < il; k++)
			if (r->if_range[io + k] != etag[eo + k])
				return false;
		return true;
	}
	return http_date_parse(r->if_range, r->if_range_len, r->now, &t) &&
	       t == mtime;
}
