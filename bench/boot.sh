#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/boot.sh - how fast does hv boot a VM, compared with the commands a
# user would otherwise write?  All VMs boot the default guest (build/guest)
# under TCG with 256 MiB and 1 vCPU, and power off as soon as init runs.
#
#   (a)  plain QEMU, -M microvm, bzImage (build/guest/vmlinuz)
#   (b)  plain QEMU, -M q35, bzImage
#   (c)  libvirt: `virsh create` of an equivalent transient q35 domain
#   (c2) plain QEMU, -M microvm, PVH vmlinux: for information only, since
#        nobody writes that by hand (it needs the ELF extracted from the
#        distribution's bzImage)
#   hv   `hv run --nic none -- true`: boot, run `true` in the guest, power
#        off: the same guest as the plain rows (no NIC)
#   hvnat `hv run -- true`, hv's default: with a NAT NIC and its DHCP lease
#   (d)  `hv start NAME` against a plain QEMU started in the background,
#        until its QMP socket greets: hv's own start-up overhead
#   (e)  `hv list --all` with 100 defined VMs
#
# Usage: bench/boot.sh            (root is needed only for the libvirt row)
# Environment: RUNS (default 10) timed runs per row, after one untimed
# warm-up run; BENCH_LIBVIRT=0 skips libvirt; HV_QEMU names the QEMU binary
# (as for hv itself).
#
# Boot rows are run round-robin (a, b, c2, hv, c, a, b, ...) so that a
# slow spell of the host affects every row alike.  Every boot runs under
# `timeout 30`: plain microvm under TCG sometimes hangs calibrating the TSC
# (hv passes tsc_early_khz= for that), and a hung or failed run is counted
# separately instead of going into the figures.  Times are wall clock,
# taken with bash's $EPOCHREALTIME (no fork), in milliseconds.

set -u
export LC_ALL=C # $EPOCHREALTIME's decimal point must be '.'

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
HV=$ROOT/build/hv
GUEST=$ROOT/build/guest
RUNS=${RUNS:-10}
BOOT_TIMEOUT=30
MARKER='hv-init: booted; powering off'
QEMU_NAME=${HV_QEMU:-qemu-system-x86_64}

die() { printf 'boot.sh: %s\n' "$*" >&2; exit 1; }
note() { printf '%s\n' "$*" >&2; }

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
[[ -x $HV ]] || die "$HV is missing: run make first (make hv guest)"
for f in vmlinux vmlinuz initramfs.cpio; do
	[[ -r $GUEST/$f ]] || die "$GUEST/$f is missing: run make first (make hv guest)"
done
QEMU=$(command -v -- "$QEMU_NAME") || die "$QEMU_NAME not found (apt-get install qemu-system-x86)"
[[ -n ${EPOCHREALTIME:-} ]] || die "needs bash >= 5 (\$EPOCHREALTIME)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hv-bench.XXXXXX") || die "mktemp failed"
# 0755: the libvirt row's QEMU may run as libvirt-qemu and must reach its
# files in $TMP/libvirt.  Everything hv keeps is in the private HV_HOME.
chmod 0755 "$TMP"
mkdir -m 0700 "$TMP/hv-home" "$TMP/tmp"
export HV_HOME=$TMP/hv-home
export TMPDIR=$TMP/tmp


# ---------------------------------------------------------------- cleanup

HV_STARTED=""        # hv VM that may be running
LV_DOMAIN=""         # libvirt domain that may exist
LV_DAEMON_PIDS=()    # libvirt daemons this script started (our children)
LV_EVENT_PID=""      # `virsh event` listener
KVM_RESTORE=""       # "mode group" of /dev/kvm to put back
LV_QEMU_LOG=""       # libvirt's per-domain QEMU log, created by our runs

# Processes left behind by this run: their command line or working
# directory mentions $TMP, which is unique to this run.
kill_leftovers() {
	local p pid cmd cwd pids=()
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		[[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
		cmd=$( (tr '\0' ' ' <"$p/cmdline") 2>/dev/null) || continue
		cwd=$(readlink "$p/cwd" 2>/dev/null) || cwd=""
		if [[ $cmd == *"$TMP"* || $cwd == "$TMP"* ]]; then
			pids+=("$pid")
		fi
	done
	((${#pids[@]})) || return 0
	kill -TERM "${pids[@]}" 2>/dev/null
	sleep 0.5
	kill -KILL "${pids[@]}" 2>/dev/null
	return 0
}

cleanup() {
	trap - EXIT INT TERM HUP
	if [[ -n $HV_STARTED ]]; then
		"$HV" kill "$HV_STARTED" >/dev/null 2>&1
	fi
	if [[ -n $LV_DOMAIN ]] && command -v virsh >/dev/null; then
		virsh -q -c qemu:///system destroy "$LV_DOMAIN" >/dev/null 2>&1
	fi
	if [[ -n $LV_EVENT_PID ]]; then
		kill "$LV_EVENT_PID" 2>/dev/null
		wait "$LV_EVENT_PID" 2>/dev/null
	fi
	libvirt_stop_daemons
	if [[ -n $KVM_RESTORE ]]; then
		chmod "${KVM_RESTORE% *}" /dev/kvm 2>/dev/null
		chgrp "${KVM_RESTORE#* }" /dev/kvm 2>/dev/null
	fi
	[[ -n $LV_QEMU_LOG ]] && rm -f "$LV_QEMU_LOG"
	kill_leftovers
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ------------------------------------------------------------- statistics

# Results per row: space-separated microsecond values, fail and hang counts.
declare -A VALS FAILS HANGS

record() { # row us
	VALS[$1]="${VALS[$1]:-} $2"
}
record_fail() { # row rc
	local rc=${2:-1}
	[[ $rc =~ ^[0-9]+$ ]] || rc=1
	if ((rc == 124 || rc == 137)); then
		HANGS[$1]=$((${HANGS[$1]:-0} + 1))
	else
		FAILS[$1]=$((${FAILS[$1]:-0} + 1))
	fi
}

# median min max of a row in microseconds, or nothing without values
stats() {
	local -a v
	read -r -a v <<<"${VALS[$1]:-}"
	((${#v[@]})) || return 1
	mapfile -t v < <(printf '%s\n' "${v[@]}" | sort -n)
	local n=${#v[@]} med
	if ((n % 2)); then
		med=${v[n / 2]}
	else
		med=$(((v[n / 2 - 1] + v[n / 2]) / 2))
	fi
	echo "$med ${v[0]} ${v[n - 1]}"
}
median() { local s; s=$(stats "$1") || return 1; echo "${s%% *}"; }

ms() { # microseconds -> milliseconds, one decimal, rounded
	local us=$1 sign=""
	if ((us < 0)); then sign=-; us=$((-us)); fi
	printf '%s%d.%d' "$sign" $(((us + 50) / 1000)) $((((us + 50) % 1000) / 100))
}

ratio() { # a b -> a/b, three decimals rounded up (so 0.800 means <= 0.8)
	local a=$1 b=$2 r
	r=$(((a * 1000 + b - 1) / b))
	printf '%d.%03d' $((r / 1000)) $((r % 1000))
}

# ---------------------------------------------------------- the boot rows

APPEND="console=ttyS0 hv.mode=poweroff"
PLAIN=(-m 256 -smp 1 -accel tcg -nodefaults -no-user-config -display none -serial stdio)

# One boot of a plain QEMU command line; success means QEMU exited 0 after
# the guest's init announced the power-off on the serial port.
boot_plain() { # row machine kernel
	local row=$1 log=$TMP/serial.log t0 t1 rc
	t0=${EPOCHREALTIME/./}
	timeout -k 5 "$BOOT_TIMEOUT" "$QEMU" -M "$2" "${PLAIN[@]}" \
		-kernel "$3" -initrd "$GUEST/initramfs.cpio" -append "$APPEND" \
		</dev/null >"$log" 2>&1
	rc=$?
	t1=${EPOCHREALTIME/./}
	if ((rc == 0)) && grep -qF "$MARKER" "$log"; then
		echo $((t1 - t0))
	else
		((rc == 0)) && rc=1
		echo "fail $rc"
	fi
}

boot_hv() { # [hv run options]
	local t0 t1 rc
	t0=${EPOCHREALTIME/./}
	timeout -k 5 "$BOOT_TIMEOUT" "$HV" run "$@" -- true </dev/null >"$TMP/hv-run.log" 2>&1
	rc=$?
	t1=${EPOCHREALTIME/./}
	if ((rc == 0)); then echo $((t1 - t0)); else echo "fail $rc"; fi
}

# ---------------------------------------------------------------- libvirt
#
# libvirt runs here without systemd: Debian's libvirt-daemon (not
# libvirt-daemon-system, which brings the systemd units and qemu.conf) plus
# the kvm group and the libvirt-qemu user/group the QEMU driver runs QEMU
# as (the -system package would create them).  Three things make it work
# and keep the figures honest on a host like this one:
#  - The kernel and initrd are copied into $TMP/libvirt, mode 0644, so the
#    libvirt-qemu user can read them; libvirt's dynamic ownership handles
#    the rest.  The stock configuration is used otherwise.
#  - libvirt re-probes QEMU's capabilities (a dozen QEMU runs, ~2 s each
#    here) on every `virsh create` when /dev/kvm exists but the QEMU user
#    cannot open it, because its cache then disagrees with the probe.  On
#    a normal install udev makes /dev/kvm root:kvm 0660; the script does
#    the same for the duration of the run and puts the old mode back.
#    (The domain still uses TCG: type='qemu'.)
#  - libvirt double-forks QEMU, so QEMU's parent becomes PID 1, and waits
#    for QEMU to be gone after killing it.  Where PID 1 reaps slowly (as
#    in this VM), that adds ~2 s per shutdown which a systemd host does not
#    have, so libvirtd runs under a small Perl helper that is a child
#    subreaper and reaps at once, as systemd would.
# Timing: from just before `virsh create` to the 'Stopped' lifecycle event
# for the domain, i.e. when libvirt has torn the domain down.  A `virsh
# event --loop --timestamp` listener started beforehand records each
# event's time of arrival (ms resolution), so no polling virsh competes
# with the guest for CPU.  The 'Shutdown Finished' event (guest powered
# off, before libvirt's teardown) is shown as an extra line.

LV_REASON=""
LV_NOTES=""         # what the script did to make libvirt work
LV_PKGS=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients)
VIRSH=(virsh -q -c qemu:///system)

libvirt_stop_daemons() {
	local p
	for p in "${LV_DAEMON_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${LV_DAEMON_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	LV_DAEMON_PIDS=()
}

libvirt_unavailable() {
	LV_REASON=$1
	libvirt_stop_daemons
	return 1
}

write_reaper() {
	# usage: perl reaper.pl COMMAND [ARGS...]
	cat >"$TMP/reaper.pl" <<'EOF'
# Run a command as a child subreaper: orphans below it (the QEMU that
# libvirtd double-forks) are reparented to us and reaped at once.
use strict;
use warnings;
use POSIX ();
# prctl(PR_SET_CHILD_SUBREAPER = 36, 1); 157 is prctl on x86-64
syscall(157, 36, 1, 0, 0, 0) == 0 or warn "reaper: prctl: $!\n";
my $child = fork() // die "reaper: fork: $!\n";
if (!$child) {
	exec { $ARGV[0] } @ARGV or POSIX::_exit(127);
}
$SIG{TERM} = $SIG{INT} = sub { kill 'TERM', $child };
for (;;) {
	my $w = waitpid(-1, 0);
	last if $w == -1 && $!{ECHILD};
}
EOF
}

libvirt_setup() {
	local missing=() p i
	if [[ ${BENCH_LIBVIRT:-1} == 0 ]]; then
		LV_REASON="skipped (BENCH_LIBVIRT=0)"
		return 1
	fi
	for p in "${LV_PKGS[@]}"; do
		[[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == *" installed" ]] || missing+=("$p")
	done
	if ((${#missing[@]})); then
		if ((EUID != 0)); then
			libvirt_unavailable "${missing[*]} not installed; run as root to install them"
			return 1
		fi
		command -v apt-get >/dev/null || { libvirt_unavailable "${missing[*]} not installed and no apt-get"; return 1; }
		note "installing ${missing[*]} ..."
		if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			"${missing[@]}" >"$TMP/apt.log" 2>&1; then
			tail -n 5 "$TMP/apt.log" >&2
			libvirt_unavailable "apt-get install ${missing[*]} failed"
			return 1
		fi
	fi
	for p in virsh libvirtd virtlogd perl; do
		command -v "$p" >/dev/null || { libvirt_unavailable "$p not found"; return 1; }
	done

	if "${VIRSH[@]}" uri >/dev/null 2>&1; then
		note "libvirt: using the libvirtd that is already running"
	else
		((EUID == 0)) || { libvirt_unavailable "libvirtd not running and not root to start it"; return 1; }
		getent group kvm >/dev/null || groupadd --system kvm ||
			{ libvirt_unavailable "cannot create group kvm"; return 1; }
		getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu ||
			{ libvirt_unavailable "cannot create group libvirt-qemu"; return 1; }
		getent passwd libvirt-qemu >/dev/null ||
			useradd --system --gid libvirt-qemu --groups kvm --no-create-home \
				--home-dir /var/lib/libvirt --shell /usr/sbin/nologin libvirt-qemu ||
			{ libvirt_unavailable "cannot create user libvirt-qemu"; return 1; }
		mkdir -p /var/log/libvirt
		[[ $(uname -m) == x86_64 ]] || { libvirt_unavailable "the reaper helper is x86-64 only"; return 1; }
		write_reaper
		virtlogd >"$TMP/virtlogd.log" 2>&1 </dev/null &
		LV_DAEMON_PIDS+=($!)
		perl "$TMP/reaper.pl" libvirtd >"$TMP/libvirtd.log" 2>&1 </dev/null &
		LV_DAEMON_PIDS+=($!)
		LV_NOTES+="; started virtlogd + libvirtd (under a reaping helper)"
		for ((i = 0; i < 300; i++)); do
			"${VIRSH[@]}" uri >/dev/null 2>&1 && break
			kill -0 "${LV_DAEMON_PIDS[1]}" 2>/dev/null || break
			sleep 0.1
		done
		if ! "${VIRSH[@]}" uri >/dev/null 2>&1; then
			grep -m1 -E 'error' "$TMP/libvirtd.log" >&2
			libvirt_unavailable "libvirtd did not start (see the error above)"
			return 1
		fi
	fi

	if [[ -e /dev/kvm ]] && ((EUID == 0)) && getent group kvm >/dev/null; then
		local mode group
		mode=$(stat -c %a /dev/kvm) group=$(stat -c %G /dev/kvm)
		if [[ $group != kvm || $(((8#$mode >> 3) & 6)) != 6 ]]; then
			KVM_RESTORE="$mode $group"
			chgrp kvm /dev/kvm && chmod g+rw /dev/kvm
			LV_NOTES+="; /dev/kvm root:kvm g+rw during the run"
		fi
	fi

	mkdir -m 0755 "$TMP/libvirt"
	install -m 0644 "$GUEST/vmlinuz" "$GUEST/initramfs.cpio" "$TMP/libvirt/" ||
		{ libvirt_unavailable "cannot copy the guest"; return 1; }
	LV_DOMAIN=hv-bench-$$
	LV_QEMU_LOG=/var/log/libvirt/qemu/$LV_DOMAIN.log
	[[ -e $LV_QEMU_LOG ]] && LV_QEMU_LOG="" # not ours: leave it alone

	mkfifo "$TMP/libvirt/events"
	exec {LV_EVFD}<>"$TMP/libvirt/events"
	"${VIRSH[@]}" event --event lifecycle --loop --timestamp >"$TMP/libvirt/events" 2>/dev/null &
	LV_EVENT_PID=$!
	return 0
}

libvirt_xml() { # serial-log-path
	local d=$TMP/libvirt
	cat <<EOF
<domain type='qemu'>
  <name>$LV_DOMAIN</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$d/vmlinuz</kernel>
    <initrd>$d/initramfs.cpio</initrd>
    <cmdline>$APPEND</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$QEMU</emulator>
    <serial type='file'><source path='$1'/><target port='0'/></serial>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

event_us() { # "2026-01-02 03:04:05.678+0000: event ..." -> microseconds
	local ts=${1%%: event *}
	date -u -d "$ts" +%s%6N 2>/dev/null
}

# Prints "total_us poweroff_us" or "fail RC".
boot_libvirt() {
	local d=$TMP/libvirt serial t0 deadline line off="" stop="" how=""
	serial=$d/serial-$RANDOM.log
	libvirt_xml "$serial" >"$d/domain.xml"
	# drop events left over from an earlier run
	while read -r -t 0.001 -u "$LV_EVFD" line; do :; done
	t0=${EPOCHREALTIME/./}
	if ! "${VIRSH[@]}" create "$d/domain.xml" >"$d/create.log" 2>&1; then
		echo "fail 1"
		return
	fi
	deadline=$((t0 + BOOT_TIMEOUT * 1000000))
	while ((${EPOCHREALTIME/./} < deadline)); do
		IFS= read -r -t 1 -u "$LV_EVFD" line || continue
		[[ $line == *"domain '$LV_DOMAIN': "* ]] || continue
		case $line in
		*": Shutdown Finished"*) off=$(event_us "$line") ;;
		*": Stopped "*)
			stop=$(event_us "$line")
			how=${line##*: Stopped }
			break
			;;
		esac
	done
	if [[ -z $stop ]]; then
		"${VIRSH[@]}" destroy "$LV_DOMAIN" >/dev/null 2>&1
		echo "fail 124"
		return
	fi
	# the transient domain must be gone before the next run
	local i
	for ((i = 0; i < 250; i++)); do
		"${VIRSH[@]}" domstate "$LV_DOMAIN" >/dev/null 2>&1 || break
		sleep 0.02
	done
	if [[ $how != Shutdown* ]] || ! grep -qF "$MARKER" "$serial" 2>/dev/null; then
		echo "fail 1"
		return
	fi
	echo "$((stop - t0)) $((${off:-$stop} - t0))"
}

# ------------------------------------------------------------------- main

printf 'hv boot benchmark: %s runs per row, TCG, 256 MiB, 1 vCPU\n' "$RUNS"
printf 'host: %s, %s CPUs; %s\n' "$(uname -r)" "$(nproc)" "$("$QEMU" --version | head -n 1)"

LV_OK=0
if libvirt_setup; then
	LV_OK=1
	echo "libvirt: $(virsh -c qemu:///system version 2>/dev/null | sed -n 's/^Using library: //p'), domain $LV_DOMAIN$LV_NOTES"
else
	echo "libvirt: not available ($LV_REASON)"
fi

ROWS=(a b c2 hv hvnat)
((LV_OK)) && ROWS+=(c)
declare -A LABEL=(
	[a]="(a)  plain QEMU -M microvm, bzImage"
	[b]="(b)  plain QEMU -M q35, bzImage"
	[c]="(c)  libvirt virsh create, q35, bzImage"
	[c_off]="     (c) until guest power-off event"
	[c2]="(c2) plain QEMU -M microvm, PVH vmlinux *"
	[hv]="hv run --nic none -- true (same guest)"
	[hvnat]="hv run -- true (default NAT NIC + DHCP)"
)

run_row() { # row
	case $1 in
	a) boot_plain a microvm "$GUEST/vmlinuz" ;;
	b) boot_plain b q35 "$GUEST/vmlinuz" ;;
	c2) boot_plain c2 microvm "$GUEST/vmlinux" ;;
	hv) boot_hv --nic none ;;
	hvnat) boot_hv ;;
	c) boot_libvirt ;;
	esac
}

echo "warming up (one untimed run per row) ..."
for row in "${ROWS[@]}"; do
	r=$(run_row "$row")
	[[ $r == fail* ]] && note "  warm-up of ${LABEL[$row]} failed (${r#fail })"
done

echo "timed boot runs, round-robin ..."
for ((i = 1; i <= RUNS; i++)); do
	[[ -t 2 ]] && printf '\rboot runs: %d/%d' "$i" "$RUNS" >&2
	for row in "${ROWS[@]}"; do
		r=$(run_row "$row")
		if [[ $r == fail* ]]; then
			record_fail "$row" "${r#fail }"
			[[ $row == c ]] && record_fail c_off "${r#fail }"
		else
			record "$row" "${r%% *}"
			[[ $row == c ]] && record c_off "${r##* }"
		fi
	done
done
[[ -t 2 ]] && printf '\n' >&2

# The libvirt daemons are done: stop them before the hv-only measurements.
if ((LV_OK)); then
	kill "$LV_EVENT_PID" 2>/dev/null
	wait "$LV_EVENT_PID" 2>/dev/null
	LV_EVENT_PID=""
	libvirt_stop_daemons
	LV_DOMAIN=""
fi

# ---------------------------------------------------- (d) hv start overhead

# Plain QEMU of the same VM, started in the background (-daemonize: the
# launching process returns once QEMU is initialised), timed until a QMP
# greeting can be read from its socket.  A Perl helper does launch, connect
# and read, so that only QEMU is inside the timed span (not Perl's start-up);
# it is a subreaper so it can reap the daemonized QEMU after killing it.
cat >"$TMP/qmp-up.pl" <<'EOF'
use strict;
use warnings;
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(time usleep);
my ($sock, $pidfile, @cmd) = @ARGV;
syscall(157, 36, 1, 0, 0, 0) if $^O eq 'linux';    # PR_SET_CHILD_SUBREAPER
unlink $sock, $pidfile;
my $t0 = time;
if (system(@cmd) != 0) { print "fail 1\n"; exit 0; }
my $s;
until ($s = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $sock)) {
	if (time - $t0 > 30) { print "fail 124\n"; last; }
	usleep(200);
}
my $greeting = $s ? <$s> : undef;
my $t1 = time;
if ($s) {
	if (defined $greeting && $greeting =~ /"QMP"/) { printf "%d\n", ($t1 - $t0) * 1e6; }
	else { print "fail 1\n"; }
}
close $s if $s;
open(my $fh, '<', $pidfile) or exit 0;
my $pid = <$fh>;
chomp $pid;
kill 'TERM', $pid;
waitpid($pid, 0) == $pid or do { usleep(10000) while kill 0, $pid; };
EOF

HAVE_QMP_HELPER=1
perl -MIO::Socket::UNIX -MTime::HiRes -e 1 2>/dev/null || HAVE_QMP_HELPER=0

echo "measuring hv start ..."
VM=bench-start
"$HV" create "$VM" >/dev/null || die "hv create $VM failed"
for ((i = 0; i <= RUNS; i++)); do # run 0 is the warm-up
	HV_STARTED=$VM
	t0=${EPOCHREALTIME/./}
	"$HV" start "$VM" >/dev/null 2>"$TMP/hv-start.err"
	rc=$?
	t1=${EPOCHREALTIME/./}
	((rc == 0)) || cat "$TMP/hv-start.err" >&2
	if ((i > 0)); then
		if ((rc == 0)); then record d_hv $((t1 - t0)); else record_fail d_hv "$rc"; fi
	fi
	"$HV" kill "$VM" >/dev/null 2>&1
	HV_STARTED=""

	((HAVE_QMP_HELPER)) || continue
	r=$(perl "$TMP/qmp-up.pl" "$TMP/qmp.sock" "$TMP/qemu.pid" \
		"$QEMU" -M microvm -m 256 -smp 1 -accel tcg -nodefaults -no-user-config \
		-display none -serial "file:$TMP/qmp-serial.log" \
		-kernel "$GUEST/vmlinux" -initrd "$GUEST/initramfs.cpio" -append "$APPEND" \
		-qmp "unix:$TMP/qmp.sock,server=on,wait=off" \
		-daemonize -pidfile "$TMP/qemu.pid" 2>>"$TMP/qmp-up.err")
	if ((i > 0)); then
		if [[ $r =~ ^[0-9]+$ ]]; then record d_qemu "$r"; else record_fail d_qemu "${r#fail }"; fi
	fi
done
"$HV" delete "$VM" --force >/dev/null 2>&1
LABEL[d_hv]="(d)  hv start (until QEMU runs the VM)"
LABEL[d_qemu]="(d)  plain QEMU until QMP greets"

# --------------------------------------------------- (e) hv list, 100 VMs

echo "measuring hv list --all with 100 VMs ..."
for ((n = 0; n < 100; n++)); do
	printf -v name 'vm%03d' "$n"
	"$HV" create "$name" >/dev/null || die "hv create $name failed"
done
lines=$("$HV" list --all | grep -c '^vm[0-9]')
((lines == 100)) || note "warning: hv list --all shows $lines of 100 VMs"
for ((i = 0; i <= RUNS; i++)); do
	t0=${EPOCHREALTIME/./}
	"$HV" list --all >/dev/null 2>&1
	rc=$?
	t1=${EPOCHREALTIME/./}
	((i > 0)) || continue
	if ((rc == 0)); then record e $((t1 - t0)); else record_fail e "$rc"; fi
done
LABEL[e]="(e)  hv list --all, 100 VMs"

# ---------------------------------------------------------------- summary

row_line() { # row
	local s med lo hi ok
	read -r -a ok <<<"${VALS[$1]:-}"
	if s=$(stats "$1"); then
		read -r med lo hi <<<"$s"
		printf '%-44s %7s %4d %5d %9s %9s %9s\n' "${LABEL[$1]}" "${#ok[@]}/$RUNS" \
			"${FAILS[$1]:-0}" "${HANGS[$1]:-0}" "$(ms "$med")" "$(ms "$lo")" "$(ms "$hi")"
	else
		printf '%-44s %7s %4d %5d %9s %9s %9s\n' "${LABEL[$1]}" "0/$RUNS" \
			"${FAILS[$1]:-0}" "${HANGS[$1]:-0}" - - -
	fi
}

echo
echo "Summary (wall clock, ms; failed and hung runs are not in the figures)"
printf '%-44s %7s %4s %5s %9s %9s %9s\n' "" "ok" "fail" "hang" "median" "min" "max"
for row in a b c c_off c2 hv hvnat; do
	if [[ $row == c || $row == c_off ]] && ((!LV_OK)); then
		[[ $row == c ]] && printf '%-44s not available (%s)\n' "(c)  libvirt" "$LV_REASON"
		continue
	fi
	row_line "$row"
done
row_line d_hv
if ((HAVE_QMP_HELPER)); then row_line d_qemu; else printf '%-44s not measured (perl with IO::Socket::UNIX and Time::HiRes needed)\n' "${LABEL[d_qemu]}"; fi
row_line e
echo "* (c2) is for information: not what a user writes by hand."
echo

hv_med=$(median hv) || hv_med=""
best="" best_row=""
for row in a b; do
	m=$(median "$row") || continue
	if [[ -z $best ]] || ((m < best)); then best=$m best_row=$row; fi
done
if [[ -n $hv_med && -n $best ]]; then
	r=$(ratio "$hv_med" "$best")
	verdict=FAIL
	((hv_med * 100 <= best * 80)) && verdict=ok
	printf 'hv run / best plain QEMU (%s), medians: %s  (%s / %s ms; target <= 0.8: %s)\n' "$best_row" "$r" "$(ms "$hv_med")" "$(ms "$best")" "$verdict"
else
	echo "hv run / best plain QEMU median: n/a (no successful runs)"
fi
if [[ -n $hv_med ]] && m=$(median c2); then
	printf 'hv run / (c2) microvm+PVH, medians:     %s  (information)\n' "$(ratio "$hv_med" "$m")"
fi
if [[ -n $hv_med ]] && m=$(median c); then
	printf 'hv run / (c) libvirt, medians:          %s  (information)\n' "$(ratio "$hv_med" "$m")"
fi
if [[ -n $best ]] && m=$(median hvnat); then
	printf 'hv run with its default NAT NIC / best plain QEMU (no NIC): %s  (%s ms; the NIC and its DHCP lease cost %s ms)\n' \
		"$(ratio "$m" "$best")" "$(ms "$m")" "$(ms $((m - hv_med)))"
fi
if a=$(median d_hv) && b=$(median d_qemu); then
	printf 'hv start overhead (median hv start - median plain QEMU to QMP): %s ms\n' "$(ms $((a - b)))"
fi
if m=$(median e); then
	verdict=FAIL
	((m < 50000)) && verdict=ok
	printf 'hv list --all, 100 VMs, median: %s ms  (target < 50 ms: %s)\n' "$(ms "$m")" "$verdict"
fi
