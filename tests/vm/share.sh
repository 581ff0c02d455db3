#!/bin/bash
# SPDX-License-Identifier: MIT
# Shared folders (virtio-fs): hv run and a persistent VM read and write a
# host directory, read-only shares refuse writes on the host's side, the
# virtiofsd processes end with the VM however it ends, and bad --share
# input is one line with nothing changed.
. "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d /tmp/hv-share.XXXXXX)
trap 'cleanup; rm -rf "$tmp"' EXIT
snapshot() { (cd "$HV_HOME" && find . -printf '%p %s %T@\n' | sort | md5sum); }
# virtiofsd processes serving a folder of this test
servers() { pgrep -f "virtiofsd .*source=$tmp" | wc -l; }
# wait_no_servers SECONDS: until no virtiofsd of this test is left
wait_no_servers() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		[ "$(servers)" -eq 0 ] && return 0
		sleep 0.1
	done
	return 1
}

mkdir -p "$tmp/rw" "$tmp/ro" "$tmp/my dir,x" "$tmp/proj"
printf 'written by the host\n' >"$tmp/rw/host.txt"
printf 'keep me\n' >"$tmp/ro/keep.txt"
printf 'in a strange folder\n' >"$tmp/my dir,x/f.txt"

# One boot, many facts: a read-write share (read, write, mode, owner), a
# read-only one (refused even after the guest remounts it read-write), a
# default tag made safe from a folder name with a space and a comma.
out=$("$HV" run --share "$tmp/rw" --share "$tmp/ro:data,ro" --share "$tmp/my dir,x" -- sh -c '
	cat /mnt/rw/host.txt
	printf "from the guest\n" >/mnt/rw/guest.txt && chmod 640 /mnt/rw/guest.txt && chown 1234:99 /mnt/rw/guest.txt
	mkdir -m 750 /mnt/rw/sub && echo deep >/mnt/rw/sub/deep.txt
	cat /mnt/data/keep.txt
	echo no >/mnt/data/new.txt 2>/dev/null && echo WROTE-RO || echo REFUSED-RO
	rm /mnt/data/keep.txt 2>/dev/null && echo REMOVED-RO || echo KEPT-RO
	mount -o remount,rw /mnt/data 2>/dev/null
	echo no >/mnt/data/new2.txt 2>/dev/null && echo WROTE-REMOUNTED || echo REFUSED-REMOUNTED
	cat "/mnt/my_dir_x/f.txt"
	grep -c virtiofs /proc/mounts' 2>"$tmp/err")
rc=$?
expect_eq "hv run with three shares exits 0" "$rc" 0
expect_match "the guest reads what the host wrote" "$out" "written by the host"
expect_eq "the host reads what the guest wrote" "$(cat "$tmp/rw/guest.txt" 2>&1)" "from the guest"
expect_eq "the guest's mode and owner reach the host" "$(stat -c '%a %u %g' "$tmp/rw/guest.txt" 2>&1)" "640 1234 99"
expect_eq "a folder made in the guest, with its mode" "$(stat -c %a "$tmp/rw/sub" 2>&1) $(cat "$tmp/rw/sub/deep.txt" 2>&1)" "750 deep"
expect_match "the guest reads a read-only share" "$out" "keep me"
expect_match "a read-only share refuses a new file" "$out" "REFUSED-RO"
expect_match "a read-only share refuses a removal" "$out" "KEPT-RO"
expect_match "remounted read-write in the guest, still refused (the host's mount is read-only)" "$out" "REFUSED-REMOUNTED"
check "nothing reached the read-only folder" test ! -e "$tmp/ro/new.txt" -a ! -e "$tmp/ro/new2.txt" -a -e "$tmp/ro/keep.txt"
expect_match "the default tag of 'my dir,x' is my_dir_x" "$out" "in a strange folder"
expect_match "three virtio-fs mounts" "$out" $'\n3$'
check "no virtiofsd left after hv run" wait_no_servers 5
# a virtiofsd that dies at once: hv run fails as hv's failure (125), nothing left
HV_VIRTIOFSD=/bin/false "$HV" run --share "$tmp/rw" -- true >/dev/null 2>"$tmp/err"
expect_eq "a virtiofsd that exits at once: hv run exits 125" "$?" 125
expect_match "and says why" "$(cat "$tmp/err")" "vhost|virtio|QEMU"
check "and leaves no virtiofsd" wait_no_servers 5

# The README's example, literally: a share of the current folder, make in the guest.
printf 'all:\n\techo built in $(CURDIR) >result.txt\n' >"$tmp/proj/Makefile"
(cd "$tmp/proj" && "$HV" run --share .:src -- make -C /mnt/src >/dev/null 2>&1)
expect_eq "hv run --share .:src -- make -C /mnt/src exits 0" "$?" 0
expect_eq "make ran in the guest on the host's folder" "$(cat "$tmp/proj/result.txt" 2>&1)" "built in /mnt/src"

# A persistent VM with shares: definition, info, mounts, and virtiofsd ends with it.
"$HV" create sh1 --share "$tmp/rw" --share "$tmp/ro:data,ro" >/dev/null
expect_eq "hv create --share exits 0" "$?" 0
expect_match "hv info lists the shares" "$("$HV" info sh1)" "share: +$tmp/rw -> /mnt/rw"$'\n'"share: +$tmp/ro -> /mnt/data \(read-only\)"
expect_eq "hv info --json lists the shares" "$(info sh1 shares)" \
	"[{'source': '$tmp/rw', 'tag': 'rw', 'readonly': False}, {'source': '$tmp/ro', 'tag': 'data', 'readonly': True}]"
start_vm sh1
check "the VM boots to its shell" wait_log sh1 'sh1:~#' 30
expect_eq "one virtiofsd per share (each with its sandbox child)" "$(servers)" 4
out=$(guest_run sh1 'grep virtiofs /proc/mounts | cut -d" " -f1-4; cat /mnt/rw/host.txt; echo svc >/mnt/rw/svc.txt')
expect_match "the shares are mounted at /mnt/TAG" "$out" "rw /mnt/rw virtiofs rw,.* data /mnt/data virtiofs ro,"
expect_match "and readable" "$out" "written by the host"
expect_eq "and writable" "$(cat "$tmp/rw/svc.txt" 2>&1)" "svc"
refuse_running=$("$HV" set sh1 --no-share data 2>&1)
expect_match "hv set --no-share on a running VM is refused" "$refuse_running" "stop it first"
out=$("$HV" snapshot create sh1 mem 2>&1)
expect_match "a snapshot with the memory of a VM with shares is refused (virtio-fs cannot migrate)" "$out" "cannot save the memory of a VM using virtio-fs: take a --disk-only snapshot"
out=$("$HV" save sh1 2>&1)
expect_match "hv save of a VM with shares is refused" "$out" "cannot save the memory.*stop it instead"
expect_eq "and the VM runs on" "$(info sh1 state)" running
"$HV" stop sh1 >/dev/null
check "no virtiofsd left after hv stop" wait_no_servers 5
start_vm sh1
wait_log sh1 'sh1:~#' 30 >/dev/null
pid=$(info sh1 pid)
kill -9 "$pid"
check "QEMU killed with -9: the VM is crashed" wait_state sh1 crashed 10
check "no virtiofsd left after kill -9 of QEMU" wait_no_servers 5

# hv set on the stopped VM
"$HV" set sh1 --no-share data --share "$tmp/my dir,x:other" >/dev/null
expect_eq "hv set --no-share/--share exits 0" "$?" 0
expect_eq "the shares changed" "$(info sh1 shares)" \
	"[{'source': '$tmp/rw', 'tag': 'rw', 'readonly': False}, {'source': '$tmp/my dir,x', 'tag': 'other', 'readonly': False}]"

# Bad input: one line, exit 1 (125 for hv run), nothing changed.
printf 'x' >"$tmp/afile"
refuse() {
	local what=$1 want_rc=$2 re=$3 before after rc lines
	shift 3
	before=$(snapshot)
	"$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	after=$(snapshot)
	lines=$(wc -l <"$tmp/err")
	if [ $rc -ne "$want_rc" ]; then
		fail "$what: exit $rc, want $want_rc ($(cat "$tmp/err"))"
	elif [ "$lines" -ne 1 ]; then
		fail "$what: $lines lines on stderr: $(cat "$tmp/err")"
	elif ! grep -qE "$re" "$tmp/err"; then
		fail "$what: '$(cat "$tmp/err")' does not match /$re/"
	elif [ "$before" != "$after" ]; then
		fail "$what: the store changed"
	else
		ok "$what ($(cat "$tmp/err"))"
	fi
}
refuse "create: a share that does not exist" 1 "$tmp/nope: no such directory" "$HV" create bad --share "$tmp/nope"
refuse "create: a share that is a file" 1 "$tmp/afile is not a directory" "$HV" create bad --share "$tmp/afile"
refuse "create: a duplicate tag" 1 "tag 'rw' is already taken" "$HV" create bad --share "$tmp/rw" --share "$tmp/ro:rw"
refuse "create: a bad tag" 1 "may only hold letters" "$HV" create bad --share "$tmp/rw:a/b"
refuse "create: a tag that starts with a dot" 1 "must not start with" "$HV" create bad --share "$tmp/rw:.."
refuse "create: a tag too long" 1 "1 to 36 characters" "$HV" create bad --share "$tmp/rw:$(printf 'x%.0s' {1..37})"
args=()
for i in 1 2 3 4 5 6 7 8 9; do args+=(--share "$tmp/rw:t$i"); done
refuse "create: nine shares" 1 "at most 8 shared folders" "$HV" create bad "${args[@]}"
refuse "set: a share that does not exist" 1 "no such directory" "$HV" set sh1 --share "$tmp/nope"
refuse "set: an unknown tag to remove" 1 "no share with that tag" "$HV" set sh1 --no-share nope
refuse "set: a tag already taken" 1 "already taken" "$HV" set sh1 --share "$tmp/ro:other"
refuse "run: a share that does not exist" 125 "no such directory" "$HV" run --share "$tmp/nope" -- true
# a folder removed after create: the start says which share
rmdir "$tmp/my dir,x" 2>/dev/null || { rm -rf "$tmp/my dir,x"; }
refuse "start: a shared folder gone since" 1 "shared folder 'other'.*no such directory" "$HV" start sh1
check "no virtiofsd left after the refused start" wait_no_servers 2

done_testing
