/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz-batch.c - libFuzzer target: a batch file through batch_parse, the
 * batch command's own entry point (each line read by textin.c within its
 * caps, then parsed by its command's step parser), with the tool's other
 * files linked as they are.  Device lookups read the test fixture dump.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/batch.h"
#include "../src/device.h"
#include "../src/exitcodes.h"
#include "../src/kvm-assign.h"
#include "../src/textin.h"

/* kvm-assign.c's globals: its main is not linked.  A batch line never goes
 * through the command-line parsers, so those below are never called. */
struct global_opts opts = { .fd = -1, .vm_fd = -1, .timeout_s = 5, .via = VIA_AUTO, .owner = -1 };

int parse_command(const char *command, int argc, const char **argv,
		  const struct poptOption *table, const char *help, poptContext *con)
{
	(void)command, (void)argc, (void)argv, (void)table, (void)help, (void)con;
	abort();
}

int take_args(const char *command, poptContext con, const char **args, int max)
{
	(void)command, (void)con, (void)args, (void)max;
	abort();
}

int need_vm_source(const char *command)
{
	(void)command;
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	opts.dry_run = 1;
	opts.pacc = pci_access_new();
	if (!pci_access_set_method(opts.pacc, "dump") || !pci_access_set_param(opts.pacc, "dump.name=" FUZZ_DUMP))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *in = fmemopen((void *)data, size, "r");
	struct failure f = { 0 };
	struct plan p;
	int rc;

	if (!in)
		return 0;	/* fmemopen refuses size 0 */
	plan_init(&p, "batch");
	p.file = "fuzz.batch";
	rc = batch_parse(in, p.file, &p, &f);
	fclose(in);
	/* A plan or one refusal, never both; every step from a line in the caps. */
	if (rc == 0 && (p.nsteps == 0 || p.nsteps > TEXTIN_LINES_MAX || f.why[0]))
		abort();
	if (rc != 0 && (rc != f.exit_code || !f.why[0] || strnlen(f.why, sizeof(f.why)) == sizeof(f.why)))
		abort();
	for (size_t k = 0; k < p.nsteps; k++)
		if (p.steps[k].line == 0 || p.steps[k].line > TEXTIN_LINES_MAX)
			abort();
	plan_free(&p);
	return 0;
}
