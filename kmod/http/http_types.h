/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FH_HTTP_TYPES_H
#define _FH_HTTP_TYPES_H

/*
 * The HTTP parsers build unchanged in the module and in userspace (unit
 * tests, fuzzing), so their .c files include nothing but this shim: the
 * fixed-width kernel types, size_t, bool and NULL from either world, and
 * memcpy, memchr and strlen, which both worlds have.
 */
#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/string.h>
#else
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <string.h>

/* As the kernel defines them (int-ll64.h), so formats agree in both. */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long s64;
#endif

#endif /* _FH_HTTP_TYPES_H */
