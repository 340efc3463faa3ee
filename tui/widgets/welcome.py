"""The first screen of someone with no profiles yet: what to do next."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from ..display import printable

EXAMPLE = """\
[profile me]
mfa_serial = arn:aws:iam::111111111111:mfa/me

[profile dev-admin]
source_profile = me
role_arn = arn:aws:iam::222222222222:role/admin"""


class Welcome(Static):
    def show(self, config_file: str, exists: bool) -> None:
        where = printable(config_file)
        self.border_title = "welcome to hats"
        steps = Table.grid(padding=(0, 2))
        steps.add_column(style="bold #87afd7", no_wrap=True)
        steps.add_column()
        steps.add_row("hats demo", "Try hats first on a sandbox: a local STS, a made-up organisation, "
                                   "a throw-away keyring. Nothing of yours is read or written.")
        steps.add_row(where, "Describe your profiles: one for your IAM user (with its MFA device), "
                             "one for each role you assume from it:")
        steps.add_row("", Text(EXAMPLE, style="dim"))
        steps.add_row("hats add PROFILE", "Store that user's access key in the keyring (`hats add me` here); "
                                          "the secret is asked for, never echoed.")
        self.update(Group(
            Text("No AWS profiles yet: " + (f"{where} has none." if exists else f"there is no {where}."),
                 style="bold"),
            Text(""),
            steps,
            Text(""),
            Text("Then start hats again: each user is a root, each role hangs beneath it. q quits.", style="dim"),
        ))
