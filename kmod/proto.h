/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_PROTO_H
#define _FH_PROTO_H

#include <linux/types.h>

struct fh_conn;
struct netlink_ext_ack;

/*
 * What a listener's command line gives its protocol (http: the document
 * root, the user files are opened as, the content cache's size). Strings
 * are only valid during the call that carries them.
 */
struct fh_site_req {
	const char *root;	/* NULL: not given */
	bool has_user;
	u32 uid, gid;		/* in the caller's user namespace */
	bool has_cache;
	u64 cache_bytes;
	bool access_log;	/* log every response (kmod/log.h) */
	bool one_fs;		/* no lookup crosses into a mount below the root */
	struct net *net;	/* where upstreams are named */
	unsigned int nr_routes;	/* "PREFIX=UPSTREAM" each */
	const char *routes[32];
	const char *fallback;	/* an upstream's name, or NULL */
};

/* What a protocol's per-listener state shows the control plane. */
struct fh_site_info {
	const char *root;	/* valid while the listener is */
	u32 uid, gid;		/* in the reader's user namespace */
	u64 cache_limit;
	bool access_log;
	bool one_fs;
	/* Routes: route(site, i, ...) gives the i'th of nr_routes. */
	unsigned int nr_routes;
	void (*route)(void *site, unsigned int i, const char **prefix,
		      const char **upstream);
	void *site;
	const char *fallback;		/* valid while the listener is */
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
	 * Per-listener state (a "site"), for protocols that need one. Made
	 * when the listener is added, in the caller's context (may sleep);
	 * NULL site_create: the protocol takes no site options, and a
	 * request that gives any is refused.
	 */
	void *(*site_create)(const struct fh_site_req *req,
			     struct netlink_ext_ack *extack);
	void (*site_destroy)(void *site);
	void (*site_info)(void *site, struct fh_site_info *info);
	void (*site_flush)(void *site);
	/* The listener was deleted; its connections may go on a while. */
	void (*site_close)(void *site);
};

const struct fh_proto *fh_proto_find(const char *name, bool *known);
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

#endif /* _FH_PROTO_H */
