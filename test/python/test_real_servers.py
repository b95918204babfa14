"""End to end on the real upstream servers from PyPI: `xaccount patch` on the newest and the oldest
release of each, checked with Python's own ast, compiled, started over MCP stdio, called against the
emulator with and without `account_id`, re-patched, checked and reverted byte for byte.

The calls run under IAM enforcement, as a real user's would: each account's role is made by `xaccount
create-role` run as that account's administrator, trusting the MCP host; the server runs as the host.

Heavy (four server venvs, cached under .cache/servers/ after the first run); run alone with
    .venv/bin/python -m pytest -q test/python/test_real_servers.py
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import ACCOUNT_A, ACCOUNT_B, DEFAULT_ACCOUNT, HOST_ACTIONS, Identity, MotoServer, Rig, rig_for
from servers import (
    ALL_SERVERS,
    REPO_ROOT,
    InstalledServer,
    ServerCopy,
    ServerSpec,
    fresh_copy,
    install,
    tree_digest,
)
from toolscan import ToolFunction, scan_package

ECS_SERVERS = [s for s in ALL_SERVERS if s.profile == "ecs"]
IAC_SERVERS = [s for s in ALL_SERVERS if s.profile == "iac"]


# Tools a server lists that come from a remote MCP server (no Python body here, so no account_id).
# Offline they are usually not listed at all; if they are, they are allowed to lack the parameter.
REMOTE_TOOL_PREFIXES = ("aws_knowledge_", "read_iac_documentation_page")

PROBE = Path(__file__).resolve().parent / "mcp_probe.py"

SERVER_QUIET_ENV = {
    "FASTMCP_LOG_LEVEL": "ERROR",
    "FASTMCP_SHOW_SERVER_BANNER": "false",
    "FASTMCP_CHECK_FOR_UPDATES": "off",  # fastmcp asks PyPI for a newer release at start otherwise
    "AWS_MAX_ATTEMPTS": "1",  # moto answers unimplemented APIs with a 500; don't retry those
}


# ---------------------------------------------------------------------------------------------- helpers


def _sources_newer_than(target: Path) -> bool:
    if not target.exists():
        return True
    built = target.stat().st_mtime
    for folder in ("src", "codemods"):
        for path in (REPO_ROOT / folder).rglob("*.ts"):
            if path.stat().st_mtime > built:
                return True
    return False


@pytest.fixture(scope="session")
def xaccount_cli() -> list[str]:
    """`node bin/xaccount.js`, built first when the TypeScript is newer than dist/ (npm test builds anyway)."""
    if _sources_newer_than(REPO_ROOT / "dist" / "src" / "cli.js"):
        subprocess.run(["npx", "tsc", "-p", "."], cwd=REPO_ROOT, check=True)
    return ["node", str(REPO_ROOT / "bin" / "xaccount.js")]


def run_cli(cli: list[str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([*cli, *map(str, args)], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)


def describe(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"


def probe(copy: ServerCopy, env: dict[str, str], calls: list[dict[str, Any]], tmp: Path) -> dict[str, Any]:
    """Starts the copy's server over MCP stdio, lists its tools and makes `calls`; returns the JSON answer."""
    stderr_file = tmp / f"server-stderr-{os.getpid()}-{len(list(tmp.glob('server-stderr-*')))}.log"
    request = {
        "command": str(copy.python),
        "args": ["-m", copy.spec.entry_module],
        "env": copy.env({**SERVER_QUIET_ENV, **env}),
        "cwd": str(tmp),
        "timeout": 90,
        "stderr": str(stderr_file),
        "calls": calls,
    }
    proc = subprocess.run(
        [str(copy.python), str(PROBE)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=120,
        env=copy.env(),
    )
    server_log = stderr_file.read_text(errors="replace")[-4000:] if stderr_file.exists() else ""
    assert proc.returncode == 0, f"MCP probe failed:\n{proc.stderr[-4000:]}\n--- server stderr\n{server_log}"
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def schema_has_pattern(schema: Any) -> bool:
    if isinstance(schema, dict):
        return "pattern" in schema or any(schema_has_pattern(v) for v in schema.values())
    if isinstance(schema, list):
        return any(schema_has_pattern(v) for v in schema)
    return False


def cluster_arns(text: str) -> list[str]:
    return sorted(set(re.findall(r"arn:aws:ecs:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9_-]+", text)))


def is_remote_tool(name: str) -> bool:
    return name.startswith(REMOTE_TOOL_PREFIXES)


@dataclass
class Patched:
    spec: ServerSpec
    pristine: ServerCopy  # never patched: the reference
    copy: ServerCopy  # patched once by the fixture
    before: dict[str, str]  # digest of the copy before the patch
    after: dict[str, str]  # digest right after the patch
    result: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module", params=ALL_SERVERS, ids=lambda s: s.id)
def installed(request: pytest.FixtureRequest) -> InstalledServer:
    return install(request.param)


def patch_fresh_copy(installed: InstalledServer, cli: list[str], dest: Path, pristine: ServerCopy | None = None) -> Patched:
    """A fresh copy of the installed server in `dest`, patched once; `pristine` defaults to the copy itself."""
    copy = fresh_copy(installed, dest)
    before = tree_digest(copy.site_packages)
    result = run_cli(cli, "patch", installed.spec.profile, copy.site_packages)
    return Patched(installed.spec, pristine or copy, copy, before, tree_digest(copy.site_packages), result)


@pytest.fixture(scope="module")
def patched(installed: InstalledServer, xaccount_cli: list[str], tmp_path_factory: pytest.TempPathFactory) -> Patched:
    pristine = fresh_copy(installed, tmp_path_factory.mktemp(f"{installed.spec.id}-pristine"))
    return patch_fresh_copy(installed, xaccount_cli, tmp_path_factory.mktemp(f"{installed.spec.id}-patched"), pristine)


def tools_of(copy: ServerCopy) -> list[ToolFunction]:
    tools, _remote = scan_package(copy.package_dir)
    return tools


# ------------------------------------------------------------------------------------------------ tests


def test_patch_succeeds_and_changes_only_tool_modules(patched: Patched) -> None:
    assert patched.result.returncode == 0, describe(patched.result)
    pristine_tools = tools_of(patched.pristine)
    tool_files = {t.file for t in pristine_tools}
    pkg = patched.spec.package_path + "/"
    changed = {path for path in patched.before if patched.before[path] != patched.after.get(path)}
    # Every changed file holds a tool; every other upstream file is byte-identical.
    assert changed, "patch reported success but changed no file"
    assert {p.removeprefix(pkg) for p in changed} <= tool_files, sorted(changed)
    assert set(patched.before) <= set(patched.after), "patch deleted files"
    added = set(patched.after) - set(patched.before)
    assert pkg + "_xaccount.py" in added, sorted(added)


def test_every_tool_has_the_parameters_per_ast(patched: Patched) -> None:
    assert patched.result.returncode == 0, describe(patched.result)
    pristine_tools = tools_of(patched.pristine)
    tools = tools_of(patched.copy)
    assert pristine_tools, "the scanner found no tool in the upstream package"
    # Same tools before and after: none lost, none added.
    assert sorted((t.file, t.tool_name) for t in tools) == sorted((t.file, t.tool_name) for t in pristine_tools)
    before_params = {(t.file, t.function): t.param_names() for t in pristine_tools}
    problems = []
    for tool in tools:
        params = tool.param_names()
        original = before_params[(tool.file, tool.function)]
        for extra in patched.spec.extra_params:
            if extra in original:
                continue  # a tool that already had it keeps its own (e.g. iac's required region)
            if extra not in params:
                problems.append(f"{tool.file}:{tool.function} lacks {extra}: {params}")
                continue
            default = tool.param_default(extra)
            if not (isinstance(default, ast.Constant) and default.value is None):
                problems.append(f"{tool.file}:{tool.function} {extra} has no default None")
        # Appended after every original parameter, so positional callers keep working.
        assert params[: len(original)] == original, f"{tool.file}:{tool.function} reordered {original} -> {params}"
        # The activation wraps the function itself: the runtime's decorator sits right above `def`.
        assert tool.decorator_sources()[-1] == "cross_account", f"{tool.file}:{tool.function}: {tool.decorator_sources()}"
    assert not problems, "\n".join(problems)


ARG_SECTION = re.compile(r"^\s*(Args|Arguments|Parameters):\s*$", re.MULTILINE)


def test_docstrings_that_document_arguments_document_the_new_ones(patched: Patched) -> None:
    assert patched.result.returncode == 0, describe(patched.result)
    before = {(t.file, t.function): ast.get_docstring(t.node) or "" for t in tools_of(patched.pristine)}
    documented = 0
    for tool in tools_of(patched.copy):
        original = before[(tool.file, tool.function)]
        if not ARG_SECTION.search(original):
            continue
        documented += 1
        doc = ast.get_docstring(tool.node) or ""
        for extra in patched.spec.extra_params:
            if f"{extra}:" not in original:
                assert re.search(rf"^\s+{extra}:", doc, re.MULTILINE), f"{tool.file}:{tool.function} docstring lacks {extra}:\n{doc}"
    assert documented, "no tool documents its arguments; the check above proved nothing"


def test_patched_package_compiles(patched: Patched, tmp_path: Path) -> None:
    assert patched.result.returncode == 0, describe(patched.result)
    # compileall with the server's own python; bytecode goes elsewhere so the tree keeps its bytes.
    proc = subprocess.run(
        [str(patched.copy.python), "-m", "compileall", "-q", "-f", str(patched.copy.package_dir)],
        capture_output=True,
        text=True,
        env={**patched.copy.env(), "PYTHONPYCACHEPREFIX": str(tmp_path / "pycache")},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_server_starts_and_every_tool_schema_has_account_id(patched: Patched, tmp_path: Path) -> None:
    assert patched.result.returncode == 0, describe(patched.result)
    dummy = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}
    upstream = probe(patched.pristine, dummy, [], tmp_path)
    listed = probe(patched.copy, dummy, [], tmp_path)
    names = sorted(t["name"] for t in listed["tools"])
    assert names == sorted(t["name"] for t in upstream["tools"]), "the patched server lists other tools than upstream"
    local = [t for t in listed["tools"] if not is_remote_tool(t["name"])]
    assert local, "no tools listed"
    known = {t.tool_name for t in tools_of(patched.copy)}
    for tool in local:
        assert tool["name"] in known, f"{tool['name']} is listed but ast found no such tool function"
        properties = tool["inputSchema"].get("properties", {})
        required = tool["inputSchema"].get("required", [])
        upstream_props = next(t for t in upstream["tools"] if t["name"] == tool["name"])["inputSchema"].get("properties", {})
        for extra in patched.spec.extra_params:
            assert extra in properties, f"{tool['name']}: {extra} missing from {sorted(properties)}"
            if extra not in upstream_props:
                assert extra not in required, f"{tool['name']}: {extra} must be optional"
        assert schema_has_pattern(properties["account_id"]), f"{tool['name']}: account_id has no pattern"


def create_roles(cli: list[str], rig: Rig, *accounts: str) -> None:
    """`xaccount create-role` in each account, run as its administrator, trusting the MCP host."""
    for account in accounts:
        admin = rig.admin(account)
        env = {**os.environ, **admin.env, "NO_COLOR": "1"}
        proc = subprocess.run(
            [*cli, "create-role", "--trust-principal", rig.host.arn],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
        )
        assert proc.returncode == 0, describe(proc)


@pytest.fixture
def host_rig(enforced_moto: MotoServer, request: pytest.FixtureRequest) -> Rig:
    """The enforcing rig, with the host also allowed the reads its own calls (without account_id) make in
    its own account: `host_reads` on the test's parametrisation, or none."""
    reads: tuple[str, ...] = getattr(request, "param", ())
    return rig_for(enforced_moto, host_actions=(*HOST_ACTIONS, *reads))


def as_host(host: Identity) -> dict[str, str]:
    return dict(host.env)


# How ListClusters is asked for, per release: 0.1.1 has an action/resource_type interface, later
# releases pass the API operation through.
LIST_CLUSTERS_ARGS: dict[str, dict[str, Any]] = {
    "0.1.1": {"action": "list", "resource_type": "cluster"},
    "0.1.37": {"api_operation": "ListClusters", "api_params": {}},
}


@pytest.fixture(scope="module", params=ECS_SERVERS, ids=lambda s: s.id)
def ecs_patched(request: pytest.FixtureRequest, xaccount_cli: list[str], tmp_path_factory: pytest.TempPathFactory) -> Patched:
    spec: ServerSpec = request.param
    return patch_fresh_copy(install(spec), xaccount_cli, tmp_path_factory.mktemp(f"{spec.id}-calls"))


# The host may also list its own account's clusters: the calls without account_id run as the host.
@pytest.mark.parametrize("host_rig", [("ecs:ListClusters", "ecs:DescribeClusters")], indirect=True, ids=["host-lists-clusters"])
def test_ecs_list_clusters_answers_from_the_requested_account(
    ecs_patched: Patched, host_rig: Rig, xaccount_cli: list[str], tmp_path: Path
) -> None:
    assert ecs_patched.result.returncode == 0, describe(ecs_patched.result)
    rig = host_rig
    create_roles(xaccount_cli, rig, ACCOUNT_A, ACCOUNT_B)
    rig.admin(ACCOUNT_A).client("ecs").create_cluster(clusterName="xa-cluster-in-a")
    rig.admin(ACCOUNT_A).client("ecs", "eu-west-1").create_cluster(clusterName="xa-cluster-in-a-eu")
    rig.admin(DEFAULT_ACCOUNT).client("ecs").create_cluster(clusterName="xa-cluster-in-default")

    args = LIST_CLUSTERS_ARGS[ecs_patched.spec.version]
    rig.server.reset_recording()
    answer = probe(
        ecs_patched.copy,
        as_host(rig.host),
        [
            {"name": "ecs_resource_management", "arguments": {**args, "account_id": ACCOUNT_A}},
            {"name": "ecs_resource_management", "arguments": dict(args)},
            {"name": "ecs_resource_management", "arguments": {**args, "account_id": ACCOUNT_B}},
            {"name": "ecs_resource_management", "arguments": {**args, "account_id": ACCOUNT_A, "region": "eu-west-1"}},
            # The same call again: the server's cached client must not stay on account A or eu-west-1.
            {"name": "ecs_resource_management", "arguments": dict(args)},
        ],
        tmp_path,
    )
    in_a, default, in_b, in_a_eu, default_again = answer["calls"]
    for call in answer["calls"]:
        assert not call["isError"], call["text"]
    assert "xa-cluster-in-a" in in_a["text"] and f":{ACCOUNT_A}:cluster/" in in_a["text"], in_a["text"]
    assert "xa-cluster-in-default" not in in_a["text"] and "xa-cluster-in-a-eu" not in in_a["text"], in_a["text"]
    assert "xa-cluster-in-default" in default["text"], default["text"]
    assert "xa-cluster-in-a" not in default["text"], default["text"]
    assert "xa-cluster" not in in_b["text"], in_b["text"]
    assert "xa-cluster-in-a-eu" in in_a_eu["text"] and "eu-west-1" in in_a_eu["text"], in_a_eu["text"]
    assert "xa-cluster-in-default" not in in_a_eu["text"], in_a_eu["text"]
    assert cluster_arns(default_again["text"]) == cluster_arns(default["text"])
    # At the emulator: roles assumed in A and B only (with the server's own key), and the calls without
    # account_id signed with the server's own key.
    requests = rig.server.calls()
    own_key = rig.host.access_key_id
    assumed = {r["RoleArn"].split(":")[4] for r in requests if r["_action"] == "AssumeRole"}
    assert assumed == {ACCOUNT_A, ACCOUNT_B}, requests
    assert all(r["_key_id"] == own_key for r in requests if r["_action"] == "AssumeRole")
    list_keys = [r["_key_id"] for r in requests if r["_action"] == "ListClusters"]
    assert list_keys.count(own_key) == 2, list_keys  # the two calls without account_id


def test_ecs_refuses_a_malformed_account_id(ecs_patched: Patched, host_rig: Rig, tmp_path: Path) -> None:
    assert ecs_patched.result.returncode == 0, describe(ecs_patched.result)
    args = LIST_CLUSTERS_ARGS[ecs_patched.spec.version]
    host_rig.server.reset_recording()
    answer = probe(
        ecs_patched.copy,
        as_host(host_rig.host),
        [
            {"name": "ecs_resource_management", "arguments": {**args, "account_id": "11111111111x"}},
            {"name": "ecs_resource_management", "arguments": {**args, "account_id": "1111111111111"}},
        ],
        tmp_path,
    )
    for call in answer["calls"]:
        assert call["isError"], call["text"]
    # Refused before any network call: the emulator saw neither an AssumeRole nor an ECS request.
    assert [r["_action"] for r in host_rig.server.calls()] == []


TROUBLESHOOT_TOOL = {"1.0.0": "troubleshoot_deployment", "1.0.26": "troubleshoot_cloudformation_deployment"}


@pytest.fixture(scope="module", params=IAC_SERVERS, ids=lambda s: s.id)
def iac_patched(request: pytest.FixtureRequest, xaccount_cli: list[str], tmp_path_factory: pytest.TempPathFactory) -> Patched:
    spec: ServerSpec = request.param
    return patch_fresh_copy(install(spec), xaccount_cli, tmp_path_factory.mktemp(f"{spec.id}-calls"))


# The host may also read its own account's stacks: the call without account_id runs as the host.
@pytest.mark.parametrize("host_rig", [("cloudformation:DescribeStacks",)], indirect=True, ids=["host-reads-stacks"])
def test_iac_troubleshooter_reads_the_stack_of_the_requested_account(
    iac_patched: Patched, host_rig: Rig, xaccount_cli: list[str], tmp_path: Path
) -> None:
    assert iac_patched.result.returncode == 0, describe(iac_patched.result)
    rig = host_rig
    create_roles(xaccount_cli, rig, ACCOUNT_A)
    template = json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}})
    rig.admin(ACCOUNT_A).client("cloudformation").create_stack(StackName="xa-stack-in-a", TemplateBody=template)

    base = {"stack_name": "xa-stack-in-a", "region": "us-east-1", "include_cloudtrail": False}
    name = TROUBLESHOOT_TOOL[iac_patched.spec.version]
    rig.server.reset_recording()
    answer = probe(
        iac_patched.copy,
        as_host(rig.host),
        [
            {"name": name, "arguments": {**base, "account_id": ACCOUNT_A}},
            {"name": name, "arguments": dict(base)},
        ],
        tmp_path,
    )
    in_a, default = answer["calls"]
    assert not in_a["isError"] and not default["isError"], answer
    # The stack exists only in A. The default account's answer says it does not exist; A's got past
    # DescribeStacks (the tool then fails on DescribeEvents, which moto does not implement).
    assert "does not exist" in default["text"], default["text"]
    assert "does not exist" not in in_a["text"] and "xaccount error" not in in_a["text"], in_a["text"]
    # What the emulator saw: AssumeRole into A once (with the server's own key), then A's calls signed
    # with the assumed key, reaching DescribeEvents; the default call only DescribeStacks, with its own key.
    requests = rig.server.calls()
    assume = [r for r in requests if r["_action"] == "AssumeRole"]
    assert len(assume) == 1 and f":{ACCOUNT_A}:role/" in assume[0]["RoleArn"], assume
    cfn = [r for r in requests if r["_action"] in ("DescribeStacks", "DescribeEvents")]
    own_key = rig.host.access_key_id
    assert [r["_action"] for r in cfn if r["_key_id"] == own_key] == ["DescribeStacks"], cfn
    assert any(r["_action"] == "DescribeEvents" and r["_key_id"] != own_key for r in cfn), cfn


def test_repatch_changes_no_byte_and_check_passes(installed: InstalledServer, xaccount_cli: list[str], tmp_path: Path) -> None:
    copy = fresh_copy(installed, tmp_path / "site-packages")
    first = run_cli(xaccount_cli, "patch", installed.spec.profile, copy.site_packages)
    assert first.returncode == 0, describe(first)
    after_first = tree_digest(copy.site_packages)
    again = run_cli(xaccount_cli, "patch", installed.spec.profile, copy.site_packages)
    assert again.returncode == 0, describe(again)
    assert tree_digest(copy.site_packages) == after_first
    check = run_cli(xaccount_cli, "patch", installed.spec.profile, copy.site_packages, "--check")
    assert check.returncode == 0, describe(check)


def test_unpatched_tree_fails_check(installed: InstalledServer, xaccount_cli: list[str], tmp_path: Path) -> None:
    copy = fresh_copy(installed, tmp_path / "site-packages")
    before = tree_digest(copy.site_packages)
    check = run_cli(xaccount_cli, "patch", installed.spec.profile, copy.site_packages, "--check")
    assert check.returncode == 1, describe(check)
    assert tree_digest(copy.site_packages) == before, "--check wrote to the tree"


def test_revert_restores_the_exact_bytes(installed: InstalledServer, xaccount_cli: list[str], tmp_path: Path) -> None:
    copy = fresh_copy(installed, tmp_path / "site-packages")
    before = tree_digest(copy.site_packages)
    # This time the package folder itself is the input, the other form users pass.
    patch = run_cli(xaccount_cli, "patch", installed.spec.profile, copy.package_dir)
    assert patch.returncode == 0, describe(patch)
    assert tree_digest(copy.site_packages) != before
    revert = run_cli(xaccount_cli, "patch", installed.spec.profile, copy.package_dir, "--revert")
    assert revert.returncode == 0, describe(revert)
    assert tree_digest(copy.site_packages) == before  # same files, same bytes; runtime and manifest gone
    check = run_cli(xaccount_cli, "patch", installed.spec.profile, copy.package_dir, "--check")
    assert check.returncode == 1, describe(check)



NEWEST = [s for s in ALL_SERVERS if s.version in ("0.1.37", "1.0.26")]


@pytest.mark.parametrize("spec", NEWEST, ids=lambda s: s.id)
def test_built_in_actions_are_a_fresh_derivation_of_the_newest_release(spec: ServerSpec, xaccount_cli: list[str]) -> None:
    """`create-role --server ecs` uses data kept with the version it came from; it must equal what deriving
    that release now gives (regenerate with `node scripts/derive-releases.mjs` after `npm run build`)."""
    installed = install(spec)
    fresh = run_cli(xaccount_cli, "create-role", "--server", f"{spec.profile}:{installed.venv}", "--explain", "--json")
    kept = run_cli(xaccount_cli, "create-role", "--server", spec.profile, "--explain", "--json")
    assert fresh.returncode == 0, describe(fresh)
    assert kept.returncode == 0, describe(kept)
    derived = json.loads(fresh.stdout)["derivations"][spec.profile]
    data = json.loads(kept.stdout)["derivations"][spec.profile]
    assert data["version"] == spec.version == derived["version"]
    assert [a["action"] for a in data["actions"]] == [a["action"] for a in derived["actions"]], "run node scripts/derive-releases.mjs"
    assert data["actions"] == derived["actions"] and data["excluded"] == derived["excluded"], "run node scripts/derive-releases.mjs"
