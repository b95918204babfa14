"""Hostile input and configuration: refused before any network call, and the parameter types the
MCP client sees."""

from __future__ import annotations

import asyncio
import json
from types import ModuleType
from typing import Any, Optional

import boto3
import pytest
from pydantic import TypeAdapter

from conftest import MotoServer
from runtime_support import ACCOUNT_A, ACCOUNT_B, recorded_moto, xa  # noqa: F401

HOSTILE_IDS = [
    "123456789012:role/Admin",
    "arn:aws:iam::123456789012:role/Admin",
    "12345678901",
    "1234567890123",
    "12345678901a",
    "abcdefghijkl",
    "123456 789012",
    " 123456789012",
    "123456789012 ",
    "123456789012\n",
    "\n123456789012",
    "1234\n56789012",
    "*",
    "../../../../etc",
    "123456789012/../x",
    "١٢٣٤٥٦٧٨٩٠١٢",  # Arabic-Indic digits: \d in Python and pydantic, not in AWS
    "",
    123456789012,
    ["123456789012"],
]


@pytest.mark.parametrize("bad", HOSTILE_IDS, ids=[repr(b) for b in HOSTILE_IDS])
def test_hostile_account_ids_are_refused_before_any_request(
    xa: ModuleType, recorded_moto: MotoServer, bad: Any
) -> None:
    ran = []

    @xa.cross_account
    def tool(account_id: Optional[str] = None) -> None:
        ran.append(True)
        boto3.client("ecs").list_clusters()

    with pytest.raises(xa.CrossAccountError) as caught:
        tool(account_id=bad)
    assert caught.value.code == "account-id-invalid"
    assert "12 digits" in str(caught.value)
    assert ran == []  # the tool body never ran
    assert recorded_moto.requests() == []  # nothing at all reached the emulator


def test_an_account_outside_the_allowlist_is_refused(
    xa: ModuleType, recorded_moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XACCOUNT_ALLOWED_ACCOUNTS", f"{ACCOUNT_A}, 444444444444")

    @xa.cross_account
    async def tool(account_id: Optional[str] = None) -> str:
        return str(boto3.client("ecs").list_clusters()["clusterArns"])

    with pytest.raises(xa.CrossAccountError) as caught:
        asyncio.run(tool(account_id=ACCOUNT_B))
    assert caught.value.code == "account-not-allowed"
    assert ACCOUNT_B in str(caught.value)
    assert recorded_moto.sts_calls() == []
    asyncio.run(tool(account_id=ACCOUNT_A))  # an allowed one still works
    assert len(recorded_moto.sts_calls()) == 1


@pytest.mark.parametrize(
    ("variable", "value", "shown"),
    [
        ("XACCOUNT_ALLOWED_ACCOUNTS", "111111111111,22222", "22222"),
        ("XACCOUNT_ROLE_NAME", "Admin/../x", "Admin/../x"),
        ("XACCOUNT_ROLE_NAME", "a" * 65, None),
        ("XACCOUNT_DURATION_SECONDS", "60", "60"),
        ("XACCOUNT_DURATION_SECONDS", "43201", "43201"),
        ("XACCOUNT_DURATION_SECONDS", "1h", "1h"),
        ("XACCOUNT_EXTERNAL_ID", "Q", None),
        ("XACCOUNT_EXTERNAL_ID", "secret with spaces", None),
    ],
)
def test_bad_configuration_is_refused_before_any_request(
    xa: ModuleType, recorded_moto: MotoServer, monkeypatch: pytest.MonkeyPatch,
    variable: str, value: str, shown: Optional[str],
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(xa.CrossAccountError) as caught:
        with xa.use_account(ACCOUNT_A):
            boto3.client("ecs").list_clusters()
    assert caught.value.code == "config-invalid"
    assert variable in str(caught.value)
    if shown is not None:
        assert shown in str(caught.value)
    if variable == "XACCOUNT_EXTERNAL_ID":
        assert value not in str(caught.value)  # a shared secret is never echoed
    assert recorded_moto.requests() == []


@pytest.mark.parametrize("bad", ["us-east-1.evil.com", "US-EAST-1", "us-east-1\n", "us-east", "*", "../x", " "])
def test_hostile_regions_are_refused(xa: ModuleType, recorded_moto: MotoServer, bad: str) -> None:
    @xa.cross_account
    def tool(account_id: Optional[str] = None, region: Optional[str] = None) -> None:
        boto3.client("ecs").list_clusters()

    with pytest.raises(xa.CrossAccountError) as caught:
        tool(account_id=ACCOUNT_A, region=bad)
    assert caught.value.code == "region-invalid"
    assert recorded_moto.requests() == []


def test_an_empty_region_means_the_default(xa: ModuleType) -> None:
    # Tools that had their own `region` parameter before the patch may default it to "".
    @xa.cross_account
    def tool(account_id: Optional[str] = None, region: Optional[str] = None) -> str:
        return str(boto3.client("ecs").meta.region_name)

    assert tool(region="") == "us-east-1"
    assert xa.active_account() is None


def test_partition_comes_from_the_region() -> None:
    from _xaccount import partition_for, role_arn

    assert partition_for("us-east-1") == "aws"
    assert partition_for("eu-central-2") == "aws"
    assert partition_for("cn-northwest-1") == "aws-cn"
    assert partition_for("us-gov-west-1") == "aws-us-gov"
    assert role_arn("111111111111", "R", partition_for("cn-north-1")) == "arn:aws-cn:iam::111111111111:role/R"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("claude via mcp/ecs", "claude-via-mcp-ecs"),
        ("ok+=,.@_-name", "ok+=,.@_-name"),
        ("x", "xaccount-mcp"),
        ("é" * 100, "-" * 64),
        ("a" * 100, "a" * 64),
    ],
)
def test_session_names_are_sanitized(raw: str, expected: str) -> None:
    from _xaccount import sanitize_session_name

    assert sanitize_session_name(raw) == expected


def test_account_id_and_region_types_carry_description_and_pattern() -> None:
    from _xaccount import AccountId, Region

    schema = TypeAdapter(AccountId).json_schema()
    assert "account" in schema["description"].lower()
    assert {"type": "string", "pattern": r"^\d{12}$"} in schema["anyOf"]
    assert {"type": "null"} in schema["anyOf"]
    region_schema = TypeAdapter(Region).json_schema()
    assert "region" in region_schema["description"].lower()
    assert any("pattern" in s for s in region_schema["anyOf"])

    TypeAdapter(AccountId).validate_python("123456789012")
    TypeAdapter(AccountId).validate_python(None)
    # The pattern is the model's guide, not pydantic's check: the runtime refuses a bad value itself,
    # with its coded message (test_fastmcp_sees_account_id_and_runs_the_call_in_that_account).
    assert TypeAdapter(AccountId).validate_python("123456789012:role/Admin") == "123456789012:role/Admin"
    assert TypeAdapter(Region).validate_python("us-east-1.evil.com") == "us-east-1.evil.com"


def test_decorator_keeps_the_signature_and_refuses_a_tool_without_account_id(xa: ModuleType) -> None:
    import inspect

    @xa.cross_account
    async def tool(cluster: str, account_id: Optional[str] = None) -> dict[str, Any]:
        """Docs."""
        return {}

    assert list(inspect.signature(tool).parameters) == ["cluster", "account_id"]
    assert tool.__doc__ == "Docs."
    assert inspect.iscoroutinefunction(tool)

    with pytest.raises(TypeError, match="account_id"):
        @xa.cross_account
        def no_param(cluster: str) -> None: ...


FASTMCP_SERVER = '''
from __future__ import annotations

from typing import Any, Dict
from pydantic import Field
from mcp.server.fastmcp import FastMCP
from _xaccount import AccountId, Region, cross_account

mcp = FastMCP("t")


def register_module(mcp: FastMCP) -> None:
    @mcp.tool(name="ecs_resource_management", annotations=None)
    @cross_account
    async def mcp_ecs_resource_management(
        api_operation: str = Field(..., description="The operation"),
        api_params: Dict[str, Any] = Field({}, description="Params"),
        account_id: AccountId = None,
        region: Region = None,
    ) -> Dict[str, Any]:
        """Manage ECS resources."""
        import boto3
        from _xaccount import active_account
        return {"account": active_account(), "clusters": boto3.client("ecs").list_clusters()["clusterArns"]}


register_module(mcp)
'''


def test_fastmcp_sees_account_id_and_runs_the_call_in_that_account(
    xa: ModuleType, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A FastMCP server written like the ECS one (future annotations, Field defaults, nested
    # registration), so the schema FastMCP builds from the wrapper is the one the model sees.
    (tmp_path / "fixture_server.py").write_text(FASTMCP_SERVER)
    monkeypatch.syspath_prepend(str(tmp_path))
    import fixture_server

    async def scenario() -> tuple[dict[str, Any], Any, Any]:
        tools = {t.name: t for t in await fixture_server.mcp.list_tools()}
        schema = tools["ecs_resource_management"].inputSchema
        with xa.use_account(ACCOUNT_A):
            boto3.client("ecs").create_cluster(clusterName="a")
        answered = await fixture_server.mcp.call_tool(
            "ecs_resource_management", {"api_operation": "ListClusters", "account_id": ACCOUNT_A}
        )
        refused = None
        try:
            await fixture_server.mcp.call_tool(
                "ecs_resource_management", {"api_operation": "ListClusters", "account_id": "1234"}
            )
        except Exception as error:  # FastMCP's ToolError
            refused = error
        return schema, answered, refused

    schema, answered, refused = asyncio.run(scenario())
    props = schema["properties"]
    assert list(props)[-2:] == ["account_id", "region"]
    assert "account_id" not in schema.get("required", [])
    assert "api_operation" in schema["required"]
    account_schema = json.dumps(props["account_id"])
    assert r"^\\d{12}$" in account_schema and "account" in props["account_id"]["description"].lower()
    text = json.dumps(answered, default=str)
    assert f'"account": "{ACCOUNT_A}"' in text.replace('\\"', '"')
    assert f"{ACCOUNT_A}:cluster/a" in text
    # The runtime's own one-line coded message, not pydantic's "String should match pattern".
    assert refused is not None and "[xaccount:account-id-invalid]" in str(refused)
    assert "should match pattern" not in str(refused) and "\n" not in str(refused)
