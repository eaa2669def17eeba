/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints for perf and bpftrace users: a connection accepted, a request
 * handled, a connection closed and why. Disabled, each costs a static
 * branch on the request path.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM firehose

#if !defined(_FH_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _FH_TRACE_H

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/tracepoint.h>
#include <net/sock.h>

#include "fh.h"

/* So tools reading the format file can print the names. */
TRACE_DEFINE_ENUM(FH_CLOSE_EOF);
TRACE_DEFINE_ENUM(FH_CLOSE_ERROR);
TRACE_DEFINE_ENUM(FH_CLOSE_TIMEOUT);
TRACE_DEFINE_ENUM(FH_CLOSE_SHUTDOWN);

#ifndef _FH_TRACE_PEER
#define _FH_TRACE_PEER
/* The peer is kept as a sockaddr, so one %pISpc prints either family. */
static inline void fh_trace_peer(u8 *buf, const struct sock *sk)
{
	struct sockaddr_in6 *sin6 = (void *)buf;
	struct sockaddr_in *sin = (void *)buf;

	memset(buf, 0, sizeof(*sin6));
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = sk->sk_dport;
		sin6->sin6_addr = sk->sk_v6_daddr;
		return;
	}
#endif
	sin->sin_family = AF_INET;
	sin->sin_port = sk->sk_dport;
	sin->sin_addr.s_addr = sk->sk_daddr;
}
#endif

TRACE_EVENT(fh_accept,
	    TP_PROTO(const struct sock *sk),
	    TP_ARGS(sk),
	    TP_STRUCT__entry(__field(u16, lport)
			     __array(u8, peer, sizeof(struct sockaddr_in6))),
	    TP_fast_assign(__entry->lport = sk->sk_num;
			   fh_trace_peer(__entry->peer, sk);),
	    TP_printk("lport=%u peer=%pISpc", __entry->lport, __entry->peer)
);

/*
 * One request: @in bytes taken, @out queued. Protocols that know their
 * requests (http) trace each with its status and path; the engine traces
 * the others once per batch of input, with status 0 and no path.
 */
TRACE_EVENT(fh_request,
	    TP_PROTO(const struct sock *sk, size_t in, size_t out, u16 status,
		     const char *path, size_t path_len),
	    TP_ARGS(sk, in, out, status, path, path_len),
	    TP_STRUCT__entry(__field(u16, lport)
			     __field(u16, rport)
			     __field(u16, status)
			     __field(size_t, in)
			     __field(size_t, out)
			     __dynamic_array(char, path, path_len + 1)),
	    TP_fast_assign(__entry->lport = sk->sk_num;
			   __entry->rport = ntohs(sk->sk_dport);
			   __entry->status = status;
			   __entry->in = in;
			   __entry->out = out;
			   memcpy(__get_dynamic_array(path), path, path_len);
			   ((char *)__get_dynamic_array(path))[path_len] = '\0';),
	    TP_printk("lport=%u rport=%u in=%zu out=%zu status=%u path=%s",
		      __entry->lport, __entry->rport, __entry->in, __entry->out,
		      __entry->status, __get_str(path))
);

TRACE_EVENT(fh_close,
	    TP_PROTO(const struct sock *sk, int reason),
	    TP_ARGS(sk, reason),
	    TP_STRUCT__entry(__field(u16, lport)
			     __field(u16, rport)
			     __field(int, reason)),
	    TP_fast_assign(__entry->lport = sk->sk_num;
			   __entry->rport = ntohs(sk->sk_dport);
			   __entry->reason = reason;),
	    TP_printk("lport=%u rport=%u reason=%s", __entry->lport,
		      __entry->rport,
		      __print_symbolic(__entry->reason,
				       { FH_CLOSE_EOF, "eof" },
				       { FH_CLOSE_ERROR, "error" },
				       { FH_CLOSE_TIMEOUT, "timeout" },
				       { FH_CLOSE_SHUTDOWN, "shutdown" }))
);

#endif /* _FH_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
