"""Loading libipsecauto and declaring the C functions the package uses (ctypes)."""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import pathlib
import threading
from typing import Optional

#: The ABI the package is written for (IPSECAUTO_ABI_VERSION in ipsecauto.h).
ABI_VERSION = 0

#: IPSECAUTO_XAUTH_MAX: the size of the buffer an XAUTH answer is written into.
XAUTH_MAX = 128

LINE_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_char_p)
XAUTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_char), ctypes.c_size_t
)


class LibraryNotFound(OSError):
    """libipsecauto could not be loaded."""


_c_int, _c_uint, _c_bool, _p = ctypes.c_int, ctypes.c_uint, ctypes.c_bool, ctypes.c_void_p
_str = ctypes.c_char_p
_out = ctypes.POINTER(ctypes.c_void_p)

_PROTOTYPES = {
    "ipsecauto_version": (_str, []),
    "ipsecauto_abi_version": (ctypes.c_uint32, []),
    "ipsecauto_result_name": (_str, [_c_int]),
    "ipsecauto_session_new": (_c_int, [_out]),
    "ipsecauto_session_free": (_c_int, [_p]),
    "ipsecauto_session_errmsg": (_str, [_p]),
    "ipsecauto_session_errcode": (_c_int, [_p]),
    "ipsecauto_session_error_file": (_str, [_p]),
    "ipsecauto_session_error_line": (_c_uint, [_p]),
    "ipsecauto_session_set_ctl_socket": (_c_int, [_p, _str]),
    "ipsecauto_session_set_config_file": (_c_int, [_p, _str]),
    "ipsecauto_session_set_config_text": (_c_int, [_p, _str, _str]),
    "ipsecauto_session_set_verbose": (_c_int, [_p, _c_bool]),
    "ipsecauto_session_set_utc": (_c_int, [_p, _c_bool]),
    "ipsecauto_session_set_asynchronous": (_c_int, [_p, _c_bool]),
    "ipsecauto_session_set_showonly": (_c_int, [_p, _c_bool]),
    "ipsecauto_session_set_remote_host": (_c_int, [_p, _str]),
    "ipsecauto_session_set_timeout_ms": (_c_int, [_p, ctypes.c_uint32]),
    "ipsecauto_session_set_line_callback": (_c_int, [_p, LINE_CALLBACK, _p]),
    "ipsecauto_session_set_xauth_callback": (_c_int, [_p, XAUTH_CALLBACK, _p]),
    "ipsecauto_run": (_c_int, [_p, _c_uint, _str, ctypes.POINTER(_c_int)]),
    "ipsecauto_op_start": (_c_int, [_p, _c_uint, _str, _out]),
    "ipsecauto_op_fd": (_c_int, [_p]),
    "ipsecauto_op_advance": (_c_int, [_p]),
    "ipsecauto_op_next_line": (
        _c_bool,
        [_p, ctypes.POINTER(_c_uint), ctypes.POINTER(ctypes.c_char_p)],
    ),
    "ipsecauto_op_exit_status": (_c_int, [_p]),
    "ipsecauto_op_cancel": (_c_int, [_p]),
    "ipsecauto_op_errmsg": (_str, [_p]),
    "ipsecauto_op_free": (_c_int, [_p]),
    "ipsecauto_check": (_c_int, [_p, _out]),
    "ipsecauto_diagnostics_count": (ctypes.c_size_t, [_p]),
    "ipsecauto_diagnostics_get": (
        _c_int,
        [_p, ctypes.c_size_t, ctypes.POINTER(_str), ctypes.POINTER(_c_uint),
         ctypes.POINTER(_str), ctypes.POINTER(_c_int)],
    ),
    "ipsecauto_diagnostics_free": (_c_int, [_p]),
}

_lib: Optional[ctypes.CDLL] = None
_lock = threading.Lock()


def _candidates() -> list:
    env = os.environ.get("IPSECAUTO_LIBRARY")
    if env:
        return [env]
    here = pathlib.Path(__file__).resolve().parent
    found = sorted(str(p) for p in here.glob("libipsecauto.so*"))
    system = ctypes.util.find_library("ipsecauto")
    return found + ["libipsecauto.so.0"] + ([system] if system else [])


def load() -> ctypes.CDLL:
    """The loaded library (loaded once, on first use)."""
    global _lib
    with _lock:
        if _lib is not None:
            return _lib
        tried = []
        for name in _candidates():
            try:
                lib = ctypes.CDLL(name)
                break
            except OSError as e:
                tried.append(f"{name}: {e}")
        else:
            raise LibraryNotFound(
                "libipsecauto not found; set IPSECAUTO_LIBRARY to its path, put it beside the "
                "ipsecauto package, or install it (make install). Tried: " + "; ".join(tried)
            )
        for fn, (restype, argtypes) in _PROTOTYPES.items():
            f = getattr(lib, fn)
            f.restype, f.argtypes = restype, argtypes
        abi = lib.ipsecauto_abi_version()
        if abi != ABI_VERSION:
            raise LibraryNotFound(
                f"libipsecauto at {lib._name} has ABI {abi}; this package needs {ABI_VERSION}"
            )
        _lib = lib
        return lib
