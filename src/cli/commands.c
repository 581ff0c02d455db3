/* SPDX-License-Identifier: MIT */
/* hv's command table (see commands.h): the one list of commands, operands
 * and options that dispatch, help, completion and man pages come from. */
#include "cli/commands.h"

#include <string.h>

#include "cli/cli.h"

#define FLAG(n, s, h)                                                                                                  \
	{                                                                                                              \
		n, s, NULL, CC_NONE, h                                                                                 \
	}
#define OPT(n, s, m, c, h)                                                                                             \
	{                                                                                                              \
		n, s, m, c, h                                                                                          \
	}
#define END                                                                                                            \
	{                                                                                                              \
		NULL, 0, NULL, CC_NONE, NULL                                                                           \
	}

#define VM_OPTS                                                                                                        \
	OPT("cpus", 'c', "N", CC_NONE, "virtual CPUs"),                                                                \
	    OPT("memory", 'm', "SIZE", CC_NONE, "memory, e.g. 512M or 2G"),                                            \
	    OPT("disk", 0, "FILE[,format=F]", CC_FILE, "attach a disk image (repeatable)"),                            \
	    OPT("kernel", 0, "FILE", CC_FILE, "boot this Linux kernel"), OPT("initrd", 0, "FILE", CC_FILE, "initrd"),  \
	    OPT("cmdline", 0, "STRING", CC_NONE, "kernel command line"),                                               \
	    OPT("machine", 0, "microvm|q35", CC_WORDS, "machine type"),                                                \
	    OPT("accel", 0, "auto|kvm|tcg", CC_WORDS, "accelerator (auto: KVM when usable, else TCG)"),                \
	    OPT("nic", 0, "SPEC", CC_NONE, "a NIC: nat, natnet:NET, host-only:NET, internal:NET (repeatable)"),        \
	    OPT("forward", 0, "SPEC", CC_NONE, "forward [tcp|udp:][ADDR:]HOSTPORT:GUESTPORT to the nat NIC"),          \
	    OPT("share", 0, "HOSTDIR[:TAG][,ro]", CC_DIR, "share a host directory (virtio-fs) at /mnt/TAG")

static const struct cli_opt run_opts[] = { VM_OPTS, END };
static const struct cli_opt create_opts[] = {
	VM_OPTS,
	OPT("disk-from", 0, "FILE", CC_FILE, "a copy-on-write disk on top of FILE"),
	OPT("image", 0, "IMAGE", CC_IMAGE, "boot an OS image (hv image list)"),
	OPT("user", 0, "USER", CC_NONE, "the user cloud-init creates"),
	OPT("ssh-key", 0, "FILE", CC_FILE, "authorized SSH public key"),
	OPT("password-file", 0, "FILE", CC_FILE, "the user's password, read from FILE"),
	OPT("cloud-init", 0, "FILE", CC_FILE, "cloud-init user-data"),
	OPT("disk-size", 0, "SIZE", CC_NONE, "size of the image overlay disk"),
	OPT("firmware", 0, "bios|uefi", CC_WORDS, "firmware"),
	OPT("boot", 0, "ORDER", CC_NONE, "boot order"),
	OPT("cdrom", 0, "ISO", CC_FILE, "attach an ISO image"),
	OPT("graphics", 0, "none|vnc", CC_WORDS, "a display"),
	END
};
static const struct cli_opt list_opts[] = { FLAG("all", 'a', "stopped VMs too"), FLAG("json", 0, "JSON output"), END };
static const struct cli_opt json_opts[] = { FLAG("json", 0, "JSON output"), END };
static const struct cli_opt start_opts[] = { FLAG("wait", 'w', "wait until the guest is ready"),
					     OPT("timeout", 't', "SECONDS", CC_NONE, "how long --wait waits"),
					     FLAG("json", 0, "JSON output"), END };
static const struct cli_opt stop_opts[] = {
	OPT("timeout", 't', "SECONDS", CC_NONE, "how long the guest may take to power off (30)"),
	FLAG("force", 'f', "cut the power at once"), OPT("mode", 0, "acpi|agent", CC_WORDS, "how to ask the guest"), END
};
static const struct cli_opt set_opts[] = { OPT("cpus", 'c', "N", CC_NONE, "virtual CPUs"),
					   OPT("memory", 'm', "SIZE", CC_NONE, "memory"),
					   OPT("nic", 0, "SPEC", CC_NONE, "replace the NICs (repeatable)"),
					   OPT("forward", 0, "SPEC", CC_NONE, "port forward of the nat NIC"),
					   OPT("cdrom", 0, "ISO", CC_FILE, "insert an ISO image (none: eject)"),
					   OPT("boot", 0, "ORDER", CC_NONE, "boot order"),
					   OPT("graphics", 0, "none|vnc", CC_WORDS, "a display"),
					   OPT("share", 0, "HOSTDIR[:TAG][,ro]", CC_DIR, "add a shared directory"),
					   OPT("no-share", 0, "TAG", CC_NONE, "remove a shared directory"),
					   END };
static const struct cli_opt delete_opts[] = { FLAG("force", 'f', "stop a running VM first"),
					      FLAG("keep-disks", 0, "keep the VM's disks"),
					      FLAG("flatten-clones", 0, "make linked clones self-contained first"),
					      END };
static const struct cli_opt exec_opts[] = { FLAG("tty", 't', "a terminal"),
					    OPT("env", 'e', "K=V", CC_NONE, "environment variable (repeatable)"),
					    OPT("workdir", 'w', "DIR", CC_NONE, "working directory in the guest"),
					    OPT("user", 'u', "USER", CC_NONE, "run as USER"), END };
static const struct cli_opt ui_opts[] = { OPT("listen", 0, "ADDR:PORT", CC_NONE, "where to listen (127.0.0.1:8006)"),
					  OPT("tls", 0, "CERT,KEY", CC_FILE, "serve HTTPS"),
					  FLAG("insecure", 0, "plain HTTP on a non-loopback address"),
					  OPT("url-file", 0, "FILE", CC_FILE, "write the URL with its token to FILE"),
					  END };
static const struct cli_opt cp_opts[] = { FLAG("quiet", 'q', "no progress"), END };
static const struct cli_opt ssh_opts[] = { OPT("user", 'l', "USER", CC_NONE, "log in as USER"),
					   OPT("identity", 'i', "KEY", CC_FILE, "private key"), END };
#define STATSVIEW_OPTS                                                                                                 \
	FLAG("all", 'a', "stopped VMs and containers too"), FLAG("no-containers", 0, "VMs only"),                      \
	    OPT("root", 0, "DIR", CC_DIR, "the containers' root (hv ctr --root)")
static const struct cli_opt stats_opts[] = { FLAG("json", 0, "JSON output"),
					     FLAG("prometheus", 0, "Prometheus text format"),
					     FLAG("counters", 0, "one sample, cumulative counters"),
					     OPT("interval", 0, "SECONDS", CC_NONE, "between the two samples"),
					     STATSVIEW_OPTS,
					     END };
static const struct cli_opt top_opts[] = { OPT("delay", 'd', "SECONDS", CC_NONE, "refresh interval"),
					   OPT("iterations", 'n', "N", CC_NONE, "stop after N refreshes"),
					   FLAG("once", 0, "one refresh"),
					   OPT("sort", 's', "cpu|mem|name|disk|net", CC_WORDS, "sort key"),
					   STATSVIEW_OPTS,
					   END };
static const struct cli_opt snapshot_opts[] = { FLAG("disk-only", 0, "create: without the VM's memory state"),
						OPT("description", 0, "TEXT", CC_NONE, "create: a description"),
						FLAG("json", 0, "list: JSON output"), END };
static const struct cli_opt clone_opts[] = { FLAG("linked", 'l', "a linked clone (overlays)"),
					     OPT("snapshot", 's', "SNAP", CC_SNAPSHOT, "clone this snapshot"),
					     FLAG("keep-identity", 'k', "keep MAC addresses and machine id"), END };
static const struct cli_opt migrate_opts[] = {
	FLAG("offline", 0, "only a stopped VM's definition and disks (implied for a stopped VM)"),
	FLAG("keep-source", 0, "leave the source defined, stopped (its disks are the destination's now)"),
	FLAG("auto-converge", 0, "throttle the guest's vCPUs when it dirties memory faster than the link"),
	FLAG("postcopy", 0, "at --timeout switch to postcopy (the VM runs there, memory follows)"),
	FLAG("copy-storage", 0, "copy the disks to the destination (NBD mirror; a backing chain arrives flattened)"),
	OPT("bandwidth", 0, "MiB/s", CC_NONE, "at most this rate, for RAM and copied disks (default: no limit)"),
	OPT("max-downtime", 0, "MS", CC_NONE, "the pause QEMU aims for at switchover (default 300)"),
	OPT("timeout", 0, "S", CC_NONE, "give up (or --postcopy) when it has not converged after S seconds"),
	OPT("stall", 0, "S", CC_NONE, "give up when nothing was sent for S seconds (a cut link; default 30)"),
	FLAG("cancel", 0, "cancel the migration of NAME under way (it runs on at the source)"),
	FLAG("json", 0, "the final report as JSON"),
	END
};
static const struct cli_opt net_create_opts[] = { OPT("mode", 'm', "natnet|host-only|internal", CC_WORDS,
						      "the kind of network"),
						  OPT("subnet", 's', "CIDR", CC_NONE, "its IPv4 subnet"), END };
static const struct cli_opt force_opts[] = { FLAG("force", 'f', "also when VMs use it"), END };
static const struct cli_opt disk_create_opts[] = {
	OPT("size", 's', "SIZE", CC_NONE, "virtual size"), OPT("format", 'f', "qcow2|raw", CC_WORDS, "image format"),
	OPT("backing", 'b', "BASE[,format=F]", CC_FILE, "a qcow2 overlay on BASE"), END
};
static const struct cli_opt disk_info_opts[] = { FLAG("json", 0, "JSON output"),
						 OPT("format", 'f', "qcow2|raw", CC_WORDS, "the image's format"), END };
static const struct cli_opt disk_resize_opts[] = { FLAG("shrink", 0, "allow shrinking"),
						   OPT("format", 'f', "qcow2|raw", CC_WORDS, "the image's format"),
						   END };
static const struct cli_opt disk_convert_opts[] = {
	OPT("format", 'f', "qcow2|raw", CC_WORDS, "the new image's format"),
	OPT("source-format", 0, "qcow2|raw", CC_WORDS, "the source's format"), END
};
static const struct cli_opt format_opts[] = { OPT("format", 'f', "qcow2|raw", CC_WORDS, "the image's format"), END };
static const struct cli_opt image_build_opts[] = { OPT("name", 'n', "NAME", CC_NONE, "the image's name"),
						   OPT("size", 's', "SIZE", CC_NONE, "disk size (8G)"),
						   OPT("packages", 'p', "a,b", CC_NONE, "extra Debian packages"),
						   OPT("mirror", 'M', "URL", CC_NONE, "Debian mirror"),
						   FLAG("json", 'j', "JSON output"),
						   END };
static const struct cli_opt image_import_opts[] = { OPT("format", 'f', "raw|qcow2", CC_WORDS, "the file's format"),
						    FLAG("json", 'j', "JSON output"), END };
static const struct cli_opt image_json_opts[] = { FLAG("json", 'j', "JSON output"), END };
static const struct cli_opt up_opts[] = { OPT("file", 'f', "FILE", CC_FILE, "the lab file (hv-lab.json)"),
					  FLAG("json", 0, "JSON output"),
					  FLAG("recreate", 0, "apply changes that need a restart or a new VM"),
					  FLAG("dry-run", 0, "only say what would change"), END };
static const struct cli_opt down_opts[] = { OPT("file", 'f', "FILE", CC_FILE, "the lab file (hv-lab.json)"),
					    OPT("lab", 'l', "NAME", CC_NONE, "the lab's name (when the file is gone)"),
					    FLAG("json", 0, "JSON output"),
					    FLAG("delete", 0, "remove the lab's VMs and networks"),
					    OPT("timeout", 0, "SECONDS", CC_NONE, "how long each VM may take to stop (60)"),
					    END };
static const struct cli_opt status_opts[] = { OPT("file", 'f', "FILE", CC_FILE, "the lab file (hv-lab.json)"),
					      OPT("lab", 'l', "NAME", CC_NONE, "the lab's name (when the file is gone)"),
					      FLAG("json", 0, "JSON output"), END };
static const struct cli_opt doctor_opts[] = { FLAG("json", 0, "JSON output"), END };
static const struct cli_opt ctr_opts[] = { OPT("root", 0, "DIR", CC_DIR, "state folder of the containers"),
					   OPT("log", 0, "FILE", CC_FILE, "log file"),
					   OPT("log-format", 0, "text|json", CC_WORDS, "log format"),
					   FLAG("systemd-cgroup", 0, "refused: hv manages cgroupfs paths"),
					   FLAG("debug", 0, "accepted for runc compatibility"),
					   OPT("rootless", 0, "BOOL", CC_NONE, "accepted for runc compatibility"),
					   OPT("criu", 0, "PATH", CC_NONE, "accepted for runc compatibility"),
					   FLAG("version", 0, "print the version"),
					   END };
static const struct cli_opt ctr_create_opts[] = { OPT("bundle", 'b', "DIR", CC_DIR, "the bundle (config.json, rootfs)"),
						  OPT("console-socket", 0, "SOCKET", CC_FILE,
						      "send the pty's master here"),
						  OPT("pid-file", 0, "FILE", CC_FILE, "write the container's pid"),
						  FLAG("no-pivot", 0, "chroot-style root change"),
						  FLAG("no-new-keyring", 0, "accepted for runc compatibility"),
						  OPT("preserve-fds", 0, "N", CC_NONE, "pass N more fds"),
						  FLAG("detach", 'd', "run: do not wait"),
						  FLAG("keep", 0, "accepted for runc compatibility"),
						  END };
static const struct cli_opt ctr_kill_opts[] = { FLAG("all", 'a', "every process of the container"), END };
static const struct cli_opt ctr_delete_opts[] = { FLAG("force", 'f', "kill a running container first"), END };
static const struct cli_opt ctr_exec_opts[] = {
	OPT("console-socket", 'c', "SOCKET", CC_FILE, "send the pty's master here"),
	OPT("cwd", 'w', "DIR", CC_NONE, "working directory"),
	OPT("env", 'e', "K=V", CC_NONE, "environment variable (repeatable)"),
	FLAG("tty", 't', "a terminal"),
	OPT("user", 'u', "UID[:GID]", CC_NONE, "run as"),
	OPT("process", 'p', "FILE", CC_FILE, "the process, as OCI process JSON"),
	FLAG("detach", 'd', "do not wait"),
	OPT("pid-file", 0, "FILE", CC_FILE, "write the process's pid"),
	OPT("preserve-fds", 0, "N", CC_NONE, "pass N more fds"),
	FLAG("no-new-privs", 0, "set no_new_privs"),
	OPT("cap", 0, "CAP", CC_NONE, "add a capability (repeatable)"),
	END
};
static const struct cli_opt ctr_table_opts[] = { OPT("format", 'f', "table|json", CC_WORDS, "output format"), END };
static const struct cli_opt ctr_list_opts[] = { OPT("format", 'f', "table|json", CC_WORDS, "output format"),
						FLAG("quiet", 'q', "ids only"), END };
static const struct cli_opt ctr_spec_opts[] = { OPT("bundle", 'b', "DIR", CC_DIR, "where to write config.json"),
						FLAG("rootless", 0, "a spec for rootless use"), END };
static const struct cli_opt ctr_update_opts[] = { OPT("resources", 'r', "FILE", CC_FILE,
						      "OCI resources JSON (-: stdin)"),
						  OPT("memory", 0, "N", CC_NONE, "memory limit"),
						  OPT("memory-reservation", 0, "N", CC_NONE, "memory low"),
						  OPT("memory-swap", 0, "N", CC_NONE, "memory+swap limit"),
						  OPT("pids-limit", 0, "N", CC_NONE, "pids limit"),
						  OPT("cpu-shares", 0, "N", CC_NONE, "CPU weight"),
						  OPT("cpu-quota", 0, "N", CC_NONE, "CPU quota (us per period)"),
						  OPT("cpu-period", 0, "N", CC_NONE, "CPU period (us)"),
						  OPT("cpuset-cpus", 0, "LIST", CC_NONE, "CPUs"),
						  OPT("cpuset-mems", 0, "LIST", CC_NONE, "memory nodes"),
						  OPT("blkio-weight", 0, "N", CC_NONE, "I/O weight"),
						  END };

#define ARGS(...)                                                                                                      \
	{                                                                                                              \
		__VA_ARGS__                                                                                            \
	}
#define NAME                                                                                                           \
	{                                                                                                              \
		CC_VM                                                                                                  \
	}
#define CMD(path, fn, operands, args, summary, opts)                                                                   \
	{                                                                                                              \
		path, fn, operands, args, summary, opts                                                                \
	}
#define SUB(path, operands, args, summary, opts)                                                                       \
	{                                                                                                              \
		path, NULL, operands, args, summary, opts                                                              \
	}

/* clang-format off */
const struct cli_command cli_commands[] = {
	CMD("run", cmd_run, "[-- COMMAND [ARGS...]]", {0}, "boot a throwaway VM, run a command in it, exit with its status", run_opts),
	CMD("create", cmd_create, "NAME", {0}, "define a VM", create_opts),
	CMD("list", cmd_list, "", {0}, "list VMs (running ones; --all for every VM)", list_opts),
	CMD("info", cmd_info, "NAME", NAME, "show a VM's definition and state", json_opts),
	CMD("start", cmd_start, "NAME", NAME, "start a VM in the background", start_opts),
	CMD("console", cmd_console, "NAME", NAME, "attach to a VM's serial console (Ctrl-] detaches)", NULL),
	CMD("stop", cmd_stop, "NAME", NAME, "shut a VM down with the ACPI power button", stop_opts),
	CMD("kill", cmd_kill, "NAME", NAME, "stop a VM at once (power cut)", NULL),
	CMD("pause", cmd_pause, "NAME", NAME, "freeze a running VM", NULL),
	CMD("resume", cmd_resume, "NAME", NAME, "continue a paused VM", NULL),
	CMD("set", cmd_set, "NAME", NAME, "change a stopped VM's CPUs or memory", set_opts),
	CMD("delete", cmd_delete, "NAME", NAME, "remove a VM and its disks", delete_opts),
	CMD("ip", cmd_ip, "NAME", NAME, "show a VM's NICs and their addresses", json_opts),
	CMD("forward", cmd_forward, "NAME add|remove|list [SPEC]", NAME, "add, remove or list port forwards of a VM's nat NIC", json_opts),
	CMD("net", cmd_net, "COMMAND ...", {0}, "create, list, inspect and delete networks (natnet, host-only, internal)", NULL),
	SUB("net create", "NET", {0}, "create a network", net_create_opts),
	SUB("net list", "", {0}, "list networks", json_opts),
	SUB("net info", "NET", { CC_NET }, "show a network", json_opts),
	SUB("net delete", "NET", { CC_NET }, "delete a network", force_opts),
	SUB("net forward", "NET add|remove|list [tcp:HOSTPORT:VM:PORT]", { CC_NET }, "port forwards of a natnet network to its VMs", json_opts),
	CMD("disk", cmd_disk, "COMMAND ...", {0}, "create, inspect, resize, convert and check disk images", NULL),
	SUB("disk create", "PATH", { CC_FILE }, "create a disk image", disk_create_opts),
	SUB("disk info", "PATH", { CC_FILE }, "show a disk image's format, sizes and backing chain", disk_info_opts),
	SUB("disk resize", "PATH SIZE", { CC_FILE }, "change a disk image's virtual size", disk_resize_opts),
	SUB("disk convert", "SRC DST", ARGS(CC_FILE, CC_FILE), "copy a disk image into another format", disk_convert_opts),
	SUB("disk check", "PATH", { CC_FILE }, "check a disk image's consistency", format_opts),
	CMD("exec", cmd_exec, "NAME [-- COMMAND...]", NAME, "run a command in a running VM (hv exec NAME [-t] [-- COMMAND])", exec_opts),
	CMD("ui", cmd_ui, "", {0}, "serve the web console: VMs, consoles and displays in a browser", ui_opts),
	CMD("cp", cmd_cp, "[NAME:]SRC [NAME:]DST", ARGS(CC_FILE, CC_FILE), "copy files into or out of a running VM (hv cp [NAME:]SRC [NAME:]DST)", cp_opts),
	CMD("ssh", cmd_ssh, "NAME [-- COMMAND...]", NAME, "ssh into a VM as the user cloud-init made (hv ssh NAME [-- COMMAND])", ssh_opts),
	CMD("vnc", cmd_vnc, "NAME", NAME, "where to connect a VNC viewer to a VM's display", NULL),
	CMD("stats", cmd_stats, "[NAME...]", NAME, "CPU, memory, disk and network figures of VMs and containers (--json, --prometheus)", stats_opts),
	CMD("up", cmd_up, "", {0}, "create, update and start the networks and VMs of a lab file (hv-lab.json)", up_opts),
	CMD("down", cmd_down, "", {0}, "stop a lab's VMs and networks (--delete removes them)", down_opts),
	CMD("status", cmd_status, "", {0}, "a lab's networks and VMs with their state and addresses", status_opts),
	CMD("top", cmd_top, "[NAME...]", NAME, "a live table of VMs and containers, sorted, refreshed every second", top_opts),
	CMD("image", cmd_image, "COMMAND ...", {0}, "build, import, list, inspect and remove OS images (hv image build debian-12)", NULL),
	SUB("image build", "debian-12", {0}, "build a Debian 12 image", image_build_opts),
	SUB("image import", "FILE [NAME]", { CC_FILE }, "import a raw or qcow2 disk image", image_import_opts),
	SUB("image list", "", {0}, "list images", image_json_opts),
	SUB("image info", "NAME", { CC_IMAGE }, "show an image", image_json_opts),
	SUB("image rm", "NAME", { CC_IMAGE }, "remove an image", NULL),
	CMD("attach-disk", cmd_attach_disk, "NAME PATH", ARGS(CC_VM, CC_FILE), "add a disk image to a stopped VM", NULL),
	CMD("detach-disk", cmd_detach_disk, "NAME PATH", ARGS(CC_VM, CC_FILE), "remove a disk from a stopped VM", NULL),
	CMD("snapshot", cmd_snapshot, "COMMAND NAME [SNAP]", {0}, "create, list, revert and delete snapshots (with VM state when running)", snapshot_opts),
	SUB("snapshot create", "NAME SNAP", NAME, "take a snapshot", NULL),
	SUB("snapshot list", "NAME", NAME, "list a VM's snapshots as a tree", NULL),
	SUB("snapshot revert", "NAME SNAP", ARGS(CC_VM, CC_SNAPSHOT), "go back to a snapshot", NULL),
	SUB("snapshot delete", "NAME SNAP", ARGS(CC_VM, CC_SNAPSHOT), "delete a snapshot", NULL),
	CMD("save", cmd_save, "NAME", NAME, "suspend a VM to disk; hv start resumes it", NULL),
	CMD("clone", cmd_clone, "NAME NEWNAME", NAME, "full or linked clone of a VM, or of one of its snapshots", clone_opts),
	CMD("doctor", cmd_doctor, "", {0}, "what this host can do (KVM or TCG, QEMU, firmware, network, cgroups) and what to fix", doctor_opts),
	CMD("completion", cmd_completion, "bash|zsh|fish", {0}, "print the shell completion script (source <(hv completion bash))", NULL),
	CMD("ctr", cmd_ctr, "COMMAND ...", {0}, "the OCI container runtime (runc's commands; also as hv-runc)", ctr_opts),
	SUB("ctr create", "ID", {0}, "create a container from a bundle", ctr_create_opts),
	SUB("ctr run", "ID", {0}, "create and start a container", ctr_create_opts),
	SUB("ctr start", "ID", {0}, "start a created container", NULL),
	SUB("ctr state", "ID", {0}, "a container's state as JSON", NULL),
	SUB("ctr kill", "ID [SIGNAL]", {0}, "signal a container", ctr_kill_opts),
	SUB("ctr delete", "ID", {0}, "delete a container", ctr_delete_opts),
	SUB("ctr exec", "ID [COMMAND...]", {0}, "run a process in a container", ctr_exec_opts),
	SUB("ctr ps", "ID", {0}, "a container's processes", ctr_table_opts),
	SUB("ctr list", "", {0}, "list containers", ctr_list_opts),
	SUB("ctr pause", "ID", {0}, "freeze a container", NULL),
	SUB("ctr resume", "ID", {0}, "thaw a container", NULL),
	SUB("ctr update", "ID", {0}, "change a container's resources", ctr_update_opts),
	SUB("ctr spec", "", {0}, "write a default config.json", ctr_spec_opts),
	SUB("ctr features", "", {0}, "the runtime's features as JSON", NULL),
	CMD("migrate", cmd_migrate, "NAME [DEST]", NAME, "move a VM to another hv store or host (ssh://), live when it runs", migrate_opts),
	CMD("__monitor", cmd_monitor, NULL, {0}, NULL, NULL),
	CMD("__migrate-in", cmd_migrate_in, NULL, {0}, NULL, NULL),
	CMD("__complete", cmd_complete, NULL, {0}, NULL, NULL),
	CMD("__man", cmd_man, NULL, {0}, NULL, NULL),
};
/* clang-format on */
const size_t cli_ncommands = sizeof(cli_commands) / sizeof(cli_commands[0]);

const struct cli_command *cli_command_find(const char *path)
{
	for (size_t i = 0; i < cli_ncommands; i++)
		if (!strcmp(cli_commands[i].path, path))
			return &cli_commands[i];
	return NULL;
}

int cli_command_has_subcommands(const struct cli_command *c)
{
	size_t n = strlen(c->path);

	for (size_t i = 0; i < cli_ncommands; i++)
		if (!strncmp(cli_commands[i].path, c->path, n) && cli_commands[i].path[n] == ' ')
			return 1;
	return 0;
}

const struct cli_command *cli_command_parent(const struct cli_command *c)
{
	const char *sp = strchr(c->path, ' ');

	if (!sp)
		return c;
	for (size_t i = 0; i < cli_ncommands; i++)
		if (!strncmp(cli_commands[i].path, c->path, (size_t)(sp - c->path)) &&
		    !cli_commands[i].path[sp - c->path])
			return &cli_commands[i];
	return c;
}
