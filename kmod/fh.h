/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_H
#define _FH_H

#include <linux/atomic.h>
#include <linux/llist.h>
#include <linux/types.h>

/* Global settings, changed over netlink, read locklessly by the workers. */
struct fh_settings {
	unsigned int max_conns;
	unsigned int idle_timeout_ms;	/* 0: off */
	unsigned int send_timeout_ms;	/* 0: off */
};

extern struct fh_settings fh_settings;

/* Open connections, module-wide: touched on accept and close only. */
extern atomic_t fh_nr_conns;

/*
 * Something a worker must look at: a connection, a listening socket, or a
 * call from the control plane. Socket callbacks queue it on the owner's
 * ready list; FH_EV_QUEUED keeps it there at most once.
 */
enum fh_event_type {
	FH_EV_CONN,
	FH_EV_LSOCK,
	FH_EV_CALL,
};

#define FH_EV_QUEUED	0

struct fh_event {
	struct llist_node node;
	unsigned long flags;
	u8 type;
};

/* Why a connection closed, for the fh_close tracepoint. */
enum fh_close_reason {
	FH_CLOSE_EOF,		/* the peer finished and got all it was owed */
	FH_CLOSE_ERROR,		/* reset, socket error, or no memory */
	FH_CLOSE_TIMEOUT,	/* idle or send timeout */
	FH_CLOSE_SHUTDOWN,	/* unload, or its namespace went away */
};

#endif /* _FH_H */
