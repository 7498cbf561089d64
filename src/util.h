/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * util.h - what every file may use, as util-linux's c.h: one-line messages,
 * ARRAY_SIZE, allocators with one out-of-memory path, small-file readers.
 */
#ifndef KVM_ASSIGN_UTIL_H
#define KVM_ASSIGN_UTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PROGRAM_NAME "kvm-assign"

#include <stdarg.h>

/* "kvm-assign: <topic><message>" on stderr; always shown, even with --quiet. */
void verr_msg(const char *topic, const char *fmt, va_list ap);
void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, then the util-linux hint; returns KA_EXIT_USAGE. */
int usage_err(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* --sysroot=DIR of command: trailing slashes dropped; 0, or a usage error
 * (printed) when DIR is empty or cannot be entered.  NULL is no option. */
int sysroot_arg(const char *command, char *sysroot);

/* Parse a decimal or 0x-hex number into [0, max]; false on anything else. */
bool parse_u32(const char *s, uint32_t max, uint32_t *out);

/* "ENOTTY", or "E<n>" for an errno without a name. */
const char *errno_name(int err);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The one out-of-memory path: say so and exit 1. */
void __attribute__((noreturn)) oom(void);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);		/* NULL stays NULL */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* Small-file readers (sysfs attributes, /proc lines).  errno tells why on failure. */
/* The first line of a file, without its newline; false if unreadable.  Only a
 * regular file (sysfs and procfs attributes are), opened without blocking,
 * and at most len - 1 bytes read: a FIFO or /dev/zero cannot hang it. */
bool read_line(const char *path, char *buf, size_t len);
/* The same from an open fd (read from its current offset). */
bool read_line_fd(int fd, char *buf, size_t len);

/*
 * Outside text (a driver's name, a process's name, a file's first line) for a
 * terminal: control characters (C0, DEL, the C1 range) and bytes that are not
 * UTF-8 become \xNN; valid UTF-8 text stays as it is.  Truncated to fit.
 */
size_t escape_for_terminal(char *dst, size_t len, const char *src);
/* The same, whole, onto a stream. */
void fputs_escaped(const char *s, FILE *f);
/* One line of output on f: fmt's text escaped as above (names, notes and
 * paths carry others' text), then a newline.  Every line kvm-assign prints
 * with outside text in it goes through here or err_msg. */
void out_line(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Length of the valid UTF-8 sequence at p (1-4; no overlongs, surrogates or
 * code points above U+10FFFF), 0 if the bytes there are not one. */
size_t utf8_seq_len(const unsigned char *p);
/* The last component of a symlink's target ("e1000e" for .../drivers/e1000e). */
bool readlink_basename(const char *path, char *buf, size_t len);
/* Number of entries in a directory, not counting . and ..; -1 if absent. */
int dir_entries(const char *path);
/* The same for an open directory, which it closes; -1 for NULL. */
int dir_count(DIR *d);

#endif
