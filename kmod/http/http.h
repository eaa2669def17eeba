/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_HTTP_H
#define _FH_HTTP_H

/*
 * HTTP/1.1 static files (http.c), inside the engine's protocol interface.
 * A listener's site (site.c) is its document root, the user files are
 * opened as and its content cache (cache.c). A request the cache cannot
 * answer is parked and handed to the loader stage (load.c), which may
 * sleep on the disk; the worker goes on with other connections.
 */
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/namei.h>
#include <linux/pagemap.h>
#include <linux/path.h>
#include <linux/percpu.h>
#include <linux/rculist.h>
#include <linux/refcount.h>
#include <linux/siphash.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <uapi/firehose.h>

#include "http_date.h"
#include "http_parse.h"

struct fh_conn;
struct fh_log_rec;
struct fh_proxy;
struct fh_upstream;
struct fh_site_info;
struct net;
struct netlink_ext_ack;
struct nla_policy;
struct nlattr;
struct sk_buff;
struct user_namespace;

/* Body bytes queued on a connection at a time; more follow as they go. */
#define FH_HTTP_WINDOW		(256 * 1024)
/* The default content cache, when --cache is not given. */
#define FH_HTTP_CACHE_DEFAULT	(64ULL << 20)
/*
 * A file is cached only if nobody has it open for writing and its last
 * change is older than this: a write moves the change time before it
 * copies its bytes, and a coarse clock may give a second change within
 * one tick the same time, so a younger file could change again unseen.
 */
#define FH_HTTP_SETTLE_MS	50

/*
 * A cached file's bytes are held in chunks of 64 KiB (compound pages)
 * where memory allows, single pages where it does not: a chunk goes to TCP
 * in one call (sendpage, or one bvec), so a 1 MiB response is 16 calls,
 * not 256, and 16 segments of the connection's queue.
 */
#define FH_HTTP_CHUNK_ORDER	4

/*
 * Revalidating an entry against its inode sees a write, truncate, chmod,
 * rename over or unlink of the file itself, but not a change above it: a
 * parent directory renamed or made unsearchable, a symlink on the path
 * pointed elsewhere. So once this long has passed since an entry's path
 * was last resolved, the next request for it is parked and the loader
 * resolves the path again, as the site's user: the same inode and it is
 * served from the cache, otherwise the entry goes and the request gets
 * what the path leads to now. Other requests meanwhile are served from
 * the cache. (nginx's open_file_cache_valid is 60 s.)
 */
#define FH_HTTP_RECHECK		HZ

/*
 * A file as responses see it: its validators and headers, and its bytes,
 * either copied once into pages of its own (a cache entry) or left in the
 * page cache behind an open file (streamed: too large for the cache, or
 * too recently changed). Freed after a grace period, once the last
 * reference (the cache's, a response's, a loader's) is gone.
 */
struct fh_http_obj {
	refcount_t ref;
	struct rcu_work free_work;
	struct hlist_node node;		/* in the cache's table, under RCU */
	struct list_head lru;		/* in the cache's clock, under its lock */
	u64 hash;
	bool cached;			/* in the table (cache lock) */
	bool referenced;		/* hit since the clock hand passed */
	unsigned long checked;		/* jiffies: path last resolved to it */
	unsigned long rechecking;	/* bit 0: a request is checking it */
	struct inode *inode;		/* file's: revalidated on every hit */
	/*
	 * Held open for the object's life, cached or streamed: what an open
	 * file holds (its path, so its mount: umount of the file system says
	 * EBUSY while the object lives, as for any open file).
	 */
	struct file *file;
	bool copy_window;		/* f_mapping holds no pages: copy them */
	bool pinned;			/* out of the cache, counted in fh_http_pinned */
	struct page **pages;		/* cached objects: the bytes, */
	unsigned int nr_pages;		/* ... in chunks of 1 << chunk_shift */
	u8 chunk_shift;			/* (the last may be smaller) */
	u64 size;
	u64 cost;			/* what the cache counts for it */
	struct timespec64 ctime;
	s64 mtime;
	const char *ctype;
	u8 etag_len;
	char etag[40];
	char last_modified[HTTP_DATE_LEN];
	/* A 200's headers after Date but Connection, made at load. */
	u16 hdr_len;
	char hdr[256];
	u16 key_len;
	char key[];			/* the normalised request path */
};

struct fh_http_cache_cpu {
	u64 hits;
	u64 misses;
};

struct fh_http_cache {
	spinlock_t lock;		/* writers: inserts, evictions */
	struct hlist_head *table;	/* read under RCU, no lock */
	unsigned int bits;
	siphash_key_t key;		/* a client cannot aim at one bucket */
	struct list_head lru;		/* the clock: oldest first */
	u64 limit;			/* bytes; 0: no cache */
	u64 max_entry;
	u64 bytes;
	u64 entries;
	u64 evictions;
	u64 invalidations;
	u64 loads;			/* files read into the cache */
	struct fh_http_cache_cpu __percpu *cpu;
};

/*
 * One load per file at a time: a miss takes its path's lock (hashed) while
 * it reads the file into the cache, so concurrent misses on one cold file
 * wait for the first and are then served from the cache, instead of each
 * making a copy of their own.
 */
#define FH_HTTP_LOAD_LOCKS	16

/* A route: requests whose normalised path starts with @prefix go to @up. */
struct fh_http_route {
	char *prefix;
	u32 len;
	struct fh_upstream *up;
};

struct fh_http_site {
	bool has_root;			/* no root: a pure proxy */
	unsigned int nr_routes;
	struct fh_http_route routes[FH_ROUTES_MAX];
	struct fh_upstream *fallback;	/* 404s and 405s go here, or NULL */
	bool unused;			/* the listener is gone: uses given up */
	struct path root;
	char *root_name;
	const struct cred *cred;	/* unprivileged: files open as this */
	kuid_t uid;
	kgid_t gid;
	bool access_log;
	unsigned int lookup_flags;	/* FH_HTTP_LOOKUP, LOOKUP_NO_XDEV */
	struct fh_http_cache cache;
	/*
	 * The site's own loader: a file system that hangs below one root
	 * holds only this site's jobs, never another site's.
	 */
	struct workqueue_struct *wq;
	struct mutex load_lock[FH_HTTP_LOAD_LOCKS];	/* one load per path */
};

/* A parked request's work for the loader, and what it found. */
enum fh_http_job_kind {
	FH_HTTP_JOB_OPEN,	/* resolve and open the path, maybe cache it */
	FH_HTTP_JOB_READ,	/* bring a streamed window into the page cache */
};

struct fh_http_job {
	struct work_struct work;
	struct fh_conn *c;
	struct fh_http_site *site;
	u8 kind;
	bool is_dir;			/* the path ends with "/" */
	u16 status;			/* OPEN: 0 or the error to answer */
	int err;			/* READ: 0 or why the window is short */
	struct fh_http_obj *obj;	/* OPEN: out, held; READ: in */
	u64 pos, end;			/* READ: the window */
	/*
	 * READ: the window's pages, found in the page cache or, where the
	 * file's mapping is not where its pages are (overlayfs, FUSE direct
	 * I/O), read into pages of the job's own. Handed over, referenced,
	 * so the worker never has to look again (and never loops).
	 */
	unsigned int nr_pages;
	struct page *pages[FH_HTTP_WINDOW / PAGE_SIZE];
	u32 key_len;			/* path[0..key_len): the request's */
	u32 path_len;
	char *path;			/* OPEN: FH_HTTP_PATH_MAX bytes */
};

/*
 * No ".." or absolute symlink may leave the root (LOOKUP_BENEATH, checked
 * against renames racing the walk too), no /proc magic link is followed,
 * and other symlinks are, as nginx does by default.
 */
#define FH_HTTP_LOOKUP	(LOOKUP_FOLLOW | LOOKUP_BENEATH | LOOKUP_NO_MAGICLINKS)

/* A normalised path, then "index.html" and a NUL. */
#define FH_HTTP_PATH_MAX	(HTTP_TARGET_CAP + 16)

/*
 * Bytes of cached files that left the cache (evicted, replaced, flushed)
 * while responses still send from them: held outside the cache's limit
 * until those responses end. Module-wide; the setting http-pin-limit
 * bounds it: beyond it, misses stream from the page cache instead of
 * filling the cache (and so evicting entries that are still being sent).
 */
extern atomic64_t fh_http_pinned;

/* The page cache's uptodate page at byte @pos of @mapping, referenced, or NULL. */
static inline struct page *fh_http_uptodate_page(struct address_space *mapping,
						 u64 pos)
{
	struct page *page = find_get_page(mapping, pos >> PAGE_SHIFT);

	if (page && !PageUptodate(page)) {
		put_page(page);
		page = NULL;
	}
	return page;
}

/* A client connection's proxied request (proxy.c), if one is in flight. */
struct fh_http_conn_proxy {
	struct fh_proxy *px;
	/* The client's address for X-Forwarded-For, made at its first request. */
	char peer[48];
};

/* http.c, for the proxy: the client side's answers. */
int fh_http_emit_raw(struct fh_conn *c, const char *buf, size_t len);
const char *fh_http_date_of(struct fh_conn *c);
int fh_http_answer_error(struct fh_conn *c, u16 status, bool keep,
			 struct fh_log_rec *rec);
void fh_http_proxy_done(struct fh_conn *c, u16 status, u64 bytes, bool keep,
			struct fh_log_rec *rec);
bool fh_http_logs(const struct fh_conn *c);
void fh_http_log_start(struct fh_conn *c, const struct http_req *r,
		       struct fh_log_rec *rec);
void fh_http_log_end(struct fh_conn *c, struct fh_log_rec *rec, u16 status,
		     u64 bytes);

/* proxy.c */
int fh_proxy_start(struct fh_conn *c, struct fh_http_conn_proxy *slot,
		   struct fh_upstream *ups, const char *raw, size_t raw_len,
		   const struct http_req *r);
int fh_proxy_client_step(struct fh_conn *c, struct fh_http_conn_proxy *slot);
int fh_proxy_connect_pending(struct fh_conn *c, struct fh_http_conn_proxy *slot);
void fh_proxy_client_close(struct fh_conn *c, struct fh_http_conn_proxy *slot);
void fh_proxy_client_writable(struct fh_conn *c, struct fh_http_conn_proxy *slot);
bool fh_proxy_reading(const struct fh_http_conn_proxy *slot);
int fh_proxy_init(void);
void fh_proxy_exit(void);

/* cache.c */
int fh_http_cache_init(struct fh_http_cache *cache, u64 limit);
void fh_http_cache_destroy(struct fh_http_cache *cache);
struct fh_http_obj *fh_http_cache_lookup(struct fh_http_cache *cache,
					 const char *key, size_t len);
bool fh_http_obj_fresh(const struct fh_http_obj *o);
bool fh_http_cache_insert(struct fh_http_cache *cache, struct fh_http_obj *o);
void fh_http_cache_drop(struct fh_http_cache *cache, struct fh_http_obj *o);
void fh_http_cache_flush(struct fh_http_cache *cache);
struct fh_http_obj *fh_http_obj_alloc(const char *key, size_t len);
void fh_http_obj_put(struct fh_http_obj *o);
int fh_http_objs_init(void);
void fh_http_objs_exit(void);

/* load.c */
void fh_http_load(struct fh_http_job *job);
void fh_http_job_drop_pages(struct fh_http_job *job);

/* site.c */
extern const struct nla_policy fh_http_opts_policy[FH_HTTP_OPT_MAX + 1];
void *fh_http_site_create(struct net *net, struct nlattr **opts,
			  struct netlink_ext_ack *extack);
void fh_http_site_destroy(void *site);
int fh_http_site_fill(void *site, struct sk_buff *skb,
		      struct user_namespace *reader);
void fh_http_site_info(void *site, struct fh_site_info *info);
void fh_http_site_flush(void *site);
void fh_http_site_close(void *site);

#endif /* _FH_HTTP_H */
