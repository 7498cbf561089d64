/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * device.h - the PCI device a command names: its address, parsed as lspci
 * -s does or from a sysfs path, and the facts libpci reads about it.
 */
#ifndef KVM_ASSIGN_DEVICE_H
#define KVM_ASSIGN_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pci_access;
struct pci_dev;

struct pci_addr {
	unsigned domain, bus, slot, func;
};

#define PCI_ADDR_STRLEN 24
#define ADDR_DEVFN(a) (((a)->slot << 3) | (a)->func)

struct device_info {
	bool present;
	uint16_t vendor_id, device_id;
	uint8_t header_type;		/* without the multi-function bit */
	unsigned msix_table_size;	/* 0: no MSI-X capability */
	unsigned nbars;			/* standard BARs in use (the kernel's "no BARs" test) */
	bool driver_known;		/* libpci could tell (sysfs), driver[] is the answer */
	char driver[64];		/* bound host driver, "" when none or unknown */
};

/* Parse DEVICE; on failure say why in why[], naming it, and return false. */
bool device_parse(const char *arg, struct pci_addr *out, char *why, size_t whylen);
void device_format(const struct pci_addr *a, char buf[PCI_ADDR_STRLEN]);
/* The one device through libpci, without scanning the bus; NULL if absent.
 * The caller pci_free_dev()s it. */
struct pci_dev *device_open(struct pci_access *pacc, const struct pci_addr *a);
/* Look the one device up through libpci, without scanning the bus. */
void device_lookup(struct pci_access *pacc, const struct pci_addr *a, struct device_info *out);

/* libpci's -A/-O handling and lazy pci_init, shared with the option parser. */
struct pci_access *pci_access_new(void);
bool pci_access_set_method(struct pci_access *pacc, const char *name);
bool pci_access_set_param(struct pci_access *pacc, const char *name_value);
void pci_access_free(struct pci_access *pacc);

#endif
