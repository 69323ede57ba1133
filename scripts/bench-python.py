#!/usr/bin/env python3
"""Latencies through the Python bindings, for ipsecauto-bench (src/bin/ipsecauto-bench).

  bench-python.py SOCKET CONFIG RUNS OP:NAME...

Runs each operation RUNS times in this one process, as a Python caller would
(`Session.run`), and prints one line per OP:NAME: the exit status, then every
run's time in nanoseconds; or "! " and the error, where the bindings raised. An `add:X` directly followed by `delete:X` runs
alternately (add, then delete), so each add finds X absent.
Needs PYTHONPATH to reach bindings/python and IPSECAUTO_LIBRARY the .so.
"""
import sys
import time

import ipsecauto


def timed(session, op, name):
    t = time.perf_counter_ns()
    r = session.run(op, name or None, check=False)
    return time.perf_counter_ns() - t, r.exit_status


def main():
    socket, config, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    specs = [s.split(":", 1) for s in sys.argv[4:]]
    session = ipsecauto.Session(socket, config_file=config)
    results = [None] * len(specs)
    i = 0
    while i < len(specs):
        op, name = specs[i]
        paired = (op == "add" and i + 1 < len(specs) and specs[i + 1] == ["delete", name])
        times, exits = [], []
        del_times, del_exits = [], []
        try:
            for _ in range(runs):
                t, e = timed(session, op, name)
                times.append(t)
                exits.append(e)
                if paired:
                    t, e = timed(session, "delete", name)
                    del_times.append(t)
                    del_exits.append(e)
            results[i] = f"{exits[-1]} " + " ".join(map(str, times))
            if paired:
                results[i + 1] = f"{del_exits[-1]} " + " ".join(map(str, del_times))
        except ipsecauto.IpsecautoError as e:
            results[i] = f"! {type(e).__name__}: {e}".replace("\n", " ")
            if paired:
                results[i + 1] = "! not measurable: its add failed"
        i += 2 if paired else 1
    print("\n".join(results))


if __name__ == "__main__":
    main()
