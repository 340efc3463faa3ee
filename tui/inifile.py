"""An INI file as botocore's RawConfigParser reads it: {section: {key: value}}.

Most AWS config and credentials files hold nothing but `[section]` headers,
`key = value` lines, comments and blank lines. Those are read by a line scanner
that gives the same dict RawConfigParser would, at a tenth of the cost. Any
other line (an indented one, a line without a delimiter, `[DEFAULT]`, a repeated
section or key, ...) sends the whole file to RawConfigParser, which stays the
one authority on everything unusual and on every error message.
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import ConfigError

MAX_FILE_BYTES = 16 * 2**20  # an organisation's 10,000 profiles take about 2 MB
DELIMITER = re.compile("[=:]")  # RawConfigParser's default delimiters; the first one on the line splits it


def read(path: Path) -> dict[str, dict[str, str]]:
    """The file's sections; a missing file is an empty one. Raises ConfigError naming the file."""
    if not path.is_file():
        return {}
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ConfigError(f"{path}: {size // 2**20} MB is more than hats reads ({MAX_FILE_BYTES // 2**20} MB)")
    try:
        with open(path, encoding="utf-8") as handle:  # universal newlines, as in read_with_configparser
            text = handle.read()
    except (UnicodeDecodeError, OSError):
        text = None  # read_with_configparser reports it, as it always has
    sections = None if text is None else _scan(text)
    return read_with_configparser(path) if sections is None else sections


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


def read_with_configparser(path: Path) -> dict[str, dict[str, str]]:
    """The file read by RawConfigParser itself, its errors made one line."""
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
        raise ConfigError(f"{path}: {exc.strerror}") from None
    return {section: dict(parser.items(section)) for section in parser.sections()}


def _one_line(exc: Exception) -> str:
    import configparser

    if isinstance(exc, configparser.DuplicateSectionError):
        return f"section [{exc.section}] appears twice (line {exc.lineno})"
    if isinstance(exc, configparser.DuplicateOptionError):
        return f"key '{exc.option}' appears twice in [{exc.section}] (line {exc.lineno})"
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f"line {exc.lineno} comes before any [section] header"
    if isinstance(exc, configparser.ParsingError):
        lineno, line = exc.errors[0]
        return f"cannot parse line {lineno}: {_unrepr(line).strip()[:60]}"
    return str(exc).splitlines()[0]


def _unrepr(text: str) -> str:
    """configparser quotes the bad line with repr(); show it as the user wrote it."""
    import ast

    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    return value if isinstance(value, str) else text
