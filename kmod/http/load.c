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
#include <linux/fadvise.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/namei.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "conn.h"
#include "http.h"
#include "http_path.h"

static struct workqueue_struct *fh_http_wq;

/*
 * No ".." or absolute symlink may leave the root (LOOKUP_BENEATH, checked
 * against renames racing the walk too), no /proc magic link is followed,
 * and other symlinks are, as nginx does by default.
 */
#define FH_HTTP_LOOKUP	(LOOKUP_FOLLOW | LOOKUP_BENEATH | LOOKUP_NO_MAGICLINKS)

static u16 fh_http_errno_status(int err)
{
	switch (err) {
	case -ENOENT:
	case -ENOTDIR:
		return 404;
	case -EACCES:
	case -EPERM:
	case -EXDEV:		/* would leave the root */
	case -ELOOP:
		return 403;
	case -ENAMETOOLONG:
		return 414;
	default:
		return 500;
	}
}

static int fh_http_lookup(struct fh_http_job *job, struct path *path)
{
	const char *name = job->path + 1;

	job->path[job->path_len] = '\0';
	return vfs_path_lookup(job->site->root.dentry, job->site->root.mnt,
			       *name ? name : ".", FH_HTTP_LOOKUP, path);
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
	loff_t pos = 0;
	ssize_t n;

	o->chunk_shift = shift;
	o->nr_pages = DIV_ROUND_UP_ULL(o->size, 1ULL << shift);
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

/* The object for an open regular file; takes over @file. */
static struct fh_http_obj *fh_http_make(struct fh_http_job *job,
					struct file *file)
{
	struct fh_http_cache *cache = &job->site->cache;
	struct inode *inode = file_inode(file);
	struct fh_http_obj *o;
	struct timespec64 mt;

	o = fh_http_obj_alloc(job->path, job->key_len);
	if (!o) {
		fput(file);
		return NULL;
	}
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

	if (cache->limit && o->size <= cache->max_entry &&
	    fh_http_settled(inode, &o->ctime) && fh_http_read_pages(o, file)) {
		o->inode = igrab(inode);
		fput(file);
		if (!o->inode) {
			fh_http_obj_put(o);
			return NULL;
		}
		o->cost += sizeof(*o) + o->key_len;
		fh_http_cache_insert(cache, o);
		return o;
	}
	o->file = file;
	o->inode = inode;
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

/*
 * Bring the window into the page cache: start reading all of it ahead,
 * then read a byte of each page, which waits for that page (any file
 * system: tmpfs has no ->read_folio to call directly). The worker then
 * finds the pages uptodate and sends them by reference.
 */
static int fh_http_read_window(struct fh_http_job *job)
{
	struct file *file = job->obj->file;
	loff_t pos = job->pos & PAGE_MASK;
	char byte;
	ssize_t n;

	vfs_fadvise(file, job->pos, job->end - job->pos, POSIX_FADV_WILLNEED);
	while (pos < job->end) {
		loff_t at = pos;

		n = kernel_read(file, &byte, 1, &at);
		if (n < 0)
			return n;
		if (!n)
			return -ENODATA;	/* truncated under us */
		pos += PAGE_SIZE;
	}
	return 0;
}

static void fh_http_job_fn(struct work_struct *work)
{
	struct fh_http_job *job = container_of(work, struct fh_http_job, work);
	const struct cred *old = override_creds(job->site->cred);

	if (job->kind == FH_HTTP_JOB_OPEN)
		job->status = fh_http_open(job);
	else
		job->err = fh_http_read_window(job);
	revert_creds(old);
	fh_conn_resume(job->c);
}

/* The connection is parked (fh_conn_park()); the job is its own until resumed. */
void fh_http_load(struct fh_http_job *job)
{
	INIT_WORK(&job->work, fh_http_job_fn);
	queue_work(fh_http_wq, &job->work);
}

int fh_http_load_init(void)
{
	/* Unbound: a job sleeping on a disk holds no worker's CPU. */
	fh_http_wq = alloc_workqueue("fh_http_load", WQ_UNBOUND, 0);
	return fh_http_wq ? 0 : -ENOMEM;
}

/* Jobs in flight finish and hand their connections back. */
void fh_http_load_quiesce(void)
{
	flush_workqueue(fh_http_wq);
}

void fh_http_load_exit(void)
{
	destroy_workqueue(fh_http_wq);
}
