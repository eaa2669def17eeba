// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU workers. Each is a kthread bound to its CPU that accepts, reads,
 * runs the protocol and writes for the connections it owns. Socket callbacks
 * only push events on its lock-free ready list; the worker takes the whole
 * list at once, so a busy worker drains many events per wakeup and an idle
 * one sleeps until the next push onto an empty list.
 */
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/kthread.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>

#include "worker.h"

#define FH_SWEEP_PERIOD		(5 * HZ)

/*
 * Under load the next event is usually microseconds away: a worker that did
 * work within the last millisecond may wait for it on the CPU, up to
 * poll_us, instead of paying a sleep, and its producer an IPI and a wakeup.
 * An idle worker sleeps at once. Off (0) by default: measured in one VM,
 * toggled between interleaved runs, 50 us of polling bought no requests/s
 * in any HTTP or echo row and cost server CPU in all (512 B keep-alive:
 * 21.6 us/req without, 27.5 with; a new connection per request: 72 vs
 * 121). It is for a CPU given to firehose alone, where latency matters
 * more than the cycles.
 *
 * Spins that keep finding nothing are a load whose events come further
 * apart than poll_us (a new connection per request, say): after
 * FH_POLL_MISSES of them in a row the worker sleeps at once for the next
 * FH_POLL_SKIP idle moments, then tries spinning again. A load that spins
 * usefully never misses that many in a row and keeps its spins. Nothing
 * here depends on how fast a wakeup is (under emulation it is slower than
 * a whole spin).
 */
#define FH_POLL_MISSES	4
#define FH_POLL_SKIP	32
static unsigned int fh_poll_us;
module_param_named(poll_us, fh_poll_us, uint, 0644);
MODULE_PARM_DESC(poll_us, "microseconds a busy worker polls its ready list before sleeping (0: never)");

static struct fh_worker **fh_workers;
/* Each CPU's worker thread while it runs (fh_worker_cpu()). */
static DEFINE_PER_CPU(struct task_struct *, fh_worker_task);
static const struct fh_worker_hooks *fh_hooks __ro_after_init;

struct fh_call {
	struct fh_event ev;
	void (*fn)(struct fh_worker *w, void *arg);
	void *arg;
	struct completion done;
};

struct fh_worker *fh_worker_of(unsigned int cpu)
{
	return fh_workers && cpu < nr_cpu_ids ? fh_workers[cpu] : NULL;
}

/*
 * A worker is bound to its CPU. Were it ever moved (its CPU going offline),
 * the CPU it then runs on names another worker, so it is no longer taken
 * for one: what a layer keeps per worker CPU is only ever its worker's.
 * Reads no struct fh_worker: it is safe while workers stop and are freed.
 */
int fh_worker_cpu(void)
{
	int cpu = raw_smp_processor_id();

	return in_task() && per_cpu(fh_worker_task, cpu) == current ? cpu : -1;
}

static void fh_call_handle(struct fh_worker *w, struct fh_event *ev)
{
	struct fh_call *call = container_of(ev, struct fh_call, ev);

	fh_stat_inc(&w->stats, &w->stats.calls);
	call->fn(w, call->arg);
	complete(&call->done);
}

/*
 * Run @fn in @w's thread and wait for it: the control plane's only way to
 * touch what a worker owns, so workers never need a lock against it.
 */
void fh_worker_call(struct fh_worker *w,
		    void (*fn)(struct fh_worker *w, void *arg), void *arg)
{
	struct fh_call call = {
		.ev.handle = fh_call_handle,
		.fn = fn,
		.arg = arg,
	};

	init_completion(&call.done);
	fh_worker_queue(w, &call.ev);
	wait_for_completion(&call.done);
}

static void fh_worker_dispatch(struct fh_worker *w, struct llist_node *batch)
{
	struct fh_event *ev, *next;

	llist_for_each_entry_safe(ev, next, batch, node) {
		/* Cleared first: an event during processing queues again. */
		clear_bit(FH_EV_QUEUED, &ev->flags);
		/*
		 * Orders the clear before the handler's lockless looks at the
		 * socket, pairing with the callback's test_and_set_bit():
		 * either the handler sees its data or the callback sees the
		 * bit clear and queues.
		 */
		smp_mb__after_atomic();
		ev->handle(w, ev);	/* may free ev */
	}
}

/* Jiffies until the next timeout or sweep is due. */
static long fh_worker_sleep_for(struct fh_worker *w)
{
	unsigned long now = jiffies, deadline = fh_hooks->expire(w);
	bool cached = fh_pool_cached(&w->conn_pool) ||
		      fh_pool_cached(&w->seg_pool);

	if (fh_pool_sweep_due(&w->next_sweep, cached, FH_SWEEP_PERIOD)) {
		fh_pool_sweep(&w->conn_pool);
		fh_pool_sweep(&w->seg_pool);
	}
	if (cached && (!deadline || time_before(w->next_sweep, deadline)))
		deadline = w->next_sweep;
	if (!deadline)
		return MAX_SCHEDULE_TIMEOUT;
	return time_after(deadline, now) ? deadline - now : 1;
}

static void fh_worker_poll(struct fh_worker *w)
{
	unsigned int us = READ_ONCE(fh_poll_us);
	u64 now, until, t;

	if (!us || !llist_empty(&w->ready))
		return;
	now = local_clock();
	if (now - w->last_work > NSEC_PER_MSEC)
		return;
	if (w->poll_skip) {
		w->poll_skip--;
		return;
	}
	until = now + (u64)us * NSEC_PER_USEC;
	t = now;
	while (llist_empty(&w->ready) && !need_resched() &&
	       !kthread_should_stop() && (t = local_clock()) < until)
		cpu_relax();
	if (!llist_empty(&w->ready)) {
		w->poll_misses = 0;
	} else if (++w->poll_misses >= FH_POLL_MISSES) {
		w->poll_misses = 0;
		w->poll_skip = FH_POLL_SKIP;
	}
	/* Spun time served no request: counted so it can be told apart. */
	fh_stat_add(&w->stats, &w->stats.polled_ns, t - now);
}

static int fh_worker_fn(void *arg)
{
	struct fh_worker *w = arg;
	struct llist_node *batch;
	long timeout;

	this_cpu_write(fh_worker_task, current);
	while (!kthread_should_stop()) {
		timeout = fh_worker_sleep_for(w);
		fh_worker_poll(w);
		WRITE_ONCE(w->sleeping, true);
		/* A full barrier: a producer that missed "sleeping" is seen here. */
		set_current_state(TASK_INTERRUPTIBLE);
		if (llist_empty(&w->ready) && !kthread_should_stop()) {
			schedule_timeout(timeout);
			if (!llist_empty(&w->ready))
				fh_stat_inc(&w->stats, &w->stats.wakeups);
		}
		__set_current_state(TASK_RUNNING);
		WRITE_ONCE(w->sleeping, false);

		batch = llist_del_all(&w->ready);
		if (batch) {
			fh_stat_inc(&w->stats, &w->stats.batches);
			fh_worker_dispatch(w, llist_reverse_order(batch));
			w->last_work = local_clock();
		}
		cond_resched();
	}

	/*
	 * Stopping: the control plane is gone and every listener closed, so
	 * nothing new arrives but events already queued and open connections,
	 * which the stop hook closes.
	 */
	fh_hooks->stop(w);
	batch = llist_del_all(&w->ready);
	if (batch)
		fh_worker_dispatch(w, llist_reverse_order(batch));
	fh_pool_drain(&w->conn_pool);
	fh_pool_drain(&w->seg_pool);
	this_cpu_write(fh_worker_task, NULL);
	return 0;
}

static void fh_workers_stop(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct fh_worker *w = fh_worker_of(cpu);

		if (!w)
			continue;
		kthread_stop(w->task);
		fh_workers[cpu] = NULL;
		kfree(w);
	}
}

int fh_workers_init(const struct fh_worker_hooks *hooks)
{
	struct task_struct *task;
	struct fh_worker *w;
	unsigned int cpu;
	int ret = -ENOMEM;

	fh_hooks = hooks;
	fh_workers = kcalloc(nr_cpu_ids, sizeof(*fh_workers), GFP_KERNEL);
	if (!fh_workers)
		goto err;

	cpus_read_lock();
	for_each_online_cpu(cpu) {
		w = kzalloc_node(sizeof(*w), GFP_KERNEL, cpu_to_node(cpu));
		if (!w) {
			ret = -ENOMEM;
			goto err_unlock;
		}
		w->cpu = cpu;
		u64_stats_init(&w->stats.syncp);
		init_llist_head(&w->ready);
		fh_hooks->init(w);
		task = kthread_create_on_cpu(fh_worker_fn, w, cpu, "firehose/%u");
		if (IS_ERR(task)) {
			ret = PTR_ERR(task);
			kfree(w);
			goto err_unlock;
		}
		w->task = task;
		fh_workers[cpu] = w;
		wake_up_process(task);
	}
	cpus_read_unlock();
	return 0;

err_unlock:
	cpus_read_unlock();
	fh_workers_stop();
err:
	kfree(fh_workers);
	fh_workers = NULL;
	return ret;
}

void fh_workers_exit(void)
{
	fh_workers_stop();
	kfree(fh_workers);
	fh_workers = NULL;
}
