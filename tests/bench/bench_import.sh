#!/usr/bin/env bash
# Import benchmark (issue: "Foundation"): imports N records (default
# 1,000,000) with ~300-byte bodies through a real simpuld with simpul
# import, and prints records/s, simpuld's peak memory (anonymous: outside
# LMDB's mapped file; and total), the store size, this machine's
# single-core Ed25519 signing rate measured in the same run, and the ratio.
#   usage: tests/bench/bench_import.sh BUILD_DIR [N]
set -euo pipefail
BUILD=${1:?usage: bench_import.sh BUILD_DIR [N]}
N=${2:-1000000}
SIMPUL=$BUILD/cli/simpul
SIMPULD=$BUILD/daemon/simpuld
TMP=$(mktemp -d "${TMPDIR:-/tmp}/simpul-bench.XXXXXX")
DPID=
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null; rm -rf "$TMP"' EXIT

echo "generating $N rows..."
awk -v n="$N" 'BEGIN {
	srand(42)
	print "id,kepala_keluarga,anggota,rt,rw,telepon,alamat,pekerjaan,kategori,catatan"
	for (i = 0; i < n; i++)
		printf "h-%07d,Kepala Keluarga Nomor %d,%d,%03d,%03d,08%010d,Jalan Melati Gang %d Nomor %d Kelurahan Sukamaju Kecamatan Sukajaya,Buruh harian lepas,keluarga_miskin,Catatan kunjungan rumah tanggal %d: kondisi rumah perlu perbaikan atap dan lantai; bantuan sembako diterima\n", i, i, 1 + i % 9, 1 + i % 20, 1 + i % 7, i, i % 50, i % 200, i % 28 + 1
}' > "$TMP/rows.csv"
echo "csv: $(du -h "$TMP/rows.csv" | cut -f1)"

export SIMPUL_DATA=$TMP/node
"$SIMPUL" init >/dev/null
"$SIMPULD" --log-level warn 2>"$TMP/simpuld.log" &
DPID=$!
for _ in $(seq 1 100); do "$SIMPUL" status >/dev/null 2>&1 && break; sleep 0.1; done
"$SIMPUL" community create rt03 >/dev/null

# Sample simpuld's anonymous memory (RssAnon) while it works.
( peak=0; while kill -0 "$DPID" 2>/dev/null; do
	a=$(awk '/^RssAnon:/ { print $2 }' "/proc/$DPID/status" 2>/dev/null || echo 0)
	[ -n "$a" ] && [ "$a" -gt "$peak" ] && peak=$a && echo "$peak" > "$TMP/peak_anon_kb"
	sleep 0.05
done ) &
SAMPLER=$!

t0=$(date +%s.%N)
"$SIMPUL" import rt03 households "$TMP/rows.csv" --key-column id >/dev/null
t1=$(date +%s.%N)
HWM=$(awk '/^VmHWM:/ { print $2 }' "/proc/$DPID/status")
"$SIMPUL" stop >/dev/null
wait "$DPID" 2>/dev/null || true
DPID=
wait "$SAMPLER" 2>/dev/null || true

STORE=$(du -sb "$SIMPUL_DATA/store" | cut -f1)
SIGN=$("$BUILD/tests/bench_sign" 3 | awk '/sign_per_s/ { print $2 }')
awk -v n="$N" -v t0="$t0" -v t1="$t1" -v sign="$SIGN" -v anon="$(cat "$TMP/peak_anon_kb")" \
    -v hwm="$HWM" -v store="$STORE" 'BEGIN {
	secs = t1 - t0; rate = n / secs
	printf "records           %d (bodies of about 300 bytes)\n", n
	printf "import time       %.1f s\n", secs
	printf "import rate       %.0f records/s\n", rate
	printf "ed25519 sign rate %.0f /s (one core, measured in this run)\n", sign
	printf "ratio             %.2f (target >= 0.50)\n", rate / sign
	printf "simpuld peak anon %.1f MiB (outside the LMDB map; target < 64)\n", anon / 1024
	printf "simpuld peak RSS  %.1f MiB (including mapped LMDB pages)\n", hwm / 1024
	printf "store size        %.1f MiB (%.0f bytes/record)\n", store / 1048576, store / n
}'
