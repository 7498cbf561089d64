/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz-msix-pair.c - libFuzzer target: msix's ENTRY:GSI parser (parse_pair,
 * static in src/msix.c, reached by including that file) and parse_u32.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* msix.c unchanged: its parse_pair is static, so the file is compiled here.
 * cmd_msix is never called: the Makefile weakens this object's undefined
 * symbols (objcopy --weaken), so the rest of the tool need not be linked. */
#include "../src/msix.c"

/* parse_pair's one call outside msix.c and util.c: a refusal. */
int source_bad(const struct source *src, const char *command, const char *word, const char *fmt, ...)
{
	(void)src;
	(void)command;
	(void)word;
	(void)fmt;
	return KA_EXIT_USAGE;
}

struct global_opts opts;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char seen[KVM_MAX_MSIX_PER_DEV] = { 0 };
	uint32_t count, entry = 0, gsi = 0, v;
	char *arg;

	if (size < 2)
		return 0;
	/* the first byte: --count (1 to 256), and which entries were given */
	count = (uint32_t)data[0] + 1;
	for (uint32_t i = 0; i < count; i += 1 + (data[1] & 7))
		seen[i] = 1;
	arg = malloc(size - 1);
	memcpy(arg, data + 2, size - 2);
	arg[size - 2] = '\0';
	if (parse_pair(&(struct source){ .file = NULL }, arg, count, seen, &entry, &gsi) == 0 &&
	    (entry >= count || seen[entry] || gsi == 0 || gsi > KVM_MAX_GSI))
		abort();
	if (parse_u32(arg, UINT32_MAX >> (data[1] & 31), &v) && v > (UINT32_MAX >> (data[1] & 31)))
		abort();
	free(arg);
	return 0;
}
