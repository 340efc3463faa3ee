"""What a profile's row says: its session mark, name, account, base kind and MFA.

Labels are built once per profile and session mark, and shared by the trees
that show one forest (every profile and the filter's matches), so the filter
reuses what the whole tree built and a changed mark rebuilds one label.
"""

from __future__ import annotations

from rich.text import Text

from ..child.colors import account_color, account_label
from ..display import printable
from ..forest import Forest
from .marks import SessionMark, base_tag


class Labels:
    def __init__(self, forest: Forest):
        self.forest = forest
        self.built: dict[tuple[str, SessionMark], Text] = {}
        self.account_styles: dict[str, str] = {}

    def row(self, name: str, mark: SessionMark) -> Text:
        label = self.built.get((name, mark))
        if label is None:
            label = self.built[name, mark] = self._row(name, mark)
        return label

    def _row(self, name: str, mark: SessionMark) -> Text:
        profiles = self.forest.profiles
        profile = profiles.get(name)
        label = Text.assemble((mark.symbol, mark.style), " ", (printable(name), "bold"))
        account = account_label(profile, profile.account_id)
        if account:
            label.append(f"  {printable(account)}", style=self._account_style(name))
        chain = profiles.chain(name)
        if chain[0].name == name:
            tag = base_tag(chain)
            if tag:
                label.append(f"  {tag}", style="italic #d7af87")
        if profiles.mfa_serial_for(chain):
            label.append("  MFA", style="italic #87afd7")
        return label

    def _account_style(self, name: str) -> str:
        """The account's colour, the same one its subshell prompt wears."""
        if name not in self.account_styles:
            profile = self.forest.profiles.get(name)
            color = account_color(profile, profile.account_id, account_label(profile, profile.account_id))
            self.account_styles[name] = f"bold {color.hex}" if color.is_production else color.hex
        return self.account_styles[name]

    def group(self, name: str) -> Text:
        """A sign-in's row (its name and start URL) or an account's (its name and id)."""
        group = self.forest.groups[name]
        label = self.built.get((name, SessionMark.NONE))
        if label is None:
            style = "bold #d7af87" if group.kind == "session" else "bold"
            label = Text.assemble((printable(group.title or group.detail), style))
            if group.title and group.detail:
                label.append(f"  {printable(group.detail)}", style="dim")
            self.built[name, SessionMark.NONE] = label
        return label

    def broken(self, name: str) -> Text:
        return Text.assemble((printable(name), "bold"), (f"  {printable(self.forest.broken[name])}", "red"))


_shared: list[Labels] = []  # the labels of the forest shown last: a new forest (a reload) starts afresh


def labels_for(forest: Forest) -> Labels:
    if not _shared or _shared[0].forest is not forest:
        _shared[:] = [Labels(forest)]
    return _shared[0]
