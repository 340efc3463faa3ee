"""An INI file as botocore's RawConfigParser reads it: {section: {key: value}}.

Most AWS config and credentials files hold nothing but `[section]` headers,
`key = value` lines, comments and blank lines. Those are read by a line scanner
that gives the same dict RawConfigParser would, at a tenth of the cost. Any
other line (an indented one, a line without a delimiter, `[DEFAULT]`, a repeated
section or key, ...) sends the whole file to RawConfigParser, which stays the
one authority on everything unusual and on every error message. As in botocore's
raw_config_parse, a value that starts on the next line is a sub-section and
becomes a dict of its own `key = value` lines.

No message quotes a line of the file: a credentials file's lines hold secrets.
"""

from __future__ import annotations

import errno
import re
import stat
from pathlib import Path

from .errors import ConfigError

MAX_FILE_BYTES = 16 * 2**20  # an organisation's 10,000 profiles take about 2 MB
DELIMITER = re.compile("[=:]")  # RawConfigParser's default delimiters; the first one on the line splits it


def read(path: Path) -> dict[str, dict]:
    """The file's sections; a missing file is an empty one. Raises ConfigError naming the file."""
    size = _regular_file_size(path)
    if size is None:
        return {}
    if size > MAX_FILE_BYTES:
        raise ConfigError(f"{path}: {size // 2**20} MB is more than hats reads ({MAX_FILE_BYTES // 2**20} MB)")
    try:
        with open(path, encoding="utf-8") as handle:  # universal newlines, as in read_with_configparser
            text = handle.read()
    except (UnicodeDecodeError, OSError):
        text = None  # read_with_configparser reports it, as it always has
    sections = None if text is None else _scan(text)
    return read_with_configparser(path) if sections is None else sections


def _regular_file_size(path: Path) -> int | None:
    """The size of the file, None if there is none; anything else than a file is refused."""
    try:
        found = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: {cannot_read(exc)}") from None
    if not stat.S_ISREG(found.st_mode):  # a FIFO would block the read, a device never end it
        raise ConfigError(f"{path}: not a regular file")
    return found.st_size


def cannot_read(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    reason = exc.strerror or type(exc).__name__
    return reason[:1].lower() + reason[1:]


def _scan(text: str) -> dict[str, dict[str, str]] | None:
    """The sections of a text of plain lines only, else None."""
    sections: dict[str, dict[str, str]] = {}
    current = None
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            # Blank lines and comments, indented or not. RawConfigParser keeps a blank line only
            # inside a multi-line value, and those fall back below.
            continue
        if line[0].isspace():
            return None  # a continuation line or a botocore sub-section
        if stripped[0] == "[":
            name = stripped[1:-1]
            if stripped[-1] != "]" or not name or name == "DEFAULT" or name in sections:
                return None
            current = sections[name] = {}
            continue
        delimiter = DELIMITER.search(stripped)
        if current is None or delimiter is None:
            return None
        key = stripped[:delimiter.start()].rstrip().lower()  # RawConfigParser.optionxform
        if not key or key in current:
            return None
        current[key] = stripped[delimiter.end():].lstrip()
    return sections


def read_with_configparser(path: Path) -> dict[str, dict]:
    """The file read by RawConfigParser itself, its errors made one line, sub-sections parsed."""
    import configparser

    parser = configparser.RawConfigParser()
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except configparser.Error as exc:
        raise ConfigError(f"{path}: {_one_line(exc)}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: {cannot_read(exc)}") from None
    sections: dict[str, dict] = {section: dict(parser.items(section)) for section in parser.sections()}
    for section, values in {"DEFAULT": dict(parser.defaults()), **sections}.items():  # DEFAULT's own line first
        for key, value in values.items():
            if value.startswith("\n"):
                values[key] = _sub_section(path, section, key, value)
    return sections


def _sub_section(path: Path, section: str, key: str, value: str) -> dict[str, str]:
    """botocore's _parse_nested: each line `key = value`; any other line refuses the file."""
    parsed = {}
    for line in value.splitlines():
        line = line.strip()
        if not line:
            continue
        if "=" not in line:
            where = _line_number(path, section, key, line)
            raise ConfigError(f"{path}: line {where} of the sub-section '{key}' in [{section}] is not key = value")
        name, text = line.split("=", 1)
        parsed[name.strip()] = text.strip()
    return parsed


def _line_number(path: Path, section: str, key: str, bad: str) -> int:
    """The line `bad` after the header of `section` and the line of `key` (else the nearest of those)."""
    marks = [lambda line: _header(line) == section,
             lambda line: DELIMITER.split(line, 1)[0].strip().lower() == key,
             lambda line: line.strip() == bad]
    found = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if marks and marks[0](line):
            marks.pop(0)
            found = number
    return found


def _header(line: str) -> str | None:
    import configparser

    match = configparser.RawConfigParser.SECTCRE.match(line.strip())
    return match.group("header") if match else None


def _one_line(exc: Exception) -> str:
    import configparser

    if isinstance(exc, configparser.DuplicateSectionError):
        return f"section [{exc.section}] appears twice (line {exc.lineno})"
    if isinstance(exc, configparser.DuplicateOptionError):
        return f"key '{exc.option}' appears twice in [{exc.section}] (line {exc.lineno})"
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f"line {exc.lineno} comes before any [section] header"
    if isinstance(exc, configparser.ParsingError):
        lineno, _line = exc.errors[0]  # never quoted: it may hold a secret
        return f"cannot parse line {lineno}: it is not a [section], a key = value or a comment"
    return type(exc).__name__
