import os
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import support  # noqa: E402


@pytest.fixture
def tmp(tmp_path_factory):
    # Unix socket paths are short: keep them out of pytest's deep temporary paths.
    d = tempfile.mkdtemp(prefix="ipsecauto-py-")
    yield d
    import shutil

    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def capture(tmp):
    c = support.Capture(os.path.join(tmp, "ctl"), support.answer(b"000 fine\n"))
    yield c
    c.close()


@pytest.fixture(scope="module")
def pluto():
    p = support.Pluto()
    yield p
    p.stop()
