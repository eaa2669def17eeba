/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_LOG_H
#define _FH_LOG_H

#include <linux/types.h>
#include <uapi/firehose.h>

/*
 * The access log: per-CPU rings of fixed-size records, written by each
 * worker into its own ring without a lock or a wait (a full ring drops the
 * record and says so) and read, and consumed, by the control plane
 * (FH_CMD_LOG_GET). One writer and one reader at a time per ring: the
 * worker of that CPU, and readers serialised by a mutex.
 */
struct fh_log_rec {
	s64 time;			/* seconds since the epoch */
	u64 bytes;			/* body bytes of the response */
	u16 status;
	u16 lport;			/* the listener's port */
	u16 family;			/* the client's address */
	u8 addr[16];
	u8 version;			/* 10, 11, or 0: unknown */
	char method[16];		/* NUL-terminated; "": none, nor target */
	char target[FH_LOG_TARGET_MAX];	/* NUL-terminated, maybe cut */
	/* Proxied requests: where they went ("": not proxied). */
	char upstream[FH_UPSTREAM_SERVER_MAX];
	u16 upstream_status;
	u32 upstream_us;
};

int fh_log_enable(void);
bool fh_log_write(unsigned int cpu, const struct fh_log_rec *rec);
int fh_log_read(unsigned int *cpu, u64 *budget,
		int (*emit)(const struct fh_log_rec *rec, void *arg), void *arg);
u64 fh_log_pending(void);
void fh_log_exit(void);

#endif /* _FH_LOG_H */
