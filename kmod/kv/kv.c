// SPDX-License-Identifier: GPL-2.0
/*
 * kv: memcached's text protocol over the store (store.h). Each command line
 * is found in the input without copying more than the line; a storage
 * command's data block is copied once, as it arrives, into the new item,
 * which is linked only when the block ended as it must ("\r\n"). A hit's
 * value goes out from the item's pages by reference (small values are
 * copied beside their VALUE line, which costs less than a page reference).
 */
#include <net/netlink.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>
#include <uapi/firehose.h>

#include "../conn.h"
#include "../proto.h"
#include "kv.h"
#include "kv_parse.h"
#include "store.h"

struct fh_kv_site {
	struct fh_kv_store *store;	/* its item_max is the listener's */
	struct work_struct free_work;
};

/* Stores are freed here, never on a worker: a large one takes a while. */
static struct workqueue_struct *fh_kv_wq;

static struct fh_kv_cpu **fh_kv_cpus;
static struct kmem_cache *fh_kv_conn_cache;

struct fh_kv_cpu *fh_kv_cpu(const struct fh_conn *c)
{
	return fh_kv_cpus[c->w->cpu];
}

struct fh_kv_store *fh_kv_store(const struct fh_conn *c)
{
	return ((struct fh_kv_site *)c->src->site)->store;
}

static struct fh_kv_conn *fh_kv_peek(const struct fh_conn *c)
{
	return (struct fh_kv_conn *)(uintptr_t)c->priv;
}

struct fh_kv_conn *fh_kv_state(struct fh_conn *c)
{
	struct fh_kv_conn *st = fh_kv_peek(c);

	if (st)
		return st;
	st = kmem_cache_zalloc(fh_kv_conn_cache, GFP_KERNEL);
	c->priv = (uintptr_t)st;
	return st;
}

int fh_kv_emit(struct fh_conn *c, const char *buf, size_t len)
{
	return fh_chain_emit(&c->out, &c->w->seg_pool, &fh_kv_cpu(c)->em,
			     buf, len);
}

int fh_kv_sayf(struct fh_conn *c, const char *fmt, ...)
{
	struct fh_kv_cpu *cpu = fh_kv_cpu(c);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vscnprintf(cpu->out, sizeof(cpu->out), fmt, ap);
	va_end(ap);
	return fh_kv_emit(c, cpu->out, n);
}

/* An inline value and its "\r\n" after cpu->out[0..@n): the new length. */
static u32 fh_kv_inline_value(struct fh_kv_cpu *cpu, struct fh_kv_item *it,
			      u32 n)
{
	memcpy(cpu->out + n, fh_kv_inline(it), it->nbytes);
	n += it->nbytes;
	cpu->out[n++] = '\r';
	cpu->out[n++] = '\n';
	return n;
}

/*
 * A value after its head line (cpu->out[0..@n)): from the item's pages by
 * reference, or copied beside the head when it is inline; then "\r\n".
 */
int fh_kv_send_value(struct fh_conn *c, struct fh_kv_item *it, u32 n)
{
	struct fh_kv_cpu *cpu = fh_kv_cpu(c);
	u32 off, take;
	int ret;

	if (!it->npages)
		return fh_kv_emit(c, cpu->out, fh_kv_inline_value(cpu, it, n));
	ret = fh_kv_emit(c, cpu->out, n);
	for (off = 0; !ret && off < it->nbytes; off += take) {
		take = min_t(u32, PAGE_SIZE, it->nbytes - off);
		ret = fh_chain_append_page(&c->out, &c->w->seg_pool,
					   fh_kv_pages(it)[off / PAGE_SIZE], 0,
					   take);
	}
	return ret ?: fh_kv_say(c, "");
}

/* @v's digits at @p: how many (at most 20). */
u32 fh_kv_digits(char *p, u64 v)
{
	char tmp[20];
	u32 n = 0, i;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

/* " <v>" at @p: its length (at most 21). */
static u32 fh_kv_put_num(char *p, u64 v)
{
	p[0] = ' ';
	return 1 + fh_kv_digits(p + 1, v);
}

/*
 * A VALUE line at @p: its length. Put together by hand: it is written for
 * every hit, and vsnprintf's format walk was a visible share of a small
 * GET's CPU.
 */
static u32 fh_kv_value_line(char *p, const struct fh_kv_item *it, bool cas)
{
	u32 n;

	BUILD_BUG_ON(FH_KV_OUT_MAX < 6 + 255 + 3 * 21 + 2 + FH_KV_INLINE_MAX + 2);
	memcpy(p, "VALUE ", 6);
	memcpy(p + 6, fh_kv_key(it), it->klen);
	n = 6 + it->klen;
	n += fh_kv_put_num(p + n, it->flags);
	n += fh_kv_put_num(p + n, it->nbytes);
	if (cas)
		n += fh_kv_put_num(p + n, it->cas);
	p[n++] = '\r';
	p[n++] = '\n';
	return n;
}

/*
 * One key of a get or gets. An inline value is copied out under RCU with
 * no reference taken; a value in pages is held until they are queued.
 * 1: a hit, 0: a miss, negative: an error.
 */
static int fh_kv_get_key(struct fh_conn *c, struct fh_kv_store *s,
			 const struct kv_tok *t, bool cas)
{
	struct fh_kv_cpu *cpu = fh_kv_cpu(c);
	struct fh_kv_item *it;
	u32 n;
	int ret;

	rcu_read_lock();
	it = fh_kv_find_rcu(s, t->p, t->len);
	if (it && !it->npages) {
		n = fh_kv_inline_value(cpu, it, fh_kv_value_line(cpu->out, it, cas));
		rcu_read_unlock();
		return fh_kv_emit(c, cpu->out, n) ?: 1;
	}
	if (it && !fh_kv_hold(it))
		it = NULL;
	rcu_read_unlock();
	if (!it)
		return 0;
	ret = fh_kv_send_value(c, it, fh_kv_value_line(cpu->out, it, cas));
	fh_kv_put(it);
	return ret ?: 1;
}

/* get, gets, gat and gats: any number of keys, in order, then END. */
static int fh_kv_get_cmd(struct fh_conn *c, enum kv_cmd cmd, const char *line,
			 size_t len)
{
	struct fh_kv_store *s = fh_kv_store(c);
	bool touch = cmd == KV_CMD_GAT || cmd == KV_CMD_GATS;
	bool cas = cmd == KV_CMD_GETS || cmd == KV_CMD_GATS;
	struct fh_kv_item *it;
	struct kv_tok t;
	size_t pos = 0, start;
	u32 exp = 0;
	s64 exptime;
	int ret, nkeys = 0;

	kv_next(line, len, &pos, &t);		/* the command */
	if (touch) {
		if (!kv_next(line, len, &pos, &t))
			return fh_kv_say(c, "ERROR");
		if (!kv_s32(&t, &exptime))
			return fh_kv_say(c, "CLIENT_ERROR invalid exptime argument");
		exp = fh_kv_exptime(s, exptime);
	}
	/* Every key first: a bad one refuses the whole line, nothing sent. */
	start = pos;
	while (kv_next(line, len, &pos, &t)) {
		if (!kv_key_ok(&t))
			return fh_kv_say(c, "CLIENT_ERROR bad command line format");
		nkeys++;
	}
	if (!nkeys)
		return fh_kv_say(c, "ERROR");
	pos = start;
	while (kv_next(line, len, &pos, &t)) {
		fh_kv_count(s, FH_KV_CMD_GET);
		if (!touch) {
			ret = fh_kv_get_key(c, s, &t, cas);
			if (ret < 0)
				return ret;
			fh_kv_count(s, ret ? FH_KV_GET_HITS : FH_KV_GET_MISSES);
			continue;
		}
		fh_kv_count(s, FH_KV_CMD_TOUCH);
		it = fh_kv_get(s, t.p, t.len, FH_KV_TOUCH, exp, NULL);
		if (!it) {
			fh_kv_count(s, FH_KV_GET_MISSES);
			fh_kv_count(s, FH_KV_TOUCH_MISSES);
			continue;
		}
		fh_kv_count(s, FH_KV_GET_HITS);
		fh_kv_count(s, FH_KV_TOUCH_HITS);
		ret = fh_kv_send_value(c, it, fh_kv_value_line(fh_kv_cpu(c)->out,
							       it, cas));
		fh_kv_put(it);
		if (ret)
			return ret;
	}
	return fh_kv_say(c, "END");
}

/* Replies of commands that take noreply; errors of the server always go. */
int fh_kv_reply(struct fh_conn *c, bool noreply, const char *msg, size_t len)
{
	return noreply ? 0 : fh_kv_emit(c, msg, len);
}

static const enum fh_kv_mode fh_kv_modes[] = {
	[KV_CMD_SET] = FH_KV_SET, [KV_CMD_ADD] = FH_KV_ADD,
	[KV_CMD_REPLACE] = FH_KV_REPLACE, [KV_CMD_APPEND] = FH_KV_APPEND,
	[KV_CMD_PREPEND] = FH_KV_PREPEND, [KV_CMD_CAS] = FH_KV_CAS,
};

/* A storage command's line: its data block comes next. */
static int fh_kv_update_cmd(struct fh_conn *c, enum kv_cmd cmd,
			    const struct kv_line *l)
{
	struct fh_kv_store *s = fh_kv_store(c);
	struct kv_store_req r;
	struct fh_kv_conn *st;
	struct fh_kv_item *it;

	switch (kv_parse_store(l, cmd == KV_CMD_CAS, &r)) {
	case 0:
		break;
	case -2:
		return fh_kv_say(c, "ERROR");
	default:
		return fh_kv_say(c, "CLIENT_ERROR bad command line format");
	}
	st = fh_kv_state(c);
	if (!st)
		return -ENOMEM;
	fh_kv_count(s, FH_KV_CMD_SET);
	if (fh_kv_too_large(s, r.key.len, r.bytes)) {
		/* As memcached: what the key held is gone too. */
		fh_kv_delete(s, r.key.p, r.key.len, 0);
		st->swallow = (u64)r.bytes + 2;
		return fh_kv_say(c, "SERVER_ERROR object too large for cache");
	}
	it = fh_kv_alloc(s, r.key.p, r.key.len, r.bytes);
	if (!it) {
		st->swallow = (u64)r.bytes + 2;
		return fh_kv_say(c, "SERVER_ERROR out of memory storing object");
	}
	it->flags = r.flags;
	it->exp = fh_kv_exptime(s, r.exptime);
	st->it = it;
	st->got = 0;
	st->cas = r.cas;
	st->mode = fh_kv_modes[cmd];
	st->noreply = r.noreply;
	st->meta = false;
	return 0;
}

struct fh_kv_fill {
	struct fh_kv_conn *st;
	size_t used;
};

static int fh_kv_fill_fn(void *arg, const char *p, size_t len)
{
	struct fh_kv_fill *f = arg;
	struct fh_kv_conn *st = f->st;
	u32 want = st->it->nbytes + 2 - st->got, take;

	take = min_t(size_t, len, want);
	while (take && st->got < st->it->nbytes) {
		u32 n = min_t(u32, take, st->it->nbytes - st->got);

		fh_kv_write(st->it, st->got, p, n);
		st->got += n;
		p += n;
		take -= n;
		f->used += n;
	}
	while (take) {
		st->end[st->got - st->it->nbytes] = *p++;
		st->got++;
		take--;
		f->used++;
	}
	return st->got == st->it->nbytes + 2;
}

/* The data block, as it arrives; >0 once it is whole and answered. */
static int fh_kv_block(struct fh_conn *c, struct fh_kv_conn *st)
{
	struct fh_kv_store *s = fh_kv_store(c);
	struct fh_kv_fill f = { .st = st };
	struct fh_kv_item *it = st->it;
	enum fh_kv_res res;
	int ret;

	ret = fh_chain_walk(&c->in, fh_kv_fill_fn, &f);
	fh_chain_consume(&c->in, &c->w->seg_pool, f.used);
	if (ret < 0)
		return ret;
	if (st->got < it->nbytes + 2)
		return 0;
	st->it = NULL;
	if (st->end[0] != '\r' || st->end[1] != '\n') {
		fh_kv_put(it);
		/* ms always answers its errors. */
		return fh_kv_ack(c, st->noreply && !st->meta,
				 "CLIENT_ERROR bad data chunk") ?: 1;
	}
	res = fh_kv_store_item(s, it, st->mode, st->cas);
	if (st->meta) {
		ret = fh_kv_meta_stored(c, st, it, res);
		fh_kv_put(it);
		return ret ?: 1;
	}
	fh_kv_put(it);
	switch (res) {
	case FH_KV_STORED:
		ret = fh_kv_ack(c, st->noreply, "STORED");
		break;
	case FH_KV_NOT_STORED:
		ret = fh_kv_ack(c, st->noreply, "NOT_STORED");
		break;
	case FH_KV_EXISTS:
		ret = fh_kv_ack(c, st->noreply, "EXISTS");
		break;
	case FH_KV_NOT_FOUND:
		ret = fh_kv_ack(c, st->noreply, "NOT_FOUND");
		break;
	case FH_KV_TOO_LARGE:
		ret = fh_kv_say(c, "SERVER_ERROR object too large for cache");
		break;
	default:
		ret = fh_kv_say(c, "SERVER_ERROR out of memory storing object");
		break;
	}
	return ret ?: 1;
}

/* memcached's words, two spaces and all. */
static const char fh_kv_delete_usage[] =
	"CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n";

static int fh_kv_delete_cmd(struct fh_conn *c, const struct kv_line *l)
{
	bool noreply = l->n > 2 && kv_tok_is(&l->t[l->n - 1], "noreply");
	bool zero = l->n > 2 && kv_tok_is(&l->t[2], "0");

	if (l->more || l->n > 4 || (l->n == 3 && !zero && !noreply) ||
	    (l->n == 4 && !(zero && noreply)))
		return fh_kv_emit(c, fh_kv_delete_usage,
				  sizeof(fh_kv_delete_usage) - 1);
	if (!kv_key_ok(&l->t[1]))
		return fh_kv_say(c, "CLIENT_ERROR bad command line format");
	if (fh_kv_delete(fh_kv_store(c), l->t[1].p, l->t[1].len, 0) == FH_KV_STORED)
		return fh_kv_ack(c, noreply, "DELETED");
	return fh_kv_ack(c, noreply, "NOT_FOUND");
}

static int fh_kv_arith_cmd(struct fh_conn *c, bool incr,
			   const struct kv_line *l)
{
	bool noreply = l->n == 4 && kv_tok_is(&l->t[3], "noreply");
	struct fh_kv_arith_req r = { .incr = incr };
	struct fh_kv_store *s = fh_kv_store(c);
	enum fh_kv_res res;

	if (l->more || (l->n != 3 && l->n != 4))
		return fh_kv_say(c, "ERROR");
	if (!kv_key_ok(&l->t[1]))
		return fh_kv_say(c, "CLIENT_ERROR bad command line format");
	if (!kv_u64(&l->t[2], &r.delta))
		return fh_kv_say(c, "CLIENT_ERROR invalid numeric delta argument");
	res = fh_kv_arith(s, l->t[1].p, l->t[1].len, &r);
	if (res == FH_KV_STORED && incr)
		fh_kv_count(s, FH_KV_INCR_HITS);
	else if (res == FH_KV_STORED)
		fh_kv_count(s, FH_KV_DECR_HITS);
	else if (res == FH_KV_NOT_FOUND && incr)
		fh_kv_count(s, FH_KV_INCR_MISSES);
	else if (res == FH_KV_NOT_FOUND)
		fh_kv_count(s, FH_KV_DECR_MISSES);
	switch (res) {
	case FH_KV_STORED:
		return noreply ? 0 : fh_kv_sayf(c, "%llu\r\n", r.value);
	case FH_KV_NOT_FOUND:
		return fh_kv_ack(c, noreply, "NOT_FOUND");
	case FH_KV_NON_NUMERIC:
		return fh_kv_ack(c, noreply,
				 "CLIENT_ERROR cannot increment or decrement non-numeric value");
	default:
		return fh_kv_say(c, "SERVER_ERROR out of memory");
	}
}

static int fh_kv_touch_cmd(struct fh_conn *c, const struct kv_line *l)
{
	bool noreply = l->n == 4 && kv_tok_is(&l->t[3], "noreply");
	struct fh_kv_store *s = fh_kv_store(c);
	struct fh_kv_item *it;
	s64 exptime;

	if (l->more || (l->n != 3 && l->n != 4))
		return fh_kv_say(c, "ERROR");
	if (!kv_key_ok(&l->t[1]))
		return fh_kv_say(c, "CLIENT_ERROR bad command line format");
	if (!kv_s32(&l->t[2], &exptime))
		return fh_kv_say(c, "CLIENT_ERROR invalid exptime argument");
	fh_kv_count(s, FH_KV_CMD_TOUCH);
	it = fh_kv_get(s, l->t[1].p, l->t[1].len, FH_KV_TOUCH,
		       fh_kv_exptime(s, exptime), NULL);
	if (!it) {
		fh_kv_count(s, FH_KV_TOUCH_MISSES);
		return fh_kv_ack(c, noreply, "NOT_FOUND");
	}
	fh_kv_put(it);
	fh_kv_count(s, FH_KV_TOUCH_HITS);
	return fh_kv_ack(c, noreply, "TOUCHED");
}

static int fh_kv_flush_cmd(struct fh_conn *c, const struct kv_line *l)
{
	bool noreply = l->n > 1 && kv_tok_is(&l->t[l->n - 1], "noreply");
	s64 delay = 0;

	if (l->more || l->n > 3 || (l->n == 3 && !noreply))
		return fh_kv_say(c, "ERROR");
	if (l->n - noreply == 2 && !kv_s32(&l->t[1], &delay))
		return fh_kv_say(c, "CLIENT_ERROR invalid exptime argument");
	fh_kv_flush(fh_kv_store(c), delay);
	return fh_kv_ack(c, noreply, "OK");
}

static int fh_kv_command(struct fh_conn *c, char *line, size_t len)
{
	struct kv_line l;
	enum kv_cmd cmd;

	/* The line's end: "\r\n", or "\n" alone, as memcached takes it. */
	len--;
	if (len && line[len - 1] == '\r')
		len--;
	kv_split(line, len, &l);
	if (!l.n)
		return fh_kv_say(c, "ERROR");
	cmd = kv_cmd_of(&l.t[0]);
	switch (cmd) {
	case KV_CMD_GET:
	case KV_CMD_GETS:
	case KV_CMD_GAT:
	case KV_CMD_GATS:
		return fh_kv_get_cmd(c, cmd, line, len);
	case KV_CMD_SET:
	case KV_CMD_ADD:
	case KV_CMD_REPLACE:
	case KV_CMD_APPEND:
	case KV_CMD_PREPEND:
	case KV_CMD_CAS:
		return fh_kv_update_cmd(c, cmd, &l);
	case KV_CMD_DELETE:
		return fh_kv_delete_cmd(c, &l);
	case KV_CMD_INCR:
	case KV_CMD_DECR:
		return fh_kv_arith_cmd(c, cmd == KV_CMD_INCR, &l);
	case KV_CMD_TOUCH:
		return fh_kv_touch_cmd(c, &l);
	case KV_CMD_FLUSH_ALL:
		return fh_kv_flush_cmd(c, &l);
	case KV_CMD_STATS:
		return fh_kv_stats_cmd(c, fh_kv_store(c), &l);
	case KV_CMD_VERSION:
		return fh_kv_say(c, "VERSION 1.6.0-firehose-" FH_VERSION);
	case KV_CMD_VERBOSITY:
		if (l.n < 2 || l.n > 3)
			return fh_kv_say(c, "ERROR");
		return fh_kv_ack(c, kv_tok_is(&l.t[l.n - 1], "noreply"), "OK");
	case KV_CMD_QUIT:
		fh_conn_close_after(c);
		return 0;
	case KV_CMD_MG:
	case KV_CMD_MS:
	case KV_CMD_MD:
	case KV_CMD_MA:
	case KV_CMD_MN:
	case KV_CMD_ME:
		return fh_kv_meta_cmd(c, cmd, &l);
	default:
		return fh_kv_say(c, "ERROR");
	}
}

struct fh_kv_find {
	size_t seen;
	size_t limit;
	size_t line;		/* its length with '\n'; 0: not found */
};

static int fh_kv_find_fn(void *arg, const char *p, size_t len)
{
	struct fh_kv_find *f = arg;
	size_t n = min(len, f->limit - f->seen), at = kv_line_len(p, n);

	if (at) {
		f->line = f->seen + at;
		return 1;
	}
	f->seen += n;
	return f->seen == f->limit;
}

/*
 * The commands the input holds, in order, until it runs out, a data block
 * is not whole yet, or enough answers wait to go out.
 */
static int fh_kv_on_data(struct fh_conn *c)
{
	struct fh_kv_cpu *cpu = fh_kv_cpu(c);
	struct fh_kv_find f;
	struct fh_kv_conn *st;
	size_t n;
	int ret;

	for (;;) {
		st = fh_kv_peek(c);
		if (c->close_after || c->out.len >= FH_KV_WINDOW)
			return 0;
		if (st && st->swallow) {
			n = min_t(u64, st->swallow, c->in.len);
			fh_chain_consume(&c->in, &c->w->seg_pool, n);
			st->swallow -= n;
			if (st->swallow)
				return 0;
		}
		if (st && st->it) {
			ret = fh_kv_block(c, st);
			if (ret <= 0)
				return ret;
			continue;
		}
		if (!c->in.len)
			return 0;
		n = fh_chain_copy_prefix(&c->in, cpu->line, 8);
		f.seen = 0;
		f.line = 0;
		f.limit = kv_is_get_line(cpu->line, n) ? KV_GET_LINE_MAX :
							 KV_LINE_MAX;
		ret = fh_chain_walk(&c->in, fh_kv_find_fn, &f);
		if (ret < 0)
			return ret;
		if (!f.line) {
			if (f.seen < f.limit)
				return 0;	/* the line goes on */
			/*
			 * As memcached, a line this long ends the connection,
			 * with no reply: the client is not speaking memcached.
			 */
			return -EPROTO;
		}
		fh_chain_copy_prefix(&c->in, cpu->line, f.line);
		fh_chain_consume(&c->in, &c->w->seg_pool, f.line);
		ret = fh_kv_command(c, cpu->line, f.line);
		if (ret)
			return ret;
	}
}

static int fh_kv_on_writable(struct fh_conn *c)
{
	return c->in.len ? fh_kv_on_data(c) : 0;
}

static bool fh_kv_input_paused(const struct fh_conn *c)
{
	return c->out.len >= FH_KV_WINDOW;
}

static void fh_kv_on_close(struct fh_conn *c)
{
	struct fh_kv_conn *st = fh_kv_peek(c);

	if (!st)
		return;
	if (st->it)
		fh_kv_put(st->it);
	kmem_cache_free(fh_kv_conn_cache, st);
	c->priv = 0;
}

#define FH_KV_STAT(c, name, v)	fh_kv_sayf(c, "STAT " name " %llu\r\n", (u64)(v))

int fh_kv_stats_cmd(struct fh_conn *c, struct fh_kv_store *s,
		    const struct kv_line *l)
{
	struct fh_kv_stats t;
	u64 la_hits, la_slab;
	u64 items = fh_kv_items(s);
	int ret;

	if (l->n > 2)
		return fh_kv_say(c, "ERROR");
	if (l->n == 2 && kv_tok_is(&l->t[1], "settings")) {
		ret = FH_KV_STAT(c, "maxbytes", READ_ONCE(s->limit)) ?:
		      FH_KV_STAT(c, "item_size_max", s->item_max) ?:
		      fh_kv_say(c, "STAT evictions on") ?:
		      fh_kv_say(c, "STAT cas_enabled yes") ?:
		      FH_KV_STAT(c, "hash_shards", FH_KV_SHARDS) ?:
		      FH_KV_STAT(c, "inline_value_max", FH_KV_INLINE_MAX);
		return ret ?: fh_kv_say(c, "END");
	}
	if (l->n == 2 && (kv_tok_is(&l->t[1], "items") ||
			  kv_tok_is(&l->t[1], "slabs"))) {
		/* One LRU per shard, not per size: one line set for all. */
		ret = kv_tok_is(&l->t[1], "items") ?
		      FH_KV_STAT(c, "items:1:number", items) :
		      FH_KV_STAT(c, "1:used_chunks", items) ?:
		      FH_KV_STAT(c, "active_slabs", items ? 1 : 0);
		return ret ?: fh_kv_say(c, "END");
	}
	if (l->n == 2)
		return fh_kv_say(c, "ERROR");
	fh_kv_stats_sum(s, &t);
	fh_kv_la_stats(&la_hits, &la_slab);
	ret = FH_KV_STAT(c, "pid", 0) ?:
	      FH_KV_STAT(c, "time", ktime_get_real_seconds()) ?:
	      fh_kv_say(c, "STAT version 1.6.0-firehose-" FH_VERSION) ?:
	      FH_KV_STAT(c, "pointer_size", BITS_PER_LONG) ?:
	      FH_KV_STAT(c, "threads", num_online_cpus()) ?:
	      FH_KV_STAT(c, "cmd_get", t.v[FH_KV_CMD_GET]) ?:
	      FH_KV_STAT(c, "cmd_set", t.v[FH_KV_CMD_SET]) ?:
	      FH_KV_STAT(c, "cmd_flush", t.v[FH_KV_CMD_FLUSH]) ?:
	      FH_KV_STAT(c, "cmd_touch", t.v[FH_KV_CMD_TOUCH]) ?:
	      FH_KV_STAT(c, "get_hits", t.v[FH_KV_GET_HITS]) ?:
	      FH_KV_STAT(c, "get_misses", t.v[FH_KV_GET_MISSES]) ?:
	      FH_KV_STAT(c, "get_expired", t.v[FH_KV_GET_EXPIRED]) ?:
	      FH_KV_STAT(c, "get_flushed", t.v[FH_KV_GET_FLUSHED]) ?:
	      FH_KV_STAT(c, "delete_misses", t.v[FH_KV_DELETE_MISSES]) ?:
	      FH_KV_STAT(c, "delete_hits", t.v[FH_KV_DELETE_HITS]) ?:
	      FH_KV_STAT(c, "incr_misses", t.v[FH_KV_INCR_MISSES]) ?:
	      FH_KV_STAT(c, "incr_hits", t.v[FH_KV_INCR_HITS]) ?:
	      FH_KV_STAT(c, "decr_misses", t.v[FH_KV_DECR_MISSES]) ?:
	      FH_KV_STAT(c, "decr_hits", t.v[FH_KV_DECR_HITS]) ?:
	      FH_KV_STAT(c, "cas_misses", t.v[FH_KV_CAS_MISSES]) ?:
	      FH_KV_STAT(c, "cas_hits", t.v[FH_KV_CAS_HITS]) ?:
	      FH_KV_STAT(c, "cas_badval", t.v[FH_KV_CAS_BADVAL]) ?:
	      FH_KV_STAT(c, "touch_hits", t.v[FH_KV_TOUCH_HITS]) ?:
	      FH_KV_STAT(c, "touch_misses", t.v[FH_KV_TOUCH_MISSES]) ?:
	      FH_KV_STAT(c, "limit_maxbytes", READ_ONCE(s->limit)) ?:
	      FH_KV_STAT(c, "bytes", fh_kv_bytes(s)) ?:
	      FH_KV_STAT(c, "hash_bytes", fh_kv_hash_bytes(s)) ?:
	      FH_KV_STAT(c, "curr_items", items) ?:
	      FH_KV_STAT(c, "total_items", t.v[FH_KV_TOTAL_ITEMS]) ?:
	      FH_KV_STAT(c, "expired_unfetched", t.v[FH_KV_EXPIRED_UNFETCHED]) ?:
	      FH_KV_STAT(c, "evicted_unfetched", t.v[FH_KV_EVICTED_UNFETCHED]) ?:
	      FH_KV_STAT(c, "evictions", t.v[FH_KV_EVICTIONS]) ?:
	      FH_KV_STAT(c, "reclaimed", t.v[FH_KV_RECLAIMED]) ?:
	      FH_KV_STAT(c, "fh_out_of_memory", t.v[FH_KV_OOM]) ?:
	      FH_KV_STAT(c, "fh_shard_locks", t.v[FH_KV_SHARD_LOCKS]) ?:
	      FH_KV_STAT(c, "fh_shard_contended", t.v[FH_KV_SHARD_CONTENDED]) ?:
	      FH_KV_STAT(c, "fh_item_lookaside_hits", la_hits) ?:
	      FH_KV_STAT(c, "fh_item_slab_allocs", la_slab);
	return ret ?: fh_kv_say(c, "END");
}

static struct netlink_range_validation fh_kv_mem_range = {
	.min = FH_KV_MEM_MIN,
	.max = FH_KV_MEM_MAX,
};

static struct netlink_range_validation fh_kv_item_max_range = {
	.min = FH_KV_ITEM_MAX_MIN,
	.max = FH_KV_ITEM_MAX_MAX,
};

static const struct nla_policy fh_kv_opts_policy[FH_KV_OPT_MAX + 1] = {
	[FH_KV_OPT_MEM] = NLA_POLICY_FULL_RANGE(NLA_U64, &fh_kv_mem_range),
	[FH_KV_OPT_ITEM_MAX] = NLA_POLICY_FULL_RANGE(NLA_U32, &fh_kv_item_max_range),
};

/* As memcached: an item may take at most half the memory. */
static bool fh_kv_fits(u64 mem, u32 item_max, struct netlink_ext_ack *extack)
{
	if ((u64)item_max * 2 <= mem)
		return true;
	NL_SET_ERR_MSG(extack, "the largest item may take at most half of the memory");
	return false;
}

static void *fh_kv_site_create(struct net *net, struct nlattr **opts,
			       struct netlink_ext_ack *extack)
{
	u64 mem = FH_KV_MEM_DEFAULT;
	u32 item_max = FH_KV_ITEM_MAX_DEFAULT;
	struct fh_kv_site *site;

	if (opts[FH_KV_OPT_MEM])
		mem = nla_get_u64(opts[FH_KV_OPT_MEM]);
	if (opts[FH_KV_OPT_ITEM_MAX])
		item_max = nla_get_u32(opts[FH_KV_OPT_ITEM_MAX]);
	if (!fh_kv_fits(mem, item_max, extack))
		return ERR_PTR(-EINVAL);
	site = kzalloc(sizeof(*site), GFP_KERNEL);
	if (!site)
		return ERR_PTR(-ENOMEM);
	site->store = fh_kv_store_create(mem, item_max);
	if (!site->store) {
		kfree(site);
		return ERR_PTR(-ENOMEM);
	}
	return site;
}

static void fh_kv_site_free(struct work_struct *work)
{
	struct fh_kv_site *site = container_of(work, struct fh_kv_site,
					       free_work);

	fh_kv_store_destroy(site->store);
	kfree(site);
}

/* The last connection may have gone on a worker: the store goes later. */
static void fh_kv_site_destroy(void *arg)
{
	struct fh_kv_site *site = arg;

	INIT_WORK(&site->free_work, fh_kv_site_free);
	queue_work(fh_kv_wq, &site->free_work);
}

/* Only the memory limit changes at run time; a lower one evicts down to it. */
static int fh_kv_site_set(void *arg, struct nlattr **opts,
			  struct netlink_ext_ack *extack)
{
	struct fh_kv_site *site = arg;
	u64 mem;

	if (opts[FH_KV_OPT_ITEM_MAX]) {
		NL_SET_ERR_MSG_ATTR(extack, opts[FH_KV_OPT_ITEM_MAX],
				    "the largest item is fixed: replace the listener to change it");
		return -EINVAL;
	}
	if (!opts[FH_KV_OPT_MEM]) {
		NL_SET_ERR_MSG(extack, "nothing to change");
		return -EINVAL;
	}
	mem = nla_get_u64(opts[FH_KV_OPT_MEM]);
	if (!fh_kv_fits(mem, site->store->item_max, extack))
		return -EINVAL;
	fh_kv_store_set_limit(site->store, mem);
	return 0;
}

static int fh_kv_site_fill(void *arg, struct sk_buff *skb,
			   struct user_namespace *reader)
{
	struct fh_kv_site *site = arg;
	struct nlattr *nest;

	nest = nla_nest_start(skb, FH_A_LISTENER_KV);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, FH_KV_OPT_MEM, READ_ONCE(site->store->limit),
			      FH_KV_OPT_PAD) ||
	    nla_put_u32(skb, FH_KV_OPT_ITEM_MAX, site->store->item_max) ||
	    nla_put_u64_64bit(skb, FH_KV_OPT_BYTES, fh_kv_bytes(site->store),
			      FH_KV_OPT_PAD) ||
	    nla_put_u64_64bit(skb, FH_KV_OPT_ITEMS, fh_kv_items(site->store),
			      FH_KV_OPT_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

const struct fh_proto fh_proto_kv = {
	.name = "kv",
	.max_held = KV_GET_LINE_MAX + 64 * 1024,
	.out_uncharged = true,
	.client_first = true,
	.keeps_idle = true,
	.on_data = fh_kv_on_data,
	.on_writable = fh_kv_on_writable,
	.on_close = fh_kv_on_close,
	.input_paused = fh_kv_input_paused,
	.opts_attr = FH_A_LISTENER_KV,
	.opts_policy = fh_kv_opts_policy,
	.opts_maxattr = FH_KV_OPT_MAX,
	.site_create = fh_kv_site_create,
	.site_destroy = fh_kv_site_destroy,
	.site_set = fh_kv_site_set,
	.site_fill = fh_kv_site_fill,
	.worker_tick = fh_kv_worker_tick,
};

static void fh_kv_cpus_free(void)
{
	unsigned int cpu;

	if (!fh_kv_cpus)
		return;
	for_each_possible_cpu(cpu) {
		if (!fh_kv_cpus[cpu])
			continue;
		fh_emit_release(&fh_kv_cpus[cpu]->em);
		kvfree(fh_kv_cpus[cpu]);
	}
	kfree(fh_kv_cpus);
	fh_kv_cpus = NULL;
}

int fh_kv_proto_init(void)
{
	unsigned int cpu;
	int ret;

	ret = fh_kv_init();
	if (ret)
		return ret;
	fh_kv_wq = alloc_workqueue("fh_kv", WQ_UNBOUND, 0);
	if (!fh_kv_wq) {
		fh_kv_exit();
		return -ENOMEM;
	}
	fh_kv_conn_cache = KMEM_CACHE(fh_kv_conn, 0);
	fh_kv_cpus = kcalloc(nr_cpu_ids, sizeof(*fh_kv_cpus), GFP_KERNEL);
	if (!fh_kv_conn_cache || !fh_kv_cpus)
		goto err;
	for_each_possible_cpu(cpu) {
		fh_kv_cpus[cpu] = kvzalloc_node(sizeof(*fh_kv_cpus[cpu]),
						GFP_KERNEL, cpu_to_node(cpu));
		if (!fh_kv_cpus[cpu])
			goto err;
	}
	return 0;
err:
	fh_kv_cpus_free();
	kmem_cache_destroy(fh_kv_conn_cache);
	destroy_workqueue(fh_kv_wq);
	fh_kv_exit();
	return -ENOMEM;
}

/* After every listener is gone: the stores they left go first. */
void fh_kv_proto_exit(void)
{
	destroy_workqueue(fh_kv_wq);
	fh_kv_cpus_free();
	kmem_cache_destroy(fh_kv_conn_cache);
	fh_kv_exit();
}
