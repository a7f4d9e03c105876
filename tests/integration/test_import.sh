#!/usr/bin/env bash
# CSV import and export through the real CLI and daemon: Indonesian
# spreadsheet exports, bad rows named by line, all-or-nothing imports
# (also across kill -9), and export round trips.
. "$(dirname "$0")/lib.sh"

export SIMPUL_DATA="$SP_TMP/n"
sp() { "$SIMPUL" "$@"; }
sp init >/dev/null
start_node "$SIMPUL_DATA" || exit 1
DPID=$SP_LAST_PID
sp community create rt03 >/dev/null

DEMO="$SP_SRC/contrib/demo/biru-rt02/households.csv"
expect_exit 0 "import the demo CSV (';', BOM)" sp import rt03 households "$DEMO" --key-column id
ROWS=$(($(grep -c . "$DEMO") - 1))
check "every row imported" contains "$OUT" "Imported $ROWS rows"
expect_exit 0 "get an imported household" sp get rt03 households h-001 --json
check "RT number stays text" contains "$OUT" '"rt": "002"'
check "phone number stays text" contains "$OUT" '"telepon": "08'
check "member count is an integer" matches "$OUT" '"anggota": [0-9]+'

printf 'id,name,n\nx-1,Ani,1\nx-2,Budi\nx-3,Cici,3\n' > "$SP_TMP/bad.csv"
expect_exit 5 "a CSV with a bad row is refused" sp import rt03 people "$SP_TMP/bad.csv" --key-column id
check "the error names line 3" contains "$ERR" "line 3"
expect_exit 0 "nothing of it was stored" sp ls rt03
check "no people collection" [ "$(echo "$OUT" | grep -c people)" = 0 ]
expect_exit 0 "--skip-bad imports the good rows" sp import rt03 people "$SP_TMP/bad.csv" --key-column id --skip-bad
check "two imported, one skipped" contains "$OUT" "Imported 2 rows"
check "the skipped line is named" contains "$ERR" "line 3"
printf 'id,name\nx-1,Ani\nx-1,Ana\n' > "$SP_TMP/dup.csv"
expect_exit 5 "duplicate keys are refused" sp import rt03 dup "$SP_TMP/dup.csv" --key-column id
check "both lines named" contains "$ERR" "line 2"
expect_exit 5 "a missing key column" sp import rt03 people "$SP_TMP/bad.csv" --key-column nik
expect_exit 2 "import without --key-column" sp import rt03 people "$SP_TMP/bad.csv"
expect_exit 3 "a missing file" sp import rt03 people "$SP_TMP/nope.csv" --key-column id

# Export and re-import: the same table comes back.
expect_exit 0 "export csv" sp export rt03 households
echo "$OUT" > "$SP_TMP/export1.csv"
check "header starts with _key" [ "$(head -c 4 "$SP_TMP/export1.csv")" = "_key" ]
expect_exit 0 "re-import the export" sp import rt03 copy "$SP_TMP/export1.csv" --key-column _key
expect_exit 0 "export the copy" sp export rt03 copy
check "round trip is identical" [ "$OUT" = "$(cat "$SP_TMP/export1.csv")" ]
expect_exit 0 "export json lines" sp export rt03 households --format json
check "one line per household" [ "$(echo "$OUT" | wc -l)" = "$ROWS" ]
expect_exit 2 "an unknown export format" sp export rt03 households --format xml

# All or nothing across kill -9: a large import killed in the middle.
N=150000
awk -v n=$N 'BEGIN { print "id,kepala,anggota,catatan"; for (i = 0; i < n; i++) printf "k-%07d,Warga %d,%d,%s\n", i, i, i % 9, "catatan panjang untuk menguji ukuran baris yang wajar" }' > "$SP_TMP/big.csv"
sp put rt03 big k-0000001 --body '{"before":"import"}' >/dev/null
sp import rt03 big "$SP_TMP/big.csv" --key-column id >/dev/null 2>&1 &
IMPORT_PID=$!
for i in $(seq 1 400); do
	if sp status --json 2>/dev/null | grep -q '"imports": 1'; then break; fi
	sleep 0.05
done
sleep 0.3
crash_node "$DPID"
wait "$IMPORT_PID" 2>/dev/null
check "the import was still running when simpuld was killed" [ "$i" -lt 400 ]
start_node "$SIMPUL_DATA" || exit 1
DPID=$SP_LAST_PID
expect_exit 0 "get the record the import would have replaced" sp get rt03 big k-0000001 --json
check "the pre-import version is back" contains "$OUT" '"before": "import"'
expect_exit 0 "ls collections" sp ls rt03 --json
check "no other row of the killed import" contains "$OUT" '"collection":"big","records":1,'

expect_exit 0 "the same import completes" sp import rt03 big "$SP_TMP/big.csv" --key-column id
check "all rows" contains "$OUT" "Imported $N rows"
crash_node "$DPID"
start_node "$SIMPUL_DATA" || exit 1
DPID=$SP_LAST_PID
expect_exit 0 "after kill -9 the committed import is whole" sp ls rt03 --json
check "$N rows" contains "$OUT" "\"collection\":\"big\",\"records\":$N,"
stop_node "$DPID"
finish
