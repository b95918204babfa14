"""In-process tests of the runtime's internals that mutation testing found unpinned: the exact fix an
AssumeRole denial tells the operator to paste, a child's environment when keys come without a token
or the region comes from AWS_REGION, thread-pool tasks and threads started during a call, the
"untouched until the first account call" switch, the start method a Process is judged by, and the
Python 3.10 Optional unwrapping of tool signatures.

No emulator, no child process: everything runs inside pytest (mutmut sees only that), in milliseconds.
"""
from __future__ import annotations

import contextlib
import asyncio
import concurrent.futures
import contextvars
import datetime
import gc
import logging
import multiprocessing
import multiprocessing.pool
import multiprocessing.process
import os
import subprocess
import sys
import threading
import typing
import urllib.parse
import weakref
from concurrent.futures import ThreadPoolExecutor
from inspect import Parameter
from typing import Annotated, Any, Callable, Iterator, Optional

import botocore
import botocore.awsrequest
import botocore.credentials
import botocore.exceptions
import botocore.hooks
import botocore.model
import botocore.regions
import botocore.session
import botocore.signers
import botocore.utils
import pytest
from botocore.credentials import Credentials

from runtime_support import _xaccount as rt

ARN = "arn:aws:iam::111111111111:role/McpReadOnlyRole"
CALLER = "arn:aws:sts::999999999999:assumed-role/HostRole/i-0abc"
PRINCIPAL = "arn:aws:iam::999999999999:role/HostRole"


def denied(caller: Optional[str], external_id_set: bool, message: str = "AWS text") -> str:
    error = botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": message}}, "AssumeRole")
    out = rt.explain_assume_role_failure(error, ARN, "us-east-1", caller, external_id_set)
    assert out.code == "assume-role-denied"
    return str(out)


def fix_command(text: str) -> str:
    """The command between backticks after 'Fix:', which the operator copies and runs."""
    return text.split("Fix: ")[1].split("`")[1]


# ---- the AssumeRole denial: a command to paste, and what the trust policy lacks ------------------------


def test_the_denial_fix_is_the_exact_create_role_command() -> None:
    assert fix_command(denied(CALLER, False)) == f"xaccount create-role --trust-principal {PRINCIPAL}"
    # The variable's name is case-sensitive: it must be the one the server reads.
    assert fix_command(denied(CALLER, True)) == (
        f"xaccount create-role --trust-principal {PRINCIPAL} --external-id <the value of XACCOUNT_EXTERNAL_ID>"
    )
    assert fix_command(denied(None, False)) == "xaccount create-role --trust-principal <this server's role or user ARN>"


def test_the_denial_says_what_the_trust_policy_must_allow() -> None:
    assert f"does not let {PRINCIPAL} assume it, or the caller lacks sts:AssumeRole" in denied(CALLER, False)
    assert f"does not let {PRINCIPAL} assume it with this external id, or the caller lacks" in denied(CALLER, True)
    assert (f"AssumeRole into {ARN} was denied for this server's AWS identity (GetCallerIdentity failed too). "
            in denied(None, False))


def test_an_sts_message_loses_only_its_final_periods() -> None:
    # Only '.' is stripped before the runtime adds its own: letters at the end are AWS's words.
    error = botocore.exceptions.ClientError(
        {"Error": {"Code": "ValidationError", "Message": "RoleSessionName must not end in X."}}, "AssumeRole")
    text = str(rt.explain_assume_role_failure(error, ARN, "us-east-1", CALLER, False))
    assert text.endswith(f"AssumeRole into {ARN} failed: ValidationError: RoleSessionName must not end in X.")


# ---- a child's environment -------------------------------------------------------------------------------


def test_a_child_of_keys_without_token_starts_when_the_server_had_no_token_either() -> None:
    env = rt.child_env(rt.Activation("111111111111", "eu-west-1", Credentials("AK", "SK")), {"PATH": "/bin"})
    assert env["AWS_ACCESS_KEY_ID"] == "AK" and "AWS_SESSION_TOKEN" not in env


def test_a_child_keeps_the_servers_aws_region_over_its_profile_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rt._source, "default_region", lambda: "sa-east-1")
    env = rt.child_env(rt.Activation("111111111111", None, Credentials("AK", "SK", "T")), {"AWS_REGION": "us-west-1"})
    assert env["AWS_REGION"] == "us-west-1" and "AWS_DEFAULT_REGION" not in env


# ---- `aws --profile` removal: the command line keeps its type ------------------------------------------


def test_profile_removal_never_rebuilds_a_command_line_through_its_own_type() -> None:
    # Subclasses of list or tuple are command lines too (subprocess takes any sequence), and their
    # constructors need not take one iterable: a namedtuple takes one argument per field.
    class Argv(list[str]):
        def __init__(self, program: str, *rest: str) -> None:
            super().__init__([program, *rest])

    class Command(typing.NamedTuple):
        program: str
        option: str
        profile: str
        service: str

    out = rt.neutralise_profile_args(Argv("aws", "--profile", "p", "s3", "ls"))
    assert out == ["aws", "s3", "ls"] and type(out) is list
    kept = rt.neutralise_profile_args(Command("aws", "--profile", "p", "s3"))
    assert kept == ("aws", "s3") and type(kept) is tuple


# ---- thread-pool tasks and threads started during a call -------------------------------------------------


@pytest.fixture
def in_account() -> Iterator[rt.Activation]:
    """An account call's activation, without credentials (nothing here reaches AWS)."""
    activation = rt.Activation("111111111111", "eu-west-1", None)
    token = rt._ACTIVE.set(activation)
    try:
        yield activation
    finally:
        rt._ACTIVE.reset(token)


def test_a_task_run_as_its_submitters_activation_gets_its_keyword_arguments() -> None:
    activation = rt.Activation("111111111111", "eu-west-1", None)
    task = rt._AsActivation(lambda a, *, b: (a, b, rt.active_account()), activation)
    assert task(1, b=2) == (1, 2, "111111111111")
    assert rt.active_account() is None, "the activation ends with the task"


def test_a_pool_task_submitted_outside_calls_gets_its_keyword_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(botocore, "_xaccount_used", True, raising=False)  # after the first account call
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(lambda a, *, b: (a, b, rt.active_account()), 1, b=2).result() == (1, 2, None)


def test_a_thread_started_during_a_call_is_freed_once_done(in_account: rt.Activation) -> None:
    seen: list[Optional[str]] = []
    thread = threading.Thread(target=lambda: seen.append(rt.active_account()))
    thread.start()
    thread.join()
    assert seen == ["111111111111"]
    assert "run" not in thread.__dict__, "the wrapped run (which holds the thread) is gone"
    ref = weakref.ref(thread)
    gc.disable()  # freed by reference counting alone: no cycle left for the collector
    try:
        del thread
        assert ref() is None
    finally:
        gc.enable()


def test_running_in_context_tolerates_a_thread_without_a_run_of_its_own() -> None:
    # Defensive: if the work removed the wrapper itself, ending the thread must not raise KeyError.
    thread = threading.Thread()
    rt._run_in_context(contextvars.copy_context(), thread, lambda: None)
    assert "run" not in thread.__dict__


def test_pools_are_untouched_until_the_first_account_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(botocore, "_xaccount_used", raising=False)
    assert rt._activated_once() is False

    def fn() -> None:
        return None

    with multiprocessing.pool.ThreadPool(1) as pool:
        assert rt._pool_task(pool, fn, rt._ACTIVE) is fn
        monkeypatch.setattr(botocore, "_xaccount_used", True, raising=False)
        assert rt._activated_once() is True
        assert isinstance(rt._pool_task(pool, fn, rt._ACTIVE), rt._AsActivation)


# ---- the start method a Process is judged by -----------------------------------------------------------


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_a_process_of_a_context_has_that_contexts_start_method(method: str) -> None:
    assert rt._start_method(multiprocessing.get_context(method).Process()) == method


def test_a_process_of_no_context_has_the_default_start_method() -> None:
    class Bare(multiprocessing.process.BaseProcess):
        """A BaseProcess subclass: no _start_method attribute at all."""

    assert not hasattr(Bare, "_start_method")
    assert rt._start_method(Bare()) == multiprocessing.get_start_method()
    assert rt._start_method(multiprocessing.Process()) == multiprocessing.get_start_method()


# ---- Optional[...] unwrapping of tool signatures (Python 3.10 only) --------------------------------------

NAMED = Annotated[str, "the description FastMCP puts in the schema"]


def param(default: Any) -> Parameter:
    return Parameter("account_id", Parameter.KEYWORD_ONLY, default=default)


def account_tool(account_id: NAMED = None) -> None:  # type: ignore[assignment]  # as 3.10 tools are written
    return None


def test_the_implicit_optional_switch_matches_this_pythons_get_type_hints() -> None:
    hint = typing.get_type_hints(account_tool, include_extras=True)["account_id"]
    assert rt._IMPLICIT_OPTIONAL is (hint != NAMED)


def test_a_tools_signature_keeps_its_annotated_hint_on_any_python() -> None:
    signature = rt._resolved_signature(account_tool)
    assert signature is not None and signature.parameters["account_id"].annotation == NAMED


def test_an_implicit_optional_is_undone_where_python_adds_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rt, "_IMPLICIT_OPTIONAL", True)
    assert rt._undo_implicit_optional(Optional[NAMED], param(None)) == NAMED
    monkeypatch.setattr(rt, "_IMPLICIT_OPTIONAL", False)  # 3.11+: an Optional there is the author's own
    assert rt._undo_implicit_optional(Optional[NAMED], param(None)) == Optional[NAMED]


@pytest.mark.parametrize("hint,default", [
    (Optional[NAMED], "x"),  # not a None default: the Optional is the author's
    (Optional[str], None),  # nothing Annotated inside
    (Optional[NAMED | int], None),  # more than one type inside
    (NAMED, None),  # not a Union
])
def test_other_hints_are_kept_even_where_python_adds_optional(
    monkeypatch: pytest.MonkeyPatch, hint: Any, default: Any
) -> None:
    monkeypatch.setattr(rt, "_IMPLICIT_OPTIONAL", True)
    assert rt._undo_implicit_optional(hint, param(default)) == hint


# ---- child processes started during a call: every way in, checked in this process ----------------------
# The children are /bin/sh one-liners (milliseconds each); what matters is what the hook in this process
# hands them, so each prints the variables it got.

ACCOUNT_CREDS = Credentials("AKACCOUNT", "SKACCOUNT", "TOKACCOUNT")
SHOW = 'printf "%s|%s|%s|%s" "$AWS_ACCESS_KEY_ID" "$AWS_SESSION_TOKEN" "$AWS_REGION" "$MARK"'


@contextlib.contextmanager
def activated(account_id: Optional[str], region: Optional[str], credentials: Any) -> Iterator[None]:
    token = rt._ACTIVE.set(rt.Activation(account_id, region, credentials))
    try:
        yield
    finally:
        rt._ACTIVE.reset(token)


@pytest.fixture
def server_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """This process's own identity, as a child outside calls sees it."""
    for key, value in {"AWS_ACCESS_KEY_ID": "AKSERVER", "AWS_SESSION_TOKEN": "TOKSERVER", "AWS_REGION": "us-east-1",
                       "MARK": "server"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(rt._source, "default_region", lambda: "us-east-1")
    return {"PATH": os.environ["PATH"], "MARK": "given"}


def shown(output: Any) -> str:
    return output.decode() if isinstance(output, bytes) else str(output)


@pytest.mark.parametrize("positional", [1, 10, 11, 12])
def test_popen_hands_the_account_to_its_child_however_its_arguments_are_passed(
    server_env: dict[str, str], positional: int
) -> None:
    # Popen(args, bufsize, executable, stdin, stdout, stderr, preexec_fn, close_fds, shell, cwd, env,
    # universal_newlines): env is the 11th, and arguments after it must stay where they were.
    values: list[Any] = [["sh", "-c", SHOW], -1, None, None, subprocess.PIPE, None, None, True, False, None,
                         server_env, True]
    names = ["args", "bufsize", "executable", "stdin", "stdout", "stderr", "preexec_fn", "close_fds", "shell", "cwd",
             "env", "universal_newlines"]
    kwargs = dict(zip(names[positional:], values[positional:]))
    with activated("111111111111", "eu-west-1", ACCOUNT_CREDS):
        child = subprocess.Popen(*values[:positional], **kwargs)
    out = child.communicate()[0]
    assert isinstance(out, str), "universal_newlines stayed in its place"
    assert out == "AKACCOUNT|TOKACCOUNT|eu-west-1|given"


@pytest.fixture
def fake_aws(tmp_path: Any) -> str:
    """A program named `aws` that prints its arguments, one a line."""
    path = tmp_path / "aws"
    path.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    path.chmod(0o755)
    return str(path)


def test_popen_drops_the_profile_of_an_aws_command_passed_by_keyword(server_env: dict[str, str], fake_aws: str) -> None:
    with activated("111111111111", "eu-west-1", ACCOUNT_CREDS):
        by_keyword = subprocess.run(args=[fake_aws, "--profile", "p", "s3", "ls"], capture_output=True, text=True)
        by_position = subprocess.run([fake_aws, "--profile=p", "s3", "ls"], capture_output=True, text=True)
    assert by_keyword.stdout.split() == by_position.stdout.split() == ["s3", "ls"]
    outside = subprocess.run(args=[fake_aws, "--profile", "p"], capture_output=True, text=True)
    assert outside.stdout.split() == ["--profile", "p"], "outside calls the command line is the caller's"


@pytest.mark.parametrize("account_id,region,credentials,expected", [
    ("111111111111", None, ACCOUNT_CREDS, "AKACCOUNT|TOKACCOUNT|us-east-1|server"),  # keys only
    (None, "eu-north-1", None, "AKSERVER|TOKSERVER|eu-north-1|server"),  # a region only: the server's keys
    (None, None, None, "AKSERVER|TOKSERVER|us-east-1|server"),  # an activation that changes nothing
])
def test_a_child_gets_whatever_its_call_changes(server_env: dict[str, str], account_id: Optional[str],
                                                region: Optional[str], credentials: Any, expected: str) -> None:
    with activated(account_id, region, credentials):
        out = subprocess.run(["sh", "-c", SHOW], capture_output=True, text=True).stdout
    assert out == expected
    assert subprocess.run(["sh", "-c", SHOW], capture_output=True, text=True).stdout == (
        "AKSERVER|TOKSERVER|us-east-1|server"), "and after the call, the server's own again"


def test_os_system_returns_a_wait_status_as_the_original_does(server_env: dict[str, str], tmp_path: Any) -> None:
    out = tmp_path / "out"
    outside = [os.system("exit 3"), os.system("kill -9 $$"), os.system("exit 0")]
    with activated("111111111111", "eu-west-1", ACCOUNT_CREDS):
        inside = [os.system("exit 3"), os.system("kill -9 $$"), os.system("exit 0")]
        assert os.system(f"{SHOW} > {out}") == 0
    assert inside == outside == [3 << 8, 9, 0]
    assert out.read_text() == "AKACCOUNT|TOKACCOUNT|eu-west-1|server"


def spawned_output(tmp_path: Any, spawn: Callable[[list[str]], int]) -> str:
    out = tmp_path / "out"
    assert spawn(["sh", "-c", f"{SHOW} > {out}"]) == 0
    return out.read_text()


@pytest.mark.parametrize("spawner", ["spawnv", "spawnve"])
def test_exec_hands_the_account_to_the_new_program(server_env: dict[str, str], tmp_path: Any, spawner: str) -> None:
    # os.spawnv/spawnve fork, then exec through os.execv/os.execve (looked up at call time: hooked).
    def spawn(argv: list[str]) -> int:
        if spawner == "spawnv":
            return os.spawnv(os.P_WAIT, "/bin/sh", argv)
        return os.spawnve(os.P_WAIT, "/bin/sh", argv, server_env)

    # Outside calls: this process's environment (execv), or the one given (execve), as it is.
    outside = "AKSERVER|TOKSERVER|us-east-1|server" if spawner == "spawnv" else "|||given"
    assert spawned_output(tmp_path, spawn) == outside
    mark = "server" if spawner == "spawnv" else "given"
    with activated("111111111111", "eu-west-1", ACCOUNT_CREDS):
        assert spawned_output(tmp_path, spawn) == f"AKACCOUNT|TOKACCOUNT|eu-west-1|{mark}"


@pytest.mark.parametrize("spawner", ["posix_spawn", "posix_spawnp"])
def test_posix_spawn_hands_the_account_to_its_child_and_keeps_its_options(
    server_env: dict[str, str], tmp_path: Any, spawner: str
) -> None:
    out = tmp_path / "out"

    def spawned() -> str:
        # file_actions by keyword sends the child's stdout to the file: it must reach posix_spawn.
        pid = getattr(os, spawner)("/bin/sh", ["sh", "-c", SHOW], server_env,
                                   file_actions=[(os.POSIX_SPAWN_OPEN, 1, str(out), os.O_WRONLY | os.O_CREAT, 0o644)])
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
        return out.read_text()

    assert spawned() == "|||given", "outside calls: the environment the caller gave, as it is"
    with activated("111111111111", "eu-west-1", ACCOUNT_CREDS):
        assert spawned() == "AKACCOUNT|TOKACCOUNT|eu-west-1|given"


@pytest.mark.parametrize("spawner", ["posix_spawn", "posix_spawnp"])
def test_posix_spawn_passes_every_argument_through(server_env: dict[str, str], spawner: str) -> None:
    # Its options are keyword-only: a positional one is the caller's mistake, and must stay a TypeError
    # (as without xaccount), in calls and outside, never be dropped silently.
    with pytest.raises(TypeError):
        getattr(os, spawner)("/bin/sh", ["sh", "-c", "exit 0"], server_env, [])
    with activated("111111111111", "eu-west-1", ACCOUNT_CREDS), pytest.raises(TypeError):
        getattr(os, spawner)("/bin/sh", ["sh", "-c", "exit 0"], server_env, [])


# ---- S3 Express sessions: one cache per account ---------------------------------------------------------


class FakeS3ExpressClient:
    """What S3ExpressIdentityCache asks a client for: one CreateSession per (cache, bucket); each
    answer is a new session key, so which session signs is visible."""

    def __init__(self) -> None:
        self.sessions = 0

    def create_session(self, Bucket: str) -> dict[str, Any]:  # noqa: N803 (botocore's parameter name)
        self.sessions += 1
        expiry = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        return {"Credentials": {"AccessKeyId": f"SESSION{self.sessions}:{Bucket}", "SecretAccessKey": "s",
                                "SessionToken": "t", "Expiration": expiry}}


def test_s3_express_sessions_are_cached_per_account_never_shared() -> None:
    client = FakeS3ExpressClient()
    cache = botocore.utils.S3ExpressIdentityCache(client, botocore.credentials.RefreshableCredentials)

    bucket = "bucket--use1-az4--x-s3"

    def session_key(credentials: Any) -> str:
        with activated("111111111111", "us-east-1", credentials):
            key = str(cache.get_credentials(bucket).access_key)
        assert key.endswith(f":{bucket}"), "a session for the bucket asked for"
        return key.split(":")[0]

    # Credentials objects that say nothing about their account are each an account of their own.
    a, b = Credentials("AKA", "SKA"), Credentials("AKB", "SKB")
    assert (session_key(a), session_key(b), session_key(a)) == ("SESSION1", "SESSION2", "SESSION1")
    # Those of one account (the runtime tags them: a refreshed object, a process task's copy) share.
    tagged, same_account = Credentials("AKC", "SKC"), Credentials("AKC", "SKC")
    tagged.xaccount_key = same_account.xaccount_key = ("role", "333333333333")
    assert (session_key(tagged), session_key(same_account)) == ("SESSION3", "SESSION3")
    # The server's own cache is none of them.
    assert cache.get_credentials(bucket).access_key == f"SESSION4:{bucket}"
    assert client.sessions == 4


# ---- the log filters: installed once per logger, whoever installed them --------------------------------


def test_log_filters_are_added_once_next_to_others_and_once_across_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    names = (*rt._CHATTY_LOGGERS, "botocore.credentials")
    foreign = logging.Filter("someone.else")  # no __name__: a Filter object, not a function
    for name in names:
        monkeypatch.setattr(logging.getLogger(name), "filters", [foreign])
    rt._install_log_filter()
    rt._install_log_filter()  # a reload, or a second vendored copy: no second filter
    for name in rt._CHATTY_LOGGERS:
        assert logging.getLogger(name).filters == [foreign, rt._quiet_sts_exchange], name
    assert logging.getLogger("botocore.credentials").filters == [foreign, rt._quiet_expected_refusal]

    def _quiet_sts_exchange(record: logging.LogRecord) -> bool:  # another copy's filter: same name
        return True

    def _quiet_expected_refusal(record: logging.LogRecord) -> bool:
        return True

    for name in rt._CHATTY_LOGGERS:
        monkeypatch.setattr(logging.getLogger(name), "filters", [_quiet_sts_exchange])
    monkeypatch.setattr(logging.getLogger("botocore.credentials"), "filters", [_quiet_expected_refusal])
    rt._install_log_filter()
    for name in rt._CHATTY_LOGGERS:
        assert logging.getLogger(name).filters == [_quiet_sts_exchange], name
    assert logging.getLogger("botocore.credentials").filters == [_quiet_expected_refusal]


# ---- thread-pool tasks: in the call's account, with all their arguments -------------------------------


def task(a: int, *, b: int) -> tuple[int, int, Optional[str]]:
    return a, b, rt.active_account()


def test_a_pool_task_runs_in_its_submitters_account_with_its_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(botocore, "_xaccount_used", True, raising=False)  # set by every activation
    with ThreadPoolExecutor(1) as pool, ThreadPoolExecutor(1) as started_outside:
        assert started_outside.submit(task, 0, b=0).result() == (0, 0, None)  # its worker starts now
        with activated("111111111111", "eu-west-1", None):
            inside = pool.submit(task, 1, b=2).result()
            assert started_outside.submit(task, 5, b=6).result() == (5, 6, "111111111111")
        outside = pool.submit(task, 3, b=4).result()  # the same worker thread, started during the call
    assert inside == (1, 2, "111111111111")
    assert outside == (3, 4, None)


def test_pool_tasks_outside_calls_are_the_servers_even_after_a_region_only_first_call(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first call of the process names only a region (an ECS tool's `region`): the worker thread the
    # pool starts then inherits that activation, so every later task must be handed back the server's.
    monkeypatch.delattr(botocore, "_xaccount_used", raising=False)

    def region() -> Optional[str]:
        activation = rt._ACTIVE.get()
        return activation.region if activation is not None else None

    with ThreadPoolExecutor(1) as before:
        assert before.submit(task, 1, b=2).result() == (1, 2, None)  # no call yet: the pool as it was
    with ThreadPoolExecutor(1) as pool:
        with rt.use_account(region="eu-west-1"):
            thread_pool = multiprocessing.pool.ThreadPool(1)  # its workers, too, start in the call
            assert pool.submit(region).result() == thread_pool.apply(region) == "eu-west-1"
        try:
            assert pool.submit(region).result() is None
            assert thread_pool.apply(region) is None
        finally:
            thread_pool.terminate()


# ---- log records of secret-bearing loggers during a call: redacted where they are made ----------------


def test_log_records_of_aws_libraries_lose_the_accounts_secrets_during_calls_only() -> None:
    expiry = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).isoformat()
    live = botocore.credentials.RefreshableCredentials.create_from_metadata(
        {"access_key": "AKLOG", "secret_key": "SKLOG", "token": "TOKLOG", "expiry_time": expiry},
        refresh_using=lambda: {}, method="test")

    def message(logger: str) -> str:
        made = logging.getLogger(logger).makeRecord(logger, logging.DEBUG, __file__, 1, "sent %s %s", ("AKLOG", "TOKLOG"),
                                                    None)
        return made.getMessage()

    with activated("111111111111", "eu-west-1", live):
        assert message("botocore.endpoint") == "sent <redacted by xaccount> <redacted by xaccount>"
        assert message("urllib3.connectionpool") == "sent <redacted by xaccount> <redacted by xaccount>"
        assert message("myapp") == "sent AKLOG TOKLOG", "only the loggers that can carry a request's secrets"
    with activated(None, "eu-west-1", None):
        assert message("botocore.endpoint") == "sent AKLOG TOKLOG"
    assert message("botocore.endpoint") == "sent AKLOG TOKLOG", "outside calls, records are as made"
    # Code that calls the factory itself, with keywords, gets them all through.
    by_keyword = logging.getLogRecordFactory()("n", logging.INFO, "f.py", 1, "m", None, None, func="caller", sinfo="stack")
    assert (by_keyword.funcName, by_keyword.stack_info) == ("caller", "stack")


# ---- process pools and Processes: what the hook hands the other process ---------------------------------


def region_task(a: int, *, b: int = 0) -> tuple[int, int, Optional[str], Optional[str]]:
    activation = rt._ACTIVE.get()
    return (a, b, activation.account_id if activation else None, activation.region if activation else None)


def test_multiprocessing_thread_pool_maps_run_in_the_submitters_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(botocore, "_xaccount_used", True, raising=False)
    with multiprocessing.pool.ThreadPool(2) as pool:  # workers started outside the call
        with activated("111111111111", "eu-west-1", ACCOUNT_CREDS):
            activation = rt._ACTIVE.get()

            def same_activation(_: int) -> bool:  # the call's own activation, not a copy made for a process
                return rt._ACTIVE.get() is activation

            assert list(pool.imap(same_activation, [1, 2, 3], chunksize=1)) == [True] * 3
            assert list(pool.imap_unordered(same_activation, [1, 2, 3], chunksize=2)) == [True] * 3
            assert pool.map(same_activation, [1, 2]) == pool.starmap(lambda x, y: same_activation(x), [(1, 2)]) * 2
            assert pool.apply(region_task, (1,), {"b": 2}) == (1, 2, "111111111111", "eu-west-1")
        assert list(pool.imap(region_task, [4])) == [(4, 0, None, None)]
        assert list(pool.imap_unordered(region_task, [5])) == [(5, 0, None, None)]


def test_a_process_pool_task_gets_its_arguments_and_its_submitters_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(botocore, "_xaccount_used", raising=False)
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        assert pool.submit(region_task, 1, b=2).result() == (1, 2, None, None), "before any call: untouched"
        monkeypatch.setattr(botocore, "_xaccount_used", True, raising=False)
        with activated("111111111111", "eu-west-1", ACCOUNT_CREDS):
            assert pool.submit(region_task, 3, b=4).result() == (3, 4, "111111111111", "eu-west-1")
        assert pool.submit(region_task, 5, b=6).result() == (5, 6, None, None)


class Handover:
    """A Process's start without the process: what would be pickled for the child is kept here."""

    targets: list[Any] = []

    class Popen:
        sentinel = None
        returncode = 0

        def poll(self) -> int:
            return 0

    @staticmethod
    def popen(process: Any) -> Any:
        Handover.targets.append((process._target, process._args, process._kwargs))
        return Handover.Popen()


def handed_over(method: str, **kwargs: Any) -> tuple[Any, Any, Any]:
    cls = type("Recorded", (multiprocessing.get_context(method).Process,), {"_Popen": staticmethod(Handover.popen)})
    cls(**kwargs).start()
    return Handover.targets.pop()


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_a_process_started_in_a_call_carries_the_account_through_its_target(method: str) -> None:
    assert handed_over(method, target=region_task, args=(1,))[0] is region_task, "outside calls: untouched"
    with activated("111111111111", "eu-west-1", ACCOUNT_CREDS):
        target, args, kwargs = handed_over(method, target=region_task, args=(1,), kwargs={"b": 2})
        assert handed_over(method)[0] is None, "no target: nothing to wrap (BaseProcess.run does nothing)"
    assert isinstance(target, rt.ProcessTask)
    assert target(*args, **kwargs) == (1, 2, "111111111111", "eu-west-1")


def test_a_forked_process_inherits_the_call_so_its_run_may_be_its_own() -> None:
    class OwnRun(multiprocessing.get_context("fork").Process):
        _Popen = staticmethod(Handover.popen)

        def run(self) -> None:
            return None

    with activated("111111111111", "eu-west-1", ACCOUNT_CREDS):
        OwnRun().start()
        assert Handover.targets.pop()[0] is None


def test_a_spawned_process_with_its_own_run_is_refused_naming_its_start_method() -> None:
    class OwnRun(multiprocessing.get_context("spawn").Process):
        _Popen = staticmethod(Handover.popen)

        def run(self) -> None:
            return None

    with activated("111111111111", "eu-west-1", ACCOUNT_CREDS), pytest.raises(rt.CrossAccountError) as refused:
        OwnRun().start()
    assert refused.value.code == "process-not-covered"
    assert "OwnRun overrides run() and starts with 'spawn'" in str(refused.value)
    assert "account 111111111111's credentials" in str(refused.value)
    assert not Handover.targets


def test_thread_pool_maps_pass_their_options_through() -> None:
    # chunksize only batches work; a wrong one is still the caller's error, as without xaccount.
    with multiprocessing.pool.ThreadPool(1) as pool, activated("111111111111", "eu-west-1", ACCOUNT_CREDS):
        with pytest.raises(ValueError):
            pool.imap(region_task, [1], chunksize=0)
        with pytest.raises(ValueError):
            pool.imap_unordered(region_task, [1], chunksize=0)


def submit_to(pool: Any) -> Any:
    return pool.submit(region_task, 7, b=8).result()


def test_a_task_in_another_process_hands_its_account_on_to_the_pools_it_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    # In a pool's worker process no account call ever ran (a spawned interpreter): a task there runs as
    # its ProcessTask's account, and what it submits to a pool of its own must run there too. Here the
    # worker's side runs in this process: the ProcessTask is called directly.
    monkeypatch.delattr(botocore, "_xaccount_used", raising=False)
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        assert submit_to(pool) == (7, 8, None, None)  # its worker started outside any call
        carried = rt.ProcessTask.of(submit_to, rt.Activation("111111111111", "eu-west-1", ACCOUNT_CREDS))
        assert carried(pool) == (7, 8, "111111111111", "eu-west-1")


# ---- signing: every request of every client, made before or during the call -----------------------------


class Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


IDENTITY = (b"<GetCallerIdentityResponse><GetCallerIdentityResult><Account>1</Account>"
            b"</GetCallerIdentityResult></GetCallerIdentityResponse>")


def sts_client(**kwargs: Any) -> tuple[Any, list[Any]]:
    """A botocore STS client with the server's keys whose requests are captured, never sent."""
    sent: list[Any] = []

    def answer(request: Any, **_: Any) -> Any:
        sent.append(request)
        return botocore.awsrequest.AWSResponse(request.url, 200, {}, Body(IDENTITY))

    client = botocore.session.Session().create_client(
        "sts", region_name="us-east-1", aws_access_key_id="AKSERVER", aws_secret_access_key="SKSERVER", **kwargs)
    client.meta.events.register("before-send", answer)
    return client, sent


def signed(request: Any) -> tuple[str, str, str]:
    """(access key id, signing region, host) of a sent request."""
    credential = request.headers["Authorization"].decode().split("Credential=")[1].split(",")[0].split("/")
    return credential[0], credential[2], urllib.parse.urlsplit(request.url).hostname or ""


def test_a_client_made_before_the_call_signs_with_the_calls_keys_and_region() -> None:
    client, sent = sts_client()
    client.get_caller_identity()
    with activated("111111111111", "eu-west-1", ACCOUNT_CREDS):
        client.get_caller_identity()
        assert client._request_signer._region_name == "eu-west-1"
    client.get_caller_identity()
    assert [signed(r) for r in sent] == [
        ("AKSERVER", "us-east-1", "sts.us-east-1.amazonaws.com"),
        ("AKACCOUNT", "eu-west-1", "sts.eu-west-1.amazonaws.com"),
        ("AKSERVER", "us-east-1", "sts.us-east-1.amazonaws.com"),
    ]
    assert sent[1].headers["X-Amz-Security-Token"] == b"TOKACCOUNT" and "X-Amz-Security-Token" not in sent[2].headers


def test_a_call_naming_only_a_region_keeps_the_servers_keys_and_a_fixed_endpoint_keeps_its_host() -> None:
    client, sent = sts_client(endpoint_url="https://vpce-123.sts.example.internal")
    with activated(None, "eu-west-1", None):
        client.get_caller_identity()
    with activated("111111111111", None, ACCOUNT_CREDS):
        client.get_caller_identity()
    assert [signed(r) for r in sent] == [
        ("AKSERVER", "eu-west-1", "vpce-123.sts.example.internal"),
        ("AKACCOUNT", "us-east-1", "vpce-123.sts.example.internal"),
    ]


def test_credentials_read_by_hand_during_a_call_are_the_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKSERVER")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "SKSERVER")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    session = botocore.session.Session()
    assert session.get_credentials().access_key == "AKSERVER"  # read (and cached) before the call
    with activated("111111111111", "eu-west-1", ACCOUNT_CREDS):
        by_session = session.get_credentials()
        by_resolver = session.get_component("credential_provider").load_credentials()
        assert by_session.get_frozen_credentials().access_key == "AKACCOUNT"
        assert by_resolver.get_frozen_credentials().access_key == "AKACCOUNT"
    # The same objects, used outside the call, are the server's again.
    assert by_session.get_frozen_credentials().access_key == by_resolver.access_key == "AKSERVER"
    assert session.get_credentials().access_key == "AKSERVER"


def test_endpoint_handlers_still_see_the_operation_its_parameters_and_context() -> None:
    client, sent = sts_client()
    seen: list[tuple[Any, Any, Any]] = []
    client.meta.events.register("before-endpoint-resolution.sts",
                                lambda model, params, context, **_: seen.append((model, params, context)))
    with activated("111111111111", "eu-west-1", ACCOUNT_CREDS):
        client.get_caller_identity()
    (model, params, context), = seen
    assert model.name == "GetCallerIdentity" and params == {} and isinstance(context, dict)


def test_an_aiobotocore_signer_gets_credentials_it_can_await() -> None:
    aio_signers = pytest.importorskip("aiobotocore.signers")
    signer = aio_signers.AioRequestSigner(botocore.model.ServiceId("sts"), "us-east-1", "sts", "v4",
                                          Credentials("AKSERVER", "SKSERVER"), botocore.hooks.HierarchicalEmitter())
    plain = botocore.signers.RequestSigner(botocore.model.ServiceId("sts"), "us-east-1", "sts", "v4",
                                           Credentials("AKSERVER", "SKSERVER"), botocore.hooks.HierarchicalEmitter())
    with activated("111111111111", "eu-west-1", ACCOUNT_CREDS):
        assert isinstance(signer._credentials, rt.AwaitableCredentials)
        assert plain._credentials is ACCOUNT_CREDS
    assert signer._credentials.access_key == plain._credentials.access_key == "AKSERVER"


# ---- the hooks are installed once per process, and never on a botocore they do not fit --------------------


def test_installing_again_shares_the_one_variable_and_hooks_nothing_twice() -> None:
    # What a second vendored copy of the runtime (or a reload) does when it is imported.
    hooked = (subprocess.Popen.__init__, threading.Thread.start, ThreadPoolExecutor.submit, os.system,
              logging.getLogRecordFactory())
    assert rt._install_hook() is rt._ACTIVE is botocore._xaccount_active
    assert (subprocess.Popen.__init__, threading.Thread.start, ThreadPoolExecutor.submit, os.system,
            logging.getLogRecordFactory()) == hooked


@pytest.mark.parametrize("cls,name", [
    (botocore.signers.RequestSigner, "get_auth_instance"),
    (botocore.regions.EndpointRulesetResolver, "_get_customized_builtins"),
])
def test_a_botocore_without_what_the_hooks_replace_is_refused(monkeypatch: pytest.MonkeyPatch, cls: Any,
                                                              name: str) -> None:
    monkeypatch.delattr(botocore, "_xaccount_active")  # as in a process where no copy ran yet
    monkeypatch.delattr(cls, name)
    with pytest.raises(ImportError, match=r"^xaccount: botocore \S+ is not supported"):
        rt._install_hook()


# ---- aiobotocore sessions: credentials read by hand follow the call --------------------------------------


def test_an_aiobotocore_session_reads_the_calls_credentials_during_calls_only(monkeypatch: pytest.MonkeyPatch) -> None:
    aio_session = pytest.importorskip("aiobotocore.session")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKSERVER")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "SKSERVER")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    rt._hook_aiobotocore_reads(rt._ACTIVE)  # what every account call does
    hooked = aio_session.AioSession.get_credentials
    rt._hook_aiobotocore_reads(rt._ACTIVE)
    assert aio_session.AioSession.get_credentials is hooked and aio_session.AioSession._xaccount_hooked is True

    async def read() -> list[str]:
        session = aio_session.AioSession()
        outside = await session.get_credentials()
        keys = [(await outside.get_frozen_credentials()).access_key]
        with activated("111111111111", "eu-west-1", ACCOUNT_CREDS):
            inside = await session.get_credentials()
            keys.append((await inside.get_frozen_credentials()).access_key)
            keys.append(str(await inside.get_account_id()))
        keys.append((await inside.get_frozen_credentials()).access_key)  # kept past the call: the server's
        return keys

    assert asyncio.run(read()) == ["AKSERVER", "AKACCOUNT", "111111111111", "AKSERVER"]


def test_without_aiobotocore_loaded_an_account_call_hooks_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "aiobotocore.session", raising=False)  # a server that never imports it
    assert rt._hook_aiobotocore_reads(rt._ACTIVE) is None


def test_a_name_passed_as_account_id_is_refused_with_its_id_in_the_hint() -> None:
    with pytest.raises(rt.CrossAccountError) as refused:
        rt.check_account_id("prod", None, {"prod": "111111111111"})
    assert "'prod' is the name of account 111111111111: pass account_id 111111111111." in str(refused.value)


def test_sts_is_reached_through_the_regional_endpoint_whatever_the_environment_says(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_STS_REGIONAL_ENDPOINTS", "legacy")  # would send eu-west-1 to sts.amazonaws.com
    monkeypatch.setattr(rt._source, "_session", None)
    client = rt._source.session().create_client("sts", region_name="eu-west-1", aws_access_key_id="A",
                                                aws_secret_access_key="S")
    assert client.meta.endpoint_url == "https://sts.eu-west-1.amazonaws.com"


# ---- assumed-role credentials: tagged with their key, kept when a later refresh fails ------------------


class FakeSts:
    """An STS client that answers AssumeRole with fresh keys, or refuses once told to."""

    def __init__(self) -> None:
        self.refuse = False
        self.calls = 0

    def assume_role(self, **_: Any) -> dict[str, Any]:
        self.calls += 1
        if self.refuse:
            raise botocore.exceptions.ClientError({"Error": {"Code": "Throttling", "Message": "slow"}}, "AssumeRole")
        expiry = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        return {"Credentials": {"AccessKeyId": f"ASIA{self.calls}", "SecretAccessKey": "s", "SessionToken": "t",
                                "Expiration": expiry}}


class FakeSource:
    def __init__(self, sts: FakeSts) -> None:
        self.sts = sts

    def credentials(self) -> Any:
        return Credentials("AKSERVER", "SKSERVER")

    def sts_client(self, region: str, **_: Any) -> Any:
        return self.sts

    def default_region(self) -> Optional[str]:
        return None


def test_assumed_credentials_carry_their_key_and_survive_a_failed_refresh() -> None:
    sts = FakeSts()
    cache = rt.RoleCredentials(typing.cast(Any, FakeSource(sts)))
    creds = cache.get("111111111111", "eu-west-1", rt.parse_settings({}))
    assert creds.get_frozen_credentials().access_key == "ASIA1"
    assert creds.xaccount_key == ("aws", "111111111111", "McpReadOnlyRole", None, "xaccount-mcp", 3600)
    # Near expiry, STS refuses the refresh: the call fails, but the working entry stays cached for the
    # next call to refresh (only a failed *first* AssumeRole is forgotten).
    creds._expiry_time = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=30)
    sts.refuse = True
    with pytest.raises(rt.CrossAccountError):
        creds.get_frozen_credentials()
    assert len(cache) == 1 and cache.get("111111111111", "eu-west-1", rt.parse_settings({})) is creds


def test_every_copy_of_the_runtime_shares_one_sts_exchange_flag() -> None:
    """Two patched servers in one process import a copy of the runtime each. The log filter the first
    copy installs reads the STS-exchange flag: the second copy must set that same flag, or its
    AssumeRole (the secret in the response body) would not be kept out of DEBUG logs."""
    name = "_xaccount_test_shared_flag"
    assert not hasattr(botocore, name)
    try:
        first = rt._shared_var(name, False)
        assert getattr(botocore, name) is first
        assert rt._shared_var(name, True) is first  # what a second copy gets: the first one's, default and all
        assert first.get() is False
    finally:
        delattr(botocore, name)
    assert rt._IN_STS_EXCHANGE is botocore._xaccount_in_sts  # type: ignore[attr-defined]


def test_a_region_typed_by_a_dotted_module_path_is_the_patchs_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """With `from __future__ import annotations` the codemod's `region: Region` is text, and it can name
    the runtime by a dotted path (`pkg.sub._xaccount.Region`): it is still the patch's region, which moves
    a call without account_id to that region (a tool's own `region` would only pick the STS endpoint)."""
    monkeypatch.setattr(botocore, "_xaccount_used", getattr(botocore, "_xaccount_used", False), raising=False)
    seen: list[Optional[str]] = []

    def tool(name: str, account_id: rt.AccountId = None, region: pkg.sub._xaccount.Region = None) -> str:  # type: ignore[name-defined]  # noqa: F821 (text: this module has `from __future__ import annotations`)
        active = rt._ACTIVE.get()
        seen.append(active.region if active else None)
        return name

    rt.cross_account(tool)("x", region="eu-west-1")
    assert seen == ["eu-west-1"]


def test_a_tools_signature_has_its_text_annotations_resolved_and_a_methods_has_no_self() -> None:
    """FastMCP builds the schema from the wrapper's signature: text annotations (`from __future__ import
    annotations`) resolved to the real types. A method is reached through a bound method, and a
    pass-through wrapper made with functools.wraps(obj.tool) must not show `self` (or `cls`) as a tool
    argument, so a method's wrapper keeps no signature of its own."""
    import functools
    import inspect

    def tool(name: str, account_id: rt.AccountId = None) -> str:  # text annotations: `from __future__ import annotations`
        return name

    assert tool.__annotations__["account_id"] == "rt.AccountId"
    parameters = inspect.signature(rt.cross_account(tool)).parameters
    assert parameters["account_id"].annotation == rt.AccountId and parameters["name"].annotation is str

    class Tools:
        @rt.cross_account
        def tool(self, name: str, account_id: rt.AccountId = None) -> str:
            return name

        @classmethod
        @rt.cross_account
        def listed(cls, name: str, account_id: rt.AccountId = None) -> str:
            return name

    instance = Tools()
    for bound in (instance.tool, Tools.listed):
        passthrough = functools.wraps(bound)(lambda *args, _bound=bound, **kwargs: _bound(*args, **kwargs))
        assert list(inspect.signature(passthrough).parameters) == ["name", "account_id"], bound
        assert passthrough("n") == "n"


def test_a_full_credential_cache_drops_the_account_used_longest_ago(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache is bounded by XACCOUNT_CACHE_SIZE and drops the least recently *used* account: one a call
    just used stays, or a busy account would be assumed again while an idle one kept its place."""
    made: list[str] = []

    def make(self: Any, key: tuple[Any, ...], arn: str, regions: tuple[str, ...], settings: Any) -> object:
        made.append(key[1])
        return object()

    monkeypatch.setattr(rt.RoleCredentials, "_make", make)
    monkeypatch.setattr(rt._SourceIdentity, "default_region", lambda self: "us-east-1")
    cache = rt.RoleCredentials(rt._SourceIdentity())
    settings = rt.Settings("McpReadOnlyRole", None, None, "xaccount", 3600, cache_size=2)
    a, b, c = "111111111111", "222222222222", "333333333333"
    first_a = cache.get(a, "us-east-1", settings)
    cache.get(b, "us-east-1", settings)
    assert cache.get(a, "us-east-1", settings) is first_a  # kept, and now the most recently used
    cache.get(c, "us-east-1", settings)  # full: b goes, the one used longest ago
    assert cache.get(a, "us-east-1", settings) is first_a
    assert made == [a, b, c] and len(cache) == 2
    cache.get(b, "us-east-1", settings)
    assert made == [a, b, c, b]
