/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run.h - a plan of steps (one for a command, many for a batch): shown by
 * --dry-run, or run on one VM all or nothing, each result explained.
 */
#ifndef KVM_ASSIGN_RUN_H
#define KVM_ASSIGN_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <popt.h>

#include "detach.h"
#include "device.h"
#include "ioctls.h"
#include "target.h"

/* Every error has this shape, and one place prints it (failure_print). */
struct failure {
	int exit_code;		/* 0: none */
	char why[768];
	char todo[512];
};

/* Where a step's words came from: the command line, or FILE:LINE. */
struct source {
	const char *file;	/* NULL: the command line */
	unsigned line;
	struct failure *f;	/* a batch line's error goes here; else printed */
};

/* A refused word: fills src->f (a batch) or prints a usage error; returns 2. */
int source_bad(const struct source *src, const char *command, const char *word, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Any other refusal before anything runs: the same, with its exit code. */
int source_error(const struct source *src, int code, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

enum op_role { OP_DO, OP_UNDO };

struct op {
	const struct ioctl_desc *io;
	union ioctl_arg arg;
	size_t step;		/* index of the step it belongs to */
	enum op_role role;	/* UNDO: rollback's, tried even after one fails */
	long ret;
	int err;
	bool done;		/* issued (ret/err valid) */
};

enum step_kind { STEP_KERNEL, STEP_DETACH, STEP_REATTACH };
enum step_state { STEP_PENDING, STEP_DONE, STEP_FAILED, STEP_UNDONE, STEP_UNDO_FAILED, STEP_KEPT };

struct step {
	const char *command;	/* "assign", "msix", "detach", ... */
	char what[96];		/* message prefix: "assign 0000:03:00.0" */
	unsigned line;		/* batch line, 0 on the command line */
	enum step_kind kind;
	struct target t;	/* the device, for hints and undo */
	bool setup;		/* adds something rollback can take away */
	size_t first, n;	/* its ops in plan.ops */
	/* detach / reattach */
	char driver[16];
	bool group, force;
	struct detach_report rep;
	enum step_state state;
	char note[256];		/* what its undo left, or could not undo */
	const struct op *undo_failed;	/* the undo the kernel refused (points into rollback's list) */
};

struct plan {
	const char *command;	/* "batch" or the single command */
	const char *file;	/* batch file, NULL for one command */
	const char *sysroot;	/* detach/reattach steps: --sysroot */
	bool no_rollback;
	size_t nsteps, step_cap;
	struct step *steps;
	size_t n, op_cap;
	struct op *ops;
};

void plan_init(struct plan *p, const char *command);
void plan_free(struct plan *p);
/* A new step of kind on device t (copied); what its ops act on. */
struct step *plan_step(struct plan *p, const char *command, enum step_kind kind, const struct target *t,
		       unsigned line);
/* An ioctl of the last step. */
union ioctl_arg *plan_add(struct plan *p, const struct ioctl_desc *io);
/* Issue the plan (or print it for --dry-run); returns the exit code. */
int plan_run(struct plan *p);

/* The one printer of errors: "kvm-assign: WHAT: WHY[: TODO]", and with
 * --json one object saying the same with the exit code. */
void failure_print(const char *what, const struct failure *f);

/* The step parsers shared by the commands and batch: parse argv (argv[0]
 * is the command) into a step of p; 0 or an exit code (src says where). */
int assign_step(struct plan *p, const struct source *src, int argc, const char **argv);
int deassign_step(struct plan *p, const struct source *src, int argc, const char **argv);
int intx_mask_step(struct plan *p, const struct source *src, int argc, const char **argv);
int irq_step(struct plan *p, const struct source *src, int argc, const char **argv);
int msix_step(struct plan *p, const struct source *src, int argc, const char **argv);

/* popt for a step: the command line's parse_command, or for a batch line
 * the command's own table alone (no global options, no --help). */
int step_options(const struct source *src, const char *command, int argc, const char **argv,
		 const struct poptOption *table, const char *help, poptContext *con);

/* Positional arguments after the options: up to max, into args[]. */
int step_args(const struct source *src, const char *command, poptContext con, const char **args, int max);

/* A command line's one step, run as a one-step plan. */
int plan_one(int (*parse)(struct plan *, const struct source *, int, const char **),
	     const char *command, int argc, const char **argv);

#endif
