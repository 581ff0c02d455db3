#!/bin/bash
# SPDX-License-Identifier: MIT
# The source's include graph has no cycles (scripts/include-cycles.py), and
# the checker itself finds one when there is one.
set -u
cd "$(dirname "$0")/../.."
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }

if out=$(python3 scripts/include-cycles.py src 2>&1); then
	ok "no include cycles in src/"
else
	bad "include cycles in src/: $out"
fi
t=$(mktemp -d)
mkdir -p "$t/a" "$t/b"
printf '#include "b/y.h"\n' >"$t/a/x.c"
printf '#include "a/x.h"\n' >"$t/b/y.h"
printf '#include "b/y.h"\n' >"$t/a/z.c"
if out=$(python3 scripts/include-cycles.py "$t" 2>&1); then
	bad "a planted cycle a/x <-> b/y is not found"
elif [ "$out" = "include cycle: a/x <-> b/y" ]; then
	ok "a planted cycle is named"
else
	bad "a planted cycle is reported as: $out"
fi
rm -rf "$t"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
