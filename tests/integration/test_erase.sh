#!/usr/bin/env bash
# simpul erase through the real daemon: after erasing a key written in
# several versions (bodies over 4 KiB, and a small one), no byte of any
# version's body is left in any file of the data directory.
. "$(dirname "$0")/lib.sh"

export SIMPUL_DATA="$SP_TMP/n"
sp() { "$SIMPUL" "$@"; }
sp init >/dev/null
start_node "$SIMPUL_DATA" || exit 1
DPID=$SP_LAST_PID
sp community create rt03 >/dev/null

# A body over 4 KiB with a marker that appears nowhere else.
big_body() { printf '{"catatan":"%s","pad":"%s"}' "$1" "$(head -c 5000 /dev/zero | tr '\0' x)"; }
found() { grep -rl --binary-files=text "$1" "$SIMPUL_DATA" 2>/dev/null | wc -l; }

for v in 1 2 3; do
	expect_exit 0 "version $v of a large record" sp put rt03 cases c-001 --body "$(big_body "PENANDA-RAHASIA-VERSI-$v")"
done
expect_exit 0 "a small record" sp put rt03 cases c-002 --body '{"nama":"PENANDA-KECIL-SATU"}'
expect_exit 0 "another small version" sp put rt03 cases c-002 --body '{"nama":"PENANDA-KECIL-DUA"}'
expect_exit 0 "a record that stays" sp put rt03 cases c-003 --body '{"nama":"PENANDA-TETAP"}'
check "the latest large version is in the store before erase" [ "$(found PENANDA-RAHASIA-VERSI-3)" -gt 0 ]
check "the latest small version is in the store before erase" [ "$(found PENANDA-KECIL-DUA)" -gt 0 ]

expect_exit 0 "erase c-001" sp erase rt03 cases c-001
expect_exit 0 "erase c-002" sp erase rt03 cases c-002
for m in PENANDA-RAHASIA-VERSI-1 PENANDA-RAHASIA-VERSI-2 PENANDA-RAHASIA-VERSI-3 PENANDA-KECIL-SATU PENANDA-KECIL-DUA; do
	check "no trace of $m in any file" [ "$(found "$m")" = 0 ]
done
check "the record that stays is still stored" [ "$(found PENANDA-TETAP)" -gt 0 ]
expect_exit 0 "it still reads back" sp get rt03 cases c-003
expect_exit 0 "the erase tombstones are listed" sp ls rt03 cases --all
check "both erased" [ "$(echo "$OUT" | grep -c erased)" = 2 ]
stop_node "$DPID"
start_node "$SIMPUL_DATA" || exit 1
expect_exit 0 "the store reopens after scrubbing" sp get rt03 cases c-003
for m in PENANDA-RAHASIA-VERSI-3 PENANDA-KECIL-DUA; do
	check "still no trace of $m after restart" [ "$(found "$m")" = 0 ]
done
finish
