// SPDX-License-Identifier: GPL-2.0
/*
 * The access log's rings. Made the first time a listener asks for an access
 * log (most users never do, and a ring costs FH_LOG_RECORDS records per
 * CPU), kept until the module goes. Each ring is single-producer (its
 * CPU's worker) single-consumer (a reader holding fh_log_lock): the
 * producer publishes a record by moving head with release semantics and
 * sees room by reading tail with acquire semantics, and the consumer the
 * other way round, so a record is never read while it is written.
 */
#include <linux/cpumask.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "log.h"

struct fh_log_ring {
	u32 head;			/* written by the worker */
	u32 tail ____cacheline_aligned_in_smp;	/* written by the reader */
	struct fh_log_rec recs[FH_LOG_RECORDS] ____cacheline_aligned_in_smp;
};

static struct fh_log_ring **fh_log_rings;
static DEFINE_MUTEX(fh_log_lock);

static void fh_log_free(struct fh_log_ring **rings)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		vfree(rings[cpu]);
	kfree(rings);
}

/* Make the rings if they are not made yet. Process context. */
int fh_log_enable(void)
{
	struct fh_log_ring **rings;
	unsigned int cpu;
	int ret = 0;

	mutex_lock(&fh_log_lock);
	if (fh_log_rings)
		goto out;
	ret = -ENOMEM;
	rings = kcalloc(nr_cpu_ids, sizeof(*rings), GFP_KERNEL);
	if (!rings)
		goto out;
	for_each_possible_cpu(cpu) {
		rings[cpu] = vzalloc_node(sizeof(**rings), cpu_to_node(cpu));
		if (!rings[cpu]) {
			fh_log_free(rings);
			goto out;
		}
	}
	/* Pairs with fh_log_write(): the rings are whole when seen. */
	smp_store_release(&fh_log_rings, rings);
	ret = 0;
out:
	mutex_unlock(&fh_log_lock);
	return ret;
}

/*
 * Append @rec to @cpu's ring; called only by that CPU's worker. False if
 * the ring is full (or was never made): the record is dropped.
 */
bool fh_log_write(unsigned int cpu, const struct fh_log_rec *rec)
{
	/* Pairs with fh_log_enable(). */
	struct fh_log_ring **rings = smp_load_acquire(&fh_log_rings);
	struct fh_log_ring *ring;
	u32 head;

	if (!rings)
		return false;
	ring = rings[cpu];
	head = ring->head;
	/* Pairs with the reader's release: its reads of a slot are done. */
	if (head - smp_load_acquire(&ring->tail) >= FH_LOG_RECORDS)
		return false;
	ring->recs[head % FH_LOG_RECORDS] = *rec;
	/* Pairs with the reader's acquire: the record is whole when seen. */
	smp_store_release(&ring->head, head + 1);
	return true;
}

/*
 * Hand records to @emit, consuming each it takes, from CPU *@cpu on, until
 * @emit refuses one (nonzero: a full message; returned, with *@cpu where
 * to go on) or *@budget records have gone (a dump ends with what there was
 * when it began, however fast workers write).
 */
int fh_log_read(unsigned int *cpu, u64 *budget,
		int (*emit)(const struct fh_log_rec *rec, void *arg), void *arg)
{
	struct fh_log_ring *ring;
	u32 head, tail;
	int ret = 0;

	mutex_lock(&fh_log_lock);
	if (!fh_log_rings)
		goto out;
	for (; *cpu < nr_cpu_ids; (*cpu)++) {
		if (!cpu_possible(*cpu))
			continue;
		ring = fh_log_rings[*cpu];
		/* Pairs with fh_log_write()'s release of a written record. */
		head = smp_load_acquire(&ring->head);
		for (tail = ring->tail; tail != head && *budget; tail++) {
			ret = emit(&ring->recs[tail % FH_LOG_RECORDS], arg);
			if (ret)
				break;
			(*budget)--;
		}
		/* Pairs with fh_log_write()'s acquire: these slots are free. */
		smp_store_release(&ring->tail, tail);
		if (ret || !*budget)
			break;
	}
out:
	mutex_unlock(&fh_log_lock);
	return ret;
}

/* What a dump starts with: every record there is now. */
u64 fh_log_pending(void)
{
	unsigned int cpu;
	u64 n = 0;

	mutex_lock(&fh_log_lock);
	if (fh_log_rings)
		for_each_possible_cpu(cpu)
			n += READ_ONCE(fh_log_rings[cpu]->head) -
			     fh_log_rings[cpu]->tail;
	mutex_unlock(&fh_log_lock);
	return n;
}

/* No worker is left to write. */
void fh_log_exit(void)
{
	if (fh_log_rings)
		fh_log_free(fh_log_rings);
	fh_log_rings = NULL;
}
