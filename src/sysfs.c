/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sysfs.c - the one place for paths under /sys, /proc and /run: a context with
 * a root prefix (--sysroot), readers, and the writes --dry-run and -v show.
 */
/* Each reader resolves its path inside the root (rootpath.c): a snapshot's
 * symlink cannot lead out of it, and only regular files are read. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rootpath.h"
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

/* The formatted path alone, as on a running system. */
static void vformat(char *buf, size_t len, const char *fmt, va_list ap)
{
	vsnprintf(buf, len, fmt, ap);
}

static DIR *opendir_in(const struct sysfs_ctx *ctx, const char *path)
{
	int fd = rootpath_open(ctx->root, path, O_RDONLY | O_DIRECTORY);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
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
	bool ok;
	int fd, e;

	va_start(ap, fmt);
	vformat(path, sizeof(path), fmt, ap);
	va_end(ap);
	buf[0] = '\0';
	fd = rootpath_open(ctx->root, path, O_RDONLY);
	if (fd < 0)
		return -errno;
	ok = read_line_fd(fd, buf, len);
	e = errno;
	close(fd);
	return ok ? 0 : -e;
}

int sysfs_readlink_basename(const struct sysfs_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
{
	char path[4096], target[4096];
	const char *base;
	va_list ap;

	va_start(ap, fmt);
	vformat(path, sizeof(path), fmt, ap);
	va_end(ap);
	buf[0] = '\0';
	if (!rootpath_readlink(ctx->root, path, target, sizeof(target)))
		return -errno;
	base = strrchr(target, '/');
	snprintf(buf, len, "%s", base ? base + 1 : target);
	return 0;
}

int sysfs_count_entries(const struct sysfs_ctx *ctx, const char *fmt, ...)
{
	char path[4096];
	va_list ap;

	va_start(ap, fmt);
	vformat(path, sizeof(path), fmt, ap);
	va_end(ap);
	return dir_count(opendir_in(ctx, path));
}

bool sysfs_exists(const struct sysfs_ctx *ctx, const char *fmt, ...)
{
	char path[4096];
	va_list ap;
	int fd;

	va_start(ap, fmt);
	vformat(path, sizeof(path), fmt, ap);
	va_end(ap);
	fd = rootpath_open(ctx->root, path, O_PATH);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int sysfs_access(const struct sysfs_ctx *ctx, int mode, const char *fmt, ...)
{
	char path[4096];
	va_list ap;

	va_start(ap, fmt);
	vformat(path, sizeof(path), fmt, ap);
	va_end(ap);
	return rootpath_access(ctx->root, path, mode) < 0 ? -errno : 0;
}

FILE *sysfs_fopen(const struct sysfs_ctx *ctx, const char *fmt, ...)
{
	char path[4096];
	va_list ap;

	va_start(ap, fmt);
	vformat(path, sizeof(path), fmt, ap);
	va_end(ap);
	return rootpath_fopen(ctx->root, path);
}

DIR *sysfs_opendir(const struct sysfs_ctx *ctx, const char *fmt, ...)
{
	char path[4096];
	va_list ap;

	va_start(ap, fmt);
	vformat(path, sizeof(path), fmt, ap);
	va_end(ap);
	return opendir_in(ctx, path);
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
	sysfs_show(ctx, "echo%s%s > %s", *value ? " " : "", value, path);
	if (ctx->dry_run)
		return 0;
	/* No O_CREAT: a sysfs attribute that is not there is an answer. */
	va_start(ap, fmt);
	vformat(path, sizeof(path), fmt, ap);
	va_end(ap);
	fd = rootpath_open(ctx->root, path, O_WRONLY | O_TRUNC);
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

/* PREFIX and a line -v and --dry-run show, escaped. */
static void show(const struct sysfs_ctx *ctx, const char *prefix, const char *fmt, va_list ap)
{
	char *line;

	if (!(ctx->dry_run || ctx->verbose) || !ctx->log)
		return;
	line = xvasprintf(fmt, ap);
	out_line(ctx->log, "%s%s", prefix, line);
	free(line);
	fflush(ctx->log);
}

void sysfs_note(const struct sysfs_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	show(ctx, "# ", fmt, ap);
	va_end(ap);
}

void sysfs_show(const struct sysfs_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	show(ctx, "", fmt, ap);
	va_end(ap);
}
