/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run.c - a command's ioctls as a plan: shown by --dry-run, or issued on
 * the VM fd in order, each result reported (-v, --json) and explained.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "exitcodes.h"
#include "explain.h"
#include "inject.h"
#include "json.h"
#include "kvm-assign.h"
#include "owner.h"
#include "probe.h"
#include "run.h"
#include "util.h"
#include "vmfd.h"

/* Why an ioctl failed, once analysed: what --json and the error line say. */
struct verdict {
	int exit_code;
	char why[384];
	char todo[320];
	int creator_check_err;	/* errno of the creator check, -1 if not run */
	struct probe probe;
	int probed;
	pid_t ran_in;		/* 0: this process; else the VMM's pid */
	struct inject_target ran_target;	/* how the VMM was proven to be ran_in */
	uid_t owners[4];	/* whose VMM kvm-assign acts on: see allowed_owners() */
	struct inject_report rep;
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
	if (!op->done && !v) {
		json_str(&j, "result", "dry-run");
		json_close(&j);
		return;
	}
	if (!op->done) {
		/* Nothing reached the kernel: say why, so --json never stays silent. */
		json_null(&j, "ran_in");
		json_str(&j, "result", "not-run");
		json_null(&j, "errno");
		json_str(&j, "message", v->why);
		json_str(&j, "hint", v->todo[0] ? v->todo : NULL);
		json_i64(&j, "exit_code", v->exit_code);
		json_close(&j);
		return;
	}
	if (v->ran_in) {
		json_i64(&j, "ran_in", v->ran_in);
		json_i64(&j, "tid", v->rep.tid);
		json_double(&j, "stopped_ms", v->rep.stopped_ms);
	} else {
		json_str(&j, "ran_in", "self");
	}
	json_str(&j, "result", op->ret < 0 ? "error" : "ok");
	json_i64(&j, "return", op->ret);
	if (op->ret < 0) {
		json_str(&j, "errno", errno_name(op->err));
		json_str(&j, "message", v->why[0] ? v->why : strerror(op->err));
		json_str(&j, "hint", v->todo[0] ? v->todo : NULL);
		if (v->exit_code)
			json_i64(&j, "exit_code", v->exit_code);
		if (v->creator_check_err >= 0 && !v->ran_in)
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

static void rebind_hint(const struct plan *p, const char *prefix, char *buf, size_t len)
{
	char addr[PCI_ADDR_STRLEN];

	if (!p->addr || !p->dev || !p->dev->present) {
		snprintf(buf, len, "%sunbind the host driver and bind the device to pci-stub (see kvm-assign(8))", prefix);
		return;
	}
	device_format(p->addr, addr);
	snprintf(buf, len, "%sbind it to pci-stub: echo %04x %04x > /sys/bus/pci/drivers/pci-stub/new_id; "
		 "echo %s > /sys/bus/pci/devices/%s/driver/unbind; echo %s > /sys/bus/pci/drivers/pci-stub/bind",
		 prefix, p->dev->vendor_id, p->dev->device_id, addr, addr, addr);
}

/*
 * Does this VM hold assigned-device id?  KVM_DEASSIGN_DEV_IRQ naming neither
 * half changes nothing: ENODEV for an unknown id, else ENXIO, EINVAL or 0.
 * Runs where the plan ran.  1 yes, 0 no, -1 cannot tell.
 */
static int vm_holds_id(const struct vmfd *vm, const struct verdict *v, uint32_t id)
{
	struct kvm_assigned_irq none = { .assigned_dev_id = id };
	long ret;
	int err;

	if (v->ran_in) {
		struct inject_call call = { .request = KVM_DEASSIGN_DEV_IRQ, .arg = &none, .len = sizeof(none) };
		struct inject_report rep;
		char why[256];

		if (inject_ioctls(&v->ran_target, &call, 1, opts.timeout_s * 1000, &rep, why, sizeof(why)) < 0)
			return -1;
		ret = call.ret;
		err = call.err;
	} else if (vm->fd >= 0) {
		ret = ioctl(vm->fd, KVM_DEASSIGN_DEV_IRQ, &none);
		err = errno;
	} else {
		return -1;
	}
	if (ret >= 0 || err == ENXIO || err == EINVAL)
		return 1;
	return err == ENODEV ? 0 : -1;
}

/* EBUSY: who holds the device?  Its host driver, this VM under the id its
 * address gives, or (the driver being pci-stub or none) another VM. */
static void explain_holder(const struct plan *p, const struct vmfd *vm, const struct op *op,
			   struct verdict *v, const char **why)
{
	const struct device_info *dev = p->dev && p->dev->present ? p->dev : NULL;
	uint32_t id = op->arg.dev.assigned_dev_id, by_addr = id;
	char addr[PCI_ADDR_STRLEN] = "DEVICE";
	static char text[160];

	if (p->addr) {
		device_format(p->addr, addr);
		by_addr = kvm_assigned_dev_id(p->addr->domain, p->addr->bus, ADDR_DEVFN(p->addr));
	}
	if (dev && dev->driver[0] && strcmp(dev->driver, "pci-stub") != 0) {
		snprintf(text, sizeof(text), "host driver %s holds the device", dev->driver);
		*why = text;
		rebind_hint(p, "", v->todo, sizeof(v->todo));
	} else if (p->addr && id != by_addr && vm_holds_id(vm, v, by_addr) == 1) {
		snprintf(text, sizeof(text), "this VM already holds the device, under id 0x%x", by_addr);
		*why = text;
		snprintf(v->todo, sizeof(v->todo), "use --id=0x%x, or deassign it first", by_addr);
	} else if (dev && dev->driver_known) {
		snprintf(text, sizeof(text), "another VM holds the device (or this VM, under an id other than 0x%x)", id);
		*why = text;
		snprintf(v->todo, sizeof(v->todo), "deassign it in the VMM that holds it: kvm-assign --pid=PID deassign %s", addr);
	} else {
		rebind_hint(p, "if a host driver holds it, ", v->todo, sizeof(v->todo));
		snprintf(v->todo + strlen(v->todo), sizeof(v->todo) - strlen(v->todo),
			 "; if a VM does, deassign it there");
	}
}

/* EPERM from KVM_ASSIGN_PCI_DEVICE: which of the kernel's refusals it was,
 * when libpci can tell (the header type and BARs; else interrupt remapping). */
static void explain_refused_device(const struct plan *p, struct verdict *v, const char **why)
{
	const struct device_info *dev = p->dev && p->dev->present ? p->dev : NULL;
	static char text[160];

	if (!dev)
		return;
	if (dev->header_type != 0) {
		snprintf(text, sizeof(text), "the kernel refused the device: it is a bridge (header type %u), "
			 "and only endpoints can be assigned", dev->header_type);
		snprintf(v->todo, sizeof(v->todo), "assign the devices behind it instead");
	} else if (dev->nbars == 0) {
		snprintf(text, sizeof(text), "the kernel refused the device: it has no BARs (memory or I/O regions)");
		snprintf(v->todo, sizeof(v->todo), "a device without BARs cannot be assigned");
	} else {
		snprintf(text, sizeof(text), "the kernel refused the device: this host lacks interrupt remapping");
		snprintf(v->todo, sizeof(v->todo), "enable interrupt remapping (VT-d or AMD-Vi in the firmware); "
			 "or, accepting the risk, load kvm with allow_unsafe_assigned_interrupts=1; dmesg names the cause");
	}
	*why = text;
}

/* What a probe that could not tell adds to a message, or "". */
static const char *probe_suffix(const struct verdict *v, char *buf, size_t len)
{
	char why[160];

	if (v->probe.result != PROBE_FAILED)
		return "";
	snprintf(buf, len, ", and whether this kernel has legacy assignment is unknown: %s",
		 probe_failure_text(&v->probe, why, sizeof(why)));
	return buf;
}

/*
 * The ioctl could not run in the VM's creator: no process could succeed if
 * the kernel lacks the ioctls, so probe a VM of our own before blaming the
 * fd.  Returns true when the verdict is "kernel lacks support".
 */
static bool lacks_support(const struct op *op, struct verdict *v)
{
	v->probed = 1;
	probe_legacy_support(&v->probe);
	if (v->probe.result != PROBE_UNSUPPORTED)
		return false;
	v->exit_code = KA_EXIT_UNSUPPORTED;
	snprintf(v->why, sizeof(v->why), "kernel lacks support for %s: " LACKS_SUPPORT_WHY, op->io->name);
	snprintf(v->todo, sizeof(v->todo), LACKS_SUPPORT_TODO);
	return true;
}

/* EIO in this process with the creator check failing too: KVM's mm rule. */
static void explain_not_creator(const struct op *op, struct verdict *v)
{
	char buf[200];

	if (lacks_support(op, v))
		return;
	v->exit_code = KA_EXIT_NOT_OWNER;
	snprintf(v->why, sizeof(v->why),
		 "%s failed with EIO: the VM belongs to another process (KVM accepts VM ioctls only from the process that created the VM)%s",
		 op->io->name, probe_suffix(v, buf, sizeof(buf)));
	snprintf(v->todo, sizeof(v->todo), "run it inside the VMM: drop --via=self, or use --pid=PID");
}

static void explain_failure(const struct plan *p, const struct vmfd *vm, const struct op *op,
			    struct verdict *v)
{
	struct explanation e;

	explain(op->io, op->err, &e);
	v->exit_code = e.exit_code;
	if (e.todo)
		snprintf(v->todo, sizeof(v->todo), "%s", e.todo);
	if (e.detail == DETAIL_HOLDER)
		explain_holder(p, vm, op, v, &e.why);
	else if (e.detail == DETAIL_REFUSED_DEVICE)
		explain_refused_device(p, v, &e.why);
	if (op->err == ENOTTY)
		snprintf(v->why, sizeof(v->why), "kernel lacks support for %s: %s", op->io->name, e.why);
	else
		snprintf(v->why, sizeof(v->why), "%s failed with %s%s: %s", op->io->name, errno_name(op->err),
			 v->ran_in ? " in the VMM" : "", e.why ? e.why : strerror(op->err));
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

/* Outcomes of running the plan inside a VMM. */
enum owner_result { OWNER_RAN, OWNER_NOT_FOUND, OWNER_FAILED };

/* The owners of a VMM kvm-assign acts for without being told: root, the
 * caller, the socket's peer; --owner adds one. */
static size_t allowed_owners(const struct vmfd *vm, uid_t *uids)
{
	size_t n = 0;

	uids[n++] = 0;
	uids[n++] = getuid();
	if (vm->peer_pid > 0)
		uids[n++] = vm->peer_uid;
	if (opts.owner >= 0)
		uids[n++] = (uid_t)opts.owner;
	return n;
}

/*
 * Run every op inside one holder of the VM, in one stop, behind a harmless
 * KVM_CHECK_EXTENSION that proves the holder is the creator (EIO otherwise).
 * The holder must still be the process found: the same start time and,
 * when we hold the VM too, the same open file (inject.c proves it).
 */
static enum owner_result try_holder(const struct vmfd *vm, const struct vm_holder *h, struct plan *p,
				    struct verdict *v, char *why, size_t whylen)
{
	struct inject_call *calls = xcalloc(p->n + 1, sizeof(*calls));
	enum owner_result res = OWNER_RAN;
	struct inject_target *tg = &v->ran_target;

	*tg = (struct inject_target){
		.pid = h->pid, .fd = h->fd, .start_time = h->start_time,
		.same_file = vm->fd, .fd_link = VM_FD_LINK, .uids = v->owners,
	};
	tg->nuids = allowed_owners(vm, v->owners);

	calls[0].request = KVM_CHECK_EXTENSION;
	calls[0].intarg = KVM_CAP_IOMMU;
	for (size_t i = 0; i < p->n; i++) {
		calls[i + 1].request = p->ops[i].io->request;
		calls[i + 1].arg = &p->ops[i].arg;
		calls[i + 1].len = p->ops[i].io->size;
	}
	if (inject_ioctls(tg, calls, p->n + 1, opts.timeout_s * 1000, &v->rep, why, whylen) < 0) {
		v->exit_code = errno == EPERM || errno == EACCES ? KA_EXIT_PERMISSION : KA_EXIT_NOT_OWNER;
		res = OWNER_FAILED;
	} else if (calls[0].ret < 0 && calls[0].err == EIO) {
		res = OWNER_NOT_FOUND;	/* holds the fd, but another mm created the VM */
	} else if (calls[0].ret < 0) {
		v->exit_code = calls[0].err == EPERM || calls[0].err == EACCES ? KA_EXIT_PERMISSION : KA_EXIT_NOT_OWNER;
		if (!why[0])
			snprintf(why, whylen, "KVM_CHECK_EXTENSION failed there with %s", errno_name(calls[0].err));
		res = OWNER_FAILED;
	} else {
		v->ran_in = h->pid;
		for (size_t i = 0; i < p->n; i++) {
			p->ops[i].done = calls[i + 1].err != ECANCELED;
			p->ops[i].ret = calls[i + 1].ret;
			p->ops[i].err = calls[i + 1].ret < 0 ? calls[i + 1].err : 0;
		}
	}
	free(calls);
	return res;
}

/* Returns 0 when the plan ran in the creator, else an exit code (message printed by caller via v). */
static int run_in_owner(const struct vmfd *vm, struct plan *p, struct verdict *v)
{
	struct vm_holder holders[MAX_CANDIDATES];
	int holders_fds[MAX_VM_FDS];
	char why[320] = "", buf[200], pids[160] = "";
	int n;

	if (vm->holder_pid) {
		holders[0] = (struct vm_holder){ vm->holder_pid, vm->holder_fd, vm->holder_start };
		n = 1;
	} else if (vm->peer_pid > 0 && vm_fds_of(vm->peer_pid, holders_fds, MAX_VM_FDS) < 0 &&
		   (errno == EACCES || errno == EPERM)) {
		/* The likeliest creator is out of sight: say so, not "nobody holds it". */
		int err = errno;

		if (lacks_support(&p->ops[0], v))
			return v->exit_code;
		v->exit_code = KA_EXIT_PERMISSION;
		snprintf(v->why, sizeof(v->why), "cannot look into the VMM (pid %d, the socket's peer) to run %s there: /proc/%d/fd: %s",
			 (int)vm->peer_pid, p->ops[0].io->name, (int)vm->peer_pid, strerror(err));
		snprintf(v->todo, sizeof(v->todo), "run as root or as the VMM's user");
		return v->exit_code;
	} else {
		n = vm_holders(vm->fd, vm->peer_pid, holders, MAX_CANDIDATES);
	}
	for (int i = 0; i < n; i++) {
		why[0] = '\0';
		switch (try_holder(vm, &holders[i], p, v, why, sizeof(why))) {
		case OWNER_RAN:
			return 0;
		case OWNER_FAILED:
			if (lacks_support(&p->ops[0], v)) {
				snprintf(v->todo + strlen(v->todo), sizeof(v->todo) - strlen(v->todo),
					 " (it could not run inside the VMM, pid %d, to see for itself: %s)",
					 (int)holders[i].pid, why);
				return v->exit_code;
			}
			snprintf(v->why, sizeof(v->why), "cannot run %s inside the VMM (pid %d): %s",
				 p->ops[0].io->name, (int)holders[i].pid, why);
			return v->exit_code;
		case OWNER_NOT_FOUND:
			snprintf(pids + strlen(pids), sizeof(pids) - strlen(pids), "%s%d", i ? ", " : "", (int)holders[i].pid);
			break;
		}
	}
	if (lacks_support(&p->ops[0], v))
		return v->exit_code;
	v->exit_code = KA_EXIT_NOT_OWNER;
	if (n == 0 && kcmp_missing())
		snprintf(v->why, sizeof(v->why), "cannot tell which process holds this VM: this kernel has no kcmp (CONFIG_CHECKPOINT_RESTORE is off)%s",
			 probe_suffix(v, buf, sizeof(buf)));
	else if (n == 0)
		snprintf(v->why, sizeof(v->why), "no other process holds this VM, so none can be its creator (KVM accepts VM ioctls only from the process that created the VM)%s",
			 probe_suffix(v, buf, sizeof(buf)));
	else
		snprintf(v->why, sizeof(v->why), "none of the processes holding this VM (pid %s) created it (KVM accepts VM ioctls only from the creator)%s",
			 pids, probe_suffix(v, buf, sizeof(buf)));
	snprintf(v->todo, sizeof(v->todo), "aim kvm-assign at the VMM that created the VM, with --pid=PID");
	return v->exit_code;
}

static void report(const struct plan *p, const struct verdict *v)
{
	for (size_t i = 0; i < p->n && p->ops[i].done; i++) {
		if (opts.json) {
			print_op_json(p, &p->ops[i], v);
			continue;
		}
		if (!opts.verbose)
			continue;
		print_op_text(&p->ops[i], stdout);
		printf(": %s", p->ops[i].ret < 0 ? errno_name(p->ops[i].err) : "ok");
		if (v->ran_in)
			printf(" in pid %d (VMM stopped %.3f ms)\n", (int)v->ran_in, v->rep.stopped_ms);
		else
			printf(" in this process\n");
	}
	if (opts.verbose && !opts.json && v->probed)
		printf("probe: %s on a VM of our own: %s (%s)\n", v->probe.step,
		       v->probe.err ? errno_name(v->probe.err) : "ok", probe_result_name(v->probe.result));
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

/* The attempt in this process that met KVM's creator-only rule, when the
 * command then ran in the VMM: reported too, since it did reach the kernel. */
static void report_self_try(const struct plan *p, const struct op *try, const struct verdict *v)
{
	struct verdict sv = { .creator_check_err = EIO };

	if (opts.json) {
		snprintf(sv.why, sizeof(sv.why),
			 "the VM belongs to another process (KVM accepts VM ioctls only from its creator): ran it inside pid %d instead",
			 (int)v->ran_in);
		print_op_json(p, try, &sv);
	} else if (opts.verbose) {
		print_op_text(try, stdout);
		printf(": EIO in this process (not the VM's creator)\n");
	}
}

int plan_run(struct plan *p)
{
	struct verdict v = { .exit_code = KA_EXIT_OK, .creator_check_err = -1 };
	struct op self_try;
	size_t self_failed = p->n;
	struct vmfd vm;
	size_t failed = p->n;
	int rc;

	if (opts.dry_run) {
		print_dry_run(p);
		return KA_EXIT_OK;
	}
	rc = vmfd_acquire(&vm);
	if (rc)
		return rc;

	if (vm.fd >= 0 && opts.via != VIA_OWNER) {
		failed = issue_in_self(vm.fd, p->ops, p->n);
		/* EIO hides the reason: is it KVM's creator-only rule? */
		if (failed < p->n && p->ops[failed].err == EIO)
			v.creator_check_err = ioctl(vm.fd, KVM_CHECK_EXTENSION, KVM_CAP_IOMMU) < 0 ? errno : 0;
		if (v.creator_check_err == EIO && opts.via == VIA_AUTO) {
			self_try = p->ops[failed];
			self_failed = failed;
			for (size_t i = 0; i < p->n; i++)
				p->ops[i].done = 0;
			failed = p->n;
		}
	}
	if (vm.fd < 0 || opts.via == VIA_OWNER || (v.creator_check_err == EIO && opts.via == VIA_AUTO)) {
		run_in_owner(&vm, p, &v);
		for (failed = 0; failed < p->n && p->ops[failed].done && p->ops[failed].ret >= 0; failed++)
			;
		if (!p->ops[0].done) {
			failed = p->n;	/* nothing ran there: the verdict says why */
			/* Then our own attempt is the one that reached the kernel: show it. */
			for (size_t i = 0; i <= self_failed && self_failed < p->n; i++)
				p->ops[i].done = 1;
			if (self_failed < p->n)
				p->ops[self_failed] = self_try;
		}
	}

	if (failed < p->n && v.creator_check_err == EIO && !v.ran_in)
		explain_not_creator(&p->ops[failed], &v);
	else if (failed < p->n)
		explain_failure(p, &vm, &p->ops[failed], &v);

	if (v.ran_in && self_failed < p->n)
		report_self_try(p, &self_try, &v);
	report(p, &v);
	if (opts.json && !p->ops[0].done && v.why[0])
		print_op_json(p, &p->ops[0], &v);
	if (v.why[0]) {
		if (v.todo[0])
			err_msg("%s: %s: %s", p->what, v.why, v.todo);
		else
			err_msg("%s: %s", p->what, v.why);
	}
	vmfd_release(&vm);
	return v.exit_code;
}
