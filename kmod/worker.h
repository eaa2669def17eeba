/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_WORKER_H
#define _FH_WORKER_H

#include <linux/cache.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/sched.h>

#include "pool.h"

struct fh_worker;

/*
 * Something a worker must look at: a connection, a listening socket, or a
 * call from the control plane. Socket callbacks queue it on the owner's
 * ready list; FH_EV_QUEUED keeps it there at most once. The worker knows
 * nothing else of it: it clears the bit and calls @handle, which whoever
 * queues the event sets, and which may free it.
 */
#define FH_EV_QUEUED	0

struct fh_event {
	struct llist_node node;
	unsigned long flags;
	void (*handle)(struct fh_worker *w, struct fh_event *ev);
};

/*
 * One worker's counters. Only the owning worker writes them; readers on
 * other CPUs use u64_stats (see fh_stat_add) and accept that a snapshot is
 * not atomic across counters.
 */
struct fh_stats {
	struct u64_stats_sync syncp;
	u64_stats_t accepted;
	u64_stats_t active;
	u64_stats_t closed;
	u64_stats_t refused;		/* all reasons; by reason below */
	u64_stats_t requests;
	u64_stats_t bytes_in;
	u64_stats_t bytes_out;
	u64_stats_t zerocopy;
	u64_stats_t copied;
	u64_stats_t wakeups;
	u64_stats_t batches;
	u64_stats_t timeouts;
	u64_stats_t errors;
	u64_stats_t polled_ns;
	u64_stats_t compacted;		/* bytes copied to shed tiny segments */
	u64_stats_t calls;		/* control-plane calls run (fh_worker_call) */
	u64_stats_t refused_listener;	/* of refused: over the listener's limit */
	u64_stats_t refused_source;	/* of refused: over the per-source limit */
	/* Written by protocols (http) through the connection's worker. */
	u64_stats_t http_status[4];	/* 2xx, 3xx, 4xx, 5xx */
	u64_stats_t cache_hits;
	u64_stats_t cache_misses;
	u64_stats_t parked;
	u64_stats_t cache_bytes_out;
	u64_stats_t streamed_bytes_out;
	u64_stats_t log_records;	/* access log records written */
	u64_stats_t log_dropped;	/* ... dropped: the ring was full */
	/* Written by the http proxy. */
	u64_stats_t proxied;
	u64_stats_t upstream_connects;
	u64_stats_t upstream_reuses;
	u64_stats_t upstream_retries;
	u64_stats_t upstream_refused;
	u64_stats_t upstream_timeouts;
	u64_stats_t upstream_bad;
	u64_stats_t upstream_aborts;
	u64_stats_t relayed;
	u64_stats_t relay_copied;
	struct fh_pool_stats conn_pool;
	struct fh_pool_stats seg_pool;
};

/*
 * One per CPU: the only thread that runs requests for the connections it
 * owns. Everything below the ready list is touched by this thread alone.
 */
struct fh_worker {
	/* Written by softirq on any CPU: kept apart from the worker's data. */
	struct llist_head ready ____cacheline_aligned_in_smp;
	/* Set by the worker just before it sleeps; producers read it. */
	bool sleeping;

	struct task_struct *task ____cacheline_aligned_in_smp;
	unsigned int cpu;
	/*
	 * The connection layer's, set up by its hooks (struct
	 * fh_worker_hooks). Open connections in lists, each least recently
	 * active first: those with nothing left to send (the idle timeout
	 * applies), those waiting to send (the send timeout applies), and
	 * quiet ones of a protocol whose clients keep idle connections
	 * (no timeout). Expiry looks only at the heads, so an idle crowd
	 * costs nothing until it is due.
	 */
	struct list_head quiet;
	struct list_head sending;
	struct list_head kept;
	/* Connections with a protocol deadline, soonest first. */
	struct list_head timed;
	/* The layer above's lookaside lists: it sets them up, we sweep them. */
	struct fh_pool conn_pool;
	struct fh_pool seg_pool;
	unsigned long next_sweep;
	u64 last_work;			/* local_clock() of the last batch */
	/* Spins that found nothing in a row; idle moments not to spin. */
	unsigned int poll_misses;
	unsigned int poll_skip;
	struct fh_stats stats;
};

/*
 * What the layer above (connections) has every worker do, in the worker's
 * own thread: the worker drives it and knows nothing else of it. Given to
 * fh_workers_init(), before any worker runs.
 */
struct fh_worker_hooks {
	/* Before the worker's thread starts: set up the state kept on it. */
	void (*init)(struct fh_worker *w);
	/* Before each sleep: periodic work; returns when it is next due (0: never). */
	unsigned long (*expire)(struct fh_worker *w);
	/* The worker is stopping: close everything it still owns. */
	void (*stop)(struct fh_worker *w);
};

struct fh_worker *fh_worker_of(unsigned int cpu);
/* In a worker's own thread, its CPU; anywhere else (an interrupt it took), -1. */
int fh_worker_cpu(void);

static inline void fh_worker_queue(struct fh_worker *w, struct fh_event *ev)
{
	/*
	 * Only the push onto an empty list can find the worker asleep, and
	 * a running worker is not disturbed: try_to_wake_up on it would take
	 * its pi_lock from this CPU for nothing. llist_add is a full barrier,
	 * pairing with the worker's store of sleeping before its last look
	 * at the list (fh_worker_fn).
	 */
	if (llist_add(&ev->node, &w->ready) && READ_ONCE(w->sleeping))
		wake_up_process(w->task);
}

void fh_worker_call(struct fh_worker *w,
		    void (*fn)(struct fh_worker *w, void *arg), void *arg);

int fh_workers_init(const struct fh_worker_hooks *hooks);
void fh_workers_exit(void);

#endif /* _FH_WORKER_H */
