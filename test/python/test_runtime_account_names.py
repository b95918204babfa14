"""Accounts by name (XACCOUNT_ACCOUNTS=prod=111111111111,dev=222222222222): the allowlist is exactly
those ids, every tool's account_id description lists them with their names, and only ids are accepted.

The end-to-end test patches the small ECS-shaped server (fixtures/smoke-ecs) with the CLI, starts it over
MCP stdio as a client would, and reads the schema and the answers; the emulator enforces IAM, so a call
that ran anywhere but the account asked for would show the wrong account or fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

import pytest

from conftest import ACCOUNT_A, ACCOUNT_B, DEFAULT_ACCOUNT, REPO_ROOT, MotoServer, Rig, rig_for
from runtime_support import recorded_moto, xa  # noqa: F401  (fixtures)
import _xaccount

FIXTURE = REPO_ROOT / "fixtures" / "smoke-ecs"
PROBE = Path(__file__).resolve().parent / "mcp_probe.py"
NAMED = f"prod={ACCOUNT_A},dev={ACCOUNT_B}"


def config_error(env: dict[str, str]) -> str:
    with pytest.raises(_xaccount.CrossAccountError) as caught:
        _xaccount.parse_settings(env)
    assert caught.value.code == "config-invalid"
    return str(caught.value)


# ------------------------------------------------------------------------------------ settings (pure)


def test_the_named_list_is_the_allowlist_and_names_map_to_ids() -> None:
    settings = _xaccount.parse_settings({"XACCOUNT_ACCOUNTS": f" {NAMED}, 333333333333 ,prod={ACCOUNT_A}"})
    assert settings.allowed_accounts == frozenset({ACCOUNT_A, ACCOUNT_B, "333333333333"})
    assert dict(settings.account_names) == {"prod": ACCOUNT_A, "dev": ACCOUNT_B}
    # Unset: no allowlist, no names (as before).
    assert _xaccount.parse_settings({}).allowed_accounts is None


@pytest.mark.parametrize(
    "bad",
    [
        "",
        " , ",
        "prod=11111111111",
        "prod=١١١١١١١١١١١١",
        "prod",
        f"={ACCOUNT_A}",
        f"pro d={ACCOUNT_A}",
        f"prød={ACCOUNT_A}",
        f"prod;x={ACCOUNT_A}",
        f"{'n' * 65}={ACCOUNT_A}",
        f"333333333333={ACCOUNT_A}",
        f"prod={ACCOUNT_A},prod={ACCOUNT_B}",
        f"prod={ACCOUNT_A},live={ACCOUNT_A}",
    ],
)
def test_a_bad_list_fails_closed(bad: str) -> None:
    config_error({"XACCOUNT_ACCOUNTS": bad})


def test_both_allowlists_must_agree() -> None:
    same = _xaccount.parse_settings({"XACCOUNT_ACCOUNTS": NAMED, "XACCOUNT_ALLOWED_ACCOUNTS": f"{ACCOUNT_B} {ACCOUNT_A}"})
    assert same.allowed_accounts == frozenset({ACCOUNT_A, ACCOUNT_B})
    message = config_error({"XACCOUNT_ACCOUNTS": NAMED, "XACCOUNT_ALLOWED_ACCOUNTS": ACCOUNT_A})
    assert "different" in message and ACCOUNT_B in message
    # A wider XACCOUNT_ALLOWED_ACCOUNTS must not widen the named list either.
    config_error({"XACCOUNT_ACCOUNTS": f"prod={ACCOUNT_A}", "XACCOUNT_ALLOWED_ACCOUNTS": f"{ACCOUNT_A},{ACCOUNT_B}"})


def test_the_description_lists_the_accounts_by_name() -> None:
    base = _xaccount.account_id_description({})
    named = _xaccount.account_id_description({"XACCOUNT_ACCOUNTS": f"{NAMED},333333333333"})
    assert named.startswith(base)
    assert f"prod = {ACCOUNT_A}; dev = {ACCOUNT_B}; 333333333333" in named and "never its name" in named
    assert ACCOUNT_A in _xaccount.account_id_description({"XACCOUNT_ALLOWED_ACCOUNTS": f"{ACCOUNT_A} {ACCOUNT_B}"})
    broken = _xaccount.account_id_description({"XACCOUNT_ACCOUNTS": f"prod=1,dev={ACCOUNT_B}"})
    assert "invalid" in broken and ACCOUNT_B not in broken
    assert "XACCOUNT_ACCOUNTS is invalid" in broken  # the variable to fix, by its name


def test_the_description_lists_the_allowlist_as_the_runtime_reads_it() -> None:
    base = _xaccount.account_id_description({})
    for raw in (f"{ACCOUNT_A},{ACCOUNT_B}", f" {ACCOUNT_A} {ACCOUNT_B},{ACCOUNT_A} ", f"{ACCOUNT_A},,{ACCOUNT_B}"):
        listed = _xaccount.account_id_description({"XACCOUNT_ALLOWED_ACCOUNTS": raw})
        assert listed == base + f" Allowed accounts: {ACCOUNT_A}, {ACCOUNT_B}.", raw
    # A list with anything but ids (refused at every call anyway) is not shown as allowed.
    assert _xaccount.account_id_description({"XACCOUNT_ALLOWED_ACCOUNTS": f"{ACCOUNT_A},prod"}) == base


# ------------------------------------------------------------------------------- calls (runtime only)


def test_a_name_is_refused_with_the_id_as_hint_before_any_request(
    xa: ModuleType, recorded_moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XACCOUNT_ACCOUNTS", NAMED)

    @xa.cross_account
    def tool(account_id: Any = None) -> str:
        return "ran"

    with pytest.raises(xa.CrossAccountError) as caught:
        tool(account_id="prod")
    assert caught.value.code == "account-id-invalid"
    assert f"pass account_id {ACCOUNT_A}" in str(caught.value)
    with pytest.raises(xa.CrossAccountError) as outside:
        tool(account_id="333333333333")
    assert outside.value.code == "account-not-allowed"
    assert recorded_moto.calls() == []
    assert tool(account_id=ACCOUNT_B) == "ran"


def test_disagreeing_allowlists_refuse_every_account_call(xa: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XACCOUNT_ACCOUNTS", NAMED)
    monkeypatch.setenv("XACCOUNT_ALLOWED_ACCOUNTS", ACCOUNT_A)

    @xa.cross_account
    def tool(account_id: Any = None) -> str:
        return "ran"

    with pytest.raises(xa.CrossAccountError) as caught:
        tool(account_id=ACCOUNT_A)
    assert caught.value.code == "config-invalid"
    assert tool() == "ran"  # calls without account_id are the server's own, as for any bad variable


# ------------------------------------------------------------------------ a patched server over stdio


@pytest.fixture(scope="module")
def patched_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("names") / "smoke-ecs"
    shutil.copytree(FIXTURE, tree)
    cli = REPO_ROOT / "bin" / "xaccount.js"
    if not (REPO_ROOT / "dist" / "src" / "cli.js").exists():
        subprocess.run(["npx", "tsc", "-p", "."], cwd=REPO_ROOT, check=True)
    done = subprocess.run(
        ["node", str(cli), "patch", "ecs", str(tree)],
        cwd=REPO_ROOT, env={**os.environ, "NO_COLOR": "1"}, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return tree


@pytest.fixture
def rig(enforced_moto: MotoServer) -> Iterator[Rig]:
    rig = rig_for(enforced_moto)
    for account in (ACCOUNT_A, ACCOUNT_B):
        env = {**os.environ, **rig.admin(account).env, "NO_COLOR": "1"}
        made = subprocess.run(
            ["node", str(REPO_ROOT / "bin" / "xaccount.js"), "create-role", "--trust-principal", rig.host.arn],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
        )
        assert made.returncode == 0, made.stdout + made.stderr
    rig.server.reset_recording()
    yield rig


def probe(tree: Path, env: dict[str, str], calls: list[dict[str, Any]], tmp: Path) -> dict[str, Any]:
    request = {
        "command": sys.executable,
        "args": ["-m", "awslabs.ecs_mcp_server.main"],
        "env": {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(tree), "FASTMCP_LOG_LEVEL": "ERROR", **env},
        "cwd": str(tmp),
        "timeout": 60,
        "stderr": str(tmp / "server-stderr.log"),
        "calls": calls,
    }
    proc = subprocess.run([sys.executable, str(PROBE)], input=json.dumps(request), capture_output=True, text=True, timeout=90)
    log = (tmp / "server-stderr.log").read_text(errors="replace") if (tmp / "server-stderr.log").exists() else ""
    assert proc.returncode == 0, proc.stderr[-3000:] + "\n--- server\n" + log[-3000:]
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def test_patched_server_shows_the_names_and_takes_only_ids(patched_tree: Path, rig: Rig, tmp_path: Path) -> None:
    answer = probe(
        patched_tree,
        {**rig.host.env, "XACCOUNT_ACCOUNTS": NAMED},
        [
            {"name": "get_caller_account", "arguments": {"account_id": "prod"}},
            {"name": "get_caller_account", "arguments": {"account_id": ACCOUNT_A}},
            {"name": "get_caller_account", "arguments": {"account_id": "333333333333"}},
        ],
        tmp_path,
    )
    for tool in answer["tools"]:
        description = tool["inputSchema"]["properties"]["account_id"]["description"]
        assert f"prod = {ACCOUNT_A}; dev = {ACCOUNT_B}" in description, (tool["name"], description)
    by_name, by_id, outside = answer["calls"]
    assert by_name["isError"] and "account-id-invalid" in by_name["text"] and ACCOUNT_A in by_name["text"], by_name
    assert not by_id["isError"], by_id["text"]
    assert json.loads(by_id["text"])["account"] == ACCOUNT_A
    assert outside["isError"] and "account-not-allowed" in outside["text"], outside
    # At the emulator: one AssumeRole, into prod's id, by the host; nothing for the name or the outsider.
    assumed = [c["RoleArn"] for c in rig.server.calls() if c["_action"] == "AssumeRole"]
    assert assumed == [f"arn:aws:iam::{ACCOUNT_A}:role/McpReadOnlyRole"], assumed
    assert DEFAULT_ACCOUNT not in by_id["text"]


def test_patched_server_with_a_bad_list_refuses_account_calls(patched_tree: Path, rig: Rig, tmp_path: Path) -> None:
    answer = probe(
        patched_tree,
        {**rig.host.env, "XACCOUNT_ACCOUNTS": f"prod={ACCOUNT_A},prod={ACCOUNT_B}"},
        [{"name": "get_caller_account", "arguments": {"account_id": ACCOUNT_A}}],
        tmp_path,
    )
    description = answer["tools"][0]["inputSchema"]["properties"]["account_id"]["description"]
    assert "invalid" in description and ACCOUNT_A not in description
    (call,) = answer["calls"]
    assert call["isError"] and "config-invalid" in call["text"], call
    assert [c for c in rig.server.calls() if c["_action"] == "AssumeRole"] == []
