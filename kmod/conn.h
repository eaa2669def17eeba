/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_CONN_H
#define _FH_CONN_H

#include <linux/list.h>
#include <linux/net.h>
#include <linux/refcount.h>

#include "buf.h"
#include "fh.h"
#include "worker.h"

struct fh_lsock;
struct fh_proto;

/*
 * A connection belongs to one worker for life. References: one while open,
 * one per queued event; the last is always dropped by the owner, so the
 * object goes back to the owner's lookaside list.
 */
struct fh_conn {
	struct fh_event ev;
	refcount_t ref;
	struct fh_worker *w;
	struct socket *sock;
	struct fh_lsock *ls;
	const struct fh_proto *proto;
	struct list_head lru;		/* in the owner's quiet or sending list */
	unsigned long last_active;
	struct fh_chain in;
	struct fh_chain out;
	void (*saved_data_ready)(struct sock *sk);
	void (*saved_write_space)(struct sock *sk);
	void (*saved_state_change)(struct sock *sk);
	bool closed;
	bool rd_eof;
	bool progressed;	/* bytes moved this turn */
};

int fh_conn_create(struct fh_worker *w, struct fh_lsock *ls,
		   struct socket *sock);
void fh_conns_close_net(struct net *net);

extern const struct fh_worker_hooks fh_conn_hooks;

int fh_conns_init(void);
void fh_conns_exit(void);

#endif /* _FH_CONN_H */
