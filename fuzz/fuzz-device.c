/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz-device.c - libFuzzer target: device_parse, the DEVICE argument (an
 * lspci-style address or a sysfs path), and device_format of what it accepts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/device.h"
#include "../src/kvm-assign.h"

struct global_opts opts;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *arg = malloc(size + 1), why[512], back[PCI_ADDR_STRLEN];
	struct pci_addr a, b;

	if (!opts.pacc)
		opts.pacc = pci_access_new();
	memcpy(arg, data, size);
	arg[size] = '\0';
	if (device_parse(arg, &a, why, sizeof(why))) {
		/* What it accepts prints as DDDD:BB:SS.F and parses back the same. */
		if (a.domain > 0xffff || a.bus > 0xff || a.slot > 0x1f || a.func > 7)
			abort();
		device_format(&a, back);
		if (!device_parse(back, &b, why, sizeof(why)) || memcmp(&a, &b, sizeof(a)))
			abort();
	} else if (!memchr(why, '\0', sizeof(why))) {
		abort();
	}
	free(arg);
	return 0;
}
