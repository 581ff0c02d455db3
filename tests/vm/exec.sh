#!/bin/bash
# SPDX-License-Identifier: MIT
# hv exec and hv cp into a persistent default-guest VM, and the channel's
# correctness at volume (hv run and hv exec, 50 MB each way): one boot.
source "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
trap 'cleanup; rm -rf "$tmp"' EXIT

"$HV" create ex --nic none >/dev/null
"$HV" exec ex -- true 2>"$tmp/err"
expect_eq "exec into a stopped VM exits 125" "$?" 125
expect_match "and says how to start it" "$(cat "$tmp/err")" "not running; start it first: hv start ex"

start_vm ex
# the first exec waits for hv's init to come up
expect_eq "exec right after start runs once the guest is up" "$("$HV" exec ex -- uname -n)" ex
"$HV" exec ex -- sh -c 'exit 7'
expect_eq "the exit status comes back" "$?" 7
"$HV" exec ex -- no-such-command 2>"$tmp/err"
expect_eq "a missing command exits 127" "$?" 127
expect_match "and says so" "$(cat "$tmp/err")" "no-such-command: command not found in the guest"
"$HV" exec ex -- /etc/passwd 2>/dev/null
expect_eq "a file that is not executable exits 126" "$?" 126
"$HV" exec ex -- sh -c 'kill -TERM $$'
expect_eq "a command killed by a signal exits 128+N" "$?" 143
"$HV" exec ex -- sh -c 'echo out; echo err >&2' >"$tmp/o" 2>"$tmp/e"
expect_eq "stdout stays stdout" "$(cat "$tmp/o")" out
expect_eq "stderr stays stderr" "$(cat "$tmp/e")" err
expect_eq "stdin reaches the command, EOF ends it" "$(printf 'a\nb\n' | "$HV" exec ex -- wc -l)" 2
expect_eq "no stdin is an empty stdin" "$("$HV" exec ex -- cat </dev/null | wc -c)" 0
expect_eq "--env, --workdir" "$("$HV" exec -e FOO=bar -w /tmp ex -- sh -c 'echo $FOO $(pwd)')" "bar /tmp"
expect_eq "--user runs as that user" "$("$HV" exec -u nobody ex -- id -u)" 65534
"$HV" exec -u nosuchuser ex -- true 2>"$tmp/err"
expect_match "an unknown user is named" "$?:$(cat "$tmp/err")" "^126:.*no user nosuchuser in the guest"
expect_eq "a reader that stops early ends the command (SIGPIPE)" \
	"$(timeout 30 "$HV" exec ex -- cat /dev/zero | head -c 1000000 | wc -c)" 1000000

# Ctrl-C (SIGINT to hv exec) reaches the command
"$HV" exec ex -- sleep 100 &
pid=$!
sleep 2
kill -INT $pid
wait $pid
expect_eq "SIGINT to hv exec ends the command with it (130)" "$?" 130
# a client that dies hangs its command up
"$HV" exec ex -- sh -c 'sleep 300; true' &
pid=$!
sleep 2
kill -KILL $pid
wait $pid 2>/dev/null
sleep 1
expect_eq "a killed hv exec leaves no command behind" "$("$HV" exec ex -- sh -c 'ps -o args | grep -c "^sleep 300"')" 0

# many at once
for i in 1 2 3 4; do "$HV" exec ex -- sh -c "sleep 1; echo $i" >"$tmp/par$i" & done
wait
expect_eq "four execs at once each get their own output" "$(cat "$tmp"/par{1,2,3,4} | tr '\n' ' ')" "1 2 3 4 "

# a terminal: the command gets a pseudo-terminal of the host's size
out=$(python3 - "$HV" <<'PY'
import os, pty, struct, fcntl, termios, sys
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 33, 101, 0, 0))
    os.execv(sys.argv[1], [sys.argv[1], 'exec', '-t', 'ex', '--', 'sh', '-c', 'tty; stty size; exit 4'])
out = b''
while True:
    try:
        d = os.read(fd, 1000)
    except OSError:
        break
    if not d:
        break
    out += d
print(out.decode(errors='replace').replace('\r', '').replace('\n', ' ') + 'rc=%d' % (os.waitpid(pid, 0)[1] >> 8))
PY
)
expect_match "--tty gives a pseudo-terminal with the host's size, and the status" "$out" "^/dev/pts/[0-9]+ 33 101 rc=4$"

# volume: 50 MB through stdin and back through stdout, checked end to end
head -c 50000000 /dev/urandom >"$tmp/big"
want=$(sha256sum <"$tmp/big" | cut -d' ' -f1)
expect_eq "50 MB in through hv exec (sha256 in the guest)" "$("$HV" exec ex -- sha256sum <"$tmp/big" | cut -d' ' -f1)" "$want"
expect_eq "50 MB in and out through hv exec" "$("$HV" exec ex -- cat <"$tmp/big" | sha256sum | cut -d' ' -f1)" "$want"
expect_eq "50 MB in and out through hv run" "$("$HV" run --nic none -- cat <"$tmp/big" | sha256sum | cut -d' ' -f1)" "$want"

# hv cp: a tree with modes and a link, both ways
mkdir -p "$tmp/tree/sub"
echo hello >"$tmp/tree/a"
chmod 751 "$tmp/tree/a"
ln -s a "$tmp/tree/link"
head -c 3000000 /dev/urandom >"$tmp/tree/sub/blob"
check "hv cp a folder into the VM" "$HV" cp -q "$tmp/tree" ex:/root/
expect_eq "the file arrived with its mode" "$("$HV" exec ex -- stat -c '%a %s' /root/tree/a)" "751 6"
expect_eq "the link arrived as a link" "$("$HV" exec ex -- readlink /root/tree/link)" a
expect_eq "the large file arrived intact" "$("$HV" exec ex -- sha256sum /root/tree/sub/blob | cut -d' ' -f1)" \
	"$(sha256sum <"$tmp/tree/sub/blob" | cut -d' ' -f1)"
check "hv cp a folder out of the VM, under a new name" "$HV" cp -q ex:/root/tree "$tmp/back"
check "it comes back identical (content)" diff -r "$tmp/tree" "$tmp/back"
expect_eq "and with its modes" "$(stat -c %a "$tmp/back/a")" 751
check "hv cp a file to a new name in the VM" "$HV" cp -q "$tmp/tree/a" ex:/tmp/renamed
expect_eq "it is there" "$("$HV" exec ex -- cat /tmp/renamed)" hello
"$HV" cp ex:/no/such "$tmp/x" 2>"$tmp/err"
expect_match "hv cp of a missing guest path fails, naming it" "$?:$(cat "$tmp/err")" "^1:.*/no/such: no such file or directory in the guest"
"$HV" cp "$tmp/tree" ex:/no/such/dir 2>"$tmp/err"
expect_match "hv cp into a missing guest folder fails, naming it" "$?:$(cat "$tmp/err")" "^1:.*/no/such: no such directory in the guest"
"$HV" cp "$tmp/nope" ex:/root 2>"$tmp/err"
expect_match "hv cp of a missing host path fails" "$?:$(cat "$tmp/err")" "^1:.*nope: No such file or directory"
"$HV" cp "$tmp/a" "$tmp/b" 2>"$tmp/err"
expect_match "hv cp with no VM side is a usage error" "$?:$(cat "$tmp/err")" "^2:.*exactly one of SRC and DST"
check "nothing half-copied is left on the host" test -z "$(ls -A "$tmp" | grep hv-cp || true)"

# the VM stopping under a running exec ends it with a clear error
"$HV" exec ex -- sleep 100 2>"$tmp/err" &
pid=$!
sleep 2
"$HV" kill ex >/dev/null
wait $pid
expect_match "an exec whose VM is killed exits 255 with a reason" "$?:$(cat "$tmp/err")" "^255:.*the VM stopped while the command ran"
done_testing
