#!/bin/bash
# SPDX-License-Identifier: MIT
# hv ui, the web console: the HTTP API's refusals and abuse cases (no
# token, bad Host, cross-origin POST, malformed HTTP, oversized headers
# and bodies, a slow client), then headless Chromium (Debian's, driven by
# playwright-core): the VM list, a click that starts a VM, the serial
# console (prompt, a typed command, a second viewer, a viewer leaving
# mid-stream) and a --graphics vnc VM's display.  Screenshots go to
# build/test-artifacts/.
. "$(dirname "$0")/../vm/lib.bash"
ART=$PWD/build/test-artifacts/ui
rm -rf "$ART"
mkdir -p "$ART"
UI_PID=
cleanup() {
	[ -n "$UI_PID" ] && kill "$UI_PID" 2>/dev/null
	"$HV" kill t1 >/dev/null 2>&1
	"$HV" kill g1 >/dev/null 2>&1
	rm -rf "$HV_HOME"
}
trap cleanup EXIT

"$HV" create t1 --memory 256M --nic none >/dev/null
"$HV" create g1 --machine q35 --graphics vnc --nic none >/dev/null

# --- the listen address rules
out=$("$HV" ui --listen 0.0.0.0:0 2>&1)
expect_match "a non-loopback listen without --tls or --insecure is refused" "$out" "give --tls CERT,KEY, or --insecure"
out=$("$HV" ui --listen nonsense 2>&1)
expect_match "a malformed --listen is refused" "$out" "ADDRESS:PORT"

# TLS: a self-signed certificate; the API answers over HTTPS only
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$HV_HOME/key.pem" -out "$HV_HOME/cert.pem" -days 1 \
	-subj /CN=localhost >/dev/null 2>&1
"$HV" ui --listen 0.0.0.0:0 --tls "$HV_HOME/cert.pem,$HV_HOME/key.pem" --url-file "$HV_HOME/tls-url" >/dev/null 2>&1 &
TLS_PID=$!
for ((i = 0; i < 50; i++)); do [ -s "$HV_HOME/tls-url" ] && break; sleep 0.1; done
TURL=$(cat "$HV_HOME/tls-url")
expect_match "with --tls a non-loopback listen is served over https" "$TURL" '^https://127.0.0.1:[0-9]+/\?token='
expect_eq "the API answers over TLS" "$(curl -sk -o /dev/null -w '%{http_code}' -H "X-HV-Token: ${TURL##*token=}" "${TURL%%/\?*}/api/vms")" 200
expect_eq "plain HTTP to the TLS port gets no page" "$(curl -s -o /dev/null -w '%{http_code}' -m 3 "http${TURL#https}")" 000
kill "$TLS_PID"
wait "$TLS_PID" 2>/dev/null

"$HV" ui --listen 127.0.0.1:0 --url-file "$HV_HOME/url" >"$HV_HOME/ui.out" 2>&1 &
UI_PID=$!
for ((i = 0; i < 50; i++)); do [ -s "$HV_HOME/url" ] && break; sleep 0.1; done
URL=$(cat "$HV_HOME/url")
expect_match "hv ui prints the URL with its token" "$(cat "$HV_HOME/ui.out")" "http://127.0.0.1:[0-9]+/\?token=[A-Za-z0-9_-]{43}"
TOKEN=${URL##*token=}
PORT=$(sed 's|^http://127.0.0.1:\([0-9]*\)/.*|\1|' <<<"$URL")
B=http://127.0.0.1:$PORT
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# --- the token, Host, Origin and method rules
expect_eq "the API refuses a missing token (401)" "$(code "$B/api/vms")" 401
expect_eq "the API refuses a wrong token (401)" "$(code -H "X-HV-Token: ${TOKEN%?}x" "$B/api/vms")" 401
expect_eq "/metrics refuses a missing token (401)" "$(code "$B/metrics")" 401
expect_eq "a WebSocket refuses a missing token (401)" "$(code -H 'Origin: '"$B" "$B/ws/console/t1")" 401
expect_eq "the API answers with the token" "$(code -H "X-HV-Token: $TOKEN" "$B/api/vms")" 200
expect_eq "a Bearer token works for /metrics (Prometheus)" "$(code -H "Authorization: Bearer $TOKEN" "$B/metrics")" 200
expect_match "/metrics has hv_vm_state" "$(curl -s -H "X-HV-Token: $TOKEN" "$B/metrics")" 'hv_vm_state\{vm="t1",state="stopped"\} 1'
expect_eq "a foreign Host header is refused (DNS rebinding, 421)" \
	"$(code -H "Host: evil.example:$PORT" -H "X-HV-Token: $TOKEN" "$B/api/vms")" 421
expect_eq "a cross-origin POST is refused (403)" \
	"$(code -X POST -H "X-HV-Token: $TOKEN" -H 'Origin: http://evil.example' "$B/api/vms/t1/start")" 403
expect_eq "a POST without the token header is refused, whatever the Origin (401)" \
	"$(code -X POST -H "Origin: $B" "$B/api/vms/t1/start")" 401
expect_eq "an action by GET is refused (405)" "$(code -H "X-HV-Token: $TOKEN" "$B/api/vms/t1/start")" 405
expect_eq "an invalid VM name is refused (400)" "$(code -H "X-HV-Token: $TOKEN" "$B/api/vms/-x")" 400
expect_eq "an unknown VM is 404" "$(code -H "X-HV-Token: $TOKEN" "$B/api/vms/nosuch")" 404
expect_eq "a path out of the web folder is 404" "$(code --path-as-is "$B/../../../etc/passwd")" 404
expect_eq "t1 was not started by any of that" "$(info t1 state)" stopped

# --- create, snapshot, revert, clone, delete through the API
post() { # post PATH JSON: prints the status code
	curl -s -o "$HV_HOME/post.out" -w '%{http_code}' -X POST -H "X-HV-Token: $TOKEN" \
		-H 'Content-Type: application/json' --data-binary "$2" "$B$1"
}
expect_eq "POST /api/vms creates a VM" "$(post /api/vms '{"name":"c1","cpus":2,"memory":"300M","disk":"64M","nic":"none"}')" 200
expect_match "as hv create would" "$("$HV" list --all)" "c1 +stopped +2 +300M"
expect_eq "a malformed create body is refused (400)" "$(post /api/vms '{"name":')" 400
expect_eq "an unknown create field is refused (400)" "$(post /api/vms '{"name":"c2","colour":"red"}')" 400
expect_match "and named" "$(cat "$HV_HOME/post.out")" "colour"
expect_eq "a null name is refused (400)" "$(post /api/vms '{"name":null}')" 400
expect_eq "a bad VM name in the body is refused (400)" "$(post /api/vms '{"name":"../x"}')" 400
expect_eq "a snapshot is taken" "$(post /api/vms/c1/snapshot '{"name":"s1"}')" 200
expect_match "and listed" "$(curl -s -H "X-HV-Token: $TOKEN" "$B/api/vms/c1/snapshots")" '"name":"s1"'
expect_eq "a revert to it works" "$(post /api/vms/c1/revert '{"name":"s1"}')" 200
expect_eq "a clone is made" "$(post /api/vms/c1/clone '{"name":"c1b"}')" 200
expect_match "and is a VM" "$("$HV" list --all)" "c1b +stopped"
expect_eq "delete without the confirmation is refused" "$(post /api/vms/c1b/delete '{}')" 400
expect_eq "delete with another name is refused" "$(post /api/vms/c1b/delete '{"confirm":"c1"}')" 400
expect_eq "delete with the name deletes" "$(post /api/vms/c1b/delete '{"confirm":"c1b"}')" 200
expect_eq "the clone is gone" "$(code -H "X-HV-Token: $TOKEN" "$B/api/vms/c1b")" 404
post /api/vms/c1/delete '{"confirm":"c1"}' >/dev/null

# --- malformed and oversized requests, a slow client
raw() { # raw BYTES: send them, print the status line of the answer (or "closed")
	python3 - "$PORT" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
try:
    line = s.makefile("rb").readline().decode("latin-1").strip()
except OSError:
    line = ""
print(line or "closed")
PY
}
expect_match "a garbage request line gets 400 or a close" "$(raw 'BLAH\r\n\r\n')" "400|closed"
expect_match "a request line with a bad version gets an error" "$(raw 'GET / HTTP/9.9\r\nHost: x\r\n\r\n')" "HTTP/1.1 (400|505)|closed"
expect_match "a header without a colon gets 400" "$(raw "GET / HTTP/1.1\r\nHost: 127.0.0.1:$PORT\r\nnocolon\r\n\r\n")" "400|closed"
expect_eq "an oversized header gets 431" \
	"$(code -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' a)" "$B/")" 431
expect_eq "an oversized body gets 413" \
	"$(head -c 100000 /dev/zero | code -X POST -H "X-HV-Token: $TOKEN" --data-binary @- "$B/api/vms/t1/pause")" 413
expect_eq "an oversized chunked body gets 413" \
	"$(head -c 100000 /dev/zero | code -X POST -H "X-HV-Token: $TOKEN" -H 'Transfer-Encoding: chunked' --data-binary @- "$B/api/vms/t1/pause")" 413
# a slow client: headers one byte a second, several at once
python3 - "$PORT" <<'PY' &
import socket, sys, time
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(8)]
for ch in b"GET /api/vms HTTP/1.1\r\nHost: 127.0.0.1\r\n":
    for s in socks:
        try: s.send(bytes([ch]))
        except OSError: pass
    time.sleep(1)
PY
SLOW=$!
sleep 1
t0=$(date +%s%N)
expect_eq "while slow clients dribble, others are answered" "$(code -m 5 -H "X-HV-Token: $TOKEN" "$B/api/vms")" 200
expect_match "and quickly (ms)" "$((($(date +%s%N) - t0) / 1000000))" '^[0-9]{1,3}$'
kill $SLOW 2>/dev/null
wait $SLOW 2>/dev/null
check "hv ui survived all of it" kill -0 "$UI_PID"

# --- the browser
out=$(timeout 300 node tests/web/driver.mjs test "$URL" "$ART" 2>&1)
echo "$out" | grep -v '^ok \|^FAIL ' | sed 's/^/# /'
while read -r line; do
	case $line in
	ok\ *) ok "${line#ok }" ;;
	FAIL\ *) fail "${line#FAIL }" ;;
	esac
done <<<"$out"
check "screenshots were saved" test -s "$ART/2-console.png"
expect_eq "t1 runs after the browser left" "$(info t1 state)" running

# --- hv ui stops cleanly with consoles open, and the VMs stay
kill -TERM "$UI_PID"
for ((i = 0; i < 50; i++)); do kill -0 "$UI_PID" 2>/dev/null || break; sleep 0.1; done
check "hv ui ends on SIGTERM" bash -c "! kill -0 $UI_PID 2>/dev/null"
wait "$UI_PID"
expect_eq "hv ui exits 0" "$?" 0
UI_PID=
expect_eq "t1 still runs after hv ui ended" "$(info t1 state)" running
out=$(printf 'echo after-ui-$((2*3))\n' | "$HV" console t1 | tr -d '\r')
expect_match "hv console works again once hv ui let go of the console" "$out" "after-ui-6"
"$HV" kill t1 >/dev/null
"$HV" kill g1 >/dev/null
echo "$PASS passed, $FAIL failed"
