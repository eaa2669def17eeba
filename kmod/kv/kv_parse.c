// SPDX-License-Identifier: GPL-2.0
/* memcached text command lines: see kv_parse.h. No kernel include here. */
#include "kv_parse.h"

size_t kv_line_len(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] == '\n')
			return i + 1;
	return 0;
}

bool kv_next(const char *s, size_t len, size_t *pos, struct kv_tok *t)
{
	size_t i = *pos, start;

	while (i < len && s[i] == ' ')
		i++;
	if (i == len) {
		*pos = i;
		return false;
	}
	start = i;
	while (i < len && s[i] != ' ')
		i++;
	t->p = s + start;
	t->len = (u32)(i - start);
	*pos = i;
	return true;
}

void kv_split(const char *s, size_t len, struct kv_line *l)
{
	size_t i = 0, start;

	l->n = 0;
	l->more = false;
	while (i < len) {
		while (i < len && s[i] == ' ')
			i++;
		if (i == len)
			break;
		if (l->n == KV_TOKENS_MAX) {
			l->more = true;
			return;
		}
		start = i;
		while (i < len && s[i] != ' ')
			i++;
		l->t[l->n].p = s + start;
		l->t[l->n].len = (u32)(i - start);
		l->n++;
	}
}

bool kv_tok_is(const struct kv_tok *t, const char *word)
{
	u32 i;

	for (i = 0; i < t->len; i++)
		if (!word[i] || word[i] != t->p[i])
			return false;
	return !word[i];
}

static const struct {
	const char *name;
	enum kv_cmd cmd;
} kv_cmds[] = {
	{ "get", KV_CMD_GET }, { "gets", KV_CMD_GETS },
	{ "gat", KV_CMD_GAT }, { "gats", KV_CMD_GATS },
	{ "set", KV_CMD_SET }, { "add", KV_CMD_ADD },
	{ "replace", KV_CMD_REPLACE }, { "append", KV_CMD_APPEND },
	{ "prepend", KV_CMD_PREPEND }, { "cas", KV_CMD_CAS },
	{ "delete", KV_CMD_DELETE }, { "incr", KV_CMD_INCR },
	{ "decr", KV_CMD_DECR }, { "touch", KV_CMD_TOUCH },
	{ "flush_all", KV_CMD_FLUSH_ALL }, { "stats", KV_CMD_STATS },
	{ "version", KV_CMD_VERSION }, { "verbosity", KV_CMD_VERBOSITY },
	{ "quit", KV_CMD_QUIT },
	{ "mg", KV_CMD_MG }, { "ms", KV_CMD_MS }, { "md", KV_CMD_MD },
	{ "ma", KV_CMD_MA }, { "mn", KV_CMD_MN }, { "me", KV_CMD_ME },
	{ NULL, KV_CMD_UNKNOWN },
};

enum kv_cmd kv_cmd_of(const struct kv_tok *t)
{
	unsigned int i;

	for (i = 0; kv_cmds[i].name; i++)
		if (kv_tok_is(t, kv_cmds[i].name))
			return kv_cmds[i].cmd;
	return KV_CMD_UNKNOWN;
}

bool kv_is_get_line(const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len && buf[i] == ' ')
		i++;
	buf += i;
	len -= i;
	return (len >= 4 && (buf[0] == 'g') &&
		((buf[1] == 'e' && buf[2] == 't' &&
		  (buf[3] == ' ' || (len >= 5 && buf[3] == 's' && buf[4] == ' '))) ||
		 (buf[1] == 'a' && buf[2] == 't' &&
		  (buf[3] == ' ' || (len >= 5 && buf[3] == 's' && buf[4] == ' ')))));
}

bool kv_key_ok(const struct kv_tok *t)
{
	u32 i;

	if (!t->len || t->len > KV_KEY_MAX)
		return false;
	for (i = 0; i < t->len; i++) {
		unsigned char ch = (unsigned char)t->p[i];

		if (ch <= ' ' || ch == 0x7f)
			return false;
	}
	return true;
}

bool kv_u64(const struct kv_tok *t, u64 *v)
{
	u64 n = 0;
	u32 i;

	if (!t->len || t->len > 20)
		return false;
	for (i = 0; i < t->len; i++) {
		unsigned int d = (unsigned char)t->p[i] - '0';

		if (d > 9)
			return false;
		if (n > (~0ULL - d) / 10)
			return false;
		n = n * 10 + d;
	}
	*v = n;
	return true;
}

bool kv_u32(const struct kv_tok *t, u32 *v)
{
	u64 n;

	if (!kv_u64(t, &n) || n > 0xffffffffULL)
		return false;
	*v = (u32)n;
	return true;
}

bool kv_s32(const struct kv_tok *t, s64 *v)
{
	struct kv_tok d = *t;
	bool neg = false;
	u64 n;

	if (d.len && d.p[0] == '-') {
		neg = true;
		d.p++;
		d.len--;
	}
	if (!kv_u64(&d, &n) || n > (neg ? 0x80000000ULL : 0x7fffffffULL))
		return false;
	*v = neg ? -(s64)n : (s64)n;
	return true;
}

int kv_parse_store(const struct kv_line *l, bool cas, struct kv_store_req *r)
{
	u32 base = cas ? 6 : 5;
	s64 bytes;

	if (l->more || (l->n != base && l->n != base + 1))
		return -2;
	/* As memcached: a word after the last number is noreply or nothing. */
	r->noreply = l->n == base + 1 && kv_tok_is(&l->t[base], "noreply");
	r->key = l->t[1];
	r->cas = 0;
	if (!kv_key_ok(&r->key) || !kv_u32(&l->t[2], &r->flags) ||
	    !kv_s32(&l->t[3], &r->exptime) || !kv_s32(&l->t[4], &bytes) ||
	    bytes < 0 || (cas && !kv_u64(&l->t[5], &r->cas)))
		return -1;
	r->bytes = (u32)bytes;
	return 0;
}

static bool kv_allowed(const char *allowed, char c)
{
	for (; *allowed; allowed++)
		if (*allowed == c)
			return true;
	return false;
}

enum kv_meta_err kv_meta_parse(const struct kv_line *l, u32 first,
			       const char *allowed, struct kv_meta *m)
{
	u32 i;

	*m = (struct kv_meta){ .first = first };
	if (l->more)
		return KV_META_INVALID;
	m->n = l->n > first ? l->n - first : 0;
	for (i = first; i < l->n; i++) {
		const struct kv_tok *t = &l->t[i];
		struct kv_tok arg = { t->p + 1, t->len - 1 };
		char c = t->p[0];
		u64 bit = kv_meta_bit(c);
		bool ok = true;

		if (!bit || !kv_allowed(allowed, c))
			return KV_META_INVALID;
		if (m->seen & bit)
			return KV_META_DUPLICATE;
		m->seen |= bit;
		switch (c) {
		case 'q':
			m->q = true;
			break;
		case 'b':
			m->b = true;
			break;
		case 'v':
			m->v = true;
			break;
		case 'u':
			m->noupdate = true;
			break;
		case 'T':
			ok = kv_s32(&arg, &m->ttl);
			break;
		case 'N':
			ok = kv_s32(&arg, &m->vivify);
			break;
		case 'R':
			ok = kv_s32(&arg, &m->recache);
			break;
		case 'F':
			ok = kv_u32(&arg, &m->client_flags);
			break;
		case 'C':
			ok = kv_u64(&arg, &m->cas);
			break;
		case 'E':
			ok = kv_u64(&arg, &m->new_cas);
			break;
		case 'D':
			ok = kv_u64(&arg, &m->delta);
			break;
		case 'J':
			ok = kv_u64(&arg, &m->initial);
			break;
		case 'M':
			ok = arg.len == 1;
			m->mode = ok ? arg.p[0] : 0;
			break;
		case 'O':
			if (arg.len > KV_OPAQUE_MAX)
				return KV_META_OPAQUE;
			break;
		default:
			break;
		}
		if (!ok)
			return KV_META_BAD_TOKEN;
	}
	return KV_META_OK;
}

static int kv_b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int kv_b64_decode(const char *in, u32 len, unsigned char *out, u32 cap)
{
	u32 i, o = 0, pad = 0;
	int v[4], j;

	if (!len || len % 4)
		return -1;
	for (i = 0; i < len; i += 4) {
		for (j = 0; j < 4; j++) {
			unsigned char c = (unsigned char)in[i + j];

			if (c == '=' && i + 4 == len && j >= 2) {
				v[j] = 0;
				pad++;
				continue;
			}
			if (pad)
				return -1;
			v[j] = kv_b64_val(c);
			if (v[j] < 0)
				return -1;
		}
		/*
		 * Bits a padded end drops must be zero (RFC 4648 3.5): one
		 * key has one spelling, so "b" keys compare as their bytes.
		 */
		if ((pad == 1 && (v[2] & 3)) || (pad == 2 && (v[1] & 15)))
			return -1;
		if (o + 3 - pad > cap)
			return -1;
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	return (int)o;
}

u32 kv_b64_encode(const unsigned char *in, u32 len, char *out)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	u32 i, o = 0;

	for (i = 0; i < len; i += 3) {
		u32 n = (u32)in[i] << 16;

		if (i + 1 < len)
			n |= (u32)in[i + 1] << 8;
		if (i + 2 < len)
			n |= in[i + 2];
		out[o++] = a[n >> 18 & 63];
		out[o++] = a[n >> 12 & 63];
		out[o++] = i + 1 < len ? a[n >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? a[n & 63] : '=';
	}
	return o;
}
