#!/usr/bin/env bash
# The federation of contrib/demo.sh, on loopback, with the data of this
# folder (README.md here):
#
#   seven community nodes   each a community with its own key, its records
#                           imported from its spreadsheets
#   four kelurahan hubs     simpuld --hub: Biru, Manurunge, Watampone, Pappolo
#   one kecamatan hub       simpuld --hub above them: Tanete Riattang
#
# Each community defines two summaries (open welfare cases per PMKS
# category, groups per kind) and consents to its kelurahan hub; the
# kelurahan hubs pass what they hold up to the kecamatan hub, whose report
# and list of the communities' heartbeats are printed. Then one community
# withdraws its consent and leaves the report, and the report is verified
# back to the communities' signatures.
#
#   contrib/demo/run.sh [DIR]
#
# Runs simpul and simpuld from PATH, or $SIMPUL and $SIMPULD. Everything
# happens in DIR (kept, with every daemon stopped, for a look afterwards)
# or in a temporary directory removed at the end. Every daemon is stopped
# on exit, whatever happens.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SIMPUL=${SIMPUL:-simpul}
SIMPULD=${SIMPULD:-simpuld}
WAIT_SECONDS=60    # for any one thing to reach the kecamatan hub (a few seconds, normally)

if [ $# -gt 0 ]; then
	TOP=$1
	KEEP=1
	mkdir -p "$TOP"
	[ -z "$(ls -A "$TOP")" ] || { echo "run.sh: $TOP is not empty" >&2; exit 2; }
else
	TOP=$(mktemp -d "${TMPDIR:-/tmp}/simpul-demo.XXXXXX")
	KEEP=0
fi

PIDS=()
cleanup() {
	local p
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	[ "$KEEP" = 1 ] || rm -rf "$TOP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -t 1 ]; then B=$'\033[1m' D=$'\033[2m' N=$'\033[0m'; else B= D= N=; fi
say() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
note() { printf '   %s\n' "$*"; }
die() {
	local log
	printf '\ndemo failed: %s\n' "$*" >&2
	for log in "$TOP"/*.log; do
		[ -s "$log" ] || continue
		printf -- '--- last lines of %s\n' "$(basename "$log")" >&2
		tail -n 5 "$log" >&2
	done
	exit 1
}
set -E
trap 'die "the command on line $LINENO of $(shown "$0") failed"' ERR
# Paths as a reader of this repository would type them.
shown() { local a=$1; printf %s "${a#"$ROOT"/}"; }
# on NODE ARGS...: shows "[NODE]$ simpul ARGS" as one would type it, then runs it there.
on() {
	local n=$1 line="" a
	shift
	for a in "$@"; do
		a=$(shown "$a")
		case "$a" in
		*[!A-Za-z0-9_./=:,@+-]*) line="$line '$a'" ;;
		*) line="$line $a" ;;
		esac
	done
	printf '%s[%s]$ simpul%s%s\n' "$D" "$n" "$line" "$N"
	"$SIMPUL" --data "$TOP/$n" "$@" 2>&1 | sed 's/^/   /'
	return "${PIPESTATUS[0]}"
}
# quiet NODE ARGS...: the same, unseen.
quiet() { local n=$1; shift; "$SIMPUL" --data "$TOP/$n" "$@"; }
# step NODE ARGS...: on, for the first of a loop (SHOW=1); quiet, without output, for the others.
step() { if [ "$SHOW" = 1 ]; then on "$@"; else quiet "$@" >/dev/null; fi; }

# launch NODE [--hub]: a new data directory and its daemon, on a free loopback port.
launch() {
	local n=$1
	shift
	(quiet "$n" init >/dev/null && exec "$SIMPULD" --data "$TOP/$n" --listen 127.0.0.1:0 "$@") \
		2>"$TOP/$n.log" &
	PIDS+=($!)
	PIDOF[$n]=$!
}
# ready NODE: waits until NODE's daemon answers; sets PORTOF[NODE] and ID[NODE].
ready() {
	local n=$1 i port
	for i in $(seq 1 300); do
		if port=$(quiet "$n" --json status 2>/dev/null | sed -n 's/.*"listen": "[^"]*:\([0-9]*\)".*/\1/p') &&
			[ -n "$port" ]; then
			PORTOF[$n]=$port
			ID[$n]=$(quiet "$n" id)
			return 0
		fi
		kill -0 "${PIDOF[$n]}" 2>/dev/null || die "simpuld $n stopped at start"
		sleep 0.1
	done
	die "simpuld $n did not answer within 30 s"
}

# wait_until WHAT COMMAND...: polls COMMAND until it succeeds, or fails the demo.
wait_until() {
	local what=$1 t0 t
	shift
	t0=$(date +%s%N)
	printf '   waiting until %s ... ' "$what"
	until "$@" >/dev/null 2>&1; do
		t=$((($(date +%s%N) - t0) / 1000000000))
		[ "$t" -lt "$WAIT_SECONDS" ] || { echo; die "not after ${WAIT_SECONDS} s: $what"; }
		sleep 0.2
	done
	t=$((($(date +%s%N) - t0) / 1000000))
	printf 'done in %d.%d s\n' $((t / 1000)) $((t % 1000 / 100))
}

rows() { echo $(($(grep -c . "$1") - 1)); }
lower() { printf %s "$1" | tr '[:upper:]' '[:lower:]'; }

# --- the cast -----------------------------------------------------------
ALIASES=() VILLAGE=() NAME=()
while IFS=, read -r alias kelurahan _ name; do
	ALIASES+=("$alias")
	VILLAGE+=("$kelurahan")
	NAME+=("$name")
done < <(tail -n +2 "$HERE/communities.csv")
VILLAGES=()
for v in "${VILLAGE[@]}"; do
	case " ${VILLAGES[*]} " in *" $v "*) ;; *) VILLAGES+=("$v") ;; esac
done
KEC=hub-tanete-riattang
LEAVER=watampone-arisan     # the community that withdraws
PERIOD=$(date -u +%Y-%m)    # summaries are per month, in UTC
declare -A ID CID PIDOF PORTOF HUBOF VILLAGEOF
HUBS=()
for v in "${VILLAGES[@]}" tanete-riattang; do HUBS+=("hub-$(lower "$v")"); done

say "Tanete Riattang, Bone: ${#ALIASES[@]} communities in ${#VILLAGES[@]} kelurahan, a hub for each kelurahan, one for the kecamatan"
note "Every node below is a separate simpuld on this machine, with its own data directory and keys."
for a in "${ALIASES[@]}"; do launch "$a" --heartbeat-interval 2; done
for h in "${HUBS[@]}"; do launch "$h" --hub; done
for i in "${!ALIASES[@]}"; do
	a=${ALIASES[$i]}
	ready "$a"
	HUBOF[$a]=hub-$(lower "${VILLAGE[$i]}")
	VILLAGEOF[$a]=${VILLAGE[$i]}
	printf '   %-20s %-36s node %.12s...  127.0.0.1:%s\n' "$a" "${NAME[$i]}" "${ID[$a]}" "${PORTOF[$a]}"
done
for h in "${HUBS[@]}"; do
	ready "$h"
	if [ "$h" = "$KEC" ]; then what="kecamatan hub (simpuld --hub)"; else what="kelurahan hub (simpuld --hub)"; fi
	printf '   %-20s %-36s node %.12s...  127.0.0.1:%s\n' "$h" "$what" "${ID[$h]}" "${PORTOF[$h]}"
done

FIRST=${ALIASES[0]}
say "Each community creates its community key and imports its spreadsheets"
note "Shown for $FIRST; the others do the same with their own files."
for a in "${ALIASES[@]}"; do
	SHOW=0
	[ "$a" != "$FIRST" ] || SHOW=1
	step "$a" community create "$a"
	for c in households members cases groups; do
		step "$a" import "$a" "$c" "$HERE/$a/$c.csv" --key-column id
	done
	if [ "$SHOW" = 0 ]; then
		printf '   %-20s %3d households, %3d members, %2d welfare cases, %2d groups\n' "$a" \
			"$(rows "$HERE/$a/households.csv")" "$(rows "$HERE/$a/members.csv")" \
			"$(rows "$HERE/$a/cases.csv")" "$(rows "$HERE/$a/groups.csv")"
	fi
	CID[$a]=$(quiet "$a" --json community ls | sed -n 's/.*"id": "\([a-z2-7]*\)".*/\1/p')
done

say "Each community's admin defines two summaries: open cases per PMKS category, groups per kind"
note "A definition is a signed record of the community: every device of it counts the same way."
for a in "${ALIASES[@]}"; do
	SHOW=0
	[ "$a" != "$FIRST" ] || SHOW=1
	step "$a" summary define "$a" pmks --from cases --count-by kategori --categories "$HERE/pmks.txt" \
		--where status=aktif --period month
	step "$a" summary define "$a" kelompok --from groups --count-by jenis \
		--categories "$HERE/kelompok.txt" --period month --k 3
done
note "(the same for the other $((${#ALIASES[@]} - 1)) communities; groups are not people, so their counts are hidden only below 3)"

say "What would leave $FIRST: counts from 1 to 4 are hidden at the source, and enough others to keep them hidden"
on "$FIRST" summary show "$FIRST" pmks

say "Each community's admin consents to its kelurahan hub; nothing is published before that"
for a in "${ALIASES[@]}"; do
	SHOW=0
	[ "$a" != "$FIRST" ] || SHOW=1
	for s in pmks kelompok; do
		step "$a" summary consent "$a" "$s" --to "${ID[${HUBOF[$a]}]}"
	done
done
note "(the same for the other $((${#ALIASES[@]} - 1)) communities, each to the hub of its kelurahan)"

say "Peers: each community node dials its kelurahan hub; each kelurahan hub dials the kecamatan hub"
note "No policy is needed below a kelurahan hub: consents and summaries go to the hub they name, and nowhere else."
note "Between hubs, community '*' means every community, those the hub will learn too."
for a in "${ALIASES[@]}"; do
	SHOW=0
	[ "$a" != "$FIRST" ] || SHOW=1
	h=${HUBOF[$a]}
	step "$a" peer add "$h" "${ID[$h]}" "127.0.0.1:${PORTOF[$h]}"
	step "$h" peer add "$a" "${ID[$a]}"
done
for v in "${VILLAGES[@]}"; do
	SHOW=0
	[ "$v" != "${VILLAGES[0]}" ] || SHOW=1
	h=hub-$(lower "$v")
	step "$h" peer add tanete-riattang "${ID[$KEC]}" "127.0.0.1:${PORTOF[$KEC]}" --offer '*/*:public'
	step "$KEC" peer add "$(lower "$v")" "${ID[$h]}" --want '*/*:public'
done
note "(the same for the other communities and kelurahan hubs)"

# learnt: AT[community] = the alias the kecamatan hub gave it when it learnt it ("" before).
declare -A AT
learnt() {
	local a list
	list=$(quiet "$KEC" --json community ls | tr -d '\n ' | sed 's/},{/}\n{/g')
	for a in "${ALIASES[@]}"; do
		AT[$a]=$(printf '%s\n' "$list" | sed -n "s/.*\"id\":\"${CID[$a]}\",\"alias\":\"\([^\"]*\)\".*/\1/p")
	done
}
# kec_keys COMMUNITY: the keys of the community's summaries the kecamatan hub holds, on a line.
kec_keys() {
	[ -n "${AT[$1]}" ] || return 0
	quiet "$KEC" ls "${AT[$1]}" ".summary.${ID[${HUBOF[$1]}]}" | awk 'NR > 1 { printf "%s ", $1 }'
}
# kec_total NAME: "published suppressed lo hi" of the kecamatan hub's aggregate of NAME in all.
kec_total() {
	quiet "$KEC" --json get hub .aggregate "$1/$PERIOD" 2>/dev/null | tr -d '\n ' |
		sed -n 's/.*"totals":{"all":\[\([0-9]*\),\([0-9]*\),\([0-9]*\),\([0-9a-z]*\)\].*/\1 \2 \3 \4/p'
}
# open_cases ALIAS...: the open cases in their spreadsheets (status, the 6th field, is before any quoted one).
open_cases() {
	local a
	for a in "$@"; do cat "$HERE/$a/cases.csv"; done | awk -F '[;,]' '$6 == "aktif"' | wc -l
}
# groups_of ALIAS...: the groups in their directories.
groups_of() {
	local a n=0
	for a in "$@"; do n=$((n + $(rows "$HERE/$a/groups.csv"))); done
	echo "$n"
}
# Whether the kecamatan hub holds this period's summaries of exactly the
# communities named, every figure checks out, and its aggregates add up to
# their spreadsheets (every community's total is published in this data).
kec_holds() {
	local a keys both n
	learnt
	for a in "${ALIASES[@]}"; do
		keys=" $(kec_keys "$a")"
		both=0
		case "$keys" in *" pmks/$PERIOD "*) case "$keys" in *" kelompok/$PERIOD "*) both=1 ;; esac ;; esac
		case " $* " in
		*" $a "*) [ "$both" = 1 ] || return 1 ;;
		*) [ "$keys" = " " ] || return 1 ;;
		esac
	done
	quiet "$KEC" report --verify || return 1
	n=$(open_cases "$@")
	[ "$(kec_total pmks)" = "$n 0 $n $n" ] || return 1
	n=$(groups_of "$@")
	[ "$(kec_total kelompok)" = "$n 0 $n $n" ]
}
# Whether the kecamatan hub has a heartbeat from every community.
kec_heartbeats() {
	local health a
	health=$(quiet "$KEC" report health --format json)
	for a in "${ALIASES[@]}"; do
		printf '%s\n' "$health" | grep "\"community\":\"${CID[$a]}\"" | grep -q '"heartbeats":\[{' || return 1
	done
}
say "The summaries travel up: community nodes -> kelurahan hubs -> kecamatan hub"
wait_until "the kecamatan hub holds the summaries of all ${#ALIASES[@]} communities, and its totals add up" \
	kec_holds "${ALIASES[@]}"
wait_until "it has a heartbeat from each of them" kec_heartbeats

say "The kecamatan hub's report for $PERIOD: open cases per PMKS category, one column per community"
note "A hub knows each community by the first characters of its id (the report's columns, in this order):"
for a in "${ALIASES[@]}"; do
	printf '   %-14s %s (%s)\n' "${AT[$a]}" "$a" "${VILLAGEOF[$a]}"
done | LC_ALL=C sort
note "The communities' spreadsheets hold $(open_cases "${ALIASES[@]}") open cases in all."
on "$KEC" report pmks

say "Groups per kind at the kecamatan hub, one column per kelurahan hub (their aggregates)"
on "$KEC" report kelompok --by hub

say "Health without data: every community's nodes, their last heartbeat and sync, as the kecamatan hub sees them"
note "(community nodes write a heartbeat every 2 s in this demo; every 5 minutes by default)"
on "$KEC" report health

say "What the kecamatan hub holds of $FIRST: its charter, consents and summaries; no household, member or case"
on "$KEC" ls "${AT[$FIRST]}"

say "$LEAVER withdraws its consent"
for s in pmks kelompok; do
	on "$LEAVER" summary withdraw "$LEAVER" "$s" --to "${ID[${HUBOF[$LEAVER]}]}"
done
STAYING=()
for a in "${ALIASES[@]}"; do [ "$a" = "$LEAVER" ] || STAYING+=("$a"); done
wait_until "its summaries are gone from the kecamatan hub, and its totals add up again" kec_holds "${STAYING[@]}"

say "The report again: $LEAVER's column is gone"
note "The other communities' spreadsheets hold $(open_cases "${STAYING[@]}") open cases."
on "$KEC" report pmks

say "Every figure checked back to the communities' signatures"
on "$KEC" report --verify

for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
PIDS=()
say "Done: every daemon stopped"
[ "$KEEP" = 0 ] || note "Data directories and logs kept in $TOP"
