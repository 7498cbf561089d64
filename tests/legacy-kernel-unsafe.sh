#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# legacy-kernel-unsafe.sh - Linux 4.1.15 with legacy device assignment on an
# IOMMU without interrupt remapping, booted with
# kvm.allow_unsafe_assigned_interrupts=1: assign works again;
# runs tests/legacy-kernel/unsafe/*.bats.
KVM_ASSIGN_RK_KERNEL=legacy KVM_ASSIGN_RK_MACHINE=legacy-nointremap
KVM_ASSIGN_RK_APPEND=kvm.allow_unsafe_assigned_interrupts=1
KVM_ASSIGN_RK_SUITE=tests/legacy-kernel/unsafe
export KVM_ASSIGN_RK_KERNEL KVM_ASSIGN_RK_MACHINE KVM_ASSIGN_RK_APPEND KVM_ASSIGN_RK_SUITE
exec sh "$(dirname "$0")/real-kernel.sh" "$@"
