"""inifile.read gives what RawConfigParser gives, value for value and error for error, only faster."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tui import inifile
from tui.errors import ConfigError

SETTINGS = settings(max_examples=1000, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Few names, so that sections and keys repeat; odd characters, so that strip() and lower() are tested.
SECTIONS = ["profile a", "profile b", "default", "DEFAULT", "Default", " a ", "a]b", "]", "ü", "x\u3000"]
KEYS = ["region", "Region", "REGION", "role_arn", "s3", "a b", "İ", "k\x0c", "\u3000k", ""]
SPACE = ["", " ", "\t", "\x0c", "\x0b", "\x1c", "\x85", "\u3000", "\u2028"]
section_names = st.one_of(st.sampled_from(SECTIONS), st.text(max_size=6))
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=6))
values = st.one_of(st.sampled_from(["x", "", "a = b", "a: b", "arn:aws:iam::1:role/r", "# not a comment",
                                    "; nor this", "%(x)s", "[x]", "'q'", "\\x41"]), st.text(max_size=12))
spaces = st.sampled_from(SPACE)

header = st.builds(lambda name, before, after: f"{before}[{name}]{after}", section_names,
                   st.sampled_from(["", "", " ", "\t", "\u3000"]), st.sampled_from(["", "", " ", " x", "]"]))
setting = st.builds(lambda key, left, delimiter, right, value: f"{key}{left}{delimiter}{right}{value}",
                    keys, spaces, st.sampled_from("=:"), spaces, values)
comment = st.one_of(
    st.sampled_from(["", " ", "# a comment", "; a comment", "  # indented comment", "\t;", "#[x]"]),
    st.builds(lambda indent, prefix, line: indent + prefix + line, st.sampled_from(["", "", " ", "\x0c"]),
              st.sampled_from("#;"), st.one_of(setting, header)),
)
odd_line = st.one_of(
    header, setting, comment,
    st.builds(lambda indent, line: indent + line, st.sampled_from(SPACE[1:]), st.one_of(setting, values)),
    st.sampled_from(["[]", "[", "[profile a", "region", "= nothing", ": x", "\ufeff[a]", "\x00", "\r"]),
    st.text(max_size=20),
)


def section(name: str, body: list[str]) -> list[str]:
    return [f"[{name}]", *body]


# A file RawConfigParser reads without a complaint (mostly: names may be odd): the scanner's own ground.
body = st.lists(st.one_of(setting.filter(lambda line: not line[:1].isspace()), comment), max_size=8)
plain_lines = st.lists(st.builds(section, section_names, body), unique_by=lambda lines: lines[0], max_size=5).map(
    lambda sections: [line for lines in sections for line in lines])


def with_odd_lines(lines: list[str], odd: list[tuple[int, str]]) -> list[str]:
    for position, line in odd:
        lines.insert(position, line)
    return lines


# The same with an odd line or two: where a wrong guess by the scanner would show.
nearly_plain_lines = st.builds(with_odd_lines, plain_lines,
                               st.lists(st.tuples(st.integers(0, 40), odd_line), min_size=1, max_size=2))
odd_lines = st.lists(odd_line, max_size=25)


def ini_text(lines: st.SearchStrategy[list[str]]) -> st.SearchStrategy[str]:
    return st.builds(lambda lines, end, last: end.join(lines) + last,
                     lines, st.sampled_from(["\n", "\r\n", "\r"]), st.sampled_from(["", "\n", "\r\n"]))


def outcome(read, path: Path):
    try:
        return read(path)
    except ConfigError as error:
        return str(error)


def both_outcomes(data: bytes) -> tuple[object, object]:
    """inifile.read's result or message for a file holding `data`, and RawConfigParser's."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "config")
        path.write_bytes(data)
        return outcome(inifile.read, path), outcome(inifile.read_with_configparser, path)


@SETTINGS
@given(st.one_of(ini_text(plain_lines), ini_text(nearly_plain_lines), ini_text(odd_lines),
                 st.text(max_size=200)))
@example("[profile a]\nregion = x\n[profile a]\nregion = y\n")
@example("[a]\nk = v\n\n  continued\n")
@example("[DEFAULT]\nregion = x\n[a]\n")
@example("[a] trailing\nk = v\n")
@example("[a]\r\nk = v\r\rj = w")
@example("[a]\nk = v\n\x0cj = w\n")  # indented by a character that is neither a space nor a tab
@example("[a]\n; k = v\n#j: w\n")
def test_read_is_configparser(text):
    fast, reference = both_outcomes(text.encode("utf-8", "surrogatepass"))  # lone surrogates: not UTF-8
    assert fast == reference


@SETTINGS
@given(st.binary(max_size=100), st.sampled_from([b"", b"[a]\nk = v\n", b"[a]\nk = v\n[a]\n"]))
def test_bytes_that_are_not_utf8_give_the_same_message(data, prefix):
    fast, reference = both_outcomes(prefix + data)
    assert fast == reference


def test_a_plain_config_never_reaches_configparser(tmp_path, monkeypatch):
    def refuse(path):
        raise AssertionError("configparser read a plain file")

    monkeypatch.setattr(inifile, "read_with_configparser", refuse)
    profiles = "".join(f"\n[profile r{i}]\nsource_profile = base\nrole_arn = arn:aws:iam::222222222222:role/r{i}\n"
                       for i in range(300))
    (tmp_path / "config").write_text(f"# many roles\n[default]\nregion = eu-west-1\n{profiles}", encoding="utf-8")
    assert len(inifile.read(tmp_path / "config")) == 301
    (tmp_path / "windows").write_bytes(b"# hats\r\n[profile a]\r\nRegion: eu-west-1\r\nrole_arn=arn:aws:x\r\n")
    assert inifile.read(tmp_path / "windows") == {"profile a": {"region": "eu-west-1", "role_arn": "arn:aws:x"}}


def test_a_botocore_sub_section_reads_as_botocore_reads_it(tmp_path):
    config = tmp_path / "config"
    config.write_text("[profile a]\nregion = x\ns3 =\n  max_concurrent_requests = 10\n  addressing_style = path\n")
    assert inifile.read(config) == {"profile a": {
        "region": "x", "s3": {"max_concurrent_requests": "10", "addressing_style": "path"}}}


def test_a_duplicate_section_names_its_line(tmp_path):
    config = tmp_path / "config"
    config.write_text("[profile x]\nregion = a\n\n[profile x]\n")
    with pytest.raises(ConfigError, match=r"^.*/config: section \[profile x\] appears twice \(line 4\)$"):
        inifile.read(config)


def test_a_missing_file_is_empty_and_a_huge_one_is_refused(tmp_path):
    assert inifile.read(tmp_path / "nothing") == {}
    huge = tmp_path / "huge"
    huge.write_bytes(b"[a]\n" + b"k" * (inifile.MAX_FILE_BYTES + 1))
    with pytest.raises(ConfigError, match=r"16 MB is more than hats reads \(16 MB\)$"):
        inifile.read(huge)
