"""The filter part of section 4 alone: the keystroke probe at one size, a few times.

    python bench/filter_runs.py                 # 10,000 profiles, 3 runs
    python bench/filter_runs.py --size 2000 --runs 5 --profile

Each run is bench/tui_probe.py typing bench/run.py's two queries one key at a time
in a fresh home on the encrypted file backend (the filter never touches the
keyring). It prints, per run, key -> painted median / worst, the keys at 50 ms
or more and the process time to that frame (less at the mercy of a loaded
machine), then every key's figures across the runs. No timing is asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.configs import generate  # noqa: E402
from bench.run import PASSPHRASE, make_home, start_world, tui_probe, tui_queries  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10000, help="generated profiles (default 10,000)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="one more run under cProfile; print its tables")
    args = parser.parse_args()
    queries = tui_queries(args.size)
    typed = [arg for query in queries for arg in ("--filter", query)]
    world = start_world()
    try:
        with tempfile.TemporaryDirectory(prefix="hats-filter-") as temporary:
            home = make_home(Path(temporary), "file", {"HATS_BACKEND": "file", "HATS_FILE_PASSPHRASE": PASSPHRASE},
                             world, generate(args.size), credentials=False)
            runs = [tui_probe(home, typed)[0] for _ in range(args.runs)]
            print_runs(runs)
            if args.profile:
                for what, lines in tui_probe(home, [*typed, "--profile"])[0]["profile"].items():
                    print(f"\n{what}:\n" + "\n".join(lines))
    finally:
        world.sts.stop()
    return 0


def print_runs(runs: list[dict]) -> None:
    for index, probe in enumerate(runs, 1):
        paint = [key["paint_ms"] for key in probe["keystrokes"] if key["paint_ms"] is not None]
        slow = sum(1 for ms in paint if ms >= 50)
        cpu = [key["paint_cpu_ms"] for key in probe["keystrokes"] if key.get("paint_cpu_ms") is not None]
        esc = max((key["paint_ms"] or 0) for key in probe.get("clear", [{"paint_ms": 0}]))
        print(f"run {index}: key -> painted median {statistics.median(paint):.0f} ms, worst {max(paint):.0f} ms, "
              f"{slow} of {len(paint)} keys >= 50 ms; CPU to painted median {statistics.median(cpu):.0f} ms, "
              f"worst {max(cpu):.0f} ms; Esc {esc:.0f} ms")
    fields = (("paint_ms", 6, 1), ("paint_cpu_ms", 5, 0), ("settled_ms", 5, 0), ("cpu_ms", 5, 0),
              ("handler_ms", 5, 0))
    print(f"\n{'query':25} {'shown':>5}  " + "  ".join(f"{name + ' (each run)':{len(runs) * (width + 1)}}"
                                                  for name, width, _ in fields))
    for keys in zip(*(probe["keystrokes"] for probe in runs)):
        columns = ["".join(f"{key.get(name) or 0:{width + 1}.{digits}f}" for key in keys)
                   for name, width, digits in fields]
        print(f"{keys[0]['query']!r:25} {keys[0]['shown']:5}  " + "  ".join(columns))
    print(json.dumps({"paint_ms": [[key["paint_ms"] for key in probe["keystrokes"]] for probe in runs]}))


if __name__ == "__main__":
    sys.exit(main())
