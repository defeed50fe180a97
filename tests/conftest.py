"""Shared pytest fixtures: real data for the tests, a private cache per session, no network."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def private_coursekit_cache(tmp_path_factory):
    """Send the processed cache to a temporary folder and ignore any mirror the developer set."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSEKIT_CACHE", str(tmp_path_factory.mktemp("coursekit-cache")))
        patch.delenv("COURSEKIT_MIRROR", raising=False)
        yield


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The folder of real data sets ($COURSEKIT_TEST_DATA); skipped when unset, but a failure on CI."""
    value = os.environ.get("COURSEKIT_TEST_DATA", "").strip()
    problem = None
    if not value:
        problem = "COURSEKIT_TEST_DATA is not set (point it at the shared data folder, e.g. ../shared/data)"
    elif not Path(value).is_dir():
        problem = f"COURSEKIT_TEST_DATA={value} is not a folder"
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{problem}; on CI the real-data tests must run.")
        pytest.skip(problem)
    return Path(value).resolve()


@pytest.fixture
def no_network(monkeypatch):
    """Behave as if this machine were offline: only localhost names resolve."""
    real_getaddrinfo = socket.getaddrinfo

    def local_only(host, *args, **kwargs):
        if host not in ("localhost", "127.0.0.1", "::1"):
            raise socket.gaierror(socket.EAI_NONAME, f"no network in tests (looked up {host})")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)


@pytest.fixture
def temporary_exercises():
    """The ``exercise`` decorator, for exercises that exist during one test only (the course's list is restored)."""
    from coursekit.checks import cases

    before = dict(cases._REGISTRY)
    yield cases.exercise
    cases._REGISTRY.clear()
    cases._REGISTRY.update(before)


@pytest.fixture
def fails_naming():
    """``fails_naming(id, answer, words, what)``: the check of ``id`` fails ``answer`` with feedback containing ``words``.

    The failure must be the answer's: feedback that says the check itself failed does not count.
    """
    from coursekit.checks import run_check

    def check(id, answer, words, what):
        result = run_check(id, answer)
        assert not result, f"{what} passed"
        assert words in result.message, result.message
        assert "check itself failed" not in result.message

    return check


@pytest.fixture(scope="module")
def one_thread():
    """PyTorch on one CPU thread for a test module's tests (and module fixtures): small networks run faster on one thread than on two that
    wait for each other at every layer, and a busy machine slows one thread far less (measured: 2 images at
    33 px through EfficientNet-Lite0 took 23 s on two threads, 0.2 s on one)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
