/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_UPSTREAM_H
#define _FH_UPSTREAM_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/socket.h>
#include <uapi/firehose.h>

#include "conn.h"

struct netlink_ext_ack;
struct fh_proto;

/*
 * Upstreams: named groups of servers that a protocol (http's routes) sends
 * requests to, per network namespace like listeners. The object holds the
 * servers, their passive health and the per-worker state a protocol keeps
 * for them (its idle connections); connections to it count themselves in
 * its per-worker source and keep it alive by a reference each.
 */
struct fh_upstream_server {
	struct sockaddr_storage addr;
	int addrlen;
	char name[FH_UPSTREAM_SERVER_MAX];	/* as "ADDR:PORT" */
	/* Passive health, written by any worker: races cost a count. */
	atomic_t fails;
	unsigned long fail_start;	/* jiffies: the first fail counted */
	unsigned long down_until;	/* jiffies: skipped before this */
};

/* One worker's own; touched by that worker alone. */
struct fh_upstream_cpu {
	struct fh_conn_src src;		/* connections made from this worker */
	unsigned int conns;		/* ... open now, in the namespace */
	struct list_head idle;		/* kept connections, newest first */
	unsigned int nr_idle;
	unsigned int next;		/* round robin over the servers */
	u64 requests, connects, reuses, fails;
};

struct fh_upstream {
	struct list_head node;		/* in the namespace's list */
	struct kref ref;
	struct net *net;
	char name[FH_UPSTREAM_NAME_MAX];
	unsigned int users;		/* listeners routing here (cfg mutex) */
	bool dead;			/* deleted: keep no idle connection */
	u32 keepalive;
	u32 connect_ms, read_ms;
	u32 max_fails, fail_ms;
	unsigned int nr_servers;
	struct fh_upstream_server servers[FH_UPSTREAM_SERVERS_MAX];
	struct fh_upstream_cpu __percpu *cpu;
};

struct fh_upstream_req {
	const char *name;
	unsigned int nr_servers;
	const char *servers[FH_UPSTREAM_SERVERS_MAX];
	u32 keepalive, connect_ms, read_ms, max_fails, fail_ms;
};

/* What FH_CMD_UPSTREAM_GET shows of one. */
struct fh_upstream_info {
	u64 requests, connects, reuses, fails;
};

int fh_upstream_add(struct net *net, const struct fh_upstream_req *req,
		    struct netlink_ext_ack *extack);
int fh_upstream_del(struct net *net, const char *name,
		    struct netlink_ext_ack *extack);
long fh_upstream_walk(struct net *net, long start, const char *name,
		      int (*fn)(const struct fh_upstream *up, void *arg),
		      void *arg);
void fh_upstream_put(struct fh_upstream *up);
void fh_upstream_info(const struct fh_upstream *up,
		      struct fh_upstream_info *info);

/*
 * A listener's use of an upstream, by name: referenced and counted as a
 * user, so it cannot be deleted while the listener routes to it. The use
 * ends when the listener is deleted (fh_upstream_unuse()); the reference
 * when its last connection has gone (fh_upstream_put()).
 */
struct fh_upstream *fh_upstream_use(struct net *net, const char *name);
void fh_upstream_unuse(struct fh_upstream *up);

/* The server to try next (passive health: skip those marked down). */
unsigned int fh_upstream_pick(struct fh_upstream *up,
			      struct fh_upstream_cpu *uc);
void fh_upstream_failed(struct fh_upstream *up, unsigned int server);
void fh_upstream_ok(struct fh_upstream *up, unsigned int server);

/*
 * The protocol whose connections go to upstreams, and how it lets go of
 * the idle ones of a worker (an upstream deleted, or its namespace gone).
 */
void fh_upstream_set_proto(const struct fh_proto *proto,
			   void (*close_idle)(struct fh_upstream_cpu *uc));

int fh_upstreams_init(void);
void fh_upstreams_exit(void);

#endif /* _FH_UPSTREAM_H */
