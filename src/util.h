/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * util.h - messages in kvm-assign's one-line form, number parsing and
 * errno names shared by every subcommand.
 */
#ifndef KVM_ASSIGN_UTIL_H
#define KVM_ASSIGN_UTIL_H

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

/* Parse a decimal or 0x-hex number into [0, max]; false on anything else. */
bool parse_u32(const char *s, uint32_t max, uint32_t *out);

/* "ENOTTY", or "E<n>" for an errno without a name. */
const char *errno_name(int err);

void *xcalloc(size_t n, size_t size);

#endif
