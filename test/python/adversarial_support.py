"""Fixtures for the fail-closed suite (test_runtime_fail_closed.py): where a probe landed, read at the
emulator, and an STS front that refuses the way AWS does where moto cannot.

The verdict never comes from the process under test: moto's request recorder says which access key
signed the request a probe tagged, and moto's own state (/moto-api/data.json) says which account that
key belongs to (the role ARN it was issued for; the server's own key is moto's default account)."""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import urllib.request
from types import ModuleType
from typing import Any, Callable, Iterator, Optional

import pytest

from conftest import MotoServer
from http_stub import LoopbackServer, QuietHandler, sts_error
from runtime_support import DEFAULT_ACCOUNT

_counter = itertools.count()


def new_tag(label: str = "p") -> str:
    return f"{label}-{next(_counter)}-{threading.get_ident() % 10000}"


def key_accounts(server: MotoServer) -> dict[str, str]:
    """Access key id -> account, as moto holds them: every key STS issued names its role's account."""
    with urllib.request.urlopen(f"{server.endpoint}/moto-api/data.json") as res:
        data = json.load(res)
    keys = {"testing": DEFAULT_ACCOUNT}  # the server's own (conftest.DUMMY_ENV): moto's default account
    for entry in data.get("iam", {}).get("AccessKey", []):
        arn = entry.get("role_arn") or ""
        if arn:
            keys[entry["access_key_id"]] = arn.split(":")[4]
    return keys


def landed(server: MotoServer, tag: str) -> str:
    """The account whose key signed the request that created IAM user `tag`."""
    signed = [c["_key_id"] for c in server.calls() if c["_action"] == "CreateUser" and c.get("UserName") == tag]
    assert len(signed) == 1, f"probe {tag} reached the emulator {len(signed)} times"
    accounts = key_accounts(server)
    assert signed[0] in accounts, f"probe {tag} was signed with a key the emulator never issued: {signed[0]}"
    return accounts[signed[0]]


def assert_both_ways(server: MotoServer, run: Callable[[Optional[str], str], Any],
                     accounts: tuple[Optional[str], ...] = (None, "111111111111", "222222222222", None)) -> None:
    """`run(account_id, tag)` makes a tool call that hands its probe to the way of doing work under
    test. A call with account_id lands there; a call without lands in the server's own, before and
    after the account calls."""
    for account in accounts:
        tag = new_tag()
        run(account, tag)
        assert landed(server, tag) == (account or DEFAULT_ACCOUNT), f"call for {account or 'the server'}"


class StsFront:
    """An HTTP front for the emulator that answers AssumeRole the way AWS refuses where moto cannot:
    RegionDisabledException for STS requests signed for a disabled region, AccessDenied for the denied
    accounts. Everything else is passed to moto unchanged (and recorded there)."""

    def __init__(self, moto: MotoServer) -> None:
        self.disabled_regions: set[str] = set()
        self.denied_accounts: set[str] = set()
        self.refused = 0
        front = self
        target = moto.endpoint.removeprefix("http://")

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                refusal = front._refusal(str(self.headers.get("Authorization", "")), body.decode(errors="replace"))
                if refusal is not None:
                    front.refused += 1
                    self.reply(403, sts_error(*refusal), {"Content-Type": "text/xml"})
                    return
                self._forward("POST", body)

            def do_GET(self) -> None:
                self._forward("GET", None)

            def _forward(self, method: str, body: Optional[bytes]) -> None:
                conn = http.client.HTTPConnection(target, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                conn.request(method, self.path, body=body, headers=headers)
                res = conn.getresponse()
                data = res.read()
                self.reply(res.status, data, {k: v for k, v in res.getheaders()
                                              if k.lower() not in ("transfer-encoding", "content-length", "connection")})
                conn.close()

        self.http = LoopbackServer(Handler)
        self.endpoint = self.http.endpoint

    def _refusal(self, authorization: str, body: str) -> Optional[tuple[str, str]]:
        if "Action=AssumeRole" not in body:
            return None
        scope = authorization.split("Credential=", 1)[1].split("/") if "Credential=" in authorization else []
        if len(scope) > 2 and scope[2] in self.disabled_regions:
            return "RegionDisabledException", f"STS is not activated in this region ({scope[2]}) for account"
        if any(f"%3A{account}%3Arole" in body for account in self.denied_accounts):
            return "AccessDenied", "User is not authorized to perform: sts:AssumeRole"
        return None

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def sts_front(xa: ModuleType, recorded_moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[StsFront]:
    """The emulator behind an StsFront, for this process and the children it starts."""
    front = StsFront(recorded_moto)
    monkeypatch.setenv("AWS_ENDPOINT_URL", front.endpoint)
    xa._reset_for_tests()
    try:
        yield front
    finally:
        front.close()


class S3ExpressFront:
    """A directory-bucket (S3 Express) endpoint, which moto lacks: CreateSession answers with a session
    key named for the key that signed it, and each GetObject is recorded with the session key that
    signed it. So a GetObject's account is the account of the key that made its session."""

    def __init__(self) -> None:
        self.sessions = 0
        self.objects: dict[str, str] = {}  # object key -> the signing key id behind its session
        front = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                auth = str(self.headers.get("Authorization", ""))
                key_id = auth.split("Credential=", 1)[1].split("/")[0] if "Credential=" in auth else ""
                if self.path.endswith("?session"):
                    front.sessions += 1
                    body = (
                        '<?xml version="1.0"?><CreateSessionResult><Credentials>'
                        f"<SessionToken>token-{key_id}</SessionToken><SecretAccessKey>s</SecretAccessKey>"
                        f"<AccessKeyId>session-{key_id}</AccessKeyId><Expiration>2099-01-01T00:00:00Z"
                        "</Expiration></Credentials></CreateSessionResult>"
                    ).encode()
                else:
                    front.objects[self.path.rsplit("/", 1)[-1]] = key_id.removeprefix("session-")
                    body = b"content"
                self.reply(200, body)

        self.http = LoopbackServer(Handler)
        self.endpoint = self.http.endpoint

    def close(self) -> None:
        self.http.close()
