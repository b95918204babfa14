"""Fixtures for the runtime's tests: the runtime module itself, and an emulator of their own whose
request log (moto's recorder) only they write to, so AssumeRole requests are counted where they
arrive, not in the code under test."""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Iterator

import pytest

from conftest import RUNTIME_DIR, MotoServer, start_moto, stop_moto

if str(RUNTIME_DIR) not in sys.path:
    sys.path.insert(0, str(RUNTIME_DIR))

import _xaccount  # noqa: E402  (the module under test, from codemods/runtime)

ACCOUNT_A = "111111111111"
ACCOUNT_B = "222222222222"
ACCOUNT_C = "333333333333"
DEFAULT_ACCOUNT = "123456789012"  # moto's own account: the "server's own" credentials land here

XACCOUNT_VARS = (
    "XACCOUNT_ROLE_NAME",
    "XACCOUNT_EXTERNAL_ID",
    "XACCOUNT_ALLOWED_ACCOUNTS",
    "XACCOUNT_ACCOUNTS",
    "XACCOUNT_SESSION_NAME",
    "XACCOUNT_DURATION_SECONDS",
)


@pytest.fixture(scope="session")
def recorded_moto() -> Iterator[MotoServer]:
    server = start_moto(permissive="the runtime's unit tests sign with moto's dummy keys in accounts moto invents")
    try:
        yield server
    finally:
        stop_moto(server)


@pytest.fixture
def xa(recorded_moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The runtime, pointed at a freshly reset emulator with an empty request log, no XACCOUNT_*
    configuration, and no credentials remembered from an earlier test."""
    recorded_moto.reset()
    recorded_moto.reset_recording()
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", *XACCOUNT_VARS):
        monkeypatch.delenv(key, raising=False)
    for key, value in recorded_moto.env.items():
        monkeypatch.setenv(key, value)
    _xaccount._reset_for_tests()
    yield _xaccount
    _xaccount._reset_for_tests()
