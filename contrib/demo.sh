#!/usr/bin/env bash
# The main job: builds simpul and runs a small federation on loopback.
#
#   rt03    an RT (neighbourhood unit): households (community only), dues
#           (private), activities (shared with partners)
#   taklim  a majelis taklim (study group): members (community only),
#           its study schedule (shared)
#   rw07    the RW office above the RT, a partner of both: it receives
#           what they share and nothing else
#
# Everything runs in a temporary directory and stops at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

bash contrib/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j "$(nproc)" --target simpul simpuld >/dev/null

BIN=$PWD/build/release
export PATH="$BIN/daemon:$BIN/cli:$PATH"
TOP=$(mktemp -d "${TMPDIR:-/tmp}/simpul-demo.XXXXXX")
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$TOP"
}
trap cleanup EXIT

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
# Shows a command as one would type it (arguments with spaces or JSON quoted), then runs it.
step() {
	local shown="" a
	for a in "$@"; do
		case "$a" in
		*[!A-Za-z0-9_./=:,*-]*) shown="$shown '$a'" ;;
		*) shown="$shown $a" ;;
		esac
	done
	printf '\033[2m$%s\033[0m\n' "$shown"
	"$@"
}
# on NODE COMMAND...: run simpul against NODE's data directory.
on() { local n=$1; shift; step simpul --data "$TOP/$n" "$@"; }
quiet() { local n=$1; shift; simpul --data "$TOP/$n" "$@"; }
start() {
	simpuld --data "$TOP/$1" --listen "127.0.0.1:$2" 2>"$TOP/$1.log" &
	PIDS+=($!)
	for _ in $(seq 1 100); do quiet "$1" status >/dev/null 2>&1 && return; sleep 0.1; done
	echo "simpuld $1 did not start:" >&2; cat "$TOP/$1.log" >&2; exit 1
}
wait_for() {  # wait_for NODE COMMUNITY COLLECTION KEY
	for _ in $(seq 1 100); do quiet "$1" get "$2" "$3" "$4" >/dev/null 2>&1 && return; sleep 0.1; done
	echo "(still waiting for $2/$3/$4 on $1)"
}

bold "Three nodes, each with its own data directory and daemon"
for n in rt03:7771 taklim:7772 rw07:7773; do
	quiet "${n%%:*}" init >/dev/null
	start "${n%%:*}" "${n##*:}"
	printf '%-7s node %s, listening on 127.0.0.1:%s\n' "${n%%:*}" "$(quiet "${n%%:*}" id)" "${n##*:}"
done

bold "The RT creates its community and imports its household list"
on rt03 community create rt03
on rt03 import rt03 households contrib/demo/households.csv --key-column id
on rt03 put rt03 iuran 2026-11/h-001 --body '{"jumlah":20000,"lunas":true}' --label private
on rt03 put rt03 kegiatan k-001 --body '{"acara":"Kerja bakti","tanggal":"2026-11-29"}' --label shared

bold "The majelis taklim does the same"
on taklim community create taklim
on taklim put taklim jamaah j-001 --body '{"nama":"Ibu Aisyah","kelompok":"A"}'
on taklim put taklim kajian kj-001 --body '{"tema":"Fiqih zakat","hari":"Jumat"}' --label shared

bold "The RW office joins both communities as a partner (it is not a member)"
RT_ID=$(quiet rt03 community ls --json | sed -n 's/.*"id": "\([a-z2-7]*\)".*/\1/p')
TK_ID=$(quiet taklim community ls --json | sed -n 's/.*"id": "\([a-z2-7]*\)".*/\1/p')
on rw07 community join "$RT_ID" rt03
on rw07 community join "$TK_ID" taklim

bold "Policies: each group offers only what it shares; the RW wants what is shared"
on rt03 peer add rw07 "$(quiet rw07 id)" --offer 'rt03/kegiatan:shared'
on taklim peer add rw07 "$(quiet rw07 id)" --offer 'taklim/kajian:shared'
on rw07 peer add rt03 "$(quiet rt03 id)" 127.0.0.1:7771 --want 'rt03/*:shared,public'
on rw07 peer add taklim "$(quiet taklim id)" 127.0.0.1:7772 --want 'taklim/*:shared,public'
wait_for rw07 rt03 kegiatan k-001
wait_for rw07 taklim kajian kj-001

bold "What arrived at the RW: the shared collections and the charters, nothing else"
on rw07 ls rt03
on rw07 ls taklim
on rw07 get rt03 kegiatan k-001

bold "The private dues and the household list stayed home"
on rw07 get rt03 iuran 2026-11/h-001 || true
on rw07 get rt03 households h-001 || true

bold "A new activity on the RT reaches the RW live"
on rt03 put rt03 kegiatan k-002 --body '{"acara":"Posyandu","tanggal":"2026-12-05"}' --label shared
wait_for rw07 rt03 kegiatan k-002
on rw07 ls rt03 kegiatan

bold "Replication as the administrators see it"
on rw07 status
on rt03 status

for n in rt03 taklim rw07; do quiet "$n" stop >/dev/null; done
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
PIDS=()
bold "The RW's daemon log"
cat "$TOP/rw07.log"
