/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz-dump.c - libFuzzer target: dump_check, and for every dump it passes,
 * libpci's own dump reader on it, which must then read it without harm.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <pci/pci.h>

#include "../src/dumpcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static jmp_buf back;

static void __attribute__((noreturn, format(printf, 1, 2))) on_error(char *fmt, ...)
{
	(void)fmt;
	longjmp(back, 1);
}

static void __attribute__((format(printf, 1, 2))) quiet(char *fmt, ...)
{
	(void)fmt;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	char why[256], name[64];
	struct pci_access *volatile pacc;

	if (!dump_check((const char *)data, size, why, sizeof(why)))
		return 0;
	if (fd < 0)
		fd = memfd_create("fuzz-dump", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	snprintf(name, sizeof(name), "/proc/self/fd/%d", fd);
	pacc = pci_alloc();
	pacc->error = on_error;
	pacc->warning = quiet;
	pacc->debug = quiet;
	pacc->method = PCI_ACCESS_DUMP;
	pci_set_param(pacc, "dump.name", name);
	/* libpci's error handler must not return: a malformed line it reports
	 * (not one that corrupts it) comes back here. */
	if (setjmp(back) == 0) {
		pci_init(pacc);
		pci_scan_bus(pacc);
		for (struct pci_dev *d = pacc->devices; d; d = d->next) {
			uint8_t cfg[4096];

			pci_read_block(d, 0, cfg, sizeof(cfg));
			pci_fill_info(d, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CAPS | PCI_FILL_EXT_CAPS);
		}
	}
	pci_cleanup(pacc);
	return 0;
}
