"""Property-based tests of the config reader: any text in, a profile graph or a ConfigError out.

Two kinds of input:

* anything at all (random text, INI-shaped lines, raw bytes) in the config and
  credentials files: `load` gives a ProfileSet or raises ConfigError, and every
  profile's `chain()` gives a list or raises ConfigError, never anything else;
  `hats list` builds its rows from the same set without raising either;
* valid-looking configs with random source_profile and include_profile graphs,
  checked against a small reference model: `chain()` terminates, finds every
  cycle and names it, and never starts with a role unless the role is its own
  source (botocore's "the role's own keys assume it"; as a source, its keys are used as they are).
"""

from __future__ import annotations

import signal
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tui.errors import ConfigError
from tui.listing import profile_rows
from tui.profiles import ProfileSet, load

SETTINGS = settings(max_examples=200, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

ROLE = "arn:aws:iam::222222222222:role/r"
MFA = "arn:aws:iam::111111111111:mfa/jan"
KEYS = ["role_arn", "source_profile", "mfa_serial", "external_id", "role_session_name", "duration_seconds",
        "region", "credential_source", "credential_process", "mfa_process", "include_profile", "hats_color",
        "hats_account_alias", "aws_access_key_id", "aws_secret_access_key", "aws_session_token",
        "sso_start_url", "s3", "endpoint_url", "services", "unknown_key"]
CHECKED_KEYS = ["role_arn", "source_profile", "mfa_serial", "duration_seconds", "credential_source",
                "include_profile"]  # the settings hats validates
NAMES = ["a", "b", "c", "default", "jan-work", "a b", " ", "ü", "profile", "[x]"]

# -- strategies for arbitrary input ---------------------------------------
name = st.one_of(st.sampled_from(NAMES), st.text(max_size=12))
numberish = st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=5)  # "²", "١٢٠٠"
value = st.one_of(
    st.sampled_from([*NAMES, ROLE, MFA, "arn:aws:iam::2222:role/x", "arn:aws:iam::111:mfa/x", "GAHT12345678",
                     "Environment", "Ec2InstanceMetadata", "900", "3600", "43200", "43201", "0", "-1", "1h",
                     "²", "١٢٠٠", "echo 123456", "", "%(x)s", "$HOME"]),
    numberish,
    st.text(max_size=30),
)
line = st.one_of(
    st.builds(lambda n: f"[profile {n}]", name),
    st.builds(lambda n: f"[{n}]", name),
    st.builds(lambda n: f"[sso-session {n}]", name),
    st.builds(lambda k, sep, v: f"{k}{sep}{v}", st.one_of(st.sampled_from(KEYS), st.text(max_size=8)),
              st.sampled_from([" = ", "=", ": ", " ", " =", "\t=\t"]), value),
    st.builds(lambda v: f"  {v}", value),  # a continuation line, or a nested setting
    st.builds(lambda v: f"# {v}", value),
    st.builds(lambda v: f"; {v}", value),
    st.just(""),
    st.text(max_size=40),
)
ini_text = st.lists(line, max_size=30).map("\n".join)
any_text = st.one_of(ini_text, st.text(max_size=300))
# Well-formed sections with any value for any setting: where the per-profile checks live.
sections = st.dictionaries(
    st.one_of(st.sampled_from(["profile a", "profile b", "profile c", "default", "profile jan-work"]),
              st.builds(lambda n: f"profile {n}", name)),
    st.dictionaries(st.one_of(st.sampled_from(CHECKED_KEYS), st.sampled_from(KEYS)), value, max_size=6), max_size=5,
).map(lambda found: "".join(
    f"[{section}]\n" + "".join(f"{key} = {text}\n" for key, text in settings.items())
    for section, settings in found.items()))


class NoVault:
    """What `hats list` asks of a vault, with nothing in it."""

    def profiles_with_keys(self):
        return []

    def sessions(self):
        return []


@contextmanager
def files(config: bytes, credentials: bytes):
    with tempfile.TemporaryDirectory() as directory:
        config_file, credentials_file = Path(directory, "config"), Path(directory, "credentials")
        config_file.write_bytes(config)
        credentials_file.write_bytes(credentials)
        yield config_file, credentials_file


def encode(text: str) -> bytes:
    # Lone surrogates become bytes that are not UTF-8: that is input too.
    return text.encode("utf-8", "surrogatepass")


@contextmanager
def within(seconds: int):
    """Fail, instead of hanging the run, if the body does not finish in time."""
    def expired(*_):
        raise AssertionError(f"did not finish within {seconds} s (a loop?)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def assert_one_line(error: ConfigError) -> None:
    text = str(error)
    assert text and "\n" not in text and "\r" not in text, repr(text)


def check_whole_set(config: bytes, credentials: bytes) -> None:
    """load -> ProfileSet | ConfigError; chain -> list | ConfigError; list rows never raise."""
    with files(config, credentials) as (config_file, credentials_file), within(20):
        try:
            profiles = load(config_file, credentials_file)
        except ConfigError as error:
            assert_one_line(error)
            return
        assert isinstance(profiles, ProfileSet)
        for profile in profiles:
            try:
                chain = profiles.chain(profile.name)
            except ConfigError as error:
                assert_one_line(error)
                continue
            assert isinstance(chain, list) and chain and chain[-1].name == profile.name
            profiles.mfa_serial_for(chain)
            profiles.roles_from(profile.name)
        rows = profile_rows(profiles, NoVault(), datetime.now(timezone.utc))
        assert [row["profile"] for row in rows] == sorted(p.name for p in profiles)


@SETTINGS
@given(config=sections, credentials=st.one_of(sections, st.just("")))
@example(config="[profile a]\nduration_seconds = \u00b2\n", credentials="")  # "²".isdigit(), int("²") fails
def test_any_value_for_any_setting_gives_a_profile_set_or_a_config_error(config, credentials):
    check_whole_set(encode(config), encode(credentials.replace("[profile ", "[")))


@SETTINGS
@given(config=any_text, credentials=any_text)
@example(config="", credentials="[a]\ninclude_profile = b\n  c\n")  # a value continued on the next line
@example(config="[profile a]\nrole_arn = arn:aws:iam::222222222222:role/a\nsource_profile = b\n  c\n", credentials="")
def test_any_text_gives_a_profile_set_or_a_config_error(config, credentials):
    check_whole_set(encode(config), encode(credentials))


@SETTINGS
@given(config=ini_text)
def test_ini_shaped_config_with_a_plain_credentials_file(config):
    check_whole_set(encode(config), b"[jan-work]\naws_access_key_id = AKIAEXAMPLEEXAMPLE\n"
                                    b"aws_secret_access_key = secretsecretsecret\n")


@SETTINGS
@given(config=st.binary(max_size=300), credentials=st.binary(max_size=100))
def test_any_bytes_give_a_profile_set_or_a_config_error(config, credentials):
    check_whole_set(config, credentials)


# -- structured graphs ----------------------------------------------------
BASE_KEYS = ["k0", "k1"]  # base users with keys in the credentials file


@st.composite
def source_graphs(draw):
    """Profiles p0..pn: users, or roles whose source_profile is any name (themselves, a ghost, none)."""
    count = draw(st.integers(1, 7))
    names = [f"p{i}" for i in range(count)]
    targets = st.one_of(st.sampled_from(names + BASE_KEYS), st.just("ghost"), st.none())
    specs = {}
    for name in names:
        kind = draw(st.sampled_from(["user", "role", "role", "role", "role"]))
        spec: dict[str, str] = {}
        if kind == "role":
            spec["role_arn"] = f"arn:aws:iam::222222222222:role/{name}"
            source = draw(targets)
            if source is not None:
                spec["source_profile"] = source
            if draw(st.integers(0, 9)) == 0:
                spec["credential_source"] = "Environment"
        elif draw(st.integers(0, 5)) == 0:
            spec["credential_process"] = "echo junk"
        if draw(st.booleans()):
            spec["mfa_serial"] = MFA
        specs[name] = spec
    return specs


def render(specs: dict[str, dict[str, str]]) -> str:
    return "".join(f"[profile {name}]\n" + "".join(f"{k} = {v}\n" for k, v in spec.items()) + "\n"
                   for name, spec in specs.items())


CREDENTIALS = "".join(f"[{name}]\naws_access_key_id = AKIAEXAMPLEEXAMPLE\naws_secret_access_key = s3cr3ts3cr3ts3cr3t\n"
                      for name in BASE_KEYS)


def reference(specs: dict[str, dict[str, str]], name: str):
    """("chain", names) or ("cycle", names in the cycle, closed) or ("error", None), by hand."""
    every = {**{key: {} for key in BASE_KEYS}, **specs}
    seen: list[str] = []
    current = name
    while True:
        if current in seen:
            return "cycle", [*seen[seen.index(current):], current]
        seen.append(current)
        spec = every[current]
        if "role_arn" not in spec:
            break
        source = spec.get("source_profile")
        if source == current and len(seen) > 1:  # as a source, its own keys end the chain (botocore)
            break
        if spec.get("credential_source") and source is not None:
            return "error", None
        if source == current:  # its own keys assume its role
            seen.append(current)
            break
        if spec.get("credential_source"):
            seen.append(current)  # its credential_source assumes its role
            break
        if source is None or source not in every:
            return "error", None
        current = source
    return "chain", list(reversed(seen))


@SETTINGS
@given(specs=source_graphs())
def test_chains_terminate_find_every_cycle_and_start_with_keys(specs):
    with files(render(specs).encode(), CREDENTIALS.encode()) as (config_file, credentials_file), within(20):
        profiles = load(config_file, credentials_file)
        assert sorted(p.name for p in profiles) == sorted([*specs, *BASE_KEYS])
        for name in specs:
            outcome, names = reference(specs, name)
            try:
                chain = profiles.chain(name)
            except ConfigError as error:
                assert_one_line(error)
                assert outcome != "chain", f"{name}: expected the chain {names}, got: {error}"
                if outcome == "cycle":
                    assert str(error) == f"source_profile cycle: {' -> '.join(names)}"
                continue
            assert outcome == "chain", f"{name}: expected a {outcome} ({names}), got {[h.name for h in chain]}"
            assert [hop.name for hop in chain] == names
            first = chain[0]
            if first.is_role and first.credential_source and first.source_profile is None:
                # its credential_source assumes its own role
                assert chain[1].name == first.name
            elif first.is_role:  # only a self-sourced role may hold keys: its own role's, or the next hop's
                assert first.source_profile == first.name and len(chain) > 1
                names = [hop.name for hop in chain]
                assert names == [name, name] if name == first.name else names[1] != first.name
            for before, hop in zip(chain, chain[1:]):
                assert hop.is_role
                assert hop.source_profile == before.name or (hop is before and hop.credential_source)


@st.composite
def include_graphs(draw):
    """Profiles whose include_profile points anywhere: other profiles, themselves, a ghost."""
    count = draw(st.integers(1, 6))
    names = [f"i{i}" for i in range(count)]
    specs = {}
    for name in names:
        spec = {"region": f"r-{name}"}
        target = draw(st.one_of(st.sampled_from(names), st.just("ghost"), st.none()))
        if target is not None:
            spec["include_profile"] = target
        if draw(st.booleans()):
            spec["role_arn"] = f"arn:aws:iam::222222222222:role/{name}"
            spec["source_profile"] = draw(st.sampled_from(BASE_KEYS + names))
        specs[name] = spec
    return specs


def include_trail(specs, name):
    """("ok", trail) or ("cycle", trail) or ("missing", trail) following include_profile by hand."""
    trail = [name]
    current = specs[name]
    while "include_profile" in current:
        target = current["include_profile"]
        if target in trail:
            return "cycle", [*trail, target]
        if target not in specs:
            return "missing", trail
        trail.append(target)
        current = specs[target]
    return "ok", trail


@SETTINGS
@given(specs=include_graphs())
def test_include_profile_graphs_terminate_and_name_their_cycles(specs):
    with files(render(specs).encode(), CREDENTIALS.encode()) as (config_file, credentials_file), within(20):
        profiles = load(config_file, credentials_file)
        for name in specs:
            outcome, trail = include_trail(specs, name)
            try:
                chain = profiles.chain(name)
            except ConfigError as error:
                assert_one_line(error)
                if outcome == "cycle":
                    start = trail.index(trail[-1])
                    assert " -> ".join(trail[start:]) in str(error) and "include_profile" in str(error), str(error)
                continue
            assert outcome == "ok", f"{name}: include_profile {outcome} {trail} went unnoticed"
            assert chain[-1].name == name
