// SPDX-License-Identifier: GPL-2.0
/*
 * Listeners: for each, one SO_REUSEPORT listening socket per selected CPU,
 * owned by that CPU's worker, so the kernel spreads new connections across
 * workers and no accept lock exists. Listeners live in the network namespace
 * of whoever added them and are closed when it goes away.
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/slab.h>
#include <net/netns/generic.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "conn.h"
#include "fh.h"
#include "listener.h"
#include "source.h"
#include "worker.h"

#define FH_ACCEPT_BATCH	64
#define FH_BACKLOG	4096

/* Serializes configuration; never taken on the request path. */
static DEFINE_MUTEX(fh_cfg_mutex);
static unsigned int fh_listener_net_id __read_mostly;

/*
 * Per namespace. @conns, each worker's count of its connections here, is
 * allocated with the namespace's first listener: a namespace firehose never
 * served (any unprivileged "unshare -rn") costs nothing when it goes.
 */
struct fh_listener_net {
	struct list_head listeners;
	unsigned int __percpu *conns;
};

/*
 * The last reference: the listener is closed and no connection made from
 * it is left (each holds one through its source), so nothing can reach
 * the site any more. Process context (a worker or the control plane).
 */
static void fh_listener_release(struct kref *ref)
{
	struct fh_listener *l = container_of(ref, struct fh_listener, ref);

	if (l->site)
		l->proto->site_destroy(l->site);
	kfree(l);
}

static void fh_listener_put(struct fh_listener *l)
{
	kref_put(&l->ref, fh_listener_release);
}

/* A connection from @src was freed: it held a reference on the listener. */
static void fh_lsock_src_put(struct fh_conn_src *src)
{
	fh_listener_put(container_of(src, struct fh_lsock, src)->l);
}

static void fh_lsock_queue(struct fh_lsock *ls)
{
	if (!test_and_set_bit(FH_EV_QUEUED, &ls->ev.flags)) {
		kref_get(&ls->l->ref);
		fh_worker_queue(ls->w, &ls->ev);
	}
}

static void fh_lsock_data_ready(struct sock *sk)
{
	struct fh_lsock *ls;

	/*
	 * Children inherit this callback (and a copy of sk_user_data) until
	 * their worker takes them (fh_lsock_disown()); their data is picked
	 * up then.
	 */
	if (sk->sk_state != TCP_LISTEN)
		return;
	read_lock_bh(&sk->sk_callback_lock);
	ls = sk->sk_user_data;
	if (likely(ls))
		fh_lsock_queue(ls);
	read_unlock_bh(&sk->sk_callback_lock);
}

/*
 * A child was cloned with the listener's callback and a copy of its
 * sk_user_data. Give it the kernel's own before anything else sees it: a
 * closed connection restores what it found, and an orphaned socket that
 * outlives the module (FIN_WAIT, a lingering close) must never call into
 * it, nor see a listener that is gone.
 */
static void fh_lsock_disown(struct fh_lsock *ls, struct sock *sk)
{
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	sk->sk_data_ready = ls->saved_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
}

/* Give back what fh_lsock_admit() counted, for a connection not made. */
static void fh_lsock_unadmit(struct fh_lsock *ls, struct fh_source *source)
{
	if (source)
		fh_source_put(source);
	if (ls->src.limited)
		atomic_dec(ls->src.limited);
	atomic_dec(&fh_nr_conns);
}

/*
 * Count a new connection against the module-wide limit, its listener's and
 * its peer's, in that order; over any of them it is closed at once (a
 * reset, as for a full backlog) and counted by reason. Fair admission: one
 * host cannot take every slot when max-connections-per-source is set.
 */
static bool fh_lsock_admit(struct fh_lsock *ls, struct socket *sock,
			   struct fh_source **source)
{
	unsigned int cap = READ_ONCE(fh_settings.max_conns_per_source);
	struct fh_stats *st = &ls->w->stats;

	*source = NULL;
	if (atomic_inc_return(&fh_nr_conns) > READ_ONCE(fh_settings.max_conns)) {
		atomic_dec(&fh_nr_conns);
		goto refuse;
	}
	if (ls->src.limited &&
	    atomic_inc_return(ls->src.limited) > ls->l->max_conns) {
		atomic_dec(ls->src.limited);
		atomic_dec(&fh_nr_conns);
		fh_stat_inc(st, &st->refused_listener);
		goto refuse;
	}
	if (cap) {
		*source = fh_source_get(sock->sk, cap,
					READ_ONCE(fh_settings.source_prefix6));
		if (!*source) {
			if (ls->src.limited)
				atomic_dec(ls->src.limited);
			atomic_dec(&fh_nr_conns);
			fh_stat_inc(st, &st->refused_source);
			goto refuse;
		}
	}
	return true;
refuse:
	fh_stat_inc(st, &st->refused);
	sock_release(sock);
	return false;
}

/* Worker context: take what the accept queue holds, a batch at a time. */
static void fh_lsock_accept(struct fh_lsock *ls)
{
	struct fh_worker *w = ls->w;
	struct fh_source *source;
	struct socket *sock;
	int i, ret;

	if (!ls->sock)
		return;		/* closed while the event was queued */
	for (i = 0; i < FH_ACCEPT_BATCH; i++) {
		ret = kernel_accept(ls->sock, &sock, O_NONBLOCK);
		if (ret == -EAGAIN)
			return;
		if (ret) {
			/*
			 * Not EAGAIN (no memory for the new socket, most
			 * likely): the connections behind it raise no new
			 * data_ready, so returning here would strand them
			 * until the next one arrives. Count it and retry
			 * after the other events, as for a full batch.
			 */
			fh_stat_inc(&w->stats, &w->stats.errors);
			break;
		}
		fh_lsock_disown(ls, sock->sk);
		if (!fh_lsock_admit(ls, sock, &source))
			continue;
		kref_get(&ls->l->ref);	/* the connection's, if it is made */
		if (fh_conn_create(w, &ls->src, sock, source)) {
			fh_listener_put(ls->l);
			fh_lsock_unadmit(ls, source);
			fh_stat_inc(&w->stats, &w->stats.errors);
			sock_release(sock);
		}
	}
	fh_lsock_queue(ls);	/* more may wait: let the others run first */
}

/* The worker's call for a queued listening socket. */
static void fh_lsock_handle(struct fh_worker *w, struct fh_event *ev)
{
	struct fh_lsock *ls = container_of(ev, struct fh_lsock, ev);
	struct fh_listener *l = ls->l;

	fh_lsock_accept(ls);
	fh_listener_put(l);
}

static void fh_lsock_release_fn(struct fh_worker *w, void *arg)
{
	struct fh_lsock *ls = arg;

	sock_release(ls->sock);
	ls->sock = NULL;
}

static void fh_lsock_stop(struct fh_lsock *ls)
{
	struct sock *sk = ls->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	sk->sk_data_ready = ls->saved_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	/* The owner may be inside kernel_accept on it: let the owner close it. */
	fh_worker_call(ls->w, fh_lsock_release_fn, ls);
}

static int fh_lsock_open(struct fh_lsock *ls, struct fh_listener *l,
			 struct netlink_ext_ack *extack)
{
	struct socket *sock;
	int ret;

	ret = sock_create_kern(l->net, l->addr.ss_family, SOCK_STREAM,
			       IPPROTO_TCP, &sock);
	if (ret) {
		NL_SET_ERR_MSG(extack, "cannot create a TCP socket");
		return ret;
	}
	sock_set_reuseaddr(sock->sk);
	sock_set_reuseport(sock->sk);
	fh_sock_listen_opts(sock->sk);
	if (l->proto->client_first) {
		int secs = 1;

		/* Cannot fail: TCP takes any value for it. */
		sock->ops->setsockopt(sock, SOL_TCP, TCP_DEFER_ACCEPT,
				      KERNEL_SOCKPTR(&secs), sizeof(secs));
	}
	/* Accepted sockets are copies of this one and inherit it. */
	if (l->proto->notsent_lowat)
		WRITE_ONCE(tcp_sk(sock->sk)->notsent_lowat,
			   l->proto->notsent_lowat);
	ret = kernel_bind(sock, (struct sockaddr *)&l->addr, l->addrlen);
	if (ret) {
		if (ret == -EADDRINUSE)
			NL_SET_ERR_MSG(extack, "address already in use");
		else if (ret == -EADDRNOTAVAIL)
			NL_SET_ERR_MSG(extack, "address is not local to this namespace");
		else
			NL_SET_ERR_MSG(extack, "cannot bind the address");
		goto err;
	}
	ret = kernel_listen(sock, FH_BACKLOG);
	if (ret) {
		NL_SET_ERR_MSG(extack, "cannot listen on the address");
		goto err;
	}
	ls->sock = sock;
	return 0;
err:
	sock_release(sock);
	return ret;
}

static void fh_lsock_start(struct fh_lsock *ls)
{
	struct sock *sk = ls->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	ls->saved_data_ready = sk->sk_data_ready;
	sk->sk_user_data = ls;
	sk->sk_data_ready = fh_lsock_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	fh_lsock_queue(ls);	/* connections may already wait */
}

static void fh_req_to_addr(const struct fh_listen_req *req,
			   struct sockaddr_storage *ss, int *len)
{
	memset(ss, 0, sizeof(*ss));
	if (req->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(req->port);
		memcpy(&sin->sin_addr, req->addr, 4);
		*len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(req->port);
		memcpy(&sin6->sin6_addr, req->addr, 16);
		*len = sizeof(*sin6);
	}
}

static struct fh_listener *fh_listener_find(struct fh_listener_net *ln,
					    const struct sockaddr_storage *ss,
					    int len)
{
	struct fh_listener *l;

	list_for_each_entry(l, &ln->listeners, node)
		if (l->addrlen == len && !memcmp(&l->addr, ss, len))
			return l;
	return NULL;
}

int fh_listener_add(struct net *net, const struct fh_listen_req *req,
		    struct netlink_ext_ack *extack)
{
	struct fh_listener_net *ln = net_generic(net, fh_listener_net_id);
	unsigned int n = cpumask_weight(req->cpus), cpu, i;
	struct fh_listener *l;
	void *site = NULL;
	int ret;

	l = kzalloc(struct_size(l, lsocks, n), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	/*
	 * Even without site options: the protocol decides what it needs
	 * (http refuses a listener with no document root).
	 */
	if (req->proto->site_create) {
		site = req->proto->site_create(net, req->opts, extack);
		if (IS_ERR_OR_NULL(site)) {
			kfree(l);
			return site ? PTR_ERR(site) : -ENOMEM;
		}
	}
	kref_init(&l->ref);
	l->net = net;
	l->proto = req->proto;
	l->site = site;
	l->max_conns = req->max_conns;
	atomic_set(&l->nr_conns, 0);
	cpumask_copy(&l->cpus, req->cpus);
	fh_req_to_addr(req, &l->addr, &l->addrlen);

	mutex_lock(&fh_cfg_mutex);
	if (fh_listener_find(ln, &l->addr, l->addrlen)) {
		NL_SET_ERR_MSG(extack, "a firehose listener already has this address");
		ret = -EEXIST;
		goto err;
	}
	if (!ln->conns) {
		ln->conns = alloc_percpu(unsigned int);
		if (!ln->conns) {
			ret = -ENOMEM;
			goto err;
		}
	}
	for_each_cpu(cpu, req->cpus) {
		struct fh_lsock *ls = &l->lsocks[l->nr_lsocks];

		ls->ev.handle = fh_lsock_handle;
		ls->src.proto = l->proto;
		ls->src.site = l->site;
		ls->src.put = fh_lsock_src_put;
		ls->src.net_conns = per_cpu_ptr(ln->conns, cpu);
		ls->src.limited = l->max_conns ? &l->nr_conns : NULL;
		u64_stats_init(&ls->src.syncp);
		ls->l = l;
		ls->w = fh_worker_of(cpu);
		ret = fh_lsock_open(ls, l, extack);
		if (ret)
			goto err;
		l->nr_lsocks++;
	}
	/* All bound: only now may a worker see them. */
	for (i = 0; i < l->nr_lsocks; i++)
		fh_lsock_start(&l->lsocks[i]);
	list_add_tail(&l->node, &ln->listeners);
	mutex_unlock(&fh_cfg_mutex);
	return 0;

err:
	for (i = 0; i < l->nr_lsocks; i++)
		sock_release(l->lsocks[i].sock);
	mutex_unlock(&fh_cfg_mutex);
	if (site)
		l->proto->site_destroy(site);
	kfree(l);
	return ret;
}

static void fh_listener_close(struct fh_listener *l)
{
	unsigned int i;

	list_del(&l->node);
	for (i = 0; i < l->nr_lsocks; i++)
		fh_lsock_stop(&l->lsocks[i]);
	if (l->site && l->proto->site_close)
		l->proto->site_close(l->site);
	fh_listener_put(l);
}

int fh_listener_del(struct net *net, const struct fh_listen_req *req,
		    struct netlink_ext_ack *extack)
{
	struct fh_listener_net *ln = net_generic(net, fh_listener_net_id);
	struct sockaddr_storage ss;
	struct fh_listener *l;
	int len, ret = 0;

	fh_req_to_addr(req, &ss, &len);
	mutex_lock(&fh_cfg_mutex);
	l = fh_listener_find(ln, &ss, len);
	if (l) {
		fh_listener_close(l);
	} else {
		NL_SET_ERR_MSG(extack, "no firehose listener has this address");
		ret = -ENOENT;
	}
	mutex_unlock(&fh_cfg_mutex);
	return ret;
}

void fh_listener_counts(const struct fh_listener *l, u64 *accepted,
			u64 *active)
{
	unsigned int i;

	*accepted = 0;
	*active = 0;
	for (i = 0; i < l->nr_lsocks; i++) {
		const struct fh_conn_src *src = &l->lsocks[i].src;
		unsigned int start;
		u64 acc, act;

		do {
			start = u64_stats_fetch_begin(&src->syncp);
			acc = u64_stats_read(&src->accepted);
			act = u64_stats_read(&src->active);
		} while (u64_stats_fetch_retry(&src->syncp, start));
		*accepted += acc;
		*active += act;
	}
}

/*
 * Call @fn on the listeners of @net from the @start'th on, under the
 * configuration mutex, until it returns nonzero. Returns the position it
 * stopped at, from where a dump that did not fit goes on.
 */
long fh_listener_walk(struct net *net, long start,
		      int (*fn)(const struct fh_listener *l, void *arg),
		      void *arg)
{
	struct fh_listener_net *ln = net_generic(net, fh_listener_net_id);
	struct fh_listener *l;
	long idx = 0;

	mutex_lock(&fh_cfg_mutex);
	list_for_each_entry(l, &ln->listeners, node) {
		if (idx >= start && fn(l, arg))
			break;
		idx++;
	}
	mutex_unlock(&fh_cfg_mutex);
	return idx;
}

static int __net_init fh_listener_net_init(struct net *net)
{
	struct fh_listener_net *ln = net_generic(net, fh_listener_net_id);

	INIT_LIST_HEAD(&ln->listeners);
	return 0;
}

/*
 * Kernel sockets hold no reference on their namespace: everything firehose
 * opened in it must be closed before it goes.
 */
static void __net_exit fh_listener_net_exit(struct net *net)
{
	struct fh_listener_net *ln = net_generic(net, fh_listener_net_id);
	struct fh_listener *l, *tmp;

	if (!ln->conns)
		return;		/* never served: nothing of ours is here */
	mutex_lock(&fh_cfg_mutex);
	list_for_each_entry_safe(l, tmp, &ln->listeners, node)
		fh_listener_close(l);
	mutex_unlock(&fh_cfg_mutex);
	fh_conns_close_net(net, ln->conns);
	free_percpu(ln->conns);
}

static struct pernet_operations fh_listener_net_ops = {
	.init = fh_listener_net_init,
	.exit = fh_listener_net_exit,
	.id = &fh_listener_net_id,
	.size = sizeof(struct fh_listener_net),
};

int fh_listeners_init(void)
{
	return register_pernet_subsys(&fh_listener_net_ops);
}

void fh_listeners_exit(void)
{
	unregister_pernet_subsys(&fh_listener_net_ops);
}
