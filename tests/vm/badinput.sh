#!/bin/bash
# SPDX-License-Identifier: MIT
# Bad input: one clear line on stderr, a non-zero exit, within a second,
# and the store exactly as it was.
. "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
trap 'cleanup; rm -rf "$tmp"' EXIT
"$HV" create base --disk 16M >/dev/null
snapshot() { (cd "$HV_HOME" && find . -path ./tmp -prune -o -printf '%p %s %T@\n' | sort | md5sum); }

# refuse DESCRIPTION REGEX COMMAND...: the command fails quickly with one matching line
refuse() {
	local what=$1 re=$2 before after t0 t1 rc lines
	shift 2
	before=$(snapshot)
	t0=$(date +%s%N)
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	t1=$(date +%s%N)
	after=$(snapshot)
	lines=$(wc -l <"$tmp/err")
	if [ $rc -eq 0 ]; then
		fail "$what: exited 0"
	elif [ "$lines" -ne 1 ]; then
		fail "$what: $lines lines on stderr: $(cat "$tmp/err")"
	elif ! grep -qE "$re" "$tmp/err"; then
		fail "$what: '$(cat "$tmp/err")' does not match /$re/"
	elif [ $(((t1 - t0) / 1000000)) -gt 1000 ]; then
		fail "$what: took $(((t1 - t0) / 1000000)) ms"
	elif [ "$before" != "$after" ]; then
		fail "$what: the store changed"
	else
		ok "$what ($(cat "$tmp/err"))"
	fi
}

printf 'not a kernel\n' >"$tmp/notakernel"
refuse "unknown flag" "unknown option '--frobnicate'" "$HV" create x --frobnicate
refuse "unknown command" "unknown command" "$HV" frobnicate
refuse "--memory 0" "at least" "$HV" create x --memory 0
refuse "--memory 9999T" "exceeds" "$HV" create x --memory 9999T
refuse "--memory garbage" "invalid size" "$HV" create x --memory lots
refuse "--cpus 0" "between 1 and" "$HV" create x --cpus 0
refuse "--cpus missing its value" "needs a value" "$HV" create x --cpus
refuse "a missing --kernel" "No such file" "$HV" create x --kernel /nonexistent/vmlinuz
refuse "a non-kernel --kernel" "not a Linux kernel" "$HV" create x --kernel "$tmp/notakernel"
refuse "a missing disk" "no such image" "$HV" create x --disk /nonexistent/disk.img
refuse "a duplicate name" "already exists" "$HV" create base
refuse "a name with a slash" "invalid VM name" "$HV" create a/b
refuse "the name .." "invalid VM name" "$HV" create ..
refuse "a name starting with -" "unknown option|invalid VM name" "$HV" create -- -x
refuse "a name too long" "too long" "$HV" create "$(printf 'a%.0s' {1..64})"
refuse "an unknown VM" "no VM named 'ghost'" "$HV" start ghost
refuse "info on an unknown VM" "no VM named" "$HV" info ghost
refuse "stop of a stopped VM" "not running" "$HV" stop base
refuse "pause of a stopped VM" "not running" "$HV" pause base
refuse "console of a stopped VM" "not running" "$HV" console base
refuse "kill of a stopped VM" "not running" "$HV" kill base
refuse "delete without a name" "missing the VM name" "$HV" delete
refuse "set with nothing to set" "nothing to change" "$HV" set base
refuse "an unknown accelerator" "unknown accelerator" "$HV" create x --accel warp
refuse "an unknown machine" "unknown machine" "$HV" create x --machine pc98
refuse "--timeout nonsense" "timeout" "$HV" stop base --timeout soon
refuse "hv run --memory 0" "at least" "$HV" run --memory 0 -- true
refuse "hv run with a missing disk" "no such image" "$HV" run --disk /nonexistent.img -- true
refuse "hv run with a non-kernel" "not a Linux kernel" "$HV" run --kernel "$tmp/notakernel" -- true
refuse "hv run with a command but a foreign initrd" "no hv init" "$HV" run --initrd "$tmp/notakernel" -- true
refuse "missing qemu-system-x86_64 (hv run)" "not found; install it" env HV_QEMU=/nonexistent/qemu "$HV" run -- true
refuse "no qemu-system-x86_64 on PATH" "qemu-system-x86_64 not found; install it" env PATH=/nonexistent "$HV" run -- true
refuse "missing qemu-system-x86_64 (hv start)" "not found; install it" env HV_QEMU=/nonexistent/qemu "$HV" start base
# a command over the guest channel's EXEC limit: refused before QEMU starts, naming the limit
refuse "hv run with a command over 56 KiB" "over the guest channel's limit of 57344 bytes" \
	"$HV" run -- echo "$(head -c 70000 /dev/zero | tr '\0' x)"
check "and it exits 125" bash -c '"$0" run -- echo "$(head -c 70000 /dev/zero | tr "\0" x)" 2>/dev/null; [ $? -eq 125 ]' "$HV"
# with too few fds for the signalfd, hv run says so and exits 125 (it used to poll forever):
# raise the fd limit one at a time until the failure is no longer about the VM's sockets
for n in $(seq 5 40); do
	t0=$(date +%s%N)
	timeout 20 bash -c 'ulimit -n $1; exec "$0" run --nic none -- true' "$HV" "$n" >/dev/null 2>"$tmp/err"
	rc=$?
	t1=$(date +%s%N)
	grep -q "cannot create the VM's sockets" "$tmp/err" && [ $rc -eq 125 ] || break
done
expect_match "hv run without an fd for its signalfd names it" "$(cat "$tmp/err")" "^hv run: signalfd: Too many open files$"
expect_eq "and exits 125" "$rc" 125
check "within a second ($(((t1 - t0) / 1000000)) ms)" test $(((t1 - t0) / 1000000)) -lt 1000
check "hv run's own failures exit 125" bash -c '"$0" run --memory 0 -- true 2>/dev/null; [ $? -eq 125 ]' "$HV"
refuse "an unwritable store" "HV_HOME|cannot" env HV_HOME=/proc/hv "$HV" create x
refuse "a relative HV_HOME" "absolute" env HV_HOME=relative/dir "$HV" list

# storage
"$HV" create nodiskvm --nic none >/dev/null
refuse "an invalid snapshot name" "snapshot name.*invalid" "$HV" snapshot create base bad/name
refuse "a snapshot of a stopped VM without disks" "nothing to snapshot" "$HV" snapshot create nodiskvm s1
refuse "a revert to an unknown snapshot" "no snapshot named 'nosuch'" "$HV" snapshot revert base nosuch
refuse "deleting an unknown snapshot" "no snapshot named" "$HV" snapshot delete base nosuch
refuse "a clone onto an existing name" "already exists" "$HV" clone base nodiskvm
refuse "a clone of an unknown VM" "no VM named 'ghost'" "$HV" clone ghost x
refuse "a clone from an unknown snapshot" "no snapshot named" "$HV" clone base x --snapshot nosuch
refuse "hv save of a stopped VM" "not running" "$HV" save base
refuse "disk info of a missing image" "No such file" "$HV" disk info /nonexistent.qcow2
refuse "disk create with a bad size" "invalid size" "$HV" disk create "$tmp/x.qcow2" --size lots
refuse "disk create without a size" "size is needed" "$HV" disk create "$tmp/x.qcow2"
refuse "disk create over an existing file" "already exists" "$HV" disk create "$tmp/notakernel" --size 1M
refuse "attach-disk of a missing image" "No such file" "$HV" attach-disk base /nonexistent.img
refuse "detach-disk of a disk the VM does not have" "has no disk" "$HV" detach-disk base /nonexistent.img

# a failure that records no reason of its own (a bare -errno) shows
# strerror, never "unknown error" or an older message
ln -s status.json "$HV_HOME/vms/nodiskvm/status.json" # a symlink loop: ELOOP
refuse "an unreadable status.json says why" "^hv info: .*Too many levels of symbolic links$" "$HV" info nodiskvm
rm "$HV_HOME/vms/nodiskvm/status.json"
# a damaged vm.json: the error names the field
"$HV" create damaged --nic none >/dev/null
sed -i 's/"cpus": 1/"cpus": null/' "$HV_HOME/vms/damaged/vm.json"
refuse "a null field of vm.json is named" "vm.json: cpus: expected an integer, got null" "$HV" info damaged
refuse "and hv start says the same" "vm.json: cpus: expected an integer, got null" "$HV" start damaged
check "hv list shows it as damaged" bash -c '"$0" list --all 2>/dev/null | grep -q "^damaged  *damaged"' "$HV"
check "with the reason on stderr" bash -c '"$0" list --all 2>&1 >/dev/null | grep -q "VM .damaged.: .*vm.json: cpus: expected an integer, got null"' "$HV"

# a VM whose disk vanished fails to start, says which disk, and stays stopped
"$HV" create nodisk --disk "$tmp/gone.img" >/dev/null 2>&1
truncate -s 1M "$tmp/gone.img"
"$HV" create nodisk --disk "$tmp/gone.img" >/dev/null
rm "$tmp/gone.img"
refuse "a disk deleted behind hv's back" "gone.img" "$HV" start nodisk
expect_eq "and the VM stays stopped" "$(info nodisk state)" stopped
done_testing
