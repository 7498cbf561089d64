/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * msix.c - the msix command: the MSI-X entry count, then one entry->GSI
 * route per pair, checked in userspace where the kernel does not check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "exitcodes.h"
#include "kvm-assign.h"
#include "run.h"
#include "target.h"
#include "textin.h"
#include "util.h"

static const char msix_help[] =
	"Usage:\n"
	" kvm-assign [options] msix <device>|--id=<n> --count=<n> <entry>:<gsi>...\n"
	" kvm-assign [options] msix <device>|--id=<n> [--count=<n>] --table=<file>\n"
	"\nSet the number of MSI-X entries of an assigned device (KVM_ASSIGN_SET_MSIX_NR),\n"
	"then route each <entry> of its MSI-X table to guest <gsi>\n"
	"(KVM_ASSIGN_SET_MSIX_ENTRY), in the order given. Then use\n"
	"'kvm-assign irq --host=msix --guest=msix' to enable them.\n"
	"\nOptions:\n"
	"     --id=<n>       assigned-device id (default from <device>)\n"
	"     --count=<n>    entries, 1 to 256, at most the device's MSI-X table size\n"
	"     --table=<file> the pairs from <file>, one '<entry> <gsi>' a line ('#'\n"
	"                    comments; a regular file, 4096 bytes a line, 10000 lines,\n"
	"                    1 MiB); --count defaults to their number\n"
	"\nGive one <entry>:<gsi> pair per entry: <entry> is 0 to count-1, each once;\n"
	"<gsi> is 1 to 4095 (the kernel takes an entry with GSI 0 for a free slot).\n"
	"The count stays set until 'kvm-assign irq --remove --host=msix' or deassign.\n";

/* An argument with a '.' or a leading '/' names a device; N:M is a pair. */
static int is_device_arg(const char *a)
{
	return a[0] == '/' || strchr(a, '.');
}

static int parse_pair(const struct source *src, const char *a, uint32_t count, const unsigned char *seen,
		      uint32_t *entry, uint32_t *gsi)
{
	char buf[32];
	char *colon;

	if (strlen(a) >= sizeof(buf) || !(colon = strchr(strcpy(buf, a), ':')))
		return source_bad(src, "msix", a, "'%s' is not an <entry>:<gsi> pair", a);
	*colon = '\0';
	if (!parse_u32(buf, UINT32_MAX, entry))
		return source_bad(src, "msix", a, "'%s': '%s' is not an MSI-X entry number", a, buf);
	if (*entry >= count)
		return source_bad(src, "msix", a, "'%s': entry %u is outside the %u entries of --count (0 to %u)",
				  a, *entry, count, count - 1);
	if (seen[*entry])
		return source_bad(src, "msix", a, "'%s': entry %u is given twice", a, *entry);
	if (!parse_u32(colon + 1, KVM_MAX_GSI, gsi))
		return source_bad(src, "msix", a, "'%s': '%s' is not a GSI (1 to %d)", a, colon + 1, KVM_MAX_GSI);
	/* The kernel takes a slot whose GSI is 0 for a free one: the next
	 * entry would overwrite it, and the table could never be enabled. */
	if (*gsi == 0)
		return source_bad(src, "msix", a, "'%s': GSI 0 cannot be routed: the kernel treats an entry with GSI 0 as a free slot, "
				  "so the next entry would overwrite it (give GSIs 1 to %d)", a, KVM_MAX_GSI);
	return 0;
}

/*
 * --table=FILE: "ENTRY GSI" a line, '#' comments, into "E:G" words (pairs,
 * freed by the caller), so the table and the command line meet one check.
 * An error names FILE:LINE (and the batch line, inside a batch).
 */
static int read_table(const struct source *src, const char *path, char ***pairs, size_t *n)
{
	char where[4200], e[64], g[64], extra[2];
	const char *why = NULL;
	size_t cap = 0;
	FILE *f = textin_fopen(path);
	struct textin *t;
	int got, rc = 0;

	*pairs = NULL;
	*n = 0;
	if (!f)
		return source_bad(src, "msix", path, "--table: cannot read '%s': %s", path, textin_strerror(errno));
	t = xcalloc(1, sizeof(*t));
	textin_init(t, f);
	while (!why && (got = textin_next(t)) > 0) {
		char *hash = strchr(t->buf, '#');

		if (hash)
			*hash = '\0';
		got = sscanf(t->buf, "%63s %63s %1s", e, g, extra);
		if (got <= 0)
			continue;
		if (got != 2)
			why = "give one '<entry> <gsi>' pair a line";
		else if (*n == KVM_MAX_MSIX_PER_DEV)
			why = "more than 256 entries (the kernel's most)";
		else {
			if (*n == cap) {
				cap = cap ? 2 * cap : 16;
				*pairs = xrealloc(*pairs, cap * sizeof(**pairs));
			}
			(*pairs)[(*n)++] = xasprintf("%s:%s", e, g);
		}
	}
	if (!why && got < 0)
		why = t->why;
	fclose(f);
	if (why) {
		snprintf(where, sizeof(where), "%s:%u", path, t->line);
		rc = source_bad(src, "msix", where, "--table: %s:%u: %s", path, t->line, why);
	}
	free(t);
	return rc;
}

int msix_step(struct plan *p, const struct source *src, int argc, const char **argv)
{
	char *id = NULL, *count_arg = NULL, *table_arg = NULL, **pairs = NULL;
	const char *device = NULL, *a;
	unsigned char seen[KVM_MAX_MSIX_PER_DEV] = { 0 };
	uint32_t count = 0, entry, gsi, nentries = 0;
	struct { uint16_t entry; uint32_t gsi; } *ent = xcalloc(KVM_MAX_MSIX_PER_DEV, sizeof(*ent));
	size_t npairs = 0, next = 0;
	struct target t;
	union ioctl_arg *arg;
	poptContext con;
	int rc;
	const struct poptOption table[] = {
		{ "id", '\0', POPT_ARG_STRING, &id, 0, NULL, NULL },
		{ "count", '\0', POPT_ARG_STRING, &count_arg, 0, NULL, NULL },
		{ "table", '\0', POPT_ARG_STRING, &table_arg, 0, NULL, NULL },
		POPT_TABLEEND
	};

	rc = step_options(src, "msix", argc, argv, table, msix_help, &con);
	if (!rc && table_arg)
		rc = read_table(src, table_arg, &pairs, &npairs);
	if (rc)
		;
	else if (!count_arg && !table_arg)
		rc = source_bad(src, "msix", "msix", "no --count given: say how many MSI-X entries (1 to %d)", KVM_MAX_MSIX_PER_DEV);
	else if (!count_arg && npairs == 0)
		rc = source_bad(src, "msix", table_arg, "--table: '%s' has no '<entry> <gsi>' line", table_arg);
	else if (!count_arg)
		count = (uint32_t)npairs;
	/* The kernel stores the count before it range-checks it: check here. */
	else if (!parse_u32(count_arg, KVM_MAX_MSIX_PER_DEV, &count) || count == 0)
		rc = source_bad(src, "msix", count_arg, "--count: '%s' is not an MSI-X entry count (1 to %d)",
				count_arg, KVM_MAX_MSIX_PER_DEV);
	/* The device and pairs on the line, then the table's pairs. */
	while (!rc && con && (a = poptGetArg(con))) {
		if (is_device_arg(a)) {
			if (device || nentries > 0)
				rc = source_bad(src, "msix", a, "unexpected argument '%s': give the device once, before the pairs", a);
			device = a;
			continue;
		}
		rc = parse_pair(src, a, count, seen, &entry, &gsi);
		if (rc)
			break;
		seen[entry] = 1;
		ent[nentries].entry = (uint16_t)entry;
		ent[nentries++].gsi = gsi;
	}
	for (; !rc && next < npairs; next++) {
		rc = parse_pair(src, pairs[next], count, seen, &entry, &gsi);
		if (rc)
			break;
		seen[entry] = 1;
		ent[nentries].entry = (uint16_t)entry;
		ent[nentries++].gsi = gsi;
	}
	/*
	 * pci_enable_msix() takes the whole table at once and refuses duplicate
	 * entries, and the count stays set until the host MSI-X interrupt is
	 * removed: a partial table could never be enabled.
	 */
	if (!rc && nentries != count)
		rc = source_bad(src, "msix", count_arg ? count_arg : table_arg,
				"--count=%u but %u <entry>:<gsi> pair%s given: give one pair per entry",
				count, nentries, nentries == 1 ? "" : "s");
	if (!rc)
		rc = target_parse(src, "msix", device, id, &t);
	if (!rc && !src->file)
		rc = need_vm_source("msix");
	if (!rc)
		rc = target_lookup(src, &t, LOOKUP_IF_PRESENT);
	if (!rc && t.info.present && t.info.msix_table_size == 0)
		rc = source_bad(src, "msix", device, "device %s has no MSI-X capability", strchr(t.what, ' ') + 1);
	else if (!rc && t.info.present && count > t.info.msix_table_size)
		rc = source_bad(src, "msix", count_arg ? count_arg : table_arg,
				"--count=%u: device %s has only %u MSI-X table entries",
				count, strchr(t.what, ' ') + 1, t.info.msix_table_size);
	if (!rc) {
		struct step *s = plan_step(p, "msix", STEP_KERNEL, &t, src->line);

		s->setup = true;
		arg = plan_add(p, &ioctl_set_msix_nr);
		arg->msix_nr.assigned_dev_id = t.id;
		arg->msix_nr.entry_nr = (uint16_t)count;
		for (uint32_t i = 0; i < nentries; i++) {
			arg = plan_add(p, &ioctl_set_msix_entry);
			arg->msix_entry.assigned_dev_id = t.id;
			arg->msix_entry.entry = ent[i].entry;
			arg->msix_entry.gsi = ent[i].gsi;
		}
	}
	for (size_t i = 0; i < npairs; i++)
		free(pairs[i]);
	free(pairs);
	free(ent);
	if (con)
		poptFreeContext(con);
	free(id);
	free(count_arg);
	free(table_arg);
	return rc;
}

int cmd_msix(int argc, const char **argv)
{
	return plan_one(msix_step, "msix", argc, argv);
}
