// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fake-pci-kernel.c - the PCI core's half of a fake sysfs tree, for the detach
 * tests: logs each write to driver_override, bind, unbind, drivers_probe,
 * new_id and remove_id, and binds.
 */

/*
 * Usage: fake-pci-kernel --root=DIR --log=FILE [--probe=ADDR=DRIVER]...
 *                        [--refuse=ADDR=DRIVER]... [--no-override]
 * DIR/sys/bus/pci holds plain files where the kernel has attributes: the
 * writes land in them, and this program, told by inotify when a writer
 * closes one, does what the kernel would: unbind removes devices/ADDR/driver,
 * bind and drivers_probe make it (drivers_probe honours driver_override, else
 * binds the --probe driver; vfio-pci takes no device outside an IOMMU group;
 * --refuse=ADDR=DRIVER never binds ADDR to DRIVER).  Each write is logged as "PATH VALUE", PATH
 * relative to DIR.  "ready" on stdout when it watches; SIGTERM ends it.
 *
 * --no-override is a kernel before 3.16 as measured on 3.10.105 (see
 * docs/kernel.md): no driver_override; a driver's new_id ("VVVV DDDD [SSSS
 * ssss [CLASS MASK [DATA]]]", subsystem defaults any, mask 0) adds a dynamic
 * id and binds at once every device on no driver it matches (ids from
 * devices/ADDR/config); remove_id takes away one matching entry per write;
 * bind binds only a device on no driver that one of the driver's ids matches
 * (a dynamic id, or --probe=ADDR=DRIVER standing for its static ids);
 * drivers_probe tries the dynamic ids first, then --probe.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define MAX_WATCH 256
#define MAX_MAP 32

static char root[PATH_MAX];
static FILE *logfile;
static struct { int wd; char dir[PATH_MAX]; } watches[MAX_WATCH];
static int nwatch;
static char *probe_map[MAX_MAP], *refuse[MAX_MAP];
static int nprobe, nrefuse;
static bool no_override;
/* Dynamic ids (new_id), as the kernel's: vendor, device, subvendor, subdevice, class, class mask. */
static struct { char drv[64]; unsigned v[6]; bool used; } dynids[MAX_MAP];

static void die(const char *what)
{
	fprintf(stderr, "fake-pci-kernel: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void watch(int fd, const char *dir)
{
	int wd;

	if (nwatch == MAX_WATCH)
		return;
	wd = inotify_add_watch(fd, dir, IN_CLOSE_WRITE);
	if (wd < 0)
		die(dir);
	watches[nwatch].wd = wd;
	snprintf(watches[nwatch].dir, sizeof(watches[nwatch].dir), "%s", dir);
	nwatch++;
}

static void watch_children(int fd, const char *dir)
{
	char path[PATH_MAX + 300];
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		watch(fd, path);
	}
	if (d)
		closedir(d);
}

static void read_first(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, (int)len, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
}

static bool bound(const char *addr, char *drv, size_t len)
{
	char path[PATH_MAX + 300], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/driver", root, addr);
	n = readlink(path, target, sizeof(target) - 1);
	drv[0] = '\0';
	if (n <= 0)
		return false;
	target[n] = '\0';
	snprintf(drv, len, "%.63s", strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
	return true;
}

static void bind(const char *addr, const char *drv)
{
	char path[PATH_MAX + 300], target[PATH_MAX], cur[64];

	if (!*drv || bound(addr, cur, sizeof(cur)))
		return;
	for (int i = 0; i < nrefuse; i++) {
		size_t n = strcspn(refuse[i], "=");

		if (strncmp(refuse[i], addr, n) == 0 && addr[n] == '\0' && strcmp(refuse[i] + n + 1, drv) == 0)
			return;
	}
	snprintf(path, sizeof(path), "%s/sys/bus/pci/drivers/%s", root, drv);
	if (access(path, F_OK) < 0)
		return;
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/iommu_group", root, addr);
	if (strcmp(drv, "vfio-pci") == 0 && access(path, F_OK) < 0)
		return;
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/driver", root, addr);
	snprintf(target, sizeof(target), "../../drivers/%s", drv);
	if (symlink(target, path) < 0)
		die(path);
}

static const char *override_of(const char *addr, char *buf, size_t len)
{
	char path[PATH_MAX + 300];

	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/driver_override", root, addr);
	read_first(path, buf, len);
	if (strcmp(buf, "(null)") == 0)
		buf[0] = '\0';
	return buf;
}

static bool parse_id(const char *value, unsigned v[6])
{
	v[2] = v[3] = 0xffffffffu;	/* PCI_ANY_ID */
	v[4] = v[5] = 0;
	return sscanf(value, "%x %x %x %x %x %x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) >= 2;
}

/* Does the id v match the device at addr (its config space)? */
static bool id_matches(const unsigned v[6], const char *addr)
{
	char path[PATH_MAX + 300];
	unsigned char c[64] = { 0 };
	unsigned sv, sd, cls;
	FILE *f;

	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/config", root, addr);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fread(c, 1, sizeof(c), f) < 0x30)
		memset(c, 0xff, sizeof(c));
	fclose(f);
	sv = c[0x2c] | c[0x2d] << 8;
	sd = c[0x2e] | c[0x2f] << 8;
	cls = c[0x09] | c[0x0a] << 8 | (unsigned)c[0x0b] << 16;
	return v[0] == (unsigned)(c[0] | c[1] << 8) && v[1] == (unsigned)(c[2] | c[3] << 8) &&
	       (v[2] == 0xffffffffu || v[2] == sv) && (v[3] == 0xffffffffu || v[3] == sd) && !((v[4] ^ cls) & v[5]);
}

/* Does drv take the device: a dynamic id of drv, or --probe (its static ids)? */
static bool driver_takes(const char *drv, const char *addr)
{
	for (int i = 0; i < MAX_MAP; i++)
		if (dynids[i].used && strcmp(dynids[i].drv, drv) == 0 && id_matches(dynids[i].v, addr))
			return true;
	for (int i = 0; i < nprobe; i++) {
		size_t n = strcspn(probe_map[i], "=");

		if (strncmp(probe_map[i], addr, n) == 0 && addr[n] == '\0' && strcmp(probe_map[i] + n + 1, drv) == 0)
			return true;
	}
	return false;
}

/* new_id: add the id, and bind every device on no driver it matches. */
static void new_id(const char *drv, const char *value)
{
	char path[PATH_MAX + 300], cur[64];
	struct dirent *e;
	unsigned v[6];
	DIR *d;
	int i;

	if (!parse_id(value, v))
		return;
	for (i = 0; i < MAX_MAP && dynids[i].used; i++)
		;
	if (i == MAX_MAP)
		return;
	snprintf(dynids[i].drv, sizeof(dynids[i].drv), "%s", drv);
	memcpy(dynids[i].v, v, sizeof(v));
	dynids[i].used = true;
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices", root);
	d = opendir(path);
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && !bound(e->d_name, cur, sizeof(cur)) && id_matches(v, e->d_name))
			bind(e->d_name, drv);
	if (d)
		closedir(d);
}

/* remove_id: one matching entry per write (3.10.105). */
static void remove_id(const char *drv, const char *value)
{
	unsigned v[6];

	if (!parse_id(value, v))
		return;
	for (int i = 0; i < MAX_MAP; i++) {
		unsigned *w = dynids[i].v;

		if (dynids[i].used && strcmp(dynids[i].drv, drv) == 0 && w[0] == v[0] && w[1] == v[1] &&
		    (v[2] == 0xffffffffu || w[2] == v[2]) && (v[3] == 0xffffffffu || w[3] == v[3]) &&
		    !((w[4] ^ v[4]) & v[5])) {
			dynids[i].used = false;
			return;
		}
	}
}

/* drivers_probe without driver_override: a dynamic id first, then --probe. */
static void probe_plain(const char *addr)
{
	for (int i = 0; i < MAX_MAP; i++)
		if (dynids[i].used && id_matches(dynids[i].v, addr)) {
			bind(addr, dynids[i].drv);
			return;
		}
	for (int i = 0; i < nprobe; i++) {
		size_t n = strcspn(probe_map[i], "=");

		if (strncmp(probe_map[i], addr, n) == 0 && addr[n] == '\0')
			bind(addr, probe_map[i] + n + 1);
	}
}

static void handle(const char *dir, const char *name)
{
	char path[PATH_MAX + 300], value[256], drv[64], ovr[64];
	const char *rel = dir + strlen(root) + 1, *base = strrchr(dir, '/') + 1;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	read_first(path, value, sizeof(value));
	fprintf(logfile, "%s/%s %s\n", rel, name, value);
	fflush(logfile);
	if (strcmp(name, "unbind") == 0) {
		if (bound(value, drv, sizeof(drv)) && strcmp(drv, base) == 0) {
			snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/driver", root, value);
			unlink(path);
		}
	} else if (no_override && strcmp(name, "new_id") == 0) {
		new_id(base, value);
	} else if (no_override && strcmp(name, "remove_id") == 0) {
		remove_id(base, value);
	} else if (no_override && strcmp(name, "bind") == 0) {
		if (driver_takes(base, value))
			bind(value, base);
	} else if (no_override && strcmp(name, "drivers_probe") == 0) {
		probe_plain(value);
	} else if (strcmp(name, "bind") == 0) {
		override_of(value, ovr, sizeof(ovr));
		if (!*ovr || strcmp(ovr, base) == 0)
			bind(value, base);
	} else if (strcmp(name, "drivers_probe") == 0) {
		if (*override_of(value, ovr, sizeof(ovr))) {
			bind(value, ovr);
			return;
		}
		for (int i = 0; i < nprobe; i++) {
			size_t n = strcspn(probe_map[i], "=");

			if (strncmp(probe_map[i], value, n) == 0 && value[n] == '\0')
				bind(value, probe_map[i] + n + 1);
		}
	}
}

static void stop(int sig)
{
	(void)sig;
	_exit(0);
}

int main(int argc, char **argv)
{
	char path[PATH_MAX + 300], buf[8192] __attribute__((aligned(8)));
	const char *logname = NULL;
	int fd;

	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--root=", 7) == 0)
			snprintf(root, sizeof(root), "%s", argv[i] + 7);
		else if (strncmp(argv[i], "--log=", 6) == 0)
			logname = argv[i] + 6;
		else if (strncmp(argv[i], "--probe=", 8) == 0 && nprobe < MAX_MAP)
			probe_map[nprobe++] = argv[i] + 8;
		else if (strncmp(argv[i], "--refuse=", 9) == 0 && nrefuse < MAX_MAP)
			refuse[nrefuse++] = argv[i] + 9;
		else if (strcmp(argv[i], "--no-override") == 0)
			no_override = true;
		else {
			fprintf(stderr, "Usage: fake-pci-kernel --root=DIR --log=FILE [--probe=ADDR=DRIVER]... [--refuse=ADDR=DRIVER]... [--no-override]\n");
			return 2;
		}
	}
	if (!*root || !logname)
		return 2;
	logfile = fopen(logname, "a");
	if (!logfile)
		die(logname);
	signal(SIGTERM, stop);
	fd = inotify_init1(IN_CLOEXEC);
	if (fd < 0)
		die("inotify_init1");
	snprintf(path, sizeof(path), "%s/sys/bus/pci", root);
	watch(fd, path);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/drivers", root);
	watch_children(fd, path);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices", root);
	watch_children(fd, path);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("read inotify");
		}
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)(void *)p;

			for (int i = 0; i < nwatch; i++)
				if (watches[i].wd == ev->wd && ev->len)
					handle(watches[i].dir, ev->name);
			p += sizeof(*ev) + ev->len;
		}
	}
}
