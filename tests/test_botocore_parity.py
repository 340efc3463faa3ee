"""hats reads the config and credentials files as botocore does, held against botocore itself.

Generated file pairs (hypothesis) and the config snippets of botocore's own test
suite (tests/data/botocore_cfg) are read by both, and must give

* the same verdict on the files as a whole (read, or refused);
* the same profile names, with the same settings (secrets aside);
* for each profile, the same chain (base user first) and the same source of the
  base's keys, as botocore's AssumeRoleProvider resolves them: source_profile
  hops, static keys ending the chain, the profile providers in botocore's order;

except where hats refuses on purpose (REFUSALS): then hats says so in one line.
It never disagrees silently.

botocore runs for real on the files. Two things cannot run here and are stood in
for: the keyring, where hats keeps a base user's keys (a provider botocore asks
last, after every provider that reads the files), and the EC2/ECS/environment
sources of credential_source (answered without a network call). No AWS call is
made: botocore defers every STS call until credentials are used, and the chain
it built is read from the provider.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.test_config_properties import files as files_with
from tui.chains import BaseKind, base_kind
from tui.errors import ConfigError
from tui.profiles import SECRET_SETTINGS, load, static_keys

CORPUS = Path(__file__).parent / "data" / "botocore_cfg"
SETTINGS = settings(max_examples=150, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Where hats refuses on purpose, with one line; botocore would go on (and AWS, or nobody, would fail later).
REFUSALS = {
    "account id": r"is not an IAM role ARN|is not an MFA device ARN or serial",
    "duration": r"duration_seconds = .* is not a number of seconds from 900 to 43200",
    "chained hour": r"AWS caps chained roles at 3600 s",
    "half a key pair": r"gives it aws_access_key_id and aws_secret_access_key, but .* is missing or empty",
    "credential_source": r"credential_source .* is not one of",
    "sso": r"signs in through IAM Identity Center .*, which hats does not provide",
    "login": r"gets its credentials from `aws login` .*, which hats does not provide",
}
# The source of a base's credentials, as botocore names its providers; "keyring" and "credential_source"
# are the stand-ins below.
FILE_SOURCES = {"shared-credentials-file", "config-file", "keyring"}
BOTOCORE_METHOD = {BaseKind.PROCESS: "custom-process", BaseKind.SOURCE: "credential_source",
                   BaseKind.WEB_IDENTITY: "assume-role-with-web-identity"}
CREDENTIAL_JSON = json.dumps({"Version": 1, "AccessKeyId": "AKIAPROCESSEXAMPLE00", "SecretAccessKey": "not-a-secret"})
PROCESS = f"echo {shlex.quote(CREDENTIAL_JSON)}"  # botocore runs it; it prints credentials and nothing else


# -- botocore's side --------------------------------------------------------------------------
@contextmanager
def aws_files(config: Path, credentials: Path):
    saved = {name: os.environ.get(name) for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE")}
    os.environ.update(AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(credentials))
    os.environ.pop("AWS_PROFILE", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def botocore_view(config: Path, credentials: Path):
    """("refused", error) or ("read", {name: settings}, {name: ("chain", names, source) | ("error", error)})."""
    import botocore.exceptions
    import botocore.session

    with aws_files(config, credentials):
        session = botocore.session.Session()
        try:
            profiles = session.full_config["profiles"]
        except botocore.exceptions.BotoCoreError as error:
            return "refused", error
        chains = {name: _botocore_chain(session, name) for name in profiles}
    return "read", profiles, chains


def _botocore_chain(session, name: str):
    from botocore.credentials import CredentialResolver

    builder = _KeyringLast(session)
    try:
        profile = session.full_config["profiles"][name]
        if "role_arn" in profile and "web_identity_token_file" not in profile:  # AssumeRoleProvider's own test
            provider = _recording_assume_role(session, name, builder)
            provider.load()
            return "chain", list(reversed(provider._visited_profiles)), *_source(provider.sources[0])
        found = CredentialResolver(builder.providers(name, disable_env_vars=True)).load_credentials()
        return "chain", [name], *_source(found)
    except Exception as error:  # noqa: BLE001 - botocore's verdict, whatever it is, is compared below
        return "error", error


def _source(credentials) -> tuple[str, tuple | None]:
    """The provider's name, and the key it read from a file (the others would call AWS when read)."""
    if credentials.method not in ("shared-credentials-file", "config-file"):
        return credentials.method, None
    return credentials.method, (credentials.access_key, credentials.secret_key, credentials.token)


def _recording_assume_role(session, name: str, builder):
    from botocore.credentials import AssumeRoleProvider, CanonicalNameCredentialSourcer

    class Recording(AssumeRoleProvider):
        """botocore's provider, noting each source's credentials; the first noted is the base's."""

        sources: list = []

        def _resolve_source_credentials(self, role_config, profile_name):
            found = super()._resolve_source_credentials(role_config, profile_name)
            self.sources.append(found)
            return found

    sourcer = CanonicalNameCredentialSourcer([_Source(kind) for kind in ("Environment", "Ec2InstanceMetadata",
                                                                         "EcsContainer")])
    provider = Recording(load_config=lambda: session.full_config, client_creator=session.create_client, cache={},
                         profile_name=name, credential_sourcer=sourcer, profile_provider_builder=builder)
    provider.sources = []
    return provider


def _stand_in(method: str):
    from botocore.credentials import Credentials

    return Credentials("AKIASTANDIN000000000", "stand-in", method=method)


class _Source:
    """A credential_source (environment, IMDS, ECS): cannot run here, answered without a call."""

    def __init__(self, kind: str):
        self.CANONICAL_NAME = kind

    def load(self):
        return _stand_in("credential_source")


def _keyring_provider():
    from botocore.credentials import CredentialProvider

    class Keyring(CredentialProvider):
        """hats' keyring: asked after every provider that reads the files."""

        METHOD = "keyring"

        def load(self):
            return _stand_in(self.METHOD)

    return Keyring()


def _KeyringLast(session):
    from botocore.credentials import ProfileProviderBuilder

    class Builder(ProfileProviderBuilder):
        def providers(self, profile_name, disable_env_vars=False):
            return [*super().providers(profile_name, disable_env_vars), _keyring_provider()]

    return Builder(session)


# -- hats' side -------------------------------------------------------------------------------
def _file_key(base) -> tuple | None:
    if not base.has_file_keys:
        return None
    keys = static_keys(base.name)
    return keys["aws_access_key_id"], keys["aws_secret_access_key"], keys.get("aws_session_token")


def hats_view(config: Path, credentials: Path):
    """The same shape as botocore_view, from tui.profiles."""
    with aws_files(config, credentials):  # static_keys reads the files where hats exec finds them
        return _hats_view(config, credentials)


def _hats_view(config: Path, credentials: Path):
    try:
        profiles = load(config, credentials)
    except ConfigError as error:
        return "refused", error
    settings_of = {profile.name: profile.settings for profile in profiles}
    chains = {}
    for profile in profiles:
        try:
            chain = profiles.chain(profile.name)
        except ConfigError as error:
            chains[profile.name] = ("error", error)
            continue
        kind = base_kind(chain)
        names = [hop.name for hop in chain]
        if kind is BaseKind.KEY:
            source = {credentials: "shared-credentials-file", config: "config-file", None: "keyring"}[chain[0].key_file]
            chains[profile.name] = ("chain", names, source, _file_key(chain[0]))
        else:  # botocore visits a role with a credential_source once; hats lists it as its own base
            chains[profile.name] = ("chain", names[1:] if kind is BaseKind.SOURCE else names, BOTOCORE_METHOD[kind],
                                    None)
    return "read", settings_of, chains


# -- the comparison ---------------------------------------------------------------------------
def one_line(error: Exception) -> str:
    text = str(error)
    assert text and "\n" not in text and "\r" not in text, f"not one line: {text!r}"
    return text


def refusal(text: str) -> str | None:
    return next((name for name, pattern in REFUSALS.items() if re.search(pattern, text)), None)


def compare(config: Path, credentials: Path) -> dict[str, int]:
    """Assert agreement; returns how many profiles agreed, and how many hats refused on purpose, by reason."""
    theirs, ours = botocore_view(config, credentials), hats_view(config, credentials)
    if ours[0] == "refused":
        one_line(ours[1])
    assert theirs[0] == ours[0], \
        f"botocore {theirs[0]} the files ({theirs[1:]!r:.300}), hats {ours[0]} them ({ours[1:]!r:.300})"
    if theirs[0] == "refused":
        return {"files refused by both": 1}
    _, their_settings, their_chains = theirs
    _, our_settings, our_chains = ours
    assert sorted(our_settings) == sorted(their_settings), "different profile names"
    counts = {"files read by both": 1}
    for name, values in their_settings.items():
        assert our_settings[name] == {k: v for k, v in values.items() if k not in SECRET_SETTINGS}, name
        outcome = compare_chain(name, their_chains[name], our_chains[name], their_settings)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def compare_chain(name: str, theirs, ours, their_settings: dict) -> str:
    if ours[0] == "error":
        text = one_line(ours[1])
        if theirs[0] == "error":
            return "refused by both"
        reason = refusal(text)
        assert reason, f"{name}: botocore gives the chain {theirs[1:]}, hats refuses it: {text}"
        return f"refused by hats: {reason}"
    if theirs[0] == "error":
        # The one place hats goes on where botocore stops: a role that is its own source, its keys in the keyring.
        assert _is_own_source_without_file_keys(theirs[1], ours, their_settings), (
            f"{name}: botocore refuses ({type(theirs[1]).__name__}: {theirs[1]}), hats gives {ours[1:]}")
        return "own source, keys in the keyring"
    assert theirs[2] in FILE_SOURCES | set(BOTOCORE_METHOD.values()), \
        f"{name}: botocore takes the keys from {theirs[2]}, hats from {ours[2]}"
    assert ours[1:] == theirs[1:], f"{name}: botocore's chain {theirs[1:]}, hats' {ours[1:]}"
    return "same chain"


def _is_own_source_without_file_keys(error: Exception, ours, their_settings: dict) -> bool:
    """botocore needs a self-sourced role's keys in a file; hats takes them from the keyring."""
    from botocore.exceptions import InfiniteLoopConfigError

    names = ours[1]
    base = names[0]
    own_source = isinstance(error, InfiniteLoopConfigError) and ours[2] == "keyring" and \
        their_settings[base].get("source_profile") == base
    # As botocore with the keys in a file: the role assumed with its own keys, or those keys used for the next hop.
    return own_source and names.count(base) == (2 if names[-1] == base else 1)


# -- generated files --------------------------------------------------------------------------
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


CORPUS_FILES = sorted(path.name for path in CORPUS.iterdir() if path.name != "README.md")


@pytest.mark.parametrize("name", CORPUS_FILES)
@pytest.mark.parametrize("role", ["config", "credentials"])
def test_botocore_test_suite_configs_read_alike(name, role):
    text = (CORPUS / name).read_bytes()
    with files_with(text if role == "config" else b"", text if role == "credentials" else b"") as files:
        counts = compare(*files)
    assert counts


def test_the_corpus_is_botocores(tmp_path):
    """The snippets are there and read by botocore as its tests expect (a few of its assertions)."""
    assert {"aws_config", "aws_config_nested", "aws_config_nested_bad", "aws_bad_profile"} <= set(CORPUS_FILES)
    view = botocore_view(CORPUS / "aws_bad_profile", tmp_path / "none")
    assert sorted(view[1]) == ["default", "my profile", "personal1"]
    assert botocore_view(CORPUS / "aws_config_nested_bad", tmp_path / "none")[0] == "refused"


if __name__ == "__main__":  # a file pair by hand: python tests/test_botocore_parity.py CONFIG CREDENTIALS
    print(compare(Path(sys.argv[1]), Path(sys.argv[2])))
