/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_CONN_H
#define _FH_CONN_H

#include <linux/list.h>
#include <linux/net.h>
#include <linux/refcount.h>

#include "buf.h"
#include "fh.h"
#include "worker.h"

struct fh_proto;
struct fh_source;

/*
 * Where connections come from (a listening socket, which sits above them):
 * they count themselves in it, and each keeps it alive by a reference its
 * maker took for it, dropped through @put when the connection is freed.
 * The counters are written by the owning worker only.
 */
struct fh_conn_src {
	const struct fh_proto *proto;
	void *site;			/* the protocol's per-listener state */
	void (*put)(struct fh_conn_src *src);
	/*
	 * The owning worker's count of its open connections in the source's
	 * network namespace, so that a namespace going away disturbs only
	 * the workers that have connections in it.
	 */
	unsigned int *net_conns;
	/* The source's count against its own limit, if it has one. */
	atomic_t *limited;
	struct u64_stats_sync syncp;
	u64_stats_t accepted;
	u64_stats_t active;
};

/*
 * A connection belongs to one worker for life. References: one while open,
 * one per queued event; the last is always dropped by the owner, so the
 * object goes back to the owner's lookaside list.
 */
struct fh_conn {
	struct fh_event ev;
	/* Queued by another stage (fh_conn_resume()), with the park's reference. */
	struct fh_event resume_ev;
	refcount_t ref;
	struct fh_worker *w;
	struct socket *sock;
	struct fh_conn_src *src;
	struct fh_source *source;	/* counted per peer, or NULL */
	const struct fh_proto *proto;
	struct list_head lru;		/* in the owner's quiet, sending or timed list */
	unsigned long last_active;
	unsigned long deadline;		/* in the timed list: when it is due */
	struct fh_chain in;
	struct fh_chain out;
	u64 priv;			/* the protocol's own */
	void (*saved_data_ready)(struct sock *sk);
	void (*saved_write_space)(struct sock *sk);
	void (*saved_state_change)(struct sock *sk);
	bool closed;
	bool rd_eof;
	bool progressed;	/* bytes moved this turn */
	bool timed;		/* a deadline is set: lru is in the timed list */
	bool parked;		/* another stage has the request: no on_data */
	bool close_after;	/* send what is queued, then close */
	bool linger;		/* ... and the peer may still be sending */
	bool wr_shut;		/* ... it is sent: FIN out, input discarded */
	bool woken;		/* fh_conn_wake(): on_wake runs this turn */
	int err;		/* on_close: the error it closed on (negative), or 0 */
	bool outbound;		/* made by fh_conn_connect(), not accepted */
};

/*
 * What a protocol may ask of the engine, from its callbacks on the owner.
 *
 * fh_conn_park(): the request needs work that may sleep (a disk); the
 * protocol hands it to another stage, which holds the connection by the
 * reference this takes. Input is not given to on_data until the stage
 * calls fh_conn_resume() (from any context but hard IRQ), exactly once per
 * park; on_resume then runs on the owner, even if the connection was
 * closed meanwhile, so the protocol can release what the stage made.
 *
 * fh_conn_set_deadline(): on_timeout runs if @ms pass before it is called
 * again with 0 (a request head that must arrive in time); while set, the
 * idle and send timeouts do not apply.
 *
 * fh_conn_close_after(): the output queued is the last: it is sent, then
 * the connection closes. If the peer sent bytes nobody read, or may still
 * be sending (fh_conn_linger()), a close would answer them with a reset
 * that can destroy the response before the peer reads it; so then the
 * connection shuts its sending side and discards input until the peer
 * closes, for at most FH_LINGER_MS, then closes. Otherwise it closes at
 * once and TCP sends the FIN after the data, as a userspace close() does.
 * This is nginx's "lingering_close auto".
 *
 * fh_conn_linger(): the peer may still be sending (a request body not
 * read, a stream that could not be parsed): the close lingers.
 */
/*
 * Two connections of one worker that work together (a client and the
 * upstream connection its request went to) hold each other by reference
 * (fh_conn_get()/fh_conn_put(), on the owner only) and never call into
 * each other's turn: one changes what the other holds and wakes it
 * (fh_conn_wake()); the other's on_wake then runs on its next turn, and
 * that connection alone ever closes itself (a negative return).
 *
 * fh_conn_connect(): a new outbound connection to @addr in @net, owned by
 * @w, with @src's protocol; the connect is non-blocking: output queued
 * meanwhile goes once it is established, and a failure closes the
 * connection as a socket error (on_close tells the protocol). The caller
 * holds a reference on @src for it, as for an accepted one. Returns the
 * connection with a reference for the caller, or an ERR_PTR (nothing made).
 * It takes the new socket's lock: call it outside any other socket's (not
 * from on_data or on_writable, which run under the connection's own;
 * on_wake and on_resume do not).
 */
void fh_conn_get(struct fh_conn *c);
void fh_conn_put(struct fh_conn *c);
void fh_conn_wake(struct fh_conn *c);
struct fh_conn *fh_conn_connect(struct fh_worker *w, struct fh_conn_src *src,
				struct net *net, const struct sockaddr *addr,
				int addrlen);
void fh_conn_close_now(struct fh_conn *c);

void fh_conn_park(struct fh_conn *c);
void fh_conn_resume(struct fh_conn *c);
void fh_conn_set_deadline(struct fh_conn *c, unsigned int ms);
void fh_conn_close_after(struct fh_conn *c);
void fh_conn_linger(struct fh_conn *c);

int fh_conn_create(struct fh_worker *w, struct fh_conn_src *src,
		   struct socket *sock, struct fh_source *source);
void fh_conns_close_net(struct net *net, unsigned int __percpu *conns);
void fh_sock_listen_opts(struct sock *sk);

extern const struct fh_worker_hooks fh_conn_hooks;

int fh_conns_init(void);
void fh_conns_exit(void);

#endif /* _FH_CONN_H */
