# Shared by the benchmarks (bench_import.sh, bench_sync.sh, bench_reconcile.sh,
# bench_live.sh): real simpuld and simpul from BUILD_DIR on temporary data
# directories, peers on loopback. Source it after setting BUILD.
set -euo pipefail

SIMPUL=$BUILD/cli/simpul
SIMPULD=$BUILD/daemon/simpuld
TMP=$(mktemp -d "${TMPDIR:-/tmp}/simpul-bench.XXXXXX")
POLICY='rt03/*:community'
declare -A NODE_PID=()
SAMPLERS=()
# A FIFO held open for reading and writing that nothing writes to: `nap S`
# waits S seconds without starting a process. The observers below poll
# often; a sleep (and an awk) per poll took a tenth of this 2-core
# machine from the daemons being measured, which the yardsticks never pay.
mkfifo "$TMP/idle"
exec {BENCH_IDLE}<>"$TMP/idle"
nap() { read -r -t "$1" -u "$BENCH_IDLE" _ || true; }

bench_cleanup() {
	local pid
	for pid in "${SAMPLERS[@]}" "${NODE_PID[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$TMP"
}
trap bench_cleanup EXIT

sp() { local dir=$1; shift; "$SIMPUL" --data "$dir" "$@"; }

# node_new NAME: an initialised data directory; prints its path.
node_new() {
	sp "$TMP/$1" init >/dev/null
	echo "$TMP/$1"
}

# node_start DIR [PORT [OPTION...]]: starts simpuld (peers on
# 127.0.0.1:PORT, any free port by default; simpuld options after it) and
# waits until it answers.
node_start() {
	local dir=$1 port=${2:-0} i
	shift $(($# < 2 ? $# : 2))
	"$SIMPULD" --data "$dir" --listen 127.0.0.1:"$port" --log-level warn "$@" 2>>"$dir.log" &
	NODE_PID[$dir]=$!
	for i in $(seq 1 200); do
		sp "$dir" status >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "simpuld on $dir did not start; log:" >&2
	cat "$dir.log" >&2
	return 1
}

# node_stop DIR: SIGTERM and wait.
node_stop() {
	kill -TERM "${NODE_PID[$1]}"
	wait "${NODE_PID[$1]}" 2>/dev/null || true
	unset "NODE_PID[$1]"
}

node_port() {
	sp "$1" status --json | sed -n 's/.*"listen": "[^"]*:\([0-9]*\)".*/\1/p'
}

# community_setup ADMIN MEMBER...: ADMIN creates rt03 and makes every
# MEMBER a writer; each member joins (its charter comes with a sync).
community_setup() {
	local admin=$1 cid m
	shift
	sp "$admin" community create rt03 >/dev/null
	cid=$(sp "$admin" community ls --json | sed -n 's/.*"id": "\([a-z2-7]*\)".*/\1/p')
	for m in "$@"; do
		sp "$admin" community add-writer rt03 "$(sp "$m" id)" >/dev/null
		sp "$m" community join "$cid" rt03 >/dev/null
	done
}

# connect LISTENER NAME_THERE DIALLER NAME_HERE: DIALLER dials LISTENER;
# both offer and want everything of rt03 labelled community.
connect() {
	sp "$1" peer add "$2" "$(sp "$3" id)" --offer "$POLICY" --want "$POLICY" >/dev/null
	sp "$3" peer add "$4" "$(sp "$1" id)" 127.0.0.1:"$(node_port "$1")" \
		--offer "$POLICY" --want "$POLICY" >/dev/null
}

# disconnect A NAME_ON_A B NAME_ON_B: removes the peers on both sides.
disconnect() {
	sp "$1" peer rm "$2" >/dev/null
	sp "$3" peer rm "$4" >/dev/null
}

# records DIR: the records DIR's store holds (status; cheap, unlike
# `simpul ls COMMUNITY`, which counts by reading every record).
records() {
	local n
	n=$(sp "$1" status --json 2>/dev/null | sed -n 's/^  "records": \([0-9]*\),$/\1/p')
	echo "${n:-0}"
}

# wait_records DIR N SECONDS [INTERVAL]: until DIR holds N records (the
# charter counts), asking every INTERVAL seconds (0.1 unless given; each
# question starts simpul and sed).
wait_records() {
	local end=$((SECONDS + $3))
	until [ "$(records "$1")" = "$2" ]; do
		if [ "$SECONDS" -ge "$end" ]; then
			echo "$1 holds $(records "$1") of $2 records after $3 s" >&2
			return 1
		fi
		nap "${4:-0.1}"
	done
}

# wait_member DIR: until DIR holds a charter that names it a writer.
wait_member() {
	local i
	for i in $(seq 1 300); do
		sp "$1" community ls --json | grep -q '"role": "writer"' && return 0
		sleep 0.1
	done
	echo "$1 never received its charter" >&2
	return 1
}

# peer_num DIR PEER FIELD: a number from DIR's `peer ls --json` for PEER.
peer_num() {
	sp "$1" peer ls --json | tr -d '\n ' | sed 's/},{/}\n{/g' | grep "\"name\":\"$2\"" |
		sed -n "s/.*\"$3\":\([0-9]*\).*/\1/p"
}

# wait_nonzero DIR PEER FIELD SECONDS: until the number is set and not 0.
wait_nonzero() {
	local end=$((SECONDS + $4)) v
	while :; do
		v=$(peer_num "$1" "$2" "$3")
		[ -n "$v" ] && [ "$v" != 0 ] && return 0
		if [ "$SECONDS" -ge "$end" ]; then
			echo "$1: peer $2 has no $3 after $4 s" >&2
			return 1
		fi
		sleep 0.1
	done
}

# sample_anon DIR: records the daemon's peak RssAnon (KiB) in DIR.anon
# until it exits, every 50 ms, with shell builtins only.
sample_anon() {
	local pid=${NODE_PID[$1]}
	echo 0 >"$1.anon"
	( peak=0
	while kill -0 "$pid" 2>/dev/null; do
		anon=0
		{ while read -r key value _; do
			if [ "$key" = RssAnon: ]; then anon=$value; break; fi
		done <"/proc/$pid/status"; } 2>/dev/null
		if [ "$anon" -gt "$peak" ]; then peak=$anon; echo "$peak" >"$1.anon"; fi
		nap 0.05
	done ) &
	SAMPLERS+=("$!")
}

# hwm DIR: the daemon's peak resident set (VmHWM, KiB).
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/${NODE_PID[$1]}/status"; }

# gen_rows N FILE: a CSV of N households (key column id) with bodies of
# about 300 bytes.
gen_rows() {
	awk -v n="$1" 'BEGIN {
		print "id,kepala_keluarga,anggota,rt,rw,telepon,alamat,pekerjaan,kategori,catatan"
		for (i = 0; i < n; i++)
			printf "h-%07d,Kepala Keluarga Nomor %d,%d,%03d,%03d,08%010d,Jalan Melati Gang %d Nomor %d Kelurahan Sukamaju Kecamatan Sukajaya,Buruh harian lepas,keluarga_miskin,Catatan kunjungan rumah tanggal %d: kondisi rumah perlu perbaikan atap dan lantai; bantuan sembako diterima\n", i, i, 1 + i % 9, 1 + i % 20, 1 + i % 7, i, i % 50, i % 200, i % 28 + 1
	}' >"$2"
}
