/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * probe.c - does this kernel have legacy device assignment?  There is no
 * capability bit, so the only test is to try one on a VM of our own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "abi.h"
#include "probe.h"

void probe_legacy_support(struct probe *p)
{
	/* A fresh VM has nothing assigned, so any id is unused. */
	struct kvm_assigned_pci_dev unused = { .assigned_dev_id = 0xffffffffu };
	int kvm, vm, v;

	p->result = PROBE_FAILED;
	p->err = 0;
	p->api_version = -1;

	p->step = "open " KVM_DEVICE;
	kvm = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		p->err = errno;
		return;
	}
	p->step = "KVM_GET_API_VERSION";
	v = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (v < 0) {
		p->err = errno;
		goto out;
	}
	p->api_version = v;
	p->step = "KVM_CREATE_VM";
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		p->err = errno;
		goto out;
	}
	/* This process created the VM, so KVM's creator-only check passes. */
	p->step = "KVM_DEASSIGN_PCI_DEVICE";
	if (ioctl(vm, KVM_DEASSIGN_PCI_DEVICE, &unused) < 0) {
		p->err = errno;
		if (errno == ENOTTY)
			p->result = PROBE_UNSUPPORTED;
		else if (errno == EINVAL)
			p->result = PROBE_SUPPORTED;
	}
	close(vm);
out:
	close(kvm);
}

const char *probe_failure_text(const struct probe *p, char *buf, size_t len)
{
	if (p->step && strncmp(p->step, "open ", 5) == 0)
		snprintf(buf, len, "%s: %s", p->step + 5, strerror(p->err));
	else if (p->err)
		snprintf(buf, len, "%s failed: %s", p->step, strerror(p->err));
	else
		snprintf(buf, len, "%s succeeded unexpectedly", p->step);
	return buf;
}
