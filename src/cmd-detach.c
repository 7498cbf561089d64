/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd-detach.c - the detach and reattach commands: their options, and the
 * report of what moved (one line, or one JSON object, per device).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detach.h"
#include "exitcodes.h"
#include "json.h"
#include "kvm-assign.h"
#include "util.h"

#define SYSROOT_HELP \
	"     --sysroot=<dir>   act on <dir>/sys, <dir>/proc and <dir>/run instead of\n" \
	"                       /sys, /proc and /run (a container's or chroot's view;\n" \
	"                       no modprobe there)\n"

static const char detach_help[] =
	"Usage:\n"
	" kvm-assign [options] detach [--driver=<name>] [--group] [--force] <device>\n"
	"\nTake the device from its host driver and bind it to pci-stub (legacy\n"
	"assignment) or vfio-pci (VFIO) through driver_override (before Linux 3.16:\n"
	"the driver's new_id with the device's exact ids, then bind), loading the driver\n"
	"with modprobe if needed.  What it replaced is recorded in /run/kvm-assign/\n"
	"for 'kvm-assign reattach'.  A device the host uses (a network interface up\n"
	"with an address or a route, a mounted filesystem or swap, the boot VGA\n"
	"device) is refused unless --force; a bridge or a device without BARs always.\n"
	"\nOptions:\n"
	"     --driver=<name>   pci-stub, vfio-pci, or auto (the default): pci-stub\n"
	"                       where the kernel has legacy assignment, else vfio-pci\n"
	"     --group           also detach the endpoints of its IOMMU group that host\n"
	"                       drivers hold (vfio-pci needs them all off); all or none\n"
	"     --force           detach although the host uses the device\n"
	SYSROOT_HELP
	"\n--dry-run prints each write (echo VALUE > PATH) and makes none; -v prints\n"
	"each as it is made.\n"
	"\nExit status: 0 detached or already there, 1 refused (in use, a bridge, no\n"
	"BARs, group members on host drivers) or the kernel refused a write, 2 usage,\n"
	"3 the kernel lacks the driver, 4 permission denied,\n"
	"5 no such device, 8 --driver=auto cannot probe /dev/kvm.\n";

static const char reattach_help[] =
	"Usage:\n"
	" kvm-assign [options] reattach [--group] <device>\n"
	"\nGive a device back to the driver it had before 'kvm-assign detach': restore\n"
	"driver_override (or take back the id detach gave new_id, with remove_id),\n"
	"unbind pci-stub or vfio-pci, and bind the recorded driver.\n"
	"Without a record in /run/kvm-assign/ (records last until the host reboots),\n"
	"clear the override and let the kernel's probe (drivers_probe) choose.\n"
	"\nOptions:\n"
	"     --group           also reattach the members of its IOMMU group that\n"
	"                       detach recorded\n"
	SYSROOT_HELP
	"\n--dry-run prints each write (echo VALUE > PATH) and makes none; -v prints\n"
	"each as it is made.\n"
	"\nExit status: 0 given back (or nothing to give back), 1 refused (still used\n"
	"by a VM, a corrupt record) or the kernel refused a write or the driver did\n"
	"not take it, 2 usage, 4 permission denied, 5 no such device.\n";

static void report(const struct sysfs_ctx *ctx, const char *op, const struct detach_report *rep)
{
	bool detach = strcmp(op, "detach") == 0;

	for (size_t i = 0; i < rep->n; i++) {
		const struct detach_entry *e = &rep->e[i];
		const char *before = *e->before ? e->before : "no driver", *after = *e->after ? e->after : "no driver";

		if (opts.json) {
			struct json j;
			char record[4200];

			snprintf(record, sizeof(record), "%s" DETACH_RECORD_DIR "/%s", ctx->root, e->addr);
			json_init(&j, stdout);
			json_open(&j, NULL);
			json_str(&j, "operation", op);
			json_str(&j, "device", e->addr);
			json_str(&j, "before", *e->before ? e->before : NULL);
			json_str(&j, "after", *e->after ? e->after : NULL);
			json_bool(&j, "changed", e->changed);
			json_bool(&j, "dry_run", ctx->dry_run);
			json_str(&j, "record", (detach ? e->changed : e->recorded) ? record : NULL);
			json_str(&j, "message", *e->note ? e->note : NULL);
			json_close(&j);
		} else if (opts.quiet) {
			continue;
		} else if (!e->changed) {
			out_line(stdout, "%s: %s", e->addr, e->note);
		} else {
			out_line(stdout, "%s: %s %s %s %s%s%s", e->addr,
			       ctx->dry_run ? "would move from" : detach ? "detached from" : "reattached: from",
			       before, ctx->dry_run ? "to" : detach ? "to" : "back to", after,
			       *e->note ? "; " : "", e->note);
		}
	}
}

static int run(const char *op, int argc, const char **argv)
{
	bool detach = strcmp(op, "detach") == 0;
	const char *args[1] = { NULL };
	char *driver = NULL, *sysroot = NULL, why[256], addr[PCI_ADDR_STRLEN];
	int group = 0, force = 0, rc;
	struct detach_report rep = { 0 };
	struct sysfs_ctx ctx;
	struct pci_addr a;
	poptContext con = NULL;
	const struct poptOption detach_table[] = {
		{ "driver", '\0', POPT_ARG_STRING, &driver, 0, "pci-stub, vfio-pci or auto", "NAME" },
		{ "group", '\0', POPT_ARG_NONE, &group, 0, "the IOMMU group's bound endpoints too", NULL },
		{ "force", '\0', POPT_ARG_NONE, &force, 0, "although the host uses it", NULL },
		{ "sysroot", '\0', POPT_ARG_STRING, &sysroot, 0, "act on DIR/sys, DIR/proc, DIR/run", "DIR" },
		POPT_TABLEEND
	};
	const struct poptOption reattach_table[] = {
		{ "group", '\0', POPT_ARG_NONE, &group, 0, "the IOMMU group's recorded members too", NULL },
		{ "sysroot", '\0', POPT_ARG_STRING, &sysroot, 0, "act on DIR/sys, DIR/proc, DIR/run", "DIR" },
		POPT_TABLEEND
	};

	rc = parse_command(op, argc, argv, detach ? detach_table : reattach_table,
			   detach ? detach_help : reattach_help, &con);
	if (rc)
		goto out;
	rc = take_args(op, con, args, 1);
	if (rc)
		goto out;
	if (!args[0]) {
		rc = usage_err(op, "no device given");
		goto out;
	}
	if (!device_parse(args[0], &a, why, sizeof(why))) {
		rc = usage_err(op, "%s", why);
		goto out;
	}
	device_format(&a, addr);
	if (driver && strcmp(driver, "auto") != 0 && !detach_target_valid(driver)) {
		rc = usage_err(op, "--driver: '%s' is not a driver detach binds to: pci-stub, vfio-pci or auto", driver);
		goto out;
	}
	rc = sysroot_arg(op, sysroot);
	if (rc)
		goto out;
	sysfs_init(&ctx, sysroot);
	ctx.dry_run = opts.dry_run;
	ctx.verbose = opts.verbose;
	ctx.log = opts.json ? stderr : stdout;	/* stdout stays JSON */
	if (detach) {
		struct detach_request req = { .target = driver ? driver : "auto", .group = group, .force = force };

		rc = detach_device(&ctx, addr, &req, &rep);
	} else {
		rc = reattach_device(&ctx, addr, group, &rep);
	}
	/* What was done before a failure (reattach --group) is still reported. */
	report(&ctx, op, &rep);
	if (rc)
		err_msg("%s", rep.why);
	detach_report_free(&rep);
out:
	if (con)
		poptFreeContext(con);
	free(driver);
	free(sysroot);
	return rc;
}

int cmd_detach(int argc, const char **argv)
{
	return run("detach", argc, argv);
}

int cmd_reattach(int argc, const char **argv)
{
	return run("reattach", argc, argv);
}
