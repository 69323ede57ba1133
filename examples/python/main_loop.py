#!/usr/bin/env python3
"""A VPN plugin's flow on an asyncio main loop: add a connection from memory, bring it up,
answer pluto's XAUTH prompts from the plugin's secrets, never blocking the loop.

    main_loop.py CTLSOCKET NAME USERNAME PASSWORD [TIMEOUT_S [--skip-add]]

--skip-add: the connection is already loaded in pluto; only bring it up.
"""
import asyncio
import sys

import ipsecauto

# West's side of an IKEv1 PSK + XAUTH connection (the test scene's addresses).
CONFIG = """config setup

conn {name}
\tikev2=no
\tauthby=secret
\tleft=198.51.100.45
\tleftid=@west
\tleftxauthclient=yes
\tright=198.51.100.23
\trightid=@east
\trightxauthserver=yes
\txauthby=alwaysok
\tretransmit-timeout=1s
"""


async def bring_up(ctl: str, name: str, secrets: dict, steps=("add", "up")) -> int:
    def xauth(prompt: str):
        print(f"[xauth] pluto asks for the {prompt}", flush=True)
        return secrets.get(prompt)

    ticks = 0

    async def tick():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    ticker = asyncio.ensure_future(tick())
    try:
        with ipsecauto.Session(ctl, config_text=CONFIG.format(name=name), include_dir=".",
                               xauth=xauth) as s:
            for step in steps:
                try:
                    await s.run_async(step, name, on_line=lambda l, step=step: print(
                        f"[{step}] %03d %s" % l, flush=True))
                except ipsecauto.IpsecautoError as e:
                    print(f"{step} step: {e.code.name}: {e} (exit status {e.exit_status})",
                          file=sys.stderr)
                    return e.exit_status or 1
        return 0
    finally:
        ticker.cancel()


def main() -> int:
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    ctl, name, user, password = sys.argv[1:5]
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 30
    steps = ("up",) if sys.argv[6:7] == ["--skip-add"] else ("add", "up")
    try:
        status = asyncio.run(asyncio.wait_for(
            bring_up(ctl, name, {"username": user, "password": password}, steps), timeout))
    except asyncio.TimeoutError:
        print("timed out: cancelled", file=sys.stderr)
        status = 124
    print(f"[loop] done: exit status {status}")
    return status


if __name__ == "__main__":
    sys.exit(main())
