#!/bin/bash
# SPDX-License-Identifier: MIT
# hv run: real guests report CPUs, memory, output, stdin and exit status.
. "$(dirname "$0")/lib.bash"
tmp=$HV_HOME/tmp
mkdir -p "$tmp"

# The accelerator choice is explained once per store, not on every run.
"$HV" run -- true 2>"$tmp/err1"
expect_eq "hv run -- true exits 0" "$?" 0
"$HV" run -- true 2>"$tmp/err2"
if ! grep -qwE 'vmx|svm' /proc/cpuinfo || [ -e /sys/module/kvm_pvm ]; then
	expect_match "without VMX/SVM hv says it chose TCG" "$(cat "$tmp/err1")" "using TCG software emulation"
fi
expect_eq "and says it only once" "$(cat "$tmp/err2")" ""

# One boot, many facts: CPU count, memory size, stdout, stderr, exit status.
out=$("$HV" run --cpus 2 --memory 300M -- sh -c 'nproc; dmesg | grep -o "K/[0-9]*K available"; echo to-stderr >&2; exit 42' \
	2>"$tmp/err")
rc=$?
expect_eq "exit status of the command (42)" "$rc" 42
expect_eq "the guest has 2 CPUs" "$(echo "$out" | sed -n 1p)" 2
# the kernel's own count of the RAM it was given ("Memory: USEDK/TOTALK available")
memkb=$(echo "$out" | sed -n 2p | tr -dc '0-9/' | cut -d/ -f2)
check "the guest was given 300 MiB (${memkb:-?} kB)" test "${memkb:-0}" -gt $((299 * 1024)) -a "${memkb:-0}" -le $((300 * 1024))
expect_eq "stderr is kept apart from stdout" "$(cat "$tmp/err")" "to-stderr"

out=$("$HV" run -- echo hello world)
expect_eq "stdout content, byte for byte" "$out" "hello world"

# stdin, with its end: 300 kB through the guest and back as a checksum
head -c 300000 /dev/urandom >"$tmp/in"
want=$(sha256sum <"$tmp/in" | cut -d' ' -f1)
got=$("$HV" run -- sha256sum <"$tmp/in" | cut -d' ' -f1)
expect_eq "300 kB of stdin reach the command intact" "$got" "$want"
expect_eq "an empty stdin ends at once" "$("$HV" run -- wc -c </dev/null)" 0

"$HV" run -- no-such-command 2>"$tmp/err"
expect_eq "a command missing in the guest exits 127" "$?" 127
expect_match "and hv says so" "$(cat "$tmp/err")" "no-such-command: command not found"

"$HV" run -- sh -c 'kill -9 $$'
expect_eq "a command killed by SIGKILL exits 137" "$?" 137

"$HV" run -- sh -c 'echo c > /proc/sysrq-trigger' >/dev/null 2>"$tmp/err"
expect_eq "a guest kernel panic makes hv run fail with 125" "$?" 125
expect_match "and is reported as a panic, with the kernel's messages" "$(cat "$tmp/err")" "Kernel panic.*panicked"

# a raw disk: its size as the guest sees it, and a write that reaches the host file
truncate -s 8M "$tmp/disk.raw"
out=$("$HV" run --disk "$tmp/disk.raw" -- sh -c 'cat /sys/block/vda/size; echo hv-data > /dev/vda; sync')
expect_eq "an 8 MiB disk is 16384 sectors in the guest" "$out" 16384
expect_eq "the guest's write reached the image" "$(head -c 7 "$tmp/disk.raw")" "hv-data"

# q35 and the kernel exactly as Debian ships it (bzImage)
out=$("$HV" run --machine q35 --kernel build/guest/vmlinuz -- sh -c 'cat /proc/cmdline; ls /sys/bus/pci/devices | wc -l')
expect_match "q35 with a bzImage boots hv's init" "$out" "hv.mode=run"
check "q35 has PCI devices" test "$(echo "$out" | tail -n 1)" -gt 0

# an interactive shell on a terminal: the console is the command's tty
if command -v script >/dev/null; then
	out=$( (sleep 4; printf 'tty; exit 3\n') | script -qec "$HV run" /dev/null)
	rc=$(echo "$out" | tr -d '\r' | grep -c '^/dev/ttyS0$')
	expect_eq "with a terminal the shell runs on the console (tty is /dev/ttyS0)" "$rc" 1
	(sleep 4; printf 'sleep 60\n'; sleep 1; printf '\035') | script -qec "$HV run" /dev/null >"$tmp/esc" 2>&1
	expect_match "Ctrl-] ends an interactive hv run" "$(cat "$tmp/esc")" "VM stopped"
else
	fail "script(1) is missing: cannot test terminal mode"
fi

# --debug traces the guest channel's frames, in both directions, with their lengths
"$HV" --debug run --nic none -- true </dev/null 2>"$tmp/trace"
expect_eq "hv --debug run -- true exits 0" "$?" 0
trace=$(grep ' chan: ' "$tmp/trace" | sed 's/^hv\[[0-9]*\] //' | tr '\n' '|')
expect_match "the trace shows HELLO received, EXEC sent, EXIT received" "$trace" \
	"^chan: recv HELLO session 0 \(9 bytes\)\|chan: send EXEC session 1 \([0-9]+ bytes\)\|.*chan: recv EXIT session 1 \(2 bytes\)\|"
expect_eq "and nothing is traced without --debug" "$("$HV" run --nic none -- true 2>&1)" ""

# hv run's VM is a transient VM of the store: hv list shows it while it runs
"$HV" run -- sleep 30 >/dev/null 2>&1 &
runpid=$!
name=
for _ in $(seq 1 100); do
	name=$("$HV" list --json 2>/dev/null | python3 -c 'import json,sys; print(" ".join(v["name"] for v in json.load(sys.stdin) if v["name"].startswith("run-") and v["state"] == "running"))')
	[ -n "$name" ] && break
	sleep 0.2
done
expect_match "hv list shows hv run's VM as running" "$name" "^run-[0-9a-f]{6}$"
expect_match "hv info says it is transient" "$("$HV" info "$name" 2>&1)" "transient"
"$HV" exec "$name" -- true 2>"$tmp/err"
expect_eq "hv exec into hv run's VM is refused (125)" "$?" 125
expect_match "naming why" "$(cat "$tmp/err")" "belongs to an hv run"
"$HV" kill "$name" >/dev/null 2>&1
wait $runpid
expect_eq "hv kill of hv run's VM makes hv run fail with 125" "$?" 125
check "and its folder is gone" test ! -e "$HV_HOME/vms/$name"

# SIGKILL of hv run: its monitor stops the VM and deletes it
"$HV" run -- sleep 60 >/dev/null 2>&1 &
runpid=$!
name=
for _ in $(seq 1 100); do
	name=$(ls "$HV_HOME/vms" | grep '^run-' || true)
	[ -n "$name" ] && [ -e "$HV_HOME/vms/$name/status.json" ] && break
	sleep 0.2
done
kill -9 $runpid
wait $runpid 2>/dev/null
for _ in $(seq 1 150); do
	[ -e "$HV_HOME/vms/$name" ] || break
	sleep 0.2
done
check "a SIGKILLed hv run leaves no VM behind ($name)" test ! -e "$HV_HOME/vms/$name"

# nothing of these VMs outlives hv run
check "no QEMU is left behind" test -z "$(pgrep -f 'qemu-system-x86_64 -name run-' || true)"
expect_eq "and no VM in the store" "$("$HV" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 0
done_testing
