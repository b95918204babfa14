"""Shared pytest fixtures: moto's server on a free loopback port, stopped even when a test fails."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Iterator

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


def start_moto() -> MotoServer:
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    # The server's log goes to a file, not a pipe: an unread pipe fills after some hundred requests
    # and blocks the server. Its request recording goes to a file of its own unless the caller chose
    # one, so servers never share (or leave behind) ./moto_recording.
    scratch = Path(tempfile.mkdtemp(prefix="xaccount-moto-"))
    log = open(scratch / "server.log", "wb")
    env = {**os.environ, "MOTO_ENABLE_RECORDING": "True"}
    env.setdefault("MOTO_RECORDER_FILEPATH", str(scratch / "recording.jsonl"))
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
