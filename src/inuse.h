/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inuse.h - does the host still use a PCI device?  Its network interfaces
 * (up, with an address or a route), mounted or swapped block devices, boot VGA.
 */
#ifndef KVM_ASSIGN_INUSE_H
#define KVM_ASSIGN_INUSE_H

#include <stddef.h>

#include "sysfs.h"

/*
 * Why the host uses the device at addr ("0000:03:00.0"), each reason with
 * its fix in brackets, joined by "; " into why.  Reads under ctx's root:
 * the device's net/ and block devices, /proc/net/{route,if_inet6,fib_trie},
 * /proc/self/mountinfo, /proc/swaps (on the running system getifaddrs too).
 * Returns the number of reasons: 0 when the host does not use it.
 */
int device_in_use(const struct sysfs_ctx *ctx, const char *addr, char *why, size_t len);

#endif
