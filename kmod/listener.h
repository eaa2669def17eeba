/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_LISTENER_H
#define _FH_LISTENER_H

#include <linux/cpumask.h>
#include <linux/kref.h>
#include <linux/socket.h>

#include "conn.h"
#include "proto.h"
#include "worker.h"

struct fh_listener;
struct fh_proto;
struct netlink_ext_ack;

/*
 * One listening socket of a listener, owned by one CPU's worker; the
 * source its connections count themselves in.
 */
struct fh_lsock {
	struct fh_event ev;
	struct fh_conn_src src;
	struct fh_listener *l;
	struct fh_worker *w;
	struct socket *sock;
	void (*saved_data_ready)(struct sock *sk);
};

struct fh_listener {
	struct list_head node;		/* in the namespace's list */
	struct kref ref;
	struct net *net;
	const struct fh_proto *proto;
	struct sockaddr_storage addr;
	int addrlen;
	struct cpumask cpus;
	unsigned int max_conns;		/* 0: only the module-wide limit */
	atomic_t nr_conns;		/* counted only with max_conns */
	void *site;			/* the protocol's, or NULL */
	unsigned int nr_lsocks;
	struct fh_lsock lsocks[];
};

struct fh_listen_req {
	const struct fh_proto *proto;
	u16 family;
	u16 port;
	u8 addr[16];
	u32 max_conns;
	/* The protocol's parsed options (struct fh_proto, site_create). */
	struct nlattr **opts;
	/* Off the stack where CPUs are many (CPUMASK_OFFSTACK): 1 KiB at 8,192. */
	cpumask_var_t cpus;
};

int fh_listener_add(struct net *net, const struct fh_listen_req *req,
		    struct netlink_ext_ack *extack);
int fh_listener_del(struct net *net, const struct fh_listen_req *req,
		    struct netlink_ext_ack *extack);
long fh_listener_walk(struct net *net, long start,
		      int (*fn)(const struct fh_listener *l, void *arg),
		      void *arg);
void fh_listener_counts(const struct fh_listener *l, u64 *accepted,
			u64 *active);

int fh_listeners_init(void);
void fh_listeners_exit(void);

#endif /* _FH_LISTENER_H */
