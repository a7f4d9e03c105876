#!/usr/bin/env bash
# Installs what simpul needs to build and test, from Debian 12's packages.
# Runs apt-get only when something is missing. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
	build-essential cmake pkg-config clang libclang-rt-14-dev
	libuv1-dev libsodium-dev libmsgpack-dev liblmdb-dev
	libcmocka-dev libjansson-dev libcsv-dev
	procps libxml2-utils python3
)

# The Noise interop test runs an npm package under Node.js. These go by
# command, not package: another nodejs build (NodeSource's, say) provides
# npm itself, and Debian's npm would conflict with it.
COMMANDS=(node:nodejs npm:npm)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
for c in "${COMMANDS[@]}"; do
	command -v "${c%%:*}" >/dev/null || missing+=("${c#*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "install-deps: run as root to install: ${missing[*]}" >&2; exit 1; }
	SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
