/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check-host.c - the host half of check: kernel, /dev/kvm and the probe,
 * KVM's capabilities, the IOMMU, interrupt remapping, VFIO and memlock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "abi.h"
#include "check.h"
#include "exitcodes.h"
#include "explain.h"
#include "probe.h"
#include "rootpath.h"
#include "util.h"

#define SNAPSHOT "not checked: a --sysroot snapshot (--probe checks this host's " KVM_DEVICE ")"
#define VFIO_FIX "modprobe vfio-pci"
#define IOMMU_CMDLINE_FIX "enable VT-d/AMD-Vi in the firmware, then boot with intel_iommu=on (Intel) or amd_iommu=on (AMD)"

static bool legacy_probed;	/* the probe said: the ioctls exist */

static void check_kernel_version(struct check_run *c)
{
	char release[128], path[4096];
	unsigned major = 0, minor = 0;
	struct utsname u;

	if (*c->sys.root) {
		int err = sysfs_read_s(&c->sys, release, sizeof(release), "/proc/sys/kernel/osrelease");

		if (err != 0) {
			sysfs_path(&c->sys, path, sizeof(path), "/proc/sys/kernel/osrelease");
			check_add(c, "kvm", "kernel", CHECK_SKIP, NULL, NULL,
				  "not in the snapshot (%s: %s)", path, rootpath_strerror(-err));
			return;
		}
	} else {
		if (uname(&u) < 0)
			strcpy(u.release, "unknown");
		snprintf(release, sizeof(release), "%s", u.release);
	}
	snprintf(c->kernel, sizeof(c->kernel), "%s", release);
	if (sscanf(release, "%u.%u", &major, &minor) != 2) {
		check_add(c, "kvm", "kernel", CHECK_WARN, release, NULL, "%s: not a version this tool can read", release);
		return;
	}
	if (major < 4 || (major == 4 && minor < 12))
		check_add(c, "kvm", "kernel", CHECK_OK, release, NULL,
			  "%s: before 4.12, so legacy assignment may be built in (CONFIG_KVM_DEVICE_ASSIGNMENT)", release);
	else if (legacy_probed)
		check_add(c, "kvm", "kernel", CHECK_WARN, release, NULL,
			  "%s: legacy assignment left Linux in 4.12, yet the probe found it (a patched kernel?)", release);
	else if (c->probe)
		check_add(c, "kvm", "kernel", CHECK_FAIL, release, "use VFIO: modprobe vfio-pci, bind the device to vfio-pci",
			  "%s: kernel lacks support: " LACKS_SUPPORT_WHY, release);
	else {
		/* No probe on a snapshot: the version is all there is to go on. */
		check_add(c, "kvm", "kernel", CHECK_FAIL, release, "use VFIO: modprobe vfio-pci, bind the device to vfio-pci",
			  "%s: kernel lacks support: " LACKS_SUPPORT_WHY, release);
		c->kvm_exit = KA_EXIT_UNSUPPORTED;
	}
}

/* KVM_CHECK_EXTENSION on /dev/kvm itself, as libvirt asked it. */
static int system_extension(int cap)
{
	int fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = ioctl(fd, KVM_CHECK_EXTENSION, cap);
	close(fd);
	return r;
}

static void check_capabilities(struct check_run *c, bool usable)
{
	static const struct {
		const char *name;
		int cap;
		enum check_status missing;
		const char *why;	/* what a 0 means */
		const char *fix;
	} caps[] = {
		{ "cap_iommu", KVM_CAP_IOMMU, CHECK_FAIL,
		  "KVM finds no IOMMU: KVM_ASSIGN_PCI_DEVICE fails with ENODEV", IOMMU_CMDLINE_FIX },
		{ "cap_assign_dev_irq", KVM_CAP_ASSIGN_DEV_IRQ, CHECK_FAIL,
		  "no KVM_ASSIGN_DEV_IRQ: a device's interrupts cannot reach the guest", "use VFIO" },
		{ "cap_pci_2_3", KVM_CAP_PCI_2_3, CHECK_WARN,
		  "no PCI 2.3 INTx masking in KVM: INTx cannot be shared (--share-intx is ignored)", NULL },
		{ "cap_pci_segment", KVM_CAP_PCI_SEGMENT, CHECK_WARN,
		  "no PCI segments: only devices in domain 0000 can be assigned", NULL },
	};
	char value[16];

	for (size_t i = 0; i < ARRAY_SIZE(caps); i++) {
		int r;

		if (!c->probe) {
			check_add(c, "kvm", caps[i].name, CHECK_SKIP, NULL, NULL, SNAPSHOT);
			continue;
		}
		if (!usable) {
			check_add(c, "kvm", caps[i].name, CHECK_SKIP, NULL, NULL, "not checked: " KVM_DEVICE " unusable");
			continue;
		}
		r = system_extension(caps[i].cap);
		snprintf(value, sizeof(value), "%d", r);
		if (r > 0)
			check_add(c, "kvm", caps[i].name, CHECK_OK, value, NULL,
				  "KVM_CHECK_EXTENSION(%d) = %d", caps[i].cap, r);
		else if (!legacy_probed)
			/* 4.12+ dropped these capabilities with the ioctls: 0 is no news. */
			check_add(c, "kvm", caps[i].name, CHECK_SKIP, value, NULL,
				  "KVM_CHECK_EXTENSION(%d) = %d: irrelevant, the kernel lacks legacy assignment",
				  caps[i].cap, r);
		else
			check_add(c, "kvm", caps[i].name, caps[i].missing, value, caps[i].fix,
				  "KVM_CHECK_EXTENSION(%d) = %d: %s", caps[i].cap, r, caps[i].why);
	}
}

static void check_dev_kvm(struct check_run *c, const struct probe *p)
{
	const struct probe pr = *p;
	char buf[160], value[16];

	if (!c->probe) {
		check_add(c, "kvm", "dev_kvm", CHECK_SKIP, NULL, NULL, SNAPSHOT);
		check_add(c, "kvm", "api_version", CHECK_SKIP, NULL, NULL, SNAPSHOT);
		check_add(c, "kvm", "legacy_ioctls", CHECK_SKIP, NULL, NULL, SNAPSHOT);
		return;
	}
	if (strncmp(pr.step, "open ", 5) == 0) {
		if (pr.err == EACCES || pr.err == EPERM) {
			check_add(c, "kvm", "dev_kvm", CHECK_FAIL, errno_name(pr.err),
				  "run as root, or: usermod -aG kvm $USER (the group that owns " KVM_DEVICE ")",
				  KVM_DEVICE " is not accessible to uid %u: %s", (unsigned)getuid(), strerror(pr.err));
			c->kvm_exit = KA_EXIT_PERMISSION;
		} else if (pr.err == ENOENT) {
			check_add(c, "kvm", "dev_kvm", CHECK_FAIL, errno_name(pr.err), "modprobe kvm-intel (or kvm-amd)",
				  KVM_DEVICE " is missing: kvm is not loaded, or the CPU lacks hardware virtualization");
			c->kvm_exit = KA_EXIT_NO_KVM;
		} else {
			check_add(c, "kvm", "dev_kvm", CHECK_FAIL, errno_name(pr.err), "modprobe kvm-intel (or kvm-amd)",
				  KVM_DEVICE ": %s", strerror(pr.err));
			c->kvm_exit = KA_EXIT_NO_KVM;
		}
		check_add(c, "kvm", "api_version", CHECK_SKIP, NULL, NULL, "not checked: " KVM_DEVICE " unusable");
		check_add(c, "kvm", "legacy_ioctls", CHECK_SKIP, NULL, NULL, "not checked: " KVM_DEVICE " unusable");
		return;
	}
	check_add(c, "kvm", "dev_kvm", CHECK_OK, "ok", NULL, KVM_DEVICE " opens read-write");
	if (pr.api_version < 0) {
		check_add(c, "kvm", "api_version", CHECK_FAIL, NULL, "modprobe kvm-intel (or kvm-amd)",
			  "%s", probe_failure_text(&pr, buf, sizeof(buf)));
		c->kvm_exit = KA_EXIT_NO_KVM;
	} else {
		snprintf(value, sizeof(value), "%d", pr.api_version);
		check_add(c, "kvm", "api_version", pr.api_version == KVM_API_VERSION ? CHECK_OK : CHECK_WARN, value, NULL,
			  "KVM_GET_API_VERSION = %d (%s)", pr.api_version,
			  pr.api_version == KVM_API_VERSION ? "the stable API" : "not 12: an unknown KVM");
	}
	switch (pr.result) {
	case PROBE_SUPPORTED:
		check_add(c, "kvm", "legacy_ioctls", CHECK_OK, "supported", NULL,
			  "KVM_DEASSIGN_PCI_DEVICE on a VM of our own: EINVAL for an unused id, so the ioctls exist");
		break;
	case PROBE_UNSUPPORTED:
		check_add(c, "kvm", "legacy_ioctls", CHECK_FAIL, "unsupported", LACKS_SUPPORT_TODO,
			  "KVM_DEASSIGN_PCI_DEVICE got ENOTTY: " LACKS_SUPPORT_WHY);
		c->kvm_exit = KA_EXIT_UNSUPPORTED;
		break;
	case PROBE_FAILED:
		if (pr.api_version >= 0)
			check_add(c, "kvm", "legacy_ioctls", CHECK_FAIL, "unknown", NULL,
				  "%s", probe_failure_text(&pr, buf, sizeof(buf)));
		if (!c->kvm_exit)
			c->kvm_exit = pr.err == EACCES || pr.err == EPERM ? KA_EXIT_PERMISSION : KA_EXIT_NO_KVM;
		break;
	}
}

/* The kvm module parameter that let assignment go on without interrupt remapping. */
static int check_unsafe_interrupts(struct check_run *c, bool remapping)
{
	char v[16];
	const char *fix = "enable interrupt remapping (firmware, intremap=on); or, accepting that a guest can "
		"forge interrupts: echo 1 > /sys/module/kvm/parameters/allow_unsafe_assigned_interrupts";

	if (sysfs_read_s(&c->sys, v, sizeof(v), "/sys/module/kvm/parameters/allow_unsafe_assigned_interrupts") != 0) {
		check_add(c, "iommu", "allow_unsafe_interrupts", CHECK_SKIP, NULL, NULL,
			  "no kvm parameter allow_unsafe_assigned_interrupts (kvm not loaded, or no legacy assignment)");
		return -1;
	}
	if (v[0] == 'Y' || v[0] == '1') {
		check_add(c, "iommu", "allow_unsafe_interrupts", remapping ? CHECK_OK : CHECK_WARN, v, NULL,
			  "set: assignment goes on without interrupt remapping%s",
			  remapping ? " (not needed here)" : ", and a guest could forge host interrupts");
		return 1;
	}
	check_add(c, "iommu", "allow_unsafe_interrupts", remapping ? CHECK_OK : CHECK_FAIL, v, remapping ? NULL : fix,
		  "not set%s", remapping ? " (not needed: interrupts are remapped)"
		  : ": without interrupt remapping KVM_ASSIGN_PCI_DEVICE fails with EPERM");
	return 0;
}

/* Is "word" (as "word" or "word=...") on the kernel command line?  Its value into val. */
static bool cmdline_option(const char *cmdline, const char *word, char *val, size_t len)
{
	size_t n = strlen(word);
	const char *p = cmdline;

	while ((p = strstr(p, word))) {
		if ((p == cmdline || p[-1] == ' ') && p[n] == '=') {
			size_t l = strcspn(p + n + 1, " \n");

			snprintf(val, len, "%.*s", (int)l, p + n + 1);
			return true;
		}
		p += n;
	}
	return false;
}

static void check_cmdline(struct check_run *c, bool intel, bool amd)
{
	char path[4096], cmdline[4096], v[64], shown[200] = "";
	bool off = false, on = false;
	static const char *const words[] = { "intel_iommu", "amd_iommu", "iommu" };

	int err = sysfs_read_s(&c->sys, cmdline, sizeof(cmdline), "/proc/cmdline");

	if (err != 0) {
		sysfs_path(&c->sys, path, sizeof(path), "/proc/cmdline");
		check_add(c, "iommu", "cmdline", CHECK_SKIP, NULL, NULL, "%s unreadable: %s", path, rootpath_strerror(-err));
		return;
	}
	for (size_t i = 0; i < 3; i++) {
		if (!cmdline_option(cmdline, words[i], v, sizeof(v)))
			continue;
		snprintf(shown + strlen(shown), sizeof(shown) - strlen(shown), "%s%s=%s", *shown ? " " : "", words[i], v);
		if (strcmp(v, "off") == 0 || (i == 2 && strcmp(v, "soft") == 0))
			off = true;
		if (strstr(v, "on") || strcmp(v, "pt") == 0 || strcmp(v, "force") == 0)
			on = true;
	}
	if (off)
		check_add(c, "iommu", "cmdline", CHECK_FAIL, shown, "remove it from the kernel command line, boot with intel_iommu=on (Intel) or amd_iommu=on (AMD)",
			  "%s: the IOMMU is turned off on the kernel command line", shown);
	else if (on)
		check_add(c, "iommu", "cmdline", CHECK_OK, shown, NULL, "%s", shown);
	else if (intel)
		check_add(c, "iommu", "cmdline", c->iommu_groups ? CHECK_OK : CHECK_WARN, "", c->iommu_groups ? NULL : "boot with intel_iommu=on",
			  "no intel_iommu=: the kernel's default (CONFIG_INTEL_IOMMU_DEFAULT_ON) applies%s",
			  c->iommu_groups ? ", and it is on" : ", and many kernels leave it off");
	else
		check_add(c, "iommu", "cmdline", CHECK_OK, "", NULL, "no IOMMU option: the kernel's default%s",
			  amd ? " (on for AMD-Vi)" : "");
}

/* Intel's extended capability register bit 3: interrupt remapping supported. */
#define DMAR_ECAP_IR (1ull << 3)

/* Returns true when interrupts are (visibly) remapped. */
static bool check_intremap(struct check_run *c)
{
	char path[4096], line[512], v[32];
	bool ir_chip = false, ir_capable = false;
	FILE *f;

	/* The kernel names remapped irq chips IR-PCI-MSI, IR-IO-APIC, ... */
	sysfs_path(&c->sys, path, sizeof(path), "/proc/interrupts");
	f = sysfs_fopen(&c->sys, "/proc/interrupts");
	if (f) {
		while (!ir_chip && fgets(line, sizeof(line), f))
			ir_chip = strstr(line, " IR-") != NULL;
		fclose(f);
	}
	for (int i = 0; i < 8 && !ir_capable; i++) {
		unsigned long long ecap;

		if (sysfs_read_s(&c->sys, v, sizeof(v), "/sys/class/iommu/dmar%d/intel-iommu/ecap", i) == 0 &&
		    sscanf(v, "%llx", &ecap) == 1)
			ir_capable = ecap & DMAR_ECAP_IR;
	}
	if (ir_chip)
		check_add(c, "iommu", "interrupt_remapping", CHECK_OK, "on", NULL,
			  "on: /proc/interrupts shows IR- interrupt chips");
	else if (ir_capable)
		check_add(c, "iommu", "interrupt_remapping", CHECK_WARN, "capable", "boot with intremap=on (and without intremap=off/nox2apic)",
			  "the IOMMU can remap interrupts (ecap IR) but /proc/interrupts shows no IR- chip");
	else if (!f)
		check_add(c, "iommu", "interrupt_remapping", CHECK_WARN, "unknown", NULL,
			  "not visible: %s unreadable", path);
	else
		check_add(c, "iommu", "interrupt_remapping", CHECK_WARN, "off", "enable interrupt remapping in the firmware (VT-d/AMD-Vi), boot with intremap=on",
			  "not seen: no IR- interrupt chip in /proc/interrupts");
	return ir_chip;
}

static void check_iommu(struct check_run *c)
{
	char path[4096];
	bool intel, amd;
	int n, groups;

	intel = sysfs_exists(&c->sys, "/sys/firmware/acpi/tables/DMAR");
	amd = sysfs_exists(&c->sys, "/sys/firmware/acpi/tables/IVRS");
	sysfs_path(&c->sys, path, sizeof(path), "/sys/firmware/acpi/tables");
	if (intel || amd)
		check_add(c, "iommu", "acpi_table", CHECK_OK, intel ? "DMAR" : "IVRS", NULL,
			  "the firmware describes an IOMMU (ACPI %s: %s)", intel ? "DMAR" : "IVRS", intel ? "Intel VT-d" : "AMD-Vi");
	else if (sysfs_count_entries(&c->sys, "/sys/firmware/acpi/tables") < 0)
		check_add(c, "iommu", "acpi_table", CHECK_WARN, NULL, NULL, "%s absent: no ACPI tables to look at", path);
	else
		check_add(c, "iommu", "acpi_table", CHECK_FAIL, "", "enable VT-d (Intel) or AMD-Vi/IOMMU in the firmware setup",
			  "no ACPI DMAR or IVRS table: the firmware reports no IOMMU");

	groups = sysfs_count_entries(&c->sys, "/sys/kernel/iommu_groups");
	c->iommu_groups = groups > 0;
	n = sysfs_count_entries(&c->sys, "/sys/class/iommu");
	if (n > 0)
		check_add(c, "iommu", "class_iommu", CHECK_OK, NULL, NULL, "%d IOMMU unit%s in /sys/class/iommu", n, n == 1 ? "" : "s");
	else if (n < 0 && groups > 0)	/* before 3.17 only an active IOMMU driver makes groups */
		check_add(c, "iommu", "class_iommu", CHECK_OK, "absent", NULL,
			  "no /sys/class/iommu (kernels before 3.17 lack it): the IOMMU groups show an active IOMMU driver");
	else
		check_add(c, "iommu", "class_iommu", CHECK_FAIL, NULL, IOMMU_CMDLINE_FIX,
			  "%s: no IOMMU driver is active", n < 0 ? "no /sys/class/iommu and no IOMMU group" : "/sys/class/iommu is empty");

	if (groups > 0)
		check_add(c, "iommu", "iommu_groups", CHECK_OK, NULL, NULL, "%d IOMMU group%s", groups, groups == 1 ? "" : "s");
	else if (groups == 0)
		check_add(c, "iommu", "iommu_groups", CHECK_FAIL, "0", IOMMU_CMDLINE_FIX,
			  "/sys/kernel/iommu_groups is empty: the IOMMU is off in the kernel");
	else
		check_add(c, "iommu", "iommu_groups", CHECK_FAIL, NULL, IOMMU_CMDLINE_FIX,
			  "no /sys/kernel/iommu_groups: a kernel without IOMMU support, or none found");
	check_cmdline(c, intel, amd);
	check_unsafe_interrupts(c, check_intremap(c));
}

static void check_vfio(struct check_run *c)
{
	char path[4096];

	c->vfio_module = sysfs_count_entries(&c->sys, "/sys/module/vfio_pci") >= 0 ||
		sysfs_count_entries(&c->sys, "/sys/bus/pci/drivers/vfio-pci") >= 0;
	if (c->vfio_module)
		check_add(c, "vfio", "vfio_pci", CHECK_OK, "loaded", NULL, "the vfio-pci driver is loaded");
	else
		check_add(c, "vfio", "vfio_pci", CHECK_WARN, "absent", VFIO_FIX,
			  "vfio-pci is not loaded (needed only for VFIO, the way forward)");
	sysfs_path(&c->sys, path, sizeof(path), "/dev/vfio/vfio");
	c->vfio_dev = sysfs_exists(&c->sys, "/dev/vfio/vfio");
	if (c->vfio_dev)
		check_add(c, "vfio", "dev_vfio", CHECK_OK, "present", NULL, "/dev/vfio/vfio is present");
	else
		check_add(c, "vfio", "dev_vfio", CHECK_WARN, "absent", VFIO_FIX,
			  "%s is missing (the vfio module creates it)", path);
}

static void check_memlock(struct check_run *c)
{
	char path[4096], line[256], value[32];
	unsigned long long soft = 0;
	bool unlimited = false, known = false;
	struct rlimit rl;
	FILE *f;

	if (*c->sys.root) {
		sysfs_path(&c->sys, path, sizeof(path), "/proc/self/limits");
		f = sysfs_fopen(&c->sys, "/proc/self/limits");
		while (f && fgets(line, sizeof(line), f)) {
			/* the value column starts at 26; a shorter line is not the kernel's */
			if (strncmp(line, "Max locked memory", 17) || strlen(line) <= 26)
				continue;
			known = true;
			unlimited = strncmp(line + 26, "unlimited", 9) == 0;
			soft = strtoull(line + 26, NULL, 10);
		}
		if (f)
			fclose(f);
		if (!known) {
			check_add(c, "vfio", "memlock", CHECK_SKIP, NULL, NULL, "not in the snapshot (%s)", path);
			return;
		}
	} else {
		getrlimit(RLIMIT_MEMLOCK, &rl);
		unlimited = rl.rlim_cur == RLIM_INFINITY;
		soft = rl.rlim_cur;
	}
	if (unlimited) {
		check_add(c, "vfio", "memlock", CHECK_OK, "unlimited", NULL, "RLIMIT_MEMLOCK unlimited");
		return;
	}
	snprintf(value, sizeof(value), "%llu", soft);
	/* Legacy KVM pins guest memory without charging it; VFIO charges all of it. */
	check_add(c, "vfio", "memlock", CHECK_WARN, value, "ulimit -l unlimited (or LimitMEMLOCK=infinity for a service)",
		  "RLIMIT_MEMLOCK %llu KiB: no limit for legacy assignment, but VFIO pins all guest RAM against it",
		  soft / 1024);
}

void check_host(struct check_run *c)
{
	static struct probe pr = { .result = PROBE_FAILED, .step = "", .api_version = -1 };

	if (c->probe) {
		probe_legacy_support(&pr);
		c->probe_result = &pr;
	}
	legacy_probed = pr.result == PROBE_SUPPORTED;
	check_kernel_version(c);
	check_dev_kvm(c, &pr);
	check_capabilities(c, c->probe && (c->kvm_exit == 0 || c->kvm_exit == KA_EXIT_UNSUPPORTED));
	check_iommu(c);
	check_vfio(c);
	check_memlock(c);
}
