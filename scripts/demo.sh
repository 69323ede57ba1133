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

echo
echo "== the C ABI (examples/c/demo.c, built against the installed header and pkg-config)"
make --no-print-directory -s examples-build >/dev/null
cc -std=c11 -Wall -Wextra -Werror $(PKG_CONFIG_PATH=target/stage/lib/pkgconfig pkg-config --cflags ipsecauto) \
	examples/c/demo.c -o target/examples-c/demo \
	$(PKG_CONFIG_PATH=target/stage/lib/pkgconfig pkg-config --libs ipsecauto)
LD_LIBRARY_PATH=target/stage/lib target/examples-c/demo "$WEST_CTL" "$EAST_CTL"

echo
echo "== Python (examples/python/demo.py, the ipsecauto package over ctypes)"
make --no-print-directory -s python-install >/dev/null
PYTHONPATH=target/python-site IPSECAUTO_LIBRARY=target/stage/lib/libipsecauto.so.0 \
	python3 examples/python/demo.py "$WEST_CTL" "$EAST_CTL"
