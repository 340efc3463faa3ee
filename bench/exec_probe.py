"""Where the cached `hats exec P -- CMD` spends its time, step by step, in one process.

    python bench/exec_probe.py PROFILE

Follows commands.cmd_exec with a cached session, up to (not including) the exec of
the command, and prints one JSON object of milliseconds per step:

    import_cli     import tui.cli (what `python -m tui` imports before parsing)
    parse          read the arguments as main does (a plain `exec P -- CMD` without argparse)
    import_engine  import what cmd_exec imports (child.role, child.spawn, sessions, vault, ...)
    load_config    profiles.load(): the AWS config and credentials files
    open_vault     open_vault(): pick and construct the backend
    first_read     the first keyring read (backend import, D-Bus session or Argon2 key derivation)
    second_read    one more read of the same item, as the first read's marginal cost
    child_env      role_child(): the child's environment
    total          all of the above

The environment (HOME, AWS_CONFIG_FILE, HATS_BACKEND, ...) comes from the parent.
"""

from __future__ import annotations

import time

_started = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(profile: str) -> dict:
    steps: dict[str, float] = {}
    mark = time.perf_counter()

    def step(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        steps[name] = round((now - mark) * 1000, 2)
        mark = now

    mark = _started
    from tui import cli
    step("import_cli")
    args = cli.plain_exec(["exec", profile], ["true"]) or cli.parse_args(["exec", profile], ["true"])
    step("parse")
    from tui.mfa import source_for  # noqa: F401  (what commands._engine imports)
    from tui.child.role import role_child
    from tui.engine import Engine
    from tui.child.spawn import exec_child  # noqa: F401
    from tui.credentials import SessionKind
    from tui.store.backends import open_vault
    step("import_engine")
    from tui.profiles import load
    profiles = load()
    step("load_config")
    vault = open_vault(args.backend)
    step("open_vault")
    engine = Engine(profiles, vault, None)
    session = engine.credentials(profile)
    step("first_read")
    vault.get_session(SessionKind.ROLE if len(profiles.chain(profile)) > 1 else SessionKind.MFA_SESSION, profile)
    step("second_read")
    with role_child(engine, profile, session, ["true"], serve=False) as (argv, env):
        assert env["AWS_ACCESS_KEY_ID"]
    step("child_env")
    steps["total"] = round((time.perf_counter() - _started) * 1000, 2)
    return steps


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
