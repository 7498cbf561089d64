// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kvm-sim.c - a simulated KVM at the system-call boundary, for the tests: runs
 * a command under a seccomp user-notification filter and answers its KVM calls.
 */

/*
 * The programs under it are unmodified: /dev/kvm opens, KVMIO ioctls and
 * readlinks of /proc/PID/fd/N reach this supervisor, which models the legacy
 * assignment kernel of docs/kernel.md. Simulated fds are real memfds with
 * distinctive names, so fork, SCM_RIGHTS and kcmp work on them for real.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/kcmp.h>
#include <linux/seccomp.h>

/* glibc 2.27 wraps memfd_create; the helpers build with glibc 2.17 too. */
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1U
#endif

#include "../../src/abi.h"
#include "../../src/errnames.h"

#define EXIT_SIM_USAGE 2	/* bad command line */
#define EXIT_SIM_FAILURE 125	/* the simulator itself failed (as env(1)) */

#define MAX_VCPU_ID 1024	/* KVM_MAX_VCPU_ID on the 4.x kernels */
#define LINGER_MS 2000		/* serve stragglers this long after the command */
#define TERM_TO_KILL_MS 500	/* SIGTERM, then SIGKILL, to the process group */

/* ------------------------------------------------------------------ model */

enum mode { MODE_LEGACY, MODE_REMOVED };

/* The largest MSI-X table PCI allows: the default when none is given. */
#define PCI_MSIX_TABLE_MAX 2048

struct host_dev {
	unsigned seg, bus, devfn;
	bool bridge, busy, no_bars, no_intx_mask;
	bool shared_intx;	/* its INTx line is shared with another device */
	unsigned msix;		/* entries in its MSI-X table */
};

struct msix_slot {
	uint16_t entry;
	uint32_t gsi;
};

struct adev {
	uint32_t id, seg, bus, devfn;
	uint32_t flags;		/* as stored: PCI_2_3 maybe dropped, MASK_INTX */
	uint32_t irq_type;	/* irq_requested_type: host and guest halves */
	uint32_t guest_irq;
	uint32_t msix_nr;	/* entries_nr as the kernel stored it */
	bool msix_table;	/* tables allocated (nr was in range) */
	unsigned msix_size;	/* the device's MSI-X table (host_dev.msix) */
	bool shared_intx;	/* host_dev.shared_intx */
	struct msix_slot msix[KVM_MAX_MSIX_PER_DEV];
};

struct vm {
	int num;
	bool alive;
	pid_t creator_tgid, creator_tid;
	int creator_mem;	/* /proc/<creator>/mem: pins the creator's mm */
	bool irqchip;
	int nvcpus;
	uint8_t vcpu_used[MAX_VCPU_ID];
	int ndev;		/* no limit: the kernel keeps a list */
	struct adev *dev;
};

enum obj_kind { OBJ_NONE, OBJ_SYS, OBJ_VM, OBJ_VCPU };

struct obj {
	enum obj_kind kind;
	int num;		/* sys number, vm number */
	int vcpu;		/* vcpu id */
	struct vm *vm;
};

struct fault {
	unsigned long seq;	/* 0: by name */
	unsigned long cmd;
	int err;
};

/* Names our memfds "kvm-sim.<supervisor pid>:vm:N": unique per simulated kernel. */
static char sim_tag[32] = "kvm-sim";

static struct {
	enum mode mode;
	bool no_iommu, no_intremap, allow_unsafe, creator_rule;
	bool msix_nonexact;	/* --kernel=3.10: pci_enable_msix, not _exact */
	bool msix_count_first;	/* --kernel=4.9: the table size checked before the tables */
	bool no_vm_check_extension;	/* before 3.17: a VM fd has no KVM_CHECK_EXTENSION */
	int dev_kvm_errno;
	struct host_dev *devs;
	int ndevs;
	struct fault *faults;
	int nfaults;
	FILE *log;
	const char *state_path;
} opt = { .creator_rule = true };

static int listener = -1;
static struct vm **vms;
static int nvms;
static int nsys;
static unsigned long ioctl_seq;
static struct seccomp_notif_sizes sizes;

/* ------------------------------------------------------------- utilities */

static void __attribute__((format(printf, 1, 2))) warnx(const char *fmt, ...)
{
	va_list ap;

	fputs("kvm-sim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);

	if (!p) {
		warnx("out of memory");
		exit(EXIT_SIM_FAILURE);
	}
	return p;
}

static void *xrealloc(void *p, size_t sz)
{
	p = realloc(p, sz);
	if (!p) {
		warnx("out of memory");
		exit(EXIT_SIM_FAILURE);
	}
	return p;
}

static const char *errname(int e)
{
	static char buf[16];
	const char *n = errno_symbol(e);

	if (n)
		return n;
	snprintf(buf, sizeof(buf), "%d", e);
	return buf;
}

/* An errno given as a name (EBUSY) or a number; -1 if neither. */
static int parse_errno(const char *s)
{
	char *end;
	long v;

	if (isdigit((unsigned char)s[0])) {
		v = strtol(s, &end, 10);
		return (*end || v <= 0 || v > 4095) ? -1 : (int)v;
	}
	for (int e = 1; e < 200; e++) {
		const char *n = errno_symbol(e);

		if (n && strcmp(n, s) == 0)
			return e;
	}
	return -1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Tgid, thread name and fsuid of a task, from /proc/TID/status. */
struct task_info {
	pid_t tgid;
	char comm[64];
	long fsuid;
	long uid[3];
};

static bool task_info(pid_t tid, struct task_info *ti)
{
	char path[64], line[256];
	FILE *f;

	memset(ti, 0, sizeof(*ti));
	ti->tgid = tid;
	ti->fsuid = -1;
	strcpy(ti->comm, "?");
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Name:", 5) == 0) {
			char *p = line + 5;

			while (*p == '\t' || *p == ' ')
				p++;
			p[strcspn(p, "\n")] = '\0';
			snprintf(ti->comm, sizeof(ti->comm), "%.63s", p);
		} else if (strncmp(line, "Tgid:", 5) == 0) {
			ti->tgid = (pid_t)atoi(line + 5);
		} else if (strncmp(line, "Uid:", 4) == 0) {
			sscanf(line + 4, "%ld %ld %ld %ld", &ti->uid[0], &ti->uid[1],
			       &ti->uid[2], &ti->fsuid);
		}
	}
	fclose(f);
	/* One token in the log: no spaces or control characters. */
	for (char *p = ti->comm; *p; p++)
		if (!isgraph((unsigned char)*p))
			*p = '_';
	return true;
}

static bool read_target(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };

	return process_vm_readv(tid, &local, 1, &remote, 1, 0) == (ssize_t)len;
}

static bool write_target(pid_t tid, uint64_t addr, const void *buf, size_t len)
{
	struct iovec local = { (void *)buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };

	return process_vm_writev(tid, &local, 1, &remote, 1, 0) == (ssize_t)len;
}

/* A NUL-terminated string from the target, read page by page. */
static bool read_target_string(pid_t tid, uint64_t addr, char *buf, size_t size)
{
	size_t got = 0;

	while (got < size - 1) {
		size_t chunk = 4096 - ((addr + got) & 4095);

		if (chunk > size - 1 - got)
			chunk = size - 1 - got;
		if (!read_target(tid, addr + got, buf + got, chunk))
			return false;
		if (memchr(buf + got, '\0', chunk))
			return true;
		got += chunk;
	}
	buf[size - 1] = '\0';
	return false;
}

static bool notif_valid(uint64_t id)
{
	return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

static ssize_t readlink_str(const char *path, char *buf, size_t size)
{
	ssize_t n = readlink(path, buf, size - 1);

	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* Join base and a relative path, then resolve ".", ".." and "//". */
static void normalize_path(const char *base, const char *rel, char *out, size_t size)
{
	char tmp[PATH_MAX * 2];
	char *comp[PATH_MAX / 2];
	int n = 0;
	char *save = NULL;

	if (rel[0] == '/')
		snprintf(tmp, sizeof(tmp), "%s", rel);
	else
		snprintf(tmp, sizeof(tmp), "%s/%s", base, rel);
	for (char *c = strtok_r(tmp, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			if (n > 0)
				n--;
			continue;
		}
		if (n < (int)(sizeof(comp) / sizeof(comp[0])))
			comp[n++] = c;
	}
	out[0] = '\0';
	if (n == 0)
		snprintf(out, size, "/");
	for (int i = 0; i < n; i++) {
		size_t len = strlen(out);

		snprintf(out + len, size - len, "/%s", comp[i]);
	}
}

/* The absolute path a *at() call names, as the caller sees it. */
static bool resolve_at(pid_t tid, int dirfd, const char *path, char *out, size_t size)
{
	char link[128], base[PATH_MAX];

	if (path[0] != '/') {
		if (dirfd == AT_FDCWD)
			snprintf(link, sizeof(link), "/proc/%d/cwd", (int)tid);
		else
			snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)tid, dirfd);
		if (readlink_str(link, base, sizeof(base)) < 0 || base[0] != '/')
			return false;
	} else {
		base[0] = '\0';
	}
	normalize_path(base, path, out, size);
	return true;
}

/* -------------------------------------------------- simulated fd objects */

static struct vm *vm_by_num(int num)
{
	for (int i = 0; i < nvms; i++)
		if (vms[i]->num == num && vms[i]->alive)
			return vms[i];
	return NULL;
}

/* Which simulated object a link text (of /proc/TID/fd/N) is, if any. */
static bool obj_from_link(const char *link, struct obj *o)
{
	int a, b, n;

	memset(o, 0, sizeof(*o));
	/* Only our own objects: another kvm-sim may run beside us (make -j). */
	char norm[300];
	size_t tl = strlen(sim_tag);

	if (strncmp(link, "/memfd:", 7) != 0 || strncmp(link + 7, sim_tag, tl) != 0 || link[7 + tl] != ':')
		return false;
	snprintf(norm, sizeof(norm), "/memfd:kvm-sim%s", link + 7 + tl);
	link = norm;
	if (sscanf(link, "/memfd:kvm-sim:sys:%d%n", &a, &n) == 1 && strchr(" ", link[n])) {
		if (a < 1 || a > nsys)
			return false;
		o->kind = OBJ_SYS;
		o->num = a;
		return true;
	}
	if (sscanf(link, "/memfd:kvm-sim:vcpu:%d:%d%n", &a, &b, &n) == 2 && link[n] == ' ') {
		o->vm = vm_by_num(a);
		if (!o->vm)
			return false;
		o->kind = OBJ_VCPU;
		o->num = a;
		o->vcpu = b;
		return true;
	}
	if (sscanf(link, "/memfd:kvm-sim:vm:%d%n", &a, &n) == 1 && link[n] == ' ') {
		o->vm = vm_by_num(a);
		if (!o->vm)
			return false;
		o->kind = OBJ_VM;
		o->num = a;
		return true;
	}
	return false;
}

static bool obj_of_fd(const char *procdir, int fd, struct obj *o)
{
	char path[128], link[PATH_MAX];

	snprintf(path, sizeof(path), "%s/fd/%d", procdir, fd);
	if (readlink_str(path, link, sizeof(link)) < 0)
		return false;
	return obj_from_link(link, o);
}

static void obj_name(const struct obj *o, char *buf, size_t size)
{
	switch (o->kind) {
	case OBJ_SYS:
		snprintf(buf, size, "sys%d", o->num);
		break;
	case OBJ_VM:
		snprintf(buf, size, "vm%d", o->num);
		break;
	case OBJ_VCPU:
		snprintf(buf, size, "vcpu%d.%d", o->num, o->vcpu);
		break;
	default:
		snprintf(buf, size, "none");
	}
}

/* The text the real kernel shows for /proc/PID/fd/N of this object. */
static void obj_link_text(const struct obj *o, char *buf, size_t size)
{
	switch (o->kind) {
	case OBJ_SYS:
		snprintf(buf, size, "/dev/kvm");
		break;
	case OBJ_VM:
		snprintf(buf, size, "anon_inode:kvm-vm");
		break;
	default:
		snprintf(buf, size, "anon_inode:kvm-vcpu:%d", o->vcpu);
	}
}

/* Is any fd in any process still referring to VM num (or one of its vcpus)? */
static bool vm_referenced(int num)
{
	char prefix[64], prefix2[64];
	bool found = false;
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return true;
	snprintf(prefix, sizeof(prefix), "/memfd:%s:vm:%d ", sim_tag, num);
	snprintf(prefix2, sizeof(prefix2), "/memfd:%s:vcpu:%d:", sim_tag, num);
	while (!found && (de = readdir(d))) {
		char fddir[300];
		struct dirent *fe;
		DIR *fdd;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(fddir, sizeof(fddir), "/proc/%s/fd", de->d_name);
		fdd = opendir(fddir);
		if (!fdd)
			continue;
		while (!found && (fe = readdir(fdd))) {
			char lp[600], link[PATH_MAX];

			if (fe->d_name[0] == '.')
				continue;
			snprintf(lp, sizeof(lp), "%s/%s", fddir, fe->d_name);
			if (readlink_str(lp, link, sizeof(link)) < 0)
				continue;
			if (!strncmp(link, prefix, strlen(prefix)) ||
			    !strncmp(link, prefix2, strlen(prefix2)))
				found = true;
		}
		closedir(fdd);
	}
	closedir(d);
	return found;
}

/* ------------------------------------------------------ log and state */

struct ioctl_desc {
	unsigned long cmd;
	const char *name;
};

static const struct ioctl_desc ioctl_names[] = {
	{ KVM_GET_API_VERSION, "KVM_GET_API_VERSION" },
	{ KVM_CREATE_VM, "KVM_CREATE_VM" },
	{ KVM_CHECK_EXTENSION, "KVM_CHECK_EXTENSION" },
	{ KVM_CREATE_VCPU, "KVM_CREATE_VCPU" },
	{ KVM_CREATE_IRQCHIP, "KVM_CREATE_IRQCHIP" },
	{ KVM_ASSIGN_PCI_DEVICE, "KVM_ASSIGN_PCI_DEVICE" },
	{ KVM_ASSIGN_DEV_IRQ, "KVM_ASSIGN_DEV_IRQ" },
	{ KVM_DEASSIGN_PCI_DEVICE, "KVM_DEASSIGN_PCI_DEVICE" },
	{ KVM_ASSIGN_SET_MSIX_NR, "KVM_ASSIGN_SET_MSIX_NR" },
	{ KVM_ASSIGN_SET_MSIX_ENTRY, "KVM_ASSIGN_SET_MSIX_ENTRY" },
	{ KVM_DEASSIGN_DEV_IRQ, "KVM_DEASSIGN_DEV_IRQ" },
	{ KVM_ASSIGN_SET_INTX_MASK, "KVM_ASSIGN_SET_INTX_MASK" },
};

static const char *ioctl_name(unsigned long cmd)
{
	for (size_t i = 0; i < sizeof(ioctl_names) / sizeof(ioctl_names[0]); i++)
		if (ioctl_names[i].cmd == cmd)
			return ioctl_names[i].name;
	return NULL;
}

static bool is_legacy_ioctl(unsigned long cmd)
{
	return _IOC_NR(cmd) == 0x69 || _IOC_NR(cmd) == 0x70 || (_IOC_NR(cmd) >= 0x72 &&
		_IOC_NR(cmd) <= 0x75) || _IOC_NR(cmd) == 0xa4;
}

static void log_line(const char *fmt, ...)
{
	va_list ap;

	if (!opt.log)
		return;
	va_start(ap, fmt);
	vfprintf(opt.log, fmt, ap);
	va_end(ap);
	fputc('\n', opt.log);
	fflush(opt.log);
}

/* Rewrite the whole state file (write a temporary, then rename). */
static void dump_state(void)
{
	char tmp[PATH_MAX];
	FILE *f;

	if (!opt.state_path)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", opt.state_path);
	f = fopen(tmp, "we");
	if (!f) {
		warnx("cannot write %s: %s", tmp, strerror(errno));
		return;
	}
	for (int i = 0; i < nvms; i++) {
		const struct vm *vm = vms[i];

		if (!vm->alive)
			continue;
		fprintf(f, "vm name=vm%d creator=%d irqchip=%d vcpus=%d devices=%d\n",
			vm->num, (int)vm->creator_tgid, vm->irqchip, vm->nvcpus, vm->ndev);
		for (int j = 0; j < vm->ndev; j++) {
			const struct adev *d = &vm->dev[j];

			fprintf(f, "dev vm=vm%d id=0x%x addr=%04x:%02x:%02x.%x flags=0x%x "
				"intx_mask=%d irq=0x%x guest_irq=%u msix_nr=%u\n",
				vm->num, d->id, d->seg, d->bus, d->devfn >> 3, d->devfn & 7,
				d->flags, !!(d->flags & KVM_DEV_ASSIGN_MASK_INTX), d->irq_type,
				d->guest_irq, d->msix_nr);
			for (uint32_t k = 0; d->msix_table && k < d->msix_nr; k++)
				fprintf(f, "msix vm=vm%d id=0x%x slot=%u entry=%u gsi=%u\n",
					vm->num, d->id, k, d->msix[k].entry, d->msix[k].gsi);
		}
	}
	if (fclose(f) != 0 || rename(tmp, opt.state_path) != 0)
		warnx("cannot write %s: %s", opt.state_path, strerror(errno));
}

/* ---------------------------------------------------- replies to targets */

static bool send_resp(struct seccomp_notif_resp *resp)
{
	while (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0) {
		if (errno == EINTR)
			continue;
		/* ENOENT: the target was killed or its call interrupted. */
		return false;
	}
	return true;
}

static bool reply(uint64_t id, int64_t val, int err, bool cont)
{
	struct seccomp_notif_resp resp = {
		.id = id,
		.val = err ? -1 : val,
		.error = err ? -err : 0,
		.flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0,
	};

	return send_resp(&resp);
}

static bool reply_continue(uint64_t id)
{
	return reply(id, 0, 0, true);
}

/*
 * Install a new memfd named name in the target and make it the call's result.
 * Returns the target's fd number, or -errno.
 */
static int reply_new_fd(uint64_t id, const char *name, bool cloexec)
{
	struct seccomp_notif_addfd add = {
		.id = id,
		.flags = SECCOMP_ADDFD_FLAG_SEND,
		.newfd_flags = cloexec ? O_CLOEXEC : 0,
	};
	int memfd = (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC);
	int r;

	if (memfd < 0)
		return -ENOMEM;
	add.srcfd = (uint32_t)memfd;
	do
		r = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		r = -errno;
	close(memfd);
	return r;
}

/* ------------------------------------------------------------ the model */

static const struct host_dev *host_device(unsigned seg, unsigned bus, unsigned devfn)
{
	static struct host_dev any;

	if (opt.ndevs == 0) {
		if (seg > 0xffff || bus > 0xff || devfn > 0xff)
			return NULL;
		any = (struct host_dev){ .seg = seg, .bus = bus, .devfn = devfn,
					 .msix = PCI_MSIX_TABLE_MAX };
		return &any;
	}
	for (int i = 0; i < opt.ndevs; i++)
		if (opt.devs[i].seg == seg && opt.devs[i].bus == bus && opt.devs[i].devfn == devfn)
			return &opt.devs[i];
	return NULL;
}

static long check_extension(unsigned long cap)
{
	if (opt.mode == MODE_REMOVED)
		return 0;
	switch (cap) {
	case KVM_CAP_IOMMU:
		return opt.no_iommu ? 0 : 1;
	case KVM_CAP_ASSIGN_DEV_IRQ:
	case KVM_CAP_PCI_SEGMENT:
	case KVM_CAP_PCI_2_3:
		return 1;
	default:
		return 0;
	}
}

/* The kernel's kvm->mm == current->mm, see the usage text. */
static bool same_mm(const struct vm *vm, pid_t tid, pid_t tgid, uint64_t ip)
{
	char byte;

	if (!opt.creator_rule)
		return true;
	/* After exec or exit the old mm is gone and this read returns 0. */
	if (pread(vm->creator_mem, &byte, 1, (off_t)ip) != 1)
		return false;
	if (tgid == vm->creator_tgid)
		return true;
	/* A CLONE_VM sibling with its own tgid shares the mm too. */
	return syscall(SYS_kcmp, tid, vm->creator_tgid, KCMP_VM, 0, 0) == 0;
}

static struct adev *find_adev(struct vm *vm, uint32_t id)
{
	for (int i = 0; i < vm->ndev; i++)
		if (vm->dev[i].id == id)
			return &vm->dev[i];
	return NULL;
}

/* Held by an assigned device of a VM that still exists? */
static bool host_dev_assigned(unsigned seg, unsigned bus, unsigned devfn)
{
	for (int i = 0; i < nvms; i++) {
		struct vm *vm = vms[i];
		bool held = false;

		if (!vm->alive)
			continue;
		for (int j = 0; j < vm->ndev; j++)
			if (vm->dev[j].seg == seg && vm->dev[j].bus == bus && vm->dev[j].devfn == devfn)
				held = true;
		if (!held)
			continue;
		if (vm_referenced(vm->num))
			return true;
		vm->alive = false;	/* last fd closed: the kernel destroyed it */
		vm->ndev = 0;
		free(vm->dev);
		vm->dev = NULL;
	}
	return false;
}

static int assign_pci_device(struct vm *vm, const struct kvm_assigned_pci_dev *a)
{
	const struct host_dev *h;
	struct adev *d;

	if (!(a->flags & KVM_DEV_ASSIGN_ENABLE_IOMMU))
		return EINVAL;
	if (find_adev(vm, a->assigned_dev_id))
		return EEXIST;
	h = host_device(a->segnr, a->busnr, a->devfn);
	if (!h)
		return EINVAL;
	if (h->bridge)
		return EPERM;
	if (h->no_bars)
		return EPERM;
	if (h->busy || host_dev_assigned(a->segnr, a->busnr, a->devfn))
		return EBUSY;
	if (opt.no_iommu)
		return ENODEV;
	if (opt.no_intremap && !opt.allow_unsafe)
		return EPERM;
	vm->dev = xrealloc(vm->dev, (size_t)(vm->ndev + 1) * sizeof(*vm->dev));
	d = &vm->dev[vm->ndev++];
	memset(d, 0, sizeof(*d));
	d->msix_size = h->msix;
	d->shared_intx = h->shared_intx;
	d->id = a->assigned_dev_id;
	d->seg = a->segnr;
	d->bus = a->busnr;
	d->devfn = a->devfn;
	d->flags = a->flags;
	if (h->no_intx_mask)
		d->flags &= ~KVM_DEV_ASSIGN_PCI_2_3;
	return 0;
}

static int deassign_pci_device(struct vm *vm, uint32_t id)
{
	struct adev *d = find_adev(vm, id);

	if (!d)
		return EINVAL;
	memmove(d, d + 1, (size_t)(&vm->dev[vm->ndev] - (d + 1)) * sizeof(*d));
	vm->ndev--;
	return 0;
}

/*
 * assigned_device_enable_host_msix: pci_enable_msix_exact with the stored
 * table. A count above the device's table is ENOSPC (checked first); an entry
 * beyond the table or named twice is EINVAL. Unset slots name entry 0.
 * Before 3.14 (--kernel=3.10) it called pci_enable_msix, which answers such
 * a count with the table's size, and KVM returned that number: *ret.
 * 4.9's __pci_enable_msix compares the count with the table before it looks
 * at the entries: a count stored without tables (above 256) is ENOSPC there,
 * EINVAL on 4.1 and 3.10 (measured, scenario 25).
 */
static int enable_host_msix(const struct adev *d, long *ret)
{
	if (opt.msix_count_first && d->msix_nr > 0 && d->msix_size > 0 && d->msix_nr > d->msix_size)
		return ENOSPC;
	if (d->msix_nr == 0 || !d->msix_table)
		return EINVAL;	/* no count, or a count stored without tables */
	if (d->msix_size == 0)
		return EINVAL;	/* no MSI-X capability: pci_msix_vec_count */
	if (d->msix_nr > d->msix_size && opt.msix_nonexact) {
		*ret = d->msix_size;
		return 0;
	}
	if (d->msix_nr > d->msix_size)
		return ENOSPC;
	for (uint32_t i = 0; i < d->msix_nr; i++) {
		if (d->msix[i].entry >= d->msix_size)
			return EINVAL;
		for (uint32_t j = i + 1; j < d->msix_nr; j++)
			if (d->msix[i].entry == d->msix[j].entry)
				return EINVAL;
	}
	return 0;
}

static int assign_dev_irq(struct vm *vm, const struct kvm_assigned_irq *irq, long *ret)
{
	uint32_t host = irq->flags & KVM_DEV_IRQ_HOST_MASK;
	uint32_t guest = irq->flags & KVM_DEV_IRQ_GUEST_MASK;
	struct adev *d;

	if (!vm->irqchip)
		return EINVAL;
	d = find_adev(vm, irq->assigned_dev_id);
	if (!d)
		return ENODEV;
	if (__builtin_popcount(host) > 1 || __builtin_popcount(guest) > 1 || (!host && !guest))
		return EINVAL;
	if (host) {
		if (d->irq_type & KVM_DEV_IRQ_HOST_MASK)
			return EEXIST;
		switch (host) {
		case KVM_DEV_IRQ_HOST_INTX:
			/* Without PCI 2.3 masking the line is requested exclusively:
			 * that fails (EIO) only when another device shares it. */
			if (!(d->flags & KVM_DEV_ASSIGN_PCI_2_3) && d->shared_intx)
				return EIO;
			break;
		case KVM_DEV_IRQ_HOST_MSI:
			break;
		case KVM_DEV_IRQ_HOST_MSIX: {
			int err = enable_host_msix(d, ret);

			if (err || *ret)
				return err;	/* a positive *ret: nothing enabled */
			break;
		}
		default:
			return EINVAL;
		}
		d->irq_type |= host;
	}
	if (guest) {
		/* The host half above is not rolled back: as the kernel. */
		if (d->irq_type & KVM_DEV_IRQ_GUEST_MASK)
			return EEXIST;
		if (guest != KVM_DEV_IRQ_GUEST_INTX && guest != KVM_DEV_IRQ_GUEST_MSI &&
		    guest != KVM_DEV_IRQ_GUEST_MSIX)
			return EINVAL;
		d->irq_type |= guest;
		d->guest_irq = irq->guest_irq;
	}
	return 0;
}

static int deassign_dev_irq(struct vm *vm, const struct kvm_assigned_irq *irq)
{
	struct adev *d = find_adev(vm, irq->assigned_dev_id);

	if (!d)
		return ENODEV;
	if (!vm->irqchip)
		return EINVAL;
	/* The kernel only refuses when nothing at all is assigned. */
	if (!d->irq_type)
		return ENXIO;
	if (irq->flags & KVM_DEV_IRQ_HOST_MASK) {
		/* deassign_host_irq: removing host MSI-X frees the MSI-X tables
		 * and the count, so SET_MSIX_NR may be given again. */
		if (d->irq_type & KVM_DEV_IRQ_HOST_MSIX) {
			d->msix_nr = 0;
			d->msix_table = false;
			memset(d->msix, 0, sizeof(d->msix));
		}
		d->irq_type &= ~KVM_DEV_IRQ_HOST_MASK;
	}
	if (irq->flags & KVM_DEV_IRQ_GUEST_MASK) {
		d->irq_type &= ~KVM_DEV_IRQ_GUEST_MASK;
		d->guest_irq = 0;
	}
	return 0;
}

static int set_msix_nr(struct vm *vm, const struct kvm_assigned_msix_nr *m)
{
	struct adev *d = find_adev(vm, m->assigned_dev_id);

	if (!d)
		return EINVAL;
	if (d->msix_nr != 0)
		return EINVAL;
	/* Stored before the range check, as kvm_vm_ioctl_set_msix_nr does. */
	d->msix_nr = m->entry_nr;
	if (d->msix_nr == 0 || d->msix_nr > KVM_MAX_MSIX_PER_DEV)
		return EINVAL;
	d->msix_table = true;
	memset(d->msix, 0, sizeof(d->msix));
	return 0;
}

static int set_msix_entry(struct vm *vm, const struct kvm_assigned_msix_entry *e,
			  const char **why)
{
	struct adev *d = find_adev(vm, e->assigned_dev_id);

	if (!d)
		return EINVAL;
	if (d->msix_nr && !d->msix_table) {
		/* entries_nr out of range was stored without tables: a NULL
		 * dereference in the real kernel. */
		*why = "kernel-would-oops";
		return EFAULT;
	}
	/* kvm_vm_ioctl_set_msix_entry: first slot unused (gsi 0) or same entry. */
	for (uint32_t i = 0; i < d->msix_nr; i++) {
		if (d->msix[i].gsi == 0 || d->msix[i].entry == e->entry) {
			d->msix[i].entry = e->entry;
			d->msix[i].gsi = e->gsi;
			return 0;
		}
	}
	return ENOSPC;
}

static int set_intx_mask(struct vm *vm, const struct kvm_assigned_pci_dev *a)
{
	struct adev *d = find_adev(vm, a->assigned_dev_id);

	if (!d)
		return ENODEV;
	d->flags = (d->flags & ~KVM_DEV_ASSIGN_MASK_INTX) | (a->flags & KVM_DEV_ASSIGN_MASK_INTX);
	return 0;
}

static int legacy_vm_ioctl(struct vm *vm, unsigned long cmd, const void *arg, const char **why,
			   long *ret)
{
	switch (cmd) {
	case KVM_ASSIGN_PCI_DEVICE:
		return assign_pci_device(vm, arg);
	case KVM_DEASSIGN_PCI_DEVICE:
		return deassign_pci_device(vm, ((const struct kvm_assigned_pci_dev *)arg)->assigned_dev_id);
	case KVM_ASSIGN_DEV_IRQ:
		return assign_dev_irq(vm, arg, ret);
	case KVM_DEASSIGN_DEV_IRQ:
		return deassign_dev_irq(vm, arg);
	case KVM_ASSIGN_SET_MSIX_NR:
		return set_msix_nr(vm, arg);
	case KVM_ASSIGN_SET_MSIX_ENTRY:
		return set_msix_entry(vm, arg, why);
	case KVM_ASSIGN_SET_INTX_MASK:
		return set_intx_mask(vm, arg);
	default:
		return ENOTTY;
	}
}

static struct vm *new_vm(pid_t tid, pid_t tgid)
{
	char path[64];
	struct vm *vm = xcalloc(1, sizeof(*vm));

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)tid);
	vm->creator_mem = open(path, O_RDONLY | O_CLOEXEC);
	if (vm->creator_mem < 0) {
		free(vm);
		return NULL;
	}
	vm->num = nvms + 1;
	vm->alive = true;
	vm->creator_tid = tid;
	vm->creator_tgid = tgid;
	vms = xrealloc(vms, (size_t)(nvms + 1) * sizeof(*vms));
	vms[nvms++] = vm;
	return vm;
}

/* A copy of a VM's state, to undo a call whose reply never arrived. */
static struct vm *vm_save(const struct vm *vm)
{
	struct vm *c = xcalloc(1, sizeof(*c));

	*c = *vm;
	c->dev = NULL;
	if (vm->ndev) {
		c->dev = xcalloc((size_t)vm->ndev, sizeof(*c->dev));
		memcpy(c->dev, vm->dev, (size_t)vm->ndev * sizeof(*c->dev));
	}
	return c;
}

static void vm_restore(struct vm *vm, struct vm *saved)
{
	free(vm->dev);
	*vm = *saved;
	saved->dev = NULL;
}

static void vm_save_free(struct vm *saved)
{
	if (saved)
		free(saved->dev);
	free(saved);
}

static void drop_last_vm(void)
{
	struct vm *vm = vms[--nvms];

	close(vm->creator_mem);
	free(vm);
}

/* ------------------------------------------------------------- handlers */

static int fault_for(unsigned long seq, unsigned long cmd, bool by_seq)
{
	for (int i = 0; i < opt.nfaults; i++) {
		if (by_seq && opt.faults[i].seq == seq)
			return opt.faults[i].err;
		if (!by_seq && opt.faults[i].seq == 0 && opt.faults[i].cmd == cmd)
			return opt.faults[i].err;
	}
	return 0;
}

static void hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

static void handle_ioctl(const struct seccomp_notif *req)
{
	pid_t tid = (pid_t)req->pid;
	int fd = (int)req->data.args[0];
	unsigned long cmd = (uint32_t)req->data.args[1];
	uint64_t arg = req->data.args[2];
	const char *name = ioctl_name(cmd);
	size_t len = _IOC_SIZE(cmd);
	unsigned char buf[64];
	char procdir[32], oname[32], argtext[160], extra[64] = "";
	const char *why = NULL;
	bool have_arg = false, is_int = _IOC_DIR(cmd) == _IOC_NONE;
	struct task_info ti;
	struct obj o;
	struct vm *saved = NULL;
	int err = 0, newfd_kind = OBJ_NONE;
	long ret = 0;
	unsigned long seq;

	snprintf(procdir, sizeof(procdir), "/proc/%d", (int)tid);
	if (!obj_of_fd(procdir, fd, &o)) {
		reply_continue(req->id);
		return;
	}
	task_info(tid, &ti);
	if (!notif_valid(req->id))
		return;
	seq = ++ioctl_seq;
	obj_name(&o, oname, sizeof(oname));

	if (name && !is_int && len <= sizeof(buf))
		have_arg = read_target(tid, arg, buf, len);
	if (!name)
		snprintf(argtext, sizeof(argtext), "len=%zu arg=0x%llx", len, (unsigned long long)arg);
	else if (is_int)
		snprintf(argtext, sizeof(argtext), "len=0 arg=%llu", (unsigned long long)arg);
	else if (have_arg) {
		char h[2 * sizeof(buf) + 1];

		hex(buf, len, h);
		snprintf(argtext, sizeof(argtext), "len=%zu bytes=%s", len, h);
	} else
		snprintf(argtext, sizeof(argtext), "len=%zu bytes=unreadable", len);

	err = fault_for(seq, cmd, true);
	if (err) {
		why = "injected";
		goto answer;
	}
	if (o.kind != OBJ_SYS && !same_mm(o.vm, tid, ti.tgid, req->data.instruction_pointer)) {
		err = EIO;
		why = "not-creator";
		goto answer;
	}
	err = fault_for(seq, cmd, false);
	if (err) {
		why = "injected";
		goto answer;
	}

	if (o.kind == OBJ_SYS) {
		switch (cmd) {
		case KVM_GET_API_VERSION:
			ret = KVM_API_VERSION;
			break;
		case KVM_CHECK_EXTENSION:
			ret = check_extension(arg);
			break;
		case KVM_CREATE_VM:
			if (arg != 0)
				err = EINVAL;
			else
				newfd_kind = OBJ_VM;
			break;
		default:
			err = EINVAL;	/* kvm_arch_dev_ioctl's default */
		}
	} else if (o.kind == OBJ_VCPU) {
		err = EINVAL;	/* kvm_arch_vcpu_ioctl's default; nothing modelled */
	} else {
		struct vm *vm = o.vm;

		saved = vm_save(vm);
		switch (cmd) {
		case KVM_CHECK_EXTENSION:
			if (opt.no_vm_check_extension)
				err = ENOTTY;	/* kvm_arch_vm_ioctl's default */
			else
				ret = check_extension(arg);
			break;
		case KVM_CREATE_IRQCHIP:
			if (vm->irqchip)
				err = EEXIST;
			else if (vm->nvcpus)
				err = EINVAL;
			else
				vm->irqchip = true;
			break;
		case KVM_CREATE_VCPU:
			if (arg >= MAX_VCPU_ID)
				err = EINVAL;
			else if (vm->vcpu_used[arg])
				err = EEXIST;
			else
				newfd_kind = OBJ_VCPU;
			break;
		default:
			if (!is_legacy_ioctl(cmd) || !name || opt.mode == MODE_REMOVED)
				err = ENOTTY;
			else if (!have_arg)
				err = EFAULT;
			else
				err = legacy_vm_ioctl(vm, cmd, buf, &why, &ret);
		}
	}

answer:
	if (!err && newfd_kind != OBJ_NONE) {
		char mname[64];
		struct vm *vm = NULL;
		int r;

		if (newfd_kind == OBJ_VM) {
			vm = new_vm(tid, ti.tgid);
			if (!vm) {
				err = ENOMEM;
				goto answer;
			}
			snprintf(mname, sizeof(mname), "%s:vm:%d", sim_tag, vm->num);
		} else {
			snprintf(mname, sizeof(mname), "%s:vcpu:%d:%d", sim_tag, o.num, (int)arg);
		}
		r = reply_new_fd(req->id, mname, true);
		if (r >= 0) {
			ret = r;
			if (vm)
				snprintf(extra, sizeof(extra), " new=vm%d", vm->num);
			else {
				o.vm->vcpu_used[arg] = 1;
				o.vm->nvcpus++;
				snprintf(extra, sizeof(extra), " new=vcpu%d.%d", o.num, (int)arg);
			}
		} else {
			if (vm)
				drop_last_vm();
			if (r == -ENOENT) {
				log_line("op=ioctl seq=%lu pid=%d tid=%d comm=%s fd=%d obj=%s ioctl=%s nr=0x%08lx %s ret=lost",
					 seq, (int)ti.tgid, (int)tid, ti.comm, fd, oname, name ? name : "unknown", cmd, argtext);
				vm_save_free(saved);
				return;
			}
			err = -r;
			newfd_kind = OBJ_NONE;
			goto answer;
		}
	} else if (!reply(req->id, ret, err, false)) {
		/* Interrupted before the reply: the call restarts, undo it. */
		if (saved)
			vm_restore(o.vm, saved);
		log_line("op=ioctl seq=%lu pid=%d tid=%d comm=%s fd=%d obj=%s ioctl=%s nr=0x%08lx %s ret=lost",
			 seq, (int)ti.tgid, (int)tid, ti.comm, fd, oname, name ? name : "unknown", cmd, argtext);
		vm_save_free(saved);
		return;
	}
	vm_save_free(saved);
	if (err)
		log_line("op=ioctl seq=%lu pid=%d tid=%d comm=%s fd=%d obj=%s ioctl=%s nr=0x%08lx %s ret=-1 errno=%s%s%s",
			 seq, (int)ti.tgid, (int)tid, ti.comm, fd, oname, name ? name : "unknown", cmd,
			 argtext, errname(err), why ? " why=" : "", why ? why : "");
	else
		log_line("op=ioctl seq=%lu pid=%d tid=%d comm=%s fd=%d obj=%s ioctl=%s nr=0x%08lx %s ret=%ld%s",
			 seq, (int)ti.tgid, (int)tid, ti.comm, fd, oname, name ? name : "unknown", cmd,
			 argtext, ret, extra);
	if (o.kind != OBJ_SYS || newfd_kind == OBJ_VM)
		dump_state();
}

static void handle_open(const struct seccomp_notif *req)
{
	pid_t tid = (pid_t)req->pid;
	int nr = req->data.nr, dirfd = AT_FDCWD;
	uint64_t path_addr = req->data.args[0], flags = req->data.args[1];
	char path[PATH_MAX], full[PATH_MAX];
	struct task_info ti;
	size_t plen;
	int r;

	if (nr != __NR_open) {
		dirfd = (int)req->data.args[0];
		path_addr = req->data.args[1];
		flags = req->data.args[2];
	}
	if (!read_target_string(tid, path_addr, path, sizeof(path))) {
		reply_continue(req->id);
		return;
	}
	plen = strlen(path);
	/* Cheap test first: most opens are nothing to do with KVM. */
	if (plen < 3 || strcmp(path + plen - 3, "kvm") != 0) {
		reply_continue(req->id);
		return;
	}
	if (nr == __NR_openat2) {
		uint64_t how_flags;

		if (!read_target(tid, req->data.args[2], &how_flags, sizeof(how_flags))) {
			reply_continue(req->id);
			return;
		}
		flags = how_flags;
	}
	if (!resolve_at(tid, dirfd, path, full, sizeof(full)) || strcmp(full, "/dev/kvm") != 0) {
		reply_continue(req->id);
		return;
	}
	task_info(tid, &ti);
	if (!notif_valid(req->id))
		return;
	if (opt.dev_kvm_errno) {
		if (reply(req->id, -1, opt.dev_kvm_errno, false))
			log_line("op=open pid=%d tid=%d comm=%s path=%s flags=0x%llx ret=-1 errno=%s",
				 (int)ti.tgid, (int)tid, ti.comm, path, (unsigned long long)flags,
				 errname(opt.dev_kvm_errno));
		return;
	}
	{
		char mname[64];

		snprintf(mname, sizeof(mname), "%s:sys:%d", sim_tag, nsys + 1);
		r = reply_new_fd(req->id, mname, flags & O_CLOEXEC);
	}
	if (r == -ENOENT)
		return;
	if (r < 0) {
		reply(req->id, -1, -r, false);
		log_line("op=open pid=%d tid=%d comm=%s path=%s flags=0x%llx ret=-1 errno=%s",
			 (int)ti.tgid, (int)tid, ti.comm, path, (unsigned long long)flags, errname(-r));
		return;
	}
	nsys++;
	log_line("op=open pid=%d tid=%d comm=%s path=%s flags=0x%llx ret=%d obj=sys%d",
		 (int)ti.tgid, (int)tid, ti.comm, path, (unsigned long long)flags, r, nsys);
}

/* May the caller read the fd links of process pid (ptrace_may_access, roughly)? */
static bool may_read_fds(const struct task_info *caller, pid_t pid)
{
	struct task_info t;

	if (caller->fsuid == 0 || caller->tgid == pid)
		return true;
	if (!task_info(pid, &t))
		return false;
	return t.uid[0] == caller->fsuid && t.uid[1] == caller->fsuid && t.uid[2] == caller->fsuid;
}

static void handle_readlink(const struct seccomp_notif *req)
{
	pid_t tid = (pid_t)req->pid;
	int dirfd = AT_FDCWD, n = 0, fd;
	uint64_t path_addr = req->data.args[0], buf = req->data.args[1];
	long long bufsiz = (int)req->data.args[2];
	char path[PATH_MAX], full[PATH_MAX], procdir[64], text[64], who[32];
	struct task_info ti;
	struct obj o;
	pid_t target = -1;
	size_t len;

	if (req->data.nr == __NR_readlinkat) {
		dirfd = (int)req->data.args[0];
		path_addr = req->data.args[1];
		buf = req->data.args[2];
		bufsiz = (int)req->data.args[3];
	}
	if (!read_target_string(tid, path_addr, path, sizeof(path)) ||
	    (path[0] == '/' && strncmp(path, "/proc/", 6) != 0) ||
	    !resolve_at(tid, dirfd, path, full, sizeof(full))) {
		reply_continue(req->id);
		return;
	}
	task_info(tid, &ti);
	if (sscanf(full, "/proc/%31[^/]/fd/%d%n", who, &fd, &n) == 2 && full[n] == '\0') {
		if (strcmp(who, "self") == 0)
			target = ti.tgid;
		else if (strcmp(who, "thread-self") == 0)
			target = tid;
		else if (isdigit((unsigned char)who[0]))
			target = atoi(who);
		snprintf(procdir, sizeof(procdir), "/proc/%d", (int)target);
	} else {
		int t2;

		n = 0;
		if (sscanf(full, "/proc/%31[^/]/task/%d/fd/%d%n", who, &t2, &fd, &n) == 3 &&
		    full[n] == '\0') {
			target = strcmp(who, "self") == 0 ? ti.tgid : atoi(who);
			snprintf(procdir, sizeof(procdir), "/proc/%d/task/%d", (int)target, t2);
		}
	}
	if (target <= 0 || !obj_of_fd(procdir, fd, &o) || !may_read_fds(&ti, target)) {
		reply_continue(req->id);
		return;
	}
	if (!notif_valid(req->id))
		return;
	if (bufsiz <= 0) {
		reply(req->id, -1, EINVAL, false);
		return;
	}
	obj_link_text(&o, text, sizeof(text));
	len = strlen(text);
	if (len > (size_t)bufsiz)
		len = (size_t)bufsiz;
	if (!write_target(tid, buf, text, len)) {
		reply(req->id, -1, EFAULT, false);
		return;
	}
	if (reply(req->id, (int64_t)len, 0, false))
		log_line("op=readlink pid=%d tid=%d comm=%s path=%s link=%s ret=%zu",
			 (int)ti.tgid, (int)tid, ti.comm, path, text, len);
}

static void handle_one(void)
{
	struct seccomp_notif *req = xcalloc(1, sizes.seccomp_notif);

	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
		/* EINTR, or ENOENT when the target died before we read it. */
		free(req);
		return;
	}
	switch (req->data.nr) {
	case __NR_ioctl:
		handle_ioctl(req);
		break;
	case __NR_open:
	case __NR_openat:
	case __NR_openat2:
		handle_open(req);
		break;
	case __NR_readlink:
	case __NR_readlinkat:
		handle_readlink(req);
		break;
	default:
		reply_continue(req->id);
	}
	free(req);
}

/* -------------------------------------------------- filter and supervisor */

/* Trap KVMIO ioctls, opens and readlinks; everything else runs untouched. */
static int install_filter(void)
{
	struct sock_filter f[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		/* 2 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* 3 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 4),
		/* 5 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
		/* 6 */ BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 8),
		/* 7 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xff),
		/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, KVMIO, 6, 5),
		/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 5, 0),
		/* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_open, 4, 0),
		/* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat2, 3, 0),
		/* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_readlinkat, 2, 0),
		/* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_readlink, 1, 0),
		/* 14 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* 15 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	int fd;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	/* Killable wait once received: an ordinary signal cannot undo a reply. */
	fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			  SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);
	if (fd < 0 && errno == EINVAL)
		fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				  SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	return fd;
}

static int send_fd(int sock, int fd)
{
	char byte = 'L';
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	memset(&u, 0, sizeof(u));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c;
	int fd = -1;
	ssize_t n;

	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* The child: install the filter, hand its listener over, become COMMAND. */
static void __attribute__((noreturn)) run_child(int sock, char **argv, const sigset_t *origmask)
{
	int fd;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	sigprocmask(SIG_SETMASK, origmask, NULL);
	fd = install_filter();
	if (fd < 0) {
		fprintf(stderr, "kvm-sim: cannot install the seccomp filter: %s\n", strerror(errno));
		_exit(EXIT_SIM_FAILURE);
	}
	/* Nothing trapped may run before the supervisor holds the listener. */
	if (send_fd(sock, fd) < 0)
		_exit(EXIT_SIM_FAILURE);
	close(fd);
	close(sock);
	execvp(argv[0], argv);
	fprintf(stderr, "kvm-sim: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

static volatile sig_atomic_t pending_signal;

static void on_signal(int sig)
{
	if (sig != SIGCHLD)
		pending_signal = sig;
}

static int supervise(pid_t child, const sigset_t *origmask)
{
	int status = 0;
	bool child_done = false, killed = false;
	int64_t term_at = 0;

	for (;;) {
		struct pollfd p = { .fd = listener, .events = POLLIN };
		struct timespec ts = { 0, 100 * 1000000 };
		pid_t w;
		int st;

		/* Reap everything: we are the subreaper of the command's tree. */
		while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
			if (w == child) {
				status = st;
				child_done = true;
				term_at = now_ms();
				kill(-child, SIGTERM);
			}
		}
		if (pending_signal) {
			kill(-child, pending_signal);
			pending_signal = 0;
		}
		if (child_done) {
			int64_t t = now_ms() - term_at;

			if (!killed && t >= TERM_TO_KILL_MS) {
				kill(-child, SIGKILL);
				killed = true;
			}
			if (t >= LINGER_MS)
				break;
		}
		if (ppoll(&p, 1, &ts, origmask) < 0)
			continue;
		if (p.revents & POLLIN)
			handle_one();
		else if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) {
			/* No process uses the filter any more. */
			if (child_done)
				break;
			if (waitpid(child, &status, 0) == child)
				child_done = true;
			break;
		}
	}
	dump_state();
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* ----------------------------------------------------------- options */

static void usage(FILE *out)
{
	fputs(
"Usage: kvm-sim [options] -- <command> [<arg>...]\n"
"\n"
"Run <command> (and everything it starts) against a simulated KVM: opens of\n"
"/dev/kvm, KVMIO ioctls and readlinks of /proc/PID/fd/N are answered here.\n"
"\n"
"Options:\n"
"  --mode=legacy|removed       legacy: a 3.x-4.11 kernel with device assignment\n"
"                              (default); removed: 4.12+ (ENOTTY)\n"
"  --no-vm-check-extension     a VM fd answers KVM_CHECK_EXTENSION with ENOTTY (after\n"
"                              the creator rule), as before Linux 3.17 (3.10.105)\n"
"  --no-iommu                  no IOMMU: KVM_CAP_IOMMU 0, assignment ENODEV\n"
"  --no-intremap               no interrupt remapping: assignment EPERM\n"
"  --kernel=3.10|4.1|4.9       the kernel line's differences (docs/kernel.md):\n"
"                              3.10: host MSI-X with a count above the table\n"
"                              returns the table's size (4.1, 4.9: ENOSPC);\n"
"                              4.9: host MSI-X after a count above 256 is ENOSPC\n"
"                              (3.10, 4.1: EINVAL); 4.1 is the default\n"
"  --allow-unsafe-interrupts   as the kvm parameter allow_unsafe_assigned_interrupts\n"
"  --no-dev-kvm                open(/dev/kvm) fails with ENOENT\n"
"  --dev-kvm-errno=<errno>     open(/dev/kvm) fails with <errno>\n"
"  --device=<D:B:S.F>[,bridge][,busy][,no-bars][,no-intx-mask][,shared-intx][,msix=N]\n"
"                              a host PCI device (repeatable; without any, every\n"
"                              address is a present ordinary endpoint). busy: a\n"
"                              host driver holds it (EBUSY); shared-intx: its INTx\n"
"                              line is shared, so host INTx without PCI_2_3 is EIO;\n"
"                              msix=N: its MSI-X table has N entries (0: no MSI-X;\n"
"                              default 2048)\n"
"  --creator-rule=on|off       off: any process may use a VM fd. NOT how any real\n"
"                              kernel behaves; only to exercise state changes\n"
"  --fail=<n>:<errno>          the n-th ioctl on a simulated fd (the log's seq) fails\n"
"  --fail=<KVM_NAME>:<errno>   every call of that ioctl fails (after the creator rule)\n"
"  --log=<file>                append one line per simulated call\n"
"  --state=<file>              rewrite the VMs' state into <file> on every change\n"
"  -h, --help                  show this help\n"
"\n"
"Exit status: the command's (128+N if killed by signal N); 2 for a usage error,\n"
"125 if the simulator itself failed, 126/127 if the command cannot be run.\n", out);
}

static void __attribute__((noreturn, format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("kvm-sim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'kvm-sim --help' for more information.\n", stderr);
	exit(EXIT_SIM_USAGE);
}

static void parse_device(const char *spec)
{
	struct host_dev d = { .msix = PCI_MSIX_TABLE_MAX };
	unsigned slot, func;
	char *copy = strdup(spec), *save = NULL, *tok;
	int n = 0;

	if (!copy)
		exit(EXIT_SIM_FAILURE);
	tok = strtok_r(copy, ",", &save);
	if (!tok || sscanf(tok, "%x:%x:%x.%x%n", &d.seg, &d.bus, &slot, &func, &n) != 4 ||
	    tok[n] || d.seg > 0xffff || d.bus > 0xff || slot > 0x1f || func > 7)
		usage_error("bad --device address: %s", spec);
	d.devfn = slot << 3 | func;
	while ((tok = strtok_r(NULL, ",", &save))) {
		if (!strcmp(tok, "bridge"))
			d.bridge = true;
		else if (!strcmp(tok, "busy"))
			d.busy = true;
		else if (!strcmp(tok, "no-bars"))
			d.no_bars = true;
		else if (!strcmp(tok, "no-intx-mask"))
			d.no_intx_mask = true;
		else if (!strcmp(tok, "shared-intx"))
			d.shared_intx = true;
		else if (!strncmp(tok, "msix=", 5)) {
			char *end;
			unsigned long v = strtoul(tok + 5, &end, 10);

			if (!tok[5] || *end || v > PCI_MSIX_TABLE_MAX)
				usage_error("bad msix= (a table size up to %d): %s", PCI_MSIX_TABLE_MAX, spec);
			d.msix = (unsigned)v;
		} else
			usage_error("unknown --device property: %s", tok);
	}
	free(copy);
	opt.devs = xrealloc(opt.devs, (size_t)(opt.ndevs + 1) * sizeof(*opt.devs));
	opt.devs[opt.ndevs++] = d;
}

static void parse_fault(const char *spec)
{
	struct fault f = { 0 };
	const char *colon = strrchr(spec, ':');
	char what[64];
	char *end;

	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(what))
		usage_error("bad --fail (want <n>:<errno> or <KVM_NAME>:<errno>): %s", spec);
	memcpy(what, spec, (size_t)(colon - spec));
	what[colon - spec] = '\0';
	f.err = parse_errno(colon + 1);
	if (f.err < 0)
		usage_error("unknown errno in --fail: %s", spec);
	if (isdigit((unsigned char)what[0])) {
		f.seq = strtoul(what, &end, 10);
		if (*end || f.seq == 0)
			usage_error("bad call number in --fail: %s", spec);
	} else {
		size_t i;

		for (i = 0; i < sizeof(ioctl_names) / sizeof(ioctl_names[0]); i++)
			if (!strcmp(ioctl_names[i].name, what))
				break;
		if (i == sizeof(ioctl_names) / sizeof(ioctl_names[0]))
			usage_error("unknown ioctl in --fail: %s", spec);
		f.cmd = ioctl_names[i].cmd;
	}
	opt.faults = xrealloc(opt.faults, (size_t)(opt.nfaults + 1) * sizeof(*opt.faults));
	opt.faults[opt.nfaults++] = f;
}

static void parse_options(int argc, char **argv)
{
	enum { O_MODE = 256, O_NO_IOMMU, O_NO_INTREMAP, O_UNSAFE, O_NO_DEV_KVM, O_DEV_ERRNO,
	       O_DEVICE, O_CREATOR, O_FAIL, O_LOG, O_STATE, O_KERNEL, O_NO_VM_CHECK };
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, O_MODE },
		{ "no-iommu", no_argument, NULL, O_NO_IOMMU },
		{ "no-vm-check-extension", no_argument, NULL, O_NO_VM_CHECK },
		{ "no-intremap", no_argument, NULL, O_NO_INTREMAP },
		{ "allow-unsafe-interrupts", no_argument, NULL, O_UNSAFE },
		{ "no-dev-kvm", no_argument, NULL, O_NO_DEV_KVM },
		{ "dev-kvm-errno", required_argument, NULL, O_DEV_ERRNO },
		{ "device", required_argument, NULL, O_DEVICE },
		{ "creator-rule", required_argument, NULL, O_CREATOR },
		{ "fail", required_argument, NULL, O_FAIL },
		{ "log", required_argument, NULL, O_LOG },
		{ "state", required_argument, NULL, O_STATE },
		{ "kernel", required_argument, NULL, O_KERNEL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case O_MODE:
			if (!strcmp(optarg, "legacy"))
				opt.mode = MODE_LEGACY;
			else if (!strcmp(optarg, "removed"))
				opt.mode = MODE_REMOVED;
			else
				usage_error("unknown --mode: %s", optarg);
			break;
		case O_NO_IOMMU:
			opt.no_iommu = true;
			break;
		case O_NO_VM_CHECK:
			opt.no_vm_check_extension = true;
			break;
		case O_NO_INTREMAP:
			opt.no_intremap = true;
			break;
		case O_UNSAFE:
			opt.allow_unsafe = true;
			break;
		case O_NO_DEV_KVM:
			opt.dev_kvm_errno = ENOENT;
			break;
		case O_DEV_ERRNO:
			opt.dev_kvm_errno = parse_errno(optarg);
			if (opt.dev_kvm_errno < 0)
				usage_error("unknown errno: %s", optarg);
			break;
		case O_DEVICE:
			parse_device(optarg);
			break;
		case O_CREATOR:
			if (!strcmp(optarg, "on"))
				opt.creator_rule = true;
			else if (!strcmp(optarg, "off"))
				opt.creator_rule = false;
			else
				usage_error("--creator-rule wants on or off, not %s", optarg);
			break;
		case O_FAIL:
			parse_fault(optarg);
			break;
		case O_LOG:
			opt.log = fopen(optarg, "ae");
			if (!opt.log) {
				fprintf(stderr, "kvm-sim: cannot open %s: %s\n", optarg, strerror(errno));
				exit(EXIT_SIM_FAILURE);
			}
			break;
		case O_STATE:
			opt.state_path = optarg;
			break;
		case O_KERNEL:
			if (!strcmp(optarg, "3.10"))
				opt.msix_nonexact = true;
			else if (!strcmp(optarg, "4.9"))
				opt.msix_count_first = true;
			else if (strcmp(optarg, "4.1"))
				usage_error("--kernel wants 3.10, 4.1 or 4.9, not %s", optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fputs("Try 'kvm-sim --help' for more information.\n", stderr);
			exit(EXIT_SIM_USAGE);
		}
	}
	if (optind >= argc)
		usage_error("%s", "no command given");
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT };
	sigset_t block, origmask;
	int sv[2], rc;
	bool tty_fg = false;
	pid_t child;

	parse_options(argc, argv);
	snprintf(sim_tag, sizeof(sim_tag), "kvm-sim.%d", (int)getpid());
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) {
		warnx("seccomp user notification unavailable: %s", strerror(errno));
		return EXIT_SIM_FAILURE;
	}
	if (sizes.seccomp_notif < sizeof(struct seccomp_notif))
		sizes.seccomp_notif = sizeof(struct seccomp_notif);
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaddset(&block, sigs[i]);
		sigaction(sigs[i], &sa, NULL);
	}
	sigprocmask(SIG_BLOCK, &block, &origmask);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		warnx("socketpair: %s", strerror(errno));
		return EXIT_SIM_FAILURE;
	}
	dump_state();
	if (opt.log)
		fflush(opt.log);
	child = fork();
	if (child < 0) {
		warnx("fork: %s", strerror(errno));
		return EXIT_SIM_FAILURE;
	}
	if (child == 0) {
		close(sv[0]);
		run_child(sv[1], argv + optind, &origmask);
	}
	setpgid(child, child);
	close(sv[1]);
	listener = recv_fd(sv[0]);
	close(sv[0]);
	if (listener < 0) {
		int st;

		waitpid(child, &st, 0);
		if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
			return WEXITSTATUS(st);
		warnx("the child did not pass the seccomp listener");
		return EXIT_SIM_FAILURE;
	}
	/* An interactive command keeps the terminal although in its own group. */
	if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp()) {
		signal(SIGTTOU, SIG_IGN);
		tty_fg = tcsetpgrp(STDIN_FILENO, child) == 0;
	}
	rc = supervise(child, &origmask);
	if (tty_fg)
		tcsetpgrp(STDIN_FILENO, getpgrp());
	close(listener);
	for (int i = 0; i < nvms; i++) {
		close(vms[i]->creator_mem);
		free(vms[i]->dev);
		free(vms[i]);
	}
	free(vms);
	free(opt.devs);
	free(opt.faults);
	if (opt.log)
		fclose(opt.log);
	return rc;
}
