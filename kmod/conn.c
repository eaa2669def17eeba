// SPDX-License-Identifier: GPL-2.0
/*
 * Connections: socket callbacks, the receive/process/send cycle, timeouts.
 * A worker runs them only through each connection's event handler and the
 * hooks at the end of this file, and knows nothing else of them.
 *
 * The callbacks run in softirq on whatever CPU the packet landed on. They do
 * no work: they mark the connection queued (one atomic bit) and push it on
 * its owner's ready list. Everything else happens in the owner's thread.
 */
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "compat.h"
#include "conn.h"
#include "proto.h"
#include "source.h"
#include "trace.h"

/* Processing rounds before a busy connection yields to the others. */
#define FH_CONN_ROUNDS		8
#define FH_CONN_DEFAULT_HELD	(256 * 1024)
#define FH_POOL_MAX_CONNS	4096
#define FH_POOL_MAX_SEGS	16384
/*
 * What a connection may hold is charged in memory, not payload: each
 * segment costs the page it may pin beside its bytes (a NIC that gives each
 * packet a page of its own pins 4 KiB for a 1-byte packet), so a peer
 * trickling tiny packets and never reading reaches the limit after
 * max_held / FH_SEG_CHARGE segments, not max_held of them. Module-wide, the
 * bound is max_conns times that.
 */
#define FH_SEG_CHARGE		PAGE_SIZE
/* How long a lingering close waits for the peer's FIN (nginx: 5 s idle). */
#define FH_LINGER_MS		5000

static struct kmem_cache *fh_conn_cache;
static struct kmem_cache *fh_seg_cache;

static void fh_conn_handle(struct fh_worker *w, struct fh_event *ev);
static void fh_conn_resume_handle(struct fh_worker *w, struct fh_event *ev);
static void fh_conn_init(struct fh_conn *c, struct fh_worker *w,
			 struct fh_conn_src *src, struct socket *sock);
static void fh_conn_hook(struct fh_conn *c, struct sock *sk);
static void fh_conn_unhook(struct fh_conn *c, struct sock *sk);

static void fh_conn_queue(struct fh_conn *c)
{
	if (!test_and_set_bit(FH_EV_QUEUED, &c->ev.flags)) {
		refcount_inc(&c->ref);
		fh_worker_queue(c->w, &c->ev);
	}
}

/* data_ready and state_change: tell the owner. */
static void fh_conn_sk_event(struct sock *sk)
{
	struct fh_conn *c;

	read_lock_bh(&sk->sk_callback_lock);
	c = sk->sk_user_data;
	if (likely(c))
		fh_conn_queue(c);
	read_unlock_bh(&sk->sk_callback_lock);
}

/*
 * TCP calls write_space on every ACK that frees room while SOCK_NOSPACE is
 * set, and only the callback clears it. Queue the connection only once the
 * socket is writable again (as sk_stream_write_space() and nvmet-tcp do),
 * and clear the flag then: otherwise, after one full socket, every ACK for
 * the rest of the connection's life would cost an empty turn.
 */
static void fh_conn_sk_write_space(struct sock *sk)
{
	struct fh_conn *c;

	read_lock_bh(&sk->sk_callback_lock);
	c = sk->sk_user_data;
	if (likely(c) && sk_stream_is_writeable(sk)) {
		clear_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		fh_conn_queue(c);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

/* Progress was made: the end of this turn refreshes the connection's place. */
static void fh_conn_touch(struct fh_conn *c)
{
	c->progressed = true;
}

/* The list a connection without a deadline belongs to, by its state. */
static struct list_head *fh_conn_lru_home(const struct fh_conn *c)
{
	if (!fh_chain_empty(&c->out))
		return &c->w->sending;
	return c->proto->keeps_idle ? &c->w->kept : &c->w->quiet;
}

/* Once per turn: the newest at the tail of the list its state belongs to. */
static void fh_conn_requeue_lru(struct fh_conn *c)
{
	struct list_head *home;

	if (!c->progressed)
		return;
	c->progressed = false;
	c->last_active = jiffies;
	/* A deadline holds its place whatever moves. */
	if (c->timed)
		return;
	/* Already there (a deadline just cleared put it there). */
	home = fh_conn_lru_home(c);
	if (!list_is_last(&c->lru, home))
		list_move_tail(&c->lru, home);
}

/*
 * Into the timed list, kept in order of deadline. Deadlines of one kind
 * share one length, so the new one is nearly always last: the walk from
 * the tail ends at once.
 */
static void fh_conn_timed_insert(struct fh_conn *c)
{
	struct list_head *pos = &c->w->timed;
	struct fh_conn *o;

	list_for_each_entry_reverse(o, &c->w->timed, lru) {
		if (!time_after(o->deadline, c->deadline)) {
			pos = &o->lru;
			break;
		}
	}
	list_add(&c->lru, pos);
}

void fh_conn_set_deadline(struct fh_conn *c, unsigned int ms)
{
	unsigned long deadline;

	if (c->closed)
		return;
	if (!ms) {
		if (!c->timed)
			return;
		c->timed = false;
		c->last_active = jiffies;
		list_move_tail(&c->lru, fh_conn_lru_home(c));
		return;
	}
	deadline = jiffies + msecs_to_jiffies(ms);
	/*
	 * Pushed back while already the last to expire (an upstream read
	 * timeout restarted by each read): its place in the order holds.
	 */
	if (c->timed && list_is_last(&c->lru, &c->w->timed) &&
	    !time_before(deadline, c->deadline)) {
		c->deadline = deadline;
		return;
	}
	list_del(&c->lru);
	c->timed = true;
	c->deadline = deadline;
	fh_conn_timed_insert(c);
}

void fh_conn_close_after(struct fh_conn *c)
{
	c->close_after = true;
	fh_conn_set_deadline(c, 0);
}

void fh_conn_linger(struct fh_conn *c)
{
	c->linger = true;
}

void fh_conn_wake(struct fh_conn *c)
{
	if (c->closed)
		return;
	c->woken = true;
	fh_conn_queue(c);
}

void fh_conn_park(struct fh_conn *c)
{
	WARN_ON_ONCE(c->parked);
	refcount_inc(&c->ref);
	c->parked = true;
	fh_stat_inc(&c->w->stats, &c->w->stats.parked);
}

void fh_conn_resume(struct fh_conn *c)
{
	fh_worker_queue(c->w, &c->resume_ev);
}

/*
 * TCP keepalive with the settings of the moment, so that a peer that
 * vanished without a FIN is found even with the idle timeout off: TCP
 * drops the connection with ETIMEDOUT when the probes go unanswered, and
 * fh_conn_process() closes it as a socket error. The netlink policy keeps
 * every value within TCP's limits, so the setters cannot fail.
 */
static void fh_sock_keepalive(struct sock *sk, unsigned int idle)
{
	if (!idle) {
		lock_sock(sk);
		sock_reset_flag(sk, SOCK_KEEPOPEN);
		inet_csk_delete_keepalive_timer(sk);
		release_sock(sk);
		return;
	}
	tcp_sock_set_keepidle(sk, idle);
	tcp_sock_set_keepintvl(sk, READ_ONCE(fh_settings.keepalive_intvl_s));
	tcp_sock_set_keepcnt(sk, READ_ONCE(fh_settings.keepalive_cnt));
	sock_set_keepalive(sk);
}

/* SO_OOBINLINE, which the kernel has no setter for. */
static void fh_sock_urg_inline(struct sock *sk)
{
	lock_sock(sk);
	sock_set_flag(sk, SOCK_URGINLINE);
	release_sock(sk);
}

/*
 * What every connection gets, set once on the listening socket: an
 * accepted socket is a clone of it and inherits all of it (TCP even
 * starts the clone's keepalive timer), so accepting costs no socket lock.
 * Urgent data stays in the stream: see fh_conn_urg_inline().
 */
void fh_sock_listen_opts(struct sock *sk)
{
	tcp_sock_set_nodelay(sk);
	fh_sock_urg_inline(sk);
	fh_sock_keepalive(sk, READ_ONCE(fh_settings.keepalive_s));
}

/*
 * An accepted socket has its listener's options; only keepalive settings
 * changed since the listener was made need setting again (an unlocked
 * look: nothing else knows the socket yet).
 */
static void fh_conn_sock_opts(struct sock *sk)
{
	unsigned int idle = READ_ONCE(fh_settings.keepalive_s);
	const struct tcp_sock *tp = tcp_sk(sk);

	if (!(tp->nonagle & TCP_NAGLE_OFF))
		tcp_sock_set_nodelay(sk);
	if (!sock_flag(sk, SOCK_URGINLINE))
		fh_sock_urg_inline(sk);
	if (!idle) {
		if (sock_flag(sk, SOCK_KEEPOPEN))
			fh_sock_keepalive(sk, 0);
		return;
	}
	if (!sock_flag(sk, SOCK_KEEPOPEN) || tp->keepalive_time != idle * HZ ||
	    tp->keepalive_intvl != READ_ONCE(fh_settings.keepalive_intvl_s) * HZ ||
	    tp->keepalive_probes != READ_ONCE(fh_settings.keepalive_cnt))
		fh_sock_keepalive(sk, idle);
}

/*
 * A new connection on @sock, owned by @w. The caller holds a reference on
 * @src for it, and has counted it in @source (if not NULL) and in
 * src->limited (if set); on success the connection keeps all three.
 */
int fh_conn_create(struct fh_worker *w, struct fh_conn_src *src,
		   struct socket *sock, struct fh_source *source)
{
	struct sock *sk = sock->sk;
	struct fh_conn *c;
	int ret;

	c = fh_pool_alloc(&w->conn_pool, GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	/* on_accept may set a deadline, which moves lru to the timed list. */
	fh_conn_init(c, w, src, sock);
	c->source = source;

	if (c->proto->on_accept) {
		ret = c->proto->on_accept(c);
		if (ret) {
			/* It may have queued output before it failed. */
			fh_chain_purge(&c->out, &w->seg_pool);
			list_del(&c->lru);
			fh_pool_free(&w->conn_pool, c);
			return ret;
		}
	}

	fh_conn_sock_opts(sk);
	if (!c->timed)
		list_add_tail(&c->lru, fh_conn_lru_home(c));
	fh_stat_inc(&w->stats, &w->stats.accepted);
	fh_stat_inc(&w->stats, &w->stats.active);
	fh_stat_inc(src, &src->accepted);
	fh_stat_inc(src, &src->active);
	(*src->net_conns)++;
	fh_conn_hook(c, sk);

	trace_fh_accept(sk);
	/* Data that came with the handshake raised no callback of ours. */
	fh_conn_queue(c);
	return 0;
}

void fh_conn_get(struct fh_conn *c)
{
	refcount_inc(&c->ref);
}

void fh_conn_put(struct fh_conn *c)
{
	struct fh_conn_src *src;

	if (!refcount_dec_and_test(&c->ref))
		return;
	src = c->src;
	fh_pool_free(&c->w->conn_pool, c);
	src->put(src);
}

static void fh_conn_close(struct fh_conn *c, enum fh_close_reason why)
{
	struct fh_worker *w = c->w;
	struct sock *sk;

	/* Closed already: c->sock is gone. */
	if (c->closed)
		return;
	sk = c->sock->sk;
	c->closed = true;
	list_del(&c->lru);
	trace_fh_close(sk, why);

	/* After this no callback can see c; the queued event keeps its ref. */
	fh_conn_unhook(c, sk);

	if (c->proto->on_close)
		c->proto->on_close(c);
	fh_chain_purge(&c->in, &w->seg_pool);
	fh_chain_purge(&c->out, &w->seg_pool);
	/* What is in flight, and the FIN, are resent until acknowledged. */
	fh_sk_hold_net(sk);
	sock_release(c->sock);
	c->sock = NULL;

	fh_stat_dec(c->src, &c->src->active);
	(*c->src->net_conns)--;
	if (!c->outbound) {
		fh_stat_dec(&w->stats, &w->stats.active);
		fh_stat_inc(&w->stats, &w->stats.closed);
		if (c->src->limited)
			atomic_dec(c->src->limited);
		if (c->source)
			fh_source_put(c->source);
		atomic_dec(&fh_nr_conns);
	}
	fh_conn_put(c);
}

/* A protocol or the socket failed @c with @err: counted, and closed. */
static void fh_conn_fail(struct fh_conn *c, int err)
{
	c->err = err;
	fh_stat_inc(&c->w->stats, &c->w->stats.errors);
	fh_conn_close(c, FH_CLOSE_ERROR);
}

/* Close @c at once, from outside its turn (a protocol's pool of idle ones). */
void fh_conn_close_now(struct fh_conn *c)
{
	fh_conn_close(c, FH_CLOSE_SHUTDOWN);
}

/* Its callbacks: from here on the owner hears of the socket. */
static void fh_conn_hook(struct fh_conn *c, struct sock *sk)
{
	write_lock_bh(&sk->sk_callback_lock);
	c->saved_data_ready = sk->sk_data_ready;
	c->saved_write_space = sk->sk_write_space;
	c->saved_state_change = sk->sk_state_change;
	sk->sk_user_data = c;
	sk->sk_data_ready = fh_conn_sk_event;
	sk->sk_write_space = fh_conn_sk_write_space;
	sk->sk_state_change = fh_conn_sk_event;
	write_unlock_bh(&sk->sk_callback_lock);
}

/* The kernel's callbacks back, as fh_conn_hook() found them. */
static void fh_conn_unhook(struct fh_conn *c, struct sock *sk)
{
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	sk->sk_data_ready = c->saved_data_ready;
	sk->sk_write_space = c->saved_write_space;
	sk->sk_state_change = c->saved_state_change;
	write_unlock_bh(&sk->sk_callback_lock);
}

static void fh_conn_init(struct fh_conn *c, struct fh_worker *w,
			 struct fh_conn_src *src, struct socket *sock)
{
	memset(c, 0, sizeof(*c));
	c->ev.handle = fh_conn_handle;
	c->resume_ev.handle = fh_conn_resume_handle;
	refcount_set(&c->ref, 1);
	c->w = w;
	c->sock = sock;
	c->src = src;
	c->proto = src->proto;
	fh_chain_init(&c->in);
	fh_chain_init(&c->out);
	INIT_LIST_HEAD(&c->lru);
	c->last_active = jiffies;
}

struct fh_conn *fh_conn_connect(struct fh_worker *w, struct fh_conn_src *src,
				struct net *net, const struct sockaddr *addr,
				int addrlen)
{
	struct socket *sock;
	struct fh_conn *c;
	int ret;

	ret = sock_create_kern(net, addr->sa_family, SOCK_STREAM, IPPROTO_TCP,
			       &sock);
	if (ret)
		return ERR_PTR(ret);
	c = fh_pool_alloc(&w->conn_pool, GFP_KERNEL);
	if (!c) {
		sock_release(sock);
		return ERR_PTR(-ENOMEM);
	}
	fh_conn_init(c, w, src, sock);
	c->outbound = true;
	tcp_sock_set_nodelay(sock->sk);
	if (c->proto->notsent_lowat)
		WRITE_ONCE(tcp_sk(sock->sk)->notsent_lowat,
			   c->proto->notsent_lowat);
	fh_conn_hook(c, sock->sk);
	ret = kernel_connect(sock, (struct sockaddr *)addr, addrlen, O_NONBLOCK);
	if (ret && ret != -EINPROGRESS) {
		fh_conn_unhook(c, sock->sk);
		sock_release(sock);
		fh_pool_free(&w->conn_pool, c);
		return ERR_PTR(ret);
	}
	list_add_tail(&c->lru, &w->quiet);
	fh_stat_inc(src, &src->active);
	(*src->net_conns)++;
	fh_conn_get(c);			/* the caller's */
	fh_conn_queue(c);
	return c;
}

static int fh_recv_actor(read_descriptor_t *desc, struct sk_buff *skb,
			 unsigned int offset, size_t len)
{
	struct fh_conn *c = desc->arg.data;
	struct fh_pool *segs = &c->w->seg_pool;
	unsigned int nsegs = c->in.nsegs;
	struct sk_buff *clone;
	size_t take = min(len, desc->count), cost;
	int ret;

	if (!take)
		return 0;
	/*
	 * Payload in page fragments is kept by page reference: no skb to
	 * allocate. Anything else is kept as a clone, since tcp_read_sock
	 * frees skb on return whatever its refcount.
	 */
	ret = fh_chain_append_frags(&c->in, segs, skb, offset, take);
	if (ret == -EAGAIN) {
		clone = skb_clone(skb, GFP_KERNEL);
		ret = clone ? fh_chain_append_skb(&c->in, segs, clone, offset,
						  take) : -ENOMEM;
	}
	if (ret) {
		desc->error = ret;
		return 0;
	}
	/* desc->count is in charge units: bytes plus each new segment's. */
	cost = take + (size_t)(c->in.nsegs - nsegs) * FH_SEG_CHARGE;
	desc->count -= min(cost, desc->count);
	return take;
}

/*
 * tcp_read_sock() stops short of urgent data and never moves past it: one
 * MSG_OOB byte would wedge the connection, and each later packet would cost
 * an empty turn. Connections take urgent data inline, as SO_OOBINLINE does
 * (SOCK_URGINLINE also keeps TCP from skipping an urgent byte we have not
 * read when the next urgent pointer arrives). When the read has reached the
 * urgent byte, drop the mark as tcp_recvmsg() does once it reads past it,
 * and the byte is read in its place in the stream. Socket locked.
 */
static void fh_conn_urg_inline(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (likely(!READ_ONCE(tp->urg_data)) || tp->urg_seq != tp->copied_seq)
		return;
	if (tp->urg_data & TCP_URG_VALID) {
		WRITE_ONCE(tp->urg_data, 0);
		tcp_fast_path_check(sk);
	}
}

/* What the connection's chains cost, in charge units (FH_SEG_CHARGE). */
static size_t fh_conn_held(const struct fh_conn *c)
{
	size_t held = c->in.len + (size_t)c->in.nsegs * FH_SEG_CHARGE;

	if (!c->proto->out_uncharged)
		held += c->out.len + (size_t)c->out.nsegs * FH_SEG_CHARGE;
	return held;
}

/* A chain whose segments are mostly charge: copying would shed them. */
static bool fh_chain_sparse(const struct fh_chain *ch)
{
	return ch->nsegs > ch->len / PAGE_SIZE + 2;
}

/*
 * The connection is at its limit. If tiny segments, not bytes, put it
 * there, copy its chains into whole pages of its own (a few bytes copied
 * beat a descriptor and a pinned page each), so a protocol that waits for
 * a whole message in c->in still gets it from a trickling peer. Without
 * memory for the copy, the connection just stays at its limit for now.
 */
static void fh_conn_compact(struct fh_conn *c)
{
	struct fh_worker *w = c->w;
	long n;

	if (fh_chain_sparse(&c->in)) {
		n = fh_chain_compact(&c->in, &w->seg_pool, GFP_NOWAIT | __GFP_NOWARN);
		if (n > 0)
			fh_stat_add(&w->stats, &w->stats.compacted, n);
	}
	if (!c->proto->out_uncharged && fh_chain_sparse(&c->out)) {
		n = fh_chain_compact(&c->out, &w->seg_pool, GFP_NOWAIT | __GFP_NOWARN);
		if (n > 0)
			fh_stat_add(&w->stats, &w->stats.compacted, n);
	}
}

/*
 * Read only what the protocol can hold: the rest waits in the socket,
 * where TCP accounts for it (and collapses tiny packets itself).
 * Called with the socket locked.
 */
static int fh_conn_read(struct fh_conn *c)
{
	size_t held = fh_conn_held(c), max = c->proto->max_held;
	struct sock *sk = c->sock->sk;
	read_descriptor_t desc;
	int n;

	if (!max)
		max = FH_CONN_DEFAULT_HELD;
	if (skb_queue_empty_lockless(&sk->sk_receive_queue))
		return 0;
	/* Something waits already that the protocol cannot take yet. */
	if (c->in.len && !c->close_after &&
	    (c->parked || (c->proto->input_paused && c->proto->input_paused(c))))
		return 0;
	if (held >= max) {
		fh_conn_compact(c);
		held = fh_conn_held(c);
		if (held >= max)
			return 0;
	}
	fh_conn_urg_inline(sk);
	desc.arg.data = c;
	desc.count = max - held;
	desc.error = 0;
	desc.written = 0;
	n = tcp_read_sock(sk, &desc, fh_recv_actor);
	if (desc.error)
		return desc.error;
	if (n > 0) {
		fh_stat_add(&c->w->stats, &c->w->stats.bytes_in, n);
		fh_conn_touch(c);
	}
	return n;
}

/* Called with the socket locked. */
static int fh_conn_flush(struct fh_conn *c)
{
	struct fh_send_stats st = { };
	struct fh_worker *w = c->w;
	int ret;

	if (fh_chain_empty(&c->out))
		return 0;
	/*
	 * The last answer: fh_conn_process() closes or shuts down once it is
	 * all queued (nothing parked can add to it), so its FIN joins it.
	 */
	ret = fh_chain_send(&c->out, &w->seg_pool, c->sock,
			    c->close_after && !c->parked && !c->wr_shut, &st);
	if (st.zerocopy + st.copied) {
		fh_stat_add(&w->stats, &w->stats.zerocopy, st.zerocopy);
		fh_stat_add(&w->stats, &w->stats.copied, st.copied);
		fh_stat_add(&w->stats, &w->stats.bytes_out, st.zerocopy + st.copied);
		fh_conn_touch(c);
	}
	if (!ret && c->proto->on_writable)
		ret = c->proto->on_writable(c);
	return ret;
}

/*
 * The rounds of one turn, under one hold of the socket lock: send what is
 * pending, read, process, send. One hold, not one to read and one to send,
 * halves the window in which softirq delivery to this socket has to queue
 * behind us. Packets that arrive meanwhile wait in the backlog; release_sock
 * processes them and their data_ready queues the connection again.
 */
static int fh_conn_rounds(struct fh_conn *c, bool *again)
{
	struct sock *sk = c->sock->sk;
	int round, ret, n;

	for (round = 0; round < FH_CONN_ROUNDS; round++) {
		ret = fh_conn_flush(c);
		if (ret == -EAGAIN)
			return 0;	/* write_space brings us back */
		if (ret)
			return ret;
		/*
		 * The peer has half-closed: nothing more to read, but what
		 * on_writable just queued (a body's next window) goes now, not
		 * after a write_space that may never come.
		 */
		if (c->rd_eof) {
			if (!fh_chain_empty(&c->out))
				continue;
			return 0;
		}
		n = fh_conn_read(c);
		if (n < 0)
			return n;
		if (n > 0 && c->close_after) {
			/* The last answer is queued: nothing more is read. */
			fh_chain_purge(&c->in, &c->w->seg_pool);
			c->linger = true;
			continue;
		}
		if (n > 0 && c->parked)
			continue;	/* on_resume takes it from here */
		if (n > 0) {
			size_t in = c->in.len;

			ret = c->proto->on_data(c);
			if (ret)
				return ret;
			if (!c->proto->counts_requests) {
				fh_stat_inc(&c->w->stats, &c->w->stats.requests);
				trace_fh_request(sk, in, c->out.len, 0, "", 0);
			}
			continue;
		}
		/* on_writable's output: send it this turn, nothing else will. */
		if (!fh_chain_empty(&c->out))
			continue;
		if (!(READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) ||
		    !skb_queue_empty_lockless(&sk->sk_receive_queue))
			return 0;
		c->rd_eof = true;
	}
	*again = true;
	return 0;
}

/* One turn for a connection. */
static void fh_conn_process(struct fh_conn *c)
{
	bool again = false;
	struct sock *sk;
	int ret;

	if (c->closed)
		return;
	sk = c->sock->sk;

	if (c->woken) {
		c->woken = false;
		ret = c->proto->on_wake ? c->proto->on_wake(c) : 0;
		if (ret) {
			fh_conn_fail(c, ret);
			return;
		}
		fh_conn_touch(c);
	}

	/* A wakeup with nothing to send or read costs no lock. */
	if (!fh_chain_empty(&c->out) ||
	    !skb_queue_empty_lockless(&sk->sk_receive_queue) ||
	    (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN)) {
		lock_sock(sk);
		ret = fh_conn_rounds(c, &again);
		release_sock(sk);
		if (ret) {
			fh_conn_fail(c, ret);
			return;
		}
	}

	if (READ_ONCE(sk->sk_err) || sk->sk_state == TCP_CLOSE) {
		/*
		 * Closed with no error: a lingering close saw the peer's FIN
		 * after ours (TCP moved on to TIME_WAIT), the end it waits for.
		 */
		if (!READ_ONCE(sk->sk_err) && c->wr_shut) {
			fh_conn_close(c, FH_CLOSE_EOF);
			return;
		}
		fh_conn_fail(c, -READ_ONCE(sk->sk_err) ?: -EPIPE);
		return;
	}
	/*
	 * The peer is done and has everything we owed it (a parked request
	 * still owes it an answer).
	 */
	if (c->rd_eof && fh_chain_empty(&c->out) && !c->parked) {
		fh_conn_close(c, FH_CLOSE_EOF);
		return;
	}
	/*
	 * The last answer is queued to TCP. With nothing unread and nothing
	 * more expected, close: TCP sends the FIN after the data and, the
	 * netns held, retransmits until acknowledged. Otherwise FIN, then
	 * wait for the peer's (linger).
	 */
	if (c->close_after && !c->wr_shut && fh_chain_empty(&c->out) &&
	    !c->parked) {
		if (!c->linger && fh_chain_empty(&c->in) &&
		    skb_queue_empty_lockless(&sk->sk_receive_queue)) {
			fh_conn_close(c, FH_CLOSE_EOF);
			return;
		}
		c->wr_shut = true;
		kernel_sock_shutdown(c->sock, SHUT_WR);
		fh_conn_set_deadline(c, FH_LINGER_MS);
	}
	fh_conn_requeue_lru(c);
	if (again)
		fh_conn_queue(c);
}

/* The worker's call for a queued connection; drops the event's reference. */
static void fh_conn_handle(struct fh_worker *w, struct fh_event *ev)
{
	struct fh_conn *c = container_of(ev, struct fh_conn, ev);

	fh_conn_process(c);
	fh_conn_put(c);
}

/*
 * Another stage is done with a parked request: the protocol takes its
 * result (or only frees it, if the connection closed meanwhile), and the
 * connection gets a turn to send it. Drops the park's reference.
 */
static void fh_conn_resume_handle(struct fh_worker *w, struct fh_event *ev)
{
	struct fh_conn *c = container_of(ev, struct fh_conn, resume_ev);
	int ret;

	c->parked = false;
	ret = c->proto->on_resume(c);
	if (!c->closed) {
		if (ret) {
			fh_conn_fail(c, ret);
		} else {
			fh_conn_touch(c);
			fh_conn_process(c);
		}
	}
	fh_conn_put(c);
}

static void fh_conn_close_list(struct list_head *list, struct net *net)
{
	struct fh_conn *c, *tmp;

	list_for_each_entry_safe(c, tmp, list, lru)
		if (!net || net_eq(sock_net(c->sock->sk), net))
			fh_conn_close(c, FH_CLOSE_SHUTDOWN);
}

/* Close @w's connections in @net (NULL: all of them). */
static void fh_conn_close_all(struct fh_worker *w, struct net *net)
{
	fh_conn_close_list(&w->quiet, net);
	fh_conn_close_list(&w->sending, net);
	fh_conn_close_list(&w->kept, net);
	fh_conn_close_list(&w->timed, net);
}

static void fh_conn_close_net_fn(struct fh_worker *w, void *net)
{
	fh_conn_close_all(w, net);
}

/*
 * Every worker with connections in @net, which is going away, closes them;
 * @conns counts each worker's (struct fh_conn_src). No new ones can come:
 * the caller has closed @net's listening sockets through their owners, so
 * each count read here is one its worker wrote before that call returned.
 */
void fh_conns_close_net(struct net *net, unsigned int __percpu *conns)
{
	struct fh_worker *w;
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		w = fh_worker_of(cpu);
		if (w && READ_ONCE(*per_cpu_ptr(conns, cpu)))
			fh_worker_call(w, fh_conn_close_net_fn, net);
	}
}

/*
 * Close the connections of @list idle past @timeout (in jiffies, 0: off).
 * The list is in order of last activity, so the walk ends at the first one
 * not yet due. Returns when that one will be due (0: never).
 */
static unsigned long fh_conn_expire_list(struct fh_worker *w,
					 struct list_head *list,
					 unsigned long timeout)
{
	unsigned long now = jiffies;
	struct fh_conn *c, *tmp;

	if (!timeout)
		return 0;
	list_for_each_entry_safe(c, tmp, list, lru) {
		if (time_before(now, c->last_active + timeout))
			return c->last_active + timeout;
		fh_stat_inc(&w->stats, &w->stats.timeouts);
		fh_conn_close(c, FH_CLOSE_TIMEOUT);
	}
	return 0;
}

/*
 * Deadlines that passed: the protocol may queue a last answer (http: 408),
 * which then goes out under the send timeout; a lingering close just ends.
 */
static unsigned long fh_conn_expire_timed(struct fh_worker *w)
{
	unsigned long now = jiffies;
	struct fh_conn *c, *tmp;

	list_for_each_entry_safe(c, tmp, &w->timed, lru) {
		if (time_before(now, c->deadline))
			return c->deadline;
		fh_stat_inc(&w->stats, &w->stats.timeouts);
		fh_conn_set_deadline(c, 0);
		if (!c->wr_shut && c->proto->on_timeout &&
		    !c->proto->on_timeout(c)) {
			fh_conn_queue(c);
			continue;
		}
		fh_conn_close(c, FH_CLOSE_TIMEOUT);
	}
	return 0;
}

/* The sooner of two times to look again (0: never). */
static unsigned long fh_conn_sooner(unsigned long a, unsigned long b)
{
	if (!a || !b)
		return a ?: b;
	return time_before(a, b) ? a : b;
}

/* Apply the timeouts, and the protocols' upkeep; returns when to look again (0: never). */
static unsigned long fh_conn_expire(struct fh_worker *w)
{
	unsigned long idle = msecs_to_jiffies(READ_ONCE(fh_settings.idle_timeout_ms));
	unsigned long send = msecs_to_jiffies(READ_ONCE(fh_settings.send_timeout_ms));
	unsigned long a, b;

	a = fh_conn_expire_list(w, &w->quiet, idle);
	b = fh_conn_expire_list(w, &w->sending, send);
	a = fh_conn_sooner(a, b);
	b = fh_conn_sooner(fh_conn_expire_timed(w), fh_protos_worker_tick());
	return fh_conn_sooner(a, b);
}

static void fh_conn_worker_init(struct fh_worker *w)
{
	INIT_LIST_HEAD(&w->quiet);
	INIT_LIST_HEAD(&w->sending);
	INIT_LIST_HEAD(&w->kept);
	INIT_LIST_HEAD(&w->timed);
	fh_pool_init(&w->conn_pool, fh_conn_cache, FH_POOL_MAX_CONNS,
		     &w->stats.conn_pool);
	fh_pool_init(&w->seg_pool, fh_seg_cache, FH_POOL_MAX_SEGS,
		     &w->stats.seg_pool);
}

static void fh_conn_worker_stop(struct fh_worker *w)
{
	fh_conn_close_all(w, NULL);
}

const struct fh_worker_hooks fh_conn_hooks = {
	.init = fh_conn_worker_init,
	.expire = fh_conn_expire,
	.stop = fh_conn_worker_stop,
};

/* The caches must outlive the workers, whose lookaside lists drain into them. */
int fh_conns_init(void)
{
	fh_conn_cache = KMEM_CACHE(fh_conn, SLAB_HWCACHE_ALIGN);
	fh_seg_cache = KMEM_CACHE(fh_seg, 0);
	if (!fh_conn_cache || !fh_seg_cache) {
		fh_conns_exit();
		return -ENOMEM;
	}
	return 0;
}

void fh_conns_exit(void)
{
	kmem_cache_destroy(fh_seg_cache);
	kmem_cache_destroy(fh_conn_cache);
}
