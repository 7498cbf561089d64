/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * detach.c - take a PCI device (and its IOMMU group) from its host driver to
 * pci-stub or vfio-pci through driver_override, record it, and give it back.
 * A kernel without driver_override (before 3.16) gets the stub driver's
 * new_id instead (one id that matches the device's exact ids), and reattach
 * takes that id back with remove_id.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/file.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "detach.h"
#include "exitcodes.h"
#include "inuse.h"
#include "kvm-assign.h"
#include "probe.h"
#include "rootpath.h"
#include "util.h"

#define DEVICES "/sys/bus/pci/devices"
#define DRIVERS "/sys/bus/pci/drivers"
/* How long a bind may take: drivers can probe asynchronously. */
#define BIND_WAIT_MS 2000

extern char **environ;

/* What sysfs says about one device. */
struct pdev {
	char addr[PCI_ADDR_STRLEN];
	char driver[64];		/* bound driver, "" for none */
	char override[64];		/* driver_override, "" for none ("(null)") */
	bool has_override;		/* the kernel has driver_override (3.16+) */
	int htype;			/* header type without the multi-function bit, -1 unknown */
	int nbars;			/* BARs with resources, -1 unknown */
	uint16_t vendor, device, subvendor, subdevice;
	uint32_t class;			/* class code, 24 bits */
	char group[32];			/* IOMMU group, "" for none */
	char inuse[512];		/* how the host uses it (with --force), "" */
};

/* What detach replaced: the record's contents. */
struct record {
	char driver[64], override[64], target[64];
	char new_id[48];		/* the id given to target's new_id, "" for none */
};

bool detach_target_valid(const char *name)
{
	return strcmp(name, "pci-stub") == 0 || strcmp(name, "vfio-pci") == 0;
}

static bool is_stub(const char *drv)
{
	return detach_target_valid(drv);
}

bool detach_driver_off_host(const char *drv)
{
	return !*drv || is_stub(drv);
}

/*
 * One name of a driver directory, as the kernel's drivers have them: what a
 * record may hold, so nothing read from sysfs can add a line to a record or
 * a path component to a write.
 */
static bool valid_name(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");

	return !s[n] && n < 64 && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/*
 * The line for the stub driver's new_id and remove_id that matches this
 * device's exact ids (vendor, device, subsystem, class) and nothing less.
 */
static void id_line(const struct pdev *d, char *buf, size_t len)
{
	snprintf(buf, len, "%04x %04x %04x %04x %06x ffffff", d->vendor, d->device, d->subvendor, d->subdevice,
		 (unsigned)d->class);
}

/* A record's new_id: empty, or what id_line writes. */
static bool valid_id_line(const char *s)
{
	unsigned v[6];
	char again[48];

	if (!*s)
		return true;
	if (strlen(s) >= sizeof(again) || sscanf(s, "%4x %4x %4x %4x %6x %6x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return false;
	snprintf(again, sizeof(again), "%04x %04x %04x %04x %06x %06x", v[0], v[1], v[2], v[3], v[4], v[5]);
	return strcmp(again, s) == 0 && v[5] == 0xffffff;
}

static int exit_for(int err)
{
	err = err < 0 ? -err : err;
	return err == EACCES || err == EPERM || err == EROFS ? KA_EXIT_PERMISSION : KA_EXIT_REFUSED;
}

static void say(struct detach_report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct detach_report *rep, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rep->why, sizeof(rep->why), fmt, ap);
	va_end(ap);
}

static void append(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static struct detach_entry *new_entry(struct detach_report *rep, const struct pdev *d)
{
	struct detach_entry *e;

	rep->e = xrealloc(rep->e, (rep->n + 1) * sizeof(*rep->e));
	e = memset(&rep->e[rep->n++], 0, sizeof(*e));
	snprintf(e->addr, sizeof(e->addr), "%s", d->addr);
	snprintf(e->before, sizeof(e->before), "%s", d->driver);
	snprintf(e->after, sizeof(e->after), "%s", d->driver);
	return e;
}

void detach_report_free(struct detach_report *rep)
{
	free(rep->e);
	rep->e = NULL;
	rep->n = 0;
}

void detach_advice(const char *addr, const char *target, char *buf, size_t len)
{
	snprintf(buf, len, "kvm-assign detach%s%s %s", target ? " --driver=" : "", target ? target : "", addr);
}

/* --- reading a device -------------------------------------------------- */

static int no_device(const struct sysfs_ctx *ctx, const char *addr, struct detach_report *rep)
{
	say(rep, "%s: no such device (no %s%s/%s): lspci -D lists the devices", addr, ctx->root, DEVICES, addr);
	return KA_EXIT_NODEV;
}


static void read_driver(const struct sysfs_ctx *ctx, const char *addr, char *buf, size_t len)
{
	if (sysfs_readlink_basename(ctx, buf, len, DEVICES "/%s/driver", addr) < 0)
		buf[0] = '\0';
}

/* BARs with resources: the resource file's first lines (flags non-zero), else config space. */
static int count_bars(const struct sysfs_ctx *ctx, const char *addr, const uint8_t *cfg, size_t cfglen, int htype)
{
	int nbars = htype == 0 ? 6 : htype == 1 ? 2 : 1, found = 0;
	unsigned long long start, end, flags;
	char line[128];
	FILE *f = sysfs_fopen(ctx, DEVICES "/%s/resource", addr);

	if (f) {
		for (int i = 0; i < nbars && fgets(line, sizeof(line), f); i++)
			if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) == 3 && flags)
				found++;
		fclose(f);
		return found;
	}
	if (cfglen < 0x10 + 4u * (unsigned)nbars)
		return -1;
	for (int i = 0; i < nbars; i++) {
		const uint8_t *b = cfg + 0x10 + 4 * i;
		uint32_t v = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;

		if (!v)
			continue;
		found++;
		if (!(v & 1) && (v & 6) == 4)
			i++;	/* a 64-bit BAR takes the next register too */
	}
	return found;
}

/* 0, or -ENOENT when there is no such device. */
static int read_pdev(const struct sysfs_ctx *ctx, const char *addr, struct pdev *d)
{
	const struct sysfs_ctx live = { .root = "" };
	char path[4096];
	uint8_t cfg[64];
	ssize_t n = -1;
	int fd, rc;

	memset(d, 0, sizeof(*d));
	snprintf(d->addr, sizeof(d->addr), "%s", addr);
	if (!sysfs_exists(ctx, DEVICES "/%s", addr))
		return -ENOENT;
	read_driver(ctx, addr, d->driver, sizeof(d->driver));
	rc = sysfs_read_s(ctx, d->override, sizeof(d->override), DEVICES "/%s/driver_override", addr);
	d->has_override = sysfs_exists(ctx, DEVICES "/%s/driver_override", addr);
	if (rc < 0 || strcmp(d->override, "(null)") == 0)
		d->override[0] = '\0';
	if (sysfs_readlink_basename(ctx, d->group, sizeof(d->group), DEVICES "/%s/iommu_group", addr) < 0)
		d->group[0] = '\0';
	/* Resolved inside the root, a regular file only, never waited for (a FIFO). */
	fd = rootpath_open(ctx->root, sysfs_path(&live, path, sizeof(path), DEVICES "/%s/config", addr), O_RDONLY);
	if (fd >= 0) {
		n = read(fd, cfg, sizeof(cfg));
		close(fd);
	}
	d->htype = n > 0x0e ? cfg[0x0e] & 0x7f : -1;
	if (n >= 4) {
		d->vendor = (uint16_t)(cfg[0] | cfg[1] << 8);
		d->device = (uint16_t)(cfg[2] | cfg[3] << 8);
	}
	if (n >= 0x0c)
		d->class = (uint32_t)(cfg[0x09] | cfg[0x0a] << 8 | cfg[0x0b] << 16);
	if (n >= 0x30 && d->htype == 0) {
		d->subvendor = (uint16_t)(cfg[0x2c] | cfg[0x2d] << 8);
		d->subdevice = (uint16_t)(cfg[0x2e] | cfg[0x2f] << 8);
	}
	d->nbars = count_bars(ctx, addr, cfg, n > 0 ? (size_t)n : 0, d->htype < 0 ? 0 : d->htype);
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Wait until the device is bound to want ("" for unbound; NULL for any
 * driver), reading the driver link: drivers may probe asynchronously.
 * The driver it is on ends in now.
 */
static bool wait_driver(const struct sysfs_ctx *ctx, const char *addr, const char *want, char *now, size_t len)
{
	for (int waited = 0;; waited += 10) {
		read_driver(ctx, addr, now, len);
		if (want ? strcmp(now, want) == 0 : *now != '\0')
			return true;
		if (waited >= BIND_WAIT_MS)
			return false;
		sleep_ms(10);
	}
}

/* --- drivers ------------------------------------------------------------ */

static int run_modprobe(const char *module)
{
	const char *argv[] = { "modprobe", "--", module, NULL };
	posix_spawn_file_actions_t fa;
	int status, rc;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, "modprobe", &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return -rc;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * Is the driver loaded (DRIVERS/name)?  On the running system, load it with
 * modprobe (printed, not run, with --dry-run).  0, or an exit status with
 * rep->why saying what to load.
 */
static int need_driver(const struct sysfs_ctx *ctx, const char *name, const char *addr, struct detach_report *rep)
{
	char path[4096];
	int rc;

	if (sysfs_exists(ctx, DRIVERS "/%s", name))
		return 0;
	sysfs_path(ctx, path, sizeof(path), DRIVERS "/%s", name);
	if (!sysfs_is_live(ctx)) {
		say(rep, "%s: driver %s is not loaded (no %s): load it there: modprobe %s",
		    addr, name, path, name);
		return KA_EXIT_UNSUPPORTED;
	}
	sysfs_show(ctx, "modprobe %s", name);
	if (ctx->dry_run)
		return 0;
	rc = run_modprobe(name);
	if (rc == 0 && sysfs_exists(ctx, DRIVERS "/%s", name))
		return 0;
	if (rc < 0)
		say(rep, "%s: driver %s is not loaded, and modprobe could not run: %s: install kmod, then: modprobe %s",
		    addr, name, strerror(-rc), name);
	else
		say(rep, "%s: driver %s is not loaded, and 'modprobe %s' failed%s: this kernel lacks it "
		    "(CONFIG_%s)", addr, name, name, rc ? "" : " to register it",
		    strcmp(name, "vfio-pci") == 0 ? "VFIO_PCI" : strcmp(name, "pci-stub") == 0 ? "PCI_STUB" : "...");
	return KA_EXIT_UNSUPPORTED;
}

/* --- records ------------------------------------------------------------ */

static void record_path(const struct sysfs_ctx *ctx, const char *addr, char *buf, size_t len)
{
	sysfs_path(ctx, buf, len, DETACH_RECORD_DIR "/%s", addr);
}

/*
 * The record directory, open while a detach or reattach runs: -1 when there
 * is none (a --dry-run on a host that never detached).  Checked once opened
 * (open_records); records are then opened relative to it, never by path.
 */
static int rec_dir = -1;

/* What is wrong with the record directory, or NULL: root's alone, 0700. */
static const char *dir_unsafe(const struct stat *st, char *buf, size_t len)
{
	if (!S_ISDIR(st->st_mode))
		return "not a directory";
	if (st->st_uid != geteuid()) {
		snprintf(buf, len, "owned by uid %u, not by uid %u", (unsigned)st->st_uid, (unsigned)geteuid());
		return buf;
	}
	if (st->st_mode & 022) {
		snprintf(buf, len, "mode %04o: others can write records into it", (unsigned)(st->st_mode & 07777));
		return buf;
	}
	return NULL;
}

/*
 * Open ROOT/run/kvm-assign (made 0700 if missing and create), neither
 * component a symlink, and check it is root's alone: 0, or an exit status
 * with rep->why.  An old 0755 directory of ours is tightened to 0700
 * (nobody else could write into it); one owned by another user, or writable
 * by others, is refused: its records would decide what reattach binds.
 */
static int open_records(const struct sysfs_ctx *ctx, const char *addr, bool create, struct detach_report *rep)
{
	char dir[4096], buf[128];
	const char *bad = NULL;
	int root, run = -1, fd = -1, err = 0;
	struct stat st;

	sysfs_path(ctx, dir, sizeof(dir), DETACH_RECORD_DIR);
	root = open(*ctx->root ? ctx->root : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root >= 0 && create && mkdirat(root, "run", 0755) < 0 && errno != EEXIST)
		err = errno;
	if (root >= 0 && !err)
		run = openat(root, "run", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (run >= 0 && create && mkdirat(run, "kvm-assign", 0700) < 0 && errno != EEXIST)
		err = errno;
	if (run >= 0 && !err)
		fd = openat(run, "kvm-assign", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && !err)
		err = errno;
	if (root >= 0)
		close(root);
	if (run >= 0)
		close(run);
	if (fd < 0) {
		if (err == ENOENT && !create)
			return 0;
		if (err == ELOOP || err == ENOTDIR)
			bad = "it or its parent is a symlink or not a directory";
		else
			say(rep, "%s: cannot open the record directory %s: %s%s", addr, dir, strerror(err),
			    err == EACCES || err == EPERM || err == EROFS ? ": run as root" : "");
		if (!bad)
			return exit_for(err);
	}
	if (!bad && fstat(fd, &st) == 0 && !(bad = dir_unsafe(&st, buf, sizeof(buf))) && (st.st_mode & 077) &&
	    fchmod(fd, 0700) < 0)
		bad = "its mode cannot be made 0700";
	if (bad) {
		if (fd >= 0)
			close(fd);
		say(rep, "%s: the record directory %s is %s: it must be root's alone (0700), as its records decide "
		    "what reattach binds: check the records in it, then: chown root: %s; chmod 700 %s",
		    addr, dir, bad, dir, dir);
		return KA_EXIT_REFUSED;
	}
	rec_dir = fd;
	return 0;
}

static void close_records(void)
{
	if (rec_dir >= 0)
		close(rec_dir);
	rec_dir = -1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * One detach or reattach at a time (two at once on one IOMMU group would
 * each see the other's half-done moves): an exclusive flock on the file
 * "lock" in the record directory (0600: only root can open it), taken before
 * the device is read, waited for at most timeout_s seconds; a signal stops
 * the wait.  The holder writes its pid into it, for the message of a
 * waiter.  None for --dry-run: the directory is only opened, if it exists.
 */
static int lock_records(const struct sysfs_ctx *ctx, const char *addr, int timeout_s, int *fd,
			struct detach_report *rep)
{
	char dir[4096], pid[32] = "";
	long long end = now_ms() + timeout_s * 1000LL;
	struct stat st;
	int rc;
	ssize_t n;

	*fd = -1;
	rc = open_records(ctx, addr, !ctx->dry_run, rep);
	if (rc || ctx->dry_run)
		return rc;
	sysfs_path(ctx, dir, sizeof(dir), DETACH_RECORD_DIR "/lock");
	*fd = openat(rec_dir, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (*fd < 0 || fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		say(rep, "%s: cannot use the lock %s: %s", addr, dir,
		    *fd < 0 ? strerror(errno) : "not a regular file of root's alone (0600): remove it");
		rc = *fd < 0 ? exit_for(errno) : KA_EXIT_REFUSED;
		goto fail;
	}
	while (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		struct timespec ts = { 0, 20 * 1000000L };

		if (errno != EWOULDBLOCK && errno != EINTR) {
			say(rep, "%s: cannot lock %s: %s", addr, dir, strerror(errno));
			rc = exit_for(errno);
			goto fail;
		}
		n = pread(*fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? strspn(pid, "0123456789") : 0] = '\0';
		/* A signal may land between two sleeps: its flag is looked at too. */
		if (now_ms() >= end || (ctx->stop && *ctx->stop) || nanosleep(&ts, NULL) < 0) {
			say(rep, "%s: %s is held by %s%s%s: %s", addr, dir, *pid ? "pid " : "another kvm-assign",
			    pid, *pid ? " (another kvm-assign)" : "", now_ms() >= end
			    ? "waited --timeout; wait for it to finish, or give a longer --timeout"
			    : "stopped by a signal while waiting");
			rc = KA_EXIT_REFUSED;
			goto fail;
		}
	}
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(*fd, 0) < 0 || pwrite(*fd, pid, strlen(pid), 0) < 0) {
		/* The pid is a courtesy to a waiter: nothing depends on it. */
	}
	return 0;
fail:
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	close_records();
	return rc;
}

static void unlock_records(int fd)
{
	if (fd >= 0)
		close(fd);
	close_records();
}

/* Write the record atomically: a temporary file in the same directory, renamed. */
static int record_write(const struct sysfs_ctx *ctx, const char *addr, const struct record *r, struct detach_report *rep)
{
	char tmp[64], path[4200];
	int fd = -1, err = 0;

	record_path(ctx, addr, path, sizeof(path));
	if (ctx->dry_run || ctx->verbose)
		sysfs_note(ctx, "record in %s: driver=%s override=%s target=%s%s%s", path, r->driver, r->override,
			   r->target, *r->new_id ? " new_id=" : "", r->new_id);
	if (ctx->dry_run)
		return 0;
	snprintf(tmp, sizeof(tmp), ".%s.%ld", addr, (long)getpid());
	fd = openat(rec_dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 ||
	    dprintf(fd, "# kvm-assign detach record: what 'kvm-assign reattach %s' restores.\n"
		    "# It lives under /run, so it lasts until the host reboots.\n"
		    "version=1\ndevice=%s\ndriver=%s\noverride=%s\ntarget=%s\n%s%s%s",
		    addr, addr, r->driver, r->override, r->target, *r->new_id ? "new_id=" : "", r->new_id,
		    *r->new_id ? "\n" : "") < 0 || fsync(fd) < 0)
		err = errno ? errno : EIO;
	if (fd >= 0 && close(fd) < 0 && !err)
		err = errno;
	if (!err && renameat(rec_dir, tmp, rec_dir, addr) < 0)
		err = errno;
	if (err) {
		unlinkat(rec_dir, tmp, 0);
		say(rep, "%s: cannot record the detach in %s: %s", addr, path, strerror(err));
		return exit_for(err);
	}
	return 0;
}

static void record_remove(const struct sysfs_ctx *ctx, const char *addr)
{
	char path[4200];

	record_path(ctx, addr, path, sizeof(path));
	if (ctx->dry_run || ctx->verbose)
		sysfs_note(ctx, "remove the record %s", path);
	if (!ctx->dry_run && rec_dir >= 0)
		unlinkat(rec_dir, addr, 0);
}

/* Is there a record for addr (a name in the record directory, whatever it is)? */
static bool record_exists(const char *addr)
{
	struct stat st;

	return rec_dir >= 0 && fstatat(rec_dir, addr, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* 1 read and valid, 0 no record, -1 unusable (why says what is wrong with it). */
static int record_read(const struct sysfs_ctx *ctx, const char *addr, struct record *r, char *why, size_t len)
{
	/* new_id last: optional (a record written before it existed has none). */
	static const char *const keys[] = { "version", "device", "driver", "override", "target", "new_id" };
	char path[4200], text[4097], *line, *save = NULL;
	unsigned seen = 0;
	struct stat st;
	ssize_t n;
	int fd;

	memset(r, 0, sizeof(*r));
	record_path(ctx, addr, path, sizeof(path));
	if (rec_dir < 0)
		return 0;
	/* Never followed, never waited for: a record is a regular file of root's. */
	fd = openat(rec_dir, addr, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, len, "record %.512s: %s", path, errno == ELOOP ? "a symlink" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		snprintf(why, len, "record %.512s: not a regular file of root's", path);
		return -1;
	}
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n < 0 || n == (ssize_t)sizeof(text)) {
		snprintf(why, len, "record %.512s: %s", path, n < 0 ? strerror(errno) : "longer than any record");
		return -1;
	}
	text[n] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '='), *v;
		size_t k;

		if (line[0] == '#')
			continue;
		if (!eq) {
			snprintf(why, len, "record %.512s is corrupt: '%.40s' is not KEY=VALUE", path, line);
			return -1;
		}
		*eq = '\0';
		v = eq + 1;
		for (k = 0; k < ARRAY_SIZE(keys) && strcmp(keys[k], line); k++)
			;
		if (k == ARRAY_SIZE(keys) || seen & (1u << k)) {
			snprintf(why, len, "record %.512s is corrupt: %s key '%.40s'",
				 path, k == ARRAY_SIZE(keys) ? "unknown" : "repeated", line);
			return -1;
		}
		seen |= 1u << k;
		if ((k == 0 && strcmp(v, "1")) || (k == 1 && strcmp(v, addr)) ||
		    ((k == 2 || k == 3) && *v && !valid_name(v)) || (k == 4 && !detach_target_valid(v)) ||
		    (k == 5 && !valid_id_line(v))) {
			snprintf(why, len, "record %.512s is corrupt: bad %s '%.64s'", path, line, v);
			return -1;
		}
		if (k == 2)
			snprintf(r->driver, sizeof(r->driver), "%s", v);
		else if (k == 3)
			snprintf(r->override, sizeof(r->override), "%s", v);
		else if (k == 4)
			snprintf(r->target, sizeof(r->target), "%s", v);
		else if (k == 5)
			snprintf(r->new_id, sizeof(r->new_id), "%s", v);
	}
	for (size_t k = 0; k < ARRAY_SIZE(keys) - 1; k++)
		if (!(seen & (1u << k))) {
			snprintf(why, len, "record %.512s is corrupt: no %s= line", path, keys[k]);
			return -1;
		}
	return 1;
}

int detach_record_read(const struct sysfs_ctx *ctx, const char *addr, struct detach_record *out,
		       char *why, size_t len)
{
	struct detach_report dir = { 0 };
	bool opened = rec_dir < 0;
	struct record r;
	int rc;

	memset(&r, 0, sizeof(r));
	/* Outside a detach or reattach (status): the directory checked as they check it. */
	if (opened && open_records(ctx, addr, false, &dir)) {
		snprintf(why, len, "%s", dir.why);
		rc = -1;
	} else {
		rc = record_read(ctx, addr, &r, why, len);
	}
	if (opened)
		close_records();
	snprintf(out->driver, sizeof(out->driver), "%s", r.driver);
	snprintf(out->override, sizeof(out->override), "%s", r.override);
	snprintf(out->target, sizeof(out->target), "%s", r.target);
	return rc;
}

/* --- the writes ---------------------------------------------------------- */

/* A sysfs write that failed: "ADDR: write 'V' to PATH: why (ENAME)". */
static int write_failed(const struct sysfs_ctx *ctx, struct detach_report *rep, const char *addr,
			const char *value, const char *rel, int err)
{
	char path[4096];

	sysfs_path(ctx, path, sizeof(path), "%s", rel);
	say(rep, "%s: write '%s' to %s: %s (%s)", addr, value, path, strerror(-err), errno_name(-err));
	if (-err == EACCES || -err == EPERM || -err == EROFS)
		append(rep->why, sizeof(rep->why), ": run as root, with /sys mounted read-write");
	else if (-err == ENODEV && strstr(rel, "/bind"))
		append(rep->why, sizeof(rep->why), ": the driver does not take this device (its ids, or driver_override)");
	else if (-err == EBUSY)
		append(rep->why, sizeof(rep->why), ": the device or its driver is busy (a VM or a VFIO user holding it?)");
	else if (-err == ENOENT)
		append(rep->why, sizeof(rep->why), ": the device or the driver went away meanwhile");
	return exit_for(err);
}

static int do_write(const struct sysfs_ctx *ctx, struct detach_report *rep, const char *addr,
		    const char *value, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int do_write(const struct sysfs_ctx *ctx, struct detach_report *rep, const char *addr,
		    const char *value, const char *fmt, ...)
{
	char rel[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	rc = sysfs_write(ctx, value, "%s", rel);
	return rc < 0 ? write_failed(ctx, rep, addr, value, rel, rc) : 0;
}

/* Unbind the device from whatever driver holds it, and see it go. */
static int unbind(const struct sysfs_ctx *ctx, struct detach_report *rep, const char *addr, const char *drv)
{
	char now[64];
	int rc = do_write(ctx, rep, addr, addr, DEVICES "/%s/driver/unbind", addr);

	if (rc || ctx->dry_run)
		return rc;
	if (!wait_driver(ctx, addr, "", now, sizeof(now))) {
		say(rep, "%s: still on %s after the unbind", addr, drv);
		return KA_EXIT_REFUSED;
	}
	return 0;
}

/* See the device bound to target after a move; else say where it is. */
static int see_bound(const struct sysfs_ctx *ctx, const char *addr, const char *target, struct detach_report *rep)
{
	char now[64];

	if (ctx->dry_run || wait_driver(ctx, addr, target, now, sizeof(now)))
		return 0;
	say(rep, "%s: the kernel did not bind it to %s: it is on %s%s", addr, target,
	    *now ? now : "no driver", strcmp(target, "vfio-pci") == 0
	    ? " (vfio-pci refuses a device outside an IOMMU group; dmesg says why)" : " (dmesg says why)");
	return KA_EXIT_REFUSED;
}

/*
 * Move one device to target.  With driver_override: override, unbind,
 * probe.  Without (before 3.16): the record's id to target's new_id, unbind,
 * bind to target (a device on no driver is bound by new_id itself).
 */
static int move_to(const struct sysfs_ctx *ctx, const struct pdev *d, const struct record *r,
		   struct detach_report *rep, bool *touched)
{
	const char *target = r->target;
	int rc;

	*touched = false;
	if (!d->has_override) {
		rc = do_write(ctx, rep, d->addr, r->new_id, DRIVERS "/%s/new_id", target);
		if (rc)
			return rc;
		*touched = true;
		if (!*d->driver)
			return see_bound(ctx, d->addr, target, rep);
		rc = unbind(ctx, rep, d->addr, d->driver);
		if (!rc)
			rc = do_write(ctx, rep, d->addr, d->addr, DRIVERS "/%s/bind", target);
		return rc ? rc : see_bound(ctx, d->addr, target, rep);
	}
	if (strcmp(d->override, target) != 0) {
		rc = do_write(ctx, rep, d->addr, target, DEVICES "/%s/driver_override", d->addr);
		if (rc)
			return rc;
		*touched = true;
	}
	if (*d->driver) {
		rc = unbind(ctx, rep, d->addr, d->driver);
		*touched = true;
		if (rc)
			return rc;
	}
	rc = do_write(ctx, rep, d->addr, d->addr, "/sys/bus/pci/drivers_probe");
	*touched = true;
	return rc ? rc : see_bound(ctx, d->addr, target, rep);
}

/*
 * Take an id back from a stub driver's dynamic ids: one entry per write.
 * ENODEV (no such entry: a twin's reattach or a hand took it) is no error.
 */
static int remove_id(const struct sysfs_ctx *ctx, struct detach_report *rep, const char *addr,
		     const char *drv, const char *id)
{
	char rel[512];
	int rc;

	snprintf(rel, sizeof(rel), DRIVERS "/%s/remove_id", drv);
	rc = sysfs_write(ctx, id, "%s", rel);
	return rc < 0 && rc != -ENODEV ? write_failed(ctx, rep, addr, id, rel, rc) : 0;
}

/*
 * Give the device back as the record r says: restore the override (or take
 * the stub's id back), unbind the stub, bind the original driver (or let the
 * kernel probe).  The driver it ends on goes into after.
 */
static int restore(const struct sysfs_ctx *ctx, const char *addr, const struct record *r, bool has_override,
		   struct detach_report *rep, char *after, size_t alen)
{
	const char *orig = r->driver;
	char cur[64];
	int rc = 0;

	snprintf(after, alen, "%s", orig);
	if (has_override)
		rc = do_write(ctx, rep, addr, r->override, DEVICES "/%s/driver_override", addr);
	if (!rc && *r->new_id)
		rc = remove_id(ctx, rep, addr, r->target, r->new_id);
	if (rc)
		return rc;
	read_driver(ctx, addr, cur, sizeof(cur));
	if (strcmp(cur, orig) == 0)
		return 0;
	if (*cur && (rc = unbind(ctx, rep, addr, cur)))
		return rc;
	if (!*orig)
		return 0;
	if (!sysfs_exists(ctx, DRIVERS "/%s", orig) && sysfs_is_live(ctx) && is_stub(orig)) {
		/* modprobe only for the stubs: a record's name is no module to load. */
		sysfs_show(ctx, "modprobe %s", orig);
		if (!ctx->dry_run)
			run_modprobe(orig);	/* loading it may bind the device: seen below */
	}
	if (sysfs_exists(ctx, DRIVERS "/%s", orig) && (!*r->override || strcmp(r->override, orig) == 0)) {
		read_driver(ctx, addr, cur, sizeof(cur));
		if (strcmp(cur, orig) != 0 && (rc = do_write(ctx, rep, addr, addr, DRIVERS "/%s/bind", orig))) {
			/* The bind names the driver: give the kernel's probe a chance. */
			rc = do_write(ctx, rep, addr, addr, "/sys/bus/pci/drivers_probe");
		}
	} else {
		rc = do_write(ctx, rep, addr, addr, "/sys/bus/pci/drivers_probe");
	}
	if (rc || ctx->dry_run)
		return rc;
	if (!wait_driver(ctx, addr, orig, cur, sizeof(cur))) {
		snprintf(after, alen, "%s", cur);
		if (!sysfs_exists(ctx, DRIVERS "/%s", orig))
			say(rep, "%s: driver %s is not loaded: the kernel's probe left the device on %s: "
			    "load it (modprobe %s), then run kvm-assign reattach %s again",
			    addr, orig, *cur ? cur : "no driver", orig, addr);
		else
			say(rep, "%s: %s did not take the device back: it is on %s (dmesg says why)",
			    addr, orig, *cur ? cur : "no driver");
		return KA_EXIT_REFUSED;
	}
	return 0;
}

/* --- detach ---------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The other members of the device's IOMMU group, sorted; *n of them. */
static char **group_members(const struct sysfs_ctx *ctx, const struct pdev *d, size_t *n)
{
	DIR *dir = sysfs_opendir(ctx, DEVICES "/%s/iommu_group/devices", d->addr);
	struct dirent *e;
	char **v = NULL;

	*n = 0;
	while (dir && (e = readdir(dir))) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, d->addr) == 0)
			continue;
		v = xrealloc(v, (*n + 1) * sizeof(*v));
		v[(*n)++] = xstrdup(e->d_name);
	}
	if (dir)
		closedir(dir);
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_str);
	return v;
}

static void free_members(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool same_ids(const struct pdev *a, const struct pdev *b)
{
	return a->vendor == b->vendor && a->device == b->device && a->subvendor == b->subvendor &&
	       a->subdevice == b->subdevice && a->class == b->class;
}

/*
 * Without driver_override, the stub's new_id binds at once every device on
 * no driver that the id matches (measured on 3.10.105): list those outside
 * the move, ", "-separated, into out.
 */
static void unbound_twins(const struct sysfs_ctx *ctx, const struct pdev *list, size_t n, char *out, size_t len)
{
	DIR *dir = sysfs_opendir(ctx, "%s", DEVICES);
	struct dirent *e;

	out[0] = '\0';
	while (dir && (e = readdir(dir))) {
		struct pdev m;
		size_t i;

		for (i = 0; i < n && strcmp(e->d_name, list[i].addr); i++)
			;
		if (e->d_name[0] == '.' || i < n || read_pdev(ctx, e->d_name, &m) < 0 || *m.driver)
			continue;
		for (i = 0; i < n; i++)
			if (!list[i].has_override && same_ids(&m, &list[i]))
				break;
		if (i < n)
			append(out, len, "%s%s", *out ? ", " : "", m.addr);
	}
	if (dir)
		closedir(dir);
}

/* auto: pci-stub where the kernel has legacy assignment, vfio-pci elsewhere. */
static int pick_target(const char *addr, const char **target, char *why, size_t len, struct detach_report *rep)
{
	struct probe p;
	char text[256];

	probe_legacy_support(&p);
	if (p.result == PROBE_SUPPORTED) {
		*target = "pci-stub";
		snprintf(why, len, "auto: this kernel has legacy device assignment");
	} else if (p.result == PROBE_UNSUPPORTED) {
		*target = "vfio-pci";
		snprintf(why, len, "auto: this kernel lacks legacy device assignment");
	} else {
		say(rep, "%s: --driver=auto: cannot tell whether this kernel has legacy assignment (%s): "
		    "give --driver=pci-stub or --driver=vfio-pci", addr, probe_failure_text(&p, text, sizeof(text)));
		return p.err == EACCES || p.err == EPERM ? KA_EXIT_PERMISSION : KA_EXIT_NO_KVM;
	}
	return 0;
}

/*
 * What the record of d says to restore: its driver and override now, or,
 * from a stub to the other stub, what the record of the first detach says
 * (the device's original driver, not the stub it is leaving).
 */
static void keep_original(const struct sysfs_ctx *ctx, const struct pdev *d, struct record *r)
{
	struct record old;
	char why[1024];

	if (is_stub(d->driver) && record_read(ctx, d->addr, &old, why, sizeof(why)) == 1 &&
	    strcmp(old.target, d->driver) == 0) {
		snprintf(r->driver, sizeof(r->driver), "%s", old.driver);
		snprintf(r->override, sizeof(r->override), "%s", old.override);
		return;
	}
	snprintf(r->driver, sizeof(r->driver), "%s", d->driver);
	snprintf(r->override, sizeof(r->override), "%s", d->override);
}

static int detach_locked(const struct sysfs_ctx *ctx, const char *addr, const struct detach_request *req,
			 struct detach_report *rep)
{
	char **members = NULL, bound[1024] = "", auto_why[128] = "", put_back[1024] = "", twins[1024];
	const char *target = req->target;
	struct record *recs = NULL;
	struct pdev *list = NULL;
	size_t nmembers = 0, n = 0, done;
	struct pdev d;
	int rc = 0;

	if (read_pdev(ctx, addr, &d) < 0)
		return no_device(ctx, addr, rep);
	if (strcmp(target, "auto") == 0 && (rc = pick_target(addr, &target, auto_why, sizeof(auto_why), rep)))
		return rc;
	/* What no --force overrides: the kernel refuses these devices anyway. */
	if (d.htype > 0) {
		say(rep, "%s: a %s (header type %d): only endpoints can be assigned: detach the devices behind it",
		    addr, d.htype == 1 ? "PCI bridge" : "CardBus bridge", d.htype);
		return KA_EXIT_REFUSED;
	}
	if (d.nbars == 0) {
		say(rep, "%s: no BARs: KVM_ASSIGN_PCI_DEVICE and VFIO refuse a device without resources", addr);
		return KA_EXIT_REFUSED;
	}
	if (strcmp(target, "vfio-pci") == 0 && !*d.group) {
		say(rep, "%s: in no IOMMU group, so vfio-pci cannot take it: enable the IOMMU "
		    "(intel_iommu=on or amd_iommu=on), or use --driver=pci-stub", addr);
		return KA_EXIT_REFUSED;
	}

	list = xcalloc(1, sizeof(*list));
	if (strcmp(d.driver, target) != 0)
		list[n++] = d;
	if (*d.group && (req->group || strcmp(target, "vfio-pci") == 0)) {
		members = group_members(ctx, &d, &nmembers);
		for (size_t i = 0; i < nmembers; i++) {
			struct pdev m;

			if (read_pdev(ctx, members[i], &m) < 0 || m.htype > 0 || detach_driver_off_host(m.driver))
				continue;	/* bridges excepted; no driver or a stub is off the host */
			append(bound, sizeof(bound), "%s%s (%s)", *bound ? ", " : "", m.addr, m.driver);
			list = xrealloc(list, (n + 1) * sizeof(*list));
			list[n++] = m;
		}
		if (*bound && !req->group) {
			say(rep, "%s: IOMMU group %s also holds %s on host drivers: VFIO needs every endpoint of "
			    "the group off host drivers: add --group to detach them too", addr, d.group, bound);
			rc = KA_EXIT_REFUSED;
			goto out;
		}
	}
	if (!n) {
		struct detach_entry *e = new_entry(rep, &d);

		snprintf(e->note, sizeof(e->note), "already on %s: nothing to do", target);
		goto out;
	}

	/* Every refusal before the first write. */
	for (size_t i = 0; i < n; i++) {
		bool bad_drv = *list[i].driver && !valid_name(list[i].driver);

		if (bad_drv || (*list[i].override && !valid_name(list[i].override))) {
			say(rep, "%s: its %s '%s' is not one name of a driver (letters, digits, '_', '-', '.'): "
			    "nothing written, as it would go into the record: %s by hand", list[i].addr,
			    bad_drv ? "driver's name" : "driver_override", bad_drv ? list[i].driver : list[i].override,
			    bad_drv ? "unbind it" : "clear the override");
			rc = KA_EXIT_REFUSED;
			goto out;
		}
		if (device_in_use(ctx, list[i].addr, list[i].inuse, sizeof(list[i].inuse)) && !req->force) {
			say(rep, "%s: the host uses it: %s: free it first, or give --force", list[i].addr, list[i].inuse);
			rc = KA_EXIT_REFUSED;
			goto out;
		}
	}
	unbound_twins(ctx, list, n, twins, sizeof(twins));
	if (*twins) {
		say(rep, "%s: no driver_override (Linux before 3.16), and %s%s the same ids and no driver: "
		    "%s's new_id would bind %s too: bind %s to a driver first",
		    addr, twins, strchr(twins, ',') ? " have" : " has", target, strchr(twins, ',') ? "them" : "it",
		    strchr(twins, ',') ? "them" : "it");
		rc = KA_EXIT_REFUSED;
		goto out;
	}
	rc = need_driver(ctx, target, addr, rep);
	if (rc)
		goto out;

	recs = xcalloc(n, sizeof(*recs));
	for (done = 0; done < n; done++) {
		struct record *r = &recs[done];
		bool touched = false;

		keep_original(ctx, &list[done], r);
		snprintf(r->target, sizeof(r->target), "%s", target);
		if (!list[done].has_override)
			id_line(&list[done], r->new_id, sizeof(r->new_id));
		rc = record_write(ctx, list[done].addr, r, rep);
		if (!rc)
			rc = move_to(ctx, &list[done], r, rep, &touched);
		if (rc) {
			/* All or nothing: put back what moved, this device included. */
			struct detach_report back = { 0 };
			size_t last = touched ? done + 1 : done;

			for (size_t i = 0; i < last; i++) {
				char after[64];

				if (restore(ctx, list[i].addr, &recs[i], list[i].has_override, &back, after, sizeof(after)) == 0) {
					append(put_back, sizeof(put_back), "%s%s (%s)", *put_back ? ", " : "",
					       list[i].addr, *after ? after : "no driver");
					record_remove(ctx, list[i].addr);
				} else {
					append(put_back, sizeof(put_back), "%scould not put back %s: %s",
					       *put_back ? ", " : "", list[i].addr, back.why);
				}
			}
			if (!touched)
				record_remove(ctx, list[done].addr);
			append(rep->why, sizeof(rep->why), "; put back: %s", *put_back ? put_back : "nothing had moved");
			detach_report_free(rep);
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct detach_entry *e = new_entry(rep, &list[i]);

		snprintf(e->after, sizeof(e->after), "%s", target);
		e->changed = true;
		if (i)
			append(e->note, sizeof(e->note), "a member of IOMMU group %s", d.group);
		if (*auto_why)
			append(e->note, sizeof(e->note), "%s%s", *e->note ? "; " : "", auto_why);
		if (*list[i].inuse)
			append(e->note, sizeof(e->note), "%sforced although %s", *e->note ? "; " : "", list[i].inuse);
	}
out:
	free_members(members, nmembers);
	free(recs);
	free(list);
	return rc;
}

/* --- reattach -------------------------------------------------------------- */

static int reattach_one(const struct sysfs_ctx *ctx, const char *addr, struct detach_report *rep)
{
	char enable[16], why[1024], path[4200], id[48];
	struct detach_entry *e;
	struct record r;
	struct pdev d;
	int found, rc;

	if (read_pdev(ctx, addr, &d) < 0)
		return no_device(ctx, addr, rep);
	record_path(ctx, addr, path, sizeof(path));
	found = record_read(ctx, addr, &r, why, sizeof(why));
	if (found < 0) {
		say(rep, "%s: %s: remove it (rm %s) to let the kernel's probe pick the driver", addr, why, path);
		return KA_EXIT_REFUSED;
	}
	id_line(&d, id, sizeof(id));
	if (found && *r.new_id && strcmp(r.new_id, id) != 0) {
		say(rep, "%s: record %s is corrupt: new_id '%s' is not the device's ids (%s): remove it (rm %s) "
		    "to let the kernel's probe pick the driver", addr, path, r.new_id, id, path);
		return KA_EXIT_REFUSED;
	}
	if (found && strcmp(d.driver, r.driver) == 0 && strcmp(d.override, r.override) == 0) {
		if (*r.new_id && (rc = remove_id(ctx, rep, addr, r.target, r.new_id)))
			return rc;
		e = new_entry(rep, &d);
		e->recorded = true;
		snprintf(e->note, sizeof(e->note), "already back on %s", *d.driver ? d.driver : "no driver");
		record_remove(ctx, addr);
		return 0;
	}
	if (*d.driver && !is_stub(d.driver)) {
		if (found) {
			say(rep, "%s: on %s, not on %s as %s says: left alone; remove the record if it is stale",
			    addr, d.driver, r.target, path);
			return KA_EXIT_REFUSED;
		}
		e = new_entry(rep, &d);
		snprintf(e->note, sizeof(e->note), "on the host driver %s already: nothing to give back", d.driver);
		return 0;
	}
	if (sysfs_read_s(ctx, enable, sizeof(enable), DEVICES "/%s/enable", addr) == 0 && atoi(enable) > 0) {
		say(rep, "%s: still enabled (enable count %s): a VM or a VFIO user holds it: "
		    "deassign it or stop that VM first", addr, enable);
		return KA_EXIT_REFUSED;
	}
	e = new_entry(rep, &d);
	e->changed = true;
	e->recorded = found;
	if (found) {
		rc = restore(ctx, addr, &r, d.has_override, rep, e->after, sizeof(e->after));
		if (rc) {
			rep->n--;
			return rc;
		}
		record_remove(ctx, addr);
		snprintf(e->note, sizeof(e->note), "restored as %.400s recorded", path);
		return 0;
	}
	/*
	 * No record: clear the override and let the kernel's probe choose.
	 * Without driver_override, take back one "VVVV DDDD" id from the stub
	 * (what new_id by hand adds), else the probe gives the device back to it.
	 */
	snprintf(e->note, sizeof(e->note), "no record of a detach (%.300s; records last until the host reboots): "
		 "the kernel's probe picked the driver", path);
	snprintf(id, sizeof(id), "%04x %04x", d.vendor, d.device);
	if (d.has_override)
		rc = do_write(ctx, rep, addr, "", DEVICES "/%s/driver_override", addr);
	else
		rc = *d.driver ? remove_id(ctx, rep, addr, d.driver, id) : 0;
	if (!rc && *d.driver)
		rc = unbind(ctx, rep, addr, d.driver);
	if (!rc)
		rc = do_write(ctx, rep, addr, addr, "/sys/bus/pci/drivers_probe");
	if (rc) {
		rep->n--;
		return rc;
	}
	if (ctx->dry_run)
		snprintf(e->after, sizeof(e->after), "(the kernel's choice)");
	else
		wait_driver(ctx, addr, NULL, e->after, sizeof(e->after));
	return 0;
}

static int reattach_locked(const struct sysfs_ctx *ctx, const char *addr, bool group, struct detach_report *rep)
{
	char **members = NULL;
	size_t nmembers = 0;
	struct pdev d;
	int rc = reattach_one(ctx, addr, rep);

	if (rc || !group || read_pdev(ctx, addr, &d) < 0 || !*d.group)
		return rc;
	members = group_members(ctx, &d, &nmembers);
	for (size_t i = 0; i < nmembers && !rc; i++) {
		if (record_exists(members[i]))
			rc = reattach_one(ctx, members[i], rep);
	}
	free_members(members, nmembers);
	return rc;
}

int detach_device(const struct sysfs_ctx *ctx, const char *addr, const struct detach_request *req,
		  struct detach_report *rep)
{
	int fd, rc;

	if (!sysfs_exists(ctx, DEVICES "/%s", addr))
		return no_device(ctx, addr, rep);
	rc = lock_records(ctx, addr, opts.timeout_s, &fd, rep);
	if (rc)
		return rc;
	rc = detach_locked(ctx, addr, req, rep);
	unlock_records(fd);
	return rc;
}

int reattach_device(const struct sysfs_ctx *ctx, const char *addr, bool group, struct detach_report *rep)
{
	int fd, rc;

	if (!sysfs_exists(ctx, DEVICES "/%s", addr))
		return no_device(ctx, addr, rep);
	rc = lock_records(ctx, addr, opts.timeout_s, &fd, rep);
	if (rc)
		return rc;
	rc = reattach_locked(ctx, addr, group, rep);
	unlock_records(fd);
	return rc;
}
