"""libreswan's `ipsec auto` as a Python API, over libipsecauto (ctypes).

    with ipsecauto.Session("/run/pluto/pluto.ctl") as s:
        s.up("west", on_line=print)
"""
from ._lib import ABI_VERSION, LibraryNotFound, load
from .errors import (
    CallbackError,
    CancelledError,
    Code,
    ConfigError,
    ConnectionRefusedError,
    InvalidHandleError,
    InvalidStateError,
    InvalidUtf8Error,
    IoError,
    IpsecautoError,
    NotRunningError,
    NullArgumentError,
    PanicError,
    PermissionDeniedError,
    ProtocolError,
    StatusError,
    TimeoutError,
    UnknownConnectionError,
    UsageError,
    XauthDeclinedError,
)
from .session import NOTE_RC, Diagnostic, Line, Op, Operation, Result, Session

__version__ = "0.1.0"


def library_version() -> str:
    """The version of the libipsecauto actually loaded."""
    return load().ipsecauto_version().decode()


__all__ = [
    "ABI_VERSION", "LibraryNotFound", "library_version", "Session", "Operation", "Result",
    "Line", "Op", "Diagnostic", "NOTE_RC", "Code", "IpsecautoError", "CallbackError", "CancelledError", "ConfigError",
    "ConnectionRefusedError", "InvalidHandleError", "InvalidStateError", "InvalidUtf8Error",
    "IoError", "NotRunningError", "NullArgumentError", "PanicError", "PermissionDeniedError",
    "ProtocolError", "StatusError", "TimeoutError", "UnknownConnectionError", "UsageError",
    "XauthDeclinedError",
]
