"""The PyPI matrix of issue 13: twelve pinned AWS Labs servers, one per registration form, patched with
`xaccount patch <path>` (no server name: each is found from its dist-info and gets a generic profile).

Static checks on every server, from its wheel alone (`pip download --no-deps`, unpacked once into
.cache/wheels/; about 4 s for all twelve on first use, then none):
- every tool an independent `ast` detector (toolforms.py) finds has `account_id`, or the patch report
  lists it as skipped with a reason, or it had an account_id of its own;
- the patched tree compiles; a re-patch changes no byte; `--revert` restores the exact bytes;
- a server that makes no AWS call (memcached, documentation) is refused with no-aws-calls, unchanged.
Start-up checks on the servers installed in full (MQ, DynamoDB, CloudWatch: a venv each under
.cache/servers/, 80-110 s each on first use, reused after): the server starts over MCP stdio against the
emulator and every tool it lists has account_id unless the report says why; MQ's tools, generated at
start-up from the boto3 model, get it from the runtime's registration hook, and a read call
(list_brokers) with account_id answers from that account.

Every registration form of issue 13 is handled: no server is marked xfail, so one
that regresses fails by name. Servers whose --check needs knowledge of their own have a profile file:
amazon-mq (its start-up-generated registrations, covered by the runtime hook) and billing-cost-management
(what each tool's own account_id means).

Run alone: .venv/bin/python -m pytest -q test/python/test_server_matrix.py
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from conftest import ACCOUNT_A, DEFAULT_ACCOUNT, MotoServer
from servers import MATRIX, REPO_ROOT, ServerCopy, ServerSpec, fresh_copy, install, tree_digest, wheel_copy
from toolforms import detect
from test_real_servers import SERVER_QUIET_ENV, describe, probe, run_cli, schema_has_pattern, xaccount_cli  # noqa: F401

NO_AWS_CALLS = {"memcached", "aws-documentation"}
AWS_SERVERS = [s for s in MATRIX if s.profile not in NO_AWS_CALLS]

# Installed in full for the start-up checks: one per way a tool gets account_id (start-up generation,
# static decorators, bound methods).
STARTED = ("amazon-mq", "dynamodb", "cloudwatch")
AMAZON_MQ_REGION = "us-east-1"


def _param(spec: ServerSpec) -> Any:
    # No xfail: every registration form of issue 13 is handled, so a server that regresses fails by name.
    return pytest.param(spec, id=spec.id)


@dataclass
class Patched:
    spec: ServerSpec
    root: Path  # the copy, laid out like site-packages
    before: dict[str, str]
    result: subprocess.CompletedProcess[str]

    @property
    def package(self) -> Path:
        return self.root / self.spec.package_path

    def report(self) -> dict[str, Any]:
        assert self.result.returncode == 0, describe(self.result)
        return json.loads(self.result.stdout)  # type: ignore[no-any-return]


def patch_wheel(spec: ServerSpec, cli: list[str], dest: Path) -> Patched:
    root = wheel_copy(spec, dest / "site")
    before = tree_digest(root)
    return Patched(spec, root, before, run_cli(cli, "patch", root, "--json"))


@pytest.fixture(scope="module")
def patched_wheels(xaccount_cli: list[str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Patched]:
    return {s.profile: patch_wheel(s, xaccount_cli, tmp_path_factory.mktemp(s.id)) for s in MATRIX}


# ------------------------------------------------------------------------------------------ static checks


@pytest.mark.parametrize("spec", [_param(s) for s in AWS_SERVERS])
def test_every_tool_the_ast_detector_finds_has_account_id_or_is_reported(spec: ServerSpec, patched_wheels: dict[str, Patched]) -> None:
    patched = patched_wheels[spec.profile]
    report = patched.report()
    assert report["server"] == spec.profile and report["packageDir"] == str(patched.package)
    skipped = {t["name"]: t["reason"] for t in report["toolsSkipped"] if t.get("reason")}
    original = {(t.file, t.qualname): t for t in detect(Path(REPO_ROOT / ".cache" / "wheels" / spec.key / spec.package_path)).tools}
    after = {(t.file, t.qualname): t for t in detect(patched.package).tools}
    assert original, f"{spec.key}: the detector found no tool"
    assert set(after) == set(original), "the patch changed which functions are tools"
    problems = []
    for key, tool in sorted(after.items()):
        if "account_id" in tool.params:
            continue
        if tool.name in skipped:
            continue
        problems.append(f"{tool.file}:{tool.line} {tool.qualname} ({tool.form}): no account_id, not reported")
    assert not problems, f"{len(problems)} of {len(after)} tools:\n" + "\n".join(problems)
    # A tool with an account_id of its own keeps it: reported, and not given a second one.
    for key, tool in original.items():
        if "account_id" in tool.params:
            assert after[key].params == tool.params, f"{tool.qualname}: its own account_id was changed"


def _signatures(package: Path) -> dict[tuple[str, int], tuple[str, ...]]:
    """Every function of the package, by file and (n-th def of that name there), with its parameters."""
    out: dict[tuple[str, int], tuple[str, ...]] = {}
    for path in sorted(package.rglob("*.py")):
        if "__pycache__" in path.parts or path.name.startswith("_xaccount"):
            continue
        rel = path.relative_to(package).as_posix()
        defs = [n for n in ast.walk(ast.parse(path.read_bytes())) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for i, node in enumerate(defs):
            a = node.args
            out[(f"{rel}:{node.name}", i)] = tuple(p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs))
    return out


@pytest.mark.parametrize("spec", [_param(s) for s in AWS_SERVERS])
def test_only_tools_gain_account_id(spec: ServerSpec, patched_wheels: dict[str, Patched]) -> None:
    """No function the detector does not call a tool (a prompt, a helper, a pass-through wrapper) gets
    account_id: IoT SiteWise's Prompt.from_function prompts stay as they are."""
    patched = patched_wheels[spec.profile]
    patched.report()
    before = _signatures(REPO_ROOT / ".cache" / "wheels" / spec.key / spec.package_path)
    after = _signatures(patched.package)
    tools = {f"{t.file}:{t.name}" for t in detect(patched.package).tools}
    gained = sorted(k[0] for k, params in after.items() if "account_id" in params and "account_id" not in before.get(k, ()))
    assert gained, "no function gained account_id"
    assert [g for g in gained if g not in tools] == []


@pytest.mark.parametrize("spec", [_param(s) for s in AWS_SERVERS])
def test_patched_tree_compiles_repatch_is_a_no_op_and_revert_is_exact(
    spec: ServerSpec, xaccount_cli: list[str], tmp_path: Path
) -> None:
    patched = patch_wheel(spec, xaccount_cli, tmp_path)
    assert patched.result.returncode == 0, describe(patched.result)
    after = tree_digest(patched.root)
    assert after != patched.before
    proc = subprocess.run(
        ["python3", "-m", "compileall", "-q", "-f", str(patched.package)],
        capture_output=True, text=True, env={**os.environ, "PYTHONPYCACHEPREFIX": str(tmp_path / "pycache")},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    again = run_cli(xaccount_cli, "patch", patched.root)
    assert again.returncode == 0, describe(again)
    assert tree_digest(patched.root) == after, "a second patch changed bytes"
    check = run_cli(xaccount_cli, "patch", patched.root, "--check")
    assert check.returncode == 0, describe(check)
    revert = run_cli(xaccount_cli, "patch", patched.root, "--revert")
    assert revert.returncode == 0, describe(revert)
    assert tree_digest(patched.root) == patched.before, "revert did not restore the exact bytes"


# What the profile files say, per server: tool name -> words of its reason that only the profile gives.
PROFILE_REASONS = {
    "amazon-mq": {"func": "start-up hook"},
    "billing-cost-management": {
        "budgets": "Budgets API", "budget-actions": "Budgets API", "budget-notifications": "Budgets API",
        "cost-optimization": "enrollment status", "credits": "credits", "enterprise-support": "linked account",
        "invoicing": "invoice", "sp-purchase-analyzer": "Savings Plans",
    },
}


@pytest.mark.parametrize("profile", sorted(PROFILE_REASONS))
def test_a_profile_file_wins_and_its_reasons_are_reported(profile: str, patched_wheels: dict[str, Patched]) -> None:
    """amazon-mq's generated registrations and billing's own account_id tools are accepted by --check only
    because their profile file says why: the report names each with that reason, never silently."""
    report = patched_wheels[profile].report()
    reasons: dict[str, list[str]] = {}
    for t in report["toolsSkipped"]:
        reasons.setdefault(t["name"], []).append(t.get("reason", ""))
    assert set(reasons) == set(PROFILE_REASONS[profile]), reasons
    for name, words in PROFILE_REASONS[profile].items():
        assert all("says" in r and words in r for r in reasons[name]), (name, reasons[name])


@pytest.mark.parametrize("spec", [s for s in MATRIX if s.profile in NO_AWS_CALLS], ids=lambda s: s.id)
def test_a_server_that_makes_no_aws_call_is_refused_unchanged(spec: ServerSpec, patched_wheels: dict[str, Patched]) -> None:
    patched = patched_wheels[spec.profile]
    assert patched.result.returncode == 2, describe(patched.result)
    assert "error[no-aws-calls]" in patched.result.stderr
    assert patched.result.stdout == ""
    assert tree_digest(patched.root) == patched.before
    # The detector does find its tools: the refusal is about AWS calls, not about tools.
    assert detect(patched.package).tools


# ------------------------------------------------------------------------------------------ start-up checks


def started_copy(spec: ServerSpec, cli: list[str], dest: Path) -> tuple[ServerCopy, ServerCopy, subprocess.CompletedProcess[str]]:
    installed = install(spec)
    pristine = fresh_copy(installed, dest / "pristine")
    copy = fresh_copy(installed, dest / "patched")
    return pristine, copy, run_cli(cli, "patch", copy.site_packages, "--json")


def aws_config(tmp: Path) -> dict[str, str]:
    """A `[default]` profile with moto's dummy keys: the MQ server opens
    boto3.Session(profile_name=AWS_PROFILE or "default"), and botocore reads no environment keys for a
    session with a profile named, so the server's own calls need the profile."""
    config, credentials = tmp / "aws-config", tmp / "aws-credentials"
    config.write_text("[default]\nregion = us-east-1\n")
    credentials.write_text("[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    return {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(credentials)}


def _started(name: str) -> ServerSpec:
    return next(s for s in MATRIX if s.profile == name)


@pytest.mark.parametrize("spec", [_param(_started(n)) for n in STARTED])
def test_server_starts_and_every_listed_tool_has_account_id(spec: ServerSpec, xaccount_cli: list[str], tmp_path: Path) -> None:
    pristine, copy, result = started_copy(spec, xaccount_cli, tmp_path)
    assert result.returncode == 0, describe(result)
    skipped = {t["name"] for t in json.loads(result.stdout)["toolsSkipped"] if t.get("reason")}
    dummy = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1", **aws_config(tmp_path)}
    upstream = probe(pristine, dummy, [], tmp_path)
    listed = probe(copy, dummy, [], tmp_path)
    assert sorted(t["name"] for t in listed["tools"]) == sorted(t["name"] for t in upstream["tools"])
    assert listed["tools"], "no tools listed"
    missing = []
    for tool in listed["tools"]:
        props = tool["inputSchema"].get("properties", {})
        if "account_id" not in props:
            if tool["name"] not in skipped:
                missing.append(tool["name"])
            continue
        upstream_props = next(t for t in upstream["tools"] if t["name"] == tool["name"])["inputSchema"].get("properties", {})
        if "account_id" not in upstream_props:
            assert schema_has_pattern(props["account_id"]), f"{tool['name']}: account_id has no pattern"
            assert "account_id" not in tool["inputSchema"].get("required", []), f"{tool['name']}: account_id must be optional"
    assert not missing, f"{len(missing)} of {len(listed['tools'])} listed tools lack account_id: {missing}"


def test_mq_generated_tool_reads_the_broker_of_the_requested_account(
    xaccount_cli: list[str], moto_server: MotoServer, tmp_path: Path
) -> None:
    """list_brokers is generated at start-up from the boto3 model (no source to patch): the runtime's
    registration hook gives it account_id, and the call runs in that account."""
    moto_server.reset()
    spec = _started("amazon-mq")
    _pristine, copy, result = started_copy(spec, xaccount_cli, tmp_path)
    assert result.returncode == 0, describe(result)
    # A broker in ACCOUNT_A, made with that account's credentials (moto hands out credentials for the
    # account named in the role ARN).
    sts = boto3.client("sts", endpoint_url=moto_server.endpoint, region_name=AMAZON_MQ_REGION,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_A}:role/McpReadOnlyRole", RoleSessionName="setup")["Credentials"]
    mq = boto3.client("mq", endpoint_url=moto_server.endpoint, region_name=AMAZON_MQ_REGION,
                      aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                      aws_session_token=creds["SessionToken"])
    mq.create_broker(BrokerName="in-account-a", EngineType="RABBITMQ", EngineVersion="3.13", HostInstanceType="mq.m5.large",
                     DeploymentMode="SINGLE_INSTANCE", PubliclyAccessible=False, AutoMinorVersionUpgrade=True,
                     Users=[{"Username": "admin", "Password": "a-long-password-1"}])
    env = {**moto_server.env, "AWS_REGION": AMAZON_MQ_REGION, **aws_config(tmp_path)}
    answer = probe(copy, env, [
        {"name": "list_brokers", "arguments": {"region": AMAZON_MQ_REGION, "account_id": ACCOUNT_A}},
        {"name": "list_brokers", "arguments": {"region": AMAZON_MQ_REGION}},
    ], tmp_path)
    in_a, own = answer["calls"]
    assert not in_a["isError"], in_a["text"]
    assert "in-account-a" in in_a["text"], in_a["text"]
    assert not own["isError"], own["text"]
    assert "in-account-a" not in own["text"], f"the server's own account ({DEFAULT_ACCOUNT}) saw account A's broker"
