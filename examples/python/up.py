#!/usr/bin/env python3
"""Brings a connection up and streams pluto's answer, as `ipsec auto --up NAME` does.

    up.py CTLSOCKET NAME [--asynchronous]

Exits with the status `ipsec auto` would give.
"""
import sys

import ipsecauto


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    ctl, name = sys.argv[1], sys.argv[2]
    with ipsecauto.Session(ctl, asynchronous="--asynchronous" in sys.argv[3:]) as s:
        try:
            result = s.up(name, on_line=lambda l: print("%03d %s" % l, flush=True), check=False)
        except ipsecauto.IpsecautoError as e:
            print(f"{e.code.name}: {e}", file=sys.stderr)
            return e.exit_status or 1
    return result.exit_status


if __name__ == "__main__":
    sys.exit(main())
