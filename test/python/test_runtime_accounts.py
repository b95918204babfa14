"""The runtime against the emulator: each request lands in the account (and region) of its call.

moto keeps each account's resources apart and hands out credentials for the account named in the
assumed role's ARN, so a cluster created in one account is invisible from another: listing clusters
tells which account a request really ran in.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import random
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any, Callable, Optional

import boto3
import botocore.session
import pytest

from conftest import RUNTIME_DIR, MotoServer
from runtime_support import (  # noqa: F401  (fixtures)
    ACCOUNT_A,
    ACCOUNT_B,
    ACCOUNT_C,
    DEFAULT_ACCOUNT,
    recorded_moto,
    xa,
)


def cluster_accounts(arns: list[str]) -> set[str]:
    """arn:aws:ecs:us-east-1:111111111111:cluster/name -> {'111111111111'}"""
    return {arn.split(":")[4] for arn in arns}


def create_cluster_per_account(xa: ModuleType, client: Any) -> None:
    for account in (ACCOUNT_A, ACCOUNT_B, ACCOUNT_C):
        with xa.use_account(account):
            client.create_cluster(clusterName=f"c-{account}")
    client.create_cluster(clusterName=f"c-{DEFAULT_ACCOUNT}")


CLIENT_FACTORIES: dict[str, Callable[[], Any]] = {
    "boto3.client": lambda: boto3.client("ecs"),
    "boto3.Session().client": lambda: boto3.Session().client("ecs"),
    "botocore.session": lambda: botocore.session.get_session().create_client("ecs"),
}


def test_client_cached_before_any_call_follows_each_call(xa: ModuleType, recorded_moto: MotoServer) -> None:
    client = boto3.client("ecs")  # like the ECS server's per-service client cache

    @xa.cross_account
    def create(name: str, account_id: Optional[str] = None) -> None:
        client.create_cluster(clusterName=name)

    @xa.cross_account
    def list_clusters(account_id: Optional[str] = None) -> list[str]:
        return list(client.list_clusters()["clusterArns"])

    create("in-a", account_id=ACCOUNT_A)
    create("in-b", account_id=ACCOUNT_B)
    create("in-default")

    assert list_clusters(account_id=ACCOUNT_A) == [f"arn:aws:ecs:us-east-1:{ACCOUNT_A}:cluster/in-a"]
    assert list_clusters(account_id=ACCOUNT_B) == [f"arn:aws:ecs:us-east-1:{ACCOUNT_B}:cluster/in-b"]
    assert list_clusters() == [f"arn:aws:ecs:us-east-1:{DEFAULT_ACCOUNT}:cluster/in-default"]
    # ...and the same client outside any call is the server's own again.
    assert cluster_accounts(client.list_clusters()["clusterArns"]) == {DEFAULT_ACCOUNT}
    # The role assumed is the default one, in the right accounts.
    assert sorted(c["RoleArn"] for c in recorded_moto.sts_calls()) == [
        f"arn:aws:iam::{ACCOUNT_A}:role/McpReadOnlyRole",
        f"arn:aws:iam::{ACCOUNT_B}:role/McpReadOnlyRole",
    ]


@pytest.mark.parametrize("factory", list(CLIENT_FACTORIES), ids=list(CLIENT_FACTORIES))
def test_clients_made_inside_the_call_follow_it(xa: ModuleType, factory: str) -> None:
    create_cluster_per_account(xa, boto3.client("ecs"))
    make = CLIENT_FACTORIES[factory]

    @xa.cross_account
    async def list_clusters(account_id: Optional[str] = None) -> set[str]:
        return cluster_accounts(make().list_clusters()["clusterArns"])

    for account in (ACCOUNT_A, ACCOUNT_B, None):
        assert asyncio.run(list_clusters(account_id=account)) == {account or DEFAULT_ACCOUNT}


def test_client_created_before_the_runtime_is_imported(recorded_moto: MotoServer, tmp_path: Any) -> None:
    # A fresh interpreter, so the client really exists before the hook is installed.
    script = textwrap.dedent(
        f"""
        import sys, boto3
        early = boto3.client("ecs")
        sys.path.insert(0, {str(RUNTIME_DIR)!r})
        import _xaccount
        import importlib; importlib.reload(_xaccount)  # re-import is harmless
        with _xaccount.use_account("{ACCOUNT_A}"):
            early.create_cluster(clusterName="early")
        with _xaccount.use_account("{ACCOUNT_A}"):
            print(sorted(early.list_clusters()["clusterArns"]))
        print(sorted(early.list_clusters()["clusterArns"]))
        """
    )
    recorded_moto.reset()
    out = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, **recorded_moto.env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    assert out == [f"['arn:aws:ecs:us-east-1:{ACCOUNT_A}:cluster/early']", "[]"]


def test_fifty_concurrent_calls_never_cross_accounts(xa: ModuleType) -> None:
    client = boto3.client("ecs")
    create_cluster_per_account(xa, client)
    accounts: list[Optional[str]] = [ACCOUNT_A, ACCOUNT_B, ACCOUNT_C, None]
    rng = random.Random(7)

    @xa.cross_account
    async def tool(account_id: Optional[str] = None) -> list[set[str]]:
        seen = []
        await asyncio.sleep(rng.random() / 200)  # interleave with the other calls
        seen.append(cluster_accounts(client.list_clusters()["clusterArns"]))
        # in a worker thread, through both ways asyncio offers
        seen.append(await asyncio.to_thread(lambda: cluster_accounts(client.list_clusters()["clusterArns"])))
        loop = asyncio.get_running_loop()
        seen.append(await loop.run_in_executor(None, lambda: cluster_accounts(client.list_clusters()["clusterArns"])))
        await asyncio.sleep(rng.random() / 200)
        seen.append(cluster_accounts(boto3.client("ecs").list_clusters()["clusterArns"]))
        return seen

    async def run_all() -> list[list[set[str]]]:
        return await asyncio.gather(*(tool(account_id=accounts[i % 4]) for i in range(50)))

    results = asyncio.run(run_all())
    for i, seen in enumerate(results):
        expected = {accounts[i % 4] or DEFAULT_ACCOUNT}
        assert seen == [expected] * 4, f"call {i} for {accounts[i % 4]} saw {seen}"


def test_threads_with_their_own_context_never_cross_accounts(xa: ModuleType) -> None:
    client = boto3.client("ecs")
    create_cluster_per_account(xa, client)
    accounts: list[Optional[str]] = [ACCOUNT_A, ACCOUNT_B, ACCOUNT_C, None]

    @xa.cross_account
    def tool(account_id: Optional[str] = None) -> set[str]:
        return cluster_accounts(client.list_clusters()["clusterArns"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: tool(account_id=accounts[i % 4]), range(50)))
    assert results == [{accounts[i % 4] or DEFAULT_ACCOUNT} for i in range(50)]


def test_one_assume_role_per_account_for_a_hundred_calls(xa: ModuleType, recorded_moto: MotoServer) -> None:
    client = boto3.client("ecs")

    @xa.cross_account
    def tool(account_id: Optional[str] = None) -> list[str]:
        return list(client.list_clusters()["clusterArns"])

    async def concurrent_first_calls() -> None:
        # the first calls race: still one AssumeRole per account
        @xa.cross_account
        async def atool(account_id: Optional[str] = None) -> None:
            await asyncio.to_thread(client.list_clusters)

        await asyncio.gather(*(atool(account_id=(ACCOUNT_A, ACCOUNT_B)[i % 2]) for i in range(10)))

    asyncio.run(concurrent_first_calls())
    for i in range(90):
        tool(account_id=(ACCOUNT_A, ACCOUNT_B)[i % 2])

    calls = recorded_moto.sts_calls()
    assert len(calls) == 2
    assert {c["RoleArn"].split(":")[4] for c in calls} == {ACCOUNT_A, ACCOUNT_B}
    # The STS client that assumes the role signs with the server's own key, never a redirected one.
    assert {c["_key_id"] for c in calls} == {"testing"}
    assert {c["RoleSessionName"] for c in calls} == {"xaccount-mcp"}
    assert {c["DurationSeconds"] for c in calls} == {"3600"}


def test_nested_call_without_account_inherits_and_exit_restores(xa: ModuleType) -> None:
    client = boto3.client("ecs")
    create_cluster_per_account(xa, client)

    @xa.cross_account
    def inner(account_id: Optional[str] = None) -> set[str]:
        return cluster_accounts(client.list_clusters()["clusterArns"])

    @xa.cross_account
    def outer(account_id: Optional[str] = None) -> tuple[set[str], set[str], set[str]]:
        return inner(), inner(account_id=ACCOUNT_B), cluster_accounts(client.list_clusters()["clusterArns"])

    assert outer(account_id=ACCOUNT_A) == ({ACCOUNT_A}, {ACCOUNT_B}, {ACCOUNT_A})
    assert xa.active_account() is None

    @xa.cross_account
    def failing(account_id: Optional[str] = None) -> None:
        assert xa.active_account() == ACCOUNT_C
        raise RuntimeError("tool failed")

    with pytest.raises(RuntimeError):
        failing(account_id=ACCOUNT_C)
    assert xa.active_account() is None
    assert cluster_accounts(client.list_clusters()["clusterArns"]) == {DEFAULT_ACCOUNT}


def test_positional_account_id_is_honoured(xa: ModuleType) -> None:
    client = boto3.client("ecs")
    create_cluster_per_account(xa, client)

    @xa.cross_account
    def tool(prefix: str, account_id: Optional[str] = None) -> set[str]:
        return cluster_accounts(client.list_clusters()["clusterArns"])

    assert tool("x", ACCOUNT_B) == {ACCOUNT_B}
    assert tool("x") == {DEFAULT_ACCOUNT}


def test_region_applies_to_a_client_cached_for_another_region(xa: ModuleType) -> None:
    cached = boto3.client("ecs", region_name="us-east-1")

    @xa.cross_account
    def create(name: str, account_id: Optional[str] = None, region: xa.Region = None) -> None:
        cached.create_cluster(clusterName=name)

    create("west", account_id=ACCOUNT_A, region="eu-west-1")
    create("east", account_id=ACCOUNT_A)

    def clusters_in(region: str) -> list[str]:
        with xa.use_account(ACCOUNT_A):
            return list(boto3.client("ecs", region_name=region).list_clusters()["clusterArns"])

    assert clusters_in("eu-west-1") == [f"arn:aws:ecs:eu-west-1:{ACCOUNT_A}:cluster/west"]
    assert clusters_in("us-east-1") == [f"arn:aws:ecs:us-east-1:{ACCOUNT_A}:cluster/east"]


def test_region_changes_endpoint_and_signing_region(xa: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without AWS_ENDPOINT_URL the endpoint comes from botocore's rules; capture the request instead
    # of sending it (no network), and answer it ourselves.
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    from botocore.awsrequest import AWSResponse

    class Raw:
        def stream(self, **_: Any) -> Any:
            return iter([b'{"clusterArns": []}'])

    seen: list[tuple[str, str]] = []

    def answer(request: Any, **_: Any) -> Any:
        seen.append((request.url, request.headers["Authorization"].decode().split("/")[2]))
        return AWSResponse(request.url, 200, {}, Raw())

    cached = boto3.client("ecs", region_name="us-east-1")
    cached.meta.events.register("before-send", answer)
    with xa.use_account(region="ap-southeast-2"):
        cached.list_clusters()
    with xa.use_account(region="cn-north-1"):
        cached.list_clusters()
    cached.list_clusters()
    assert seen == [
        ("https://ecs.ap-southeast-2.amazonaws.com/", "ap-southeast-2"),
        ("https://ecs.cn-north-1.amazonaws.com.cn/", "cn-north-1"),
        ("https://ecs.us-east-1.amazonaws.com/", "us-east-1"),
    ]


def test_credentials_near_expiry_are_refreshed(xa: ModuleType, recorded_moto: MotoServer) -> None:
    client = boto3.client("ecs")
    create_cluster_per_account(xa, client)

    @xa.cross_account
    def tool(account_id: Optional[str] = None) -> set[str]:
        return cluster_accounts(client.list_clusters()["clusterArns"])

    xa._reset_for_tests()  # forget the setup's credentials
    recorded_moto.reset_recording()
    assert tool(account_id=ACCOUNT_A) == {ACCOUNT_A}
    assert tool(account_id=ACCOUNT_A) == {ACCOUNT_A}
    assert len(recorded_moto.sts_calls()) == 1

    # 55 minutes later the 1 h credentials are 5 minutes from expiry: inside botocore's window.
    creds = xa._role_credentials.get(ACCOUNT_A, "us-east-1", xa.current_settings())
    old_key = creds.get_frozen_credentials().access_key
    creds._expiry_time = creds._time_fetcher() + datetime.timedelta(minutes=5)
    assert tool(account_id=ACCOUNT_A) == {ACCOUNT_A}
    assert len(recorded_moto.sts_calls()) == 2
    assert creds.get_frozen_credentials().access_key != old_key

    # The fresh credentials are good for an hour: no further AssumeRole.
    for _ in range(5):
        assert tool(account_id=ACCOUNT_A) == {ACCOUNT_A}
    assert len(recorded_moto.sts_calls()) == 2


def test_short_sessions_are_not_reassumed_on_every_call(xa: ModuleType, recorded_moto: MotoServer,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # 900 s is within botocore's default 15-minute refresh window: without scaled windows every
    # call would assume the role again.
    monkeypatch.setenv("XACCOUNT_DURATION_SECONDS", "900")
    monkeypatch.setenv("XACCOUNT_ROLE_NAME", "OtherRole")
    monkeypatch.setenv("XACCOUNT_SESSION_NAME", "claude via mcp/ecs")
    client = boto3.client("ecs")

    @xa.cross_account
    def tool(account_id: Optional[str] = None) -> None:
        client.list_clusters()

    for _ in range(20):
        tool(account_id=ACCOUNT_A)
    calls = recorded_moto.sts_calls()
    assert len(calls) == 1
    assert calls[0]["RoleArn"] == f"arn:aws:iam::{ACCOUNT_A}:role/OtherRole"
    assert calls[0]["DurationSeconds"] == "900"
    assert calls[0]["RoleSessionName"] == "claude-via-mcp-ecs"


def test_sts_uses_the_regional_endpoint_of_the_call(xa: ModuleType, recorded_moto: MotoServer) -> None:
    client = boto3.client("ecs")

    @xa.cross_account
    def tool(account_id: Optional[str] = None, region: xa.Region = None) -> None:
        client.list_clusters()

    tool(account_id=ACCOUNT_A, region="eu-central-1")
    tool(account_id=ACCOUNT_B)
    regions = [c["_region"] for c in recorded_moto.sts_calls()]
    assert regions == ["eu-central-1", "us-east-1"]


def test_external_id_is_sent(xa: ModuleType, recorded_moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XACCOUNT_EXTERNAL_ID", "ext-1234")
    with xa.use_account(ACCOUNT_A):
        boto3.client("ecs").list_clusters()
    assert [c.get("ExternalId") for c in recorded_moto.sts_calls()] == ["ext-1234"]


def test_two_vendored_copies_share_one_hook(xa: ModuleType, recorded_moto: MotoServer) -> None:
    # Two patched servers in one process each vendor their own copy of the runtime.
    import importlib.util

    spec = importlib.util.spec_from_file_location("other_server._xaccount", RUNTIME_DIR / "_xaccount.py")
    assert spec is not None and spec.loader is not None
    other = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(other)
    assert other._ACTIVE is xa._ACTIVE

    client = boto3.client("ecs")
    create_cluster_per_account(xa, client)

    @other.cross_account
    def tool(account_id: Optional[str] = None) -> set[str]:
        assert xa.active_account() == account_id
        return cluster_accounts(client.list_clusters()["clusterArns"])

    assert tool(account_id=ACCOUNT_B) == {ACCOUNT_B}
    assert tool() == {DEFAULT_ACCOUNT}
    # Signing still goes through one hook: a property, not a property wrapping a property.
    import botocore.signers

    assert isinstance(botocore.signers.RequestSigner.__dict__["_credentials"], property)


CHILD_ACCOUNT = "import boto3, os; print(boto3.client('sts').get_caller_identity()['Account'], os.environ.get('AWS_REGION'))"


def test_child_processes_run_in_the_calls_account(xa: ModuleType) -> None:
    """A tool that shells out (the ECS server runs the AWS CLI) must not hand the child the
    server's own identity when an account was asked for."""

    @xa.cross_account
    def shell_out(account_id: Optional[str] = None, region: xa.Region = None) -> str:
        # AWS_PROFILE names a profile that does not exist: the child can only succeed if the
        # runtime replaced the server's identity variables with the account's credentials.
        env = {**os.environ, "AWS_PROFILE": "the-servers-own"} if account_id else None
        done = subprocess.run([sys.executable, "-c", CHILD_ACCOUNT], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    @xa.cross_account
    async def shell_out_async(account_id: Optional[str] = None) -> str:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CHILD_ACCOUNT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        return out.decode().strip()

    assert shell_out(account_id=ACCOUNT_A) == f"{ACCOUNT_A} us-east-1"
    assert shell_out(account_id=ACCOUNT_B, region="eu-west-1") == f"{ACCOUNT_B} eu-west-1"
    assert shell_out() == f"{DEFAULT_ACCOUNT} us-east-1"
    assert asyncio.run(shell_out_async(account_id=ACCOUNT_B)) == f"{ACCOUNT_B} us-east-1"
    assert asyncio.run(shell_out_async()) == f"{DEFAULT_ACCOUNT} us-east-1"


def test_a_tools_own_region_only_picks_the_sts_endpoint(xa: ModuleType, recorded_moto: MotoServer) -> None:
    """A `region` the tool had before the patch (the IaC troubleshooter's) is the tool's business: a
    call without account_id behaves exactly as before, and with one the role is assumed there."""
    pinned = boto3.client("ecs", region_name="us-east-1")  # e.g. a service the tool always asks in us-east-1

    @xa.cross_account
    def tool(stack: str, region: str, account_id: Optional[str] = None) -> set[str]:
        own = boto3.client("ecs", region_name=region)
        own.create_cluster(clusterName=stack)
        return {arn.split(":")[3] for arn in pinned.list_clusters()["clusterArns"]}

    pinned.create_cluster(clusterName="east")
    assert tool("west", "eu-west-1") == {"us-east-1"}  # not moved to the tool's region
    assert tool("west-a", "eu-west-1", account_id=ACCOUNT_A) == set()  # account A, still us-east-1
    assert [c["_region"] for c in recorded_moto.sts_calls()] == ["eu-west-1"]
