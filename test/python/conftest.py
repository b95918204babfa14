"""Shared pytest fixtures: moto's server on a free loopback port, stopped even when a test fails.

The emulator enforces IAM by default (moto's INITIAL_NO_AUTH_ACTION_COUNT=0), as src/emulator.ts does:
every request must be signed by a key moto knows and be allowed by that identity's policies. What moto
5.2 checks: keys from iam:CreateAccessKey belong to their user's account, keys from sts:AssumeRole to the
account in the role ARN and carry that role's policies; the action is `<signing name>:<Operation>`;
Resource and most Conditions are not evaluated; sts:GetCallerIdentity is always allowed; a role's trust
policy is checked (exact principal ARN, sts:ExternalId) only when caller and role share an account.

The API for tests:
- `enforced_aws` (function fixture): a reset enforcing emulator with an administrator in moto's default
  account and in ACCOUNT_A / ACCOUNT_B (`rig.admin(account)`) and the MCP host `rig.host`, a user allowed
  sts:AssumeRole only; this process's AWS_* variables are the host's. `rig.bootstrap(...)` makes more.
- `Identity.env` / `Identity.client(service)`: run something as that identity.
- `start_moto(permissive="why")`: an emulator that lets everything through, for a test that cannot run
  under enforcement; the reason is one line. `moto_server` / `aws_env` are such an emulator, for the
  runtime's unit tests, which sign with moto's dummy keys in accounts moto invents.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Sequence
from urllib.parse import parse_qs

import boto3
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNTIME_DIR = REPO_ROOT / "codemods" / "runtime"

DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


DEFAULT_ACCOUNT = "123456789012"  # moto's: where unknown keys would land
ACCOUNT_A = "111111111111"
ACCOUNT_B = "222222222222"
ADMIN: tuple[str, ...] = ("*",)
#: What an MCP host needs to reach other accounts through their roles.
HOST_ACTIONS: tuple[str, ...] = ("sts:AssumeRole",)


@dataclass(frozen=True)
class Identity:
    """An IAM user made by `MotoServer.bootstrap`, with its access key."""

    account: str
    name: str
    arn: str
    access_key_id: str
    secret_access_key: str
    endpoint: str

    @property
    def env(self) -> dict[str, str]:
        return {
            **DUMMY_ENV,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
        }

    def client(self, service: str, region: str = "us-east-1") -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MotoServer:
    def __init__(self, endpoint: str, process: subprocess.Popen[bytes], enforcing: bool = False, log: Path | None = None) -> None:
        self.endpoint = endpoint
        self.process = process
        self.enforcing = enforcing
        #: The server's own log: werkzeug's access lines carry each request's HTTP status.
        self.log = log

    def statuses(self) -> list[int]:
        """The HTTP status of every AWS request (moto-api ones left out) logged so far, in order."""
        if self.log is None or not self.log.exists():
            return []
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            # werkzeug colours the request of a non-200 line on some terminals' behalf: drop ANSI codes.
            parts = re.sub(r"\x1b\[[0-9;]*m", "", line).split('"')
            if len(parts) >= 3 and " /moto-api/" not in parts[1] and parts[1].split(" ")[0] in ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"):
                code = parts[2].strip().split(" ")[0]
                if code.isdigit():
                    out.append(int(code))
        return out

    def set_auth(self, enforce: bool) -> None:
        """moto's reset-auth API: enforcement on ("0" free requests) or off ("inf")."""
        body = b"0" if enforce else b"inf"
        # Not form-encoded: moto reads the raw body, which a form content type would leave empty.
        request = urllib.request.Request(
            f"{self.endpoint}/moto-api/reset-auth", data=body, method="POST", headers={"Content-Type": "text/plain"}
        )
        urllib.request.urlopen(request)

    def bootstrap(self, users: Sequence[tuple[str, str, Sequence[str]]]) -> list[Identity]:
        """Makes IAM users (account, name, allowed actions) with access keys. The only requests moto lets
        through unchecked are these: enforcement is off while they run and back on after."""
        self.set_auth(False)
        try:
            made = []
            for account, name, actions in users:
                creds: dict[str, str] = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
                if account != DEFAULT_ACCOUNT:
                    # Keys of an assumed role belong to the account in the role ARN.
                    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=self.endpoint, **creds)
                    c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/xaccount-bootstrap", RoleSessionName="bootstrap")["Credentials"]
                    creds = {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"], "aws_session_token": c["SessionToken"]}
                iam = boto3.client("iam", region_name="us-east-1", endpoint_url=self.endpoint, **creds)
                arn = iam.create_user(UserName=name)["User"]["Arn"]
                policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}
                iam.put_user_policy(UserName=name, PolicyName="bootstrap", PolicyDocument=json.dumps(policy))
                key = iam.create_access_key(UserName=name)["AccessKey"]
                made.append(Identity(account, name, arn, key["AccessKeyId"], key["SecretAccessKey"], self.endpoint))
            return made
        finally:
            if self.enforcing:
                self.set_auth(True)

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


def start_moto(extra_env: Mapping[str, str] | None = None, *, permissive: str | None = None) -> MotoServer:
    """moto's server with its request recorder on, enforcing IAM unless `permissive` gives the one-line
    reason a test cannot run under enforcement; `extra_env` adds to (or overrides) its environment."""
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
        "INITIAL_NO_AUTH_ACTION_COUNT": "0" if permissive is None else "inf",
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
    enforcing = permissive is None and "INITIAL_NO_AUTH_ACTION_COUNT" not in (extra_env or {})
    return MotoServer(endpoint, process, enforcing, scratch / "server.log")


def stop_moto(server: MotoServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = start_moto(permissive="the runtime's unit tests sign with moto's dummy keys in accounts moto invents")
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


@dataclass
class Rig:
    """An enforcing emulator with the identities a real user would have (see the module docstring)."""

    server: MotoServer
    host: Identity
    admins: dict[str, Identity] = field(default_factory=dict)

    def admin(self, account: str) -> Identity:
        return self.admins[account]

    def bootstrap(self, *users: tuple[str, str, Sequence[str]]) -> list[Identity]:
        made = self.server.bootstrap(users)
        for identity in made:
            if identity.name == "admin":
                self.admins[identity.account] = identity
        return made


@pytest.fixture(scope="session")
def enforced_moto() -> Iterator[MotoServer]:
    server = start_moto()
    try:
        yield server
    finally:
        stop_moto(server)


def rig_for(server: MotoServer, host_actions: Sequence[str] = HOST_ACTIONS, accounts: Sequence[str] = (DEFAULT_ACCOUNT, ACCOUNT_A, ACCOUNT_B)) -> Rig:
    """Resets `server` and bootstraps the MCP host (in moto's default account) and an admin per account."""
    server.reset()
    made = server.bootstrap([(DEFAULT_ACCOUNT, "mcp-host", host_actions), *[(a, "admin", ADMIN) for a in accounts]])
    return Rig(server, made[0], {i.account: i for i in made[1:]})


@pytest.fixture
def enforced_aws(enforced_moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    """A reset enforcing emulator; this process's AWS_* variables are the MCP host's."""
    rig = rig_for(enforced_moto)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    for key, value in rig.host.env.items():
        monkeypatch.setenv(key, value)
    # boto3's default session keeps the credentials it first resolved: make it read these.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    yield rig
