/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run.c - a command's ioctls as a plan: shown by --dry-run, or issued on
 * the VM fd in order, each result reported (-v, --json) and explained.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "exitcodes.h"
#include "explain.h"
#include "json.h"
#include "kvm-assign.h"
#include "probe.h"
#include "run.h"
#include "util.h"
#include "vmfd.h"

/* Why an ioctl failed, once analysed: what --json and the error line say. */
struct verdict {
	int exit_code;
	char why[256];
	char todo[320];
	int creator_check_err;	/* errno of the creator check, -1 if not run */
	struct probe probe;
	int probed;
};

void plan_init(struct plan *p, const char *command, const char *what)
{
	memset(p, 0, sizeof(*p));
	p->command = command;
	snprintf(p->what, sizeof(p->what), "%s", what);
}

union ioctl_arg *plan_add(struct plan *p, const struct ioctl_desc *io)
{
	struct op *op = &p->ops[p->n++];

	op->io = io;
	return &op->arg;
}

static void hex_bytes(const struct op *op, char *buf)
{
	for (size_t i = 0; i < op->io->size; i++)
		sprintf(buf + 2 * i, "%02x", op->arg.bytes[i]);
}

/* "KVM_X 0x4040ae72 field=value ..." shared by --dry-run and -v. */
static void print_op_text(const struct op *op, FILE *out)
{
	fprintf(out, "%s 0x%08lx", op->io->name, op->io->request);
	for (const struct field_desc *f = op->io->fields; f->name; f++)
		fprintf(out, f->hex ? " %s=0x%x" : " %s=%u", f->name, field_value(f, &op->arg));
}

static const char *probe_result_name(enum probe_result r)
{
	return r == PROBE_SUPPORTED ? "supported" : r == PROBE_UNSUPPORTED ? "unsupported" : "unknown";
}

static void print_op_json(const struct plan *p, const struct op *op, const struct verdict *v)
{
	struct json j;
	char bytes[2 * sizeof(op->arg) + 1];
	char hexreq[16];

	json_init(&j, stdout);
	json_open(&j, NULL);
	json_str(&j, "operation", p->command);
	json_str(&j, "ioctl", op->io->name);
	json_u64(&j, "request", op->io->request);
	snprintf(hexreq, sizeof(hexreq), "0x%08lx", op->io->request);
	json_str(&j, "request_hex", hexreq);
	json_open(&j, "fields");
	for (const struct field_desc *f = op->io->fields; f->name; f++)
		json_u64(&j, f->name, field_value(f, &op->arg));
	json_close(&j);
	hex_bytes(op, bytes);
	json_str(&j, "bytes", bytes);
	if (!op->done) {
		json_str(&j, "result", "dry-run");
		json_close(&j);
		return;
	}
	json_str(&j, "ran_in", "self");
	json_str(&j, "result", op->ret < 0 ? "error" : "ok");
	json_i64(&j, "return", op->ret);
	if (op->ret < 0) {
		json_str(&j, "errno", errno_name(op->err));
		json_str(&j, "message", v->why[0] ? v->why : strerror(op->err));
		json_str(&j, "hint", v->todo[0] ? v->todo : NULL);
		json_i64(&j, "exit_code", v->exit_code);
		if (v->creator_check_err >= 0)
			json_str(&j, "creator_check", v->creator_check_err ? errno_name(v->creator_check_err) : "ok");
		if (v->probed) {
			json_open(&j, "probe");
			json_str(&j, "result", probe_result_name(v->probe.result));
			json_str(&j, "step", v->probe.step);
			json_str(&j, "errno", v->probe.err ? errno_name(v->probe.err) : NULL);
			json_close(&j);
		}
	} else {
		json_null(&j, "errno");
	}
	json_close(&j);
}

static void rebind_hint(const struct plan *p, char *buf, size_t len)
{
	char addr[PCI_ADDR_STRLEN];

	if (!p->addr || !p->dev || !p->dev->present) {
		snprintf(buf, len, "unbind the host driver and bind the device to pci-stub (see kvm-assign(8))");
		return;
	}
	device_format(p->addr, addr);
	snprintf(buf, len, "%s%s%sbind it to pci-stub: echo %04x %04x > /sys/bus/pci/drivers/pci-stub/new_id; "
		 "echo %s > /sys/bus/pci/devices/%s/driver/unbind; echo %s > /sys/bus/pci/drivers/pci-stub/bind",
		 p->dev->driver[0] ? "host driver " : "", p->dev->driver,
		 p->dev->driver[0] ? " holds it: " : "",
		 p->dev->vendor_id, p->dev->device_id, addr, addr, addr);
}

/*
 * EIO from a VM ioctl is usually KVM's creator-only rule (kvm_vm_ioctl
 * compares mm before the ioctl number), which also hides whether the
 * ioctl exists: confirm with a harmless VM ioctl, then probe a VM of ours.
 */
static void analyse_eio(const struct op *op, int vmfd, struct verdict *v)
{
	char buf[160];

	v->creator_check_err = ioctl(vmfd, KVM_CHECK_EXTENSION, KVM_CAP_IOMMU) < 0 ? errno : 0;
	if (v->creator_check_err != EIO)
		return;		/* we are the creator: the EIO is the ioctl's own */

	v->probed = 1;
	probe_legacy_support(&v->probe);
	if (v->probe.result == PROBE_UNSUPPORTED) {
		v->exit_code = KA_EXIT_UNSUPPORTED;
		snprintf(v->why, sizeof(v->why), "kernel lacks support for %s: " LACKS_SUPPORT_WHY, op->io->name);
		snprintf(v->todo, sizeof(v->todo), LACKS_SUPPORT_TODO);
		return;
	}
	v->exit_code = KA_EXIT_NOT_OWNER;
	snprintf(v->why, sizeof(v->why),
		 "%s failed with EIO: the VM belongs to another process (KVM accepts VM ioctls only from the process that created the VM)%s%s",
		 op->io->name, v->probe.result == PROBE_FAILED ? ", and whether this kernel has legacy assignment is unknown: " : "",
		 v->probe.result == PROBE_FAILED ? probe_failure_text(&v->probe, buf, sizeof(buf)) : "");
	snprintf(v->todo, sizeof(v->todo), "the ioctl must run inside the VMM that created the VM");
}

static void analyse(const struct plan *p, const struct op *op, int vmfd, struct verdict *v)
{
	struct explanation e;

	v->creator_check_err = -1;
	if (op->err == EIO) {
		analyse_eio(op, vmfd, v);
		if (v->why[0])
			return;
	}
	explain(op->io, op->err, &e);
	v->exit_code = e.exit_code;
	if (op->err == ENOTTY)
		snprintf(v->why, sizeof(v->why), "kernel lacks support for %s: %s", op->io->name, e.why);
	else
		snprintf(v->why, sizeof(v->why), "%s failed with %s: %s", op->io->name,
			 errno_name(op->err), e.why ? e.why : strerror(op->err));
	if (e.rebind_hint)
		rebind_hint(p, v->todo, sizeof(v->todo));
	else if (e.todo)
		snprintf(v->todo, sizeof(v->todo), "%s", e.todo);
}

static size_t issue_in_self(int vmfd, struct op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ops[i].ret = ioctl(vmfd, ops[i].io->request, &ops[i].arg);
		ops[i].err = ops[i].ret < 0 ? errno : 0;
		ops[i].done = 1;
		if (ops[i].ret < 0)
			return i;
	}
	return n;
}

static void print_dry_run(const struct plan *p)
{
	char bytes[2 * sizeof(p->ops[0].arg) + 1];

	for (size_t i = 0; i < p->n; i++) {
		if (opts.json) {
			print_op_json(p, &p->ops[i], NULL);
			continue;
		}
		hex_bytes(&p->ops[i], bytes);
		print_op_text(&p->ops[i], stdout);
		printf(" bytes=%s\n", bytes);
	}
}

int plan_run(struct plan *p)
{
	struct verdict v = { .exit_code = KA_EXIT_OK, .creator_check_err = -1 };
	struct vmfd vm;
	size_t failed;
	int rc;

	if (opts.dry_run) {
		print_dry_run(p);
		return KA_EXIT_OK;
	}
	rc = vmfd_acquire(&vm);
	if (rc)
		return rc;

	failed = issue_in_self(vm.fd, p->ops, p->n);
	if (failed < p->n)
		analyse(p, &p->ops[failed], vm.fd, &v);

	for (size_t i = 0; i < p->n && p->ops[i].done; i++) {
		if (opts.json) {
			print_op_json(p, &p->ops[i], &v);
		} else if (opts.verbose) {
			print_op_text(&p->ops[i], stdout);
			if (p->ops[i].ret < 0)
				printf(": %s in this process\n", errno_name(p->ops[i].err));
			else
				printf(": ok in this process\n");
		}
	}
	if (failed < p->n) {
		if (v.todo[0])
			err_msg("%s: %s: %s", p->what, v.why, v.todo);
		else
			err_msg("%s: %s", p->what, v.why);
	}
	vmfd_release(&vm);
	return v.exit_code;
}
