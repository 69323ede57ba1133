#!/bin/bash
# Installs what the project needs on a Debian 12 machine (as root). Idempotent and quiet when done.
set -euo pipefail
pkgs=(libreswan iproute2 libnss3-tools pkg-config libglib2.0-dev valgrind python3-pip gcc make)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
version=$(ipsec --version 2>/dev/null || true)
case "$version" in
  *" 4.10"*) ;;
  *) echo "setup: libreswan 4.10 is required, found: ${version:-none}" >&2; exit 1 ;;
esac
python3 -c 'import pytest' 2>/dev/null || python3 -m pip install -q pytest
command -v cargo >/dev/null || { echo "setup: cargo (Rust) is required" >&2; exit 1; }
rustup component list --installed 2>/dev/null | grep -q clippy || rustup component add clippy rustfmt 2>/dev/null || true
