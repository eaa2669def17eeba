// SPDX-License-Identifier: GPL-2.0
/*
 * firehose: an in-kernel request server.
 *
 * Init goes from the bottom of the stack up (memory and workers before the
 * sockets that feed them, /proc and the control plane last) and unwinds
 * with gotos; exit tears down in exactly the reverse order.
 */
#include <linux/module.h>
#include <linux/netdevice.h>

#include "conn.h"
#include "fh.h"
#include "listener.h"
#include "log.h"
#include "netlink.h"
#include "proto.h"
#include "source.h"
#include "stats.h"
#include "upstream.h"
#include "worker.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

struct fh_settings fh_settings = {
	.max_conns = 100000,
	/*
	 * One host may not take every slot: a few thousand is more than any
	 * browser or proxy opens to one server, and an IPv6 host has a /64
	 * of addresses to connect from.
	 */
	.max_conns_per_source = 4096,
	.source_prefix6 = 64,
	.idle_timeout_ms = 60 * 1000,
	.send_timeout_ms = 30 * 1000,
	/* A vanished peer is dropped after about two minutes. */
	.keepalive_s = 60,
	.keepalive_intvl_s = 10,
	.keepalive_cnt = 6,
	/* nginx: client_header_timeout 60s; a slow peer costs us less here. */
	.http_header_timeout_ms = 10 * 1000,
	/* nginx: large_client_header_buffers 4 8k. */
	.http_max_header = 32 * 1024,
	/* What slow readers may hold of evicted files (http/http.h). */
	.http_pin_limit = 64 << 20,
};

atomic_t fh_nr_conns = ATOMIC_INIT(0);

static int __init fh_init(void)
{
	int ret;

	ret = fh_protos_init();
	if (ret)
		goto err_protos;
	ret = fh_sources_init();
	if (ret)
		goto err_sources;
	ret = fh_conns_init();
	if (ret)
		goto err_conns;
	/* The workers run the connections on them through these hooks. */
	ret = fh_workers_init(&fh_conn_hooks);
	if (ret)
		goto err_workers;
	/* Before listeners: their namespace exit runs first, upstreams' after. */
	ret = fh_upstreams_init();
	if (ret)
		goto err_upstreams;
	ret = fh_listeners_init();
	if (ret)
		goto err_listeners;
	ret = fh_stats_init();
	if (ret)
		goto err_stats;
	ret = fh_netlink_init();
	if (ret)
		goto err_netlink;
	pr_info("firehose: loaded, %u workers\n", num_online_cpus());
	return 0;

err_netlink:
	fh_stats_exit();
err_stats:
	fh_listeners_exit();
err_listeners:
	fh_upstreams_exit();
err_upstreams:
	fh_workers_exit();
err_workers:
	fh_conns_exit();
err_conns:
	fh_sources_exit();
err_sources:
	fh_protos_exit();
err_protos:
	return ret;
}

static void __exit fh_exit(void)
{
	fh_netlink_exit();
	fh_stats_exit();
	fh_listeners_exit();	/* closes every listener and connection */
	fh_upstreams_exit();	/* ... and every upstream connection */
	fh_protos_quiesce();
	/* Callbacks that saw our sockets before they were restored finish. */
	synchronize_net();
	fh_workers_exit();
	fh_log_exit();		/* no worker writes any more */
	fh_conns_exit();
	fh_sources_exit();
	fh_protos_exit();
	pr_info("firehose: unloaded\n");
}

module_init(fh_init);
module_exit(fh_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("firehose: in-kernel request server");
MODULE_AUTHOR("firehose developers");
MODULE_VERSION(FH_VERSION);
