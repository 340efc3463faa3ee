"""hats against its peers, on a local STS, in one command.

    python bench/run.py                 # everything; writes bench/RESULTS.md
    python bench/run.py --runs 5 --only exec,handoff
    python bench/run.py --no-secret-service

Everything runs against a LocalSTS (moto behind AWS's MFA checks) on 127.0.0.1,
started here, with a temporary HOME per keyring backend:

* file: hats' encrypted file (HATS_BACKEND=file, HATS_FILE_PASSPHRASE);
* secret-service: a gnome-keyring-daemon started on the session bus (as in the
  tests). Without DBUS_SESSION_BUS_ADDRESS the script re-runs itself under
  `dbus-run-session` when that and gnome-keyring-daemon are installed.

Sections (each prints a table; medians of --runs repeated runs, tools interleaved
run by run so that load on the machine hits them alike):

1. exec     `hats exec P -- aws sts get-caller-identity` against
            `aws sts get-caller-identity --profile P`, P a two-hop chain with MFA,
            both caches warm. Target: hats adds at most 10 %. hats runs as a user
            installs it (see --hats) and, for comparison, from the checkout.
2. handoff  `hats exec P -- true` and `hats export --format json P` against awsume
            (`awsumepy P`, the program the `awsume` shell function sources), caches
            warm. Target: hats at least 3x faster.
3. prompts  50 runs over 5 MFA-protected roles from a cold cache: MFA prompts
            (counted through a pty) and STS calls (counted by the local STS).
            Target for hats: 1 prompt, 1 GetSessionToken, 5 AssumeRole.
4. tui      launch to a usable first screen, and per-keystroke filter time (each key's
            median over 3 typings), at 100, 2,000 and 10,000 generated profiles
            (bench/configs.py), headless (App.run_test) in a subprocess timed from its launch. Targets: first
            screen under 1 s at 2,000; filtering under 50 ms a keystroke at 10,000.
5. memory   peak RSS of each tool's run and of the TUI (GNU time's %M, which spans
            exec: for `hats exec P -- CMD` it is the larger of hats and CMD).
6. imports  `python -X importtime -m tui exec P -- true`: the 15 heaviest imports,
            and the cached exec path step by step (bench/exec_probe.py).
7. sso      an IAM Identity Center profile on the local Identity Center (bench/sso.py):
            warm against the cached two-hop chain, and the calls of a cold run with a valid token.
8. completion  one TAB at 10,000 profiles: the hook process for names, a subcommand and an option,
            and bash's whole completion function (bench/completion.py). Target: under 100 ms.

hats is measured as a user installs it: `pip install .` into a virtual environment of its
own (what pipx does), run through the console script pip writes. The code it runs is the
checkout's (PYTHONPATH), so the installed and checkout rows run the same code; what differs is
the interpreter's start: this machine's shared site-packages runs .pth hooks (an
editable-install finder, a certifi import) that an environment of hats' own does not.
`--hats checkout` measures `python -m tui` from this interpreter instead.

No timing is asserted anywhere: this is a measuring script, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.configs import account_id, generate, sample_names  # noqa: E402
from bench.completion import section_completion  # noqa: E402
from bench.sso import section_sso  # noqa: E402
from tui.sandbox.world import Account, Role, Spec, User, World, build_world  # noqa: E402

PYTHON = sys.executable
BIN = Path(PYTHON).parent                      # the interpreter's scripts (aws, awsumepy), not pyenv shims
CHECKOUT_HATS = [PYTHON, "-m", "tui"]         # the checkout through this interpreter (editable install)
HATS = CHECKOUT_HATS                           # main() points it at the installed console script
HATS_PYTHON = PYTHON                           # the interpreter HATS runs on
IDENTITY, DEV, PROD = "111111111111", "222222222222", "333333333333"
USER = "bench-user"
TARGET = "prod-hop"                            # bench-user -> dev-hop -> prod-hop, MFA on the first hop
MFA_ROLES = [f"role-{i}" for i in range(1, 6)]
BENCH_PROFILES = 3 + len(MFA_ROLES)            # bench-user, dev-hop, prod-hop and the MFA roles
PASSPHRASE = "correct horse battery staple"
SECTIONS = ("exec", "handoff", "prompts", "tui", "memory", "imports", "sso", "completion")
TUI_SIZES = (100, 2000, 10000)
BIG_CONFIG = 10000                             # generated profiles added to the bench config for the exec rows
PROMPT = re.compile(rb"(?i)enter mfa (code|token)")
NOTES_MARKER = "<!-- notes below are written by hand and kept when run.py rewrites the tables -->"


# -- running and timing ------------------------------------------------------------------
@dataclass
class Run:
    seconds: float
    cpu: float          # user + system seconds of the child (and what it exec'd), less sensitive to load
    maxrss_kb: int
    code: int
    stdout: str
    stderr: str


GNU_TIME = shutil.which("time", path="/usr/bin:/bin")


def run(argv: list[str], env: dict[str, str], check: bool = True) -> Run:
    """Run to completion with no terminal; wall time, CPU time and peak RSS of that one child.

    The child is started through GNU time when there is one: a process forked from this big
    one (moto, botocore) would inherit its RSS high-water mark, as exec keeps the old mm's
    peak in ru_maxrss. GNU time is small, so its child's peak is the command's own.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as rss:
        wrapped = [GNU_TIME, "-q", "-f", "%M", "-o", rss.name, *argv] if GNU_TIME else argv
        started = time.perf_counter()
        child = subprocess.Popen(wrapped, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                 start_new_session=True)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        peak = rss.read().strip().splitlines()
        maxrss = int(peak[-1]) if GNU_TIME and peak and peak[-1].isdigit() else usage.ru_maxrss
        result = Run(seconds, usage.ru_utime + usage.ru_stime, maxrss, child.returncode,
                     out.read().decode(errors="replace"), err.read().decode(errors="replace"))
    if check and result.code != 0:
        raise SystemExit(f"bench: {' '.join(argv)} exited with {result.code}:\n{result.stderr[-2000:]}")
    return result


def spawn_counting_prompts(argv: list[str], env: dict[str, str], code) -> tuple[int, int]:
    """Run on a pty, typing a fresh MFA code at every prompt; (prompts, exit code)."""
    import pexpect

    child = pexpect.spawn(argv[0], argv[1:], env=env, timeout=60)
    prompts = 0
    while child.expect([PROMPT, pexpect.EOF]) == 0:
        prompts += 1
        child.sendline(code())
    child.close()
    return prompts, child.exitstatus if child.exitstatus is not None else 128 + (child.signalstatus or 0)


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def fmt_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} ms"


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def install_hats(root: Path) -> tuple[list[str], str]:
    """hats in a virtual environment of its own, as pipx installs it: (the console script, its python)."""
    venv = root / "venv"
    python = str(venv / "bin/python")
    for argv in ([PYTHON, "-m", "venv", str(venv)],
                 [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(ROOT)]):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise SystemExit(f"bench: installing hats: {' '.join(argv)}:\n{done.stderr[-2000:]}\n"
                             "(--hats checkout measures the checkout instead)")
    return [str(venv / "bin/hats")], python


# -- the world ---------------------------------------------------------------------------
# mfa_serial sits on the base user (hats, awsume) and on each role whose first hop needs it
# (where the AWS CLI looks for it); it names the same device. One file all three tools read.
BENCH_WORLD = Spec(
    accounts=(Account(IDENTITY), Account(DEV), Account(PROD)),
    users=(User(USER, IDENTITY, settings={"region": "eu-west-1"}),),
    roles=(Role("dev-hop", DEV, source=USER, require_mfa=True, mfa_serial=True, settings={"region": "eu-west-1"}),
           Role(TARGET, PROD, source="dev-hop", settings={"region": "eu-west-1"}),
           *(Role(role, DEV, source=USER, require_mfa=True, mfa_serial=True, settings={"region": "eu-west-1"})
             for role in MFA_ROLES)),
)


def start_world() -> World:
    from tui.sandbox.localsts import LocalSTS

    return build_world(LocalSTS().start(), BENCH_WORLD)


def sts_calls(world: World) -> dict[str, int]:
    return {action: world.sts.count(action) for action in ("GetSessionToken", "AssumeRole")}


@dataclass
class Home:
    backend: str
    path: Path
    env: dict[str, str] = field(default_factory=dict)

    def hats(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> Run:
        return run([*HATS, *args], {**self.env, **(env or {})}, check=check)


def make_home(root: Path, backend: str, backend_env: dict[str, str], world: World, config: str,
              credentials: bool = True) -> Home:
    """A fresh HOME with this config; with `credentials`, the bench user's key in the credentials file
    (for the AWS CLI and awsume) and in hats' keyring.

    Homes on the Secret Service share one keyring: `hats add` clears the sessions made from that
    key in all of them, so only the homes of sections 1-3 add the bench user's key.
    """
    path = root / f"home-{backend}-{len(list(root.iterdir()))}"
    (path / ".aws").mkdir(parents=True)
    (path / "tmp").mkdir()
    (path / ".aws/config").write_text(config)
    if credentials:  # for the AWS CLI and awsume; hats reads its key from the keyring
        (path / ".aws/credentials").write_text(
            f"[{USER}]\naws_access_key_id = {world.key_id}\naws_secret_access_key = {world.secret}\n")
        (path / ".aws/credentials").chmod(0o600)
    keep = {name: os.environ[name] for name in ("LANG", "LC_ALL", "TERM") if name in os.environ}
    env = {
        **keep, **backend_env,
        "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(path),
        "XDG_STATE_HOME": str(path / ".local/state"),
        "XDG_DATA_HOME": str(path / ".local/share"),
        "XDG_CACHE_HOME": str(path / ".cache"),
        "XDG_CONFIG_HOME": str(path / ".config"),
        "AWS_CONFIG_FILE": str(path / ".aws/config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(path / ".aws/credentials"),
        "AWS_ENDPOINT_URL": world.sts.url,
        "SHELL": "/bin/sh",
        "TMPDIR": str(path / "tmp"),
        "PYTHONPATH": str(ROOT),
    }
    home = Home(backend, path, env)
    if credentials:
        home.hats("add", USER, "--env", env={"AWS_ACCESS_KEY_ID": world.key_id,
                                             "AWS_SECRET_ACCESS_KEY": world.secret})
    return home


def backends(root: Path, want_secret_service: bool) -> tuple[list[tuple[str, dict[str, str]]], list[str], list]:
    found = [("file", {"HATS_BACKEND": "file", "HATS_FILE_PASSPHRASE": PASSPHRASE})]
    notes, services = [], []
    if not want_secret_service:
        notes.append("Secret Service skipped (--no-secret-service).")
    elif not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        notes.append("Secret Service skipped: no DBUS_SESSION_BUS_ADDRESS (run under dbus-run-session).")
    else:
        from tests.realkeyring import SecretServiceUnavailable, start_secret_service

        try:
            service = start_secret_service(root / "secret-service")
        except SecretServiceUnavailable as error:
            notes.append(f"Secret Service skipped: {error}")
        else:
            services.append(service)
            found.append(("secret-service", {"HATS_BACKEND": "secret-service", **service.env}))
    return found, notes, services


# -- the sections ------------------------------------------------------------------------
WHOAMI = ["sts", "get-caller-identity", "--output", "json"]


def prime(home: Home, world: World) -> None:
    """Warm every cache: hats' keyring, the AWS CLI's ~/.aws/cli/cache, awsume's ~/.awsume/cache."""
    home.hats("exec", TARGET, "--mfa-token", world.code(), "--", "true")
    prompts, code = spawn_counting_prompts([str(BIN / "aws"), *WHOAMI, "--profile", TARGET], home.env, world.code)
    if code != 0 or prompts != 1:
        raise SystemExit(f"bench: priming the AWS CLI: exit {code}, {prompts} prompts")
    primed = run([str(BIN / "awsumepy"), TARGET, "--mfa-token", world.code()], home.env)
    if not primed.stdout.startswith("Awsume "):
        raise SystemExit(f"bench: priming awsume: {primed.stdout[:200]} {primed.stderr[-500:]}")


def sts_calls_of(world: World, argv: list[str], env: dict[str, str]) -> dict[str, int]:
    world.sts.reset_calls()
    run(argv, env)
    return sts_calls(world)


def section_exec(homes: list[Home], big_homes: list[Home], world: World, runs: int, results: dict) -> str:
    rows, notes = [], []
    aws = [str(BIN / "aws"), *WHOAMI]
    cli_cmd = [*aws, "--profile", TARGET]
    variants = [("installed", HATS), ("checkout", CHECKOUT_HATS)] if HATS != CHECKOUT_HATS else [("checkout", HATS)]
    cases = [(h, f"{BENCH_PROFILES} profiles", runs) for h in homes] + \
            [(h, f"{BIG_CONFIG + BENCH_PROFILES:,} profiles", max(3, runs // 2)) for h in big_homes]
    for (home, config, repeats), (how, hats) in [(case, variant) for case in cases for variant in variants]:
        hats_cmd = [*hats, "exec", TARGET, "--", "aws", *WHOAMI]
        for argv in (hats_cmd, cli_cmd):  # both warm: no STS call but GetCallerIdentity
            arn = json.loads(run(argv, home.env).stdout)["Arn"]
            assert arn.startswith(f"arn:aws:sts::{PROD}:assumed-role/prod-hop/"), arn
            calls = sts_calls_of(world, argv, home.env)
            if any(calls.values()):
                notes.append(f"{home.backend}: `{' '.join(argv[2:5])}...` made {calls} on a warm cache")
        times, cpu = {"hats": [], "aws": []}, {"hats": [], "aws": []}
        for index in range(repeats):
            order = [("hats", hats_cmd), ("aws", cli_cmd)]
            for name, argv in order if index % 2 == 0 else reversed(order):
                done = run(argv, home.env)
                times[name].append(done.seconds)
                cpu[name].append(done.cpu)
                if home in homes and how == variants[0][0]:
                    key = ("hats exec P -- aws sts get-caller-identity", home.backend) if name == "hats" else \
                          ("aws sts get-caller-identity --profile P", "-")
                    results["rss"].setdefault(key, []).append(done.maxrss_kb)
        hats_ms, aws_ms = median_ms(times["hats"]), median_ms(times["aws"])
        overhead = (hats_ms - aws_ms) / aws_ms * 100
        results["exec"][f"{home.backend}, {config}" + ("" if how == variants[0][0] else f", {how}")] = {
            "hats_ms": hats_ms, "aws_ms": aws_ms, "overhead_pct": overhead, "runs": repeats,
            "hats_min_ms": min(times["hats"]) * 1000, "aws_min_ms": min(times["aws"]) * 1000,
            "hats_cpu_ms": median_ms(cpu["hats"]), "aws_cpu_ms": median_ms(cpu["aws"])}
        cpu_overhead = (median_ms(cpu["hats"]) - median_ms(cpu["aws"])) / median_ms(cpu["aws"]) * 100
        rows.append([home.backend, config, how, fmt_ms(hats_ms), fmt_ms(aws_ms), f"{hats_ms / aws_ms:.2f}x",
                     f"{hats_ms - aws_ms:+,.0f} ms ({overhead:+.0f} %)", "met" if overhead <= 10 else "MISSED",
                     f"{min(times['hats']) * 1000:,.0f} / {min(times['aws']) * 1000:,.0f} ms",
                     f"{median_ms(cpu['hats']):,.0f} / {median_ms(cpu['aws']):,.0f} ms ({cpu_overhead:+.0f} %)",
                     str(repeats)])
    text = table(["backend", "config", "hats run as", "hats exec P -- aws sts get-caller-identity",
                  "aws sts get-caller-identity --profile P", "ratio", "hats adds (wall)", "target <=10 %",
                  "min hats / aws", "CPU hats / aws (adds)", "runs"], rows)
    return text + "".join(f"\n\nNote: {note}" for note in notes)


def section_handoff(homes: list[Home], world: World, runs: int, results: dict) -> str:
    rows = []
    awsume = [str(BIN / "awsumepy"), TARGET]
    for home in homes:
        commands = {
            f"hats exec {TARGET} -- true": [*HATS, "exec", TARGET, "--", "true"],
            f"hats export --format json {TARGET}": [*HATS, "export", "--format", "json", TARGET],
            f"awsume {TARGET} (awsumepy)": awsume,
        }
        exported = json.loads(run(commands[f"hats export --format json {TARGET}"], home.env).stdout)
        assert exported["Version"] == 1 and exported["SessionToken"], exported
        calls = {name: sts_calls_of(world, argv, home.env) for name, argv in commands.items()}
        times = {name: [] for name in commands}
        cpu = {name: [] for name in commands}
        for index in range(runs):
            items = list(commands.items())
            for name, argv in items[index % 3:] + items[:index % 3]:
                done = run(argv, home.env)
                times[name].append(done.seconds)
                cpu[name].append(done.cpu)
                backend = "-" if name.startswith("awsume") else home.backend
                results["rss"].setdefault((name.replace(TARGET, "P"), backend), []).append(done.maxrss_kb)
        awsume_ms = median_ms(times[f"awsume {TARGET} (awsumepy)"])
        for name in commands:
            ms = median_ms(times[name])
            is_hats = name.startswith("hats")
            speedup = awsume_ms / ms
            results["handoff"].setdefault(home.backend, {})[name] = {
                "ms": ms, "speedup": speedup, "calls": calls[name], "cpu_ms": median_ms(cpu[name]),
                "min_ms": min(times[name]) * 1000}
            rows.append([home.backend if is_hats else f"({home.backend} home)", name, fmt_ms(ms),
                         f"{speedup:.2f}x" if is_hats else "1.00x",
                         ("met" if speedup >= 3 else "MISSED") if is_hats else "",
                         fmt_ms(min(times[name]) * 1000), fmt_ms(median_ms(cpu[name])),
                         f"{calls[name]['GetSessionToken']} GST + {calls[name]['AssumeRole']} AR"])
    return table(["backend", "command (warm)", "median", "faster than awsume", "target >=3x", "min",
                  "CPU (user+sys)", "STS calls per run"], rows)


def section_prompts(homes: list[Home], world: World, results: dict) -> str:
    rows = []
    plan = [MFA_ROLES[i % len(MFA_ROLES)] for i in range(50)]

    def measure(label: str, backend: str, argv_for, env, before=lambda: None) -> None:
        before()
        world.sts.reset_calls()
        prompts, started = 0, time.perf_counter()
        for role in plan:
            asked, code = spawn_counting_prompts(argv_for(role), env, world.code)
            if code != 0:
                raise SystemExit(f"bench: {label} {role} exited with {code}")
            prompts += asked
        seconds = time.perf_counter() - started
        calls = sts_calls(world)
        results["prompts"].setdefault(label, {})[backend] = {"prompts": prompts, **calls, "seconds": seconds}
        is_hats = label.startswith("hats")
        met = (prompts, calls["GetSessionToken"], calls["AssumeRole"]) == (1, 1, len(MFA_ROLES))
        rows.append([label, backend, str(prompts), str(calls["GetSessionToken"]), str(calls["AssumeRole"]),
                     f"{seconds:.1f} s", ("met" if met else "MISSED") if is_hats else ""])

    for home in homes:
        measure("hats exec ROLE -- true", home.backend, lambda role: [*HATS, "exec", role, "--", "true"], home.env,
                lambda home=home: home.hats("clear"))
    home = homes[0]
    measure("aws sts get-caller-identity --profile ROLE", "-",
            lambda role: [str(BIN / "aws"), *WHOAMI, "--profile", role],
            home.env, lambda: shutil.rmtree(home.path / ".aws/cli/cache", ignore_errors=True))
    measure("awsume ROLE (awsumepy)", "-", lambda role: [str(BIN / "awsumepy"), role], home.env,
            lambda: shutil.rmtree(home.path / ".cache/awsume", ignore_errors=True))  # XDG_CACHE_HOME/awsume
    for home in homes:  # the clears above dropped the target's sessions: warm them again for what follows
        home.hats("exec", TARGET, "--mfa-token", world.code(), "--", "true")
    return table(["50 runs over 5 MFA roles, cold cache", "backend", "MFA prompts", "GetSessionToken",
                  "AssumeRole", "wall, all 50", "target 1 / 1 / 5"], rows)


def tui_queries(n: int) -> list[str]:
    names = sample_names(n)
    name = next(name for name in names[len(names) * 2 // 3:] if name.startswith("t") and "prod" in name)
    return [name, account_id(n // 25 // 3)]


def tui_probe(home: Home, extra: list[str]) -> tuple[dict, int]:
    launched = time.time()
    done = run([PYTHON, str(ROOT / "bench/tui_probe.py"), repr(launched), *extra], home.env)
    return json.loads(done.stdout.strip().splitlines()[-1]), done.maxrss_kb


def one_user_config(n: int) -> str:
    """One person with n - 1 roles straight under them: the shape whose first screen was one closed row."""
    user = "u0000-jdoe"
    roles = [f"[profile r{index:05d}-{('dev', 'prod', 'stage')[index % 3]}-admin]\nsource_profile = {user}\n"
             f"role_arn = arn:aws:iam::{account_id(index % 97)}:role/admin-{index}\n" for index in range(n - 1)]
    return "\n".join([f"[profile {user}]\nmfa_serial = arn:aws:iam::100000000001:mfa/{user}\n", *roles])


# (shape, config for n profiles, sizes, where its figures go in the results)
TUI_SHAPES = (("organisation", generate, TUI_SIZES, "tui"),
              ("one user", one_user_config, (2000, 10000), "tui_one_user"))


def section_tui(root: Path, backend_list, world: World, launches: int, results: dict, profile: bool) -> str:
    launch_rows, key_rows = [], []
    for backend, backend_env in backend_list:
        for shape, make_config, sizes, key in TUI_SHAPES:
            for n in sizes:
                launch_rows.append(tui_launches(root, backend, backend_env, world, make_config(n), n, launches,
                                                results, key, shape))
                if shape == "organisation" and backend == backend_list[0][0]:  # the filter never touches the keyring
                    key_rows.append(tui_keystrokes(results["tui_home"], n, results, profile))
    results.pop("tui_home", None)
    return tui_tables(launch_rows, key_rows, results)


def tui_launches(root: Path, backend: str, backend_env, world: World, config: str, n: int, launches: int,
                 results: dict, key: str, shape: str) -> list[str]:
    """Launch the app `launches` times on this config; its medians go to results[key][backend][n]."""
    home = make_home(root, backend, backend_env, world, config, credentials=False)
    base = next(line[9:-1] for line in config.splitlines() if line.startswith("[profile u"))
    home.hats("add", base, "--env", env={"AWS_ACCESS_KEY_ID": world.key_id,
                                         "AWS_SECRET_ACCESS_KEY": world.secret})
    marks, rss = [], []
    count = launches if n < 10000 else max(1, launches - 2)
    for _ in range(count):
        probe, maxrss = tui_probe(home, [])
        marks.append(probe["marks"])
        rss.append(maxrss)
    first = statistics.median(m["first_screen"] for m in marks) * 1000
    entry = {"first_screen_ms": first,
             "imported_ms": statistics.median(m["imported"] for m in marks) * 1000,
             "interpreter_ms": statistics.median(m["interpreter"] for m in marks) * 1000,
             "keyring_ready_ms": statistics.median(m["keyring_ready"] for m in marks) * 1000,
             "cpu_ms": statistics.median(m["cpu_until_first_screen"] for m in marks) * 1000,
             "gc_ms": statistics.median(m["gc_until_first_screen"] for m in marks) * 1000,
             "nodes": probe["nodes"], "maxrss_kb": max(rss), "runs": count}
    results.setdefault(key, {}).setdefault(backend, {})[n] = entry
    if shape == "organisation":
        results["rss"][(f"TUI (headless) at {n:,} profiles", backend)] = rss
    results["tui_home"] = home
    return [backend, shape, f"{n:,}", str(entry["nodes"]), fmt_ms(entry["interpreter_ms"]),
            fmt_ms(entry["imported_ms"]), fmt_ms(first), fmt_ms(entry["keyring_ready_ms"]),
            fmt_ms(entry["cpu_ms"]), fmt_ms(entry["gc_ms"]),
            ("met" if first < 1000 else "MISSED") if n >= 2000 else ""]


KEY_RUNS = 3  # the filter typed this many times; each key's figures are its medians over them


def tui_keystrokes(home: Home, n: int, results: dict, profile: bool) -> list[str]:
    """The filter typed one key at a time, KEY_RUNS times in the home just launched; one row of the
    keystroke table. Each key counts with its median over the runs, as every other figure here is a
    median: one sample a key let a single stall of the machine (a key of 3 ms taking 90 ms with 10 ms
    of CPU) decide the row. The slowest single sample is shown beside it."""
    queries = tui_queries(n)
    typed = [arg for query in queries for arg in ("--filter", query)]
    probes = [tui_probe(home, typed)[0] for _ in range(KEY_RUNS)]
    keys = median_keys([probe["keystrokes"] for probe in probes])
    clears = median_keys([probe.get("clear", []) for probe in probes])
    results["tui_keys"][n] = {"queries": queries, "keystrokes": keys, "clear": clears,
                              "runs": [probe["keystrokes"] for probe in probes]}
    if profile and n == max(TUI_SIZES):  # a run of its own: cProfile doubles the times it sees
        results["tui_profile"] = tui_probe(home, [*typed, "--profile"])[0]["profile"]
    worst = max(keys, key=lambda k: k["paint_ms"] or 0)
    paint = [k["paint_ms"] for k in keys if k["paint_ms"] is not None]
    settled = [k.get("settled_ms") or k["paint_ms"] for k in keys if k["paint_ms"] is not None]
    clear = max((k["paint_ms"] or 0) for k in clears or [{"paint_ms": 0}])
    samples = [(key["paint_ms"], key["paint_cpu_ms"], key["query"]) for probe in probes
               for key in probe["keystrokes"] if key["paint_ms"] is not None]
    slowest = max(samples)

    def spread(values) -> str:
        values = list(values)
        return f"{statistics.median(values):,.0f} / {max(values):,.0f} ms"
    return [f"{n:,}", str(len(keys)), spread(k["handler_ms"] for k in keys), spread(paint), spread(settled),
            spread(k["cpu_ms"] for k in keys), spread(k["gc_ms"] for k in keys),
            f"{sum(1 for ms in paint if ms >= 50)} of {len(paint)}",
            f"{worst['query']!r} ({worst['shown']:,} nodes)",
            f"{slowest[0]:,.0f} ms ({slowest[1]:,.0f} ms CPU), {slowest[2]!r}", f"{clear:,.0f} ms",
            ("met" if max(paint) < 50 else "MISSED") if n == 10000 else ""]


def median_keys(runs: list[list[dict]]) -> list[dict]:
    """Key by key, the median of each figure over the runs (the same keys in the same order in each)."""
    merged = []
    for same_key in zip(*runs):
        row = dict(same_key[0])
        for name, value in same_key[0].items():
            if isinstance(value, (int, float)) and name != "shown":
                values = [key[name] for key in same_key if key.get(name) is not None]
                row[name] = statistics.median(values) if values else None
        merged.append(row)
    return merged


def tui_tables(launch_rows: list[list[str]], key_rows: list[list[str]], results: dict) -> str:
    text = table(["backend", "shape", "profiles", "nodes on screen", "interpreter up", "tui.app imported",
                  "first screen", "keyring open", "CPU to first screen", "of which GC",
                  "target <1 s from 2,000"], launch_rows)
    text += ("\n\nShapes: organisation is bench/configs.py (a base user per 20 profiles, chains of up to "
             "three roles); one user is a single base user with every other profile a role straight under it.")
    text += (f"\n\nPer keystroke (filter typed one key at a time, {KEY_RUNS} times; each key its median over "
             "the runs; median / worst key):\n\n")
    text += table(["profiles", "keys", "handler (match scan + tree.show)", "key -> painted",
                   "key -> all rows added", "CPU per key", "GC per key", "keys >=50 ms", "worst key",
                   "slowest single sample", "Esc -> painted", "target <50 ms at 10,000"], key_rows)
    biggest = max(results["tui_keys"]) if results["tui_keys"] else None
    if biggest:
        detail = results["tui_keys"][biggest]
        text += (f"\n\nEvery keystroke at {biggest:,} profiles (queries {', '.join(map(repr, detail['queries']))}; "
                 f"medians of {KEY_RUNS} runs):\n\n")
        text += table(["query so far", "nodes shown", "handler", "key -> painted", "all rows added", "CPU", "GC"],
                      [[repr(k["query"]), f"{k['shown']:,}", f"{k['handler_ms']:,.0f} ms", fmt_ms(k["paint_ms"]),
                        fmt_ms(k.get("settled_ms")),
                        f"{k['cpu_ms']:,.0f} ms", f"{k['gc_ms']:,.0f} ms"]
                       for k in detail["keystrokes"] + detail["clear"]])
    return text


def section_memory(results: dict) -> str:
    rows = [[name, backend, f"{max(values) / 1024:,.0f} MiB", f"{statistics.median(values) / 1024:,.0f} MiB"]
            for (name, backend), values in results["rss"].items()]
    return table(["process", "backend", "peak RSS (max)", "peak RSS (median)"], rows)


def parse_importtime(stderr: str) -> list[tuple[int, int, str]]:
    rows = []
    for line in stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match:
            rows.append((int(match.group(1)), int(match.group(2)), match.group(3)[1:] + match.group(4)))
    return rows


def section_imports(homes: list[Home], world: World, results: dict) -> str:
    parts = []
    baseline = []
    for label, argv in (("python -c pass", [PYTHON, "-c", "pass"]),
                        ("python -S -c pass (no site, no .pth hooks)", [PYTHON, "-S", "-c", "pass"]),
                        ("python -c 'import tui.cli'", [PYTHON, "-c", "import tui.cli"]),
                        *([("hats' own environment: python -c pass", [HATS_PYTHON, "-c", "pass"]),
                           ("hats' own environment: python -c 'import tui.cli'", [HATS_PYTHON, "-c", "import tui.cli"])]
                          if HATS_PYTHON != PYTHON else [])):
        runs_ = [run(argv, homes[0].env) for _ in range(10)]
        baseline.append([label, fmt_ms(median_ms([r.seconds for r in runs_])),
                         fmt_ms(median_ms([r.cpu for r in runs_])),
                         f"{max(r.maxrss_kb for r in runs_) / 1024:,.0f} MiB"])
    results["baseline"] = baseline
    parts.append("The floor any Python command pays here (median of 10; this machine's site-packages has .pth\n"
                 "hooks, an editable-install finder and a certifi import, that every Python tool pays, aws too):\n\n"
                 + table(["command", "wall", "CPU", "peak RSS"], baseline))
    for home in homes:
        home.hats("exec", TARGET, "--mfa-token", world.code(), "--", "true")  # warm, whatever ran before
        traced = [HATS_PYTHON, "-X", "importtime", *(HATS[-1:] if HATS != CHECKOUT_HATS else ["-m", "tui"]),
                  "exec", TARGET, "--", "true"]
        for _ in range(2):  # warm the bytecode and page caches
            run(traced, home.env)
        done = run(traced, home.env)
        rows = parse_importtime(done.stderr)
        total = sum(self_us for self_us, _, _ in rows)
        top = sorted(rows, key=lambda row: -row[1])[:15]
        results["imports"][home.backend] = {"total_ms": total / 1000, "modules": len(rows),
                                            "top": [(name.strip(), cum / 1000, self_us / 1000)
                                                    for self_us, cum, name in top]}
        steps = [json.loads(run([HATS_PYTHON, str(ROOT / "bench/exec_probe.py"), TARGET], home.env).stdout)
                 for _ in range(5)]
        median_steps = {name: statistics.median(s[name] for s in steps) for name in steps[0]}
        results["exec_steps"][home.backend] = median_steps
        parts.append(f"{home.backend}: {len(rows)} modules, {total / 1000:,.0f} ms of imports "
                     f"(`{' '.join(Path(word).name for word in traced)}`), heaviest by cumulative time:\n\n"
                     + table(["module", "cumulative", "self"],
                             [[f"`{name.rstrip()}`", f"{cum / 1000:,.1f} ms", f"{self_us / 1000:,.1f} ms"]
                              for self_us, cum, name in top]))
        parts.append(f"{home.backend}: the cached exec path step by step (bench/exec_probe.py, median of 5):\n\n"
                     + table(["step", "ms"], [[name, f"{ms:,.1f}"] for name, ms in median_steps.items()]))
    return "\n\n".join(parts)


# -- the machine and the report ----------------------------------------------------------
def machine() -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    versions = []
    for name in ("textual", "botocore", "awscli", "awsume", "keyring", "moto"):
        try:
            from importlib.metadata import version

            versions.append(f"{name} {version(name)}")
        except Exception:  # noqa: BLE001 - not installed: say so
            versions.append(f"{name} (not installed)")
    git = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "tui"],
                           capture_output=True, text=True).stdout.strip()
    return [f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
            f"- code: {git.stdout.strip()[:90]}" + (" (tui/ has uncommitted changes)" if dirty else ""),
            f"- machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu}, "
            f"{platform.system()} {platform.release()}",
            f"- Python {platform.python_version()} ({PYTHON}); {', '.join(versions)}",
            f"- load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"]


def reexec_under_dbus(args) -> None:
    if (args.no_secret_service or os.environ.get("DBUS_SESSION_BUS_ADDRESS")
            or os.environ.get("HATS_BENCH_UNDER_DBUS") or not shutil.which("dbus-run-session")
            or not shutil.which("gnome-keyring-daemon")):
        return
    print("bench: no session bus; running again under dbus-run-session for the Secret Service", file=sys.stderr)
    os.environ["HATS_BENCH_UNDER_DBUS"] = "1"
    os.execvp("dbus-run-session", ["dbus-run-session", "--", PYTHON, *sys.argv])


def main() -> int:
    global HATS, HATS_PYTHON
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="repeats per timed command (default 15)")
    parser.add_argument("--launches", type=int, default=5, help="TUI launches per size (default 5; 3 at 10,000)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections: {', '.join(SECTIONS)}")
    parser.add_argument("--no-secret-service", action="store_true", help="the encrypted file backend only")
    parser.add_argument("--hats", choices=("installed", "checkout"), default="installed",
                        help="how hats runs: installed in a virtual environment of its own, as pipx would "
                             "(default), or the checkout through this interpreter (python -m tui)")
    parser.add_argument("--no-profile", action="store_true", help="skip cProfile of the TUI at 10,000 profiles")
    parser.add_argument("--results", default=str(ROOT / "bench/RESULTS.md"),
                        help="where to write the tables and, beside them, the raw figures as .json "
                             "(only after a run of every section)")
    args = parser.parse_args()
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    missing = [tool for tool, package in (("aws", "awscli"), ("awsumepy", "awsume")) if not (BIN / tool).exists()]
    if missing:
        raise SystemExit(f"bench: {', '.join(missing)} not found beside {PYTHON}: "
                         "pip install awscli awsume (the peers are measured from this interpreter)")
    reexec_under_dbus(args)

    report = ["# hats benchmarks", "",
              "Written by `python bench/run.py` (about 5 minutes; raw figures in RESULTS.json beside this file).", "",
              *machine(), ""]
    results: dict = {"exec": {}, "handoff": {}, "prompts": {}, "tui": {}, "tui_keys": {}, "rss": {},
                     "imports": {}, "exec_steps": {}}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hats-bench-") as temporary:
        root = Path(temporary)
        if args.hats == "installed":
            HATS, HATS_PYTHON = install_hats(root)
            report += [f"- hats: installed with pip into a virtual environment of its own ({HATS[0]}), "
                       "running the checkout's code", ""]
        world = start_world()
        services = []
        try:
            backend_list, notes, services = backends(root, not args.no_secret_service)
            report += [f"- backends: {', '.join(name for name, _ in backend_list)}", *[f"- {n}" for n in notes],
                       f"- local STS: {world.sts.url} (moto behind hats' MFA checks, in the bench process)", ""]
            print("\n".join(report), flush=True)
            homes, big_homes = [], []
            if set(only) & {"exec", "handoff", "prompts", "imports", "memory", "sso"}:
                for backend, backend_env in backend_list:
                    home = make_home(root, backend, backend_env, world, world.config_text())
                    prime(home, world)
                    homes.append(home)
            if "exec" in only:
                for backend, backend_env in backend_list:
                    config = world.config_text() + "\n" + generate(BIG_CONFIG)
                    home = make_home(root, backend, backend_env, world, config)
                    prime(home, world)
                    big_homes.append(home)
            sections = [
                ("exec", "1. Exec overhead: a two-hop chain with MFA, both caches warm",
                 lambda: section_exec(homes, big_homes, world, args.runs, results)),
                ("handoff", "2. Warm credential hand-off against awsume",
                 lambda: section_handoff(homes, world, args.runs, results)),
                ("prompts", "3. MFA prompts and STS calls: 50 runs over 5 MFA-protected roles",
                 lambda: section_prompts(homes, world, results)),
                ("tui", "4. The TUI at 100, 2,000 and 10,000 profiles",
                 lambda: section_tui(root, backend_list, world, args.launches, results, not args.no_profile)),
                ("memory", "5. Memory: peak RSS", lambda: section_memory(results)),
                ("imports", "6. Imports of the cached `hats exec` path",
                 lambda: section_imports(homes, world, results)),
                ("sso", "7. IAM Identity Center: a cached SSO role, and a cold one with a valid token",
                 lambda: section_sso(homes, world, args.runs, results, run, median_ms, fmt_ms, table, HATS, TARGET)),
                ("completion", "8. Tab completion at 10,000 profiles",
                 lambda: section_completion(args.runs, results, fmt_ms, table, HATS)),
            ]
            for name, title, body in sections:
                if name not in only:
                    continue
                print(f"## {title}\n", flush=True)
                section_started = time.perf_counter()
                text = body()
                print(text + f"\n\n({time.perf_counter() - section_started:.0f} s)\n", flush=True)
                report += [f"## {title}", "", text, ""]
                if name == "tui" and results.get("tui_profile"):
                    report += ["### cProfile of the TUI at 10,000 profiles "
                               "(a run of its own under cProfile; main thread)", ""]
                    for what, lines in results["tui_profile"].items():
                        report += [f"{what}:", "", "```", *lines, "```", ""]
                        print(f"{what}:\n" + "\n".join(lines) + "\n", flush=True)
        finally:
            for service in services:
                service.stop()
            world.sts.stop()
    report += [f"- load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
               f"whole run {time.perf_counter() - started:.0f} s", ""]
    if set(only) == set(SECTIONS):
        Path(args.results).with_suffix(".json").write_text(json.dumps(
            {**results, "rss": {f"{k[0]} [{k[1]}]": v for k, v in results["rss"].items()}}, indent=1, default=str))
        previous = Path(args.results).read_text() if Path(args.results).exists() else ""
        kept = previous[previous.index(NOTES_MARKER):] if NOTES_MARKER in previous else ""
        Path(args.results).write_text("\n".join(report) + ("\n" + kept if kept else ""))
        print(f"bench: wrote {args.results}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
