#!/usr/bin/env bash
# Charters between real simpuld processes (docs/PROTOCOL.md, "Selective
# replication"): a charter change reaches every connected peer entitled to
# it at once, before the records that depend on it, so a new writer's
# records are never refused on the way nor counted against the node that
# relays them; and a charter (every member's node id) goes only to members
# and to peers that share an agreed area of its community, not to any peer
# that names the community.
. "$(dirname "$0")/lib.sh"

sp() { local dir=$1; shift; "$SIMPUL" --data "$dir" "$@"; }
id_of() { sp "$1" id; }
has() { sp "$1" get "$2" "$3" "$4" >/dev/null 2>&1; }
# has_charter NODE COMMUNITY: the node holds the community's charter.
has_charter() { sp "$1" ls "$2" 2>/dev/null | grep -q '^\.charter '; }
# peer_stat NODE PEER FIELD: a number from NODE's peer table.
peer_stat() {
	sp "$1" peer ls --json | tr -d '\n ' | sed 's/},{/}\n{/g' | grep "\"name\":\"$2\"" |
		sed -n "s/.*\"$3\":\([0-9]*\).*/\1/p"
}
live() {
	sp "$1" peer ls --json | tr -d '\n ' | sed 's/},{/}\n{/g' | grep "\"name\":\"$2\"" |
		grep -q '"state":"live"'
}
writes() { sp "$1" put rt03 households "$2" --body '{"k":"v"}' >/dev/null 2>&1; }

A=$(new_node a); B=$(new_node b); W=$(new_node w); O=$(new_node o); P=$(new_node p)
for n in "$A" "$B" "$W" "$O" "$P"; do start_node "$n" || exit 1; done
sp "$A" community create rt03 >/dev/null
sp "$A" community create other >/dev/null
CID=$(sp "$A" community ls --json | tr -d '\n ' | sed 's/},{/}\n{/g' | grep '"alias":"rt03"' |
	sed -n 's/.*"id":"\([a-z2-7]*\)".*/\1/p')
OID=$(sp "$A" community ls --json | tr -d '\n ' | sed 's/},{/}\n{/g' | grep '"alias":"other"' |
	sed -n 's/.*"id":"\([a-z2-7]*\)".*/\1/p')
sp "$A" community add-writer rt03 "$(id_of "$B")" >/dev/null
for n in "$B" "$W" "$O" "$P"; do sp "$n" community join "$CID" rt03 >/dev/null; done
for n in "$O" "$P"; do sp "$n" community join "$OID" other >/dev/null; done
sp "$A" put rt03 households a-1 --body '{"k":"v"}' >/dev/null

# A dials B (a member) and W (a node about to become a writer); O is a
# partner of A in "other" only, and names rt03 in its wants.
ALL='rt03/*:community,shared,public'
sp "$A" peer add b "$(id_of "$B")" 127.0.0.1:"$(node_port "$B")" --offer "$ALL" --want "$ALL" >/dev/null
sp "$B" peer add a "$(id_of "$A")" --offer "$ALL" --want "$ALL" >/dev/null
sp "$A" peer add w "$(id_of "$W")" 127.0.0.1:"$(node_port "$W")" --offer "$ALL" --want "$ALL" >/dev/null
sp "$W" peer add a "$(id_of "$A")" --offer "$ALL" --want "$ALL" >/dev/null
sp "$A" peer add o "$(id_of "$O")" 127.0.0.1:"$(node_port "$O")" --offer 'other/*:public' >/dev/null
sp "$O" peer add a "$(id_of "$A")" --want "$ALL" --want 'other/*:public' >/dev/null
# P is another such partner, which dials A itself.
sp "$A" peer add p "$(id_of "$P")" --offer 'other/*:public' >/dev/null
sp "$P" peer add a "$(id_of "$A")" 127.0.0.1:"$(node_port "$A")" --want "$ALL" --want 'other/*:public' >/dev/null
sp "$A" put other notices n-1 --body '{"k":"v"}' --label public >/dev/null

wait_for 20 "B gets A's record" has "$B" rt03 households a-1
wait_for 20 "A and B are in sync" live "$A" b
wait_for 20 "A and W are in sync" live "$A" w
check "W is no writer yet" not writes "$W" too-early

# (1) A new writer: the charter reaches W and B at once (no reconciliation
# is due: what A and B share did not change), and W's record, relayed by
# A, is stored by B and counted against nobody.
sp "$A" community add-writer rt03 "$(id_of "$W")" >/dev/null
wait_for 10 "W learns it may write" writes "$W" w-1
wait_for 10 "B stores the new writer's record, relayed by A" has "$B" rt03 households w-1
check "B counted nothing against A ($(peer_stat "$B" a records_rejected))" \
	[ "$(peer_stat "$B" a records_rejected)" = 0 ]
check "A counted nothing against W ($(peer_stat "$A" w records_rejected))" \
	[ "$(peer_stat "$A" w records_rejected)" = 0 ]
check "B and A stayed live (no new reconciliation was needed)" live "$B" a

# (2) A writer removed: the charter goes out at once too; B refuses what
# the removed writer writes afterwards.
sp "$A" community remove-writer rt03 "$(id_of "$W")" >/dev/null
wait_for 10 "W learns it may no longer write" not writes "$W" w-2

# (3) O names rt03 but is neither in its charter nor agreed any of its
# areas: it never gets rt03's charter (the list of members), while it gets
# the charter of "other", whose public notices it takes from A.
wait_for 20 "O gets A's public notice in other" has "$O" other notices n-1
check "O holds the charter of other" has_charter "$O" other
check "O does not hold rt03's charter" not has_charter "$O" rt03
# Dialling A, P reconciles rt03's charter against nothing: it learns no id
# to ask for, so it is not closed for asking outside the agreed areas (and
# redialling for ever).
wait_for 20 "P gets A's public notice in other" has "$P" other notices n-1
check "P does not hold rt03's charter" not has_charter "$P" rt03
sleep 2
check "A closed nothing of P's" not grep -q 'peer p: closing' "$A.log"
check "P and A are in sync" live "$P" a
finish
