/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * textin.c - batch and --table files: a regular file (or standard input)
 * read a line at a time within caps on line length, line count and size.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "textin.h"

FILE *textin_fopen(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;	/* a FIFO, a device, a directory */
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return f;
}

const char *textin_strerror(int err)
{
	return err == EINVAL ? "not a regular file" : strerror(err);
}

void textin_init(struct textin *t, FILE *in)
{
	memset(t, 0, sizeof(*t));
	t->in = in;
}

static int refuse(struct textin *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(struct textin *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->why, sizeof(t->why), fmt, ap);
	va_end(ap);
	return -1;
}

int textin_next(struct textin *t)
{
	size_t n = 0;
	int c = getc(t->in);

	if (c == EOF)
		return ferror(t->in) ? refuse(t, "cannot read: %s", strerror(errno)) : 0;
	if (++t->line > TEXTIN_LINES_MAX)
		return refuse(t, "more than %d lines", TEXTIN_LINES_MAX);
	for (; c != EOF && c != '\n'; c = getc(t->in)) {
		if (++t->total > TEXTIN_SIZE_MAX)
			return refuse(t, "more than %u bytes", TEXTIN_SIZE_MAX);
		if (c == '\0')
			return refuse(t, "a NUL byte: not a line of text");
		if (n == TEXTIN_LINE_MAX)
			return refuse(t, "a line longer than %d bytes", TEXTIN_LINE_MAX);
		t->buf[n++] = (char)c;
	}
	if (c == '\n' && ++t->total > TEXTIN_SIZE_MAX)
		return refuse(t, "more than %u bytes", TEXTIN_SIZE_MAX);
	if (c == EOF && ferror(t->in))
		return refuse(t, "cannot read: %s", strerror(errno));
	t->buf[n] = '\0';
	return 1;
}
