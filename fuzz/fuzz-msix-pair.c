/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz-msix-pair.c - libFuzzer target: msix's ENTRY:GSI parser (parse_pair,
 * static in src/msix.c, reached by including that file) and parse_u32.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

/* cmd_msix is never called here: what it calls need not be linked. */
#pragma weak parse_command
#pragma weak take_args
#pragma weak plan_init
#pragma weak plan_add
#pragma weak plan_run
#pragma weak ioctl_set_msix_nr
#pragma weak ioctl_set_msix_entry
#pragma weak target_parse
#pragma weak target_lookup
#pragma weak need_vm_source

/* msix.c unchanged: its parse_pair is static, so the file is compiled here. */
#include "../src/msix.c"

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
	if (parse_pair(arg, count, seen, &entry, &gsi) == 0 &&
	    (entry >= count || seen[entry] || gsi == 0 || gsi > KVM_MAX_GSI))
		abort();
	if (parse_u32(arg, UINT32_MAX >> (data[1] & 31), &v) && v > (UINT32_MAX >> (data[1] & 31)))
		abort();
	free(arg);
	return 0;
}
