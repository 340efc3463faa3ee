"""Generated AWS configs for the TUI benchmark: many base users, roles, chains, accounts, regions.

    python bench/configs.py 2000 > /tmp/config      # print one

A config of N profiles holds, deterministically for a given N and seed:

* base users (about 1 in 20): long-term keys, an MFA device in one of a few
  identity accounts, a region;
* roles (most of the rest) in one of N/25 accounts, about half of them with a
  `hats_account_alias`; 70 % assumed straight from a base user, 30 % chained
  from another role (chains of up to three roles after the base user), some with an
  external_id, a session name or a duration;
* a handful (1 %) that fit nowhere: credential_process, a missing source_profile.

Names look like a real organisation's: `u0042-jdoe` for people,
`t017-payments-prod-admin` for roles.
"""

from __future__ import annotations

import random
import sys

TEAMS = ("payments", "search", "billing", "identity", "data", "ml", "mobile", "web", "infra", "security",
         "analytics", "growth", "ledger", "catalog", "checkout", "support", "ads", "media", "iot", "edge")
ENVS = ("dev", "stage", "prod", "sandbox", "qa")
KINDS = ("admin", "readonly", "deploy", "billing", "audit", "operator", "break-glass")
REGIONS = ("eu-west-1", "eu-central-1", "us-east-1", "us-east-2", "us-west-2", "ap-southeast-1",
           "ap-northeast-1", "sa-east-1", "ca-central-1", "eu-north-1")
PEOPLE = ("jdoe", "asmith", "mlopez", "kchen", "rpatel", "ebrown", "tnguyen", "ojones", "lgarcia", "hkim")
IDENTITY_ACCOUNTS = ("100000000001", "100000000002", "100000000003")


def account_id(index: int) -> str:
    return f"{200000000000 + index * 7919:012d}"


def generate(n: int, seed: int = 42) -> str:
    """The text of an AWS config file with `n` profiles."""
    rng = random.Random(seed * 1_000_003 + n)
    n_bases = max(2, n // 20)
    n_broken = n // 100
    n_roles = max(0, n - n_bases - n_broken)
    n_accounts = max(5, n // 25)
    aliases = {i: f"{rng.choice(TEAMS)}-{rng.choice(ENVS)}-{i:03d}" for i in range(n_accounts) if rng.random() < 0.5}

    out: list[str] = []
    bases: list[str] = []
    for i in range(n_bases):
        name = f"u{i:04d}-{PEOPLE[i % len(PEOPLE)]}"
        identity = IDENTITY_ACCOUNTS[i % len(IDENTITY_ACCOUNTS)]
        bases.append(name)
        out.append(f"[profile {name}]\nmfa_serial = arn:aws:iam::{identity}:mfa/{name}\n"
                   f"region = {rng.choice(REGIONS)}\n")

    roles: list[str] = []
    depth: dict[str, int] = {}  # roles between the base user and this one, itself included
    for i in range(n_roles):
        team = TEAMS[i % len(TEAMS)]
        name = f"t{i // len(TEAMS):03d}-{team}-{rng.choice(ENVS)}-{rng.choice(KINDS)}"
        while name in roles:  # the random part can repeat; keep names unique
            name += "-x"
        sources = [role for role in roles[-200:] if depth[role] < 3]
        chained = bool(sources) and rng.random() < 0.3
        source = rng.choice(sources) if chained else rng.choice(bases)
        depth[name] = depth[source] + 1 if chained else 1
        account = rng.randrange(n_accounts)
        lines = [f"[profile {name}]", f"source_profile = {source}",
                 f"role_arn = arn:aws:iam::{account_id(account)}:role/{team}-{name.split('-', 2)[2]}"]
        if rng.random() < 0.6:
            lines.append(f"region = {rng.choice(REGIONS)}")
        if account in aliases:
            lines.append(f"hats_account_alias = {aliases[account]}")
        if rng.random() < 0.1:
            lines.append(f"external_id = ext-{rng.randrange(10**6):06d}")
        if rng.random() < 0.1:
            lines.append(f"role_session_name = {PEOPLE[i % len(PEOPLE)]}-{team}")
        if not chained and rng.random() < 0.05:
            lines.append("duration_seconds = 7200")
        roles.append(name)
        out.append("\n".join(lines) + "\n")

    for i in range(n_broken):
        if i % 2:
            out.append(f"[profile legacy-{i:03d}]\ncredential_process = /usr/local/bin/get-creds {i}\n")
        else:
            out.append(f"[profile orphan-{i:03d}]\nsource_profile = gone-{i:03d}\n"
                       f"role_arn = arn:aws:iam::{account_id(i)}:role/orphan\n")
    return "\n".join(out)


def sample_names(n: int, seed: int = 42) -> list[str]:
    """Profile names of the generated config, in file order (for picking filter queries)."""
    return [line[9:-1] for line in generate(n, seed).splitlines() if line.startswith("[profile ")]


if __name__ == "__main__":
    sys.stdout.write(generate(int(sys.argv[1]) if len(sys.argv) > 1 else 100))
