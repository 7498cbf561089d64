#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# legacy-kernel-noiommu.sh - Linux 4.1.15 with legacy device assignment on q35
# without any IOMMU: assign answers ENODEV; runs tests/legacy-kernel/noiommu/.
KVM_ASSIGN_RK_KERNEL=legacy KVM_ASSIGN_RK_MACHINE=legacy-noiommu
export KVM_ASSIGN_RK_KERNEL KVM_ASSIGN_RK_MACHINE
exec sh "$(dirname "$0")/real-kernel.sh" "$@"
