"""hats reads generated config and credentials files as botocore does: hypothesis writes the files
(odd headers, delimiters, comments, sub-sections, BOMs, mostly valid role chains) and
tests/botocore_parity.py reads them with both and compares."""

from __future__ import annotations

import json
import shlex

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.botocore_parity import compare
from tests.test_config_properties import files as files_with

SETTINGS = settings(max_examples=150, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CREDENTIAL_JSON = json.dumps({"Version": 1, "AccessKeyId": "AKIAPROCESSEXAMPLE00", "SecretAccessKey": "not-a-secret"})
PROCESS = f"echo {shlex.quote(CREDENTIAL_JSON)}"  # botocore runs it; it prints credentials and nothing else

NAMES = ["a", "b", "c", "default", "ops-1", "my prof"]
ROLES = ["arn:aws:iam::222222222222:role/r", "arn:aws:iam::333333333333:role/x/y", "arn:aws:iam::2222:role/short"]
MFAS = ["arn:aws:iam::111111111111:mfa/jan", "GAHT12345678", "arn:aws:iam::111:mfa/x"]
VALUES = {
    "role_arn": st.sampled_from(ROLES),
    "source_profile": st.sampled_from([*NAMES, "ghost", "profile a"]),
    "credential_source": st.sampled_from(["Environment", "Ec2InstanceMetadata", "EcsContainer", "Bogus"]),
    "mfa_serial": st.sampled_from(MFAS),
    "duration_seconds": st.sampled_from(["900", "3600", "7200", "43200", "43201", "1h", ""]),
    "external_id": st.sampled_from(["ext-42", ""]),
    "role_session_name": st.sampled_from(["jan", "x y"]),
    "region": st.sampled_from(["eu-west-1", "us-east-1", "", "eu-west-1 # inline", "eu-west-1 ; inline"]),
    "aws_access_key_id": st.sampled_from(["AKIAEXAMPLEEXAMPLE01", ""]),
    "aws_secret_access_key": st.sampled_from(["not-a-real-secret", ""]),
    "aws_session_token": st.just("not-a-real-token"),
    "credential_process": st.just(PROCESS),
    "sso_session": st.sampled_from(["corp", "ghost"]),
    "sso_account_id": st.just("444444444444"),
    "sso_role_name": st.just("Admin"),
    "sso_start_url": st.just("https://example.awsapps.com/start"),
    "sso_region": st.just("eu-west-1"),
    "web_identity_token_file": st.just("/nonexistent/token"),
    "hats_color": st.just("red"),
}
DELIMITERS = st.sampled_from([" = ", "=", " =", "= ", "\t=\t", ": ", " : "])


@st.composite
def setting_lines(draw, keys) -> list[str]:
    key = draw(st.sampled_from(keys))
    spelled = draw(st.sampled_from([key, key, key, key.upper(), key.title()]))  # RawConfigParser lowers keys
    line = f"{spelled}{draw(DELIMITERS)}{draw(VALUES[key])}".rstrip(" ")
    extra = draw(st.sampled_from([[], [], [], ["# a comment"], ["; a comment"], ["  # indented comment"], [""]]))
    return [*extra, line]


SUB_SECTION = st.sampled_from([
    ["s3 =", "    addressing_style = path", "    signature_version = s3v4"],
    ["sts =", "  endpoint_url = http://127.0.0.1:1"],
    ["s3 =", "    bad_syntax @ s3v4"],  # botocore refuses the whole file for this line
])


def header(draw, name: str, in_config: bool) -> str:
    if not in_config:
        return draw(st.sampled_from([f"[{name}]", f"[{name}]", f"[profile {name}]"]))
    if name == "default":
        return draw(st.sampled_from(["[default]", "[default]", "[profile default]", "[Default]"]))
    shapes = [f"[profile {name}]", f'[profile "{name}"]', f"[profile\t{name}]", f"[profile  {name}]",
              f"[profile '{name}']", f"[{name}]", f'[profile "{name}]', f"[profile {name} x]", f"[ profile {name}]"]
    return draw(st.sampled_from(shapes))


@st.composite
def ini_file(draw, in_config: bool) -> str:
    lines: list[str] = []
    if draw(st.integers(0, 9)) == 0:
        lines.append("# generated " + draw(st.sampled_from(["config", "notes"])))
    keys = sorted(VALUES)
    for name in draw(st.lists(st.sampled_from(NAMES), max_size=5)):
        lines.append(header(draw, name, in_config))
        for _ in range(draw(st.integers(0, 5))):
            lines.extend(draw(setting_lines(keys)))
        if draw(st.integers(0, 7)) == 0:
            lines.extend(draw(SUB_SECTION))
    if in_config and draw(st.booleans()):
        lines += ["[sso-session corp]", "sso_start_url = https://example.awsapps.com/start", "sso_region = eu-west-1"]
    ending = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    bom = "\ufeff" if draw(st.integers(0, 19)) == 0 else ""
    return bom + ending.join(lines) + ending


@st.composite
def chained_files(draw) -> tuple[str, str]:
    """Mostly valid chains, so that most examples reach the chain comparison."""
    config, credentials = [], []
    names = [f"p{i}" for i in range(draw(st.integers(1, 6)))]
    for index, name in enumerate(names):
        config.append(f"[profile {name}]")
        if draw(st.integers(0, 3)):
            config += [f"role_arn = arn:aws:iam::222222222222:role/{name}",
                       f"source_profile = {draw(st.sampled_from(names[:index + 1] + ['u', 'v']))}"]
        for key in draw(st.lists(st.sampled_from(["mfa_serial", "duration_seconds", "region", "external_id",
                                                  "aws_access_key_id", "sso_account_id", "credential_process",
                                                  "web_identity_token_file", "aws_session_token"]),
                                 unique=True, max_size=2)):
            config.append(f"{key} = {draw(VALUES[key])}")
    for name in draw(st.lists(st.sampled_from(["u", "v", *names]), unique=True, max_size=3)):
        keys = draw(st.sampled_from([["aws_access_key_id", "aws_secret_access_key"]] * 3 +
                                    [["aws_access_key_id"], ["aws_secret_access_key"], ["region"]]))
        credentials += [f"[{name}]", *(f"{key} = {draw(VALUES[key].filter(bool))}" for key in keys)]
    config += ["[profile u]", "mfa_serial = arn:aws:iam::111111111111:mfa/jan"]
    return "\n".join(config) + "\n", "\n".join(credentials) + "\n"


@SETTINGS
@given(config=ini_file(in_config=True), credentials=ini_file(in_config=False))
@example(config='[profile "x"]\nregion = a\n[profile\tfoo]\nregion = b\n[profile my name]\n[profile "q]\n',
         credentials="")
@example(config="", credentials="[r]\nrole_arn = arn:aws:iam::222222222222:role/r\nsource_profile = r\nregion = x\n")
@example(config="[profile s]\nrole_arn = arn:aws:iam::222222222222:role/s\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\n"
                "aws_secret_access_key = x\n[profile t]\nrole_arn = arn:aws:iam::222222222222:role/t\n"
                "source_profile = s\n", credentials="")
@example(config="[default]\ns3 =\n    bad_syntax @ s3v4\n", credentials="")
@example(config="[profile p0]\nrole_arn = arn:aws:iam::222222222222:role/p0\nsource_profile = p0\n"
                "[profile p1]\nrole_arn = arn:aws:iam::222222222222:role/p1\nsource_profile = p0\n", credentials="")
@example(config="[profile u]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = from-config\n",
         credentials="[u]\naws_secret_access_key = from-credentials\n")
@example(config="[profile u]\naws_session_token = from-config\n",
         credentials="[u]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = x\n")
def test_generated_files_read_alike(config, credentials):
    with files_with(config.encode(), credentials.encode()) as files:
        compare(*files)


@SETTINGS
@given(files=chained_files())
def test_generated_chains_resolve_alike(files):
    with files_with(files[0].encode(), files[1].encode()) as paths:
        compare(*paths)
