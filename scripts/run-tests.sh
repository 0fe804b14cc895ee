#!/usr/bin/env bash
# Runs every test (lit: FileCheck tests, gtest unit tests, execution tests on
# the host and under QEMU) and ends with one line counting passed and failed.
set -uo pipefail
build=${1:-build}
lit=/usr/lib/llvm-22/bin/lit
results="$build/test-results.json"

"$lit" -sv --no-gtest-sharding -j "$(nproc)" --time-tests -o "$results" "$build/test"
status=$?

# How much the fuzzer ran (test/Fuzz/fuzz.test keeps its summary).
fuzz_summary="$build/test/Fuzz/Output/fuzz.test.tmp/summary.txt"
[[ -f "$fuzz_summary" ]] && tail -n 1 "$fuzz_summary"

python3 - "$results" <<'PY'
import collections, json, sys
tests = json.load(open(sys.argv[1]))["tests"]
codes = collections.Counter(t["code"] for t in tests)
passed = codes["PASS"] + codes["XFAIL"]
failed = sum(codes[c] for c in ("FAIL", "XPASS", "TIMEOUT", "UNRESOLVED"))
skipped = codes["UNSUPPORTED"]
print("tests: %d passed, %d failed%s" % (
    passed, failed, ", %d skipped" % skipped if skipped else ""))
PY
exit $status
