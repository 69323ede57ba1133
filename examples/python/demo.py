#!/usr/bin/env python3
"""The life of a connection through the Python bindings, against the two plutos of
scripts/scene.sh: add from a string on both sides, up from west, status, down, delete.

    demo.py WEST_CTLSOCKET EAST_CTLSOCKET

Exits 0 only if every step did what it says.
"""
import sys

import ipsecauto

CONFIG = """config setup

conn pydemo
\tauthby=secret
\tleft=198.51.100.45
\tleftid=@west
\tright=198.51.100.23
\trightid=@east
\tikev2=insist
"""

failures = []


def check(what: str, ok: bool) -> None:
    print(f"    {'ok:' if ok else 'FAILED:'} {what}")
    if not ok:
        failures.append(what)


def run(who: str, session: ipsecauto.Session, op: str, name=None) -> ipsecauto.Result:
    print(f"\n[{who}] ipsec auto --{op} {name or ''}")
    result = session.run(op, name, check=False)
    for line in result.lines:
        if '"pydemo"' in line.text:
            print(f"    {line.rc:03d} {line.text}")
    print(f"    -> exit status {result.exit_status}")
    return result


def established(result: ipsecauto.Result) -> bool:
    return any('"pydemo"' in l.text and ("established IKE SA" in l.text or "ESTABLISHED_IKE_SA" in l.text)
               for l in result.lines)


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with ipsecauto.Session(sys.argv[1], config_text=CONFIG, include_dir="/", timeout=30) as west, \
            ipsecauto.Session(sys.argv[2], config_text=CONFIG, include_dir="/", timeout=30) as east:
        check("east: added from a string", run("east", east, "add", "pydemo").ok)
        check("west: added from a string", run("west", west, "add", "pydemo").ok)
        check("west: the IKE SA is established", established(run("west", west, "up", "pydemo")))
        check("east: status shows the established IKE SA", established(run("east", east, "status")))
        check("west: down", run("west", west, "down", "pydemo").ok)
        check("west: deleted", run("west", west, "delete", "pydemo").ok)
        check("east: deleted", run("east", east, "delete", "pydemo").ok)
    print("\nPython demo: " + ("every step did what it says" if not failures else "failed: " + "; ".join(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
