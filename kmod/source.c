// SPDX-License-Identifier: GPL-2.0
/*
 * Per-source connection counts. One module-wide max-connections lets a
 * single host take every slot; with max-connections-per-source set (on by
 * default), each peer (per network namespace; an IPv4-mapped IPv6 address
 * counts as the IPv4 one, an IPv6 address by its source-prefix6 prefix,
 * /64 by default: one host gets a whole /64 to pick from) may hold only
 * that many connections at once. Entries
 * exist only while their address has connections. Buckets have their own
 * locks, taken only by workers accepting or closing, so peers rarely meet.
 */
#include <linux/jhash.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>

#include "source.h"

#define FH_SOURCE_BITS	10

struct fh_source_key {
	const struct net *net;
	__be32 addr[4];		/* IPv4 in addr[3], the rest zero */
};

struct fh_source {
	struct hlist_node node;
	struct fh_source_key key;
	unsigned int bucket;
	unsigned int conns;
};

static struct fh_source_bucket {
	spinlock_t lock;	/* guards the chain and its entries' counts */
	struct hlist_head head;
} fh_sources[1 << FH_SOURCE_BITS];

static struct kmem_cache *fh_source_cache;
static u32 fh_source_seed __read_mostly;

static void fh_source_key(const struct sock *sk, unsigned int prefix6,
			  struct fh_source_key *k)
{
	memset(k, 0, sizeof(*k));
	k->net = sock_net(sk);
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6 &&
	    !ipv6_addr_v4mapped(&sk->sk_v6_daddr)) {
		struct in6_addr pfx;

		ipv6_addr_prefix(&pfx, &sk->sk_v6_daddr, prefix6);
		memcpy(k->addr, &pfx, sizeof(k->addr));
		return;
	}
#endif
	k->addr[3] = sk->sk_daddr;
}

static struct fh_source *fh_source_find(struct fh_source_bucket *b,
					const struct fh_source_key *k)
{
	struct fh_source *s;

	hlist_for_each_entry(s, &b->head, node)
		if (!memcmp(&s->key, k, sizeof(*k)))
			return s;
	return NULL;
}

/*
 * Count a new connection from @sk's peer, unless the peer already has @cap.
 * NULL: refused (at the cap, or no memory for a first entry).
 */
struct fh_source *fh_source_get(const struct sock *sk, unsigned int cap,
				unsigned int prefix6)
{
	struct fh_source *s, *fresh = NULL;
	struct fh_source_bucket *b;
	struct fh_source_key k;
	unsigned int i;

	fh_source_key(sk, prefix6, &k);
	i = jhash(&k, sizeof(k), fh_source_seed) >> (32 - FH_SOURCE_BITS);
	b = &fh_sources[i];
again:
	spin_lock(&b->lock);
	s = fh_source_find(b, &k);
	if (!s && fresh) {
		s = fresh;
		fresh = NULL;
		s->key = k;
		s->bucket = i;
		s->conns = 0;
		hlist_add_head(&s->node, &b->head);
	}
	if (s) {
		if (s->conns < cap)
			s->conns++;
		else
			s = NULL;
		spin_unlock(&b->lock);
		if (fresh)
			kmem_cache_free(fh_source_cache, fresh);
		return s;
	}
	spin_unlock(&b->lock);
	/* A first connection from this address: allocate, then look again. */
	fresh = kmem_cache_alloc(fh_source_cache, GFP_KERNEL);
	if (!fresh)
		return NULL;
	goto again;
}

void fh_source_put(struct fh_source *s)
{
	struct fh_source_bucket *b = &fh_sources[s->bucket];
	bool last;

	spin_lock(&b->lock);
	last = !--s->conns;
	if (last)
		hlist_del(&s->node);
	spin_unlock(&b->lock);
	if (last)
		kmem_cache_free(fh_source_cache, s);
}

int fh_sources_init(void)
{
	unsigned int i;

	fh_source_cache = KMEM_CACHE(fh_source, 0);
	if (!fh_source_cache)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(fh_sources); i++) {
		spin_lock_init(&fh_sources[i].lock);
		INIT_HLIST_HEAD(&fh_sources[i].head);
	}
	fh_source_seed = get_random_u32();
	return 0;
}

/* Every connection has closed: the table is empty. */
void fh_sources_exit(void)
{
	kmem_cache_destroy(fh_source_cache);
}
