#!/usr/bin/env python3
"""Adds a connection defined in a string, without any file, as `ipsec auto --add NAME` does.

    add_from_string.py CTLSOCKET [NAME]
"""
import sys

import ipsecauto

CONFIG = """config setup

conn example
\tleft=198.51.100.1
\tright=198.51.100.2
\tauthby=secret
\tikev2=yes
\tauto=add
"""


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    name = sys.argv[2] if len(sys.argv) == 3 else "example"
    with ipsecauto.Session(sys.argv[1], config_text=CONFIG, include_dir=".") as s:
        try:
            result = s.add(name, on_line=lambda l: print("%03d %s" % l), check=False)
        except ipsecauto.ConfigError as e:
            print(f"CONFIG: {e.file}:{e.line}: {e}", file=sys.stderr)
            return e.exit_status or 1
        except ipsecauto.IpsecautoError as e:
            print(f"{e.code.name}: {e}", file=sys.stderr)
            return e.exit_status or 1
    return result.exit_status


if __name__ == "__main__":
    sys.exit(main())
