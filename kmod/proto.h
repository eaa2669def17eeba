/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_PROTO_H
#define _FH_PROTO_H

#include <linux/types.h>

struct fh_conn;
struct net;
struct netlink_ext_ack;
struct nla_policy;
struct nlattr;
struct sk_buff;
struct user_namespace;

/* What cache-get shows of a protocol's content cache (http's). */
struct fh_site_info {
	u64 cache_limit;
	u64 cache_bytes;
	u64 cache_entries;
	u64 hits;
	u64 misses;
	u64 evictions;
	u64 invalidations;
	u64 loads;
	u64 pinned;		/* module-wide */
};

/*
 * A protocol sees chains, never sockets. on_data is called with new input on
 * c->in; it consumes what it can parse and appends its answers to c->out,
 * which the engine sends. on_writable is called whenever c->out has all
 * gone out: a protocol that streams appends its next part there, and the
 * engine sends it in the same turn. c->priv is the protocol's own word per
 * connection. A negative return closes the connection.
 */
struct fh_proto {
	const char *name;
	/* Bytes of input plus unsent output a connection may hold. */
	size_t max_held;
	/*
	 * c->out holds only shared pages (page cache, a content cache) and
	 * the protocol bounds it itself: it is not charged to max_held, so
	 * a large response never stops the connection reading.
	 */
	bool out_uncharged;
	/*
	 * The protocol counts and traces each request itself (fh_request
	 * with its status and path); otherwise the engine counts one per
	 * batch of input handled.
	 */
	bool counts_requests;
	/*
	 * The client speaks first: the listener defers accept until its
	 * first bytes arrive (TCP_DEFER_ACCEPT), so a new connection costs
	 * the worker one turn (accept, read, answer), not two. A client that
	 * stays silent is accepted after about a second all the same.
	 */
	bool client_first;
	/*
	 * Unsent bytes a socket takes before it reports itself full
	 * (TCP_NOTSENT_LOWAT; 0: TCP's default, no bound). A response goes
	 * to the socket only as fast as the peer takes it, so a slow peer
	 * does not hold hundreds of KiB of TCP memory and push every socket
	 * into TCP's memory pressure.
	 */
	u32 notsent_lowat;
	/*
	 * Clients keep idle connections open for as long as they like, so
	 * the idle timeout does not apply (memcached has none by default,
	 * and its clients hold pools of connections open for hours). The
	 * send timeout and the connection limit still do.
	 */
	bool keeps_idle;
	int (*on_accept)(struct fh_conn *c);
	int (*on_data)(struct fh_conn *c);
	int (*on_writable)(struct fh_conn *c);
	void (*on_close)(struct fh_conn *c);
	/* Once per fh_conn_park(), on the owner, even after on_close (conn.h). */
	int (*on_resume)(struct fh_conn *c);
	/*
	 * A deadline from fh_conn_set_deadline() passed. 0: the protocol has
	 * queued a last answer (fh_conn_close_after()); negative, or no
	 * on_timeout: close at once. Counted under FH_STAT_TIMEOUTS.
	 */
	int (*on_timeout)(struct fh_conn *c);
	/*
	 * Optional: true while the protocol cannot consume input (a response
	 * still going out that the next request must wait for). With input
	 * already held, the engine then reads no more: the rest waits in the
	 * socket, where TCP accounts for it, instead of each tiny packet
	 * costing a segment and, at the limit, a compaction of what is held.
	 * A parked connection is paused the same way.
	 */
	bool (*input_paused)(const struct fh_conn *c);
	/*
	 * Another connection of this worker changed what this one holds and
	 * woke it (fh_conn_wake()): its turn starts here. Negative: close.
	 */
	int (*on_wake)(struct fh_conn *c);

	/*
	 * The protocol's listener options: a nest of the request (opts_attr,
	 * FH_A_LISTENER_HTTP or FH_A_LISTENER_KV; 0: the protocol takes no
	 * options, and a request with any nest is refused) whose attributes,
	 * 1..opts_maxattr, only the protocol knows and checks with
	 * opts_policy. The control plane refuses another protocol's nest
	 * and parses this one strictly, so what follows sees only checked
	 * attributes; it never learns what they mean.
	 */
	int opts_attr;
	const struct nla_policy *opts_policy;
	unsigned int opts_maxattr;
	/*
	 * Per-listener state (a "site"), for protocols that need one. Made
	 * when the listener is added, in the caller's context (may sleep),
	 * from @opts: the nest parsed by the protocol's attributes, every
	 * entry NULL when no nest was given. A repeated attribute is there
	 * only as its last, so opts[0] (no attribute's index) holds the
	 * nest itself, to walk with nla_for_each_nested(). @net is where
	 * the listener lives. NULL site_create: the listener has no site.
	 */
	void *(*site_create)(struct net *net, struct nlattr **opts,
			     struct netlink_ext_ack *extack);
	void (*site_destroy)(void *site);
	/*
	 * Optional: change options of a running listener (listener-set),
	 * @opts as for site_create but from a nest that was given. Called
	 * under the configuration mutex, in the caller's context. NULL:
	 * refused, the listener must be replaced to change them.
	 */
	int (*site_set)(void *site, struct nlattr **opts,
			struct netlink_ext_ack *extack);
	/*
	 * Put the protocol's own nest (opts_attr) with the site's options
	 * and state in a listener-get reply, ids as @reader sees them.
	 * Negative (-EMSGSIZE): the message is cancelled.
	 */
	int (*site_fill)(void *site, struct sk_buff *skb,
			 struct user_namespace *reader);
	/* Optional: the content cache's numbers, for cache-get. */
	void (*site_info)(void *site, struct fh_site_info *info);
	void (*site_flush)(void *site);
	/* The listener was deleted; its connections may go on a while. */
	void (*site_close)(void *site);
	/*
	 * Optional: each worker's upkeep of the protocol's per-worker state
	 * (kv's lookaside lists), in the worker's thread before it sleeps.
	 * Returns the jiffies when it is next due (0: nothing to do).
	 */
	unsigned long (*worker_tick)(void);
};

const struct fh_proto *fh_proto_find(const char *name, bool *known);
unsigned long fh_protos_worker_tick(void);
void fh_protos_opts_policy(struct nla_policy *policy);
int fh_protos_init(void);
void fh_protos_quiesce(void);
void fh_protos_exit(void);

extern const struct fh_proto fh_proto_echo;
extern const struct fh_proto fh_proto_chargen;
int fh_chargen_init(void);
void fh_chargen_exit(void);
extern const struct fh_proto fh_proto_http;
int fh_http_init(void);
void fh_http_quiesce(void);
void fh_http_exit(void);
extern const struct fh_proto fh_proto_kv;
int fh_kv_proto_init(void);
void fh_kv_proto_exit(void);

#endif /* _FH_PROTO_H */
