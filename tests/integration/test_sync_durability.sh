#!/usr/bin/env bash
# Replication across crashes and cut links, with real simpuld processes on
# loopback:
#  (a) a sync of SP_SYNC_N records (100,000 unless set) from A to an empty
#      B; B is killed with SIGKILL while it holds between 10% and 90% of
#      them, then restarted on the same data and port: the nodes converge,
#      nothing B had stored is lost, and what had landed is not sent again;
#  (b) a link cut and restored heals by itself: A stopped, a write on B,
#      A started again; B stopped, a write on A, B started again;
#  (c) the sender (A) killed with SIGKILL in the middle of a sync to an
#      empty C, and restarted: they converge;
#  (d) B back on a new connection while A holds the old one half-open:
#      A takes the new one at once.
. "$(dirname "$0")/lib.sh"

N=${SP_SYNC_N:-100000}
# Records in the batches in flight at a kill, which may arrive twice.
MARGIN=20000
POLICY='rt03/*:community'

sp() { local dir=$1; shift; "$SIMPUL" --data "$dir" "$@"; }

# peer_json NODE PEER: PEER's entry in NODE's `peer ls --json`, on one line.
peer_json() {
	sp "$1" peer ls --json 2>/dev/null | tr -d '\n ' | sed 's/},{/}\n{/g' |
		grep "\"name\":\"$2\""
}
# field JSON NAME: a number from a peer_json line.
field() { echo "$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }
# peer_field NODE PEER FIELD
peer_field() { field "$(peer_json "$1" "$2")" "$3"; }
# label_in JSON I: records of the I-th label (1 private, 2 community,
# 3 shared, 4 public) that arrived from the peer.
label_in() {
	echo "$1" | sed -n 's/.*"records_in_labels":\[\([0-9,]*\)\].*/\1/p' | cut -d, -f"$2"
}
# households_in JSON: households that arrived (all of label community).
households_in() { label_in "$1" 2; }
# households_accepted JSON: records accepted from the peer, less charters
# (the only public records here, each accepted once).
households_accepted() {
	local acc pub
	acc=$(field "$1" records_accepted)
	pub=$(label_in "$1" 4)
	echo $((${acc:-0} - ${pub:-0}))
}

# holds NODE N: NODE's store holds N records (status; cheap, unlike
# `simpul ls COMMUNITY`, which reads every record).
holds() { sp "$1" status --json 2>/dev/null | grep -q "^  \"records\": $2,\$"; }
has() { sp "$1" get rt03 "$2" "$3" >/dev/null 2>&1; }

# same_records NODE1 NODE2 COLLECTION: identical exports (sorted), and the
# same id, author and timestamp for a sample of keys.
same_records() {
	local k
	sp "$1" export rt03 "$3" --format json | sort >"$SP_TMP/x1" || return 1
	sp "$2" export rt03 "$3" --format json | sort >"$SP_TMP/x2" || return 1
	[ -s "$SP_TMP/x1" ] && cmp -s "$SP_TMP/x1" "$SP_TMP/x2" || return 1
	for k in $(sed -n 's/^{"key":"\([^"]*\)".*/\1/p' "$SP_TMP/x1" | awk 'NR % 9973 == 1'); do
		[ "$(sp "$1" get rt03 "$3" "$k" --json)" = "$(sp "$2" get rt03 "$3" "$k" --json)" ] ||
			return 1
	done
}

# kill_mid_sync VICTIM_PID RECEIVER PEER: polls RECEIVER's count of
# households accepted from PEER and kills VICTIM with SIGKILL as soon as it
# is at least a third of N. Sets KILLED_AT (the count of the last poll
# before the kill). Fails unless that poll showed between 10% and 90%: a
# sync too fast to catch is a failure, never a pass.
kill_mid_sync() {
	local victim=$1 node=$2 peer=$3 got i=0 end=$((SECONDS + 120))
	KILLED_AT=
	while [ "$SECONDS" -lt "$end" ]; do
		i=$((i + 1))
		got=$(households_accepted "$(peer_json "$node" "$peer")")
		if [ "$got" -ge $((N / 3)) ]; then
			crash_node "$victim"
			KILLED_AT=$got
			break
		fi
		sleep 0.01
	done
	if [ -z "$KILLED_AT" ]; then
		fail "the sync never reached a third of $N records in 120 s"
		return 1
	fi
	echo "# killed at $KILLED_AT of $N accepted (poll $i)"
	check "the kill came while $KILLED_AT of $N records had landed (10%-90%)" \
		[ "$KILLED_AT" -ge $((N / 10)) -a "$KILLED_AT" -le $((N * 9 / 10)) ]
}

A=$(new_node a); B=$(new_node b); C=$(new_node c)
start_node "$A" || exit 1
APID=$SP_LAST_PID
APORT=$(node_port "$A")
start_node "$B" || exit 1
BPID=$SP_LAST_PID
BPORT=$(node_port "$B")
start_node "$C" || exit 1
sp "$A" community create rt03 >/dev/null
CID=$(sp "$A" community ls --json | sed -n 's/.*"id": "\([a-z2-7]*\)".*/\1/p')
for n in "$B" "$C"; do
	sp "$A" community add-writer rt03 "$(sp "$n" id)" >/dev/null
	sp "$n" community join "$CID" rt03 >/dev/null
done

echo "# importing $N records on A"
awk -v n="$N" 'BEGIN {
	print "id,kepala_keluarga,anggota,rt,alamat,catatan"
	for (i = 0; i < n; i++)
		printf "h-%07d,Kepala Keluarga Nomor %d,%d,%03d,Jalan Melati Gang %d Nomor %d Kelurahan Sukamaju Kecamatan Sukajaya,Catatan kunjungan rumah tanggal %d: kondisi rumah perlu perbaikan atap dan lantai; bantuan sembako diterima bulan ini dan bulan lalu oleh kepala keluarga sendiri\n", i, i, 1 + i % 9, 1 + i % 20, i % 50, i % 200, i % 28 + 1
}' >"$SP_TMP/rows.csv"
expect_exit 0 "A imports $N records" sp "$A" import rt03 households "$SP_TMP/rows.csv" --key-column id
rm -f "$SP_TMP/rows.csv"

# (a) B is empty and dials A; SIGKILL while it is part way through.
sp "$A" peer add b "$(sp "$B" id)" --offer "$POLICY" --want "$POLICY" >/dev/null
sp "$B" peer add a "$(sp "$A" id)" 127.0.0.1:"$APORT" --offer "$POLICY" --want "$POLICY" >/dev/null
kill_mid_sync "$BPID" "$B" a || finish
start_node "$B" --listen 127.0.0.1:"$BPORT" || exit 1
BPID=$SP_LAST_PID
check "B listens on the same port again" [ "$(node_port "$B")" = "$BPORT" ]
wait_for 300 "after the restart B holds all $N records and the charter" holds "$B" $((N + 1))
wait_for 30 "B and A are in sync" [ "$(peer_field "$B" a to_receive)" = 0 ]
check "B's records are A's, byte for byte" same_records "$A" "$B" households
J=$(peer_json "$B" a)
IN=$(households_in "$J")
ACC=$(households_accepted "$J")
# Everything the restarted B accepted was missing when it started; the rest
# had landed before the kill and survived it.
LANDED=$((N - ACC))
echo "# after the restart: $LANDED records had survived the kill; $IN arrived, $ACC accepted"
check "nothing acknowledged was lost ($LANDED survived >= $KILLED_AT acknowledged)" \
	[ "$LANDED" -ge "$KILLED_AT" ]
check "B was still short of 90% when it was killed" [ "$LANDED" -le $((N * 9 / 10)) ]
check "what had landed was not sent again, nor anything twice ($IN arrived, $ACC were missing)" \
	[ "$IN" -le $((ACC + MARGIN)) ]
check "the restart did not fetch the whole set again ($IN of $N)" \
	[ "$IN" -le $((N - KILLED_AT + MARGIN)) -a "$IN" -lt "$N" ]
check "no record was rejected" [ "$(peer_field "$B" a records_rejected)" = 0 ]

# (b) A link cut and restored: A stopped, a write on B, A started again on
# its port; B redials by itself (backoff) and the write reaches A.
stop_node "$APID"
sp "$B" put rt03 households cut-1 --body '{"tulis":"saat A mati"}' >/dev/null
wait_for 10 "B sees the link down" \
	not sh -c "'$SIMPUL' --data '$B' peer ls --json | grep -q '\"state\": \"live\"'"
start_node "$A" --listen 127.0.0.1:"$APORT" || exit 1
APID=$SP_LAST_PID
wait_for 60 "a write on B made while A was down reaches A with no command" has "$A" households cut-1
# And the other way: B stopped, a write on A, B started again.
stop_node "$BPID"
sp "$A" put rt03 households cut-2 --body '{"tulis":"saat B mati"}' >/dev/null
start_node "$B" --listen 127.0.0.1:"$BPORT" || exit 1
BPID=$SP_LAST_PID
wait_for 60 "a write on A made while B was down reaches B after its restart" has "$B" households cut-2
wait_for 30 "A and B hold the same records again" same_records "$A" "$B" households

# (c) The sender killed part way through a sync to an empty C, and restarted.
sp "$A" peer add c "$(sp "$C" id)" --offer "$POLICY" --want "$POLICY" >/dev/null
sp "$C" peer add a "$(sp "$A" id)" 127.0.0.1:"$APORT" --offer "$POLICY" --want "$POLICY" >/dev/null
kill_mid_sync "$APID" "$C" a || finish
start_node "$A" --listen 127.0.0.1:"$APORT" || exit 1
APID=$SP_LAST_PID
wait_for 300 "after A's restart C holds all $((N + 2)) records and the charter" holds "$C" $((N + 3))
check "C's records are A's, byte for byte" same_records "$A" "$C" households
# Every household C holds came from A, so what arrived beyond them came twice.
IN=$(households_in "$(peer_json "$C" a)")
echo "# C: $IN households arrived for the $((N + 2)) it holds"
check "little was sent to C twice ($IN arrived for $((N + 2)))" [ "$IN" -le $((N + 2 + MARGIN)) ]

# (d) B comes back on a new connection while A still holds its old one,
# half-open (a laptop resumed, a phone whose address changed): B is frozen
# with SIGSTOP, so its socket stays open and silent, and a copy of it (the
# same node key, communities and store) dials A from another port. A takes
# the new connection at once, not after its idle timeout (90 s).
B2=$SP_TMP/b2
wait_for 30 "A and B are live" sh -c "'$SIMPUL' --data '$A' peer ls --json | grep -q '\"state\": \"live\"'"
kill -STOP "$BPID"
mkdir -m 700 "$B2" "$B2/store"
cp -a "$B/node.key" "$B/communities" "$B2"/
cp "$B/store/data.mdb" "$B2/store/"
start_node "$B2" || exit 1
B2PID=$SP_LAST_PID
sp "$A" put rt03 households back-1 --body '{"tulis":"setelah pindah alamat"}' >/dev/null
wait_for 10 "a write on A reaches B on its new connection within 10 s" has "$B2" households back-1
check "A logs that the new connection replaced the old one" \
	grep -q "peer b: a new connection from 127.0.0.1:[0-9]* replaces the one from" "$A.log"
stop_node "$B2PID"
kill -CONT "$BPID"
finish
