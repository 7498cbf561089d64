/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rootpath.c - open a path as if ROOT were /: every symlink resolved by us,
 * inside the root, with openat(O_PATH|O_NOFOLLOW) (Linux 2.6.39; no openat2).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "rootpath.h"

/* The directory holding the last component, and that component ("." when
 * the path ends at a directory).  With follow, the last is no symlink. */
static int walk(const char *root, const char *path, bool follow, char *last)
{
	static const size_t worklen = 2 * PATH_MAX;
	int stack[ROOTPATH_MAX_DEPTH + 1], depth = 0, links = 0, rc = -1, e = 0;
	char *work = malloc(worklen), *tmp = malloc(worklen), *p;

	stack[0] = -1;
	if (!work || !tmp) {
		e = ENOMEM;
		goto out;
	}
	if (strlen(path) >= worklen) {
		e = ENAMETOOLONG;
		goto out;
	}
	strcpy(work, path);
	stack[0] = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (stack[0] < 0) {
		e = errno;
		goto out;
	}
	for (p = work;;) {
		size_t len;
		struct stat st;
		bool is_last;
		int fd;

		p += strspn(p, "/");
		len = strcspn(p, "/");
		if (len == 0) {
			strcpy(last, ".");
			break;
		}
		if (len > NAME_MAX) {
			e = ENAMETOOLONG;
			goto out;
		}
		memcpy(last, p, len);
		last[len] = '\0';
		p += len;
		p += strspn(p, "/");
		is_last = !*p;
		if (!strcmp(last, "."))
			continue;
		if (!strcmp(last, "..")) {
			if (depth > 0)
				close(stack[depth--]);	/* at the root, .. is the root */
			continue;
		}
		fd = openat(stack[depth], last, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			e = errno;
			if (fd >= 0)
				close(fd);
			goto out;
		}
		if (S_ISLNK(st.st_mode) && (!is_last || follow)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);

			close(fd);
			if (n <= 0) {
				e = n < 0 ? errno : ENOENT;
				goto out;
			}
			target[n] = '\0';
			if (++links > ROOTPATH_MAX_LINKS) {
				e = ELOOP;
				goto out;
			}
			if ((size_t)snprintf(tmp, worklen, "%s/%s", target, p) >= worklen) {
				e = ENAMETOOLONG;
				goto out;
			}
			strcpy(work, tmp);
			p = work;
			if (target[0] == '/')
				while (depth > 0)
					close(stack[depth--]);
			continue;
		}
		if (is_last) {
			close(fd);
			break;
		}
		if (!S_ISDIR(st.st_mode) || depth == ROOTPATH_MAX_DEPTH) {
			close(fd);
			e = S_ISDIR(st.st_mode) ? ENAMETOOLONG : ENOTDIR;
			goto out;
		}
		stack[++depth] = fd;
	}
	rc = stack[depth];
	depth--;
out:
	while (depth >= 0) {
		if (stack[depth] >= 0)
			close(stack[depth]);
		depth--;
	}
	free(work);
	free(tmp);
	if (rc < 0)
		errno = e;
	return rc;
}

int rootpath_open(const char *root, const char *path, int flags)
{
	bool follow = !(flags & O_NOFOLLOW), want_path = flags & O_PATH;
	bool want_dir = flags & O_DIRECTORY;
	char last[NAME_MAX + 1];
	struct stat st, st2;
	int dir, pfd, fd, e;

	flags &= ~O_NOFOLLOW;
	if (!*root) {
		dir = AT_FDCWD;
		snprintf(last, sizeof(last), "%s", "");
		pfd = open(path, O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	} else {
		dir = walk(root, path, follow, last);
		if (dir < 0)
			return -1;
		pfd = openat(dir, last, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	if (pfd < 0 || fstat(pfd, &st) < 0)
		goto fail;
	if (want_path) {
		if (dir >= 0)
			close(dir);
		return pfd;
	}
	if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
		errno = want_dir ? ENOTDIR : S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	/* Now open it for real: the same inode, or a race we refuse. */
	if (dir == AT_FDCWD)
		fd = open(path, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	else
		fd = openat(dir, last, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	if (fstat(fd, &st2) < 0 || st2.st_ino != st.st_ino || st2.st_dev != st.st_dev) {
		close(fd);
		errno = ESTALE;
		goto fail;
	}
	close(pfd);
	if (dir >= 0)
		close(dir);
	return fd;
fail:
	e = errno;
	if (pfd >= 0)
		close(pfd);
	if (dir >= 0)
		close(dir);
	errno = e;
	return -1;
}

bool rootpath_readlink(const char *root, const char *path, char *buf, size_t len)
{
	int fd = rootpath_open(root, path, O_PATH | O_NOFOLLOW);
	ssize_t n;
	int e;

	if (fd < 0)
		return false;
	n = readlinkat(fd, "", buf, len - 1);
	e = errno;
	close(fd);
	if (n <= 0) {
		errno = n < 0 ? e : ENOENT;
		return false;
	}
	buf[n] = '\0';
	return true;
}

int rootpath_access(const char *root, const char *path, int mode)
{
	char last[NAME_MAX + 1];
	int dir, rc, e;

	if (!*root)
		return access(path, mode);
	dir = walk(root, path, true, last);
	if (dir < 0)
		return -1;
	rc = faccessat(dir, last, mode, 0);
	e = errno;
	close(dir);
	errno = e;
	return rc;
}

struct capped {
	int fd;
	size_t left;
};

static ssize_t capped_read(void *cookie, char *buf, size_t size)
{
	struct capped *c = cookie;
	ssize_t n;

	if (size > c->left)
		size = c->left;
	if (!size)
		return 0;
	do
		n = read(c->fd, buf, size);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		c->left -= (size_t)n;
	return n;
}

static int capped_close(void *cookie)
{
	struct capped *c = cookie;
	int rc = close(c->fd);

	free(c);
	return rc;
}

FILE *rootpath_fdopen_capped(int fd)
{
	static const cookie_io_functions_t io = { .read = capped_read, .close = capped_close };
	struct capped *c = malloc(sizeof(*c));
	FILE *f;

	if (!c) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	c->fd = fd;
	c->left = ROOTPATH_READ_MAX;
	f = fopencookie(c, "r", io);
	if (!f) {
		close(fd);
		free(c);
	}
	return f;
}

FILE *rootpath_fopen(const char *root, const char *path)
{
	int fd = rootpath_open(root, path, O_RDONLY);

	return fd < 0 ? NULL : rootpath_fdopen_capped(fd);
}

const char *rootpath_strerror(int err)
{
	return err == EINVAL ? "not a regular file" : strerror(err);
}
