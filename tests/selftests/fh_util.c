// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the firehose selftests (run inside the test VM). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fh_util.h"

long long fh_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int fh_vrun(char *out, size_t outlen, const char *fmt, va_list ap)
{
	char cmd[4096], discard[256];
	size_t used = 0, n;
	FILE *p;
	int st;

	vsnprintf(cmd, sizeof(cmd) - 8, fmt, ap);
	strcat(cmd, " 2>&1");
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (out && outlen)
		out[0] = '\0';
	for (;;) {
		if (out && used + 1 < outlen) {
			n = fread(out + used, 1, outlen - used - 1, p);
			used += n;
			out[used] = '\0';
		} else {
			n = fread(discard, 1, sizeof(discard), p);
		}
		if (!n)
			break;
	}
	st = pclose(p);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int fh_run(char *out, size_t outlen, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = fh_vrun(out, outlen, fmt, ap);
	va_end(ap);
	return ret;
}

int fh_fhctl_ok(const char *fmt, ...)
{
	char cmd[2048], out[4096];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ret = fh_run(out, sizeof(out), "fhctl %s", cmd);
	if (ret)
		fprintf(stderr, "# fhctl %s: exit %d: %s", cmd, ret, out);
	return ret;
}

bool fh_module_loaded(void)
{
	char out[64];

	return fh_run(out, sizeof(out), "grep -q '^firehose ' /proc/modules") == 0;
}

int fh_fhctl_v(char *out, size_t len, const char *streams, const char *fmt,
	       va_list ap)
{
	char cmd[2048];

	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	return fh_run(out, len, "{ fhctl %s %s; }", cmd, streams);
}

int fh_fhctl_out(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = fh_fhctl_v(out, len, "2>/dev/null", fmt, ap);
	va_end(ap);
	return ret;
}

int fh_fhctl_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = fh_fhctl_v(err, len, "2>&1 >/dev/null", fmt, ap);
	va_end(ap);
	return ret;
}

int fh_count_lines_starting(const char *s, const char *prefix)
{
	size_t plen = strlen(prefix);
	int n = 0;

	while (*s) {
		if (!strncmp(s, prefix, plen))
			n++;
		s = strchr(s, '\n');
		if (!s)
			break;
		s++;
	}
	return n;
}

int fh_module_load(void)
{
	const char *mod = getenv("FH_MOD");

	if (fh_module_loaded())
		return 0;
	return fh_run(NULL, 0, "insmod %s", mod ? mod : FH_MODULE_DEFAULT);
}

int fh_module_unload(void)
{
	int i, ret = 0;

	/*
	 * A loader job still out holds the module (kmod/http/load.c): rmmod
	 * is refused until it ends, so it is tried for up to 20 s.
	 */
	for (i = 0; i < 100 && fh_module_loaded(); i++) {
		ret = fh_run(NULL, 0, "rmmod firehose 2>/dev/null");
		if (!ret)
			return 0;
		usleep(200 * 1000);
	}
	return fh_module_loaded() ? (ret ? ret : -1) : 0;
}

long long fh_stat(const char *name)
{
	FILE *f = fopen("/proc/net/firehose/stats", "r");
	char key[64];
	long long v, ret = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &v) == 2) {
		if (!strcmp(key, name)) {
			ret = v;
			break;
		}
	}
	fclose(f);
	return ret;
}

bool fh_wait_stat(const char *name, long long at_least, int timeout_ms)
{
	long long end = fh_now_ms() + timeout_ms;

	do {
		if (fh_stat(name) >= at_least)
			return true;
		usleep(20000);
	} while (fh_now_ms() < end);
	return false;
}

int fh_connect(const char *addr, int port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr *sa;
	socklen_t len;
	int fd, one = 1;

	if (inet_pton(AF_INET, addr, &sin.sin_addr) == 1) {
		sin.sin_port = htons(port);
		sa = (struct sockaddr *)&sin;
		len = sizeof(sin);
	} else if (inet_pton(AF_INET6, addr, &sin6.sin6_addr) == 1) {
		sin6.sin6_port = htons(port);
		sa = (struct sockaddr *)&sin6;
		len = sizeof(sin6);
	} else {
		return -1;
	}
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fh_set_timeout(fd, 30000);
	if (connect(fd, sa, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

int fh_set_nonblock(int fd)
{
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

int fh_set_timeout(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	       setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int fh_echo_exchange(int fd, const void *buf, size_t len, void *out, int timeout_ms)
{
	size_t sent = 0, got = 0;
	long long end = fh_now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = fd };
	ssize_t n;

	while (got < len) {
		int left = (int)(end - fh_now_ms());

		if (left <= 0)
			return -1;
		pfd.events = POLLIN | (sent < len ? POLLOUT : 0);
		if (poll(&pfd, 1, left) < 0 && errno != EINTR)
			return -1;
		if (sent < len && (pfd.revents & POLLOUT)) {
			n = send(fd, (const char *)buf + sent, len - sent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN)
				return -1;
			if (n > 0)
				sent += n;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(fd, (char *)out + got, len - got, MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN))
				return -1;
			if (n > 0)
				got += n;
		}
	}
	return 0;
}

long fh_read_to_eof(int fd, void *out, size_t cap, int timeout_ms)
{
	long long end = fh_now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	for (;;) {
		int left = (int)(end - fh_now_ms());

		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return -1;
		n = recv(fd, (char *)out + got, cap - got, MSG_DONTWAIT);
		if (n == 0)
			return got;
		if (n < 0 && errno != EAGAIN)
			return -1;
		if (n > 0)
			got += n;
		if (got == cap)
			return got;
	}
}

bool fh_wait_closed(int fd, int timeout_ms)
{
	long long end = fh_now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[4096];
	ssize_t n;

	for (;;) {
		int left = (int)(end - fh_now_ms());

		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return false;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			return true;
	}
}

long long fh_mem_available(void)
{
	char buf[4096], *p;

	if (!fh_read_file("/proc/meminfo", buf, sizeof(buf)))
		return -1;
	p = strstr(buf, "MemAvailable:");
	return p ? atoll(p + 13) * 1024 : -1;
}

bool fh_debug_kernel(void)
{
	const char *k = getenv("FH_KERNEL");

	return k && !strncmp(k, "debug-", 6);
}

size_t fh_read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return 0;
	while (got + 1 < cap && (n = read(fd, buf + got, cap - got - 1)) > 0)
		got += n;
	buf[got] = '\0';
	close(fd);
	return got;
}

int fh_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

int fh_create_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	size_t done = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (done < len) {
		n = write(fd, (const char *)data + done, len - done);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += n;
	}
	fchmod(fd, mode);
	return close(fd);
}

void fh_fill_random(void *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)x;
	}
}

int fh_test_port(int base)
{
	return base + (getpid() % 1000);
}
