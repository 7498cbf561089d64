/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * msix.c - the msix command: the MSI-X entry count, then one entry->GSI
 * route per pair, checked in userspace where the kernel does not check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "exitcodes.h"
#include "kvm-assign.h"
#include "run.h"
#include "target.h"
#include "util.h"

static const char msix_help[] =
	"Usage:\n"
	" kvm-assign [options] msix <device>|--id=<n> --count=<n> <entry>:<gsi>...\n"
	"\nSet the number of MSI-X entries of an assigned device (KVM_ASSIGN_SET_MSIX_NR),\n"
	"then route each <entry> of its MSI-X table to guest <gsi>\n"
	"(KVM_ASSIGN_SET_MSIX_ENTRY), in the order given. Then use\n"
	"'kvm-assign irq --host=msix --guest=msix' to enable them.\n"
	"\nOptions:\n"
	"     --id=<n>       assigned-device id (default from <device>)\n"
	"     --count=<n>    entries, 1 to 256, at most the device's MSI-X table size\n"
	"\nGive one <entry>:<gsi> pair per entry: <entry> is 0 to count-1, each once;\n"
	"<gsi> is 1 to 4095 (the kernel takes an entry with GSI 0 for a free slot).\n"
	"The count stays set until 'kvm-assign irq --remove --host=msix' or deassign.\n";

/* An argument with a '.' or a leading '/' names a device; N:M is a pair. */
static int is_device_arg(const char *a)
{
	return a[0] == '/' || strchr(a, '.');
}

static int parse_pair(const char *a, uint32_t count, const unsigned char *seen,
		      uint32_t *entry, uint32_t *gsi)
{
	char buf[32];
	char *colon;

	if (strlen(a) >= sizeof(buf) || !(colon = strchr(strcpy(buf, a), ':')))
		return usage_err("msix", "'%s' is not an <entry>:<gsi> pair", a);
	*colon = '\0';
	if (!parse_u32(buf, UINT32_MAX, entry))
		return usage_err("msix", "'%s': '%s' is not an MSI-X entry number", a, buf);
	if (*entry >= count)
		return usage_err("msix", "'%s': entry %u is outside the %u entries of --count (0 to %u)",
				 a, *entry, count, count - 1);
	if (seen[*entry])
		return usage_err("msix", "'%s': entry %u is given twice", a, *entry);
	if (!parse_u32(colon + 1, KVM_MAX_GSI, gsi))
		return usage_err("msix", "'%s': '%s' is not a GSI (1 to %d)", a, colon + 1, KVM_MAX_GSI);
	/* The kernel takes a slot whose GSI is 0 for a free one: the next
	 * entry would overwrite it, and the table could never be enabled. */
	if (*gsi == 0)
		return usage_err("msix", "'%s': GSI 0 cannot be routed: the kernel treats an entry with GSI 0 as a free slot, "
				 "so the next entry would overwrite it (give GSIs 1 to %d)", a, KVM_MAX_GSI);
	return 0;
}

int cmd_msix(int argc, const char **argv)
{
	char *id = NULL, *count_arg = NULL;
	const char *device = NULL, *a;
	unsigned char seen[KVM_MAX_MSIX_PER_DEV] = { 0 };
	uint32_t count = 0, entry, gsi;
	struct target t;
	struct plan *p;
	union ioctl_arg *arg;
	poptContext con;
	int rc;
	const struct poptOption table[] = {
		{ "id", '\0', POPT_ARG_STRING, &id, 0, NULL, NULL },
		{ "count", '\0', POPT_ARG_STRING, &count_arg, 0, NULL, NULL },
		POPT_TABLEEND
	};

	p = xcalloc(1, sizeof(*p));
	rc = parse_command("msix", argc, argv, table, msix_help, &con);
	if (rc)
		;
	else if (!count_arg)
		rc = usage_err("msix", "no --count given: say how many MSI-X entries (1 to %d)", KVM_MAX_MSIX_PER_DEV);
	/* The kernel stores the count before it range-checks it: check here. */
	else if (!parse_u32(count_arg, KVM_MAX_MSIX_PER_DEV, &count) || count == 0)
		rc = usage_err("msix", "--count: '%s' is not an MSI-X entry count (1 to %d)",
			       count_arg, KVM_MAX_MSIX_PER_DEV);
	plan_init(p, "msix", "");
	arg = rc ? NULL : plan_add(p, &ioctl_set_msix_nr);
	while (!rc && con && (a = poptGetArg(con))) {
		if (is_device_arg(a)) {
			if (device || p->n > 1)
				rc = usage_err("msix", "unexpected argument '%s': give the device once, before the pairs", a);
			device = a;
			continue;
		}
		rc = parse_pair(a, count, seen, &entry, &gsi);
		if (rc)
			break;
		seen[entry] = 1;
		arg = plan_add(p, &ioctl_set_msix_entry);
		arg->msix_entry.entry = (uint16_t)entry;
		arg->msix_entry.gsi = gsi;
	}
	/*
	 * pci_enable_msix() takes the whole table at once and refuses duplicate
	 * entries, and the count stays set until the host MSI-X interrupt is
	 * removed: a partial table could never be enabled.
	 */
	if (!rc && p->n - 1 != count)
		rc = usage_err("msix", "--count=%u but %zu <entry>:<gsi> pair%s given: give one pair per entry",
			       count, p->n - 1, p->n == 2 ? "" : "s");
	if (!rc)
		rc = target_parse("msix", device, id, &t);
	if (!rc)
		rc = need_vm_source("msix");
	if (!rc)
		rc = target_lookup(&t, LOOKUP_IF_PRESENT);
	if (!rc && t.info.present && t.info.msix_table_size == 0)
		rc = usage_err("msix", "device %s has no MSI-X capability", strchr(t.what, ' ') + 1);
	else if (!rc && t.info.present && count > t.info.msix_table_size)
		rc = usage_err("msix", "--count=%u: device %s has only %u MSI-X table entries",
			       count, strchr(t.what, ' ') + 1, t.info.msix_table_size);
	if (!rc) {
		snprintf(p->what, sizeof(p->what), "%s", t.what);
		p->dev = &t.info;
		p->addr = t.have_device ? &t.addr : NULL;
		p->ops[0].arg.msix_nr.assigned_dev_id = t.id;
		p->ops[0].arg.msix_nr.entry_nr = (uint16_t)count;
		for (size_t i = 1; i < p->n; i++)
			p->ops[i].arg.msix_entry.assigned_dev_id = t.id;
		rc = plan_run(p);
	}
	free(p);
	if (con)
		poptFreeContext(con);
	free(id);
	free(count_arg);
	return rc;
}
