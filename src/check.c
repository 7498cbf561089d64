/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check.c - the check command: does this host's kernel have legacy device
 * assignment?  Answered by the probe, since no capability bit says so.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "exitcodes.h"
#include "explain.h"
#include "json.h"
#include "kvm-assign.h"
#include "probe.h"
#include "util.h"

static const char check_help[] =
	"Usage:\n"
	" kvm-assign [options] check\n"
	"\nSay whether this kernel supports legacy device assignment. There is no\n"
	"capability bit for it: kvm-assign creates a VM of its own and tries\n"
	"KVM_DEASSIGN_PCI_DEVICE on it (ENOTTY: no support; EINVAL: support).\n"
	"\nExit status: 0 supported, 3 kernel lacks support, 4 /dev/kvm not accessible,\n"
	"8 /dev/kvm missing or unusable.\n";

struct check_result {
	const char *verdict;
	char detail[320];
	int exit_code;
};

static void judge(const struct probe *pr, struct check_result *r)
{
	char buf[160];

	switch (pr->result) {
	case PROBE_SUPPORTED:
		r->verdict = "supported";
		snprintf(r->detail, sizeof(r->detail),
			 "the probe KVM_DEASSIGN_PCI_DEVICE got EINVAL for an unused id: the ioctls exist");
		r->exit_code = KA_EXIT_OK;
		return;
	case PROBE_UNSUPPORTED:
		r->verdict = "kernel lacks support";
		snprintf(r->detail, sizeof(r->detail),
			 "the probe KVM_DEASSIGN_PCI_DEVICE got ENOTTY: " LACKS_SUPPORT_WHY ": " LACKS_SUPPORT_TODO);
		r->exit_code = KA_EXIT_UNSUPPORTED;
		return;
	case PROBE_FAILED:
		break;
	}
	r->verdict = "unknown";
	probe_failure_text(pr, buf, sizeof(buf));
	if (pr->err == EACCES || pr->err == EPERM) {
		snprintf(r->detail, sizeof(r->detail), "%s: run as root or join the group that owns " KVM_DEVICE, buf);
		r->exit_code = KA_EXIT_PERMISSION;
	} else if (pr->err == ENOENT) {
		snprintf(r->detail, sizeof(r->detail), "%s: load the kvm module (kvm-intel or kvm-amd) on a host with hardware virtualization", buf);
		r->exit_code = KA_EXIT_NO_KVM;
	} else {
		snprintf(r->detail, sizeof(r->detail), "%s", buf);
		r->exit_code = KA_EXIT_NO_KVM;
	}
}

int cmd_check(int argc, const char **argv)
{
	const char *args[1] = { NULL };
	struct check_result r;
	struct utsname u;
	struct probe pr;
	poptContext con;
	const struct poptOption table[] = { POPT_TABLEEND };
	int rc = parse_command("check", argc, argv, table, check_help, &con);

	if (rc)
		return rc;
	rc = take_args("check", con, args, 0);
	poptFreeContext(con);
	if (rc)
		return rc;

	if (uname(&u) < 0)
		strcpy(u.release, "unknown");
	probe_legacy_support(&pr);
	judge(&pr, &r);

	if (opts.json) {
		struct json j;

		json_init(&j, stdout);
		json_open(&j, NULL);
		json_str(&j, "operation", "check");
		json_str(&j, "kernel", u.release);
		json_str(&j, "kvm_device", KVM_DEVICE);
		if (pr.api_version >= 0)
			json_i64(&j, "api_version", pr.api_version);
		else
			json_null(&j, "api_version");
		json_open(&j, "probe");
		json_str(&j, "step", pr.step);
		json_str(&j, "errno", pr.err ? errno_name(pr.err) : NULL);
		json_close(&j);
		json_str(&j, "legacy_assignment", r.verdict);
		json_str(&j, "message", r.detail);
		json_i64(&j, "exit_code", r.exit_code);
		json_close(&j);
	} else if (!opts.quiet) {
		printf("%-20s %s\n", "kernel:", u.release);
		if (pr.api_version >= 0)
			printf("%-20s %s, API version %d\n", KVM_DEVICE ":", "ok", pr.api_version);
		else if (strncmp(pr.step, "open ", 5) == 0)
			printf("%-20s %s\n", KVM_DEVICE ":", strerror(pr.err));
		printf("%-20s %s: %s\n", "legacy assignment:", r.verdict, r.detail);
	}
	return r.exit_code;
}
