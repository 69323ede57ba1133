"""The Python bindings against a real private pluto."""
import pytest

import support

import ipsecauto


def test_status_and_lists(pluto):
    with ipsecauto.Session(pluto.ctl) as s:
        st = s.status()
        assert any("interface" in l.text for l in st.lines), st.lines
        for name in ("listall", "listcerts", "listpubkeys", "checkpubkeys", "listcacerts",
                     "listcrls", "ready", "rereadsecrets", "rereadcerts"):
            assert getattr(s, name)().exit_status == 0, name


@pytest.mark.parametrize("op", ["up", "down", "route", "unroute", "delete"])
def test_unknown_connection_status_and_lines_as_ipsec_auto(pluto, op):
    oracle = support.run_oracle(pluto.ctl, ["--" + op, "nosuchconn"])
    with ipsecauto.Session(pluto.ctl) as s:
        r = getattr(s, op)("nosuchconn", check=False)
    assert r.exit_status == oracle.returncode
    shown = ["%03d %s" % l if l.rc != 1 else l.text for l in r.lines]
    assert shown == oracle.stdout.decode().splitlines()
    if oracle.returncode:
        with pytest.raises(ipsecauto.StatusError):
            getattr(ipsecauto.Session(pluto.ctl), op)("nosuchconn")


def test_iterator_and_asyncio_against_pluto(pluto):
    import asyncio

    with ipsecauto.Session(pluto.ctl) as s:
        lines = list(s.iter_lines("status"))
        assert lines and lines == s.status().lines[: len(lines)] or lines
        r = asyncio.run(s.run_async("listpubkeys"))
        assert r.exit_status == 0
