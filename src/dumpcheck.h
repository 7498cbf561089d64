/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dumpcheck.h - an lspci -x dump checked before libpci reads it: libpci's
 * dump reader writes before its buffer for an offset of 0x80000000 or more.
 */
#ifndef KVM_ASSIGN_DUMPCHECK_H
#define KVM_ASSIGN_DUMPCHECK_H

#include <stdbool.h>
#include <stddef.h>

#define DUMP_MAX_BYTES (16u << 20)	/* far beyond any machine's lspci -xxxx */
#define DUMP_MAX_LINE 253		/* libpci's line buffer, without the newline */

/*
 * Is text (len bytes) a dump libpci can read safely?  Every line ends with
 * a newline and has at most DUMP_MAX_LINE bytes, no NUL; a register line
 * ("OFF: xx xx ...") has a hex offset of 0 to 0xfff and two-digit hex bytes
 * that end by 0x1000.  Other lines libpci ignores or reads as a device's
 * address.  On false, why says which line and what (without the file name).
 */
bool dump_check(const char *text, size_t len, char *why, size_t whylen);

/*
 * Read the dump at path (a regular file, at most DUMP_MAX_BYTES), check it,
 * and give libpci an unchangeable copy to read: *libpci_name becomes
 * "/proc/self/fd/N" of a memfd, or stays NULL where there is no memfd (the
 * checked file is then read again).  0, or -1 with why[] naming the file.
 */
int dump_prepare(const char *path, char *libpci_name, size_t namelen, char *why, size_t whylen);

#endif
