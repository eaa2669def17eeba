// SPDX-License-Identifier: GPL-2.0
/*
 * fhctl's output helpers: values formatted as the user types them, text
 * tables, and JSON strings.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "fhctl.h"

const char *format_host(char *buf, size_t size, uint16_t family, const unsigned char *addr)
{
	if (!inet_ntop(family, addr, buf, size))
		snprintf(buf, size, "?");
	return buf;
}

void format_endpoint(char *buf, size_t size, uint16_t family,
			    const unsigned char *addr, uint16_t port)
{
	char host[INET6_ADDRSTRLEN];

	format_host(host, sizeof(host), family, addr);
	if (family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", host, port);
	else
		snprintf(buf, size, "%s:%u", host, port);
}

const char *format_ms(char *buf, size_t size, uint64_t ms)
{
	if (!ms)
		snprintf(buf, size, "off");
	else if (ms % 1000)
		snprintf(buf, size, "%" PRIu64 "ms", ms);
	else
		snprintf(buf, size, "%" PRIu64 "s", ms / 1000);
	return buf;
}

/* Bytes as parse_size() takes them: 256M, 8K, 1000; 0 is "0". */
const char *format_size(char *buf, size_t size, uint64_t bytes)
{
	static const char units[] = "KMG";
	int u = -1;

	while (u < 2 && bytes && !(bytes % 1024)) {
		bytes /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, size, "%" PRIu64, bytes);
	else
		snprintf(buf, size, "%" PRIu64 "%c", bytes, units[u]);
	return buf;
}

int u64_width(uint64_t v)
{
	char buf[24];

	return snprintf(buf, sizeof(buf), "%" PRIu64, v);
}

int max_int(int a, int b)
{
	return a > b ? a : b;
}

void table_fit(int *w, const char *const *cell, int ncols)
{
	for (int c = 0; c < ncols; c++)
		w[c] = max_int(w[c], (int)strlen(cell[c]));
}

void table_row(const char *const *cell, const int *w, int ncols)
{
	for (int c = 0; c < ncols - 1; c++)
		printf("%-*s  ", w[c], cell[c]);
	printf("%s\n", cell[ncols - 1]);
}

void json_str(const char *s)
{
	json_str_n(s, strlen(s));
}

void json_str_n(const char *s, size_t len)
{
	putchar('"');
	for (const char *end = s + len; s < end && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}
