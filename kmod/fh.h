/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_H
#define _FH_H

#include <linux/atomic.h>
#include <linux/types.h>

/* Global settings, changed over netlink, read locklessly by the workers. */
struct fh_settings {
	unsigned int max_conns;
	unsigned int max_conns_per_source;	/* 0: off */
	unsigned int source_prefix6;	/* IPv6 peers count by this prefix */
	unsigned int idle_timeout_ms;	/* 0: off */
	unsigned int send_timeout_ms;	/* 0: off */
	/* TCP keepalive of connections accepted from now on, in seconds */
	unsigned int keepalive_s;	/* idle before the first probe; 0: off */
	unsigned int keepalive_intvl_s;	/* between probes */
	unsigned int keepalive_cnt;	/* unanswered probes before the drop */
	/* http */
	unsigned int http_header_timeout_ms;	/* 0: off */
	unsigned int http_max_header;		/* bytes of a request head */
	unsigned int http_pin_limit;		/* bytes pinned out of caches */
};

extern struct fh_settings fh_settings;

/* Open connections, module-wide: touched on accept and close only. */
extern atomic_t fh_nr_conns;

/* Why a connection closed, for the fh_close tracepoint. */
enum fh_close_reason {
	FH_CLOSE_EOF,		/* the peer finished and got all it was owed */
	FH_CLOSE_ERROR,		/* reset, socket error, or no memory */
	FH_CLOSE_TIMEOUT,	/* idle or send timeout */
	FH_CLOSE_SHUTDOWN,	/* unload, or its namespace went away */
};

#endif /* _FH_H */
