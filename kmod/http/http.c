// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP/1.1 static files (RFC 9110, 9112), answered as nginx answers.
 *
 * A request's head is parsed as its bytes arrive (http_parse.c keeps the
 * state, so a trickled head is never parsed twice) and consumed at once.
 * A head that arrives whole, the usual case, is parsed in the worker's
 * scratch request and costs no allocation; only a partial head, a parked
 * request or a body still going out gets per-connection state.
 *
 * A file in the content cache goes out from there by page reference with
 * its headers made at load time; anything else is parked for the loader
 * stage (load.c) and resumed on this worker. Responses are sent in order:
 * while one is parked or still going out, the next request waits in the
 * connection's input, whose limit then stops the reading (pipelining is
 * bounded by memory, not trusted).
 *
 * Response headers are written into a page of the worker's own, which goes
 * out by reference like the bodies: nothing on the way out is copied from
 * the slab, and the page is reused once the stack has let go of it.
 */
#include <linux/ctype.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>
#include <net/ipv6.h>

#include "conn.h"
#include "http.h"
#include "http_path.h"
#include "http_range.h"
#include "log.h"
#include "proto.h"
#include "trace.h"

/* Input a connection may hold: a head is consumed as it is parsed. */
#define FH_HTTP_MAX_HELD	(64 * 1024)
/* Room to write one response's headers (a Location may be long). */
#define FH_HTTP_HDR_MAX		(3 * HTTP_TARGET_CAP + 1024)

/* What a connection keeps between turns; allocated only when needed. */
struct fh_http_conn {
	struct http_req *req;		/* a partial head, or a parked request */
	struct fh_http_obj *obj;	/* a body going out, held */
	u64 pos, end;			/* its next byte and its end */
	u64 discard;			/* request body bytes still to skip */
	bool timed;			/* the header timeout runs */
	bool last;			/* close after this response */
	bool loading;			/* the job is the loader's */
	struct fh_http_conn_proxy proxy;	/* a request sent upstream */
	/* A proxying site's request head as received, kept when it must be. */
	char *raw;
	u32 raw_len;
	struct fh_http_job job;
};

/* Each worker's own, reached only from its thread (pinned to its CPU). */
struct fh_http_cpu {
	struct http_req req;		/* heads that arrive whole */
	char path[HTTP_TARGET_CAP];	/* the decoded, normalised path */
	char hdr[FH_HTTP_HDR_MAX];	/* a response's headers, being made */
	struct fh_emit em;		/* where headers go out from */
	s64 date_sec;
	char date[HTTP_DATE_LEN];
	/* The first lines of a 200, made with the date once a second. */
	u32 ok_len;
	char ok[96];
	const struct http_req *cur;	/* the request being answered */
	/* Its head as received, on a site that proxies (NULL: not kept). */
	const char *raw;
	u32 raw_len;
	bool log_later;			/* the proxy logs this answer itself */
	char raw_buf[HTTP_HEAD_DEFAULT];
};

static struct fh_http_cpu **fh_http_cpus;
static struct kmem_cache *fh_http_conn_cache;
static struct kmem_cache *fh_http_req_cache;
static struct kmem_cache *fh_http_path_cache;

static struct fh_http_cpu *fh_http_cpu(const struct fh_conn *c)
{
	return fh_http_cpus[c->w->cpu];
}

static struct fh_http_site *fh_http_site(const struct fh_conn *c)
{
	return c->src->site;
}

static struct fh_http_conn *fh_http_state(struct fh_conn *c)
{
	struct fh_http_conn *st = (struct fh_http_conn *)(uintptr_t)c->priv;

	if (st)
		return st;
	st = kmem_cache_zalloc(fh_http_conn_cache, GFP_KERNEL);
	if (st)
		c->priv = (uintptr_t)st;
	return st;
}

static inline struct fh_http_conn *fh_http_peek(const struct fh_conn *c)
{
	return (struct fh_http_conn *)(uintptr_t)c->priv;
}

static const char *fh_http_reason(u16 status)
{
	switch (status) {
	case 200: return "OK";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Not Allowed";
	case 408: return "Request Time-out";
	case 414: return "Request-URI Too Large";
	case 416: return "Requested Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Temporarily Unavailable";
	case 504: return "Gateway Time-out";
	case 505: return "HTTP Version Not Supported";
	default: return "Internal Server Error";
	}
}

/*
 * What an access log record says of the request @r (NULL: no request line
 * came, as after a header timeout; then, as nginx does, the request is
 * logged as "-"), and of the client.
 */
void fh_http_log_start(struct fh_conn *c, const struct http_req *r,
		       struct fh_log_rec *rec)
{
	struct sock *sk = c->sock->sk;
	size_t n;

	rec->lport = sk->sk_num;
	memset(rec->addr, 0, sizeof(rec->addr));
	rec->family = AF_INET;
	memcpy(rec->addr, &sk->sk_daddr, 4);
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6 && !ipv6_addr_v4mapped(&sk->sk_v6_daddr)) {
		rec->family = AF_INET6;
		memcpy(rec->addr, &sk->sk_v6_daddr, 16);
	}
#endif
	rec->version = r ? r->version : 0;
	rec->method[0] = '\0';
	rec->target[0] = '\0';
	rec->upstream[0] = '\0';
	/* What of the request line was read: its method, then its target. */
	if (r && (r->method != HTTP_METHOD_OTHER ||
		  (r->p.mlen && r->p.mlen <= sizeof(r->p.mbuf)))) {
		const char *name = http_method_name(r->method);

		if (name) {
			strscpy(rec->method, name, sizeof(rec->method));
		} else {	/* an unknown method, whole in mbuf */
			memcpy(rec->method, r->p.mbuf, r->p.mlen);
			rec->method[r->p.mlen] = '\0';
		}
		n = min_t(size_t, r->target_len, sizeof(rec->target) - 1);
		memcpy(rec->target, r->target, n);
		rec->target[n] = '\0';
		/* A target the parser had no room for would log as nothing. */
		if (!n)
			strscpy(rec->target, "-", sizeof(rec->target));
	}
}

/* The record, with the response's @status and @bytes, into this CPU's ring. */
void fh_http_log_end(struct fh_conn *c, struct fh_log_rec *rec, u16 status,
		     u64 bytes)
{
	rec->time = ktime_get_real_seconds();
	rec->bytes = bytes;
	rec->status = status;
	if (fh_log_write(c->w->cpu, rec))
		fh_stat_inc(&c->w->stats, &c->w->stats.log_records);
	else
		fh_stat_inc(&c->w->stats, &c->w->stats.log_dropped);
}

static void fh_http_log(struct fh_conn *c, const struct http_req *r,
			u16 status, u64 bytes)
{
	struct fh_log_rec rec;

	fh_http_log_start(c, r, &rec);
	fh_http_log_end(c, &rec, status, bytes);
}

/*
 * One response, of @bytes of body: counted by class, traced with the
 * target's path, and logged if the listener keeps an access log.
 */
static void fh_http_count(struct fh_conn *c, u16 status, u64 bytes)
{
	const struct http_req *r = fh_http_cpu(c)->cur;
	unsigned int class = status / 100;

	fh_stat_inc(&c->w->stats, &c->w->stats.requests);
	if (class >= 2 && class <= 5)
		fh_stat_inc(&c->w->stats, &c->w->stats.http_status[class - 2]);
	if (trace_fh_request_enabled() && r)
		trace_fh_request(c->sock->sk, r->head_len, c->out.len, status,
				 r->target, r->path_len);
	if (fh_http_site(c)->access_log && !fh_http_cpu(c)->log_later)
		fh_http_log(c, r, status, bytes);
}

/* Today's date, made once a second per worker. */
static const char *fh_http_date(struct fh_http_cpu *cpu)
{
	s64 now = ktime_get_real_seconds();

	if (now != cpu->date_sec) {
		cpu->date_sec = now;
		http_date_format(now, cpu->date);
		cpu->ok_len = scnprintf(cpu->ok, sizeof(cpu->ok),
					"HTTP/1.1 200 OK\r\nServer: firehose\r\nDate: %.*s\r\n",
					HTTP_DATE_LEN, cpu->date);
	}
	return cpu->date;
}

/* Queue @len bytes (made in cpu->hdr) for sending, from the worker's page. */
static int fh_http_emit(struct fh_conn *c, struct fh_http_cpu *cpu,
			const char *buf, size_t len)
{
	return fh_chain_emit(&c->out, &c->w->seg_pool, &cpu->em, buf, len);
}

/*
 * The response going out is the connection's last. The close lingers when
 * the peer may still be sending: a body not yet skipped, or a request that
 * was not read whole (these statuses); otherwise it is immediate.
 */
static void fh_http_close_after(struct fh_conn *c, u16 status)
{
	const struct fh_http_conn *st = fh_http_peek(c);

	fh_conn_close_after(c);
	if ((st && st->discard) || status == 400 || status == 408 ||
	    status == 413 || status == 414 || status == 431 ||
	    status == 501 || status == 505)
		fh_conn_linger(c);
}

/* The status line and the headers every response has. */
static int fh_http_head(struct fh_http_cpu *cpu, u16 status)
{
	return scnprintf(cpu->hdr, FH_HTTP_HDR_MAX,
			 "HTTP/1.1 %u %s\r\nServer: firehose\r\nDate: %.*s\r\n",
			 status, fh_http_reason(status), HTTP_DATE_LEN,
			 fh_http_date(cpu));
}

static int fh_http_connection(struct fh_http_cpu *cpu, int n, bool keep)
{
	return n + scnprintf(cpu->hdr + n, FH_HTTP_HDR_MAX - n,
			     "Connection: %s\r\n", keep ? "keep-alive" : "close");
}

/* Bytes of a path that go into a Location as they are (RFC 3986 pchar, '/'). */
static bool fh_http_loc_plain(unsigned char ch)
{
	return isalnum(ch) || strchr("-._~!$&'()*+,;=:@/", ch);
}

/*
 * An error, a redirect or an unsatisfiable range: a small page of HTML,
 * as nginx sends. @keep: the connection goes on (the request was read
 * whole and its body can be skipped); otherwise it closes after this.
 */
static int fh_http_error(struct fh_conn *c, u16 status, bool keep, bool head,
			 const char *extra, size_t extra_len)
{
	struct fh_http_cpu *cpu = fh_http_cpu(c);
	char body[192];
	int n, blen, ret;

	blen = scnprintf(body, sizeof(body),
			 "<html>\r\n<head><title>%u %s</title></head>\r\n<body>\r\n<center><h1>%u %s</h1></center>\r\n<hr><center>firehose</center>\r\n</body>\r\n</html>\r\n",
			 status, fh_http_reason(status), status,
			 fh_http_reason(status));
	n = fh_http_head(cpu, status);
	n += scnprintf(cpu->hdr + n, FH_HTTP_HDR_MAX - n,
		       "Content-Type: text/html\r\nContent-Length: %d\r\n", blen);
	n = fh_http_connection(cpu, n, keep);
	if (status == 405)
		n += scnprintf(cpu->hdr + n, FH_HTTP_HDR_MAX - n,
			       "Allow: GET, HEAD\r\n");
	if (extra_len && n + extra_len < FH_HTTP_HDR_MAX - 2) {
		memcpy(cpu->hdr + n, extra, extra_len);
		n += extra_len;
	}
	cpu->hdr[n++] = '\r';
	cpu->hdr[n++] = '\n';
	if (!head && n + blen <= FH_HTTP_HDR_MAX) {
		memcpy(cpu->hdr + n, body, blen);
		n += blen;
	}
	fh_http_count(c, status, head ? 0 : blen);
	ret = fh_http_emit(c, cpu, cpu->hdr, n);
	if (ret)
		return ret;
	if (!keep)
		fh_http_close_after(c, status);
	return 0;
}

/* Today's date for a proxied response that came without one. */
const char *fh_http_date_of(struct fh_conn *c)
{
	return fh_http_date(fh_http_cpu(c));
}

int fh_http_emit_raw(struct fh_conn *c, const char *buf, size_t len)
{
	return fh_http_emit(c, fh_http_cpu(c), buf, len);
}

/* The proxy could not get an answer: 502 or 504, as nginx's pages. */
int fh_http_answer_error(struct fh_conn *c, u16 status, bool keep,
			 struct fh_log_rec *rec)
{
	struct fh_http_cpu *cpu = fh_http_cpu(c);
	int ret;

	/* Logged here with the upstream's part, not by fh_http_error(). */
	cpu->log_later = true;
	ret = fh_http_error(c, status, keep, false, NULL, 0);
	cpu->log_later = false;
	if (rec)
		fh_http_log_end(c, rec, status, 0);
	return ret;
}

/* A proxied response is all queued: count it; the connection may go on. */
void fh_http_proxy_done(struct fh_conn *c, u16 status, u64 bytes, bool keep,
			struct fh_log_rec *rec)
{
	unsigned int class = status / 100;

	fh_stat_inc(&c->w->stats, &c->w->stats.requests);
	if (class >= 2 && class <= 5)
		fh_stat_inc(&c->w->stats, &c->w->stats.http_status[class - 2]);
	if (rec)
		fh_http_log_end(c, rec, status, bytes);
	if (!keep)
		fh_http_close_after(c, status);
}

bool fh_http_logs(const struct fh_conn *c)
{
	return fh_http_site(c)->access_log;
}

/* 301 to the directory's own name, with its slash (nginx's answer). */
static int fh_http_redirect(struct fh_conn *c, const struct http_req *r,
			    const char *path, size_t len, bool keep)
{
	const char *query;
	size_t i, qlen;
	char *loc, *p;
	int ret;

	/* Rare (a directory named without its slash): worth no scratch. */
	loc = kmalloc(3 * len + HTTP_TARGET_CAP + 16, GFP_KERNEL);
	if (!loc)
		return -ENOMEM;
	p = loc + sprintf(loc, "Location: ");
	for (i = 0; i < len; i++) {
		unsigned char ch = path[i];

		if (fh_http_loc_plain(ch))
			*p++ = ch;
		else
			p += sprintf(p, "%%%02X", ch);
	}
	*p++ = '/';
	query = http_req_query(r, &qlen);
	if (qlen) {
		*p++ = '?';
		memcpy(p, query, qlen);
		p += qlen;
	}
	*p++ = '\r';
	*p++ = '\n';
	ret = fh_http_error(c, 301, keep, r->method == HTTP_METHOD_HEAD, loc,
			    p - loc);
	kfree(loc);
	return ret;
}

/*
 * Queue cached bytes [*pos, end) of @o, or as many as fit before the
 * queue holds @limit bytes. Each page appended holds itself, so @o need
 * not outlive the call (a cache entry read under RCU).
 */
static int fh_http_append_cached(struct fh_conn *c, const struct fh_http_obj *o,
				 u64 *pos, u64 end, size_t limit)
{
	u64 start = *pos;
	int ret = 0;

	u32 chunk = 1U << o->chunk_shift;

	while (*pos < end && c->out.len < limit) {
		u32 off = *pos & (chunk - 1);
		u32 len = min_t(u64, chunk - off, end - *pos);

		ret = fh_chain_append_page(&c->out, &c->w->seg_pool,
					   o->pages[*pos >> o->chunk_shift], off, len);
		if (ret)
			break;
		*pos += len;
	}
	fh_stat_add(&c->w->stats, &c->w->stats.cache_bytes_out, *pos - start);
	return ret;
}

/*
 * Queue the next window of the body going out. Streamed bytes may not be
 * in memory: then the request is parked for the loader to bring them in,
 * unless something is queued already (the next turn tries again when that
 * has gone out).
 */
static int fh_http_fill(struct fh_conn *c, struct fh_http_conn *st)
{
	struct fh_http_obj *o = st->obj;
	u64 start = st->pos;
	struct page *page;
	int ret = 0;

	if (o->pages) {
		ret = fh_http_append_cached(c, o, &st->pos, st->end, FH_HTTP_WINDOW);
		if (ret)
			return ret;
	}
	while (!o->pages && st->pos < st->end && c->out.len < FH_HTTP_WINDOW) {
		u32 off = offset_in_page(st->pos);
		u32 len = min_t(u64, PAGE_SIZE - off, st->end - st->pos);

		/* A file whose mapping holds no pages: the loader copies. */
		page = READ_ONCE(o->copy_window) ? NULL :
		       fh_http_uptodate_page(o->file->f_mapping, st->pos);
		if (!page) {
			if (!fh_chain_empty(&c->out))
				break;
			st->job.c = c;
			st->job.site = fh_http_site(c);
			st->job.kind = FH_HTTP_JOB_READ;
			st->job.obj = o;
			st->job.pos = st->pos;
			st->job.end = min_t(u64, st->end, st->pos + FH_HTTP_WINDOW);
			st->job.err = 0;
			st->job.nr_pages = 0;
			st->loading = true;
			fh_conn_park(c);
			fh_http_load(&st->job);
			break;
		}
		ret = fh_chain_append_page(&c->out, &c->w->seg_pool, page, off, len);
		put_page(page);
		if (ret)
			break;
		st->pos += len;
	}
	if (!o->pages)
		fh_stat_add(&c->w->stats, &c->w->stats.streamed_bytes_out,
			    st->pos - start);
	if (ret || st->pos < st->end)
		return ret;
	st->obj = NULL;
	fh_http_obj_put(o);
	if (st->last)
		fh_http_close_after(c, 200);
	return 0;
}

/*
 * Queue the window the loader brought (job->pages, from the window's first
 * page): the pages are ours to queue, so the body moves on by at least
 * that much whatever happens to the page cache meanwhile.
 */
static int fh_http_take_window(struct fh_conn *c, struct fh_http_conn *st)
{
	struct fh_http_job *job = &st->job;
	u64 base = job->pos & PAGE_MASK, start = st->pos;
	unsigned int i;
	int ret = 0;

	for (i = 0; i < job->nr_pages && st->pos < job->end; i++) {
		u64 at = base + ((u64)i << PAGE_SHIFT);
		u32 off, len;

		if (st->pos >= at + PAGE_SIZE)
			continue;
		off = st->pos - at;
		len = min_t(u64, PAGE_SIZE - off, job->end - st->pos);
		ret = fh_chain_append_page(&c->out, &c->w->seg_pool,
					   job->pages[i], off, len);
		if (ret)
			break;
		st->pos += len;
	}
	fh_http_job_drop_pages(job);
	fh_stat_add(&c->w->stats, &c->w->stats.streamed_bytes_out, st->pos - start);
	return ret;
}

/*
 * Answer @r with @o: 304 if the client's copy is current, 206 or 416 for a
 * range, else 200. Takes over the caller's reference on @o.
 */
static int fh_http_respond(struct fh_conn *c, const struct http_req *r,
			   struct fh_http_obj *o)
{
	struct fh_http_cpu *cpu = fh_http_cpu(c);
	bool head = r->method == HTTP_METHOD_HEAD;
	bool keep = r->keep_alive;
	u64 start = 0, count = o->size;
	struct fh_http_conn *st;
	bool body;
	u16 status = 200;
	char cr[48];
	int n, ret = 0;

	if (http_req_not_modified(r, o->etag, o->etag_len, o->mtime)) {
		status = 304;
	} else if (r->range_present &&
		   http_req_use_range(r, o->etag, o->etag_len, o->mtime)) {
		switch (http_range_parse(r->range, r->range_len, o->size,
					 &start, &count)) {
		case HTTP_RANGE_SINGLE:
			status = 206;
			break;
		case HTTP_RANGE_UNSATISFIABLE:
		case HTTP_RANGE_INVALID:	/* nginx answers 416 too */
			n = scnprintf(cr, sizeof(cr),
				      "Content-Range: bytes */%llu\r\n", o->size);
			ret = fh_http_error(c, 416, keep, head, cr, n);
			goto out;
		default:
			start = 0;
			count = o->size;
			break;
		}
	}
	body = !head && status != 304 && count;

	if (status == 200) {
		/* The usual answer, from parts made beforehand. */
		static const char ka[] = "Connection: keep-alive\r\n\r\n";
		static const char cl[] = "Connection: close\r\n\r\n";

		fh_http_date(cpu);
		memcpy(cpu->hdr, cpu->ok, cpu->ok_len);
		n = cpu->ok_len;
		memcpy(cpu->hdr + n, o->hdr, o->hdr_len);
		n += o->hdr_len;
		memcpy(cpu->hdr + n, keep ? ka : cl, keep ? sizeof(ka) - 1 : sizeof(cl) - 1);
		n += keep ? sizeof(ka) - 1 : sizeof(cl) - 1;
		goto emit;
	}
	n = fh_http_head(cpu, status);
	if (status != 304)
		n += scnprintf(cpu->hdr + n, FH_HTTP_HDR_MAX - n,
			       "Content-Type: %s\r\nContent-Length: %llu\r\n",
			       o->ctype, count);
	if (status == 206)
		n += scnprintf(cpu->hdr + n, FH_HTTP_HDR_MAX - n,
			       "Content-Range: bytes %llu-%llu/%llu\r\n",
			       start, start + count - 1, o->size);
	n += scnprintf(cpu->hdr + n, FH_HTTP_HDR_MAX - n,
		       "Last-Modified: %.*s\r\n", HTTP_DATE_LEN, o->last_modified);
	n = fh_http_connection(cpu, n, keep);
	n += scnprintf(cpu->hdr + n, FH_HTTP_HDR_MAX - n,
		       "ETag: %.*s\r\n%s\r\n", o->etag_len, o->etag,
		       status == 304 ? "" : "Accept-Ranges: bytes\r\n");
emit:
	fh_http_count(c, status, body ? count : 0);
	ret = fh_http_emit(c, cpu, cpu->hdr, n);
	if (ret || !body)
		goto out;
	if (o->pages && count <= FH_HTTP_WINDOW) {
		/* One window of cached pages, which hold themselves. */
		ret = fh_http_append_cached(c, o, &start, start + count, SIZE_MAX);
		goto out;
	}
	st = fh_http_state(c);
	if (!st) {
		ret = -ENOMEM;
		goto out;
	}
	st->obj = o;
	st->pos = start;
	st->end = start + count;
	st->last = !keep;
	return fh_http_fill(c, st);
out:
	if (!ret && !keep)
		fh_http_close_after(c, 200);
	fh_http_obj_put(o);
	return ret;
}

/* The request's own copy of the head, so the scratch can serve others. */
static struct http_req *fh_http_keep_req(struct fh_http_conn *st,
					 const struct http_req *r)
{
	if (st->req == r)
		return st->req;
	if (!st->req) {
		st->req = kmem_cache_alloc(fh_http_req_cache, GFP_KERNEL);
		if (!st->req)
			return NULL;
	}
	memcpy(st->req, r, sizeof(*r));
	return st->req;
}

static void fh_http_free_req(struct fh_http_conn *st)
{
	if (st && st->req) {
		kmem_cache_free(fh_http_req_cache, st->req);
		st->req = NULL;
	}
	if (st && st->raw) {
		kvfree(st->raw);
		st->raw = NULL;
		st->raw_len = 0;
	}
}

/* Keep @n more bytes of a head as received (a proxying site's). */
static int fh_http_keep_raw(struct fh_http_conn *st, const struct fh_chain *in,
			    const char *from, size_t n)
{
	char *raw;

	if (!n)
		return 0;
	raw = kvmalloc(st->raw_len + n, GFP_KERNEL);
	if (!raw)
		return -ENOMEM;
	if (st->raw) {
		memcpy(raw, st->raw, st->raw_len);
		kvfree(st->raw);
	}
	if (from)
		memcpy(raw + st->raw_len, from, n);
	else
		fh_chain_copy_prefix(in, raw + st->raw_len, n);
	st->raw = raw;
	st->raw_len += n;
	return 0;
}

/*
 * Send @r upstream: its head is the worker's raw (cpu->raw). The exchange
 * then runs from fh_http_serve() until it is over.
 */
static int fh_http_proxy(struct fh_conn *c, const struct http_req *r,
			 struct fh_upstream *up)
{
	struct fh_http_cpu *cpu = fh_http_cpu(c);
	struct fh_http_conn *st = fh_http_state(c);

	if (!st || !cpu->raw)
		return -ENOMEM;
	return fh_proxy_start(c, &st->proxy, up, cpu->raw, cpu->raw_len, r);
}

/* The route for a normalised path: the longest prefix wins. */
static struct fh_upstream *fh_http_route(const struct fh_http_site *site,
					 const char *path, size_t len)
{
	const struct fh_http_route *best = NULL;
	unsigned int i;

	for (i = 0; i < site->nr_routes; i++) {
		const struct fh_http_route *rt = &site->routes[i];

		if (rt->len <= len && !memcmp(rt->prefix, path, rt->len) &&
		    (!best || rt->len > best->len))
			best = rt;
	}
	return best ? best->up : NULL;
}

/* The connection is closed and no stage has its state: let all of it go. */
static void fh_http_free_state(struct fh_conn *c, struct fh_http_conn *st)
{
	fh_proxy_client_close(c, &st->proxy);
	if (st->job.path)
		kmem_cache_free(fh_http_path_cache, st->job.path);
	fh_http_job_drop_pages(&st->job);
	if (st->obj)
		fh_http_obj_put(st->obj);
	fh_http_free_req(st);
	kmem_cache_free(fh_http_conn_cache, st);
	c->priv = 0;
}

/*
 * Hand the request to the loader, which resolves cpu->path[0..nlen) and
 * opens it; with @held (a cache entry, referenced, its rechecking bit
 * ours) it first sees whether the path still leads to that entry's file.
 */
static int fh_http_park_open(struct fh_conn *c, struct http_req *r,
			     struct fh_http_site *site, size_t nlen,
			     bool is_dir, struct fh_http_obj *held)
{
	struct fh_http_cpu *cpu = fh_http_cpu(c);
	struct fh_http_conn *st;

	st = fh_http_state(c);
	if (!st || !fh_http_keep_req(st, r))
		goto nomem;
	/* A 404 may yet go to the fallback upstream, which needs the head. */
	if (site->fallback && cpu->raw && cpu->raw != st->raw &&
	    fh_http_keep_raw(st, NULL, cpu->raw, cpu->raw_len))
		goto nomem;
	/* Only while the loader works on it: a streaming body needs none. */
	st->job.path = kmem_cache_alloc(fh_http_path_cache, GFP_KERNEL);
	if (!st->job.path)
		goto nomem;
	st->job.c = c;
	st->job.site = site;
	st->job.kind = FH_HTTP_JOB_OPEN;
	st->job.is_dir = is_dir;
	st->job.status = 0;
	st->job.obj = held;
	memcpy(st->job.path, cpu->path, nlen);
	st->job.key_len = nlen;
	st->job.path_len = nlen;
	st->loading = true;
	fh_conn_park(c);
	fh_http_load(&st->job);
	return 0;
nomem:
	if (held) {
		clear_bit(0, &held->rechecking);
		fh_http_obj_put(held);
	}
	return -ENOMEM;
}

/* A whole, valid GET or HEAD. */
static int fh_http_request(struct fh_conn *c, struct http_req *r)
{
	struct fh_http_site *site = fh_http_site(c);
	struct fh_http_cpu *cpu = fh_http_cpu(c);
	bool head = r->method == HTTP_METHOD_HEAD;
	struct fh_http_conn *st;
	struct fh_http_obj *o;
	size_t plen, nlen;
	const char *path;
	bool is_dir;
	int status;

	if (r->body_len && !(site->fallback && !site->has_root)) {
		st = fh_http_state(c);
		if (!st)
			return -ENOMEM;
		st->discard = r->body_len;
	}
	path = http_req_path(r, &plen);
	status = http_path_normalize(path, plen, cpu->path, sizeof(cpu->path),
				     &nlen, &is_dir);
	if (status)
		return fh_http_error(c, status, false, head, NULL, 0);
	if (!site->has_root) {
		if (site->fallback && cpu->raw)
			return fh_http_proxy(c, r, site->fallback);
		return fh_http_error(c, 404, r->keep_alive, head, NULL, 0);
	}

	/*
	 * The entry is held while its response is made, which may sleep (an
	 * allocation); a reference taken under RCU fails only on an entry
	 * being freed, which is then no longer in the table: a miss.
	 */
	rcu_read_lock();
	o = fh_http_cache_lookup(&site->cache, cpu->path, nlen);
	if (o && !refcount_inc_not_zero(&o->ref))
		o = NULL;
	rcu_read_unlock();
	if (o && fh_http_obj_fresh(o)) {
		if (!READ_ONCE(o->referenced))
			WRITE_ONCE(o->referenced, true);
		this_cpu_inc(site->cache.cpu->hits);
		fh_stat_inc(&c->w->stats, &c->w->stats.cache_hits);
		/* Its path resolved a while ago: this request checks it. */
		if (time_after(jiffies, READ_ONCE(o->checked) + FH_HTTP_RECHECK) &&
		    !test_and_set_bit(0, &o->rechecking))
			return fh_http_park_open(c, r, site, nlen, is_dir, o);
		return fh_http_respond(c, r, o);
	}
	if (o) {
		fh_http_cache_drop(&site->cache, o);
		fh_http_obj_put(o);
	}

	/* Not in memory: the loader opens it, this worker goes on. */
	this_cpu_inc(site->cache.cpu->misses);
	fh_stat_inc(&c->w->stats, &c->w->stats.cache_misses);
	return fh_http_park_open(c, r, site, nlen, is_dir, NULL);
}

struct fh_http_feed {
	struct http_req *r;
	size_t used;
	enum http_parse_result res;
};

static int fh_http_feed_fn(void *arg, const char *p, size_t len)
{
	struct fh_http_feed *f = arg;

	f->res = http_parse(f->r, p, len);
	if (f->res == HTTP_PARSE_AGAIN) {
		f->used += len;
		return 0;
	}
	f->used += f->r->used;
	return 1;
}

/*
 * Answer what the input holds, in order, until it runs out or a response
 * must finish first (parked, or a body still going out).
 */
/*
 * A proxying site keeps each head as received: in the worker's buffer
 * when it came whole and fits, else in the connection's own (a head that
 * came in parts keeps each part as it is parsed).
 */
static int fh_http_raw(struct fh_conn *c, const struct fh_http_feed *f)
{
	struct fh_http_cpu *cpu = fh_http_cpu(c);
	struct fh_http_conn *st = fh_http_peek(c);
	int ret;

	if (f->res != HTTP_PARSE_AGAIN && !f->r->complete &&
	    f->res != HTTP_PARSE_DONE)
		return 0;	/* refused: never forwarded */
	if (f->res != HTTP_PARSE_AGAIN && (!st || !st->raw_len) &&
	    f->used <= sizeof(cpu->raw_buf)) {
		cpu->raw_len = fh_chain_copy_prefix(&c->in, cpu->raw_buf, f->used);
		cpu->raw = cpu->raw_buf;
		return 0;
	}
	st = fh_http_state(c);
	if (!st)
		return -ENOMEM;
	ret = fh_http_keep_raw(st, &c->in, NULL, f->used);
	if (ret)
		return ret;
	if (f->res != HTTP_PARSE_AGAIN) {
		cpu->raw = st->raw;
		cpu->raw_len = st->raw_len;
	}
	return 0;
}

/*
 * Where a whole head goes on a proxying site: the upstream of the longest
 * route its normalised path starts with, else (a method other than GET
 * and HEAD: !@ok) the fallback; NULL: served here.
 */
static struct fh_upstream *fh_http_routed(struct fh_conn *c,
					  const struct http_req *r, bool ok)
{
	struct fh_http_site *site = fh_http_site(c);
	struct fh_http_cpu *cpu = fh_http_cpu(c);
	struct fh_upstream *up = NULL;
	size_t plen, nlen;
	const char *path;
	bool is_dir;

	path = http_req_path(r, &plen);
	if (!http_path_normalize(path, plen, cpu->path, sizeof(cpu->path),
				 &nlen, &is_dir))
		up = fh_http_route(site, cpu->path, nlen);
	if (!up && !ok)
		up = site->fallback;
	return up;
}

static int fh_http_serve(struct fh_conn *c)
{
	struct fh_http_cpu *cpu = fh_http_cpu(c);
	struct fh_http_site *site = fh_http_site(c);
	bool proxies = site->nr_routes || site->fallback;
	struct fh_upstream *up;
	struct fh_http_conn *st;
	struct fh_http_feed f;
	int ret;

	for (;;) {
		st = fh_http_peek(c);
		if (c->close_after)
			return 0;
		if (st && st->proxy.px) {
			ret = fh_proxy_client_step(c, &st->proxy);
			if (ret < 0)
				return ret;
			if (ret > 0)
				return 0;
			continue;	/* over: the next request */
		}
		if (c->out.len >= FH_HTTP_WINDOW)
			return 0;
		if (st && (st->loading || st->obj))
			return 0;
		if (st && st->discard) {
			size_t n = min_t(u64, st->discard, c->in.len);

			fh_chain_consume(&c->in, &c->w->seg_pool, n);
			st->discard -= n;
			if (st->discard)
				return 0;
		}
		if (!c->in.len)
			return 0;

		if (st && st->req) {
			f.r = st->req;
		} else {
			f.r = &cpu->req;
			http_req_init(f.r, 0, READ_ONCE(fh_settings.http_max_header));
			f.r->now = ktime_get_real_seconds();
		}
		f.used = 0;
		f.res = HTTP_PARSE_AGAIN;
		ret = fh_chain_walk(&c->in, fh_http_feed_fn, &f);
		if (ret < 0)
			return ret;
		cpu->raw = NULL;
		if (proxies) {
			ret = fh_http_raw(c, &f);
			if (ret)
				return ret;
		}
		fh_chain_consume(&c->in, &c->w->seg_pool, f.used);

		if (f.res == HTTP_PARSE_AGAIN) {
			/* A partial head: keep the parser's state, start the clock. */
			unsigned int ms = READ_ONCE(fh_settings.http_header_timeout_ms);

			st = fh_http_state(c);
			if (!st || !fh_http_keep_req(st, f.r))
				return -ENOMEM;
			if (!st->timed && ms) {
				st->timed = true;
				/* A first head's clock runs from the accept. */
				if (!c->timed)
					fh_conn_set_deadline(c, ms);
			}
			return 0;
		}
		if (st)
			st->timed = false;
		if (c->timed)
			fh_conn_set_deadline(c, 0);
		cpu->cur = f.r;
		up = NULL;
		if (proxies && (f.res == HTTP_PARSE_DONE || f.r->complete))
			up = fh_http_routed(c, f.r, f.res == HTTP_PARSE_DONE);
		if (up) {
			ret = fh_http_proxy(c, f.r, up);
		} else if (f.res == HTTP_PARSE_DONE) {
			ret = fh_http_request(c, f.r);
		} else {
			/* 405 and 501 come with the whole head: it may go on. */
			bool keep = f.r->complete && f.r->keep_alive &&
				    !f.r->chunked;

			if (keep && f.r->body_len) {
				st = fh_http_state(c);
				if (!st)
					return -ENOMEM;
				st->discard = f.r->body_len;
			}
			ret = fh_http_error(c, f.r->status, keep, false, NULL, 0);
		}
		cpu->cur = NULL;
		cpu->raw = NULL;
		st = fh_http_peek(c);
		if (st && !st->loading)
			fh_http_free_req(st);
		if (ret)
			return ret;
	}
}

static int fh_http_on_data(struct fh_conn *c)
{
	return fh_http_serve(c);
}

/* Everything queued went out: the body's next window, or the next request. */
static int fh_http_on_writable(struct fh_conn *c)
{
	struct fh_http_conn *st = fh_http_peek(c);
	int ret;

	if (st && st->obj && !st->loading) {
		ret = fh_http_fill(c, st);
		if (ret)
			return ret;
	}
	if (st)
		fh_proxy_client_writable(c, &st->proxy);
	return fh_http_serve(c);
}

/*
 * A proxied exchange moved on (the upstream side woke us), or needs a new
 * upstream connection, which is made here, outside the socket lock.
 */
static int fh_http_on_wake(struct fh_conn *c)
{
	struct fh_http_conn *st = fh_http_peek(c);
	int ret;

	if (st) {
		ret = fh_proxy_connect_pending(c, &st->proxy);
		if (ret)
			return ret;
	}
	return fh_http_serve(c);
}

/* The loader is done with the job: answer, or take up the body again. */
static int fh_http_on_resume(struct fh_conn *c)
{
	struct fh_http_conn *st = fh_http_peek(c);
	struct fh_http_job *job = &st->job;
	struct http_req *r = st->req;
	int ret;

	st->loading = false;
	if (c->closed) {
		if (job->kind == FH_HTTP_JOB_OPEN && job->obj)
			fh_http_obj_put(job->obj);
		fh_http_free_state(c, st);
		return 0;
	}
	if (job->kind == FH_HTTP_JOB_READ) {
		/*
		 * The job is free again before anything below may park the
		 * connection anew and hand it back to the loader.
		 */
		job->obj = NULL;
		if (job->err) {
			fh_http_job_drop_pages(job);
			return job->err;	/* the length was promised */
		}
		/* Then the page cache, or the body's end; it may park again. */
		ret = fh_http_take_window(c, st) ?: fh_http_fill(c, st);
		return ret ?: fh_http_serve(c);
	}
	fh_http_cpu(c)->cur = r;
	if (job->status == 404 && fh_http_site(c)->fallback && st->raw) {
		/* No such file: the application may know the path. */
		struct fh_http_cpu *cpu = fh_http_cpu(c);

		st->discard = 0;
		cpu->raw = st->raw;
		cpu->raw_len = st->raw_len;
		ret = fh_http_proxy(c, r, fh_http_site(c)->fallback);
		cpu->raw = NULL;
	} else if (job->status == 301) {
		ret = fh_http_redirect(c, r, job->path, job->key_len, r->keep_alive);
	} else if (job->status) {
		ret = fh_http_error(c, job->status, r->keep_alive,
				    r->method == HTTP_METHOD_HEAD, NULL, 0);
	} else {
		ret = fh_http_respond(c, r, job->obj);
	}
	job->obj = NULL;
	fh_http_cpu(c)->cur = NULL;
	if (job->kind == FH_HTTP_JOB_OPEN) {
		kmem_cache_free(fh_http_path_cache, job->path);
		job->path = NULL;
		fh_http_free_req(st);
	}
	return ret ?: fh_http_serve(c);
}

/*
 * The head did not arrive in time (a slowloris): 408, as nginx answers
 * when it answers at all, and close.
 */
/*
 * A new connection has the header timeout to send its first head: one
 * that never does is closed without an answer when it runs out, as nginx
 * does (a partial head gets a 408).
 */
static int fh_http_on_accept(struct fh_conn *c)
{
	unsigned int ms = READ_ONCE(fh_settings.http_header_timeout_ms);

	if (ms)
		fh_conn_set_deadline(c, ms);
	return 0;
}

static int fh_http_on_timeout(struct fh_conn *c)
{
	struct fh_http_conn *st = fh_http_peek(c);

	if (!st || !st->timed)
		return -ETIMEDOUT;
	st->timed = false;
	fh_http_cpu(c)->cur = NULL;
	fh_http_free_req(st);
	return fh_http_error(c, 408, false, false, NULL, 0);
}

/* The response going out must end before the next request is read. */
static bool fh_http_input_paused(const struct fh_conn *c)
{
	const struct fh_http_conn *st = fh_http_peek(c);

	return st && (st->loading || st->obj ||
		      (st->proxy.px && !fh_proxy_reading(&st->proxy)));
}

/* A parked connection's state is the loader's until on_resume frees it. */
static void fh_http_on_close(struct fh_conn *c)
{
	struct fh_http_conn *st = fh_http_peek(c);

	if (st && !st->loading)
		fh_http_free_state(c, st);
}

const struct fh_proto fh_proto_http = {
	.name = "http",
	.max_held = FH_HTTP_MAX_HELD,
	.out_uncharged = true,
	.counts_requests = true,
	.client_first = true,
	.notsent_lowat = SZ_128K,
	.on_data = fh_http_on_data,
	.on_writable = fh_http_on_writable,
	.on_close = fh_http_on_close,
	.on_resume = fh_http_on_resume,
	.on_accept = fh_http_on_accept,
	.on_timeout = fh_http_on_timeout,
	.input_paused = fh_http_input_paused,
	.on_wake = fh_http_on_wake,
	.opts_attr = FH_A_LISTENER_HTTP,
	.opts_policy = fh_http_opts_policy,
	.opts_maxattr = FH_HTTP_OPT_MAX,
	.site_create = fh_http_site_create,
	.site_destroy = fh_http_site_destroy,
	.site_fill = fh_http_site_fill,
	.site_info = fh_http_site_info,
	.site_flush = fh_http_site_flush,
	.site_close = fh_http_site_close,
};

static void fh_http_cpus_free(void)
{
	unsigned int cpu;

	if (!fh_http_cpus)
		return;
	for_each_possible_cpu(cpu) {
		struct fh_http_cpu *h = fh_http_cpus[cpu];

		if (!h)
			continue;
		fh_emit_release(&h->em);
		kvfree(h);
	}
	kfree(fh_http_cpus);
	fh_http_cpus = NULL;
}

int fh_http_init(void)
{
	unsigned int cpu;
	int ret = -ENOMEM;

	fh_http_conn_cache = KMEM_CACHE(fh_http_conn, 0);
	fh_http_req_cache = KMEM_CACHE(http_req, 0);
	fh_http_path_cache = kmem_cache_create("fh_http_path", FH_HTTP_PATH_MAX,
					       0, 0, NULL);
	fh_http_cpus = kcalloc(nr_cpu_ids, sizeof(*fh_http_cpus), GFP_KERNEL);
	if (!fh_http_conn_cache || !fh_http_req_cache || !fh_http_path_cache ||
	    !fh_http_cpus)
		goto err;
	for_each_possible_cpu(cpu) {
		fh_http_cpus[cpu] = kvzalloc_node(sizeof(*fh_http_cpus[cpu]),
						  GFP_KERNEL, cpu_to_node(cpu));
		if (!fh_http_cpus[cpu])
			goto err;
	}
	ret = fh_http_objs_init();
	if (ret)
		goto err;
	ret = fh_proxy_init();
	if (ret) {
		fh_http_objs_exit();
		goto err;
	}
	return 0;

err:
	fh_http_cpus_free();
	kmem_cache_destroy(fh_http_path_cache);
	kmem_cache_destroy(fh_http_req_cache);
	kmem_cache_destroy(fh_http_conn_cache);
	return ret;
}

/*
 * Before the workers stop. Nothing is parked any more: every loader job
 * holds a reference on the module (load.c), so rmmod got this far only
 * with none out, and each site's end waited for its jobs' last steps.
 */
void fh_http_quiesce(void)
{
}

void fh_http_exit(void)
{
	fh_proxy_exit();
	fh_http_objs_exit();
	fh_http_cpus_free();
	kmem_cache_destroy(fh_http_path_cache);
	kmem_cache_destroy(fh_http_req_cache);
	kmem_cache_destroy(fh_http_conn_cache);
}
