/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd-status.c - the status command: its options, and the table (or one
 * JSON object) of the devices off their host drivers and what comes next.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "json.h"
#include "kvm-assign.h"
#include "status.h"
#include "util.h"

static const char status_help[] =
	"Usage:\n"
	" kvm-assign [options] status [--sysroot=<dir>] [--probe] [<device>]\n"
	"\nShow every PCI device that kvm-assign detached (its record in\n"
	"/run/kvm-assign/), that sits on pci-stub or vfio-pci, or that a VM holds\n"
	"(enabled off a host driver, or with interrupts routed to KVM): its driver,\n"
	"what reattach would restore, its enable count, its kvm:ADDR lines in\n"
	"/proc/interrupts, the VMMs (processes holding a VM) that may hold it, and\n"
	"the command to run next.  With <device>, that device whatever its driver.\n"
	"Only reads; nothing is changed.\n"
	"\nOptions:\n"
	"     --sysroot=<dir>   read <dir>/sys, <dir>/proc and <dir>/run instead (a\n"
	"                       snapshot, a container's view)\n"
	"     --probe           ask inside each VMM which of the devices its VM holds\n"
	"                       (one harmless ioctl each, in one short stop of the VMM;\n"
	"                       the device id assign derives from the address)\n"
	"\nExit status: 0 shown, 2 usage, 5 <device> is neither present nor recorded.\n";

static void irq_list(const struct status_device *d, char *buf, size_t len)
{
	size_t used = 0;

	snprintf(buf, len, "-");
	for (size_t i = 0; i < d->nirqs && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%u", i ? "," : "", d->irqs[i]);
}

static const char *record_word(const struct status_device *d, char *buf, size_t len)
{
	if (d->record < 0)
		return "unusable";
	if (d->record == 0)
		return "-";
	escape_for_terminal(buf, len, *d->rec.driver ? d->rec.driver : "(no driver)");
	return buf;
}

/* "1234 (qemu-system-x86), 99 (stub-vmm)": the VMMs that may hold a device. */
static void vmm_list(const struct status_report *rep, const pid_t *only, size_t nonly, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < rep->nvmm && used < len; i++) {
		bool want = !only;

		for (size_t k = 0; only && k < nonly; k++)
			want |= only[k] == rep->vmm[i].pid;
		if (want)
			used += (size_t)snprintf(buf + used, len - used, "%s%d (%s)", used ? ", " : "",
						 (int)rep->vmm[i].pid, *rep->vmm[i].comm ? rep->vmm[i].comm : "?");
	}
}

static void print_vmm_line(const struct status_report *rep, const struct status_device *d)
{
	char list[1024];

	if (d->probe == 1) {
		vmm_list(rep, d->holders, d->nholders, list, sizeof(list));
		printf("    vmm:  its VM is in %s\n", list);
	} else if (d->probe == 0 && d->held) {
		printf("    vmm:  no VM holds it under the id assign derives from %s (a VFIO user, or another --id?)\n", d->addr);
	} else if (d->probe == 0) {
		return;
	} else if (d->held && rep->nvmm) {
		vmm_list(rep, NULL, 0, list, sizeof(list));
		printf("    vmm:  may be held by %s: --probe asks inside each\n", list);
	} else if (d->held) {
		printf("    vmm:  no process holds a VM%s\n", rep->unreadable ? " that this user can see" : "");
	}
}

static void print_human(const struct status_report *rep)
{
	char drv[64], rec[64], irqs[512];

	if (!rep->n) {
		puts("no device detached by kvm-assign, on pci-stub or vfio-pci, or held by a VM");
		return;
	}
	printf("%-13s %-12s %-10s %-7s %s\n", "DEVICE", "DRIVER", "RECORD", "ENABLE", "KVM IRQS");
	for (size_t i = 0; i < rep->n; i++) {
		const struct status_device *d = &rep->dev[i];
		char enable[16];

		escape_for_terminal(drv, sizeof(drv), !d->present ? "(gone)" : *d->driver ? d->driver : "(none)");
		snprintf(enable, sizeof(enable), d->enable < 0 ? "?" : "%d", d->enable);
		irq_list(d, irqs, sizeof(irqs));
		printf("%-13s %-12s %-10s %-7s %s\n", d->addr, drv, record_word(d, rec, sizeof(rec)), enable, irqs);
		if (d->record < 0) {
			fputs("    record: ", stdout);
			fputs_escaped(d->record_why, stdout);
			putchar('\n');
		}
		print_vmm_line(rep, d);
		for (size_t k = 0; k < d->nnext; k++)
			printf("    %s %s  (%s)\n", k ? "or:  " : "next:", d->next[k].command, d->next[k].purpose);
	}
	for (size_t i = 0; i < rep->nvmm; i++)
		if (rep->vmm[i].probe_why[0]) {
			printf("probe: pid %d (%s): ", (int)rep->vmm[i].pid, rep->vmm[i].comm);
			fputs_escaped(rep->vmm[i].probe_why, stdout);
			putchar('\n');
		}
}

static void json_device(struct json *j, const struct status_report *rep, const struct status_device *d)
{
	json_open(j, NULL);
	json_str(j, "device", d->addr);
	json_bool(j, "present", d->present);
	json_str(j, "driver", *d->driver ? d->driver : NULL);
	if (d->record == 1) {
		json_open(j, "record");
		json_str(j, "path", d->record_path);
		json_str(j, "driver", *d->rec.driver ? d->rec.driver : NULL);
		json_str(j, "override", *d->rec.override ? d->rec.override : NULL);
		json_str(j, "target", d->rec.target);
		json_close(j);
	} else {
		json_null(j, "record");
	}
	json_str(j, "record_error", d->record < 0 ? d->record_why : NULL);
	if (d->enable >= 0)
		json_i64(j, "enable", d->enable);
	else
		json_null(j, "enable");
	json_open_array(j, "kvm_irqs");
	for (size_t i = 0; i < d->nirqs; i++)
		json_u64(j, NULL, d->irqs[i]);
	json_close_array(j);
	json_bool(j, "held", d->held);
	json_open_array(j, "held_by");	/* --probe's answer; without it, every VMM may */
	for (size_t i = 0; i < (d->probe >= 0 ? d->nholders : d->held ? rep->nvmm : 0); i++)
		json_i64(j, NULL, d->probe >= 0 ? d->holders[i] : rep->vmm[i].pid);
	json_close_array(j);
	json_str(j, "probe", d->probe < 0 ? "not asked" : d->probe ? "held" : "not held");
	json_open_array(j, "next");
	for (size_t i = 0; i < d->nnext; i++) {
		json_open(j, NULL);
		json_str(j, "command", d->next[i].command);
		json_str(j, "purpose", d->next[i].purpose);
		json_close(j);
	}
	json_close_array(j);
	json_close(j);
}

static void print_json(const struct sysfs_ctx *ctx, const struct status_report *rep)
{
	struct json j;

	json_init(&j, stdout);
	json_open(&j, NULL);
	json_str(&j, "operation", "status");
	json_str(&j, "sysroot", *ctx->root ? ctx->root : NULL);
	json_open_array(&j, "devices");
	for (size_t i = 0; i < rep->n; i++)
		json_device(&j, rep, &rep->dev[i]);
	json_close_array(&j);
	json_open_array(&j, "vmms");
	for (size_t i = 0; i < rep->nvmm; i++) {
		const struct status_vmm *v = &rep->vmm[i];

		json_open(&j, NULL);
		json_i64(&j, "pid", v->pid);
		json_str(&j, "comm", v->comm);
		json_open_array(&j, "vm_fds");
		for (int k = 0; k < v->nfds; k++)
			json_i64(&j, NULL, v->fds[k]);
		json_close_array(&j);
		json_str(&j, "probe_error", v->probe_why[0] ? v->probe_why : NULL);
		json_close(&j);
	}
	json_close_array(&j);
	json_u64(&j, "unreadable_processes", rep->unreadable);
	json_close(&j);
}

int cmd_status(int argc, const char **argv)
{
	const char *args[1] = { NULL };
	char *sysroot = NULL, why[256], addr[PCI_ADDR_STRLEN];
	int probe = 0, rc;
	uid_t uids[3] = { 0, getuid(), 0 };
	struct status_request req = { .uids = uids, .nuids = 2, .timeout_ms = opts.timeout_s * 1000 };
	struct status_report rep;
	struct sysfs_ctx ctx;
	struct pci_addr a;
	poptContext con = NULL;
	const struct poptOption table[] = {
		{ "sysroot", '\0', POPT_ARG_STRING, &sysroot, 0, "read DIR/sys, DIR/proc, DIR/run", "DIR" },
		{ "probe", '\0', POPT_ARG_NONE, &probe, 0, "ask inside each VMM", NULL },
		POPT_TABLEEND
	};

	rc = parse_command("status", argc, argv, table, status_help, &con);
	if (!rc)
		rc = take_args("status", con, args, 1);
	if (rc)
		goto out;
	if (args[0] && !device_parse(args[0], &a, why, sizeof(why))) {
		rc = usage_err("status", "%s", why);
		goto out;
	}
	rc = sysroot_arg("status", sysroot);
	if (rc)
		goto out;
	if (sysroot) {
		if (probe) {
			rc = usage_err("status", "--probe asks this host's VMMs: it does not go with --sysroot");
			goto out;
		}
	}
	if (args[0]) {
		device_format(&a, addr);
		req.only = addr;
	}
	if (opts.owner >= 0)
		uids[req.nuids++] = (uid_t)opts.owner;
	req.probe = probe;
	sysfs_init(&ctx, sysroot);
	rc = status_gather(&ctx, &req, &rep);
	if (rc == KA_EXIT_NODEV)
		err_msg("%s: no such device (no %s/sys/bus/pci/devices/%s) and no record of it: lspci -D lists the devices",
			addr, ctx.root, addr);
	else if (opts.json)
		print_json(&ctx, &rep);
	else if (!opts.quiet)
		print_human(&rep);
	status_report_free(&rep);
out:
	if (con)
		poptFreeContext(con);
	free(sysroot);
	return rc;
}
