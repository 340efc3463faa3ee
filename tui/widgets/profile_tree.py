"""The profiles pane: base users at the roots, each role beneath its source.

Nodes are built lazily: a node's children are added when it is first
expanded, so a config with thousands of profiles opens at once. A filter
builds a tree of the matches and their ancestors, all expanded when few;
a tree with many roots is built a screenful at a time, one per frame, so the
first rows paint at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ..colors import account_color, account_label
from ..forest import Forest
from .marks import SessionMark, session_mark

BROKEN = "\0broken"
EAGER_LIMIT = 400  # below this many profiles, open every node at start
FILTER_EAGER_LIMIT = 200  # below this many matches, open every node of a filtered tree
ROOTS_PER_FRAME = 50  # about a screenful: the first frame shows the top, the rest follow a frame each


@dataclass(frozen=True)
class Row:
    name: str


class ProfileTree(Tree[Row]):
    """A tree of profiles; Enter opens a shell in the highlighted one."""

    BINDINGS = [
        Binding("enter", "app.shell", "Shell", id="shell", tooltip="Open a subshell in this role"),
        Binding("j", "cursor_down", "Down", show=False, id="down"),
        Binding("k", "cursor_up", "Up", show=False, id="up"),
    ]

    def __init__(self, **kwargs):
        super().__init__("profiles", **kwargs)
        self.show_root = False
        self.auto_expand = False
        self.guide_depth = 3
        self.forest: Forest | None = None
        self.shown_names: set[str] | None = None
        self.session_marks: dict[str, SessionMark] = {}
        self.account_colors: dict[str, str] = {}
        self.labels: dict[str, Text] = {}  # built once per profile, until the session marks change
        self.building = 0  # which show() the pending roots belong to
        self.complete = True  # every root of the last show() has been added

    # -- building -----------------------------------------------------------
    def show(self, forest: Forest, visible: set[str] | None = None) -> None:
        if forest is not self.forest:
            self.labels.clear()
            self.account_colors.clear()
        self.forest, self.shown_names = forest, visible
        self.clear()
        self.building += 1
        self.complete = False
        # Open every node only when few will show: a filter matching thousands
        # stays lazy, so each keystroke builds what is on screen, not all of it.
        eager = len(forest.profiles) <= EAGER_LIMIT if visible is None else len(visible) <= FILTER_EAGER_LIMIT
        self._add_roots([name for name in forest.roots if self._shown(name)], eager, self.building)
        self.cursor_line = 0

    def _add_roots(self, roots: list[str], eager: bool, building: int) -> None:
        if building != self.building:  # a newer show() cleared the tree
            return
        for name in roots[:ROOTS_PER_FRAME]:
            self._add(self.root, name, eager)
        if len(roots) > ROOTS_PER_FRAME:
            self.call_after_refresh(self._add_roots, roots[ROOTS_PER_FRAME:], eager, building)
        else:
            self._add_broken()
            self.complete = True

    def _add_broken(self) -> None:
        broken = [name for name in self.forest.broken if self._shown(name)]
        if broken:
            group = self.root.add(Text("cannot be used", style="bold red"), data=Row(BROKEN), expand=True)
            for name in broken:
                group.add_leaf(self._broken_label(name), data=Row(name))

    def _shown(self, name: str) -> bool:
        return self.shown_names is None or name in self.shown_names

    def _add(self, parent: TreeNode[Row], name: str, eager: bool) -> None:
        kids = [kid for kid in self.forest.kids(name) if self._shown(kid)]
        node = parent.add(self.label_for(name), data=Row(name), allow_expand=bool(kids), expand=eager)
        if eager:
            for kid in kids:
                self._add(node, kid, eager)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Row]) -> None:
        node = event.node
        if node.children or node.data is None or node.data.name == BROKEN:
            return
        for kid in self.forest.kids(node.data.name):
            if self._shown(kid):
                self._add(node, kid, eager=False)

    # -- labels ---------------------------------------------------------------
    def process_label(self, label: Text | str) -> Text:
        """Our labels are one line already; Tree's default copies each one to cut it."""
        if isinstance(label, Text) and "\n" not in label.plain:
            return label
        return super().process_label(label)

    def get_label_width(self, node: TreeNode[Row]) -> int:
        """Tree's default renders every label to measure it, on every rebuild."""
        icon = self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE
        return node.label.cell_len + (cell_len(icon) if node.allow_expand else 0)

    def label_for(self, name: str) -> Text:
        if name not in self.labels:
            self.labels[name] = self._label(name)
        return self.labels[name]

    def _label(self, name: str) -> Text:
        profiles = self.forest.profiles
        profile = profiles.get(name)
        label = Text(name, style="bold")
        account = account_label(profile, profile.account_id)
        if account:
            label.append(f"  {account}", style=self._account_style(name))
        if profiles.mfa_serial_for(profiles.chain(name)):
            label.append("  MFA", style="italic #87afd7")
        mark = self.session_marks.get(name, SessionMark.NONE)
        label.append(f"  {mark.symbol}", style=mark.style)
        return label

    def _account_style(self, name: str) -> str:
        """The account's colour, the same one its subshell prompt wears."""
        if name not in self.account_colors:
            profile = self.forest.profiles.get(name)
            color = account_color(profile, profile.account_id, account_label(profile, profile.account_id))
            self.account_colors[name] = f"bold {color.hex}" if color.is_production else color.hex
        return self.account_colors[name]

    def _broken_label(self, name: str) -> Text:
        label = Text(name, style="bold")
        label.append(f"  {self.forest.broken[name]}", style="red")
        return label

    def refresh_marks(self, entries, margin_seconds: float, now: datetime) -> None:
        """Recolour the session marks of the nodes that exist."""
        marks = {entry.profile: session_mark(entry, margin_seconds, now) for entry in entries
                 if entry.kind in ("role", "session")}
        if marks == self.session_marks:
            return
        self.session_marks = marks
        self.labels.clear()
        self._relabel(self.root)

    def _relabel(self, node: TreeNode[Row]) -> None:
        for child in node.children:
            if child.data and child.data.name != BROKEN and child.data.name not in self.forest.broken:
                child.set_label(self.label_for(child.data.name))
            self._relabel(child)

    def select_profile(self, name: str) -> bool:
        """Move the cursor to a profile's row, if the tree shows it."""
        for line in range(self.last_line + 1):
            node = self.get_node_at_line(line)
            if node is not None and node.data and node.data.name == name:
                self.cursor_line = line
                return True
        return False

    @property
    def highlighted_profile(self) -> str | None:
        node = self.cursor_node
        if node is None or node.data is None or node.data.name == BROKEN:
            return None
        return node.data.name
