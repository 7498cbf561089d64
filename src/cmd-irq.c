/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd-irq.c - the irq command: route an assigned device's host interrupt
 * into the VM as a guest interrupt (KVM_ASSIGN_DEV_IRQ), or remove it.
 */
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "exitcodes.h"
#include "kvm-assign.h"
#include "run.h"
#include "target.h"
#include "util.h"

static const char irq_help[] =
	"Usage:\n"
	" kvm-assign [options] irq <device>|--id=<n> [--host=<type>] [--guest=<type>]\n"
	"                       [--guest-irq=<gsi>]\n"
	" kvm-assign [options] irq --remove <device>|--id=<n> [--host=<type>]\n"
	"                       [--guest=<type>]\n"
	"\nRoute an assigned device's interrupt into the VM (KVM_ASSIGN_DEV_IRQ), or\n"
	"remove the route (KVM_DEASSIGN_DEV_IRQ). <type> is intx, msi or msix; either\n"
	"side may be left out, not both.\n"
	"\nOptions:\n"
	"     --id=<n>         assigned-device id (default from <device>)\n"
	"     --host=<type>    the host interrupt the device raises\n"
	"     --guest=<type>   the interrupt the guest sees\n"
	"     --guest-irq=<gsi> the guest's GSI, 0 to 4095 (for guest intx and msi)\n"
	"     --remove         remove the interrupt instead of assigning it\n";

static int irq_type(const struct source *src, const char *opt, const char *name, uint32_t intx, uint32_t *flags)
{
	static const char *const names[] = { "intx", "msi", "msix" };

	if (!name)
		return 0;
	for (int i = 0; i < 3; i++) {
		if (strcmp(name, names[i]) == 0) {
			*flags |= intx << i;	/* INTX, MSI, MSIX are consecutive bits */
			return 0;
		}
	}
	return source_bad(src, "irq", name, "%s: '%s' is not an interrupt type (intx, msi or msix)", opt, name);
}

int irq_step(struct plan *p, const struct source *src, int argc, const char **argv)
{
	const char *args[1] = { NULL };
	char *id = NULL, *host = NULL, *guest = NULL, *gsi_arg = NULL;
	int remove = 0, rc;
	uint32_t flags = 0, gsi = 0;
	struct target t;
	union ioctl_arg *arg;
	struct step *s;
	poptContext con;
	const struct poptOption table[] = {
		{ "id", '\0', POPT_ARG_STRING, &id, 0, NULL, NULL },
		{ "host", '\0', POPT_ARG_STRING, &host, 0, NULL, NULL },
		{ "guest", '\0', POPT_ARG_STRING, &guest, 0, NULL, NULL },
		{ "guest-irq", '\0', POPT_ARG_STRING, &gsi_arg, 0, NULL, NULL },
		{ "remove", '\0', POPT_ARG_NONE, &remove, 0, NULL, NULL },
		POPT_TABLEEND
	};

	rc = step_options(src, "irq", argc, argv, table, irq_help, &con);
	if (!rc)
		rc = step_args(src, "irq", con, args, 1);
	if (!rc)
		rc = irq_type(src, "--host", host, KVM_DEV_IRQ_HOST_INTX, &flags);
	if (!rc)
		rc = irq_type(src, "--guest", guest, KVM_DEV_IRQ_GUEST_INTX, &flags);
	if (!rc && !host && !guest)
		rc = source_bad(src, "irq", "irq", "no interrupt given: use --host=<type>, --guest=<type> or both");
	if (!rc && gsi_arg) {
		if (remove)
			rc = source_bad(src, "irq", "--guest-irq", "--guest-irq does not apply to --remove");
		else if (!guest)
			rc = source_bad(src, "irq", "--guest-irq", "--guest-irq needs --guest=<type>");
		else if (!parse_u32(gsi_arg, KVM_MAX_GSI, &gsi))
			rc = source_bad(src, "irq", gsi_arg, "--guest-irq: '%s' is not a GSI (0 to %d)", gsi_arg, KVM_MAX_GSI);
	}
	if (!rc && !remove && !gsi_arg && (flags & (KVM_DEV_IRQ_GUEST_INTX | KVM_DEV_IRQ_GUEST_MSI)))
		rc = source_bad(src, "irq", guest, "--guest=%s needs --guest-irq=<gsi>", guest);
	if (!rc)
		rc = target_parse(src, "irq", args[0], id, &t);
	if (!rc && !src->file)
		rc = need_vm_source("irq");
	if (!rc) {
		s = plan_step(p, "irq", STEP_KERNEL, &t, src->line);
		s->setup = !remove;
		/*
		 * In a batch, the halves go one ioctl each, host first: the kernel
		 * keeps a host half whose guest half fails, and then rollback
		 * knows it is there and removes exactly it.
		 */
		if (src->file && !remove && host && guest) {
			arg = plan_add(p, &ioctl_assign_dev_irq);
			arg->irq.assigned_dev_id = t.id;
			arg->irq.flags = flags & KVM_DEV_IRQ_HOST_MASK;
			flags &= KVM_DEV_IRQ_GUEST_MASK;
		}
		arg = plan_add(p, remove ? &ioctl_deassign_dev_irq : &ioctl_assign_dev_irq);
		arg->irq.assigned_dev_id = t.id;
		arg->irq.guest_irq = gsi;
		arg->irq.flags = flags;
	}
	if (con)
		poptFreeContext(con);
	free(id);
	free(host);
	free(guest);
	free(gsi_arg);
	return rc;
}

int cmd_irq(int argc, const char **argv)
{
	return plan_one(irq_step, "irq", argc, argv);
}
