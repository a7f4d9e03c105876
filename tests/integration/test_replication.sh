#!/usr/bin/env bash
# Selective replication between real simpuld processes on loopback: a line
# of three nodes (two members of one community and a partner), a fourth
# node behind the partner; then members only, in a ring of five, a line of
# five and a ring of three. Every write must
# reach exactly the nodes entitled to it: checked in each store and in the
# count of records that arrived at each receiver before any filtering.
. "$(dirname "$0")/lib.sh"

sp() { local dir=$1; shift; "$SIMPUL" --data "$dir" "$@"; }
id_of() { sp "$1" id; }

has() { sp "$1" get rt03 "$2" "$3" >/dev/null 2>&1; }
# arrived NODE PEER LABEL: records of LABEL that arrived from PEER at NODE's
# decoder, before any filtering (duplicates counted each time).
arrived() {
	local i
	case $3 in private) i=1 ;; community) i=2 ;; shared) i=3 ;; public) i=4 ;; esac
	sp "$1" peer ls --json | tr -d '\n ' | sed 's/},{/}\n{/g' | grep "\"name\":\"$2\"" |
		sed -n 's/.*"records_in_labels":\[\([0-9,]*\)\].*/\1/p' | cut -d, -f"$i"
}
synced() {  # synced NODE PEER: a complete reconciliation happened
	sp "$1" peer ls --json | tr -d '\n ' | sed 's/},{/}\n{/g' | grep "\"name\":\"$2\"" |
		grep -q '"state":"live"'
}

A=$(new_node a); B=$(new_node b); C=$(new_node c); D=$(new_node d)
for n in "$A" "$B" "$C" "$D"; do start_node "$n" || exit 1; done
sp "$A" community create rt03 >/dev/null
CID=$(sp "$A" community ls --json | sed -n 's/.*"id": "\([a-z2-7]*\)".*/\1/p')
sp "$A" community add-writer rt03 "$(id_of "$B")" >/dev/null
for n in "$B" "$C" "$D"; do sp "$n" community join "$CID" rt03 >/dev/null; done

# Data on A before anyone connects: every label, and a collection nobody shares.
sp "$A" put rt03 households h-1 --body '{"k":"community"}' >/dev/null
sp "$A" put rt03 households h-2 --body '{"k":"shared"}' --label shared >/dev/null
sp "$A" put rt03 households h-3 --body '{"k":"private"}' --label private >/dev/null
sp "$A" put rt03 households h-4 --body '{"k":"public"}' --label public >/dev/null
sp "$A" put rt03 cases c-1 --body '{"k":"shared but not offered"}' --label shared >/dev/null

# A <-> B members; B -> C partner (households only, shared); C -> D (C offers what it may not).
sp "$A" peer add b "$(id_of "$B")" 127.0.0.1:"$(node_port "$B")" \
	--offer 'rt03/*:community,shared,public,private' --want 'rt03/*:community,shared,public' >/dev/null
sp "$B" peer add a "$(id_of "$A")" \
	--offer 'rt03/*:community,shared,public' --want 'rt03/*:community,shared,public,private' >/dev/null
sp "$B" peer add c "$(id_of "$C")" 127.0.0.1:"$(node_port "$C")" \
	--offer 'rt03/households:shared,community,public' >/dev/null
sp "$C" peer add b "$(id_of "$B")" --want 'rt03/*:shared,community,public' >/dev/null
sp "$C" peer add d "$(id_of "$D")" 127.0.0.1:"$(node_port "$D")" --offer 'rt03/*:shared,community,public' >/dev/null
sp "$D" peer add c "$(id_of "$C")" --want 'rt03/*:shared,community,public' >/dev/null

wait_for 60 "B receives A's community record" has "$B" households h-1
wait_for 60 "C receives the shared household" has "$C" households h-2
wait_for 60 "D receives the public household (relayed by C)" has "$D" households h-4
wait_for 60 "A and B finished a reconciliation" synced "$A" b
wait_for 60 "C and D finished a reconciliation" synced "$C" d
check "B has the shared record" has "$B" households h-2
check "B never gets the private record" not has "$B" households h-3
check "C never gets the community record" not has "$C" households h-1
check "C never gets the private record" not has "$C" households h-3
check "C never gets the collection B does not offer" not has "$C" cases c-1
check "D never gets the shared record from the partner" not has "$D" households h-2
check "D never gets the community record" not has "$D" households h-1
# What arrived at each decoder, before any filtering: the charter plus what each may have.
check "nothing private arrived at C" [ "$(arrived "$C" b private)" = 0 ]
check "nothing community-only arrived at C" [ "$(arrived "$C" b community)" = 0 ]
check "shared records did arrive at C" [ "$(arrived "$C" b shared)" -gt 0 ]
check "nothing private arrived at D" [ "$(arrived "$D" c private)" = 0 ]
check "nothing community-only arrived at D" [ "$(arrived "$D" c community)" = 0 ]
check "nothing shared arrived at D (a partner does not relay)" [ "$(arrived "$D" c shared)" = 0 ]
check "public records did arrive at D" [ "$(arrived "$D" c public)" -gt 0 ]
check "nothing private arrived at B" [ "$(arrived "$B" a private)" = 0 ]

# Live: a write on B reaches A at once, and C when it is shared.
sp "$B" put rt03 households h-5 --body '{"k":"live from B"}' >/dev/null
sp "$B" put rt03 households h-6 --body '{"k":"live shared"}' --label shared >/dev/null
wait_for 10 "a write on B reaches A live" has "$A" households h-5
wait_for 10 "a shared write on B reaches C live" has "$C" households h-6
check "the community write does not reach C" not has "$C" households h-5
# An import into a new collection on the responder (B) reaches the dialler
# (A) without a reconnect: B announces its new areas and asks A to reconcile.
printf 'id,acara\nk-1,Kerja bakti\nk-2,Posyandu\nk-3,Pengajian\n' > "$SP_TMP/kegiatan.csv"
sp "$B" import rt03 kegiatan "$SP_TMP/kegiatan.csv" --key-column id >/dev/null
wait_for 10 "a new collection imported on B reaches A" has "$A" kegiatan k-3
# Deletions and erasure travel.
sp "$A" rm rt03 households h-2 >/dev/null
wait_for 10 "a deletion reaches B" not has "$B" households h-2
wait_for 10 "a deletion reaches C" not has "$C" households h-2
sp "$A" put rt03 households h-7 --body '{"catatan":"PENANDA-HAPUS-SEMUA"}' --label shared >/dev/null
wait_for 10 "C receives h-7" has "$C" households h-7
sp "$A" erase rt03 households h-7 >/dev/null
wait_for 10 "the erasure reaches C" not has "$C" households h-7
found() { grep -rl --binary-files=text PENANDA-HAPUS-SEMUA "$1" 2>/dev/null | wc -l; }
wait_for 10 "no trace of the erased body on A" [ "$(found "$A")" = 0 ]
wait_for 10 "no trace of the erased body on B" [ "$(found "$B")" = 0 ]
wait_for 10 "no trace of the erased body on C" [ "$(found "$C")" = 0 ]

# members_converge NAME line|ring N: N member nodes of a new community
# NAME, each peered with the next (in a ring the last with the first too).
# A write on every node reaches every node, relayed hop by hop.
members_converge() {
	local name=$1 shape=$2 n=$3 i j k links cid
	local -a m=()
	for ((i = 0; i < n; i++)); do
		m+=("$(new_node "$name$i")")
		start_node "${m[$i]}" || exit 1
	done
	sp "${m[0]}" community create "$name" >/dev/null
	cid=$(sp "${m[0]}" community ls --json | sed -n 's/.*"id": "\([a-z2-7]*\)".*/\1/p')
	for ((i = 1; i < n; i++)); do
		sp "${m[0]}" community add-writer "$name" "$(id_of "${m[$i]}")" >/dev/null
		sp "${m[$i]}" community join "$cid" "$name" >/dev/null
	done
	links=$n
	[ "$shape" = line ] && links=$((n - 1))
	for ((i = 0; i < links; i++)); do
		j=$(((i + 1) % n))
		sp "${m[$i]}" peer add next "$(id_of "${m[$j]}")" 127.0.0.1:"$(node_port "${m[$j]}")" \
			--offer "$name/*:community" --want "$name/*:community" >/dev/null
		sp "${m[$j]}" peer add prev "$(id_of "${m[$i]}")" \
			--offer "$name/*:community" --want "$name/*:community" >/dev/null
	done
	for ((i = 1; i < n; i++)); do
		wait_for 20 "$shape of $n: the charter reaches member $i" \
			sh -c "'$SIMPUL' --data '${m[$i]}' community ls | grep -q writer"
	done
	for ((i = 0; i < n; i++)); do
		expect_exit 0 "$shape of $n: member $i writes m-$i" \
			sp "${m[$i]}" put "$name" members "m-$i" --body "{\"from\":$i}"
	done
	for ((i = 0; i < n; i++)); do
		for ((k = 0; k < n; k++)); do
			wait_for 20 "$shape of $n: m-$k reaches member $i" \
				sp "${m[$i]}" get "$name" members "m-$k"
		done
	done
	check "$shape of $n: the far end holds all $((n + 1)) records" \
		sh -c "'$SIMPUL' --data '${m[$((n - 1))]}' status --json | grep -q '\"records\": $((n + 1)),'"
}

members_converge pkk ring 5
members_converge arisan line 5
members_converge bani ring 3
finish
