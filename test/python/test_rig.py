"""The emulator fixture itself: it answers, and keeps each account's resources apart."""

from __future__ import annotations

import boto3

from conftest import ACCOUNT_A, MotoServer, Rig


def test_emulator_answers_sts(aws_env: MotoServer) -> None:
    identity = boto3.client("sts").get_caller_identity()
    # moto's default account: proves the request went to the emulator and not to AWS.
    assert identity["Account"] == "123456789012"


def test_enforced_rig_refuses_unknown_keys_and_lets_each_identity_do_only_its_actions(enforced_aws: Rig) -> None:
    import botocore.exceptions
    import pytest as _pytest

    host = enforced_aws.host
    assert boto3.client("sts").get_caller_identity()["Arn"] == host.arn, "this process runs as the MCP host"
    with _pytest.raises(botocore.exceptions.ClientError) as denied:
        host.client("ecs").list_clusters()
    assert "AccessDenied" in str(denied.value)
    dummy = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    with _pytest.raises(botocore.exceptions.ClientError):
        dummy.list_clusters()
    admin_a = enforced_aws.admin(ACCOUNT_A)
    admin_a.client("ecs").create_cluster(clusterName="in-a")
    assert [a.split(":")[4] for a in admin_a.client("ecs").list_clusters()["clusterArns"]] == [ACCOUNT_A]
