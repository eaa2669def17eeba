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

void fh_stats_snap_cpu(unsigned int cpu, struct fh_stats_snap *s)
{
	const struct fh_worker *w = fh_worker_of(cpu);
	const struct fh_stats *st;

	memset(s, 0, sizeof(*s));
	if (!w)
		return;
	st = &w->stats;
	s->v[FH_STAT_ACCEPTED] = READ_ONCE(st->accepted);
	s->v[FH_STAT_ACTIVE] = READ_ONCE(st->active);
	s->v[FH_STAT_CLOSED] = READ_ONCE(st->closed);
	s->v[FH_STAT_REFUSED] = READ_ONCE(st->refused);
	s->v[FH_STAT_REQUESTS] = READ_ONCE(st->requests);
	s->v[FH_STAT_BYTES_IN] = READ_ONCE(st->bytes_in);
	s->v[FH_STAT_BYTES_OUT] = READ_ONCE(st->bytes_out);
	s->v[FH_STAT_ZEROCOPY_BYTES] = READ_ONCE(st->zerocopy);
	s->v[FH_STAT_COPIED_BYTES] = READ_ONCE(st->copied);
	s->v[FH_STAT_WAKEUPS] = READ_ONCE(st->wakeups);
	s->v[FH_STAT_BATCHES] = READ_ONCE(st->batches);
	s->v[FH_STAT_LOOKASIDE_HITS] = READ_ONCE(st->conn_pool.hits) +
				       READ_ONCE(st->seg_pool.hits);
	s->v[FH_STAT_SLAB_ALLOCS] = READ_ONCE(st->conn_pool.slab) +
				    READ_ONCE(st->seg_pool.slab);
	s->v[FH_STAT_SWEEP_FREES] = READ_ONCE(st->conn_pool.swept) +
				    READ_ONCE(st->seg_pool.swept);
	s->v[FH_STAT_TIMEOUTS] = READ_ONCE(st->timeouts);
	s->v[FH_STAT_ERRORS] = READ_ONCE(st->errors);
	s->v[FH_STAT_POLLED_US] = div_u64(READ_ONCE(st->polled_ns), NSEC_PER_USEC);
	s->v[FH_STAT_SEGMENTS] = READ_ONCE(st->seg_pool.in_use);
	s->v[FH_STAT_COMPACTED_BYTES] = READ_ONCE(st->compacted);
	s->v[FH_STAT_WORKER_CALLS] = READ_ONCE(st->calls);
	s->v[FH_STAT_REFUSED_LISTENER] = READ_ONCE(st->refused_listener);
	s->v[FH_STAT_REFUSED_SOURCE] = READ_ONCE(st->refused_source);
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
