"""Section 8 of bench/run.py: tab completion at 10,000 profiles.

What one TAB costs: the hook process the scripts start (`hats completion --complete`, the words
on stdin) for a profile prefix, for every profile, for a subcommand and for an option; then bash's
whole `_hats` function (the hook plus quoting each name into COMPREPLY), and a bare
`python -c pass` for the interpreter's own start. The names are kept until the AWS files change
(tui/completion/names.py): the rows time TABs with the names kept, and one TAB after a change
(the kept names deleted before each run). Target (issue 13): under 100 ms at 10,000.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.configs import generate

PROFILES = 10000
CASES = (  # (what is completed, the words after `hats`, the last being completed)
    ("a profile prefix: hats exec t000-pay<TAB>", ["exec", "t000-pay"]),
    ("every profile: hats exec <TAB>", ["exec", ""]),
    ("a subcommand: hats ex<TAB>", ["ex"]),
    ("an option: hats exec P --re<TAB>", ["exec", "t000-payments", "--re"]),
)


def section_completion(runs: int, results: dict, fmt_ms, table, hats: list[str]) -> str:
    from tui.completion import script
    from tui.completion.names import CACHE_FILE

    with tempfile.TemporaryDirectory(prefix="hats-bench-completion-") as home:
        config = Path(home) / "config"
        config.write_text(generate(PROFILES))
        env = {"PATH": os.environ["PATH"], "HOME": home, "AWS_CONFIG_FILE": str(config),
               "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "HATS_STATE_DIR": str(Path(home) / "state")}
        bin_dir = Path(home) / "bin"
        bin_dir.mkdir()
        (bin_dir / "hats").write_text(f"#!/bin/sh\nexec {' '.join(hats)} \"$@\"\n")
        (bin_dir / "hats").chmod(0o755)
        rows, figures = [], {}
        for label, words in CASES:
            stdin = "".join(f"{word}\n" for word in words)
            seconds, shown = _timed([*hats, "completion", "--complete"], env, stdin, runs)
            figures[label] = seconds
            rows.append([label, str(shown), fmt_ms(seconds * 1000), "met" if seconds < 0.1 else "MISSED"])
        cache = Path(home) / "state" / CACHE_FILE
        seconds, shown = _timed([*hats, "completion", "--complete"], env, "exec\nt000-pay\n", runs,
                                before=lambda: cache.unlink(missing_ok=True))
        figures["after a change of the config: hats exec t000-pay<TAB>"] = seconds
        rows.append(["after a change of the config: hats exec t000-pay<TAB>", str(shown), fmt_ms(seconds * 1000),
                     "met" if seconds < 0.1 else "MISSED"])
        bash_env = {**env, "PATH": f"{bin_dir}:{env['PATH']}"}
        hook = script("bash") + 'COMP_WORDS=(hats exec ""); COMP_CWORD=2; _hats; printf "%s\\n" "${COMPREPLY[@]}"\n'
        seconds, shown = _timed(["bash", "--norc", "-c", hook], bash_env, "", runs)
        figures["bash _hats: hats exec <TAB>"] = seconds
        rows.append(["bash's _hats, end to end: hats exec <TAB>", str(shown), fmt_ms(seconds * 1000),
                     "met" if seconds < 0.1 else "MISSED"])
        bare, _ = _timed([sys.executable, "-c", "pass"], env, "", runs)
        rows.append(["for scale: python -c pass", "-", fmt_ms(bare * 1000), ""])
    results["completion"] = {label: seconds * 1000 for label, seconds in figures.items()}
    return table(["at 10,000 profiles", "names offered", "median", "target: < 100 ms"], rows)


def _timed(argv: list[str], env: dict[str, str], stdin: str, runs: int, before=lambda: None) -> tuple[float, int]:
    """The median wall time of `runs` runs, and how many lines the last one printed."""
    times, lines = [], 0
    for _ in range(runs):
        before()
        started = time.perf_counter()
        done = subprocess.run(argv, env=env, input=stdin, capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - started)
        lines = len(done.stdout.splitlines())
    return statistics.median(times), lines
