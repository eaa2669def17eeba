// SPDX-License-Identifier: GPL-2.0
/*
 * kv: memcached's meta commands (mg, ms, md, ma, mn, me) over the same
 * store as the text ones. Return flags are answered in the order they were
 * asked; q hides the answers a pipeline does not need (EN for mg, HD for
 * the others), and mn ends such a pipeline. md I, mg N and mg R implement
 * the stale-while-revalidate markers: X (stale), W (you won: recache it)
 * and Z (someone else already won).
 */
#include <linux/kernel.h>
#include <linux/string.h>

#include "../conn.h"
#include "kv.h"

struct fh_kv_mkey {
	const char *p;
	u8 len;
	bool bin;
	unsigned char buf[KV_KEY_MAX];
};

static int fh_kv_meta_err(struct fh_conn *c, enum kv_meta_err e)
{
	switch (e) {
	case KV_META_DUPLICATE:
		return fh_kv_say(c, "CLIENT_ERROR duplicate flag");
	case KV_META_BAD_TOKEN:
		return fh_kv_say(c, "CLIENT_ERROR bad token in command line format");
	case KV_META_OPAQUE:
		return fh_kv_say(c, "CLIENT_ERROR opaque token too long");
	default:
		return fh_kv_say(c, "CLIENT_ERROR invalid flag");
	}
}

/* The key token, decoded when the b flag says it is base64. */
static int fh_kv_mkey(struct fh_conn *c, const struct kv_tok *t, bool b,
		      struct fh_kv_mkey *k)
{
	int n;

	if (!b) {
		if (!kv_key_ok(t))
			return fh_kv_say(c, "CLIENT_ERROR bad command line format") ?: 1;
		k->p = t->p;
		k->len = t->len;
		k->bin = false;
		return 0;
	}
	n = kv_b64_decode(t->p, t->len, k->buf, sizeof(k->buf));
	if (n <= 0)
		return fh_kv_say(c, "CLIENT_ERROR error decoding key") ?: 1;
	k->p = (const char *)k->buf;
	k->len = n;
	k->bin = true;
	return 0;
}

/*
 * " k<key>" (@flag 'k'; me writes " <key>", @flag 0), in base64 and
 * followed by " b" for a binary key.
 */
static u32 fh_kv_put_key(char *out, u32 n, char flag, const char *key, u8 klen,
			 bool bin)
{
	out[n++] = ' ';
	if (flag)
		out[n++] = flag;
	if (!bin) {
		memcpy(out + n, key, klen);
		return n + klen;
	}
	n += kv_b64_encode((const unsigned char *)key, klen, out + n);
	out[n++] = ' ';
	out[n++] = 'b';
	return n;
}

/* " <flag><v>" at @out + @n: the new length. */
static u32 fh_kv_put_flag(char *out, u32 n, char flag, u64 v)
{
	out[n++] = ' ';
	out[n++] = flag;
	return n + fh_kv_digits(out + n, v);
}

static u32 fh_kv_put_opaque(char *out, u32 n, const struct kv_tok *t)
{
	out[n++] = ' ';
	memcpy(out + n, t->p, t->len);
	return n + t->len;
}

static u32 fh_kv_ttl(struct fh_kv_store *s, const struct fh_kv_item *it,
		     char *out, u32 n, size_t cap)
{
	u32 now = fh_kv_now(s);

	if (!it->exp)
		return n + scnprintf(out + n, cap - n, " t-1");
	return n + scnprintf(out + n, cap - n, " t%u",
			     it->exp > now ? it->exp - now : 0);
}

/* A miss: EN, with O and k echoed, unless q hides it. */
static int fh_kv_meta_miss(struct fh_conn *c, const struct kv_line *l,
			   const struct kv_meta *m, const struct fh_kv_mkey *k,
			   const char *code)
{
	struct fh_kv_cpu *cpu = fh_kv_cpu(c);
	u32 i, n = 2;

	memcpy(cpu->out, code, 2);
	for (i = m->first; i < m->first + m->n; i++) {
		if (l->t[i].p[0] == 'O')
			n = fh_kv_put_opaque(cpu->out, n, &l->t[i]);
		else if (l->t[i].p[0] == 'k')
			n = fh_kv_put_key(cpu->out, n, 'k', k->p, k->len, k->bin);
	}
	cpu->out[n++] = '\r';
	cpu->out[n++] = '\n';
	return fh_kv_emit(c, cpu->out, n);
}

static int fh_kv_mg(struct fh_conn *c, const struct kv_line *l)
{
	struct fh_kv_store *s = fh_kv_store(c);
	struct fh_kv_cpu *cpu = fh_kv_cpu(c);
	size_t cap = sizeof(cpu->out) - FH_KV_INLINE_MAX - 2;
	bool fetched = false, created = false, won = false, was_won;
	unsigned int how = 0;
	struct fh_kv_item *it;
	struct fh_kv_mkey k;
	struct kv_meta m;
	enum kv_meta_err e;
	u32 i, n, exp = 0, now = fh_kv_now(s);
	int ret;

	if (l->n < 2)
		return fh_kv_say(c, "ERROR");
	e = kv_meta_parse(l, 2, "bcfhklOqstuvENRT", &m);
	if (e)
		return fh_kv_meta_err(c, e);
	ret = fh_kv_mkey(c, &l->t[1], m.b, &k);
	if (ret)
		return ret < 0 ? ret : 0;
	if (m.noupdate)
		how |= FH_KV_PEEK;
	if (kv_meta_has(&m, 'T')) {
		how |= FH_KV_TOUCH;
		exp = fh_kv_exptime(s, m.ttl);
	}
	fh_kv_count(s, FH_KV_CMD_GET);
	it = fh_kv_get(s, k.p, k.len, how, exp, &fetched);
	if (!it && kv_meta_has(&m, 'N')) {
		/* Made empty and linked: the one who made it is to fill it. */
		it = fh_kv_alloc(s, k.p, k.len, 0);
		if (!it)
			return fh_kv_say(c, "SERVER_ERROR out of memory storing object");
		it->exp = fh_kv_exptime(s, m.vivify);
		it->mflags = k.bin ? FH_KV_BINKEY : 0;
		if (fh_kv_store_item(s, it, FH_KV_ADD, 0) == FH_KV_STORED) {
			created = true;
		} else {
			fh_kv_put(it);
			it = fh_kv_get(s, k.p, k.len, how, exp, &fetched);
		}
	}
	if (!it) {
		fh_kv_count(s, FH_KV_GET_MISSES);
		return m.q ? 0 : fh_kv_meta_miss(c, l, &m, &k, "EN");
	}
	fh_kv_count(s, FH_KV_GET_HITS);
	was_won = READ_ONCE(it->mflags) & FH_KV_WON;
	if (created || (!was_won && (READ_ONCE(it->mflags) & FH_KV_STALE)) ||
	    (!was_won && kv_meta_has(&m, 'R') && it->exp &&
	     it->exp < fh_kv_exptime(s, m.recache)))
		won = fh_kv_win(s, it);
	/*
	 * Numbers by hand, as get's VALUE line (vsnprintf's format walk is
	 * a visible share of a small hit): each at most 22 bytes, and the
	 * flags are at most KV_TOKENS_MAX, well inside @cap.
	 */
	BUILD_BUG_ON(KV_TOKENS_MAX * 22 + 3 + 20 > sizeof(cpu->out) / 2);
	if (m.v) {
		memcpy(cpu->out, "VA ", 3);
		n = 3 + fh_kv_digits(cpu->out + 3, it->nbytes);
	} else {
		memcpy(cpu->out, "HD", 2);
		n = 2;
	}
	for (i = m.first; i < m.first + m.n; i++) {
		switch (l->t[i].p[0]) {
		case 's':
			n = fh_kv_put_flag(cpu->out, n, 's', it->nbytes);
			break;
		case 't':
			n = fh_kv_ttl(s, it, cpu->out, n, cap);
			break;
		case 'c':
			n = fh_kv_put_flag(cpu->out, n, 'c', it->cas);
			break;
		case 'f':
			n = fh_kv_put_flag(cpu->out, n, 'f', it->flags);
			break;
		case 'l':
			n += scnprintf(cpu->out + n, cap - n, " l%u",
				       now - min(now, READ_ONCE(it->atime)));
			break;
		case 'h':
			n += scnprintf(cpu->out + n, cap - n, " h%d", fetched);
			break;
		case 'O':
			n = fh_kv_put_opaque(cpu->out, n, &l->t[i]);
			break;
		case 'k':
			n = fh_kv_put_key(cpu->out, n, 'k', fh_kv_key(it), it->klen,
					  it->mflags & FH_KV_BINKEY);
			break;
		}
	}
	if (was_won)
		n += scnprintf(cpu->out + n, cap - n, " Z");
	if (READ_ONCE(it->mflags) & FH_KV_STALE)
		n += scnprintf(cpu->out + n, cap - n, " X");
	if (won)
		n += scnprintf(cpu->out + n, cap - n, " W");
	cpu->out[n++] = '\r';
	cpu->out[n++] = '\n';
	ret = m.v ? fh_kv_send_value(c, it, n) : fh_kv_emit(c, cpu->out, n);
	fh_kv_put(it);
	return ret;
}

static const struct {
	char letter;
	enum fh_kv_mode mode;
} fh_kv_ms_modes[] = {
	{ 'S', FH_KV_SET }, { 'E', FH_KV_ADD }, { 'A', FH_KV_APPEND },
	{ 'P', FH_KV_PREPEND }, { 'R', FH_KV_REPLACE },
};

/* ms: the line; its data block comes next (kv.c fills the item). */
static int fh_kv_ms(struct fh_conn *c, const struct kv_line *l)
{
	struct fh_kv_store *s = fh_kv_store(c);
	enum fh_kv_mode mode = FH_KV_SET;
	struct fh_kv_conn *st;
	struct fh_kv_item *it;
	struct fh_kv_mkey k;
	struct kv_meta m;
	enum kv_meta_err e;
	unsigned int i;
	s64 bytes;
	int ret;

	if (l->n < 3)
		return fh_kv_say(c, "ERROR");
	if (!kv_s32(&l->t[2], &bytes) || bytes < 0)
		return fh_kv_say(c, "CLIENT_ERROR bad command line format");
	st = fh_kv_state(c);
	if (!st)
		return -ENOMEM;
	/* From here on, a refused line's data block is read and dropped. */
	st->swallow = (u64)bytes + 2;
	e = kv_meta_parse(l, 3, "bcCEFIkOqsTM", &m);
	if (e)
		return fh_kv_meta_err(c, e);
	if (m.mode) {
		for (i = 0; i < ARRAY_SIZE(fh_kv_ms_modes); i++)
			if (fh_kv_ms_modes[i].letter == m.mode)
				break;
		if (i == ARRAY_SIZE(fh_kv_ms_modes))
			return fh_kv_say(c, "CLIENT_ERROR invalid mode for ms M token");
		mode = fh_kv_ms_modes[i].mode;
	}
	/* C compares the cas; with a mode other than set, the mode rules. */
	if (kv_meta_has(&m, 'C') && mode == FH_KV_SET)
		mode = kv_meta_has(&m, 'I') ? FH_KV_CAS_STALE : FH_KV_CAS;
	ret = fh_kv_mkey(c, &l->t[1], m.b, &k);
	if (ret)
		return ret < 0 ? ret : 0;
	fh_kv_count(s, FH_KV_CMD_SET);
	if (fh_kv_too_large(s, k.len, bytes)) {
		fh_kv_delete(s, k.p, k.len, 0);
		return fh_kv_say(c, "SERVER_ERROR object too large for cache");
	}
	it = fh_kv_alloc(s, k.p, k.len, bytes);
	if (!it)
		return fh_kv_say(c, "SERVER_ERROR out of memory storing object");
	st->swallow = 0;
	it->flags = m.client_flags;
	it->exp = kv_meta_has(&m, 'T') ? fh_kv_exptime(s, m.ttl) : 0;
	it->cas = m.new_cas;
	it->mflags = k.bin ? FH_KV_BINKEY : 0;
	st->it = it;
	st->got = 0;
	st->cas = m.cas;
	st->mode = mode;
	st->noreply = m.q;
	st->meta = true;
	st->nret = 0;
	st->opaque_len = 0;
	for (i = m.first; i < m.first + m.n; i++) {
		char f = l->t[i].p[0];

		if (f != 'O' && f != 'k' && f != 'c')
			continue;
		st->ret[st->nret++] = f;
		if (f == 'O') {
			st->opaque_len = l->t[i].len - 1;
			memcpy(st->opaque, l->t[i].p + 1, st->opaque_len);
		}
	}
	return 0;
}

int fh_kv_meta_stored(struct fh_conn *c, struct fh_kv_conn *st,
		      struct fh_kv_item *it, enum fh_kv_res res)
{
	struct fh_kv_cpu *cpu = fh_kv_cpu(c);
	const char *code;
	u32 i, n;

	switch (res) {
	case FH_KV_STORED:
		if (st->noreply)
			return 0;
		code = "HD";
		break;
	case FH_KV_NOT_STORED:
		code = "NS";
		break;
	case FH_KV_EXISTS:
		code = "EX";
		break;
	case FH_KV_NOT_FOUND:
		code = "NF";
		break;
	case FH_KV_TOO_LARGE:
		return fh_kv_say(c, "SERVER_ERROR object too large for cache");
	default:
		return fh_kv_say(c, "SERVER_ERROR out of memory storing object");
	}
	memcpy(cpu->out, code, 2);
	n = 2;
	for (i = 0; i < st->nret; i++) {
		switch (st->ret[i]) {
		case 'O':
			cpu->out[n++] = ' ';
			memcpy(cpu->out + n, st->opaque, st->opaque_len);
			n += st->opaque_len;
			break;
		case 'k':
			n = fh_kv_put_key(cpu->out, n, 'k', fh_kv_key(it), it->klen,
					  it->mflags & FH_KV_BINKEY);
			break;
		case 'c':
			n += scnprintf(cpu->out + n, sizeof(cpu->out) - n,
				       " c%llu", it->cas);
			break;
		}
	}
	cpu->out[n++] = '\r';
	cpu->out[n++] = '\n';
	return fh_kv_emit(c, cpu->out, n);
}

/* md x: the item stays with an empty value, its flags reset. */
static enum fh_kv_res fh_kv_md_empty(struct fh_kv_store *s,
				     const struct fh_kv_mkey *k, u64 cas)
{
	struct fh_kv_item *old, *it;
	enum fh_kv_res res;

	old = fh_kv_get(s, k->p, k->len, FH_KV_PEEK, 0, NULL);
	if (!old)
		return FH_KV_NOT_FOUND;
	if (cas && old->cas != cas) {
		fh_kv_put(old);
		return FH_KV_EXISTS;
	}
	it = fh_kv_alloc(s, k->p, k->len, 0);
	if (!it) {
		fh_kv_put(old);
		return FH_KV_NOMEM;
	}
	it->exp = old->exp;
	it->mflags = old->mflags & FH_KV_BINKEY;
	res = fh_kv_store_item(s, it, FH_KV_SWAP, old->cas);
	fh_kv_put(old);
	fh_kv_put(it);
	return res;
}

static int fh_kv_md(struct fh_conn *c, const struct kv_line *l)
{
	struct fh_kv_store *s = fh_kv_store(c);
	struct fh_kv_mkey k;
	struct kv_meta m;
	enum kv_meta_err e;
	enum fh_kv_res res;
	int ret;

	if (l->n < 2)
		return fh_kv_say(c, "ERROR");
	e = kv_meta_parse(l, 2, "bCEIkOqTx", &m);
	if (e)
		return fh_kv_meta_err(c, e);
	ret = fh_kv_mkey(c, &l->t[1], m.b, &k);
	if (ret)
		return ret < 0 ? ret : 0;
	if (kv_meta_has(&m, 'I'))
		res = fh_kv_invalidate(s, k.p, k.len, m.cas,
				       kv_meta_has(&m, 'T'),
				       fh_kv_exptime(s, m.ttl));
	else if (kv_meta_has(&m, 'x'))
		res = fh_kv_md_empty(s, &k, m.cas);
	else
		res = fh_kv_delete(s, k.p, k.len, m.cas);
	switch (res) {
	case FH_KV_STORED:
		return m.q ? 0 : fh_kv_meta_miss(c, l, &m, &k, "HD");
	case FH_KV_EXISTS:
		return fh_kv_meta_miss(c, l, &m, &k, "EX");
	case FH_KV_NOT_FOUND:
		return fh_kv_meta_miss(c, l, &m, &k, "NF");
	default:
		return fh_kv_say(c, "SERVER_ERROR out of memory");
	}
}

static int fh_kv_ma(struct fh_conn *c, const struct kv_line *l)
{
	struct fh_kv_store *s = fh_kv_store(c);
	struct fh_kv_cpu *cpu = fh_kv_cpu(c);
	struct fh_kv_arith_req r = { .incr = true, .delta = 1 };
	struct fh_kv_item tmp = { };
	struct fh_kv_mkey k;
	struct kv_meta m;
	enum fh_kv_res res;
	u32 i, n, len;
	char num[24];
	int ret;

	if (l->n < 2)
		return fh_kv_say(c, "ERROR");
	if (kv_meta_parse(l, 2, "bCENJDTMOqtcvk", &m))
		return fh_kv_say(c, "CLIENT_ERROR invalid or duplicate flag");
	switch (m.mode) {
	case 0: case 'I': case 'i': case '+':
		break;
	case 'D': case 'd': case '-':
		r.incr = false;
		break;
	default:
		return fh_kv_say(c, "CLIENT_ERROR invalid mode for ma M token");
	}
	ret = fh_kv_mkey(c, &l->t[1], m.b, &k);
	if (ret)
		return ret < 0 ? ret : 0;
	if (kv_meta_has(&m, 'D'))
		r.delta = m.delta;
	r.vivify = kv_meta_has(&m, 'N');
	r.vivify_exp = fh_kv_exptime(s, m.vivify);
	r.initial = m.initial;
	r.set_exp = kv_meta_has(&m, 'T');
	r.exp = fh_kv_exptime(s, m.ttl);
	r.cas = m.cas;
	r.binkey = k.bin;
	res = fh_kv_arith(s, k.p, k.len, &r);
	switch (res) {
	case FH_KV_STORED:
		break;
	case FH_KV_NOT_FOUND:
		return fh_kv_meta_miss(c, l, &m, &k, "NF");
	case FH_KV_EXISTS:
		return fh_kv_meta_miss(c, l, &m, &k, "EX");
	case FH_KV_NON_NUMERIC:
		return fh_kv_say(c, "CLIENT_ERROR cannot increment or decrement non-numeric value");
	default:
		return fh_kv_say(c, "SERVER_ERROR out of memory");
	}
	if (m.q && !m.v)
		return 0;
	len = scnprintf(num, sizeof(num), "%llu", r.value);
	n = m.v ? scnprintf(cpu->out, sizeof(cpu->out), "VA %u", len) :
		  scnprintf(cpu->out, sizeof(cpu->out), "HD");
	tmp.exp = r.new_exp;
	for (i = m.first; i < m.first + m.n; i++) {
		switch (l->t[i].p[0]) {
		case 't':
			n = fh_kv_ttl(s, &tmp, cpu->out, n, sizeof(cpu->out));
			break;
		case 'c':
			n += scnprintf(cpu->out + n, sizeof(cpu->out) - n,
				       " c%llu", r.new_cas);
			break;
		case 'O':
			n = fh_kv_put_opaque(cpu->out, n, &l->t[i]);
			break;
		case 'k':
			n = fh_kv_put_key(cpu->out, n, 'k', k.p, k.len, k.bin);
			break;
		}
	}
	n += scnprintf(cpu->out + n, sizeof(cpu->out) - n,
		       m.v ? "\r\n%s\r\n" : "\r\n", num);
	return fh_kv_emit(c, cpu->out, n);
}

/* me: what memcached's debug line says of an item. */
static int fh_kv_me(struct fh_conn *c, const struct kv_line *l)
{
	struct fh_kv_store *s = fh_kv_store(c);
	struct fh_kv_cpu *cpu = fh_kv_cpu(c);
	u32 now = fh_kv_now(s), n;
	struct fh_kv_item *it;
	struct fh_kv_mkey k;
	struct kv_meta m;
	int ret;

	if (l->n < 2)
		return fh_kv_say(c, "ERROR");
	if (kv_meta_parse(l, 2, "b", &m))
		return fh_kv_say(c, "CLIENT_ERROR invalid flag");
	ret = fh_kv_mkey(c, &l->t[1], m.b, &k);
	if (ret)
		return ret < 0 ? ret : 0;
	it = fh_kv_get(s, k.p, k.len, FH_KV_PEEK, 0, NULL);
	if (!it)
		return fh_kv_say(c, "EN");
	n = scnprintf(cpu->out, sizeof(cpu->out), "ME");
	n = fh_kv_put_key(cpu->out, n, 0, fh_kv_key(it), it->klen,
			  it->mflags & FH_KV_BINKEY);
	if (it->exp)
		n += scnprintf(cpu->out + n, sizeof(cpu->out) - n, " exp=%d",
			       (int)(it->exp > now ? it->exp - now : 0));
	else
		n += scnprintf(cpu->out + n, sizeof(cpu->out) - n, " exp=-1");
	n += scnprintf(cpu->out + n, sizeof(cpu->out) - n,
		       " la=%u cas=%llu fetch=%s cls=%u size=%u\r\n",
		       now - min(now, READ_ONCE(it->atime)), it->cas,
		       READ_ONCE(it->fetched) ? "yes" : "no", it->cls + 1,
		       fh_kv_charge(it));
	fh_kv_put(it);
	return fh_kv_emit(c, cpu->out, n);
}

int fh_kv_meta_cmd(struct fh_conn *c, enum kv_cmd cmd, const struct kv_line *l)
{
	switch (cmd) {
	case KV_CMD_MG:
		return fh_kv_mg(c, l);
	case KV_CMD_MS:
		return fh_kv_ms(c, l);
	case KV_CMD_MD:
		return fh_kv_md(c, l);
	case KV_CMD_MA:
		return fh_kv_ma(c, l);
	case KV_CMD_ME:
		return fh_kv_me(c, l);
	default:
		return fh_kv_say(c, "MN");
	}
}
