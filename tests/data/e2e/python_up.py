"""End to end through the Python bindings (tests/e2e_ffi.rs): a connection held in memory is
added on both hosts of the scene and brought up from west; west's status is read back.

    python_up.py WEST_CTL EAST_CTL WEST_DIR EAST_DIR CONN CONN_TEXT

Prints one JSON object per operation ({"side", "op", "exit_status", "lines": [[rc, text]]})
and exits 0 once every call returned; judging them is the test's job. A failed operation
raises, and Python exits 1 with the traceback.
"""
import json
import sys

import ipsecauto


def report(side, op, result):
    print(json.dumps({"side": side, "op": op, "exit_status": result.exit_status,
                      "lines": [[l.rc, l.text] for l in result.lines]}), flush=True)


def main():
    west_ctl, east_ctl, west_dir, east_dir, conn, text = sys.argv[1:7]
    config = "config setup\n\n" + text
    sides = {
        "east": ipsecauto.Session(east_ctl, config_text=config, include_dir=east_dir, timeout=30),
        "west": ipsecauto.Session(west_ctl, config_text=config, include_dir=west_dir, timeout=30),
    }
    for side, s in sides.items():
        report(side, "rereadsecrets", s.rereadsecrets())
        report(side, "add", s.add(conn))
    west = sides["west"]
    report("west", "up", west.up(conn, check=False))
    report("west", "status", west.status())
    for s in sides.values():
        s.close()


if __name__ == "__main__":
    main()
