// SPDX-License-Identifier: GPL-2.0
/*
 * The loader stage: everything a request may need that can sleep on a
 * disk (a path lookup on a cold dentry, opening a file, reading pages that
 * are not in memory) runs here, on an unbound workqueue, while the
 * request's worker goes on serving others ("request blocked" in Darcy's
 * staged model). Each job runs as the site's unprivileged user, resolves
 * beneath the site's root only, and ends by handing the connection back to
 * its worker (fh_conn_resume()).
 */
#include <linux/delay.h>
#include <linux/fadvise.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/namei.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "conn.h"
#include "fh.h"
#include "http.h"
#include "http_path.h"

/*
 * Test knob: every loader job first sleeps this long, as on a slow or hung
 * file system, so that the parked paths (client reset, listener delete,
 * netns exit, rmmod while jobs are out) can be tested on kernels without a
 * block device to slow. 0 (the default) in production.
 */
static unsigned int fh_load_delay_ms;
module_param_named(test_load_delay_ms, fh_load_delay_ms, uint, 0644);
MODULE_PARM_DESC(test_load_delay_ms, "testing only: delay every loader job (ms)");

static u16 fh_http_errno_status(int err)
{
	switch (err) {
	case -ENOENT:
	case -ENOTDIR:
	case -ENAMETOOLONG:	/* a name no file can have: nginx's 404 */
		return 404;
	case -EACCES:
	case -EPERM:
	case -EXDEV:		/* would leave the root */
	case -ELOOP:
		return 403;
	case -EAGAIN:		/* a rename raced the walk, again and again */
		return 503;
	default:
		return 500;
	}
}

static int fh_http_lookup(struct fh_http_job *job, struct path *path)
{
	const char *name = job->path + 1;
	int err, tries = 3;

	job->path[job->path_len] = '\0';
	/*
	 * LOOKUP_BENEATH answers -EAGAIN when a rename anywhere raced a ".."
	 * step: the walk is retried, a few times, before the client is told
	 * to come back (503).
	 */
	do {
		err = vfs_path_lookup(job->site->root.dentry, job->site->root.mnt,
				      *name ? name : ".", job->site->lookup_flags, path);
	} while (err == -EAGAIN && --tries);
	return err;
}

/* Free what fh_http_fill_chunks() made; the object holds no bytes after. */
static void fh_http_drop_chunks(struct fh_http_obj *o)
{
	unsigned int i;

	for (i = 0; o->pages && i < o->nr_pages; i++)
		if (o->pages[i])
			put_page(o->pages[i]);
	kvfree(o->pages);
	o->pages = NULL;
	o->nr_pages = 0;
	o->cost = 0;
}

/*
 * Copy the file into chunks of 1 << @order pages; the last chunk is the
 * smallest order that holds the rest. -ENOMEM when a chunk of that order
 * cannot be had at once (no reclaim, no warning: single pages then do),
 * -EIO when the file did not read whole.
 */
static int fh_http_fill_chunks(struct fh_http_obj *o, struct file *file,
			       unsigned int order)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_COMP | __GFP_NORETRY | __GFP_NOWARN;
	unsigned int shift = PAGE_SHIFT + order, i;
	u64 nr = DIV_ROUND_UP_ULL(o->size, 1ULL << shift);
	loff_t pos = 0;
	ssize_t n;

	/* In 64 bits: an entry is at most FH_CACHE_MAX / 4, but be sure. */
	if (nr > UINT_MAX / sizeof(*o->pages))
		return -EFBIG;
	o->chunk_shift = shift;
	o->nr_pages = nr;
	o->pages = kvcalloc(o->nr_pages, sizeof(*o->pages), GFP_KERNEL);
	if (!o->pages)
		return -ENOMEM;
	o->cost = (u64)o->nr_pages * sizeof(*o->pages);
	for (i = 0; i < o->nr_pages; i++) {
		size_t len = min_t(u64, 1ULL << shift, o->size - pos);
		unsigned int ord = min_t(unsigned int, order, get_order(len));

		o->pages[i] = alloc_pages(ord ? gfp : GFP_KERNEL, ord);
		if (!o->pages[i])
			return -ENOMEM;
		o->cost += PAGE_SIZE << ord;
		n = kernel_read(file, page_address(o->pages[i]), len, &pos);
		if (n != len)
			return -EIO;
	}
	return 0;
}

/*
 * Copy the file into memory of the object's own. False if the file is not
 * the one that was opened any more when the copy ends (changed while it
 * was read): then it is streamed instead, and never cached.
 */
static bool fh_http_read_pages(struct fh_http_obj *o, struct file *file)
{
	struct inode *inode = file_inode(file);
	struct timespec64 ct;
	int ret;

	ret = fh_http_fill_chunks(o, file, o->size > PAGE_SIZE ? FH_HTTP_CHUNK_ORDER : 0);
	if (ret == -ENOMEM && o->chunk_shift > PAGE_SHIFT) {
		fh_http_drop_chunks(o);
		ret = fh_http_fill_chunks(o, file, 0);
	}
	if (ret)
		goto fail;
	ct = fh_inode_ctime(inode);
	if (i_size_read(inode) == o->size && timespec64_equal(&ct, &o->ctime) &&
	    !inode_is_open_for_write(inode))
		return true;
fail:
	fh_http_drop_chunks(o);
	return false;
}

/* Whether the file may be cached: see FH_HTTP_SETTLE_MS. */
static bool fh_http_settled(struct inode *inode, const struct timespec64 *ctime)
{
	struct timespec64 now;

	ktime_get_coarse_real_ts64(&now);
	return !inode_is_open_for_write(inode) &&
	       timespec64_to_ns(&now) - timespec64_to_ns(ctime) >=
	       FH_HTTP_SETTLE_MS * NSEC_PER_MSEC;
}

/*
 * A file another request loaded while this one waited for its path's
 * load lock: the entry, referenced, if it is the same file and current.
 */
static struct fh_http_obj *fh_http_loaded(struct fh_http_cache *cache,
					  const struct fh_http_obj *o)
{
	struct fh_http_obj *e;

	rcu_read_lock();
	e = fh_http_cache_lookup(cache, o->key, o->key_len);
	if (e && (e->inode != o->inode || !refcount_inc_not_zero(&e->ref)))
		e = NULL;
	rcu_read_unlock();
	if (e && !fh_http_obj_fresh(e)) {
		fh_http_obj_put(e);
		e = NULL;
	}
	return e;
}

/*
 * Copy the file into the cache, one load per path at a time. False if it
 * was not cached (changed while read, or no room): it is streamed then,
 * never kept as a private copy. *@loaded: the entry another request's load
 * made meanwhile, to be used instead.
 */
static bool fh_http_fill_cache(struct fh_http_site *site, struct fh_http_obj *o,
			       struct file *file, struct fh_http_obj **loaded)
{
	struct fh_http_cache *cache = &site->cache;
	struct mutex *lock;	/* this path's load lock (FH_HTTP_LOAD_LOCKS) */
	bool cached = false;

	lock = &site->load_lock[siphash(o->key, o->key_len, &cache->key) %
				FH_HTTP_LOAD_LOCKS];
	mutex_lock(lock);
	*loaded = fh_http_loaded(cache, o);
	if (!*loaded && fh_http_read_pages(o, file)) {
		o->cost += sizeof(*o) + o->key_len;
		cached = fh_http_cache_insert(cache, o);
		if (!cached)
			fh_http_drop_chunks(o);
	}
	mutex_unlock(lock);
	return cached;
}

/* The object for an open regular file; takes over @file. */
static struct fh_http_obj *fh_http_make(struct fh_http_job *job,
					struct file *file)
{
	struct fh_http_cache *cache = &job->site->cache;
	struct inode *inode = file_inode(file);
	struct fh_http_obj *o, *loaded = NULL;
	struct timespec64 mt;

	o = fh_http_obj_alloc(job->path, job->key_len);
	if (!o) {
		fput(file);
		return NULL;
	}
	/* Held from here on: the object's file, pages or not. */
	o->file = file;
	o->inode = inode;
	o->ctime = fh_inode_ctime(inode);
	mt = fh_inode_mtime(inode);
	o->mtime = mt.tv_sec;
	o->size = i_size_read(inode);
	o->ctype = http_content_type(job->path, job->path_len);
	/* nginx's: hex seconds of the last change, then of the size. */
	o->etag_len = scnprintf(o->etag, sizeof(o->etag), "\"%llx-%llx\"",
				(u64)o->mtime, o->size);
	http_date_format(o->mtime, o->last_modified);
	o->hdr_len = scnprintf(o->hdr, sizeof(o->hdr),
			       "Content-Type: %s\r\nContent-Length: %llu\r\nLast-Modified: %.*s\r\nETag: %.*s\r\nAccept-Ranges: bytes\r\n",
			       o->ctype, o->size, HTTP_DATE_LEN, o->last_modified,
			       o->etag_len, o->etag);

	/*
	 * Over the pinned limit, evicting entries that responses still send
	 * from would pin more: the file is streamed instead.
	 */
	if (cache->limit && o->size <= cache->max_entry &&
	    fh_http_settled(inode, &o->ctime) &&
	    atomic64_read(&fh_http_pinned) < READ_ONCE(fh_settings.http_pin_limit) &&
	    !fh_http_fill_cache(job->site, o, file, &loaded) && loaded) {
		fh_http_obj_put(o);
		return loaded;
	}
	return o;
}

/* Resolve, check and open the request's path. 0 or the status to answer. */
/*
 * Resolve the job's path as a request for it would: a directory means its
 * index.html, only a regular file the site's user may read will do.
 * 0 with @path held, or the status to answer.
 */
static u16 fh_http_resolve(struct fh_http_job *job, struct path *path)
{
	static const char index[] = "index.html";
	int err;

	err = fh_http_lookup(job, path);
	if (err)
		return fh_http_errno_status(err);
	if (d_is_dir(path->dentry)) {
		path_put(path);
		if (!job->is_dir)
			return 301;
		/* The path ends with "/"; there is room (struct fh_http_job). */
		memcpy(job->path + job->path_len, index, sizeof(index) - 1);
		job->path_len += sizeof(index) - 1;
		err = fh_http_lookup(job, path);
		/* No index and no listings: nginx's 403. */
		if (err == -ENOENT)
			return 403;
		if (err)
			return fh_http_errno_status(err);
	}
	if (!d_is_reg(path->dentry)) {
		path_put(path);
		return 403;
	}
	err = fh_path_permission(path, MAY_READ);
	if (err) {
		path_put(path);
		return fh_http_errno_status(err);
	}
	return 0;
}

/*
 * Open what the job's path leads to. A job that holds a cache entry
 * (FH_HTTP_RECHECK) keeps it if the path still leads to its file;
 * otherwise the entry leaves the cache and the request gets the truth.
 */
static u16 fh_http_open(struct fh_http_job *job)
{
	struct fh_http_obj *held = job->obj;
	struct file *file;
	struct path path;
	u16 status;

	status = fh_http_resolve(job, &path);
	if (held) {
		bool same = !status && d_inode(path.dentry) == held->inode;

		if (same)
			WRITE_ONCE(held->checked, jiffies);
		else
			fh_http_cache_drop(&job->site->cache, held);
		clear_bit(0, &held->rechecking);
		if (same) {
			path_put(&path);
			return 0;	/* job->obj: the entry, still held */
		}
		fh_http_obj_put(held);
		job->obj = NULL;
	}
	if (status)
		return status;
	file = dentry_open(&path, O_RDONLY | O_LARGEFILE, current_cred());
	path_put(&path);
	if (IS_ERR(file))
		return fh_http_errno_status(PTR_ERR(file));
	job->obj = fh_http_make(job, file);
	return job->obj ? 0 : 500;
}

/* Let go of the window's pages that the worker did not take. */
void fh_http_job_drop_pages(struct fh_http_job *job)
{
	while (job->nr_pages)
		put_page(job->pages[--job->nr_pages]);
}

/*
 * The page at @pos, @len bytes of it wanted, referenced: from the page
 * cache where the file's mapping holds it (read there first if need be),
 * else read into a page of our own. overlayfs reads into the real file's
 * mapping, FUSE direct I/O into none, and reclaim may take a page between
 * the read and the look: a copy then, never "read it again".
 */
static struct page *fh_http_window_page(struct fh_http_obj *o, loff_t pos,
					size_t len)
{
	struct address_space *mapping = o->file->f_mapping;
	struct page *page;
	loff_t at;
	ssize_t n;
	char byte;

	if (!READ_ONCE(o->copy_window)) {
		page = fh_http_uptodate_page(mapping, pos);
		if (page)
			return page;
		/* Reading a byte waits for the page (tmpfs has no ->read_folio). */
		at = pos;
		n = kernel_read(o->file, &byte, 1, &at);
		if (n <= 0)
			return ERR_PTR(n ? n : -ENODATA);	/* truncated */
		page = fh_http_uptodate_page(mapping, pos);
		if (page)
			return page;
		/* Not where the mapping says: every later window is copied. */
		WRITE_ONCE(o->copy_window, true);
	}
	page = alloc_page(GFP_KERNEL);
	if (!page)
		return ERR_PTR(-ENOMEM);
	at = pos;
	n = kernel_read(o->file, page_address(page), len, &at);
	if (n != len) {
		put_page(page);
		return ERR_PTR(n < 0 ? n : -ENODATA);
	}
	return page;
}

/*
 * The streamed window [pos, end): readahead for all of it, then its pages,
 * referenced, into job->pages for the worker to queue.
 */
static int fh_http_read_window(struct fh_http_job *job)
{
	struct fh_http_obj *o = job->obj;
	loff_t pos = job->pos & PAGE_MASK;
	struct page *page;

	job->nr_pages = 0;
	if (!READ_ONCE(o->copy_window))
		vfs_fadvise(o->file, job->pos, job->end - job->pos,
			    POSIX_FADV_WILLNEED);
	while (pos < job->end && job->nr_pages < ARRAY_SIZE(job->pages)) {
		page = fh_http_window_page(o, pos,
					   min_t(u64, PAGE_SIZE, job->end - pos));
		if (IS_ERR(page)) {
			fh_http_job_drop_pages(job);
			return PTR_ERR(page);
		}
		job->pages[job->nr_pages++] = page;
		pos += PAGE_SIZE;
	}
	return 0;
}

/*
 * A job holds a reference on the module from its queueing to its end, so
 * that rmmod never waits on a file system: while a job is out (a disk that
 * never answers), rmmod is refused at once ("in use"), as for a module
 * whose file is open; listener delete and netns exit do not wait for it
 * (the connection is closed; the job keeps what it references until it
 * returns). The module_put() is the job's last step: destroy_workqueue()
 * at the site's end waits for the few instructions after it.
 */
static void fh_http_job_fn(struct work_struct *work)
{
	struct fh_http_job *job = container_of(work, struct fh_http_job, work);
	unsigned int delay = READ_ONCE(fh_load_delay_ms);
	const struct cred *old = override_creds(job->site->cred);

	if (delay)
		msleep(delay);
	if (job->kind == FH_HTTP_JOB_OPEN)
		job->status = fh_http_open(job);
	else
		job->err = fh_http_read_window(job);
	revert_creds(old);
	fh_conn_resume(job->c);
	module_put(THIS_MODULE);
}

/* The connection is parked (fh_conn_park()); the job is its own until resumed. */
void fh_http_load(struct fh_http_job *job)
{
	__module_get(THIS_MODULE);
	INIT_WORK(&job->work, fh_http_job_fn);
	queue_work(job->site->wq, &job->work);
}
