#!/bin/bash
# SPDX-License-Identifier: MIT
# The fuzz targets (tests/fuzz/fuzz_*.c, clang's libFuzzer with ASan and
# UBSan): each runs FUZZ_TIME seconds (default 6: the CI's share) from
# its seed corpus in tests/fuzz/corpus/NAME, whose inputs (real
# transcripts, and every input that once crashed) run first.  A crash, a
# leak, a UBSan report or a hang (10 s on one input) fails the target;
# the input is kept under build/fuzz/crashes/ and its report is shown.
# New inputs the fuzzer finds go to a temporary folder, or with
# FUZZ_KEEP=1 (make fuzz) to build/fuzz/corpus/NAME, kept between runs.
# usage: tests/fuzz/run.sh [NAME...]   (NAME: qmp, agent, ...)
set -u
cd "$(dirname "$0")/../.."
time=${FUZZ_TIME:-6}
passed=0
failed=0
if ! scripts/deps.sh --fuzz || ! make -s --no-print-directory fuzz-build >/tmp/hv-fuzz-build.$$ 2>&1; then
	cat /tmp/hv-fuzz-build.$$ 2>/dev/null
	rm -f /tmp/hv-fuzz-build.$$
	echo "FAIL the fuzz targets do not build"
	echo "0 passed, 1 failed"
	exit 1
fi
rm -f /tmp/hv-fuzz-build.$$
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		f=${f#tests/fuzz/fuzz_}
		names+=("${f%.c}")
	done
fi
scratch=$(mktemp -d /tmp/hv-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir -p build/fuzz/crashes
for n in "${names[@]}"; do
	if [ "${FUZZ_KEEP:-0}" = 1 ]; then
		work=build/fuzz/corpus/$n
	else
		work=$scratch/$n
	fi
	mkdir -p "$work" "tests/fuzz/corpus/$n"
	log=$scratch/$n.log
	start=$(date +%s)
	build/fuzz/fuzz_"$n" -max_total_time="$time" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix=build/fuzz/crashes/"$n"- "$work" "tests/fuzz/corpus/$n" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ $rc -eq 0 ]; then
		echo "ok fuzz_$n: ${runs:-?} executions in $(($(date +%s) - start)) s"
		passed=$((passed + 1))
	else
		echo "FAIL fuzz_$n (exit $rc):"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|    #[0-9] |.*runtime error|artifact_prefix|Test unit written)' "$log" |
			head -n 30
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
