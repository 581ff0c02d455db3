#!/bin/bash
# SPDX-License-Identifier: MIT
# hv-runc on a pure cgroup v2 kernel: one boot of the default guest with
# cgroup_no_v1=all and hv.cgroup=2 (only cgroup2, at /sys/fs/cgroup), the
# host's /usr and /etc and this tree shared read-only (so the guest has
# bash, python3 and hv-runc's libraries), and in a chroot there the
# runtime and confinement suites, then checks of the v2 layout itself:
# the init born in its cgroup (clone3 CLONE_INTO_CGROUP), the OOM kill
# counted in memory.events, the limits' files, the freezer.  Each
# assertion made in the guest is one assertion of this suite ("v2
# SUITE: ...").
#   usage: tests/oci/cgroupv2.sh           (on the host)
#          tests/oci/cgroupv2.sh --checks  (in the guest's chroot: the v2 checks)

if [ "${1:-}" = --checks ]; then
	# shellcheck source=tests/oci/lib.bash
	source "$(dirname "$0")/lib.bash"
	cg=/sys/fs/cgroup

	# --- the layout: cgroup2 alone
	expect_eq "/sys/fs/cgroup is cgroup2" "$(stat -f -c %T $cg)" cgroup2fs
	expect_eq "no cgroup v1 hierarchy is mounted" "$(awk '$3 == "cgroup"' /proc/mounts | wc -l)" 0
	expect_eq "a process's /proc/self/cgroup has only the unified line" "$(cat /proc/self/cgroup)" "0::/"

	# --- CLONE_INTO_CGROUP: the runtime runs in a cgroup that cannot take
	# one more process (pids.max is its own count), so the container's
	# init can only exist if it was born in the container's cgroup
	b=$(mkbundle born 'c["linux"]["namespaces"]=[n for n in c["linux"]["namespaces"] if n["type"]!="cgroup"]; c["process"]["args"]=["cat","/proc/self/cgroup"]')
	echo +pids >$cg/cgroup.subtree_control
	mkdir -p $cg/cage
	out=$(bash -c 'echo $$ >'$cg'/cage/cgroup.procs && echo 1 >'$cg'/cage/pids.max && exec "$0" --root "$1" run --bundle "$2" born' \
		"$RUNC" "$CTR_ROOT" "$b" </dev/null 2>&1)
	expect_eq "a runtime that cannot fork in its own cgroup still starts a container (clone3 into the container's cgroup)" \
		"$out" "0::/hv-runc/born"
	expect_match "and no fork was refused there (no clone then move)" "$(cat $cg/cage/pids.events)" "^max 0$"
	rmdir $cg/cage
	# the init (hv-runc's code before exec) is in place at create time
	mkbundle early 'c["process"]["args"]=["true"]' >/dev/null
	rt create --bundle "$BUNDLES/early" early
	expect_eq "the created init is in the container's cgroup" \
		"$(cat /proc/"$(ctr_state early pid)"/cgroup 2>&1)" "0::/hv-runc/early"
	expect_eq "and the only process there" "$(cat $cg/hv-runc/early/cgroup.procs)" "$(ctr_state early pid)"
	rt delete --force early

	# --- controllers: what the container's cgroup has, and its parents
	mkbundle lim 'c["linux"]["resources"]={"memory":{"limit":33554432,"swap":33554432},"pids":{"limit":9},"cpu":{"quota":50000,"period":100000,"shares":512}}; c["process"]["args"]=["sh","-c","dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo dd=$?; sleep 100"]' >/dev/null
	rt create --bundle "$BUNDLES/lim" lim && rt start lim
	for _ in $(seq 50); do grep -q "oom_kill [1-9]" $cg/hv-runc/lim/memory.events 2>/dev/null && break; sleep 0.1; done
	d=$cg/hv-runc/lim
	expect_eq "memory.max" "$(cat $d/memory.max)" 33554432
	expect_eq "memory.swap.max (swap - limit)" "$(cat $d/memory.swap.max 2>/dev/null || echo no-swap-accounting)" 0
	expect_eq "pids.max" "$(cat $d/pids.max)" 9
	expect_eq "cpu.max" "$(cat $d/cpu.max)" "50000 100000"
	expect_eq "cpu.weight from shares 512" "$(cat $d/cpu.weight)" 20
	expect_match "the OOM kill is counted in the container's memory.events (what a shim watches)" \
		"$(cat $d/memory.events)" "oom_kill [1-9]"
	check "pause" rt pause lim
	expect_eq "cgroup.freeze" "$(cat $d/cgroup.freeze)" 1
	expect_match "cgroup.events says frozen" "$(cat $d/cgroup.events)" "frozen 1"
	expect_eq "state: paused" "$(ctr_state lim status)" paused
	check "delete --force of a paused container" rt delete --force lim
	check "its cgroup is gone" test ! -e $d
	done_testing
	exit
fi

source "$(dirname "$0")/../vm/lib.bash"

# In the guest (busybox sh): a chroot of the host's /usr and /etc and this
# tree with its own /proc, /sys, cgroup2, /dev and /tmp, then the suites.
guest_script='
set -e
c=/v2root
mkdir -p $c && mount -t tmpfs -o mode=0755 tmpfs $c
mkdir -p $c/usr $c/etc $c/src $c/proc $c/sys $c/dev $c/tmp $c/run $c/var/tmp $c/root
for l in bin lib lib64 sbin; do ln -s usr/$l $c/$l; done
mount --bind /mnt/usr $c/usr && mount --bind /mnt/etc $c/etc && mount --bind /mnt/src $c/src
mount -t proc proc $c/proc && mount -t sysfs sysfs $c/sys
mount -t cgroup2 -o nsdelegate cgroup2 $c/sys/fs/cgroup
mount -t devtmpfs devtmpfs $c/dev && mount -t devpts -o newinstance,ptmxmode=666 devpts $c/dev/pts 2>/dev/null || true
for d in tmp run var/tmp; do mount -t tmpfs -o mode=1777 tmpfs $c/$d; done
# one busybox root file system for every bundle (see HV_TEST_ROOTFS)
r=$c/tmp/rootfs
mkdir -p $r/bin $r/etc $r/proc $r/sys $r/dev $r/tmp $r/root $r/run $r/var/tmp
chmod 1777 $r/tmp $r/var/tmp
mkdir -p $r/usr/bin
cp $c/usr/bin/busybox $r/bin/busybox && ln $r/bin/busybox $r/usr/bin/busybox
chroot $c /bin/busybox --install -s /tmp/rootfs/bin # links to /usr/bin/busybox
echo "root:x:0:0:root:/root:/bin/sh" >$r/etc/passwd
echo "nobody:x:65534:65534:nobody:/:/bin/sh" >>$r/etc/passwd
printf "root:x:0:\nnobody:x:65534:\n" >$r/etc/group
# $c becomes the mount namespace root (switch_root without the exec):
# in a plain chroot, clone(CLONE_NEWUSER) fails with EPERM
cd $c && mount --move . / # the cwd stays on it: chroot . below
c=/
set +e
echo "guest: kernel $(uname -r), $(grep -c . /proc/cgroups) controllers listed"
for s in runtime confine; do
	echo "=== $s"
	chroot . /bin/bash -c "cd /src && HOME=/root HV_TEST_ROOTFS=/tmp/rootfs bash tests/oci/$s.sh" 2>&1
	echo "=== $s exit $?"
done
echo "=== checks"
chroot . /bin/bash -c "cd /src && HOME=/root HV_TEST_ROOTFS=/tmp/rootfs bash tests/oci/cgroupv2.sh --checks" 2>&1
echo "=== checks exit $?"
'
t0=$(date +%s)
out=$(timeout 540 "$HV" run --memory 1G --cpus 2 \
	--cmdline "console=ttyS0 loglevel=3 panic=-1 cryptomgr.notests cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1 hv.cgroup=2" \
	--share /usr:usr,ro --share /etc:etc,ro --share "$PWD:src,ro" -- sh -c "$guest_script" 2>&1)
rc=$?
echo "# guest run: $(($(date +%s) - t0)) s"
expect_eq "hv run of the v2 guest exits 0" "$rc" 0
grep '^guest:' <<<"$out" | sed 's/^/# /'
# Each suite's lines become this suite's: "ok"/"FAIL" lines count, its
# summary must be there, and so must its exit status 0.
suite=""
while IFS= read -r line; do
	case $line in
	"=== "*" exit "*)
		set -- $line
		expect_eq "v2 $suite: the suite exits 0" "$4" 0
		;;
	"=== "*)
		suite=${line#=== }
		;;
	"ok "*) ok "v2 $suite: ${line#ok }" ;;
	"FAIL "*) fail "v2 $suite: ${line#FAIL }" ;;
	*" passed, "*" failed")
		[[ $line =~ ^([0-9]+)\ passed ]] && echo "# v2 $suite: $line"
		[ -n "$suite" ] && eval "summary_${suite}=\${BASH_REMATCH[1]}"
		;;
	esac
done <<<"$out"
# a suite that stopped early would pass with few checks: each floor is
# the suite's whole count (runtime.sh and confine.sh run every check on
# v2 too), so raise it with the suite
for s in runtime:70 confine:34 checks:19; do
	n=summary_${s%%:*}
	check "v2 ${s%%:*}: at least ${s#*:} checks passed (${!n:-0})" test "${!n:-0}" -ge "${s#*:}"
done
if [ "$FAIL" -ne 0 ]; then
	echo "# the guest's output:"
	sed 's/^/#   /' <<<"$out" | tail -n 60
fi
done_testing
