/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the firehose selftests (run inside the test VM). */
#ifndef FH_UTIL_H
#define FH_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FH_MODULE_DEFAULT "/fh/mod/firehose.ko"

/* Run a shell command; its stdout+stderr go to out. Returns the exit status. */
int fh_run(char *out, size_t outlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* fh_run("fhctl ...") that must succeed; returns 0 or the failing status. */
int fh_fhctl_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * fhctl with its streams chosen by a shell redirection (STREAMS: "" for
 * both); out gets what is left. Returns the exit status.
 */
int fh_fhctl_v(char *out, size_t len, const char *streams, const char *fmt,
	       va_list ap);
/* fhctl; out gets its stdout only. */
int fh_fhctl_out(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* fhctl; err gets its stderr only. */
int fh_fhctl_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Lines of @s that start with @prefix. */
int fh_count_lines_starting(const char *s, const char *prefix);

/* The module's settings at load, as "fhctl set" takes them. */
#define FH_DEFAULT_SETTINGS \
	"max-connections 100000 max-connections-per-source 4096 idle-timeout 60s " \
	"send-timeout 30s " \
	"keepalive 60s keepalive-interval 10s keepalive-count 6 " \
	"http-header-timeout 10s http-max-header 32K http-pin-limit 64M source-prefix6 64"

int fh_module_load(void);
int fh_module_unload(void);
bool fh_module_loaded(void);

/* A counter from /proc/net/firehose/stats (totals); -1 if absent. */
long long fh_stat(const char *name);
/* Poll until fh_stat(name) satisfies cmp against value or timeout_ms passes. */
bool fh_wait_stat(const char *name, long long at_least, int timeout_ms);

/* Blocking TCP connect to addr:port (IPv4 or IPv6 literal), -1 on failure. */
int fh_connect(const char *addr, int port);
int fh_set_nonblock(int fd);
int fh_set_timeout(int fd, int ms);

/* Send all of buf while reading back the echo into out (same length). */
int fh_echo_exchange(int fd, const void *buf, size_t len, void *out, int timeout_ms);
/* Read until EOF or timeout: returns bytes read, -1 on timeout or error. */
long fh_read_to_eof(int fd, void *out, size_t cap, int timeout_ms);
/* True when the peer closed (EOF or reset) within timeout_ms. */
bool fh_wait_closed(int fd, int timeout_ms);

/* Read a whole (small) file into buf, NUL-terminated: bytes read, 0 on error. */
size_t fh_read_file(const char *path, char *buf, size_t cap);
/* /proc/meminfo's MemAvailable, in bytes; -1 if unread. */
long long fh_mem_available(void);
/* The guest runs a debug kernel (FH_KERNEL=debug-*): sanitizers, far slower. */
bool fh_debug_kernel(void);
/* Write val to a sysfs/debugfs/tracefs file (truncating): 0 or -1. */
int fh_write_file(const char *path, const char *val);
/* Create (or truncate) @path with @len bytes of @data and @mode: 0 or -1. */
int fh_create_file(const char *path, const void *data, size_t len, mode_t mode);

/* Deterministic pseudo-random bytes. */
void fh_fill_random(void *buf, size_t len, uint64_t seed);

/* A port no other test in this run uses: base + pid-derived offset. */
int fh_test_port(int base);
long long fh_now_ms(void);

#endif /* FH_UTIL_H */
