"""One headless run of the TUI, timed from process start; bench/run.py starts it as a subprocess.

    python bench/tui_probe.py LAUNCH_WALLCLOCK [--filter QUERY ...] [--profile]

LAUNCH_WALLCLOCK is time.time() just before the parent started this process, so
every mark counts from launch, interpreter start-up included. It prints one JSON
object on its last line of stdout:

    marks      seconds from launch: imported (tui.app and textual loaded),
               first_screen (the profile tree has nodes and has been painted),
               keyring_ready (the vault worker finished: the app can act)
    nodes      tree nodes on the first screen
    keystrokes one per typed character: the query so far, matches, handler_ms
               (MainScreen.apply_filter: the match scan + tree.show), paint_ms
               (key sent -> the first frame painted after the handler: the
               first screenful of matches), paint_cpu_ms (the process time
               spent in that span: what a loaded machine does not inflate
               as much), settled_ms (key sent -> the last
               frame, when a big result set has been added a frame at a time),
               cpu_ms (process time the keystroke cost, painting included),
               gc_ms (of which in Python's cyclic garbage collector)
    clear      the same for Esc (back to the whole tree)
    profile    with --profile: the top functions of the launch and of the
               slowest keystroke (cProfile, main thread)

The environment (HOME, AWS_CONFIG_FILE, HATS_BACKEND, ...) comes from the parent.
"""

from __future__ import annotations

import time

T_START = time.time()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import cProfile  # noqa: E402
import gc  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import pstats  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

parser = argparse.ArgumentParser()
parser.add_argument("launched", type=float)
parser.add_argument("--filter", action="append", default=[], help="a query to type, one key at a time")
parser.add_argument("--profile", action="store_true")
parser.add_argument("--timeout", type=float, default=120)
ARGS = parser.parse_args()
LAUNCHED = ARGS.launched
marks: dict[str, float] = {"interpreter": T_START - LAUNCHED}

launch_profile = cProfile.Profile() if ARGS.profile else None
if launch_profile:
    launch_profile.enable()

from tui.app import HatsApp  # noqa: E402
from tui.screens.main import MainScreen  # noqa: E402

marks["imported"] = time.time() - LAUNCHED

handler_times: list[float] = []
handler_done: list[float] = []
_apply_filter = MainScreen.apply_filter


def timed_apply_filter(self, query):
    started = time.perf_counter()
    try:
        return _apply_filter(self, query)
    finally:
        handler_done.append(time.perf_counter())
        handler_times.append(handler_done[-1] - started)


MainScreen.apply_filter = timed_apply_filter  # instrumentation in this process only


def top_functions(profile: cProfile.Profile, count: int = 16) -> list[str]:
    """The heaviest functions by own time, then hats' and the tree's by cumulative time."""
    lines: list[str] = []
    for order, restriction, title in (("tottime", (), "by own time"),
                                      ("cumulative", (r"/tui/|_tree\.py|_node_list|rich/text",),
                                       "by cumulative time, hats and the tree")):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(order).print_stats(*restriction, count)
        text = [line.rstrip() for line in out.getvalue().splitlines()]
        start = next((i for i, line in enumerate(text) if line.lstrip().startswith("ncalls")), 0)
        lines += [f"-- {title}", *(line.replace(str(Path(sys.prefix)), "<py>")
                                   for line in text[start:] if line.strip())]
    return lines


gc_spent = [0.0]  # seconds in the cyclic garbage collector, all generations
_gc_started = [0.0]


def _on_gc(phase: str, info: dict) -> None:
    if phase == "start":
        _gc_started[0] = time.perf_counter()
    else:
        gc_spent[0] += time.perf_counter() - _gc_started[0]


gc.callbacks.append(_on_gc)


def count_nodes(node) -> int:
    return sum(1 + count_nodes(child) for child in node.children)


async def main() -> dict:
    app = HatsApp()
    painted: list[float] = []
    painted_cpu: dict[float, float] = {}  # a frame's moment -> process time then
    display = app._display

    def recording_display(screen, renderable):
        display(screen, renderable)
        if renderable is not None:
            painted.append(time.perf_counter())
            painted_cpu[painted[-1]] = time.process_time()

    app._display = recording_display
    result: dict = {"marks": marks}
    async with app.run_test(size=(160, 50)) as pilot:
        tree = app.main.tree
        deadline = time.monotonic() + ARGS.timeout
        while not tree.root.children:  # on_ready has not loaded the profiles yet
            if time.monotonic() > deadline:
                raise SystemExit("the profile tree never filled")
            await asyncio.sleep(0.001)
        filled = time.perf_counter()
        while not painted or painted[-1] < filled:  # and wait for the frame that shows it
            await asyncio.sleep(0.001)
        marks["first_screen"] = time.time() - LAUNCHED
        marks["gc_until_first_screen"] = gc_spent[0]
        marks["cpu_until_first_screen"] = time.process_time()
        if launch_profile:
            launch_profile.disable()
            result["profile"] = {"launch": top_functions(launch_profile)}
        result["nodes"] = count_nodes(tree.root)
        while app.engine is None:  # the vault opens in a worker
            if time.monotonic() > deadline:
                raise SystemExit("the keyring never opened")
            await asyncio.sleep(0.005)
        marks["keyring_ready"] = time.time() - LAUNCHED
        await pilot.pause()

        async def keystroke(key: str, label: str) -> dict:
            profile = cProfile.Profile() if ARGS.profile else None
            handler_times.clear()
            handler_done.clear()
            gc_before = gc_spent[0]
            sent, cpu_sent = time.perf_counter(), time.process_time()
            if profile:
                profile.enable()
            await pilot.press(key)
            await pilot.pause()
            while not app.main.tree.complete:  # a big result set is added a frame at a time
                await pilot.pause()
            if profile:
                profile.disable()
            cpu = time.process_time() - cpu_sent
            handled = max(handler_done, default=sent)
            after = [moment for moment in painted if moment > handled] or \
                [moment for moment in painted if moment > sent]  # the frame came before the handler
            row = {"query": label, "shown": count_nodes(app.main.tree.root),
                   "handler_ms": round(sum(handler_times) * 1000, 2),
                   "paint_ms": round((after[0] - sent) * 1000, 2) if after else None,
                   "paint_cpu_ms": round((painted_cpu[after[0]] - cpu_sent) * 1000, 2) if after else None,
                   "settled_ms": round((after[-1] - sent) * 1000, 2) if after else None,
                   "cpu_ms": round(cpu * 1000, 2), "gc_ms": round((gc_spent[0] - gc_before) * 1000, 2)}
            if profile:
                row["_profile"] = profile
            return row

        rows = []
        for query in ARGS.filter:
            await pilot.press("slash")
            await pilot.pause()
            for index, char in enumerate(query):
                rows.append(await keystroke(char, query[:index + 1]))
            result.setdefault("clear", []).append(await keystroke("escape", "(esc)"))
            await pilot.pause()
        if rows:
            slowest = max(rows, key=lambda row: row["cpu_ms"])
            if ARGS.profile:
                result["profile"]["slowest keystroke " + repr(slowest["query"])] = top_functions(slowest["_profile"])
                esc = max(result["clear"], key=lambda row: row["cpu_ms"])
                result["profile"]["Esc (filter cleared, whole tree back)"] = top_functions(esc["_profile"])
        for row in rows + result.get("clear", []):
            row.pop("_profile", None)
        result["keystrokes"] = rows
        await pilot.press("q")
    return result


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
