#!/bin/bash
# SPDX-License-Identifier: MIT
# hv-runc confinement that must bite: cgroup memory and pids limits,
# seccomp filters, user namespaces, device rules; and the hooks.
source "$(dirname "$0")/lib.bash"

# --- memory: a process that needs more than the limit is killed
mkbundle mem 'c["linux"]["resources"]["memory"]={"limit":33554432,"swap":33554432}; c["process"]["args"]=["sh","-c","cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo dd=$?; dd if=/dev/zero of=/dev/null bs=16M count=1 2>/dev/null; echo small=$?"]' >/dev/null
out=$(rt run --bundle "$BUNDLES/mem" mem </dev/null 2>&1)
expect_match "the memory limit is the config's" "$out" "^33554432"
expect_match "a 64 MiB allocation under a 32 MiB limit is killed (SIGKILL)" "$out" "dd=137"
expect_match "a 16 MiB one is not" "$out" "small=0"

# --- pids: forks beyond the limit fail
mkbundle pids 'c["linux"]["resources"]["pids"]={"limit":8}; c["process"]["args"]=["sh","-c","i=0; while [ $i -lt 20 ]; do echo try; sleep 5 & i=$((i+1)); done"]' >/dev/null
out=$(rt run --bundle "$BUNDLES/pids" pids </dev/null 2>&1)
expect_match "forks beyond a pids limit fail" "$out" "can't fork"
expect_eq "after exactly 7 children (the shell is the 8th)" "$(grep -c try <<<"$out")" 8

# --- seccomp: a rule's errno, the default action, and arguments
mkbundle sec 'c["linux"]["seccomp"]={"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1},{"names":["kill"],"action":"SCMP_ACT_ERRNO","errnoRet":13,"args":[{"index":1,"value":10,"op":"SCMP_CMP_EQ"}]}]}; c["process"]["args"]=["sh","-c","grep Seccomp: /proc/self/status; mkdir /tmp/d 2>&1; echo mkdir=$?; touch /tmp/f && echo touch=ok; kill -0 $$ && echo sig0=ok; kill -USR1 $$ 2>&1"]' >/dev/null
out=$(rt run --bundle "$BUNDLES/sec" sec </dev/null 2>&1)
expect_match "the filter is in force (Seccomp: 2)" "$out" "Seccomp:.2"
expect_match "a filtered syscall fails with the rule's errno (EPERM)" "$out" "Operation not permitted"
expect_match "and the shell sees the failure" "$out" "mkdir=1"
expect_match "unfiltered syscalls work" "$out" "touch=ok"
expect_match "a rule with a non-matching argument lets the call through" "$out" "sig0=ok"
expect_match "and a matching one gets the rule's errno (EACCES)" "$out" "Permission denied"
mkbundle seckill 'c["linux"]["seccomp"]={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_KILL_PROCESS"}]}; c["process"]["args"]=["sh","-c","echo $PPID"]' >/dev/null
rt run --bundle "$BUNDLES/seckill" seckill </dev/null >/dev/null 2>&1
expect_eq "SCMP_ACT_KILL_PROCESS kills with SIGSYS" "$?" $((128 + 31))

# --- a user namespace: root inside is an unprivileged uid outside
mkbundle userns 'c["linux"]["namespaces"].append({"type":"user"}); c["linux"]["uidMappings"]=[{"containerID":0,"hostID":100000,"size":65536}]; c["linux"]["gidMappings"]=[{"containerID":0,"hostID":100000,"size":65536}]; c["process"]["args"]=["sh","-c","id -u; cat /proc/self/uid_map | tr -s \" \"; echo hostfile=$(cat /hostfile 2>&1 >/dev/null | grep -c denied); i=0; while [ ! -e /go ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done"]' >/dev/null
echo secret >"$BUNDLES/userns/rootfs/hostfile"
chmod 600 "$BUNDLES/userns/rootfs/hostfile"
rm -f "$BUNDLES/userns.pid" "$BUNDLES/userns/rootfs/go"
rt run --bundle "$BUNDLES/userns" --pid-file "$BUNDLES/userns.pid" userns </dev/null >"$BUNDLES/userns.out" 2>&1 &
# the init becomes root of its namespace a moment after its pid is recorded:
# wait for that (30 s at most: a loaded TCG guest is slow), not just for
# the pid; the process stays until /go exists (60 s at most), so a slow
# poll cannot miss it
hostuid=
for _ in $(seq 300); do
	pid=$(cat "$BUNDLES/userns.pid" 2>/dev/null)
	[ -n "$pid" ] && hostuid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
	[ "$hostuid" = 100000 ] && break
	sleep 0.1
done
touch "$BUNDLES/userns/rootfs/go"
wait
rm -f "$BUNDLES/userns/rootfs/go"
out=$(cat "$BUNDLES/userns.out")
expect_match "the process is root in its user namespace" "$out" "^0"
expect_match "with the configured map" "$out" " 0 100000 65536"
expect_eq "and uid 100000 on the host" "$hostuid" 100000
expect_match "host root's private files stay private" "$out" "hostfile=1"

# --- devices: a deny-all config still gets the standard devices, no more
mkbundle dev 'c["linux"]["resources"]["devices"]=[{"allow":False,"access":"rwm"}]; c["process"]["capabilities"]["bounding"].append("CAP_MKNOD"); c["process"]["capabilities"]["effective"].append("CAP_MKNOD"); c["process"]["capabilities"]["permitted"].append("CAP_MKNOD"); c["process"]["args"]=["sh","-c","echo x > /dev/null && echo null=ok; head -c 4 /dev/urandom | wc -c; mknod /tmp/sda b 8 0 && echo mknod=ok; cat /tmp/sda 2>&1 | head -c 0; dd if=/tmp/sda of=/dev/null count=1 2>/dev/null && echo read=ok || echo read=denied"]' >/dev/null
out=$(rt run --bundle "$BUNDLES/dev" dev </dev/null 2>&1)
expect_match "/dev/null works under a deny-all device rule" "$out" "null=ok"
expect_match "/dev/urandom too" "$out" $'\n4\n'
expect_match "a block device node cannot be made or opened" "$out" "read=denied"
refuse "mknod of a disk is refused by the device cgroup" grep -q "mknod=ok" <<<"$out"

# --- hooks: each runs at its point with the state on stdin
hookdir=$BUNDLES/hooks.out
mkdir -p "$hookdir"
hook() { echo "{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"cat > $hookdir/$1; echo \$(cat /proc/self/cgroup | grep -c hv-runc/hooked) >> $hookdir/$1\"]}"; }
mkbundle hooked "c['hooks']={'prestart':[$(hook prestart)],'createRuntime':[$(hook createRuntime)],'poststart':[$(hook poststart)],'poststop':[$(hook poststop)]}; c['process']['args']=['true']" >/dev/null
rt run --bundle "$BUNDLES/hooked" hooked </dev/null
for h in prestart createRuntime poststart poststop; do
	expect_match "the $h hook ran with the container's state" "$(head -n 1 "$hookdir/$h" 2>/dev/null)" '"id":"hooked".*"pid":[1-9]'
done
expect_match "createRuntime sees status creating" "$(cat "$hookdir/createRuntime")" '"status":"creating"'
expect_match "poststop sees status stopped" "$(cat "$hookdir/poststop")" '"status":"stopped"'
mkbundle badhook "c['hooks']={'createRuntime':[{'path':'/bin/false'}]}; c['process']['args']=['true']" >/dev/null
err=$(rt run --bundle "$BUNDLES/badhook" badhook </dev/null 2>&1)
rc=$?
expect_match "a failing createRuntime hook fails the create, naming the hook" "$err" "createRuntime.*/bin/false"
check "with a non-zero exit" test "$rc" -ne 0
check "and nothing left" test ! -e "$CTR_ROOT/badhook" -a -z "$(ctr_cgroup_dirs badhook)"
mkbundle slowhook "c['hooks']={'prestart':[{'path':'/bin/sleep','args':['sleep','30'],'timeout':1}]}; c['process']['args']=['true']" >/dev/null
start=$(date +%s)
err=$(rt run --bundle "$BUNDLES/slowhook" slowhook </dev/null 2>&1)
expect_match "a hook past its timeout is killed and named" "$err" "prestart.*(timed out|timeout)"
check "within a few seconds" test $(($(date +%s) - start)) -lt 10

# a state bigger than a pipe holds (large annotations): a hook that never
# reads it still times out, and one that reads it gets all of it
mkbundle bighook "c['annotations']={'big':'x'*200000}; c['hooks']={'prestart':[{'path':'/bin/sleep','args':['sleep','30'],'timeout':1}]}; c['process']['args']=['true']" >/dev/null
start=$(date +%s)
err=$(timeout 60 "$RUNC" --root "$CTR_ROOT" run --bundle "$BUNDLES/bighook" bighook </dev/null 2>&1)
expect_match "a hook that does not read a 200 KB state still times out" "$err" "prestart.*timed out"
check "within a few seconds" test $(($(date +%s) - start)) -lt 10
mkbundle bigread "c['annotations']={'big':'x'*200000}; c['hooks']={'createContainer':[{'path':'/bin/sh','args':['sh','-c','wc -c > $hookdir/bigread']}]}; c['process']['args']=['true']" >/dev/null
rt run --bundle "$BUNDLES/bigread" bigread </dev/null
check "a createContainer hook reads the whole state (over 64 KiB)" test "$(cat "$hookdir/bigread" 2>/dev/null || echo 0)" -gt 200000

done_testing
