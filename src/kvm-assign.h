/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvm-assign.h - what the subcommands share: the global options, the
 * subcommand table entry and the command-line helpers built on popt.
 */
#ifndef KVM_ASSIGN_H
#define KVM_ASSIGN_H

#include <stdbool.h>
#include <popt.h>

struct pci_access;

enum via { VIA_AUTO, VIA_SELF, VIA_OWNER };

struct global_opts {
	const char *socket_path;	/* --socket */
	int fd;				/* --fd, -1 when not given */
	int pid;			/* --pid, 0 when not given */
	int vm_fd;			/* --vm-fd, -1 when not given */
	enum via via;
	int dry_run;			/* ints: popt's POPT_ARG_VAL stores an int */
	int json;
	int verbose;
	int quiet;
	int timeout_s;			/* hand-off timeout */
	long owner;			/* --owner: a VMM's uid to act for, -1 none */
	struct pci_access *pacc;	/* allocated before parsing: -A and -O go here */
};

extern struct global_opts opts;
extern struct poptOption global_options[];

struct subcommand {
	const char *name;
	int (*run)(int argc, const char **argv);
	const char *summary;
};

/*
 * Parse a subcommand's arguments with its table (which includes the global
 * one).  Prints help and exits 0 for -h; returns a usage error code, or 0
 * with *con set for the caller to read the positional arguments.
 */
int parse_command(const char *command, int argc, const char **argv,
		  const struct poptOption *table, const char *help, poptContext *con);

/* Positional arguments after the options: up to max, into args[]. */
int take_args(const char *command, poptContext con, const char **args, int max);

/* Usage error unless --dry-run or a VM fd source was given. */
int need_vm_source(const char *command);

int cmd_assign(int argc, const char **argv);
int cmd_deassign(int argc, const char **argv);
int cmd_intx_mask(int argc, const char **argv);
int cmd_irq(int argc, const char **argv);
int cmd_msix(int argc, const char **argv);
int cmd_check(int argc, const char **argv);
int cmd_detach(int argc, const char **argv);
int cmd_reattach(int argc, const char **argv);
int cmd_status(int argc, const char **argv);
int cmd_batch(int argc, const char **argv);

#endif
