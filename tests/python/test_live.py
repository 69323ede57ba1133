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


CONF = """config setup

conn py-west
\tleft=198.51.100.1
\tright=198.51.100.2
\tauthby=secret
\tauto=add
"""


def test_a_connections_life_from_memory(pluto, tmp):
    with ipsecauto.Session(pluto.ctl, config_text=CONF, include_dir=tmp) as s:
        assert s.check() == []
        added = s.add("py-west")
        assert added.exit_status == 0
        assert '"py-west"' in support.run_oracle(pluto.ctl, ["--status"]).stdout.decode()
        # The same add again: pluto refuses a duplicate name, as it does for ipsec auto.
        again = s.add("py-west", check=False)
        conf = f"{tmp}/ipsec.conf"
        with open(conf, "w") as f:
            f.write(CONF)
        oracle = support.run_oracle(pluto.ctl, ["--config", conf, "--add", "py-west"])
        assert again.exit_status == oracle.returncode
        with ipsecauto.Session(pluto.ctl, asynchronous=True) as a:
            up = a.up("py-west", check=False)
        oracle = support.run_oracle(pluto.ctl, ["--asynchronous", "--up", "py-west"])
        assert up.exit_status == oracle.returncode == 0
        assert s.down("py-west").exit_status == 0
        assert s.route("py-west").exit_status == 0
        assert s.unroute("py-west").exit_status == 0
        assert s.replace("py-west").exit_status == 0
        s.delete("py-west")
        assert '"py-west"' not in support.run_oracle(pluto.ctl, ["--status"]).stdout.decode()


def test_a_config_error_carries_file_and_line(pluto, tmp):
    conf = f"{tmp}/bad.conf"
    with open(conf, "w") as f:
        f.write("config setup\n\nconn x\n\tleft=198.51.100.1\n\tbogus=1\n")
    with ipsecauto.Session(pluto.ctl, config_file=conf) as s:
        with pytest.raises(ipsecauto.ConfigError) as e:
            s.add("x")
    assert (e.value.file, e.value.line) == (conf, 5)
    oracle = support.run_oracle(pluto.ctl, ["--config", conf, "--add", "x"])
    assert e.value.exit_status == oracle.returncode
