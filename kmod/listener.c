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
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/netns/generic.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "conn.h"
#include "listener.h"
#include "netlink.h"
#include "proto.h"
#include "stats.h"
#include "worker.h"

#define FH_ACCEPT_BATCH	64
#define FH_BACKLOG	4096

/* Serializes configuration; never taken on the request path. */
static DEFINE_MUTEX(fh_cfg_mutex);
static unsigned int fh_listener_net_id __read_mostly;

struct fh_listener_net {
	struct list_head listeners;
};

static void fh_listener_release(struct kref *ref)
{
	kfree(container_of(ref, struct fh_listener, ref));
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
	 * their worker installs its own; their data is picked up then.
	 */
	if (sk->sk_state != TCP_LISTEN)
		return;
	read_lock_bh(&sk->sk_callback_lock);
	ls = sk->sk_user_data;
	if (likely(ls))
		fh_lsock_queue(ls);
	read_unlock_bh(&sk->sk_callback_lock);
}

/* Worker context: take what the accept queue holds, a batch at a time. */
static void fh_lsock_accept(struct fh_lsock *ls)
{
	struct fh_worker *w = ls->w;
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
			w->stats.errors++;
			break;
		}
		if (atomic_inc_return(&fh_nr_conns) > READ_ONCE(fh_settings.max_conns)) {
			atomic_dec(&fh_nr_conns);
			w->stats.refused++;
			sock_release(sock);
			continue;
		}
		kref_get(&ls->l->ref);	/* the connection's, if it is made */
		if (fh_conn_create(w, &ls->src, sock)) {
			fh_listener_put(ls->l);
			atomic_dec(&fh_nr_conns);
			w->stats.errors++;
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
	int ret;

	l = kzalloc(struct_size(l, lsocks, n), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	kref_init(&l->ref);
	l->net = net;
	l->proto = req->proto;
	cpumask_copy(&l->cpus, req->cpus);
	fh_req_to_addr(req, &l->addr, &l->addrlen);

	mutex_lock(&fh_cfg_mutex);
	if (fh_listener_find(ln, &l->addr, l->addrlen)) {
		NL_SET_ERR_MSG(extack, "a firehose listener already has this address");
		ret = -EEXIST;
		goto err;
	}
	for_each_cpu(cpu, req->cpus) {
		struct fh_lsock *ls = &l->lsocks[l->nr_lsocks];

		ls->ev.handle = fh_lsock_handle;
		ls->src.proto = l->proto;
		ls->src.put = fh_lsock_src_put;
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
	kfree(l);
	return ret;
}

static void fh_listener_close(struct fh_listener *l)
{
	unsigned int i;

	list_del(&l->node);
	for (i = 0; i < l->nr_lsocks; i++)
		fh_lsock_stop(&l->lsocks[i]);
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

static void fh_listener_counts(const struct fh_listener *l, u64 *accepted,
			       u64 *active)
{
	unsigned int i;

	*accepted = 0;
	*active = 0;
	for (i = 0; i < l->nr_lsocks; i++) {
		*accepted += READ_ONCE(l->lsocks[i].src.accepted);
		*active += READ_ONCE(l->lsocks[i].src.active);
	}
}

static int fh_listener_fill(struct sk_buff *skb, const struct fh_listener *l,
			    u32 portid, u32 seq, int flags)
{
	char cpus[FH_CPULIST_MAX];
	u64 accepted, active;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &fh_genl_family, flags,
			  FH_CMD_LISTENER_GET);
	if (!hdr)
		return -EMSGSIZE;
	fh_listener_counts(l, &accepted, &active);
	scnprintf(cpus, sizeof(cpus), "%*pbl", cpumask_pr_args(&l->cpus));
	if (nla_put_string(skb, FH_A_PROTO, l->proto->name) ||
	    nla_put_u16(skb, FH_A_FAMILY, l->addr.ss_family) ||
	    (l->addr.ss_family == AF_INET ?
	     nla_put_in_addr(skb, FH_A_ADDR,
			     ((struct sockaddr_in *)&l->addr)->sin_addr.s_addr) :
	     nla_put_in6_addr(skb, FH_A_ADDR,
			      &((struct sockaddr_in6 *)&l->addr)->sin6_addr)) ||
	    nla_put_u16(skb, FH_A_PORT,
			ntohs(((struct sockaddr_in *)&l->addr)->sin_port)) ||
	    nla_put_string(skb, FH_A_CPUS, cpus) ||
	    nla_put_u64_64bit(skb, FH_A_LISTENER_ACCEPTED, accepted, FH_A_PAD) ||
	    nla_put_u64_64bit(skb, FH_A_LISTENER_ACTIVE, active, FH_A_PAD)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

int fh_listener_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct net *net = sock_net(skb->sk);
	struct fh_listener_net *ln = net_generic(net, fh_listener_net_id);
	long idx = 0, start = cb->args[0];
	struct fh_listener *l;

	mutex_lock(&fh_cfg_mutex);
	list_for_each_entry(l, &ln->listeners, node) {
		if (idx >= start &&
		    fh_listener_fill(skb, l, NETLINK_CB(cb->skb).portid,
				     cb->nlh->nlmsg_seq, NLM_F_MULTI))
			break;
		idx++;
	}
	mutex_unlock(&fh_cfg_mutex);
	cb->args[0] = idx;
	return skb->len;
}

static int fh_listeners_show(struct seq_file *m, void *v)
{
	struct net *net = seq_file_single_net(m);
	struct fh_listener_net *ln = net_generic(net, fh_listener_net_id);
	const struct fh_listener *l;
	u64 accepted, active;

	seq_puts(m, "proto address cpus accepted active\n");
	mutex_lock(&fh_cfg_mutex);
	list_for_each_entry(l, &ln->listeners, node) {
		fh_listener_counts(l, &accepted, &active);
		/* %pISpc brackets IPv6: "[::1]:8080", as fhctl prints it. */
		seq_printf(m, "%s %pISpc %*pbl %llu %llu\n", l->proto->name,
			   &l->addr, cpumask_pr_args(&l->cpus), accepted, active);
	}
	mutex_unlock(&fh_cfg_mutex);
	return 0;
}

static int __net_init fh_listener_net_init(struct net *net)
{
	struct fh_listener_net *ln = net_generic(net, fh_listener_net_id);

	INIT_LIST_HEAD(&ln->listeners);
	if (!proc_create_net_single("listeners", 0444, fh_stats_net_dir(net),
				    fh_listeners_show, NULL))
		return -ENOMEM;
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

	mutex_lock(&fh_cfg_mutex);
	list_for_each_entry_safe(l, tmp, &ln->listeners, node)
		fh_listener_close(l);
	mutex_unlock(&fh_cfg_mutex);
	fh_conns_close_net(net);
	remove_proc_entry("listeners", fh_stats_net_dir(net));
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
