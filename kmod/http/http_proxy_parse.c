// SPDX-License-Identifier: GPL-2.0
/*
 * The reverse proxy's parsing: request heads re-framed for an upstream,
 * response heads checked and re-framed for the client, chunked bodies
 * followed. See http_proxy_parse.h. No kernel includes: this file builds
 * in userspace as it is.
 */
#include "http_proxy_parse.h"

static char http_lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

/*
 * RFC 9110 5.6.2 tchar: DIGIT, ALPHA and !#$%&'*+-.^_`|~, one bit per
 * ASCII code. A table, not a chain of tests: every byte of every field
 * name passes through here.
 */
static const u32 http_tchars[4] = {
	0x00000000, 0x03ff6cfa, 0xc7fffffe, 0x57ffffff,
};

static bool http_tchar(unsigned char ch)
{
	return ch < 128 && (http_tchars[ch >> 5] >> (ch & 31)) & 1;
}

static bool http_ieq(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen; i++)
		if (!b[i] || http_lower(a[i]) != b[i])
			return false;
	return !b[alen];
}

static bool http_iprefix(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; b[i]; i++)
		if (i >= alen || http_lower(a[i]) != b[i])
			return false;
	return true;
}

/* One field line: name, value without surrounding whitespace. */
struct http_line {
	const char *name;
	size_t nlen;
	const char *val;
	size_t vlen;
};

/*
 * The next line of in[*pos..len): false at the empty line or on a
 * malformed one (*bad set). Lines end with CRLF or a bare LF. With
 * @check false the line is only split: a pass over lines an earlier pass
 * checked skips the byte-by-byte checks.
 */
static bool http_line(const char *in, size_t len, size_t *pos,
		      struct http_line *l, bool check, bool *bad)
{
	size_t i = *pos, end, e, c;
	const char *nl;

	*bad = false;
	nl = memchr(in + i, '\n', len - i);
	if (!nl) {
		*bad = true;
		return false;
	}
	end = nl - in;
	e = end;
	if (e > i && in[e - 1] == '\r')
		e--;
	*pos = end + 1;
	if (e == i)
		return false;		/* the empty line */
	/* Obsolete folding, or a field without a name. */
	if (check && (in[i] == ' ' || in[i] == '\t'))
		goto bad;
	for (c = i; c < e && in[c] != ':'; c++)
		if (check && !http_tchar(in[c]))
			goto bad;
	if (c == e || c == i)
		goto bad;
	l->name = in + i;
	l->nlen = c - i;
	c++;
	while (c < e && (in[c] == ' ' || in[c] == '\t'))
		c++;
	while (e > c && (in[e - 1] == ' ' || in[e - 1] == '\t'))
		e--;
	for (i = c; check && i < e; i++) {
		unsigned char ch = in[i];

		if (ch == '\r' || ch == 0 || (ch < 0x20 && ch != '\t') ||
		    ch == 0x7f)
			goto bad;
	}
	l->val = in + c;
	l->vlen = e - c;
	return true;
bad:
	*bad = true;
	return false;
}

static bool http_next_line(const char *in, size_t len, size_t *pos,
			   struct http_line *l, bool *bad)
{
	return http_line(in, len, pos, l, true, bad);
}

/* A line of a head http_next_line() has been through whole. */
static bool http_checked_line(const char *in, size_t len, size_t *pos,
			      struct http_line *l)
{
	bool bad;

	return http_line(in, len, pos, l, false, &bad);
}

/* The names a Connection field lists, lowercased, for dropping. */
struct http_conn_names {
	unsigned int n;
	bool close;
	bool keep_alive;
	bool upgrade;
	bool overflow;		/* more names than kept: drop none unknown */
	char name[HTTP_PROXY_CONN_NAMES][HTTP_PROXY_CONN_NAME];
};

static void http_conn_tokens(struct http_conn_names *cn, const char *v,
			     size_t len)
{
	size_t i = 0, s, t;

	while (i < len) {
		while (i < len && (v[i] == ',' || v[i] == ' ' || v[i] == '\t'))
			i++;
		s = i;
		while (i < len && v[i] != ',' && v[i] != ' ' && v[i] != '\t')
			i++;
		if (i == s)
			break;
		if (http_ieq(v + s, i - s, "close")) {
			cn->close = true;
		} else if (http_ieq(v + s, i - s, "keep-alive")) {
			cn->keep_alive = true;
		} else if (http_ieq(v + s, i - s, "upgrade")) {
			cn->upgrade = true;
		} else if (cn->n < HTTP_PROXY_CONN_NAMES &&
			   i - s < HTTP_PROXY_CONN_NAME) {
			for (t = 0; t < i - s; t++)
				cn->name[cn->n][t] = http_lower(v[s + t]);
			cn->name[cn->n][t] = 0;
			cn->n++;
		} else {
			cn->overflow = true;
		}
	}
}

static bool http_conn_named(const struct http_conn_names *cn,
			    const char *name, size_t len)
{
	unsigned int i;

	for (i = 0; i < cn->n; i++)
		if (http_ieq(name, len, cn->name[i]))
			return true;
	return false;
}

/* Fields that are never forwarded, either way. */
static bool http_hop_by_hop(const char *name, size_t len)
{
	return http_ieq(name, len, "connection") ||
	       http_ieq(name, len, "keep-alive") ||
	       http_ieq(name, len, "te") ||
	       http_ieq(name, len, "trailer") ||
	       http_ieq(name, len, "upgrade") ||
	       http_ieq(name, len, "proxy-connection");
}

/* @tok is one of the comma-separated elements of v[0..len). */
static bool http_list_has(const char *v, size_t len, const char *tok)
{
	size_t i = 0, s, e;

	while (i < len) {
		while (i < len && (v[i] == ',' || v[i] == ' ' || v[i] == '\t'))
			i++;
		s = i;
		while (i < len && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e > s && http_ieq(v + s, e - s, tok))
			return true;
	}
	return false;
}

struct http_out {
	char *p;
	size_t cap;
	size_t n;
	bool over;
};

static void http_put(struct http_out *o, const char *s, size_t len)
{
	if (o->over || len > o->cap - o->n) {
		o->over = true;
		return;
	}
	memcpy(o->p + o->n, s, len);
	o->n += len;
}

static void http_puts(struct http_out *o, const char *s)
{
	http_put(o, s, strlen(s));
}

/* A field as "Name: value" CRLF, whatever line end it came with. */
static void http_field(struct http_out *o, const struct http_line *l)
{
	http_put(o, l->name, l->nlen);
	http_puts(o, ": ");
	http_put(o, l->val, l->vlen);
	http_puts(o, "\r\n");
}

long http_proxy_request(const char *in, size_t len, char *out, size_t cap,
			const char *xff, const char *host, bool *upgrade)
{
	struct http_out o = { .p = out, .cap = cap };
	struct http_conn_names cn = { 0 };
	struct http_line l;
	size_t pos, line_end, sp, t;
	bool bad, had_xff = false, had_host = false;

	/*
	 * The request line: method and target as received, then HTTP/1.1.
	 * Checked again (token SP visible SP HTTP/1.x): nothing but what the
	 * client side accepted may go on.
	 */
	for (line_end = 0; line_end < len && in[line_end] != '\n'; line_end++)
		;
	if (line_end == len)
		return -1;
	for (sp = 0; sp < line_end && http_tchar(in[sp]); sp++)
		;
	if (!sp || sp == line_end || in[sp] != ' ')
		return -1;
	for (t = sp + 1; t < line_end && (unsigned char)in[t] > ' ' &&
	     in[t] != 0x7f; t++)
		;
	if (t == sp + 1 || t == line_end || in[t] != ' ' ||
	    line_end - t < 9 || line_end - t > 10 ||
	    !http_iprefix(in + t + 1, 7, "http/1.") ||
	    (line_end - t == 10 && in[line_end - 1] != '\r'))
		return -1;
	http_put(&o, in, t + 1);
	http_puts(&o, "HTTP/1.1\r\n");

	/* First pass: what Connection names; a WebSocket upgrade. */
	*upgrade = false;
	pos = line_end + 1;
	while (http_next_line(in, len, &pos, &l, &bad)) {
		if (http_ieq(l.name, l.nlen, "connection"))
			http_conn_tokens(&cn, l.val, l.vlen);
		else if (http_ieq(l.name, l.nlen, "upgrade") &&
			 http_list_has(l.val, l.vlen, "websocket"))
			*upgrade = true;
	}
	if (bad)
		return -1;
	/* RFC 6455 4.1: a GET; anything else is not tunnelled. */
	*upgrade = *upgrade && cn.upgrade && line_end > 4 && in[0] == 'G' &&
		   in[1] == 'E' && in[2] == 'T' && in[3] == ' ';

	pos = line_end + 1;
	while (http_checked_line(in, len, &pos, &l)) {
		if (*upgrade && http_ieq(l.name, l.nlen, "upgrade")) {
			http_field(&o, &l);
			continue;
		}
		if (http_hop_by_hop(l.name, l.nlen) ||
		    http_iprefix(l.name, l.nlen, "proxy-") ||
		    http_ieq(l.name, l.nlen, "expect") ||
		    http_ieq(l.name, l.nlen, "x-forwarded-proto") ||
		    http_conn_named(&cn, l.name, l.nlen))
			continue;
		if (http_ieq(l.name, l.nlen, "host"))
			had_host = true;
		if (http_ieq(l.name, l.nlen, "x-forwarded-for")) {
			had_xff = true;
			continue;
		}
		http_field(&o, &l);
	}
	/* Earlier values first, in one field (as nginx's $proxy_add_...). */
	http_puts(&o, "X-Forwarded-For: ");
	pos = line_end + 1;
	while (had_xff && http_checked_line(in, len, &pos, &l)) {
		if (!http_ieq(l.name, l.nlen, "x-forwarded-for") || !l.vlen)
			continue;
		http_put(&o, l.val, l.vlen);
		http_puts(&o, ", ");
	}
	http_puts(&o, xff);
	http_puts(&o, "\r\n");
	if (!had_host && host) {
		http_puts(&o, "Host: ");
		http_puts(&o, host);
		http_puts(&o, "\r\n");
	}
	if (*upgrade)
		http_puts(&o, "Connection: upgrade\r\n");
	http_puts(&o, "X-Forwarded-Proto: http\r\n\r\n");
	return o.over ? -1 : (long)o.n;
}

size_t http_resp_head_len(const char *in, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (in[i] != '\n')
			continue;
		if (i + 1 < len && in[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && in[i + 1] == '\r' && in[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static bool http_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* A Content-Length value: digits, or a list of equal ones (RFC 9110 8.6). */
static bool http_cl_value(const char *v, size_t len, u64 *out)
{
	bool have = false;
	size_t i = 0;
	u64 cl;

	while (i < len) {
		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		if (i == len)
			break;
		if (!http_digit(v[i]))
			return false;
		cl = 0;
		while (i < len && http_digit(v[i])) {
			if (cl > (~0ULL - 9) / 10)
				return false;
			cl = cl * 10 + (v[i] - '0');
			i++;
		}
		if (i < len && v[i] != ' ' && v[i] != '\t' && v[i] != ',')
			return false;
		if (have && cl != *out)
			return false;
		*out = cl;
		have = true;
	}
	return have;
}

/* The last coding of a Transfer-Encoding value is chunked. */
static bool http_te_chunked(const char *v, size_t len)
{
	size_t e = len, s;

	while (e && (v[e - 1] == ' ' || v[e - 1] == '\t' || v[e - 1] == ','))
		e--;
	s = e;
	while (s && v[s - 1] != ',' && v[s - 1] != ' ' && v[s - 1] != '\t')
		s--;
	return http_ieq(v + s, e - s, "chunked");
}

long http_resp_parse(const char *in, size_t len, struct http_resp *r,
		     char *out, size_t cap, bool dechunk, bool upgrade)
{
	struct http_out o = { .p = out, .cap = cap };
	struct http_conn_names cn = { 0 };
	struct http_line l;
	size_t pos, e, i;
	bool bad, te = false;
	u64 cl;

	for (i = 0; i < sizeof(*r); i++)
		((char *)r)[i] = 0;
	/* HTTP/1.x SP 3DIGIT SP reason */
	for (e = 0; e < len && in[e] != '\n'; e++)
		;
	if (e == len || e < 12)
		return -1;
	if (in[0] != 'H' || in[1] != 'T' || in[2] != 'T' || in[3] != 'P' ||
	    in[4] != '/' || in[5] != '1' || in[6] != '.' ||
	    !http_digit(in[7]) || in[8] != ' ' || !http_digit(in[9]) ||
	    !http_digit(in[10]) || !http_digit(in[11]) ||
	    (e > 12 && in[12] != ' ' && !(e == 13 && in[12] == '\r')))
		return -1;
	r->version = in[7] == '0' ? 10 : 11;
	r->status = (in[9] - '0') * 100 + (in[10] - '0') * 10 + (in[11] - '0');
	if (r->status < 100 || r->status > 599)
		return -1;
	for (i = 12; i < e; i++) {
		unsigned char ch = in[i];

		if ((ch < 0x20 && ch != '\t' && !(ch == '\r' && i == e - 1)) ||
		    ch == 0x7f)
			return -1;
	}
	http_puts(&o, "HTTP/1.1");
	http_put(&o, in + 8, (e > 8 && in[e - 1] == '\r' ? e - 1 : e) - 8);
	http_puts(&o, "\r\n");

	pos = e + 1;
	while (http_next_line(in, len, &pos, &l, &bad)) {
		if (http_ieq(l.name, l.nlen, "connection")) {
			http_conn_tokens(&cn, l.val, l.vlen);
		} else if (http_ieq(l.name, l.nlen, "content-length")) {
			if (!http_cl_value(l.val, l.vlen, &cl) ||
			    (r->has_cl && cl != r->cl))
				return -1;
			r->has_cl = true;
			r->cl = cl;
		} else if (http_ieq(l.name, l.nlen, "date")) {
			r->has_date = true;
		} else if (http_ieq(l.name, l.nlen, "transfer-encoding")) {
			/* Only the last line's last coding decides. */
			te = true;
			r->chunked = http_te_chunked(l.val, l.vlen);
		}
	}
	if (bad || pos != len)
		return -1;
	if (te) {
		/* Transfer-Encoding overrides Content-Length (RFC 9112 6.3). */
		r->has_cl = false;
		r->other_te = !r->chunked;
	}
	r->conn_close = cn.close;
	r->conn_keep = cn.keep_alive;

	pos = e + 1;
	while (http_checked_line(in, len, &pos, &l)) {
		if (upgrade && r->status == 101 &&
		    http_ieq(l.name, l.nlen, "upgrade")) {
			http_field(&o, &l);
			continue;
		}
		if (http_hop_by_hop(l.name, l.nlen) ||
		    http_conn_named(&cn, l.name, l.nlen))
			continue;
		if (te && http_ieq(l.name, l.nlen, "content-length"))
			continue;
		if ((dechunk || r->other_te) &&
		    http_ieq(l.name, l.nlen, "transfer-encoding"))
			continue;
		http_field(&o, &l);
	}
	return o.over ? -1 : (long)o.n;
}

enum {
	HTTP_CK_SIZE,		/* hex digits of a chunk's size */
	HTTP_CK_EXT,		/* ... then an extension, to the line's end */
	HTTP_CK_SIZE_LF,
	HTTP_CK_DATA,
	HTTP_CK_DATA_CR,
	HTTP_CK_DATA_LF,
	HTTP_CK_TRAILER,	/* at the start of a trailer line */
	HTTP_CK_TRAILER_LINE,
	HTTP_CK_TRAILER_LF,	/* CR seen at a trailer line's start: the end */
	HTTP_CK_END,
};

/* The longest chunk-size line or trailer line followed (nginx: 4k). */
#define HTTP_CHUNK_LINE_MAX	4096

static int http_hex(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = http_lower(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

bool http_chunk_at_data(const struct http_chunk *c)
{
	return c->state == HTTP_CK_DATA;
}

enum http_chunk_result http_chunk_run(struct http_chunk *c, const char *in,
				      size_t len, size_t *n, bool *data)
{
	size_t i = 0;
	int h;

	*n = 0;
	*data = c->state == HTTP_CK_DATA;
	if (c->state == HTTP_CK_END)
		return HTTP_CHUNK_DONE;
	if (*data) {
		i = c->left < len ? (size_t)c->left : len;
		c->left -= i;
		if (!c->left)
			c->state = HTTP_CK_DATA_CR;
		*n = i;
		return HTTP_CHUNK_AGAIN;
	}
	while (i < len) {
		char ch = in[i++];

		switch (c->state) {
		case HTTP_CK_SIZE:
			h = http_hex(ch);
			if (h >= 0) {
				if (c->digits >= 15)
					return HTTP_CHUNK_ERROR;
				c->left = c->left * 16 + h;
				c->digits++;
				break;
			}
			if (!c->digits)
				return HTTP_CHUNK_ERROR;
			if (ch == ';' || ch == ' ' || ch == '\t') {
				c->state = HTTP_CK_EXT;
				c->line = 0;
			} else if (ch == '\r') {
				c->state = HTTP_CK_SIZE_LF;
			} else if (ch == '\n') {
				goto size_done;
			} else {
				return HTTP_CHUNK_ERROR;
			}
			break;
		case HTTP_CK_EXT:
			if (ch == '\r')
				c->state = HTTP_CK_SIZE_LF;
			else if (ch == '\n')
				goto size_done;
			else if (((unsigned char)ch < 0x20 && ch != '\t') ||
				 ++c->line > HTTP_CHUNK_LINE_MAX)
				return HTTP_CHUNK_ERROR;
			break;
		case HTTP_CK_SIZE_LF:
			if (ch != '\n')
				return HTTP_CHUNK_ERROR;
size_done:
			c->digits = 0;
			if (!c->left) {
				c->state = HTTP_CK_TRAILER;
				break;
			}
			c->state = HTTP_CK_DATA;
			*n = i;
			return HTTP_CHUNK_AGAIN;
		case HTTP_CK_DATA_CR:
			if (ch == '\r') {
				c->state = HTTP_CK_DATA_LF;
				break;
			}
			if (ch != '\n')
				return HTTP_CHUNK_ERROR;
			c->state = HTTP_CK_SIZE;
			break;
		case HTTP_CK_DATA_LF:
			if (ch != '\n')
				return HTTP_CHUNK_ERROR;
			c->state = HTTP_CK_SIZE;
			break;
		case HTTP_CK_TRAILER:
			if (ch == '\r') {
				c->state = HTTP_CK_TRAILER_LF;
				break;
			}
			if (ch == '\n')
				goto end;
			c->state = HTTP_CK_TRAILER_LINE;
			c->line = 1;
			break;
		case HTTP_CK_TRAILER_LINE:
			if (ch == '\n')
				c->state = HTTP_CK_TRAILER;
			else if (++c->line > HTTP_CHUNK_LINE_MAX)
				return HTTP_CHUNK_ERROR;
			break;
		case HTTP_CK_TRAILER_LF:
			if (ch != '\n')
				return HTTP_CHUNK_ERROR;
end:
			c->state = HTTP_CK_END;
			*n = i;
			return HTTP_CHUNK_DONE;
		default:
			return HTTP_CHUNK_ERROR;
		}
	}
	*n = i;
	return HTTP_CHUNK_AGAIN;
}

bool http_proxy_expects_continue(const char *in, size_t len)
{
	struct http_line l;
	size_t pos = 0;
	bool bad;

	while (pos < len && in[pos] != '\n')
		pos++;
	pos++;
	while (pos < len && http_next_line(in, len, &pos, &l, &bad))
		if (http_ieq(l.name, l.nlen, "expect") &&
		    http_ieq(l.val, l.vlen, "100-continue"))
			return true;
	return false;
}
