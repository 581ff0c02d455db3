# SPDX-License-Identifier: MIT
# The guest workload of tests/migrate, shared by its suites: in VM m1,
# tests/migrate/dirty.c ($tmp/dirty, built by the suite) dirtying MIB of
# memory page by page, a sleeping process, a tmpfs file and data on its
# first disk; after a move, all of it checked at the destination.  The
# suite defines gexec STORE CMD (a command in m1's guest, m1 in STORE).

# workload_start STORE MIB: start it; sets wpid, spid and c0 (passes so far)
workload_start() {
	HV_HOME=$1 "$HV" cp "$tmp/dirty" m1:/root/dirty
	gexec "$1" 'mkdir -p /run/t && mount -t tmpfs t /run/t && echo tmpfs-survives >/run/t/f'
	gexec "$1" 'printf disk-survives | dd of=/dev/vda bs=512 seek=100 conv=fsync 2>/dev/null'
	gexec "$1" "setsid /root/dirty $2 /run/t/check /run/t/count </dev/null >/dev/null 2>&1 & setsid sleep 100000 </dev/null >/dev/null 2>&1 &"
	sleep 2
	wpid=$(gexec "$1" 'pidof dirty')
	spid=$(gexec "$1" 'pidof sleep')
	c0=$(gexec "$1" 'cat /run/t/count')
	check "the workload runs ($c0 passes)" test -n "$wpid" -a -n "$c0"
}

# workload_check STORE: the same processes, the counter kept and advancing,
# the buffer's invariant, the tmpfs file and the disk data
workload_check() {
	local c1 c2
	expect_eq "the workload is the same process" "$(gexec "$1" 'pidof dirty')" "$wpid"
	expect_eq "as is the sleeping one" "$(gexec "$1" 'pidof sleep')" "$spid"
	c1=$(gexec "$1" 'cat /run/t/count')
	sleep 2
	c2=$(gexec "$1" 'cat /run/t/count')
	check "its counter kept its value and advances ($c0 -> $c1 -> $c2)" test "$c1" -ge "$c0" -a "$c2" -gt "$c1"
	gexec "$1" 'rm -f /run/t/check; kill -USR1 $(pidof dirty)'
	sleep 1
	expect_match "its buffer keeps its invariant (one +1 edge at most)" "$(gexec "$1" 'cat /run/t/check')" "^ok [0-9]+$"
	expect_eq "the tmpfs file survives" "$(gexec "$1" 'cat /run/t/f')" tmpfs-survives
	expect_eq "the disk's data survives" "$(gexec "$1" 'dd if=/dev/vda bs=512 skip=100 count=1 2>/dev/null | head -c 13')" disk-survives
}
