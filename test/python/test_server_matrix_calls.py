"""Issue 13, Tests: "one read call per server with account_id answers from that account where the emulator
implements the service", for the matrix servers installed in full other than MQ (whose call is in
test_server_matrix.py): DynamoDB 2.1.8 and CloudWatch 0.3.1.

Each test runs under IAM enforcement as a real user's setup would: the MCP host may only sts:AssumeRole
(plus the one read its own calls, without account_id, make in its own account), and account A's
McpReadOnlyRole is made by `xaccount create-role --server <name>:<venv>`, the role derived from that
server's code, run as A's administrator. So a call that answers also proves the derived role covers it.

Each assertion is read at the emulator: the resource exists only where the test made it (with that
account's credentials), and the answer names it (or its account's ARN) with account_id=A and does not
without it. The recorder shows the read signed by A's role, not by the host.

Run alone: nice -n 5 .venv/bin/python -m pytest -q -p no:cacheprovider test/python/test_server_matrix_calls.py
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_A, DEFAULT_ACCOUNT, HOST_ACTIONS, MotoServer, Rig, rig_for
from servers import REPO_ROOT, ServerCopy, install
from test_real_servers import describe, probe, xaccount_cli  # noqa: F401
from test_server_matrix import _started, started_copy

REGION = "us-east-1"


def derived_role(cli: list[str], rig: Rig, server: str) -> None:
    """`xaccount create-role --server <name>:<venv>` in ACCOUNT_A as its administrator, trusting the host."""
    spec = _started(server)
    installed = install(spec)
    made = subprocess.run(
        [*cli, "create-role", "--server", f"{spec.profile}:{installed.venv}", "--trust-principal", rig.host.arn],
        cwd=REPO_ROOT, env={**os.environ, **rig.admin(ACCOUNT_A).env, "NO_COLOR": "1"},
        capture_output=True, text=True, timeout=120,
    )
    assert made.returncode == 0, describe(made)
    assert f"derived from {spec.profile} server {spec.version}" in made.stderr, made.stderr


def patched_copy(cli: list[str], server: str, tmp: Path) -> ServerCopy:
    _pristine, copy, result = started_copy(_started(server), cli, tmp)
    assert result.returncode == 0, describe(result)
    return copy


def signers(server: MotoServer, action: str, host_key: str) -> list[str]:
    """Who signed each recorded `action`: "host" for the host's own key, "A" for any other key. moto's
    recording holds requests, not answers, so an assumed key is known by exclusion: every AssumeRole
    recorded is the host's, into A's McpReadOnlyRole, so a key other than the host's came from there."""
    calls = server.calls()
    assumed = [c for c in calls if c["_action"] == "AssumeRole"]
    assert assumed, "no AssumeRole reached the emulator"
    for call in assumed:
        assert call.get("RoleArn") == f"arn:aws:iam::{ACCOUNT_A}:role/McpReadOnlyRole", call
        assert call["_key_id"] == host_key, call
    return ["host" if c["_key_id"] == host_key else "A" for c in calls if c["_action"] == action]


def host_env(rig: Rig) -> dict[str, str]:
    return {**rig.host.env, "AWS_REGION": REGION}


# ---------------------------------------------------------------------------------------------- DynamoDB


def test_dynamodb_source_db_analyzer_reads_the_secret_of_the_requested_account(
    xaccount_cli: list[str], enforced_moto: MotoServer, tmp_path: Path
) -> None:
    """DynamoDB 2.1.8's only read of an AWS account (its modelling tools use DynamoDB Local): managed
    source_db_analyzer reads the MySQL secret with secretsmanager:GetSecretValue and checks the hostname
    asked for against the secret's `host` before connecting. The secret exists in A only, host 127.0.0.1;
    the connection that follows a passed check goes to a closed port and fails at once."""
    # The host may read its own account's secrets: its call without account_id must fail for "not found",
    # not for a permission, or the "not visible" half would prove nothing.
    rig = rig_for(enforced_moto, host_actions=(*HOST_ACTIONS, "secretsmanager:GetSecretValue"), accounts=(DEFAULT_ACCOUNT, ACCOUNT_A))
    derived_role(xaccount_cli, rig, "dynamodb")
    secret = json.dumps({"host": "127.0.0.1", "port": 9, "username": "reader", "password": "not-a-real-one"})
    made = rig.admin(ACCOUNT_A).client("secretsmanager", REGION).create_secret(Name="xa-mysql-in-a", SecretString=secret)
    assert f":{ACCOUNT_A}:secret:xa-mysql-in-a" in made["ARN"]
    # At the emulator, before any call: the secret is A's alone.
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        rig.admin(DEFAULT_ACCOUNT).client("secretsmanager", REGION).get_secret_value(SecretId="xa-mysql-in-a")
    copy = patched_copy(xaccount_cli, "dynamodb", tmp_path)
    out = tmp_path / "analysis"
    out.mkdir()

    def analyze(hostname: str, **extra: Any) -> dict[str, Any]:
        arguments = {"source_db_type": "mysql", "execution_mode": "managed", "source_identifier": "shop",
                     "aws_secret_arn": "xa-mysql-in-a", "aws_region": REGION, "hostname": hostname, "port": 9,
                     "output_dir": str(out), **extra}
        return {"name": "source_db_analyzer", "arguments": arguments}

    rig.server.reset_recording()
    answer = probe(copy, host_env(rig), [
        analyze("127.0.0.1", account_id=ACCOUNT_A),
        analyze("elsewhere.invalid", account_id=ACCOUNT_A),
        analyze("127.0.0.1"),
    ], tmp_path)
    in_a, in_a_other_host, own = (c["text"] for c in answer["calls"])
    # A's secret was read, and its host is 127.0.0.1: that hostname passes the check (the analysis goes on
    # to its queries, which fail on the closed port), another does not.
    assert "Failed to retrieve secret" not in in_a and "does not match" not in in_a, in_a
    assert "Database Analysis Failed" in in_a and "queries failed" in in_a, in_a
    assert 'hostname "elsewhere.invalid" does not match the host' in in_a_other_host, in_a_other_host
    # The server's own account has no such secret: the read answers "not found", not a refusal.
    assert "Failed to retrieve secret" in own and "ResourceNotFoundException" in own, own
    for text in (in_a, in_a_other_host, own):
        assert "AccessDenied" not in text and "not authorized" not in text, text
    # At the emulator: the reads of the A calls (the passed check reads the secret again, for the
    # connection's credentials) signed with A's role, the last with the host's own key.
    assert signers(rig.server, "GetSecretValue", rig.host.access_key_id) == ["A", "A", "A", "host"]


# -------------------------------------------------------------------------------------------- CloudWatch


def moto_signing_names(rig: Rig) -> list[str]:
    """moto 5 checks a request's action as `<signing name>:<Operation>`, and CloudWatch signs as
    `monitoring`, while IAM (and the derived role) names it `cloudwatch`. Adds to A's derived role the same
    CloudWatch actions under moto's name, no others: the role stays exactly the derived one, renamed."""
    iam = rig.admin(ACCOUNT_A).client("iam")
    derived: list[str] = []
    for name in iam.list_role_policies(RoleName="McpReadOnlyRole")["PolicyNames"]:
        document = iam.get_role_policy(RoleName="McpReadOnlyRole", PolicyName=name)["PolicyDocument"]
        for statement in document["Statement"]:
            actions = statement.get("Action", [])
            derived += [actions] if isinstance(actions, str) else actions
    renamed = sorted("monitoring:" + a.split(":", 1)[1] for a in derived if a.startswith("cloudwatch:"))
    assert renamed, f"the derived role has no cloudwatch: action: {derived}"
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": renamed, "Resource": "*"}]}
    iam.put_role_policy(RoleName="McpReadOnlyRole", PolicyName="moto-signing-names", PolicyDocument=json.dumps(policy))
    return renamed


def alarm_in_alarm_state(client: Any, name: str) -> None:
    client.put_metric_alarm(AlarmName=name, MetricName="Errors", Namespace="XA/Test", Statistic="Sum", Period=60,
                            EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold")
    client.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="made by the test")


def test_cloudwatch_get_active_alarms_answers_from_the_requested_account(
    xaccount_cli: list[str], enforced_moto: MotoServer, tmp_path: Path
) -> None:
    """get_active_alarms is a bound method registered as `mcp.tool(name=...)(self.get_active_alarms)`: its
    account_id comes from the engine's bound-method form. An alarm in ALARM state exists in A, another in
    the server's own account; each answer names its own account's alarm only.
    (describe_log_groups would be the obvious read, but it also calls logs:DescribeQueryDefinitions, which
    moto 5 answers with a 500.)"""
    # moto's name for the host's own read (see moto_signing_names).
    rig = rig_for(enforced_moto, host_actions=(*HOST_ACTIONS, "monitoring:DescribeAlarms"), accounts=(DEFAULT_ACCOUNT, ACCOUNT_A))
    derived_role(xaccount_cli, rig, "cloudwatch")
    assert "monitoring:DescribeAlarms" in moto_signing_names(rig)
    alarm_in_alarm_state(rig.admin(ACCOUNT_A).client("cloudwatch", REGION), "xa-alarm-in-account-a")
    alarm_in_alarm_state(rig.admin(DEFAULT_ACCOUNT).client("cloudwatch", REGION), "xa-alarm-in-default")
    # At the emulator, before any call: each alarm is its account's alone.
    for account, mine in ((ACCOUNT_A, "xa-alarm-in-account-a"), (DEFAULT_ACCOUNT, "xa-alarm-in-default")):
        listed = rig.admin(account).client("cloudwatch", REGION).describe_alarms(AlarmNamePrefix="xa-alarm-")["MetricAlarms"]
        assert [a["AlarmName"] for a in listed] == [mine]
        assert f":{account}:alarm:{mine}" in listed[0]["AlarmArn"]
    copy = patched_copy(xaccount_cli, "cloudwatch", tmp_path)

    rig.server.reset_recording()
    answer = probe(copy, host_env(rig), [
        {"name": "get_active_alarms", "arguments": {"region": REGION, "account_id": ACCOUNT_A}},
        {"name": "get_active_alarms", "arguments": {"region": REGION}},
    ], tmp_path)
    in_a, own = answer["calls"]
    assert not in_a["isError"], in_a["text"]
    assert not own["isError"], own["text"]
    # The answer has no ARN: the names, each made in one account only, and the signers below tell them apart.
    assert '"alarm_name": "xa-alarm-in-account-a"' in in_a["text"], in_a["text"]
    assert "xa-alarm-in-default" not in in_a["text"], in_a["text"]
    assert '"alarm_name": "xa-alarm-in-default"' in own["text"], own["text"]
    assert "xa-alarm-in-account-a" not in own["text"], f"the server's own account ({DEFAULT_ACCOUNT}) saw account A's alarm"
    assert signers(rig.server, "DescribeAlarms", rig.host.access_key_id) == ["A", "host"]


@pytest.fixture(autouse=True)
def _no_aws_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    # The servers read AWS_PROFILE; the test's own environment must not point them at a real profile.
    monkeypatch.delenv("AWS_PROFILE", raising=False)
