"""Shared pytest fixtures: moto's server on a free loopback port, stopped even when a test fails."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator, Mapping
from urllib.parse import parse_qs

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNTIME_DIR = REPO_ROOT / "codemods" / "runtime"

DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MotoServer:
    def __init__(self, endpoint: str, process: subprocess.Popen[bytes]) -> None:
        self.endpoint = endpoint
        self.process = process

    @property
    def env(self) -> dict[str, str]:
        return {**DUMMY_ENV, "AWS_ENDPOINT_URL": self.endpoint}

    def reset(self) -> None:
        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST"))

    def reset_recording(self) -> None:
        urllib.request.urlopen(
            urllib.request.Request(f"{self.endpoint}/moto-api/recorder/reset-recording", method="POST")
        )

    def requests(self) -> list[dict[str, Any]]:
        """Every request moto's recorder holds (since the last reset_recording), as it stored them."""
        with urllib.request.urlopen(f"{self.endpoint}/moto-api/recorder/download-recording") as res:
            lines = res.read().decode().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def calls(self) -> list[dict[str, str]]:
        """Each recorded AWS request: its form fields, plus `_action` (the form's Action, or the JSON
        protocol's X-Amz-Target) and the `_key_id` and `_region` it was signed with."""
        calls = []
        for entry in self.requests():
            body = str(entry.get("body") or "")
            if entry.get("body_encoded"):
                body = base64.b64decode(body).decode(errors="replace")
            fields = {k: v[0] for k, v in parse_qs(body).items()}
            headers = entry.get("headers") or {}
            target = str(headers.get("X-Amz-Target", ""))
            action = fields.get("Action") or target.rsplit(".", 1)[-1]
            if not action:
                continue
            auth = str(headers.get("Authorization", ""))
            scope = auth.split("Credential=", 1)[1].split("/") if "Credential=" in auth else ["", "", ""]
            calls.append({**fields, "_action": action, "_key_id": scope[0], "_region": scope[2]})
        return calls

    def sts_calls(self, action: str = "AssumeRole") -> list[dict[str, str]]:
        return [call for call in self.calls() if call["_action"] == action]


def start_moto(extra_env: Mapping[str, str] | None = None) -> MotoServer:
    """moto's server with its request recorder on; `extra_env` adds to (or overrides) its environment."""
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    # The server's log goes to a file, not a pipe: an unread pipe fills after some hundred requests
    # and blocks the server. Its request recording goes to a file of its own, so servers never share
    # (or leave behind) ./moto_recording.
    scratch = Path(tempfile.mkdtemp(prefix="xaccount-moto-"))
    log = open(scratch / "server.log", "wb")
    env = {
        **os.environ,
        "MOTO_ENABLE_RECORDING": "True",
        "MOTO_RECORDER_FILEPATH": str(scratch / "recording.jsonl"),
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=log,
        env=env,
    )
    log.close()  # the child has its own handle
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            err = (scratch / "server.log").read_text(errors="replace")[-4000:]
            raise RuntimeError(f"moto server exited early:\n{err}")
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"moto server did not answer on {endpoint} within 30 s")
            time.sleep(0.1)
    return MotoServer(endpoint, process)


def stop_moto(server: MotoServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = start_moto()
    try:
        yield server
    finally:
        stop_moto(server)


@pytest.fixture
def aws_env(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoServer]:
    """Points boto3/botocore in this process at a freshly reset emulator with dummy credentials."""
    moto_server.reset()
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    for key, value in moto_server.env.items():
        monkeypatch.setenv(key, value)
    yield moto_server
