"""Work a tool might hand to another thread or process, kept in a module of its own with nothing but
boto3 to import, so that spawned interpreters (process pools, multiprocessing) can run it.

Each probe creates an IAM user named by its tag: the emulator records which key signed that request,
and the user exists only in the account that key belongs to (see adversarial_support.landed)."""

from __future__ import annotations

import sys

import boto3


def probe(tag: str) -> str:
    return str(boto3.client("iam").create_user(UserName=tag)["User"]["Arn"])


# The same probe as a child process's program: `python -c PROBE_SCRIPT <tag>`.
PROBE_SCRIPT = "import sys, boto3; boto3.client('iam').create_user(UserName=sys.argv[1])"

# What a child process receives: the AWS variables of its environment, as JSON on stdout.
ENV_SCRIPT = (
    "import json, os; print(json.dumps({k: v for k, v in os.environ.items() "
    "if k.startswith('AWS_')}))"
)

if __name__ == "__main__":
    probe(sys.argv[1])
