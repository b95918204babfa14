"""Tools registered while a server starts get account_id from the runtime (the servers section of
_xaccount.py): a patched package's functions registered through FastMCP's `from_function` without an
`account_id` get one, and each call runs in that account; tools the codemod patched, tools with an
account_id of their own, and other packages' tools are left exactly as they were.

Each case runs in its own Python process: the hook changes FastMCP's classes for the whole process.
The package is laid out as a patched server is: `demo_pkg/_xaccount.py` is the vendored runtime.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import RUNTIME_DIR, MotoServer
from runtime_support import ACCOUNT_A, recorded_moto  # noqa: F401  (fixture)

SERVER = '''
import asyncio, inspect, json, sys
{first}
{second}
import boto3

mcp = FastMCP("demo")


def make_operation(name):
    """What the Amazon MQ / SNS-SQS servers do: one tool per boto3 operation, built at start-up,
    with a signature given by __signature__ and a body that passes every argument to boto3."""
    async def operation_function(*args, **kwargs):
        bound = operation_function.__signature__.bind(*args, **kwargs)
        return {{"account": boto3.client("sts").get_caller_identity()["Account"], "args": dict(bound.arguments)}}
    operation_function.__name__ = name
    operation_function.__doc__ = f"Run {{name}}."
    operation_function.__signature__ = inspect.Signature([
        inspect.Parameter("region", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str, default="us-east-1"),
    ])
    return operation_function


for op in ("describe_things", "list_things"):
    mcp.tool(description=f"Run {{op}}.")(make_operation(op))


@mcp.tool()
@cross_account
def patched(name: str, account_id: AccountId = None) -> str:
    """A tool the codemod patched."""
    return boto3.client("sts").get_caller_identity()["Account"]


@mcp.tool()
def own_account(account_id: str) -> str:
    """A tool whose account_id means something else (a billing account to report on)."""
    return "own:" + account_id


def sync_tool(name: str) -> str:
    """A plain sync tool registered by call."""
    return boto3.client("sts").get_caller_identity()["Account"]


mcp.add_tool(sync_tool)
mcp.add_tool(other_pkg.foreign)


async def main():
    tools = {{t.name: t.inputSchema for t in await mcp.list_tools()}}
    calls = {{}}
    for name, args in (("list_things", {{"account_id": sys.argv[1]}}), ("list_things", {{}}),
                       ("sync_tool", {{"name": "x", "account_id": sys.argv[1]}}),
                       ("patched", {{"name": "x", "account_id": sys.argv[1]}}),
                       ("own_account", {{"account_id": "999999999999"}})):
        result = await mcp.call_tool(name, args)
        content = result[0] if isinstance(result, tuple) else result
        calls[f"{{name}}{{'+' if 'account_id' in args else ''}}"] = content[0].text
    print(json.dumps({{"tools": tools, "calls": calls}}))


asyncio.run(main())
'''

FASTMCP = "from mcp.server.fastmcp import FastMCP"
RUNTIME = "from demo_pkg._xaccount import AccountId, cross_account\nimport other_pkg"


def _run_server(tmp_path: Path, env: dict[str, str], runtime_first: bool) -> dict[str, dict[str, str]]:
    pkg = tmp_path / "demo_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    shutil.copy(RUNTIME_DIR / "_xaccount.py", pkg / "_xaccount.py")
    first, second = (RUNTIME, FASTMCP) if runtime_first else (FASTMCP, RUNTIME)
    (pkg / "server.py").write_text(SERVER.format(first=first, second=second))
    (tmp_path / "other_pkg.py").write_text(textwrap.dedent('''
        def foreign(name: str) -> str:
            """A tool from a package that vendors no runtime."""
            return name
    '''))
    proc = subprocess.run(
        [sys.executable, "-m", "demo_pkg.server", ACCOUNT_A],
        cwd=tmp_path, env={**env, "PYTHONPATH": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return typing_cast(json.loads(proc.stdout.strip().splitlines()[-1]))


def typing_cast(value: object) -> dict[str, dict[str, str]]:
    assert isinstance(value, dict)
    return value  # type: ignore[return-value]


@pytest.mark.parametrize("runtime_first", [False, True], ids=["fastmcp-imported-first", "runtime-imported-first"])
def test_tools_registered_at_start_up_get_account_id(
    tmp_path: Path, recorded_moto: MotoServer, runtime_first: bool  # noqa: F811
) -> None:
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("AWS_", "XACCOUNT_"))}
    env.update(recorded_moto.env)
    out = _run_server(tmp_path, env, runtime_first)
    tools, calls = out["tools"], out["calls"]
    for generated in ("describe_things", "list_things", "sync_tool"):
        props = tools[generated]["properties"]  # type: ignore[index]
        assert "account_id" in props, (generated, props)
        assert "AWS account ID (12 digits)" in json.dumps(props["account_id"])
    # The operation's own parameter is still there, and the call that named an account ran in it.
    assert "region" in tools["list_things"]["properties"]  # type: ignore[index]
    assert json.loads(calls["list_things+"]) == {"account": ACCOUNT_A, "args": {"region": "us-east-1"}}
    assert json.loads(calls["list_things"])["account"] == "123456789012"  # the server's own (moto's default)
    assert calls["sync_tool+"] == ACCOUNT_A
    # The codemod's tool: one account_id, one wrapper (a second one would still answer, so look at the schema).
    assert calls["patched+"] == ACCOUNT_A
    assert list(tools["patched"]["properties"]) == ["name", "account_id"]  # type: ignore[index]
    # A tool with an account_id of its own keeps it, meaning and schema: a plain required string.
    assert tools["own_account"]["properties"]["account_id"] == {"title": "Account Id", "type": "string"}  # type: ignore[index]
    assert calls["own_account+"] == "own:999999999999"
    # Another package's tool is not touched.
    assert "account_id" not in tools["foreign"]["properties"]  # type: ignore[index]
