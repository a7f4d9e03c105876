#!/usr/bin/env bash
# The main job: builds simpul and runs a live demo on this machine.
# Now: one community node (init, simpuld, a community, the demo CSV,
# listing, status). Everything happens in a temporary data directory.
set -euo pipefail
cd "$(dirname "$0")/.."

bash contrib/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j "$(nproc)" --target simpul simpuld >/dev/null

BIN=$PWD/build/release
export PATH="$BIN/daemon:$BIN/cli:$PATH"
export SIMPUL_DATA
SIMPUL_DATA=$(mktemp -d "${TMPDIR:-/tmp}/simpul-demo.XXXXXX")/rt03
DAEMON=
cleanup() {
	[ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
	rm -rf "$(dirname "$SIMPUL_DATA")"
}
trap cleanup EXIT

# Shows a command as one would type it (arguments with spaces or JSON quoted), then runs it.
step() {
	local shown="" a
	for a in "$@"; do
		case "$a" in
		*[!A-Za-z0-9_./=:-]*) shown="$shown '$a'" ;;
		*) shown="$shown $a" ;;
		esac
	done
	printf '\n\033[1m$%s\033[0m\n' "$shown"
	"$@"
}

step simpul init
simpuld 2>"$SIMPUL_DATA.log" &
DAEMON=$!
for _ in $(seq 1 100); do simpul status >/dev/null 2>&1 && break; sleep 0.1; done
printf '\n\033[1m$ simpuld &\033[0m   (running as pid %s, logging to %s)\n' "$DAEMON" "$SIMPUL_DATA.log"
step simpul community create rt03
step simpul import rt03 households contrib/demo/households.csv --key-column id
step simpul ls rt03
step simpul ls rt03 households
step simpul put rt03 households h-013 --body '{"kepala_keluarga":"Rahmat Hidayat","anggota":3,"rt":"003"}'
step simpul get rt03 households h-013
step simpul rm rt03 households h-013
step simpul community ls
step simpul status
step simpul stop
wait "$DAEMON" 2>/dev/null || true
DAEMON=
printf '\nThe daemon log:\n'
cat "$SIMPUL_DATA.log"
