#!/usr/bin/env bash
# An import interrupted in the middle: refused by simpuld (rolled back by
# the time simpul exits), the CLI killed with SIGKILL (simpuld must
# survive, roll the import back and take a new import into the same
# collection), and simpuld sent SIGTERM (it must roll the import back and
# exit cleanly).
. "$(dirname "$0")/lib.sh"

export SIMPUL_DATA="$SP_TMP/n"
sp() { "$SIMPUL" "$@"; }
sp init >/dev/null
start_node "$SIMPUL_DATA" || exit 1
DPID=$SP_LAST_PID
N=150000
awk -v n=$N 'BEGIN { print "id,kepala,anggota,catatan"; for (i = 0; i < n; i++) printf "k-%07d,Warga %d,%d,%s\n", i, i, i % 9, "catatan panjang untuk menguji ukuran baris yang wajar" }' > "$SP_TMP/big.csv"
# imports_running: the number simpuld's status reports.
imports_running() {
	sp status --json 2>/dev/null | sed -n 's/.*"imports": *\([0-9]*\).*/\1/p'
}

# wait_imports N: until status reports N imports (10 s at most).
wait_imports() {
	local i
	for i in $(seq 1 200); do
		[ "$(imports_running)" = "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# start_import: a big import in the background, sending rows when this
# returns; IMPORT_PID is simpul's own pid (not a subshell's).
start_import() {
	"$SIMPUL" import "$C" big "$SP_TMP/big.csv" --key-column id >"$SP_TMP/import.out" 2>&1 &
	IMPORT_PID=$!
	wait_imports 1 && sleep 0.3
}

# new_community ALIAS: C=ALIAS, with one record in "big" an import will replace.
new_community() {
	C=$1
	sp community create "$C" >/dev/null &&
	    sp put "$C" big k-0000001 --body '{"before":"import"}' >/dev/null
}

# The pre-import state: one record, the one put before.
check_rolled_back() {
	expect_exit 0 "$1: the record the import would have replaced" sp get "$C" big k-0000001 --json
	check "$1: its pre-import version is back" contains "$OUT" '"before": "import"'
	expect_exit 0 "$1: ls collections" sp ls "$C" --json
	check "$1: no row of the import is left" contains "$OUT" '"collection":"big","records":1,'
}

# 1. The daemon refuses a late batch (a key's label would narrow): when
# simpul reports the failure, the rows already written are gone and the
# collection takes writes again.
new_community rt02
sp put "$C" big k-0140000 --body '{"label":"wider"}' --label shared >/dev/null
expect_exit 5 "an import labelled community, refused in its last batches" sp import "$C" big "$SP_TMP/big.csv" --key-column id --label community
check "the key that refused it is named" contains "$ERR" "k-0140000"
expect_exit 0 "ls collections right after" sp ls "$C" --json
check "nothing of the refused import is left" contains "$OUT" '"collection":"big","records":2,'
expect_exit 0 "the collection takes a put right after" sp put "$C" big k-0000002 --body '{"after":"refusal"}'

# 2. The CLI is killed in the middle of the import.
new_community rt03
check "the import runs" start_import
kill -9 "$IMPORT_PID"
wait "$IMPORT_PID" 2>/dev/null
check "simpuld survives the client's death" kill -0 "$DPID"
check "the import is rolled back and its collection released" wait_imports 0
check "the log says so" grep -q "rolled back" "$SIMPUL_DATA.log"
check_rolled_back "killed client"
expect_exit 0 "a new import into the same collection" sp import "$C" big "$SP_TMP/big.csv" --key-column id
check "all rows" contains "$OUT" "Imported $N rows"
expect_exit 0 "ls collections" sp ls "$C" --json
check "$N rows" contains "$OUT" "\"collection\":\"big\",\"records\":$N,"

# 3. simpuld gets SIGTERM in the middle of an import.
new_community rt04
: >"$SIMPUL_DATA.log"
check "the second import runs" start_import
kill -TERM "$DPID"
for i in $(seq 1 200); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.05; done
check "simpuld exits within 10 s" [ "$i" -lt 200 ]
wait "$DPID"
check "with status 0" [ $? -eq 0 ]
wait "$IMPORT_PID"
check "the CLI reports the failed import" [ $? -ne 0 ]
check "simpuld rolled the import back before it exited" grep -q "rolled back" "$SIMPUL_DATA.log"
check "and stopped cleanly" grep -q "stopped" "$SIMPUL_DATA.log"
start_node "$SIMPUL_DATA" || exit 1
DPID=$SP_LAST_PID
check_rolled_back "SIGTERM"
expect_exit 0 "the import completes after the restart" sp import "$C" big "$SP_TMP/big.csv" --key-column id
check "all rows" contains "$OUT" "Imported $N rows"

# 4. simpuld is killed (-9) in the middle of an import: the next start
# rolls it back (from the store's journal), and logs it as the other
# rollbacks are logged.
new_community rt05
check "a third import runs" start_import
IMPORT_ID=$(sed -n 's/.*import \([0-9]*\) into big started.*/\1/p' "$SIMPUL_DATA.log" | tail -1)
crash_node "$DPID"
wait "$IMPORT_PID" 2>/dev/null
: >"$SIMPUL_DATA.log"
start_node "$SIMPUL_DATA" || exit 1
DPID=$SP_LAST_PID
check "the start-up rollback of import $IMPORT_ID is logged as the others are" \
	grep -q "import $IMPORT_ID into big rolled back" "$SIMPUL_DATA.log"
check_rolled_back "kill -9"
stop_node "$DPID"
finish
