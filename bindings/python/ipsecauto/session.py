"""Session, Operation, Result: `ipsec auto` over the C ABI."""
from __future__ import annotations

import asyncio
import ctypes
import enum
import threading
from typing import Callable, Iterator, List, NamedTuple, Optional, Union

from . import _lib
from .errors import EXCEPTIONS, CallbackError, Code, ConfigError, IpsecautoError


class Op(enum.IntEnum):
    """ipsecauto_operation, value for value."""

    ADD = 1
    DELETE = 2
    REPLACE = 3
    START = 4
    UP = 5
    DOWN = 6
    ROUTE = 7
    UNROUTE = 8
    ONDEMAND = 9
    STATUS = 10
    READY = 11
    REREADSECRETS = 12
    REREADALL = 13
    REREADCERTS = 14
    FETCHCRLS = 15
    LISTALL = 16
    LISTCERTS = 17
    LISTPUBKEYS = 18
    CHECKPUBKEYS = 19
    LISTCACERTS = 20
    LISTCRLS = 21
    PURGEOCSP = 22
    #: The whole-file pass (`ipsec addconn --autoall`): every conn's `auto=` acted on.
    AUTOALL = 23

    @property
    def takes_name(self) -> bool:
        return self <= Op.ONDEMAND


#: The `rc` of lines that are the tools' own diagnostics, not pluto's (IPSECAUTO_NOTE_RC).
NOTE_RC = 1000


class Line(NamedTuple):
    """One line of pluto's answer: its numeric code and its text (`rc` NOTE_RC: one of the
    tools' own diagnostics, which `ipsec auto` prints on stderr)."""

    rc: int
    text: str

    @property
    def is_note(self) -> bool:
        return self.rc == NOTE_RC


class Diagnostic(NamedTuple):
    """One problem found by `Session.check()`."""

    file: str
    line: int
    message: str
    #: "fatal" (the file is rejected), "error" (its conn does not load) or "warning".
    severity: str


class Result(NamedTuple):
    """What an operation ended with: the exit status `ipsec auto` would give, and the lines."""

    exit_status: int
    lines: List[Line]

    @property
    def ok(self) -> bool:
        return self.exit_status == 0


OnLine = Callable[[Line], None]
#: Answers an XAUTH prompt ("username" or "password") with a string, or None to decline.
Xauth = Callable[[str], Optional[str]]
OpName = Union[Op, str]


def _op(op: OpName) -> Op:
    return op if isinstance(op, Op) else Op[op.upper().replace("-", "")]


def _enc(s: Optional[str]) -> Optional[bytes]:
    return None if s is None else s.encode("utf-8", "surrogateescape")


class _Calls:
    """Per-call state the C callbacks report into (lines, callback exceptions)."""

    def __init__(self, on_line: Optional[OnLine], xauth: Optional[Xauth]) -> None:
        self.on_line, self.xauth = on_line, xauth
        self.lines: List[Line] = []
        self.error: Optional[BaseException] = None

        def line(_ud, rc, text):
            try:
                ln = Line(rc, text.decode("utf-8", "replace"))
                self.lines.append(ln)
                if self.on_line is not None:
                    self.on_line(ln)
                return 0
            except BaseException as e:  # noqa: BLE001 - reported after the call returns
                self.error = e
                return 1

        def answer(_ud, prompt, buf, size):
            try:
                if self.xauth is None:
                    return 1
                a = self.xauth("username" if prompt == 1 else "password")
                if a is None:
                    return 1
                data = a.encode("utf-8")
                if len(data) >= size or b"\0" in data:
                    return 1
                ctypes.memmove(buf, data + b"\0", len(data) + 1)
                return 0
            except BaseException as e:  # noqa: BLE001
                self.error = e
                return 1

        # Kept referenced for as long as the library may call them.
        self.c_line = _lib.LINE_CALLBACK(line)
        self.c_xauth = _lib.XAUTH_CALLBACK(answer)


def _raise(code: int, message: str, exit_status: Optional[int] = None,
           result: Optional[Result] = None, file: Optional[str] = None, line: int = 0,
           cause: Optional[BaseException] = None) -> None:
    c = Code(code) if code in Code._value2member_map_ else Code.PANIC
    cls = EXCEPTIONS.get(c, IpsecautoError)
    kw = dict(code=c, exit_status=exit_status, result=result)
    err = ConfigError(message, file, line, **kw) if cls is ConfigError else cls(message, **kw)
    if cause is not None and c == Code.CALLBACK_FAILED:
        raise err from cause
    if cause is not None:
        raise CallbackError(f"{message} (callback raised {cause!r})", code=Code.CALLBACK_FAILED,
                            exit_status=exit_status, result=result) from cause
    raise err


class Session:
    """The options of `ipsec auto`, and one method per operation.

    Methods return a `Result`, or raise the `IpsecautoError` subclass for the failure
    (`StatusError` for a non-zero exit status unless `check=False`). A session may be shared
    between threads: its calls are serialised (parallel work wants one session per thread).
    """

    def __init__(
        self,
        ctl_socket: Optional[str] = None,
        *,
        config_file: Optional[str] = None,
        config_text: Optional[str] = None,
        include_dir: Optional[str] = None,
        verbose: bool = False,
        utc: bool = False,
        asynchronous: bool = False,
        showonly: bool = False,
        remote_host: Optional[str] = None,
        timeout: Optional[float] = None,
        xauth: Optional[Xauth] = None,
    ) -> None:
        self._c = _lib.load()
        self._lock = threading.RLock()
        h = ctypes.c_void_p()
        r = self._c.ipsecauto_session_new(ctypes.byref(h))
        if r != Code.OK:
            _raise(r, "ipsecauto_session_new failed")
        self._h: Optional[int] = h.value
        self.xauth = xauth
        self._set("ctl_socket", _enc(ctl_socket))
        if config_text is not None:
            self._set("config_text", _enc(config_text), _enc(include_dir))
        elif config_file is not None:
            self._set("config_file", _enc(config_file))
        self._set("verbose", verbose)
        self._set("utc", utc)
        self._set("asynchronous", asynchronous)
        self._set("showonly", showonly)
        self._set("remote_host", _enc(remote_host))
        self._set("timeout_ms", 0 if timeout is None else max(1, int(timeout * 1000)))

    # -- plumbing --------------------------------------------------------------------------
    def _handle(self) -> int:
        if self._h is None:
            raise IpsecautoError("session is closed", code=Code.INVALID_HANDLE)
        return self._h

    def _fail(self, r: int, exit_status: Optional[int] = None, result: Optional[Result] = None,
              cause: Optional[BaseException] = None) -> None:
        h = self._handle()
        msg = self._c.ipsecauto_session_errmsg(h).decode("utf-8", "replace")
        f = self._c.ipsecauto_session_error_file(h)
        _raise(r, msg, exit_status, result,
               f.decode("utf-8", "replace") if f else None,
               self._c.ipsecauto_session_error_line(h), cause)

    def _set(self, what: str, *args) -> None:
        with self._lock:
            r = getattr(self._c, "ipsecauto_session_set_" + what)(self._handle(), *args)
            if r != Code.OK:
                self._fail(r)

    def close(self) -> None:
        with self._lock:
            if self._h is not None:
                self._c.ipsecauto_session_free(self._h)
                self._h = None

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    # -- options -------------------------------------------------------------------------
    def set_config_text(self, text: str, include_dir: Optional[str] = None) -> None:
        self._set("config_text", _enc(text), _enc(include_dir))

    def set_config_file(self, path: Optional[str]) -> None:
        self._set("config_file", _enc(path))

    def check(self) -> List[Diagnostic]:
        """Every problem of the configuration (file or text), without talking to pluto.
        Fatal ones mean no operation can use it; `ConfigError` is not raised: inspect the list."""
        out = ctypes.c_void_p()
        with self._lock:
            r = self._c.ipsecauto_check(self._handle(), ctypes.byref(out))
            if out.value is None:
                self._fail(r)
        try:
            found = []
            for i in range(self._c.ipsecauto_diagnostics_count(out)):
                f, ln, m, sev = ctypes.c_char_p(), ctypes.c_uint(), ctypes.c_char_p(), ctypes.c_int()
                self._c.ipsecauto_diagnostics_get(out, i, ctypes.byref(f), ctypes.byref(ln),
                                                  ctypes.byref(m), ctypes.byref(sev))
                found.append(Diagnostic(
                    (f.value or b"").decode("utf-8", "replace"), ln.value,
                    (m.value or b"").decode("utf-8", "replace"),
                    {1: "fatal", 2: "error"}.get(sev.value, "warning")))
            return found
        finally:
            self._c.ipsecauto_diagnostics_free(out)

    # -- running -------------------------------------------------------------------------
    def run(self, op: OpName, name: Optional[str] = None, *, on_line: Optional[OnLine] = None,
            check: bool = True) -> Result:
        """Runs an operation to its end (the GIL is released while waiting for pluto)."""
        o = _op(op)
        calls = _Calls(on_line, self.xauth)
        status = ctypes.c_int(-1)
        with self._lock:
            h = self._handle()
            self._c.ipsecauto_session_set_line_callback(h, calls.c_line, None)
            self._c.ipsecauto_session_set_xauth_callback(h, calls.c_xauth, None)
            try:
                r = self._c.ipsecauto_run(h, int(o), _enc(name), ctypes.byref(status))
                result = Result(status.value, calls.lines)
                if r == Code.OK or (r == Code.STATUS and not check):
                    return result
                self._fail(r, status.value, result, calls.error)
            finally:
                self._c.ipsecauto_session_set_line_callback(h, _lib.LINE_CALLBACK(), None)
                self._c.ipsecauto_session_set_xauth_callback(h, _lib.XAUTH_CALLBACK(), None)
        raise AssertionError("unreachable")

    def begin(self, op: OpName, name: Optional[str] = None, *,
              on_line: Optional[OnLine] = None) -> "Operation":
        """Starts an operation for a main loop: see `Operation`. `on_line` is called for each
        line as `advance()` reads it, in order with the XAUTH callable's calls."""
        o = _op(op)
        calls = _Calls(on_line, self.xauth)
        out = ctypes.c_void_p()
        with self._lock:
            h = self._handle()
            # The operation keeps its own copy of the callbacks set now.
            self._c.ipsecauto_session_set_line_callback(h, calls.c_line, None)
            self._c.ipsecauto_session_set_xauth_callback(h, calls.c_xauth, None)
            try:
                r = self._c.ipsecauto_op_start(h, int(o), _enc(name), ctypes.byref(out))
                if r != Code.OK:
                    self._fail(r)
            finally:
                self._c.ipsecauto_session_set_line_callback(h, _lib.LINE_CALLBACK(), None)
                self._c.ipsecauto_session_set_xauth_callback(h, _lib.XAUTH_CALLBACK(), None)
        return Operation(self._c, out.value, calls)

    def iter_lines(self, op: OpName, name: Optional[str] = None, *,
                   timeout: Optional[float] = None, check: bool = True) -> Iterator[Line]:
        """Yields pluto's lines as they arrive; raises at the end as `run` would."""
        import selectors

        with self.begin(op, name) as operation, selectors.DefaultSelector() as sel:
            sel.register(operation.fileno(), selectors.EVENT_READ)
            while True:
                if not sel.select(timeout):
                    operation.cancel()
                    _raise(Code.TIMEOUT, f"no answer from pluto within {timeout} s")
                done = operation.advance(check=check)
                yield from operation.take_lines()
                if done:
                    return

    async def run_async(self, op: OpName, name: Optional[str] = None, *,
                        on_line: Optional[OnLine] = None, check: bool = True) -> Result:
        """Runs an operation on the running asyncio loop, without blocking it."""
        loop = asyncio.get_running_loop()
        operation = self.begin(op, name, on_line=on_line)
        ready = asyncio.Event()
        fd = operation.fileno()
        loop.add_reader(fd, ready.set)
        try:
            while True:
                await ready.wait()
                ready.clear()
                if operation.advance(check=check):
                    return operation.result
        except asyncio.CancelledError:
            operation.cancel()
            raise
        finally:
            loop.remove_reader(fd)
            operation.close()

    # -- one method per operation ------------------------------------------------------------
    def add(self, name: str, **kw) -> Result:
        return self.run(Op.ADD, name, **kw)

    def delete(self, name: str, **kw) -> Result:
        return self.run(Op.DELETE, name, **kw)

    def replace(self, name: str, **kw) -> Result:
        return self.run(Op.REPLACE, name, **kw)

    def start(self, name: str, **kw) -> Result:
        return self.run(Op.START, name, **kw)

    def up(self, name: str, **kw) -> Result:
        return self.run(Op.UP, name, **kw)

    def down(self, name: str, **kw) -> Result:
        return self.run(Op.DOWN, name, **kw)

    def route(self, name: str, **kw) -> Result:
        return self.run(Op.ROUTE, name, **kw)

    def unroute(self, name: str, **kw) -> Result:
        return self.run(Op.UNROUTE, name, **kw)

    def ondemand(self, name: str, **kw) -> Result:
        return self.run(Op.ONDEMAND, name, **kw)

    def status(self, **kw) -> Result:
        return self.run(Op.STATUS, **kw)

    def ready(self, **kw) -> Result:
        return self.run(Op.READY, **kw)

    def rereadsecrets(self, **kw) -> Result:
        return self.run(Op.REREADSECRETS, **kw)

    def rereadall(self, **kw) -> Result:
        return self.run(Op.REREADALL, **kw)

    def rereadcerts(self, **kw) -> Result:
        return self.run(Op.REREADCERTS, **kw)

    def fetchcrls(self, **kw) -> Result:
        return self.run(Op.FETCHCRLS, **kw)

    def listall(self, **kw) -> Result:
        return self.run(Op.LISTALL, **kw)

    def listcerts(self, **kw) -> Result:
        return self.run(Op.LISTCERTS, **kw)

    def listpubkeys(self, **kw) -> Result:
        return self.run(Op.LISTPUBKEYS, **kw)

    def checkpubkeys(self, **kw) -> Result:
        return self.run(Op.CHECKPUBKEYS, **kw)

    def listcacerts(self, **kw) -> Result:
        return self.run(Op.LISTCACERTS, **kw)

    def listcrls(self, **kw) -> Result:
        return self.run(Op.LISTCRLS, **kw)

    def purgeocsp(self, **kw) -> Result:
        return self.run(Op.PURGEOCSP, **kw)

    def autoall(self, **kw) -> Result:
        """The whole-file pass: what libreswan's start-up does with every conn's `auto=`."""
        return self.run(Op.AUTOALL, **kw)


class Operation:
    """An operation in progress, for a main loop: wait until `fileno()` is readable, call
    `advance()` until it returns True, then read `result` (or catch what `advance` raised).
    `take_lines()` gives the lines that came so far. Close it (or use `with`)."""

    def __init__(self, c: ctypes.CDLL, handle: int, calls: _Calls) -> None:
        self._c, self._h, self._calls = c, handle, calls
        self._taken = 0
        self._result: Optional[Result] = None

    def fileno(self) -> int:
        return self._c.ipsecauto_op_fd(self._h)

    def advance(self, check: bool = True) -> bool:
        """Reads what has arrived without blocking; True once the operation has finished."""
        if self._h is None:
            raise IpsecautoError("operation is closed", code=Code.INVALID_HANDLE)
        r = self._c.ipsecauto_op_advance(self._h)
        if r == Code.PENDING:
            return False
        status = self._c.ipsecauto_op_exit_status(self._h)
        result = Result(status, list(self._calls.lines))
        if r == Code.OK or (r == Code.STATUS and not check):
            self._result = result
            return True
        msg = self._c.ipsecauto_op_errmsg(self._h).decode("utf-8", "replace")
        _raise(r, msg, status, result, cause=self._calls.error)
        return True

    def take_lines(self) -> List[Line]:
        """The lines read since the last call."""
        lines = self._calls.lines[self._taken:]
        self._taken = len(self._calls.lines)
        return lines

    @property
    def result(self) -> Result:
        if self._result is None:
            raise IpsecautoError("the operation has not finished", code=Code.INVALID_STATE)
        return self._result

    def cancel(self) -> None:
        if self._h is not None:
            self._c.ipsecauto_op_cancel(self._h)

    def close(self) -> None:
        if self._h is not None:
            self._c.ipsecauto_op_free(self._h)
            self._h = None

    def __enter__(self) -> "Operation":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
