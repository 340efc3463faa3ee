"""The world builder: the config it writes and the identities it makes in the local STS agree."""

from __future__ import annotations

import configparser

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import DEV, IDENTITY, PROD, WORLD
from tui.sandbox.world import Account, Role, Spec, User, config_text


def profiles(text: str) -> dict[str, dict[str, str]]:
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    return {section.removeprefix("profile "): dict(parser[section]) for section in parser.sections()}


def sts_client(world, credentials=None):
    if credentials is None:
        keys = {"aws_access_key_id": world.key_id, "aws_secret_access_key": world.secret}
    else:
        keys = {"aws_access_key_id": credentials["AccessKeyId"], "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"]}
    return boto3.session.Session(region_name="us-east-1", **keys).client("sts", endpoint_url=world.sts.url)


def assume_profile(world, config: dict[str, dict[str, str]], name: str) -> dict:
    """The profile's role, reached as hats would: an MFA session of the user, then each hop's role_arn."""
    section = config[name]
    if "role_arn" not in section:
        return sts_client(world).get_session_token(SerialNumber=section["mfa_serial"],
                                                   TokenCode=world.code())["Credentials"]
    source = assume_profile(world, config, section["source_profile"])
    return sts_client(world, source).assume_role(RoleArn=section["role_arn"], RoleSessionName="tester")["Credentials"]


def test_every_user_and_role_profile_of_the_config_can_be_assumed_in_its_account(world):
    config = profiles(world.config_text())
    assert [name for name in config if name in {r.name for r in WORLD.roles}] == [r.name for r in WORLD.roles]
    for role in WORLD.roles:
        arn = sts_client(world, assume_profile(world, config, role.name)).get_caller_identity()["Arn"]
        assert arn == f"arn:aws:sts::{role.account}:assumed-role/{role.name}/tester"


def test_a_role_trusts_the_account_of_its_source_and_no_other(world):
    session = sts_client(world).get_session_token(SerialNumber=world.serial, TokenCode=world.code())["Credentials"]
    with pytest.raises(ClientError) as refused:  # prod-hop is assumed from dev-hop, so it trusts DEV only
        sts_client(world, session).assume_role(RoleArn=f"arn:aws:iam::{PROD}:role/prod-hop", RoleSessionName="tester")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"


def test_mfa_roles_refuse_the_user_keys_without_a_code(world):
    for role in WORLD.roles:
        if role.require_mfa:
            with pytest.raises(ClientError) as refused:
                sts_client(world).assume_role(RoleArn=f"arn:aws:iam::{role.account}:role/{role.name}",
                                              RoleSessionName="tester")
            assert refused.value.response["Error"]["Code"] == "AccessDenied", role.name


def test_the_config_names_the_device_aliases_and_settings_where_the_spec_says():
    spec = Spec(accounts=(Account(IDENTITY), Account(DEV, "dev-alias")),
                users=(User("u", IDENTITY, settings={"region": "eu-west-1"}),),
                roles=(Role("hop", DEV, source="u", mfa_serial=True, comment="# the first hop\n"),
                       Role("next", DEV, source="hop", settings={"role_session_name": "me"})),
                header="# head\n", extra_config="[profile extra]\nregion = x\n")
    text = config_text(spec, {"u": "arn:aws:iam::111111111111:mfa/u"})
    assert text.startswith("# head\n\n[profile u]\nmfa_serial = arn:aws:iam::111111111111:mfa/u\n")
    assert "# the first hop\n[profile hop]\n" in text and text.endswith("\n[profile extra]\nregion = x\n")
    config = profiles(text)
    assert config["hop"] == {"source_profile": "u", "role_arn": f"arn:aws:iam::{DEV}:role/hop",
                             "mfa_serial": "arn:aws:iam::111111111111:mfa/u", "hats_account_alias": "dev-alias"}
    assert config["next"] == {"source_profile": "hop", "role_arn": f"arn:aws:iam::{DEV}:role/next",
                              "role_session_name": "me", "hats_account_alias": "dev-alias"}
    assert config["u"] == {"mfa_serial": "arn:aws:iam::111111111111:mfa/u", "region": "eu-west-1"}
