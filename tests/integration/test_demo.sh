#!/usr/bin/env bash
# The README's first command (contrib/demo.sh runs contrib/demo/run.sh
# after building): the whole federation on real daemons, in a directory
# kept for a look afterwards. Checked against the demo's spreadsheets,
# counted here independently (tests/tools/check_demo.py): every summary
# the hubs hold, every hub's aggregates and the kecamatan hub's reports
# give each category's true count or a range that holds it, and never
# show a count from 1 to k-1 or a hidden one; the community that withdrew
# is gone from all of them; report --verify passes at every hub; no hub
# holds a household, member or case. The data is what
# contrib/demo/generate.py writes.
. "$(dirname "$0")/lib.sh"

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

# The demo (its time is printed, never asserted: the machine is shared).
T0=$(date +%s)
SIMPUL=$SIMPUL SIMPULD=$SIMPULD timeout 300 bash "$DATA/run.sh" "$SP_TMP/demo" >"$SP_TMP/demo.out" 2>&1
RC=$?
T1=$(date +%s)
OUTPUT=$(cat "$SP_TMP/demo.out")
check "the demo succeeds (exit $RC, $((T1 - T0)) s)" test "$RC" -eq 0
[ "$RC" -eq 0 ] || sed 's/^/# /' "$SP_TMP/demo.out" | tail -n 40
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
check "the demo's report --verify passes" contains "$OUTPUT" "every figure checks out"
# The report is printed twice: the leaver's column (under the alias the hub gave it) only the first time.
LEAVER_AT=$(printf '%s\n' "$OUTPUT" | sed -n "s/^ *\([a-z2-7]*\) *$LEAVER (.*/\1/p")
BEFORE=$(printf '%s\n' "$OUTPUT" | sed -n '/report for/,/^== Groups per kind/p' | grep -c "$LEAVER_AT")
AFTER=$(printf '%s\n' "$OUTPUT" | sed -n '/column is gone/,/checked back/p' | grep -c "$LEAVER_AT")
check "the first report has $LEAVER's column ($LEAVER_AT)" test -n "$LEAVER_AT" -a "$BEFORE" -gt 2
check "the second has not" test "$AFTER" -eq 0

# The hubs, started again on the directories the demo left.
KEC=$SP_TMP/demo/hub-tanete-riattang
for h in "$SP_TMP"/demo/hub-*/; do start_node "${h%/}" --hub || exit 1; done
# CID: each community's id; VHUB, VID: its kelurahan hub's directory and
# node id; AT[HUB COMMUNITY]: the alias that hub gave the community.
declare -A CID VHUB VID AT
while IFS=, read -r a village _; do
	CID[$a]=$(basename "$SP_TMP/demo/$a"/communities/*.key .key)
	VHUB[$a]=$SP_TMP/demo/hub-$(printf %s "$village" | tr '[:upper:]' '[:lower:]')
	VID[$a]=$(sp "${VHUB[$a]}" id)
done < <(tail -n +2 "$DATA/communities.csv")
for h in "$SP_TMP"/demo/hub-*/; do
	list=$(sp "${h%/}" --json community ls | tr -d '\n ' | sed 's/},{/}\n{/g')
	for a in "${!CID[@]}"; do
		AT[${h%/} $a]=$(printf '%s\n' "$list" | sed -n "s/.*\"id\":\"${CID[$a]}\",\"alias\":\"\([^\"]*\)\".*/\1/p")
	done
done
# Only what hubs keep: charters, consents, summaries, aggregates, heartbeats.
only_hub_records() {
	local at bad=""
	for at in $(sp "$1" --json community ls | sed -n 's/.*"alias": "\([^"]*\)".*/\1/p'); do
		bad+=$(sp "$1" ls "$at" | awk 'NR > 1 && $1 !~ /^\.(charter|consent\.|summary\.|aggregate|heartbeat)/ { print $1 }')
	done
	[ -z "$bad" ] || { echo "$1 holds $bad"; return 1; }
}
# Checks by tests/tools/check_demo.py, run at once at the end (job LABEL
# CHECK ARGS...); a record or report is fetched into a file of its own.
: >"$SP_TMP/jobs"
NFETCHED=0
job() { local IFS=$'\t'; echo "$*" >>"$SP_TMP/jobs"; }
fetch() { NFETCHED=$((NFETCHED + 1)); FETCHED=$SP_TMP/fetched.$NFETCHED; sp "$@" >"$FETCHED" 2>&1; }
# summary_checks HUB COMMUNITY: its two summaries at that hub against its spreadsheets.
summary_checks() {
	local hub=$1 a=$2
	fetch "$hub" --json get "${AT[$hub $a]}" ".summary.${VID[$a]}" "pmks/$PERIOD"
	job "${hub##*/}: $a's pmks" summary "$FETCHED" "$DATA/$a/cases.csv" kategori "$DATA/pmks.txt" status=aktif
	fetch "$hub" --json get "${AT[$hub $a]}" ".summary.${VID[$a]}" "kelompok/$PERIOD"
	job "${hub##*/}: $a's kelompok" summary "$FETCHED" "$DATA/$a/groups.csv" jenis "$DATA/kelompok.txt"
}
# gone HUB COMMUNITY: the community's summaries and consents are deleted there.
gone() {
	local at=${AT[$1 $2]} vid=${VID[$2]} s
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
# The kecamatan hub's reports (csv) against the staying communities' spreadsheets.
columns=()
for a in "${STAYING[@]}"; do columns+=("${CID[$a]}=$DATA/$a/cases.csv"); done
fetch "$KEC" report pmks --period "$PERIOD" --format csv
job "the kecamatan hub's report of pmks" report "$FETCHED" 5 kategori "$DATA/pmks.txt" status=aktif "${columns[@]}"
columns=()
for a in "${STAYING[@]}"; do columns+=("${CID[$a]}=$DATA/$a/groups.csv"); done
fetch "$KEC" report kelompok --period "$PERIOD" --format csv
job "the kecamatan hub's report of kelompok" report "$FETCHED" 3 jenis "$DATA/kelompok.txt" - "${columns[@]}"
# Every hub's figures check out, and its aggregates hold the sums of the spreadsheets below it.
for h in "$SP_TMP"/demo/hub-*/; do
	h=${h%/}
	expect_exit 0 "report --verify at ${h##*/}" sp "$h" report --verify
	below=()
	for a in "${STAYING[@]}"; do
		[ "$h" != "$KEC" ] && [ "${VHUB[$a]}" != "$h" ] || below+=("$DATA/$a")
	done
	fetch "$h" --json get hub .aggregate "pmks/$PERIOD"
	job "${h##*/}'s aggregate of pmks" aggregate "$FETCHED" kategori "$DATA/pmks.txt" status=aktif \
		"${below[@]/%//cases.csv}"
	fetch "$h" --json get hub .aggregate "kelompok/$PERIOD"
	job "${h##*/}'s aggregate of kelompok" aggregate "$FETCHED" jenis "$DATA/kelompok.txt" - \
		"${below[@]/%//groups.csv}"
done

PUBLISHED=0 HIDDEN=0   # the cells of the summaries checked: published and not 0, hidden
NRESULTS=0
while IFS=$'\t' read -r result label said; do
	NRESULTS=$((NRESULTS + 1))
	if [ "$result" != ok ]; then fail "$label: $said"; continue; fi
	pass "$label ($said)"
	if [[ $said =~ ^published\ [0-9]+\ \(([0-9]+)\ not\ 0\),\ hidden\ ([0-9]+)$ ]]; then
		PUBLISHED=$((PUBLISHED + BASH_REMATCH[1])) HIDDEN=$((HIDDEN + BASH_REMATCH[2]))
	fi
done < <(python3 "$CHECK" batch <"$SP_TMP/jobs")
check "every check ran ($NRESULTS of $(grep -c . "$SP_TMP/jobs"))" test "$NRESULTS" -eq "$(grep -c . "$SP_TMP/jobs")"
check "some counts are hidden ($HIDDEN), most are not ($PUBLISHED published, not 0)" \
	test "$HIDDEN" -gt 0 -a "$PUBLISHED" -gt "$HIDDEN"
# The demo's daemons ran outside lib.sh's directory: their logs are read here.
for log in "$SP_TMP"/demo/*.log; do
	check "no sanitizer report in ${log##*/}" not grep -qE "(Address|Thread|Memory|Leak)Sanitizer|runtime error:" "$log"
done
finish
