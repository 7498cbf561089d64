/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * util.c - what every file may use, as util-linux's c.h: one-line messages,
 * ARRAY_SIZE, allocators with one out-of-memory path, small-file readers.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "errnames.h"
#include "exitcodes.h"
#include "util.h"

size_t utf8_seq_len(const unsigned char *p)
{
	unsigned c = p[0];
	size_t n;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0;	/* a continuation byte, an overlong lead, or beyond U+10FFFF */
	n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	cp = c & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

size_t escape_for_terminal(char *dst, size_t len, const char *src)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t o = 0;

	if (!len)
		return 0;
	while (*p) {
		size_t n = utf8_seq_len(p);
		/* U+0080..U+009F (C2 80..C2 9F) are the C1 controls: CSI is one */
		bool ctl = n == 1 ? (*p < 0x20 || *p == 0x7f) : n == 0 || (n == 2 && p[0] == 0xc2 && p[1] < 0xa0);

		if (ctl) {
			size_t k = n ? n : 1;

			if (o + 4 * k >= len)
				break;
			for (size_t i = 0; i < k; i++)
				o += (size_t)snprintf(dst + o, len - o, "\\x%02x", p[i]);
			p += k;
		} else {
			if (o + n >= len)
				break;
			memcpy(dst + o, p, n);
			o += n;
			p += n;
		}
	}
	dst[o] = '\0';
	return o;
}

void fputs_escaped(const char *s, FILE *f)
{
	size_t len = 4 * strlen(s) + 1;
	char *shown = xcalloc(1, len);

	escape_for_terminal(shown, len, s);
	fputs(shown, f);
	free(shown);
}

/* PREFIX, then fmt's text escaped, then a newline, on f. */
static void vput_line(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
	char *raw = xvasprintf(fmt, ap), *shown;
	size_t len = 4 * strlen(raw) + 1;

	shown = xcalloc(1, len);
	escape_for_terminal(shown, len, raw);
	fprintf(f, "%s%s\n", prefix, shown);
	free(shown);
	free(raw);
}

void out_line(FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput_line(f, "", fmt, ap);
	va_end(ap);
}

void verr_msg(const char *topic, const char *fmt, va_list ap)
{
	char *prefix = xasprintf(PROGRAM_NAME ": %s", topic);

	/* A message may carry anyone's text (a path, a process name): escape it. */
	fflush(stdout);
	vput_line(stderr, prefix, fmt, ap);
	free(prefix);
}

void err_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr_msg("", fmt, ap);
	va_end(ap);
}

int usage_err(const char *command, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr_msg("", fmt, ap);
	va_end(ap);
	if (command)
		fprintf(stderr, "Try '" PROGRAM_NAME " %s --help' for more information.\n", command);
	else
		fputs("Try '" PROGRAM_NAME " --help' for more information.\n", stderr);
	return KA_EXIT_USAGE;
}

bool parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;
	int base = 10;

	if (!s || !*s)
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	/* strtoull accepts a sign and leading blanks; a number here has neither. */
	if (!((*s >= '0' && *s <= '9') || (base == 16 && strchr("abcdefABCDEF", *s) && *s)))
		return false;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

const char *errno_name(int err)
{
	static char buf[16];
	const char *name = errno_symbol(err);

	if (name)
		return name;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

void oom(void)
{
	err_msg("out of memory");
	exit(KA_EXIT_REFUSED);
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	if (!q)
		oom();
	return q;
}

char *xstrdup(const char *s)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		oom();
	return d;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

bool read_line_fd(int fd, char *buf, size_t len)
{
	size_t got = 0;

	buf[0] = '\0';
	while (got + 1 < len) {
		ssize_t n = read(fd, buf + got, len - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		if (n == 0)
			break;
		got += (size_t)n;
		if (memchr(buf, '\n', got))
			break;
	}
	buf[got] = '\0';
	if (!got) {
		errno = ENODATA;
		return false;
	}
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

bool read_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	bool ok;
	int e;

	buf[0] = '\0';
	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;	/* a FIFO, a device, a directory: not an attribute */
		return false;
	}
	ok = read_line_fd(fd, buf, len);
	e = errno;
	close(fd);
	errno = e;
	return ok;
}

bool readlink_basename(const char *path, char *buf, size_t len)
{
	char target[4096];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *base;

	if (n <= 0)
		return false;
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(buf, len, "%s", base ? base + 1 : target);
	return true;
}

int dir_entries(const char *path)
{
	return dir_count(opendir(path));
}

int dir_count(DIR *d)
{
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

int sysroot_arg(const char *command, char *sysroot)
{
	size_t len;

	if (!sysroot)
		return 0;
	len = strlen(sysroot);
	while (len > 1 && sysroot[len - 1] == '/')
		sysroot[--len] = '\0';
	if (!*sysroot || access(sysroot, X_OK) < 0)
		return usage_err(command, "--sysroot: '%s': %s", sysroot, *sysroot ? strerror(errno) : "empty path");
	return 0;
}
