"""What `hats doctor` checks, one module a part: keyring, config, endpoints (STS, clock, Identity Center), shells.

Each check gives Findings: one line each, about one thing, never quoting a secret.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..display import printable

OK, PROBLEM, NOTE = "ok", "problem", "note"  # a note is worth knowing and wrong with nothing


@dataclass(frozen=True)
class Finding:
    status: str
    topic: str
    text: str

    @property
    def line(self) -> str:
        """`ok      keyring: ...`: the status in a column, then what it is about; config text escaped."""
        return printable(f"{self.status:<8}{self.topic}: {self.text}")


def ok(topic: str, text: str) -> Finding:
    return Finding(OK, topic, text)


def problem(topic: str, text: str) -> Finding:
    return Finding(PROBLEM, topic, text)


def note(topic: str, text: str) -> Finding:
    return Finding(NOTE, topic, text)


def count(n: int, thing: str) -> str:
    """`1 key`, `2 keys`."""
    return f"{n} {thing}{'' if n == 1 else 's'}"
