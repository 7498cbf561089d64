/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * status.c - gathering what the status command shows: the devices kvm-assign
 * detached, those on pci-stub or vfio-pci, those a VM holds, and the VMMs.
 * Everything is read through the sysfs context (root-confined, bounded);
 * only --probe acts, by a harmless ioctl inside each VMM (inject.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "exitcodes.h"
#include "inject.h"
#include "procinfo.h"
#include "status.h"
#include "util.h"

#define DEVICES "/sys/bus/pci/devices"

/* "0000:03:00.0" exactly as the kernel names devices, nothing else. */
static bool canonical_addr(const char *s)
{
	unsigned dom, bus, slot, fn;
	char back[PCI_ADDR_STRLEN], end;

	if (sscanf(s, "%4x:%2x:%2x.%1x%c", &dom, &bus, &slot, &fn, &end) != 4 || slot > 31 || fn > 7)
		return false;
	snprintf(back, sizeof(back), "%04x:%02x:%02x.%x", dom, bus, slot, fn);
	return strcmp(back, s) == 0;
}

static struct status_device *find_device(struct status_report *rep, const char *addr)
{
	for (size_t i = 0; i < rep->n; i++)
		if (strcmp(rep->dev[i].addr, addr) == 0)
			return &rep->dev[i];
	return NULL;
}

/* The device's entry, added if new (and wanted: req->only, when given). */
static struct status_device *add_device(struct status_report *rep, const struct status_request *req, const char *addr)
{
	struct status_device *d = find_device(rep, addr);

	if (d || (req->only && strcmp(req->only, addr) != 0) || !canonical_addr(addr))
		return d;
	rep->dev = xrealloc(rep->dev, (rep->n + 1) * sizeof(*rep->dev));
	d = memset(&rep->dev[rep->n++], 0, sizeof(*d));
	snprintf(d->addr, sizeof(d->addr), "%s", addr);
	d->probe = -1;
	return d;
}

static void read_state(const struct sysfs_ctx *ctx, struct status_device *d)
{
	char enable[16];

	d->present = sysfs_exists(ctx, DEVICES "/%s", d->addr);
	if (sysfs_readlink_basename(ctx, d->driver, sizeof(d->driver), DEVICES "/%s/driver", d->addr) < 0)
		d->driver[0] = '\0';
	d->enable = sysfs_read_s(ctx, enable, sizeof(enable), DEVICES "/%s/enable", d->addr) == 0 ? atoi(enable) : -1;
	sysfs_path(ctx, d->record_path, sizeof(d->record_path), DETACH_RECORD_DIR "/%s", d->addr);
	d->record = detach_record_read(ctx, d->addr, &d->rec, d->record_why, sizeof(d->record_why));
}

/* Off the host (no driver, a stub) and enabled: a VM (or a VFIO user) holds it. */
static bool looks_held(const struct status_device *d)
{
	return d->present && detach_driver_off_host(d->driver) && (d->enable > 0 || d->nirqs > 0);
}

/* Every record detach left (its file names the device). */
static void scan_records(const struct sysfs_ctx *ctx, const struct status_request *req, struct status_report *rep)
{
	DIR *dir = sysfs_opendir(ctx, DETACH_RECORD_DIR);
	struct dirent *e;

	while (dir && (e = readdir(dir)))
		if (e->d_name[0] != '.')
			add_device(rep, req, e->d_name);
	if (dir)
		closedir(dir);
}

/* Devices on pci-stub or vfio-pci, or on no driver and enabled. */
static void scan_bus(const struct sysfs_ctx *ctx, const struct status_request *req, struct status_report *rep)
{
	DIR *dir = sysfs_opendir(ctx, DEVICES);
	struct dirent *e;

	while (dir && (e = readdir(dir))) {
		struct status_device probe_d;

		if (e->d_name[0] == '.' || !canonical_addr(e->d_name) || (req->only && strcmp(req->only, e->d_name)))
			continue;
		memset(&probe_d, 0, sizeof(probe_d));
		snprintf(probe_d.addr, sizeof(probe_d.addr), "%.23s", e->d_name);
		read_state(ctx, &probe_d);
		if (*probe_d.driver ? detach_target_valid(probe_d.driver) : probe_d.enable > 0)
			add_device(rep, req, e->d_name);
	}
	if (dir)
		closedir(dir);
}

/* The lines of /proc/interrupts KVM requested for a device: "N: ... kvm:ADDR". */
static void scan_irqs(const struct sysfs_ctx *ctx, const struct status_request *req, struct status_report *rep)
{
	FILE *f = sysfs_fopen(ctx, "/proc/interrupts");
	char *line = NULL, *name, *end;
	size_t cap = 0;

	while (f && getline(&line, &cap, f) > 0) {
		unsigned long irq = strtoul(line, &end, 10);
		struct status_device *d;

		line[strcspn(line, "\n")] = '\0';
		name = strrchr(line, ' ');
		if (end == line || *end != ':' || !name || strncmp(name + 1, "kvm:", 4) != 0)
			continue;
		d = add_device(rep, req, name + 5);
		if (d && d->nirqs < STATUS_MAX_IRQS)
			d->irqs[d->nirqs++] = (unsigned)irq;
	}
	free(line);
	if (f)
		fclose(f);
}

/* Processes holding a KVM VM fd (/proc/PID/fd/N -> anon_inode:kvm-vm). */
static void scan_vmms(const struct sysfs_ctx *ctx, struct status_report *rep)
{
	DIR *proc = sysfs_opendir(ctx, "/proc"), *fds;
	struct dirent *e, *f;

	while (proc && (e = readdir(proc)) && rep->nvmm < STATUS_MAX_VMMS) {
		struct status_vmm *v = &rep->vmm[rep->nvmm];
		char *end, link[64];
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 0 || e->d_name[0] == '0')
			continue;
		fds = sysfs_opendir(ctx, "/proc/%ld/fd", pid);
		if (!fds) {
			rep->unreadable += errno == EACCES || errno == EPERM;
			continue;
		}
		memset(v, 0, sizeof(*v));
		while ((f = readdir(fds)))
			if (f->d_name[0] != '.' && v->nfds < MAX_VM_FDS &&
			    sysfs_readlink_basename(ctx, link, sizeof(link), "/proc/%ld/fd/%s", pid, f->d_name) == 0 &&
			    strcmp(link, VM_FD_LINK) == 0)
				v->fds[v->nfds++] = atoi(f->d_name);
		closedir(fds);
		if (!v->nfds)
			continue;
		v->pid = (pid_t)pid;
		if (sysfs_read_s(ctx, link, sizeof(link), "/proc/%ld/comm", pid) == 0)
			escape_for_terminal(v->comm, sizeof(v->comm), link);
		rep->nvmm++;
	}
	if (proc)
		closedir(proc);
}

/*
 * --probe: ask inside one VM which of the devices it holds.  After a
 * KVM_CHECK_EXTENSION that proves the process created the VM, one
 * KVM_DEASSIGN_DEV_IRQ per device naming neither half, which changes
 * nothing: ENODEV for an id the VM does not hold, else ENXIO, EINVAL or 0
 * (docs/kernel.md).  The id is the one assign derives from the address.
 */
static void probe_vm(struct status_report *rep, const struct status_request *req, struct status_vmm *v, int fd)
{
	struct inject_target tg = {
		.pid = v->pid, .fd = fd, .start_time = proc_start_time(v->pid), .same_file = -1,
		.fd_link = VM_FD_LINK, .uids = req->uids, .nuids = req->nuids,
	};
	struct inject_call *calls = xcalloc(rep->n + 1, sizeof(*calls));
	struct kvm_assigned_irq *irq = xcalloc(rep->n + 1, sizeof(*irq));
	struct inject_report ir;

	calls[0].request = KVM_CHECK_EXTENSION;
	calls[0].intarg = KVM_CAP_IOMMU;
	for (size_t i = 0; i < rep->n; i++) {
		unsigned dom, bus, slot, fn;

		sscanf(rep->dev[i].addr, "%x:%x:%x.%x", &dom, &bus, &slot, &fn);
		irq[i].assigned_dev_id = kvm_assigned_dev_id(dom, bus, slot << 3 | fn);
		calls[i + 1] = (struct inject_call){ .request = KVM_DEASSIGN_DEV_IRQ, .arg = &irq[i],
						     .len = sizeof(irq[i]), .continue_on_error = true };
	}
	if (inject_ioctls(&tg, calls, rep->n + 1, req->timeout_ms, &ir, v->probe_why, sizeof(v->probe_why)) < 0) {
		if (!v->probe_why[0])
			snprintf(v->probe_why, sizeof(v->probe_why), "%s", strerror(errno));
	} else if (calls[0].ret < 0) {
		snprintf(v->probe_why, sizeof(v->probe_why), "%s", calls[0].err == EIO
			 ? "it holds a VM another process created" : errno_name(calls[0].err));
	} else {
		v->probe_why[0] = '\0';
		for (size_t i = 0; i < rep->n; i++) {
			struct status_device *d = &rep->dev[i];
			int err = calls[i + 1].ret < 0 ? calls[i + 1].err : 0;

			if (err == ENODEV && d->probe < 0)
				d->probe = 0;
			else if ((err == 0 || err == ENXIO || err == EINVAL) && d->nholders < STATUS_MAX_VMMS) {
				d->probe = 1;
				d->holders[d->nholders++] = v->pid;
			}
		}
	}
	free(irq);
	free(calls);
}

static void probe_all(struct status_report *rep, const struct status_request *req)
{
	for (size_t i = 0; i < rep->n && !rep->nvmm; i++)
		rep->dev[i].probe = 0;	/* no VM on this host: none holds it */
	for (size_t i = 0; i < rep->nvmm && rep->n; i++)
		for (int k = 0; k < rep->vmm[i].nfds; k++)
			probe_vm(rep, req, &rep->vmm[i], rep->vmm[i].fds[k]);
}

static void next(struct status_device *d, const char *purpose, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void next(struct status_device *d, const char *purpose, const char *fmt, ...)
{
	struct status_next *n;
	va_list ap;

	if (d->nnext == STATUS_MAX_NEXT)
		return;
	n = &d->next[d->nnext++];
	snprintf(n->purpose, sizeof(n->purpose), "%s", purpose);
	va_start(ap, fmt);
	vsnprintf(n->command, sizeof(n->command), fmt, ap);
	va_end(ap);
}

/* The VMM to name in a command: the one holder, else the one VMM, else PID. */
static const char *vmm_word(const struct status_report *rep, const struct status_device *d, char *buf, size_t len)
{
	if (d->nholders == 1)
		snprintf(buf, len, "%d", (int)d->holders[0]);
	else if (rep->nvmm == 1)
		snprintf(buf, len, "%d", (int)rep->vmm[0].pid);
	else
		snprintf(buf, len, "PID");
	return buf;
}

static void decide_next(const struct status_report *rep, struct status_device *d)
{
	char pid[16], back[128];

	vmm_word(rep, d, pid, sizeof(pid));
	if (!d->present) {
		if (d->record)
			next(d, "the device is gone: its record is stale", "rm %s", d->record_path);
	} else if (d->record < 0) {
		next(d, "the record is unusable: reattach refuses it", "rm %s", d->record_path);
	} else if (d->held && strcmp(d->driver, "vfio-pci") == 0) {
		next(d, "once the VFIO user holding it (its VMM) is stopped", "kvm-assign reattach %s", d->addr);
	} else if (d->held) {
		next(d, "to take it back from the VM", "kvm-assign --pid=%s deassign %s", pid, d->addr);
	} else if (!detach_driver_off_host(d->driver)) {
		if (d->record)
			next(d, "the record is stale: the device is on a host driver", "rm %s", d->record_path);
		else
			next(d, "to give it to a VM", "kvm-assign detach %s", d->addr);
	} else {
		if (d->record == 1)
			snprintf(back, sizeof(back), "back to %s", *d->rec.driver ? d->rec.driver : "no driver");
		else
			snprintf(back, sizeof(back), "back to a host driver (the kernel's probe picks it)");
		if (strcmp(d->driver, "vfio-pci") != 0)
			next(d, "to give it to a VM", "kvm-assign --pid=%s assign %s", pid, d->addr);
		next(d, back, "kvm-assign reattach %s", d->addr);
	}
}

static int cmp_dev(const void *a, const void *b)
{
	return strcmp(((const struct status_device *)a)->addr, ((const struct status_device *)b)->addr);
}

int status_gather(const struct sysfs_ctx *ctx, const struct status_request *req, struct status_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	if (req->only)
		add_device(rep, req, req->only);
	scan_records(ctx, req, rep);
	scan_bus(ctx, req, rep);
	scan_irqs(ctx, req, rep);
	scan_vmms(ctx, rep);
	for (size_t i = 0; i < rep->n; i++)
		read_state(ctx, &rep->dev[i]);
	if (req->only && rep->n == 1 && !rep->dev[0].present && rep->dev[0].record == 0)
		return KA_EXIT_NODEV;
	if (req->probe)
		probe_all(rep, req);
	if (rep->n)	/* qsort wants a non-null array even for no element */
		qsort(rep->dev, rep->n, sizeof(*rep->dev), cmp_dev);
	for (size_t i = 0; i < rep->n; i++) {
		struct status_device *d = &rep->dev[i];

		d->held = looks_held(d) || d->probe == 1;
		decide_next(rep, d);
	}
	return 0;
}

void status_report_free(struct status_report *rep)
{
	free(rep->dev);
	rep->dev = NULL;
	rep->n = 0;
}
