"""Result codes of the C ABI (ipsecauto_result) and the exception for each failure."""
from __future__ import annotations

import builtins
import enum
from typing import TYPE_CHECKING, Dict, Optional, Type

if TYPE_CHECKING:
    from .session import Result


class Code(enum.IntEnum):
    """ipsecauto_result, value for value."""

    OK = 0
    PENDING = 1
    STATUS = 2
    NULL_ARGUMENT = 10
    INVALID_UTF8 = 11
    INVALID_HANDLE = 12
    INVALID_STATE = 13
    USAGE = 14
    CONFIG = 15
    UNKNOWN_CONNECTION = 16
    NOT_RUNNING = 20
    PERMISSION_DENIED = 21
    CONNECTION_REFUSED = 22
    TIMEOUT = 23
    PROTOCOL = 24
    CANCELLED = 25
    IO = 26
    XAUTH_DECLINED = 27
    CALLBACK_FAILED = 28
    PANIC = 99


class IpsecautoError(Exception):
    """A failed call. `code` is the C result code, `exit_status` what `ipsec auto` would have
    exited with (None where no operation ran), `result` the lines received before the failure."""

    code: Code = Code.PANIC

    def __init__(
        self,
        message: str,
        code: Optional[Code] = None,
        exit_status: Optional[int] = None,
        result: Optional["Result"] = None,
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.exit_status = exit_status
        self.result = result


class NullArgumentError(IpsecautoError):
    code = Code.NULL_ARGUMENT


class InvalidUtf8Error(IpsecautoError, ValueError):
    code = Code.INVALID_UTF8


class InvalidHandleError(IpsecautoError):
    code = Code.INVALID_HANDLE


class InvalidStateError(IpsecautoError):
    code = Code.INVALID_STATE


class UsageError(IpsecautoError, ValueError):
    code = Code.USAGE


class ConfigError(IpsecautoError):
    """The configuration is wrong: `file` and `line` say where (None and 0 if unknown)."""

    code = Code.CONFIG

    def __init__(self, message: str, file: Optional[str] = None, line: int = 0, **kw) -> None:
        super().__init__(message, **kw)
        self.file = file
        self.line = line


class UnknownConnectionError(IpsecautoError, LookupError):
    code = Code.UNKNOWN_CONNECTION


class NotRunningError(IpsecautoError, builtins.FileNotFoundError):
    code = Code.NOT_RUNNING


class PermissionDeniedError(IpsecautoError, builtins.PermissionError):
    code = Code.PERMISSION_DENIED


class ConnectionRefusedError(IpsecautoError, builtins.ConnectionRefusedError):
    code = Code.CONNECTION_REFUSED


class TimeoutError(IpsecautoError, builtins.TimeoutError):
    code = Code.TIMEOUT


class ProtocolError(IpsecautoError):
    code = Code.PROTOCOL


class CancelledError(IpsecautoError):
    code = Code.CANCELLED


class IoError(IpsecautoError, builtins.OSError):
    code = Code.IO


class XauthDeclinedError(IpsecautoError):
    code = Code.XAUTH_DECLINED


class CallbackError(IpsecautoError):
    """A callback failed; the exception it raised is `__cause__`."""

    code = Code.CALLBACK_FAILED


class PanicError(IpsecautoError):
    code = Code.PANIC


class StatusError(IpsecautoError):
    """pluto's answer gave a non-zero exit status (`exit_status`); `result` has its lines."""

    code = Code.STATUS


EXCEPTIONS: Dict[Code, Type[IpsecautoError]] = {
    cls.code: cls
    for cls in (
        NullArgumentError,
        InvalidUtf8Error,
        InvalidHandleError,
        InvalidStateError,
        UsageError,
        ConfigError,
        UnknownConnectionError,
        NotRunningError,
        PermissionDeniedError,
        ConnectionRefusedError,
        TimeoutError,
        ProtocolError,
        CancelledError,
        IoError,
        XauthDeclinedError,
        CallbackError,
        PanicError,
        StatusError,
    )
}
