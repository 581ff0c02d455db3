#!/bin/bash
# SPDX-License-Identifier: MIT
# runc parity for configs other OCI tools generate (issue 12): a relative
# linux.cgroupsPath, memory.swappiness, no mount namespace, and AppArmor /
# SELinux labels, each asserted from inside the container; refusals are
# one line, non-zero, and leave nothing behind.
source "$(dirname "$0")/lib.bash"

# expect_refusal DESCRIPTION REGEX ID COMMAND...: one line matching
# REGEX, a non-zero exit, and no state or cgroup of ID left.
expect_refusal() {
	local what=$1 re=$2 id=$3
	shift 3
	expect_error "$what" "$re" "$@"
	nothing_left "$what" "$id"
}
V2=false
[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && V2=true
# own HIERARCHY: this shell's cgroup there (runc's parent of a relative
# path; on v2 the parent of the unified one).  hv-runc is our child.
own() {
	local p
	p=$(awk -F: -v h="$1" '$2 == h {print $3}' /proc/self/cgroup)
	if $V2; then p=$(dirname "$p"); fi
	[ "$p" = / ] && p=
	echo "$p"
}

# --- (a) a relative cgroupsPath hangs below the runtime's own cgroups
rel=testdir/cgrouptest/rel$$
b=$(mkbundle relcg 'c["linux"]["cgroupsPath"]="'$rel'"; c["linux"]["namespaces"]=[n for n in c["linux"]["namespaces"] if n["type"]!="cgroup"]; c["process"]["args"]=["sh","-c","cat /proc/self/cgroup; echo ready; sleep 30"]')
rt run -d --bundle "$b" relcg </dev/null >"$BUNDLES/relcg.out" 2>&1
for i in $(seq 50); do grep -q ready "$BUNDLES/relcg.out" && break; sleep 0.1; done
out=$(cat "$BUNDLES/relcg.out")
if $V2; then
	expect_match "v2: the cgroup is below the parent of the runtime's cgroup" "$out" "0::$(own '')/$rel"$'\n'
	check "and exists there" test -d "/sys/fs/cgroup$(own '')/$rel"
else
	expect_match "v1 memory: below the runtime's own memory cgroup" "$out" ":memory:$(own memory)/$rel"$'\n'
	expect_match "v1 pids: below the runtime's own pids cgroup" "$out" ":pids:$(own pids)/$rel"$'\n'
	expect_match "the systemd hierarchy too" "$out" ":name=systemd:$(own name=systemd)/$rel"$'\n'
	check "and the memory cgroup is there" test -d "/sys/fs/cgroup/memory$(own memory)/$rel"
fi
expect_eq "state sees it running" "$(ctr_state relcg status)" running
check "ps lists its processes" test -n "$(rt ps relcg 2>/dev/null)"
check "pause works on it" rt pause relcg
expect_eq "and state says paused" "$(ctr_state relcg status)" paused
check "resume too" rt resume relcg
check "kill --all reaches it" rt kill --all relcg KILL
for i in $(seq 50); do [ "$(ctr_state relcg status)" = stopped ] && break; sleep 0.1; done
check "delete removes it" rt delete relcg
if $V2; then
	check "its cgroup is gone" test ! -e "/sys/fs/cgroup$(own '')/$rel"
else
	check "its cgroups are gone" test ! -e "/sys/fs/cgroup/memory$(own memory)/$rel" -a ! -e "/sys/fs/cgroup/pids$(own pids)/$rel"
fi

# the levels above stay, as with runc (removed below).  The same bundle
# under runc (Debian's, when installed) lands in the same cgroups, with the
# same memory.swappiness.
if command -v runc >/dev/null; then
	b=$(mkbundle cmp 'c["linux"]["cgroupsPath"]="testdir/cgrouptest/cmp'$$'"; c["linux"]["namespaces"]=[n for n in c["linux"]["namespaces"] if n["type"]!="cgroup"]; c["linux"]["resources"]["memory"]={"swappiness":23}; c["process"]["args"]=["sh","-c","cat /proc/self/cgroup; cat /sys/fs/cgroup/memory/memory.swappiness 2>/dev/null"]')
	theirs=$(runc --root "$BUNDLES/runc-root" run --bundle "$b" cmp </dev/null 2>&1)
	ours=$(rt run --bundle "$b" cmp </dev/null 2>&1)
	expect_eq "the cgroups and swappiness hv-runc gives are runc's" "$ours" "$theirs"
fi
for d in /sys/fs/cgroup/*"$(own memory)"/testdir /sys/fs/cgroup/*/testdir /sys/fs/cgroup/testdir "/sys/fs/cgroup$(own '')/testdir"; do
	[ -d "$d" ] && rmdir "$d/cgrouptest" "$d" 2>/dev/null
done

b=$(mkbundle sysd 'c["linux"]["cgroupsPath"]="system.slice:hv:sysd"')
expect_refusal "systemd's slice:prefix:name form is named as such" 'slice:prefix:name.*cgroupfs' sysd rt create --bundle "$b" sysd

# --- (b) memory.swappiness: the v1 memory controller's file; runc's v2
# manager has no such file and ignores it, and so does hv
b=$(mkbundle swap 'c["linux"]["resources"]["memory"]={"swappiness":17}; c["process"]["args"]=["sh","-c","cat /sys/fs/cgroup/memory/memory.swappiness 2>/dev/null || echo v2"]')
out=$(rt run --bundle "$b" swap </dev/null 2>&1)
if $V2; then
	expect_eq "v2: swappiness is accepted and has no file (as runc)" "$out" v2
else
	expect_eq "v1: the container's memory.swappiness is the config's" "$out" 17
fi
b=$(mkbundle swap0 'c["linux"]["resources"]["memory"]={"swappiness":0}; c["process"]["args"]=["sh","-c","cat /sys/fs/cgroup/memory/memory.swappiness 2>/dev/null || echo v2"]')
out=$(rt run --bundle "$b" swap0 </dev/null 2>&1)
$V2 || expect_eq "v1: swappiness 0 is a value, not 'unset'" "$out" 0
b=$(mkbundle swapbad 'c["linux"]["resources"]["memory"]={"swappiness":101}')
expect_refusal "swappiness above 100" 'swappiness must be between 0 and 100' swapbad rt create --bundle "$b" swapbad

# --- (c) no mount namespace: the host's mounts, chrooted into the root
nomnt='c["linux"]["namespaces"]=[n for n in c["linux"]["namespaces"] if n["type"]!="mount"]; c["mounts"]=[]; del c["linux"]["maskedPaths"]; del c["linux"]["readonlyPaths"]'
b=$(mkbundle nomnt "$nomnt"'; c["process"]["args"]=["sh","-c","readlink /proc/self/ns/mnt; cat /marker; echo ready; sleep 30"]')
echo in-the-bundle >"$b/rootfs/marker"
# the container mounts nothing, so /proc is the host's, mounted here
mount -t proc proc "$b/rootfs/proc"
rt run -d --bundle "$b" nomnt </dev/null >"$BUNDLES/nomnt.out" 2>&1
for i in $(seq 50); do grep -q ready "$BUNDLES/nomnt.out" && break; sleep 0.1; done
out=$(cat "$BUNDLES/nomnt.out")
expect_eq "it shares the host's mount namespace" "$(head -n 1 <<<"$out")" "$(readlink /proc/self/ns/mnt)"
expect_match "and its / is the bundle's root (chroot)" "$out" $'\nin-the-bundle\n'
pid=$(ctr_state nomnt pid)
expect_eq "seen from the host: the same mount namespace" "$(readlink "/proc/$pid/ns/mnt")" "$(readlink /proc/self/ns/mnt)"
expect_eq "and its root is the bundle's" "$(readlink "/proc/$pid/root")" "$b/rootfs"
expect_eq "exec lands in the same root" "$(rt exec nomnt cat /marker 2>&1)" in-the-bundle
check "the host's mount table did not change under the bundle" test "$(grep -c " $b/rootfs" /proc/self/mountinfo)" -eq 1
rt delete --force nomnt >/dev/null 2>&1
umount "$b/rootfs/proc"
b=$(mkbundle nomntmask "$nomnt"'; c["linux"]["maskedPaths"]=["/proc/kcore"]')
expect_refusal "masked paths without a mount namespace (runc refuses too)" 'restrict sys entries.*mount namespace' nomntmask rt create --bundle "$b" nomntmask
b=$(mkbundle nomntmounts "$nomnt"'; c["mounts"]=[{"destination":"/proc","type":"proc","source":"proc"}]')
expect_refusal "mounts without a mount namespace" 'mounts needs a mount namespace' nomntmounts rt create --bundle "$b" nomntmounts
b=$(mkbundle nomntro "$nomnt"'; c["root"]["readonly"]=True')
expect_refusal "a read-only root without a mount namespace" 'root.readonly needs a mount namespace' nomntro rt create --bundle "$b" nomntro

# --- (d) AppArmor and SELinux: applied when the host has the module,
# refused in one line when it does not.  runc 1.1.5 fails on such a host
# too, later: "apparmor failed to apply profile: write /proc/self/attr/exec:
# invalid argument" from its init, "selinux label is specified in config,
# but selinux is disabled", and a mountLabel's context= makes its /dev
# tmpfs mount fail with EINVAL.
if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] && command -v apparmor_parser >/dev/null; then
	prof=hv-test-parity-$$
	printf 'profile %s flags=(attach_disconnected) {\n  file,\n  capability,\n  deny /marker r,\n}\n' "$prof" | apparmor_parser -r
	b=$(mkbundle aa 'c["process"]["apparmorProfile"]="'$prof'"; c["process"]["args"]=["sh","-c","cat /proc/self/attr/current; echo x >/m2; cat /marker 2>&1 || echo denied"]')
	echo secret >"$b/rootfs/marker"
	out=$(rt run --bundle "$b" aa </dev/null 2>&1)
	expect_match "the process runs under its profile" "$out" "^$prof \\(enforce\\)"
	expect_match "and the profile denies what it says" "$out" "denied"
	printf 'profile %s {}\n' "$prof" | apparmor_parser -R
else
	b=$(mkbundle aa 'c["process"]["apparmorProfile"]="hv-test"')
	expect_refusal "apparmorProfile on a host without AppArmor" 'apparmorProfile.*needs AppArmor' aa rt create --bundle "$b" aa
fi
if [ "$(stat -f -c %T /sys/fs/selinux 2>/dev/null)" != selinuxfs ]; then
	b=$(mkbundle sel 'c["process"]["selinuxLabel"]="system_u:system_r:container_t:s0"')
	expect_refusal "selinuxLabel on a host without SELinux" 'selinuxLabel.*needs SELinux' sel rt create --bundle "$b" sel
	b=$(mkbundle mlabel 'c["linux"]["mountLabel"]="system_u:object_r:container_file_t:s0"')
	expect_refusal "mountLabel on a host without SELinux" 'mountLabel.*needs SELinux' mlabel rt create --bundle "$b" mlabel
fi
expect_eq "features: hv-runc supports both (spec features.md: support, not the host's state)" \
	"$(rt features | python3 -c 'import json,sys; l=json.load(sys.stdin)["linux"]; print(l["apparmor"]["enabled"], l["selinux"]["enabled"])')" "True True"
# exec with a profile the host cannot apply is refused too
b=$(mkbundle lsmexec 'c["process"]["args"]=["sleep","30"]')
rt run -d --bundle "$b" lsmexec </dev/null >/dev/null 2>&1
python3 -c 'import json; json.dump({"user":{"uid":0,"gid":0},"args":["true"],"cwd":"/","apparmorProfile":"hv-test-none","selinuxLabel":"x"}, open("'"$BUNDLES/lsm-proc.json"'","w"))'
out=$(rt exec --process "$BUNDLES/lsm-proc.json" lsmexec 2>&1)
rc=$?
check "exec --process with a label the host lacks fails" test "$rc" -ne 0 -a "$(wc -l <<<"$out")" -eq 1
if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
	expect_match "naming AppArmor" "$out" "apparmorProfile.*AppArmor"
fi
rt delete --force lsmexec >/dev/null 2>&1

done_testing
