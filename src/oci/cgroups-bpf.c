/* SPDX-License-Identifier: MIT */
/*
 * linux.resources.devices on cgroup v2: a hand-assembled eBPF program of
 * type BPF_PROG_TYPE_CGROUP_DEVICE, loaded and attached with the bpf(2)
 * syscall alone (no libbpf).
 *
 * What the rules mean.  OCI runtime-spec config-linux.md, "Allowed Device
 * list": the list is an allowlist and "the runtime MUST apply entries in
 * the listed order".  For one access to one device node (an open for
 * reading and/or writing, or a mknod), hv decides:
 *   - each access bit asked for (r, w, m) by the LAST rule that matches the
 *     device (type, major, minor; type "a" and a missing number match
 *     anything) and names that bit: that rule's allow;
 *   - a bit no rule names is denied: the list allows, it does not start
 *     from "everything" (runc once read it as a denylist, and fixed that
 *     as a security bug);
 *   - the access is allowed when every bit it asks for is.
 * So an "a" rule (every device, rwm) overrides everything before it, as
 * writing "a" to devices.deny/devices.allow resets the list on v1, and
 * later rules open or close holes in either direction.  Where the v1
 * kernel list differs (it drops an exception only on an exact
 * type:major:minor match, and wants a single exception to cover every bit
 * of an access), hv follows the rule order, as a reader of the config
 * would: a later deny is never overridden by an earlier, wider allow.
 *
 * The program.  The kernel runs it with a struct bpf_cgroup_dev_ctx and
 * takes 1 as allow, 0 as deny; with BPF_F_ALLOW_MULTI the programs of the
 * parent cgroups (systemd's) must allow too.  It tests the rules from the
 * last to the first, with the access bits not yet decided in r3:
 *   a rule that matches the device and names a bit still in r3:
 *     deny:  return 0 (that bit's last rule denies it)
 *     allow: take its bits out of r3; return 1 when none is left
 *   and when the first rule is passed: return 0.
 * An unconditional rule (type "a", rwm) returns at once, and the rules
 * before it are not emitted: the verifier refuses unreachable code.
 */
#include "oci/cgroups-bpf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"

#define DEV_PROG_NAME  "hv_devices" /* how hv finds its own programs again */
#define DEV_MAX_RULES  4096
#define DEV_RULE_INSNS 16 /* at most, per rule */
#define DEV_LOG_SIZE   (256u << 10)
#define DEV_LOG_TAIL   400 /* of the verifier log, in an error message */
#define DEV_ACC_ALL    (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

/* The registers the program keeps its inputs in. */
#define REG_RET	    BPF_REG_0 /* also scratch */
#define REG_CTX	    BPF_REG_1
#define REG_SCRATCH BPF_REG_1 /* once the context is read */
#define REG_TYPE    BPF_REG_2 /* BPF_DEVCG_DEV_CHAR/BLOCK */
#define REG_TODO    BPF_REG_3 /* BPF_DEVCG_ACC_* bits not decided yet */
#define REG_MAJOR   BPF_REG_4
#define REG_MINOR   BPF_REG_5

struct dev_prog {
	struct bpf_insn *v;
	size_t n, cap;
};

static void emit(struct dev_prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	/* the buffer is sized for the worst case; this guards the sizing */
	if (p->n < p->cap)
		p->v[p->n] = (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
	p->n++;
}

/* A rule's jumps to the next rule, whose offsets are set once the rule is
 * complete. */
struct dev_jumps {
	size_t at[3]; /* device, access, bits left */
	size_t n;
};

static void emit_skip_unless(struct dev_prog *p, struct dev_jumps *j, uint8_t op, uint8_t reg, int32_t imm)
{
	j->at[j->n++] = p->n;
	emit(p, BPF_JMP | op | BPF_K, reg, 0, 0, imm);
}

/*
 * One field of the device test: REG_RET |= reg ^ v, so that REG_RET ends
 * up 0 exactly when every field tested matches.  In 32-bit arithmetic,
 * which zero-extends (a 64-bit xor would sign-extend an immediate past
 * INT32_MAX).  One jump for the whole test, not one a field: the verifier
 * learns a register's value where a "jump if not equal" falls through,
 * states with known values do not cover the general one, and it would walk
 * the rules after every match anew; quadratic, that hits its limit of a
 * million instructions at a few hundred rules.
 */
static void emit_device_field(struct dev_prog *p, bool *first, uint8_t reg, uint32_t v)
{
	uint8_t dst = *first ? REG_RET : REG_SCRATCH;

	emit(p, BPF_ALU | BPF_MOV | BPF_X, dst, reg, 0, 0);
	emit(p, BPF_ALU | BPF_XOR | BPF_K, dst, 0, 0, (int32_t)v);
	if (!*first)
		emit(p, BPF_ALU | BPF_OR | BPF_X, REG_RET, REG_SCRATCH, 0, 0);
	*first = false;
}

static int32_t dev_access_bits(const char *access)
{
	int32_t bits = 0;

	for (const char *c = access; *c; c++) {
		switch (*c) {
		case 'r':
			bits |= BPF_DEVCG_ACC_READ;
			break;
		case 'w':
			bits |= BPF_DEVCG_ACC_WRITE;
			break;
		case 'm':
			bits |= BPF_DEVCG_ACC_MKNOD;
			break;
		}
	}
	return bits;
}

/* Emit one rule; true when it decides every access, so that nothing may
 * follow it. */
static bool emit_rule(struct dev_prog *p, const struct cg_dev_rule *r)
{
	int32_t bits = dev_access_bits(r->access);
	struct dev_jumps j = { .n = 0 };
	bool first = true;

	if (r->type != 'a')
		emit_device_field(p, &first, REG_TYPE, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
	if (r->major >= 0)
		emit_device_field(p, &first, REG_MAJOR, (uint32_t)r->major);
	if (r->minor >= 0)
		emit_device_field(p, &first, REG_MINOR, (uint32_t)r->minor);
	if (!first)
		emit_skip_unless(p, &j, BPF_JNE, REG_RET, 0);
	if (bits != DEV_ACC_ALL) {
		/* skip the rule when it names none of the bits still undecided */
		emit(p, BPF_ALU64 | BPF_MOV | BPF_X, REG_RET, REG_TODO, 0, 0);
		emit(p, BPF_ALU64 | BPF_AND | BPF_K, REG_RET, 0, 0, bits);
		emit_skip_unless(p, &j, BPF_JEQ, REG_RET, 0);
		if (r->allow) {
			/* allowed: these bits are decided, the rest go on */
			emit(p, BPF_ALU64 | BPF_AND | BPF_K, REG_TODO, 0, 0, ~bits);
			emit_skip_unless(p, &j, BPF_JNE, REG_TODO, 0);
		}
	}
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, REG_RET, 0, 0, r->allow ? 1 : 0);
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	for (size_t i = 0; i < j.n && p->n <= p->cap; i++)
		p->v[j.at[i]].off = (int16_t)(p->n - j.at[i] - 1);
	return j.n == 0;
}

int cg_bpf_devices_build(const struct cg_dev_rule *rules, size_t n, struct bpf_insn **insns, size_t *n_insns,
			 bool *allows_all)
{
	struct dev_prog p = { 0 };
	bool done = false;

	*insns = NULL;
	*n_insns = 0;
	*allows_all = false;
	if (n > DEV_MAX_RULES)
		return err_set(-E2BIG, "linux.resources.devices has %zu entries; hv takes at most %d on cgroup v2", n,
			       DEV_MAX_RULES);
	p.cap = 8 + DEV_RULE_INSNS * n;
	p.v = calloc(p.cap, sizeof(*p.v));
	if (!p.v)
		return err_set(-ENOMEM, "out of memory");

	emit(&p, BPF_LDX | BPF_W | BPF_MEM, REG_TYPE, REG_CTX, offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
	emit(&p, BPF_ALU64 | BPF_MOV | BPF_X, REG_TODO, REG_TYPE, 0, 0);
	emit(&p, BPF_ALU64 | BPF_RSH | BPF_K, REG_TODO, 0, 0, 16);
	emit(&p, BPF_ALU64 | BPF_AND | BPF_K, REG_TYPE, 0, 0, 0xffff);
	emit(&p, BPF_LDX | BPF_W | BPF_MEM, REG_MAJOR, REG_CTX, offsetof(struct bpf_cgroup_dev_ctx, major), 0);
	emit(&p, BPF_LDX | BPF_W | BPF_MEM, REG_MINOR, REG_CTX, offsetof(struct bpf_cgroup_dev_ctx, minor), 0);
	for (size_t i = n; i-- > 0 && !done;) {
		done = emit_rule(&p, &rules[i]);
		if (done && i == n - 1)
			*allows_all = rules[i].allow;
	}
	if (!done) {
		/* no rule decided: the list allows, so deny */
		emit(&p, BPF_ALU64 | BPF_MOV | BPF_K, REG_RET, 0, 0, 0);
		emit(&p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
	if (p.n > p.cap) {
		free(p.v);
		return err_set(-EOVERFLOW,
			       "linux.resources.devices: the device filter outgrew its buffer (a bug in hv)");
	}
	*insns = p.v;
	*n_insns = p.n;
	return 0;
}

/* ---- the bpf(2) syscall ----------------------------------------------- */

static int sys_bpf(enum bpf_cmd cmd, union bpf_attr *attr)
{
	return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* The end of the verifier's log, where it says what it refused, on one
 * line: "; " between lines, runs of blanks made one. */
static void dev_log_tail(const char *log, char *out, size_t n)
{
	size_t len = strlen(log), o = 0;
	const char *s, *line;
	char gap = 0;

	for (int pass = 0; pass < 2; pass++) {
		while (len > 0 && isspace((unsigned char)log[len - 1]))
			len--;
		/* the statistics the verifier ends with say nothing of the cause */
		line = memrchr(log, '\n', len);
		line = line ? line + 1 : log;
		if (pass == 0 && !strncmp(line, "processed ", 10))
			len = (size_t)(line - log);
	}
	s = len > DEV_LOG_TAIL ? log + len - DEV_LOG_TAIL : log;
	if (s != log)
		o = (size_t)snprintf(out, n, "...");
	for (; s < log + len && o + 3 < n; s++) {
		if (*s == '\n') {
			gap = ';';
		} else if (isspace((unsigned char)*s)) {
			gap = gap ? gap : ' ';
		} else {
			if (gap && o > 0) {
				if (gap == ';')
					out[o++] = ';';
				out[o++] = ' ';
			}
			gap = 0;
			out[o++] = *s;
		}
	}
	out[o < n ? o : n - 1] = '\0';
}

static int dev_load_error(int code, union bpf_attr *a)
{
	_cleanup_free_ char *log = NULL;
	char tail[DEV_LOG_TAIL + 16] = "";
	const char *hint = NULL;

	if (code == -ENOSYS) {
		hint = "the kernel needs CONFIG_BPF_SYSCALL and CONFIG_CGROUP_BPF";
	} else if (code == -EPERM) {
		hint = "loading eBPF programs needs CAP_SYS_ADMIN or CAP_BPF";
	} else if ((log = calloc(1, DEV_LOG_SIZE))) {
		/* again with the verifier's log, which costs time only on failure */
		a->log_level = 1;
		a->log_buf = (uintptr_t)log;
		a->log_size = DEV_LOG_SIZE;
		int fd = sys_bpf(BPF_PROG_LOAD, a);
		if (fd >= 0)
			close(fd); /* a passing failure; the first one stands */
		dev_log_tail(log, tail, sizeof(tail));
	}
	if (!hint && !*tail)
		hint = "the kernel needs CONFIG_CGROUP_BPF"; /* refused without a word: the type is unknown */
	if (hint)
		return err_set(code, "linux.resources.devices: cannot load the device filter: %s (%s)", strerror(-code),
			       hint);
	return err_set(code, "linux.resources.devices: cannot load the device filter: %s (the verifier says: %s)",
		       strerror(-code), tail);
}

int cg_bpf_devices_load(const struct bpf_insn *insns, size_t n)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = (uint32_t)n;
	a.license = (uintptr_t) "MIT"; /* no GPL-only helpers are called */
	memcpy(a.prog_name, DEV_PROG_NAME, sizeof(DEV_PROG_NAME));
	fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (fd < 0)
		return dev_load_error(-errno, &a);
	return fd;
}

static int dev_prog_info(int fd, struct bpf_prog_info *info)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	memset(info, 0, sizeof(*info));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(*info);
	a.info.info = (uintptr_t)info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) < 0)
		return err_errno(-errno, "linux.resources.devices: cannot read a device filter's description");
	return 0;
}

/* The device programs attached to the cgroup itself, not its parents. */
static int dev_prog_ids(int cgfd, const char *dir, uint32_t **ids, size_t *n)
{
	uint32_t cap = 16;

	*ids = NULL;
	*n = 0;
	for (;;) {
		_cleanup_free_ uint32_t *v = calloc(cap, sizeof(*v));
		union bpf_attr a;

		if (!v)
			return err_set(-ENOMEM, "out of memory");
		memset(&a, 0, sizeof(a));
		a.query.target_fd = (uint32_t)cgfd;
		a.query.attach_type = BPF_CGROUP_DEVICE;
		a.query.prog_ids = (uintptr_t)v;
		a.query.prog_cnt = cap;
		if (sys_bpf(BPF_PROG_QUERY, &a) == 0) {
			*ids = TAKE_PTR(v);
			*n = a.query.prog_cnt;
			return 0;
		}
		/* ENOSPC: prog_cnt says how many there are */
		if (errno != ENOSPC || a.query.prog_cnt <= cap || a.query.prog_cnt > 65536)
			return err_errno(-errno, "linux.resources.devices: cannot list the device filters of %s", dir);
		cap = a.query.prog_cnt;
	}
}

/*
 * hv's device programs on the cgroup dir (cgfd) but the one with id keep:
 * counted, and detached when detach is set.
 */
static int dev_hv_progs(int cgfd, const char *dir, uint32_t keep, bool detach, size_t *count)
{
	_cleanup_free_ uint32_t *ids = NULL;
	size_t n;
	int r;

	*count = 0;
	r = dev_prog_ids(cgfd, dir, &ids, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		_cleanup_close_ int fd = -1;
		struct bpf_prog_info info;
		union bpf_attr a;

		if (ids[i] == keep)
			continue;
		memset(&a, 0, sizeof(a));
		a.prog_id = ids[i];
		fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
		if (fd < 0 && errno == ENOENT)
			continue; /* detached meanwhile */
		if (fd < 0)
			return err_errno(-errno, "linux.resources.devices: cannot open device filter %u of %s", ids[i],
					 dir);
		r = dev_prog_info(fd, &info);
		if (r < 0)
			return r;
		if (info.type != BPF_PROG_TYPE_CGROUP_DEVICE || strcmp(info.name, DEV_PROG_NAME) != 0)
			continue;
		(*count)++;
		if (!detach)
			continue;
		memset(&a, 0, sizeof(a));
		a.target_fd = (uint32_t)cgfd;
		a.attach_bpf_fd = (uint32_t)fd;
		a.attach_type = BPF_CGROUP_DEVICE;
		if (sys_bpf(BPF_PROG_DETACH, &a) < 0 && errno != ENOENT)
			return err_errno(
			    -errno, "linux.resources.devices: cannot detach the previous device filter of %s", dir);
	}
	return 0;
}

static int dev_open_cgroup(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return err_errno(-errno, "linux.resources.devices: cannot open cgroup %s", dir);
	return fd;
}

int cg_bpf_devices_apply(const char *dir, const struct cg_dev_rule *rules, size_t n)
{
	_cleanup_free_ struct bpf_insn *insns = NULL;
	_cleanup_close_ int cgfd = -1;
	struct bpf_prog_info info = { .id = 0 };
	size_t n_insns, old;
	bool allows_all;
	union bpf_attr a;
	int r;

	r = cg_bpf_devices_build(rules, n, &insns, &n_insns, &allows_all);
	if (r < 0)
		return r;
	cgfd = dev_open_cgroup(dir);
	if (cgfd < 0)
		return cgfd;
	if (!allows_all) {
		/* the attachment holds the program once progfd is closed */
		_cleanup_close_ int progfd = cg_bpf_devices_load(insns, n_insns);
		if (progfd < 0)
			return progfd;
		r = dev_prog_info(progfd, &info);
		if (r < 0)
			return r;
		memset(&a, 0, sizeof(a));
		a.target_fd = (uint32_t)cgfd;
		a.attach_bpf_fd = (uint32_t)progfd;
		a.attach_type = BPF_CGROUP_DEVICE;
		a.attach_flags = BPF_F_ALLOW_MULTI;
		if (sys_bpf(BPF_PROG_ATTACH, &a) < 0)
			return err_errno(-errno, "linux.resources.devices: cannot attach the device filter to %s", dir);
	}
	/* The new program is in place before the old one goes, so that no
	 * moment goes unfiltered. */
	r = dev_hv_progs(cgfd, dir, info.id, true, &old);
	if (allows_all && (r == -ENOSYS || r == -EINVAL)) {
		/* a kernel without cgroup BPF: nothing to enforce, nor to detach */
		err_clear();
		return 0;
	}
	return r;
}

int cg_bpf_devices_count(const char *dir, size_t *count)
{
	_cleanup_close_ int cgfd = dev_open_cgroup(dir);

	*count = 0;
	if (cgfd < 0)
		return cgfd;
	return dev_hv_progs(cgfd, dir, 0, false, count);
}
