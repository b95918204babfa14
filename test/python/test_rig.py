"""The emulator fixture itself: it answers, and keeps each account's resources apart."""

from __future__ import annotations

import boto3

from conftest import MotoServer


def test_emulator_answers_sts(aws_env: MotoServer) -> None:
    identity = boto3.client("sts").get_caller_identity()
    # moto's default account: proves the request went to the emulator and not to AWS.
    assert identity["Account"] == "123456789012"
