"""Errors a model and a person can act on: AccessDenied, rejected or expired source credentials,
throttling and disabled regions each get their own message, and no secret appears in any of them.

AccessDenied and rejected credentials come from moto with IAM enforcement switched on. moto cannot be
made to throttle or to answer as a disabled region, so those come from a small HTTP server that
answers STS with the exact error documents AWS sends: the runtime's whole path (botocore's retries,
parsing, the fetcher) still runs.
"""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any, Iterator, Optional

import boto3
import pytest

from conftest import MotoServer, start_moto, stop_moto
from http_stub import LoopbackServer, QuietHandler, sts_error
from runtime_support import ACCOUNT_A, recorded_moto, xa  # noqa: F401

SECRET_KEY = "SeCrEtKeY0123456789abcdefSECRET"
EXTERNAL_ID = "ExternalIdSECRET-42"


@pytest.fixture(scope="module")
def enforcing_moto() -> Iterator[tuple[MotoServer, str, str]]:
    """moto checking IAM: the first 2 requests (creating a user and its key) are free, every later one
    needs credentials moto knows and a policy that allows the action."""
    server = start_moto({"INITIAL_NO_AUTH_ACTION_COUNT": "2"})
    try:
        iam = boto3.client(
            "iam", endpoint_url=server.endpoint, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )
        iam.create_user(UserName="mcp-server")
        key = iam.create_access_key(UserName="mcp-server")["AccessKey"]
        yield server, key["AccessKeyId"], key["SecretAccessKey"]
    finally:
        stop_moto(server)


def use_endpoint(xa: ModuleType, monkeypatch: pytest.MonkeyPatch, endpoint: str, key_id: str, secret: str) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    xa._reset_for_tests()


def call_in(xa: ModuleType, account: str, region: Optional[str] = None) -> Any:
    @xa.cross_account
    def tool(account_id: Optional[str] = None, region: Optional[str] = None) -> None:
        raise AssertionError("the tool body must not run when the role cannot be assumed")

    with pytest.raises(xa.CrossAccountError) as caught:
        tool(account_id=account, region=region)
    return caught.value


def assert_no_secret(text: str, *secrets: str) -> None:
    for secret in (SECRET_KEY, EXTERNAL_ID, *secrets):
        assert secret not in text


def test_access_denied_names_role_caller_and_fix(
    xa: ModuleType, enforcing_moto: tuple[MotoServer, str, str], monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, key_id, secret = enforcing_moto
    use_endpoint(xa, monkeypatch, server.endpoint, key_id, secret)
    monkeypatch.setenv("XACCOUNT_EXTERNAL_ID", EXTERNAL_ID)
    caplog.set_level(logging.DEBUG)

    error = call_in(xa, ACCOUNT_A)
    message = str(error)
    assert error.code == "assume-role-denied"
    assert f"arn:aws:iam::{ACCOUNT_A}:role/McpReadOnlyRole" in message
    assert "arn:aws:iam::123456789012:user/mcp-server" in message  # the caller, from GetCallerIdentity
    assert "xaccount create-role --trust-principal arn:aws:iam::123456789012:user/mcp-server" in message
    assert "--external-id" in message and "trust policy" in message
    assert_no_secret(message + caplog.text, secret, key_id)
    # The AssumeRole was really attempted, by the server's own user.
    assert server.sts_calls()[-1]["_key_id"] == key_id


def test_rejected_source_credentials_get_their_own_message(
    xa: ModuleType, enforcing_moto: tuple[MotoServer, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, _, _ = enforcing_moto
    use_endpoint(xa, monkeypatch, server.endpoint, "AKIAUNKNOWNKEY000000", SECRET_KEY)
    error = call_in(xa, ACCOUNT_A)
    assert error.code == "source-credentials-invalid"
    assert "InvalidClientTokenId" in str(error) and "AWS_PROFILE" in str(error)
    assert_no_secret(str(error))


def test_missing_source_credentials(xa: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    xa._reset_for_tests()
    error = call_in(xa, ACCOUNT_A)
    assert error.code == "source-credentials-invalid"
    assert "no usable AWS credentials" in str(error)


class StubSts:
    """Answers every request with one STS error document, and counts the requests."""

    def __init__(self) -> None:
        self.status = 400
        self.code = "Throttling"
        self.message = "Rate exceeded"
        self.requests = 0
        stub = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stub.requests += 1
                self.reply(stub.status, sts_error(stub.code, stub.message), {"Content-Type": "text/xml"})

        self.http = LoopbackServer(Handler)
        self.endpoint = self.http.endpoint


@pytest.fixture
def stub_sts(xa: ModuleType, monkeypatch: pytest.MonkeyPatch) -> Iterator[StubSts]:
    stub = StubSts()
    use_endpoint(xa, monkeypatch, stub.endpoint, "AKIASOURCEKEY0000000", SECRET_KEY)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("XACCOUNT_EXTERNAL_ID", EXTERNAL_ID)
    try:
        yield stub
    finally:
        stub.http.close()


@pytest.mark.parametrize(
    ("status", "aws_code", "code", "words"),
    [
        (400, "Throttling", "sts-throttled", ["throttled", "Wait"]),
        (403, "RegionDisabledException", "region-disabled", ["not enabled in region ap-east-1", "activate"]),
        (403, "ExpiredToken", "source-credentials-expired", ["expired", "aws sso login", "restart"]),
        (400, "ValidationError", "assume-role-failed", ["DurationSeconds", "XACCOUNT_DURATION_SECONDS"]),
    ],
)
def test_sts_failures_each_get_their_own_message(
    xa: ModuleType, stub_sts: StubSts, caplog: pytest.LogCaptureFixture,
    status: int, aws_code: str, code: str, words: list[str],
) -> None:
    stub_sts.status, stub_sts.code = status, aws_code
    stub_sts.message = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    caplog.set_level(logging.DEBUG)
    error = call_in(xa, ACCOUNT_A, region="ap-east-1")
    assert error.code == code
    for word in words:
        assert word in str(error)
    assert f"arn:aws:iam::{ACCOUNT_A}:role/McpReadOnlyRole" in str(error)
    assert stub_sts.requests >= 1
    assert_no_secret(str(error) + caplog.text)
    if aws_code == "Throttling":
        assert stub_sts.requests == 2  # botocore retried before giving up


def test_a_failed_assume_role_is_retried_on_the_next_call(xa: ModuleType, stub_sts: StubSts) -> None:
    # A failure is not cached as if it were credentials: once the role is fixed, calls work.
    stub_sts.status, stub_sts.code = 403, "AccessDenied"
    first = call_in(xa, ACCOUNT_A)
    assert first.code == "assume-role-denied"
    assert "GetCallerIdentity failed too" in str(first)  # the stub denies that as well
    before = stub_sts.requests
    call_in(xa, ACCOUNT_A)
    assert stub_sts.requests > before


def test_the_model_sees_the_error_through_a_tool_that_catches_everything(
    xa: ModuleType, stub_sts: StubSts
) -> None:
    # Servers often turn exceptions into {"error": str(e)}; the message must survive that.
    stub_sts.status, stub_sts.code = 403, "AccessDenied"

    @xa.cross_account
    def tool(account_id: Optional[str] = None) -> dict[str, str]:
        try:
            boto3.client("ecs").list_clusters()
            return {}
        except Exception as error:
            return {"error": str(error)}

    with pytest.raises(xa.CrossAccountError, match="assume-role-denied"):
        tool(account_id=ACCOUNT_A)
