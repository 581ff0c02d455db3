# SPDX-License-Identifier: MIT
# Helpers for the container tests: a private runtime root, bundles with a
# busybox root file system, and cleanup of every container a test made.
# shellcheck source=tests/vm/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/../vm/lib.bash"
RUNC=$PWD/build/hv-runc
CTR_ROOT=$(mktemp -d /tmp/hv-test-runc.XXXXXX)
BUNDLES=$(mktemp -d /tmp/hv-test-bundles.XXXXXX)
chmod 755 "$BUNDLES"
rt() {
	"$RUNC" --root "$CTR_ROOT" "$@"
}
# mkrootfs DIR: a busybox root file system.
mkrootfs() {
	local d=$1 a
	mkdir -p "$d"/{bin,etc,proc,sys,dev,tmp,root,run,var/tmp}
	chmod 1777 "$d/tmp" "$d/var/tmp"
	cp /bin/busybox "$d/bin/busybox"
	for a in $("$d/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$d/bin/$a"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$d/etc/passwd"
	echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>"$d/etc/passwd"
	printf 'root:x:0:\nnobody:x:65534:\n' >"$d/etc/group"
}
# mkbundle NAME [PYTHON]: a bundle from `hv-runc spec` with no terminal,
# edited by PYTHON (statements on the dict c); prints its directory.
mkbundle() {
	local b=$BUNDLES/$1
	mkdir -p "$b"
	[ -d "$BUNDLES/.rootfs" ] || mkrootfs "$BUNDLES/.rootfs"
	cp -a "$BUNDLES/.rootfs" "$b/rootfs"
	(cd "$b" && "$RUNC" spec) || return 1
	python3 - "$b/config.json" "${2:-}" <<'PY' || return 1
import json, sys
path, code = sys.argv[1], sys.argv[2]
c = json.load(open(path))
c["process"]["terminal"] = False
c["root"]["readonly"] = False
exec(code)
json.dump(c, open(path, "w"), indent=1)
PY
	echo "$b"
}
# refuse DESCRIPTION COMMAND...: passes when COMMAND fails
refuse() {
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then fail "$what"; else ok "$what"; fi
}
# expect_error DESCRIPTION REGEX COMMAND...: fails non-zero with one
# line matching REGEX.
expect_error() {
	local what=$1 re=$2 out rc
	shift 2
	out=$("$@" </dev/null 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		fail "$what: succeeded"
	elif [ "$(wc -l <<<"$out")" -ne 1 ]; then
		fail "$what: not one line: $out"
	elif ! [[ $out =~ $re ]]; then
		fail "$what: '$out' does not match /$re/"
	else
		ok "$what"
	fi
}
# nothing_left DESCRIPTION ID: no state and no cgroup of container ID
nothing_left() {
	check "$1: nothing left" test ! -e "$CTR_ROOT/$2" -a -z "$(ctr_cgroup_dirs "$2")"
}
# alive PID: a process that exists and is not a zombie (whoever adopts a
# container's init here may reap it late).
alive() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
# A field of `hv-runc state ID`.
ctr_state() {
	rt state "$1" 2>/dev/null | python3 -c "import json,sys
try: print(json.load(sys.stdin).get('$2', ''))
except ValueError: pass"
}
# Every cgroup directory of a container (v1 controllers and unified).
ctr_cgroup_dirs() {
	ls -d /sys/fs/cgroup/*/hv-runc/"$1" /sys/fs/cgroup/hv-runc/"$1" 2>/dev/null
}
ctr_cleanup() {
	local id
	for id in $(ls "$CTR_ROOT" 2>/dev/null); do
		rt delete --force "$id" >/dev/null 2>&1
	done
	rm -rf "$CTR_ROOT" "$BUNDLES"
	cleanup
}
trap ctr_cleanup EXIT
# HV_TEST_ROOTFS: a ready busybox root file system to copy instead of
# making one (tests/oci/cgroupv2.sh: forking ln 400 times is slow in TCG).
if [ -n "${HV_TEST_ROOTFS:-}" ] && [ -d "$HV_TEST_ROOTFS" ]; then
	cp -a "$HV_TEST_ROOTFS" "$BUNDLES/.rootfs"
fi
