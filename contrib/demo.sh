#!/usr/bin/env bash
# The main job: builds simpul and runs a federation on loopback
# (contrib/demo/run.sh): seven communities in four kelurahan of Tanete
# Riattang, Bone, each on its own node, a hub for each kelurahan and a
# kecamatan hub above them; summaries of welfare cases go up with each
# community's consent, and one community withdraws it.
#
#   bash contrib/demo.sh [DIR]    DIR: keep the data directories and logs there
#
# Everything else runs in a temporary directory; every daemon stops at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

bash contrib/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j "$(nproc)" --target simpul simpuld >/dev/null

SIMPUL=$PWD/build/release/cli/simpul SIMPULD=$PWD/build/release/daemon/simpuld \
	exec bash contrib/demo/run.sh "$@"
