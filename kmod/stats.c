// SPDX-License-Identifier: GPL-2.0
/*
 * Counters and /proc/net/firehose: stats and listeners. The directory
 * exists in every network namespace because listeners live per namespace;
 * the counters are the module's, summed from the workers on read so the hot
 * path never shares a cache line with another CPU.
 */
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>

#include "listener.h"
#include "proto.h"
#include "stats.h"
#include "worker.h"

static const char * const fh_stat_names[__FH_STAT_MAX] = FH_STAT_NAMES_INIT;

/* One worker counter per status class, 2xx to 5xx, in the ABI's order. */
static_assert(sizeof_field(struct fh_stats, http_status) / sizeof(u64_stats_t) ==
	      FH_STAT_HTTP_5XX - FH_STAT_HTTP_2XX + 1);

/* A lookaside list's counters, added to the snapshot's. */
static void fh_pool_stats_add(const struct fh_pool_stats *p, struct fh_stats_snap *s)
{
	u64 hits, slab, swept;

	fh_pool_stats_read(p, &hits, &slab, &swept);
	s->v[FH_STAT_LOOKASIDE_HITS] += hits;
	s->v[FH_STAT_SLAB_ALLOCS] += slab;
	s->v[FH_STAT_SWEEP_FREES] += swept;
}

static u64 fh_pool_in_use(const struct fh_pool_stats *p)
{
	unsigned int start;
	u64 v;

	do {
		start = u64_stats_fetch_begin(&p->syncp);
		v = u64_stats_read(&p->in_use);
	} while (u64_stats_fetch_retry(&p->syncp, start));
	return v;
}

void fh_stats_snap_cpu(unsigned int cpu, struct fh_stats_snap *s)
{
	const struct fh_worker *w = fh_worker_of(cpu);
	const struct fh_stats *st;
	unsigned int start;

	memset(s, 0, sizeof(*s));
	if (!w)
		return;
	st = &w->stats;
	do {
		start = u64_stats_fetch_begin(&st->syncp);
		s->v[FH_STAT_ACCEPTED] = u64_stats_read(&st->accepted);
		s->v[FH_STAT_ACTIVE] = u64_stats_read(&st->active);
		s->v[FH_STAT_CLOSED] = u64_stats_read(&st->closed);
		s->v[FH_STAT_REFUSED] = u64_stats_read(&st->refused);
		s->v[FH_STAT_REQUESTS] = u64_stats_read(&st->requests);
		s->v[FH_STAT_BYTES_IN] = u64_stats_read(&st->bytes_in);
		s->v[FH_STAT_BYTES_OUT] = u64_stats_read(&st->bytes_out);
		s->v[FH_STAT_ZEROCOPY_BYTES] = u64_stats_read(&st->zerocopy);
		s->v[FH_STAT_COPIED_BYTES] = u64_stats_read(&st->copied);
		s->v[FH_STAT_WAKEUPS] = u64_stats_read(&st->wakeups);
		s->v[FH_STAT_BATCHES] = u64_stats_read(&st->batches);
		s->v[FH_STAT_TIMEOUTS] = u64_stats_read(&st->timeouts);
		s->v[FH_STAT_ERRORS] = u64_stats_read(&st->errors);
		s->v[FH_STAT_POLLED_US] = div_u64(u64_stats_read(&st->polled_ns),
						  NSEC_PER_USEC);
		s->v[FH_STAT_COMPACTED_BYTES] = u64_stats_read(&st->compacted);
		s->v[FH_STAT_WORKER_CALLS] = u64_stats_read(&st->calls);
		s->v[FH_STAT_REFUSED_LISTENER] = u64_stats_read(&st->refused_listener);
		s->v[FH_STAT_REFUSED_SOURCE] = u64_stats_read(&st->refused_source);
		s->v[FH_STAT_HTTP_2XX] = u64_stats_read(&st->http_status[0]);
		s->v[FH_STAT_HTTP_3XX] = u64_stats_read(&st->http_status[1]);
		s->v[FH_STAT_HTTP_4XX] = u64_stats_read(&st->http_status[2]);
		s->v[FH_STAT_HTTP_5XX] = u64_stats_read(&st->http_status[3]);
		s->v[FH_STAT_CACHE_HITS] = u64_stats_read(&st->cache_hits);
		s->v[FH_STAT_CACHE_MISSES] = u64_stats_read(&st->cache_misses);
		s->v[FH_STAT_PARKED] = u64_stats_read(&st->parked);
		s->v[FH_STAT_CACHE_BYTES_OUT] = u64_stats_read(&st->cache_bytes_out);
		s->v[FH_STAT_STREAMED_BYTES_OUT] =
			u64_stats_read(&st->streamed_bytes_out);
		s->v[FH_STAT_LOG_RECORDS] = u64_stats_read(&st->log_records);
		s->v[FH_STAT_LOG_DROPPED] = u64_stats_read(&st->log_dropped);
		s->v[FH_STAT_PROXIED] = u64_stats_read(&st->proxied);
		s->v[FH_STAT_UPSTREAM_CONNECTS] = u64_stats_read(&st->upstream_connects);
		s->v[FH_STAT_UPSTREAM_REUSES] = u64_stats_read(&st->upstream_reuses);
		s->v[FH_STAT_UPSTREAM_RETRIES] = u64_stats_read(&st->upstream_retries);
		s->v[FH_STAT_UPSTREAM_REFUSED] = u64_stats_read(&st->upstream_refused);
		s->v[FH_STAT_UPSTREAM_TIMEOUTS] = u64_stats_read(&st->upstream_timeouts);
		s->v[FH_STAT_UPSTREAM_BAD] = u64_stats_read(&st->upstream_bad);
		s->v[FH_STAT_UPSTREAM_ABORTS] = u64_stats_read(&st->upstream_aborts);
		s->v[FH_STAT_RELAYED_BYTES] = u64_stats_read(&st->relayed);
		s->v[FH_STAT_RELAY_COPIED_BYTES] = u64_stats_read(&st->relay_copied);
	} while (u64_stats_fetch_retry(&st->syncp, start));
	fh_pool_stats_add(&st->conn_pool, s);
	fh_pool_stats_add(&st->seg_pool, s);
	s->v[FH_STAT_SEGMENTS] = fh_pool_in_use(&st->seg_pool);
}

void fh_stats_snap_total(struct fh_stats_snap *s)
{
	struct fh_stats_snap one;
	unsigned int cpu, i;

	memset(s, 0, sizeof(*s));
	for_each_possible_cpu(cpu) {
		if (!fh_worker_of(cpu))
			continue;
		fh_stats_snap_cpu(cpu, &one);
		for (i = FH_STAT_ACCEPTED; i < __FH_STAT_MAX; i++)
			s->v[i] += one.v[i];
	}
}

/*
 * Two blocks: "name value" totals (one per line, for scripts), then a table
 * with one row per worker CPU (for people).
 */
static int fh_stats_show(struct seq_file *m, void *v)
{
	struct fh_stats_snap s;
	unsigned int cpu, i;

	fh_stats_snap_total(&s);
	for (i = FH_STAT_ACCEPTED; i < __FH_STAT_MAX; i++)
		seq_printf(m, "%s %llu\n", fh_stat_names[i], s.v[i]);

	seq_puts(m, "\ncpu");
	for (i = FH_STAT_ACCEPTED; i < __FH_STAT_MAX; i++)
		seq_printf(m, " %s", fh_stat_names[i]);
	seq_putc(m, '\n');
	for_each_possible_cpu(cpu) {
		if (!fh_worker_of(cpu))
			continue;
		fh_stats_snap_cpu(cpu, &s);
		seq_printf(m, "%u", cpu);
		for (i = FH_STAT_ACCEPTED; i < __FH_STAT_MAX; i++)
			seq_printf(m, " %llu", s.v[i]);
		seq_putc(m, '\n');
	}
	return 0;
}

static int fh_listener_show(const struct fh_listener *l, void *m)
{
	u64 accepted, active;

	fh_listener_counts(l, &accepted, &active);
	/* %pISpc brackets IPv6: "[::1]:8080", as fhctl prints it. */
	seq_printf(m, "%s %pISpc %*pbl %llu %llu\n", l->proto->name,
		   &l->addr, cpumask_pr_args(&l->cpus), accepted, active);
	return 0;
}

static int fh_listeners_show(struct seq_file *m, void *v)
{
	seq_puts(m, "proto address cpus accepted active\n");
	fh_listener_walk(seq_file_single_net(m), 0, fh_listener_show, m);
	return 0;
}

/*
 * Registered after the listeners' pernet operations, so in every namespace
 * these files come after its listener list and go before it.
 */
static int __net_init fh_stats_net_init(struct net *net)
{
	struct proc_dir_entry *dir;

	dir = proc_net_mkdir(net, "firehose", net->proc_net);
	if (!dir)
		return -ENOMEM;
	if (!proc_create_single("stats", 0444, dir, fh_stats_show) ||
	    !proc_create_net_single("listeners", 0444, dir, fh_listeners_show,
				    NULL)) {
		remove_proc_subtree("firehose", net->proc_net);
		return -ENOMEM;
	}
	return 0;
}

static void __net_exit fh_stats_net_exit(struct net *net)
{
	remove_proc_subtree("firehose", net->proc_net);
}

static struct pernet_operations fh_stats_net_ops = {
	.init = fh_stats_net_init,
	.exit = fh_stats_net_exit,
};

int fh_stats_init(void)
{
	return register_pernet_subsys(&fh_stats_net_ops);
}

void fh_stats_exit(void)
{
	unregister_pernet_subsys(&fh_stats_net_ops);
}
