/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd-batch.c - the batch command: a whole passthrough setup from a file,
 * checked first, then run all or nothing (rolled back on a failure).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "exitcodes.h"
#include "kvm-assign.h"
#include "run.h"
#include "textin.h"
#include "util.h"

static const char batch_help[] =
	"Usage:\n"
	" kvm-assign [options] batch [--no-rollback] [--sysroot=<dir>] <file>|-\n"
	"\nRun the steps of <file> (- for standard input), one a line, in the words of\n"
	"the subcommands: detach, assign, msix (--table=<file> too), irq, intx-mask;\n"
	"or, in a batch of their own, deassign, irq --remove, reattach.  '#' starts a\n"
	"comment.  <file> is a regular file or standard input: at most 4096 bytes a\n"
	"line, 10000 lines and 1 MiB; no NUL byte.  The whole file is checked first:\n"
	"an error names FILE:LINE and the word, and nothing runs.  The kernel steps\n"
	"run on one VM in one stop of the VMM.  If a step fails, the steps before it\n"
	"are undone in reverse order (irq removed, device deassigned, driver\n"
	"reattached); SIGINT, SIGTERM or SIGHUP stop the batch between steps and undo\n"
	"it likewise.\n"
	"\nOptions:\n"
	"     --no-rollback     leave the steps before a failure done\n"
	"     --sysroot=<dir>   detach/reattach act on <dir>/sys, <dir>/proc, <dir>/run\n"
	"\nExit status: that of the failed step (0 if none); 10 when rollback could not\n"
	"undo all (stderr names what is left and the commands that remove it);\n"
	"128+N when stopped by signal N.\n";

int cmd_batch(int argc, const char **argv)
{
	const char *args[1] = { NULL };
	char *sysroot = NULL;
	int no_rollback = 0, rc;
	struct failure f = { 0 };
	struct plan p;
	FILE *in = NULL;
	poptContext con;
	const struct poptOption table[] = {
		{ "no-rollback", '\0', POPT_ARG_NONE, &no_rollback, 0, NULL, NULL },
		{ "sysroot", '\0', POPT_ARG_STRING, &sysroot, 0, NULL, NULL },
		POPT_TABLEEND
	};

	plan_init(&p, "batch");
	rc = parse_command("batch", argc, argv, table, batch_help, &con);
	if (!rc)
		rc = take_args("batch", con, args, 1);
	if (!rc && !args[0])
		rc = usage_err("batch", "no file given: name a batch file, or - for standard input");
	if (!rc)
		rc = sysroot_arg("batch", sysroot);
	if (!rc) {
		in = strcmp(args[0], "-") == 0 ? stdin : textin_fopen(args[0]);
		if (!in) {
			int e = errno;

			f.exit_code = KA_EXIT_USAGE;
			snprintf(f.why, sizeof(f.why), "%s: %s", args[0], textin_strerror(e));
			if (e == EINVAL)
				snprintf(f.todo, sizeof(f.todo), "give a regular file, or - for standard input");
			failure_print("batch", &f);
			rc = KA_EXIT_USAGE;
		}
	}
	if (!rc) {
		p.file = strcmp(args[0], "-") == 0 ? "<stdin>" : args[0];
		p.no_rollback = no_rollback;
		p.sysroot = sysroot;
		rc = batch_parse(in, p.file, &p, &f);
		if (rc)
			failure_print("batch", &f);
	}
	if (!rc) {
		bool kernel = false;

		for (size_t k = 0; k < p.nsteps; k++)
			kernel |= p.steps[k].kind == STEP_KERNEL;
		if (kernel)
			rc = need_vm_source("batch");
	}
	if (!rc)
		rc = plan_run(&p);
	if (in && in != stdin)
		fclose(in);
	plan_free(&p);
	if (con)
		poptFreeContext(con);
	free(sysroot);
	return rc;
}
