#!/usr/bin/env bash
# Import benchmark (issue: "Foundation"): imports N records (default
# 1,000,000) with ~300-byte bodies through a real simpuld with simpul
# import, and prints records/s, simpuld's peak memory (anonymous: outside
# LMDB's mapped file; and total), the store size, this machine's
# single-core Ed25519 signing rate measured in the same run, and the ratio.
#   usage: tests/bench/bench_import.sh BUILD_DIR [N]
BUILD=${1:?usage: bench_import.sh BUILD_DIR [N]}
N=${2:-1000000}
. "$(dirname "$0")/bench_lib.sh"

echo "generating $N rows..."
gen_rows "$N" "$TMP/rows.csv"
echo "csv: $(du -h "$TMP/rows.csv" | cut -f1)"

A=$(node_new a)
node_start "$A"
sp "$A" community create rt03 >/dev/null
sample_anon "$A"
sign1() { "$BUILD/tests/bench_sign" 3 | awk '/sign_per_s/ { print $2 }'; }
SIGN_BEFORE=$(sign1)

t0=$(date +%s.%N)
sp "$A" import rt03 households "$TMP/rows.csv" --key-column id >/dev/null
t1=$(date +%s.%N)
HWM=$(hwm "$A")
node_stop "$A"
sleep 0.2
ANON=$(cat "$A.anon")

STORE=$(du -sb "$A/store" | cut -f1)
SIGN_AFTER=$(sign1)
awk -v n="$N" -v t0="$t0" -v t1="$t1" -v before="$SIGN_BEFORE" -v after="$SIGN_AFTER" \
    -v anon="$ANON" -v hwm="$HWM" -v store="$STORE" 'BEGIN {
	secs = t1 - t0; rate = n / secs; sign = (before + after) / 2
	printf "records           %d (bodies of about 300 bytes)\n", n
	printf "import time       %.1f s\n", secs
	printf "import rate       %.0f records/s\n", rate
	printf "ed25519 sign rate %.0f /s (one core, measured in this run: %.0f before the import, %.0f after)\n", sign, before, after
	printf "ratio             %.2f (target >= 0.50)\n", rate / sign
	printf "simpuld peak anon %.1f MiB (outside the LMDB map; target < 64)\n", anon / 1024
	printf "simpuld peak RSS  %.1f MiB (including mapped LMDB pages)\n", hwm / 1024
	printf "store size        %.1f MiB (%.0f bytes/record)\n", store / 1048576, store / n
}'
