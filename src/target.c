/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * target.c - which assigned device a command acts on: DEVICE, --id, or
 * both, resolved to the id the kernel keys its list by.
 */
#include <stdio.h>
#include <string.h>

#include "abi.h"
#include "exitcodes.h"
#include "kvm-assign.h"
#include "run.h"
#include "target.h"
#include "util.h"

int target_parse(const struct source *src, const char *command, const char *device, const char *id,
		 struct target *t)
{
	char addr[PCI_ADDR_STRLEN], why[160];

	memset(t, 0, sizeof(*t));
	if (!device && !id)
		return source_bad(src, command, command, "no device given: name a DEVICE or --id=N");
	if (device) {
		if (!device_parse(device, &t->addr, why, sizeof(why)))
			return source_bad(src, command, device, "%s", why);
		t->have_device = 1;
		t->id = kvm_assigned_dev_id(t->addr.domain, t->addr.bus, ADDR_DEVFN(&t->addr));
	}
	if (id && !parse_u32(id, UINT32_MAX, &t->id))
		return source_bad(src, command, id, "--id: '%s' is not an assigned-device id (0 to 4294967295)", id);
	if (device) {
		device_format(&t->addr, addr);
		snprintf(t->what, sizeof(t->what), "%s %s", command, addr);
	} else {
		snprintf(t->what, sizeof(t->what), "%s id 0x%x", command, t->id);
	}
	return 0;
}

int target_lookup(const struct source *src, struct target *t, enum lookup how)
{
	char addr[PCI_ADDR_STRLEN];

	if (!t->have_device || how == LOOKUP_NONE)
		return 0;
	device_lookup(opts.pacc, &t->addr, &t->info);
	if (!t->info.present && how == LOOKUP_REQUIRED) {
		device_format(&t->addr, addr);
		return source_error(src, KA_EXIT_NODEV, NULL, "device %s: not found: check the address with lspci", addr);
	}
	return 0;
}
