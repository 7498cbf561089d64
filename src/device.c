/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * device.c - the PCI device a command names: its address, parsed as lspci
 * -s does or from a sysfs path, and the facts libpci reads about it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pci/pci.h>

#include "device.h"
#include "dumpcheck.h"
#include "exitcodes.h"
#include "kvm-assign.h"
#include "util.h"

static bool pci_ready;

/* libpci names the MSI-X Message Control offset only for MSI (PCI_MSI_FLAGS). */
#define MSIX_MESSAGE_CONTROL 2

/* libpci calls this on errors it cannot recover from; it must not return. */
static void __attribute__((noreturn, format(printf, 1, 2))) pci_fatal(char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr_msg("libpci: ", fmt, ap);
	va_end(ap);
	exit(KA_EXIT_NODEV);
}

static void __attribute__((format(printf, 1, 2))) pci_warn(char *fmt, ...)
{
	va_list ap;

	/* An absent device makes libpci warn about its config file: not news. */
	if (!opts.verbose)
		return;
	va_start(ap, fmt);
	verr_msg("libpci: ", fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 1, 2))) pci_quiet(char *fmt, ...)
{
	(void)fmt;
}

struct pci_access *pci_access_new(void)
{
	struct pci_access *pacc = pci_alloc();

	pacc->error = pci_fatal;
	pacc->warning = pci_warn;
	pacc->debug = pci_quiet;
	return pacc;
}

bool pci_access_set_method(struct pci_access *pacc, const char *name)
{
	int m = pci_lookup_method((char *)name);

	if (m < 0)
		return false;
	pacc->method = m;
	return true;
}

bool pci_access_set_param(struct pci_access *pacc, const char *name_value)
{
	char *copy = strdup(name_value);
	char *eq = copy ? strchr(copy, '=') : NULL;
	bool ok = false;

	if (eq && eq != copy) {
		*eq = '\0';
		/* pci_set_param keeps no copy of the value's lifetime: it strdups. */
		ok = pci_set_param(pacc, copy, eq + 1) == 0;
	}
	free(copy);
	return ok;
}

void pci_access_free(struct pci_access *pacc)
{
	if (pacc)
		pci_cleanup(pacc);
}

void device_format(const struct pci_addr *a, char buf[PCI_ADDR_STRLEN])
{
	snprintf(buf, PCI_ADDR_STRLEN, "%04x:%02x:%02x.%u", a->domain, a->bus, a->slot, a->func);
}

bool device_parse(const char *arg, struct pci_addr *out, char *why, size_t whylen)
{
	const char *text = arg;
	char buf[64];
	struct pci_filter f;
	char *msg;
	size_t len;

	/* A sysfs path names the device by its last component. */
	if (arg[0] == '/') {
		len = strlen(arg);
		while (len > 1 && arg[len - 1] == '/')
			len--;
		const char *base = arg + len;
		while (base > arg && base[-1] != '/')
			base--;
		if (len - (size_t)(base - arg) >= sizeof(buf) || base == arg + len) {
			snprintf(why, whylen, "device '%s': not a PCI device path (want /sys/bus/pci/devices/DDDD:BB:SS.F)", arg);
			return false;
		}
		snprintf(buf, sizeof(buf), "%.*s", (int)(len - (base - arg)), base);
		text = buf;
		if (strchr(text, ':') == strrchr(text, ':')) {
			snprintf(why, whylen, "device '%s': not a PCI device path (want /sys/bus/pci/devices/DDDD:BB:SS.F)", arg);
			return false;
		}
	} else if (strlen(arg) >= sizeof(buf)) {
		snprintf(why, whylen, "device '%.32s...': not a PCI address ([[domain:]bus:]slot.func)", arg);
		return false;
	} else {
		snprintf(buf, sizeof(buf), "%s", arg);
	}

	/* libpci's parser takes wildcards; one device needs every part exact. */
	if (!*text || strpbrk(text, "* \t")) {
		snprintf(why, whylen, "device '%s': not a PCI address ([[domain:]bus:]slot.func, no wildcards)", arg);
		return false;
	}
	pci_filter_init(opts.pacc, &f);
	msg = pci_filter_parse_slot(&f, buf);
	if (msg) {
		snprintf(why, whylen, "device '%s': not a PCI address: %s", arg, msg);
		return false;
	}
	if (f.slot < 0 || f.func < 0) {
		snprintf(why, whylen, "device '%s': not a PCI address: give slot and function ([[domain:]bus:]slot.func)", arg);
		return false;
	}
	out->domain = f.domain < 0 ? 0 : (unsigned)f.domain;
	out->bus = f.bus < 0 ? 0 : (unsigned)f.bus;
	out->slot = (unsigned)f.slot;
	out->func = (unsigned)f.func;
	if (out->domain > 0xffff) {
		snprintf(why, whylen, "device '%s': PCI domain 0x%x does not fit the 16 bits of an assigned-device id",
			arg, out->domain);
		return false;
	}
	return true;
}

/*
 * libpci reads a dump (-A dump) at pci_init, and an offset of 0x80000000 or
 * more in it makes libpci write before its buffer: check the dump first, and
 * let libpci read the checked copy.  A dump we refuse ends the command, as a
 * libpci error does.
 */
static void check_dump(struct pci_access *pacc)
{
	char *name, why[600], copy[64];

	if (pacc->method != PCI_ACCESS_DUMP)
		return;
	name = pci_get_param(pacc, "dump.name");
	if (!name || !*name)
		return;	/* libpci says so itself */
	if (dump_prepare(name, copy, sizeof(copy), why, sizeof(why)) < 0) {
		err_msg("%s", why);
		exit(KA_EXIT_NODEV);
	}
	if (*copy)
		pci_set_param(pacc, "dump.name", copy);
}

struct pci_dev *device_open(struct pci_access *pacc, const struct pci_addr *a)
{
	struct pci_dev *d;
	uint16_t vendor;

	if (!pci_ready) {
		check_dump(pacc);
		pci_init(pacc);
		pci_ready = true;
	}
	d = pci_get_dev(pacc, (int)a->domain, (int)a->bus, (int)a->slot, (int)a->func);
	if (!d)
		return NULL;
	vendor = pci_read_word(d, PCI_VENDOR_ID);
	/* pci_get_dev does not look: absent config space reads as all ones. */
	if (vendor == 0xffff || vendor == 0x0000) {
		pci_free_dev(d);
		return NULL;
	}
	return d;
}

/* The standard BARs in use, read from config space (a dump has nothing
 * else): the kernel refuses a device without any (EPERM). */
static unsigned count_bars(struct pci_dev *d, uint8_t header_type)
{
	unsigned n = 0;

	if (header_type != PCI_HEADER_TYPE_NORMAL)
		return 0;
	for (int i = 0; i < 6; i++) {
		uint32_t bar = pci_read_long(d, PCI_BASE_ADDRESS_0 + 4 * i);
		bool io = bar & PCI_BASE_ADDRESS_SPACE_IO;

		if (bar & (io ? PCI_BASE_ADDRESS_IO_MASK : PCI_BASE_ADDRESS_MEM_MASK))
			n++;
		if (!io && (bar & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64)
			i++;	/* the upper half of a 64-bit BAR */
	}
	return n;
}

#if HAVE_DECL_PCI_FILL_DRIVER && HAVE_DECL_PCI_GET_STRING_PROPERTY
/* The bound driver's name into buf, true if libpci knows one (libpci 3.8). */
static bool device_driver(struct pci_access *pacc, struct pci_dev *d, char *buf, size_t len)
{
	char *drv;

	(void)pacc;
	pci_fill_info(d, PCI_FILL_DRIVER);
	drv = pci_get_string_property(d, PCI_FILL_DRIVER);
	if (drv)
		snprintf(buf, len, "%s", drv);
	return drv != NULL;
}
#else
/*
 * Older libpci: read what libpci 3.8's sysfs method reads, the same way,
 * so that the answers are the same: the target of DEVICE/driver under
 * libpci's sysfs.path (which --sysroot sets), taken relative to the device's
 * directory and resolved with realpath(3), then its last component.
 * Other methods (a dump) know no driver.
 */
static bool device_driver(struct pci_access *pacc, struct pci_dev *d, char *buf, size_t len)
{
	char path[4096], target[4096], *real;
	const char *sysfs = pci_get_param(pacc, "sysfs.path"), *base;
	ssize_t n;
	int dirlen;

	if (pacc->method != PCI_ACCESS_SYS_BUS_PCI || !sysfs)
		return false;
	dirlen = snprintf(path, sizeof(path), "%s/devices/%04x:%02x:%02x.%u/", sysfs,
			  (unsigned)d->domain, (unsigned)d->bus, (unsigned)d->dev, (unsigned)d->func);
	if (dirlen < 0 || (size_t)dirlen >= sizeof(path) - sizeof("driver"))
		return false;
	strcpy(path + dirlen, "driver");
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0 || (size_t)dirlen + (size_t)n >= sizeof(path))
		return false;
	memcpy(path + dirlen, target, (size_t)n);
	path[dirlen + n] = '\0';
	real = realpath(path, NULL);
	if (!real)
		return false;
	base = strrchr(real, '/');
	snprintf(buf, len, "%s", base ? base + 1 : real);
	free(real);
	return true;
}
#endif

void device_lookup(struct pci_access *pacc, const struct pci_addr *a, struct device_info *out)
{
	struct pci_dev *d;
	struct pci_cap *cap;

	memset(out, 0, sizeof(*out));
	d = device_open(pacc, a);
	if (!d)
		return;
	out->vendor_id = pci_read_word(d, PCI_VENDOR_ID);
	out->present = true;
	out->device_id = pci_read_word(d, PCI_DEVICE_ID);
	out->header_type = pci_read_byte(d, PCI_HEADER_TYPE) & 0x7f;
	pci_fill_info(d, PCI_FILL_CAPS);
	cap = pci_find_cap(d, PCI_CAP_ID_MSIX, PCI_CAP_NORMAL);
	if (cap)
		out->msix_table_size = (pci_read_word(d, cap->addr + MSIX_MESSAGE_CONTROL) & PCI_MSIX_TABSIZE) + 1;
	out->nbars = count_bars(d, out->header_type);
	/* sysfs answers with or without a driver; a dump cannot say */
	out->driver_known = device_driver(pacc, d, out->driver, sizeof(out->driver)) ||
		pacc->method == PCI_ACCESS_SYS_BUS_PCI;
	pci_free_dev(d);
}
