/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inuse.c - does the host still use a PCI device?  Its network interfaces
 * (up, with an address or a route), mounted or swapped block devices, boot VGA.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "inuse.h"
#include "util.h"

struct reasons {
	char *buf;
	size_t len;
	int n;
};

static void add_reason(struct reasons *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_reason(struct reasons *r, const char *fmt, ...)
{
	size_t used = strlen(r->buf);
	va_list ap;

	if (used && used + 2 < r->len) {
		strcpy(r->buf + used, "; ");
		used += 2;
	}
	if (used < r->len) {
		va_start(ap, fmt);
		vsnprintf(r->buf + used, r->len - used, fmt, ap);
		va_end(ap);
	}
	r->n++;
}

/* --- network interfaces ------------------------------------------------ */

static bool iface_up(const struct sysfs_ctx *ctx, const char *netdir, const char *ifname)
{
	char v[32], path[4200];

	snprintf(path, sizeof(path), "%s/%s/flags", netdir, ifname);
	if (sysfs_read_s(ctx, v, sizeof(v), "/sys/class/net/%s/flags", ifname) == 0 || read_line(path, v, sizeof(v)))
		return strtoul(v, NULL, 16) & IFF_UP;
	snprintf(path, sizeof(path), "%s/%s/operstate", netdir, ifname);
	if (sysfs_read_s(ctx, v, sizeof(v), "/sys/class/net/%s/operstate", ifname) == 0 || read_line(path, v, sizeof(v)))
		return strcmp(v, "up") == 0 || strcmp(v, "unknown") == 0 || strcmp(v, "dormant") == 0;
	return false;
}

/* The interface's first route in /proc/net/route, as "10.0.2.0/24" or "default via 10.0.2.2". */
static bool iface_route(const struct sysfs_ctx *ctx, const char *ifname, char *out, size_t len)
{
	char line[512], name[IFNAMSIZ + 1], a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	unsigned dest, gw, flags, mask;
	FILE *f = sysfs_fopen(ctx, "/proc/net/route");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		struct in_addr d, m, gi;

		if (sscanf(line, "%16s %x %x %x %*d %*d %*d %x", name, &dest, &gw, &flags, &mask) != 5 ||
		    strcmp(name, ifname) != 0)
			continue;
		d.s_addr = dest;
		m.s_addr = mask;
		gi.s_addr = gw;
		inet_ntop(AF_INET, &d, a, sizeof(a));
		inet_ntop(AF_INET, &gi, g, sizeof(g));
		if (!mask)
			snprintf(out, len, "default via %s", g);
		else
			snprintf(out, len, "%s/%d", a, __builtin_popcount(ntohl(m.s_addr)));
		found = true;
	}
	fclose(f);
	return found;
}

/* Does a route of ifname cover the IPv4 address a (for fib_trie's LOCAL addresses)? */
static bool route_covers(const struct sysfs_ctx *ctx, const char *ifname, struct in_addr a)
{
	char line[512], name[IFNAMSIZ + 1];
	unsigned dest, mask;
	FILE *f = sysfs_fopen(ctx, "/proc/net/route");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%16s %x %*x %*x %*d %*d %*d %x", name, &dest, &mask) == 3 &&
		    strcmp(name, ifname) == 0 && mask && (a.s_addr & mask) == dest)
			found = true;
	fclose(f);
	return found;
}

/* An IPv4 address of ifname from /proc/net/fib_trie: its host LOCAL entries,
 * matched to the interface by the interface's routes. */
static bool iface_addr4_proc(const struct sysfs_ctx *ctx, const char *ifname, char *out, size_t len)
{
	char line[256], last[INET_ADDRSTRLEN] = "";
	FILE *f = sysfs_fopen(ctx, "/proc/net/fib_trie");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char a[INET_ADDRSTRLEN];
		struct in_addr in;

		if (sscanf(line, " |-- %15s", a) == 1) {
			snprintf(last, sizeof(last), "%s", a);
		} else if (*last && strstr(line, "/32 host LOCAL") && inet_pton(AF_INET, last, &in) == 1 &&
			   (ntohl(in.s_addr) >> 24) != 127 && route_covers(ctx, ifname, in)) {
			snprintf(out, len, "%s", last);
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* A global IPv6 address of ifname from /proc/net/if_inet6 (link-local ones come by themselves). */
static bool iface_addr6_proc(const struct sysfs_ctx *ctx, const char *ifname, char *out, size_t len)
{
	char hex[33], name[IFNAMSIZ + 1], line[256];
	unsigned idx, plen, scope, flags;
	FILE *f = sysfs_fopen(ctx, "/proc/net/if_inet6");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		struct in6_addr a;

		if (sscanf(line, "%32s %x %x %x %x %16s", hex, &idx, &plen, &scope, &flags, name) != 6 ||
		    strcmp(name, ifname) != 0 || strlen(hex) != 32 || scope == 0x20 || scope == 0x10)
			continue;
		for (int i = 0; i < 16; i++) {
			unsigned b;

			sscanf(hex + 2 * i, "%2x", &b);
			a.s6_addr[i] = (uint8_t)b;
		}
		inet_ntop(AF_INET6, &a, out, (socklen_t)len);
		found = true;
	}
	fclose(f);
	return found;
}

/* On the running system the kernel answers directly: getifaddrs. */
static bool iface_addr_live(const char *ifname, char *out, size_t len)
{
	struct ifaddrs *list, *i;
	bool found = false;

	if (getifaddrs(&list) < 0)
		return false;
	for (i = list; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, ifname) != 0)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, out, (socklen_t)len);
			found = true;
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			struct in6_addr *a = &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr;

			if (IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_LOOPBACK(a))
				continue;
			inet_ntop(AF_INET6, a, out, (socklen_t)len);
			found = true;
		}
	}
	freeifaddrs(list);
	return found;
}

/* The interfaces in one net/ directory of the device. */
static void check_netdir(const struct sysfs_ctx *ctx, const char *netdir, struct reasons *r)
{
	DIR *d = opendir(netdir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char what[INET6_ADDRSTRLEN + 32];
		const char *ifn = e->d_name;

		if (ifn[0] == '.' || !iface_up(ctx, netdir, ifn))
			continue;
		if ((sysfs_is_live(ctx) && iface_addr_live(ifn, what, sizeof(what))) ||
		    iface_addr4_proc(ctx, ifn, what, sizeof(what)) || iface_addr6_proc(ctx, ifn, what, sizeof(what)))
			add_reason(r, "interface %s is up with address %s (ip link set %s down)", ifn, what, ifn);
		else if (iface_route(ctx, ifn, what, sizeof(what)))
			add_reason(r, "interface %s is up with a route to %s (ip link set %s down)", ifn, what, ifn);
	}
	if (d)
		closedir(d);
}

/* The device's interfaces: in its net/, or one level down (virtio0/net/). */
static void check_net(const struct sysfs_ctx *ctx, const char *addr, struct reasons *r)
{
	char dir[4096], netdir[4400];
	struct dirent *e;
	DIR *d;

	sysfs_path(ctx, dir, sizeof(dir), "/sys/bus/pci/devices/%s", addr);
	snprintf(netdir, sizeof(netdir), "%s/net", dir);
	check_netdir(ctx, netdir, r);
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || e->d_type != DT_DIR || strcmp(e->d_name, "net") == 0)
			continue;
		snprintf(netdir, sizeof(netdir), "%s/%s/net", dir, e->d_name);
		check_netdir(ctx, netdir, r);
	}
	if (d)
		closedir(d);
}

/* --- block devices ----------------------------------------------------- */

struct blockdev {
	char name[64];
	unsigned major, minor;
};

struct blocklist {
	struct blockdev *v;
	size_t n, cap;
};

static void add_block(struct blocklist *b, const char *name, const char *devno)
{
	unsigned ma, mi;

	if (sscanf(devno, "%u:%u", &ma, &mi) != 2)
		return;
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].major == ma && b->v[i].minor == mi)
			return;
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 8;
		b->v = xrealloc(b->v, b->cap * sizeof(*b->v));
	}
	snprintf(b->v[b->n].name, sizeof(b->v[b->n].name), "%s", name);
	b->v[b->n].major = ma;
	b->v[b->n].minor = mi;
	b->n++;
}

/* The devices stacked on a block device (dm, md): its holders/. */
static void add_holders(const struct sysfs_ctx *ctx, struct blocklist *b, const char *dir)
{
	char path[4200], devno[32];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/holders", dir);
	d = opendir(path);
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' &&
		    sysfs_read_s(ctx, devno, sizeof(devno), "/sys/class/block/%s/dev", e->d_name) == 0)
			add_block(b, e->d_name, devno);
	if (d)
		closedir(d);
}

/* Block devices below dir (not following links): a directory with a dev file
 * that is a partition, sits in a block/ directory, or whose subsystem is block. */
static void find_blocks(const struct sysfs_ctx *ctx, struct blocklist *b, const char *dir, const char *parent, int depth)
{
	char path[4200], devno[32], sub[64];
	const char *base = strrchr(dir, '/');
	struct dirent *e;
	DIR *d;

	base = base ? base + 1 : dir;
	snprintf(path, sizeof(path), "%s/dev", dir);
	if (read_line(path, devno, sizeof(devno))) {
		char p2[4200];
		bool block = strcmp(parent, "block") == 0;

		snprintf(p2, sizeof(p2), "%s/partition", dir);
		block = block || access(p2, F_OK) == 0;
		snprintf(p2, sizeof(p2), "%s/subsystem", dir);
		block = block || (readlink_basename(p2, sub, sizeof(sub)) && strcmp(sub, "block") == 0);
		if (block) {
			add_block(b, base, devno);
			add_holders(ctx, b, dir);
		}
	}
	if (depth == 0 || !(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || e->d_type != DT_DIR)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		find_blocks(ctx, b, path, base, depth - 1);
	}
	closedir(d);
}

static void check_block(const struct sysfs_ctx *ctx, const char *addr, struct reasons *r)
{
	char dir[4096], line[4096];
	struct blocklist b = { 0 };
	FILE *f;

	find_blocks(ctx, &b, sysfs_path(ctx, dir, sizeof(dir), "/sys/bus/pci/devices/%s", addr), "", 10);
	if (!b.n)
		return;
	f = sysfs_fopen(ctx, "/proc/self/mountinfo");
	while (f && fgets(line, sizeof(line), f)) {
		char mnt[4096];
		unsigned ma, mi;

		char src[4096] = "";
		const char *sep = strstr(line, " - "), *base;

		if (sscanf(line, "%*d %*d %u:%u %*s %4095s", &ma, &mi, mnt) != 3)
			continue;
		/* btrfs and others show an anonymous 0:N: the source names the device. */
		if (sep)
			sscanf(sep + 3, "%*s %4095s", src);
		base = strncmp(src, "/dev/", 5) == 0 ? strrchr(src, '/') + 1 : NULL;
		for (size_t i = 0; i < b.n; i++)
			if ((b.v[i].major == ma && b.v[i].minor == mi) || (base && strcmp(base, b.v[i].name) == 0)) {
				add_reason(r, "block device %s (%u:%u) is mounted on %s (umount %s)",
					   b.v[i].name, b.v[i].major, b.v[i].minor, mnt, mnt);
				break;
			}
	}
	if (f)
		fclose(f);
	f = sysfs_fopen(ctx, "/proc/swaps");
	while (f && fgets(line, sizeof(line), f)) {
		char file[4096];
		const char *base;
		struct stat st;
		bool live = sysfs_is_live(ctx);

		if (sscanf(line, "%4095s", file) != 1 || file[0] != '/')
			continue;
		base = strrchr(file, '/') + 1;
		for (size_t i = 0; i < b.n; i++)
			if (strcmp(base, b.v[i].name) == 0 ||
			    (live && stat(file, &st) == 0 && S_ISBLK(st.st_mode) &&
			     major(st.st_rdev) == b.v[i].major && minor(st.st_rdev) == b.v[i].minor)) {
				add_reason(r, "block device %s is active swap (swapoff %s)", b.v[i].name, file);
				break;
			}
	}
	if (f)
		fclose(f);
	free(b.v);
}

int device_in_use(const struct sysfs_ctx *ctx, const char *addr, char *why, size_t len)
{
	struct reasons r = { .buf = why, .len = len };
	char v[8];

	why[0] = '\0';
	if (sysfs_read_s(ctx, v, sizeof(v), "/sys/bus/pci/devices/%s/boot_vga", addr) == 0 && strcmp(v, "1") == 0)
		add_reason(&r, "it is the boot VGA device, the host's console");
	check_net(ctx, addr, &r);
	check_block(ctx, addr, &r);
	return r.n;
}
