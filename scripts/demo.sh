#!/bin/bash
# `make demo`: two plutos in network namespaces (scripts/scene.sh), and a connection's life
# driven only through the library: add from memory, up, status, down, delete.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo build --release --quiet --examples
scene=scripts/scene.sh
"$scene" -n demo up
trap '"$scene" -n demo down >/dev/null' EXIT
# shellcheck disable=SC1091
. /run/ipsecauto-scene-demo/scene.env
for secrets in "$WEST_SECRETS" "$EAST_SECRETS"; do
	printf '@west @east : PSK "demo secret, never shown"\n' >"$secrets"
done
echo "== the Rust API"
target/release/examples/demo "$WEST_CTL" "$EAST_CTL"
for extra in examples/c/demo.sh examples/python/demo.sh; do
	if [ -x "$extra" ]; then
		echo "== $(dirname "$extra")"
		"$extra" "$WEST_CTL" "$EAST_CTL"
	fi
done
