"""Test support for the Python suite: a capturing stand-in for pluto's control socket and a
private pluto (the Python siblings of tests/support/capture.rs and pluto.rs)."""
from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from typing import List, Optional, Sequence, Tuple, Union

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: The Rust API's command line (ops through the CLI): the reference for bytes sent.
RUST_CLI = os.environ.get("IPSECAUTO_CLI", os.path.join(REPO, "target", "release", "ipsec-auto"))

Step = Union[str, Tuple[str, bytes]]  # "recv", "hang", ("send", bytes)


def answer(reply: bytes) -> List[Step]:
    return ["recv", ("send", reply)]


XAUTH = ["recv", ("send", b"041 Enter username:\n"), "recv",
         ("send", b"040 Enter password:\n"), "recv", ("send", b"004 up\n")]


class Capture:
    """Accepts connections on `path`; each follows a script (`push`, else the default) and its
    received parts are recorded: `records()` -> [[part, ...], ...] in order of acceptance."""

    QUIET = 0.025

    def __init__(self, path: str, script: Sequence[Step] = ("recv",)) -> None:
        self.path, self.default = path, list(script)
        self.queue: List[List[Step]] = []
        self._records: List[List[bytes]] = []
        self.lock = threading.Lock()
        if os.path.exists(path):
            os.unlink(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(64)
        self.stop = False
        self.threads: List[threading.Thread] = []
        self.t = threading.Thread(target=self._accept, daemon=True)
        self.t.start()

    def push(self, script: Sequence[Step]) -> None:
        with self.lock:
            self.queue.append(list(script))

    def _accept(self) -> None:
        while not self.stop:
            r, _, _ = select.select([self.sock], [], [], 0.02)
            if not r:
                continue
            c, _ = self.sock.accept()
            with self.lock:
                script = self.queue.pop(0) if self.queue else self.default
                rec: List[bytes] = []
                self._records.append(rec)
            t = threading.Thread(target=self._serve, args=(c, script, rec), daemon=True)
            t.start()
            self.threads.append(t)

    def _serve(self, c: socket.socket, script: List[Step], rec: List[bytes]) -> None:
        try:
            for step in script:
                if step == "recv":
                    data = b""
                    while True:
                        r, _, _ = select.select([c], [], [], self.QUIET if data else 2.0)
                        if not r:
                            break
                        d = c.recv(1 << 20)
                        if not d:
                            break
                        data += d
                    rec.append(data)
                elif step == "hang":
                    while not self.stop:
                        r, _, _ = select.select([c], [], [], 0.05)
                        if r and not c.recv(4096):
                            break
                else:
                    c.sendall(step[1])
        except OSError:
            pass
        finally:
            c.close()

    def records(self, n: int, timeout: float = 5.0) -> List[List[bytes]]:
        """Waits for `n` finished connections and takes their records."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                done = [t for t in self.threads if not t.is_alive()]
                if len(self._records) >= n and len(done) >= len(self.threads):
                    out, self._records = self._records[:n], self._records[n:]
                    self.threads = []
                    return out
            time.sleep(0.005)
        raise AssertionError(f"expected {n} connections, got {len(self._records)}")

    def messages(self, n: int, timeout: float = 5.0) -> List[bytes]:
        return [b"".join(r) for r in self.records(n, timeout)]

    def accepted(self) -> int:
        with self.lock:
            return len(self._records)

    def close(self) -> None:
        self.stop = True
        self.t.join()
        self.sock.close()
        if os.path.exists(self.path):
            os.unlink(self.path)


def run_rust_cli(ctl: str, args: Sequence[str]) -> subprocess.CompletedProcess:
    return subprocess.run([RUST_CLI, "--ctlsocket", ctl, *args], capture_output=True, timeout=30)


def run_oracle(ctl: str, args: Sequence[str]) -> subprocess.CompletedProcess:
    return subprocess.run(["ipsec", "auto", "--ctlsocket", ctl, *args], capture_output=True,
                          timeout=30)


class Pluto:
    """A private pluto in a temporary directory, stopped by `stop()`."""

    READY = "loading secrets from"

    def __init__(self, conns: str = "", setup: Sequence[str] = (),
                 address: Optional[str] = "198.51.100.1/24") -> None:
        """With `address`, pluto runs in a network namespace of its own where a dummy
        interface has that address, so connections from it orient."""
        if os.geteuid() != 0:
            raise AssertionError("the live tests need root (they start a private pluto)")
        self.netns: Optional[str] = None
        if address:
            self.netns = f"ipsecauto-py-{os.getpid()}-{id(self) % 100000}"
            # A veth pair inside the namespace (this kernel has no dummy links).
            try:
                for cmd in (["ip", "netns", "add", self.netns],
                            ["ip", "-n", self.netns, "link", "set", "lo", "up"],
                            ["ip", "-n", self.netns, "link", "add", "v0", "type", "veth",
                             "peer", "name", "v1"],
                            ["ip", "-n", self.netns, "addr", "add", address, "dev", "v0"],
                            ["ip", "-n", self.netns, "link", "set", "v1", "up"],
                            ["ip", "-n", self.netns, "link", "set", "v0", "up"]):
                    subprocess.run(cmd, check=True, capture_output=True, timeout=30)
            except subprocess.CalledProcessError as e:
                subprocess.run(["ip", "netns", "del", self.netns], capture_output=True)
                raise AssertionError(f"{e.cmd}: {e.stderr.decode()}") from e
        self.dir = tempfile.mkdtemp(prefix="ipsecauto-py-pluto-")
        self.rundir = os.path.join(self.dir, "run")
        self.nssdir = os.path.join(self.dir, "nss")
        self.conf = os.path.join(self.dir, "ipsec.conf")
        self.secrets = os.path.join(self.dir, "ipsec.secrets")
        self.log = os.path.join(self.dir, "pluto.log")
        self.ctl = os.path.join(self.rundir, "pluto.ctl")
        os.makedirs(self.rundir)
        os.makedirs(self.nssdir)
        subprocess.run(["ipsec", "initnss", "--nssdir", self.nssdir], check=True,
                       capture_output=True, timeout=60)
        self.setup = list(setup)
        self.write_conns(conns)
        with open(self.secrets, "w") as f:
            f.write("")
        self.stderr = open(os.path.join(self.dir, "pluto.stderr"), "w")
        prefix = ["ip", "netns", "exec", self.netns] if self.netns else []
        self.proc = subprocess.Popen(
            prefix + ["ipsec", "pluto", "--nofork", "--config", self.conf, "--rundir", self.rundir,
             "--nssdir", self.nssdir],
            stdin=subprocess.DEVNULL, stdout=self.stderr, stderr=self.stderr,
            start_new_session=True)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"pluto exited: {self.tail()}")
            if os.path.exists(self.ctl) and self.READY in self.log_text():
                return
            time.sleep(0.01)
        self.stop()
        raise AssertionError(f"pluto did not start: {self.tail()}")

    def write_conns(self, conns: str) -> None:
        lines = ["config setup", f"\tnssdir={self.nssdir}", f"\tipsecdir={self.dir}",
                 f"\tsecretsfile={self.secrets}", f"\tlogfile={self.log}",
                 f"\tdumpdir={self.rundir}"] + [f"\t{s}" for s in self.setup]
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n\n" + conns)

    def log_text(self) -> str:
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def tail(self, n: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-n:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.netns:
            subprocess.run(["ip", "netns", "del", self.netns], capture_output=True, timeout=30)
            self.netns = None


class Scene:
    """The two-host scene of scripts/scene.sh (west 198.51.100.45, east 198.51.100.23, each
    with a private pluto in its own namespace); `env` holds scene.env's paths."""

    SCRIPT = os.path.join(REPO, "scripts", "scene.sh")

    def __init__(self) -> None:
        if os.geteuid() != 0:
            raise AssertionError("the scene needs root (namespaces and plutos)")
        self.name = f"py{os.getpid()}x{id(self) % 10000}"
        up = subprocess.run(["bash", self.SCRIPT, "-n", self.name, "up"], capture_output=True,
                            text=True, timeout=120)
        if up.returncode != 0:
            self.down()
            raise AssertionError(f"scene up failed: {up.stdout}{up.stderr}")
        self.env = {}
        with open(f"/run/ipsecauto-scene-{self.name}/scene.env") as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                self.env[k] = v

    def side(self, side: str, key: str) -> str:
        return self.env[f"{side.upper()}_{key}"]

    def setup_side(self, side: str, conns: str, secrets: str) -> None:
        with open(self.side(side, "CONNS"), "w") as f:
            f.write(conns)
        with open(self.side(side, "SECRETS"), "w") as f:
            f.write(secrets)
        subprocess.run(["ipsec", "whack", "--ctlsocket", self.side(side, "CTL"),
                        "--rereadsecrets"], check=True, capture_output=True, timeout=30)

    def auto(self, side: str, args: Sequence[str]) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", self.side(side, "NS"), "ipsec", "auto",
                               "--config", self.side(side, "CONF"), "--ctlsocket",
                               self.side(side, "CTL"), *args],
                              capture_output=True, text=True, timeout=60)

    def log(self, side: str) -> str:
        with open(self.side(side, "LOG"), errors="replace") as f:
            return f.read()

    def down(self) -> None:
        subprocess.run(["bash", self.SCRIPT, "-n", self.name, "down"], capture_output=True,
                       timeout=120)
