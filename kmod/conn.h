/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_CONN_H
#define _FH_CONN_H

#include <linux/list.h>
#include <linux/net.h>
#include <linux/refcount.h>

#include "buf.h"
#include "fh.h"

struct fh_worker;
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
void fh_conn_process(struct fh_conn *c);
void fh_conn_put(struct fh_conn *c);
void fh_conn_close_all(struct fh_worker *w, struct net *net);
unsigned long fh_conn_expire(struct fh_worker *w);

#endif /* _FH_CONN_H */
