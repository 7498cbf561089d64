/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dumpcheck.c - an lspci -x dump checked before libpci reads it: libpci's
 * dump reader writes before its buffer for an offset of 0x80000000 or more.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dumpcheck.h"
#include "rootpath.h"

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned hexval(char c)
{
	return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

/* One line without its newline (and a trailing CR, as libpci drops it). */
static bool check_line(const char *s, size_t len, char *why, size_t whylen)
{
	size_t digits = 0, i;
	unsigned long off = 0, count = 0;

	if (len && s[len - 1] == '\r')
		len--;
	while (digits < len && is_hex(s[digits]))
		digits++;
	/* A register line: hex digits, ':', then a space or the end. */
	if (!digits || digits == len || s[digits] != ':' || (digits + 1 < len && s[digits + 1] != ' '))
		return true;
	if (digits > 3) {
		/* leading zeros are fine; a value beyond 0xfff is not */
		for (i = 0; i < digits - 3; i++)
			if (s[i] != '0')
				goto beyond;
	}
	for (i = 0; i < digits; i++)
		off = off * 16 + hexval(s[i]);
	if (off > 0xfff)
		goto beyond;
	for (i = digits + 2; i < len; i += 3) {
		if (i + 1 >= len || !is_hex(s[i]) || !is_hex(s[i + 1]) || (i + 2 < len && s[i + 2] != ' ')) {
			snprintf(why, whylen, "register line at offset %03lx: column %zu is not a two-digit hex byte",
				 off, i + 1);
			return false;
		}
		count++;
	}
	if (off + count > 0x1000) {
		snprintf(why, whylen, "register line at offset %03lx: %lu bytes run past 0xfff", off, count);
		return false;
	}
	return true;
beyond:
	snprintf(why, whylen, "register offset '%.*s' is beyond config space (0 to 0xfff)",
		 (int)(digits > 16 ? 16 : digits), s);
	return false;
}

bool dump_check(const char *text, size_t len, char *why, size_t whylen)
{
	size_t lineno = 0, start = 0;
	char what[160];

	if (memchr(text, '\0', len)) {
		snprintf(why, whylen, "a NUL byte at offset %zu: not a text dump",
			 (size_t)((const char *)memchr(text, '\0', len) - text));
		return false;
	}
	while (start < len) {
		const char *nl = memchr(text + start, '\n', len - start);
		size_t l;

		lineno++;
		if (!nl) {
			snprintf(why, whylen, "line %zu: no newline at the end of the file", lineno);
			return false;
		}
		l = (size_t)(nl - (text + start));
		if (l > DUMP_MAX_LINE) {
			snprintf(why, whylen, "line %zu: %zu bytes long, more than %d", lineno, l, DUMP_MAX_LINE);
			return false;
		}
		if (!check_line(text + start, l, what, sizeof(what))) {
			snprintf(why, whylen, "line %zu: %s", lineno, what);
			return false;
		}
		start += l + 1;
	}
	return true;
}

/*
 * A file only we hold: a memfd (3.17), else, on older kernels (ENOSYS) or
 * headers without the call, a temporary file unlinked at once (3.10 has no
 * O_TMPFILE either: 3.11).
 */
static int private_file(void)
{
	const char *dir = getenv("TMPDIR");
	char tmpl[4096];
	int fd = -1;

#ifdef SYS_memfd_create
	fd = (int)syscall(SYS_memfd_create, "kvm-assign-dump", 1u /* MFD_CLOEXEC */);
	if (fd >= 0 || errno != ENOSYS)
		return fd;
#endif
	if (snprintf(tmpl, sizeof(tmpl), "%s/kvm-assign-dump.XXXXXX", dir && *dir == '/' ? dir : "/tmp")
	    >= (int)sizeof(tmpl))
		return -1;
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd >= 0)
		unlink(tmpl);
	return fd;
}

static int memfd_copy(const char *text, size_t len)
{
	int fd = private_file();
	size_t done = 0;

	if (fd < 0)
		return -1;
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int dump_prepare(const char *path, char *libpci_name, size_t namelen, char *why, size_t whylen)
{
	int fd = rootpath_open("", path, O_RDONLY);
	size_t len = 0, cap = 65536;
	char *text, msg[200];
	int mfd;

	*libpci_name = '\0';
	if (fd < 0) {
		snprintf(why, whylen, "dump '%s': %s", path, rootpath_strerror(errno));
		return -1;
	}
	text = malloc(cap);
	for (;;) {
		ssize_t n;

		if (!text) {
			close(fd);
			snprintf(why, whylen, "dump '%s': out of memory", path);
			return -1;
		}
		if (len == cap) {
			char *t = cap < DUMP_MAX_BYTES + 1 ? realloc(text, cap * 2) : NULL;

			if (!t) {
				free(text);
				close(fd);
				snprintf(why, whylen, "dump '%s': larger than %u bytes", path, DUMP_MAX_BYTES);
				return -1;
			}
			text = t;
			cap *= 2;
		}
		n = read(fd, text + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, whylen, "dump '%s': %s", path, strerror(errno));
			free(text);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > DUMP_MAX_BYTES) {
			snprintf(why, whylen, "dump '%s': larger than %u bytes", path, DUMP_MAX_BYTES);
			free(text);
			close(fd);
			return -1;
		}
	}
	close(fd);
	if (!dump_check(text, len, msg, sizeof(msg))) {
		snprintf(why, whylen, "dump '%s': %s", path, msg);
		free(text);
		return -1;
	}
	mfd = memfd_copy(text, len);
	free(text);
	/* Deliberately kept open: libpci opens it by name at pci_init. */
	if (mfd >= 0)
		snprintf(libpci_name, namelen, "/proc/self/fd/%d", mfd);
	return 0;
}
