/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * textin.h - batch and --table files: a regular file (or standard input)
 * read a line at a time within caps on line length, line count and size,
 * so no file, FIFO or endless device can hang kvm-assign or fill memory.
 */
#ifndef KVM_ASSIGN_TEXTIN_H
#define KVM_ASSIGN_TEXTIN_H

#include <stdio.h>

#define TEXTIN_LINE_MAX 4096		/* bytes a line, its newline not counted */
#define TEXTIN_LINES_MAX 10000		/* lines a file */
#define TEXTIN_SIZE_MAX (1u << 20)	/* bytes a file (1 MiB) */

struct textin {
	FILE *in;
	unsigned line;			/* the line last read (or refused) */
	size_t total;			/* bytes read so far */
	char buf[TEXTIN_LINE_MAX + 1];	/* that line, without its newline */
	char why[96];			/* why textin_next refused */
};

/* PATH for reading: a regular file only, opened without blocking (a FIFO
 * cannot hang the open).  NULL with errno; EINVAL: not a regular file. */
FILE *textin_fopen(const char *path);
/* "not a regular file" for EINVAL, else strerror. */
const char *textin_strerror(int err);

void textin_init(struct textin *t, FILE *in);
/* The next line in t->buf: 1; 0 at the end; -1 with t->why (a NUL byte, a
 * line, the line count or the size over its cap, a read error), the line
 * it names in t->line.  Never reads past the caps. */
int textin_next(struct textin *t);

#endif
