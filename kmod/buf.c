// SPDX-License-Identifier: GPL-2.0
/*
 * Buffer chains. Received data is kept by reference to the pages of the
 * skb's fragments where it lies there (TCP senders put payload in page
 * fragments), else as an skb clone (tcp_read_sock frees the original after
 * the actor returns). Outgoing data leaves by page reference through
 * fh_sendpage_locked() (compat.h: sendpage on 6.1, MSG_SPLICE_PAGES from
 * 6.5), so payload bytes are never copied by firehose. Only data in an skb's
 * linear area, which is slab memory and must never be spliced, goes out by
 * copy; it is counted apart.
 */
#include <linux/mm.h>
#include <linux/highmem.h>

#include <net/sock.h>

#include "buf.h"
#include "compat.h"

static int fh_chain_append(struct fh_chain *ch, struct fh_pool *segs,
			   u8 kind, void *ref, u32 off, u32 len)
{
	struct fh_seg *seg = fh_pool_alloc(segs, GFP_KERNEL);

	if (!seg)
		return -ENOMEM;
	seg->next = NULL;
	seg->kind = kind;
	if (kind == FH_SEG_PAGE)
		seg->page = ref;
	else
		seg->skb = ref;
	seg->off = off;
	seg->len = len;
	*ch->tail = seg;
	ch->tail = &seg->next;
	ch->len += len;
	ch->nsegs++;
	return 0;
}

/* The last segment; the chain must not be empty. */
static struct fh_seg *fh_chain_last(struct fh_chain *ch)
{
	return container_of(ch->tail, struct fh_seg, next);
}

/* Takes its own reference on @page. */
int fh_chain_append_page(struct fh_chain *ch, struct fh_pool *segs,
			 struct page *page, u32 off, u32 len)
{
	int ret = fh_chain_append(ch, segs, FH_SEG_PAGE, page, off, len);

	if (!ret)
		get_page(page);
	return ret;
}

static int fh_chain_append_frag(struct fh_chain *ch, struct fh_pool *segs,
				struct page *page, u32 off, u32 len);

int fh_emit_room(struct fh_emit *em, size_t need)
{
	if (em->page && PAGE_SIZE - em->off >= need)
		return 0;
	if (em->page && page_ref_count(em->page) == 1) {
		em->off = 0;
		return 0;
	}
	if (em->page)
		put_page(em->page);
	em->page = alloc_page(GFP_KERNEL);
	em->off = 0;
	return em->page ? 0 : -ENOMEM;
}

int fh_chain_emit(struct fh_chain *ch, struct fh_pool *segs,
		  struct fh_emit *em, const void *buf, size_t len)
{
	u32 take;
	int ret;

	while (len) {
		ret = fh_emit_room(em, 1);
		if (ret)
			return ret;
		take = min_t(size_t, len, PAGE_SIZE - em->off);
		memcpy(page_address(em->page) + em->off, buf, take);
		ret = fh_chain_append_frag(ch, segs, em->page, em->off, take);
		if (ret)
			return ret;
		em->off += take;
		buf += take;
		len -= take;
	}
	return 0;
}

void fh_emit_release(struct fh_emit *em)
{
	if (em->page)
		put_page(em->page);
	em->page = NULL;
}

/* Takes over the caller's reference on @skb, also on failure. */
int fh_chain_append_skb(struct fh_chain *ch, struct fh_pool *segs,
			struct sk_buff *skb, u32 off, u32 len)
{
	int ret = fh_chain_append(ch, segs, FH_SEG_SKB, skb, off, len);

	if (ret)
		kfree_skb(skb);
	return ret;
}

/*
 * A fragment that continues the last segment's bytes in the same page (a
 * sender's small writes, which TCP lays out back to back in one page frag)
 * extends that segment: a trickle of tiny packets then costs one segment,
 * not one per packet.
 */
static int fh_chain_append_frag(struct fh_chain *ch, struct fh_pool *segs,
				struct page *page, u32 off, u32 len)
{
	struct fh_seg *last;

	if (ch->head) {
		last = fh_chain_last(ch);
		if (last->kind == FH_SEG_PAGE && last->page == page &&
		    last->off + last->len == off) {
			last->len += len;
			ch->len += len;
			return 0;
		}
	}
	return fh_chain_append_page(ch, segs, page, off, len);
}

/*
 * Appends [off, off + len) of @skb by reference to the pages of its
 * fragments: a page reference and a pooled segment per fragment, no
 * allocation. -EAGAIN, with the chain untouched, when any of the bytes lie
 * elsewhere (the linear area, a frag list) or the pages are a zerocopy
 * sender's, which must not be kept past its completion; the caller then
 * keeps a clone of the skb instead.
 */
int fh_chain_append_frags(struct fh_chain *ch, struct fh_pool *segs,
			  struct sk_buff *skb, u32 off, u32 len)
{
	u32 start = skb_headlen(skb), end, take;
	int i, ret;

	if (off < start || skb_has_frag_list(skb) || skb_zcopy(skb) ||
	    off + len > skb->len)
		return -EAGAIN;
	for (i = 0; i < skb_shinfo(skb)->nr_frags && len; i++) {
		const skb_frag_t *frag = &skb_shinfo(skb)->frags[i];

		end = start + skb_frag_size(frag);
		if (off < end) {
			take = min(end - off, len);
			ret = fh_chain_append_frag(ch, segs, skb_frag_page(frag),
						   skb_frag_off(frag) + off - start,
						   take);
			if (ret)
				return ret;
			off += take;
			len -= take;
		}
		start = end;
	}
	return 0;
}

void fh_chain_splice(struct fh_chain *dst, struct fh_chain *src)
{
	if (!src->head)
		return;
	*dst->tail = src->head;
	dst->tail = src->tail;
	dst->len += src->len;
	dst->nsegs += src->nsegs;
	fh_chain_init(src);
}

static void fh_seg_release(struct fh_pool *segs, struct fh_seg *seg)
{
	if (seg->kind == FH_SEG_PAGE)
		put_page(seg->page);
	else
		consume_skb(seg->skb);
	fh_pool_free(segs, seg);
}

void fh_chain_consume(struct fh_chain *ch, struct fh_pool *segs, size_t n)
{
	struct fh_seg *seg;

	while (n && ch->head) {
		seg = ch->head;
		if (n < seg->len) {
			seg->off += n;
			seg->len -= n;
			ch->len -= n;
			return;
		}
		n -= seg->len;
		ch->len -= seg->len;
		ch->nsegs--;
		ch->head = seg->next;
		fh_seg_release(segs, seg);
	}
	if (!ch->head)
		ch->tail = &ch->head;
}

/*
 * Move the first @n bytes of @src to the tail of @dst by reference: whole
 * segments are relinked; a segment cut by @n is shared, its page or skb
 * referenced once more, so nothing is copied. -ENOMEM (nothing moved of
 * that last part) when no segment descriptor can be had. *@in_skbs grows
 * by the bytes that lie in cloned skbs (not page fragments): those the
 * stack will copy when they are sent.
 */
int fh_chain_move(struct fh_chain *dst, struct fh_chain *src,
		  struct fh_pool *segs, size_t n, size_t *in_skbs)
{
	struct fh_seg *seg;
	int ret;

	while (n && src->head) {
		seg = src->head;
		if (seg->kind == FH_SEG_SKB)
			*in_skbs += min_t(size_t, n, seg->len);
		if (n < seg->len) {
			if (seg->kind == FH_SEG_PAGE) {
				ret = fh_chain_append_page(dst, segs, seg->page,
							   seg->off, n);
			} else {
				ret = fh_chain_append(dst, segs, FH_SEG_SKB,
						      skb_get(seg->skb),
						      seg->off, n);
				if (ret)
					consume_skb(seg->skb);
			}
			if (ret)
				return ret;
			fh_chain_consume(src, segs, n);
			return 0;
		}
		src->head = seg->next;
		src->len -= seg->len;
		src->nsegs--;
		n -= seg->len;
		seg->next = NULL;
		*dst->tail = seg;
		dst->tail = &seg->next;
		dst->len += seg->len;
		dst->nsegs++;
	}
	if (!src->head)
		src->tail = &src->head;
	return 0;
}

/* A fragment's page may be compound, its offset past the first page. */
static void fh_copy_from_pages(void *dst, struct page *page, u32 off, size_t len)
{
	size_t take;

	page = nth_page(page, off >> PAGE_SHIFT);
	off &= ~PAGE_MASK;
	while (len) {
		take = min_t(size_t, len, PAGE_SIZE - off);
		memcpy_from_page(dst, page, off, take);
		dst += take;
		len -= take;
		page = nth_page(page, 1);
		off = 0;
	}
}

/* Copies up to @n bytes from the head without consuming them. */
size_t fh_chain_copy_prefix(const struct fh_chain *ch, void *dst, size_t n)
{
	const struct fh_seg *seg;
	size_t done = 0, take;

	for (seg = ch->head; seg && done < n; seg = seg->next) {
		take = min_t(size_t, n - done, seg->len);
		if (seg->kind == FH_SEG_PAGE)
			fh_copy_from_pages(dst + done, seg->page, seg->off, take);
		else if (skb_copy_bits(seg->skb, seg->off, dst + done, take))
			break;
		done += take;
	}
	return done;
}

/*
 * Show the chain's bytes to @fn in place, run by run, from the start, until
 * it returns nonzero (which this returns) or the bytes end (0). Page
 * segments are read where they lie; a cloned skb's bytes may be scattered
 * (linear part, fragments, a frag list), so they come through a small
 * bounce buffer: such segments are rare (data not in page fragments) and
 * what walks a chain (a protocol reading a request head) reads few bytes.
 */
int fh_chain_walk(const struct fh_chain *ch,
		  int (*fn)(void *arg, const char *p, size_t len), void *arg)
{
	const struct fh_seg *seg;
	char bounce[256];
	u32 off, left, take;
	const char *p;
	int ret;

	for (seg = ch->head; seg; seg = seg->next) {
		off = seg->off;
		left = seg->len;
		while (left) {
			if (seg->kind == FH_SEG_PAGE) {
				struct page *page = nth_page(seg->page, off >> PAGE_SHIFT);
				u32 in = offset_in_page(off);

				take = min_t(u32, left, PAGE_SIZE - in);
				p = kmap_local_page(page);
				ret = fn(arg, p + in, take);
				kunmap_local(p);
			} else {
				take = min_t(u32, left, sizeof(bounce));
				if (skb_copy_bits(seg->skb, off, bounce, take))
					return -EFAULT;
				ret = fn(arg, bounce, take);
			}
			if (ret)
				return ret;
			off += take;
			left -= take;
		}
	}
	return 0;
}

void fh_chain_purge(struct fh_chain *ch, struct fh_pool *segs)
{
	fh_chain_consume(ch, segs, ch->len);
}

/*
 * Copy the chain's bytes into as few fresh pages as they fill, and drop the
 * segments they were in. For the rare chain whose segments, not its bytes,
 * are what it costs (a peer trickling tiny packets into pages of their
 * own): a few bytes copied beat a descriptor and a pinned page each. The
 * pages are firehose's own and whole, so they may be sent by reference.
 * Returns the bytes copied, or -ENOMEM with the chain untouched.
 */
long fh_chain_compact(struct fh_chain *ch, struct fh_pool *segs, gfp_t gfp)
{
	struct page *page = NULL;
	struct fh_chain fresh;
	struct fh_seg *seg;
	u32 off, left, take, fill = 0;
	long done = 0;

	fh_chain_init(&fresh);
	for (seg = ch->head; seg; seg = seg->next) {
		off = seg->off;
		left = seg->len;
		while (left) {
			if (!page) {
				page = alloc_page(gfp);
				if (!page)
					goto nomem;
				fill = 0;
			}
			take = min_t(u32, left, PAGE_SIZE - fill);
			if (seg->kind == FH_SEG_PAGE)
				fh_copy_from_pages(page_address(page) + fill,
						   seg->page, off, take);
			else if (skb_copy_bits(seg->skb, off,
					       page_address(page) + fill, take))
				goto nomem;
			fill += take;
			off += take;
			left -= take;
			done += take;
			if (fill < PAGE_SIZE)
				continue;
			if (fh_chain_append(&fresh, segs, FH_SEG_PAGE, page, 0, fill))
				goto nomem;
			page = NULL;
		}
	}
	if (page && fh_chain_append(&fresh, segs, FH_SEG_PAGE, page, 0, fill))
		goto nomem;
	fh_chain_purge(ch, segs);
	*ch = fresh;
	if (!ch->head)
		ch->tail = &ch->head;
	return done;
nomem:
	if (page)
		__free_page(page);
	fh_chain_purge(&fresh, segs);
	return -ENOMEM;
}

/*
 * Send one contiguous run, socket locked. Page-backed data goes by reference;
 * anything else (an skb's linear area is slab memory) is copied.
 */
static int fh_send_run(struct sock *sk, struct page *page, void *addr,
		       u32 off, u32 len, bool more, struct fh_send_stats *st)
{
	int flags = MSG_DONTWAIT | MSG_NOSIGNAL | (more ? MSG_MORE : 0);
	struct msghdr msg = { .msg_flags = flags };
	struct kvec iov;
	int ret;

	if (page && sendpage_ok(page)) {
		ret = fh_sendpage_locked(sk, page, off, len, flags);
		if (ret > 0)
			st->zerocopy += ret;
		return ret;
	}
	if (page) {
		/* Not sendpage-safe: map it for a copying send. */
		iov.iov_base = kmap_local_page(page) + off;
		iov.iov_len = len;
		ret = kernel_sendmsg_locked(sk, &msg, &iov, 1, len);
		kunmap_local(iov.iov_base);
	} else {
		iov.iov_base = addr + off;
		iov.iov_len = len;
		ret = kernel_sendmsg_locked(sk, &msg, &iov, 1, len);
	}
	if (ret > 0)
		st->copied += ret;
	return ret;
}

/*
 * Walk the skb's data areas covering [off, off + len) and send them.
 * Returns bytes sent (possibly short) or a negative error if nothing went.
 */
static int fh_send_skb(struct sock *sk, struct sk_buff *skb, u32 off,
		       u32 len, bool more, struct fh_send_stats *st)
{
	u32 start = 0, end, take, sent = 0;
	struct sk_buff *frag_iter;
	int i, ret;

	end = skb_headlen(skb);
	if (off < end) {
		take = min(end - off, len);
		ret = fh_send_run(sk, NULL, skb->data, off, take,
				  more || take < len, st);
		if (ret <= 0)
			return ret;
		sent += ret;
		if (ret < take)
			return sent;
	}
	start = end;

	for (i = 0; i < skb_shinfo(skb)->nr_frags && sent < len; i++) {
		const skb_frag_t *frag = &skb_shinfo(skb)->frags[i];
		u32 fsize = skb_frag_size(frag), pos;

		end = start + fsize;
		pos = off + sent;
		if (pos < end) {
			take = min(end - pos, len - sent);
			ret = fh_send_run(sk, skb_frag_page(frag), NULL,
					  skb_frag_off(frag) + (pos - start), take,
					  more || sent + take < len, st);
			if (ret <= 0)
				return sent ? sent : ret;
			sent += ret;
			if (ret < take)
				return sent;
		}
		start = end;
	}

	skb_walk_frags(skb, frag_iter) {
		u32 pos;

		if (sent >= len)
			break;
		end = start + frag_iter->len;
		pos = off + sent;
		if (pos < end) {
			take = min(end - pos, len - sent);
			ret = fh_send_skb(sk, frag_iter, pos - start, take,
					  more || sent + take < len, st);
			if (ret <= 0)
				return sent ? sent : ret;
			sent += ret;
			if (ret < take)
				return sent;
		}
		start = end;
	}
	return sent;
}

/*
 * Send from the head of the chain until it is empty or the socket is full,
 * consuming what went out. The caller holds the socket lock (lock_sock), so
 * a connection's turn reads and answers under one lock hold. With @fin_next
 * the caller ends the stream right after (shutdown or close, under this
 * turn): the last run goes with MSG_MORE too, so it waits in TCP's queue
 * and the FIN rides on its segment, one packet and one wakeup of the peer
 * instead of two. Returns 0 when everything went, -EAGAIN when the socket
 * filled (resume on write space), another negative error otherwise.
 */
int fh_chain_send(struct fh_chain *ch, struct fh_pool *segs,
		  struct socket *sock, bool fin_next, struct fh_send_stats *st)
{
	struct sock *sk = sock->sk;
	struct fh_seg *seg;
	bool more;
	int ret;

	sock_owned_by_me(sk);
	while ((seg = ch->head)) {
		more = seg->next || fin_next;
		if (seg->kind == FH_SEG_PAGE)
			ret = fh_send_run(sk, seg->page, NULL, seg->off,
					  seg->len, more, st);
		else
			ret = fh_send_skb(sk, seg->skb, seg->off, seg->len,
					  more, st);
		if (ret <= 0)
			return ret ?: -EAGAIN;
		fh_chain_consume(ch, segs, ret);
		if (ch->head == seg)
			return -EAGAIN;	/* short send: the socket is full */
	}
	return 0;
}
