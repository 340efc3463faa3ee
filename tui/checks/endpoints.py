"""Whether STS and each sign-in's Identity Center answer, and this computer's clock against STS's.

The endpoints are the ones hats would call, resolved by botocore as in sts.py and sso/calls.py
(AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, a profile's endpoint_url or services section). No
credentials are used: an unsigned call is refused, and a refusal is an answer, with a Date header
that tells STS's time. The clients' timeouts (3 s to connect, 3 to 10 s to read, two tries) bound
every check.
"""

from __future__ import annotations

import os

from ..errors import ConfigError, HatsError
from ..profiles import ProfileSet
from ..sso.config import SignIn, is_sso_profile
from ..sts import CLOCK_SKEW, skew_seconds, skew_text, unsigned_answer
from . import Finding, note, ok, problem

OWN_ENDPOINT_SETTINGS = ("endpoint_url", "services")  # a profile with either may call an STS of its own
SERVICE_NAMES = {"sso-oidc": "sign-in (sso-oidc)", "sso": "portal (sso)"}


def sts_findings(profiles: ProfileSet | None) -> list[Finding]:
    """One line an STS endpoint hats would call, then one for the clock."""
    if profiles is None:  # botocore reads the same files: it would only say so again
        return [note("sts", "not checked: the AWS config cannot be read")]
    findings: list[Finding] = []
    dates: list[str] = []
    for profile, endpoint in _sts_endpoints(profiles).items():
        try:
            url, metadata = unsigned_answer(profile)
        except HatsError as error:
            findings.append(problem("sts", f"{endpoint}{str(error)}"))
            continue
        status = metadata.get("HTTPStatusCode", "?")
        findings.append(ok("sts", f"{endpoint}{url} answers (HTTP {status} to an unsigned GetCallerIdentity)"))
        date = metadata.get("HTTPHeaders", {}).get("date")
        if date:
            dates.append(date)
    return [*findings, _clock(dates)]


def _sts_endpoints(profiles: ProfileSet) -> dict[str, str]:
    """The profiles to resolve an endpoint for, each with how its line starts: the default (AWS_PROFILE's),
    then each profile that may name its own endpoint."""
    named = os.environ.get("AWS_PROFILE")
    chosen = {named or "default": f"profile '{named}': " if named else ""}
    for profile in profiles:
        if profile.name not in chosen and any(key in profile.settings for key in OWN_ENDPOINT_SETTINGS):
            chosen[profile.name] = f"profile '{profile.name}': "
    return chosen


def _clock(dates: list[str]) -> Finding:
    skews = [skew for skew in map(skew_seconds, dates) if skew is not None]
    if not skews:
        return note("clock", "not checked: no STS answered with a Date")
    skew = max(skews, key=abs)
    if abs(skew) > CLOCK_SKEW.total_seconds():
        limit = round(CLOCK_SKEW.total_seconds() / 60)
        return problem("clock", f"this computer's clock is {skew_text(skew)} STS's (the Date of its answer): AWS "
                                f"refuses signatures more than {limit} minutes off; set the clock (NTP)")
    return ok("clock", f"within {round(abs(skew))} s of STS's (the Date of its answer)")


def sso_findings(profiles: ProfileSet | None) -> list[Finding]:
    """One line a sign-in the config names: its sign-in and portal endpoints answer, or which does not."""
    from ..sso.calls import answers

    findings = []
    for sign_in, profile in _sign_ins(profiles).values():
        topic = f"sso-session '{sign_in.name}'" if sign_in.name else f"sso start URL {sign_in.start_url}"
        reached, failures = [], []
        for service, name in SERVICE_NAMES.items():
            try:
                reached.append(f"{name} {answers(service, sign_in, profile)}")
            except HatsError as error:
                failures.append(f"{name}: {error}")
        if failures:
            findings += [problem(topic, failure) for failure in failures]
        else:
            findings.append(ok(topic, " and ".join(reached) + " answer"))
    return findings


def _sign_ins(profiles: ProfileSet | None) -> dict[str, tuple[SignIn, str | None]]:
    """Every usable sign-in, by key: the sso-sessions, then the legacy start URLs of SSO profiles; each with a
    profile that uses it (its endpoint settings apply), if one does."""
    if profiles is None:
        return {}
    found: dict[str, tuple[SignIn, str | None]] = {
        target.key: (target, None) for target in profiles.sign_ins.values() if isinstance(target, SignIn)}
    for profile in profiles:
        if not is_sso_profile(profile.settings):
            continue
        try:
            sign_in = profiles.sso_role(profile).sign_in
        except ConfigError:
            continue  # the config check says why
        if found.get(sign_in.key, (None, None))[1] is None:
            found[sign_in.key] = (sign_in, profile.name)
    return found
