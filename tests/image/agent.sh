#!/bin/bash
# SPDX-License-Identifier: MIT
# The QEMU guest agent on the Debian image (qemu-guest-agent installed by
# hv image build): one image build, one boot.  hv info's os line, the
# agent as hv ip's source under nat, hv exec and hv cp through the agent,
# fsfreeze around a disk-only snapshot, an agent that stops answering
# (and comes back: the client resyncs), then hv stop of a guest that
# ignores the ACPI power button (logind HandlePowerKey=ignore).
. "$(dirname "$0")/../vm/lib.bash"
T=$(mktemp -d)
trap 'cleanup; rm -rf "$T"' EXIT
field() { python3 -c "import json,sys; v=json.load(sys.stdin)$1; print(v)"; }

test_image
rc=$?
check "the Debian image (with qemu-guest-agent)" test $rc -eq 0
[ $rc -eq 0 ] || { echo "$PASS passed, $FAIL failed"; exit 1; }

ssh-keygen -q -t ed25519 -N '' -C hv-test -f "$T/key"
cat >"$T/user-data" <<'UD'
#cloud-config
write_files:
  - path: /etc/systemd/logind.conf.d/90-hv-test.conf
    content: |
      [Login]
      HandlePowerKey=ignore
  - path: /etc/qemu/qemu-ga.conf
    content: |
      [general]
      fsfreeze-hook=/etc/qemu/hv-test-hook
  - path: /etc/qemu/hv-test-hook
    permissions: '0755'
    content: |
      #!/bin/sh
      logger -t hv-fsfreeze "$1"
runcmd:
  - [systemctl, restart, systemd-logind]
  - [systemctl, restart, qemu-guest-agent]
UD
mkdir "$T/share"
echo from-host >"$T/share/hello"
"$HV" create agt1 --image deb --ssh-key "$T/key.pub" --user tester --memory 768M --cloud-init "$T/user-data" \
	--share "$T/share:data" >/dev/null
t0=$(date +%s)
"$HV" start agt1 --wait --timeout 400 >"$T/start" 2>&1
rc=$?
check "hv start --wait" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/  /' "$T/start"
grep -q 'org.qemu.guest_agent.0' "$HV_HOME/vms/agt1/qemu.args"
check "qemu.args has the virtio-serial port org.qemu.guest_agent.0" test $? -eq 0
for ((i = 0; i < 120; i++)); do
	os=$("$HV" info agt1 | grep '^os:')
	[ -n "$os" ] && break
	sleep 1
done
echo "# boot to agent: $(($(date +%s) - t0)) s"
expect_match "hv info shows the guest OS from guest-get-osinfo" "$os" "^os: +Debian GNU/Linux 12 \(bookworm\) \(kernel [0-9.]+-[0-9]+-[a-z0-9-]+, x86_64\)  \[guest agent\]$"
gos=$("$HV" info --json agt1 | python3 -c 'import json,sys; o=json.load(sys.stdin)["guest_os"]; print(o["id"], o["version_id"], o["machine"])')
expect_eq "hv info --json has the guest OS as guest_os" "$gos" "debian 12 x86_64"

# --- hv ip: the agent is the source under nat ---
ipj=$("$HV" ip agt1 --json)
expect_eq "hv ip's source is the agent" "$(echo "$ipj" | field "[0]['source']")" "agent"
guest_ip=$("$HV" exec agt1 -- sh -c "ip -4 -o addr show dev eth0 | awk '{print \$4}'")
expect_eq "  and its address is the guest's" "$(echo "$ipj" | field "[0]['ipv4']")/$(echo "$ipj" | field "[0]['prefix']")" "$guest_ip"

# --- hv exec through the agent ---
"$HV" exec agt1 -- sh -c 'echo out; echo err >&2; exit 3' >"$T/o" 2>"$T/e"
expect_eq "hv exec: exit status" "$?" "3"
expect_eq "  stdout" "$(cat "$T/o")" "out"
expect_eq "  stderr" "$(cat "$T/e")" "err"
expect_eq "  stdin" "$(printf 'a\nb\n' | "$HV" exec agt1 -- wc -l)" "2"
"$HV" exec agt1 -- no-such-command 2>/dev/null
expect_eq "  a command that does not exist: 127" "$?" "127"
expect_eq "  --workdir and --env" "$("$HV" exec --workdir /etc --env X=42 agt1 -- sh -c 'echo $PWD $X')" "/etc 42"
expect_eq "  runs in root's home by default" "$("$HV" exec agt1 -- pwd)" "/root"
expect_eq "  --user" "$("$HV" exec --user nobody agt1 -- id -un)" "nobody"

# --- hv cp both ways, modes kept ---
head -c 300000 /dev/urandom >"$T/blob"
chmod 0751 "$T/blob"
mkdir -p "$T/tree/sub"
echo one >"$T/tree/a"
echo two >"$T/tree/sub/b"
chmod 0600 "$T/tree/sub/b"
"$HV" cp "$T/blob" agt1:/root/
check "hv cp a file in" test $? -eq 0
expect_eq "  content and mode in the guest" "$("$HV" exec agt1 -- sh -c 'sha256sum < /root/blob | cut -d" " -f1; stat -c %a /root/blob')" "$(sha256sum <"$T/blob" | cut -d' ' -f1)
751"
"$HV" cp "$T/tree" agt1:/root/tree2
check "hv cp a folder in" test $? -eq 0
expect_eq "  its files and modes" "$("$HV" exec agt1 -- sh -c 'cat /root/tree2/a /root/tree2/sub/b; stat -c %a /root/tree2/sub/b')" "one
two
600"
mkdir "$T/back"
"$HV" cp agt1:/root/blob "$T/back/"
check "hv cp a file out" cmp "$T/blob" "$T/back/blob"
expect_eq "  with its mode" "$(stat -c %a "$T/back/blob")" "751"
"$HV" cp agt1:/root/tree2 "$T/back/t"
check "hv cp a folder out" diff -r "$T/tree" "$T/back/t"
expect_eq "  with its modes" "$(stat -c %a "$T/back/t/sub/b")" "600"
out=$("$HV" cp "$T/blob" agt1:/no/such/dir/x 2>&1)
check "hv cp to a guest folder that does not exist fails" test $? -ne 0
expect_match "  saying so in one line" "$out" "^hv cp: .*/no/such/dir/x.*does not exist in the guest$"
out=$("$HV" cp agt1:/no-such-file "$T/back/" 2>&1)
check "hv cp of a guest path that does not exist fails" test $? -ne 0
expect_match "  saying so" "$out" "/no-such-file does not exist in the guest"

# --- a shared folder on a distribution: cloud-init's mounts: entry ---
expect_eq "the share is mounted at /mnt/data (virtiofs) and reads the host's file" \
	"$("$HV" exec agt1 -- sh -c 'findmnt -n -o FSTYPE /mnt/data; cat /mnt/data/hello')" "virtiofs
from-host"
"$HV" exec agt1 -- sh -c 'echo from-guest > /mnt/data/back && chmod 640 /mnt/data/back'
expect_eq "a file the guest writes appears on the host" "$(cat "$T/share/back" 2>&1)" "from-guest"
expect_eq "  with the mode the guest gave it" "$(stat -c %a "$T/share/back")" "640"

# --- fsfreeze around a disk-only snapshot ---
HV_DEBUG="$T/trace" "$HV" snapshot create agt1 s1 --disk-only >/dev/null
check "hv snapshot create --disk-only of the running VM" test $? -eq 0
check "  froze the guest's file systems (guest-fsfreeze-freeze)" grep -q 'send.*guest-fsfreeze-freeze' "$T/trace"
check "  and thawed them (guest-fsfreeze-thaw answered)" grep -q 'send.*guest-fsfreeze-thaw' "$T/trace"
expect_eq "  the guest is thawed" "$("$HV" exec agt1 -- sh -c 'touch /root/after-snap && echo written')" "written"
# qemu-ga runs its fsfreeze hook (set in qemu-ga.conf by the user-data) before and after
journal=$("$HV" exec agt1 -- journalctl -b -t hv-fsfreeze -o cat --no-pager)
expect_eq "  the guest's journal shows the freeze, then the thaw" "$(echo $journal)" "freeze thaw"

# --- an agent that stops answering (SIGSTOP, through ssh), then comes back ---
"$HV" ssh agt1 -- sudo -n systemctl kill -s STOP qemu-guest-agent
check "the guest's agent is stopped (SIGSTOP through hv ssh)" test $? -eq 0
t0=$(date +%s)
out=$("$HV" exec agt1 -- true 2>&1)
rc=$?
check "hv exec with a silent agent fails" test $rc -ne 0
expect_match "  with one clear line" "$out" "no guest agent answers .*install qemu-guest-agent"
check "  within seconds" test $(($(date +%s) - t0)) -le 15
t0=$(date +%s)
expect_eq "hv info still answers (no os line)" "$("$HV" info agt1 | grep -c '^os:')" "0"
check "  quickly" test $(($(date +%s) - t0)) -le 5
expect_eq "  and the VM runs on" "$(info agt1 state)" "running"
out=$(HV_DEBUG="$T/stoptrace1" "$HV" stop agt1 --mode agent 2>&1)
check "hv stop --mode agent without an answering agent fails" test $? -ne 0
expect_match "  saying why" "$out" "guest-shutdown: no guest agent answers"
expect_eq "  and leaves the VM running" "$(info agt1 state)" "running"
"$HV" ssh agt1 -- sudo -n systemctl kill -s CONT qemu-guest-agent
expect_eq "the agent back: hv exec resyncs past the stale replies" "$("$HV" exec agt1 -- echo back)" "back"

# --- hv stop: a guest that ignores the power button ---
t0=$(date +%s)
HV_DEBUG="$T/stoptrace" "$HV" stop agt1 --timeout 120 >"$T/stop" 2>&1
rc=$?
check "hv stop of a guest that ignores ACPI" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/#   /' "$T/stop"
echo "# stop took $(($(date +%s) - t0)) s"
expect_eq "  it is stopped" "$(info agt1 state)" "stopped"
check "  by the agent's guest-shutdown, not by cutting the power" sh -c "! grep -q 'forced off' '$T/stop'"
if grep -q 'send.*guest-shutdown' "$T/stoptrace"; then
	ok "  (the trace shows guest-shutdown sent)"
else
	fail "  (the trace shows no guest-shutdown)"
	grep agent "$T/stoptrace" | tail -n 5 | cut -c1-200
fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
