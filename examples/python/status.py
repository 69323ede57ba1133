#!/usr/bin/env python3
"""Prints pluto's status, line by line as it arrives, as `ipsec auto --status` does.

    status.py CTLSOCKET
"""
import sys

import ipsecauto


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    print(f"# libipsecauto {ipsecauto.library_version()}")
    with ipsecauto.Session(sys.argv[1]) as s:
        try:
            for line in s.iter_lines("status"):
                print("%03d %s" % line)
        except ipsecauto.IpsecautoError as e:
            print(f"{e.code.name}: {e}", file=sys.stderr)
            return e.exit_status or 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
