"""The derived role covers what the servers read (issue 8 §3): against the emulator with IAM enforced, the role
`xaccount create-role --server <kind>:<installed server>` derives is assumed by each patched real server (newest
and oldest ECS and IaC releases), and every read-only operation its tools can be asked for, called over MCP with
`account_id` on seeded resources, must reach AWS without being refused for a permission the role lacks:

- ECS: every read-only operation `ecs_resource_management` accepts (0.1.37: its Describe*/List* supported
  operations, with parameters that pass botocore's validation; 0.1.1: list/describe of each resource type), and
  every `ecs_troubleshooting_tool` action, with ALLOW_SENSITIVE_DATA=true;
- IaC: the CloudFormation troubleshooter, CloudTrail included.

A refusal is any request the emulator answered 403 (moto's AccessDenied), whatever the tool did with it.
Heavy (about a minute per server, servers cached under .cache/servers/); run alone with
    .venv/bin/python -m pytest -q test/python/test_role_coverage.py
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import ACCOUNT_A, MotoServer, Rig, rig_for
from servers import ALL_SERVERS, REPO_ROOT, InstalledServer, ServerCopy, fresh_copy, install
from test_real_servers import SERVER_QUIET_ENV, TROUBLESHOOT_TOOL, describe, probe, run_cli, xaccount_cli  # noqa: F401

APP = "xa-app"
REGION = "us-east-1"

# Reads a server's own lists with its own Python: the resource tool's supported operations (0.1.37) with
# parameters built from botocore's model so each request passes validation, and the troubleshooting actions.
INTROSPECT = r"""
import json, sys
import botocore.session
from botocore import xform_name
values = json.loads(sys.argv[1])
out = {"operations": [], "troubleshooting": {}}
try:
    from awslabs.ecs_mcp_server.api.resource_management import SUPPORTED_ECS_OPERATIONS
except ImportError:
    SUPPORTED_ECS_OPERATIONS = []
model = botocore.session.get_session().get_service_model("ecs")
def value(name, shape):
    if name in values:
        return values[name]
    if shape.type_name == "list":
        return [value(name, shape.member)]
    if shape.type_name == "structure":
        return {m: value(m, s) for m, s in shape.members.items() if m in shape.required_members}
    if shape.type_name in ("integer", "long"):
        return 1
    if shape.type_name == "boolean":
        return False
    return "x"
for op in SUPPORTED_ECS_OPERATIONS:
    if not (op.startswith("Describe") or op.startswith("List")):
        continue
    params = {}
    if op in model.operation_names:
        shape = model.operation_model(op).input_shape
        if shape is not None:
            params = {m: value(m, s) for m, s in shape.members.items() if m in shape.required_members}
    out["operations"].append({"op": op, "params": params})
try:
    from awslabs.ecs_mcp_server.api.ecs_troubleshooting import ACTIONS
    out["troubleshooting"] = {a: {"required": d["required_params"], "optional": d.get("optional_params", [])} for a, d in ACTIONS.items()}
except ImportError:
    pass
print(json.dumps(out))
"""


def seed(rig: Rig) -> dict[str, Any]:
    """A cluster, task definition, service, stack, VPC, log group and repository in ACCOUNT_A, as its admin."""
    admin = rig.admin(ACCOUNT_A)
    ecs = admin.client("ecs", REGION)
    cluster = ecs.create_cluster(clusterName=APP)["cluster"]["clusterArn"]
    ecs.register_task_definition(family=APP, containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}])
    ecs.create_service(cluster=APP, serviceName=APP, taskDefinition=APP, desiredCount=0)
    template = json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}})
    admin.client("cloudformation", REGION).create_stack(StackName=APP, TemplateBody=template)
    vpc = admin.client("ec2", REGION).create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    admin.client("logs", REGION).create_log_group(logGroupName=f"/ecs/{APP}")
    admin.client("ecr", REGION).create_repository(repositoryName=APP)
    return {"cluster_arn": cluster, "vpc_id": vpc}


def ecs_calls(copy: ServerCopy, seeded: dict[str, Any]) -> list[dict[str, Any]]:
    service_arn = f"arn:aws:ecs:{REGION}:{ACCOUNT_A}:service/{APP}/{APP}"
    values = {
        "cluster": APP, "clusters": [APP], "service": APP, "services": [APP], "taskDefinition": f"{APP}:1",
        "resourceArn": seeded["cluster_arn"], "serviceArn": service_arn, "namespace": "xa-namespace",
        "tasks": [f"arn:aws:ecs:{REGION}:{ACCOUNT_A}:task/{APP}/0123456789abcdef0123456789abcdef"],
        "containerInstances": ["0123456789abcdef0123456789abcdef"], "capacityProviders": ["FARGATE"],
        "serviceDeploymentArns": [f"arn:aws:ecs:{REGION}:{ACCOUNT_A}:service-deployment/{APP}/{APP}/x"],
        "serviceRevisionArns": [f"arn:aws:ecs:{REGION}:{ACCOUNT_A}:service-revision/{APP}/{APP}/1"],
    }
    found = subprocess.run(
        [str(copy.python), "-c", INTROSPECT, json.dumps(values)], env=copy.env(), capture_output=True, text=True, timeout=60
    )
    assert found.returncode == 0, found.stderr
    lists = json.loads(found.stdout)
    calls: list[dict[str, Any]] = []
    if lists["operations"]:  # 0.1.37: the API operation passes through
        assert len(lists["operations"]) >= 20, lists["operations"]
        for item in lists["operations"]:
            calls.append({"name": "ecs_resource_management", "arguments": {"api_operation": item["op"], "api_params": item["params"]}})
    else:  # 0.1.1: list/describe per resource type
        identifiers = {"cluster": APP, "service": APP, "task": values["tasks"][0], "task_definition": f"{APP}:1",
                       "container_instance": values["containerInstances"][0], "capacity_provider": "FARGATE"}
        for resource, identifier in identifiers.items():
            for action in ("list", "describe"):
                arguments: dict[str, Any] = {"action": action, "resource_type": resource, "filters": {"cluster": APP}}
                if action == "describe":
                    arguments["identifier"] = identifier
                calls.append({"name": "ecs_resource_management", "arguments": arguments})
    by_name = {
        "ecs_cluster_name": APP, "cluster_name": APP, "ecs_service_name": APP, "service_name": APP, "app_name": APP,
        "cfn_stack_name": APP, "stack_id": APP, "symptoms_description": "tasks keep stopping", "time_window": 3600,
        "vpc_id": seeded["vpc_id"], "filter_pattern": "ERROR",
    }
    assert lists["troubleshooting"], "no troubleshooting actions found"
    for action, params in lists["troubleshooting"].items():
        parameters = {p: by_name[p] for p in [*params["required"], *params["optional"]] if p in by_name}
        missing = [p for p in params["required"] if p not in parameters]
        assert not missing, f"{action}: no value for {missing}"
        calls.append({"name": "ecs_troubleshooting_tool", "arguments": {"action": action, "parameters": parameters}})
    return calls


@pytest.fixture(scope="module", params=ALL_SERVERS, ids=lambda s: s.id)
def server(request: pytest.FixtureRequest, xaccount_cli: list[str], tmp_path_factory: pytest.TempPathFactory) -> tuple[InstalledServer, ServerCopy]:
    installed = install(request.param)
    copy = fresh_copy(installed, tmp_path_factory.mktemp(f"{installed.spec.id}-coverage"))
    patched = run_cli(xaccount_cli, "patch", installed.spec.profile, copy.site_packages)
    assert patched.returncode == 0, describe(patched)
    return installed, copy


def test_no_read_the_server_makes_is_refused_by_the_role_create_role_derived(
    server: tuple[InstalledServer, ServerCopy], enforced_moto: MotoServer, xaccount_cli: list[str], tmp_path: Path
) -> None:
    installed, copy = server
    spec = installed.spec
    rig = rig_for(enforced_moto, accounts=(ACCOUNT_A,))
    made = subprocess.run(
        [*xaccount_cli, "create-role", "--server", f"{spec.profile}:{installed.venv}", "--trust-principal", rig.host.arn],
        cwd=REPO_ROOT, env={**os.environ, **rig.admin(ACCOUNT_A).env, "NO_COLOR": "1"}, capture_output=True, text=True, timeout=120,
    )
    assert made.returncode == 0, describe(made)
    assert f"derived from {spec.profile} server {spec.version}" in made.stderr, made.stderr
    seeded = seed(rig)

    if spec.profile == "ecs":
        calls = ecs_calls(copy, seeded)
    else:
        base = {"stack_name": APP, "region": REGION, "include_cloudtrail": True}
        calls = [{"name": TROUBLESHOOT_TOOL[spec.version], "arguments": base}]
    for call in calls:
        call["arguments"]["account_id"] = ACCOUNT_A
        if "region" in spec.extra_params:
            call["arguments"]["region"] = REGION

    rig.server.reset_recording()
    before = len(rig.server.statuses())
    answer = probe(copy, {**rig.host.env, "ALLOW_SENSITIVE_DATA": "true"}, calls, tmp_path)
    requests = rig.server.calls()
    # werkzeug writes a request's access line after answering it: wait for the last ones.
    deadline = time.monotonic() + 10
    while len(statuses := rig.server.statuses()[before:]) < len(requests) and time.monotonic() < deadline:
        time.sleep(0.1)
    # Pair each logged status with the recorded request in the same place (the calls run one at a time).
    denied = [f"{r['_action']} (signed by {r['_key_id']})" for r, code in zip(requests, statuses) if code == 403]
    assert len(statuses) == len(requests), f"{len(statuses)} statuses for {len(requests)} requests"
    texts = "\n".join(f"{c['name']} {json.dumps(call['arguments'])[:160]}: {c['text'][:300]}" for c, call in zip(answer["calls"], calls) if "AccessDenied" in c["text"] or "not authorized" in c["text"])
    assert denied == [], f"refused for a permission the role lacks: {denied}\n{texts}"
    assert texts == "", texts
    # The calls did reach AWS in the account, as the role: not a test that proves nothing.
    actions = {r["_action"] for r in requests if r["_action"] not in ("AssumeRole", "GetCallerIdentity")}
    assert len(actions) >= (12 if spec.profile == "ecs" else 2), sorted(actions)
    assert any(r["_action"] == "AssumeRole" and f":{ACCOUNT_A}:role/McpReadOnlyRole" in r.get("RoleArn", "") for r in requests)
