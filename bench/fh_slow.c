// SPDX-License-Identifier: GPL-2.0
/*
 * fh_slow: Kegel's second C10K test. N clients each download a file over
 * HTTP/1.1 at a bounded rate (a small receive buffer and a per-client byte
 * budget), so the server holds N connections that always have data queued
 * and can never finish one quickly. A completed response is asked for again
 * on the same connection.
 *
 *   fh_slow -a ADDR -p PORT -n CONNS -u PATH -r BYTES_PER_S -t SECONDS [-R READY_FILE]
 *
 * Connects all N and sends each its request, creates READY_FILE, then reads
 * for SECONDS and prints one line:
 *   conns=N bytes=B rate_Bps=X per_client_min_Bps=.. per_client_max_Bps=..
 *   responses=R closed=C errors=E bad_status=S
 * Exit status 0 when every client connected, and none was closed, failed or
 * got a status other than 200.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TICK 0.05	/* seconds between read rounds */

struct client {
	int fd;
	int in_head;		/* reading a response head */
	size_t head_len;
	char head[1024];
	long long body_left;
	double credit;
	long long bytes;	/* in the measured window */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char req[512];
static size_t req_len;
static long long responses, bad_status;

/* Consume n received bytes; returns -1 on a malformed or non-200 response. */
static int consume(struct client *c, const char *p, size_t n)
{
	while (n) {
		if (!c->in_head) {
			size_t take = (long long)n < c->body_left ? n : (size_t)c->body_left;

			c->body_left -= take;
			p += take;
			n -= take;
			if (!c->body_left) {
				responses++;
				c->in_head = 1;
				c->head_len = 0;
				if (send(c->fd, req, req_len, MSG_NOSIGNAL) != (ssize_t)req_len)
					return -1;
			}
			continue;
		}
		/* One byte at a time into the head: heads are short. */
		if (c->head_len >= sizeof(c->head) - 1)
			return -1;
		c->head[c->head_len++] = *p++;
		n--;
		if (c->head_len >= 4 && !memcmp(c->head + c->head_len - 4, "\r\n\r\n", 4)) {
			char *cl;

			c->head[c->head_len] = 0;
			if (strncmp(c->head, "HTTP/1.1 200", 12)) {
				bad_status++;
				return -1;
			}
			cl = strcasestr(c->head, "\r\ncontent-length:");
			if (!cl)
				return -1;
			c->body_left = atoll(cl + 17);
			c->in_head = 0;
			if (!c->body_left) {
				responses++;
				c->in_head = 1;
				c->head_len = 0;
				if (send(c->fd, req, req_len, MSG_NOSIGNAL) != (ssize_t)req_len)
					return -1;
			}
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	const char *addr = "127.0.0.1", *path = "/", *ready_file = NULL;
	int port = 0, n = 0, ch, i, rcvbuf = 4096, live = 0;
	long long closed = 0, errors = 0, total = 0;
	double rate = 10000, seconds = 10, start, end, last, min_r = -1, max_r = 0;
	struct client *cl;
	static char buf[65536];

	while ((ch = getopt(argc, argv, "a:p:n:u:r:t:R:")) != -1) {
		switch (ch) {
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'n': n = atoi(optarg); break;
		case 'u': path = optarg; break;
		case 'r': rate = atof(optarg); break;
		case 't': seconds = atof(optarg); break;
		case 'R': ready_file = optarg; break;
		default:
			fprintf(stderr, "usage: fh_slow -a ADDR -p PORT -n CONNS -u PATH -r BYTES_PER_S -t SECONDS [-R READY_FILE]\n");
			return 2;
		}
	}
	if (!port || n <= 0 || inet_pton(AF_INET, addr, &dst.sin_addr) != 1) {
		fprintf(stderr, "fh_slow: -p PORT, -n CONNS and an IPv4 -a ADDR needed\n");
		return 2;
	}
	dst.sin_port = htons(port);
	req_len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: bench\r\n\r\n", path);
	cl = calloc(n, sizeof(*cl));
	if (!cl)
		return 1;
	for (i = 0; i < n; i++) {
		struct client *c = &cl[i];

		c->fd = socket(AF_INET, SOCK_STREAM, 0);
		/* A small window: the server must hold what the client has not read. */
		if (c->fd < 0 || setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) ||
		    connect(c->fd, (struct sockaddr *)&dst, sizeof(dst)) ||
		    send(c->fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)req_len) {
			fprintf(stderr, "fh_slow: client %d: %s\n", i, strerror(errno));
			if (c->fd >= 0)
				close(c->fd);
			c->fd = -1;
			errors++;
			continue;
		}
		fcntl(c->fd, F_SETFL, O_NONBLOCK);
		c->in_head = 1;
		live++;
	}
	if (ready_file) {
		FILE *f = fopen(ready_file, "w");

		if (f)
			fclose(f);
	}
	start = last = now_s();
	end = start + seconds;
	while (last < end) {
		struct timespec ts = { 0, (long)(TICK * 1e9) };
		double t, dt;

		nanosleep(&ts, NULL);
		t = now_s();
		dt = t - last;
		last = t;
		for (i = 0; i < n; i++) {
			struct client *c = &cl[i];

			if (c->fd < 0)
				continue;
			c->credit += rate * dt;
			/* No saving up: a client that fell behind stays behind. */
			if (c->credit > rate * 4 * TICK)
				c->credit = rate * 4 * TICK;
			while (c->credit >= 1) {
				size_t want = c->credit < sizeof(buf) ? (size_t)c->credit : sizeof(buf);
				ssize_t got = recv(c->fd, buf, want, MSG_DONTWAIT);

				if (got > 0) {
					c->credit -= got;
					c->bytes += got;
					total += got;
					if (consume(c, buf, got) == 0)
						continue;
					errors++;
				} else if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
					break;
				} else if (got == 0) {
					closed++;
				} else {
					errors++;
				}
				close(c->fd);
				c->fd = -1;
				break;
			}
		}
	}
	seconds = last - start;
	for (i = 0; i < n; i++) {
		double r = cl[i].bytes / seconds;

		if (min_r < 0 || r < min_r)
			min_r = r;
		if (r > max_r)
			max_r = r;
		if (cl[i].fd >= 0)
			close(cl[i].fd);
	}
	printf("conns=%d bytes=%lld rate_Bps=%.0f per_client_min_Bps=%.0f per_client_max_Bps=%.0f responses=%lld closed=%lld errors=%lld bad_status=%lld\n",
	       live, total, total / seconds, min_r, max_r, responses, closed, errors, bad_status);
	return live == n && !closed && !errors && !bad_status ? 0 : 1;
}
