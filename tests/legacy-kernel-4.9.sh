#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# legacy-kernel-4.9.sh - the focused legacy-kernel suite (tests/legacy-kernel.sh
# lists it) on Linux 4.9.229 (tests/kernels/), q35 with an Intel IOMMU and
# interrupt remapping.
KVM_ASSIGN_RK_LINE=4.9
export KVM_ASSIGN_RK_LINE
exec sh "$(dirname "$0")/legacy-kernel.sh" "$@"
