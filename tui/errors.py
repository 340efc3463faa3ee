"""The errors hats reports to a person: each carries a one-line message."""


def first_line(exc: BaseException) -> str:
    """An exception's message as a one-line error quotes it: its first line, at most 200 characters,
    or its type when it has no message."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


class HatsError(Exception):
    """Something the user can act on; printed as one line, never a traceback."""

    exit_code = 1


class ConfigError(HatsError):
    """The AWS config or credentials file, or one profile in it, is wrong."""

    exit_code = 2


class UsageError(HatsError):
    """The command line asks for something hats cannot do (a bad name, no terminal for the app)."""

    exit_code = 2


class VaultError(HatsError):
    """The keyring is missing, locked, or refused an operation."""

    exit_code = 3


class NoKeyError(VaultError):
    """No long-term key stored for a base profile."""


class MfaError(HatsError):
    """An MFA code could not be had, or was refused by AWS."""

    exit_code = 4


class MfaCodeRejected(MfaError):
    """AWS refused the code: the user may try another."""


class StsError(HatsError):
    """STS refused a call or could not be reached."""

    exit_code = 5


class SsoError(HatsError):
    """IAM Identity Center refused a call, could not be reached, or the sign-in did not finish."""

    exit_code = 7


class SignInNeeded(SsoError):
    """There is no usable token for a sign-in (none, expired, or refused by the portal)."""
