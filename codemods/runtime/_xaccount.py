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
XACCOUNT_ROLE_NAME, XACCOUNT_EXTERNAL_ID, XACCOUNT_ALLOWED_ACCOUNTS, XACCOUNT_SESSION_NAME,
XACCOUNT_DURATION_SECONDS, read at the first call.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import datetime
import functools
import inspect
import logging
import os
import re
import subprocess
import threading
import typing
from typing import Annotated, Any, Callable, Iterator, Optional, TypeVar

import botocore  # type: ignore[import-untyped]
import botocore.credentials  # type: ignore[import-untyped]
import botocore.exceptions  # type: ignore[import-untyped]
import botocore.regions  # type: ignore[import-untyped]
import botocore.session  # type: ignore[import-untyped]
import botocore.signers  # type: ignore[import-untyped]
from pydantic import Field, StringConstraints

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


def check_account_id(value: object, allowed: Optional[frozenset[str]] = None) -> str:
    if not isinstance(value, str) or not _ACCOUNT_ID.fullmatch(value):
        raise CrossAccountError(
            "account-id-invalid",
            f"account_id must be exactly 12 digits (0-9), got {_preview(value)}. "
            "Pass the bare account number, e.g. 123456789012, not an ARN or alias.",
        )
    if allowed is not None and value not in allowed:
        raise CrossAccountError(
            "account-not-allowed",
            f"account {value} is not in XACCOUNT_ALLOWED_ACCOUNTS for this server. "
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


def _config_error(message: str) -> CrossAccountError:
    return CrossAccountError(
        "config-invalid", message + " Fix the variable in the MCP client's server configuration."
    )


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
    raw_allowed = env.get("XACCOUNT_ALLOWED_ACCOUNTS", "").replace(",", " ").split()
    if raw_allowed:
        bad = [a for a in raw_allowed if not _ACCOUNT_ID.fullmatch(a)]
        if bad:
            # Fail closed: a typo in the allowlist must not open the server to every account.
            raise _config_error(
                f"XACCOUNT_ALLOWED_ACCOUNTS has {_preview(bad[0])}, which is not a 12-digit account id."
            )
        allowed = frozenset(raw_allowed)
    session_name = sanitize_session_name(env.get("XACCOUNT_SESSION_NAME") or DEFAULT_SESSION_NAME)
    raw_duration = env.get("XACCOUNT_DURATION_SECONDS") or str(DEFAULT_DURATION_SECONDS)
    if not raw_duration.isascii() or not raw_duration.isdigit() or not (
        MIN_DURATION_SECONDS <= int(raw_duration) <= MAX_DURATION_SECONDS
    ):
        raise _config_error(
            f"XACCOUNT_DURATION_SECONDS must be a whole number of seconds from {MIN_DURATION_SECONDS} "
            f"to {MAX_DURATION_SECONDS}, got {_preview(raw_duration)}."
        )
    return Settings(role_name, external_id, allowed, session_name, int(raw_duration))


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
    error: BaseException, arn: str, region: str, caller_arn: Optional[str], external_id_set: bool
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
            return CrossAccountError(
                "region-disabled",
                f"STS is not enabled in region {region} for the calling account, so {arn} cannot be "
                f"assumed there. Pass a region that is enabled, or activate {region} for STS in the "
                "IAM console (Account settings > Security Token Service endpoints).",
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


def _install_log_filter() -> None:
    for name in _CHATTY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(getattr(f, "__name__", "") == "_quiet_sts_exchange" for f in logger.filters):
            logger.addFilter(_quiet_sts_exchange)


def _in_sts_exchange(fn: Callable[..., Any], *args: Any) -> Any:
    """Run fn in a fresh, empty context: the STS client that assumes the role is never itself
    redirected into the account being assumed (this runs inside an active call), and its
    request and response stay out of DEBUG logs."""

    def run() -> Any:
        _IN_STS_EXCHANGE.set(True)
        return fn(*args)

    return contextvars.Context().run(run)


class RoleCredentials:
    """One refreshable credentials object per (partition, account, role, external id, ...): one
    AssumeRole per key until the credentials near expiry, shared by every thread and task."""

    def __init__(self, source: _SourceIdentity) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._by_key: dict[tuple[Any, ...], Any] = {}

    def clear(self) -> None:
        with self._lock:
            self._by_key.clear()

    def get(self, account_id: str, region: str, settings: Settings) -> Any:
        partition = partition_for(region)
        key = (partition, account_id, settings.role_name, settings.external_id,
               settings.session_name, settings.duration_seconds)
        creds = self._by_key.get(key)  # lock-free fast path: dict reads are atomic
        if creds is not None:
            return creds
        with self._lock:
            creds = self._by_key.get(key)
            if creds is None:
                creds = self._make(role_arn(account_id, settings.role_name, partition), region, settings)
                self._by_key[key] = creds
            return creds

    def _make(self, arn: str, region: str, settings: Settings) -> Any:
        source = self._source
        extra: dict[str, Any] = {
            "RoleSessionName": settings.session_name,
            "DurationSeconds": settings.duration_seconds,
        }
        if settings.external_id is not None:
            extra["ExternalId"] = settings.external_id
        advisory, mandatory = _refresh_windows(settings.duration_seconds)

        def create_client(service: str, **kwargs: Any) -> Any:
            return source.sts_client(region, **kwargs)

        def assume() -> Any:
            try:
                # A new fetcher per refresh: its response cache starts empty, so the refreshable
                # credentials alone decide when AssumeRole runs again (botocore's windows).
                fetcher = botocore.credentials.AssumeRoleCredentialFetcher(
                    client_creator=create_client,
                    source_credentials=source.credentials(),
                    role_arn=arn,
                    extra_args=extra,
                    expiry_window_seconds=mandatory,
                )
                log.info("xaccount: AssumeRole %s (session %s)", arn, settings.session_name)
                return fetcher.fetch_credentials()
            except Exception as error:
                caller = None
                if isinstance(error, botocore.exceptions.ClientError) and str(
                    error.response.get("Error", {}).get("Code")
                ) == "AccessDenied":
                    caller = source.caller_arn(region)
                raise explain_assume_role_failure(
                    error, arn, region, caller, settings.external_id is not None
                ) from error

        def fetch() -> Any:
            # Everything, from resolving the server's own credentials on, runs outside the call.
            result = _in_sts_exchange(assume)
            creds.xaccount_ready = True
            return result

        creds = botocore.credentials.DeferredRefreshableCredentials(
            refresh_using=fetch, method="xaccount-assume-role", time_fetcher=_utc_now
        )
        creds._advisory_refresh_timeout = advisory
        creds._mandatory_refresh_timeout = mandatory
        return creds


_source = _SourceIdentity()
_role_credentials = RoleCredentials(_source)


# ---------------------------------------------------------------------------------------------
# The botocore hook (installed once per process, shared by every vendored copy of this module)
# ---------------------------------------------------------------------------------------------


class Activation:
    """What the hook reads per request. Other copies of this module (a second patched server in the
    same process) read the same two attributes, so keep them."""

    __slots__ = ("account_id", "region", "credentials")

    def __init__(self, account_id: Optional[str], region: Optional[str], credentials: Any) -> None:
        self.account_id = account_id
        self.region = region
        self.credentials = credentials

    def __repr__(self) -> str:  # never the credentials
        return f"Activation(account_id={self.account_id!r}, region={self.region!r})"


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
    """The environment of a child process started during an active call."""
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
    if activation.region:
        result["AWS_REGION"] = result["AWS_DEFAULT_REGION"] = activation.region
    return result


def _install_hook() -> contextvars.ContextVar[Optional[Activation]]:
    """Return the process-wide context variable, installing the hook the first time.

    The state lives on the botocore module, not here: re-importing or reloading this module, or
    two patched servers vendoring their own copy, must share one hook and one variable."""
    existing = getattr(botocore, "_xaccount_active", None)
    if isinstance(existing, contextvars.ContextVar):
        return existing
    active: contextvars.ContextVar[Optional[Activation]] = contextvars.ContextVar(
        "xaccount_active", default=None
    )
    signer_cls = botocore.signers.RequestSigner
    resolver_cls = botocore.regions.EndpointRulesetResolver
    original_builtins = getattr(resolver_cls, "_get_customized_builtins", None)
    if original_builtins is None or not hasattr(signer_cls, "get_auth_instance"):
        # Refuse to run rather than sign silently with the wrong account.
        raise ImportError(
            f"xaccount: botocore {botocore.__version__} is not supported (RequestSigner or "
            "EndpointRulesetResolver changed); upgrade xaccount or pin botocore."
        )

    # Class-level data descriptors win over instance attributes, so signers created before this
    # hook (clients the server already cached) are redirected too. The client's own value stays
    # in the instance dict and is used whenever no account is active.
    def get_credentials(self: Any) -> Any:
        activation = active.get()
        if activation is not None and activation.credentials is not None:
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
            # The endpoint of a client cached for another region follows the call's region.
            builtins[botocore.regions.EndpointResolverBuiltins.AWS_REGION] = activation.region
        return builtins

    signer_cls._credentials = property(get_credentials, set_credentials)
    signer_cls._region_name = property(get_region, set_region)
    resolver_cls._get_customized_builtins = customized_builtins

    # loop.run_in_executor() does not carry the caller's context into the worker thread (unlike
    # asyncio.to_thread): without this, a tool that hands its boto3 work to an executor would run it
    # in the server's own account.
    original_submit = concurrent.futures.ThreadPoolExecutor.submit

    def submit(self: Any, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        if active.get() is not None:
            return original_submit(self, contextvars.copy_context().run, fn, *args, **kwargs)
        return original_submit(self, fn, *args, **kwargs)

    concurrent.futures.ThreadPoolExecutor.submit = submit  # type: ignore[method-assign]

    # A tool may shell out to the AWS CLI (the ECS server runs `aws ecr describe-images`). A child
    # process reads credentials from its environment, where it would find the server's own: during
    # an active call it gets the account's credentials and region instead, and none of the variables
    # that would point it back at the server's own identity. asyncio's subprocesses use Popen too.
    original_popen_init = subprocess.Popen.__init__

    def popen_init(self: Any, *args: Any, **kwargs: Any) -> None:
        activation = active.get()
        if activation is not None and (activation.credentials is not None or activation.region):
            if len(args) > _POPEN_ENV_INDEX:
                args = (*args[:_POPEN_ENV_INDEX], child_env(activation, args[_POPEN_ENV_INDEX]),
                        *args[_POPEN_ENV_INDEX + 1:])
            else:
                kwargs["env"] = child_env(activation, kwargs.get("env"))
        original_popen_init(self, *args, **kwargs)

    subprocess.Popen.__init__ = popen_init  # type: ignore[method-assign]
    botocore._xaccount_active = active
    return active


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
        return Activation(
            outer.account_id if outer else None, call_region, outer.credentials if outer else None
        )
    settings = current_settings()
    checked = check_account_id(account_id, settings.allowed_accounts)
    hint = check_region(sts_region) if sts_region else None
    endpoint_region = call_region or hint or _source.default_region() or "us-east-1"
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


def _resolved_signature(fn: Callable[..., Any]) -> Optional[inspect.Signature]:
    """The signature with string annotations (`from __future__ import annotations`) resolved in the
    tool's own module. Recent FastMCP resolves them through __wrapped__; older releases evaluate
    them in the wrapper's globals, which are this module's. Real types work for both."""
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception:
        return None
    sig = inspect.signature(fn)
    params = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in sig.parameters.values()]
    return sig.replace(parameters=params, return_annotation=hints.get("return", sig.return_annotation))


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

    if inspect.iscoroutinefunction(fn):

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

        wrapper: Callable[..., Any] = async_wrapper
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
    if signature is not None:
        wrapper.__signature__ = signature  # type: ignore[attr-defined]
    return typing.cast(F, wrapper)


# ---------------------------------------------------------------------------------------------
# Parameter types: the JSON schema tells the model what to send
# ---------------------------------------------------------------------------------------------

AccountId = Annotated[
    Optional[Annotated[str, StringConstraints(pattern=ACCOUNT_ID_PATTERN)]],
    Field(
        description=(
            "AWS account ID (12 digits) to run this call in, through the role the xaccount setup "
            "created there. Omit to use the server's own account."
        ),
    ),
]

Region = Annotated[
    Optional[Annotated[str, StringConstraints(pattern=REGION_PATTERN)]],
    Field(
        description="AWS region for this call, e.g. us-east-1. Omit to use the server's default region.",
    ),
]


def _reset_for_tests() -> None:
    """Forget assumed credentials and the source session (tests switch emulators and variables)."""
    global _settings_cache
    _role_credentials.clear()
    with _source._lock:
        _source._session = None
        _source._region = None
    _settings_cache = None
