"""Fixtures for the runtime's tests: the runtime module itself, and an emulator of their own whose
request log (moto's recorder) only they write to, so AssumeRole requests are counted where they
arrive, not in the code under test."""

from __future__ import annotations

import base64
import json
import os
import sys
import threading
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import Iterator
from urllib.parse import parse_qs

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
    "XACCOUNT_SESSION_NAME",
    "XACCOUNT_DURATION_SECONDS",
)


class RecordedMoto(MotoServer):
    """A moto server whose recorder writes to a file of its own."""

    def __init__(self, server: MotoServer, recording: Path) -> None:
        super().__init__(server.endpoint, server.process)
        self.recording = recording

    def reset_recording(self) -> None:
        urllib.request.urlopen(
            urllib.request.Request(f"{self.endpoint}/moto-api/recorder/reset-recording", method="POST")
        )

    def requests(self) -> list[dict[str, object]]:
        with urllib.request.urlopen(f"{self.endpoint}/moto-api/recorder/download-recording") as res:
            lines = res.read().decode().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def sts_calls(self, action: str = "AssumeRole") -> list[dict[str, str]]:
        """Each `action` request the emulator received: its form fields plus the signing key id."""
        calls = []
        for entry in self.requests():
            body = str(entry.get("body") or "")
            if entry.get("body_encoded"):
                body = base64.b64decode(body).decode(errors="replace")
            fields = {k: v[0] for k, v in parse_qs(body).items()}
            if fields.get("Action") == action:
                headers = entry.get("headers")
                auth = str(headers.get("Authorization", "")) if isinstance(headers, dict) else ""
                fields["_key_id"] = auth.split("Credential=")[1].split("/")[0] if "Credential=" in auth else ""
                fields["_region"] = auth.split("Credential=")[1].split("/")[2] if "Credential=" in auth else ""
                calls.append(fields)
        return calls


def start_recorded_moto(tmp: Path, extra_env: dict[str, str] | None = None) -> RecordedMoto:
    recording = tmp / "moto_recording.jsonl"
    saved = dict(os.environ)
    # start_moto passes this process's environment to the server.
    os.environ["MOTO_RECORDER_FILEPATH"] = str(recording)
    os.environ.update(extra_env or {})
    try:
        server = start_moto()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    drain_stderr(server)
    return RecordedMoto(server, recording)


def drain_stderr(server: MotoServer) -> None:
    """start_moto pipes the server's stderr and never reads it: once its request log fills the pipe
    (some 600 requests) the server blocks. Keep reading it."""
    stream = server.process.stderr
    if stream is not None:
        threading.Thread(target=lambda: [None for _ in iter(lambda: stream.read(65536), b"")], daemon=True).start()


@pytest.fixture(scope="session")
def recorded_moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordedMoto]:
    server = start_recorded_moto(tmp_path_factory.mktemp("moto"))
    try:
        yield server
    finally:
        stop_moto(server)


@pytest.fixture
def xa(recorded_moto: RecordedMoto, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
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
