#!/usr/bin/env bash
# Installs the Debian packages looplab needs, if any are missing, and says what it does.
# Extra package names on the command line are checked too (CI passes clang).
# Without root it prints the exact command to run and stops.
set -euo pipefail

# python3 runs stage 05's Python twins (tests twins/05_*: asyncio programs checked against the C++ demos).
# doxygen-awesome-css is the documentation site's theme (make docs).
needed=(g++ make cmake doctest-dev libcli11-dev doxygen doxygen-awesome-css graphviz python3 "$@")

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "looplab: not a Debian system; make sure these are installed: ${needed[*]}"
  exit 0
fi

missing=()
for pkg in "${needed[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "looplab: these Debian packages are missing: ${missing[*]}"
  echo "looplab: install them with:"
  echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}"
  exit 1
fi

echo "looplab: installing missing Debian packages: ${missing[*]}"
echo "looplab: apt-get update"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
echo "looplab: apt-get install -y --no-install-recommends ${missing[*]}"
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "looplab: packages installed"
