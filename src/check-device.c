/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check-device.c - the device half of check: presence and names, header
 * type, bound driver, IOMMU group, BAR access and interrupt capabilities.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <pci/pci.h>

#include "check.h"
#include "detach.h"
#include "kvm-assign.h"
#include "rootpath.h"
#include "util.h"

#define IOMMU_FIX "enable VT-d/AMD-Vi in the firmware, then boot with intel_iommu=on (Intel) or amd_iommu=on (AMD)"

static const struct sysfs_ctx live_sys = { .root = "" };

/*
 * The device's sysfs directory, as a path under the returned context: the
 * snapshot's (--sysroot, resolved inside it) unless -O sysfs.path chose
 * another, which is then read as given.  NULL for a dump without a sysroot.
 */
static const struct sysfs_ctx *device_dir(const struct check_run *c, const char *addr, char *buf, size_t len)
{
	const char *sysfs;
	char ours[4096];

	if (opts.pacc->method == PCI_ACCESS_DUMP) {
		if (!*c->sys.root)
			return NULL;	/* a dump knows config space only */
		snprintf(buf, len, "/sys/bus/pci/devices/%s", addr);
		return &c->sys;
	}
	sysfs = pci_get_param(opts.pacc, "sysfs.path");
	sysfs_path(&c->sys, ours, sizeof(ours), "/sys/bus/pci");
	if (*c->sys.root && sysfs && strcmp(sysfs, ours) == 0) {
		snprintf(buf, len, "/sys/bus/pci/devices/%s", addr);
		return &c->sys;
	}
	snprintf(buf, len, "%s/devices/%s", sysfs ? sysfs : "/sys/bus/pci", addr);
	return &live_sys;
}

static bool driver_of(const struct check_run *c, const char *addr, char *drv, size_t len)
{
	char dir[4096];
	const struct sysfs_ctx *ctx = device_dir(c, addr, dir, sizeof(dir));

	if (!ctx)
		return false;
	if (sysfs_readlink_basename(ctx, drv, len, "%s/driver", dir) < 0)
		drv[0] = '\0';
	return true;
}

static void check_driver(struct check_run *c)
{
	char drv[64], fix[1024];
	const char *a = c->device;

	if (!driver_of(c, a, drv, sizeof(drv))) {
		check_add(c, "device", "driver", CHECK_SKIP, NULL, NULL,
			  "not known from a dump: give --sysroot, or use the linux-sysfs method");
		return;
	}
	if (!*drv)
		check_add(c, "device", "driver", CHECK_OK, "", NULL,
			  "no driver bound: no host driver holds its regions");
	else if (strcmp(drv, "pci-stub") == 0)
		check_add(c, "device", "driver", CHECK_OK, drv, NULL,
			  "bound to pci-stub: what legacy assignment wants");
	else if (strcmp(drv, "vfio-pci") == 0)
		check_add(c, "device", "driver", CHECK_OK, drv, NULL,
			  "bound to vfio-pci: ready for VFIO (legacy assignment fails with EBUSY while a VFIO user holds it)");
	else {
		detach_advice(a, NULL, fix, sizeof(fix));
		check_add(c, "device", "driver", CHECK_FAIL, drv, fix,
			  "bound to the host driver %s, which holds its regions: KVM_ASSIGN_PCI_DEVICE fails with EBUSY", drv);
	}
}

static void check_group(struct check_run *c)
{
	char dir[4096], group[32], members[512] = "", drv[64], fix[128];
	const struct sysfs_ctx *ctx = device_dir(c, c->device, dir, sizeof(dir));
	int n = 0, busy = 0;
	struct dirent *e;
	DIR *d;

	if (!ctx) {
		check_add(c, "device", "iommu_group", CHECK_SKIP, NULL, NULL,
			  "not known from a dump: give --sysroot, or use the linux-sysfs method");
		return;
	}
	if (sysfs_readlink_basename(ctx, group, sizeof(group), "%s/iommu_group", dir) < 0) {
		check_add(c, "device", "iommu_group", c->iommu_groups ? CHECK_WARN : CHECK_FAIL, NULL,
			  c->iommu_groups ? NULL : IOMMU_FIX,
			  "in no IOMMU group: %s", c->iommu_groups ? "the IOMMU does not cover it"
			  : "the IOMMU is off, so the device cannot be isolated");
		return;
	}
	d = sysfs_opendir(ctx, "/sys/kernel/iommu_groups/%s/devices", group);
	while (d && (e = readdir(d))) {
		size_t len = strlen(members);

		if (e->d_name[0] == '.')
			continue;
		n++;
		if (!driver_of(c, e->d_name, drv, sizeof(drv)))
			drv[0] = '\0';
		if (!detach_driver_off_host(drv) && strcmp(e->d_name, c->device) != 0)
			busy++;
		snprintf(members + len, sizeof(members) - len, "%s%s (%s)", len ? ", " : "", e->d_name,
			 *drv ? drv : "no driver");
	}
	if (d)
		closedir(d);
	if (n <= 1)
		check_add(c, "device", "iommu_group", CHECK_OK, group, NULL, "group %s, the device alone: %s",
			  group, *members ? members : c->device);
	else {
		snprintf(fix, sizeof(fix), "kvm-assign detach --driver=vfio-pci --group %s", c->device);
		check_add(c, "device", "iommu_group", CHECK_WARN, group, busy ? fix : NULL,
			  "group %s shares %d devices: %s; VFIO needs each bound to vfio-pci or to no driver%s",
			  group, n, members, busy ? ", and some hold host drivers" : "");
	}
}

/* Each BAR from config space, as lspci lists Region N, and the access the
 * kernel demands on its sysfs resourceN file (read+write, else EACCES). */
static void check_bars(struct check_run *c, struct pci_dev *d, unsigned nbars)
{
	char dir[4096], path[4200], name[8], what[64];
	const struct sysfs_ctx *ctx = device_dir(c, c->device, dir, sizeof(dir));
	bool have_dir = ctx != NULL;
	int found = 0;

	for (unsigned i = 0; i < nbars; i++) {
		uint32_t v = pci_read_long(d, PCI_BASE_ADDRESS_0 + 4 * i);
		unsigned idx = i;

		if (!(v & PCI_BASE_ADDRESS_SPACE_IO) &&
		    (v & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64 && i + 1 < nbars) {
			uint32_t hi = pci_read_long(d, PCI_BASE_ADDRESS_0 + 4 * ++i);

			if (!v && !hi)
				continue;
			snprintf(what, sizeof(what), "memory at %08x%08x (64-bit)", hi, v & (uint32_t)PCI_BASE_ADDRESS_MEM_MASK);
		} else if (!v) {
			continue;
		} else if (v & PCI_BASE_ADDRESS_SPACE_IO) {
			snprintf(what, sizeof(what), "I/O ports at %x", v & (uint32_t)PCI_BASE_ADDRESS_IO_MASK);
		} else {
			snprintf(what, sizeof(what), "memory at %08x (32-bit)", v & (uint32_t)PCI_BASE_ADDRESS_MEM_MASK);
		}
		found++;
		snprintf(name, sizeof(name), "bar%u", idx);
		if (!have_dir) {
			check_add(c, "device", name, CHECK_SKIP, NULL, NULL,
				  "Region %u: %s; resource%u access not known from a dump", idx, what, idx);
			continue;
		}
		sysfs_path(ctx, path, sizeof(path), "%s/resource%u", dir, idx);
		if (!sysfs_exists(ctx, "%s/resource%u", dir, idx))
			check_add(c, "device", name, CHECK_SKIP, NULL, NULL,
				  "Region %u: %s; no resource%u file in sysfs", idx, what, idx);
		else if (sysfs_access(ctx, R_OK | W_OK, "%s/resource%u", dir, idx) == 0)
			check_add(c, "device", name, CHECK_OK, "rw", NULL,
				  "Region %u: %s; resource%u readable and writable by uid %u", idx, what, idx, (unsigned)getuid());
		else {
			int err = errno;
			char fix[4300];

			snprintf(fix, sizeof(fix), "run as root, or give the VMM's user the file: chown $USER %s", path);
			check_add(c, "device", name, CHECK_FAIL, errno_name(err), fix,
				  "Region %u: %s; resource%u: %s for uid %u, so KVM_ASSIGN_PCI_DEVICE fails with %s",
				  idx, what, idx, strerror(err), (unsigned)getuid(), errno_name(err));
		}
	}
	if (!found)
		check_add(c, "device", "bars", CHECK_FAIL, "0", NULL,
			  "no BARs: KVM_ASSIGN_PCI_DEVICE refuses a device without resources (EPERM)");
}

/* INTx pin, MSI, MSI-X and INTx masking, with the numbers lspci -vv shows. */
static void check_interrupts(struct check_run *c, struct pci_dev *d)
{
	uint8_t pin = pci_read_byte(d, PCI_INTERRUPT_PIN);
	uint16_t cmd = pci_read_word(d, PCI_COMMAND), status = pci_read_word(d, PCI_STATUS);
	struct pci_cap *msi = pci_find_cap(d, PCI_CAP_ID_MSI, PCI_CAP_NORMAL);
	struct pci_cap *msix = pci_find_cap(d, PCI_CAP_ID_MSIX, PCI_CAP_NORMAL);
	char value[32], fix[400];

	if (pin) {
		snprintf(value, sizeof(value), "%c", 'A' + pin - 1);
		check_add(c, "device", "intx_pin", CHECK_OK, value, NULL, "INTx: pin %s", value);
	} else {
		check_add(c, "device", "intx_pin", msi || msix ? CHECK_OK : CHECK_WARN, "none", NULL,
			  "no INTx pin%s", msi || msix ? ": MSI/MSI-X only" : ", and no MSI or MSI-X: no interrupts to route");
	}
	if (msi) {
		uint16_t f = pci_read_word(d, msi->addr + PCI_MSI_FLAGS);
		int enabled = 1 << ((f & PCI_MSI_FLAGS_QSIZE) >> 4), max = 1 << ((f & PCI_MSI_FLAGS_QMASK) >> 1);

		snprintf(value, sizeof(value), "%d/%d", enabled, max);
		check_add(c, "device", "msi", CHECK_OK, value, NULL,
			  "MSI: Count=%s (up to %d vector%s; KVM routes one)", value, max, max == 1 ? "" : "s");
	} else {
		check_add(c, "device", "msi", CHECK_OK, "none", NULL, "no MSI capability");
	}
	if (msix) {
		unsigned n = (pci_read_word(d, msix->addr + PCI_MSI_FLAGS) & PCI_MSIX_TABSIZE) + 1;

		snprintf(value, sizeof(value), "%u", n);
		check_add(c, "device", "msix", n > 256 ? CHECK_WARN : CHECK_OK, value, NULL,
			  "MSI-X: Count=%u (table size: msix --count up to %u)%s", n, n > 256 ? 256 : n,
			  n > 256 ? "; KVM takes at most 256 entries" : "");
	} else {
		check_add(c, "device", "msix", CHECK_OK, "none", NULL, "no MSI-X capability");
	}
	/* lspci's Control: DisINTx (command bit 10) and Status: INTx (bit 3). */
	snprintf(value, sizeof(value), "DisINTx%c INTx%c", cmd & PCI_COMMAND_DISABLE_INTx ? '+' : '-',
		 status & PCI_STATUS_INTx ? '+' : '-');
	if (!pin)
		check_add(c, "device", "intx_mask", CHECK_SKIP, value, NULL, "%s: no INTx pin, nothing to mask", value);
	else if (cmd & PCI_COMMAND_DISABLE_INTx)
		check_add(c, "device", "intx_mask", CHECK_OK, value, NULL,
			  "%s: command bit 10 holds a 1, so the device masks INTx (PCI 2.3): --share-intx works", value);
	else {
		snprintf(fix, sizeof(fix), "with no driver using it: setpci -s %s COMMAND=0400:0400; "
			 "lspci -vv -s %s | grep DisINTx; setpci -s %s COMMAND=0000:0400", c->device, c->device, c->device);
		check_add(c, "device", "intx_mask", CHECK_WARN, value, fix,
			  "%s: cannot tell without writing command bit 10; the kernel tries it and drops PCI_2_3 if it does not stick", value);
	}
}

/*
 * libpci's sysfs method follows links by itself: before it reads a snapshot's
 * device, the directory it will name must be the one found inside the root,
 * and each file it reads there a regular file, not a link, FIFO or device.
 * NULL when libpci may go ahead, else what is wrong.
 */
static const char *snapshot_device_unsafe(const struct check_run *c, char *why, size_t len)
{
	static const char *const files[] = {
		"config", "resource", "irq", "vendor", "device", "class", "revision",
		"subsystem_vendor", "subsystem_device", "numa_node", "label", "index", "acpi_index",
	};
	char dir[4096], naive[4200];
	const struct sysfs_ctx *ctx = device_dir(c, c->device, dir, sizeof(dir));
	struct stat ours, theirs, st;
	int fd;

	if (ctx != &c->sys || opts.pacc->method == PCI_ACCESS_DUMP)
		return NULL;
	sysfs_path(ctx, naive, sizeof(naive), "%s", dir);
	fd = rootpath_open(c->sys.root, dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0 && errno == ENOENT && lstat(naive, &st) < 0)
		return NULL;	/* absent either way: libpci says so */
	if (fd < 0) {
		snprintf(why, len, "%s: %s", naive, errno == ENOENT ? "leads out of the snapshot" : rootpath_strerror(errno));
		return why;
	}
	if (fstat(fd, &ours) < 0 || stat(naive, &theirs) < 0 ||
	    ours.st_dev != theirs.st_dev || ours.st_ino != theirs.st_ino) {
		close(fd);
		snprintf(why, len, "%s leads out of the snapshot", naive);
		return why;
	}
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (fstatat(fd, files[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!S_ISREG(st.st_mode)) {
			snprintf(why, len, "%s/%s is %s, not a regular file", naive, files[i],
				 S_ISLNK(st.st_mode) ? "a symbolic link" : "special");
			close(fd);
			return why;
		}
	}
	close(fd);
	return NULL;
}

void check_device(struct check_run *c, const struct pci_addr *a)
{
	char name[256], value[16], why[4400];
	struct pci_dev *d;
	uint16_t vid, did;
	uint8_t htype;

	device_format(a, c->device);
	c->device_given = true;
	if (snapshot_device_unsafe(c, why, sizeof(why))) {
		c->device_absent = true;
		check_add(c, "device", "present", CHECK_FAIL, NULL, NULL,
			  "not read: %s", why);
		return;
	}
	d = device_open(opts.pacc, a);
	if (!d) {
		c->device_absent = true;
		check_add(c, "device", "present", CHECK_FAIL, NULL, "lspci -D lists the devices and their addresses",
			  "no device at %s", c->device);
		return;
	}
	vid = pci_read_word(d, PCI_VENDOR_ID);
	did = pci_read_word(d, PCI_DEVICE_ID);
	snprintf(value, sizeof(value), "%04x:%04x", vid, did);
	pci_lookup_name(opts.pacc, name, sizeof(name), PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE, vid, did);
	check_add(c, "device", "present", CHECK_OK, value, NULL, "%s [%s]", name, value);
	if (a->domain)
		check_add(c, "device", "segment", CHECK_OK, NULL, NULL,
			  "domain %04x: needs KVM_CAP_PCI_SEGMENT (see cap_pci_segment)", a->domain);

	htype = pci_read_byte(d, PCI_HEADER_TYPE) & 0x7f;
	snprintf(value, sizeof(value), "%u", htype);
	if (htype == PCI_HEADER_TYPE_NORMAL)
		check_add(c, "device", "header_type", CHECK_OK, value, NULL, "header type 0: an endpoint");
	else
		check_add(c, "device", "header_type", CHECK_FAIL, value, "assign the devices behind it instead",
			  "header type %u: a %s cannot be assigned (EPERM)", htype,
			  htype == PCI_HEADER_TYPE_BRIDGE ? "PCI bridge" : "CardBus bridge");
	check_driver(c);
	check_group(c);
	pci_fill_info(d, PCI_FILL_CAPS);
	check_bars(c, d, htype == PCI_HEADER_TYPE_NORMAL ? 6 : htype == PCI_HEADER_TYPE_BRIDGE ? 2 : 1);
	check_interrupts(c, d);
	pci_free_dev(d);
}
