#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# real-kernel-iommu.sh - the real-kernel harness on QEMU's q35 with an emulated
# Intel IOMMU (interrupt remapping on): runs tests/real-kernel/iommu/*.bats.
KVM_ASSIGN_RK_MACHINE=q35-iommu
export KVM_ASSIGN_RK_MACHINE
exec sh "$(dirname "$0")/real-kernel.sh" "$@"
