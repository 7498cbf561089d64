/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvm-assign.c - main: the global options, the subcommand table and
 * dispatch.  Each subcommand lives in its own file (cmd-*.c, msix.c, check.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "device.h"
#include "exitcodes.h"
#include "kvm-assign.h"
#include "util.h"

struct global_opts opts = { .fd = -1, .vm_fd = -1, .timeout_s = 5, .via = VIA_AUTO, .owner = -1 };

static const char *current_command;
static char *socket_path_copy;	/* popt's argument does not outlive its context */	/* for "Try 'kvm-assign CMD --help'" */

static const struct subcommand commands[] = {
	{ "assign",    cmd_assign,    "assign a PCI device to the VM" },
	{ "deassign",  cmd_deassign,  "remove an assigned device from the VM" },
	{ "irq",       cmd_irq,       "route a device's interrupt into the VM, or remove it" },
	{ "msix",      cmd_msix,      "set up a device's MSI-X entries" },
	{ "intx-mask", cmd_intx_mask, "mask or unmask a device's INTx" },
	{ "check",     cmd_check,     "diagnose this host and a device for legacy assignment" },
	{ "detach",    cmd_detach,    "take a device from its host driver to pci-stub or vfio-pci" },
	{ "reattach",  cmd_reattach,  "give a detached device back to its host driver" },
	{ "status",    cmd_status,    "the devices off their host drivers, who holds them, what next" },
	{ "batch",     cmd_batch,     "run a file of steps on one VM, all or nothing" },
};

#define GLOBAL_HELP \
	"\nGlobal options:\n" \
	" -s, --socket=<path>       receive the VM fd from a VMM over a UNIX socket\n" \
	" -f, --fd=<n>              use the inherited VM fd <n>\n" \
	" -p, --pid=<pid>           use the VM of the running VMM <pid>\n" \
	"     --vm-fd=<n>           with --pid: which of its VM fds\n" \
	"     --via=<where>         where ioctls run: auto, self or owner (the VMM)\n" \
	"     --timeout=<seconds>   hand-off, in-VMM and detach lock limit (default 5)\n" \
	"     --owner=<uid>         also act on a VMM run by <uid> (by default only\n" \
	"                             one run by root, you or the socket's peer)\n" \
	" -n, --dry-run             print the ioctls and their bytes, issue nothing\n" \
	" -j, --json                one JSON object per ioctl on stdout\n" \
	" -v, --verbose             report every ioctl and where it ran\n" \
	" -q, --quiet               print nothing but errors\n" \
	" -A, --pci-access=<method> libpci access method (see lspci -A help)\n" \
	" -O <name>=<value>         libpci parameter (see lspci -O help)\n" \
	" -h, --help                display this help\n" \
	" -V, --version             display version\n"

static void usage(void)
{
	fputs("Usage:\n"
	      " " PROGRAM_NAME " [options] <command> [<args>]\n"
	      "\nIssue KVM's legacy PCI device-assignment ioctls on a running VM and\n"
	      "explain what the kernel answers.\n"
	      "\nCommands:\n", stdout);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf(" %-10s %s\n", commands[i].name, commands[i].summary);
	fputs(GLOBAL_HELP
	      "\nExit status:\n" KA_EXIT_SUMMARY
	      "\nRun '" PROGRAM_NAME " <command> --help' for a command's arguments.\n"
	      "For more details see kvm-assign(8).\n", stdout);
}

enum { OPT_SOCKET = 0x100, OPT_FD, OPT_PID, OPT_VM_FD, OPT_VIA, OPT_TIMEOUT, OPT_OWNER, OPT_PCI_ACCESS, OPT_PCI_PARAM };

/* Global options are valid before and after the command: one callback. */
static void global_cb(poptContext con, enum poptCallbackReason reason,
		      const struct poptOption *opt, const char *arg, const void *data)
{
	uint32_t v;

	(void)con; (void)reason; (void)data;
	switch (opt->val) {
	case OPT_SOCKET:
		if (!*arg)
			exit(usage_err(current_command, "--socket: empty path"));
		if (strlen(arg) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			exit(usage_err(current_command, "socket '%s': path too long (at most %zu bytes)",
				       arg, sizeof(((struct sockaddr_un *)0)->sun_path) - 1));
		free(socket_path_copy);
		opts.socket_path = socket_path_copy = strdup(arg);
		break;
	case OPT_FD:
		if (!parse_u32(arg, INT_MAX, &v))
			exit(usage_err(current_command, "--fd: '%s' is not a file descriptor number", arg));
		opts.fd = (int)v;
		break;
	case OPT_PID:
		if (!parse_u32(arg, INT_MAX, &v) || v == 0)
			exit(usage_err(current_command, "--pid: '%s' is not a process id", arg));
		opts.pid = (int)v;
		break;
	case OPT_VM_FD:
		if (!parse_u32(arg, INT_MAX, &v))
			exit(usage_err(current_command, "--vm-fd: '%s' is not a file descriptor number", arg));
		opts.vm_fd = (int)v;
		break;
	case OPT_VIA:
		if (strcmp(arg, "auto") == 0)
			opts.via = VIA_AUTO;
		else if (strcmp(arg, "self") == 0)
			opts.via = VIA_SELF;
		else if (strcmp(arg, "owner") == 0)
			opts.via = VIA_OWNER;
		else
			exit(usage_err(current_command, "--via: '%s' is not auto, self or owner", arg));
		break;
	case OPT_TIMEOUT:
		if (!parse_u32(arg, 3600, &v) || v == 0)
			exit(usage_err(current_command, "--timeout: '%s' is not a number of seconds from 1 to 3600", arg));
		opts.timeout_s = (int)v;
		break;
	case OPT_OWNER:
		if (!parse_u32(arg, INT32_MAX, &v))
			exit(usage_err(current_command, "--owner: '%s' is not a user id", arg));
		opts.owner = (long)v;
		break;
	case OPT_PCI_ACCESS:
		if (!pci_access_set_method(opts.pacc, arg))
			exit(usage_err(current_command, "--pci-access: unknown libpci method '%s' (lspci -A help lists them)", arg));
		break;
	case OPT_PCI_PARAM:
		if (!pci_access_set_param(opts.pacc, arg))
			exit(usage_err(current_command, "-O: '%s' is not a known libpci NAME=VALUE parameter (lspci -O help lists them)", arg));
		break;
	}
}

struct poptOption global_options[] = {
	{ NULL, '\0', POPT_ARG_CALLBACK, (void *)global_cb, 0, NULL, NULL },
	{ "socket", 's', POPT_ARG_STRING, NULL, OPT_SOCKET, "receive the VM fd over a UNIX socket", "PATH" },
	{ "fd", 'f', POPT_ARG_STRING, NULL, OPT_FD, "use an inherited VM fd", "N" },
	{ "pid", 'p', POPT_ARG_STRING, NULL, OPT_PID, "use the VM of a running VMM", "PID" },
	{ "vm-fd", '\0', POPT_ARG_STRING, NULL, OPT_VM_FD, "which VM fd of --pid", "N" },
	{ "via", '\0', POPT_ARG_STRING, NULL, OPT_VIA, "where ioctls run", "auto|self|owner" },
	{ "timeout", '\0', POPT_ARG_STRING, NULL, OPT_TIMEOUT, "hand-off timeout", "SECONDS" },
	{ "owner", '\0', POPT_ARG_STRING, NULL, OPT_OWNER, "a VMM's uid to act for", "UID" },
	{ "dry-run", 'n', POPT_ARG_VAL, &opts.dry_run, 1, "issue nothing", NULL },
	{ "json", 'j', POPT_ARG_VAL, &opts.json, 1, "JSON output", NULL },
	{ "verbose", 'v', POPT_ARG_VAL, &opts.verbose, 1, "verbose", NULL },
	{ "quiet", 'q', POPT_ARG_VAL, &opts.quiet, 1, "quiet", NULL },
	{ "pci-access", 'A', POPT_ARG_STRING, NULL, OPT_PCI_ACCESS, "libpci method", "METHOD" },
	{ NULL, 'O', POPT_ARG_STRING, NULL, OPT_PCI_PARAM, "libpci parameter", "NAME=VALUE" },
	POPT_TABLEEND
};

#define MAX_CMD_OPTIONS 16
#define OPT_STRING_BASE 0x200	/* vals parse_command gives string options */

int parse_command(const char *command, int argc, const char **argv,
		  const struct poptOption *table, const char *help, poptContext *con)
{
	struct poptOption own[MAX_CMD_OPTIONS + 1];
	char *seen[MAX_CMD_OPTIONS] = { NULL };
	int help_wanted = 0, rc, n = 0;
	struct poptOption full[] = {
		{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, own, 0, NULL, NULL },
		{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, global_options, 0, NULL, NULL },
		{ "help", 'h', POPT_ARG_NONE, &help_wanted, 0, NULL, NULL },
		POPT_TABLEEND
	};

	/*
	 * popt overwrites a string option given twice without freeing the
	 * first copy: number the string options so the loop can free it.
	 */
	for (; table[n].longName || table[n].shortName || table[n].argInfo; n++) {
		own[n] = table[n];
		if (n < MAX_CMD_OPTIONS && (own[n].argInfo & POPT_ARG_MASK) == POPT_ARG_STRING && own[n].arg)
			own[n].val = OPT_STRING_BASE + n;
	}
	own[n] = table[n];

	current_command = command;
	*con = poptGetContext(command, argc, argv, full, 0);
	while ((rc = poptGetNextOpt(*con)) > 0) {
		if (rc >= OPT_STRING_BASE && rc < OPT_STRING_BASE + n) {
			char **slot = own[rc - OPT_STRING_BASE].arg;
			char **prev = &seen[rc - OPT_STRING_BASE];

			if (*prev && *prev != *slot)
				free(*prev);
			*prev = *slot;
		}
	}
	if (rc < -1) {
		rc = usage_err(command, "%s: %s", poptBadOption(*con, POPT_BADOPTION_NOALIAS), poptStrerror(rc));
		poptFreeContext(*con);
		*con = NULL;
		return rc;
	}
	if (help_wanted) {
		fputs(help, stdout);
		fputs(GLOBAL_HELP, stdout);
		poptFreeContext(*con);
		*con = NULL;
		exit(KA_EXIT_OK);
	}
	return 0;
}

int take_args(const char *command, poptContext con, const char **args, int max)
{
	const char *a;
	int n = 0;

	while ((a = poptGetArg(con))) {
		if (n == max)
			return usage_err(command, "unexpected argument '%s'", a);
		args[n++] = a;
	}
	return 0;
}

int need_vm_source(const char *command)
{
	int sources = !!opts.socket_path + (opts.fd >= 0) + (opts.pid > 0);

	if (sources > 1)
		return usage_err(command, "--socket, --fd and --pid each name a VM: give one");
	if (!opts.dry_run && sources == 0)
		return usage_err(command, "no VM given: use --socket=PATH, --fd=N or --pid=PID (or --dry-run)");
	if (opts.vm_fd >= 0 && opts.pid <= 0)
		return usage_err(command, "--vm-fd picks among the VM fds of --pid=PID: give --pid");
	if (opts.pid > 0 && opts.via == VIA_SELF)
		return usage_err(command, "--via=self cannot use --pid: the VM fd is in another process");
	return 0;
}

int main(int argc, const char **argv)
{
	int help_wanted = 0, version_wanted = 0, rc;
	const char **rest;
	poptContext con;
	struct poptOption top[] = {
		{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, global_options, 0, NULL, NULL },
		{ "help", 'h', POPT_ARG_NONE, &help_wanted, 0, NULL, NULL },
		{ "version", 'V', POPT_ARG_NONE, &version_wanted, 0, NULL, NULL },
		POPT_TABLEEND
	};

	opts.pacc = pci_access_new();
	/* Stop at the command name: what follows is the command's to parse. */
	con = poptGetContext(PROGRAM_NAME, argc, argv, top, POPT_CONTEXT_POSIXMEHARDER);
	while ((rc = poptGetNextOpt(con)) > 0)
		;
	if (rc < -1) {
		rc = usage_err(NULL, "%s: %s", poptBadOption(con, POPT_BADOPTION_NOALIAS), poptStrerror(rc));
		goto out;
	}
	if (help_wanted) {
		usage();
		rc = KA_EXIT_OK;
		goto out;
	}
	if (version_wanted) {
		printf(PROGRAM_NAME " from %s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		printf("built with libpci %s, popt %s\n", LIBPCI_BUILD_VERSION, POPT_BUILD_VERSION);
		rc = KA_EXIT_OK;
		goto out;
	}
	rest = poptGetArgs(con);
	if (!rest || !rest[0]) {
		rc = usage_err(NULL, "no command given");
		goto out;
	}
	rc = -1;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(rest[0], commands[i].name) == 0) {
			int n = 0;
			while (rest[n])
				n++;
			rc = commands[i].run(n, rest);
			break;
		}
	}
	if (rc == -1)
		rc = usage_err(NULL, "unknown command '%s'", rest[0]);
out:
	poptFreeContext(con);
	pci_access_free(opts.pacc);
	free(socket_path_copy);
	if (fflush(stdout) != 0 && rc == KA_EXIT_OK) {
		err_msg("write error: %s", strerror(errno));
		rc = KA_EXIT_REFUSED;
	}
	return rc;
}
