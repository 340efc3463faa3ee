"""Section 7 of bench/run.py: IAM Identity Center profiles, on the sandbox's local Identity Center.

Targets (issue 12): an SSO profile with a cached role session hands over as fast as any cached
exec (here: the bench's two-hop chain, `hats exec prod-hop -- true`); a cold SSO profile with a
valid token makes one GetRoleCredentials and nothing else (no CreateToken, no RegisterClient, no
listing, no STS call).
"""

from __future__ import annotations

import sys

SSO_ACCOUNT, SSO_PROFILE = "444455556666", "sso-dev"
COUNTED = ("RegisterClient", "CreateToken", "ListAccounts", "ListAccountRoles", "GetRoleCredentials")


def sso_config(idc) -> str:
    return (f"\n[sso-session bench]\nsso_start_url = {idc.start_url}\nsso_region = {idc.region}\n\n"
            f"[profile {SSO_PROFILE}]\nsso_session = bench\nsso_account_id = {SSO_ACCOUNT}\n"
            "sso_role_name = AdministratorAccess\nregion = eu-west-1\n")


def section_sso(homes, world, runs: int, results: dict, run, median_ms, fmt_ms, table, hats: list[str],
                target: str) -> str:
    from tui.sandbox.identity_center import LocalIdentityCenter

    rows = []
    with LocalIdentityCenter(world.sts) as idc:
        idc.approval = "allow"
        idc.add_account(SSO_ACCOUNT, "Bench", "bench@example.com")
        idc.add_role(SSO_ACCOUNT, "AdministratorAccess")
        for home in homes:
            env = {**home.env, "AWS_ENDPOINT_URL_SSO_OIDC": idc.url, "AWS_ENDPOINT_URL_SSO": idc.url,
                   "BROWSER": f"{sys.executable} -m tui.sandbox.browser %s", "HATS_SANDBOX_BROWSER": "approve"}
            with open(home.env["AWS_CONFIG_FILE"], "a", encoding="utf-8") as config:
                config.write(sso_config(idc))
            run([*hats, "sso", "login", "bench"], env)
            cold = []
            for _ in range(max(3, runs // 3)):
                run([*hats, "clear", SSO_PROFILE], env)
                idc.reset_calls()
                world.sts.reset_calls()
                cold.append(run([*hats, "exec", SSO_PROFILE, "--", "true"], env).seconds)
            calls = {action: idc.count(action) for action in COUNTED}
            sts = world.sts.count("GetSessionToken") + world.sts.count("AssumeRole")
            warm = {SSO_PROFILE: [], target: []}
            for index in range(runs):
                for name in ([SSO_PROFILE, target] if index % 2 == 0 else [target, SSO_PROFILE]):
                    warm[name].append(run([*hats, "exec", name, "--", "true"], env).seconds)
            sso_ms, chain_ms = median_ms(warm[SSO_PROFILE]), median_ms(warm[target])
            only_one = calls["GetRoleCredentials"] == 1 and sum(calls.values()) == 1 and sts == 0
            results.setdefault("sso", {})[home.backend] = {
                "warm_ms": sso_ms, "chain_warm_ms": chain_ms, "cold_ms": median_ms(cold), "cold_calls": calls,
                "cold_sts_calls": sts}
            difference = (sso_ms - chain_ms) / chain_ms * 100
            rows.append([home.backend, fmt_ms(sso_ms), fmt_ms(chain_ms), f"{difference:+.0f} %",
                         "met" if sso_ms <= chain_ms * 1.1 else "MISSED", fmt_ms(median_ms(cold)),
                         ", ".join(f"{n} {calls[n]}" for n in COUNTED if calls[n]) + f"; STS {sts}",
                         "met" if only_one else "MISSED"])
    return table(["backend", f"hats exec {SSO_PROFILE} -- true (warm)", f"hats exec {target} -- true (warm)",
                  "difference", "target: as fast (<=10 %)", "cold, valid token", "calls per cold run (last)",
                  "target: 1 GetRoleCredentials"], rows)
