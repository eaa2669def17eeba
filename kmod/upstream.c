// SPDX-License-Identifier: GPL-2.0
/*
 * Upstreams: the servers a protocol hands requests on to (http's routes),
 * named objects of a network namespace. See upstream.h.
 */
#include <linux/ctype.h>
#include <linux/inet.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include "upstream.h"
#include "worker.h"

static DEFINE_MUTEX(fh_upstream_mutex);
static unsigned int fh_upstream_net_id __read_mostly;
static const struct fh_proto *fh_upstream_proto;
static void (*fh_upstream_close_idle)(struct fh_upstream_cpu *uc);

struct fh_upstream_net {
	struct list_head upstreams;
};

void fh_upstream_set_proto(const struct fh_proto *proto,
			   void (*close_idle)(struct fh_upstream_cpu *uc))
{
	fh_upstream_proto = proto;
	fh_upstream_close_idle = close_idle;
}

static void fh_upstream_release(struct kref *ref)
{
	struct fh_upstream *up = container_of(ref, struct fh_upstream, ref);

	free_percpu(up->cpu);
	kfree(up);
}

void fh_upstream_put(struct fh_upstream *up)
{
	kref_put(&up->ref, fh_upstream_release);
}

/* A connection to @src's upstream was freed: it held a reference. */
static void fh_upstream_src_put(struct fh_conn_src *src)
{
	struct fh_upstream *up = src->site;

	fh_upstream_put(up);
}

/* "ADDR:PORT", ADDR an IPv4 address or an IPv6 one in brackets. */
static int fh_upstream_parse_server(const char *s, struct fh_upstream_server *srv)
{
	const char *end, *colon;
	unsigned int port;

	memset(&srv->addr, 0, sizeof(srv->addr));
	if (s[0] == '[') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&srv->addr;

		if (!in6_pton(s + 1, -1, sin6->sin6_addr.s6_addr, ']', &end) ||
		    end[1] != ':')
			return -EINVAL;
		colon = end + 1;
		sin6->sin6_family = AF_INET6;
		srv->addrlen = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&srv->addr;

		if (!in4_pton(s, -1, (u8 *)&sin->sin_addr.s_addr, ':', &end))
			return -EINVAL;
		colon = end;
		sin->sin_family = AF_INET;
		srv->addrlen = sizeof(*sin);
	}
	if (*colon != ':' || !isdigit(colon[1]) ||
	    kstrtouint(colon + 1, 10, &port) || !port || port > 65535)
		return -EINVAL;
	if (srv->addr.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&srv->addr;

		sin->sin_port = htons(port);
		snprintf(srv->name, sizeof(srv->name), "%pI4:%u",
			 &sin->sin_addr, port);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&srv->addr;

		sin6->sin6_port = htons(port);
		snprintf(srv->name, sizeof(srv->name), "[%pI6c]:%u",
			 &sin6->sin6_addr, port);
	}
	return 0;
}

static bool fh_upstream_name_ok(const char *name)
{
	const char *p;

	if (!*name)
		return false;
	for (p = name; *p; p++)
		if (!isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
			return false;
	return true;
}

static struct fh_upstream *fh_upstream_find(struct fh_upstream_net *un,
					    const char *name)
{
	struct fh_upstream *up;

	list_for_each_entry(up, &un->upstreams, node)
		if (!strcmp(up->name, name))
			return up;
	return NULL;
}

int fh_upstream_add(struct net *net, const struct fh_upstream_req *req,
		    struct netlink_ext_ack *extack)
{
	struct fh_upstream_net *un = net_generic(net, fh_upstream_net_id);
	struct fh_upstream *up;
	unsigned int i, cpu;
	int ret;

	if (!fh_upstream_name_ok(req->name)) {
		NL_SET_ERR_MSG(extack, "an upstream's name is letters, digits, '-', '_' and '.'");
		return -EINVAL;
	}
	up = kzalloc(sizeof(*up), GFP_KERNEL);
	if (!up)
		return -ENOMEM;
	for (i = 0; i < req->nr_servers; i++) {
		if (fh_upstream_parse_server(req->servers[i], &up->servers[i])) {
			NL_SET_ERR_MSG(extack, "a server is not ADDR:PORT (IPv6 in brackets)");
			kfree(up);
			return -EINVAL;
		}
		atomic_set(&up->servers[i].fails, 0);
	}
	up->cpu = alloc_percpu(struct fh_upstream_cpu);
	if (!up->cpu) {
		kfree(up);
		return -ENOMEM;
	}
	kref_init(&up->ref);
	up->net = net;
	strscpy(up->name, req->name, sizeof(up->name));
	up->nr_servers = req->nr_servers;
	up->keepalive = req->keepalive;
	up->connect_ms = req->connect_ms;
	up->read_ms = req->read_ms;
	up->max_fails = req->max_fails;
	up->fail_ms = req->fail_ms;
	for_each_possible_cpu(cpu) {
		struct fh_upstream_cpu *uc = per_cpu_ptr(up->cpu, cpu);

		uc->src.proto = fh_upstream_proto;
		uc->src.site = up;
		uc->src.put = fh_upstream_src_put;
		uc->src.net_conns = &uc->conns;
		u64_stats_init(&uc->src.syncp);
		INIT_LIST_HEAD(&uc->idle);
	}

	mutex_lock(&fh_upstream_mutex);
	if (fh_upstream_find(un, up->name)) {
		NL_SET_ERR_MSG(extack, "an upstream of this name exists");
		ret = -EEXIST;
		goto err;
	}
	list_add_tail(&up->node, &un->upstreams);
	mutex_unlock(&fh_upstream_mutex);
	return 0;
err:
	mutex_unlock(&fh_upstream_mutex);
	fh_upstream_put(up);
	return ret;
}

static void fh_upstream_close_idle_fn(struct fh_worker *w, void *arg)
{
	struct fh_upstream *up = arg;

	if (fh_upstream_close_idle)
		fh_upstream_close_idle(per_cpu_ptr(up->cpu, w->cpu));
}

/*
 * Out of the namespace's list (mutex held): no new request can pick it.
 * Its idle connections close on their workers; requests in flight finish
 * and their connections are then not kept. Each holds a reference.
 */
static void fh_upstream_close(struct fh_upstream *up)
{
	struct fh_worker *w;
	unsigned int cpu;

	list_del(&up->node);
	WRITE_ONCE(up->dead, true);
	for_each_possible_cpu(cpu) {
		w = fh_worker_of(cpu);
		if (w && READ_ONCE(per_cpu_ptr(up->cpu, cpu)->conns))
			fh_worker_call(w, fh_upstream_close_idle_fn, up);
	}
	fh_upstream_put(up);
}

int fh_upstream_del(struct net *net, const char *name,
		    struct netlink_ext_ack *extack)
{
	struct fh_upstream_net *un = net_generic(net, fh_upstream_net_id);
	struct fh_upstream *up;
	int ret = 0;

	mutex_lock(&fh_upstream_mutex);
	up = fh_upstream_find(un, name);
	if (!up) {
		NL_SET_ERR_MSG(extack, "no upstream has this name");
		ret = -ENOENT;
	} else if (up->users) {
		NL_SET_ERR_MSG(extack, "a listener routes to this upstream: delete it first");
		ret = -EBUSY;
	} else {
		fh_upstream_close(up);
	}
	mutex_unlock(&fh_upstream_mutex);
	return ret;
}

long fh_upstream_walk(struct net *net, long start, const char *name,
		      int (*fn)(const struct fh_upstream *up, void *arg),
		      void *arg)
{
	struct fh_upstream_net *un = net_generic(net, fh_upstream_net_id);
	struct fh_upstream *up;
	long idx = 0;

	mutex_lock(&fh_upstream_mutex);
	list_for_each_entry(up, &un->upstreams, node) {
		if (name && strcmp(up->name, name))
			continue;
		if (idx >= start && fn(up, arg))
			break;
		idx++;
	}
	mutex_unlock(&fh_upstream_mutex);
	return idx;
}

void fh_upstream_info(const struct fh_upstream *up,
		      struct fh_upstream_info *info)
{
	unsigned int cpu;

	memset(info, 0, sizeof(*info));
	/* Each worker writes its own; a torn read is off by one. */
	for_each_possible_cpu(cpu) {
		const struct fh_upstream_cpu *uc = per_cpu_ptr(up->cpu, cpu);

		info->requests += READ_ONCE(uc->requests);
		info->connects += READ_ONCE(uc->connects);
		info->reuses += READ_ONCE(uc->reuses);
		info->fails += READ_ONCE(uc->fails);
	}
}

struct fh_upstream *fh_upstream_use(struct net *net, const char *name)
{
	struct fh_upstream_net *un = net_generic(net, fh_upstream_net_id);
	struct fh_upstream *up;

	mutex_lock(&fh_upstream_mutex);
	up = fh_upstream_find(un, name);
	if (up) {
		kref_get(&up->ref);
		up->users++;
	}
	mutex_unlock(&fh_upstream_mutex);
	return up;
}

void fh_upstream_unuse(struct fh_upstream *up)
{
	mutex_lock(&fh_upstream_mutex);
	up->users--;
	mutex_unlock(&fh_upstream_mutex);
}

static bool fh_upstream_down(struct fh_upstream_server *srv)
{
	unsigned long until = READ_ONCE(srv->down_until);

	return until && time_before(jiffies, until);
}

unsigned int fh_upstream_pick(struct fh_upstream *up,
			      struct fh_upstream_cpu *uc)
{
	unsigned int i, s;

	for (i = 0; i < up->nr_servers; i++) {
		s = uc->next++ % up->nr_servers;
		if (!up->max_fails || !fh_upstream_down(&up->servers[s]))
			return s;
	}
	/* All down: try the first rather than fail outright (nginx too). */
	return 0;
}

void fh_upstream_failed(struct fh_upstream *up, unsigned int server)
{
	struct fh_upstream_server *srv = &up->servers[server];
	unsigned long now = jiffies, win = msecs_to_jiffies(up->fail_ms);

	if (!up->max_fails)
		return;
	if (time_after(now, READ_ONCE(srv->fail_start) + win)) {
		WRITE_ONCE(srv->fail_start, now);
		atomic_set(&srv->fails, 0);
	}
	if (atomic_inc_return(&srv->fails) >= up->max_fails) {
		WRITE_ONCE(srv->down_until, (now + win) ?: 1);
		atomic_set(&srv->fails, 0);
	}
}

void fh_upstream_ok(struct fh_upstream *up, unsigned int server)
{
	struct fh_upstream_server *srv = &up->servers[server];

	if (atomic_read(&srv->fails))
		atomic_set(&srv->fails, 0);
}

static int __net_init fh_upstream_net_init(struct net *net)
{
	struct fh_upstream_net *un = net_generic(net, fh_upstream_net_id);

	INIT_LIST_HEAD(&un->upstreams);
	return 0;
}

/*
 * After the namespace's listeners are gone (pernet exits run in reverse
 * order of registration: listeners were registered after us), and with
 * them every client connection; what is left is idle connections.
 */
static void __net_exit fh_upstream_net_exit(struct net *net)
{
	struct fh_upstream_net *un = net_generic(net, fh_upstream_net_id);
	struct fh_upstream *up, *tmp;

	mutex_lock(&fh_upstream_mutex);
	list_for_each_entry_safe(up, tmp, &un->upstreams, node) {
		kref_get(&up->ref);
		fh_upstream_close(up);
		mutex_unlock(&fh_upstream_mutex);
		/* Kernel sockets hold no reference on the namespace. */
		fh_conns_close_net(net, &up->cpu->conns);
		fh_upstream_put(up);
		mutex_lock(&fh_upstream_mutex);
	}
	mutex_unlock(&fh_upstream_mutex);
}

static struct pernet_operations fh_upstream_net_ops = {
	.init = fh_upstream_net_init,
	.exit = fh_upstream_net_exit,
	.id = &fh_upstream_net_id,
	.size = sizeof(struct fh_upstream_net),
};

int fh_upstreams_init(void)
{
	return register_pernet_subsys(&fh_upstream_net_ops);
}

void fh_upstreams_exit(void)
{
	unregister_pernet_subsys(&fh_upstream_net_ops);
}
