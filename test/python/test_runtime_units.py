"""Unit tests of the runtime's pure parts: input checks, settings, partitions, the messages STS failures
become, refresh windows, a child's environment, `aws --profile` removal and log redaction.

No emulator: each test takes milliseconds. The emulator tests (test_runtime_*.py) prove the same
promises end to end; these pin the rules at their edges (the 12th digit, the 900th second, the longest
partition prefix), and they are what `npm run mutate -- runtime` runs first for most mutants.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Iterator

import botocore.exceptions
import pytest
from botocore.awsrequest import AWSResponse
from botocore.credentials import Credentials

from runtime_support import _xaccount as rt

CrossAccountError = rt.CrossAccountError


def code_of(fn: Any, *args: Any) -> str:
    with pytest.raises(CrossAccountError) as caught:
        fn(*args)
    assert str(caught.value).startswith(f"[xaccount:{caught.value.code}] ")
    return str(caught.value.code)


# ---- account ids, regions, partitions, ARNs, session names ---------------------------------------


@pytest.mark.parametrize("value", ["12345678901", "1234567890123", "١٢٣٤٥٦٧٨٩٠١٢", "12345678901a", " 123456789012",
                                   "123456789012\n", "arn:aws:iam::123456789012:root", "", None, 123456789012])
def test_account_id_must_be_exactly_twelve_ascii_digits(value: object) -> None:
    assert code_of(rt.check_account_id, value) == "account-id-invalid"


def test_an_id_that_is_no_account_name_gets_the_generic_hint() -> None:
    with pytest.raises(CrossAccountError) as caught:
        rt.check_account_id("arn:aws:iam::123456789012:root", None, {"prod": "111111111111"})
    assert "Pass the bare account number" in str(caught.value)
    assert "is the name of" not in str(caught.value)


def test_account_id_allowlist() -> None:
    assert rt.check_account_id("123456789012") == "123456789012"
    assert rt.check_account_id("123456789012", None) == "123456789012"
    assert rt.check_account_id("123456789012", frozenset({"123456789012"})) == "123456789012"
    assert code_of(rt.check_account_id, "123456789012", frozenset({"210987654321"})) == "account-not-allowed"
    assert code_of(rt.check_account_id, "123456789012", frozenset()) == "account-not-allowed"
    # The check of the form comes first: a malformed id is never looked up in the list.
    assert code_of(rt.check_account_id, "1234", frozenset({"1234"})) == "account-id-invalid"


def test_hostile_input_is_shown_short_and_quoted() -> None:
    with pytest.raises(CrossAccountError) as caught:
        rt.check_account_id("x" * 500)
    assert "'" + "x" * 36 + "..." in str(caught.value)
    assert "x" * 40 not in str(caught.value)
    exact = "y" * 38  # repr adds the quotes: 40 characters, shown whole
    with pytest.raises(CrossAccountError) as caught:
        rt.check_account_id(exact)
    assert repr(exact) in str(caught.value) and "..." not in str(caught.value).split("got ")[1].split(".")[0]
    assert rt._preview("z" * 38) == repr("z" * 38)
    assert rt._preview("z" * 39) == "'" + "z" * 36 + "..."  # 41 characters quoted: cut to 40


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1", "us-isob-east-1", "ap-southeast-12"])
def test_region_codes_are_accepted(region: str) -> None:
    assert rt.check_region(region) == region


@pytest.mark.parametrize("region", ["US-EAST-1", "us-east-1a", "us-east-123", "useast1", "us-1", "u-east-1", "us-east-",
                                    "us-east-1\n", "us-east-١", "", None, 1])
def test_other_regions_are_refused(region: object) -> None:
    assert code_of(rt.check_region, region) == "region-invalid"


@pytest.mark.parametrize("region,partition", [
    ("us-east-1", "aws"), ("eu-west-1", "aws"), ("cn-north-1", "aws-cn"), ("cn-northwest-1", "aws-cn"),
    ("us-gov-west-1", "aws-us-gov"), ("us-iso-east-1", "aws-iso"), ("us-isob-east-1", "aws-iso-b"),
    ("us-isof-south-1", "aws-iso-f"), ("eu-isoe-west-1", "aws-iso-e"), ("ca-central-1", "aws"),
])
def test_partition_of_each_region(region: str, partition: str) -> None:
    assert rt.partition_for(region) == partition
    assert rt.role_arn("123456789012", "Role", partition) == f"arn:{partition}:iam::123456789012:role/Role"


def test_session_names() -> None:
    assert rt.sanitize_session_name("alice@example.com") == "alice@example.com"
    assert rt.sanitize_session_name("my session/1!") == "my-session-1-"
    assert rt.sanitize_session_name("a" * 100) == "a" * 64
    assert rt.sanitize_session_name("ab") == "ab"
    assert rt.sanitize_session_name("a") == rt.DEFAULT_SESSION_NAME
    assert rt.sanitize_session_name("") == rt.DEFAULT_SESSION_NAME


# ---- settings ---------------------------------------------------------------------------------------


def test_settings_defaults() -> None:
    assert rt.parse_settings({}) == rt.Settings("McpReadOnlyRole", None, None, "xaccount-mcp", 3600, 10_000)
    empty = {k: "" for k in ("XACCOUNT_ROLE_NAME", "XACCOUNT_EXTERNAL_ID", "XACCOUNT_SESSION_NAME",
                             "XACCOUNT_DURATION_SECONDS", "XACCOUNT_CACHE_SIZE")}
    assert rt.parse_settings(empty) == rt.parse_settings({})


def test_settings_values() -> None:
    s = rt.parse_settings({
        "XACCOUNT_ROLE_NAME": "Read+Only=,.@_-1",
        "XACCOUNT_EXTERNAL_ID": "ab",
        "XACCOUNT_ALLOWED_ACCOUNTS": "111111111111, 222222222222\t333333333333,,",
        "XACCOUNT_SESSION_NAME": "team ops",
        "XACCOUNT_DURATION_SECONDS": "900",
        "XACCOUNT_CACHE_SIZE": "1",
    })
    assert s == rt.Settings("Read+Only=,.@_-1", "ab", frozenset({"111111111111", "222222222222", "333333333333"}),
                            "team-ops", 900, 1)
    assert rt.parse_settings({"XACCOUNT_ROLE_NAME": "R" * 64}).role_name == "R" * 64
    assert rt.parse_settings({"XACCOUNT_EXTERNAL_ID": "e:/" + "x" * 1221}).external_id == "e:/" + "x" * 1221
    assert rt.parse_settings({"XACCOUNT_DURATION_SECONDS": "43200"}).duration_seconds == 43200
    assert rt.parse_settings({"XACCOUNT_CACHE_SIZE": "1000000"}).cache_size == 1_000_000


@pytest.mark.parametrize("env", [
    {"XACCOUNT_ROLE_NAME": "R" * 65},
    {"XACCOUNT_ROLE_NAME": "my role"},
    {"XACCOUNT_ROLE_NAME": "role/path"},
    {"XACCOUNT_EXTERNAL_ID": "x"},
    {"XACCOUNT_EXTERNAL_ID": "x" * 1225},
    {"XACCOUNT_EXTERNAL_ID": "has space"},
    {"XACCOUNT_ALLOWED_ACCOUNTS": ""},
    {"XACCOUNT_ALLOWED_ACCOUNTS": " , "},
    {"XACCOUNT_ALLOWED_ACCOUNTS": "\t"},
    {"XACCOUNT_ALLOWED_ACCOUNTS": "111111111111,22222222222"},
    {"XACCOUNT_ALLOWED_ACCOUNTS": "111111111111;222222222222"},
    {"XACCOUNT_DURATION_SECONDS": "899"},
    {"XACCOUNT_DURATION_SECONDS": "43201"},
    {"XACCOUNT_DURATION_SECONDS": "3600s"},
    {"XACCOUNT_DURATION_SECONDS": "-3600"},
    {"XACCOUNT_DURATION_SECONDS": "٣٦٠٠"},
    {"XACCOUNT_CACHE_SIZE": "0"},
    {"XACCOUNT_CACHE_SIZE": "1000001"},
    {"XACCOUNT_CACHE_SIZE": "ten"},
    {"XACCOUNT_CACHE_SIZE": "١٠"},
])
def test_bad_settings_are_refused(env: dict[str, str]) -> None:
    assert code_of(rt.parse_settings, env) == "config-invalid"


def test_a_bad_number_is_shown_in_its_error() -> None:
    with pytest.raises(CrossAccountError) as caught:
        rt.parse_settings({"XACCOUNT_CACHE_SIZE": "ten"})
    assert "XACCOUNT_CACHE_SIZE" in str(caught.value) and "got 'ten'." in str(caught.value)


def test_a_bad_external_id_is_not_repeated_in_the_error() -> None:
    with pytest.raises(CrossAccountError) as caught:
        rt.parse_settings({"XACCOUNT_EXTERNAL_ID": "secret value!"})
    assert "secret" not in str(caught.value)
    assert "XACCOUNT_EXTERNAL_ID" in str(caught.value)


def test_settings_are_read_once_and_a_bad_value_is_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    rt._reset_for_tests()
    try:
        monkeypatch.setenv("XACCOUNT_DURATION_SECONDS", "1")
        assert code_of(rt.current_settings) == "config-invalid"
        monkeypatch.setenv("XACCOUNT_DURATION_SECONDS", "1800")
        assert rt.current_settings().duration_seconds == 1800
        monkeypatch.setenv("XACCOUNT_DURATION_SECONDS", "2700")
        assert rt.current_settings().duration_seconds == 1800
    finally:
        rt._reset_for_tests()



# ---- XACCOUNT_ACCOUNTS (name=id list) -----------------------------------------------------------------

A, B = "111111111111", "222222222222"


def test_an_account_list_keeps_order_names_and_bare_ids() -> None:
    assert rt.parse_account_list(f" prod={A} ,, dev={B} ") == [(A, "prod"), (B, "dev")]
    # A bare id is an entry without a name, wherever it stands (one after it is still read).
    assert rt.parse_account_list(f"{A},dev={B}") == [(A, None), (B, "dev")]
    assert rt.parse_account_list(f"{A}") == [(A, None)]
    # Exact repeats count once; a bare id repeating a named one (either order) keeps the name.
    assert rt.parse_account_list(f"prod={A},prod={A},{A}") == [(A, "prod")]
    assert rt.parse_account_list(f"{A},prod={A}") == [(A, "prod")]
    assert rt.parse_account_list(f"{A},{A}") == [(A, None)]
    # Names are 1-64 of ASCII letters, digits, '.', '_' and '-'.
    assert rt.parse_account_list(f"p.r_o-d9={A},{'n' * 64}={B}") == [(A, "p.r_o-d9"), (B, "n" * 64)]


def account_list_error(raw: str) -> str:
    with pytest.raises(CrossAccountError) as caught:
        rt.parse_account_list(raw)
    assert caught.value.code == "config-invalid"
    message = str(caught.value)
    assert message.startswith("[xaccount:config-invalid] XACCOUNT_ACCOUNTS ")
    return message


@pytest.mark.parametrize("raw,says", [
    # Each rule, and the error names the variable, the offending entry or name, and what is wrong.
    ("", "is set but names no account."),
    (" , ,", "is set but names no account."),
    ("prod=11111111111", "has 'prod=11111111111', whose account id is not 12 digits."),
    ("prod", "has 'prod', whose account id is not 12 digits."),
    (f"{A}x", f"has '{A}x', whose account id is not 12 digits."),
    (f"={A}", "has the account name '': names are"),
    (f"pro d={A}", "has the account name 'pro d': names are"),
    (f"prød={A}", "has the account name 'prød': names are"),
    (f"{'n' * 65}={A}", "has the account name 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...: names are"),
    (f"333333333333={A}", "has the account name '333333333333': names are"),
    # The last '=' splits: what is left of it is the name, and a name never holds '='.
    (f"a=b={A}", "has the account name 'a=b': names are"),
    (f"prod={A},prod={B}", "names two accounts 'prod': give each its own name."),
    (f"prod={A},live={A}", f"gives account {A} two names: give it one."),
])
def test_each_account_list_rule_has_its_error(raw: str, says: str) -> None:
    assert says in account_list_error(raw)


# ---- the caller named in an AccessDenied message ------------------------------------------------------


def test_the_caller_is_asked_in_the_calls_region_with_the_servers_whole_credentials(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """GetCallerIdentity (it names the principal to trust when AssumeRole is refused) goes to STS in the
    call's region and carries the server's session token: temporary credentials without their token are
    refused by AWS (moto accepts them, so this is checked on the signed request, which never leaves)."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAHOSTKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "host-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "host-token")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    sent: list[Any] = []

    def answer(request: Any, **_: Any) -> Any:
        sent.append(request)
        body = (b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                b"<GetCallerIdentityResult><Arn>" + CALLER.encode() + b"</Arn><UserId>AIDA</UserId>"
                b"<Account>999999999999</Account></GetCallerIdentityResult>"
                b"<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>")
        return AWSResponse(request.url, 200, {}, RawBody(body))

    source = rt._SourceIdentity()
    source.session().register("before-send.sts.GetCallerIdentity", answer)
    assert source.caller_arn("eu-west-2") == CALLER
    (request,) = sent
    assert request.url.startswith("https://sts.eu-west-2.amazonaws.com")
    assert request.headers["X-Amz-Security-Token"] == b"host-token"
    assert b"Credential=ASIAHOSTKEY/" in request.headers["Authorization"]
    assert b"/eu-west-2/sts/aws4_request" in request.headers["Authorization"]


class RawBody:
    """The raw stream botocore reads a response body from."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


# ---- STS failures -----------------------------------------------------------------------------------

ARN = "arn:aws:iam::111111111111:role/McpReadOnlyRole"
CALLER = "arn:aws:sts::999999999999:assumed-role/HostRole/i-0abc"


def client_error(code: str, message: str = "nope") -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": message}}, "AssumeRole")


def test_trust_principal_of_a_caller() -> None:
    assert rt.trust_principal_for(CALLER) == "arn:aws:iam::999999999999:role/HostRole"
    assert rt.trust_principal_for("arn:aws-cn:sts::999999999999:assumed-role/R-1/s/x") == "arn:aws-cn:iam::999999999999:role/R-1"
    user = "arn:aws:iam::999999999999:user/alice"
    assert rt.trust_principal_for(user) == user
    assert rt.trust_principal_for("arn:aws:sts::99999:assumed-role/R/s") == "arn:aws:sts::99999:assumed-role/R/s"
    assert rt.trust_principal_for("arn:aws:sts::999999999999:assumed-role/R/") == "arn:aws:sts::999999999999:assumed-role/R/"


@pytest.mark.parametrize("code,expected", [
    ("AccessDenied", "assume-role-denied"),
    ("Throttling", "sts-throttled"), ("ThrottlingException", "sts-throttled"),
    ("RequestLimitExceeded", "sts-throttled"), ("TooManyRequestsException", "sts-throttled"),
    ("ExpiredToken", "source-credentials-expired"), ("ExpiredTokenException", "source-credentials-expired"),
    ("RequestExpired", "source-credentials-expired"),
    ("InvalidClientTokenId", "source-credentials-invalid"), ("UnrecognizedClientException", "source-credentials-invalid"),
    ("SignatureDoesNotMatch", "source-credentials-invalid"),
    ("RegionDisabledException", "region-disabled"),
    ("MalformedPolicyDocument", "assume-role-failed"), ("", "assume-role-failed"),
])
def test_each_sts_error_code_gets_its_own_error(code: str, expected: str) -> None:
    error = rt.explain_assume_role_failure(client_error(code), ARN, "eu-west-1", CALLER, False)
    assert error.code == expected
    assert ARN in str(error)


def test_access_denied_names_the_principal_to_trust_and_the_external_id_flag() -> None:
    with_id = str(rt.explain_assume_role_failure(client_error("AccessDenied", "AWS text"), ARN, "us-east-1", CALLER, True))
    assert "account 111111111111" in with_id
    assert f"denied for {CALLER}" in with_id
    assert "xaccount create-role --trust-principal arn:aws:iam::999999999999:role/HostRole --external-id" in with_id
    assert "with this external id" in with_id and with_id.endswith("AWS said: AWS text")
    without = str(rt.explain_assume_role_failure(client_error("AccessDenied"), ARN, "us-east-1", CALLER, False))
    assert "--external-id" not in without and "external id" not in without
    unknown = str(rt.explain_assume_role_failure(client_error("AccessDenied"), ARN, "us-east-1", None, False))
    assert "GetCallerIdentity failed" in unknown and "--trust-principal <this server's role or user ARN>" in unknown


def test_region_disabled_names_every_region_tried() -> None:
    text = str(rt.explain_assume_role_failure(client_error("RegionDisabledException"), ARN, "me-south-1", CALLER, False,
                                              ("us-east-1", "eu-west-1")))
    assert "STS is not enabled in region me-south-1 nor in us-east-1 nor in eu-west-1 for" in text
    alone = str(rt.explain_assume_role_failure(client_error("RegionDisabledException"), ARN, "me-south-1", CALLER, False))
    assert "region me-south-1 for" in alone


def test_other_sts_errors_carry_aws_words_and_the_duration_hint_when_it_applies() -> None:
    text = str(rt.explain_assume_role_failure(client_error("ValidationError", "DurationSeconds exceeds the 1 hour limit."), ARN,
                                              "us-east-1", CALLER, False))
    assert f"AssumeRole into {ARN} failed: ValidationError: DurationSeconds exceeds the 1 hour limit. Lower XACCOUNT_DURATION_SECONDS" in text
    plain = str(rt.explain_assume_role_failure(client_error("ValidationError", "bad"), ARN, "us-east-1", CALLER, False))
    assert plain.endswith("failed: ValidationError: bad.")


@pytest.mark.parametrize("error,expected", [
    (botocore.exceptions.NoCredentialsError(), "source-credentials-invalid"),
    (botocore.exceptions.PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"), "source-credentials-invalid"),
    (botocore.exceptions.CredentialRetrievalError(provider="process", error_msg="x"), "source-credentials-invalid"),
    (botocore.exceptions.TokenRetrievalError(provider="sso", error_msg="x"), "source-credentials-expired"),
    (botocore.exceptions.SSOError(), "source-credentials-expired"),
    (ConnectionError("refused"), "assume-role-failed"),
])
def test_failures_that_are_not_sts_answers(error: BaseException, expected: str) -> None:
    out = rt.explain_assume_role_failure(error, ARN, "ap-south-1", CALLER, False)
    assert out.code == expected
    assert type(error).__name__ in str(out)
    if expected == "assume-role-failed":
        assert "via STS in ap-south-1 failed: ConnectionError: refused" in str(out)



def test_the_fixes_sts_errors_name_are_exact() -> None:
    """What a person copies or looks up from these messages: commands, variable and attribute names, AWS's words."""
    def text(code: str, message: str = "nope", external_id_set: bool = False) -> str:
        return str(rt.explain_assume_role_failure(client_error(code, message), ARN, "me-south-1", CALLER, external_id_set))

    assert "`xaccount create-role --trust-principal arn:aws:iam::999999999999:role/HostRole`, or add" in text("AccessDenied")
    assert ("`xaccount create-role --trust-principal arn:aws:iam::999999999999:role/HostRole --external-id "
            "<the value of XACCOUNT_EXTERNAL_ID>`, or add") in text("AccessDenied", external_id_set=True)
    assert "or a higher XACCOUNT_DURATION_SECONDS means fewer AssumeRole calls." in text("Throttling")
    assert "(e.g. `aws sso login`, or new keys in the environment) and restart the MCP server." in text("ExpiredToken")
    assert ("Check AWS_PROFILE / AWS_ACCESS_KEY_ID in the MCP server's environment (`aws sts get-caller-identity` "
            "with the same settings must work).") in text("InvalidClientTokenId")
    assert "does not let arn:aws:iam::999999999999:role/HostRole assume it, or the caller lacks sts:AssumeRole on it." in text("AccessDenied")
    assert ("(IAM console > Account settings > Security Token Service endpoints), or give the server an AWS_REGION "
            "whose STS is enabled") in text("RegionDisabledException")
    assert text("ValidationError", "DurationSeconds too long.").endswith("or raise the role's MaxSessionDuration.")
    # AWS's own words are kept whole; only a final full stop is dropped (one is added).
    assert text("ValidationError", "Role is not valid: role/MAX.").endswith("failed: ValidationError: Role is not valid: role/MAX.")

# ---- refresh windows ----------------------------------------------------------------------------------


@pytest.mark.parametrize("duration,windows", [(900, (225, 150)), (2400, (600, 400)), (3600, (900, 600)),
                                              (5400, (900, 600)), (43200, (900, 600)), (3601, (900, 600)), (903, (225, 150))])
def test_refresh_windows(duration: int, windows: tuple[int, int]) -> None:
    assert rt._refresh_windows(duration) == windows


# ---- a child's environment ----------------------------------------------------------------------------

SERVER_ENV = {
    "PATH": "/usr/bin", "AWS_PROFILE": "server", "AWS_DEFAULT_PROFILE": "server", "AWS_SECURITY_TOKEN": "old",
    "AWS_ROLE_ARN": "arn:aws:iam::999999999999:role/Server", "AWS_ROLE_SESSION_NAME": "s",
    "AWS_WEB_IDENTITY_TOKEN_FILE": "/t", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/c",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://c", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "a",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/a", "AWS_CREDENTIAL_EXPIRATION": "2030",
    "AWS_ACCESS_KEY_ID": "SERVERKEY", "AWS_SECRET_ACCESS_KEY": "serversecret", "AWS_SESSION_TOKEN": "servertoken",
}


def test_a_child_gets_the_accounts_keys_and_no_way_back_to_the_server() -> None:
    activation = rt.Activation("111111111111", "eu-west-2", Credentials("AK", "SK", "TOK"))
    env = rt.child_env(activation, SERVER_ENV)
    assert env == {
        "PATH": "/usr/bin", "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", "AWS_SESSION_TOKEN": "TOK",
        "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_REGION": "eu-west-2", "AWS_DEFAULT_REGION": "eu-west-2",
    }
    assert SERVER_ENV["AWS_PROFILE"] == "server", "the caller's mapping is not changed"
    # No environment given: the server's own is the base.
    assert rt.child_env(activation, None)["PATH"] == os.environ["PATH"]


def test_a_child_of_keys_without_token_gets_no_stale_token() -> None:
    env = rt.child_env(rt.Activation("111111111111", None, Credentials("AK", "SK")), {**SERVER_ENV, "AWS_REGION": "us-west-1"})
    assert "AWS_SESSION_TOKEN" not in env
    assert env["AWS_REGION"] == "us-west-1" and "AWS_DEFAULT_REGION" not in env
    # None to drop either.
    assert "AWS_SESSION_TOKEN" not in rt.child_env(rt.Activation("111111111111", None, Credentials("AK", "SK")), {"PATH": "/bin"})


def test_a_child_gets_the_servers_default_region_when_nothing_else_names_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rt._source, "default_region", lambda: "sa-east-1")
    env = rt.child_env(rt.Activation("111111111111", None, Credentials("AK", "SK", "T")), {"PATH": "/bin"})
    assert (env["AWS_REGION"], env["AWS_DEFAULT_REGION"]) == ("sa-east-1", "sa-east-1")
    kept = rt.child_env(rt.Activation("111111111111", None, Credentials("AK", "SK", "T")), {"AWS_DEFAULT_REGION": "ca-west-1"})
    assert kept["AWS_DEFAULT_REGION"] == "ca-west-1" and "AWS_REGION" not in kept
    kept = rt.child_env(rt.Activation("111111111111", None, Credentials("AK", "SK", "T")), {"AWS_REGION": "ca-west-1"})
    assert kept["AWS_REGION"] == "ca-west-1" and "AWS_DEFAULT_REGION" not in kept
    monkeypatch.setattr(rt._source, "default_region", lambda: None)
    none = rt.child_env(rt.Activation("111111111111", None, Credentials("AK", "SK", "T")), {})
    assert "AWS_REGION" not in none and "AWS_DEFAULT_REGION" not in none


def test_a_child_of_a_call_without_account_keeps_the_servers_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    assert rt.child_env(rt.Activation(None, None, None), SERVER_ENV) == SERVER_ENV
    assert rt.child_env(rt.Activation(None, "eu-north-1", None), SERVER_ENV) == {
        **SERVER_ENV, "AWS_REGION": "eu-north-1", "AWS_DEFAULT_REGION": "eu-north-1"}
    monkeypatch.setattr(os, "environ", {"FROM_OS": "1"})
    assert rt.child_env(rt.Activation(None, None, None), None) == {"FROM_OS": "1"}


@pytest.mark.parametrize("args,expected", [
    (["aws", "ecr", "get-login-password", "--profile", "server", "--region", "us-east-1"],
     ["aws", "ecr", "get-login-password", "--region", "us-east-1"]),
    (["/usr/local/bin/aws", "--profile=server", "s3", "ls"], ["/usr/local/bin/aws", "s3", "ls"]),
    (("aws.exe", "--profile", "p", "sts", "get-caller-identity"), ("aws.exe", "sts", "get-caller-identity")),
    ([b"aws.cmd", b"--profile", b"p", b"s3"], [b"aws.cmd", b"s3"]),
    (["aws", "s3", "--profile"], ["aws", "s3"]),
    (["aws", "s3", "cp", "--profilex", "y"], ["aws", "s3", "cp", "--profilex", "y"]),
    (["docker", "--profile", "x"], ["docker", "--profile", "x"]),
    (["awscli", "--profile", "x"], ["awscli", "--profile", "x"]),
    ("aws --profile x s3 ls", "aws --profile x s3 ls"),
    ([], []),
    ([42, "--profile", "x"], [42, "--profile", "x"]),
])
def test_aws_command_lines_lose_their_profile(args: Any, expected: Any) -> None:
    out = rt.neutralise_profile_args(args)
    assert out == expected and type(out) is type(expected)


def test_profile_removal_keeps_arguments_that_are_not_text() -> None:
    marker = object()
    assert rt.neutralise_profile_args(["aws", marker, "--profile", "p"]) == ["aws", marker]


# ---- logs ---------------------------------------------------------------------------------------------


def record(msg: str, *args: Any, name: str = "botocore.endpoint", level: int = logging.DEBUG) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, args or None, None)


class Live:
    """What the runtime holds during a call: refreshable credentials, read through their private fields
    (reading the public ones could refresh them, an AssumeRole from inside a log call)."""

    def __init__(self, access: Any, secret: Any, token: Any) -> None:
        self._access_key, self._secret_key, self._token = access, secret, token


def test_redaction_replaces_every_form_of_each_secret() -> None:
    creds = Live("AKIDEXAMPLE", "se/cr+et key", "to/ken=")
    r = record("body: %s %s %s %s", "AKIDEXAMPLE", "se%2Fcr%2Bet%20key", "se%2Fcr%2Bet+key", "to%2Fken%3D")
    rt._redact(r, creds)
    assert r.getMessage() == "body: " + " ".join(["<redacted by xaccount>"] * 4)
    assert r.args is None
    untouched = record("nothing secret %s", "here")
    rt._redact(untouched, creds)
    assert (untouched.msg, untouched.args) == ("nothing secret %s", ("here",))


def test_redaction_reads_frozen_credentials_and_survives_broken_records() -> None:
    class Refreshable:
        _access_key = _secret_key = _token = None
        _frozen_credentials = Credentials("AK-FROZEN", "SK-FROZEN", None).get_frozen_credentials()

    r = record("%s and %s", "AK-FROZEN", "SK-FROZEN")
    rt._redact(r, Refreshable())
    assert "FROZEN" not in r.getMessage()
    assert rt._secrets_of(object()) == []
    assert rt._secrets_of(Live("A", "B", "")) == ["A", "B"]
    assert rt._secrets_of(Live(None, "B", None)) == ["B"]
    broken = record("%s %s", "only one")
    rt._redact(broken, Live("only", "x", None))  # getMessage raises: left as it was
    assert broken.msg == "%s %s"


def test_sts_exchange_logs_are_dropped_below_warning_only_inside_it() -> None:
    debug, warning = record("x"), record("x", level=logging.WARNING)
    assert rt._quiet_sts_exchange(debug) is True
    assert rt._in_sts_exchange(rt._quiet_sts_exchange, debug) is False
    assert rt._in_sts_exchange(rt._quiet_sts_exchange, warning) is True
    assert rt._IN_STS_EXCHANGE.get() is False, "the exchange's flag does not leak out of it"


def test_a_refused_refresh_is_not_logged_twice() -> None:
    def with_exc(error: BaseException) -> logging.LogRecord:
        r = record("Refreshing failed", name="botocore.credentials", level=logging.WARNING)
        r.exc_info = (type(error), error, None)
        return r

    assert rt._quiet_expected_refusal(with_exc(CrossAccountError("account-not-allowed", "x"))) is False
    assert rt._quiet_expected_refusal(with_exc(ValueError("other"))) is True
    assert rt._quiet_expected_refusal(record("plain", name="botocore.credentials")) is True

    class CrossAccountErrorLookalike(Exception):
        pass

    lookalike = CrossAccountErrorLookalike()
    lookalike.__class__.__name__ = "CrossAccountError"
    assert rt._quiet_expected_refusal(with_exc(lookalike)) is True, "only ours, which carry a code"


def test_the_chatty_loggers_are_filtered_once_and_botocore_parsers_among_them() -> None:
    rt._install_log_filter()
    rt._install_log_filter()
    for name in ("botocore.endpoint", "botocore.parsers", "botocore.hooks", "botocore.auth", "botocore.retryhandler",
                 "botocore.retries.standard", "botocore.httpsession", "urllib3.connectionpool"):
        filters = [f for f in logging.getLogger(name).filters if getattr(f, "__name__", "") == "_quiet_sts_exchange"]
        assert len(filters) == 1, name
    refusal = [f for f in logging.getLogger("botocore.credentials").filters if getattr(f, "__name__", "") == "_quiet_expected_refusal"]
    assert len(refusal) == 1


def test_another_copys_log_filters_count_and_foreign_filters_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A second patched server in the process vendors its own copy of the runtime: its filters are other
    function objects with the same names, and they are enough (logging only skips the same object twice)."""
    def _quiet_sts_exchange(record: logging.LogRecord) -> bool:
        return True

    def _quiet_expected_refusal(record: logging.LogRecord) -> bool:
        return True

    names = (*rt._CHATTY_LOGGERS, "botocore.credentials")
    copies = {name: _quiet_expected_refusal if name == "botocore.credentials" else _quiet_sts_exchange for name in names}
    foreign = logging.Filter("someone.else")  # a Filter object has no __name__
    for name in names:
        monkeypatch.setattr(logging.getLogger(name), "filters", [foreign, copies[name]])
    rt._install_log_filter()
    for name in names:
        assert logging.getLogger(name).filters == [foreign, copies[name]], name
    # Without them, this copy's own are added after what is there.
    for name in names:
        monkeypatch.setattr(logging.getLogger(name), "filters", [foreign])
    rt._install_log_filter()
    assert logging.getLogger("botocore.parsers").filters == [foreign, rt._quiet_sts_exchange]
    assert logging.getLogger("botocore.credentials").filters == [foreign, rt._quiet_expected_refusal]


# ---- threads, thread-pool tasks and processes started during a call -----------------------------------


def test_a_thread_started_in_a_call_runs_in_it_and_lets_go_of_the_call_once_done() -> None:
    import threading

    seen: list[Any] = []
    thread = threading.Thread(target=lambda: seen.append(rt.active_account()))
    run_inside(rt.Activation("111111111111", None, Credentials("AK", "SK", "T")), thread.start)
    thread.join()
    assert seen == ["111111111111"]
    # The wrapper that carried the call's context (and its credentials) is gone from the thread.
    assert "run" not in thread.__dict__


def test_a_thread_pool_task_gets_its_arguments_in_its_submitters_account() -> None:
    def task(*args: Any, **kwargs: Any) -> Any:
        return args, kwargs, rt.active_account()

    live = rt.Activation("111111111111", None, Credentials("AK", "SK", "T"))
    assert rt._AsActivation(task, live)(1, key=2) == ((1,), {"key": 2}, "111111111111")
    assert run_inside(live, lambda: rt._AsActivation(task, None)(3)) == ((3,), {}, None)


def test_until_a_first_account_call_nothing_is_activated(monkeypatch: pytest.MonkeyPatch) -> None:
    import botocore

    monkeypatch.delattr(botocore, "_xaccount_used", raising=False)
    assert rt._activated_once() is False
    monkeypatch.setattr(botocore, "_xaccount_used", True, raising=False)
    assert rt._activated_once() is True


def test_a_process_start_method_is_its_class_s_or_the_default() -> None:
    import multiprocessing
    import multiprocessing.process

    assert rt._start_method(multiprocessing.get_context("spawn").Process()) == "spawn"
    assert rt._start_method(multiprocessing.get_context("forkserver").Process()) == "forkserver"
    default = multiprocessing.get_start_method()
    assert rt._start_method(multiprocessing.Process()) == default
    # A class made straight from BaseProcess (no _start_method of its own): the default too.
    direct = type("Direct", (multiprocessing.process.BaseProcess,), {})
    assert rt._start_method(direct.__new__(direct)) == default



def test_s3_express_sessions_are_kept_per_account(monkeypatch: pytest.MonkeyPatch) -> None:
    """One CreateSession per bucket and account: an account's session never signs for another account or the
    server, and the same account reuses its session whichever credentials object carries it."""
    import contextvars

    import botocore.credentials
    import botocore.utils

    class Client:
        sessions = 0

        def create_session(self, Bucket: str) -> dict[str, Any]:
            Client.sessions += 1
            return {"Credentials": {"AccessKeyId": f"S3X{Client.sessions}-{Bucket}", "SecretAccessKey": "s",
                                    "SessionToken": "t", "Expiration": "2099-01-01T00:00:00Z"}}

    class Cache(botocore.utils.S3ExpressIdentityCache):  # hooked here, so the real class is left as it is
        pass

    monkeypatch.setattr(botocore.utils, "S3ExpressIdentityCache", Cache)
    active: contextvars.ContextVar[Any] = contextvars.ContextVar("active", default=None)
    rt._hook_s3express(active)
    cache = Cache(Client(), botocore.credentials.RefreshableCredentials)

    def session_for(credentials: Any, bucket: str = "bucket--use1-az4--x-s3") -> str:
        token = active.set(None if credentials is None else rt.Activation("111111111111", None, credentials))
        try:
            return str(cache.get_credentials(bucket).access_key)
        finally:
            active.reset(token)

    role_a, role_a_refreshed = Credentials("AK", "SK", "T"), Credentials("AK2", "SK2", "T2")
    role_a.xaccount_key = role_a_refreshed.xaccount_key = ("aws", "111111111111", "R", None, "s", 3600)  # type: ignore[attr-defined]
    plain_b, plain_c = Credentials("BK", "SK", "T"), Credentials("CK", "SK", "T")  # keys without an xaccount key
    server = session_for(None)
    a = session_for(role_a)
    assert session_for(role_a) == session_for(role_a_refreshed) == a
    assert len({server, a, session_for(plain_b), session_for(plain_c)}) == 4
    assert session_for(plain_b) != session_for(plain_c) and session_for(None) == server
    # Each bucket its own session, asked for that bucket.
    assert server.endswith("-bucket--use1-az4--x-s3") and a.endswith("-bucket--use1-az4--x-s3")
    assert session_for(None, "other--use1-az4--x-s3").endswith("-other--use1-az4--x-s3")
    assert session_for(role_a, "other--use1-az4--x-s3").endswith("-other--use1-az4--x-s3")
    # A botocore without S3 Express: nothing to hook, and no error.
    monkeypatch.delattr(botocore.utils, "S3ExpressIdentityCache")
    rt._hook_s3express(active)


def test_process_pools_and_processes_hand_each_task_its_submitters_account(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hooks of ProcessPoolExecutor.submit, Pool's apply_async/_map_async/imap/imap_unordered and
    Process.start, installed on stand-ins that record what reaches them (no process is started)."""
    import concurrent.futures
    import contextvars
    import multiprocessing.pool
    import multiprocessing.process

    import botocore

    class Executor:
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
            return self, fn, args, kwargs

    class Pool:
        def apply_async(self, func: Any, *args: Any, **kwargs: Any) -> Any:
            return self, func, args, kwargs

        _map_async = imap = imap_unordered = apply_async

    class ThreadPool(Pool, multiprocessing.pool.ThreadPool):  # a thread pool's type, without its workers
        def __init__(self) -> None:
            pass

        def __del__(self) -> None:
            pass

    class Process:
        _start_method = "spawn"

        def __init__(self, target: Any = None) -> None:
            self._target = target

        def run(self) -> None:
            pass

        def start(self) -> None:
            self.started = True

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Executor)
    monkeypatch.setattr(multiprocessing.pool, "Pool", Pool)
    monkeypatch.setattr(multiprocessing.process, "BaseProcess", Process)
    monkeypatch.setattr(botocore, "_xaccount_used", False, raising=False)
    active: contextvars.ContextVar[Any] = contextvars.ContextVar("active", default=None)
    rt._hook_process_pools(active)
    executor, pool, thread_pool = Executor(), Pool(), ThreadPool()

    def work(*args: Any) -> Any:
        return args

    # Before any account call: exactly as submitted.
    assert executor.submit(work, 1, key=2) == (executor, work, (1,), {"key": 2})
    live = rt.Activation("111111111111", "eu-west-1", Credentials("AK", "SK", "T"))
    active.set(live)
    me, task, args, kwargs = executor.submit(work, 1, key=2)
    assert (me, args, kwargs) == (executor, (1,), {"key": 2})
    assert isinstance(task, rt.ProcessTask) and task.fn is work and task.account_id == "111111111111"
    for method in ("apply_async", "_map_async", "imap", "imap_unordered"):
        me, task, args, kwargs = getattr(pool, method)(work, [1], chunksize=3)
        assert (me, args, kwargs) == (pool, ([1],), {"chunksize": 3}), method
        assert isinstance(task, rt.ProcessTask) and task.fn is work and task.account_id == "111111111111", method
        me, task, args, kwargs = getattr(thread_pool, method)(work, [1], chunksize=3)
        assert (me, args, kwargs) == (thread_pool, ([1],), {"chunksize": 3}), method
        assert isinstance(task, rt._AsActivation) and task.fn is work and task.activation is live, method
    # A Process started with spawn or forkserver takes the account through its target; with fork it
    # inherits it, and its target is left alone; so is one without a target, or with one already carried.
    spawned = Process(target=work)
    spawned.start()
    assert isinstance(spawned._target, rt.ProcessTask) and spawned._target.fn is work and spawned.started
    assert spawned._target.account_id == "111111111111"
    forked = type("ForkProcess", (Process,), {"_start_method": "fork"})(target=work)
    forked.start()
    assert forked._target is work
    bare = Process()
    bare.start()
    assert bare._target is None
    carried = rt.ProcessTask.of(work, live)
    again = Process(target=carried)
    again.start()
    assert again._target is carried
    own_run = type("Worker", (Process,), {"run": lambda self: None})()
    with pytest.raises(CrossAccountError) as caught:
        own_run.start()
    assert caught.value.code == "process-not-covered"
    assert "Worker overrides run() and starts with 'spawn', so xaccount cannot hand it account 111111111111's" in str(caught.value)


def test_a_thread_pool_executor_task_gets_its_arguments_in_each_state(monkeypatch: pytest.MonkeyPatch) -> None:
    import concurrent.futures

    import botocore

    def task(*args: Any, **kwargs: Any) -> Any:
        return args, kwargs, rt.active_account()

    live = rt.Activation("111111111111", None, Credentials("AK", "SK", "T"))
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        for used in (False, True):  # before and after a first account call
            monkeypatch.setattr(botocore, "_xaccount_used", used, raising=False)
            assert pool.submit(task, 1, key=2).result() == ((1,), {"key": 2}, None)
            assert run_inside(live, lambda: pool.submit(task, 1, key=2).result()) == ((1,), {"key": 2}, "111111111111")


def test_the_log_record_factory_takes_what_a_log_record_takes() -> None:
    record = logging.getLogRecordFactory()("n", logging.INFO, "p.py", 1, "m", (), None, func="f", sinfo="stack")
    assert (record.funcName, record.stack_info) == ("f", "stack")


def test_a_child_process_of_a_call_gets_its_region_and_aws_without_profile(tmp_path: Any) -> None:
    """subprocess in every form it is called (positional arguments, args=), run for real (the hook is in this
    process; the children are `env` and a stand-in `aws` that prints its arguments)."""
    import subprocess

    aws = tmp_path / "aws"
    aws.write_text('#!/bin/sh\necho "$@"\n')
    aws.chmod(0o755)
    region_only = rt.Activation(None, "eu-west-3", None)  # a call that named only a region
    env = run_inside(region_only, lambda: subprocess.run(["env"], capture_output=True, text=True).stdout)
    assert "AWS_REGION=eu-west-3" in env.splitlines()
    live = rt.Activation("111111111111", "eu-west-1", Credentials("AK", "SK", "T"))
    by_keyword = run_inside(live, lambda: subprocess.run(args=[str(aws), "--profile", "p", "s3", "ls"],
                                                         capture_output=True, text=True).stdout)
    assert by_keyword == "s3 ls\n"
    positional = run_inside(live, lambda: subprocess.Popen([str(aws), "--profile=p", "s3", "ls"], -1, None, None,
                                                           subprocess.PIPE).communicate()[0])
    assert positional == b"s3 ls\n"
    # The environment given (by keyword or in its position) is the base of the child's, and the arguments
    # after it keep their places.
    mark = {"XA_MARK": "given", "PATH": os.environ["PATH"]}
    seen = run_inside(live, lambda: subprocess.run(["env"], env=mark, capture_output=True, text=True).stdout)
    assert "XA_MARK=given" in seen.splitlines() and "AWS_ACCESS_KEY_ID=AK" in seen.splitlines()
    ten = ["env"], -1, None, None, subprocess.PIPE, None, None, True, False, None  # up to cwd: env by keyword
    assert "AWS_ACCESS_KEY_ID=AK" in run_inside(live, lambda: subprocess.Popen(*ten).communicate()[0].decode())
    twelve = (*ten, mark, True)  # env, then universal_newlines (text output)
    seen = run_inside(live, lambda: subprocess.Popen(*twelve).communicate()[0])
    assert isinstance(seen, str) and "XA_MARK=given" in seen.splitlines() and "AWS_ACCESS_KEY_ID=AK" in seen.splitlines()


def test_exec_and_spawn_children_of_a_call_get_the_accounts_keys_and_aws_without_profile(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """os.spawnv/os.spawnve (fork, then os.execv/os.execve in the child) and os.posix_spawn, in and out of a call."""
    out = tmp_path / "out"
    aws = tmp_path / "aws"
    aws.write_text(f'#!/bin/sh\necho "$* key=$AWS_ACCESS_KEY_ID mark=$XA_MARK" | tee {out}\n')
    aws.chmod(0o755)
    argv = [str(aws), "--profile", "p", "s3"]
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")  # posix_spawnp searches this process's PATH
    mark = {"PATH": os.environ["PATH"], "XA_MARK": "given"}
    live = rt.Activation("111111111111", "eu-west-1", Credentials("AK", "SK", "T"))
    stdout = tmp_path / "stdout"  # posix_spawn's options (keyword-only) reach it: its stdout goes there
    to_file = [(os.POSIX_SPAWN_OPEN, 1, str(stdout), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)]

    def child_saw(start: Any) -> str:
        out.unlink(missing_ok=True)
        assert start() == 0
        return out.read_text()

    def posix_spawn() -> int:
        return os.waitstatus_to_exitcode(os.waitpid(os.posix_spawn(str(aws), argv, mark, file_actions=to_file), 0)[1])

    def posix_spawnp() -> int:  # found on PATH
        return os.waitstatus_to_exitcode(os.waitpid(os.posix_spawnp("aws", argv, mark, file_actions=to_file), 0)[1])

    assert child_saw(lambda: run_inside(live, lambda: os.spawnv(os.P_WAIT, str(aws), argv))) == "s3 key=AK mark=\n"
    assert child_saw(lambda: run_inside(live, lambda: os.spawnve(os.P_WAIT, str(aws), argv, mark))) == "s3 key=AK mark=given\n"
    assert child_saw(lambda: run_inside(live, posix_spawn)) == "s3 key=AK mark=given\n" == stdout.read_text()
    assert child_saw(lambda: run_inside(live, posix_spawnp)) == "s3 key=AK mark=given\n" == stdout.read_text()
    own_key = os.environ.get("AWS_ACCESS_KEY_ID", "")
    assert child_saw(lambda: os.spawnv(os.P_WAIT, str(aws), argv)) == f"--profile p s3 key={own_key} mark=\n"
    assert child_saw(lambda: os.spawnve(os.P_WAIT, str(aws), argv, mark)) == "--profile p s3 key= mark=given\n"
    assert child_saw(posix_spawn) == "--profile p s3 key= mark=given\n" == stdout.read_text()
    assert child_saw(posix_spawnp) == "--profile p s3 key= mark=given\n" == stdout.read_text()


def test_os_system_in_a_call_runs_with_the_accounts_keys_and_returns_a_wait_status(tmp_path: Any) -> None:
    out = tmp_path / "out"
    live = rt.Activation("111111111111", "eu-west-1", Credentials("AK", "SK", "T"))
    assert run_inside(live, lambda: os.system(f'echo "$AWS_ACCESS_KEY_ID $AWS_REGION" > {out}')) == 0
    assert out.read_text() == "AK eu-west-1\n"
    # What os.system itself returns: the exit code in the high byte, a killing signal in the low one.
    for command, status in (("exit 3", 3 << 8), ("kill -9 $$", 9), ("exit 0", 0)):
        assert os.system(command) == status, command
        assert run_inside(live, lambda: os.system(command)) == status, command

# ---- signatures ---------------------------------------------------------------------------------------


def test_python_3_10s_implicit_optional_is_undone_only_where_it_hid_the_annotated_metadata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import inspect
    from typing import Annotated, Optional, Union

    annotated = Annotated[str, "metadata"]
    none_default = inspect.Parameter("p", inspect.Parameter.KEYWORD_ONLY, default=None)
    other_default = inspect.Parameter("p", inspect.Parameter.KEYWORD_ONLY, default="x")
    # From 3.11 get_type_hints adds no Optional: a hint is the tool's own, kept as written.
    monkeypatch.setattr(rt, "_IMPLICIT_OPTIONAL", False)
    assert rt._undo_implicit_optional(Optional[annotated], none_default) == Optional[annotated]
    monkeypatch.setattr(rt, "_IMPLICIT_OPTIONAL", True)
    assert rt._undo_implicit_optional(Optional[annotated], none_default) == annotated
    assert rt._undo_implicit_optional(Optional[annotated], other_default) == Optional[annotated]
    assert rt._undo_implicit_optional(Optional[str], none_default) == Optional[str]
    assert rt._undo_implicit_optional(Union[annotated, int, None], none_default) == Union[annotated, int, None]
    assert rt._undo_implicit_optional(annotated, none_default) == annotated



def test_on_python_3_10_a_tools_signature_keeps_account_ids_description(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python 3.10's get_type_hints makes `account_id: AccountId = None` Optional[AccountId], which hides the
    Annotated metadata (the description FastMCP puts in the schema): the resolved signature undoes it."""
    import inspect
    import typing
    from typing import Optional

    def tool(name: str, account_id: rt.AccountId = None) -> str:
        return name

    real = typing.get_type_hints

    def as_on_3_10(fn: Any, **options: Any) -> dict[str, Any]:
        defaults = {n: p.default for n, p in inspect.signature(fn).parameters.items()}
        return {n: Optional[h] if n in defaults and defaults[n] is None else h for n, h in real(fn, **options).items()}

    monkeypatch.setattr(typing, "get_type_hints", as_on_3_10)
    monkeypatch.setattr(rt, "_IMPLICIT_OPTIONAL", True)  # what the runtime decides from 3.10's version
    signature = rt._resolved_signature(tool)
    assert signature is not None
    assert signature.parameters["account_id"].annotation == rt.AccountId
    assert signature.parameters["name"].annotation is str and signature.return_annotation is str

# ---- tasks handed to other processes, and aiobotocore's view of credentials --------------------------


def seen_in_task() -> tuple[Any, ...]:
    activation = rt._shared_active().get()
    if activation is None:
        return (None,)
    creds = activation.credentials
    if creds is None:
        return (activation.account_id, activation.region, None)
    frozen = creds.get_frozen_credentials()
    return (activation.account_id, activation.region, tuple(frozen)[:3], creds.method, creds.xaccount_key)


def run_inside(activation: Any, fn: Any) -> Any:
    token = rt._shared_active().set(activation)
    try:
        return fn()
    finally:
        rt._shared_active().reset(token)


def test_a_process_task_runs_in_the_account_it_carries_whatever_the_worker_was_doing() -> None:
    task = rt.ProcessTask(seen_in_task, "111111111111", "eu-west-1", ("AK", "SK", "TOK"))
    outer = rt.Activation("222222222222", "us-east-1", Credentials("OTHER", "X", None))
    expected = ("111111111111", "eu-west-1", ("AK", "SK", "TOK"), "xaccount-process-task", ("process", "111111111111", "AK"))
    assert task() == expected
    assert run_inside(outer, task) == expected
    # After the task, the worker is back where it was.
    assert run_inside(outer, lambda: (task(), rt._shared_active().get())[1]) is outer


def test_a_process_task_passes_its_arguments_through() -> None:
    task = rt.ProcessTask(lambda *a, **k: (a, k), "111111111111", None, ("AK", "SK", None))
    assert task(1, 2, x=3) == ((1, 2), {"x": 3})


def test_a_process_task_of_the_servers_own_call_never_runs_as_another_account() -> None:
    outer = rt.Activation("222222222222", "us-east-1", Credentials("OTHER", "X", None))
    assert run_inside(outer, rt.ProcessTask(seen_in_task, None, None, None)) == (None,)
    assert run_inside(outer, rt.ProcessTask(seen_in_task, None, "ap-south-1", None)) == (None, "ap-south-1", None)
    assert run_inside(outer, rt.ProcessTask(seen_in_task, "111111111111", None, None)) == ("111111111111", None, None)


def test_a_process_task_restores_the_worker_when_it_raises() -> None:
    def boom() -> None:
        raise RuntimeError("task failed")

    outer = rt.Activation("222222222222", None, None)
    task = rt.ProcessTask(boom, "111111111111", None, ("AK", "SK", None))

    def call() -> Any:
        with pytest.raises(RuntimeError):
            task()
        return rt._shared_active().get()

    assert run_inside(outer, call) is outer


def test_a_process_task_is_made_from_the_activation_of_its_submitter() -> None:
    assert vars_of(rt.ProcessTask.of(len, None)) == (len, None, None, None)
    live = rt.Activation("111111111111", "eu-west-1", Credentials("AK", "SK", "TOK"))
    assert vars_of(rt.ProcessTask.of(len, live)) == (len, "111111111111", "eu-west-1", ("AK", "SK", "TOK"))
    assert vars_of(rt.ProcessTask.of(len, rt.Activation(None, "eu-west-1", None))) == (len, None, "eu-west-1", None)
    shown = repr(rt.ProcessTask.of(len, live))
    assert "111111111111" in shown and "SK" not in shown and "TOK" not in shown


def vars_of(task: Any) -> tuple[Any, ...]:
    return (task.fn, task.account_id, task.region, task.frozen)


def test_aiobotocore_sees_the_calls_credentials_and_account() -> None:
    import asyncio

    creds = Credentials("AK", "SK", "TOK", method="assume-role")
    awaitable = rt.AwaitableCredentials(creds)
    assert awaitable.method == "assume-role" and awaitable.access_key == "AK"
    assert tuple(asyncio.run(awaitable.get_frozen_credentials()))[:3] == ("AK", "SK", "TOK")

    class OwnAio:
        async def get_account_id(self) -> str:
            return "999999999999"

    var: Any = __import__("contextvars").ContextVar("t", default=None)
    with_own = rt.AwaitableContextCredentials(OwnAio(), var)
    assert asyncio.run(with_own.get_account_id()) == "999999999999"
    assert asyncio.run(rt.AwaitableContextCredentials(None, var).get_account_id()) is None
    var.set(rt.Activation("111111111111", None, creds))
    assert asyncio.run(with_own.get_account_id()) == "111111111111"
    var.set(rt.Activation("111111111111", None, None))
    assert asyncio.run(with_own.get_account_id()) == "999999999999"


# ---- generator tools: every step in the call's context -----------------------------------------------


def test_a_driven_generator_gets_what_is_sent_and_thrown_and_closes_in_its_context() -> None:
    import contextvars

    where: contextvars.ContextVar[str] = contextvars.ContextVar("where", default="caller")
    seen: list[Any] = []

    def tool() -> Any:
        seen.append(("start", where.get()))
        try:
            got = yield 1
            seen.append(("sent", got, where.get()))
            try:
                yield 2
            except KeyError as error:
                seen.append(("thrown", error.args[0], where.get()))
                yield 3
            yield 4
        finally:
            seen.append(("closed", where.get()))
        return "done"

    context = contextvars.copy_context()
    context.run(where.set, "call")
    driven = rt._drive(context, tool())
    assert next(driven) == 1
    assert driven.send("hello") == 2
    assert driven.throw(KeyError("k")) == 3
    driven.close()
    assert seen == [("start", "call"), ("sent", "hello", "call"), ("thrown", "k", "call"), ("closed", "call")]
    assert where.get() == "caller"

    finished = rt._drive(context, tool())
    assert [next(finished), finished.send(None), next(finished)] == [1, 2, 4]
    with pytest.raises(StopIteration) as stop:
        next(finished)
    assert stop.value.value == "done"


def test_pool_tasks_are_left_alone_until_the_first_account_call(monkeypatch: pytest.MonkeyPatch) -> None:
    import contextvars
    import multiprocessing.pool

    import botocore

    var: contextvars.ContextVar[Any] = contextvars.ContextVar("active", default=None)
    class Unstarted:  # a pool's type without its workers (only the type is looked at)
        def __init__(self) -> None:
            pass

        def __del__(self) -> None:
            pass

    thread_pool = type("ThreadPool", (Unstarted, multiprocessing.pool.ThreadPool), {})()
    process_pool = type("Pool", (Unstarted, multiprocessing.pool.Pool), {})()
    monkeypatch.setattr(botocore, "_xaccount_used", False, raising=False)
    assert rt._pool_task(process_pool, len, var) is len
    assert rt._pool_task(thread_pool, len, var) is len
    live = rt.Activation("111111111111", "eu-west-1", Credentials("AK", "SK", "T"))
    var.set(live)
    as_thread = rt._pool_task(thread_pool, len, var)
    assert isinstance(as_thread, rt._AsActivation) and as_thread.activation is live
    as_process = rt._pool_task(process_pool, len, var)
    assert isinstance(as_process, rt.ProcessTask) and as_process.account_id == "111111111111"
    var.set(None)
    monkeypatch.setattr(botocore, "_xaccount_used", True)
    # After a first account call, even the server's own tasks say so: None travels explicitly.
    own = rt._pool_task(process_pool, len, var)
    assert isinstance(own, rt.ProcessTask) and (own.account_id, own.region, own.frozen) == (None, None, None)
    own_thread = rt._pool_task(thread_pool, len, var)
    assert isinstance(own_thread, rt._AsActivation) and own_thread.activation is None


def test_secrets_are_found_in_each_form_credentials_hold_them() -> None:
    class Frozen:
        def __init__(self, **values: Any) -> None:
            self.__dict__.update(values)

    class Holder:
        _access_key = _secret_key = _token = None

        def __init__(self, **fields: Any) -> None:
            self.__dict__.update(fields)

    full = Frozen(access_key="AK", secret_key="SK", token="TOK")
    assert rt._secrets_of(Holder(_frozen_credentials=full)) == ["AK", "SK", "TOK"]
    assert rt._secrets_of(Holder(_credentials=full)) == ["AK", "SK", "TOK"]
    assert rt._secrets_of(Holder(_frozen_credentials=None, _credentials=full)) == ["AK", "SK", "TOK"]
    assert rt._secrets_of(Holder(_credentials=Frozen(access_key="AK"))) == ["AK"], "missing fields are skipped"
    assert rt._secrets_of(Holder()) == []


def test_an_awaited_step_gets_what_is_sent_and_thrown_in_its_context() -> None:
    import contextvars

    where: contextvars.ContextVar[str] = contextvars.ContextVar("where_await", default="caller")

    class Step:
        def __await__(self) -> Any:
            got = yield "first"
            return got

    async def body() -> Any:
        try:
            value = await Step()
        except KeyError as error:
            return ("thrown", error.args[0], where.get())
        return ("sent", value, where.get())

    context = contextvars.copy_context()
    context.run(where.set, "call")
    sent = rt._InContext(context, body()).__await__()
    assert next(sent) == "first"
    with pytest.raises(StopIteration) as stop:
        sent.send(42)
    assert stop.value.value == ("sent", 42, "call")
    thrown = rt._InContext(context, body()).__await__()
    next(thrown)
    with pytest.raises(StopIteration) as stop:
        thrown.throw(KeyError("k"))
    assert stop.value.value == ("thrown", "k", "call")
    assert where.get() == "caller"


def test_aiobotocore_refreshes_off_the_event_loop() -> None:
    import asyncio
    import threading

    class Expiring:
        def __init__(self, due: bool) -> None:
            self.due = due
            self.thread: Any = None

        def refresh_needed(self) -> bool:
            return self.due

        def get_frozen_credentials(self) -> str:
            self.thread = threading.current_thread()
            return "frozen"

    due = Expiring(True)
    assert asyncio.run(rt.AwaitableCredentials(due).get_frozen_credentials()) == "frozen"
    assert due.thread is not threading.main_thread(), "a refresh (AssumeRole) must not block the event loop"
    fresh = Expiring(False)
    assert asyncio.run(rt.AwaitableCredentials(fresh).get_frozen_credentials()) == "frozen"
    assert fresh.thread is threading.main_thread()


def test_sts_answers_without_code_or_message_never_show_none() -> None:
    for response in ({}, {"Error": {}}):
        text = str(rt.explain_assume_role_failure(botocore.exceptions.ClientError(response, "AssumeRole"), ARN, "us-east-1", CALLER, False))
        assert "None" not in text and "XX" not in text
        assert f"AssumeRole into {ARN} failed: : ." in text


def test_a_refused_region_is_shown_in_the_error() -> None:
    with pytest.raises(CrossAccountError) as caught:
        rt.check_region("Mars-1")
    assert "got 'Mars-1'" in str(caught.value)
