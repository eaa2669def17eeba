// SPDX-License-Identifier: GPL-2.0
/*
 * The reverse proxy: requests a route sends to an upstream, relayed on
 * the client's own worker over upstream connections that worker keeps.
 *
 * A proxied request (struct fh_proxy) joins the client connection and
 * one upstream connection, both owned by this worker, each referenced.
 * Neither ever runs inside the other's turn: each moves bytes into the
 * other's chains by reference (request bodies client to upstream, response
 * bodies upstream to client, never copied), wakes it, and closes only
 * itself. The head is re-framed (http_proxy_parse.c); bodies are followed
 * by their framing, not decoded. Back-pressure both ways: a side moves
 * at most a window into the other's output, and goes on when that output
 * has gone out (the other's on_writable wakes it); meanwhile its own
 * input stops the reading and TCP holds the rest.
 *
 * When the response is whole, the upstream connection goes back to the
 * worker's idle list for its upstream if it is clean (the request sent
 * whole, nothing more received, the upstream keeps it open); otherwise it
 * closes. A client that goes away aborts its upstream request.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <net/ipv6.h>
#include <net/sock.h>

#include "conn.h"
#include "http.h"
#include "http_proxy_parse.h"
#include "log.h"
#include "proto.h"
#include "upstream.h"

/* Body bytes moved into the other side's output at a time. */
#define FH_PROXY_WINDOW		(256 * 1024)
/* The longest upstream response head (nginx: proxy_buffer_size 4k|8k). */
#define FH_PROXY_HEAD_MAX	(16 * 1024)
/* Bytes of an upstream's input looked at first for its head. */
#define FH_PROXY_HEAD_LOOK	2048
/* What an upstream connection may hold unsent to its client. */
#define FH_PROXY_UP_HELD	(256 * 1024)

struct fh_proxy {
	struct fh_conn *client;		/* referenced; NULL once it closed */
	struct fh_conn *up;		/* referenced; NULL: none now */
	struct fh_upstream *ups;	/* referenced */
	unsigned int server;
	int sides;			/* client's and upstream's hold */
	struct page *head;		/* the re-framed request head, */
	u32 head_off;			/* ... at this offset */
	u32 head_len;
	unsigned long started;
	bool idempotent;		/* GET or HEAD, no body: may be resent */
	bool head_req;
	bool upgrade;			/* asked for a WebSocket */
	bool tunnel;			/* ... and got its 101: bytes both ways */
	bool client_keep;
	bool client_10;
	/* The request body, client to upstream. */
	bool req_chunked;
	bool req_done;
	u64 req_left;
	struct http_chunk req_ck;
	/* The exchange. */
	bool need_connect;		/* attach() asked for a new connection */
	unsigned int connect_to;	/* ... to this server */
	bool reused;			/* sent on a kept connection */
	bool got_bytes;			/* the upstream answered something */
	bool retried;
	bool retry;			/* the client side resends it */
	unsigned int tries;		/* other servers tried: connects failed */
	u16 error;			/* 502 or 504 to answer, not yet begun */
	bool resp_started;		/* the client has the head */
	bool resp_done;
	bool broken;			/* ended mid-body: the client closes */
	/* The response, upstream to client. */
	u16 status;
	bool resp_chunked;
	bool resp_to_close;		/* delimited by the upstream's close */
	bool dechunk;			/* HTTP/1.0 client: framing dropped */
	bool up_keep;
	u64 resp_left;
	u64 body_bytes;
	struct http_chunk resp_ck;
	bool log;			/* rec is filled: the site logs */
	struct fh_log_rec rec;
};

/* An upstream connection's own state (c->priv). */
struct fh_upconn {
	struct fh_conn *c;
	struct fh_upstream *ups;
	struct fh_upstream_cpu *uc;
	unsigned int server;
	struct fh_proxy *px;		/* the request it carries, or NULL */
	struct list_head idle;		/* in uc->idle while kept */
	bool kept;
	bool timed_out;
	bool connected;			/* it ever got a byte through */
	bool stale;			/* found closing in the idle list */
	bool in_connect;		/* timed out before the connect was done */
	bool established;		/* what was queued went: it is connected */
};

/* Each worker's scratch for response heads, reached only from its thread. */
struct fh_proxy_cpu {
	/* Where request heads are written, shared by the heads it holds. */
	struct fh_emit hem;		/* the page request heads are made in */
	char in[FH_PROXY_HEAD_MAX];
	char out[FH_PROXY_HEAD_MAX + 128];	/* room for Date and Connection */
};

static struct fh_proxy_cpu **fh_proxy_cpus;
static struct kmem_cache *fh_proxy_cache;
static struct kmem_cache *fh_upconn_cache;

static struct fh_upconn *fh_upconn(const struct fh_conn *c)
{
	return (struct fh_upconn *)(uintptr_t)c->priv;
}

static void fh_proxy_unref(struct fh_proxy *px)
{
	if (--px->sides)
		return;
	if (px->client)
		fh_conn_put(px->client);
	if (px->up)
		fh_conn_put(px->up);
	if (px->head)
		put_page(px->head);
	fh_upstream_put(px->ups);
	kmem_cache_free(fh_proxy_cache, px);
}

/* The upstream connection lets go of the request (it ends or fails). */
static void fh_proxy_detach_up(struct fh_proxy *px, struct fh_upconn *u)
{
	px->rec.upstream_us = jiffies_to_usecs(jiffies - px->started);
	u->px = NULL;
	if (px->up) {
		fh_conn_put(px->up);
		px->up = NULL;
	}
	if (px->client)
		fh_conn_wake(px->client);
	fh_proxy_unref(px);
}

/*
 * The client's address, for X-Forwarded-For: made once per connection,
 * at its first proxied request, since it never changes.
 */
static const char *fh_proxy_peer(const struct sock *sk,
				 struct fh_http_conn_proxy *slot)
{
	if (slot->peer[0])
		return slot->peer;
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6 && !ipv6_addr_v4mapped(&sk->sk_v6_daddr))
		snprintf(slot->peer, sizeof(slot->peer), "%pI6c",
			 &sk->sk_v6_daddr);
	else
#endif
		snprintf(slot->peer, sizeof(slot->peer), "%pI4", &sk->sk_daddr);
	return slot->peer;
}

/* @u carries @px from here: the request's head is queued on it. */
static int fh_proxy_link(struct fh_proxy *px, struct fh_upconn *u)
{
	struct fh_worker *w = px->client->w;
	int ret;

	px->server = u->server;
	if (px->log)
		strscpy(px->rec.upstream, px->ups->servers[u->server].name,
			sizeof(px->rec.upstream));
	px->up = u->c;
	u->px = px;
	px->sides++;
	u->uc->requests++;
	ret = fh_chain_append_page(&u->c->out, &w->seg_pool, px->head,
				   px->head_off, px->head_len);
	if (ret)
		return ret;
	fh_conn_wake(u->c);
	return 0;
}

/*
 * An upstream connection for @px: the next healthy server, then a kept
 * connection of this worker to it (as nginx's balancer and keepalive
 * cache do: reuse never starves a server), else a new one. A new one is
 * made on the client's next turn, outside its socket lock, which may be
 * held now (a connect takes the new socket's).
 */
static int fh_proxy_attach(struct fh_proxy *px, bool fresh)
{
	struct fh_conn *c = px->client;
	struct fh_worker *w = c->w;
	struct fh_upstream_cpu *uc = per_cpu_ptr(px->ups->cpu, w->cpu);
	struct fh_upconn *k, *tmp;
	unsigned int server;

	server = fh_upstream_pick(px->ups, uc);
	list_for_each_entry_safe(k, tmp, &uc->idle, idle) {
		if (fresh)
			break;
		if (k->server != server)
			continue;
		list_del_init(&k->idle);
		k->kept = false;
		uc->nr_idle--;
		if (k->c->in.len || k->c->rd_eof ||
		    k->c->sock->sk->sk_state != TCP_ESTABLISHED) {
			k->stale = true;
			fh_conn_wake(k->c);	/* it closes itself */
			continue;
		}
		px->reused = true;
		uc->reuses++;
		fh_stat_inc(&w->stats, &w->stats.upstream_reuses);
		fh_conn_get(k->c);
		fh_conn_set_deadline(k->c, px->ups->read_ms);
		return fh_proxy_link(px, k);
	}
	if (READ_ONCE(px->ups->dead)) {
		/* Deleted (its listener was first): nothing new goes there. */
		px->error = 502;
		return 0;
	}
	px->connect_to = server;
	px->need_connect = true;
	fh_conn_wake(c);
	return 0;
}

/* The client's turn, before its socket lock: a connect attach() asked for. */
int fh_proxy_connect_pending(struct fh_conn *c, struct fh_http_conn_proxy *slot)
{
	struct fh_proxy *px = slot->px;
	struct fh_worker *w = c->w;
	struct fh_upstream_server *srv;
	struct fh_upstream_cpu *uc;
	struct fh_upconn *u;
	struct fh_conn *up;

	if (!px || !px->need_connect)
		return 0;
	px->need_connect = false;
	uc = per_cpu_ptr(px->ups->cpu, w->cpu);
	srv = &px->ups->servers[px->connect_to];
	u = kmem_cache_zalloc(fh_upconn_cache, GFP_KERNEL);
	if (!u)
		return -ENOMEM;
	INIT_LIST_HEAD(&u->idle);
	u->ups = px->ups;
	u->uc = uc;
	u->server = px->connect_to;
	kref_get(&px->ups->ref);	/* the connection's, via uc->src */
	up = fh_conn_connect(w, &uc->src, px->ups->net,
			     (struct sockaddr *)&srv->addr, srv->addrlen);
	if (IS_ERR(up)) {
		if (px->log)
			strscpy(px->rec.upstream, srv->name,
				sizeof(px->rec.upstream));
		fh_upstream_put(px->ups);
		fh_upstream_failed(px->ups, u->server);
		kmem_cache_free(fh_upconn_cache, u);
		fh_stat_inc(&w->stats, &w->stats.upstream_refused);
		if (px->tries + 1 < px->ups->nr_servers) {
			/* Nothing went: the next server gets it (see on_close). */
			px->tries++;
			px->retry = true;
			fh_conn_wake(c);
			return 0;
		}
		px->error = 502;
		return 0;
	}
	u->c = up;
	up->priv = (uintptr_t)u;
	uc->connects++;
	fh_stat_inc(&w->stats, &w->stats.upstream_connects);
	fh_conn_set_deadline(up, px->ups->connect_ms);
	return fh_proxy_link(px, u);
}

/*
 * While the client waits for the upstream's head, only the upstream's
 * timeouts apply (a long poll outlasts the idle timeout, as under nginx):
 * the client gets a deadline past them, a backstop the upstream
 * connection's own timeout always beats. It ends with the head.
 */
static void fh_proxy_wait_head(struct fh_conn *c, struct fh_proxy *px)
{
	fh_conn_set_deadline(c, px->ups->connect_ms + px->ups->read_ms + 1000);
}

/*
 * Room for a request head of at most @max bytes, referenced for @px (a
 * retry sends it again): in the worker's own page, which the heads of its
 * requests share and which is started again once nothing else holds it,
 * as the response headers' page is (http.c); a head larger than a page
 * gets pages of its own.
 */
static char *fh_proxy_head_room(struct fh_proxy_cpu *pc, struct fh_proxy *px,
				size_t max, size_t *cap)
{
	unsigned int order;

	if (max > PAGE_SIZE) {
		order = get_order(max);
		px->head = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);
		*cap = PAGE_SIZE << order;
		px->head_off = 0;
		return px->head ? page_address(px->head) : NULL;
	}
	if (fh_emit_room(&pc->hem, max))
		return NULL;
	get_page(pc->hem.page);
	px->head = pc->hem.page;
	px->head_off = pc->hem.off;
	*cap = PAGE_SIZE - pc->hem.off;
	return page_address(pc->hem.page) + pc->hem.off;
}

int fh_proxy_start(struct fh_conn *c, struct fh_http_conn_proxy *slot,
		   struct fh_upstream *ups, const char *raw, size_t raw_len,
		   const struct http_req *r)
{
	struct fh_proxy_cpu *pc = fh_proxy_cpus[c->w->cpu];
	struct fh_proxy *px;
	const char *xff;
	char *room;
	size_t cap;
	long n;

	px = kmem_cache_zalloc(fh_proxy_cache, GFP_KERNEL);
	if (!px)
		return -ENOMEM;
	kref_get(&ups->ref);
	px->ups = ups;
	px->sides = 1;
	fh_conn_get(c);
	px->client = c;
	px->started = jiffies;
	slot->px = px;
	if (fh_http_logs(c)) {
		px->log = true;
		fh_http_log_start(c, r, &px->rec);
	}

	xff = fh_proxy_peer(c->sock->sk, slot);
	room = fh_proxy_head_room(pc, px, raw_len + 512, &cap);
	if (!room)
		return -ENOMEM;
	n = http_proxy_request(raw, raw_len, room, cap, xff,
			       ups->servers[0].name, &px->upgrade);
	if (n < 0)
		return -EINVAL;
	px->head_len = n;
	if (px->head == pc->hem.page)
		pc->hem.off = min_t(u32, pc->hem.off + ALIGN(n, 8), PAGE_SIZE);
	px->head_req = r->method == HTTP_METHOD_HEAD;
	px->client_10 = r->version == 10;
	/* The client side's own view, chunked bodies included. */
	px->client_keep = !r->p.conn_close &&
			  (r->version == 11 || r->p.conn_keep_alive);
	px->req_chunked = r->p.te_chunked;
	px->req_left = px->req_chunked ? 0 : r->body_len;
	px->req_done = !px->req_chunked && !px->req_left;
	px->idempotent = (r->method == HTTP_METHOD_GET ||
			  r->method == HTTP_METHOD_HEAD) && px->req_done;
	fh_stat_inc(&c->w->stats, &c->w->stats.proxied);

	/* As nginx: the proxy says 100 Continue and starts reading. */
	if (!px->req_done && http_proxy_expects_continue(raw, raw_len)) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
		int ret = fh_http_emit_raw(c, cont, sizeof(cont) - 1);

		if (ret)
			return ret;
	}
	fh_proxy_wait_head(c, px);
	return fh_proxy_attach(px, false);
}

/* Bytes of a chunked body at @ch's start, up to @max: one run. */
struct fh_proxy_run {
	struct http_chunk *ck;
	size_t max;
	size_t n;
	bool data;
	enum http_chunk_result res;
};

static int fh_proxy_run_fn(void *arg, const char *p, size_t len)
{
	struct fh_proxy_run *run = arg;
	size_t n;
	bool data;

	/*
	 * A run that ended at this piece's start (a chunk's data the last
	 * bytes of a segment) is not continued by the framing after it: once
	 * parsed, that framing would be neither counted nor moved as such.
	 */
	if (run->n && http_chunk_at_data(run->ck) != run->data)
		return 1;
	len = min(len, run->max - run->n);
	run->res = http_chunk_run(run->ck, p, len, &n, &data);
	run->data = data;
	run->n += n;
	if (run->res != HTTP_CHUNK_AGAIN || n < len || run->n >= run->max)
		return 1;
	return 0;
}

/*
 * Move body bytes from @src to @dst: @left of a length-framed body, or a
 * chunked body's runs (framing dropped with @drop), or all (@to_close).
 * At most @room bytes. Returns bytes taken from @src, or negative: bad
 * framing (-EPROTO) or no memory. *done set at the body's end.
 */
static long fh_proxy_move(struct fh_worker *w, struct fh_chain *dst,
			  struct fh_chain *src, size_t room, bool chunked,
			  struct http_chunk *ck, bool drop, u64 *left,
			  bool to_close, bool *done)
{
	struct fh_pool *segs = &w->seg_pool;
	size_t taken = 0, n, copied;
	int ret;

	*done = false;
	while (src->len && taken < room && !*done) {
		if (chunked) {
			struct fh_proxy_run run = {
				.ck = ck,
				.max = min(src->len, room - taken),
			};

			ret = fh_chain_walk(src, fh_proxy_run_fn, &run);
			if (ret < 0)
				return ret;
			if (run.res == HTTP_CHUNK_ERROR)
				return -EPROTO;
			n = run.n;
			*done = run.res == HTTP_CHUNK_DONE;
			if (!n && !*done)
				break;
			if (drop && !run.data) {
				fh_chain_consume(src, segs, n);
				taken += n;
				continue;
			}
		} else if (to_close) {
			n = min(src->len, room - taken);
		} else {
			n = min_t(u64, *left, min(src->len, room - taken));
			*left -= n;
			*done = !*left;
		}
		copied = 0;
		ret = fh_chain_move(dst, src, segs, n, &copied);
		if (ret)
			return ret;
		fh_stat_add(&w->stats, &w->stats.relayed, n - copied);
		if (copied)
			fh_stat_add(&w->stats, &w->stats.relay_copied, copied);
		taken += n;
	}
	if (!chunked && !to_close && !*left)
		*done = true;
	return taken;
}

/*
 * The response begins: its head (pc->out[0..n), re-framed) goes to the
 * client with firehose's own Connection field; the client's wait for it
 * is over, and the server answered.
 */
static int fh_proxy_begin(struct fh_proxy *px, struct fh_proxy_cpu *pc,
			  long n, bool has_date, const char *connection)
{
	size_t clen = strlen(connection);
	int ret;

	BUILD_BUG_ON(6 + HTTP_DATE_LEN + 2 + 12 + sizeof("keep-alive") + 4 >
		     sizeof(pc->out) - FH_PROXY_HEAD_MAX);
	/*
	 * RFC 9110 6.6.1: a recipient with a clock adds the Date it lacks.
	 * pc->out keeps 128 bytes past a head for these two fields.
	 */
	if (!has_date) {
		memcpy(pc->out + n, "Date: ", 6);
		memcpy(pc->out + n + 6, fh_http_date_of(px->client),
		       HTTP_DATE_LEN);
		memcpy(pc->out + n + 6 + HTTP_DATE_LEN, "\r\n", 2);
		n += 6 + HTTP_DATE_LEN + 2;
	}
	memcpy(pc->out + n, "Connection: ", 12);
	n += 12;
	memcpy(pc->out + n, connection, clen);
	n += clen;
	memcpy(pc->out + n, "\r\n\r\n", 4);
	n += 4;
	ret = fh_http_emit_raw(px->client, pc->out, n);
	if (ret)
		return ret;
	px->resp_started = true;
	fh_conn_set_deadline(px->client, 0);
	fh_upstream_ok(px->ups, px->server);
	/* It goes now, body or not (a 101, a head ahead of its body). */
	fh_conn_wake(px->client);
	return 0;
}

/* The upstream's head, whole: checked, re-framed and queued to the client. */
static int fh_proxy_head(struct fh_proxy *px, struct fh_conn *up, bool *again)
{
	struct fh_conn *c = px->client;
	struct fh_proxy_cpu *pc = fh_proxy_cpus[c->w->cpu];
	struct http_resp resp;
	size_t have, hlen;
	long n;

	*again = false;
	/* Most heads fit a small look; only a longer one costs more copying. */
	have = fh_chain_copy_prefix(&up->in, pc->in,
				    min_t(size_t, up->in.len, FH_PROXY_HEAD_LOOK));
	hlen = http_resp_head_len(pc->in, have);
	if (!hlen && up->in.len > have) {
		have = fh_chain_copy_prefix(&up->in, pc->in, sizeof(pc->in));
		hlen = http_resp_head_len(pc->in, have);
	}
	if (!hlen)
		return have == sizeof(pc->in) ? -EMSGSIZE : 0;
	n = http_resp_parse(pc->in, hlen, &resp, pc->out, FH_PROXY_HEAD_MAX,
			    px->client_10, px->upgrade);
	if (n < 0 || (resp.status == 101 && !px->upgrade))
		return -EPROTO;
	fh_chain_consume(&up->in, &c->w->seg_pool, hlen);
	if (resp.status == 101) {
		/* A WebSocket: from here, bytes both ways until one side ends. */
		px->status = 101;
		px->rec.upstream_status = 101;
		px->tunnel = true;
		px->resp_to_close = true;
		px->req_done = false;
		px->client_keep = false;
		px->up_keep = false;
		return fh_proxy_begin(px, pc, n, resp.has_date, "upgrade");
	}
	if (resp.status < 200) {
		/* 100: ours went out already. Others go on to the client. */
		*again = true;
		if (resp.status == 100 || px->client_10)
			return 0;
		memcpy(pc->out + n, "\r\n", 2);
		return fh_http_emit_raw(c, pc->out, n + 2);
	}
	px->status = resp.status;
	px->rec.upstream_status = resp.status;
	px->up_keep = !resp.conn_close &&
		      (resp.version == 11 || resp.conn_keep);
	if (px->head_req || resp.status == 204 || resp.status == 304) {
		px->resp_done = true;
	} else if (resp.chunked) {
		px->resp_chunked = true;
		px->dechunk = px->client_10;
		if (px->dechunk)
			px->client_keep = false;
	} else if (resp.has_cl) {
		px->resp_left = resp.cl;
		px->resp_done = !resp.cl;
	} else {
		px->resp_to_close = true;
		px->up_keep = false;
		px->client_keep = false;
	}
	if (!px->req_done)
		px->client_keep = false;	/* what is left of it is skipped no more */
	return fh_proxy_begin(px, pc, n, resp.has_date,
			      px->client_keep ? "keep-alive" : "close");
}

/*
 * Up to @room bytes of the response's body from the upstream's input to
 * the client's output; the response is done at its framing's end (a
 * close-delimited one ends only with the close). Bytes taken, or negative.
 */
static long fh_proxy_resp_body(struct fh_proxy *px, struct fh_conn *up,
			       size_t room)
{
	bool done;
	long n;

	n = fh_proxy_move(up->w, &px->client->out, &up->in, room,
			  px->resp_chunked, &px->resp_ck, px->dechunk,
			  &px->resp_left, px->resp_to_close, &done);
	if (n < 0)
		return n;
	px->body_bytes += n;
	if (px->resp_chunked || !px->resp_to_close)
		px->resp_done = done;
	return n;
}

/*
 * The upstream side's step: the response's head, then its body into the
 * client's output, a window at a time. Negative: close the upstream
 * connection (it failed, or the exchange cannot leave it clean).
 */
static int fh_proxy_relay(struct fh_conn *up)
{
	struct fh_upconn *u = fh_upconn(up);
	struct fh_proxy *px = u->px;
	struct fh_conn *c;
	struct fh_upstream_cpu *uc = u->uc;
	bool again, rearm = false;
	long n;
	int ret;

	if (!px)	/* a kept one: no bytes expected */
		return up->in.len || u->stale ? -ECONNRESET : 0;
	c = px->client;
	if (!c) {
		fh_stat_inc(&up->w->stats, &up->w->stats.upstream_aborts);
		return -ECONNABORTED;
	}
	/* Each read restarts the read timeout, if more is to come. */
	if (up->in.len) {
		u->connected = true;
		px->got_bytes = true;
		rearm = true;
	}
	while (!px->resp_started && !px->resp_done) {
		ret = fh_proxy_head(px, up, &again);
		if (ret) {
			fh_stat_inc(&up->w->stats, &up->w->stats.upstream_bad);
			fh_upstream_failed(px->ups, px->server);
			px->error = 502;
			fh_proxy_detach_up(px, u);
			return -EPROTO;
		}
		if (!again && !px->resp_started && !px->resp_done) {
			/* The head is not whole yet. */
			if (rearm)
				fh_conn_set_deadline(up, px->ups->read_ms);
			return 0;
		}
		if (!again)
			break;
		fh_conn_wake(c);
	}
	if (!px->resp_done) {
		size_t room = c->out.len < FH_PROXY_WINDOW ?
			      FH_PROXY_WINDOW - c->out.len : 0;

		n = fh_proxy_resp_body(px, up, room);
		if (n < 0) {
			if (n == -EPROTO)
				fh_stat_inc(&up->w->stats, &up->w->stats.upstream_bad);
			px->broken = true;
			fh_proxy_detach_up(px, u);
			return n;
		}
		if (n)
			fh_conn_wake(c);
	}
	if (!px->resp_done) {
		if (rearm)
			fh_conn_set_deadline(up, px->ups->read_ms);
		return 0;
	}

	/* Whole: the connection is kept if nothing is amiss with it. */
	fh_conn_set_deadline(up, 0);
	fh_proxy_detach_up(px, u);
	if (!px->up_keep || !px->req_done || up->in.len || up->rd_eof ||
	    READ_ONCE(u->ups->dead) || uc->nr_idle >= u->ups->keepalive)
		return -ECONNRESET;
	list_add(&u->idle, &uc->idle);
	u->kept = true;
	uc->nr_idle++;
	return 0;
}

/*
 * The client side's step, on its turn: a failure answered, a retry made,
 * the request body moved on. Returns 1 while the exchange goes on (the
 * client serves nothing else meanwhile), 0 once it is over.
 */
int fh_proxy_client_step(struct fh_conn *c, struct fh_http_conn_proxy *slot)
{
	struct fh_proxy *px = slot->px;
	bool done;
	long n;
	int ret;

	if (px->retry) {
		px->retry = false;
		px->reused = false;
		fh_stat_inc(&c->w->stats, &c->w->stats.upstream_retries);
		fh_proxy_wait_head(c, px);
		ret = fh_proxy_attach(px, true);
		if (ret)
			return ret;
	}
	if (px->error && !px->resp_started) {
		u16 status = px->error;
		bool keep = px->req_done && px->client_keep;

		/* Every failure detached its upstream connection first. */
		per_cpu_ptr(px->ups->cpu, c->w->cpu)->fails++;
		slot->px = NULL;
		fh_conn_set_deadline(c, 0);
		if (!px->rec.upstream_us)
			px->rec.upstream_us = jiffies_to_usecs(jiffies - px->started);
		ret = fh_http_answer_error(c, status, keep,
					   px->log ? &px->rec : NULL);
		fh_proxy_unref(px);
		return ret;
	}
	/*
	 * The body follows once the connection is up: until then it waits in
	 * the client's input, so a failed connect can still send it all to
	 * the next server.
	 */
	if (!px->req_done && px->up && fh_upconn(px->up)->established) {
		struct fh_conn *up = px->up;
		size_t room = up->out.len < FH_PROXY_WINDOW ?
			      FH_PROXY_WINDOW - up->out.len : 0;

		n = fh_proxy_move(c->w, &up->out, &c->in, room,
				  px->req_chunked, &px->req_ck, false,
				  &px->req_left, px->tunnel, &done);
		if (n < 0)
			return n;	/* bad framing from the client: close */
		if (!px->tunnel)
			px->req_done = done;
		if (n) {
			fh_conn_wake(up);
			if (px->tunnel)	/* traffic either way keeps it open */
				fh_conn_set_deadline(up, px->ups->read_ms);
		}
	}
	if (px->broken) {
		slot->px = NULL;
		fh_http_proxy_done(c, px->status, px->body_bytes, false,
				   px->log ? &px->rec : NULL);
		fh_proxy_unref(px);
		return -EPIPE;
	}
	if (!px->resp_done || px->up)
		return 1;
	/* Over: the client's next request may be read. */
	slot->px = NULL;
	fh_http_proxy_done(c, px->status, px->body_bytes, px->client_keep,
			   px->log ? &px->rec : NULL);
	fh_proxy_unref(px);
	return 0;
}

/* The client connection closed: its request, if in flight, is aborted. */
void fh_proxy_client_close(struct fh_conn *c, struct fh_http_conn_proxy *slot)
{
	struct fh_proxy *px = slot->px;

	if (!px)
		return;
	slot->px = NULL;
	fh_conn_put(px->client);
	px->client = NULL;
	if (px->up)
		fh_conn_wake(px->up);
	fh_proxy_unref(px);
}

/* The client has room again: the response goes on. */
void fh_proxy_client_writable(struct fh_conn *c, struct fh_http_conn_proxy *slot)
{
	struct fh_proxy *px = slot->px;

	if (px && px->up && !px->resp_done)
		fh_conn_wake(px->up);
}

/* Whether the request still reads the client's input (its body). */
bool fh_proxy_reading(const struct fh_http_conn_proxy *slot)
{
	return slot->px && (!slot->px->req_done || slot->px->tunnel);
}

static int fh_upconn_on_data(struct fh_conn *up)
{
	return fh_proxy_relay(up);
}

static int fh_upconn_on_wake(struct fh_conn *up)
{
	return fh_proxy_relay(up);
}

/*
 * What was queued went out: the connect is done, and the read timeout
 * runs from here (nginx's proxy_read_timeout); the client's body may
 * follow.
 */
static int fh_upconn_on_writable(struct fh_conn *up)
{
	struct fh_upconn *u = fh_upconn(up);

	if (!u->px)
		return 0;
	u->established = true;
	fh_conn_set_deadline(up, u->px->ups->read_ms);
	if (!u->px->req_done && u->px->client)
		fh_conn_wake(u->px->client);
	return 0;
}

static int fh_upconn_on_timeout(struct fh_conn *up)
{
	struct fh_upconn *u = fh_upconn(up);

	u->timed_out = true;
	u->in_connect = up->sock->sk->sk_state == TCP_SYN_SENT;
	return -ETIMEDOUT;
}

static void fh_upconn_on_close(struct fh_conn *up)
{
	struct fh_upconn *u = fh_upconn(up);
	struct fh_proxy *px = u->px;
	struct fh_worker *w = up->w;
	int err = up->err ?: -READ_ONCE(up->sock->sk->sk_err);
	bool eof = !err && !u->timed_out;
	bool connect_failed = u->in_connect || err == -ECONNREFUSED ||
			      err == -EHOSTUNREACH || err == -ENETUNREACH;

	if (u->kept) {
		list_del(&u->idle);
		u->uc->nr_idle--;
	}
	if (px && px->client) {
		/* What came before the close goes on to the client. */
		if (px->resp_started && !px->resp_done && up->in.len)
			fh_proxy_resp_body(px, up, SIZE_MAX);
		if (px->resp_to_close && eof && px->resp_started)
			px->resp_done = true;
		if (!px->resp_started && !px->resp_done) {
			/*
			 * A kept connection the upstream closed as the request
			 * came (its keep-alive timeout): resent once on a new
			 * one, if resending is safe (nginx: proxy_next_upstream
			 * error, for GET and HEAD).
			 */
			if (px->reused && px->idempotent && !px->retried &&
			    !u->timed_out && !px->got_bytes) {
				px->retried = true;
				px->retry = true;
			} else if (u->timed_out) {
				fh_stat_inc(&w->stats, &w->stats.upstream_timeouts);
				fh_upstream_failed(px->ups, px->server);
				px->error = 504;
			} else {
				fh_stat_inc(&w->stats, connect_failed ?
					    &w->stats.upstream_refused :
					    &w->stats.upstream_bad);
				fh_upstream_failed(px->ups, px->server);
				px->error = 502;
			}
			/*
			 * Nothing was sent (the connect failed): the next
			 * server gets it, whatever the method, as nginx's
			 * proxy_next_upstream error timeout; each server once.
			 */
			if (connect_failed && !px->retry &&
			    px->tries + 1 < px->ups->nr_servers) {
				px->tries++;
				px->error = 0;
				px->retry = true;
			}
		} else if (!px->resp_done) {
			px->broken = true;
		}
	}
	if (px)
		fh_proxy_detach_up(px, u);
	up->priv = 0;
	kmem_cache_free(fh_upconn_cache, u);
}

static const struct fh_proto fh_proto_upstream = {
	.name = "upstream",
	.max_held = FH_PROXY_UP_HELD,
	.out_uncharged = true,
	.counts_requests = true,
	.notsent_lowat = SZ_128K,
	.on_data = fh_upconn_on_data,
	.on_wake = fh_upconn_on_wake,
	.on_writable = fh_upconn_on_writable,
	.on_timeout = fh_upconn_on_timeout,
	.on_close = fh_upconn_on_close,
};

/* An upstream deleted, or its namespace gone: this worker's kept ones close. */
static void fh_proxy_close_idle(struct fh_upstream_cpu *uc)
{
	struct fh_upconn *u, *tmp;

	list_for_each_entry_safe(u, tmp, &uc->idle, idle)
		fh_conn_close_now(u->c);
}

int fh_proxy_init(void)
{
	unsigned int cpu;

	fh_proxy_cache = KMEM_CACHE(fh_proxy, 0);
	fh_upconn_cache = KMEM_CACHE(fh_upconn, 0);
	fh_proxy_cpus = kcalloc(nr_cpu_ids, sizeof(*fh_proxy_cpus), GFP_KERNEL);
	if (!fh_proxy_cache || !fh_upconn_cache || !fh_proxy_cpus)
		goto err;
	for_each_possible_cpu(cpu) {
		fh_proxy_cpus[cpu] = kvzalloc_node(sizeof(*fh_proxy_cpus[cpu]),
						   GFP_KERNEL, cpu_to_node(cpu));
		if (!fh_proxy_cpus[cpu])
			goto err;
	}
	fh_upstream_set_proto(&fh_proto_upstream, fh_proxy_close_idle);
	return 0;
err:
	fh_proxy_exit();
	return -ENOMEM;
}

void fh_proxy_exit(void)
{
	unsigned int cpu;

	if (fh_proxy_cpus) {
		for_each_possible_cpu(cpu) {
			if (fh_proxy_cpus[cpu])
				fh_emit_release(&fh_proxy_cpus[cpu]->hem);
			kvfree(fh_proxy_cpus[cpu]);
		}
		kfree(fh_proxy_cpus);
		fh_proxy_cpus = NULL;
	}
	kmem_cache_destroy(fh_upconn_cache);
	kmem_cache_destroy(fh_proxy_cache);
}
