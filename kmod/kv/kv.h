/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_KV_H
#define _FH_KV_H

#include "../buf.h"
#include "kv_parse.h"
#include "store.h"

/* What kv.c and meta.c share: a connection's state, the worker's buffers. */

struct fh_conn;

/* Answers queued and not yet sent, beyond which no command is read. */
#define FH_KV_WINDOW	(256 * 1024)
#define FH_KV_OUT_MAX	(FH_KV_INLINE_MAX + 1024)

/* A connection's state between turns; made when a data block first comes. */
struct fh_kv_conn {
	struct fh_kv_item *it;		/* being filled */
	u32 got;			/* of it->nbytes + 2 */
	u64 swallow;			/* bytes to discard (a refused block) */
	u64 cas;
	u8 mode;
	bool noreply;
	char end[2];			/* what came after the value */
	/* ms: the return flags asked for, in order, and the opaque. */
	bool meta;
	u8 nret;
	u8 opaque_len;
	char ret[KV_TOKENS_MAX];
	char opaque[KV_OPAQUE_MAX];
};

/* Each worker's own. */
struct fh_kv_cpu {
	struct fh_emit em;
	char out[FH_KV_OUT_MAX];
	char line[KV_GET_LINE_MAX];
};

struct fh_kv_cpu *fh_kv_cpu(const struct fh_conn *c);
struct fh_kv_store *fh_kv_store(const struct fh_conn *c);
struct fh_kv_conn *fh_kv_state(struct fh_conn *c);
int fh_kv_emit(struct fh_conn *c, const char *buf, size_t len);
__printf(2, 3) int fh_kv_sayf(struct fh_conn *c, const char *fmt, ...);
int fh_kv_reply(struct fh_conn *c, bool noreply, const char *msg, size_t len);
int fh_kv_send_value(struct fh_conn *c, struct fh_kv_item *it, u32 n);
u32 fh_kv_digits(char *p, u64 v);

#define fh_kv_say(c, lit)	fh_kv_emit(c, lit "\r\n", sizeof(lit "\r\n") - 1)
#define fh_kv_ack(c, noreply, lit) \
	fh_kv_reply(c, noreply, lit "\r\n", sizeof(lit "\r\n") - 1)

/* stats [settings|items|slabs]: memcached's names for what they count. */
int fh_kv_stats_cmd(struct fh_conn *c, struct fh_kv_store *s,
		    const struct kv_line *l);
/* The meta commands (meta.c): mg, ms, md, ma, mn, me. */
int fh_kv_meta_cmd(struct fh_conn *c, enum kv_cmd cmd, const struct kv_line *l);
/* ms's data block is whole and stored (or not): its reply. */
int fh_kv_meta_stored(struct fh_conn *c, struct fh_kv_conn *st,
		      struct fh_kv_item *it, enum fh_kv_res res);

#endif /* _FH_KV_H */
