/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sysfs.h - the one place for paths under /sys, /proc and /run: a context with
 * a root prefix (--sysroot), readers, and the writes --dry-run and -v show.
 */
#ifndef KVM_ASSIGN_SYSFS_H
#define KVM_ASSIGN_SYSFS_H

#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * As util-linux's path context: set the root once, then name files by their
 * absolute path on a running system ("/sys/bus/pci/devices/%s/driver").
 */
struct sysfs_ctx {
	const char *root;	/* "" for the running system, else DIR (no trailing /) */
	bool dry_run;		/* print each write, make none */
	bool verbose;		/* print each write as it is made */
	FILE *log;		/* where writes are printed: stdout */
	volatile sig_atomic_t *stop;	/* set by a signal: end any wait (NULL: none) */
};

void sysfs_init(struct sysfs_ctx *ctx, const char *root);
/* The context acts on the running system's own /sys (modprobe makes sense). */
bool sysfs_is_live(const struct sysfs_ctx *ctx);

/* ROOT + the formatted absolute path, into buf (truncated if too long). */
const char *sysfs_path(const struct sysfs_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The first line of the file, without its newline: 0 or -errno. */
int sysfs_read_s(const struct sysfs_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The last component of the symlink's target: 0 or -errno. */
int sysfs_readlink_basename(const struct sysfs_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Entries of a directory without . and ..; -1 if it cannot be read. */
int sysfs_count_entries(const struct sysfs_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool sysfs_exists(const struct sysfs_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* access(2) inside the root: 0 or -errno. */
int sysfs_access(const struct sysfs_ctx *ctx, int mode, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Readers resolve inside the root and read regular files only (capped). */
FILE *sysfs_fopen(const struct sysfs_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
DIR *sysfs_opendir(const struct sysfs_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Write value and a newline, as echo does ("" clears driver_override), in
 * one write(2): 0 or -errno.  With dry_run the write is printed and not
 * made; with verbose it is printed first.  Printed as a shell command,
 * "echo VALUE > PATH", so a dry run's output can be read and replayed.
 */
int sysfs_write(const struct sysfs_ctx *ctx, const char *value, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A comment line in the same stream ("# ..."), shown when writes are. */
void sysfs_note(const struct sysfs_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Another command in the same stream ("modprobe NAME"), shown when writes
 * are.  Each such line, and sysfs_write's, is escaped: names in it are others'. */
void sysfs_show(const struct sysfs_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
