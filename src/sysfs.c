/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sysfs.c - the one place for paths under /sys, /proc and /run: a context with
 * a root prefix (--sysroot), readers, and the writes --dry-run and -v show.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysfs.h"
#include "util.h"

void sysfs_init(struct sysfs_ctx *ctx, const char *root)
{
	*ctx = (struct sysfs_ctx){ .root = root && strcmp(root, "/") ? root : "", .log = stdout };
}

bool sysfs_is_live(const struct sysfs_ctx *ctx)
{
	return !*ctx->root;
}

static const char *vpath(const struct sysfs_ctx *ctx, char *buf, size_t len, const char *fmt, va_list ap)
{
	size_t n = (size_t)snprintf(buf, len, "%s", ctx->root);

	if (n < len)
		vsnprintf(buf + n, len - n, fmt, ap);
	return buf;
}

const char *sysfs_path(const struct sysfs_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpath(ctx, buf, len, fmt, ap);
	va_end(ap);
	return buf;
}

int sysfs_read_s(const struct sysfs_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
{
	char path[4096];
	va_list ap;

	va_start(ap, fmt);
	vpath(ctx, path, sizeof(path), fmt, ap);
	va_end(ap);
	buf[0] = '\0';
	return read_line(path, buf, len) ? 0 : -errno;
}

int sysfs_readlink_basename(const struct sysfs_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
{
	char path[4096];
	va_list ap;

	va_start(ap, fmt);
	vpath(ctx, path, sizeof(path), fmt, ap);
	va_end(ap);
	buf[0] = '\0';
	return readlink_basename(path, buf, len) ? 0 : -errno;
}

int sysfs_count_entries(const struct sysfs_ctx *ctx, const char *fmt, ...)
{
	char path[4096];
	va_list ap;

	va_start(ap, fmt);
	vpath(ctx, path, sizeof(path), fmt, ap);
	va_end(ap);
	return dir_entries(path);
}

bool sysfs_exists(const struct sysfs_ctx *ctx, const char *fmt, ...)
{
	char path[4096];
	va_list ap;

	va_start(ap, fmt);
	vpath(ctx, path, sizeof(path), fmt, ap);
	va_end(ap);
	return access(path, F_OK) == 0;
}

FILE *sysfs_fopen(const struct sysfs_ctx *ctx, const char *fmt, ...)
{
	char path[4096];
	va_list ap;

	va_start(ap, fmt);
	vpath(ctx, path, sizeof(path), fmt, ap);
	va_end(ap);
	return fopen(path, "re");
}

DIR *sysfs_opendir(const struct sysfs_ctx *ctx, const char *fmt, ...)
{
	char path[4096];
	va_list ap;

	va_start(ap, fmt);
	vpath(ctx, path, sizeof(path), fmt, ap);
	va_end(ap);
	return opendir(path);
}

int sysfs_write(const struct sysfs_ctx *ctx, const char *value, const char *fmt, ...)
{
	char path[4096], *data;
	size_t len = strlen(value) + 1;
	ssize_t n;
	va_list ap;
	int fd, err = 0;

	va_start(ap, fmt);
	vpath(ctx, path, sizeof(path), fmt, ap);
	va_end(ap);
	if ((ctx->dry_run || ctx->verbose) && ctx->log) {
		fprintf(ctx->log, "echo%s%s > %s\n", *value ? " " : "", value, path);
		fflush(ctx->log);
	}
	if (ctx->dry_run)
		return 0;
	/* No O_CREAT: a sysfs attribute that is not there is an answer. */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	data = xasprintf("%s\n", value);
	n = write(fd, data, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	free(data);
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

void sysfs_note(const struct sysfs_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (!(ctx->dry_run || ctx->verbose) || !ctx->log)
		return;
	fputs("# ", ctx->log);
	va_start(ap, fmt);
	vfprintf(ctx->log, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->log);
	fflush(ctx->log);
}
