#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/ui.sh - the web console (hv ui) in headless Chromium:
#   page load        navigation to the VM list drawn (first row shown)
#   keystroke echo   a key typed into the xterm.js console until the
#                    guest's echo moves the cursor: median and p90 of 30
#                    keys (a default-guest VM under the host's accelerator)
#   API              GET /api/vms, median of 20 curl calls
#   server RSS       hv ui idle, and its peak (VmHWM) after the session
# Usage: bench/ui.sh   (under the suite lock: flock /tmp/hv-suite.lock bench/ui.sh)
set -u
export LC_ALL=C
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
HV=$ROOT/build/hv
export HV_HOME
HV_HOME=$(mktemp -d /tmp/hv-bench-ui.XXXXXX)
UI_PID=
cleanup() {
	[ -n "$UI_PID" ] && kill "$UI_PID" 2>/dev/null
	"$HV" kill t1 >/dev/null 2>&1
	rm -rf "$HV_HOME"
}
trap cleanup EXIT
"$HV" create t1 --nic none >/dev/null || exit 1
"$HV" start t1 >/dev/null || exit 1
"$HV" ui --listen 127.0.0.1:0 --url-file "$HV_HOME/url" >/dev/null 2>&1 &
UI_PID=$!
for ((i = 0; i < 50; i++)); do [ -s "$HV_HOME/url" ] && break; sleep 0.1; done
URL=$(cat "$HV_HOME/url")
TOKEN=${URL##*token=}
B=${URL%%/\?*}
rss() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$UI_PID/status"; }
idle=$(rss VmRSS)
times=$(for ((i = 0; i < 20; i++)); do
	curl -s -o /dev/null -w '%{time_total}\n' -H "X-HV-Token: $TOKEN" "$B/api/vms"
done | sort -n)
api=$(sed -n 10p <<<"$times")
node "$ROOT/tests/web/driver.mjs" bench "$URL" "$HV_HOME" || exit 1
printf 'API GET /api/vms: median %.1f ms (20 calls, 1 VM)\n' "$(echo "$api * 1000" | bc -l)"
echo "hv ui RSS: $idle KiB idle, peak $(rss VmHWM) KiB after the browser session"
