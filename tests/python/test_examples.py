"""Every C and Python example, run as a user would run it: against a capturing stand-in socket
(the bytes must equal what the Rust API, our ipsec-auto CLI, sends for the same request), against
a real private pluto (output and exit status as libreswan's `ipsec auto`), and the C examples
under valgrind (no errors, no leaks). `make examples` builds them and sets the environment."""
import os
import re
import subprocess
import sys

import pytest

import support

C_DIR = os.environ.get("IPSECAUTO_EXAMPLES", os.path.join(support.REPO, "target", "examples-c"))
STAGE = os.environ.get("IPSECAUTO_STAGE", os.path.join(support.REPO, "target", "stage"))
PY_DIR = os.path.join(support.REPO, "examples", "python")



def example_config(py_name):
    """The configuration text a Python example carries (the C one carries the same)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(py_name, os.path.join(PY_DIR, py_name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CONFIG


ADD_CONFIG = example_config("add_from_string")
PLUGIN_CONFIG = example_config("main_loop")


def env():
    e = dict(os.environ)
    e["LD_LIBRARY_PATH"] = os.path.join(STAGE, "lib")
    return e


def example(kind, name):
    """The command line for example `name` in C ("c"), statically linked C ("c-static", up
    only) or Python ("py")."""
    if kind == "py":
        py = {"nm_plugin": "main_loop"}.get(name, name)
        return [sys.executable, os.path.join(PY_DIR, py + ".py")]
    if kind == "c-static":
        return [os.path.join(C_DIR, name + "_static")]
    return [os.path.join(C_DIR, name)]


def run(cmd, *args, timeout=60):
    return subprocess.run(cmd + list(args), capture_output=True, text=True, env=env(),
                          timeout=timeout)


def lines(out):
    return [l for l in out.splitlines() if not l.startswith("# libipsecauto")]


@pytest.mark.parametrize("kind", ["c", "c-static", "py"])
@pytest.mark.parametrize("flags", [[], ["--asynchronous"]], ids=["sync", "async"])
def test_up_sends_the_rust_apis_bytes_and_streams_the_answer(capture, kind, flags):
    capture.default = support.answer(b"000 fine\n004 up\n")
    p = run(example(kind, "up"), capture.path, "west", *flags)
    assert p.returncode == 0, p.stderr
    assert lines(p.stdout) == ["000 fine", "004 up"]
    ours = capture.messages(1)
    rust = support.run_rust_cli(capture.path, flags + ["--up", "west"])
    assert rust.returncode == 0
    assert capture.messages(1) == ours


@pytest.mark.parametrize("kind", ["c", "py"])
def test_status_sends_the_rust_apis_bytes(capture, kind):
    p = run(example(kind, "status"), capture.path)
    assert p.returncode == 0, p.stderr
    assert lines(p.stdout) == ["000 fine"]
    ours = capture.messages(1)
    assert support.run_rust_cli(capture.path, ["--status"]).returncode == 0
    assert capture.messages(1) == ours


@pytest.mark.parametrize("kind", ["c", "py"])
def test_failures_are_reported_with_their_code(tmp, kind):
    p = run(example(kind, "up"), os.path.join(tmp, "absent"), "west")
    oracle = support.run_oracle(os.path.join(tmp, "absent"), ["--up", "west"])
    assert p.returncode == oracle.returncode == 33
    assert "NOT_RUNNING" in p.stderr and "not running" in p.stderr


def rust_add(capture, tmp, name, text=ADD_CONFIG):
    conf = os.path.join(tmp, "ipsec.conf")
    with open(conf, "w") as f:
        f.write(text)
    r = support.run_rust_cli(capture.path, ["--config", conf, "--add", name])
    return r, [b"".join(x) for x in capture.records(capture.accepted(), 5)]


@pytest.mark.parametrize("kind", ["c", "py"])
def test_add_from_string_sends_what_the_rust_api_sends_for_the_same_file(capture, tmp, kind):
    p = run(example(kind, "add_from_string"), capture.path)
    ours = [b"".join(x) for x in capture.records(capture.accepted(), 5)]
    rust, theirs = rust_add(capture, tmp, "example")
    assert ours == theirs
    assert p.returncode == rust.returncode, (p.stderr, rust.stderr)


@pytest.mark.parametrize("kind", ["c", "py"])
def test_main_loop_adds_from_memory_and_brings_up_with_xauth(capture, tmp, kind):
    """The NetworkManager-style flow. Until the configuration layer can add, both the example
    and the Rust CLI stop at add with the same status; after that, the up step's XAUTH
    prompts must be answered from the plugin's secrets."""
    capture.default = support.answer(b"002 added\n")
    capture.push(support.answer(b"002 added\n"))
    rust, theirs = rust_add(capture, tmp, "west", PLUGIN_CONFIG.format(name="west"))
    add_ok = rust.returncode == 0
    if add_ok:
        capture.push(support.answer(b"002 added\n"))
    capture.push(support.XAUTH if add_ok else support.answer(b""))
    p = run(example(kind, "nm_plugin"), capture.path, "west", "alice", "s3cret", "20")
    records = capture.records(capture.accepted(), 5)
    if not add_ok:
        assert [b"".join(r) for r in records] == theirs
        assert p.returncode == rust.returncode, (p.stdout, p.stderr, rust.stderr)
        assert "add step" in p.stderr
        return
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert [b"".join(r) for r in records[:-1]] == theirs
    up = records[-1]
    assert up[1:] == [b"alice\0", b"s3cret\0"]
    assert "[xauth] pluto asks for the username" in p.stdout
    assert "s3cret" not in p.stdout + p.stderr


@pytest.mark.parametrize("kind", ["c", "py"])
def test_main_loop_brings_up_a_loaded_connection_answering_xauth(capture, kind):
    capture.default = support.XAUTH
    p = run(example(kind, "nm_plugin"), capture.path, "west", "alice", "s3cret", "20",
            "--skip-add")
    assert p.returncode == 0, (p.stdout, p.stderr)
    rec = capture.records(1)[0]
    assert rec[1:] == [b"alice\0", b"s3cret\0"]
    assert [l for l in p.stdout.splitlines() if l.startswith("[")] == [
        "[up] 041 Enter username:",
        "[xauth] pluto asks for the username",
        "[up] 040 Enter password:",
        "[xauth] pluto asks for the password",
        "[up] 004 up",
        "[loop] done: exit status 0",
    ]
    assert "s3cret" not in p.stdout + p.stderr
    # The same request as the Rust API's up.
    support.run_rust_cli(capture.path, ["--up", "west"])
    assert capture.records(1)[0][0] == rec[0]


@pytest.mark.parametrize("kind", ["c", "py"])
def test_main_loop_cancels_on_timeout(capture, kind):
    capture.default = ["recv", "hang"]
    p = run(example(kind, "nm_plugin"), capture.path, "west", "u", "p", "1", "--skip-add")
    assert p.returncode == 124, (p.stdout, p.stderr)
    assert "timed out" in p.stderr


VALGRIND = ["valgrind", "--error-exitcode=99", "--leak-check=full",
            "--suppressions=" + os.path.join(os.path.dirname(__file__), "valgrind.supp"),
            "--show-leak-kinds=definite,indirect,possible",
            "--errors-for-leak-kinds=definite,indirect,possible"]


@pytest.mark.parametrize("name,args", [
    ("up", ["west"]),
    ("up", ["west", "--timeout-ms", "300"]),
    ("status", []),
    ("add_from_string", []),
    ("nm_plugin", ["west", "alice", "s3cret", "20"]),
    ("nm_plugin", ["west", "alice", "s3cret", "20", "--skip-add"]),
    ("nm_plugin", ["west", "alice", "s3cret", "1", "--skip-add"]),
])
def test_c_examples_under_valgrind(capture, name, args):
    capture.default = support.XAUTH if name == "nm_plugin" else support.answer(b"000 a\n004 b\n")
    if "--timeout-ms" in args or args[-2:] == ["1", "--skip-add"]:
        capture.default = ["recv", "hang"]
    p = run(VALGRIND + example("c", name), capture.path, *args, timeout=120)
    assert_valgrind_clean(p)


def assert_valgrind_clean(p):
    assert p.returncode != 99, p.stderr
    assert "ERROR SUMMARY: 0 errors" in p.stderr, p.stderr
    for kind in ("definitely", "indirectly", "possibly"):
        assert f"{kind} lost: 0 bytes" in p.stderr or f"{kind} lost" not in p.stderr, p.stderr


# -- against a real pluto ---------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["c", "py"])
def test_up_of_an_unknown_connection_matches_ipsec_auto(pluto, kind):
    oracle = support.run_oracle(pluto.ctl, ["--up", "nosuchconn"])
    p = run(example(kind, "up"), pluto.ctl, "nosuchconn")
    assert p.returncode == oracle.returncode == 21
    assert lines(p.stdout) == oracle.stdout.splitlines() if isinstance(oracle.stdout, str) \
        else lines(p.stdout) == oracle.stdout.decode().splitlines()


@pytest.mark.parametrize("kind", ["c", "py"])
def test_status_matches_ipsec_auto(pluto, kind):
    oracle = support.run_oracle(pluto.ctl, ["--status"])
    p = run(example(kind, "status"), pluto.ctl)
    assert p.returncode == oracle.returncode == 0
    assert lines(p.stdout) == oracle.stdout.decode().splitlines()


@pytest.mark.parametrize("kind", ["c", "py"])
def test_add_from_string_against_pluto_matches_the_rust_api(pluto, tmp, kind):
    p = run(example(kind, "add_from_string"), pluto.ctl)
    conf = os.path.join(tmp, "ipsec.conf")
    with open(conf, "w") as f:
        f.write(ADD_CONFIG)
    status = support.run_oracle(pluto.ctl, ["--status"]).stdout.decode()
    if p.returncode == 0:
        assert '"example": 198.51.100.1' in status, status
    rust = support.run_rust_cli(pluto.ctl, ["--config", conf, "--replace", "example"])
    assert p.returncode == rust.returncode, (p.stderr, rust.stderr)
    assert support.run_oracle(pluto.ctl, ["--delete", "example"]).returncode == 0


@pytest.fixture
def scene():
    sc = support.Scene()
    yield sc
    sc.down()


PSK = "@west @east : PSK \"ipsecauto-example-psk\"\n"


@pytest.mark.parametrize("kind", ["c", "c-valgrind", "py"])
def test_main_loop_against_two_plutos_answers_xauth(scene, kind):
    """The plugin adds its connection from memory to west's pluto and brings it up against
    east, an XAUTH server, answering the prompts from its secrets."""
    conn = PLUGIN_CONFIG.format(name="vpn").split("\n", 2)[2]
    scene.setup_side("east", conn, PSK)
    scene.setup_side("west", "", PSK)
    added = scene.auto("east", ["--add", "vpn"])
    assert added.returncode == 0, added.stdout + added.stderr
    password = "never-in-any-log"
    cmd = VALGRIND + example("c", "nm_plugin") if kind == "c-valgrind" else \
        example(kind, "nm_plugin")
    p = run(cmd, scene.side("west", "CTL"), "vpn", "alice", password, "60", timeout=120)
    if kind == "c-valgrind":
        assert_valgrind_clean(p)
    out = p.stdout
    for line in ("[xauth] pluto asks for the username",
                 "[xauth] pluto asks for the password",
                 "XAUTH: Answering XAUTH challenge with user='alice'",
                 "XAUTH: Successfully Authenticated"):
        assert line in out, (line, out, p.stderr)
    assert "User alice: Authentication Successful" in scene.log("east")
    # The connection the plugin added from memory is west's pluto's now.
    status = subprocess.run(["ipsec", "whack", "--ctlsocket", scene.side("west", "CTL"),
                             "--status"], capture_output=True, text=True).stdout
    assert '"vpn": 198.51.100.45' in status, status
    # (valgrind's stderr repeats the command line, password included: not ours.)
    stderr = "" if kind == "c-valgrind" else p.stderr
    for text in (out, stderr, scene.log("west"), scene.log("east")):
        assert password not in text
    # IKE is up; whether the child SA installs depends on the kernel (ESP states), and the
    # exit status is then pluto's, as `ipsec auto --up` would give it.
    if p.returncode != 0:
        assert "No acceptable response to our first Quick Mode message" in out, out
        assert p.returncode == 31


def test_make_install_lays_out_lib_header_and_pkgconfig(tmp):
    """`make install PREFIX=/usr DESTDIR=...`: the versioned library with its soname links,
    the static library, the header and a .pc file that points at PREFIX (not DESTDIR)."""
    p = subprocess.run(["make", "--no-print-directory", "-C", support.REPO, "install",
                        "PREFIX=/usr", f"DESTDIR={tmp}"], capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    lib = os.path.join(tmp, "usr", "lib")
    assert os.readlink(os.path.join(lib, "libipsecauto.so")) == "libipsecauto.so.0"
    real = os.readlink(os.path.join(lib, "libipsecauto.so.0"))
    assert re.fullmatch(r"libipsecauto\.so\.0\.\d+\.\d+", real), real
    assert os.path.isfile(os.path.join(lib, "libipsecauto.a"))
    with open(os.path.join(tmp, "usr", "include", "ipsecauto.h")) as f, \
            open(os.path.join(support.REPO, "include", "ipsecauto.h")) as g:
        assert f.read() == g.read()
    pc = open(os.path.join(lib, "pkgconfig", "ipsecauto.pc")).read()
    assert "prefix=/usr\n" in pc and "libdir=/usr/lib\n" in pc and tmp not in pc
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "ipsecauto"], text=True,
                           capture_output=True, env=dict(os.environ, PKG_CONFIG_PATH=os.path.join(
                               lib, "pkgconfig"))).stdout.split()
    assert flags == ["-I/usr/include", "-L/usr/lib", "-lipsecauto"] or \
        flags == ["-lipsecauto"], flags  # pkg-config drops system paths
    dyn = subprocess.run(["readelf", "-d", os.path.join(lib, real)], capture_output=True,
                         text=True).stdout
    assert "Library soname: [libipsecauto.so.0]" in dyn


def test_abi_misuse_from_c_under_valgrind(tmp, capture):
    """NULLs, bad UTF-8, unknown operations, refusing callbacks, an XAUTH answer without its
    NUL, calls on finished, freed and wrongly typed handles: each gets its code, and valgrind
    sees no invalid access and no leak."""
    binary = os.path.join(tmp, "misuse")
    pc = dict(env(), PKG_CONFIG_PATH=os.path.join(STAGE, "lib", "pkgconfig"))
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "ipsecauto"], env=pc,
                           capture_output=True, text=True, check=True).stdout.split()
    cc = subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-g",
                         os.path.join(os.path.dirname(__file__), "misuse.c"), "-o", binary,
                         *flags], capture_output=True, text=True)
    assert cc.returncode == 0, cc.stderr
    xauth = support.Capture(os.path.join(tmp, "xauth"), support.XAUTH)
    try:
        p = run(VALGRIND + [binary], capture.path, xauth.path, timeout=120)
    finally:
        xauth.close()
    assert p.returncode == 0, p.stdout + p.stderr
    assert "misuse: all codes as expected" in p.stdout
    assert_valgrind_clean(p)
