/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz-rootpath.c - libFuzzer target: the --sysroot readers.  The input
 * builds a snapshot of links, files and FIFOs, then names a path in it; what
 * rootpath opens must lie inside the root, and reading must end.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "../src/rootpath.h"
#include "../src/sysfs.h"
#include "../src/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64], outside[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level > 0)
		remove(path);
	return 0;
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Is fd's file inside the root?  Its /proc/self/fd link names it. */
static void must_be_inside(int fd)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		abort();
	target[n] = '\0';
	if (strncmp(target, root, strlen(root)) || (target[strlen(root)] && target[strlen(root)] != '/'))
		abort();
}

/* Next NUL- or newline-ended string of the input, at most max bytes. */
static size_t take(const uint8_t **p, const uint8_t *end, char *out, size_t max)
{
	size_t n = 0;

	while (*p < end && **p && **p != '\n' && n + 1 < max)
		out[n++] = (char)*(*p)++;
	if (*p < end)
		(*p)++;
	out[n] = '\0';
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	char name[64], target[256], path[512], line[128], full[700];
	struct sysfs_ctx ctx;
	int fd;
	DIR *d;
	FILE *f;

	if (!*root) {
		snprintf(root, sizeof(root), "/tmp/fuzz-rootpath.%d", (int)getpid());
		snprintf(outside, sizeof(outside), "%s.outside", root);
		if (mkdir(root, 0700) < 0 || mkdir(outside, 0700) < 0)
			abort();
		snprintf(full, sizeof(full), "%s/secret", outside);
		fclose(fopen(full, "w"));
	}
	rm_tree(root);
	/* Up to 8 entries: a type byte, a name (one level of dirs), a link target. */
	for (int i = 0; i < 8 && p < end; i++) {
		char type = (char)*p++;

		take(&p, end, name, sizeof(name));
		if (!*name || strstr(name, "..") || name[0] == '/')
			continue;
		for (char *s = name; *s; s++)
			if (*s == '/' && s[1] == '/')
				*s = '_';
		snprintf(full, sizeof(full), "%s/%s", root, name);
		if (strchr(name, '/')) {
			char dir[700];

			snprintf(dir, sizeof(dir), "%s", full);
			*strrchr(dir, '/') = '\0';
			mkdir(dir, 0700);
		}
		switch (type & 3) {
		case 0:
			take(&p, end, target, sizeof(target));
			if (symlink(target, full) < 0 && errno != EEXIST && errno != ENOENT && errno != ENOTDIR)
				break;
			break;
		case 1:
			fd = open(full, O_WRONLY | O_CREAT | O_EXCL, 0600);
			if (fd >= 0) {
				take(&p, end, target, sizeof(target));
				if (write(fd, target, strlen(target)) < 0)
					abort();
				close(fd);
			}
			break;
		case 2:
			mkfifo(full, 0600);
			break;
		default:
			mkdir(full, 0700);
		}
	}
	take(&p, end, path, sizeof(path));
	snprintf(full, sizeof(full), "/%s", path);

	sysfs_init(&ctx, root);
	fd = rootpath_open(root, full, O_PATH);
	if (fd >= 0) {
		must_be_inside(fd);
		close(fd);
	}
	fd = rootpath_open(root, full, O_RDONLY);
	if (fd >= 0) {
		struct stat st;

		must_be_inside(fd);
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			abort();
		close(fd);
	}
	sysfs_read_s(&ctx, line, sizeof(line), "%s", full);
	sysfs_readlink_basename(&ctx, line, sizeof(line), "%s", full);
	sysfs_count_entries(&ctx, "%s", full);
	sysfs_exists(&ctx, "%s", full);
	sysfs_access(&ctx, R_OK, "%s", full);
	f = sysfs_fopen(&ctx, "%s", full);
	if (f) {
		while (fgets(line, sizeof(line), f))
			;
		fclose(f);
	}
	d = sysfs_opendir(&ctx, "%s", full);
	if (d) {
		must_be_inside(dirfd(d));
		closedir(d);
	}
	return 0;
}
