/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * firehose generic netlink ABI, version 1.
 *
 * Family name FH_GENL_NAME, version FH_GENL_VERSION. Every request is strictly
 * validated: unknown attributes, wrong types or lengths and missing
 * attributes are rejected with EINVAL, values outside an attribute's range
 * (port 0, max connections 0, a timeout above FH_TIMEOUT_MAX_MS, a keepalive
 * value beyond TCP's limits) with ERANGE,
 * always with an extended-ack message naming the problem; a rejected request
 * changes nothing. Commands that change state need
 * CAP_NET_ADMIN in the initial user namespace (EPERM otherwise): settings
 * are module-wide, and a listener is a kernel socket a container must not
 * be able to open on its own.
 *
 * Listeners are per network namespace: a command sees and changes only the
 * listeners of the namespace of the socket it was sent on. Statistics and
 * settings are global to the module.
 *
 * Integers are host byte order except FH_A_ADDR, which holds the address in
 * network byte order (4 bytes for AF_INET, 16 for AF_INET6). 64-bit counters
 * are padded with FH_A_PAD.
 *
 * FH_CMD_LISTENER_ADD (admin)
 *	Request: FH_A_PROTO, FH_A_FAMILY, FH_A_ADDR, FH_A_PORT (all required),
 *	FH_A_CPUS (optional cpulist such as "0-3,6"; default all workers),
 *	FH_A_LISTENER_MAX_CONNS (optional, 1..FH_MAX_CONNS_LIMIT: connections
 *	this listener may have open at once, within the module-wide limit).
 *	The protocol's own options in its nest (the others refuse the
 *	nest of another protocol with EINVAL, "these options are for
 *	protocol X", and a protocol that takes none refuses any nest; an
 *	attribute inside a nest that the protocol does not know is refused
 *	with EINVAL):
 *	FH_A_LISTENER_HTTP (http): FH_HTTP_OPT_ROOT (the document root, an
 *	absolute path of at most PATH_MAX - 1 bytes; http requires it
 *	unless it has a route or a fallback, below), FH_HTTP_OPT_UID and
 *	FH_HTTP_OPT_GID (the user and group files are opened as, in the
 *	caller's user namespace; both or neither, default the unprivileged
 *	nobody), FH_HTTP_OPT_CACHE (the content cache's limit in bytes, 0
 *	for no cache; default the protocol's), FH_HTTP_OPT_ACCESS_LOG
 *	(flag: record every response in the access log, read with
 *	FH_CMD_LOG_GET; default off), FH_HTTP_OPT_ONE_FS (flag: no lookup
 *	crosses into a file system mounted below the root),
 *	FH_HTTP_OPT_ROUTE and FH_HTTP_OPT_FALLBACK (http routes, below).
 *	FH_A_LISTENER_KV (kv): FH_KV_OPT_MEM (the memory limit in bytes,
 *	FH_KV_MEM_MIN..FH_KV_MEM_MAX, default FH_KV_MEM_DEFAULT, as
 *	memcached -m) and FH_KV_OPT_ITEM_MAX (the largest item in bytes,
 *	FH_KV_ITEM_MAX_MIN..FH_KV_ITEM_MAX_MAX, default
 *	FH_KV_ITEM_MAX_DEFAULT, as memcached -I); ERANGE outside.
 *	Opens one SO_REUSEPORT listening socket per selected CPU, each owned by
 *	that CPU's worker. Errors: EINVAL (unknown protocol, bad address or
 *	cpulist, CPU without a worker, another protocol's nest, a uid
 *	without a gid or the other way round, http without a root, a route
 *	or a fallback), EEXIST (a firehose listener already has this address and
 *	port), EADDRINUSE (another socket holds the port), EADDRNOTAVAIL
 *	(address not local), EPROTONOSUPPORT (protocol not built).
 *
 * FH_CMD_LISTENER_DEL (admin)
 *	Request: FH_A_FAMILY, FH_A_ADDR, FH_A_PORT. Closes the listening
 *	sockets; connections already accepted finish normally. ENOENT when no
 *	listener has that address.
 *
 * FH_CMD_LISTENER_GET (dump)
 *	Reply: one message per listener with FH_A_PROTO, FH_A_FAMILY, FH_A_ADDR,
 *	FH_A_PORT, FH_A_CPUS, FH_A_LISTENER_ACCEPTED, FH_A_LISTENER_ACTIVE,
 *	FH_A_LISTENER_MAX_CONNS (0: no limit of its own), always all of them;
 *	a listener whose protocol has options also has its nest: http's
 *	FH_A_LISTENER_HTTP with FH_HTTP_OPT_ROOT (if it has one),
 *	FH_HTTP_OPT_UID and FH_HTTP_OPT_GID (in the reader's user
 *	namespace), FH_HTTP_OPT_CACHE (the cache's limit),
 *	FH_HTTP_OPT_ACCESS_LOG and FH_HTTP_OPT_ONE_FS if set, its routes and
 *	fallback; kv's FH_A_LISTENER_KV with FH_KV_OPT_MEM,
 *	FH_KV_OPT_ITEM_MAX, FH_KV_OPT_BYTES (bytes its items use) and
 *	FH_KV_OPT_ITEMS (items held now).
 *
 * FH_CMD_LISTENER_SET (admin)
 *	Request: FH_A_FAMILY, FH_A_ADDR, FH_A_PORT naming one listener, as
 *	FH_CMD_LISTENER_DEL does, and its protocol's nest with the options
 *	to change on the running listener (kv: FH_KV_OPT_MEM; a lower limit
 *	evicts down to it). Options not given keep their values. Errors:
 *	ENOENT (no listener has that address), EINVAL (another protocol's
 *	nest, no nest), EOPNOTSUPP (the protocol's options cannot be changed
 *	while it runs: http), and what the protocol refuses (kv:
 *	FH_KV_OPT_ITEM_MAX, EINVAL: replace the listener for that).
 *
 * FH_CMD_STATS_GET
 *	Reply: FH_A_STATS (nest of every FH_STAT_* counter but FH_STAT_CPU:
 *	module totals) followed by one FH_A_STATS_CPU nest per worker, each
 *	with FH_STAT_CPU first, then every counter.
 *
 * FH_CMD_SETTINGS_GET
 *	Reply: FH_A_MAX_CONNS, FH_A_MAX_CONNS_PER_SOURCE, FH_A_IDLE_TIMEOUT_MS,
 *	FH_A_SEND_TIMEOUT_MS, FH_A_KEEPALIVE_S, FH_A_KEEPALIVE_INTVL_S,
 *	FH_A_KEEPALIVE_CNT, FH_A_HTTP_HEADER_TIMEOUT_MS, FH_A_HTTP_MAX_HEADER,
 *	FH_A_HTTP_PIN_LIMIT, FH_A_SOURCE_PREFIX6, always all eleven.
 *
 * FH_CMD_SETTINGS_SET (admin)
 *	Request: any of the eleven settings attributes (at least one). Limits:
 *	max connections 1..FH_MAX_CONNS_LIMIT, per source 0..FH_MAX_CONNS_LIMIT
 *	(0: no per-source limit), timeouts (idle, send, http header)
 *	FH_TIMEOUT_MIN_MS..FH_TIMEOUT_MAX_MS; a timeout of 0 disables it.
 *	Values apply at once to all workers; lowering max connections closes
 *	nothing, it refuses new connections until the count falls below.
 *	The per-source limit (default 4096) counts, per peer address and
 *	network namespace (an IPv4-mapped IPv6 peer as its IPv4 address, an
 *	IPv6 peer by its first FH_A_SOURCE_PREFIX6 bits, FH_SOURCE_PREFIX6_MIN
 *	..FH_SOURCE_PREFIX6_MAX, default 64), the connections accepted while
 *	it is on. A connection over any limit is closed at
 *	once and counted in FH_STAT_REFUSED, and by reason in
 *	FH_STAT_REFUSED_LISTENER or FH_STAT_REFUSED_SOURCE.
 *
 *	TCP keepalive, in whole seconds as TCP counts it: FH_A_KEEPALIVE_S is
 *	the idle time before the first probe, 1..FH_KEEPALIVE_MAX_S, or 0 for
 *	no keepalive; FH_A_KEEPALIVE_INTVL_S the time between probes,
 *	1..FH_KEEPALIVE_MAX_S; FH_A_KEEPALIVE_CNT the unanswered probes after
 *	which the connection is dropped, 1..FH_KEEPALIVE_CNT_MAX. The three
 *	apply to connections accepted afterwards; open connections keep the
 *	values they were accepted with. A connection dropped by keepalive
 *	counts under FH_STAT_ERRORS.
 *
 *	http: FH_A_HTTP_HEADER_TIMEOUT_MS is the time a client has to send a
 *	request's head (request line and headers); when it runs out the
 *	request is answered 408 and the connection closed (default 10 s;
 *	0 disables it). FH_A_HTTP_MAX_HEADER is the longest request head in
 *	bytes, FH_HTTP_MAX_HEADER_MIN..FH_HTTP_MAX_HEADER_MAX (default
 *	32768); a longer one is answered 431. FH_A_HTTP_PIN_LIMIT bounds the
 *	bytes of cached files that left their cache (evicted, replaced,
 *	flushed) while responses still send from them, module-wide,
 *	FH_HTTP_PIN_LIMIT_MIN..FH_HTTP_PIN_LIMIT_MAX (default 64 MiB): at or
 *	over it, a miss streams its file from the page cache (at most one
 *	256 KiB window per connection) instead of filling a cache.
 *
 * FH_CMD_CACHE_FLUSH (admin)
 *	Request: FH_A_FAMILY, FH_A_ADDR, FH_A_PORT naming one listener, or
 *	none of them for every listener of the namespace that has a content
 *	cache (none at all is no error). Drops every entry of the cache(s).
 *	Errors: ENOENT (no listener has that address),
 *	EOPNOTSUPP (that listener's protocol has no cache).
 *
 * FH_CMD_CACHE_GET (dump)
 *	Reply: one message per listener with a content cache (http), with
 *	FH_A_PROTO, FH_A_FAMILY, FH_A_ADDR, FH_A_PORT, FH_A_LISTENER_CACHE
 *	(the limit; 0: caching off), FH_A_CACHE_BYTES and FH_A_CACHE_ENTRIES
 *	(held now), FH_A_CACHE_HITS, FH_A_CACHE_MISSES, FH_A_CACHE_EVICTIONS
 *	and FH_A_CACHE_INVALIDATIONS (counted since the listener was added),
 *	FH_A_CACHE_LOADS (files read into the cache: concurrent misses on one
 *	file make one load) and FH_A_CACHE_PINNED (module-wide: bytes of
 *	files out of every cache that responses still send from).
 *	No message at all when no listener has a cache.
 *
 * FH_CMD_LOG_GET (dump, admin)
 *	Reads and consumes the access log: the records of responses made by
 *	listeners added with FH_HTTP_OPT_ACCESS_LOG, in each CPU's order
 *	(the CPUs one after another, so not in global time order). Each
 *	record is read once: two readers share the records between them, as
 *	readers of a pipe do. A dump returns at most the records there were
 *	when it began (counted over all CPUs); read again (fhctl log
 *	--follow polls) for later ones. The log is the module's, shared by
 *	every network namespace, so reading it needs CAP_NET_ADMIN in the
 *	initial user namespace.
 *	Reply: one message per record with FH_A_LOG_TIME, FH_A_FAMILY and
 *	FH_A_ADDR (the client's), FH_A_PORT (the listener's), FH_A_LOG_METHOD
 *	(absent when the request line did not parse that far, or named a
 *	method unknown here of more than 8 bytes),
 *	FH_A_LOG_TARGET (the request-target as received, cut at
 *	FH_LOG_TARGET_MAX - 1 bytes; "-" when the line ended before it or it
 *	was too long to keep; absent with the method),
 *	FH_A_LOG_VERSION (10 or 11; 0 when unknown), FH_A_LOG_STATUS and
 *	FH_A_LOG_BYTES; a proxied request also has FH_A_LOG_UPSTREAM (the
 *	server it went to, "ADDR:PORT"), FH_A_LOG_UPSTREAM_STATUS (its
 *	status, 0 if it gave none: then FH_A_LOG_STATUS is 502 or 504) and
 *	FH_A_LOG_UPSTREAM_TIME_US (from the request's start to the
 *	upstream's whole response or failure, microseconds).
 *	Each CPU keeps FH_LOG_RECORDS records; a worker
 *	whose ring is full drops the record and counts it in
 *	FH_STAT_LOG_DROPPED, it never waits for a reader.
 * FH_CMD_UPSTREAM_ADD (admin)
 *	Request: FH_A_UPSTREAM_NAME (required; 1..FH_UPSTREAM_NAME_MAX - 1
 *	bytes of letters, digits, '-', '_' and '.'), FH_A_UPSTREAM_SERVER
 *	(required, repeated 1..FH_UPSTREAM_SERVERS_MAX times: "ADDR:PORT",
 *	an IPv4 address or an IPv6 one in brackets, "[::1]:8000"), and
 *	optionally FH_A_UPSTREAM_KEEPALIVE (idle connections each worker
 *	keeps to it for reuse, 0..FH_UPSTREAM_KEEPALIVE_MAX, default 32),
 *	FH_A_UPSTREAM_CONNECT_TIMEOUT_MS (default 60 s) and
 *	FH_A_UPSTREAM_READ_TIMEOUT_MS (the longest wait for the upstream to
 *	send or take bytes of a request in flight, default 60 s), both
 *	FH_TIMEOUT_MIN_MS..FH_TIMEOUT_MAX_MS; FH_A_UPSTREAM_MAX_FAILS
 *	(0..FH_UPSTREAM_MAX_FAILS_MAX, default 1; 0: never skip a server)
 *	and FH_A_UPSTREAM_FAIL_TIMEOUT_MS (FH_TIMEOUT_MIN_MS..
 *	FH_TIMEOUT_MAX_MS, default 10 s): a server that failed MAX_FAILS
 *	times (refused, unreachable, timed out, a malformed head) within
 *	FAIL_TIMEOUT is skipped for FAIL_TIMEOUT, as nginx's max_fails and
 *	fail_timeout; when every server is skipped, the first is tried.
 *	Upstreams are per network namespace, like listeners. Errors:
 *	EINVAL (bad name or server), EEXIST (the name is taken).
 * FH_CMD_UPSTREAM_DEL (admin)
 *	Request: FH_A_UPSTREAM_NAME. Closes its idle connections; requests
 *	in flight finish. Errors: ENOENT (no such upstream), EBUSY (a
 *	listener routes to it: delete that listener first).
 * FH_CMD_UPSTREAM_GET (do, dump)
 *	Reply: do: the upstream FH_A_UPSTREAM_NAME names (ENOENT if none
 *	has it); dump: one message per upstream of the namespace; each with
 *	FH_A_UPSTREAM_NAME, each FH_A_UPSTREAM_SERVER in order,
 *	FH_A_UPSTREAM_KEEPALIVE, FH_A_UPSTREAM_CONNECT_TIMEOUT_MS,
 *	FH_A_UPSTREAM_READ_TIMEOUT_MS, FH_A_UPSTREAM_MAX_FAILS,
 *	FH_A_UPSTREAM_FAIL_TIMEOUT_MS, FH_A_UPSTREAM_USERS (the routes and
 *	fallbacks of listeners that name it), FH_A_UPSTREAM_REQUESTS (requests sent to it),
 *	FH_A_UPSTREAM_CONNECTS (connections opened), FH_A_UPSTREAM_REUSES
 *	(requests sent on a kept connection), FH_A_UPSTREAM_FAILS (requests
 *	that failed on it: 502 or 504).
 *
 * http routes (FH_CMD_LISTENER_ADD, inside FH_A_LISTENER_HTTP):
 *	FH_HTTP_OPT_ROUTE, repeated up to FH_ROUTES_MAX times,
 *	"PREFIX=UPSTREAM": requests whose path starts with PREFIX (which
 *	starts with '/') go to that upstream, the longest prefix winning;
 *	FH_HTTP_OPT_FALLBACK names the upstream that gets what would
 *	otherwise be a 404 (no such file) or a 405 (a method other than GET
 *	and HEAD). With a route or a fallback FH_HTTP_OPT_ROOT is optional:
 *	without one, the listener is a pure proxy (a request no route takes
 *	is 404). Each upstream named must exist in the namespace (ENOENT),
 *	and cannot be deleted while the listener exists.
 *	FH_CMD_LISTENER_GET gives them back the same way.
 */
#ifndef _UAPI_LINUX_FIREHOSE_H
#define _UAPI_LINUX_FIREHOSE_H

#define FH_GENL_NAME		"firehose"
#define FH_GENL_VERSION		1

#define FH_PROTO_NAME_MAX	16
#define FH_CPULIST_MAX		256
#define FH_MAX_CONNS_LIMIT	10000000
#define FH_TIMEOUT_MIN_MS	100
#define FH_TIMEOUT_MAX_MS	(24U * 3600 * 1000)
#define FH_KEEPALIVE_MAX_S	32767	/* TCP's MAX_TCP_KEEPIDLE, _KEEPINTVL */
#define FH_KEEPALIVE_CNT_MAX	127	/* TCP's MAX_TCP_KEEPCNT */
#define FH_LOG_RECORDS		1024	/* access log records per CPU */
#define FH_LOG_TARGET_MAX	192	/* bytes of a target kept, NUL included */
#define FH_HTTP_MAX_HEADER_MIN	1024		/* bytes of a request head */
#define FH_HTTP_MAX_HEADER_MAX	(1024 * 1024)
#define FH_SOURCE_PREFIX6_MIN	32	/* bits of an IPv6 source's prefix */
#define FH_SOURCE_PREFIX6_MAX	128
#define FH_CACHE_MAX		(1ULL << 40)	/* largest content cache, bytes */
#define FH_HTTP_PIN_LIMIT_MIN	(1024 * 1024)	/* bytes pinned by responses */
#define FH_HTTP_PIN_LIMIT_MAX	(3U << 30)
#define FH_UPSTREAM_NAME_MAX	32	/* bytes of a name, NUL included */
#define FH_UPSTREAM_SERVERS_MAX	16
#define FH_UPSTREAM_SERVER_MAX	64	/* bytes of "ADDR:PORT", NUL included */
#define FH_UPSTREAM_KEEPALIVE_MAX 1024
#define FH_UPSTREAM_MAX_FAILS_MAX 1000
#define FH_ROUTES_MAX		32
#define FH_ROUTE_MAX		256	/* bytes of "PREFIX=UPSTREAM", NUL included */
#define FH_KV_MEM_MIN		(1ULL << 20)	/* kv's memory limit, bytes */
#define FH_KV_MEM_MAX		(1ULL << 40)
#define FH_KV_MEM_DEFAULT	(64ULL << 20)	/* as memcached -m 64 */
#define FH_KV_ITEM_MAX_MIN	1024		/* kv's largest item, bytes */
#define FH_KV_ITEM_MAX_MAX	(128U << 20)
#define FH_KV_ITEM_MAX_DEFAULT	(1U << 20)	/* as memcached -I 1m */

enum fh_cmd {
	FH_CMD_UNSPEC,
	FH_CMD_LISTENER_ADD,
	FH_CMD_LISTENER_DEL,
	FH_CMD_LISTENER_GET,
	FH_CMD_STATS_GET,
	FH_CMD_SETTINGS_GET,
	FH_CMD_SETTINGS_SET,
	FH_CMD_CACHE_FLUSH,
	FH_CMD_CACHE_GET,
	FH_CMD_LOG_GET,
	FH_CMD_UPSTREAM_ADD,
	FH_CMD_UPSTREAM_DEL,
	FH_CMD_UPSTREAM_GET,
	FH_CMD_LISTENER_SET,

	__FH_CMD_MAX,
	FH_CMD_MAX = __FH_CMD_MAX - 1
};

enum fh_attr {
	FH_A_UNSPEC,
	FH_A_PAD,
	FH_A_PROTO,		/* string: "echo", "chargen", "http" */
	FH_A_FAMILY,		/* u16: AF_INET or AF_INET6 */
	FH_A_ADDR,		/* binary: 4 or 16 bytes, network order */
	FH_A_PORT,		/* u16: 1..65535 */
	FH_A_CPUS,		/* string: cpulist */
	FH_A_LISTENER_ACCEPTED,	/* u64: connections accepted */
	FH_A_LISTENER_ACTIVE,	/* u64: connections open now */
	FH_A_STATS,		/* nest: FH_STAT_* totals */
	FH_A_STATS_CPU,		/* nest: FH_STAT_* of one worker */
	FH_A_MAX_CONNS,		/* u32 */
	FH_A_IDLE_TIMEOUT_MS,	/* u32, 0 = off */
	FH_A_SEND_TIMEOUT_MS,	/* u32, 0 = off */
	FH_A_KEEPALIVE_S,	/* u32, 0 = off: idle seconds before probing */
	FH_A_KEEPALIVE_INTVL_S,	/* u32: seconds between keepalive probes */
	FH_A_KEEPALIVE_CNT,	/* u32: unanswered probes before the drop */
	FH_A_MAX_CONNS_PER_SOURCE, /* u32, 0 = off: connections per peer address */
	FH_A_LISTENER_MAX_CONNS, /* u32: the listener's own limit, 0 = none */
	FH_A_RESERVED_19,	/* was FH_A_LISTENER_ROOT: now FH_HTTP_OPT_ROOT */
	FH_A_RESERVED_20,	/* was FH_A_LISTENER_UID: now FH_HTTP_OPT_UID */
	FH_A_RESERVED_21,	/* was FH_A_LISTENER_GID: now FH_HTTP_OPT_GID */
	FH_A_LISTENER_CACHE,	/* u64: cache-get: a cache's limit, bytes */
	FH_A_HTTP_HEADER_TIMEOUT_MS, /* u32, 0 = off: time to send a request head */
	FH_A_HTTP_MAX_HEADER,	/* u32: longest request head, bytes */
	FH_A_CACHE_BYTES,	/* u64: bytes the cache holds */
	FH_A_CACHE_ENTRIES,	/* u64: files the cache holds */
	FH_A_CACHE_HITS,	/* u64: requests served from the cache */
	FH_A_CACHE_MISSES,	/* u64: requests that had to load a file */
	FH_A_CACHE_EVICTIONS,	/* u64: entries evicted for room */
	FH_A_CACHE_INVALIDATIONS, /* u64: entries dropped as stale or flushed */
	FH_A_RESERVED_31,	/* was FH_A_LISTENER_ACCESS_LOG: FH_HTTP_OPT_ACCESS_LOG */
	FH_A_LOG_TIME,		/* u64: seconds since the epoch (UTC) */
	FH_A_LOG_METHOD,	/* string: the request's method */
	FH_A_LOG_TARGET,	/* string: the request-target, maybe cut */
	FH_A_LOG_VERSION,	/* u8: 10 (HTTP/1.0), 11, or 0: unknown */
	FH_A_LOG_STATUS,	/* u16: the response's status */
	FH_A_LOG_BYTES,		/* u64: body bytes of the response */
	FH_A_HTTP_PIN_LIMIT,	/* u32: bytes responses may pin out of caches */
	FH_A_CACHE_LOADS,	/* u64: files read into the cache */
	FH_A_CACHE_PINNED,	/* u64: bytes out of every cache, still being sent */
	FH_A_RESERVED_41,	/* was FH_A_LISTENER_ONE_FS: now FH_HTTP_OPT_ONE_FS */
	FH_A_SOURCE_PREFIX6,	/* u32: IPv6 peers count per source by this prefix */
	FH_A_UPSTREAM_NAME,	/* string */
	FH_A_UPSTREAM_SERVER,	/* string, repeated: "ADDR:PORT" */
	FH_A_UPSTREAM_KEEPALIVE, /* u32: idle connections kept per worker */
	FH_A_UPSTREAM_CONNECT_TIMEOUT_MS, /* u32 */
	FH_A_UPSTREAM_READ_TIMEOUT_MS, /* u32 */
	FH_A_UPSTREAM_MAX_FAILS, /* u32, 0 = never skip a server */
	FH_A_UPSTREAM_FAIL_TIMEOUT_MS, /* u32 */
	FH_A_UPSTREAM_USERS,	/* u32: routes and fallbacks naming it */
	FH_A_UPSTREAM_REQUESTS,	/* u64: requests sent to it */
	FH_A_UPSTREAM_CONNECTS,	/* u64: connections opened to it */
	FH_A_UPSTREAM_REUSES,	/* u64: requests sent on a kept connection */
	FH_A_UPSTREAM_FAILS,	/* u64: requests answered 502 or 504 */
	FH_A_RESERVED_55,	/* was FH_A_LISTENER_ROUTE: now FH_HTTP_OPT_ROUTE */
	FH_A_RESERVED_56,	/* was FH_A_LISTENER_FALLBACK: now FH_HTTP_OPT_FALLBACK */
	FH_A_LOG_UPSTREAM,	/* string: "ADDR:PORT" the request went to */
	FH_A_LOG_UPSTREAM_STATUS, /* u16: its status (0: no response) */
	FH_A_LOG_UPSTREAM_TIME_US, /* u32: from sending to its whole response */
	FH_A_LISTENER_HTTP,	/* nest: FH_HTTP_OPT_*, http's listener options */
	FH_A_LISTENER_KV,	/* nest: FH_KV_OPT_*, kv's listener options */

	__FH_A_MAX,
	FH_A_MAX = __FH_A_MAX - 1
};

/*
 * http's listener options, inside FH_A_LISTENER_HTTP (FH_CMD_LISTENER_ADD;
 * FH_CMD_LISTENER_GET gives them back the same way).
 */
enum fh_http_opt {
	FH_HTTP_OPT_UNSPEC,
	FH_HTTP_OPT_PAD,
	FH_HTTP_OPT_ROOT,	/* string: the document root, absolute path */
	FH_HTTP_OPT_UID,	/* u32: the user files are opened as */
	FH_HTTP_OPT_GID,	/* u32: that user's group */
	FH_HTTP_OPT_CACHE,	/* u64: cache limit, bytes, 0..FH_CACHE_MAX; 0 = none */
	FH_HTTP_OPT_ACCESS_LOG,	/* flag: log every response */
	FH_HTTP_OPT_ONE_FS,	/* flag: lookups stay on the root's file system */
	FH_HTTP_OPT_ROUTE,	/* string, repeated: "PREFIX=UPSTREAM" */
	FH_HTTP_OPT_FALLBACK,	/* string: upstream for 404s and 405s */

	__FH_HTTP_OPT_MAX,
	FH_HTTP_OPT_MAX = __FH_HTTP_OPT_MAX - 1
};

/*
 * kv's listener options, inside FH_A_LISTENER_KV (FH_CMD_LISTENER_ADD,
 * FH_CMD_LISTENER_SET; FH_CMD_LISTENER_GET adds what it holds).
 */
enum fh_kv_opt {
	FH_KV_OPT_UNSPEC,
	FH_KV_OPT_PAD,
	FH_KV_OPT_MEM,		/* u64: memory limit, FH_KV_MEM_MIN..FH_KV_MEM_MAX */
	FH_KV_OPT_ITEM_MAX,	/* u32: largest item, FH_KV_ITEM_MAX_MIN..FH_KV_ITEM_MAX_MAX */
	FH_KV_OPT_BYTES,	/* u64, replies only: bytes the items use */
	FH_KV_OPT_ITEMS,	/* u64, replies only: items held now */

	__FH_KV_OPT_MAX,
	FH_KV_OPT_MAX = __FH_KV_OPT_MAX - 1
};

/* Counters inside FH_A_STATS and FH_A_STATS_CPU; all u64 except FH_STAT_CPU. */
enum fh_stat {
	FH_STAT_UNSPEC,
	FH_STAT_PAD,
	FH_STAT_CPU,		/* u32: the worker's CPU */
	FH_STAT_ACCEPTED,	/* connections accepted */
	FH_STAT_ACTIVE,		/* connections open now */
	FH_STAT_CLOSED,		/* connections closed */
	FH_STAT_REFUSED,	/* closed at once: over a connection limit */
	FH_STAT_REQUESTS,	/* protocol requests handled */
	FH_STAT_BYTES_IN,	/* payload bytes received */
	FH_STAT_BYTES_OUT,	/* payload bytes sent */
	FH_STAT_ZEROCOPY_BYTES,	/* bytes sent by page reference (sendpage) */
	FH_STAT_COPIED_BYTES,	/* bytes sent by copy */
	FH_STAT_WAKEUPS,	/* worker woken from sleep */
	FH_STAT_BATCHES,	/* ready-list batches taken */
	FH_STAT_LOOKASIDE_HITS,	/* objects served by the per-CPU lookaside list */
	FH_STAT_SLAB_ALLOCS,	/* objects that had to come from the slab */
	FH_STAT_SWEEP_FREES,	/* idle objects the sweeper returned to the slab */
	FH_STAT_TIMEOUTS,	/* connections closed by idle or send timeout */
	FH_STAT_ERRORS,		/* connections ended by a socket error or reset */
	FH_STAT_POLLED_US,	/* microseconds workers polled for work (poll_us) */
	FH_STAT_SEGMENTS,	/* buffer segments connections hold now */
	FH_STAT_COMPACTED_BYTES, /* bytes copied to shed tiny segments */
	FH_STAT_WORKER_CALLS,	/* control-plane calls run on workers */
	FH_STAT_REFUSED_LISTENER, /* of refused: over the listener's limit */
	FH_STAT_REFUSED_SOURCE,	/* of refused: over the per-source limit */
	FH_STAT_HTTP_2XX,	/* http responses with a 2xx status */
	FH_STAT_HTTP_3XX,	/* http responses with a 3xx status (304 too) */
	FH_STAT_HTTP_4XX,	/* http responses with a 4xx status */
	FH_STAT_HTTP_5XX,	/* http responses with a 5xx status */
	FH_STAT_CACHE_HITS,	/* http requests served from the content cache */
	FH_STAT_CACHE_MISSES,	/* http requests that had to load a file */
	FH_STAT_PARKED,		/* requests parked for the loader stage */
	FH_STAT_CACHE_BYTES_OUT, /* body bytes sent from the content cache */
	FH_STAT_STREAMED_BYTES_OUT, /* body bytes streamed from the page cache */
	FH_STAT_LOG_RECORDS,	/* access log records written */
	FH_STAT_LOG_DROPPED,	/* access log records dropped: ring full */
	FH_STAT_PROXIED,	/* http requests sent to an upstream */
	FH_STAT_UPSTREAM_CONNECTS, /* upstream connections opened */
	FH_STAT_UPSTREAM_REUSES, /* proxied requests sent on a kept connection */
	FH_STAT_UPSTREAM_RETRIES, /* requests resent: a kept connection had closed */
	FH_STAT_UPSTREAM_REFUSED, /* connects refused or unreachable (502) */
	FH_STAT_UPSTREAM_TIMEOUTS, /* connect or read timeouts (504) */
	FH_STAT_UPSTREAM_BAD,	/* malformed or oversized upstream heads (502) */
	FH_STAT_UPSTREAM_ABORTS, /* upstream requests a client abandoned */
	FH_STAT_RELAYED_BYTES,	/* body bytes relayed by page reference */
	FH_STAT_RELAY_COPIED_BYTES, /* ... and by copy (heads are not counted) */

	__FH_STAT_MAX,
	FH_STAT_MAX = __FH_STAT_MAX - 1
};

/*
 * The counters' names, as /proc/net/firehose/stats and fhctl print them:
 * stable, scripts depend on them. An initializer for a const char *[]
 * indexed by enum fh_stat.
 */
#define FH_STAT_NAMES_INIT {					\
	[FH_STAT_CPU] = "cpu",					\
	[FH_STAT_ACCEPTED] = "accepted",			\
	[FH_STAT_ACTIVE] = "active",				\
	[FH_STAT_CLOSED] = "closed",				\
	[FH_STAT_REFUSED] = "refused",				\
	[FH_STAT_REQUESTS] = "requests",			\
	[FH_STAT_BYTES_IN] = "bytes_in",			\
	[FH_STAT_BYTES_OUT] = "bytes_out",			\
	[FH_STAT_ZEROCOPY_BYTES] = "zerocopy_bytes",		\
	[FH_STAT_COPIED_BYTES] = "copied_bytes",		\
	[FH_STAT_WAKEUPS] = "wakeups",				\
	[FH_STAT_BATCHES] = "batches",				\
	[FH_STAT_LOOKASIDE_HITS] = "lookaside_hits",		\
	[FH_STAT_SLAB_ALLOCS] = "slab_allocs",			\
	[FH_STAT_SWEEP_FREES] = "sweep_frees",			\
	[FH_STAT_TIMEOUTS] = "timeouts",			\
	[FH_STAT_ERRORS] = "errors",				\
	[FH_STAT_POLLED_US] = "polled_us",			\
	[FH_STAT_SEGMENTS] = "segments",			\
	[FH_STAT_COMPACTED_BYTES] = "compacted_bytes",		\
	[FH_STAT_WORKER_CALLS] = "worker_calls",		\
	[FH_STAT_REFUSED_LISTENER] = "refused_listener",	\
	[FH_STAT_REFUSED_SOURCE] = "refused_source",		\
	[FH_STAT_HTTP_2XX] = "http_2xx",			\
	[FH_STAT_HTTP_3XX] = "http_3xx",			\
	[FH_STAT_HTTP_4XX] = "http_4xx",			\
	[FH_STAT_HTTP_5XX] = "http_5xx",			\
	[FH_STAT_CACHE_HITS] = "cache_hits",			\
	[FH_STAT_CACHE_MISSES] = "cache_misses",		\
	[FH_STAT_PARKED] = "parked",				\
	[FH_STAT_CACHE_BYTES_OUT] = "cache_bytes_out",		\
	[FH_STAT_STREAMED_BYTES_OUT] = "streamed_bytes_out",	\
	[FH_STAT_LOG_RECORDS] = "log_records",			\
	[FH_STAT_LOG_DROPPED] = "log_dropped",			\
	[FH_STAT_PROXIED] = "proxied",				\
	[FH_STAT_UPSTREAM_CONNECTS] = "upstream_connects",	\
	[FH_STAT_UPSTREAM_REUSES] = "upstream_reuses",		\
	[FH_STAT_UPSTREAM_RETRIES] = "upstream_retries",	\
	[FH_STAT_UPSTREAM_REFUSED] = "upstream_refused",	\
	[FH_STAT_UPSTREAM_TIMEOUTS] = "upstream_timeouts",	\
	[FH_STAT_UPSTREAM_BAD] = "upstream_bad",		\
	[FH_STAT_UPSTREAM_ABORTS] = "upstream_aborts",		\
	[FH_STAT_RELAYED_BYTES] = "relayed_bytes",		\
	[FH_STAT_RELAY_COPIED_BYTES] = "relay_copied_bytes",	\
}

#endif /* _UAPI_LINUX_FIREHOSE_H */
