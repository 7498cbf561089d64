/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run.c - a plan of steps (one for a command, many for a batch): shown by
 * --dry-run, or run on one VM all or nothing, each result explained.
 *
 * plan_run reads as setpci's main: the steps are parsed and checked by the
 * caller; here the VM is got once, each run of kernel steps is issued in one
 * go (here, or in one stop of the VMM), a failure is explained, the steps
 * before it are undone in reverse, and one place reports.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
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

/* ------------------------------------------------------------ errors */

/* The --json half of failure_print. */
static void failure_json(const char *what, const struct failure *f)
{
	struct json j;

	json_init(&j, stdout);
	json_open(&j, NULL);
	json_str(&j, "operation", what);
	json_str(&j, "result", "error");
	json_str(&j, "message", f->why);
	json_str(&j, "hint", f->todo[0] ? f->todo : NULL);
	json_i64(&j, "exit_code", f->exit_code);
	json_close(&j);
}

void failure_print(const char *what, const struct failure *f)
{
	if (opts.json)
		failure_json(what, f);
	if (what && *what && f->todo[0])
		err_msg("%s: %s: %s", what, f->why, f->todo);
	else if (what && *what)
		err_msg("%s: %s", what, f->why);
	else if (f->todo[0])
		err_msg("%s: %s", f->why, f->todo);
	else
		err_msg("%s", f->why);
}

int source_bad(const struct source *src, const char *command, const char *word, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!src || !src->file)
		return usage_err(command, "%s", msg);
	src->f->exit_code = KA_EXIT_USAGE;
	snprintf(src->f->why, sizeof(src->f->why), "%s:%u: '%s': %s: %s", src->file, src->line,
		 word ? word : "", command, msg);
	snprintf(src->f->todo, sizeof(src->f->todo), "nothing was run; see '" PROGRAM_NAME " %s --help'", command);
	return KA_EXIT_USAGE;
}

int source_error(const struct source *src, int code, const char *what, const char *fmt, ...)
{
	struct failure local = { .exit_code = code };
	struct failure *f = src && src->file ? src->f : &local;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f->exit_code = code;
	f->todo[0] = '\0';
	if (src && src->file) {
		snprintf(f->why, sizeof(f->why), "%s:%u: %s", src->file, src->line, msg);
		snprintf(f->todo, sizeof(f->todo), "nothing was run");
	} else {
		snprintf(f->why, sizeof(f->why), "%s", msg);
		failure_print(what, f);
	}
	return code;
}

/* ------------------------------------------------------------ building */

void plan_init(struct plan *p, const char *command)
{
	memset(p, 0, sizeof(*p));
	p->command = command;
}

void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->nsteps; i++)
		detach_report_free(&p->steps[i].rep);
	free(p->steps);
	free(p->ops);
	memset(p, 0, sizeof(*p));
}

struct step *plan_step(struct plan *p, const char *command, enum step_kind kind, const struct target *t,
		       unsigned line)
{
	struct step *s;

	if (p->nsteps == p->step_cap) {
		p->step_cap = p->step_cap ? 2 * p->step_cap : 4;
		p->steps = xrealloc(p->steps, p->step_cap * sizeof(*p->steps));
	}
	s = &p->steps[p->nsteps++];
	memset(s, 0, sizeof(*s));
	s->command = command;
	s->kind = kind;
	s->line = line;
	s->first = p->n;
	if (t) {
		s->t = *t;
		snprintf(s->what, sizeof(s->what), "%s", t->what);
	}
	return s;
}

static struct op *new_op(struct plan *p)
{
	if (p->n == p->op_cap) {
		p->op_cap = p->op_cap ? 2 * p->op_cap : 8;
		p->ops = xrealloc(p->ops, p->op_cap * sizeof(*p->ops));
	}
	memset(&p->ops[p->n], 0, sizeof(p->ops[0]));
	return &p->ops[p->n++];
}

union ioctl_arg *plan_add(struct plan *p, const struct ioctl_desc *io)
{
	struct op *op = new_op(p);

	op->io = io;
	op->step = p->nsteps - 1;
	p->steps[op->step].n++;
	return &op->arg;
}

int step_options(const struct source *src, const char *command, int argc, const char **argv,
		 const struct poptOption *table, const char *help, poptContext *con)
{
	int rc;

	struct poptOption own[16];
	char *seen[16] = { NULL };
	size_t n = 0;

	if (!src->file)
		return parse_command(command, argc, argv, table, help, con);
	/* As parse_command: popt drops a string option given twice without
	 * freeing it; number them, and free the one the second replaces. */
	for (; table[n].longName && n < ARRAY_SIZE(own) - 1; n++) {
		own[n] = table[n];
		if ((own[n].argInfo & POPT_ARG_MASK) == POPT_ARG_STRING)
			own[n].val = 0x200 + (int)n;
	}
	own[n] = (struct poptOption)POPT_TABLEEND;
	*con = poptGetContext(command, argc, argv, own, 0);
	while ((rc = poptGetNextOpt(*con)) > 0) {
		if (rc >= 0x200 && rc < 0x200 + (int)n) {
			char **slot = own[rc - 0x200].arg;

			if (seen[rc - 0x200] && seen[rc - 0x200] != *slot)
				free(seen[rc - 0x200]);
			seen[rc - 0x200] = *slot;
		}
	}
	if (rc < -1) {
		rc = source_bad(src, command, poptBadOption(*con, POPT_BADOPTION_NOALIAS), "%s",
				poptStrerror(rc));
		poptFreeContext(*con);
		*con = NULL;
		return rc;
	}
	return 0;
}

int step_args(const struct source *src, const char *command, poptContext con, const char **args, int max)
{
	const char *a;
	int n = 0;

	while ((a = poptGetArg(con))) {
		if (n == max)
			return source_bad(src, command, a, "unexpected argument '%s'", a);
		args[n++] = a;
	}
	return 0;
}

int plan_one(int (*parse)(struct plan *, const struct source *, int, const char **),
	     const char *command, int argc, const char **argv)
{
	struct source src = { 0 };
	struct plan p;
	int rc;

	plan_init(&p, command);
	rc = parse(&p, &src, argc, argv);
	if (!rc)
		rc = plan_run(&p);
	plan_free(&p);
	return rc;
}

/* ------------------------------------------------------------ printing */

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
	const struct step *s = &p->steps[op->step];
	struct json j;
	char bytes[2 * sizeof(op->arg) + 1];
	char hexreq[16];

	json_init(&j, stdout);
	json_open(&j, NULL);
	json_str(&j, "operation", s->command);
	if (p->file) {
		json_u64(&j, "line", s->line);
		json_str(&j, "role", op->role == OP_UNDO ? "undo" : "do");
	}
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
	if (op->ret < 0 && op->role != OP_DO) {
		json_str(&j, "errno", errno_name(op->err));
	} else if (op->ret < 0) {
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

static void rebind_hint(const struct step *p, const char *prefix, char *buf, size_t len)
{
	char addr[PCI_ADDR_STRLEN];

	if (!p->t.have_device || !p->t.info.present) {
		snprintf(buf, len, "%sunbind the host driver and bind the device to pci-stub (see kvm-assign(8))", prefix);
		return;
	}
	device_format(&p->t.addr, addr);
	snprintf(buf, len, "%sbind it to pci-stub: echo %04x %04x > /sys/bus/pci/drivers/pci-stub/new_id; "
		 "echo %s > /sys/bus/pci/devices/%s/driver/unbind; echo %s > /sys/bus/pci/drivers/pci-stub/bind",
		 prefix, p->t.info.vendor_id, p->t.info.device_id, addr, addr, addr);
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
static void explain_holder(const struct step *p, const struct vmfd *vm, const struct op *op,
			   struct verdict *v, const char **why)
{
	const struct device_info *dev = p->t.info.present ? &p->t.info : NULL;
	const struct pci_addr *paddr = p->t.have_device ? &p->t.addr : NULL;
	uint32_t id = op->arg.dev.assigned_dev_id, by_addr = id;
	char addr[PCI_ADDR_STRLEN] = "DEVICE";
	static char text[160];

	if (paddr) {
		device_format(paddr, addr);
		by_addr = kvm_assigned_dev_id(paddr->domain, paddr->bus, ADDR_DEVFN(paddr));
	}
	if (dev && dev->driver[0] && strcmp(dev->driver, "pci-stub") != 0) {
		snprintf(text, sizeof(text), "host driver %s holds the device", dev->driver);
		*why = text;
		rebind_hint(p, "", v->todo, sizeof(v->todo));
	} else if (paddr && id != by_addr && vm_holds_id(vm, v, by_addr) == 1) {
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
static void explain_refused_device(const struct step *p, struct verdict *v, const char **why)
{
	const struct device_info *dev = p->t.info.present ? &p->t.info : NULL;
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

static void explain_failure(const struct step *p, const struct vmfd *vm, const struct op *op,
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

/* Outcomes of running the plan inside a VMM. */
enum owner_result { OWNER_RAN, OWNER_NOT_FOUND, OWNER_FAILED };

/* The owners of a VMM kvm-assign acts for without being told: root, the
 * caller, the socket's peer; --owner adds one. */
/* A positive return that stands for a refusal (explain_positive) becomes that errno. */
static void positive_as_error(struct op *op)
{
	int e = explain_positive(op->io, op->ret);

	if (e) {
		op->ret = -1;
		op->err = e;
	}
}

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
static enum owner_result try_holder(const struct vmfd *vm, const struct vm_holder *h, struct op *ops, size_t n,
				    struct verdict *v, char *why, size_t whylen)
{
	struct inject_call *calls = xcalloc(n + 1, sizeof(*calls));
	enum owner_result res = OWNER_RAN;
	struct inject_target *tg = &v->ran_target;
	int rc;

	*tg = (struct inject_target){
		.pid = h->pid, .fd = h->fd, .start_time = h->start_time,
		.same_file = vm->fd, .fd_link = VM_FD_LINK, .uids = v->owners,
	};
	tg->nuids = allowed_owners(vm, v->owners);

	calls[0].request = KVM_CHECK_EXTENSION;
	calls[0].intarg = KVM_CAP_IOMMU;
	for (size_t i = 0; i < n; i++) {
		calls[i + 1].request = ops[i].io->request;
		calls[i + 1].arg = &ops[i].arg;
		calls[i + 1].len = ops[i].io->size;
		calls[i + 1].continue_on_error = ops[i].role != OP_DO;
	}
	rc = inject_ioctls(tg, calls, n + 1, opts.timeout_s * 1000, &v->rep, why, whylen);
	if (rc == 0 && calls[0].ret < 0 && calls[0].err == ENOTTY) {
		/* Before 3.17 a VM fd has no KVM_CHECK_EXTENSION (measured on
		 * 3.10.105): its ENOTTY comes after KVM's creator check, which
		 * answers EIO to any other mm, so this is the creator: the ops
		 * run in a second stop, behind nothing. */
		calls[0].ret = 0;
		calls[0].err = 0;
		rc = inject_ioctls(tg, calls + 1, n, opts.timeout_s * 1000, &v->rep, why, whylen);
	}
	if (rc < 0) {
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
		for (size_t i = 0; i < n; i++) {
			ops[i].done = calls[i + 1].err != ECANCELED;
			ops[i].ret = calls[i + 1].ret;
			ops[i].err = calls[i + 1].ret < 0 ? calls[i + 1].err : 0;
			positive_as_error(&ops[i]);
		}
	}
	free(calls);
	return res;
}

/* Returns 0 when the plan ran in the creator, else an exit code (message printed by caller via v). */
static int run_in_owner(const struct vmfd *vm, struct op *ops, size_t n_ops, struct verdict *v)
{
	struct vm_holder holders[MAX_CANDIDATES];
	int holders_fds[MAX_VM_FDS];
	char why[320] = "", buf[200], pids[160] = "";
	bool scanned = false;
	int n;

	if (vm->holder_pid) {
		holders[0] = (struct vm_holder){ vm->holder_pid, vm->holder_fd, vm->holder_start };
		n = 1;
	} else if (vm->peer_pid > 0 && vm_fds_of(vm->peer_pid, holders_fds, MAX_VM_FDS) < 0 &&
		   (errno == EACCES || errno == EPERM)) {
		/* The likeliest creator is out of sight: say so, not "nobody holds it". */
		int err = errno;

		if (lacks_support(&ops[0], v))
			return v->exit_code;
		v->exit_code = KA_EXIT_PERMISSION;
		snprintf(v->why, sizeof(v->why), "cannot look into the VMM (pid %d, the socket's peer) to run %s there: /proc/%d/fd: %s",
			 (int)vm->peer_pid, ops[0].io->name, (int)vm->peer_pid, strerror(err));
		snprintf(v->todo, sizeof(v->todo), "run as root or as the VMM's user");
		return v->exit_code;
	} else {
		/* the peer first, alone; every process only when it is not the creator */
		n = vm_holders(vm->fd, vm->peer_pid, holders, MAX_CANDIDATES, true);
		scanned = n == 0;
		if (scanned)
			n = vm_holders(vm->fd, vm->peer_pid, holders, MAX_CANDIDATES, false);
	}
	for (int i = 0; i < n; i++) {
		why[0] = '\0';
		switch (try_holder(vm, &holders[i], ops, n_ops, v, why, sizeof(why))) {
		case OWNER_RAN:
			return 0;
		case OWNER_FAILED:
			if (lacks_support(&ops[0], v)) {
				snprintf(v->todo + strlen(v->todo), sizeof(v->todo) - strlen(v->todo),
					 " (it could not run inside the VMM, pid %d, to see for itself: %s)",
					 (int)holders[i].pid, why);
				return v->exit_code;
			}
			snprintf(v->why, sizeof(v->why), "cannot run %s inside the VMM (pid %d): %s",
				 ops[0].io->name, (int)holders[i].pid, why);
			return v->exit_code;
		case OWNER_NOT_FOUND:
			snprintf(pids + strlen(pids), sizeof(pids) - strlen(pids), "%s%d", pids[0] ? ", " : "", (int)holders[i].pid);
			if (i == n - 1 && !scanned && !vm->holder_pid) {
				/* the peer only forwarded the fd: look at every process */
				scanned = true;
				n = vm_holders(vm->fd, vm->peer_pid, holders, MAX_CANDIDATES, false);
				i = 0;	/* holders[0] is the peer again: skip it */
			}
			break;
		}
	}
	if (lacks_support(&ops[0], v))
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

/* The VMM already proven: run more there, in one more stop. */
static int run_in_owner_once(const struct vmfd *vm, const struct vm_holder *h, struct op *ops, size_t n,
			     struct verdict *v)
{
	char why[320] = "";

	if (try_holder(vm, h, ops, n, v, why, sizeof(why)) == OWNER_RAN)
		return 0;
	if (!v->exit_code)
		v->exit_code = KA_EXIT_NOT_OWNER;
	snprintf(v->why, sizeof(v->why), "cannot run %s inside the VMM (pid %d) again: %s",
		 ops[0].io->name, (int)h->pid, why[0] ? why : "it no longer created this VM");
	return v->exit_code;
}

/* ------------------------------------------------------------ issuing */

static size_t issue_in_self(int vmfd, struct op *ops, size_t n)
{
	size_t failed = n;

	for (size_t i = 0; i < n; i++) {
		ops[i].ret = ioctl(vmfd, ops[i].io->request, &ops[i].arg);
		ops[i].err = ops[i].ret < 0 ? errno : 0;
		positive_as_error(&ops[i]);
		ops[i].done = true;
		if (ops[i].ret < 0 && ops[i].role == OP_DO)
			return i;
		if (ops[i].ret < 0 && failed == n && ops[i].role == OP_UNDO)
			failed = i;
	}
	return failed;
}

enum where { WHERE_UNKNOWN, WHERE_SELF, WHERE_VMM, WHERE_NONE };

/* Where the plan's kernel steps run, found once and kept for the undo. */
struct runner {
	struct plan *p;
	struct vmfd vm;
	enum where where;
	struct verdict v;
	struct op self_try;	/* our own attempt that met the creator-only rule */
	bool have_self_try;
};

/* The first DO op of ops[0..n) that failed, or n. */
static size_t first_failed(const struct op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ops[i].role == OP_DO && ops[i].done && ops[i].ret < 0)
			return i;
	return n;
}

/*
 * Issue ops[0..n) on the plan's VM: here while the kernel lets us, else in
 * one stop of the VM's creator.  The first call decides where, once.
 * Returns 0 when they reached the kernel (each op has its result), else
 * an exit code with r->v saying why nothing ran.
 */
static int issue(struct runner *r, struct op *ops, size_t n)
{
	struct verdict *v = &r->v;

	if (n == 0)
		return 0;
	if (r->where == WHERE_SELF) {
		issue_in_self(r->vm.fd, ops, n);
		return 0;
	}
	if (r->where == WHERE_VMM) {
		struct vm_holder h = { v->ran_target.pid, v->ran_target.fd, v->ran_target.start_time };

		return run_in_owner_once(&r->vm, &h, ops, n, v);
	}
	if (r->where == WHERE_NONE)
		return v->exit_code ? v->exit_code : KA_EXIT_NOT_OWNER;
	if (r->vm.fd >= 0 && opts.via != VIA_OWNER) {
		size_t failed = issue_in_self(r->vm.fd, ops, n);

		/* EIO hides the reason: is it KVM's creator-only rule? */
		if (failed < n && ops[failed].err == EIO)
			v->creator_check_err = ioctl(r->vm.fd, KVM_CHECK_EXTENSION, KVM_CAP_IOMMU) < 0 ? errno : 0;
		if (v->creator_check_err != EIO || opts.via != VIA_AUTO || failed != 0) {
			r->where = WHERE_SELF;
			return 0;
		}
		r->self_try = ops[0];
		r->have_self_try = true;
		for (size_t i = 0; i < n; i++)
			ops[i].done = false;
	}
	if (run_in_owner(&r->vm, ops, n, v) != 0) {
		r->where = WHERE_NONE;
		if (r->have_self_try)
			ops[0] = r->self_try;	/* then our own attempt is what reached the kernel */
		return v->exit_code;
	}
	r->where = WHERE_VMM;
	return 0;
}

/* ------------------------------------------------------------ undo */

/* The command that does by hand the undo rollback could not. */
static void undo_command(const struct step *s, char *buf, size_t len)
{
	static const char *const types[] = { "intx", "msi", "msix" };
	const struct op *u = s->undo_failed;
	char addr[PCI_ADDR_STRLEN] = "", halves[64] = "", vm[160];

	/* The same VM as this run: the pid, socket or fd it was given. */
	if (opts.pid > 0)
		snprintf(vm, sizeof(vm), "--pid=%d", opts.pid);
	else if (opts.socket_path)
		snprintf(vm, sizeof(vm), "--socket=%.140s", opts.socket_path);
	else
		snprintf(vm, sizeof(vm), "--fd=%d", opts.fd);

	if (s->t.have_device)
		device_format(&s->t.addr, addr);
	if (s->kind == STEP_DETACH) {
		snprintf(buf, len, PROGRAM_NAME " reattach%s %s", s->group ? " --group" : "", addr);
		return;
	}
	if (!u) {
		buf[0] = '\0';
		return;
	}
	if (u->io == &ioctl_deassign_pci_device) {
		snprintf(buf, len, PROGRAM_NAME " %s deassign --id=0x%x", vm, u->arg.dev.assigned_dev_id);
	} else if (u->io == &ioctl_deassign_dev_irq) {
		for (int i = 0; i < 3; i++) {
			if (u->arg.irq.flags & (KVM_DEV_IRQ_HOST_INTX << i))
				snprintf(halves + strlen(halves), sizeof(halves) - strlen(halves), " --host=%s", types[i]);
			if (u->arg.irq.flags & (KVM_DEV_IRQ_GUEST_INTX << i))
				snprintf(halves + strlen(halves), sizeof(halves) - strlen(halves), " --guest=%s", types[i]);
		}
		snprintf(buf, len, PROGRAM_NAME " %s irq --remove --id=0x%x%s", vm, u->arg.irq.assigned_dev_id, halves);
	} else {
		snprintf(buf, len, PROGRAM_NAME " %s intx-mask --id=0x%x %s", vm, u->arg.dev.assigned_dev_id,
			 u->arg.dev.flags & KVM_DEV_ASSIGN_MASK_INTX ? "on" : "off");
	}
}

/* The ioctl that takes away what op did, into *u; false if none. */
static bool undo_of(const struct op *op, struct op *u)
{
	memset(u, 0, sizeof(*u));
	u->step = op->step;
	u->role = OP_UNDO;
	if (op->io == &ioctl_assign_pci_device) {
		u->io = &ioctl_deassign_pci_device;
		u->arg.dev.assigned_dev_id = op->arg.dev.assigned_dev_id;
	} else if (op->io == &ioctl_assign_dev_irq) {
		/* Exactly the halves it added (a batch adds them one at a time). */
		u->io = &ioctl_deassign_dev_irq;
		u->arg.irq.assigned_dev_id = op->arg.irq.assigned_dev_id;
		u->arg.irq.flags = op->arg.irq.flags;
	} else if (op->io == &ioctl_set_intx_mask) {
		u->io = &ioctl_set_intx_mask;
		u->arg.dev.assigned_dev_id = op->arg.dev.assigned_dev_id;
		u->arg.dev.flags = op->arg.dev.flags ^ KVM_DEV_ASSIGN_MASK_INTX;
	} else {
		return false;	/* msix: the count and entries go with the device */
	}
	return true;
}

/* Set by SIGINT, SIGTERM or SIGHUP during a batch (catch_signals). */
static volatile sig_atomic_t got_signal;

static void sysfs_ctx_for(const struct plan *p, struct sysfs_ctx *ctx)
{
	sysfs_init(ctx, p->sysroot);
	ctx->stop = &got_signal;
	ctx->dry_run = opts.dry_run;
	ctx->verbose = opts.verbose;
	ctx->log = opts.json ? stderr : stdout;
}

/* Issue the gathered kernel undos u[from, n) in one go, each tried even if
 * one before it fails; mark their steps. */
static size_t flush_undo(struct runner *r, struct op *u, size_t from, size_t n)
{
	struct plan *p = r->p;
	size_t bad = 0;

	if (from == n)
		return 0;
	if (issue(r, u + from, n - from) != 0)
		for (size_t i = from; i < n; i++)
			u[i].done = false;
	for (size_t i = from; i < n; i++) {
		struct step *s = &p->steps[u[i].step];

		if (u[i].done && u[i].ret >= 0)
			continue;
		bad++;
		s->state = STEP_UNDO_FAILED;
		s->undo_failed = &u[i];
		snprintf(s->note, sizeof(s->note), "%s %s", u[i].io->name,
			 u[i].done ? errno_name(u[i].err) : "not run");
	}
	return bad;
}

/*
 * Undo, in reverse, what steps [0, upto] did (the failed step upto may have
 * done part: a host irq half, an MSI-X count).  The kernel undos between two
 * sysfs steps go in one go (one stop of the VMM); a detach is undone by
 * reattach.  Returns how many undos failed; *undo_out the ioctls issued.
 */
static size_t rollback(struct runner *r, size_t upto, struct op **undo_out, size_t *nundo)
{
	struct plan *p = r->p;
	size_t cap = 16, n = 0, from = 0, bad = 0;
	struct op *u = xcalloc(cap, sizeof(*u));

	for (size_t k = upto < p->nsteps ? upto + 1 : upto; k-- > 0;) {
		struct step *s = &p->steps[k];
		bool any = false;

		if (s->state != STEP_DONE && s->state != STEP_FAILED)
			continue;
		if (s->kind == STEP_DETACH && s->state == STEP_DONE) {
			struct sysfs_ctx ctx;
			struct detach_report rep = { 0 };
			char addr[PCI_ADDR_STRLEN];
			bool changed = false;

			for (size_t i = 0; i < s->rep.n; i++)
				changed |= s->rep.e[i].changed;
			if (!changed) {
				/* It was there already (maybe for another VM): leave it. */
				s->state = STEP_KEPT;
				snprintf(s->note, sizeof(s->note), "nothing to undo: it was on %s already", s->driver);
				continue;
			}
			bad += flush_undo(r, u, from, n);
			from = n;
			sysfs_ctx_for(p, &ctx);
			device_format(&s->t.addr, addr);
			if (reattach_device(&ctx, addr, s->group, &rep) == 0) {
				s->state = STEP_UNDONE;
			} else {
				s->state = STEP_UNDO_FAILED;
				snprintf(s->note, sizeof(s->note), "%.200s", rep.why);
				bad++;
			}
			detach_report_free(&rep);
			continue;
		}
		if (s->kind != STEP_KERNEL)
			continue;
		for (size_t i = s->first + s->n; i-- > s->first;) {
			const struct op *op = &p->ops[i];

			if (op->role != OP_DO || !op->done || op->ret < 0)
				continue;
			if (n == cap)
				u = xrealloc(u, (cap *= 2) * sizeof(*u));
			if (undo_of(op, &u[n])) {
				n++;
				any = true;
			}
		}
		if (s->state == STEP_DONE)
			s->state = any ? STEP_UNDONE : STEP_KEPT;
		if (!any && s->state == STEP_KEPT)
			snprintf(s->note, sizeof(s->note), "%s",
				 p->ops[s->first].io == &ioctl_set_msix_nr
				 ? "nothing to undo: the MSI-X count and entries stay until the device is deassigned"
				 : "nothing to undo");
	}
	bad += flush_undo(r, u, from, n);
	*undo_out = u;
	*nundo = n;
	return bad;
}

/* ------------------------------------------------------------ signals */


static void on_signal(int sig)
{
	got_signal = sig;
}

static bool interrupted_by(int *sig)
{
	*sig = got_signal;
	return *sig != 0;
}

/* A batch stops between steps on SIGINT, SIGTERM or SIGHUP, and rolls back. */
static void catch_signals(bool on)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	/* SA_RESTART: a signal only sets the flag, it never cuts a call short. */
	struct sigaction sa = { .sa_handler = on ? on_signal : SIG_DFL, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* ------------------------------------------------------------ reporting */

/* The whole plan: each ioctl with its bytes, each sysfs write (those a
 * detach or reattach would make); returns the first sysfs step's refusal. */
static int print_dry_run(const struct plan *p)
{
	char bytes[2 * sizeof(p->ops[0].arg) + 1];
	int rc = KA_EXIT_OK;

	for (size_t k = 0; k < p->nsteps; k++) {
		const struct step *s = &p->steps[k];

		if (p->file && !opts.json)
			out_line(stdout, "# %s:%u: %s", p->file, s->line, s->what);
		if (s->kind != STEP_KERNEL) {
			struct sysfs_ctx ctx;
			struct detach_report rep = { 0 };
			struct detach_request req = { .target = s->driver, .group = s->group, .force = s->force };
			char addr[PCI_ADDR_STRLEN];

			sysfs_ctx_for(p, &ctx);
			ctx.log = stdout;
			device_format(&s->t.addr, addr);
			int r = s->kind == STEP_DETACH ? detach_device(&ctx, addr, &req, &rep)
						       : reattach_device(&ctx, addr, s->group, &rep);
			if (r) {
				err_msg("%s%s:%u: %s: %s", p->file ? "batch " : "", p->file ? p->file : "",
					s->line, s->what, rep.why);
				if (!rc)
					rc = r;
			}
			detach_report_free(&rep);
			continue;
		}
		for (size_t i = s->first; i < s->first + s->n; i++) {
			if (opts.json) {
				print_op_json(p, &p->ops[i], NULL);
				continue;
			}
			hex_bytes(&p->ops[i], bytes);
			print_op_text(&p->ops[i], stdout);
			printf(" bytes=%s\n", bytes);
		}
	}
	return rc;
}

static void report_ops(const struct plan *p, const struct op *ops, size_t n, const struct verdict *v)
{
	for (size_t i = 0; i < n; i++) {
		if (!ops[i].done)
			continue;
		if (opts.json) {
			print_op_json(p, &ops[i], v);
			continue;
		}
		if (!opts.verbose)
			continue;
		if (ops[i].role == OP_UNDO)
			printf("undo: ");
		print_op_text(&ops[i], stdout);
		printf(": %s", ops[i].ret < 0 ? errno_name(ops[i].err) : "ok");
		if (v->ran_in)
			printf(" in pid %d (VMM stopped %.3f ms)\n", (int)v->ran_in, v->rep.stopped_ms);
		else
			printf(" in this process\n");
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

static const char *state_name(enum step_state s)
{
	static const char *const names[] = { "not-run", "done", "failed", "undone", "undo-failed", "kept" };

	return names[s];
}

/* A batch: one line (or JSON object) per step, then the summary. */
static void report_batch(const struct plan *p, size_t failed, const struct failure *f, size_t undo_bad, int sig)
{
	char cmd[256];

	for (size_t k = 0; k < p->nsteps; k++) {
		const struct step *s = &p->steps[k];

		if (opts.json) {
			struct json j;

			json_init(&j, stdout);
			json_open(&j, NULL);
			json_u64(&j, "line", s->line);
			json_str(&j, "operation", s->command);
			json_str(&j, "step", s->what);
			json_str(&j, "result", state_name(s->state));
			json_str(&j, "message", k == failed ? f->why : s->note[0] ? s->note : NULL);
			if (k == failed)
				json_str(&j, "hint", f->todo[0] ? f->todo : NULL);
			json_close(&j);
		} else if (!opts.quiet && (s->state != STEP_PENDING || opts.verbose)) {
			out_line(stdout, "%s:%u: %s: %s%s%s", p->file, s->line, s->what, state_name(s->state),
			       s->note[0] ? ": " : "", s->note);
		}
	}
	if (opts.json) {
		struct json j;

		json_init(&j, stdout);
		json_open(&j, NULL);
		json_str(&j, "summary", p->file);
		json_u64(&j, "steps", p->nsteps);
		json_u64(&j, "done", failed < p->nsteps ? failed : p->nsteps);
		if (failed < p->nsteps)
			json_u64(&j, "failed_line", p->steps[failed].line);
		else
			json_null(&j, "failed_line");
		json_str(&j, "signal", sig ? strsignal(sig) : NULL);
		json_bool(&j, "rolled_back", failed < p->nsteps && !p->no_rollback);
		json_u64(&j, "undo_failed", undo_bad);
		json_str(&j, "message", f->exit_code ? f->why : NULL);
		json_str(&j, "hint", f->todo[0] ? f->todo : NULL);
		json_i64(&j, "exit_code", f->exit_code);
		json_close(&j);
	}
	/* Stderr: the failure, then loudly what rollback could not undo. */
	if (f->exit_code) {
		char what[160];

		if (failed < p->nsteps)
			snprintf(what, sizeof(what), "batch %s:%u: %s", p->file, p->steps[failed].line, p->steps[failed].what);
		else
			snprintf(what, sizeof(what), "batch %s", p->file);
		if (f->todo[0])
			err_msg("%s: %s: %s", what, f->why, f->todo);
		else
			err_msg("%s: %s", what, f->why);
	}
	if (!undo_bad)
		return;
	err_msg("batch %s: ROLLBACK INCOMPLETE: %zu step%s could not be undone; the device is half set up:",
		p->file, undo_bad, undo_bad == 1 ? "" : "s");
	for (size_t k = p->nsteps; k-- > 0;) {
		const struct step *s = &p->steps[k];

		if (s->state != STEP_UNDO_FAILED)
			continue;
		undo_command(s, cmd, sizeof(cmd));
		err_msg("batch %s:%u: left: %s (%s): clean up with: %s", p->file, s->line, s->what, s->note,
			cmd[0] ? cmd : "see kvm-assign(8)");
	}
}

/* ------------------------------------------------------------ running */

/* Get the VM fd; with --json its error is an object on stdout too. */
static int acquire_vm(struct plan *p, struct vmfd *vm)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem, *saved = stderr;
	struct failure f = { 0 };
	int rc;

	if (!opts.json)
		return vmfd_acquire(vm);
	/* vmfd.c prints its one error line: catch it, and say it in both forms. */
	mem = open_memstream(&text, &len);
	if (!mem)
		return vmfd_acquire(vm);
	stderr = mem;
	rc = vmfd_acquire(vm);
	stderr = saved;
	fclose(mem);
	if (rc) {
		size_t pre = strlen(PROGRAM_NAME ": ");
		char *nl;

		if (strncmp(text, PROGRAM_NAME ": ", pre) != 0)
			pre = 0;
		nl = strchr(text + pre, '\n');
		if (nl)
			*nl = '\0';
		f.exit_code = rc;
		snprintf(f.why, sizeof(f.why), "%s", text + pre);
		if (nl)
			*nl = '\n';
		failure_json(p->file ? "batch" : p->nsteps ? p->steps[0].what : p->command, &f);
	}
	if (len)
		fputs(text, stderr);	/* stderr says what it says without --json */
	free(text);
	return rc;
}

/* Steps [k, end) of one kind, kernel steps run together: the end of k's run. */
static size_t segment_end(const struct plan *p, size_t k)
{
	size_t e = k + 1;

	if (p->steps[k].kind != STEP_KERNEL)
		return e;
	while (e < p->nsteps && p->steps[e].kind == STEP_KERNEL)
		e++;
	return e;
}

int plan_run(struct plan *p)
{
	struct runner r = { .p = p, .vm = { .fd = -1 }, .v = { .creator_check_err = -1 } };
	struct failure f = { 0 };
	size_t failed = p->nsteps, undo_bad = 0, nundo = 0;
	struct op *undo = NULL;
	bool kernel = false;
	int sig = 0;

	if (opts.dry_run)
		return print_dry_run(p);
	for (size_t k = 0; k < p->nsteps; k++)
		kernel |= p->steps[k].kind == STEP_KERNEL;
	if (kernel) {
		int rc = acquire_vm(p, &r.vm);

		if (rc)
			return rc;
	}
	if (p->file)
		catch_signals(true);

	/* Each run of kernel steps in one go; a sysfs step alone. */
	for (size_t k = 0; k < p->nsteps && failed == p->nsteps; k = segment_end(p, k)) {
		size_t end = segment_end(p, k);
		struct step *s = &p->steps[k];

		if (p->file && interrupted_by(&sig)) {
			failed = k;
			break;
		}
		if (s->kind != STEP_KERNEL) {
			struct sysfs_ctx ctx;
			struct detach_request req = { .target = s->driver, .group = s->group, .force = s->force };
			char addr[PCI_ADDR_STRLEN];
			int rc;

			sysfs_ctx_for(p, &ctx);
			device_format(&s->t.addr, addr);
			rc = s->kind == STEP_DETACH ? detach_device(&ctx, addr, &req, &s->rep)
						    : reattach_device(&ctx, addr, s->group, &s->rep);
			s->state = rc ? STEP_FAILED : STEP_DONE;
			if (rc) {
				failed = k;
				f.exit_code = rc;
				snprintf(f.why, sizeof(f.why), "%.700s", s->rep.why);
			}
			continue;
		}
		size_t first = s->first, n = p->steps[end - 1].first + p->steps[end - 1].n - first;
		int rc = issue(&r, &p->ops[first], n);
		size_t bad = first_failed(&p->ops[first], n);

		if (rc) {
			failed = k;
			f.exit_code = rc;
		} else if (bad < n) {
			failed = p->ops[first + bad].step;
			if (r.v.creator_check_err == EIO && !r.v.ran_in)
				explain_not_creator(&p->ops[first + bad], &r.v);
			else
				explain_failure(&p->steps[failed], &r.vm, &p->ops[first + bad], &r.v);
			f.exit_code = r.v.exit_code;
		}
		for (size_t i = k; i < end; i++)
			p->steps[i].state = i < failed ? STEP_DONE : i == failed ? STEP_FAILED : STEP_PENDING;
		if (f.exit_code) {
			snprintf(f.why, sizeof(f.why), "%s", r.v.why);
			snprintf(f.todo, sizeof(f.todo), "%s", r.v.todo);
		}
	}
	/* All ran when the signal came: undo them all. */
	if (failed == p->nsteps && p->file)
		interrupted_by(&sig);
	if (sig) {
		f.exit_code = 128 + sig;
		snprintf(f.why, sizeof(f.why), "stopped by %s between steps", strsignal(sig));
		snprintf(f.todo, sizeof(f.todo), "%s",
			 p->no_rollback ? "the steps done stay done (--no-rollback)" : "the steps done were undone");
	}
	if ((failed < p->nsteps || sig) && !p->no_rollback && p->file)
		undo_bad = rollback(&r, failed, &undo, &nundo);
	if (p->file)
		catch_signals(false);

	if (r.have_self_try && r.v.ran_in)
		report_self_try(p, &r.self_try, &r.v);
	if (!p->file || opts.verbose) {
		report_ops(p, p->ops, p->n, &r.v);
		report_ops(p, undo, nundo, &r.v);
	}
	if (opts.verbose && !opts.json && r.v.probed)
		printf("probe: %s on a VM of our own: %s (%s)\n", r.v.probe.step,
		       r.v.probe.err ? errno_name(r.v.probe.err) : "ok", probe_result_name(r.v.probe.result));
	if (p->file) {
		if (undo_bad) {
			size_t len = strlen(f.todo);

			f.exit_code = KA_EXIT_ROLLBACK;
			snprintf(f.todo + len, sizeof(f.todo) - len, "%srollback was incomplete: see below",
				 len ? "; " : "");
		}
		report_batch(p, failed, &f, undo_bad, sig);
	} else if (f.exit_code) {
		/* Nothing reached the kernel: --json still says why, once. */
		if (opts.json && !p->ops[0].done)
			print_op_json(p, &p->ops[0], &r.v);
		if (f.todo[0])
			err_msg("%s: %s: %s", p->steps[0].what, f.why, f.todo);
		else
			err_msg("%s: %s", p->steps[0].what, f.why);
	}
	free(undo);
	vmfd_release(&r.vm);
	return f.exit_code;
}
