// SPDX-License-Identifier: GPL-2.0
/*
 * fh_idle: open N idle connections to ADDR:PORT and hold them, the crowd a
 * C10K/C100K server must carry while it serves others. Source addresses
 * rotate over the -b list so more than one port range's worth fits.
 *
 *   fh_idle -a ADDR -p PORT -n CONNS [-b SRC,SRC,...] [-t SECONDS] [-r READY_FILE]
 *
 * Prints "ready N" (and creates READY_FILE) once every connection is
 * established, then holds them, idle, until SECONDS pass or it is signalled.
 * Exit status 0 when all N connected and none was closed by the server.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 256
#define MAX_SRC 64

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET }, src[MAX_SRC];
	const char *addr = "127.0.0.1", *srcs = NULL, *ready_file = NULL;
	int port = 0, n = 0, nsrc = 0, ch, i, done = 0, closed = 0;
	double seconds = 3600, deadline;
	struct pollfd *pfd;

	while ((ch = getopt(argc, argv, "a:p:n:b:t:r:")) != -1) {
		switch (ch) {
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'n': n = atoi(optarg); break;
		case 'b': srcs = optarg; break;
		case 't': seconds = atof(optarg); break;
		case 'r': ready_file = optarg; break;
		default:
			fprintf(stderr, "usage: fh_idle -a ADDR -p PORT -n CONNS [-b SRC,...] [-t SECONDS] [-r FILE]\n");
			return 2;
		}
	}
	if (n < 1 || port < 1 || port > 65535 || seconds <= 0 ||
	    inet_pton(AF_INET, addr, &dst.sin_addr) != 1) {
		fprintf(stderr, "fh_idle: need -p PORT, -n CONNS >= 1 and an IPv4 -a ADDR\n");
		return 2;
	}
	dst.sin_port = htons(port);
	if (srcs) {
		char *copy = strdup(srcs), *tok, *save;

		for (tok = strtok_r(copy, ",", &save); tok && nsrc < MAX_SRC;
		     tok = strtok_r(NULL, ",", &save)) {
			memset(&src[nsrc], 0, sizeof(src[nsrc]));
			src[nsrc].sin_family = AF_INET;
			if (inet_pton(AF_INET, tok, &src[nsrc].sin_addr) != 1) {
				fprintf(stderr, "fh_idle: bad source address %s\n", tok);
				return 2;
			}
			nsrc++;
		}
		free(copy);
	}
	{
		struct rlimit rl = { (rlim_t)n + 64, (rlim_t)n + 64 };

		if (setrlimit(RLIMIT_NOFILE, &rl)) {
			perror("fh_idle: setrlimit");
			return 1;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	pfd = calloc(n, sizeof(*pfd));
	if (!pfd)
		return 1;

	/* Connect in non-blocking batches: handshakes overlap. */
	deadline = now_s() + 600;
	for (i = 0; i < n && !stop; i += BATCH) {
		int k, m = n - i < BATCH ? n - i : BATCH, pending;

		for (k = i; k < i + m; k++) {
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

			if (fd < 0) {
				perror("fh_idle: socket");
				return 1;
			}
			if (nsrc) {
				int one = 1;

				/* Pick the port at connect: each source has its own range. */
				setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
				if (bind(fd, (struct sockaddr *)&src[k % nsrc], sizeof(src[0]))) {
					perror("fh_idle: bind");
					return 1;
				}
			}
			if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) && errno != EINPROGRESS) {
				fprintf(stderr, "fh_idle: connect #%d: %s\n", k, strerror(errno));
				return 1;
			}
			pfd[k].fd = fd;
			pfd[k].events = POLLOUT;
		}
		for (pending = m; pending && now_s() < deadline && !stop;) {
			if (poll(pfd + i, m, 1000) < 0 && errno != EINTR)
				return 1;
			for (k = i; k < i + m; k++) {
				int err = 0;
				socklen_t len = sizeof(err);

				if (!(pfd[k].events & POLLOUT) || !pfd[k].revents)
					continue;
				getsockopt(pfd[k].fd, SOL_SOCKET, SO_ERROR, &err, &len);
				if (err) {
					fprintf(stderr, "fh_idle: connect #%d: %s\n", k, strerror(err));
					return 1;
				}
				pfd[k].events = POLLIN;	/* now idle: wake only on close */
				pending--;
				done++;
			}
		}
		if (pending) {
			fprintf(stderr, "fh_idle: connects timed out after %d\n", done);
			return 1;
		}
	}
	printf("ready %d\n", done);
	fflush(stdout);
	if (ready_file) {
		FILE *f = fopen(ready_file, "w");

		if (f)
			fclose(f);
	}

	/*
	 * Hold without looking: a poll over the whole crowd would cost this
	 * process O(N) CPU at every wakeup and disturb what is measured.
	 * Whether the server closed any is checked once, at the end.
	 */
	deadline = now_s() + seconds;
	while (!stop && now_s() < deadline)
		usleep(200000);
	if (poll(pfd, n, 0) > 0) {
		for (i = 0; i < n; i++)
			if (pfd[i].revents)
				closed++;
	}
	if (closed)
		fprintf(stderr, "fh_idle: the server closed %d of %d idle connections\n", closed, n);
	return closed ? 1 : 0;
}
