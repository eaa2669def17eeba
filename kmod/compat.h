/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_COMPAT_H
#define _FH_COMPAT_H

/*
 * The only place kernel versions differ. firehose supports the 6.1 and 6.12
 * LTS series; nothing outside this header tests LINUX_VERSION_CODE.
 */
#include <linux/version.h>
#include <linux/bvec.h>
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/path.h>
#include <linux/uio.h>
#include <linux/net.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "firehose needs Linux 6.1 or later"
#endif

/*
 * Hand @len bytes of @page at @off to a locked TCP socket by reference: the
 * stack takes its own page reference and never copies the bytes. The caller
 * has checked sendpage_ok(@page). Below 6.5 this is kernel_sendpage_locked();
 * 6.5 removed sendpage, and a bvec iterator with MSG_SPLICE_PAGES does the
 * same through sendmsg (as nvmet-tcp and sunrpc do). Returns bytes taken,
 * possibly short, or a negative error.
 */
static inline int fh_sendpage_locked(struct sock *sk, struct page *page,
				     u32 off, u32 len, int flags)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
	return kernel_sendpage_locked(sk, page, off, len, flags);
#else
	struct msghdr msg = { .msg_flags = flags | MSG_SPLICE_PAGES };
	struct bio_vec bvec;

	bvec_set_page(&bvec, page, len, off);
	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, &bvec, 1, len);
	return tcp_sendmsg_locked(sk, &msg, len);
#endif
}

/*
 * Sockets from sock_create_kern() hold no reference on their namespace
 * (sk_net_refcnt == 0), so tcp_close() stops their retransmit, probe and
 * keepalive timers at once: a reply or FIN lost after the close would never
 * be resent, and the orphan never reaped. Before a graceful close, the
 * connection takes a namespace reference, as a userspace socket has, and
 * finishes like one (net/rds/tcp.c does the same). Call it without the
 * socket lock: it may allocate. False when the namespace is already being
 * dismantled; the timers must stop then.
 */
static inline bool fh_sk_hold_net(struct sock *sk)
{
	struct net *net = sock_net(sk);

	if (sk->sk_net_refcnt)
		return true;
	if (!maybe_get_net(net))
		return false;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	/* Also drops the passive reference a kernel socket holds there. */
	sk_net_refcnt_upgrade(sk);
	put_net(net);
#else
	/* The reference just taken becomes the socket's. */
	sk->sk_net_refcnt = 1;
	netns_tracker_alloc(net, &sk->ns_tracker, GFP_KERNEL);
	sock_inuse_add(net, 1);
#endif
	return true;
}

/*
 * Inode times and the permission check: 6.6 put the ctime behind
 * accessors, 6.7 the mtime, and 6.3 replaced the user namespace of a
 * mount by its idmap in inode_permission().
 */
static inline struct timespec64 fh_inode_ctime(const struct inode *inode)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 6, 0)
	return inode->i_ctime;
#else
	return inode_get_ctime(inode);
#endif
}

static inline struct timespec64 fh_inode_mtime(const struct inode *inode)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
	return inode->i_mtime;
#else
	return inode_get_mtime(inode);
#endif
}

/*
 * Exported by every supported kernel, but 6.1 declares it only in fs/'s
 * private header; the same declaration again is harmless where it is public.
 */
int vfs_path_lookup(struct dentry *dentry, struct vfsmount *mnt,
		    const char *name, unsigned int flags, struct path *path);

static inline int fh_path_permission(const struct path *path, int mask)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
	return inode_permission(mnt_user_ns(path->mnt), d_inode(path->dentry), mask);
#else
	return inode_permission(mnt_idmap(path->mnt), d_inode(path->dentry), mask);
#endif
}

#endif /* _FH_COMPAT_H */
