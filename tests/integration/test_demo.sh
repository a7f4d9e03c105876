#!/usr/bin/env bash
# The README's first command (contrib/demo.sh runs contrib/demo/run.sh
# after building): the whole federation on real daemons, in a directory
# kept for a look afterwards. Checked against the demo's spreadsheets,
# counted here independently (tests/tools/check_demo.py): every
# summary the hubs hold gives each category's true count or a range that
# holds it, and never a count from 1 to k-1; the community that withdrew
# is gone; no hub holds a household, member or case. The data is what
# contrib/demo/generate.py writes.
. "$(dirname "$0")/lib.sh"

# simpul report, being built on another branch: switched on here when it
# lands, and the demo must then use it (it says when it cannot).
REPORT=0

DATA=$SP_SRC/contrib/demo
CHECK=$SP_SRC/tests/tools/check_demo.py
sp() { local dir=$1; shift; "$SIMPUL" --data "$dir" "$@"; }
rows() { echo $(($(grep -c . "$1") - 1)); }

# The data checked in is the generator's output, byte for byte.
mkdir "$SP_TMP/gen"
python3 "$DATA/generate.py" "$SP_TMP/gen"
same_data() {
	local f
	for f in $(cd "$SP_TMP/gen" && find . -type f | sort); do
		cmp -s "$SP_TMP/gen/$f" "$DATA/$f" || { echo "differs: $f"; return 1; }
	done
	[ "$(cd "$DATA" && find . -name '*.csv' -o -name '*.txt' | sort)" = \
		"$(cd "$SP_TMP/gen" && find . -type f | sort)" ]
}
check "the demo data is generate.py's output" same_data
check "pmks.txt lists the 26 PMKS categories" test "$(grep -c . "$DATA/pmks.txt")" -eq 26

# The demo, with a deadline.
T0=$(date +%s)
SIMPUL=$SIMPUL SIMPULD=$SIMPULD timeout 150 bash "$DATA/run.sh" "$SP_TMP/demo" >"$SP_TMP/demo.out" 2>&1
RC=$?
T1=$(date +%s)
OUTPUT=$(cat "$SP_TMP/demo.out")
check "the demo succeeds (exit $RC)" test "$RC" -eq 0
[ "$RC" -eq 0 ] || sed 's/^/# /' "$SP_TMP/demo.out" | tail -n 40
check "the demo takes well under 2 minutes ($((T1 - T0)) s)" test $((T1 - T0)) -lt 90
check "no daemon of the demo is left" not pgrep -f "simpuld --data $SP_TMP/demo/"

# What the demo printed.
FIRST=biru-rt02
LEAVER=watampone-arisan
for c in households members cases groups; do
	check "the demo imports $FIRST's $c" contains "$OUTPUT" \
		"Imported $(rows "$DATA/$FIRST/$c.csv") rows into $FIRST/$c."
done
# Open cases, counted here from the spreadsheets with a real CSV reader.
open_cases() {
	python3 - "$@" <<-'EOF'
	import csv, io, sys
	n = 0
	for path in sys.argv[1:]:
	    text = open(path, encoding="utf-8-sig", newline="").read()
	    sep = ";" if ";" in text.splitlines()[0] else ","
	    n += sum(r["status"] == "aktif" for r in csv.DictReader(io.StringIO(text), delimiter=sep))
	print(n)
	EOF
}
ALIASES=($(tail -n +2 "$DATA/communities.csv" | cut -d, -f1))
ALL=$(cd "$DATA" && open_cases "${ALIASES[@]/%//cases.csv}")
STAYING=()
for a in "${ALIASES[@]}"; do [ "$a" = "$LEAVER" ] || STAYING+=("$a"); done
LEFT=$(cd "$DATA" && open_cases "${STAYING[@]/%//cases.csv}")
check "the demo gives the open cases in all ($ALL)" contains "$OUTPUT" "hold $ALL open cases in all"
check "and those after the withdrawal ($LEFT)" contains "$OUTPUT" "hold $LEFT open cases."
check "the demo withdraws $LEAVER's consents" contains "$OUTPUT" "$LEAVER kelompok: consent withdrawn"
HEALTH=$(printf '%s\n' "$OUTPUT" | sed -n '/^== Health without data/,/^== /p')
check "the kecamatan hub's health shows a heartbeat of each community" \
	test "$(printf '%s\n' "$HEALTH" | grep -c ' node .* heartbeat 20')" -eq "${#ALIASES[@]}"
PERIOD=$(printf '%s\n' "$OUTPUT" | sed -n 's/.* report for \([0-9-]*\):.*/\1/p' | head -n 1)
check "the demo names the period ($PERIOD)" matches "$PERIOD" '^[0-9]{4}-[0-9]{2}$'
# A part not built yet is said so, and one built is used.
says() { if [ "$2" = 1 ]; then not contains "$OUTPUT" "$1"; else contains "$OUTPUT" "$1"; fi; }
check "report: used if built (REPORT=$REPORT)" says "simpul report is not built yet" "$REPORT"
check "the demo's report --verify passes" contains "$OUTPUT" "every figure checks out"
if [ "$REPORT" = 1 ]; then
	# The report is printed twice: the leaver's column (under the alias the hub gave it) only the first time.
	AT=$(printf '%s\n' "$OUTPUT" | sed -n "s/^ *\([a-z2-7]*\) *$LEAVER (.*/\1/p")
	BEFORE=$(printf '%s\n' "$OUTPUT" | sed -n '/report for/,/^== Health/p' | grep -c "$AT")
	AFTER=$(printf '%s\n' "$OUTPUT" | sed -n '/column is gone/,/checked back/p' | grep -c "$AT")
	check "the first report has $LEAVER's column" test "$BEFORE" -gt 1
	check "the second has not" test "$AFTER" -eq 0
fi

# The hubs, started again on the directories the demo left.
KEC=$SP_TMP/demo/hub-tanete-riattang
for h in "$SP_TMP"/demo/hub-*/; do start_node "${h%/}" --hub || exit 1; done
declare -A CID VHUB
while IFS=, read -r a village _; do
	CID[$a]=$(basename "$SP_TMP/demo/$a"/communities/*.key .key)
	VHUB[$a]=$SP_TMP/demo/hub-$(printf %s "$village" | tr '[:upper:]' '[:lower:]')
done < <(tail -n +2 "$DATA/communities.csv")

# The alias hub $1 gave community id $2.
alias_at() { sp "$1" --json community ls | tr -d '\n ' | sed 's/},{/}\n{/g' |
	sed -n "s/.*\"id\":\"$2\",\"alias\":\"\([^\"]*\)\".*/\1/p"; }
# Only what hubs keep: charters, consents, summaries, aggregates, heartbeats.
only_hub_records() {
	local at bad=""
	for at in $(sp "$1" --json community ls | sed -n 's/.*"alias": "\([^"]*\)".*/\1/p'); do
		bad+=$(sp "$1" ls "$at" | awk 'NR > 1 && $1 !~ /^\.(charter|consent\.|summary\.|aggregate|heartbeat)/ { print $1 }')
	done
	[ -z "$bad" ] || { echo "$1 holds $bad"; return 1; }
}
# summary_check HUB COMMUNITY NAME ARGS...: that summary at that hub against
# the community's spreadsheet (ARGS: the checker's after the record); adds
# its cells to PUBLISHED (those not 0) and HIDDEN.
PUBLISHED=0 HIDDEN=0
summary_check() {
	local hub=$1 a=$2 name=$3 at vid out rc
	shift 3
	at=$(alias_at "$hub" "${CID[$a]}")
	vid=$(sp "${VHUB[$a]}" id)
	sp "$hub" --json get "$at" ".summary.$vid" "$name/$PERIOD" >"$SP_TMP/s.json" 2>&1
	out=$(python3 "$CHECK" summary "$SP_TMP/s.json" "$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		pass "${hub##*/}: $a's $name ($out)"
		set -- $out
		PUBLISHED=$((PUBLISHED + ${3#\(})) HIDDEN=$((HIDDEN + $7))
	else
		fail "${hub##*/}: $a's $name: $(echo $out)"
	fi
}
summary_checks() {
	summary_check "$1" "$2" pmks "$DATA/$2/cases.csv" kategori "$DATA/pmks.txt" status=aktif
	summary_check "$1" "$2" kelompok "$DATA/$2/groups.csv" jenis "$DATA/kelompok.txt"
}
# gone HUB COMMUNITY: the community's summaries and consents are deleted there.
gone() {
	local at vid s
	at=$(alias_at "$1" "${CID[$2]}")
	vid=$(sp "${VHUB[$2]}" id)
	for s in pmks kelompok; do
		sp "$1" get "$at" ".summary.$vid" "$s/$PERIOD" >/dev/null 2>&1 && return 1
		sp "$1" get "$at" ".consent.$vid" "$s" >/dev/null 2>&1 && return 1
	done
	sp "$1" ls "$at" ".summary.$vid" --all | grep -q "pmks/$PERIOD"
}

for h in "$SP_TMP"/demo/hub-*/; do
	check "$(basename "$h") holds no household, member or case" only_hub_records "${h%/}"
done
for a in "${STAYING[@]}"; do summary_checks "${VHUB[$a]}" "$a"; done
check "$LEAVER is gone from its kelurahan hub" gone "${VHUB[$LEAVER]}" "$LEAVER"
for a in "${STAYING[@]}"; do summary_checks "$KEC" "$a"; done
check "$LEAVER is gone from the kecamatan hub" gone "$KEC" "$LEAVER"
# report_check NAME K FIELD CATEGORIES WHERE|- FILE: the kecamatan hub's
# report of NAME (csv) against the staying communities' spreadsheets.
report_check() {
	local name=$1 k=$2 field=$3 categories=$4 where=$5 file=$6 a out rc
	local columns=()
	for a in "${STAYING[@]}"; do columns+=("${CID[$a]}=$DATA/$a/$file"); done
	sp "$KEC" report "$name" --period "$PERIOD" --format csv >"$SP_TMP/report.csv" 2>&1
	out=$(python3 "$CHECK" report "$SP_TMP/report.csv" "$k" "$field" "$categories" "$where" "${columns[@]}" 2>&1)
	rc=$?
	check "the kecamatan hub's report of $name: $(echo $out)" test "$rc" -eq 0
}
if [ "$REPORT" = 1 ]; then
	report_check pmks 5 kategori "$DATA/pmks.txt" status=aktif cases.csv
	report_check kelompok 3 jenis "$DATA/kelompok.txt" - groups.csv
fi
# aggregate_check HUB NAME FIELD CATEGORIES WHERE|- COMMUNITY/FILE...: the
# hub's aggregate of NAME against those spreadsheets.
aggregate_check() {
	local hub=$1 name=$2 field=$3 categories=$4 where=$5 out rc
	shift 5
	sp "$hub" --json get hub .aggregate "$name/$PERIOD" >"$SP_TMP/a.json" 2>&1
	out=$(python3 "$CHECK" aggregate "$SP_TMP/a.json" "$field" "$categories" "$where" \
		"${@/#/$DATA/}" 2>&1)
	rc=$?
	check "${hub##*/}'s aggregate of $name: $(echo $out)" test "$rc" -eq 0
}
for h in "$SP_TMP"/demo/hub-*/; do
	h=${h%/}
	expect_exit 0 "report --verify at ${h##*/}" sp "$h" report --verify
	below=()
	for a in "${STAYING[@]}"; do
		[ "$h" != "$KEC" ] && [ "${VHUB[$a]}" != "$h" ] || below+=("$a")
	done
	aggregate_check "$h" pmks kategori "$DATA/pmks.txt" status=aktif "${below[@]/%//cases.csv}"
	aggregate_check "$h" kelompok jenis "$DATA/kelompok.txt" - "${below[@]/%//groups.csv}"
done
check "some counts are hidden ($HIDDEN), most are not ($PUBLISHED published, not 0)" \
	test "$HIDDEN" -gt 0 -a "$PUBLISHED" -gt "$HIDDEN"
# The demo's daemons ran outside lib.sh's directory: their logs are read here.
for log in "$SP_TMP"/demo/*.log; do
	check "no sanitizer report in ${log##*/}" not grep -qE "(Address|Thread|Memory|Leak)Sanitizer|runtime error:" "$log"
done
finish
