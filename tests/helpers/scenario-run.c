// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * scenario-run.c - runs one scenario file (tests/scenarios/NN-name.scn): raw KVM ioctls on VMs
 * this process creates itself (so it is their creator), one output line per
 * step with the result the kernel really gave, exit 1 on any mismatch.
 *
 * The same program and the same files run under the simulated kernel
 * (tests/70-scenarios.bats) and on the real legacy kernel
 * (tests/legacy-kernel/70-scenarios.bats): both must give what the file says.
 * The format is described in tests/scenarios/README.
 *
 * Usage: scenario-run [--list] FILE.scn
 * SCENARIO_KERNEL (a kernel line, e.g. 3.10) picks a step's "LINE:RESULT"
 * expectation for that line, where the file gives one.
 *   --list   print the steps with their expected results and run nothing
 * Output: one line per step, "<step> => <actual>", the step's words joined
 * by single spaces; a mismatch is also reported on stderr.
 * Exit: 0 all steps as expected, 1 a mismatch, 2 a bad or refused file,
 * 3 /dev/kvm unusable.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "../../src/abi.h"
#include "../../src/errnames.h"

#define MAX_STEPS 512
#define MAX_VMS 16
#define MAX_WORDS 16

enum op {
	OP_CREATE_VM, OP_CREATE_IRQCHIP, OP_CLOSE,
	OP_ASSIGN, OP_DEASSIGN, OP_IRQ, OP_DEIRQ, OP_MSIX_NR, OP_MSIX_ENTRY, OP_INTX_MASK,
};

static const struct {
	const char *name;
	enum op op;
	unsigned long cmd;
} ops[] = {
	{ "KVM_CREATE_VM", OP_CREATE_VM, KVM_CREATE_VM },
	{ "KVM_CREATE_IRQCHIP", OP_CREATE_IRQCHIP, KVM_CREATE_IRQCHIP },
	{ "close", OP_CLOSE, 0 },
	{ "KVM_ASSIGN_PCI_DEVICE", OP_ASSIGN, KVM_ASSIGN_PCI_DEVICE },
	{ "KVM_DEASSIGN_PCI_DEVICE", OP_DEASSIGN, KVM_DEASSIGN_PCI_DEVICE },
	{ "KVM_ASSIGN_DEV_IRQ", OP_IRQ, KVM_ASSIGN_DEV_IRQ },
	{ "KVM_DEASSIGN_DEV_IRQ", OP_DEIRQ, KVM_DEASSIGN_DEV_IRQ },
	{ "KVM_ASSIGN_SET_MSIX_NR", OP_MSIX_NR, KVM_ASSIGN_SET_MSIX_NR },
	{ "KVM_ASSIGN_SET_MSIX_ENTRY", OP_MSIX_ENTRY, KVM_ASSIGN_SET_MSIX_ENTRY },
	{ "KVM_ASSIGN_SET_INTX_MASK", OP_INTX_MASK, KVM_ASSIGN_SET_INTX_MASK },
};

static const struct {
	const char *name;
	uint32_t bit;
} flag_names[] = {
	{ "ENABLE_IOMMU", KVM_DEV_ASSIGN_ENABLE_IOMMU },
	{ "PCI_2_3", KVM_DEV_ASSIGN_PCI_2_3 },
	{ "MASK_INTX", KVM_DEV_ASSIGN_MASK_INTX },
	{ "HOST_INTX", KVM_DEV_IRQ_HOST_INTX },
	{ "HOST_MSI", KVM_DEV_IRQ_HOST_MSI },
	{ "HOST_MSIX", KVM_DEV_IRQ_HOST_MSIX },
	{ "GUEST_INTX", KVM_DEV_IRQ_GUEST_INTX },
	{ "GUEST_MSI", KVM_DEV_IRQ_GUEST_MSI },
	{ "GUEST_MSIX", KVM_DEV_IRQ_GUEST_MSIX },
};

struct step {
	int line;
	enum op op;
	unsigned long cmd;
	int vm;			/* index into vm_names */
	char text[256];		/* the step's words, single-spaced */
	int expect;		/* the return value (>= 0), or -errno */
	bool badptr;		/* pass an unmapped argument pointer */
	uint32_t id, seg, bus, devfn, flags, guest_irq, host_irq, gsi;
	uint32_t entry_nr, entry;
};

static struct step steps[MAX_STEPS];
static int nsteps;
static char vm_names[MAX_VMS][32];
static int nvm_names;
static const char *file;

static void __attribute__((noreturn, format(printf, 2, 3))) bad(int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "scenario-run: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* A result as the files write it: the return value, or the errno's name. */
static const char *errname(int r)
{
	static char buf[16];
	const char *n;

	if (r >= 0) {
		snprintf(buf, sizeof(buf), "%d", r);
		return buf;
	}
	n = errno_symbol(-r);
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "errno%d", -r);
	return buf;
}

static int parse_result(int line, const char *s)
{
	char *end;
	long v;

	if (isdigit((unsigned char)s[0])) {
		v = strtol(s, &end, 10);
		if (!*end && v <= 0xffff)
			return (int)v;
	}
	for (int e = 1; e < 200; e++) {
		const char *n = errno_symbol(e);

		if (n && strcmp(n, s) == 0)
			return -e;
	}
	bad(line, "expected result must be a number or an errno name, not '%s'", s);
}

/*
 * The expectation for the kernel line in SCENARIO_KERNEL: "LINE:RESULT"
 * words after the result override it for that line (tests/scenarios/README).
 */
static int parse_expect(int line, char **words, int n)
{
	const char *kernel = getenv("SCENARIO_KERNEL");
	int expect = parse_result(line, words[0]);

	for (int w = 1; w < n; w++) {
		char *colon = strchr(words[w], ':');
		int r;

		if (!colon || colon == words[w])
			bad(line, "after the result, want LINE:RESULT, not '%s'", words[w]);
		*colon = '\0';
		r = parse_result(line, colon + 1);
		if (kernel && strcmp(kernel, words[w]) == 0)
			expect = r;
		*colon = ':';
	}
	return expect;
}

static uint32_t parse_num(int line, const char *key, const char *v, uint32_t max)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 0);
	if (errno || end == v || *end || n > max)
		bad(line, "%s=%s: want a number up to %u", key, v, max);
	return (uint32_t)n;
}

static uint32_t parse_flags(int line, const char *v)
{
	uint32_t f = 0;
	char copy[128], *save = NULL;

	if (isdigit((unsigned char)v[0]))
		return parse_num(line, "flags", v, UINT32_MAX);
	snprintf(copy, sizeof(copy), "%s", v);
	for (char *t = strtok_r(copy, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
		size_t i;

		for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
			if (strcmp(flag_names[i].name, t) == 0)
				break;
		if (i == sizeof(flag_names) / sizeof(flag_names[0])) {
			if (strcmp(t, "0") == 0)
				continue;
			bad(line, "unknown flag '%s'", t);
		}
		f |= flag_names[i].bit;
	}
	return f;
}

static int vm_index(int line, const char *name, bool create)
{
	for (int i = 0; i < nvm_names; i++)
		if (strcmp(vm_names[i], name) == 0) {
			if (create)
				bad(line, "VM '%s' created twice", name);
			return i;
		}
	if (!create)
		bad(line, "VM '%s' used before KVM_CREATE_VM", name);
	if (nvm_names == MAX_VMS || strlen(name) >= sizeof(vm_names[0]))
		bad(line, "too many VMs or a name too long");
	snprintf(vm_names[nvm_names], sizeof(vm_names[0]), "%s", name);
	return nvm_names++;
}

/* Which fields each ioctl's struct has (others are refused). */
static bool field_allowed(enum op op, const char *k)
{
	switch (op) {
	case OP_ASSIGN:
	case OP_DEASSIGN:
	case OP_INTX_MASK:
		return !strcmp(k, "id") || !strcmp(k, "addr") || !strcmp(k, "seg") ||
		       !strcmp(k, "bus") || !strcmp(k, "devfn") || !strcmp(k, "flags");
	case OP_IRQ:
	case OP_DEIRQ:
		return !strcmp(k, "id") || !strcmp(k, "flags") || !strcmp(k, "guest_irq") ||
		       !strcmp(k, "host_irq");
	case OP_MSIX_NR:
		return !strcmp(k, "id") || !strcmp(k, "entry_nr");
	case OP_MSIX_ENTRY:
		return !strcmp(k, "id") || !strcmp(k, "gsi") || !strcmp(k, "entry");
	default:
		return false;
	}
}

static void parse_line(int line, char *s)
{
	char *words[MAX_WORDS], *save = NULL, *arrow;
	int n = 0, a = 0;
	struct step *st;
	size_t i;

	s[strcspn(s, "#\n")] = '\0';
	arrow = strstr(s, "=>");
	for (char *t = strtok_r(s, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
		if (n == MAX_WORDS)
			bad(line, "too many words");
		words[n++] = t;
	}
	if (n == 0)
		return;
	if (!arrow)
		bad(line, "no '=> RESULT'");
	while (a < n && strcmp(words[a], "=>") != 0)
		a++;
	if (a < 2 || a + 2 > n)
		bad(line, "want: IOCTL VM [field=value...] => RESULT [LINE:RESULT...]");
	if (nsteps == MAX_STEPS)
		bad(line, "too many steps");
	st = &steps[nsteps];
	memset(st, 0, sizeof(*st));
	st->line = line;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].name, words[0]) == 0)
			break;
	if (i == sizeof(ops) / sizeof(ops[0]))
		bad(line, "unknown ioctl '%s'", words[0]);
	st->op = ops[i].op;
	st->cmd = ops[i].cmd;
	st->vm = vm_index(line, words[1], st->op == OP_CREATE_VM);
	st->expect = parse_expect(line, words + a + 1, n - a - 1);
	for (int w = 2; w < a; w++) {
		char *k = words[w], *v = strchr(k, '=');
		unsigned seg, bus, slot, fn;
		int used = 0;

		if (strcmp(k, "badptr") == 0 && st->op >= OP_ASSIGN) {
			st->badptr = true;
			continue;
		}
		if (!v || !field_allowed(st->op, (*v = '\0', k)))
			bad(line, "field '%s' does not belong to %s", words[w], ops[i].name);
		v++;
		if (!strcmp(k, "id"))
			st->id = parse_num(line, k, v, UINT32_MAX);
		else if (!strcmp(k, "addr")) {
			if (sscanf(v, "%x:%x:%x.%x%n", &seg, &bus, &slot, &fn, &used) != 4 || v[used] ||
			    seg > 0xffff || bus > 0xff || slot > 0x1f || fn > 7)
				bad(line, "addr=%s: want DDDD:BB:SS.F", v);
			st->seg = seg;
			st->bus = bus;
			st->devfn = slot << 3 | fn;
		} else if (!strcmp(k, "seg"))
			st->seg = parse_num(line, k, v, UINT32_MAX);
		else if (!strcmp(k, "bus"))
			st->bus = parse_num(line, k, v, UINT32_MAX);
		else if (!strcmp(k, "devfn"))
			st->devfn = parse_num(line, k, v, UINT32_MAX);
		else if (!strcmp(k, "flags"))
			st->flags = parse_flags(line, v);
		else if (!strcmp(k, "guest_irq"))
			st->guest_irq = parse_num(line, k, v, UINT32_MAX);
		else if (!strcmp(k, "host_irq"))
			st->host_irq = parse_num(line, k, v, UINT32_MAX);
		else if (!strcmp(k, "entry_nr"))
			st->entry_nr = parse_num(line, k, v, UINT16_MAX);
		else if (!strcmp(k, "gsi"))
			st->gsi = parse_num(line, k, v, UINT32_MAX);
		else if (!strcmp(k, "entry"))
			st->entry = parse_num(line, k, v, UINT16_MAX);
		*(v - 1) = '=';
	}
	if (st->op < OP_ASSIGN && a != 2)
		bad(line, "%s takes only a VM name", ops[i].name);
	/* The step as printed: its words, single-spaced, without the result. */
	st->text[0] = '\0';
	for (int w = 0; w < a; w++) {
		size_t len = strlen(st->text);

		snprintf(st->text + len, sizeof(st->text) - len, "%s%s", w ? " " : "", words[w]);
	}
	nsteps++;
}

/*
 * SET_MSIX_NR above 256 stores the count without tables; a SET_MSIX_ENTRY
 * after it dereferences NULL with kvm->lock held and hangs the real kernel.
 */
static void refuse_oops(void)
{
	int over = -1;

	for (int i = 0; i < nsteps; i++) {
		if (steps[i].op == OP_MSIX_NR && steps[i].entry_nr > KVM_MAX_MSIX_PER_DEV && over < 0)
			over = i;
		if (steps[i].op == OP_MSIX_ENTRY && over >= 0)
			bad(steps[i].line, "refused: KVM_ASSIGN_SET_MSIX_ENTRY after KVM_ASSIGN_SET_MSIX_NR "
			    "above %d (line %d) oopses the real kernel", KVM_MAX_MSIX_PER_DEV, steps[over].line);
	}
}

static int sys_fd = -1;
static int vm_fd[MAX_VMS];

static int run_step(const struct step *st)
{
	union {
		struct kvm_assigned_pci_dev dev;
		struct kvm_assigned_irq irq;
		struct kvm_assigned_msix_nr nr;
		struct kvm_assigned_msix_entry ent;
	} a;
	void *arg = &a;
	int fd = vm_fd[st->vm], r;

	memset(&a, 0, sizeof(a));
	switch (st->op) {
	case OP_CREATE_VM:
		fd = ioctl(sys_fd, KVM_CREATE_VM, 0);
		if (fd < 0)
			return -errno;
		vm_fd[st->vm] = fd;
		return 0;
	case OP_CREATE_IRQCHIP:
		return ioctl(fd, KVM_CREATE_IRQCHIP, 0) < 0 ? -errno : 0;
	case OP_CLOSE:
		if (close(fd) < 0)
			return -errno;
		vm_fd[st->vm] = -1;
		return 0;
	case OP_ASSIGN:
	case OP_DEASSIGN:
	case OP_INTX_MASK:
		a.dev.assigned_dev_id = st->id;
		a.dev.segnr = st->seg;
		a.dev.busnr = st->bus;
		a.dev.devfn = st->devfn;
		a.dev.flags = st->flags;
		break;
	case OP_IRQ:
	case OP_DEIRQ:
		a.irq.assigned_dev_id = st->id;
		a.irq.host_irq = st->host_irq;
		a.irq.guest_irq = st->guest_irq;
		a.irq.flags = st->flags;
		break;
	case OP_MSIX_NR:
		a.nr.assigned_dev_id = st->id;
		a.nr.entry_nr = (uint16_t)st->entry_nr;
		break;
	case OP_MSIX_ENTRY:
		a.ent.assigned_dev_id = st->id;
		a.ent.gsi = st->gsi;
		a.ent.entry = (uint16_t)st->entry;
		break;
	}
	if (st->badptr)
		arg = (void *)(uintptr_t)8;	/* never mapped */
	r = ioctl(fd, st->cmd, arg);
	return r < 0 ? -errno : r;
}

int main(int argc, char **argv)
{
	bool list = false;
	char buf[1024];
	int line = 0, mismatches = 0;
	FILE *f;

	if (argc == 3 && strcmp(argv[1], "--list") == 0) {
		list = true;
		file = argv[2];
	} else if (argc == 2 && argv[1][0] != '-') {
		file = argv[1];
	} else {
		fprintf(stderr, "usage: scenario-run [--list] FILE.scn\n");
		return 2;
	}
	f = fopen(file, "re");
	if (!f) {
		fprintf(stderr, "scenario-run: %s: %s\n", file, strerror(errno));
		return 2;
	}
	while (fgets(buf, sizeof(buf), f))
		parse_line(++line, buf);
	fclose(f);
	if (nsteps == 0)
		bad(line, "no steps");
	refuse_oops();
	if (list) {
		for (int i = 0; i < nsteps; i++)
			printf("%s => %s\n", steps[i].text, errname(steps[i].expect));
		return 0;
	}
	for (int i = 0; i < MAX_VMS; i++)
		vm_fd[i] = -1;
	sys_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (sys_fd < 0) {
		fprintf(stderr, "scenario-run: /dev/kvm: %s\n", strerror(errno));
		return 3;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < nsteps; i++) {
		const struct step *st = &steps[i];
		int got;

		if (st->op != OP_CREATE_VM && vm_fd[st->vm] < 0)
			bad(st->line, "VM '%s' is closed", vm_names[st->vm]);
		got = run_step(st);
		printf("%s => %s\n", st->text, errname(got));
		if (got != st->expect) {
			fprintf(stderr, "scenario-run: %s:%d: MISMATCH: %s => %s, expected %s\n",
				file, st->line, st->text, errname(got), errname(st->expect));
			mismatches++;
		}
	}
	return mismatches ? 1 : 0;
}
