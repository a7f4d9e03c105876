#!/usr/bin/env bash
# simpul report on a hub, real daemons (docs/REPORTS.md): three communities
# consent their summary to a hub, one publishing everything, one hiding a
# small count and its complement, one whose total is below k; the hub's
# report shows each community's figures and the total as table, CSV, JSON
# and ADX (checked against the ADX shape with xmllint), a hidden count
# never as its value; a two-way summary; the errors; a community that
# withdraws leaves the report.
. "$(dirname "$0")/lib.sh"

sp() { local dir=$1; shift; "$SIMPUL" --data "$dir" "$@"; }
H=$(new_node h)
start_node "$H" --hub || exit 1
HID=$(sp "$H" id)
PERIOD=$(date -u +%Y-%m)
printf 'anak\nlansia\n' >"$SP_TMP/pmks.txt"

# community NAME DIR SEX:CATEGORY...: a node with a community of that
# name, its cases, summary pmks consented to the hub, peered with it.
community() {
	local name=$1 dir=$2 i=0 c
	shift 2
	start_node "$dir" || exit 1
	sp "$dir" community create "$name" >/dev/null
	for c in "$@"; do
		i=$((i + 1))
		sp "$dir" put "$name" cases "c$i" \
			--body "{\"category\":\"${c#*:}\",\"sex\":\"${c%%:*}\"}" >/dev/null
	done
	sp "$dir" summary define "$name" pmks --from cases --count-by category \
		--categories "$SP_TMP/pmks.txt" >/dev/null
	sp "$dir" summary consent "$name" pmks --to "$HID" >/dev/null
	sp "$dir" peer add h "$HID" "127.0.0.1:$(node_port "$H")" >/dev/null
	sp "$H" peer add "$name" "$(sp "$dir" id)" >/dev/null
}
# The community's id, and its alias at the hub (the id's first 12 characters).
cid() { sp "$1" community ls --json | tr -d '\n ' | sed -n 's/.*"id":"\([a-z2-7]*\)".*/\1/p'; }
rep() { printf '%s' "$1" | cut -c1-12; }

# rt03 publishes every count; rt05 hides anak (2) and lansia with it; rt07
# has 3 cases, fewer than k = 5: everything but the zeros is hidden.
A=$(new_node a); B=$(new_node b); C=$(new_node c)
community rt03 "$A" L:anak L:anak L:anak P:anak P:anak P:anak \
	L:lansia L:lansia L:lansia P:lansia P:lansia P:lansia P:lansia
community rt05 "$B" L:anak P:anak L:lansia L:lansia L:lansia L:lansia L:lansia \
	P:lansia P:lansia P:lansia P:lansia
community rt07 "$C" L:anak P:anak P:lansia
AC=$(cid "$A"); BC=$(cid "$B"); CC=$(cid "$C")
AA=$(rep "$AC"); BA=$(rep "$BC"); CA=$(rep "$CC")
# A second, two-way summary of rt03: category x sex (every cell 3 or 4, so all hidden).
sp "$A" summary define rt03 bysex --from cases --count-by category,sex \
	--categories "$SP_TMP/pmks.txt" >/dev/null
sp "$A" summary consent rt03 bysex --to "$HID" >/dev/null
at_hub() { sp "$H" get "$(rep "$1")" ".summary.$HID" "$2/$PERIOD" >/dev/null 2>&1; }
wait_for 30 "the hub has rt03's summary" at_hub "$AC" pmks
wait_for 30 "the hub has rt05's summary" at_hub "$BC" pmks
wait_for 30 "the hub has rt07's summary" at_hub "$CC" pmks
wait_for 30 "the hub has rt03's two-way summary" at_hub "$AC" bysex

# The table: a column per community (alias order), then the total.
expect_exit 0 "report pmks" sp "$H" report pmks
TABLE=$OUT
check "the title names the summary, the period and the columns" \
	contains "$TABLE" "pmks, period $PERIOD, by community: 3 communities"
# cell ROW ALIAS: the table's text at that row and column.
cell() {
	printf '%s\n' "$TABLE" | awk -v row="$1" -v col="$2" '
		NR == 3 { for (i = 1; i <= NF; i++) at[$i] = i + 1 }
		NR > 3 && $1 == row { print $(at[col]); exit }'
}
is() { [ "$(cell "$1" "$2")" = "$3" ] || { echo "cell $1 $2: '$(cell "$1" "$2")', wanted '$3'" >&2; false; }; }
check "rt03: anak 6" is anak "$AA" 6
check "rt03: lansia 7" is lansia "$AA" 7
check "rt03: other 0" is other "$AA" 0
check "rt03: total 13" is total "$AA" 13
check "rt05: anak hidden, 1 to 10 (never its 2)" is anak "$BA" "[1-10]"
check "rt05: lansia hidden with it" is lansia "$BA" "[1-10]"
check "rt05: total 11" is total "$BA" 11
check "rt07: anak hidden, at least 1 (never its 2)" is anak "$CA" "[>=1]"
check "rt07: lansia hidden (never its 1)" is lansia "$CA" "[>=1]"
check "rt07: its total hidden, at least 2" is total "$CA" "[>=2]"
check "total: anak at least 8" is anak total ">=8"
check "total: lansia at least 9" is lansia total ">=9"
check "total: other 0" is other total 0
check "total: at least 26" is total total ">=26"
check "a legend line" contains "$TABLE" "[a-b] a hidden count, from a to b;"
check "each community by id" contains "$TABLE" "community $BA: $BC"
expect_exit 0 "report pmks --period $PERIOD" sp "$H" report pmks --period "$PERIOD"
check "the period held is the default" [ "$OUT" = "$TABLE" ]

# CSV: one line a figure, CRLF.
expect_exit 0 "report --format csv" sp "$H" report pmks --format csv
CSV=$OUT
check "CSV header" [ "$(printf '%s\n' "$CSV" | head -1)" = $'name,period,kind,id,column,row,col,value,published,suppressed,lo,hi\r' ]
check "CSV lines end in CRLF" [ "$(printf '%s\n' "$CSV" | grep -c $'\r$')" -eq "$(printf '%s\n' "$CSV" | wc -l)" ]
check "CSV: 4 figures per column, 4 columns" [ "$(printf '%s\n' "$CSV" | wc -l)" -eq 17 ]
check "CSV: rt03 anak 6" contains "$CSV" "pmks,$PERIOD,community,$AC,$AA,anak,,6,6,0,6,6"$'\r'
check "CSV: rt05 anak hidden: no value, 1 to 10" contains "$CSV" "pmks,$PERIOD,community,$BC,$BA,anak,,,0,1,1,10"$'\r'
check "CSV: rt07 anak hidden, unbounded" contains "$CSV" "pmks,$PERIOD,community,$CC,$CA,anak,,,0,1,1,"$'\r'
check "CSV: the total, by this hub's id" contains "$CSV" "pmks,$PERIOD,total,$HID,total,,,,24,1,26,"$'\r'
check "CSV: no hidden count as a value" [ -z "$(printf '%s\n' "$CSV" | awk -F, 'NR > 1 && $10 != "0" && $8 != ""')" ]

# JSON, by --format json and by --json.
expect_exit 0 "report --format json" sp "$H" report pmks --format json
JSON=$OUT
expect_exit 0 "report with --json" sp "$H" --json report pmks
check "--json writes the same JSON" [ "$OUT" = "$JSON" ]
json_check() {
	printf '%s' "$JSON" | python3 -c '
import json, sys
r = json.load(sys.stdin)
cols = {c["alias"]: c for c in r["columns"]}
a, b, c = (cols[x] for x in sys.argv[1:4])
fig = lambda p, s, lo, hi: {"published": p, "suppressed": s, "lo": lo, "hi": hi}
assert r["name"] == "pmks" and r["by"] == "community" and r["hub"] == sys.argv[4], r
assert r["rows"] == ["anak", "lansia", "other"] and r["cols"] == [], r
assert a["figs"] == [[fig(6, 0, 6, 6)], [fig(7, 0, 7, 7)], [fig(0, 0, 0, 0)], [fig(13, 0, 13, 13)]], a
assert b["figs"][0] == [fig(0, 1, 1, 10)] and b["k"] == 5 and b["id"] == sys.argv[5], b
assert c["figs"][0] == [fig(0, 1, 1, None)] and c["figs"][3] == [fig(0, 1, 2, None)], c
assert r["total"]["figs"] == [[fig(6, 2, 8, None)], [fig(7, 2, 9, None)], [fig(0, 0, 0, 0)],
    [fig(24, 1, 26, None)]], r["total"]
assert r["left_out"] == []
' "$AA" "$BA" "$CA" "$HID" "$BC"
}
check "JSON: every figure" json_check

# ADX, checked against its shape (tests/fixtures/adx.xsd).
expect_exit 0 "report --format adx" sp "$H" report pmks --format adx
ADX=$OUT
printf '%s\n' "$ADX" >"$SP_TMP/report.xml"
check "ADX: well-formed and of ADX's shape" adx_shape "$SP_TMP/report.xml"
check "ADX: the period as ADX writes it" contains "$ADX" "period=\"$PERIOD-01/P1M\""
# group ORG: the dataValue lines of that org unit's group.
group() { printf '%s\n' "$ADX" | sed -n "/orgUnit=\"$1\"/,/<\/group>/p"; }
check "ADX: rt03's anak" contains "$(group "$AC")" '<dataValue dataElement="anak" value="6"/>'
check "ADX: rt03's total as the summary's name" contains "$(group "$AC")" '<dataValue dataElement="pmks" value="13"/>'
check "ADX: rt05's hidden anak left out" not contains "$(group "$BC")" 'dataElement="anak"'
check "ADX: rt05's total" contains "$(group "$BC")" '<dataValue dataElement="pmks" value="11"/>'
check "ADX: and said so" contains "$(group "$BC")" "<!-- 2 values left out"
check "ADX: the hub's group carries what is exact" contains "$(group "$HID")" '<dataValue dataElement="other" value="0"/>'
check "ADX: no hidden figure as a value" not contains "$(group "$HID")" 'dataElement="anak"'
sed 's/-01\/P1M/-02\/P1M/' "$SP_TMP/report.xml" >"$SP_TMP/bad.xml"
refused() { ! adx_shape "$1" >/dev/null; }
check "the shape check refuses a period ADX does not write" refused "$SP_TMP/bad.xml"

# Two ways: a row per category and second value, their totals.
expect_exit 0 "report bysex" sp "$H" report bysex
check "two-way rows: category / value" contains "$OUT" $'\nanak / L '
check "two-way rows: a category's total" contains "$OUT" $'\nanak / total '
check "two-way rows: a value's total" contains "$OUT" $'\ntotal / P '
check "anak / L hidden in rt03's column and the total (never its 3)" \
	matches "$OUT" $'\nanak / L +\\[[0-9>=-]+\\] +\\[[0-9>=-]+\\]\n'
expect_exit 0 "report bysex --format adx" sp "$H" report bysex --format adx
printf '%s\n' "$OUT" >"$SP_TMP/bysex.xml"
check "two-way ADX of ADX's shape" adx_shape "$SP_TMP/bysex.xml"
check "two-way ADX: the grand total" contains "$OUT" '<dataValue dataElement="bysex" value="13"/>'

# By hub: no hub below this one, so a column for its own communities, then
# the total, which is the hub's own aggregate (written a second after its
# summaries change) figure for figure.
expect_exit 0 "report pmks --by hub" sp "$H" report pmks --by hub
TABLE=$OUT
check "by hub: one column" contains "$TABLE" "pmks, period $PERIOD, by hub: 1 column"
check "by hub: its own communities' anak" is anak direct ">=8"
check "by hub: their total" is total direct ">=26"
check "by hub: the total" is total total ">=26"
check "by hub: the column is this hub's" contains "$TABLE" "own direct: $HID"
same_as_aggregate() {
	local report aggregate
	report=$(sp "$H" --json report pmks --by hub) &&
		aggregate=$(sp "$H" --json get hub .aggregate "pmks/$PERIOD") &&
		python3 -c '
import json, sys
r, a = json.loads(sys.argv[1]), json.loads(sys.argv[2])["body"]
fig = lambda f: {"published": f[0], "suppressed": f[1], "lo": f[2], "hi": f[3]}
want = [[fig(c) for c in row] for row in a["cells"]] + [[fig(a["totals"]["all"])]]
assert a["rows"] == r["rows"], (a["rows"], r["rows"])
assert r["total"]["figs"] == want, (r["total"]["figs"], want)
assert [c["kind"] for c in r["columns"]] == ["own"] and r["columns"][0]["id"] == sys.argv[3]
' "$report" "$aggregate" "$HID"
}
wait_for 30 "by hub: the total is the hub's aggregate" same_as_aggregate
expect_exit 0 "report pmks --by hub --format adx" sp "$H" report pmks --by hub --format adx
printf '%s\n' "$OUT" >"$SP_TMP/byhub.xml"
check "by hub ADX of ADX's shape" adx_shape "$SP_TMP/byhub.xml"
check "by hub ADX: the hub's own communities are in its total, one group" \
	[ "$(grep -c '<group ' "$SP_TMP/byhub.xml")" -eq 1 ]
check "by hub ADX: the group is the hub's" contains "$OUT" "orgUnit=\"$HID\""

# Errors, each precise.
expect_exit 3 "an unknown summary" sp "$H" report nope
check "says no summary of that name is held" contains "$ERR" "no summary named 'nope' is held at this hub"
expect_exit 3 "a period not held" sp "$H" report pmks --period 2020-01
check "names the periods held" contains "$ERR" "no summary pmks of period 2020-01 is held at this hub; periods held: $PERIOD"
expect_exit 2 "a bad period" sp "$H" report pmks --period 2026-13
check "says how to write one" contains "$ERR" "--period '2026-13': write a period as summaries do"
expect_exit 2 "a bad --by" sp "$H" report pmks --by area
check "names --by's values" contains "$ERR" "--by 'area': community"
expect_exit 2 "a bad --format" sp "$H" report pmks --format xml
check "names the formats" contains "$ERR" "--format 'xml': table, csv, json or adx"
expect_exit 2 "a bad name" sp "$H" report Pmks
expect_exit 2 "no name" sp "$H" report
expect_exit 2 "--to is not an option of report" sp "$H" report pmks --to "$HID"
expect_exit 5 "on a node that is not a hub" sp "$A" report pmks
check "says report needs a hub" contains "$ERR" "this node is not a hub: reports are made on a hub"

# rt05 withdraws: its column leaves the report at the next sync.
sp "$B" summary withdraw rt05 pmks --to "$HID" >/dev/null
two_left() { sp "$H" report pmks | grep -q "by community: 2 communities"; }
wait_for 30 "rt05's column is gone after it withdrew" two_left
expect_exit 0 "report pmks" sp "$H" report pmks
check "no rt05 in the report" not contains "$OUT" "$BA"
TABLE=$OUT
check "total: anak at least 7 without rt05" is anak total ">=7"
finish
