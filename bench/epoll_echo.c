// SPDX-License-Identifier: GPL-2.0
/*
 * epoll_echo: the reference userspace echo server, tuned as a user would
 * tune it: one thread per CPU, each pinned, each with its own SO_REUSEPORT
 * listener and edge-triggered epoll set, non-blocking sockets, TCP_NODELAY;
 * a short read means the socket is drained, so no read is spent collecting
 * EAGAIN.
 *
 *   epoll_echo -p PORT [-a ADDR] [-C CPULIST] [-t SECONDS]
 *
 * Runs until killed, or for SECONDS when given (bounded benchmarks).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE	65536
#define MAX_EVENTS	256

struct conn {
	int fd;
	int readable;	/* the socket may hold data: an event said so, or the last read filled buf */
	int hup;	/* the peer shut down: read on to EOF */
	size_t len;	/* bytes in buf not yet written back */
	size_t off;
	char buf[BUF_SIZE];
};

static struct sockaddr_in listen_addr = { .sin_family = AF_INET };

static int make_listener(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;

	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&listen_addr, sizeof(listen_addr)) ||
	    listen(fd, 4096)) {
		perror("epoll_echo: listener");
		exit(1);
	}
	return fd;
}

static void close_conn(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

/*
 * Write back what is pending, then read and echo while the socket may hold
 * more. Edge-triggered, a short read means the socket is drained: data that
 * arrives later brings a new event. Once the peer has shut down, no event
 * would announce the EOF again, so then it reads on until it gets it.
 */
static void serve(int ep, struct conn *c, uint32_t events)
{
	ssize_t n;

	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->readable = 1;
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->hup = 1;
	for (;;) {
		while (c->off < c->len) {
			n = send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN)
					return;	/* EPOLLOUT (edge) brings us back */
				close_conn(ep, c);
				return;
			}
			c->off += n;
		}
		c->off = c->len = 0;
		if (!c->readable)
			return;
		n = recv(c->fd, c->buf, BUF_SIZE, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			close_conn(ep, c);
			return;
		}
		if (n < 0) {
			c->readable = 0;
			return;
		}
		c->len = n;
		if (n < BUF_SIZE && !c->hup)
			c->readable = 0;
	}
}

static void *worker(void *arg)
{
	int cpu = (int)(long)arg, lfd, ep, one = 1, i, n;
	struct epoll_event ev, evs[MAX_EVENTS];

	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	lfd = make_listener();
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, MAX_EVENTS, -1);
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (!c) {
				int fd;

				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					c = malloc(sizeof(*c));
					if (!c) {
						close(fd);
						continue;
					}
					c->fd = fd;
					c->readable = c->hup = 0;
					c->len = c->off = 0;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					/* Writable at once, so the add queues an event,
					 * with EPOLLIN if data is already there. */
					ev.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			serve(ep, c, evs[i].events);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *cpus = NULL, *addr = "0.0.0.0";
	int port = 0, ch, nthreads = 0, list[CPU_SETSIZE];
	unsigned int seconds = 0;
	pthread_t tid;

	while ((ch = getopt(argc, argv, "p:a:C:t:")) != -1) {
		switch (ch) {
		case 'p': port = atoi(optarg); break;
		case 'a': addr = optarg; break;
		case 'C': cpus = optarg; break;
		case 't': seconds = (unsigned int)atoi(optarg); break;
		default:
			fprintf(stderr, "usage: epoll_echo -p PORT [-a ADDR] [-C CPULIST] [-t SECONDS]\n");
			return 2;
		}
	}
	if (port < 1 || port > 65535 || inet_pton(AF_INET, addr, &listen_addr.sin_addr) != 1) {
		fprintf(stderr, "epoll_echo: need -p PORT (1-65535) and an IPv4 -a ADDR\n");
		return 2;
	}
	listen_addr.sin_port = htons(port);
	{
		struct rlimit rl = { 1 << 20, 1 << 20 };

		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (cpus) {
		char *copy = strdup(cpus), *tok, *save;

		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			int a, b;

			if (sscanf(tok, "%d-%d", &a, &b) != 2)
				b = a = atoi(tok);
			for (; a <= b && nthreads < CPU_SETSIZE; a++)
				list[nthreads++] = a;
		}
		free(copy);
	} else {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		for (nthreads = 0; nthreads < n && nthreads < CPU_SETSIZE; nthreads++)
			list[nthreads] = nthreads;
	}
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&tid, NULL, worker, (void *)(long)list[i]))
			return 1;
	if (seconds)
		sleep(seconds);
	else
		for (;;)
			pause();
	return 0;
}
