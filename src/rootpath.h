/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rootpath.h - open a path as if ROOT were /: every symlink resolved by us,
 * inside the root, with openat(O_PATH|O_NOFOLLOW) (Linux 2.6.39; no openat2).
 */
#ifndef KVM_ASSIGN_ROOTPATH_H
#define KVM_ASSIGN_ROOTPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define ROOTPATH_MAX_LINKS 40		/* as the kernel's MAXSYMLINKS */
#define ROOTPATH_MAX_DEPTH 128		/* directories deep */
#define ROOTPATH_READ_MAX (4u << 20)	/* bytes rootpath_fopen reads at most */

/*
 * Open PATH (absolute, as on a running system) under ROOT ("" for the real
 * root): an absolute symlink starts again at ROOT, ".." stops at it, at most
 * ROOTPATH_MAX_LINKS links.  flags: O_PATH (any type), O_RDONLY|O_DIRECTORY
 * (a directory), O_RDONLY or O_WRONLY[|O_TRUNC] (a regular file only, opened
 * with O_NONBLOCK); O_NOFOLLOW leaves a final symlink unfollowed (with
 * O_PATH).  A fd, or -1 with errno (EINVAL: not a regular file; ELOOP: too
 * many links).
 */
int rootpath_open(const char *root, const char *path, int flags);
/* The target of the symlink PATH names (its last component not followed). */
bool rootpath_readlink(const char *root, const char *path, char *buf, size_t len);
/* access(2)'s answer for PATH resolved inside ROOT: 0 or -1 with errno. */
int rootpath_access(const char *root, const char *path, int mode);
/* A regular file for reading, of which at most ROOTPATH_READ_MAX bytes are
 * ever returned (a snapshot's /proc/interrupts may be anything). */
FILE *rootpath_fopen(const char *root, const char *path);
FILE *rootpath_fdopen_capped(int fd);
/* What errno means here: "not a regular file" for EINVAL, else strerror. */
const char *rootpath_strerror(int err);

#endif
