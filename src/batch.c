/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * batch.c - read a batch file into one plan: each line the words of a
 * subcommand, parsed by that subcommand's own step parser; the whole file
 * checked before anything runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "detach.h"
#include "exitcodes.h"
#include "kvm-assign.h"
#include "run.h"
#include "textin.h"
#include "util.h"

#define MAX_WORDS 300		/* msix with 256 pairs, and its options */

static const char detach_line_help[] = "";

/* detach [--driver=NAME] [--group] [--force] DEVICE; reattach [--group] DEVICE */
static int sysfs_step(struct plan *p, const struct source *src, int argc, const char **argv)
{
	bool detach = strcmp(argv[0], "detach") == 0;
	const char *command = detach ? "detach" : "reattach";
	const char *args[1] = { NULL };
	char *driver = NULL, why[256];
	int group = 0, force = 0, rc;
	struct target t = { 0 };
	poptContext con;
	const struct poptOption detach_table[] = {
		{ "driver", '\0', POPT_ARG_STRING, &driver, 0, NULL, NULL },
		{ "group", '\0', POPT_ARG_NONE, &group, 0, NULL, NULL },
		{ "force", '\0', POPT_ARG_NONE, &force, 0, NULL, NULL },
		POPT_TABLEEND
	};
	const struct poptOption reattach_table[] = {
		{ "group", '\0', POPT_ARG_NONE, &group, 0, NULL, NULL },
		POPT_TABLEEND
	};

	rc = step_options(src, command, argc, argv, detach ? detach_table : reattach_table, detach_line_help, &con);
	if (!rc)
		rc = step_args(src, command, con, args, 1);
	if (!rc && !args[0])
		rc = source_bad(src, command, command, "no device given");
	if (!rc && !device_parse(args[0], &t.addr, why, sizeof(why)))
		rc = source_bad(src, command, args[0], "%s", why);
	if (!rc && driver && strcmp(driver, "auto") != 0 && !detach_target_valid(driver))
		rc = source_bad(src, command, driver, "--driver: '%s' is not a driver detach binds to: pci-stub, vfio-pci or auto",
				driver);
	if (!rc) {
		struct step *s;
		char addr[PCI_ADDR_STRLEN];

		t.have_device = 1;
		device_format(&t.addr, addr);
		snprintf(t.what, sizeof(t.what), "%s %s", command, addr);
		s = plan_step(p, command, detach ? STEP_DETACH : STEP_REATTACH, &t, src->line);
		snprintf(s->driver, sizeof(s->driver), "%s", driver ? driver : "auto");
		s->group = group;
		s->force = force;
		s->setup = detach;
	}
	if (con)
		poptFreeContext(con);
	free(driver);
	return rc;
}

static const struct {
	const char *name;
	int (*parse)(struct plan *, const struct source *, int, const char **);
} parsers[] = {
	{ "assign", assign_step },
	{ "deassign", deassign_step },
	{ "irq", irq_step },
	{ "msix", msix_step },
	{ "intx-mask", intx_mask_step },
	{ "detach", sysfs_step },
	{ "reattach", sysfs_step },
};

/* Split line into words at blanks, ending at a '#' that starts a word. */
static int split(char *line, const char **words, int max)
{
	int n = 0;
	char *w = strtok(line, " \t\r\n");

	for (; w && *w != '#'; w = strtok(NULL, " \t\r\n")) {
		if (n == max)
			return -1;
		words[n++] = w;
	}
	return n;
}

/* Setup (what rollback can take away) and teardown steps do not mix. */
static int check_kinds(const struct plan *p, const char *file, struct failure *f)
{
	const struct step *first = NULL;

	for (size_t k = 0; k < p->nsteps; k++) {
		const struct step *s = &p->steps[k];

		if (strcmp(s->command, "intx-mask") == 0)
			continue;	/* either: its undo is the opposite state */
		if (!first) {
			first = s;
			continue;
		}
		if (s->setup != first->setup) {
			const struct source src = { file, s->line, f };

			return source_bad(&src, s->command, s->command,
					  "a batch either sets up (assign, msix, irq, detach) or tears down (deassign, irq --remove, "
					  "reattach), and line %u %s: put the teardown in a batch of its own",
					  first->line, first->setup ? "sets up" : "tears down");
		}
	}
	return 0;
}

int batch_parse(FILE *in, const char *file, struct plan *p, struct failure *f)
{
	struct textin *t = xcalloc(1, sizeof(*t));
	const char *words[MAX_WORDS];
	struct source src = { .file = file, .f = f };
	int rc = 0, got;

	textin_init(t, in);
	while (!rc && (got = textin_next(t)) > 0) {
		int n;
		size_t i;

		src.line = t->line;
		n = split(t->buf, words, MAX_WORDS);
		if (n < 0) {
			rc = source_bad(&src, "batch", "", "more than %d words on a line", MAX_WORDS);
			break;
		}
		if (n == 0)
			continue;
		for (i = 0; i < ARRAY_SIZE(parsers) && strcmp(words[0], parsers[i].name) != 0; i++)
			;
		if (i == ARRAY_SIZE(parsers)) {
			rc = source_bad(&src, "batch", words[0], "'%s' is not a batch step: assign, deassign, irq, msix, "
					"intx-mask, detach or reattach", words[0]);
			break;
		}
		rc = parsers[i].parse(p, &src, n, words);
	}
	if (!rc && got < 0) {
		src.line = t->line;
		rc = source_error(&src, KA_EXIT_USAGE, NULL, "%s", t->why);
	}
	if (!rc && p->nsteps == 0) {
		f->exit_code = KA_EXIT_USAGE;
		snprintf(f->why, sizeof(f->why), "%s: no steps: the file has only comments and blank lines", file);
		rc = KA_EXIT_USAGE;
	}
	if (!rc)
		rc = check_kinds(p, file, f);
	free(t);
	return rc;
}
