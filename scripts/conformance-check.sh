#!/bin/bash
# Runs ../shared/tools/conformance.py ops|showonly|replies against our CLI; every case must be
# identical to libreswan 4.10's `ipsec auto`.
set -euo pipefail
cli=$(realpath "$1")
tool=${IPSECAUTO_CONFORMANCE:-$(dirname "$0")/../../shared/tools/conformance.py}
[ -f "$tool" ] || { echo "conformance: $tool not found (set IPSECAUTO_CONFORMANCE)" >&2; exit 1; }
fail=0
for mode in ops showonly replies; do
  out=$(python3 "$tool" "$mode" "$cli")
  echo "$out" | sed "s/^/  $mode: /"
  last=$(echo "$out" | tail -n 1)
  case "$last" in
    *"(100.0%)") ;;
    *) fail=1 ;;
  esac
done
exit $fail
