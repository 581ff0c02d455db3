#!/bin/bash
# SPDX-License-Identifier: MIT
# hv-runc as an OCI runtime, driven directly: isolation (namespaces,
# capabilities, masked and read-only paths, seccomp, user namespaces),
# cgroup limits that really bite, the create/start/state/kill/delete
# life cycle, exec, pause, hooks, and that nothing is left behind.
source "$(dirname "$0")/lib.bash"

# --- one container that reports on its own isolation
b=$(mkbundle iso 'c["hostname"]="iso-box"; c["process"]["args"]=["sh","/check.sh"]; c["process"]["env"].append("HOSTPID='$$'")')
cat >"$b/rootfs/check.sh" <<'SH'
echo pid=$$
hostname
grep -E "^(CapEff|CapBnd|NoNewPrivs):" /proc/self/status | tr -s "\t " " "
echo timer_list=$(wc -c </proc/timer_list)
echo firmware=$(ls /sys/firmware | wc -l)
echo sysrq=$(echo 1 2>/dev/null >/proc/sysrq-trigger && echo writable || echo refused)
echo procsys=$(echo 1 2>/dev/null >/proc/sys/kernel/ns_last_pid && echo writable || echo refused)
echo null=$(echo x >/dev/null && echo writable)
echo devmode=$(stat -c %a /dev/null)
echo host_shell=$(test -e /proc/$HOSTPID && echo visible || echo hidden)
echo net=$(ls /sys/class/net | tr "\n" " ")
echo mknod=$(mknod /tmp/sda b 8 0 2>/dev/null && echo made || echo refused)
echo mounts=$(awk '{print $5}' /proc/self/mountinfo | grep -cvE '^/$|^/(proc|dev|sys)(/|$)')
echo root=$(awk '$5 == "/" {print $4}' /proc/self/mountinfo)
echo cgroups=$(cut -d: -f3 /proc/self/cgroup | sort -u | tr "\n" " ")
echo own_cgroup=$(for f in /sys/fs/cgroup/pids/cgroup.procs /sys/fs/cgroup/cgroup.procs; do [ -e $f ] && grep -qx 1 $f && echo yes; done)
SH
out=$(rt run --bundle "$b" iso </dev/null 2>&1)
expect_match "a container's process is pid 1 of its own pid namespace" "$out" "pid=1"
expect_match "the uts namespace has the config's hostname" "$out" $'\niso-box\n'
expect_match "only the config's capabilities are effective" "$out" "CapEff: 0000000020000420"
expect_match "and bounding" "$out" "CapBnd: 0000000020000420"
expect_match "no_new_privs as configured" "$out" "NoNewPrivs: 1"
expect_match "masked files read empty" "$out" "timer_list=0"
expect_match "masked directories are empty" "$out" "firmware=0"
expect_match "read-only paths refuse writes (/proc/sysrq-trigger)" "$out" "sysrq=refused"
expect_match "read-only paths refuse writes (/proc/sys)" "$out" "procsys=refused"
expect_match "/dev/null works" "$out" "null=writable"
expect_match "standard devices get their mode regardless of the umask" "$out" "devmode=666"
expect_match "the container does not see host processes" "$out" "host_shell=hidden"
expect_match "a new network namespace has only lo" "$out" "net=lo"$'\n'
expect_match "without CAP_MKNOD, block devices cannot be made" "$out" "mknod=refused"
expect_match "the mount table has nothing of the host's outside /proc, /dev and /sys" "$out" "mounts=0"
expect_match "and / is the bundle's rootfs" "$out" "root=.*/iso/rootfs"
expect_match "a new cgroup namespace has the container's cgroups as its root" "$out" "cgroups=/"$'\n'
expect_match "the container sees its own cgroup's files" "$out" "own_cgroup=yes"

# --- exit status, stdout and stderr go through
b=$(mkbundle status 'c["process"]["args"]=["sh","-c","echo to-out; echo to-err >&2; exit 42"]')
out=$(rt run --bundle "$BUNDLES/status" status </dev/null 2>/tmp/hv-test-err.$$)
rc=$?
expect_eq "run returns the process's exit status" "$rc" 42
expect_eq "stdout reaches the caller" "$out" "to-out"
expect_eq "stderr reaches the caller" "$(cat /tmp/hv-test-err.$$)" "to-err"
rm -f /tmp/hv-test-err.$$
check "run deletes the container afterwards" test ! -e "$CTR_ROOT/status"
check "and its cgroups" test -z "$(ctr_cgroup_dirs status)"

# --- the runtime's open files stay outside; --preserve-fds passes some in
mkbundle fds 'c["process"]["args"]=["sh","-c","ls /proc/self/fd | tr \"\\n\" \" \"; read line <&3 && echo fd3=$line"]' >/dev/null
echo secret-line >"$BUNDLES/fds.txt"
out=$(rt run --bundle "$BUNDLES/fds" fds 5<"$BUNDLES/fds.txt" </dev/null 2>/dev/null)
refuse "an fd the runtime inherited does not reach the container" grep -qE "(^| )5 " <<<"$out"
out=$(rt run --bundle "$BUNDLES/fds" --preserve-fds 1 fds 3<"$BUNDLES/fds.txt" </dev/null 2>/dev/null)
expect_match "--preserve-fds 1 passes fd 3" "$out" "fd3=secret-line"

# --- a missing program fails at create, before anything runs
mkbundle noprog 'c["process"]["args"]=["/bin/nonexistent"]' >/dev/null
err=$(rt run --bundle "$BUNDLES/noprog" noprog </dev/null 2>&1)
rc=$?
expect_match "a missing program is an error naming it" "$err" "/bin/nonexistent"
check "with a non-zero exit" test "$rc" -ne 0
check "and nothing left" test ! -e "$CTR_ROOT/noprog" -a -z "$(ctr_cgroup_dirs noprog)"

# --- the life cycle: create, state, start, exec, pause, kill, delete
mkbundle life 'c["process"]["args"]=["sh","-c","trap \"echo term > /tmp/got; exit 3\" TERM; echo started > /tmp/started; while :; do sleep 0.1; done"]' >/dev/null
check "create succeeds" rt create --bundle "$BUNDLES/life" --pid-file "$BUNDLES/life.pid" life
pid=$(ctr_state life pid)
expect_eq "state: created" "$(ctr_state life status)" created
expect_eq "--pid-file holds the init's pid" "$(cat "$BUNDLES/life.pid")" "$pid"
check "the user's program has not started before start" test ! -e "$BUNDLES/life/rootfs/tmp/started"
check "start succeeds" rt start life
for _ in $(seq 50); do [ -e "$BUNDLES/life/rootfs/tmp/started" ] && break; sleep 0.1; done
check "the program runs after start" test -e "$BUNDLES/life/rootfs/tmp/started"
expect_eq "state: running" "$(ctr_state life status)" running
refuse "start twice is refused" rt start life
expect_match "list shows it" "$(rt list)" "life +$pid +running"
out=$(rt exec life sh -c 'echo pid1=$(cat /proc/1/cmdline | tr "\0" " "); echo me=$$; exit 9')
rc=$?
expect_match "exec joins the container's pid namespace" "$out" "pid1=sh -c trap"
expect_eq "exec returns the process's exit status" "$rc" 9
out=$(rt exec --env FOO=bar --cwd /tmp --user 65534:65534 life sh -c 'echo $FOO $(pwd) $(id -u):$(id -g)')
expect_eq "exec --env --cwd --user" "$out" "bar /tmp 65534:65534"
out=$(rt ps --format json life)
expect_match "ps lists the container's processes (host pids)" "$out" "\[$pid(,[0-9]+)*\]"
check "pause" rt pause life
expect_eq "state: paused" "$(ctr_state life status)" paused
freezer=$(cat /sys/fs/cgroup/freezer/hv-runc/life/freezer.state 2>/dev/null || cat /sys/fs/cgroup/hv-runc/life/cgroup.freeze)
expect_match "the cgroup is frozen" "$freezer" "FROZEN|1"
check "resume" rt resume life
expect_eq "state: running again" "$(ctr_state life status)" running
check "update --memory --pids-limit" rt update --memory 48M --pids-limit 25 life
mem=$(cat /sys/fs/cgroup/memory/hv-runc/life/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/hv-runc/life/memory.max)
pids=$(cat /sys/fs/cgroup/pids/hv-runc/life/pids.max 2>/dev/null || cat /sys/fs/cgroup/hv-runc/life/pids.max)
expect_eq "the new limits are in force" "$mem $pids" "50331648 25"
inner_pids() { rt exec life sh -c 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'; }
check "update --resources - (JSON on stdin) succeeds" rt update --resources - life <<<'{"pids": {"limit": 40}}'
expect_eq "and the limit is in force" "$(inner_pids)" 40
# "-" is fd 0 itself, not /dev/stdin: a bare devtmpfs (a VM's /dev, as
# in tests/oci/cgroupv2.sh) has no such link
check "update --resources - without a /dev/stdin link" unshare -m --propagation private \
	bash -c 'mount -t tmpfs tmpfs /dev && exec "$@"' - "$RUNC" --root "$CTR_ROOT" update --resources - life <<<'{"pids": {"limit": 41}}'
expect_eq "and that limit is in force" "$(inner_pids)" 41
refuse "delete refuses a running container" rt delete life
check "kill sends the signal (TERM)" rt kill life TERM
for _ in $(seq 50); do [ "$(ctr_state life status)" = stopped ] && break; sleep 0.1; done
expect_eq "state: stopped" "$(ctr_state life status)" stopped
expect_eq "the process handled the signal" "$(cat "$BUNDLES/life/rootfs/tmp/got" 2>/dev/null)" term
check "delete" rt delete life
refuse "state is gone" rt state life
check "cgroups are gone" test -z "$(ctr_cgroup_dirs life)"
refuse "no mount of the container is left on the host" grep -q "$BUNDLES/life" /proc/self/mountinfo
refuse "no process is left" alive "$pid"

# --- delete --force of a running container with children
mkbundle force 'c["process"]["args"]=["sh","-c","sleep 100 & sleep 100 & wait"]' >/dev/null
rt create --bundle "$BUNDLES/force" force && rt start force
sleep 0.3
pids=$(rt ps --format json force | tr -d '[]' | tr ',' ' ')
check "delete --force kills a running container" rt delete --force force
alive=0
for p in $pids; do alive "$p" && alive=$((alive + 1)); done
expect_eq "every process of it ($(echo $pids | wc -w)) is gone" "$alive" 0
check "its cgroups are gone" test -z "$(ctr_cgroup_dirs force)"

# --- an init that dies between create and start
mkbundle early 'c["process"]["args"]=["true"]' >/dev/null
rt create --bundle "$BUNDLES/early" early
kill -9 "$(ctr_state early pid)"
sleep 0.2
expect_eq "a killed init shows as stopped" "$(ctr_state early status)" stopped
err=$(rt start early 2>&1)
expect_match "start of a dead container is a clear error" "$err" "stopped"
check "delete cleans it up" rt delete early
check "nothing left of it" test ! -e "$CTR_ROOT/early" -a -z "$(ctr_cgroup_dirs early)"

# --- joining another container's pid namespace by path: the init enters
# it, hv-runc itself does not (a hook it forks stays in the host's)
mkbundle pidhost 'c["process"]["args"]=["sleep","100"]' >/dev/null
rt create --bundle "$BUNDLES/pidhost" pidhost && rt start pidhost
hostpid=$(ctr_state pidhost pid)
mkbundle pidjoin "c['linux']['namespaces']=[n if n['type']!='pid' else {'type':'pid','path':'/proc/$hostpid/ns/pid'} for n in c['linux']['namespaces']]; c['process']['args']=['cat','/proc/1/cmdline']; c['hooks']={'poststart':[{'path':'/bin/sh','args':['sh','-c','readlink /proc/self/ns/pid > $BUNDLES/pidjoin.hookns']}]}" >/dev/null
out=$(rt run --bundle "$BUNDLES/pidjoin" pidjoin </dev/null 2>&1 | tr '\0' ' ')
expect_match "a container given a pid namespace path runs in it (its pid 1 is the other's sleep)" "$out" "^sleep 100"
expect_eq "hv-runc's own pid namespace is untouched (its poststart hook runs in the host's)" \
	"$(cat "$BUNDLES/pidjoin.hookns" 2>/dev/null)" "$(readlink /proc/self/ns/pid)"
rt delete --force pidhost

done_testing
