/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * util.c - messages in kvm-assign's one-line form, number parsing and
 * errno names shared by every subcommand.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "util.h"

void verr_msg(const char *topic, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, PROGRAM_NAME ": %s", topic);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
	const char *name = strerrorname_np(err);

	if (name)
		return name;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		err_msg("out of memory");
		exit(KA_EXIT_REFUSED);
	}
	return p;
}
