"""The runtime fails closed: every way a tool can do work stays in its call's account (issue 9).

Each probe hands an IAM CreateUser (tagged with a unique user name) to one way of doing work, from a
tool called with account_id and without, before and after account calls. The verdict is read at the
emulator (adversarial_support.landed: which key signed the tagged request, and whose key moto says it
is), never in the process under test.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
import json
import logging
import multiprocessing
import multiprocessing.pool
import os
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import Any, AsyncIterator, Iterator, Optional

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.session
import pytest

from adversarial_support import (  # noqa: F401
    S3ExpressFront,
    StsFront,
    assert_both_ways,
    key_accounts,
    landed,
    new_tag,
    sts_front,
)
from conftest import MotoServer
from fail_closed_probes import ENV_SCRIPT, PROBE_SCRIPT, probe
from runtime_support import ACCOUNT_A, ACCOUNT_B, DEFAULT_ACCOUNT, recorded_moto, xa  # noqa: F401

HERE = Path(__file__).resolve().parent


def tool_running(xa: ModuleType, work: Any) -> Any:
    """A tool that runs `work(tag)` in the account of its call."""

    @xa.cross_account
    def tool(tag: str, account_id: Optional[str] = None) -> Any:
        return work(tag)

    return lambda account, tag: tool(tag, account_id=account)


def assumed(xa: ModuleType, account: str, region: str = "us-east-1") -> Any:
    return xa._role_credentials.get(account, region, xa.current_settings()).get_frozen_credentials()


# --- 1. Threads a tool starts itself --------------------------------------------------------------


def test_threads_started_in_a_call_run_in_its_account(xa: ModuleType, recorded_moto: MotoServer) -> None:
    def in_thread(tag: str) -> None:
        thread = threading.Thread(target=probe, args=(tag,))
        thread.start()
        thread.join()

    assert_both_ways(recorded_moto, tool_running(xa, in_thread))


def test_timers_started_in_a_call_run_in_its_account(xa: ModuleType, recorded_moto: MotoServer) -> None:
    def in_timer(tag: str) -> None:
        timer = threading.Timer(0.01, probe, args=(tag,))
        timer.start()
        timer.join()

    assert_both_ways(recorded_moto, tool_running(xa, in_timer))


def test_a_thread_pool_made_in_a_call_serves_each_later_call_in_its_own_account(
    xa: ModuleType, recorded_moto: MotoServer
) -> None:
    pools: list[multiprocessing.pool.ThreadPool] = []

    def in_pool(tag: str) -> None:
        if not pools:  # made during the first account call, kept for every later call
            pools.append(multiprocessing.pool.ThreadPool(2))
        pools[0].apply(probe, (tag,))
        pools[0].map(probe, [tag + "-m"])

    try:
        run = tool_running(xa, in_pool)
        for account in (ACCOUNT_A, None, ACCOUNT_B, None):
            tag = new_tag()
            run(account, tag)
            assert landed(recorded_moto, tag) == (account or DEFAULT_ACCOUNT)
            assert landed(recorded_moto, tag + "-m") == (account or DEFAULT_ACCOUNT)
    finally:
        pools[0].terminate()


def test_an_executor_whose_workers_started_in_a_call_never_carries_it_into_another(
    xa: ModuleType, recorded_moto: MotoServer
) -> None:
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        run = tool_running(xa, lambda tag: executor.submit(probe, tag).result())
        for account in (ACCOUNT_A, None, ACCOUNT_B, None):  # the one worker starts in A's call
            tag = new_tag()
            run(account, tag)
            assert landed(recorded_moto, tag) == (account or DEFAULT_ACCOUNT)
    finally:
        executor.shutdown()


# --- 2. Process pools and processes -----------------------------------------------------------------


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_process_pool_made_in_a_call_serves_each_later_call_in_its_own_account(
    xa: ModuleType, recorded_moto: MotoServer, method: str
) -> None:
    executor = concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context(method))
    try:
        run = tool_running(xa, lambda tag: executor.submit(probe, tag).result(timeout=60))
        assert_both_ways(recorded_moto, run, (ACCOUNT_A, None, ACCOUNT_B, None))
    finally:
        executor.shutdown()


def test_a_process_pool_forked_before_any_call_runs_an_accounts_job_there(
    xa: ModuleType, recorded_moto: MotoServer
) -> None:
    pool = multiprocessing.get_context("fork").Pool(1)
    try:
        pool.apply(os.getpid)  # the worker exists before any call
        run = tool_running(xa, lambda tag: pool.apply(probe, (tag,)))
        assert_both_ways(recorded_moto, run)
        run_map = tool_running(xa, lambda tag: pool.map(probe, [tag]))
        assert_both_ways(recorded_moto, run_map, (ACCOUNT_B, None))
    finally:
        pool.terminate()


def test_a_spawned_process_runs_in_the_calls_account_or_is_refused(
    xa: ModuleType, recorded_moto: MotoServer
) -> None:
    spawn = multiprocessing.get_context("spawn")

    def in_process(tag: str) -> None:
        process = spawn.Process(target=probe, args=(tag,))
        process.start()
        process.join(60)
        assert process.exitcode == 0

    assert_both_ways(recorded_moto, tool_running(xa, in_process), (None, ACCOUNT_A, None))

    class OwnRun(spawn.Process):  # type: ignore[name-defined,misc]
        def run(self) -> None:  # pragma: no cover (never started in an account call)
            probe(self.name)

    @xa.cross_account
    def tool(account_id: Optional[str] = None) -> None:
        OwnRun(name=new_tag()).start()

    with pytest.raises(xa.CrossAccountError, match="process-not-covered"):
        tool(account_id=ACCOUNT_A)


# --- 3. Child processes outside subprocess --------------------------------------------------------


def test_os_system_children_run_in_the_calls_account(xa: ModuleType, recorded_moto: MotoServer) -> None:
    def system(tag: str) -> None:
        assert os.system(f"{sys.executable} -c \"{PROBE_SCRIPT}\" {tag}") == 0

    assert_both_ways(recorded_moto, tool_running(xa, system))


@pytest.mark.parametrize("spawner", ["posix_spawn", "posix_spawnp", "spawnv", "fork+execv"])
def test_spawn_and_exec_children_run_in_the_calls_account(
    xa: ModuleType, recorded_moto: MotoServer, spawner: str
) -> None:
    def start(tag: str) -> None:
        argv = [sys.executable, "-c", PROBE_SCRIPT, tag]
        if spawner == "spawnv":
            assert os.spawnv(os.P_WAIT, sys.executable, argv) == 0
            return
        if spawner == "fork+execv":
            pid = os.fork()
            if pid == 0:  # pragma: no cover (the child)
                os.execv(sys.executable, argv)
        else:
            pid = getattr(os, spawner)(sys.executable, argv, os.environ)
        assert os.waitpid(pid, 0)[1] == 0

    assert_both_ways(recorded_moto, tool_running(xa, start))


def test_a_child_receives_the_accounts_session_token(xa: ModuleType, recorded_moto: MotoServer) -> None:
    """Issue 14 item 3: assert what the child receives, not only who answered (moto accepts a key
    without its token)."""

    @xa.cross_account
    def child_env(account_id: Optional[str] = None) -> dict[str, str]:
        out = subprocess.run([sys.executable, "-c", ENV_SCRIPT], capture_output=True, text=True, check=True)
        return dict(json.loads(out.stdout))

    own = child_env()
    assert own["AWS_ACCESS_KEY_ID"] == "testing" and "AWS_SESSION_TOKEN" not in own
    env = child_env(account_id=ACCOUNT_A)
    creds = assumed(xa, ACCOUNT_A)
    assert creds.token
    assert env["AWS_SESSION_TOKEN"] == creds.token
    assert env["AWS_ACCESS_KEY_ID"] == creds.access_key and env["AWS_SECRET_ACCESS_KEY"] == creds.secret_key
    assert child_env() == own  # and after the account call, the server's own again


AWS_CLI_LIKE = (
    # What the AWS CLI does with --profile: that profile's credentials, ignoring the environment's.
    "import sys, boto3\n"
    "args = sys.argv[1:]\n"
    "profile = args[args.index('--profile') + 1] if '--profile' in args else None\n"
    "boto3.Session(profile_name=profile).client('iam').create_user(UserName=args[-1])\n"
)


@pytest.mark.parametrize("program", ["aws", "deploy-helper"])
def test_a_child_given_the_servers_profile_never_runs_as_the_server(
    xa: ModuleType, recorded_moto: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, program: str
) -> None:
    """The ECS server runs `aws ... --profile $AWS_PROFILE`. `aws` loses the option and runs as the
    account; any other program naming the profile finds none and fails: never the server."""
    config = tmp_path / "config"
    config.write_text("[profile server]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    (tmp_path / program).write_text(f"#!{sys.executable}\n{AWS_CLI_LIKE}")
    (tmp_path / program).chmod(0o755)

    @xa.cross_account
    def shell_out(tag: str, account_id: Optional[str] = None) -> int:
        return subprocess.run([str(tmp_path / program), "iam", "--profile", "server", tag],
                              capture_output=True).returncode

    before, during, after = new_tag(), new_tag(), new_tag()
    assert shell_out(before) == 0
    assert landed(recorded_moto, before) == DEFAULT_ACCOUNT
    code = shell_out(during, account_id=ACCOUNT_A)
    if program == "aws":
        assert code == 0 and landed(recorded_moto, during) == ACCOUNT_A
    else:
        assert code != 0
        assert not [c for c in recorded_moto.calls() if c.get("UserName") == during]
    assert shell_out(after) == 0
    assert landed(recorded_moto, after) == DEFAULT_ACCOUNT


# --- 4. Credentials read by hand --------------------------------------------------------------------


def sign_by_hand(credentials: Any, tag: str) -> None:
    """What servers that sign with SigV4 themselves do with the credentials they read."""
    frozen = credentials.get_frozen_credentials()
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    request = botocore.awsrequest.AWSRequest(
        method="POST", url=endpoint + "/", data=f"Action=CreateUser&Version=2010-05-08&UserName={tag}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    botocore.auth.SigV4Auth(frozen, "iam", "us-east-1").add_auth(request)
    prepared = request.prepare()
    urllib.request.urlopen(urllib.request.Request(prepared.url, data=prepared.body,
                                                  headers=dict(prepared.headers), method="POST")).read()


@pytest.mark.parametrize("reader", ["boto3.Session", "botocore session (cached before)", "credential resolver"])
def test_credentials_read_by_hand_are_the_calls(xa: ModuleType, recorded_moto: MotoServer, reader: str) -> None:
    early = botocore.session.get_session()
    early.get_credentials()  # the server's own, cached in the session before any call

    def read() -> Any:
        if reader == "boto3.Session":
            return boto3.Session().get_credentials()
        if reader.startswith("botocore session"):
            return early.get_credentials()
        return botocore.credentials.create_credential_resolver(botocore.session.Session()).load_credentials()

    assert_both_ways(recorded_moto, tool_running(xa, lambda tag: sign_by_hand(read(), tag)))


def test_credentials_kept_from_a_call_are_not_the_accounts_after_it(xa: ModuleType, recorded_moto: MotoServer) -> None:
    kept: list[Any] = []
    clients: list[Any] = []

    @xa.cross_account
    def tool(account_id: Optional[str] = None) -> None:
        kept.append(boto3.Session().get_credentials())
        clients.append(boto3.client("iam"))  # a client made in the call, cached by the tool

    tool(account_id=ACCOUNT_A)
    tags = [new_tag(), new_tag()]
    sign_by_hand(kept[0], tags[0])
    clients[0].create_user(UserName=tags[1])
    assert [landed(recorded_moto, t) for t in tags] == [DEFAULT_ACCOUNT, DEFAULT_ACCOUNT]
    with xa.use_account(ACCOUNT_B):
        tag = new_tag()
        sign_by_hand(kept[0], tag)
    assert landed(recorded_moto, tag) == ACCOUNT_B


# --- 5. S3 Express session credentials ------------------------------------------------------------


def test_s3express_sessions_are_kept_per_account(xa: ModuleType, recorded_moto: MotoServer) -> None:
    """Directory-bucket sessions (CreateSession) are cached per client and bucket. The S3 Express front
    records which key made the session that signed each GetObject; moto says whose key that is."""
    front = S3ExpressFront()
    try:
        cached = boto3.client("s3", endpoint_url=front.endpoint)  # made before any call, like a server's

        @xa.cross_account
        def read(tag: str, account_id: Optional[str] = None) -> None:
            cached.get_object(Bucket="data--use1-az4--x-s3", Key=tag)
            boto3.client("s3", endpoint_url=front.endpoint).get_object(Bucket="data--use1-az4--x-s3", Key=tag + "-new")

        for account in (None, ACCOUNT_A, None, ACCOUNT_B, ACCOUNT_A, None):
            tag = new_tag()
            read(tag, account_id=account)
            accounts = key_accounts(recorded_moto)
            assert accounts[front.objects[tag]] == (account or DEFAULT_ACCOUNT), f"call for {account}"
            assert accounts[front.objects[tag + "-new"]] == (account or DEFAULT_ACCOUNT)
        # Sessions are still cached per (client, account): the cached client made 3 (server, A, B) over
        # 6 calls; each call's new client made its own (6).
        assert front.sessions == 3 + 6
    finally:
        front.close()


# --- 6. aiobotocore -------------------------------------------------------------------------------


def test_aiobotocore_clients_sign_with_the_calls_account(xa: ModuleType, recorded_moto: MotoServer) -> None:
    from aiobotocore.session import get_session

    async def scenario() -> None:
        async with get_session().create_client("iam") as cached:  # made before any call

            @xa.cross_account
            async def tool(tag: str, account_id: Optional[str] = None) -> None:
                await cached.create_user(UserName=tag)
                async with get_session().create_client("iam") as fresh:
                    await fresh.create_user(UserName=tag + "-fresh")

            for account in (None, ACCOUNT_A, ACCOUNT_B, None):
                tag = new_tag()
                await tool(tag, account_id=account)
                assert landed(recorded_moto, tag) == (account or DEFAULT_ACCOUNT)
                assert landed(recorded_moto, tag + "-fresh") == (account or DEFAULT_ACCOUNT)

    asyncio.run(scenario())


def test_aiobotocore_credentials_read_by_hand_are_the_calls(xa: ModuleType, recorded_moto: MotoServer) -> None:
    from aiobotocore.session import get_session

    class Frozen:  # sign_by_hand wants an object with get_frozen_credentials()
        def __init__(self, frozen: Any) -> None:
            self.frozen = frozen

        def get_frozen_credentials(self) -> Any:
            return self.frozen

    kept: list[Any] = []

    @xa.cross_account
    async def tool(tag: str, account_id: Optional[str] = None) -> None:
        creds = await get_session().get_credentials()
        kept.append(creds)
        sign_by_hand(Frozen(await creds.get_frozen_credentials()), tag)

    async def scenario() -> None:
        for account in (None, ACCOUNT_A, ACCOUNT_B, None):
            tag = new_tag()
            await tool(tag, account_id=account)
            assert landed(recorded_moto, tag) == (account or DEFAULT_ACCOUNT)
        tag = new_tag()  # A's object, used after A's call: the server's own
        sign_by_hand(Frozen(await kept[1].get_frozen_credentials()), tag)
        assert landed(recorded_moto, tag) == DEFAULT_ACCOUNT

    asyncio.run(scenario())


# --- 7. Generator tools --------------------------------------------------------------------------


def test_a_generator_tool_stays_in_its_account_for_its_whole_iteration(xa: ModuleType, recorded_moto: MotoServer) -> None:
    @xa.cross_account
    def tool(tags: list[str], account_id: Optional[str] = None) -> Iterator[str]:
        for tag in tags:
            probe(tag)
            yield tag

    for account in (ACCOUNT_A, None):
        inside = [new_tag(), new_tag()]
        between = new_tag()
        steps = tool(inside, account_id=account)
        next(steps)
        probe(between)  # the caller, while the generator is paused: the server's own
        list(steps)
        assert [landed(recorded_moto, t) for t in inside] == [account or DEFAULT_ACCOUNT] * 2
        assert landed(recorded_moto, between) == DEFAULT_ACCOUNT


def test_an_async_generator_tool_stays_in_its_account(xa: ModuleType, recorded_moto: MotoServer) -> None:
    @xa.cross_account
    async def tool(tags: list[str], account_id: Optional[str] = None) -> AsyncIterator[str]:
        for tag in tags:
            await asyncio.sleep(0)
            probe(tag)
            yield tag

    async def scenario(account: Optional[str]) -> tuple[list[str], str]:
        inside, between = [new_tag(), new_tag()], new_tag()
        steps = tool(inside, account_id=account)
        await steps.__anext__()
        probe(between)
        async for _ in steps:
            pass
        return inside, between

    for account in (ACCOUNT_B, None):
        inside, between = asyncio.run(scenario(account))
        assert [landed(recorded_moto, t) for t in inside] == [account or DEFAULT_ACCOUNT] * 2
        assert landed(recorded_moto, between) == DEFAULT_ACCOUNT


def test_use_account_in_a_paused_generator_does_not_leak_into_the_caller(xa: ModuleType, recorded_moto: MotoServer) -> None:
    @xa.cross_account
    def tool(tag: str, account_id: Optional[str] = None) -> Iterator[None]:
        with xa.use_account(ACCOUNT_B):
            probe(tag)
            yield

    for account in (None, ACCOUNT_A):
        inside, between = new_tag(), new_tag()
        steps = tool(inside, account_id=account)
        next(steps)
        probe(between)
        assert xa.active_account() is None
        list(steps)
        assert landed(recorded_moto, inside) == ACCOUNT_B
        assert landed(recorded_moto, between) == DEFAULT_ACCOUNT


# --- 8. The credential cache and the STS endpoint -------------------------------------------------


def test_a_region_whose_sts_is_disabled_never_disables_the_account(
    xa: ModuleType, recorded_moto: MotoServer, sts_front: StsFront
) -> None:
    sts_front.disabled_regions = {"ap-east-1"}

    @xa.cross_account
    def tool(tag: str, account_id: Optional[str] = None, region: xa.Region = None) -> None:
        probe(tag)

    first, later = new_tag(), new_tag()
    tool(first, account_id=ACCOUNT_A, region="ap-east-1")  # STS falls back to the server's region
    tool(later, account_id=ACCOUNT_A, region="us-east-1")
    assert [landed(recorded_moto, t) for t in (first, later)] == [ACCOUNT_A, ACCOUNT_A]
    assert [c["_region"] for c in recorded_moto.sts_calls()] == ["us-east-1"]  # ap-east-1's was refused
    assert sts_front.refused == 1
    tag = new_tag()
    tool(tag)
    assert landed(recorded_moto, tag) == DEFAULT_ACCOUNT


def test_a_failed_assume_role_is_never_cached_and_says_the_truth(
    xa: ModuleType, recorded_moto: MotoServer, sts_front: StsFront, monkeypatch: pytest.MonkeyPatch
) -> None:
    sts_front.disabled_regions = {"ap-east-1", "us-east-1"}

    @xa.cross_account
    def tool(tag: str, account_id: Optional[str] = None, region: xa.Region = None) -> None:
        probe(tag)

    with pytest.raises(xa.CrossAccountError) as refused:
        tool(new_tag(), account_id=ACCOUNT_A, region="ap-east-1")
    assert refused.value.code == "region-disabled"
    assert "not enabled in region ap-east-1 nor in us-east-1 for the server's own account" in str(refused.value)
    assert len(xa._role_credentials) == 0  # nothing kept
    sts_front.disabled_regions = set()  # the operator enabled STS: the very next call works
    tag = new_tag()
    tool(tag, account_id=ACCOUNT_A, region="ap-east-1")
    assert landed(recorded_moto, tag) == ACCOUNT_A


def test_partition_is_part_of_the_credential_key(xa: ModuleType, recorded_moto: MotoServer) -> None:
    """Issue 14 item 2: the same account in us-east-1 and cn-north-1 is two AssumeRoles."""

    @xa.cross_account
    def tool(account_id: Optional[str] = None, region: xa.Region = None) -> None:
        pass

    tool(account_id=ACCOUNT_A, region="us-east-1")
    tool(account_id=ACCOUNT_A, region="cn-north-1")
    tool(account_id=ACCOUNT_A, region="us-east-1")
    tool(account_id=ACCOUNT_A, region="cn-north-1")
    assert [c["RoleArn"] for c in recorded_moto.sts_calls()] == [
        f"arn:aws:iam::{ACCOUNT_A}:role/McpReadOnlyRole",
        f"arn:aws-cn:iam::{ACCOUNT_A}:role/McpReadOnlyRole",
    ]


# --- 9. The allowlist -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", ",", " , ", "\t", " ,\n, "])
def test_an_allowlist_set_but_empty_refuses_every_account(
    xa: ModuleType, recorded_moto: MotoServer, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("XACCOUNT_ALLOWED_ACCOUNTS", value)
    run = tool_running(xa, probe)
    for account in (ACCOUNT_A, ACCOUNT_B):
        with pytest.raises(xa.CrossAccountError, match="config-invalid.*names no account"):
            run(account, new_tag())
    assert recorded_moto.calls() == []  # refused before any request
    assert_both_ways(recorded_moto, run, (None,))  # the server's own calls are untouched


def test_an_unset_allowlist_allows_any_account(xa: ModuleType, recorded_moto: MotoServer) -> None:
    assert_both_ways(recorded_moto, tool_running(xa, probe), (None, ACCOUNT_A, "999999999999", None))


# --- 10. A bounded cache ----------------------------------------------------------------------------


def test_the_cache_is_bounded_least_recently_used_first(
    xa: ModuleType, recorded_moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XACCOUNT_CACHE_SIZE", "2")
    run = tool_running(xa, probe)
    for account in (ACCOUNT_A, ACCOUNT_B, ACCOUNT_A, "333333333333"):  # A used last before the third
        tag = new_tag()
        run(account, tag)
        assert landed(recorded_moto, tag) == account
    assert len(xa._role_credentials) == 2
    run(ACCOUNT_A, new_tag())  # still cached
    run(ACCOUNT_B, new_tag())  # dropped: assumed again
    assert [c["RoleArn"].split(":")[4] for c in recorded_moto.sts_calls()] == [
        ACCOUNT_A, ACCOUNT_B, "333333333333", ACCOUNT_B]


def test_refused_accounts_leave_nothing_in_the_cache(
    xa: ModuleType, recorded_moto: MotoServer, sts_front: StsFront
) -> None:
    denied = [f"{n:012d}" for n in range(900000000000, 900000000040)]
    sts_front.denied_accounts = set(denied)
    run = tool_running(xa, probe)
    for account in denied:
        with pytest.raises(xa.CrossAccountError, match="assume-role-denied"):
            run(account, new_tag())
    assert len(xa._role_credentials) == 0
    assert_both_ways(recorded_moto, run, (None, ACCOUNT_A, None))


# --- 11. No secret in any log -----------------------------------------------------------------------


def secrets_of(creds: Any) -> list[str]:
    return [creds.access_key, creds.secret_key, creds.token]


def test_debug_logs_over_a_successful_assume_role_and_account_calls_hold_no_secret(
    xa: ModuleType, recorded_moto: MotoServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 14 item 5 and issue 9 category 11: DEBUG from every logger, over the AssumeRole that
    succeeds (its response carries the secret) and the account's requests (signed headers)."""
    caplog.set_level(logging.DEBUG)
    run = tool_running(xa, probe)
    run(None, new_tag())
    tag = new_tag()
    run(ACCOUNT_A, tag)
    url = tool_running(xa, lambda t: boto3.client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": "b", "Key": t}))(ACCOUNT_A, new_tag())
    assert landed(recorded_moto, tag) == ACCOUNT_A
    creds = assumed(xa, ACCOUNT_A)
    assert creds.access_key in url  # the presigned URL itself is the caller's business
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in secrets_of(creds):
        assert secret not in text
    # The logs are there (nothing was silenced wholesale), and the server's own key id is untouched.
    assert "<redacted by xaccount>" in text
    assert "Credential=testing/" in text


def test_logs_of_threads_and_children_of_a_call_hold_no_secret(
    xa: ModuleType, recorded_moto: MotoServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    def in_thread(tag: str) -> None:
        thread = threading.Thread(target=probe, args=(tag,))
        thread.start()
        thread.join()

    assert_both_ways(recorded_moto, tool_running(xa, in_thread), (ACCOUNT_B, None))
    for secret in secrets_of(assumed(xa, ACCOUNT_B)):
        assert secret not in caplog.text


# --- 12. Over MCP -------------------------------------------------------------------------------------

MCP_SERVER = '''
import sys
sys.path[:0] = [{runtime!r}, {here!r}]
from mcp.server.fastmcp import FastMCP
from _xaccount import AccountId, cross_account
from fail_closed_probes import probe

mcp = FastMCP("fail-closed")


@mcp.tool()
@cross_account
def create_user(tag: str, account_id: AccountId = None) -> str:
    return probe(tag)


mcp.run()
'''


def test_refusals_over_mcp_are_one_coded_line_without_a_traceback(
    xa: ModuleType, recorded_moto: MotoServer, sts_front: StsFront, tmp_path: Path
) -> None:
    from conftest import RUNTIME_DIR

    sts_front.denied_accounts = {"999999999999"}
    server = tmp_path / "server.py"
    server.write_text(MCP_SERVER.format(runtime=str(RUNTIME_DIR), here=str(HERE)))
    stderr = tmp_path / "stderr.log"
    bad = ["1234", "123456789012:role/Admin", "１２３４５６７８９０１２", " 111111111111"]
    tags = [new_tag() for _ in range(4)]
    calls = [{"name": "create_user", "arguments": {"tag": tags[0]}},
             {"name": "create_user", "arguments": {"tag": tags[1], "account_id": ACCOUNT_A}},
             *({"name": "create_user", "arguments": {"tag": new_tag(), "account_id": b}} for b in bad),
             {"name": "create_user", "arguments": {"tag": tags[2], "account_id": "999999999999"}},
             {"name": "create_user", "arguments": {"tag": tags[3]}}]
    request = {"command": sys.executable, "args": [str(server)], "stderr": str(stderr), "timeout": 60,
               "env": {**os.environ, "FASTMCP_LOG_LEVEL": "ERROR"}, "calls": calls}
    done = subprocess.run([sys.executable, str(HERE / "mcp_probe.py")], input=json.dumps(request),
                          capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout)["calls"]
    assert [a["isError"] for a in answers] == [False, False, True, True, True, True, True, False]
    for answer in answers[2:6]:
        assert "[xaccount:account-id-invalid]" in answer["text"] and "\n" not in answer["text"]
        assert "pattern" not in answer["text"]
    assert "[xaccount:assume-role-denied]" in answers[6]["text"]
    assert [landed(recorded_moto, t) for t in (tags[0], tags[1], tags[3])] == [DEFAULT_ACCOUNT, ACCOUNT_A, DEFAULT_ACCOUNT]
    assert "Traceback" not in stderr.read_text()


# --- Issue 14: promises no test could refuse ----------------------------------------------------------


def test_an_async_tool_that_raises_restores_the_account(xa: ModuleType, recorded_moto: MotoServer) -> None:
    """Issue 14 item 1."""

    @xa.cross_account
    async def failing(account_id: Optional[str] = None) -> None:
        raise RuntimeError("the tool failed")

    async def scenario() -> str:
        with pytest.raises(RuntimeError):
            await failing(account_id=ACCOUNT_A)
        assert xa.active_account() is None
        tag = new_tag()
        probe(tag)
        return tag

    assert landed(recorded_moto, asyncio.run(scenario())) == DEFAULT_ACCOUNT


def test_a_nested_call_without_region_inherits_the_callers(xa: ModuleType, recorded_moto: MotoServer) -> None:
    """Issue 14 item 4: the inner call names an account and no region."""
    client = boto3.client("ecs")

    @xa.cross_account
    def inner(account_id: Optional[str] = None, region: xa.Region = None) -> None:
        client.list_clusters()

    @xa.cross_account
    def outer(account_id: Optional[str] = None, region: xa.Region = None) -> None:
        inner(account_id=ACCOUNT_B)
        inner()

    outer(account_id=ACCOUNT_A, region="eu-west-1")
    inner(account_id=ACCOUNT_B)
    listed = [c["_region"] for c in recorded_moto.calls() if c["_action"] == "ListClusters"]
    assert listed == ["eu-west-1", "eu-west-1", "us-east-1"]


def test_a_nested_call_with_only_a_region_stays_in_the_callers_account(
    xa: ModuleType, recorded_moto: MotoServer
) -> None:
    """A call that names a region and no account, made inside an account call, keeps that account and
    its credentials; outside any call it is the server's own, as before the patch."""

    @xa.cross_account
    def inner(tag: str, account_id: Optional[str] = None, region: xa.Region = None) -> Optional[str]:
        probe(tag)
        boto3.client("ecs").list_clusters()  # the runtime sends it to the call's region
        return xa.active_account()

    @xa.cross_account
    def outer(tag: str, account_id: Optional[str] = None) -> Optional[str]:
        return inner(tag, region="eu-west-1")

    inside, outside = new_tag(), new_tag()
    assert outer(inside, account_id=ACCOUNT_A) == ACCOUNT_A
    assert inner(outside, region="eu-west-1") is None
    assert [landed(recorded_moto, t) for t in (inside, outside)] == [ACCOUNT_A, DEFAULT_ACCOUNT]
    listed = [c["_region"] for c in recorded_moto.calls() if c["_action"] == "ListClusters"]
    assert listed == ["eu-west-1", "eu-west-1"]


def test_an_empty_region_is_no_region(xa: ModuleType, recorded_moto: MotoServer) -> None:
    """Some MCP clients send "" for an argument left blank: it means the server's region, not an error."""

    @xa.cross_account
    def tool(tag: str, account_id: Optional[str] = None, region: xa.Region = None) -> None:
        probe(tag)

    with_account, without = new_tag(), new_tag()
    tool(with_account, account_id=ACCOUNT_A, region="")
    tool(without, region="")
    assert [landed(recorded_moto, t) for t in (with_account, without)] == [ACCOUNT_A, DEFAULT_ACCOUNT]
    assert [c["_region"] for c in recorded_moto.sts_calls()] == ["us-east-1"]


@pytest.mark.parametrize("configured", ["moon", "us-east-1!", None])
def test_without_a_valid_server_region_sts_is_asked_in_us_east_1(
    xa: ModuleType, recorded_moto: MotoServer, monkeypatch: pytest.MonkeyPatch, configured: Optional[str]
) -> None:
    """The server's configured region picks the STS endpoint only when it is a region: a typo in
    AWS_DEFAULT_REGION must not become the endpoint (nor fail the call); none at all means us-east-1."""
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        if configured is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, configured)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    xa._reset_for_tests()

    @xa.cross_account
    def tool(tag: str, account_id: Optional[str] = None) -> None:
        boto3.client("iam", region_name="us-west-2").create_user(UserName=tag)

    tag = new_tag()
    tool(tag, account_id=ACCOUNT_A)
    assert landed(recorded_moto, tag) == ACCOUNT_A
    assert [c["_region"] for c in recorded_moto.sts_calls()] == ["us-east-1"]


def test_refresh_windows_scale_with_a_short_session(
    xa: ModuleType, recorded_moto: MotoServer, sts_front: StsFront, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14 item 6: with 900 s sessions the windows are 225 s (advisory: try to refresh, keep the
    credentials if STS fails) and 150 s (mandatory: fail the call). botocore's default mandatory 10
    minutes would fail every call as soon as STS hiccups with 200 s of good credentials left."""
    monkeypatch.setenv("XACCOUNT_DURATION_SECONDS", "900")
    run = tool_running(xa, probe)
    for _ in range(3):
        run(ACCOUNT_A, new_tag())
    assert len(recorded_moto.sts_calls()) == 1  # 15 minutes left: outside both windows
    creds = xa._role_credentials.get(ACCOUNT_A, "us-east-1", xa.current_settings())
    sts_front.denied_accounts = {ACCOUNT_A}  # STS now refuses
    creds._expiry_time = creds._time_fetcher() + datetime.timedelta(seconds=200)
    tag = new_tag()
    run(ACCOUNT_A, tag)  # advisory: a refresh is tried, refused, and the good credentials serve
    assert sts_front.refused == 1 and landed(recorded_moto, tag) == ACCOUNT_A
    creds._expiry_time = creds._time_fetcher() + datetime.timedelta(seconds=100)
    with pytest.raises(xa.CrossAccountError, match="assume-role-denied"):
        run(ACCOUNT_A, new_tag())  # mandatory: the call fails rather than use expiring credentials
    sts_front.denied_accounts = set()
    tag = new_tag()
    run(ACCOUNT_A, tag)
    assert landed(recorded_moto, tag) == ACCOUNT_A and len(recorded_moto.sts_calls()) == 2
