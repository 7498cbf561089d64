/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check.c - the check command: diagnose the host (and a device) for legacy
 * assignment, item by item with the fix, and a verdict in the exit status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pci/pci.h>

#include "check.h"
#include "exitcodes.h"
#include "json.h"
#include "kvm-assign.h"
#include "util.h"

static const char check_help[] =
	"Usage:\n"
	" kvm-assign [options] check [--sysroot=<dir> [--probe]] [<device>]\n"
	"\nDiagnose this host, and a device when given, for legacy device assignment:\n"
	"kernel, /dev/kvm and the probe (a VM of our own, KVM_DEASSIGN_PCI_DEVICE),\n"
	"KVM's capabilities, the IOMMU and interrupt remapping, VFIO, and the\n"
	"device's driver, IOMMU group, BARs and interrupts.  Each item is OK, WARN,\n"
	"FAIL or SKIP (not checked) with why and the fix; then a verdict.\n"
	"\nOptions:\n"
	"     --sysroot=<dir>   read /sys, /proc and /dev/vfio under <dir> (a snapshot);\n"
	"                       libpci's sysfs.path defaults to <dir>/sys/bus/pci\n"
	"     --probe           with --sysroot: still open this host's /dev/kvm\n"
	"\nExit status: 0 legacy assignment can work, 3 kernel lacks support,\n"
	"4 /dev/kvm not accessible, 5 device not found, 8 /dev/kvm missing or\n"
	"unusable, 9 supported but this host or device is not ready (a FAIL item).\n";

static const char *const status_word[] = { "OK", "WARN", "FAIL", "SKIP" };
static const char *const status_json[] = { "ok", "warn", "fail", "skip" };
static const char *const status_colour[] = { "\033[32m", "\033[33m", "\033[1;31m", "\033[2m" };

void check_add(struct check_run *c, const char *section, const char *name,
	       enum check_status st, const char *value, const char *fix, const char *fmt, ...)
{
	struct check_item *it;
	va_list ap;

	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 32;
		c->items = xrealloc(c->items, c->cap * sizeof(*c->items));
	}
	it = &c->items[c->n++];
	it->section = section;
	snprintf(it->name, sizeof(it->name), "%s", name);
	it->status = st;
	it->value = xstrdup(value);
	it->fix = xstrdup(fix);
	va_start(ap, fmt);
	it->message = xvasprintf(fmt, ap);
	va_end(ap);
}

/* Point libpci at the snapshot unless the user chose its sysfs or method. */
static void pci_use_sysroot(const char *sysroot)
{
	char path[4096];

	if (opts.pacc->method == PCI_ACCESS_DUMP)
		return;
	for (struct pci_param *p = pci_walk_params(opts.pacc, NULL); p; p = pci_walk_params(opts.pacc, p))
		if (strcmp(p->param, "sysfs.path") == 0 && p->value_malloced)
			return;	/* set with -O: libpci copied it */
	snprintf(path, sizeof(path), "%s/sys/bus/pci", sysroot);
	pci_set_param(opts.pacc, "sysfs.path", path);
	if (opts.pacc->method == PCI_ACCESS_AUTO)
		opts.pacc->method = PCI_ACCESS_SYS_BUS_PCI;
}

struct verdict {
	const char *legacy;	/* "yes", "no", "unknown" */
	const char *vfio;	/* "yes", "after-modprobe", "no" */
	char message[512];
	int exit_code;
};

static void judge(const struct check_run *c, struct verdict *v)
{
	size_t fails = 0;
	const char *vfio_text;
	char legacy_text[256];

	for (size_t i = 0; i < c->n; i++)
		fails += c->items[i].status == CHECK_FAIL;

	if (c->iommu_groups && c->vfio_module && c->vfio_dev) {
		v->vfio = "yes";
		vfio_text = "VFIO can work: bind the device to vfio-pci";
	} else if (c->iommu_groups) {
		v->vfio = "after-modprobe";
		vfio_text = "VFIO can work once vfio-pci is loaded (modprobe vfio-pci)";
	} else {
		v->vfio = "no";
		vfio_text = "VFIO cannot work either until an IOMMU is on (intel_iommu=on or amd_iommu=on)";
	}

	v->legacy = "no";
	if (c->kvm_exit == KA_EXIT_UNSUPPORTED) {
		v->exit_code = KA_EXIT_UNSUPPORTED;
		snprintf(legacy_text, sizeof(legacy_text), "legacy assignment cannot work: the kernel lacks it");
	} else if (c->kvm_exit) {
		v->legacy = "unknown";
		v->exit_code = c->kvm_exit;
		snprintf(legacy_text, sizeof(legacy_text), "cannot tell whether legacy assignment can work: %s",
			 c->kvm_exit == KA_EXIT_PERMISSION ? "/dev/kvm is not accessible" : "/dev/kvm is missing or unusable");
	} else if (c->device_absent) {
		v->exit_code = KA_EXIT_NODEV;
		snprintf(legacy_text, sizeof(legacy_text), "legacy assignment cannot work: no device at %s", c->device);
	} else if (fails) {
		v->exit_code = KA_EXIT_NOT_READY;
		snprintf(legacy_text, sizeof(legacy_text), "legacy assignment cannot work here yet: %zu item%s FAIL",
			 fails, fails == 1 ? "" : "s");
	} else {
		v->legacy = "yes";
		v->exit_code = KA_EXIT_OK;
		snprintf(legacy_text, sizeof(legacy_text), "legacy assignment can work here%s%s%s",
			 c->device_given ? " for " : "", c->device_given ? c->device : "",
			 c->probe ? "" : ", as far as the snapshot shows (/dev/kvm not checked)");
	}
	if (v->exit_code == KA_EXIT_OK)
		snprintf(v->message, sizeof(v->message), "%s", legacy_text);
	else
		snprintf(v->message, sizeof(v->message), "%s; %s", legacy_text, vfio_text);
}

static void print_json(const struct check_run *c, const struct verdict *v)
{
	const struct probe *pr = c->probe_result;
	struct json j;

	json_init(&j, stdout);
	json_open(&j, NULL);
	json_str(&j, "operation", "check");
	/* The first check's keys, kept for the scripts that read them. */
	json_str(&j, "kernel", *c->kernel ? c->kernel : NULL);
	json_str(&j, "kvm_device", KVM_DEVICE);
	if (pr && pr->api_version >= 0)
		json_i64(&j, "api_version", pr->api_version);
	else
		json_null(&j, "api_version");
	if (pr) {
		json_open(&j, "probe");
		json_str(&j, "step", pr->step);
		json_str(&j, "errno", pr->err ? errno_name(pr->err) : NULL);
		json_close(&j);
	} else {
		json_null(&j, "probe");
	}
	json_str(&j, "legacy_assignment", !pr ? "not checked" : pr->result == PROBE_SUPPORTED ? "supported"
		 : pr->result == PROBE_UNSUPPORTED ? "kernel lacks support" : "unknown");
	json_str(&j, "message", v->message);
	json_str(&j, "sysroot", *c->sys.root ? c->sys.root : NULL);
	json_str(&j, "device", c->device_given ? c->device : NULL);
	json_open_array(&j, "items");
	for (size_t i = 0; i < c->n; i++) {
		const struct check_item *it = &c->items[i];

		json_open(&j, NULL);
		json_str(&j, "section", it->section);
		json_str(&j, "name", it->name);
		json_str(&j, "status", status_json[it->status]);
		json_str(&j, "value", it->value);
		json_str(&j, "message", it->message);
		json_str(&j, "fix", it->fix);
		json_close(&j);
	}
	json_close_array(&j);
	json_open(&j, "verdict");
	json_str(&j, "legacy", v->legacy);
	json_str(&j, "vfio", v->vfio);
	json_str(&j, "message", v->message);
	json_i64(&j, "exit_code", v->exit_code);
	json_close(&j);
	json_i64(&j, "exit_code", v->exit_code);
	json_close(&j);
}

static void print_human(const struct check_run *c, const struct verdict *v)
{
	const char *nc = getenv("NO_COLOR");
	bool colour = isatty(STDOUT_FILENO) && !(nc && *nc);
	const char *section = NULL;
	int width = 0;

	for (size_t i = 0; i < c->n; i++)
		if ((int)strlen(c->items[i].name) > width)
			width = (int)strlen(c->items[i].name);
	for (size_t i = 0; i < c->n; i++) {
		const struct check_item *it = &c->items[i];

		if (!section || strcmp(section, it->section)) {
			section = it->section;
			if (strcmp(section, "device") == 0)
				printf("%sdevice %s\n", i ? "\n" : "", c->device);
			else
				printf("%s%s\n", i ? "\n" : "", strcmp(section, "kvm") == 0 ? "kernel and KVM"
				       : strcmp(section, "iommu") == 0 ? "IOMMU" : "VFIO");
		}
		/* Messages quote the snapshot's and the host's own text: escaped. */
		printf("  %s%-4s%s  %-*s  ", colour ? status_colour[it->status] : "", status_word[it->status],
		       colour ? "\033[0m" : "", width, it->name);
		fputs_escaped(it->message, stdout);
		putchar('\n');
		if (it->fix && it->status != CHECK_OK && it->status != CHECK_SKIP) {
			printf("  %-4s  %-*s  fix: ", "", width, "");
			fputs_escaped(it->fix, stdout);
			putchar('\n');
		}
	}
	fputs("\nverdict: ", stdout);
	fputs_escaped(v->message, stdout);
	putchar('\n');
}

int cmd_check(int argc, const char **argv)
{
	const char *args[1] = { NULL };
	char *sysroot = NULL, why[256];
	int probe = 0, rc;
	struct check_run c = { 0 };
	struct pci_addr addr;
	struct verdict v;
	poptContext con;
	const struct poptOption table[] = {
		{ "sysroot", '\0', POPT_ARG_STRING, &sysroot, 0, "read /sys and /proc under DIR", "DIR" },
		{ "probe", '\0', POPT_ARG_NONE, &probe, 0, "probe /dev/kvm even with --sysroot", NULL },
		POPT_TABLEEND
	};

	con = NULL;
	rc = parse_command("check", argc, argv, table, check_help, &con);
	if (rc)
		goto out;
	/* The DEVICE argument lives in the context: free it at the end. */
	rc = take_args("check", con, args, 1);
	if (rc)
		goto out;
	rc = sysroot_arg("check", sysroot);
	if (rc)
		goto out;
	if (sysroot) {
		sysfs_init(&c.sys, sysroot);
		pci_use_sysroot(c.sys.root);
	} else if (probe) {
		rc = usage_err("check", "--probe goes with --sysroot (without it, /dev/kvm is always probed)");
		goto out;
	}
	if (!sysroot)
		sysfs_init(&c.sys, NULL);
	c.probe = !sysroot || probe;
	if (args[0] && !device_parse(args[0], &addr, why, sizeof(why))) {
		rc = usage_err("check", "%s", why);
		goto out;
	}

	check_host(&c);
	if (args[0])
		check_device(&c, &addr);
	judge(&c, &v);
	if (opts.json)
		print_json(&c, &v);
	else if (!opts.quiet)
		print_human(&c, &v);
	rc = v.exit_code;
	for (size_t i = 0; i < c.n; i++) {
		free(c.items[i].value);
		free(c.items[i].message);
		free(c.items[i].fix);
	}
	free(c.items);
out:
	if (con)
		poptFreeContext(con);
	free(sysroot);
	return rc;
}
