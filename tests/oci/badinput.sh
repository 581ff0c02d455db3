#!/bin/bash
# SPDX-License-Identifier: MIT
# hv-runc on bad input: one clear line naming the problem, a non-zero
# exit, and nothing left behind (no state, no cgroup, no process).
source "$(dirname "$0")/lib.bash"


b=$(mkbundle good 'c["process"]["args"]=["true"]')
expect_error "a bundle without config.json" "no config.json" rt create --bundle "$BUNDLES" x1
nothing_left "no config" x1
mkdir -p "$BUNDLES/broken" && echo '{"ociVersion": "1.0.2", "process": ' >"$BUNDLES/broken/config.json"
expect_error "malformed JSON" "config.json" rt create --bundle "$BUNDLES/broken" x2
nothing_left "malformed" x2

# edit NAME PYTHON: a copy of the good bundle's config, edited
edit() {
	mkdir -p "$BUNDLES/$1"
	ln -sfn "$b/rootfs" "$BUNDLES/$1/rootfs"
	python3 -c "import json,sys
c = json.load(open('$b/config.json'))
$2
json.dump(c, open('$BUNDLES/$1/config.json', 'w'))"
}
edit noroot 'del c["root"]'
expect_error "no root" "root" rt create --bundle "$BUNDLES/noroot" x3
edit norootfs 'c["root"]["path"]="/nonexistent/rootfs"'
expect_error "a root path that does not exist" "/nonexistent/rootfs" rt create --bundle "$BUNDLES/norootfs" x4
nothing_left "missing rootfs" x4
edit noargs 'c["process"]["args"]=[]'
expect_error "empty process.args" "process.args" rt create --bundle "$BUNDLES/noargs" x5
edit badns 'c["linux"]["namespaces"].append({"type":"bogus"})'
expect_error "an unknown namespace type" "bogus" rt create --bundle "$BUNDLES/badns" x6
edit badcap 'c["process"]["capabilities"]["bounding"].append("CAP_BOGUS")'
expect_error "an unknown capability" "CAP_BOGUS" rt create --bundle "$BUNDLES/badcap" x7
edit badmem 'c["linux"]["resources"]["memory"]={"limit":"lots"}'
expect_error "a memory limit that is not a number" "memory.limit" rt create --bundle "$BUNDLES/badmem" x8
nothing_left "bad memory limit" x8
edit badsec 'c["linux"]["seccomp"]={"defaultAction":"SCMP_ACT_BOGUS"}'
expect_error "an unknown seccomp action" "SCMP_ACT_BOGUS" rt create --bundle "$BUNDLES/badsec" x9
edit systemd 'c["linux"]["cgroupsPath"]="system.slice:hv:x10"'
expect_error "a systemd cgroup path says how to fix it" "cgroupfs" rt create --bundle "$BUNDLES/systemd" x10
edit badmount 'c["mounts"].append({"destination":"relative/path","type":"tmpfs","source":"tmpfs"})'
expect_error "a relative mount destination" "mounts.*destination" rt create --bundle "$BUNDLES/badmount" x11
edit badsrc 'c["mounts"].append({"destination":"/data","type":"bind","source":"/nonexistent/src","options":["bind"]})'
expect_error "a bind mount of a missing source" "/nonexistent/src" rt create --bundle "$BUNDLES/badsrc" x12
nothing_left "missing bind source" x12
edit badrl 'c["process"]["rlimits"]=[{"type":"RLIMIT_BOGUS","soft":1,"hard":1}]'
expect_error "an unknown rlimit" "RLIMIT_BOGUS" rt create --bundle "$BUNDLES/badrl" x13
edit baduser 'c["process"]["user"]={"uid":-5,"gid":0}'
expect_error "a negative uid" "uid" rt create --bundle "$BUNDLES/baduser" x14

# symlinks in the root file system cannot move a mount out of it
target=$(mktemp -d /tmp/hv-test-escape.XXXXXX)
b2=$(mkbundle links 'c["process"]["args"]=["sh","-c","ls -d '"$target"'/* 2>/dev/null | wc -l"]; c["mounts"] += [{"destination":"/up/m","type":"tmpfs","source":"tmpfs"}, {"destination":"/abs/m","type":"tmpfs","source":"tmpfs"}, {"destination":"/abs/f","type":"bind","source":"/etc/hostname","options":["bind"]}]')
ln -s "../../../../../../../../..$target" "$b2/rootfs/up"
ln -s "$target" "$b2/rootfs/abs"
out=$(rt run --bundle "$b2" links </dev/null 2>&1)
expect_eq "mounts through ../ and absolute symlinks land inside the root (m and f there)" "$out" 2
check "and nothing on the host's side of the link" test -z "$(ls -A "$target")"
check "the links' targets were made inside the root" test -d "$b2/rootfs$target"
rm -rf "$target"

# ids
expect_error "an id with a slash" "id" rt create --bundle "$b" ../escape
check "nothing made outside the root" test ! -e "$(dirname "$CTR_ROOT")/escape"
expect_error "an empty id" "id" rt create --bundle "$b" ""
expect_error "an id that is too long" "id" rt create --bundle "$b" "$(printf 'a%.0s' $(seq 300))"

# operations on containers that do not exist or are in the wrong state
expect_error "start of an unknown container" "does not exist" rt start nosuch
expect_error "state of an unknown container" "does not exist" rt state nosuch
expect_error "kill of an unknown container" "does not exist" rt kill nosuch
expect_error "delete of an unknown container" "does not exist" rt delete nosuch
check "delete --force of an unknown container succeeds, as with runc (engines clean up twice)" rt delete --force nosuch
expect_error "exec in an unknown container" "does not exist" rt exec nosuch true
check "create of a good bundle" rt create --bundle "$b" dup
expect_error "creating an id twice" "already exists" rt create --bundle "$b" dup
expect_error "a bad signal name" "signal" rt kill dup SIGBOGUS
expect_error "exec in a container that is not running" "created" rt exec dup true
expect_error "pause of a created container" "created" rt pause dup
expect_error "update with a bad number" "not a number" rt update --pids-limit many dup
expect_error "update with resources that are not JSON" "not a JSON object" rt update --resources /etc/hostname dup
expect_error "update of an unknown container" "does not exist" rt update --pids-limit 5 nosuch
check "the existing container is untouched" test "$(ctr_state dup status)" = created
check "delete" rt delete --force dup
nothing_left "deleted" dup

# a state file that is garbage is an error, not a crash
mkdir -p "$CTR_ROOT/junk" && echo 'not json' >"$CTR_ROOT/junk/state.json"
expect_error "a corrupt state file" "junk" rt state junk
check "delete --force removes a corrupt container" rt delete --force junk
check "and its directory" test ! -e "$CTR_ROOT/junk"

# usage errors
expect_error "an unknown command" "bogus" rt bogus
expect_error "create without an id" "id" rt create --bundle "$b"

done_testing
