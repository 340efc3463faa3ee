"""The parity harness: a file pair read by hats and by botocore, and the two readings compared.

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

import os
import re
import sys
from contextlib import contextmanager
from pathlib import Path

from tui.chains import BaseKind, base_kind
from tui.errors import ConfigError
from tui.profile import SECRET_SETTINGS
from tui.profiles import load, static_keys

# Where hats refuses on purpose, with one line; botocore would go on (and AWS, or nobody, would fail later).
REFUSALS = {
    "account id": r"is not an IAM role ARN|is not an MFA device ARN or serial",
    "duration": r"duration_seconds = .* is not a number of seconds from 900 to 43200",
    "chained hour": r"AWS caps chained roles at 3600 s",
    "half a key pair": r"gives it aws_access_key_id and aws_secret_access_key, but .* is missing or empty",
    "credential_source": r"credential_source .* is not one of",
    "empty sso setting": r"signs in through IAM Identity Center but has no|is not a 12-digit account id",
    "login": r"gets its credentials from `aws login` .*, which hats does not provide",
}
# The source of a base's credentials, as botocore names its providers; "keyring" and "credential_source"
# are the stand-ins below.
FILE_SOURCES = {"shared-credentials-file", "config-file", "keyring"}
BOTOCORE_METHOD = {BaseKind.PROCESS: "custom-process", BaseKind.SOURCE: "credential_source",
                   BaseKind.WEB_IDENTITY: "assume-role-with-web-identity", BaseKind.SSO: "sso"}


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


def _sso_provider(real):
    """botocore's SSOProvider with its config checks, answered without a token: a sign-in cannot run here."""

    class Sso(type(real)):
        def load(self):
            return _stand_in(self.METHOD) if self._load_sso_config() else None

    real.__class__ = Sso
    return real


def _KeyringLast(session):
    from botocore.credentials import ProfileProviderBuilder

    class Builder(ProfileProviderBuilder):
        def providers(self, profile_name, disable_env_vars=False):
            return [*super().providers(profile_name, disable_env_vars), _keyring_provider()]

        def _create_sso_provider(self, profile_name):
            return _sso_provider(super()._create_sso_provider(profile_name))

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


if __name__ == "__main__":  # a file pair by hand: python tests/botocore_parity.py CONFIG CREDENTIALS
    print(compare(Path(sys.argv[1]), Path(sys.argv[2])))
