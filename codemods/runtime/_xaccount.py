"""xaccount runtime: run one MCP tool call in another AWS account, via sts:AssumeRole.

Vendored into a patched server by `xaccount patch`. Importing it installs, once per process, a
botocore hook: every request any botocore client signs (clients made before or after, cached by the
server or new, from boto3 or botocore) uses the credentials and region of the account active in the
current context, and the server's own otherwise. `cross_account` activates an account for exactly
one tool call.

Needs only botocore and pydantic, which every FastMCP server already has. Python >= 3.10.

What a patched tool looks like (`cross_account` must sit below the registration decorator, so
the function FastMCP registers is the wrapper):

    from .._xaccount import AccountId, Region, cross_account

    @mcp.tool(name="ecs_resource_management")
    @cross_account
    async def tool(api_operation: str, account_id: AccountId = None, region: Region = None): ...

`use_account(account_id, region)` is the same activation as a context manager. Configuration:
XACCOUNT_ROLE_NAME, XACCOUNT_EXTERNAL_ID, XACCOUNT_ALLOWED_ACCOUNTS, XACCOUNT_ACCOUNTS,
XACCOUNT_SESSION_NAME, XACCOUNT_DURATION_SECONDS, XACCOUNT_CACHE_SIZE, read at the first call with an
account. XACCOUNT_ACCOUNTS (`prod=111111111111,dev=222222222222`) is the allowlist with names: the
names are also read at import, into the account_id description of every tool's schema.

The contract: fail closed. During a call with `account_id`, every AWS request made by work the call
starts is signed with that account's credentials or fails; it never falls back to the server's own,
and work outside calls never carries a call's account. Precisely:

- In the call's account: requests of every botocore/boto3 client (and aiobotocore's); threads the
  call starts (threading.Thread, Timer, any library's: they inherit a copy of the starter's context,
  like Python 3.14's thread_inherit_context); each task of an executor or pool (ThreadPoolExecutor,
  run_in_executor, to_thread, multiprocessing ThreadPool and Pool, ProcessPoolExecutor with fork,
  spawn or forkserver) runs in its submitter's account, whatever context its worker started in;
  multiprocessing.Process (fork: inherited; spawn/forkserver: through its target); child processes
  (subprocess, os.system, os.popen, os.posix_spawn[p], os.exec*, os.spawn*, pty), which get the
  account's credentials and region in their environment and no way back to the server's identity
  (no profile variables, empty AWS config files, `--profile` dropped from `aws` command lines);
  credentials read by hand (sessions, resolvers), which follow whichever call uses them; S3 Express
  sessions (cached per account); sync and async generator tools, for their whole iteration.
- The server's own: calls without account_id and work started outside calls, exactly as before.
- Refused with a coded CrossAccountError (codes in TROUBLESHOOTING.md), before any request: a bad
  account_id or region, an account outside the allowlist or a set-but-empty allowlist
  (config-invalid), a spawned Process subclass that overrides run() (process-not-covered).
- A client with a fixed endpoint_url keeps its host (the operator's choice: a VPC endpoint, an
  emulator) and is signed for the call's region.
- No access key id, secret key or session token of an account in any log record of botocore and the
  libraries on it during account calls (redacted); the AssumeRole exchange logs nothing below WARNING.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import contextvars
import datetime
import functools
import inspect
import logging
import multiprocessing
import multiprocessing.pool
import multiprocessing.process
import os
import re
import subprocess
import sys
import threading
import typing
import urllib.parse
from typing import Annotated, Any, Callable, Iterator, Optional, TypeVar

import botocore  # type: ignore[import-untyped]
import botocore.credentials  # type: ignore[import-untyped]
import botocore.exceptions  # type: ignore[import-untyped]
import botocore.regions  # type: ignore[import-untyped]
import botocore.session  # type: ignore[import-untyped]
import botocore.signers  # type: ignore[import-untyped]
import botocore.utils  # type: ignore[import-untyped]
from pydantic import Field, WithJsonSchema

__all__ = [
    "AccountId",
    "CrossAccountError",
    "Region",
    "cross_account",
    "use_account",
]

log = logging.getLogger("xaccount")

# ---------------------------------------------------------------------------------------------
# Input checks and configuration (pure: no AWS call happens before these pass)
# ---------------------------------------------------------------------------------------------

ACCOUNT_ID_PATTERN = r"^\d{12}$"
REGION_PATTERN = r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$"

# [0-9] and not \d: in Python \d also matches non-ASCII digits such as '١'.
_ACCOUNT_ID = re.compile(r"[0-9]{12}")
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}")
# IAM's own patterns (\w there is ASCII only).
_ROLE_NAME = re.compile(r"[A-Za-z0-9_+=,.@-]{1,64}")
_EXTERNAL_ID = re.compile(r"[A-Za-z0-9_+=,.@:/-]{2,1224}")
_NOT_SESSION_CHAR = re.compile(r"[^A-Za-z0-9_+=,.@-]")

DEFAULT_ROLE_NAME = "McpReadOnlyRole"
DEFAULT_SESSION_NAME = "xaccount-mcp"
DEFAULT_DURATION_SECONDS = 3600
MIN_DURATION_SECONDS = 900
MAX_DURATION_SECONDS = 43200
# Assumed-role credentials kept at once (least recently used dropped first): one per account, so
# 10,000 covers AWS Organizations' largest organisations. About 3.6 KB each once fetched
# (bench/runtime_cost.py prints the figure).
DEFAULT_CACHE_SIZE = 10_000
MAX_CACHE_SIZE = 1_000_000

# Region prefix -> partition. Longest prefixes first; anything else is the commercial partition.
_PARTITIONS = (
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-iso-", "aws-iso"),
    ("us-gov-", "aws-us-gov"),
    ("cn-", "aws-cn"),
)


class CrossAccountError(Exception):
    """An error the model (and the person reading its answer) can act on.

    `code` is stable and has a section in xaccount's TROUBLESHOOTING.md. Messages never carry
    secrets: no keys, no session tokens, no external id.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"[xaccount:{code}] {message}")
        self.code = code


def _preview(value: object) -> str:
    """Show hostile input safely in an error: quoted, escaped, and short."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_account_id(
    value: object,
    allowed: Optional[frozenset[str]] = None,
    names: typing.Mapping[str, str] = {},
) -> str:
    """`names` (name -> id, from XACCOUNT_ACCOUNTS) only improves the message: a name is never
    accepted in place of the id, so what the model sends is always what runs."""
    if not isinstance(value, str) or not _ACCOUNT_ID.fullmatch(value):
        named = names.get(value) if isinstance(value, str) else None
        hint = (
            f"{_preview(value)} is the name of account {named}: pass account_id {named}."
            if named is not None
            else "Pass the bare account number, e.g. 123456789012, not an ARN or alias."
        )
        raise CrossAccountError(
            "account-id-invalid",
            f"account_id must be exactly 12 digits (0-9), got {_preview(value)}. {hint}",
        )
    if allowed is not None and value not in allowed:
        raise CrossAccountError(
            "account-not-allowed",
            f"account {value} is not in the allowlist of this server (XACCOUNT_ACCOUNTS or "
            "XACCOUNT_ALLOWED_ACCOUNTS). "
            "Use one of the allowed accounts, or ask whoever runs the server to add it.",
        )
    return value


def check_region(value: object) -> str:
    if not isinstance(value, str) or not _REGION.fullmatch(value):
        raise CrossAccountError(
            "region-invalid",
            f"region must be an AWS region code such as us-east-1, got {_preview(value)}.",
        )
    return value


def partition_for(region: str) -> str:
    for prefix, partition in _PARTITIONS:
        if region.startswith(prefix):
            return partition
    return "aws"


def role_arn(account_id: str, role_name: str, partition: str) -> str:
    # Only ever called with checked parts: an ARN is never built from unchecked text.
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


def sanitize_session_name(raw: str) -> str:
    """Make any text a valid RoleSessionName ([\\w+=,.@-]{2,64}); it shows in CloudTrail."""
    name = _NOT_SESSION_CHAR.sub("-", raw)[:64]
    return name if len(name) >= 2 else DEFAULT_SESSION_NAME


class Settings(typing.NamedTuple):
    role_name: str
    external_id: Optional[str]
    allowed_accounts: Optional[frozenset[str]]
    session_name: str
    duration_seconds: int
    cache_size: int = 10_000
    # name -> id, from XACCOUNT_ACCOUNTS; for messages only (ids are the only accepted values).
    account_names: typing.Mapping[str, str] = {}


def _config_error(message: str) -> CrossAccountError:
    return CrossAccountError(
        "config-invalid", message + " Fix the variable in the MCP client's server configuration."
    )


_ACCOUNT_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


def parse_account_list(raw: str, variable: str = "XACCOUNT_ACCOUNTS") -> list[tuple[str, Optional[str]]]:
    """`name=id,...` (a bare id is an entry without a name) -> [(id, name)], in order, exact repeats
    once. The rules of xaccount's src/accounts-list.ts, which makes these lists: keep them equal.
    Anything doubtful is refused (config-invalid): the list is an allowlist."""
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not items:
        raise _config_error(
            f"{variable} is set but names no account. List name=id entries "
            "(prod=111111111111,dev=222222222222), or remove the variable."
        )
    entries: dict[str, Optional[str]] = {}
    id_of_name: dict[str, str] = {}
    for item in items:
        name, eq, account = item.rpartition("=")
        if not _ACCOUNT_ID.fullmatch(account):
            raise _config_error(f"{variable} has {_preview(item)}, whose account id is not 12 digits.")
        if not eq:
            entries.setdefault(account, None)
            continue
        if not _ACCOUNT_NAME.fullmatch(name) or _ACCOUNT_ID.fullmatch(name):
            raise _config_error(
                f"{variable} has the account name {_preview(name)}: names are 1-64 of ASCII letters, "
                "digits, '.', '_' and '-', and not 12 digits."
            )
        if id_of_name.setdefault(name, account) != account:
            raise _config_error(f"{variable} names two accounts {_preview(name)}: give each its own name.")
        if entries.get(account) not in (None, name):
            raise _config_error(f"{variable} gives account {account} two names: give it one.")
        entries[account] = name
    return list(entries.items())


def parse_settings(env: typing.Mapping[str, str]) -> Settings:
    role_name = env.get("XACCOUNT_ROLE_NAME") or DEFAULT_ROLE_NAME
    if not _ROLE_NAME.fullmatch(role_name):
        raise _config_error(
            f"XACCOUNT_ROLE_NAME {_preview(role_name)} is not a valid IAM role name "
            "(1-64 of letters, digits and +=,.@_-)."
        )
    external_id = env.get("XACCOUNT_EXTERNAL_ID") or None
    if external_id is not None and not _EXTERNAL_ID.fullmatch(external_id):
        # The value itself is not shown: an external id is a shared secret.
        raise _config_error(
            "XACCOUNT_EXTERNAL_ID is not a valid external id (2-1224 of letters, digits and +=,.@:/_-)."
        )
    allowed: Optional[frozenset[str]] = None
    if "XACCOUNT_ALLOWED_ACCOUNTS" in env:
        raw_allowed = env["XACCOUNT_ALLOWED_ACCOUNTS"].replace(",", " ").split()
        if not raw_allowed:
            # Set but empty ("", ",", " , ", a tab): an allowlist that lost its values must not
            # open the server to every account. Unset means any account.
            raise _config_error(
                "XACCOUNT_ALLOWED_ACCOUNTS is set but names no account. List the 12-digit account "
                "ids (comma or space separated), or remove the variable to allow any account."
            )
        bad = [a for a in raw_allowed if not _ACCOUNT_ID.fullmatch(a)]
        if bad:
            # Fail closed: a typo in the allowlist must not open the server to every account.
            raise _config_error(
                f"XACCOUNT_ALLOWED_ACCOUNTS has {_preview(bad[0])}, which is not a 12-digit account id."
            )
        allowed = frozenset(raw_allowed)
    names: dict[str, str] = {}
    if "XACCOUNT_ACCOUNTS" in env:
        listed = parse_account_list(env["XACCOUNT_ACCOUNTS"])
        ids = frozenset(account for account, _ in listed)
        if allowed is not None and allowed != ids:
            # Two allowlists that disagree: whichever we picked, an account someone meant to shut
            # out (or let in) would be treated otherwise. Refuse until they agree or one is removed.
            only = sorted(allowed ^ ids)
            raise _config_error(
                "XACCOUNT_ACCOUNTS and XACCOUNT_ALLOWED_ACCOUNTS are both set and list different "
                f"accounts ({', '.join(only[:3])}{' ...' if len(only) > 3 else ''} in only one). Keep "
                "XACCOUNT_ACCOUNTS (the allowlist with names) and remove XACCOUNT_ALLOWED_ACCOUNTS."
            )
        allowed = ids
        names = {name: account for account, name in listed if name is not None}
    session_name = sanitize_session_name(env.get("XACCOUNT_SESSION_NAME") or DEFAULT_SESSION_NAME)
    raw_duration = env.get("XACCOUNT_DURATION_SECONDS") or str(DEFAULT_DURATION_SECONDS)
    if not raw_duration.isascii() or not raw_duration.isdigit() or not (
        MIN_DURATION_SECONDS <= int(raw_duration) <= MAX_DURATION_SECONDS
    ):
        raise _config_error(
            f"XACCOUNT_DURATION_SECONDS must be a whole number of seconds from {MIN_DURATION_SECONDS} "
            f"to {MAX_DURATION_SECONDS}, got {_preview(raw_duration)}."
        )
    raw_cache = env.get("XACCOUNT_CACHE_SIZE") or str(DEFAULT_CACHE_SIZE)
    if not raw_cache.isascii() or not raw_cache.isdigit() or not (1 <= int(raw_cache) <= MAX_CACHE_SIZE):
        raise _config_error(
            f"XACCOUNT_CACHE_SIZE must be a whole number of accounts from 1 to {MAX_CACHE_SIZE}, "
            f"got {_preview(raw_cache)}."
        )
    return Settings(
        role_name, external_id, allowed, session_name, int(raw_duration), int(raw_cache), names
    )


_settings_cache: Optional[Settings] = None


def current_settings() -> Settings:
    """Settings from the environment, read at the first call that needs them: a server's
    environment is fixed for its life, and reading it costs more than the rest of an activation.
    A bad value is not remembered, so every call reports it until the server is restarted fixed."""
    global _settings_cache
    if _settings_cache is None:
        _settings_cache = parse_settings(os.environ)
    return _settings_cache


# ---------------------------------------------------------------------------------------------
# Turning STS failures into messages a person can act on (pure)
# ---------------------------------------------------------------------------------------------

_THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}
_INVALID = {"InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch"}


def trust_principal_for(caller_arn: str) -> str:
    """The principal a trust policy names for a caller: an assumed-role session trusts its role."""
    match = re.fullmatch(r"arn:([\w-]+):sts::(\d{12}):assumed-role/([^/]+)/.+", caller_arn)
    if match:
        return f"arn:{match[1]}:iam::{match[2]}:role/{match[3]}"
    return caller_arn


def explain_assume_role_failure(
    error: BaseException, arn: str, region: str, caller_arn: Optional[str], external_id_set: bool,
    also_tried: tuple[str, ...] = (),
) -> CrossAccountError:
    account = arn.split(":")[4]
    if isinstance(error, botocore.exceptions.ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        aws_message = str(error.response.get("Error", {}).get("Message", ""))
        if code == "AccessDenied":
            caller = caller_arn or "this server's AWS identity (GetCallerIdentity failed too)"
            principal = trust_principal_for(caller_arn) if caller_arn else "<this server's role or user ARN>"
            external = " --external-id <the value of XACCOUNT_EXTERNAL_ID>" if external_id_set else ""
            return CrossAccountError(
                "assume-role-denied",
                f"AssumeRole into {arn} was denied for {caller}. Either the role does not exist in "
                f"account {account}, or its trust policy does not let {principal} assume it"
                f"{' with this external id' if external_id_set else ''}, or the caller lacks "
                f"sts:AssumeRole on it. Fix: with credentials for account {account}, run "
                f"`xaccount create-role --trust-principal {principal}{external}`, or add that principal "
                f"to the role's trust policy (Action sts:AssumeRole). AWS said: {aws_message}",
            )
        if code in _THROTTLED:
            return CrossAccountError(
                "sts-throttled",
                f"STS throttled AssumeRole into {arn} ({code}) even after retries. Wait a few seconds "
                "and call again; if it persists, fewer concurrent accounts or a higher "
                "XACCOUNT_DURATION_SECONDS means fewer AssumeRole calls.",
            )
        if code in _EXPIRED:
            return CrossAccountError(
                "source-credentials-expired",
                f"the server's own AWS credentials have expired ({code}), so it cannot assume {arn}. "
                "Refresh them (e.g. `aws sso login`, or new keys in the environment) and restart the "
                "MCP server.",
            )
        if code in _INVALID:
            return CrossAccountError(
                "source-credentials-invalid",
                f"the server's own AWS credentials were rejected by STS ({code}), so it cannot assume "
                f"{arn}. Check AWS_PROFILE / AWS_ACCESS_KEY_ID in the MCP server's environment "
                "(`aws sts get-caller-identity` with the same settings must work).",
            )
        if code == "RegionDisabledException":
            # The region that matters is the STS endpoint's, and it is the server's own account
            # (the caller of AssumeRole) that has it disabled: passing another region for the call
            # only helps if it is another endpoint xaccount may try, so say what was tried.
            return CrossAccountError(
                "region-disabled",
                f"STS is not enabled in region {region}"
                + "".join(f" nor in {other}" for other in also_tried)
                + f" for the server's own account (the one that calls AssumeRole), so {arn} cannot be "
                f"assumed through it. Fix: activate {region} for STS in that account (IAM console > Account "
                "settings > Security Token Service endpoints), or give the server an AWS_REGION whose "
                "STS is enabled (xaccount falls back to it). Nothing is remembered: the next call "
                "tries again.",
            )
        hint = (
            " Lower XACCOUNT_DURATION_SECONDS to at most the role's maximum session duration, or "
            "raise the role's MaxSessionDuration."
            if "DurationSeconds" in aws_message
            else ""
        )
        return CrossAccountError(
            "assume-role-failed", f"AssumeRole into {arn} failed: {code}: {aws_message.rstrip('.')}.{hint}"
        )
    if isinstance(
        error,
        (
            botocore.exceptions.NoCredentialsError,
            botocore.exceptions.PartialCredentialsError,
            botocore.exceptions.CredentialRetrievalError,
        ),
    ):
        return CrossAccountError(
            "source-credentials-invalid",
            f"the server has no usable AWS credentials of its own ({type(error).__name__}), so it "
            f"cannot assume {arn}. Give the MCP server AWS_PROFILE or credentials in its environment.",
        )
    if isinstance(error, (botocore.exceptions.TokenRetrievalError, botocore.exceptions.SSOError)):
        return CrossAccountError(
            "source-credentials-expired",
            f"the server's SSO session has expired or is missing ({type(error).__name__}), so it "
            f"cannot assume {arn}. Run `aws sso login` for the server's profile and restart it.",
        )
    return CrossAccountError(
        "assume-role-failed",
        f"AssumeRole into {arn} via STS in {region} failed: {type(error).__name__}: {error}",
    )


# ---------------------------------------------------------------------------------------------
# Credentials: botocore's AssumeRoleCredentialFetcher behind refreshable credentials
# ---------------------------------------------------------------------------------------------


def _utc_now() -> datetime.datetime:
    # botocore's default clock asks for the local time zone on every check (~10 us); expiry
    # comparisons only need an aware time, and this runs on every signed request.
    return datetime.datetime.now(datetime.timezone.utc)


def _refresh_windows(duration_seconds: int) -> tuple[int, int]:
    """botocore refreshes 15 min (advisory) / 10 min (mandatory) before expiry. With a 15 min
    session that would mean AssumeRole on every call, so short sessions get proportional windows."""
    return min(15 * 60, duration_seconds // 4), min(10 * 60, duration_seconds // 6)


class _SourceIdentity:
    """The server's own credentials and the session that makes STS clients from them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._session: Any = None
        self._region: Optional[str] = None

    def session(self) -> Any:
        with self._lock:
            if self._session is None:
                session = botocore.session.Session()
                # STS through the regional endpoint, whatever the environment says.
                session.set_config_variable("sts_regional_endpoints", "regional")
                self._session = session
            return self._session

    def default_region(self) -> Optional[str]:
        if self._region is None:
            region = self.session().get_config_variable("region")
            self._region = region if isinstance(region, str) and _REGION.fullmatch(region) else ""
        return self._region or None

    def credentials(self) -> Any:
        creds = self.session().get_credentials()
        if creds is None:
            raise botocore.exceptions.NoCredentialsError()
        return creds

    def sts_client(self, region: str, **kwargs: Any) -> Any:
        return self.session().create_client("sts", region_name=region, **kwargs)

    def caller_arn(self, region: str) -> Optional[str]:
        try:
            creds = self.credentials().get_frozen_credentials()
            client = self.sts_client(
                region,
                aws_access_key_id=creds.access_key,
                aws_secret_access_key=creds.secret_key,
                aws_session_token=creds.token,
            )
            return str(client.get_caller_identity()["Arn"])
        except Exception:  # only decorates an error message; never hides the real one
            return None


def _shared_var(name: str, default: Any) -> contextvars.ContextVar[Any]:
    """A context variable shared by every copy of this module in the process (two patched servers,
    or a reload): kept on the botocore module, which all copies import."""
    var = getattr(botocore, name, None)
    if not isinstance(var, contextvars.ContextVar):
        var = contextvars.ContextVar(name, default=default)
        setattr(botocore, name, var)
    return var


_IN_STS_EXCHANGE: contextvars.ContextVar[bool] = _shared_var("_xaccount_in_sts", False)

# botocore logs request parameters (ExternalId) and response bodies (the assumed role's secret key
# and session token) at DEBUG. Servers run with DEBUG logging on occasion: keep our STS exchange,
# and only it, out of their logs.
_CHATTY_LOGGERS = (
    "botocore.endpoint", "botocore.parsers", "botocore.hooks", "botocore.auth",
    "botocore.retryhandler", "botocore.retries.standard", "botocore.httpsession",
    "urllib3.connectionpool",
)


def _quiet_sts_exchange(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING or not _IN_STS_EXCHANGE.get()


def _quiet_expected_refusal(record: logging.LogRecord) -> bool:
    """botocore logs a failed credential refresh as a WARNING with the whole traceback (~60 lines on
    the server's stderr per refused call). When the failure is one of ours (CrossAccountError), the
    call's answer already carries the one-line coded message: drop the duplicate."""
    error = record.exc_info[1] if record.exc_info else None
    return not (error is not None and type(error).__name__ == "CrossAccountError" and hasattr(error, "code"))


def _install_log_filter() -> None:
    for name in _CHATTY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(getattr(f, "__name__", "") == "_quiet_sts_exchange" for f in logger.filters):
            logger.addFilter(_quiet_sts_exchange)
    logger = logging.getLogger("botocore.credentials")
    if not any(getattr(f, "__name__", "") == "_quiet_expected_refusal" for f in logger.filters):
        logger.addFilter(_quiet_expected_refusal)


def _in_sts_exchange(fn: Callable[..., Any], *args: Any) -> Any:
    """Run fn in a fresh, empty context: the STS client that assumes the role is never itself
    redirected into the account being assumed (this runs inside an active call), and its
    request and response stay out of DEBUG logs."""

    def run() -> Any:
        _IN_STS_EXCHANGE.set(True)
        return fn(*args)

    return contextvars.Context().run(run)


class RoleCredentials:
    """One refreshable credentials object per (partition, account, role, external id, session name,
    duration): everything that changes the credentials, and nothing that only changes where STS is
    asked. One AssumeRole per key until the credentials near expiry, shared by every thread and task.

    Bounded: the least recently used key is dropped past `settings.cache_size` (a call still holding
    its credentials keeps them). A failed first AssumeRole is never kept: the next call asks again."""

    def __init__(self, source: _SourceIdentity) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._by_key: collections.OrderedDict[tuple[Any, ...], Any] = collections.OrderedDict()

    def clear(self) -> None:
        with self._lock:
            self._by_key.clear()

    def __len__(self) -> int:
        return len(self._by_key)

    def get(self, account_id: str, region: str, settings: Settings) -> Any:
        partition = partition_for(region)
        key = (partition, account_id, settings.role_name, settings.external_id,
               settings.session_name, settings.duration_seconds)
        creds = self._by_key.get(key)  # lock-free fast path: dict reads are atomic
        if creds is not None:
            try:
                self._by_key.move_to_end(key)
            except KeyError:  # dropped by another thread meanwhile; this call keeps its object
                pass
            return creds
        with self._lock:
            creds = self._by_key.get(key)
            if creds is None:
                arn = role_arn(account_id, settings.role_name, partition)
                creds = self._make(key, arn, self._sts_regions(region, partition), settings)
                self._by_key[key] = creds
                while len(self._by_key) > settings.cache_size:
                    self._by_key.popitem(last=False)
            return creds

    def _sts_regions(self, region: str, partition: str) -> tuple[str, ...]:
        """Where to ask STS, in order: the call's region (regional endpoint, near the call), then the
        server's own default region in the same partition. A region whose STS is disabled for the
        server's account thus costs one refused request, never the account."""
        fallback = self._source.default_region()
        if fallback and fallback != region and partition_for(fallback) == partition:
            return (region, fallback)
        return (region,)

    def _discard(self, key: tuple[Any, ...], creds: Any) -> None:
        with self._lock:
            if self._by_key.get(key) is creds:
                del self._by_key[key]

    def _make(self, key: tuple[Any, ...], arn: str, regions: tuple[str, ...], settings: Settings) -> Any:
        source = self._source
        extra: dict[str, Any] = {
            "RoleSessionName": settings.session_name,
            "DurationSeconds": settings.duration_seconds,
        }
        if settings.external_id is not None:
            extra["ExternalId"] = settings.external_id
        advisory, mandatory = _refresh_windows(settings.duration_seconds)

        def assume_in(region: str) -> Any:
            def create_client(service: str, **kwargs: Any) -> Any:
                return source.sts_client(region, **kwargs)

            # A new fetcher per refresh: its response cache starts empty, so the refreshable
            # credentials alone decide when AssumeRole runs again (the windows set below); the
            # fetcher's own expiry window, which only judges a cached response, never applies.
            fetcher = botocore.credentials.AssumeRoleCredentialFetcher(
                client_creator=create_client,
                source_credentials=source.credentials(),
                role_arn=arn,
                extra_args=extra,
            )
            log.info("xaccount: AssumeRole %s (session %s) via STS in %s", arn, settings.session_name, region)
            return fetcher.fetch_credentials()

        def assume() -> Any:
            region = regions[0]
            try:
                for index, region in enumerate(regions):  # noqa: B007 (region names the failure)
                    try:
                        return assume_in(region)
                    except botocore.exceptions.ClientError as error:
                        disabled = error.response.get("Error", {}).get("Code") == "RegionDisabledException"
                        if not disabled or index == len(regions) - 1:
                            raise
                raise AssertionError("unreachable: regions is never empty")
            except Exception as error:
                caller = None
                if isinstance(error, botocore.exceptions.ClientError) and str(
                    error.response.get("Error", {}).get("Code")
                ) == "AccessDenied":
                    caller = source.caller_arn(region)
                tried = regions[: regions.index(region) + 1]
                raise explain_assume_role_failure(
                    error, arn, tried[0], caller, settings.external_id is not None, tried[1:]
                ) from error

        def fetch() -> Any:
            # Everything, from resolving the server's own credentials on, runs outside the call.
            try:
                result = _in_sts_exchange(assume)
            except Exception:
                if not getattr(creds, "xaccount_ready", False):
                    self._discard(key, creds)  # never cache a failure
                raise
            creds.xaccount_ready = True
            return result

        creds = botocore.credentials.DeferredRefreshableCredentials(
            refresh_using=fetch, method="xaccount-assume-role", time_fetcher=_utc_now
        )
        creds._advisory_refresh_timeout = advisory
        creds._mandatory_refresh_timeout = mandatory
        creds.xaccount_key = key
        return creds


_source = _SourceIdentity()
_role_credentials = RoleCredentials(_source)


# ---------------------------------------------------------------------------------------------
# The botocore hook (installed once per process, shared by every vendored copy of this module)
# ---------------------------------------------------------------------------------------------


class Activation:
    """What the hook reads per request. Other copies of this module (a second patched server in the
    same process) read the same three attributes, so keep them."""

    __slots__ = ("account_id", "region", "credentials", "_awaitable")

    def __init__(self, account_id: Optional[str], region: Optional[str], credentials: Any) -> None:
        self.account_id = account_id
        self.region = region
        self.credentials = credentials
        self._awaitable: Any = None

    def awaitable_credentials(self) -> Any:
        """The credentials as aiobotocore's signer wants them (it awaits get_frozen_credentials)."""
        if self._awaitable is None:
            self._awaitable = AwaitableCredentials(self.credentials)
        return self._awaitable

    def __repr__(self) -> str:  # never the credentials
        return f"Activation(account_id={self.account_id!r}, region={self.region!r})"


class AwaitableCredentials:
    """botocore credentials seen through aiobotocore's interface: the same object, with the
    methods aiobotocore awaits. A refresh (AssumeRole, blocking) runs off the event loop."""

    def __init__(self, credentials: Any) -> None:
        self._credentials = credentials

    async def get_frozen_credentials(self) -> Any:
        creds = self._credentials
        if getattr(creds, "refresh_needed", None) is not None and creds.refresh_needed():
            return await asyncio.to_thread(creds.get_frozen_credentials)
        return creds.get_frozen_credentials()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._credentials, name)


class ContextCredentials:
    """What reading credentials by hand (`boto3.Session().get_credentials()`, a botocore session's,
    a credential resolver's) returns during an account call: the active account's credentials while
    a call runs, the server's own otherwise. So a client or a hand-written signer that keeps the
    object signs for whichever call uses it, and never carries one call's account outside it."""

    def __init__(self, own: Any, active: contextvars.ContextVar[Optional[Activation]]) -> None:
        self._own = own
        self._active = active

    def _current(self) -> Any:
        activation = self._active.get()
        if activation is not None and activation.credentials is not None:
            return activation.credentials
        if self._own is None:
            raise botocore.exceptions.NoCredentialsError()
        return self._own

    def get_frozen_credentials(self) -> Any:
        return self._current().get_frozen_credentials()

    @property
    def access_key(self) -> Any:
        return self._current().access_key

    @property
    def secret_key(self) -> Any:
        return self._current().secret_key

    @property
    def token(self) -> Any:
        return self._current().token

    @property
    def method(self) -> Any:
        return self._current().method

    def __getattr__(self, name: str) -> Any:
        return getattr(self._current(), name)


class AwaitableContextCredentials(ContextCredentials):
    """ContextCredentials for aiobotocore, whose credentials are awaited."""

    async def get_frozen_credentials(self) -> Any:
        activation = self._active.get()
        if activation is not None and activation.credentials is not None:
            return await activation.awaitable_credentials().get_frozen_credentials()
        if self._own is None:
            raise botocore.exceptions.NoCredentialsError()
        return await self._own.get_frozen_credentials()

    async def get_account_id(self) -> Any:
        # aiobotocore resolves account-based endpoints with it (awaited when a request is made).
        activation = self._active.get()
        if activation is not None and activation.credentials is not None:
            return activation.account_id
        return None if self._own is None else await self._own.get_account_id()


def _hook_aiobotocore_reads(active: contextvars.ContextVar[Optional[Activation]]) -> None:
    """aiobotocore's sessions read credentials with a coroutine of their own: hooked like botocore's
    (see _hook_credential_reads) once aiobotocore is loaded. Called at every account call (one dict
    lookup), since a server may import aiobotocore after this module."""
    module = sys.modules.get("aiobotocore.session")
    session_cls = getattr(module, "AioSession", None)
    if session_cls is None or getattr(session_cls, "_xaccount_hooked", False):
        return
    original = session_cls.get_credentials

    async def get_credentials(self: Any) -> Any:
        if active.get() is None:
            return await original(self)
        own = await _InContext(contextvars.Context(), original(self))
        return AwaitableContextCredentials(own, active)

    session_cls.get_credentials = get_credentials
    session_cls._xaccount_hooked = True


class ProcessTask:
    """A task for another process (ProcessPoolExecutor, multiprocessing.Pool, a spawned Process),
    run there in the account of the context that handed it over: picklable (the account's current
    credentials, frozen, and the region travel with the task), and explicit even for the server's own
    (`account_id` None), so a worker forked during one call never runs another call's task as that
    account. The frozen credentials are valid for at least the refresh window (10 minutes by default)."""

    def __init__(self, fn: Any, account_id: Optional[str], region: Optional[str],
                 frozen: Optional[tuple[str, str, Optional[str]]]) -> None:
        self.fn = fn
        self.account_id = account_id
        self.region = region
        self.frozen = frozen

    @classmethod
    def of(cls, fn: Any, activation: Optional[Activation]) -> ProcessTask:
        if activation is None:
            return cls(fn, None, None, None)
        frozen = None
        if activation.credentials is not None:
            creds = activation.credentials.get_frozen_credentials()
            frozen = (creds.access_key, creds.secret_key, creds.token)
        return cls(fn, activation.account_id, activation.region, frozen)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        active = _shared_active()
        activation = None
        if self.account_id is not None or self.region is not None:
            creds = None
            if self.frozen is not None:
                creds = botocore.credentials.Credentials(*self.frozen, method="xaccount-process-task")
                creds.xaccount_key = ("process", self.account_id, self.frozen[0])
            activation = Activation(self.account_id, self.region, creds)
        token = active.set(activation)
        try:
            return self.fn(*args, **kwargs)
        finally:
            active.reset(token)

    def __repr__(self) -> str:  # never the credentials
        return f"ProcessTask({self.fn!r}, account_id={self.account_id!r})"


class _AsActivation:
    """A thread-pool task run with its submitter's activation (None included), whatever context
    the worker thread was started in."""

    __slots__ = ("fn", "activation")

    def __init__(self, fn: Any, activation: Optional[Activation]) -> None:
        self.fn = fn
        self.activation = activation

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        active = _shared_active()
        token = active.set(self.activation)
        try:
            return self.fn(*args, **kwargs)
        finally:
            active.reset(token)


# Popen(args, bufsize, executable, stdin, stdout, stderr, preexec_fn, close_fds, shell, cwd, env, ...)
_POPEN_ENV_INDEX = 10

# Variables through which a child process would find the server's own identity instead of the
# account's credentials we hand it.
_SOURCE_IDENTITY_VARS = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_CREDENTIAL_EXPIRATION",
)


def child_env(activation: Activation, env: Optional[typing.Mapping[str, str]]) -> dict[str, str]:
    """The environment of a child process started during an active call.

    Besides the account's credentials, the child gets no way back to the server's own identity:
    AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE point at an empty file, so a `--profile <name>`
    (which makes the AWS CLI and SDKs ignore credentials in the environment) finds no profile and
    fails instead of running as the server; `aws` command lines lose their --profile before that
    (see neutralise_profile_args). The region the server's profile gave is carried over explicitly."""
    result = dict(os.environ if env is None else env)
    if activation.credentials is not None:
        creds = activation.credentials.get_frozen_credentials()
        for name in _SOURCE_IDENTITY_VARS:
            result.pop(name, None)
        result["AWS_ACCESS_KEY_ID"] = creds.access_key
        result["AWS_SECRET_ACCESS_KEY"] = creds.secret_key
        if creds.token:
            result["AWS_SESSION_TOKEN"] = creds.token
        else:
            result.pop("AWS_SESSION_TOKEN", None)
        result["AWS_CONFIG_FILE"] = result["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
        if not activation.region and not result.get("AWS_REGION") and not result.get("AWS_DEFAULT_REGION"):
            region = _source.default_region()
            if region:
                result["AWS_REGION"] = result["AWS_DEFAULT_REGION"] = region
    if activation.region:
        result["AWS_REGION"] = result["AWS_DEFAULT_REGION"] = activation.region
    return result


def neutralise_profile_args(args: Any) -> Any:
    """`aws ... --profile P` during an account call: drop the option, so the CLI uses the account's
    credentials from its environment (what the ECS server's docker helper needs when the server runs
    with AWS_PROFILE). Only list command lines whose program is `aws`; any other way of naming a
    profile fails closed through child_env's empty config files."""
    if not isinstance(args, (list, tuple)) or not args:
        return args
    program = os.path.basename(os.fsdecode(args[0])) if isinstance(args[0], (str, bytes, os.PathLike)) else ""
    if program not in ("aws", "aws.exe", "aws.cmd"):
        return args
    kept: list[Any] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        text = os.fsdecode(arg) if isinstance(arg, (str, bytes, os.PathLike)) else ""
        if text == "--profile":
            skip = True
            continue
        if text.startswith("--profile="):
            continue
        kept.append(arg)
    # A plain tuple or list, never type(args)(kept): subclasses (a namedtuple) need not take one iterable.
    return tuple(kept) if isinstance(args, tuple) else kept


def _shared_active() -> contextvars.ContextVar[Optional[Activation]]:
    return typing.cast(contextvars.ContextVar[Optional[Activation]], botocore._xaccount_active)


def _install_hook() -> contextvars.ContextVar[Optional[Activation]]:
    """Return the process-wide context variable, installing the hooks the first time.

    The state lives on the botocore module, not here: re-importing or reloading this module, or
    two patched servers vendoring their own copy, must share one hook and one variable."""
    existing = getattr(botocore, "_xaccount_active", None)
    if isinstance(existing, contextvars.ContextVar):
        return existing
    if not hasattr(botocore.signers.RequestSigner, "get_auth_instance") or getattr(
        botocore.regions.EndpointRulesetResolver, "_get_customized_builtins", None
    ) is None:
        # Refuse to run rather than sign silently with the wrong account.
        raise ImportError(
            f"xaccount: botocore {botocore.__version__} is not supported (RequestSigner or "
            "EndpointRulesetResolver changed); upgrade xaccount or pin botocore."
        )
    active: contextvars.ContextVar[Optional[Activation]] = contextvars.ContextVar(
        "xaccount_active", default=None
    )
    # Each hook has one job; each costs one context-variable read when no account is active.
    _hook_signing(active)
    _hook_credential_reads(active)
    _hook_s3express(active)
    _hook_threads(active)
    _hook_thread_pools(active)
    _hook_process_pools(active)
    _hook_child_processes(active)
    _hook_log_records(active)
    botocore._xaccount_active = active
    return active


def _hook_signing(active: contextvars.ContextVar[Optional[Activation]]) -> None:
    """Every request any client signs uses the active account's credentials and region."""
    signer_cls = botocore.signers.RequestSigner
    resolver_cls = botocore.regions.EndpointRulesetResolver
    original_builtins = resolver_cls._get_customized_builtins

    # Class-level data descriptors win over instance attributes, so signers created before this
    # hook (clients the server already cached) are redirected too. The client's own value stays
    # in the instance dict and is used whenever no account is active.
    def get_credentials(self: Any) -> Any:
        activation = active.get()
        if activation is not None and activation.credentials is not None:
            if type(self).__module__.startswith("aiobotocore"):
                return activation.awaitable_credentials()
            return activation.credentials
        return self.__dict__.get("_credentials")

    def set_credentials(self: Any, value: Any) -> None:
        self.__dict__["_credentials"] = value

    def get_region(self: Any) -> Any:
        activation = active.get()
        if activation is not None and activation.region is not None:
            return activation.region
        return self.__dict__.get("_region_name")

    def set_region(self: Any, value: Any) -> None:
        self.__dict__["_region_name"] = value

    def customized_builtins(self: Any, operation_model: Any, call_args: Any, request_context: Any) -> Any:
        builtins = original_builtins(self, operation_model, call_args, request_context)
        activation = active.get()
        if activation is not None and activation.region is not None:
            # The endpoint of a client cached for another region follows the call's region. A
            # client with a fixed endpoint_url keeps its host (a VPC endpoint, an emulator: the
            # operator chose it) and is signed for the call's region.
            builtins[botocore.regions.EndpointResolverBuiltins.AWS_REGION] = activation.region
        return builtins

    signer_cls._credentials = property(get_credentials, set_credentials)
    signer_cls._region_name = property(get_region, set_region)
    resolver_cls._get_customized_builtins = customized_builtins


def _hook_credential_reads(active: contextvars.ContextVar[Optional[Activation]]) -> None:
    """Credentials read by hand during a call are the call's (see ContextCredentials). The server's
    own are resolved outside the call's context: a profile that itself assumes a role must not have
    its STS request signed as the account."""
    session_cls = botocore.session.Session
    resolver_cls = botocore.credentials.CredentialResolver
    original_session_get = session_cls.get_credentials
    original_load = resolver_cls.load_credentials

    def session_get_credentials(self: Any) -> Any:
        if active.get() is None:
            return original_session_get(self)
        return ContextCredentials(contextvars.Context().run(original_session_get, self), active)

    def load_credentials(self: Any) -> Any:
        if active.get() is None:
            return original_load(self)
        return ContextCredentials(contextvars.Context().run(original_load, self), active)

    session_cls.get_credentials = session_get_credentials
    resolver_cls.load_credentials = load_credentials


def _hook_s3express(active: contextvars.ContextVar[Optional[Activation]]) -> None:
    """S3 Express (directory bucket) session credentials are cached per client and bucket: keep one
    cache per account, so one account's session never signs a request for another or the server."""
    cache_cls = getattr(botocore.utils, "S3ExpressIdentityCache", None)
    if cache_cls is None:
        return
    original = cache_cls.get_credentials

    def get_credentials(self: Any, bucket: Any) -> Any:
        activation = active.get()
        if activation is None or activation.credentials is None:
            return original(self, bucket)
        key = getattr(activation.credentials, "xaccount_key", None) or ("object", id(activation.credentials))
        per_account = self.__dict__.setdefault("_xaccount_per_account", {})
        cache = per_account.get(key)
        if cache is None:
            cache = per_account[key] = type(self)(self._client, self._credential_cls)
        return original(cache, bucket)

    cache_cls.get_credentials = get_credentials


def _hook_threads(active: contextvars.ContextVar[Optional[Activation]]) -> None:
    """A thread started during a call runs in a copy of the starter's context (Python 3.14's
    thread_inherit_context), so threading.Thread, Timer and the threads of any library a tool uses
    work in the call's account. Outside calls nothing changes."""
    original_start = threading.Thread.start

    def start(self: threading.Thread) -> None:
        if active.get() is not None:
            self.run = functools.partial(  # type: ignore[method-assign]
                _run_in_context, contextvars.copy_context(), self, self.run
            )
        original_start(self)

    threading.Thread.start = start  # type: ignore[method-assign]


def _run_in_context(context: contextvars.Context, thread: threading.Thread, run: Callable[[], Any]) -> None:
    try:
        context.run(run)
    finally:
        thread.__dict__.pop("run", None)  # the wrapper held the thread: no cycle once it is done


def _hook_thread_pools(active: contextvars.ContextVar[Optional[Activation]]) -> None:
    """Executors and pools run each task in its submitter's account, never in the one their worker
    thread happened to be started in (a worker started during a call for A serves later calls)."""
    original_submit = concurrent.futures.ThreadPoolExecutor.submit

    def submit(self: Any, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        activation = active.get()
        if activation is not None:
            # The whole context, as asyncio.to_thread does: loop.run_in_executor does not.
            return original_submit(self, contextvars.copy_context().run, fn, *args, **kwargs)
        if _activated_once():
            return original_submit(self, _AsActivation(fn, None), *args, **kwargs)
        return original_submit(self, fn, *args, **kwargs)

    concurrent.futures.ThreadPoolExecutor.submit = submit  # type: ignore[method-assign]


def _activated_once() -> bool:
    return bool(getattr(botocore, "_xaccount_used", False))


def _pool_task(pool: Any, fn: Any, active: contextvars.ContextVar[Optional[Activation]]) -> Any:
    """multiprocessing.pool: a thread pool's task keeps its submitter's activation; a process pool's
    becomes a ProcessTask. Untouched until the first call that activates an account or a region, so
    servers that never use one behave exactly as before."""
    activation = active.get()
    if activation is None and not _activated_once():
        return fn
    if isinstance(pool, multiprocessing.pool.ThreadPool):
        return _AsActivation(fn, activation)
    return ProcessTask.of(fn, activation)


def _hook_process_pools(active: contextvars.ContextVar[Optional[Activation]]) -> None:
    """ProcessPoolExecutor and multiprocessing.Pool (and ThreadPool, its thread twin): each task
    carries its submitter's activation (see ProcessTask). A Process started during a call with
    another start method than fork gets the account through its target, or is refused."""
    original_submit = concurrent.futures.ProcessPoolExecutor.submit

    def submit(self: Any, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        activation = active.get()
        if activation is None and not _activated_once():
            return original_submit(self, fn, *args, **kwargs)
        return original_submit(self, ProcessTask.of(fn, activation), *args, **kwargs)

    concurrent.futures.ProcessPoolExecutor.submit = submit  # type: ignore[method-assign]

    pool_cls = multiprocessing.pool.Pool
    original_apply_async = pool_cls.apply_async
    original_map_async = getattr(pool_cls, "_map_async")  # map, map_async, starmap, starmap_async
    original_imap = pool_cls.imap
    original_imap_unordered = pool_cls.imap_unordered

    def apply_async(self: Any, func: Any, *args: Any, **kwargs: Any) -> Any:
        return original_apply_async(self, _pool_task(self, func, active), *args, **kwargs)

    def map_async(self: Any, func: Any, *args: Any, **kwargs: Any) -> Any:
        return original_map_async(self, _pool_task(self, func, active), *args, **kwargs)

    def imap(self: Any, func: Any, *args: Any, **kwargs: Any) -> Any:
        return original_imap(self, _pool_task(self, func, active), *args, **kwargs)

    def imap_unordered(self: Any, func: Any, *args: Any, **kwargs: Any) -> Any:
        return original_imap_unordered(self, _pool_task(self, func, active), *args, **kwargs)

    for name, hook in (("apply_async", apply_async), ("_map_async", map_async), ("imap", imap),
                       ("imap_unordered", imap_unordered)):
        setattr(pool_cls, name, hook)

    process_cls = multiprocessing.process.BaseProcess
    original_process_start = process_cls.start

    def process_start(self: Any) -> None:
        activation = active.get()
        if activation is not None and _start_method(self) != "fork":
            # fork copies this thread's context into the child; spawn and forkserver start a fresh
            # interpreter, so the account must travel with the target.
            if type(self).run is not multiprocessing.process.BaseProcess.run:
                raise CrossAccountError(
                    "process-not-covered",
                    f"{type(self).__name__} overrides run() and starts with "
                    f"'{_start_method(self)}', so xaccount cannot hand it account "
                    f"{activation.account_id}'s credentials; it would run as the server. Give the "
                    "Process a target= function, use the fork start method, or run the work in a thread.",
                )
            if self._target is not None and not isinstance(self._target, ProcessTask):
                self._target = ProcessTask.of(self._target, activation)
        original_process_start(self)

    process_cls.start = process_start  # type: ignore[method-assign]


def _start_method(process: Any) -> str:
    method = getattr(type(process), "_start_method", None)
    return str(method or multiprocessing.get_start_method())


def _hook_child_processes(active: contextvars.ContextVar[Optional[Activation]]) -> None:
    """A child process started during a call (subprocess, asyncio subprocesses, os.system,
    os.posix_spawn[p], os.exec*, os.spawn*, os.popen, pty) gets the account's credentials and region
    in its environment and no way back to the server's own (see child_env)."""

    def covers(activation: Optional[Activation]) -> bool:
        return activation is not None and (activation.credentials is not None or bool(activation.region))

    original_popen_init = subprocess.Popen.__init__

    def popen_init(self: Any, *args: Any, **kwargs: Any) -> None:
        activation = active.get()
        if covers(activation):
            assert activation is not None
            if args:
                args = (neutralise_profile_args(args[0]), *args[1:])
            elif "args" in kwargs:
                kwargs["args"] = neutralise_profile_args(kwargs["args"])
            if len(args) > _POPEN_ENV_INDEX:
                args = (*args[:_POPEN_ENV_INDEX], child_env(activation, args[_POPEN_ENV_INDEX]),
                        *args[_POPEN_ENV_INDEX + 1:])
            else:
                kwargs["env"] = child_env(activation, kwargs.get("env"))
        original_popen_init(self, *args, **kwargs)

    subprocess.Popen.__init__ = popen_init  # type: ignore[method-assign]

    original_system = os.system

    def system(command: Any) -> int:
        if not covers(active.get()):
            return original_system(command)
        # Through subprocess (and so child_env); os.system returns a wait status, not a return code.
        code = subprocess.call(command, shell=True)
        if os.name != "posix":
            return code
        return -code if code < 0 else code << 8

    os.system = system

    # os.spawn*, os.exec[lv]p*, pty.spawn all end in os.execv or os.execve, looked up at call time.
    original_execv = os.execv
    original_execve = os.execve

    def execv(path: Any, argv: Any) -> Any:
        activation = active.get()
        if not covers(activation):
            return original_execv(path, argv)
        assert activation is not None
        return original_execve(path, neutralise_profile_args(argv), child_env(activation, None))

    def execve(path: Any, argv: Any, env: Any) -> Any:
        activation = active.get()
        if not covers(activation):
            return original_execve(path, argv, env)
        assert activation is not None
        return original_execve(path, neutralise_profile_args(argv), child_env(activation, env))

    os.execv = execv
    os.execve = execve

    for name in ("posix_spawn", "posix_spawnp"):
        original = getattr(os, name, None)
        if original is None:
            continue

        def spawn(path: Any, argv: Any, env: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            activation = active.get()
            if not covers(activation):
                return _original(path, argv, env, *args, **kwargs)
            assert activation is not None
            return _original(path, neutralise_profile_args(argv), child_env(activation, env), *args, **kwargs)

        setattr(os, name, spawn)


# Loggers whose records can carry a request's credentials: botocore's endpoint and auth (headers,
# the canonical request with X-Amz-Security-Token, the access key id in Credential=), parsers
# (response bodies), urllib3 and aiohttp (presigned URLs), and the libraries built on them.
_SECRET_BEARING_LOGGERS = ("botocore", "boto3", "s3transfer", "urllib3", "aiobotocore", "aioboto3", "aiohttp")


def _hook_log_records(active: contextvars.ContextVar[Optional[Activation]]) -> None:
    """During an account call, a log record from those libraries never carries the account's access
    key id, secret key or session token, at any level: they are replaced in the message. (Records of
    the AssumeRole exchange itself are dropped below WARNING by _quiet_sts_exchange: the secrets in
    its response are not known until it is parsed.)"""
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        activation = active.get()
        if activation is not None and activation.credentials is not None and str(record.name).startswith(
            _SECRET_BEARING_LOGGERS
        ):
            _redact(record, activation.credentials)
        return record

    logging.setLogRecordFactory(factory)


def _secrets_of(credentials: Any) -> list[str]:
    # Read what is there now, without refreshing: a log record must never cause an AssumeRole.
    values = [getattr(credentials, name, None) for name in ("_access_key", "_secret_key", "_token")]
    if all(v is None for v in values):
        frozen = getattr(credentials, "_frozen_credentials", None) or getattr(credentials, "_credentials", None)
        if frozen is not None:
            values = [getattr(frozen, n, None) for n in ("access_key", "secret_key", "token")]
    return [v for v in values if isinstance(v, str) and v]


def _redact(record: logging.LogRecord, credentials: Any) -> None:
    secrets = _secrets_of(credentials)
    if not secrets:
        return
    try:
        message = record.getMessage()
    except Exception:
        return
    redacted = message
    for secret in secrets:
        for form in {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}:
            redacted = redacted.replace(form, "<redacted by xaccount>")
    if redacted != message:
        record.msg, record.args = redacted, None


_ACTIVE = _install_hook()
_install_log_filter()


def active_account() -> Optional[str]:
    """The account the current context runs in, or None for the server's own."""
    activation = _ACTIVE.get()
    return activation.account_id if activation is not None else None


# ---------------------------------------------------------------------------------------------
# Activation for one tool call
# ---------------------------------------------------------------------------------------------


def _activation_for(account_id: object, region: object, sts_region: object = None) -> Optional[Activation]:
    """The activation a call asks for, or None when it asks for nothing (so it inherits).
    `sts_region` only picks the STS endpoint (a tool's own `region` argument).
    Every check runs here, before any network call."""
    if region == "":
        region = None
    if account_id is None and region is None:
        return None
    outer = _ACTIVE.get()
    call_region = check_region(region) if region is not None else (outer.region if outer else None)
    if account_id is None:
        # From the first activation on, even a region-only one, pools hand each task its submitter's
        # activation: a worker started during this call would otherwise keep it for later tasks.
        botocore._xaccount_used = True
        return Activation(
            outer.account_id if outer else None, call_region, outer.credentials if outer else None
        )
    settings = current_settings()
    checked = check_account_id(account_id, settings.allowed_accounts, settings.account_names)
    hint = check_region(sts_region) if sts_region else None
    endpoint_region = call_region or hint or _source.default_region() or "us-east-1"
    botocore._xaccount_used = True
    _hook_aiobotocore_reads(_ACTIVE)
    return Activation(checked, call_region, _role_credentials.get(checked, endpoint_region, settings))


def _needs_first_assume(activation: Optional[Activation]) -> bool:
    """True until the role has been assumed once. Later refreshes near expiry happen where botocore
    does them, when a request is signed."""
    return (
        activation is not None
        and activation.credentials is not None
        and not getattr(activation.credentials, "xaccount_ready", False)
    )


def _warm(activation: Optional[Activation]) -> None:
    # Assume the role now rather than at the tool's first AWS request, so an AccessDenied reaches
    # the model as this call's error and is not reworded by the tool's own error handling.
    if _needs_first_assume(activation):
        typing.cast(Activation, activation).credentials.get_frozen_credentials()


@contextlib.contextmanager
def use_account(account_id: Optional[str] = None, region: Optional[str] = None) -> Iterator[None]:
    """Run the block in `account_id` (and `region`); None inherits the enclosing call's."""
    activation = _activation_for(account_id, region)
    if activation is None:
        yield
        return
    _warm(activation)
    token = _ACTIVE.set(activation)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


F = TypeVar("F", bound=Callable[..., Any])


def _argument_reader(fn: Callable[..., Any], name: str) -> Callable[[tuple[Any, ...], dict[str, Any]], Any]:
    """How to read parameter `name` from a call: by keyword (how MCP calls tools) or by position."""
    params = list(inspect.signature(fn).parameters.values())
    index = next((i for i, p in enumerate(params) if p.name == name), None)
    positional = index is not None and params[index].kind in (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    )

    def read(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if name in kwargs:
            return kwargs[name]
        if positional and index is not None and len(args) > index:
            return args[index]
        return None

    return read


# Python 3.10's get_type_hints wraps the hint of a parameter that defaults to None in Optional[...];
# 3.11 stopped. A module constant, so the tests run the 3.10 path on any Python.
_IMPLICIT_OPTIONAL = sys.version_info < (3, 11)


def _undo_implicit_optional(hint: Any, param: inspect.Parameter) -> Any:
    """Undo 3.10's implicit Optional: `Optional[AccountId]` hides the Annotated metadata (the
    description FastMCP puts in the schema). An Optional the author wrote stays."""
    if not _IMPLICIT_OPTIONAL or param.default is not None or typing.get_origin(hint) is not typing.Union:
        return hint
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if len(args) == 1 and typing.get_origin(args[0]) is Annotated else hint


def _resolved_signature(fn: Callable[..., Any]) -> Optional[inspect.Signature]:
    """The signature with string annotations (`from __future__ import annotations`) resolved in the
    tool's own module. Recent FastMCP resolves them through __wrapped__; older releases evaluate
    them in the wrapper's globals, which are this module's. Real types work for both."""
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception:
        return None
    sig = inspect.signature(fn)
    params = [p.replace(annotation=_undo_implicit_optional(hints.get(p.name, p.annotation), p))
              for p in sig.parameters.values()]
    return sig.replace(parameters=params, return_annotation=hints.get("return", sig.return_annotation))


def _context_for(activation: Optional[Activation]) -> contextvars.Context:
    """A generator tool's own context: a copy of the caller's, in the call's account. Every step
    of the generator runs in it, so it stays in its account however long the caller takes to
    iterate, and a use_account() left open at a `yield` never leaks into the caller."""
    context = contextvars.copy_context()
    if activation is not None:
        context.run(_ACTIVE.set, activation)
    return context


def _drive(context: contextvars.Context, generator: Any) -> Any:
    """`yield from generator`, with each step run in `context`."""
    send: Any = None
    thrown: Optional[BaseException] = None
    while True:
        try:
            if thrown is None:
                value = context.run(generator.send, send)
            else:
                value = context.run(generator.throw, thrown)
        except StopIteration as stop:
            return stop.value
        thrown = None
        try:
            send = yield value
        except GeneratorExit:
            context.run(generator.close)
            raise
        except BaseException as error:
            thrown = error


class _InContext:
    """Await `awaitable` with each of its steps run in `context` (an async generator's asend(),
    athrow() and aclose() run the generator's body when awaited)."""

    def __init__(self, context: contextvars.Context, awaitable: Any) -> None:
        self._context = context
        self._awaitable = awaitable

    def __await__(self) -> typing.Generator[Any, Any, Any]:
        iterator = self._awaitable.__await__()
        send: Any = None
        thrown: Optional[BaseException] = None
        while True:
            try:
                if thrown is None:
                    signal = self._context.run(iterator.send, send)
                else:
                    signal = self._context.run(iterator.throw, thrown)
            except StopIteration as stop:
                return stop.value
            thrown = None
            try:
                send = yield signal
            except BaseException as error:
                thrown = error


def cross_account(fn: F) -> F:
    """Run each call of a tool in the account named by its `account_id` argument (and `region`,
    if the tool has one). The wrapper keeps the tool's signature for FastMCP."""
    if "account_id" not in inspect.signature(fn).parameters:
        raise TypeError(f"@cross_account: {fn.__qualname__} has no account_id parameter")
    read_account = _argument_reader(fn, "account_id")
    read_region = _argument_reader(fn, "region")
    # A `region` xaccount added (typed Region) moves the whole call to that region. A tool's own
    # `region` from before the patch is the tool's business: a call without account_id must behave
    # exactly as before, so it only picks the STS endpoint when an account is asked for.
    # The codemod writes `region: Region = None`; with `from __future__ import annotations` that
    # is the text "Region" (or "module.Region").
    annotation = getattr(inspect.signature(fn).parameters.get("region"), "annotation", None)
    ours = annotation == Region or (isinstance(annotation, str) and annotation.rsplit(".", 1)[-1] == "Region")

    def activation_for(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Optional[Activation]:
        if ours:
            return _activation_for(read_account(args, kwargs), read_region(args, kwargs))
        return _activation_for(read_account(args, kwargs), None, read_region(args, kwargs))

    if inspect.isasyncgenfunction(fn):

        @functools.wraps(fn)
        async def async_gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            activation = activation_for(args, kwargs)
            if _needs_first_assume(activation):
                await asyncio.to_thread(_warm, activation)
            context = _context_for(activation)
            generator = context.run(fn, *args, **kwargs)
            send: Any = None
            thrown: Optional[BaseException] = None
            while True:
                try:
                    if thrown is None:
                        value = await _InContext(context, generator.asend(send))
                    else:
                        value = await _InContext(context, generator.athrow(thrown))
                except StopAsyncIteration:
                    return
                thrown = None
                try:
                    send = yield value
                except GeneratorExit:
                    await _InContext(context, generator.aclose())
                    raise
                except BaseException as error:
                    thrown = error

        wrapper: Callable[..., Any] = async_gen_wrapper
    elif inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            activation = activation_for(args, kwargs)
            _warm(activation)
            context = _context_for(activation)
            generator = context.run(fn, *args, **kwargs)
            return (yield from _drive(context, generator))

        wrapper = gen_wrapper
    elif inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            activation = activation_for(args, kwargs)
            if activation is None:
                return await fn(*args, **kwargs)
            if _needs_first_assume(activation):
                # AssumeRole is a blocking HTTP call: keep the event loop free for other calls.
                await asyncio.to_thread(_warm, activation)
            token = _ACTIVE.set(activation)
            try:
                return await fn(*args, **kwargs)
            finally:
                _ACTIVE.reset(token)

        wrapper = async_wrapper
    else:

        @functools.wraps(fn)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            activation = activation_for(args, kwargs)
            if activation is None:
                return fn(*args, **kwargs)
            _warm(activation)
            token = _ACTIVE.set(activation)
            try:
                return fn(*args, **kwargs)
            finally:
                _ACTIVE.reset(token)

        wrapper = sync_wrapper

    signature = _resolved_signature(fn)
    # A method is reached through a bound method, which lends its function's attributes to whatever
    # copies them: a pass-through wrapper made with functools.wraps(self.tool) copies __dict__, and an
    # explicit __signature__ there would give it the unbound signature (`self` as a required tool
    # argument). A method keeps only __wrapped__, which inspect follows to the bound method, dropping `self`.
    is_method = next(iter(inspect.signature(fn).parameters), None) in ("self", "cls")
    if signature is not None and not is_method:
        wrapper.__signature__ = signature  # type: ignore[attr-defined]
    return typing.cast(F, wrapper)


# ---------------------------------------------------------------------------------------------
# Parameter types: the JSON schema tells the model what to send
# ---------------------------------------------------------------------------------------------

# The pattern is in the JSON schema (the model sees what to send) but pydantic does not enforce it:
# the runtime checks every value itself, so a bad one gets the runtime's coded one-line message
# (account-id-invalid, region-invalid) rather than pydantic's "String should match pattern".
_ACCOUNT_ID_DESCRIPTION = (
    "AWS account ID (12 digits) to run this call in, through the role the xaccount setup "
    "created there. Omit to use the server's own account."
)


def account_id_description(env: typing.Mapping[str, str]) -> str:
    """The account_id description a model reads: with XACCOUNT_ACCOUNTS, the accounts by name, so a
    question about "prod" becomes prod's id. Read once, at import (the schema is built then); a bad
    list is not trusted here either: the description says calls are refused, and every call with an
    account_id is refused with config-invalid by parse_settings, as for any bad variable."""
    if "XACCOUNT_ACCOUNTS" in env:
        try:
            listed = parse_account_list(env["XACCOUNT_ACCOUNTS"])
        except CrossAccountError:
            return (
                _ACCOUNT_ID_DESCRIPTION + " This server's XACCOUNT_ACCOUNTS is invalid: calls with an "
                "account_id are refused until it is fixed."
            )
        accounts = "; ".join(f"{name} = {account}" if name else account for account, name in listed)
        return (
            _ACCOUNT_ID_DESCRIPTION + f" Allowed accounts (name = id): {accounts}. Send the 12-digit "
            "id of the account asked for, never its name."
        )
    allowed = env.get("XACCOUNT_ALLOWED_ACCOUNTS", "").replace(",", " ").split()
    if allowed and all(_ACCOUNT_ID.fullmatch(a) for a in allowed):
        return _ACCOUNT_ID_DESCRIPTION + f" Allowed accounts: {', '.join(dict.fromkeys(allowed))}."
    return _ACCOUNT_ID_DESCRIPTION


AccountId = Annotated[
    Optional[Annotated[str, WithJsonSchema({"type": "string", "pattern": ACCOUNT_ID_PATTERN})]],
    Field(description=account_id_description(os.environ)),
]

Region = Annotated[
    Optional[Annotated[str, WithJsonSchema({"type": "string", "pattern": REGION_PATTERN})]],
    Field(
        description="AWS region for this call, e.g. us-east-1. Omit to use the server's default region.",
    ),
]


# ---------------------------------------------------------------------------------------------
# Tools registered while the server starts (servers section: tools generated from boto3 models or
# from the account's resources, which no static patch can see)
# ---------------------------------------------------------------------------------------------
#
# Some servers build tools at start-up: the Amazon MQ and SNS/SQS servers make one per operation of
# the boto3 model, the Lambda and Step Functions tool servers one per function or state machine in
# the account. Their source holds no tool function to patch, so the running server would expose them
# without account_id while `--check` passes. Importing this module (which every patched package
# does) therefore also wraps FastMCP's one registration point, `from_function` of the Tool classes
# of each FastMCP flavour: every function of a patched package registered as a tool without an
# `account_id` parameter gets one, typed AccountId, with the same activation as @cross_account.
#
# The static patch stays the primary path; this is the net under it, and it never double-wraps:
# - a tool the codemod patched already has `account_id` in its signature, so it is left alone;
# - so is a tool with an `account_id` of its own (its meaning is kept);
# - only functions defined in a package that vendors this runtime are touched, never another
#   library's tools (and a remote server's proxied tools are not built from functions at all).

# The modules that define `from_function` for tools, per FastMCP flavour: the official SDK's
# FastMCP (mcp 1.x) and MCPServer (mcp 2.x), and the fastmcp package (2.x: tools.tool; 3.x and
# later: tools.base and tools.function_tool).
_TOOL_MODULES = {
    "mcp.server.fastmcp.tools.base": ("Tool",),
    "mcp.server.mcpserver.tools.base": ("Tool",),
    "fastmcp.tools.tool": ("Tool", "FunctionTool"),
    "fastmcp.tools.base": ("Tool",),
    "fastmcp.tools.function_tool": ("FunctionTool",),
}


def _tool_packages() -> set[str]:
    """The packages whose tools get account_id at registration: every package that vendors a copy
    of this module (shared by all copies, on the botocore module like the hook's state)."""
    packages = getattr(botocore, "_xaccount_tool_packages", None)
    if not isinstance(packages, set):
        packages = set()
        botocore._xaccount_tool_packages = packages
    return typing.cast(set[str], packages)


def _in_patched_package(fn: Any) -> bool:
    module = getattr(fn, "__module__", None)
    if module == "__main__":
        # `python -m awslabs.x_mcp_server.server`, as servers are started: its module's real name.
        spec = getattr(sys.modules.get("__main__"), "__spec__", None)
        module = getattr(spec, "name", None)
    if not isinstance(module, str):
        return False
    return any(module == p or module.startswith(p + ".") for p in _tool_packages())


def needs_account_param(fn: Any) -> bool:
    """True for a tool function of a patched package that has no account_id parameter (yet)."""
    if not (inspect.isfunction(fn) or inspect.ismethod(fn)) or not _in_patched_package(fn):
        return False
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "account_id" not in params


def with_account_param(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` as a tool that takes `account_id: AccountId = None` (keyword-only, last before any
    **kwargs) and runs each call in that account. `fn` itself never sees account_id."""
    signature = _resolved_signature(fn) or inspect.signature(fn)
    params = list(signature.parameters.values())
    account = inspect.Parameter("account_id", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=AccountId)
    at = len(params) - 1 if params and params[-1].kind is inspect.Parameter.VAR_KEYWORD else len(params)
    params.insert(at, account)

    stripped: Any
    if inspect.isasyncgenfunction(fn):

        async def async_gen_stripped(*args: Any, **kwargs: Any) -> Any:
            kwargs.pop("account_id", None)
            async for item in fn(*args, **kwargs):
                yield item

        stripped = async_gen_stripped
    elif inspect.isgeneratorfunction(fn):

        def gen_stripped(*args: Any, **kwargs: Any) -> Any:
            kwargs.pop("account_id", None)
            return (yield from fn(*args, **kwargs))

        stripped = gen_stripped
    elif inspect.iscoroutinefunction(fn):

        async def async_stripped(*args: Any, **kwargs: Any) -> Any:
            kwargs.pop("account_id", None)
            return await fn(*args, **kwargs)

        stripped = async_stripped
    else:

        def sync_stripped(*args: Any, **kwargs: Any) -> Any:
            kwargs.pop("account_id", None)
            return fn(*args, **kwargs)

        stripped = sync_stripped

    functools.update_wrapper(stripped, fn)
    # Whoever unwraps (inspect.unwrap, FastMCP's signature reading) must stop here, at the signature
    # with account_id, not reach `fn`'s.
    del stripped.__wrapped__
    stripped.__signature__ = signature.replace(parameters=params)
    annotations = {p.name: p.annotation for p in params if p.annotation is not inspect.Parameter.empty}
    if signature.return_annotation is not inspect.Signature.empty:
        annotations["return"] = signature.return_annotation
    stripped.__annotations__ = annotations
    return cross_account(typing.cast(Callable[..., Any], stripped))


def _registering(original: Any) -> Any:
    """A `from_function` classmethod body that gives the function account_id first."""

    def from_function(cls: Any, *args: Any, **kwargs: Any) -> Any:
        if args and needs_account_param(args[0]):
            args = (with_account_param(args[0]), *args[1:])
        elif "fn" in kwargs and needs_account_param(kwargs["fn"]):
            kwargs["fn"] = with_account_param(kwargs["fn"])
        return original(cls, *args, **kwargs)

    from_function._xaccount_registration = True  # type: ignore[attr-defined]
    return classmethod(from_function)


def _hook_tool_module(module: Any) -> None:
    for class_name in _TOOL_MODULES.get(getattr(module, "__name__", ""), ()):
        cls = getattr(module, class_name, None)
        method = cls.__dict__.get("from_function") if isinstance(cls, type) else None
        if not isinstance(method, classmethod):
            continue
        if getattr(method.__func__, "_xaccount_registration", False):
            continue  # another copy of this module hooked it already
        setattr(cls, "from_function", _registering(method.__func__))


class _HookToolModulesOnImport:
    """A meta-path finder that hooks a FastMCP tools module right after it is first imported (a
    package may import this runtime before FastMCP). Finds nothing itself: it asks the finders
    after it and wraps the loader's exec_module."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in _TOOL_MODULES:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is None:
                continue
            loader: Any = spec.loader
            exec_module = getattr(loader, "exec_module", None)
            if exec_module is None:
                return spec

            def exec_and_hook(module: Any, _exec: Any = exec_module) -> None:
                _exec(module)
                _hook_tool_module(module)

            loader.exec_module = exec_and_hook
            return spec
        return None


def _install_registration_hook() -> None:
    package = __name__.rpartition(".")[0]
    if package:
        _tool_packages().add(package)
    if not getattr(botocore, "_xaccount_registration_hooked", False):
        botocore._xaccount_registration_hooked = True
        sys.meta_path.insert(0, _HookToolModulesOnImport())
    for name in _TOOL_MODULES:
        module = sys.modules.get(name)
        if module is not None:
            _hook_tool_module(module)


_install_registration_hook()


def _reset_for_tests() -> None:
    """Forget assumed credentials and the source session (tests switch emulators and variables)."""
    global _settings_cache
    _role_credentials.clear()
    with _source._lock:
        _source._session = None
        _source._region = None
    _settings_cache = None
