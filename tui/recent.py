"""Which profiles were used and when: names and times only, in the state directory.

`hats exec`, `hats login` and the app's shell, command and console record a use;
`hats export` does not (an SDK's credential_process calls it on its own). The
ranking is frecency as browsers rank history: each of a profile's last uses
counts by its age, so a role used daily outranks one used once last month; the
profile used last comes first of all, so what was used a minute ago is one
Enter away. A missing, unreadable or corrupt file is an empty history, and a
history that cannot be written is skipped: it is a comfort, never a failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

FILE_NAME = "recent.json"
USES_KEPT = 10  # the latest uses a profile's score is read from
PROFILES_KEPT = 500  # the most recently used; older ones are forgotten
# (age in days up to which a use counts, how much it counts), as Firefox weighs history
WEIGHTS = ((4, 100), (14, 70), (31, 50), (90, 30))
OLD_WEIGHT = 10
DAY = 86400


class Recent:
    def __init__(self, uses: dict[str, list[float]] | None = None, counts: dict[str, int] | None = None):
        self.uses = uses or {}  # profile -> its latest use times, oldest first
        self.counts = counts or {}  # profile -> every use it had

    def record(self, name: str, now: float) -> None:
        self.uses[name] = [*self.uses.get(name, ()), now][-USES_KEPT:]
        self.counts[name] = self.counts.get(name, 0) + 1
        if len(self.uses) > PROFILES_KEPT:
            for old in sorted(self.uses, key=lambda key: self.uses[key][-1])[:len(self.uses) - PROFILES_KEPT]:
                del self.uses[old], self.counts[old]

    def score(self, name: str, now: float) -> float:
        uses = self.uses.get(name)
        if not uses:
            return 0.0
        sampled = sum(_weight((now - used) / DAY) for used in uses)
        return self.counts.get(name, len(uses)) * sampled / len(uses)

    def ranked(self, names: Iterable[str], now: float) -> list[str]:
        """The names that were used, the last one used first, then by frecency."""
        used = [name for name in names if name in self.uses]
        if not used:
            return []
        last = max(used, key=lambda name: self.uses[name][-1])
        rest = sorted((name for name in used if name != last), key=lambda name: -self.score(name, now))
        return [last, *rest]


def _weight(age_days: float) -> int:
    return next((weight for days, weight in WEIGHTS if age_days <= days), OLD_WEIGHT)


def path_in(state_dir: Path) -> Path:
    return state_dir / FILE_NAME


def load(state_dir: Path) -> Recent:
    try:
        return parse(path_in(state_dir).read_bytes())
    except OSError:
        return Recent()


def parse(data: bytes) -> Recent:
    """The history in a file's bytes; anything but a history written by save() is an empty one."""
    try:
        entries = json.loads(data)["profiles"]
        uses = {str(name): [float(t) for t in entry["uses"]][-USES_KEPT:] for name, entry in entries.items()
                if entry["uses"]}
        counts = {name: max(int(entries[name]["count"]), len(uses[name])) for name in uses}
    except (ValueError, TypeError, KeyError, AttributeError):
        return Recent()
    return Recent(uses, counts)


def save(state_dir: Path, recent: Recent) -> None:
    """Replaced whole without an fsync (files.replace_quickly): a history lost to a crash costs
    nothing, and a cached exec should not wait on the disk."""
    from .files import replace_quickly  # not tempfile's: a cached exec does not import it

    data = {"version": 1, "profiles": {name: {"count": recent.counts.get(name, len(uses)), "uses": uses}
                                       for name, uses in recent.uses.items()}}
    try:
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        replace_quickly(path_in(state_dir), json.dumps(data, separators=(",", ":")).encode())
    except OSError:
        pass


def record_use(state_dir: Path, name: str, now: float | None = None) -> Recent:
    """One use of `name`, and the history with it. Two runs at the same moment may keep one use of the
    two: a count, not a ledger."""
    recent = load(state_dir)
    recent.record(name, time.time() if now is None else now)
    save(state_dir, recent)
    return recent


@contextlib.contextmanager
def use_of(state_dir: Path, name: str) -> Iterator[None]:
    """A use of `name` recorded now (an exec never comes back to record it later), and taken back
    if the block fails: a command that could not be started was no use, and leaves no trace."""
    path = path_in(state_dir)
    try:
        before: tuple[bytes, os.stat_result] | None = path.read_bytes(), path.stat()
    except OSError:
        before = None
    recent = parse(before[0]) if before else Recent()  # the file read once, for both
    recent.record(name, time.time())
    save(state_dir, recent)
    try:
        yield
    except BaseException:
        with contextlib.suppress(OSError):
            if before is None:
                path.unlink()
            else:
                path.write_bytes(before[0])
                os.utime(path, ns=(before[1].st_atime_ns, before[1].st_mtime_ns))
        raise
