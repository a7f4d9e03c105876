#!/usr/bin/env bash
# The control commands, three ways (issue 9, defect 17): the command table
# of a running simpuld (its "commands" reply), the table in
# docs/PROTOCOL.md, and what simpul really sends. The CLI's side is taken
# from a tour: every command `simpul --help` lists is run once against the
# daemon, whose log names each control request it receives. README's
# command table must list what `simpul --help` lists.
. "$(dirname "$0")/lib.sh"

SRC="$(dirname "$0")/../.."
CTL_CLIENT="$SRC/tests/tools/ctl_client.py"
export SIMPUL_DATA="$SP_TMP/n"
sp() { "$SIMPUL" "$@"; }
sp init >/dev/null
start_node "$SIMPUL_DATA" || exit 1
DPID=$SP_LAST_PID
LOG="$SIMPUL_DATA.log"

# same WHAT A B: the two sorted lists of words are equal; if not, says how.
same() {
	local what=$1 diff
	if diff=$(diff <(echo "$2") <(echo "$3")); then
		pass "$what"
	else
		fail "$what: $(echo "$diff" | grep '^[<>]' | tr '\n' ' ')"
	fi
}

# The daemon's table.
DAEMON=$(python3 "$CTL_CLIENT" "$SIMPUL_DATA/simpuld.sock" call commands |
	python3 -c 'import json, sys; print("\n".join(sorted(json.load(sys.stdin)["commands"])))')
check "simpuld lists its commands" [ "$(echo "$DAEMON" | wc -l)" -gt 20 ]

# PROTOCOL.md: the first column of the table under "### Commands" in the
# control protocol part (a row may name several: `rm`, `erase`).
DOC=$(awk '/^## Control protocol/ { c = 1 } /^## Peer protocol/ { c = 0 }
	c && /^### / { t = ($0 == "### Commands") } c && t && /^\| `/ { print }' \
	"$SRC/docs/PROTOCOL.md" | cut -d'|' -f2 | grep -o '`[^`]*`' | tr -d '`' | sort -u)
same "PROTOCOL.md lists exactly the commands simpuld serves" "$DAEMON" "$DOC"

# simpul --help: each command's words, before its arguments.
# A second word is a word of the command, or an option that makes one (report --verify).
HELP=$(sp --help | awk '/^  [a-z]/ { w = $1; if ($2 ~ /^(--)?[a-z][a-z-]*$/) w = w " " $2; print w }' | sort)
check "simpul --help lists its commands" [ "$(echo "$HELP" | wc -l)" -gt 20 ]
README=$(awk '/^## Commands/ { c = 1; next } /^## / { c = 0 } c && /^\| `/' "$SRC/README.md" |
	cut -d'|' -f2 | sed 's/^ *`//; s/`.*//' |
	awk '{ w = $1; if ($2 ~ /^(--)?[a-z][a-z-]*$/) w = w " " $2; print w }' | sort)
same "README's command table lists exactly simpul's commands" "$HELP" "$README"

# The tour: each step is one simpul command (its words first), in an order
# that gives each what it needs. The import is run twice: once through,
# once refused in its first batch (of 4,000 rows), which the third batch's
# reply reports, so that simpul sends import.abort.
OTHER=$(new_node other) || exit 1
OTHER_ID=$("$SIMPUL" --data "$OTHER" id)
printf 'id,nama\nk-1,satu\nk-2,dua\n' >"$SP_TMP/rows.csv"
awk 'BEGIN { print "id,nama"; print "shared-1,narrower"; for (i = 0; i < 12000; i++) printf "n-%05d,baris %d\n", i, i }' >"$SP_TMP/narrowing.csv"
TOUR=(
	"0|init|$SIMPUL --data $SP_TMP/fresh init"
	"0|id|$SIMPUL id"
	"0|status|$SIMPUL status"
	"0|community create|$SIMPUL community create rt03"
	"0|community ls|$SIMPUL community ls"
	"0|community join|$SIMPUL community join $OTHER_ID partner"
	"0|community add-writer|$SIMPUL community add-writer rt03 $OTHER_ID"
	"0|community remove-writer|$SIMPUL community remove-writer rt03 $OTHER_ID"
	"0|community export-key|$SIMPUL community export-key rt03 $SP_TMP/rt03.key"
	"0|community import-key|$SIMPUL community import-key $SP_TMP/rt03.key"
	"0|put|$SIMPUL put rt03 rows shared-1 --body {} --label shared"
	"0|import|$SIMPUL import rt03 rows $SP_TMP/rows.csv --key-column id"
	"5|import|$SIMPUL import rt03 rows $SP_TMP/narrowing.csv --key-column id --label community"
	"0|get|$SIMPUL get rt03 rows k-1"
	"0|ls|$SIMPUL ls rt03"
	"0|export|$SIMPUL export rt03 rows"
	"0|rm|$SIMPUL rm rt03 rows k-1"
	"0|erase|$SIMPUL erase rt03 rows k-2"
	"0|peer add|$SIMPUL peer add rw07 $OTHER_ID 127.0.0.1:1"
	"0|peer ls|$SIMPUL peer ls"
	"0|peer sync|$SIMPUL peer sync rw07"
	"0|peer rm|$SIMPUL peer rm rw07"
	"0|summary define|$SIMPUL summary define rt03 pmks --from cases --count-by category"
	"0|summary ls|$SIMPUL summary ls rt03"
	"0|summary show|$SIMPUL summary show rt03 pmks"
	"0|summary consent|$SIMPUL summary consent rt03 pmks --to $OTHER_ID"
	"0|summary withdraw|$SIMPUL summary withdraw rt03 pmks --to $OTHER_ID"
	"0|summary rm|$SIMPUL summary rm rt03 pmks"
	"0|report health|$SIMPUL report health"
	"0|report --verify|$SIMPUL report --verify"
	"5|report|$SIMPUL report pmks"
	"0|stop|$SIMPUL stop"
)
requests() { sed -n 's/.* control request \([a-z0-9.-]*\)$/\1/p' "$LOG"; }
SENT=""
TOURED=""
for step in "${TOUR[@]}"; do
	IFS='|' read -r code words cmd <<<"$step"
	before=$(requests | wc -l)
	# Passphrases come as one line of standard input.
	expect_exit "$code" "tour: simpul $words" sh -c "echo 'kata sandi' | $cmd"
	SENT+=$(requests | tail -n +$((before + 1)))$'\n'
	TOURED+="$words"$'\n'
done
wait "$DPID"
check "simpuld stopped at the end of the tour" [ $? -eq 0 ]

same "the tour runs every command simpul --help lists" "$HELP" "$(echo -n "$TOURED" | sort -u)"
# What simpul never sends: for scripts and monitoring (PROTOCOL.md says so).
SENT=$(printf '%s\nping\ncommands\n' "$SENT" | grep . | sort -u)
same "simpul sends every command simpuld serves but ping and commands, and no other" "$DAEMON" "$SENT"
finish
