/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_BUF_H
#define _FH_BUF_H

#include <linux/skbuff.h>
#include <linux/net.h>

#include "pool.h"

/*
 * Buffer chains: the data plane's currency. A segment refers to bytes held
 * elsewhere (a page, or a cloned skb) and holds one reference on it; a chain
 * is a singly linked list of segments. Only the easy operations exist: append
 * at the tail, consume from the head, copy a prefix out, send. Data is never
 * split or merged in the middle, so it is never copied to be moved.
 */
enum fh_seg_kind {
	FH_SEG_PAGE,
	FH_SEG_SKB,
};

struct fh_seg {
	struct fh_seg *next;	/* first: the pool links free segments here */
	union {
		struct page *page;
		struct sk_buff *skb;
	};
	u32 off;
	u32 len;
	u8 kind;
};

struct fh_chain {
	struct fh_seg *head;
	struct fh_seg **tail;
	size_t len;
	unsigned int nsegs;	/* what the chain costs beyond its bytes */
};

struct fh_send_stats {
	u64 zerocopy;	/* bytes handed to the stack by page reference */
	u64 copied;	/* bytes the stack had to copy (slab-backed data) */
};

static inline void fh_chain_init(struct fh_chain *ch)
{
	ch->head = NULL;
	ch->tail = &ch->head;
	ch->len = 0;
	ch->nsegs = 0;
}

static inline bool fh_chain_empty(const struct fh_chain *ch)
{
	return !ch->head;
}

/*
 * A worker's page that small answers (headers, status lines) are written
 * into and sent from by reference: the stack never sees slab memory. A
 * full page is started again from its beginning when the stack no longer
 * holds it (ours is then the only reference); else a fresh one replaces
 * it. Bytes that continue the chain's last segment in the page extend it.
 */
struct fh_emit {
	struct page *page;
	u32 off;
};

/* A page with @need (at most PAGE_SIZE) bytes free at em->off. */
int fh_emit_room(struct fh_emit *em, size_t need);
int fh_chain_emit(struct fh_chain *ch, struct fh_pool *segs,
		  struct fh_emit *em, const void *buf, size_t len);
void fh_emit_release(struct fh_emit *em);
int fh_chain_append_page(struct fh_chain *ch, struct fh_pool *segs,
			 struct page *page, u32 off, u32 len);
int fh_chain_append_skb(struct fh_chain *ch, struct fh_pool *segs,
			struct sk_buff *skb, u32 off, u32 len);
int fh_chain_append_frags(struct fh_chain *ch, struct fh_pool *segs,
			  struct sk_buff *skb, u32 off, u32 len);
void fh_chain_splice(struct fh_chain *dst, struct fh_chain *src);
int fh_chain_move(struct fh_chain *dst, struct fh_chain *src,
		  struct fh_pool *segs, size_t n, size_t *in_skbs);
void fh_chain_consume(struct fh_chain *ch, struct fh_pool *segs, size_t n);
size_t fh_chain_copy_prefix(const struct fh_chain *ch, void *dst, size_t n);
int fh_chain_walk(const struct fh_chain *ch,
		  int (*fn)(void *arg, const char *p, size_t len), void *arg);
void fh_chain_purge(struct fh_chain *ch, struct fh_pool *segs);
long fh_chain_compact(struct fh_chain *ch, struct fh_pool *segs, gfp_t gfp);
int fh_chain_send(struct fh_chain *ch, struct fh_pool *segs,
		  struct socket *sock, bool fin_next, struct fh_send_stats *st);

#endif /* _FH_BUF_H */
