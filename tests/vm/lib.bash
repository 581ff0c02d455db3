# SPDX-License-Identifier: MIT
# Helpers for the VM tests: a private store, assertions that print one
# line each, and cleanup of every VM the test started.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
HV=$PWD/build/hv
export HV_HOME
HV_HOME=$(mktemp -d "${TMPDIR:-/tmp}/hv-test.XXXXXX")
PASS=0
FAIL=0

ok() {
	PASS=$((PASS + 1))
	echo "ok $*"
}
fail() {
	FAIL=$((FAIL + 1))
	echo "FAIL $*"
}
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}
# expect_eq DESCRIPTION GOT WANT
expect_eq() {
	if [ "$2" == "$3" ]; then ok "$1"; else fail "$1: got '$2', want '$3'"; fi
}
# expect_match DESCRIPTION TEXT REGEX
expect_match() {
	if [[ $2 =~ $3 ]]; then ok "$1"; else fail "$1: '$2' does not match /$3/"; fi
}
# A field of `hv info NAME --json`.
info() {
	"$HV" info "$1" --json | python3 -c "import json,sys; v=json.load(sys.stdin).get('$2'); print('' if v is None else v)"
}
# wait_state NAME STATE [SECONDS]: poll until hv reports STATE.
wait_state() {
	local i
	for ((i = 0; i < ${3:-20} * 10; i++)); do
		[ "$(info "$1" state)" == "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# The console log is appended across boots: start_vm remembers where the
# current boot begins, and wait_log looks only at what came after.
declare -A LOG_MARK
start_vm() {
	LOG_MARK[$1]=$(stat -c %s "$HV_HOME/vms/$1/console.log" 2>/dev/null || echo 0)
	"$HV" start "$1" >/dev/null
}
# wait_log NAME REGEX [SECONDS]: poll this boot's console output for a line.
wait_log() {
	local i
	for ((i = 0; i < ${3:-20} * 10; i++)); do
		tail -c +$((${LOG_MARK[$1]:-0} + 1)) "$HV_HOME/vms/$1/console.log" 2>/dev/null | grep -qE "$2" && return 0
		sleep 0.1
	done
	return 1
}
# type_in NAME TEXT: send a line to the VM's console.
type_in() {
	printf '%s\n' "$2" | "$HV" console "$1" >/dev/null 2>&1
}
# guest_run NAME CMD [SECONDS]: run CMD in the guest's shell; prints its
# output (newlines folded to spaces), read back from the console log.
guest_run() {
	local vm=$1 cmd=$2 i tag
	# unique without shared state: guest_run usually runs in a $(subshell)
	tag=$((RANDOM * 32768 + RANDOM + 100))
	# the typed line holds "$((tag-1+1))", the output the computed number
	type_in "$vm" "echo \"@@\$(($tag - 1 + 1))@@\$( ($cmd) 2>&1 | tr '\\n' ' ')@@\""
	for ((i = 0; i < ${3:-15} * 10; i++)); do
		if grep -q "@@$tag@@" "$HV_HOME/vms/$vm/console.log" 2>/dev/null; then
			grep -a -o "@@$tag@@.*@@" "$HV_HOME/vms/$vm/console.log" | tail -n 1 | sed "s/^@@$tag@@//; s/@@\$//; s/ *\$//"
			return 0
		fi
		sleep 0.1
	done
	return 1
}
# test_image: the Debian image 'deb' in this suite's store, built once per
# `tests/run` (which sets HV_TEST_IMAGE_CACHE) and copied to later suites.
# Returns non-zero (the build's last lines on stdout) when it cannot be built.
test_image() {
	local cache=${HV_TEST_IMAGE_CACHE:-} t0 rc
	mkdir -p "$HV_HOME/images"
	if [ -n "$cache" ] && [ -f "$cache/images/deb/image.json" ]; then
		cp -a --reflink=auto "$cache/images/deb" "$HV_HOME/images/deb"
		echo "# image deb taken from the run's cache"
		return 0
	fi
	t0=$(date +%s)
	"$HV" image build debian-12 --name deb --size 4G >"$HV_HOME/build.out" 2>&1
	rc=$?
	echo "# build: $(($(date +%s) - t0)) s"
	if [ $rc -ne 0 ]; then
		tail -n 5 "$HV_HOME/build.out"
		return $rc
	fi
	if [ -n "$cache" ]; then
		mkdir -p "$cache/images"
		cp -a --reflink=auto "$HV_HOME/images/deb" "$cache/images/deb.tmp" && mv "$cache/images/deb.tmp" "$cache/images/deb"
	fi
	return 0
}
HV_NETS=""
cleanup() {
	local vm net
	for vm in $(ls "$HV_HOME/vms" 2>/dev/null); do
		"$HV" delete --force "$vm" >/dev/null 2>&1
	done
	for net in $(ls "$HV_HOME/networks" 2>/dev/null); do
		"$HV" net delete "$net" >/dev/null 2>&1
	done
	rm -rf "$HV_HOME"
}
trap cleanup EXIT
# refuse_unchanged STATE DESCRIPTION REGEX COMMAND...: COMMAND fails with one
# line on stderr matching REGEX, prints nothing on stdout, and the output
# of the function STATE (a digest of what must not change) is the same after.
refuse_unchanged() {
	local state=$1 what=$2 re=$3 before after rc lines out err
	shift 3
	out=$(mktemp) err=$(mktemp)
	before=$($state)
	"$@" >"$out" 2>"$err"
	rc=$?
	after=$($state)
	lines=$(wc -l <"$err")
	if [ $rc -eq 0 ]; then
		fail "$what: exited 0"
	elif [ "$lines" -ne 1 ]; then
		fail "$what: $lines lines on stderr: $(cat "$err")"
	elif ! grep -qE "$re" "$err"; then
		fail "$what: '$(cat "$err")' does not match /$re/"
	elif [ "$before" != "$after" ] || [ -s "$out" ]; then
		fail "$what: something changed or was printed: $(cat "$out")"
	else
		ok "$what ($(cat "$err"))"
	fi
	rm -f "$out" "$err"
}
done_testing() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
