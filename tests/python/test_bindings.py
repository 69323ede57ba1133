"""The Python bindings over a capturing stand-in socket: every operation sends the bytes the
Rust API (our ipsec-auto CLI) and libreswan's own `ipsec auto` send; every failure kind raises
its exception; callbacks, iterators, XAUTH, selectors, asyncio and threads."""
import asyncio
import os
import re
import selectors
import subprocess
import sys
import threading

import pytest

import ipsecauto
from ipsecauto import Op

import support

CONFIG_FREE = [op for op in Op if op not in (Op.ADD, Op.REPLACE, Op.START, Op.ONDEMAND,
                                              Op.FETCHCRLS, Op.AUTOALL)]


def args_for(op, utc=False, asynchronous=False, remote=None):
    a = []
    if utc:
        a.append("--utc")
    if asynchronous:
        a.append("--asynchronous")
    if remote:
        a += ["--remote-host", remote]
    a.append("--" + op.name.lower())
    if op.takes_name:
        a.append("west")
    return a


@pytest.mark.parametrize("op", CONFIG_FREE, ids=lambda o: o.name.lower())
@pytest.mark.parametrize("flags", [(False, False, None), (True, True, "192.0.2.9")],
                         ids=["plain", "utc-async-remote"])
def test_every_operation_sends_what_the_rust_api_and_ipsec_auto_send(capture, op, flags):
    utc, asynchronous, remote = flags
    with ipsecauto.Session(capture.path, utc=utc, asynchronous=asynchronous,
                           remote_host=remote) as s:
        r = s.run(op, "west" if op.takes_name else None)
    assert r == ipsecauto.Result(0, [ipsecauto.Line(0, "fine")])
    ours = capture.messages(1)
    args = args_for(op, utc, asynchronous, remote)
    rust = support.run_rust_cli(capture.path, args)
    assert rust.returncode == 0, rust.stderr
    assert capture.messages(1) == ours, "Rust API"
    oracle = support.run_oracle(capture.path, args)
    assert oracle.returncode == 0, oracle.stderr
    assert capture.messages(1) == ours, "libreswan's ipsec auto"


def test_one_method_per_operation(capture):
    with ipsecauto.Session(capture.path) as s:
        for op in Op:
            method = getattr(s, op.name.lower())
            if op in CONFIG_FREE:
                r = method("west") if op.takes_name else method()
                assert r.ok
    assert len(capture.messages(len(CONFIG_FREE))) == len(CONFIG_FREE)


def test_showonly_yields_ipsec_autos_command_lines(capture):
    with ipsecauto.Session(capture.path, showonly=True, asynchronous=True) as s:
        r = s.up("west")
    oracle = support.run_oracle(capture.path, ["--showonly", "--asynchronous", "--up", "west"])
    assert [l.text for l in r.lines] == oracle.stdout.decode().splitlines()
    assert capture.accepted() == 0


def test_lines_by_callback_and_by_iterator(capture):
    capture.default = support.answer(b"000 a\n005 b\n004 c\n")
    seen = []
    with ipsecauto.Session(capture.path) as s:
        r = s.up("west", on_line=seen.append)
        assert seen == r.lines == [(0, "a"), (5, "b"), (4, "c")]
        assert list(s.iter_lines("status")) == seen


def test_non_zero_status_raises_with_the_lines_unless_unchecked(capture):
    capture.default = support.answer(b"000 x\n021 no connection named \"west\"\n")
    with ipsecauto.Session(capture.path) as s:
        with pytest.raises(ipsecauto.StatusError) as e:
            s.up("west")
        assert e.value.exit_status == 21
        assert str(e.value) == 'no connection named "west"'
        assert e.value.result.lines[-1] == (21, 'no connection named "west"')
        assert s.up("west", check=False).exit_status == 21


def test_each_failure_kind_raises_its_exception(tmp, capture):
    with ipsecauto.Session(os.path.join(tmp, "absent")) as s:
        with pytest.raises(ipsecauto.NotRunningError) as e:
            s.status()
        assert isinstance(e.value, FileNotFoundError) and e.value.exit_status == 33
    stale = os.path.join(tmp, "stale")
    import socket
    so = socket.socket(socket.AF_UNIX)
    so.bind(stale)
    so.close()
    with pytest.raises(ipsecauto.ConnectionRefusedError):
        ipsecauto.Session(stale).status()
    capture.default = ["recv", "hang"]
    with pytest.raises(ipsecauto.TimeoutError) as e:
        ipsecauto.Session(capture.path, timeout=0.2).status()
    assert isinstance(e.value, TimeoutError)
    capture.default = support.answer(b"000 a\nno prefix\n")
    with pytest.raises(ipsecauto.ProtocolError):
        ipsecauto.Session(capture.path).status()
    with ipsecauto.Session(capture.path) as s:
        with pytest.raises(ipsecauto.UsageError):
            s.up("")
        with pytest.raises(ipsecauto.UsageError):
            s.run(Op.STATUS, "extra")
        with pytest.raises(ipsecauto.InvalidUtf8Error):
            s.up("we\udcffst")  # surrogate-escaped: not UTF-8 on the C side
        with pytest.raises(ipsecauto.CallbackError) as e:
            s.status(on_line=lambda l: 1 / 0)
        assert isinstance(e.value.__cause__, ZeroDivisionError)
    s.close()
    with pytest.raises(ipsecauto.IpsecautoError) as e:
        s.status()
    assert e.value.code == ipsecauto.Code.INVALID_HANDLE


def test_permission_denied_for_an_unprivileged_caller(capture):
    # Run as nobody in a child: access() to root's socket fails with EACCES.
    os.chmod(os.path.dirname(capture.path), 0o755)
    code = (
        "import ipsecauto\n"
        "try:\n"
        f"    ipsecauto.Session({capture.path!r}).status()\n"
        "except ipsecauto.PermissionDeniedError as e:\n"
        "    print('denied', isinstance(e, PermissionError))\n"
    )
    # The system's interpreter: a per-user one (pyenv under /root) is closed to nobody.
    p = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True, text=True,
                       env=dict(os.environ), user="nobody", timeout=30)
    assert p.stdout.strip() == "denied True", p.stderr


def test_xauth_is_answered_by_a_callable_and_declines_raise(capture):
    capture.default = support.XAUTH
    asked = []

    def xauth(prompt):
        asked.append(prompt)
        return {"username": "alice", "password": "s3cret"}[prompt]

    with ipsecauto.Session(capture.path, xauth=xauth) as s:
        assert s.up("west").lines[-1] == (4, "up")
    assert asked == ["username", "password"]
    rec = capture.records(1)[0]
    assert rec[1:] == [b"alice\0", b"s3cret\0"]
    for answer in (None, lambda p: None):
        with ipsecauto.Session(capture.path, xauth=answer) as s:
            with pytest.raises(ipsecauto.XauthDeclinedError) as e:
                s.up("west")
        assert "s3cret" not in str(e.value)


def test_iterator_times_out_with_timeout_error(capture):
    capture.default = ["recv", "hang"]
    with ipsecauto.Session(capture.path) as s:
        with pytest.raises(ipsecauto.TimeoutError):
            list(s.iter_lines("status", timeout=0.2))


def test_non_blocking_with_selectors(capture):
    capture.default = ["recv", ("send", b"000 one\n"), ("send", b"004 two\n")]
    with ipsecauto.Session(capture.path) as s, s.begin("up", "west") as op:
        sel = selectors.DefaultSelector()
        sel.register(op.fileno(), selectors.EVENT_READ)
        lines, done = [], False
        while not done:
            assert sel.select(5), "pluto's answer arrives"
            done = op.advance()
            lines += op.take_lines()
        assert op.result == (0, lines)
        assert lines == [(0, "one"), (4, "two")]


def test_asyncio_runs_operations_concurrently(capture):
    capture.default = ["recv", ("send", b"000 a\n"), ("send", b"004 b\n")]

    async def main():
        with ipsecauto.Session(capture.path) as s1, ipsecauto.Session(capture.path) as s2:
            return await asyncio.gather(s1.run_async("up", "west"), s2.run_async("status"))

    r1, r2 = asyncio.run(main())
    assert r1.lines == r2.lines == [(0, "a"), (4, "b")]


def test_asyncio_cancellation_cancels_the_operation(capture):
    capture.default = ["recv", "hang"]

    async def main():
        with ipsecauto.Session(capture.path) as s:
            t = asyncio.ensure_future(s.run_async("status"))
            await asyncio.sleep(0.1)
            t.cancel()
            with pytest.raises(asyncio.CancelledError):
                await t

    asyncio.run(main())


def test_eight_threads_at_once(capture):
    capture.default = support.answer(b"000 hi\n")
    shared = ipsecauto.Session(capture.path)
    errors = []

    def work(i):
        try:
            own = ipsecauto.Session(capture.path)
            for _ in range(10):
                assert own.status().lines == [(0, "hi")]
                assert shared.up(f"conn{i}").lines == [(0, "hi")]
            own.close()
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(capture.messages(160, timeout=20)) == 160
    shared.close()


def test_blocking_calls_release_the_gil(capture):
    capture.default = ["recv", ("send", b"000 slow\n")]
    capture.default = ["recv", "hang"]
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(1)
            stop.wait(0.01)

    t = threading.Thread(target=ticker)
    t.start()
    with pytest.raises(ipsecauto.TimeoutError):
        ipsecauto.Session(capture.path, timeout=0.5).status()
    stop.set()
    t.join()
    assert len(ticks) > 10, "another thread ran while the call waited"


def test_python_constants_match_the_header():
    header = open(os.path.join(support.REPO, "include", "ipsecauto.h")).read()
    values = dict(re.findall(r"^\s+(IPSECAUTO_\w+) = (\d+),", header, re.M))
    for code in ipsecauto.Code:
        assert int(values["IPSECAUTO_" + code.name]) == code.value, code
    for op in Op:
        assert int(values["IPSECAUTO_OP_" + op.name]) == op.value, op
    assert sum(k.startswith("IPSECAUTO_OP_") for k in values) == len(Op)
    assert sum(not k.startswith(("IPSECAUTO_OP_", "IPSECAUTO_PROMPT_", "IPSECAUTO_SEVERITY_"))
               for k in values) == len(ipsecauto.Code)
    assert [values["IPSECAUTO_SEVERITY_" + s] for s in ("FATAL", "ERROR", "WARNING")] == \
        ["1", "2", "3"]  # as Session.check() maps them
    note = re.search(r"#define IPSECAUTO_NOTE_RC (\d+)", header).group(1)
    assert int(note) == ipsecauto.NOTE_RC
    abi = re.search(r"#define IPSECAUTO_ABI_VERSION (\d+)", header).group(1)
    assert int(abi) == ipsecauto.ABI_VERSION
    assert ipsecauto.library_version() == ipsecauto.__version__


def test_a_missing_library_gives_a_clear_error(tmp):
    code = "import ipsecauto\ntry:\n    ipsecauto.Session()\nexcept ipsecauto.LibraryNotFound as e:\n    print(e)\n"
    env = dict(os.environ, IPSECAUTO_LIBRARY=os.path.join(tmp, "nope.so"))
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert "IPSECAUTO_LIBRARY" in p.stdout and "nope.so" in p.stdout, p.stderr


def test_exported_symbols_are_only_ipsecauto():
    lib = os.environ["IPSECAUTO_LIBRARY"]
    out = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True,
                         check=True).stdout
    names = [l.split()[-1] for l in out.splitlines() if l.strip()]
    funcs = [n for n in names if not n.startswith("IPSECAUTO_")]  # version node
    assert funcs and all(n.split("@")[0].startswith("ipsecauto_") for n in funcs), funcs
    soname = subprocess.run(["readelf", "-d", lib], capture_output=True, text=True).stdout
    assert "Library soname: [libipsecauto.so.0]" in soname


def test_check_reports_every_problem_with_file_and_line(tmp):
    conf = os.path.join(tmp, "ipsec.conf")
    with open(conf, "w") as f:
        f.write("config setup\n\nconn a\n\tleft=198.51.100.1\n\tbogus=1\n")
    found = ipsecauto.Session(config_file=conf).check()
    assert found and found[0].file == conf and found[0].line == 5
    assert found[0].severity == "fatal"
    # libreswan's own check rejects the same file at the same line.
    p = subprocess.run(["ipsec", "addconn", "--checkconfig", "--config", conf],
                       capture_output=True, text=True)
    assert p.returncode != 0 and f"{conf}:5:" in p.stderr + p.stdout
    with open(conf, "w") as f:
        f.write("config setup\n\nconn a\n\tleft=198.51.100.1\n\tright=198.51.100.2\n")
    assert ipsecauto.Session(config_file=conf).check() == []
    text = "config setup\nconn b\n\tleft=198.51.100.1\n\tbogus=1\n"
    found = ipsecauto.Session(config_text=text, include_dir=tmp).check()
    assert found[0].file == "<memory>" and found[0].line == 4


CONF = """config setup

conn west
\tleft=198.51.100.1
\tright=198.51.100.2
\tleftsubnet=203.0.113.0/25
\trightsubnet=203.0.113.128/25
\tauthby=secret
\tauto=start

conn east
\tleft=198.51.100.1
\tright=198.51.100.3
\tauthby=secret
\tauto=ondemand
"""


def agrees(refs, ours):
    """libreswan's tools leave some bytes uninitialised: where two of their runs differ, the
    byte is not compared (conformance.py's rule)."""
    ref = refs[0]
    if len(ref) != len(ours):
        return False
    for i, (a, b) in enumerate(zip(ref, ours)):
        if a == b:
            continue
        if len(a) != len(b):
            return False
        noisy = {k for r in refs[1:] for k in range(len(a)) if r[i][k] != a[k]}
        if any(a[k] != b[k] and k not in noisy for k in range(len(a))):
            return False
    return True


def oracle_messages(capture, argv):
    refs = []
    for _ in range(4):
        subprocess.run(argv, capture_output=True, timeout=30)
        refs.append(capture.messages(capture.accepted()))
    return refs


@pytest.mark.parametrize("op", [Op.ADD, Op.REPLACE, Op.START, Op.ONDEMAND, Op.FETCHCRLS],
                         ids=lambda o: o.name.lower())
@pytest.mark.parametrize("source", ["file", "memory"])
def test_configuration_operations_send_what_ipsec_auto_sends(capture, tmp, op, source):
    conf = os.path.join(tmp, "ipsec.conf")
    with open(conf, "w") as f:
        f.write(CONF)
    kw = dict(config_file=conf) if source == "file" else dict(config_text=CONF, include_dir=tmp)
    capture.default = support.answer(b"002 added\n")
    with ipsecauto.Session(capture.path, **kw) as s:
        try:
            status = s.run(op, "west" if op.takes_name else None, check=False).exit_status
        except ipsecauto.UsageError as e:  # 4.10's --fetchcrls runs addconn without names
            status = e.exit_status
    ours = capture.messages(capture.accepted())
    args = ["--config", conf, "--" + op.name.lower()] + (["west"] if op.takes_name else [])
    rust = support.run_rust_cli(capture.path, args)
    assert capture.messages(capture.accepted()) == ours, "Rust API"
    assert status == rust.returncode
    refs = oracle_messages(capture, ["ipsec", "auto", "--ctlsocket", capture.path, *args])
    assert agrees(refs, ours), "libreswan's ipsec auto"


def test_the_whole_file_pass_sends_what_addconn_autoall_sends(capture, tmp):
    conf = os.path.join(tmp, "ipsec.conf")
    with open(conf, "w") as f:
        f.write(CONF)
    capture.default = support.answer(b"002 ok\n")
    with ipsecauto.Session(capture.path, config_file=conf) as s:
        r = s.autoall()
    ours = capture.messages(capture.accepted())
    assert r.exit_status == 0 and len(ours) >= 4  # two conns, listen, route, initiate
    refs = oracle_messages(capture, ["ipsec", "addconn", "--ctlsocket", capture.path,
                                     "--config", conf, "--autoall"])
    assert agrees(refs, ours)


def test_addconns_complaints_come_as_notes_and_make_the_message(capture, tmp):
    with ipsecauto.Session(capture.path, config_text=CONF, include_dir=tmp) as s:
        with pytest.raises(ipsecauto.StatusError) as e:
            s.add("nosuch")
    notes = [l for l in e.value.result.lines if l.is_note]
    assert notes and "nosuch" in notes[-1].text
    assert str(e.value) == notes[-1].text.strip()
    conf = os.path.join(tmp, "ipsec.conf")
    with open(conf, "w") as f:
        f.write(CONF)
    oracle = support.run_oracle(capture.path, ["--config", conf, "--add", "nosuch"])
    assert e.value.exit_status == oracle.returncode
    assert notes[-1].text.strip() in oracle.stderr.decode()
