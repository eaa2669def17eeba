// SPDX-License-Identifier: GPL-2.0
/*
 * uring_echo: the io_uring reference echo server, tuned as a careful
 * io_uring user would tune it. One thread per CPU, each pinned, each with
 * its own SO_REUSEPORT listener and its own ring:
 *
 * - IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN: completions
 *   are run in the thread's own io_uring_enter, never by interrupting it
 *   (falls back to COOP_TASKRUN, with a message, on a kernel that refuses);
 *   the ring fd is registered, so io_uring_enter takes no fd lookup;
 * - multishot accept; TCP_NODELAY is set on the listener and inherited by
 *   every accepted socket, so no call per connection sets it. Regular
 *   descriptors, not direct ones: on 6.1 and 6.12 a closed direct
 *   descriptor's file is put only once every request issued before the
 *   close is done (resource nodes are recycled in order), and an idle
 *   connection's recv never is, so idle connections would keep every
 *   closed one open, without its FIN (seen with 10,000 idle). That costs
 *   an fget/fput per send; the multishot recv holds its file throughout;
 * - one multishot recv per connection, into a provided buffer ring: no
 *   buffer is tied up by an idle connection, and a receive costs no SQE;
 * - the reply is sent from the very buffer the data arrived in (no copy
 *   in userspace), one send in flight per connection so replies keep their
 *   order; MSG_WAITALL has the kernel finish short sends, and a send that
 *   still ends short is resumed where it stopped; the buffer goes back to
 *   the ring when its send completes;
 * - a multishot recv that ends (no IORING_CQE_F_MORE) is re-armed; one that
 *   ran out of buffers (ENOBUFS) is re-armed when buffers come back; a
 *   connection whose replies pile up (a peer that does not read) has its
 *   recv cancelled until they drain, and what it holds copied out of the
 *   ring, so a stalled peer cannot starve the others of buffers;
 * - the event loop handles every completion ready, queues the resulting
 *   SQEs, returns buffers with one store, and calls io_uring_submit_and_wait
 *   once: system calls go per batch, not per message (sends mostly complete
 *   inline, so a batch that sent returns at once with their completions).
 *
 *   uring_echo -p PORT [-a ADDR] [-C CPULIST] [-t SECONDS] [-b BUFSIZE] [-n BUFFERS]
 *
 * BUFSIZE (default 65536) and BUFFERS (default 256, a power of two up to
 * 32768) size each thread's buffer ring, faulted in at start (16 MiB by
 * default). The ring is sized to what is in flight, not to the connections:
 * it is FIFO, every buffer in it is cycled through, and a larger ring only
 * spreads the same traffic over more memory (1024 buffers cost twice the
 * CPU per 64 KiB echo of 256 under emulation). Runs until killed, or for
 * SECONDS when given.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define SQ_ENTRIES	4096
#define CQ_ENTRIES	16384
#define BGID		0
#define QUEUE_HIGH	4	/* ring buffers queued on a connection: its peer is not reading */
#define QUEUE_LOW	1	/* ...and reading again */

/* user_data: the operation in the high half, the connection's fd in the low. */
enum { OP_ACCEPT = 1, OP_RECV, OP_SEND, OP_CLOSE, OP_CANCEL };

/* Connection state bits. */
#define C_RECV		0x01	/* multishot recv armed */
#define C_SEND		0x02	/* a send in flight: of the head buffer, else of the first chunk */
#define C_EOF		0x04	/* nothing more to receive: close when all is sent */
#define C_DEAD		0x08	/* error: drop what is queued, close */
#define C_PARKED	0x10	/* recv ended on ENOBUFS: waiting for buffers */
#define C_THROTTLED	0x20	/* peer not reading: recv cancelled, replies spilled */

/* Replies to a stalled peer, copied out so they hold no ring buffer. */
struct chunk {
	struct chunk *next;
	uint32_t len;
	char data[];
};

/*
 * What a connection owes its peer, in order: ring buffers (head..tail), then
 * spilled chunks. While there are chunks, new data is spilled too, so no
 * ring buffer ever queues behind a chunk.
 */
struct conn {
	int32_t head, tail;	/* buffer ids queued for sending, -1: none */
	uint32_t off;		/* bytes of the head buffer (or chunk) already sent */
	uint16_t nqueued;	/* ring buffers queued */
	uint16_t flags;
	struct chunk *spill, *spill_tail;
};

struct buf {
	uint32_t len;		/* bytes received into it */
	int32_t next;		/* next buffer id queued on the same connection */
};

struct worker {
	struct io_uring ring;
	struct io_uring_buf_ring *br;
	char *bufs;
	struct buf *meta;
	struct conn *conns;
	int32_t *parked;	/* fds waiting for buffers */
	unsigned int nparked;
	unsigned int bufs_free;	/* buffers the kernel can pick */
	int br_added;		/* returned to the ring, not yet published */
	unsigned int seen;	/* CQEs handled, not yet marked seen */
	int lfd, cpu;
	int warned_full;
};

static struct sockaddr_in listen_addr = { .sin_family = AF_INET };
/* conns[] and parked[] are indexed by fd: RLIMIT_NOFILE entries. */
static unsigned int buf_size = 65536, nbufs = 256, max_fds = 1 << 20;
static int fallback_told;

static void die(const char *what, int err)
{
	fprintf(stderr, "uring_echo: %s: %s\n", what, strerror(err));
	exit(1);
}

static int make_listener(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	/* Accepted sockets inherit TCP_NODELAY: no setsockopt per connection. */
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&listen_addr, sizeof(listen_addr)) ||
	    listen(fd, 4096)) {
		perror("uring_echo: listener");
		exit(1);
	}
	return fd;
}

#if defined(IO_URING_VERSION_MAJOR) && \
	(IO_URING_VERSION_MAJOR > 2 || (IO_URING_VERSION_MAJOR == 2 && IO_URING_VERSION_MINOR >= 4))
#define setup_buf_ring io_uring_setup_buf_ring
#else
/* io_uring_setup_buf_ring() of liburing 2.4; Debian 12 ships 2.3. */
static struct io_uring_buf_ring *setup_buf_ring(struct io_uring *ring, unsigned int nentries,
						int bgid, unsigned int flags, int *err)
{
	struct io_uring_buf_reg reg = { .ring_entries = nentries, .bgid = (uint16_t)bgid };
	size_t len = nentries * sizeof(struct io_uring_buf);
	struct io_uring_buf_ring *br;

	br = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (br == MAP_FAILED) {
		*err = -errno;
		return NULL;
	}
	reg.ring_addr = (unsigned long)br;
	*err = io_uring_register_buf_ring(ring, &reg, flags);
	if (*err) {
		munmap(br, len);
		return NULL;
	}
	io_uring_buf_ring_init(br);
	return br;
}
#endif

static struct io_uring_sqe *get_sqe(struct worker *w)
{
	struct io_uring_sqe *sqe;
	int ret;

	while (!(sqe = io_uring_get_sqe(&w->ring))) {
		/* SQ full: hand it to the kernel, with the CQ space handled so far. */
		io_uring_cq_advance(&w->ring, w->seen);
		w->seen = 0;
		ret = io_uring_submit(&w->ring);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY)
			die("io_uring_submit", -ret);
	}
	return sqe;
}

static void set_op(struct io_uring_sqe *sqe, int op, uint32_t fd)
{
	io_uring_sqe_set_data64(sqe, (uint64_t)op << 32 | fd);
}

static void arm_accept(struct worker *w)
{
	struct io_uring_sqe *sqe = get_sqe(w);

	io_uring_prep_multishot_accept(sqe, w->lfd, NULL, NULL, 0);
	set_op(sqe, OP_ACCEPT, 0);
}

static void arm_recv(struct worker *w, uint32_t fd)
{
	struct io_uring_sqe *sqe = get_sqe(w);

	io_uring_prep_recv_multishot(sqe, (int)fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	set_op(sqe, OP_RECV, fd);
	w->conns[fd].flags |= C_RECV;
}

static void cancel_recv(struct worker *w, uint32_t fd)
{
	struct io_uring_sqe *sqe = get_sqe(w);

	/* The recv ends with -ECANCELED; this request's own CQE only on error. */
	io_uring_prep_cancel64(sqe, (uint64_t)OP_RECV << 32 | fd, 0);
	sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
	set_op(sqe, OP_CANCEL, fd);
}

/* Send the next reply, or the rest of a short one: one send in flight keeps them in order. */
static void send_next(struct worker *w, uint32_t fd)
{
	struct conn *c = &w->conns[fd];
	struct io_uring_sqe *sqe;
	const char *p;
	uint32_t len;

	if (c->flags & (C_SEND | C_DEAD))
		return;
	if (c->head >= 0) {
		p = w->bufs + (size_t)c->head * buf_size;
		len = w->meta[c->head].len;
	} else if (c->spill) {
		p = c->spill->data;
		len = c->spill->len;
	} else {
		return;
	}
	sqe = get_sqe(w);
	io_uring_prep_send(sqe, (int)fd, p + c->off, len - c->off, MSG_NOSIGNAL | MSG_WAITALL);
	set_op(sqe, OP_SEND, fd);
	c->flags |= C_SEND;
}

/* Give a buffer back to the ring; published once per batch. */
static void recycle(struct worker *w, int32_t bid)
{
	io_uring_buf_ring_add(w->br, w->bufs + (size_t)bid * buf_size, buf_size, (unsigned short)bid,
			      io_uring_buf_ring_mask(nbufs), w->br_added++);
	w->bufs_free++;
}

/* Copy a ring buffer's data to the end of the connection's spill. */
static void spill(struct worker *w, struct conn *c, int32_t bid)
{
	struct chunk *ch = malloc(sizeof(*ch) + w->meta[bid].len);

	if (!ch)
		die("spill", ENOMEM);
	ch->next = NULL;
	ch->len = w->meta[bid].len;
	memcpy(ch->data, w->bufs + (size_t)bid * buf_size, ch->len);
	if (c->spill_tail)
		c->spill_tail->next = ch;
	else
		c->spill = ch;
	c->spill_tail = ch;
	recycle(w, bid);
}

/*
 * Hand back every queued ring buffer but one a send still holds: to the
 * spill when the peer stalls (keep), to the ring on an error.
 */
static void unqueue(struct worker *w, struct conn *c, int keep)
{
	int32_t bid = c->head, held = -1;

	if (bid >= 0 && (c->flags & C_SEND)) {
		held = bid;
		bid = w->meta[bid].next;
		w->meta[held].next = -1;
	}
	c->head = c->tail = held;
	c->nqueued = held >= 0;
	while (bid >= 0) {
		int32_t next = w->meta[bid].next;

		if (keep)
			spill(w, c, bid);
		else
			recycle(w, bid);
		bid = next;
	}
}

/* Free the spill, but a chunk a send still reads. */
static void drop_spill(struct conn *c)
{
	struct chunk *ch = c->spill, *next;

	if (ch && c->head < 0 && (c->flags & C_SEND)) {
		ch = ch->next;
		c->spill->next = NULL;
		c->spill_tail = c->spill;
	} else {
		c->spill = c->spill_tail = NULL;
	}
	for (; ch; ch = next) {
		next = ch->next;
		free(ch);
	}
}

static void unpark(struct worker *w, uint32_t fd)
{
	for (unsigned int i = 0; i < w->nparked; i++)
		if (w->parked[i] == (int32_t)fd) {
			w->parked[i] = w->parked[--w->nparked];
			break;
		}
	w->conns[fd].flags &= ~C_PARKED;
}

/*
 * Keep the connection's recv armed while it should be, and close it when
 * nothing is left in flight after EOF or an error.
 */
static void settle(struct worker *w, uint32_t fd)
{
	struct conn *c = &w->conns[fd];
	struct io_uring_sqe *sqe;

	if (!(c->flags & (C_RECV | C_EOF | C_DEAD | C_PARKED | C_THROTTLED))) {
		arm_recv(w, fd);
		return;
	}
	if (!(c->flags & (C_EOF | C_DEAD)) || (c->flags & (C_RECV | C_SEND)) || c->head >= 0 || c->spill)
		return;
	if (c->flags & C_PARKED)
		unpark(w, fd);
	sqe = get_sqe(w);
	io_uring_prep_close(sqe, (int)fd);
	sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
	set_op(sqe, OP_CLOSE, fd);
	/* The fd is free once the close runs: nothing of it is in flight. */
	c->flags = 0;
}

static void fail(struct worker *w, uint32_t fd)
{
	struct conn *c = &w->conns[fd];

	if (!(c->flags & C_DEAD) && (c->flags & C_RECV))
		cancel_recv(w, fd);
	c->flags |= C_DEAD | C_EOF;
	unqueue(w, c, 0);
	drop_spill(c);
}

static void on_recv(struct worker *w, uint32_t fd, int res, uint32_t cflags)
{
	struct conn *c = &w->conns[fd];

	if (!(cflags & IORING_CQE_F_MORE))
		c->flags &= ~C_RECV;
	if (cflags & IORING_CQE_F_BUFFER) {
		int32_t bid = (int32_t)(cflags >> IORING_CQE_BUFFER_SHIFT);

		w->bufs_free--;
		if (res <= 0 || (c->flags & C_DEAD)) {
			recycle(w, bid);
		} else {
			w->meta[bid].len = (uint32_t)res;
			w->meta[bid].next = -1;
			if (c->spill) {
				spill(w, c, bid);
			} else {
				if (c->tail >= 0)
					w->meta[c->tail].next = bid;
				else
					c->head = bid;
				c->tail = bid;
				c->nqueued++;
			}
			send_next(w, fd);
			/*
			 * Replies pile up: the peer is not reading. Stop
			 * receiving for it, and copy what it holds out of the
			 * ring, so a stalled peer cannot starve the others
			 * of buffers.
			 */
			if (c->nqueued >= QUEUE_HIGH && !(c->flags & C_THROTTLED)) {
				c->flags |= C_THROTTLED;
				if (c->flags & C_RECV)
					cancel_recv(w, fd);
				unqueue(w, c, 1);
			}
		}
	}
	if (res == 0) {
		c->flags |= C_EOF;
	} else if (res == -ENOBUFS) {
		if (!(c->flags & (C_RECV | C_PARKED | C_EOF | C_DEAD))) {
			c->flags |= C_PARKED;
			w->parked[w->nparked++] = (int32_t)fd;
		}
	} else if (res == -EINVAL) {
		die("multishot recv with provided buffers (kernel 6.0 or later needed)", EINVAL);
	} else if (res < 0 && res != -ECANCELED) {
		fail(w, fd);
	}
	settle(w, fd);
}

static void on_send(struct worker *w, uint32_t fd, int res)
{
	struct conn *c = &w->conns[fd];
	int32_t bid = c->head;

	c->flags &= ~C_SEND;
	if (res > 0)
		c->off += (uint32_t)res;
	if (bid >= 0) {
		if (res <= 0 || c->off >= w->meta[bid].len || (c->flags & C_DEAD)) {
			c->head = w->meta[bid].next;
			if (c->head < 0)
				c->tail = -1;
			c->nqueued--;
			c->off = 0;
			recycle(w, bid);
		}
	} else {
		struct chunk *ch = c->spill;

		if (res <= 0 || c->off >= ch->len || (c->flags & C_DEAD)) {
			c->spill = ch->next;
			if (!c->spill)
				c->spill_tail = NULL;
			c->off = 0;
			free(ch);
		}
	}
	if (res <= 0)
		fail(w, fd);
	send_next(w, fd);
	if ((c->flags & C_THROTTLED) && !c->spill && c->nqueued <= QUEUE_LOW)
		c->flags &= ~C_THROTTLED;
	settle(w, fd);
}

static void on_accept(struct worker *w, int res, uint32_t cflags)
{
	if (res >= 0 && (unsigned int)res < max_fds) {
		struct conn *c = &w->conns[res];

		c->head = c->tail = -1;
		c->off = 0;
		c->nqueued = 0;
		c->flags = 0;
		c->spill = c->spill_tail = NULL;
		settle(w, (uint32_t)res);
	} else if (res == -EMFILE || res == -ENFILE) {
		if (!w->warned_full++)
			fprintf(stderr, "uring_echo: CPU %d: accept: %s\n", w->cpu, strerror(-res));
	} else if (res == -EINVAL || res == -EBADF || res == -EOPNOTSUPP) {
		die("multishot accept (kernel 5.19 or later needed)", -res);
	}
	if (!(cflags & IORING_CQE_F_MORE))
		arm_accept(w);
}

static void setup_ring(struct worker *w)
{
	struct io_uring_params p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
		  IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
	p.cq_entries = CQ_ENTRIES;
	ret = io_uring_queue_init_params(SQ_ENTRIES, &w->ring, &p);
	if (ret == -EINVAL) {
		if (!__atomic_exchange_n(&fallback_told, 1, __ATOMIC_RELAXED))
			fprintf(stderr, "uring_echo: the kernel refuses IORING_SETUP_SINGLE_ISSUER|DEFER_TASKRUN "
				"(6.1 or later needed); falling back to COOP_TASKRUN|TASKRUN_FLAG\n");
		memset(&p, 0, sizeof(p));
		p.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG |
			  IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
		p.cq_entries = CQ_ENTRIES;
		ret = io_uring_queue_init_params(SQ_ENTRIES, &w->ring, &p);
	}
	if (ret < 0)
		die("io_uring_queue_init_params", -ret);
	/* An optimization only: io_uring_enter by index instead of by fd. */
	io_uring_register_ring_fd(&w->ring);
	w->br = setup_buf_ring(&w->ring, nbufs, BGID, 0, &ret);
	if (!w->br)
		die("io_uring_setup_buf_ring (provided buffer rings: kernel 5.19 or later)", -ret);
	/* Faulted in now, not by the kernel's first copy into each buffer. */
	w->bufs = mmap(NULL, (size_t)nbufs * buf_size, PROT_READ | PROT_WRITE,
		       MAP_ANONYMOUS | MAP_PRIVATE | MAP_POPULATE, -1, 0);
	w->meta = calloc(nbufs, sizeof(*w->meta));
	w->conns = calloc(max_fds, sizeof(*w->conns));
	w->parked = calloc(max_fds, sizeof(*w->parked));
	if (w->bufs == MAP_FAILED || !w->meta || !w->conns || !w->parked)
		die("buffers", ENOMEM);
	for (unsigned int i = 0; i < nbufs; i++)
		recycle(w, (int32_t)i);
	io_uring_buf_ring_advance(w->br, w->br_added);
	w->br_added = 0;
}

static void *worker(void *arg)
{
	struct worker *w = calloc(1, sizeof(*w));
	struct io_uring_cqe *cqe;
	unsigned int head;
	int ret;

	if (!w)
		die("worker", ENOMEM);
	w->cpu = (int)(long)arg;
	if (w->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	w->lfd = make_listener();
	setup_ring(w);
	arm_accept(w);
	for (;;) {
		/* Publish the buffers returned in the last batch with one store,
		 * then give connections that ran dry a recv again. */
		if (w->br_added) {
			io_uring_buf_ring_advance(w->br, w->br_added);
			w->br_added = 0;
		}
		for (unsigned int budget = w->bufs_free; w->nparked && budget; budget--) {
			int32_t fd = w->parked[--w->nparked];

			w->conns[fd].flags &= ~C_PARKED;
			settle(w, (uint32_t)fd);
		}
		ret = io_uring_submit_and_wait(&w->ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY && ret != -ETIME)
			die("io_uring_submit_and_wait", -ret);
		io_uring_for_each_cqe(&w->ring, head, cqe) {
			uint32_t fd = (uint32_t)cqe->user_data;

			switch (cqe->user_data >> 32) {
			case OP_ACCEPT:
				on_accept(w, cqe->res, cqe->flags);
				break;
			case OP_RECV:
				on_recv(w, fd, cqe->res, cqe->flags);
				break;
			case OP_SEND:
				on_send(w, fd, cqe->res);
				break;
			default:	/* a failed close or cancel: nothing to undo */
				break;
			}
			w->seen++;
		}
		io_uring_cq_advance(&w->ring, w->seen);
		w->seen = 0;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *cpus = NULL, *addr = "0.0.0.0";
	int port = 0, ch, nthreads = 0, list[CPU_SETSIZE];
	unsigned int seconds = 0;
	pthread_t tid;

	while ((ch = getopt(argc, argv, "p:a:C:t:b:n:")) != -1) {
		switch (ch) {
		case 'p': port = atoi(optarg); break;
		case 'a': addr = optarg; break;
		case 'C': cpus = optarg; break;
		case 't': seconds = (unsigned int)atoi(optarg); break;
		case 'b': buf_size = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'n': nbufs = (unsigned int)strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: uring_echo -p PORT [-a ADDR] [-C CPULIST] [-t SECONDS] "
				"[-b BUFSIZE] [-n BUFFERS]\n");
			return 2;
		}
	}
	if (port < 1 || port > 65535 || inet_pton(AF_INET, addr, &listen_addr.sin_addr) != 1) {
		fprintf(stderr, "uring_echo: need -p PORT (1-65535) and an IPv4 -a ADDR\n");
		return 2;
	}
	if (buf_size < 1 || buf_size > (1U << 30) || nbufs < 1 || nbufs > 32768 ||
	    (nbufs & (nbufs - 1))) {
		fprintf(stderr, "uring_echo: need 1 <= BUFSIZE <= 1 GiB and BUFFERS a power of two up to 32768\n");
		return 2;
	}
	listen_addr.sin_port = htons(port);
	{
		struct rlimit rl = { 1 << 20, 1 << 20 };

		if (setrlimit(RLIMIT_NOFILE, &rl) && !getrlimit(RLIMIT_NOFILE, &rl)) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		/* No fd reaches RLIMIT_NOFILE: that many connection entries do. */
		if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < max_fds)
			max_fds = (unsigned int)rl.rlim_cur;
	}
	if (cpus) {
		char *copy = strdup(cpus), *tok, *save;

		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			int a, b;

			if (sscanf(tok, "%d-%d", &a, &b) != 2)
				b = a = atoi(tok);
			for (; a <= b && nthreads < CPU_SETSIZE; a++)
				list[nthreads++] = a;
		}
		free(copy);
	} else {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		for (nthreads = 0; nthreads < n && nthreads < CPU_SETSIZE; nthreads++)
			list[nthreads] = nthreads;
	}
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&tid, NULL, worker, (void *)(long)list[i]))
			return 1;
	if (seconds)
		sleep(seconds);
	else
		for (;;)
			pause();
	return 0;
}
