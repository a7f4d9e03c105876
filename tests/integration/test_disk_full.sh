#!/usr/bin/env bash
# A full disk: the data directory lives on a 3 MiB tmpfs (this test needs
# root, to mount it). An import that fills the disk fails, saying so, and
# its rollback, which needs room of its own, is tried again every 5 s:
# meanwhile the collection takes no writes (and no session would send its
# rows). Once there is room again (the tmpfs grown), the rollback completes
# by itself: nothing of the import is left, the record from before it is
# intact, and the collection takes writes again, also after a restart.
. "$(dirname "$0")/lib.sh"

MNT=$SP_TMP/disk
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=3m,mode=0700 tmpfs "$MNT" 2>"$SP_TMP/mount.err"; then
	fail "cannot mount a 3 MiB tmpfs for the data directory (run as root): $(cat "$SP_TMP/mount.err")"
	finish
fi
SP_CLEANUP+=("umount -l '$MNT'")
# The data directory is on the small disk; its log (beside it) is not.
mkdir -m 700 "$MNT/n"
ln -s "$MNT/n" "$SP_TMP/n"
export SIMPUL_DATA=$SP_TMP/n
sp() { "$SIMPUL" "$@"; }
sp init >/dev/null
start_node "$SIMPUL_DATA" || exit 1
DPID=$SP_LAST_PID
sp community create rt03 >/dev/null
sp put rt03 big k-000001 --body '{"sebelum":"impor"}' >/dev/null
awk 'BEGIN {
	print "id,catatan"
	for (i = 0; i < 20000; i++)
		printf "k-%06d,catatan panjang yang memenuhi disk kecil ini sampai penuh pada baris %d\n", i, i
}' >"$SP_TMP/fill.csv"

expect_exit 1 "an import that fills the disk fails" \
	sp import rt03 big "$SP_TMP/fill.csv" --key-column id
check "saying there is no room to write" contains "$ERR" "no room to write: the disk holding the data directory is full"
wait_for 10 "its rollback, short of room too, is tried again" \
	grep -q "rolling back import 1 into big: no room to write.*trying again every 5 s" "$SIMPUL_DATA.log"
expect_exit 7 "meanwhile the collection takes no writes" sp put rt03 big k-000002 --body '{}'
check "the daemon lives on" kill -0 "$DPID"

mount -o remount,size=64m "$MNT"
wait_for 30 "once there is room, the rollback completes by itself" \
	grep -q "import 1 into big rolled back" "$SIMPUL_DATA.log"
expect_exit 0 "ls collections" sp ls rt03 --json
check "nothing of the import is left" contains "$OUT" '"collection":"big","records":1,'
expect_exit 0 "the record from before the import" sp get rt03 big k-000001 --json
check "is intact" contains "$OUT" '"sebelum": "impor"'
expect_exit 0 "the collection takes writes again" sp put rt03 big k-000002 --body '{}'
stop_node "$DPID"
start_node "$SIMPUL_DATA" || exit 1
DPID=$SP_LAST_PID
expect_exit 0 "after a restart" sp ls rt03 --json
check "the collection holds the two records put" contains "$OUT" '"collection":"big","records":2,'
expect_exit 0 "and the import runs whole now that there is room" \
	sp import rt03 big "$SP_TMP/fill.csv" --key-column id
check "all rows" contains "$OUT" "Imported 20000 rows"
stop_node "$DPID"
finish
