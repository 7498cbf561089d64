#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# legacy-kernel-nointremap.sh - Linux 4.1.15 with legacy device assignment on an
# IOMMU without interrupt remapping: assign is refused (EPERM);
# runs tests/legacy-kernel/nointremap/*.bats.
KVM_ASSIGN_RK_KERNEL=legacy KVM_ASSIGN_RK_MACHINE=legacy-nointremap
export KVM_ASSIGN_RK_KERNEL KVM_ASSIGN_RK_MACHINE
exec sh "$(dirname "$0")/real-kernel.sh" "$@"
