#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# legacy-kernel.sh - the real-kernel harness on Linux 4.1.15 with legacy device
# assignment, q35 with an Intel IOMMU and interrupt remapping: every ioctl
# really works or fails there; runs tests/legacy-kernel/*.bats.
KVM_ASSIGN_RK_KERNEL=legacy KVM_ASSIGN_RK_MACHINE=legacy
# The largest suite: about 6 min on an idle 2-core machine (its soak about
# 2 min), much more on a loaded one.
: "${KVM_ASSIGN_REAL_KERNEL_TIMEOUT:=900}"
export KVM_ASSIGN_RK_KERNEL KVM_ASSIGN_RK_MACHINE KVM_ASSIGN_REAL_KERNEL_TIMEOUT
exec sh "$(dirname "$0")/real-kernel.sh" "$@"
