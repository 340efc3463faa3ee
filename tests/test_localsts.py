"""The local STS behaves like AWS where hats depends on it: MFA codes, MFA roles, chains, accounts."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys

import boto3
import pytest
from botocore.exceptions import ClientError

from tui.sandbox.localsts import LocalSTS

A, B, C, D = "111111111111", "222222222222", "333333333333", "444444444444"
BAD_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code. "


@pytest.fixture(scope="module")
def sts():
    """One server for the module: alice in A with an MFA device, roles in B, C and D, a bucket each in A and B."""
    with LocalSTS() as server:
        server.alice = server.create_user(A, "alice")
        server.serial, _ = server.create_mfa_device(A, "alice", "alice-phone")
        server.admin = server.create_role(B, "admin", A, require_mfa=True)
        server.reader = server.create_role(B, "reader", A)
        server.long = server.create_role(B, "long", A, max_session_duration=7200)
        server.stranger = server.create_role(B, "stranger", C)
        server.hop_c = server.create_role(C, "hop", B)
        server.hop_d = server.create_role(D, "deep", C, require_mfa=True)
        server.create_bucket(A, "bucket-of-a")
        server.create_bucket(B, "bucket-of-b")
        yield server


def keys(creds) -> dict:
    """boto3 keyword arguments from a (key, secret) pair or an STS Credentials dict."""
    if isinstance(creds, tuple):
        return {"aws_access_key_id": creds[0], "aws_secret_access_key": creds[1]}
    return {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"]}


def client(sts, creds, service="sts"):
    return boto3.session.Session(region_name="us-east-1", **keys(creds)).client(service, endpoint_url=sts.url)


def assume(sts, creds, role_arn, **extra) -> dict:
    return client(sts, creds).assume_role(RoleArn=role_arn, RoleSessionName="tester", **extra)["Credentials"]


def mfa_session(sts, **extra) -> dict:
    code = sts.totp(sts.serial)
    return client(sts, sts.alice).get_session_token(SerialNumber=sts.serial, TokenCode=code, **extra)["Credentials"]


def refusal(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def wrong_code(sts) -> str:
    """A six-digit code that is none of the codes the server accepts right now."""
    valid = {sts.totp(sts.serial, at=dt.datetime.now().timestamp() + step) for step in (-30, 0, 30)}
    return next(code for code in (f"{n:06d}" for n in range(1000000)) if code not in valid)


def aws_cli(sts, tmp_path, creds, *args) -> subprocess.CompletedProcess:
    """The real AWS CLI, with nothing from this machine's AWS setup, pointed at the local server."""
    for name in ("config", "credentials"):
        (tmp_path / name).write_text("")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "AWS_ENDPOINT_URL": sts.url,
           "AWS_CONFIG_FILE": str(tmp_path / "config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
           "AWS_DEFAULT_REGION": "us-east-1"}
    env.update({name.upper(): value for name, value in keys(creds).items()})
    command = [shutil.which("aws")] if shutil.which("aws") else [sys.executable, "-m", "awscli"]
    return subprocess.run([*command, *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=60)


def test_right_code_gives_session_of_requested_length(sts):
    creds = mfa_session(sts, DurationSeconds=900)
    left = creds["Expiration"] - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(seconds=880) < left <= dt.timedelta(seconds=900)
    assert creds["AccessKeyId"].startswith("ASIA")
    assert client(sts, creds).get_caller_identity()["Arn"] == f"arn:aws:iam::{A}:user/alice"


def test_wrong_or_missing_code_is_refused_with_aws_text(sts):
    alice = client(sts, sts.alice)
    bad = wrong_code(sts)
    assert refusal(lambda: alice.get_session_token(SerialNumber=sts.serial, TokenCode=bad)) == ("AccessDenied", BAD_CODE)
    assert refusal(lambda: alice.get_session_token(SerialNumber=sts.serial)) == ("AccessDenied", BAD_CODE)
    code, message = refusal(lambda: alice.get_session_token(SerialNumber=f"arn:aws:iam::{A}:mfa/nope", TokenCode="123456"))
    assert code == "AccessDenied" and "unable to validate MFA code" in message


def test_mfa_role_needs_mfa(sts):
    denied = refusal(lambda: assume(sts, sts.alice, sts.admin))
    assert denied == ("AccessDenied", f"User: arn:aws:iam::{A}:user/alice is not authorized to perform: "
                                      f"sts:AssumeRole on resource: {sts.admin}")
    from_session = assume(sts, mfa_session(sts), sts.admin)
    with_code = assume(sts, sts.alice, sts.admin, SerialNumber=sts.serial, TokenCode=sts.totp(sts.serial))
    for creds in (from_session, with_code):
        assert client(sts, creds).get_caller_identity()["Arn"] == f"arn:aws:sts::{B}:assumed-role/admin/tester"


def test_session_without_mfa_does_not_satisfy_mfa_role(sts):
    plain = client(sts, sts.alice).get_session_token()["Credentials"]
    assert refusal(lambda: assume(sts, plain, sts.admin))[0] == "AccessDenied"
    assert refusal(lambda: client(sts, plain).get_session_token())[0] == "AccessDenied"


def test_role_chaining_is_capped_at_one_hour(sts):
    session = mfa_session(sts)
    code, message = refusal(lambda: assume(sts, session, sts.long, DurationSeconds=7200))
    assert (code, message) == ("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit "
                                                  "for roles assumed by role chaining.")
    assert assume(sts, session, sts.long, DurationSeconds=3600)["Expiration"]
    creds = assume(sts, sts.alice, sts.long, DurationSeconds=7200)
    left = creds["Expiration"] - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(seconds=7100) < left <= dt.timedelta(seconds=7200)


def test_role_max_session_duration_is_enforced(sts):
    code, message = refusal(lambda: assume(sts, sts.alice, sts.reader, DurationSeconds=7200))
    assert (code, message) == ("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")


def test_role_trusting_another_account_refuses(sts):
    assert refusal(lambda: assume(sts, sts.alice, sts.stranger))[0] == "AccessDenied"


def test_three_hop_cross_account_chain_carries_mfa(sts):
    in_b = assume(sts, sts.alice, sts.reader, SerialNumber=sts.serial, TokenCode=sts.totp(sts.serial))
    in_c = assume(sts, in_b, sts.hop_c)
    in_d = assume(sts, in_c, sts.hop_d)
    identity = client(sts, in_d).get_caller_identity()
    assert (identity["Account"], identity["Arn"]) == (D, f"arn:aws:sts::{D}:assumed-role/deep/tester")
    without_mfa = assume(sts, assume(sts, sts.alice, sts.reader), sts.hop_c)
    assert refusal(lambda: assume(sts, without_mfa, sts.hop_d))[0] == "AccessDenied"


def test_aws_cli_sees_user_and_role_identities(sts, tmp_path):
    as_user = aws_cli(sts, tmp_path, sts.alice, "sts", "get-caller-identity")
    assert json.loads(as_user.stdout)["Arn"] == f"arn:aws:iam::{A}:user/alice", as_user.stderr
    as_role = aws_cli(sts, tmp_path, assume(sts, sts.alice, sts.reader), "sts", "get-caller-identity")
    assert json.loads(as_role.stdout)["Arn"] == f"arn:aws:sts::{B}:assumed-role/reader/tester", as_role.stderr


def test_aws_cli_s3_ls_lists_only_that_accounts_buckets(sts, tmp_path):
    in_a = aws_cli(sts, tmp_path, sts.alice, "s3", "ls")
    in_b = aws_cli(sts, tmp_path, assume(sts, sts.alice, sts.reader), "s3", "ls")
    assert "bucket-of-a" in in_a.stdout and "bucket-of-b" not in in_a.stdout, in_a.stderr
    assert "bucket-of-b" in in_b.stdout and "bucket-of-a" not in in_b.stdout, in_b.stderr


def test_unknown_access_key_is_refused(sts, tmp_path):
    stranger = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY")
    assert refusal(lambda: client(sts, stranger).get_caller_identity()) == (
        "InvalidClientTokenId", "The security token included in the request is invalid.")
    listing = aws_cli(sts, tmp_path, stranger, "s3", "ls")
    assert listing.returncode != 0 and "InvalidAccessKeyId" in listing.stderr


def test_reused_code_refused_when_asked(sts):
    code = sts.totp(sts.serial)
    alice = client(sts, sts.alice)
    alice.get_session_token(SerialNumber=sts.serial, TokenCode=code)
    sts.reject_reused_codes = True
    try:
        assert refusal(lambda: alice.get_session_token(SerialNumber=sts.serial, TokenCode=code))[0] == "AccessDenied"
    finally:
        sts.reject_reused_codes = False


def test_calls_are_recorded_and_counted(sts):
    sts.reset_calls()
    alice = client(sts, sts.alice)
    alice.get_caller_identity()
    mfa_session(sts)
    refusal(lambda: alice.get_session_token(SerialNumber=sts.serial, TokenCode=wrong_code(sts)))
    assert sts.count("GetSessionToken") == 1 and sts.count("GetCallerIdentity") == 1
    assert [(c["action"], c["ok"], c["error_code"]) for c in sts.calls] == [
        ("GetCallerIdentity", True, None), ("GetSessionToken", True, None), ("GetSessionToken", False, "AccessDenied")]
    assert all(c["access_key_id"] == sts.alice[0] for c in sts.calls)


def test_binds_only_loopback(sts):
    assert sts.url.startswith("http://127.0.0.1:")


def test_keys_iam_creates_work_and_keys_it_deletes_are_refused(sts):
    iam = client(sts, sts.alice, "iam")
    made = iam.create_access_key(UserName="alice")["AccessKey"]
    new = (made["AccessKeyId"], made["SecretAccessKey"])
    assert client(sts, new).get_caller_identity()["Arn"] == f"arn:aws:iam::{A}:user/alice"
    client(sts, new, "iam").delete_access_key(UserName="alice", AccessKeyId=new[0])
    assert refusal(lambda: client(sts, new).get_caller_identity())[0] == "InvalidClientTokenId"
    assert refusal(lambda: client(sts, new, "iam").list_access_keys(UserName="alice"))[0] == "InvalidClientTokenId"


def test_a_key_iam_just_created_is_refused_until_it_has_propagated(sts):
    sts.key_delay = 3600.0
    try:
        made = client(sts, sts.alice, "iam").create_access_key(UserName="alice")["AccessKey"]
    finally:
        sts.key_delay = 0.0
    new = (made["AccessKeyId"], made["SecretAccessKey"])
    assert refusal(lambda: client(sts, new).get_caller_identity())[0] == "InvalidClientTokenId"
    client(sts, sts.alice, "iam").delete_access_key(UserName="alice", AccessKeyId=new[0])


def test_iam_wants_mfa_from_a_user_session_and_from_a_user_whose_policy_demands_it(sts):
    """As AWS: GetSessionToken keys without MFA may not call IAM, a role session may."""
    plain = client(sts, sts.alice).get_session_token()["Credentials"]
    assert refusal(lambda: client(sts, plain, "iam").list_access_keys(UserName="alice"))[0] == "AccessDenied"
    assert client(sts, mfa_session(sts), "iam").list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert client(sts, assume(sts, sts.alice, sts.reader), "iam").list_roles()["Roles"]  # a role session may
    bob = sts.create_user(A, "bob")
    serial, _ = sts.create_mfa_device(A, "bob", "bob-phone")
    sts.require_mfa_for_iam(A, "bob")
    assert refusal(lambda: client(sts, bob, "iam").list_access_keys(UserName="bob")) == (
        "AccessDenied", f"User: arn:aws:iam::{A}:user/bob is not authorized to perform: iam:ListAccessKeys "
                        "with an explicit deny")
    session = client(sts, bob).get_session_token(SerialNumber=serial, TokenCode=sts.totp(serial))["Credentials"]
    assert client(sts, session, "iam").list_access_keys(UserName="bob")["AccessKeyMetadata"]
