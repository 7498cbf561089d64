/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd-assign.c - the device commands: assign, deassign and intx-mask, each
 * one ioctl on a kvm_assigned_pci_dev.
 */
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "exitcodes.h"
#include "kvm-assign.h"
#include "run.h"
#include "target.h"
#include "util.h"

static const char assign_help[] =
	"Usage:\n"
	" kvm-assign [options] assign [--id=<n>] [--share-intx] [--mask-intx] <device>\n"
	"\nAssign a PCI device to the VM (KVM_ASSIGN_PCI_DEVICE). The IOMMU flag is\n"
	"always set. <device> is [[domain:]bus:]slot.func or a sysfs device path.\n"
	"\nOptions:\n"
	"     --id=<n>       assigned-device id\n"
	"                    (default (domain << 16) | (bus << 8) | devfn)\n"
	"     --share-intx   share the host INTx line by PCI 2.3 masking\n"
	"                    (KVM_DEV_ASSIGN_PCI_2_3)\n"
	"     --mask-intx    start with INTx masked (KVM_DEV_ASSIGN_MASK_INTX)\n";

static const char deassign_help[] =
	"Usage:\n"
	" kvm-assign [options] deassign <device>|--id=<n>\n"
	"\nRemove an assigned device from the VM (KVM_DEASSIGN_PCI_DEVICE). By --id the\n"
	"device need not be present: a hot-unplugged device can still be removed.\n"
	"\nOptions:\n"
	"     --id=<n>       assigned-device id (default from <device>)\n";

static const char intx_mask_help[] =
	"Usage:\n"
	" kvm-assign [options] intx-mask <device>|--id=<n> on|off\n"
	"\nMask (on) or unmask (off) an assigned device's INTx (KVM_ASSIGN_SET_INTX_MASK).\n"
	"\nOptions:\n"
	"     --id=<n>       assigned-device id (default from <device>)\n";

/* One ioctl on a kvm_assigned_pci_dev, as a step of p. */
static int device_step(struct plan *p, const struct source *src, const char *command,
		       const struct ioctl_desc *io, uint32_t flags, const char *device, const char *id,
		       enum lookup how, bool setup)
{
	struct target t;
	union ioctl_arg *arg;
	struct step *s;
	int rc;

	rc = target_parse(src, command, device, id, &t);
	if (!rc && !src->file)
		rc = need_vm_source(command);
	if (!rc)
		rc = target_lookup(src, &t, how);
	if (rc)
		return rc;

	s = plan_step(p, command, STEP_KERNEL, &t, src->line);
	s->setup = setup;
	arg = plan_add(p, io);
	arg->dev.assigned_dev_id = t.id;
	arg->dev.flags = flags;
	/* Only assign reads the address; the others key on the id alone, as QEMU sent them. */
	if (io == &ioctl_assign_pci_device) {
		arg->dev.segnr = t.addr.domain;
		arg->dev.busnr = t.addr.bus;
		arg->dev.devfn = ADDR_DEVFN(&t.addr);
	}
	return 0;
}

int assign_step(struct plan *p, const struct source *src, int argc, const char **argv)
{
	const char *args[1] = { NULL };
	char *id = NULL;
	int share_intx = 0, mask_intx = 0, rc;
	poptContext con;
	const struct poptOption table[] = {
		{ "id", '\0', POPT_ARG_STRING, &id, 0, NULL, NULL },
		{ "share-intx", '\0', POPT_ARG_NONE, &share_intx, 0, NULL, NULL },
		{ "mask-intx", '\0', POPT_ARG_NONE, &mask_intx, 0, NULL, NULL },
		POPT_TABLEEND
	};

	rc = step_options(src, "assign", argc, argv, table, assign_help, &con);
	if (!rc)
		rc = step_args(src, "assign", con, args, 1);
	if (!rc && !args[0])
		rc = source_bad(src, "assign", "assign", "no device given: assign needs a DEVICE");
	if (!rc)
		rc = device_step(p, src, "assign", &ioctl_assign_pci_device,
				 KVM_DEV_ASSIGN_ENABLE_IOMMU |
				 (share_intx ? KVM_DEV_ASSIGN_PCI_2_3 : 0) |
				 (mask_intx ? KVM_DEV_ASSIGN_MASK_INTX : 0),
				 args[0], id, LOOKUP_REQUIRED, true);
	if (con)
		poptFreeContext(con);
	free(id);
	return rc;
}

int deassign_step(struct plan *p, const struct source *src, int argc, const char **argv)
{
	const char *args[1] = { NULL };
	char *id = NULL;
	poptContext con;
	const struct poptOption table[] = {
		{ "id", '\0', POPT_ARG_STRING, &id, 0, NULL, NULL },
		POPT_TABLEEND
	};
	int rc = step_options(src, "deassign", argc, argv, table, deassign_help, &con);

	if (!rc)
		rc = step_args(src, "deassign", con, args, 1);
	if (!rc)
		rc = device_step(p, src, "deassign", &ioctl_deassign_pci_device, 0, args[0], id, LOOKUP_NONE, false);
	if (con)
		poptFreeContext(con);
	free(id);
	return rc;
}

int intx_mask_step(struct plan *p, const struct source *src, int argc, const char **argv)
{
	const char *args[2] = { NULL, NULL };
	const char *device = NULL, *state = NULL;
	char *id = NULL;
	poptContext con;
	const struct poptOption table[] = {
		{ "id", '\0', POPT_ARG_STRING, &id, 0, NULL, NULL },
		POPT_TABLEEND
	};
	int rc = step_options(src, "intx-mask", argc, argv, table, intx_mask_help, &con);

	if (!rc)
		rc = step_args(src, "intx-mask", con, args, 2);
	/* The last word is the state; a DEVICE, if any, comes before it. */
	if (!rc) {
		state = args[1] ? args[1] : args[0];
		device = args[1] ? args[0] : NULL;
		if (!state)
			rc = source_bad(src, "intx-mask", "intx-mask", "no state given: say on or off");
		else if (strcmp(state, "on") != 0 && strcmp(state, "off") != 0)
			rc = source_bad(src, "intx-mask", state, "'%s' is not a mask state: say on or off", state);
	}
	/* Neither setup nor teardown: its undo is the opposite state. */
	if (!rc)
		rc = device_step(p, src, "intx-mask", &ioctl_set_intx_mask,
				 strcmp(state, "on") == 0 ? KVM_DEV_ASSIGN_MASK_INTX : 0,
				 device, id, LOOKUP_NONE, false);
	if (con)
		poptFreeContext(con);
	free(id);
	return rc;
}

int cmd_assign(int argc, const char **argv)
{
	return plan_one(assign_step, "assign", argc, argv);
}

int cmd_deassign(int argc, const char **argv)
{
	return plan_one(deassign_step, "deassign", argc, argv);
}

int cmd_intx_mask(int argc, const char **argv)
{
	return plan_one(intx_mask_step, "intx-mask", argc, argv);
}
