"""The profiles pane: base users at the roots, each role beneath its source.

The tree is built top to bottom, depth first, a frame at a time: the first
frame adds a screenful of rows with every node in it open, so the first
screen shows roles at any size; the rest follows a chunk a frame, and what
lies beyond the first screenful is added closed, its roles built when it is
first expanded. A small config (or a filter with few matches) opens every
node. Rows start with the session mark, so a narrow pane cuts the account,
never the mark; names and aliases are shown through `printable`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ..forest import Forest
from ..profiles import ProfileSet
from .marks import SessionMark, session_mark
from .profile_labels import Labels, labels_for
from .tree_rows import LabelRuns, RowPainter

BROKEN = "\0broken"
RECENT = "\0recent"
EAGER_LIMIT = 400  # up to this many profiles, every node is open
FILTER_EAGER_LIMIT = 200  # up to this many rows, every node of a filtered tree is open
SCREENFUL = 120  # rows built open in the first frame while the pane's height is not known yet
ROWS_PER_FRAME = 100  # then this many a frame, so a keystroke never waits for the whole tree


@dataclass(frozen=True)
class Row:
    name: str


class ProfileTree(Tree[Row]):
    """A tree of profiles; Enter opens a shell in the highlighted one."""

    BINDINGS = [
        Binding("enter", "choose", "Shell", id="shell", tooltip="Open a subshell in this role"),
        Binding("j", "cursor_down", "Down", show=False, id="down"),
        Binding("k", "cursor_up", "Up", show=False, id="up"),
    ]

    @dataclass
    class Chosen(Message):
        """Enter on a row: the app opens a shell in that profile (None: no profile row is highlighted)."""

        name: str | None

    def __init__(self, **kwargs):
        super().__init__("profiles", **kwargs)
        self.show_root = False
        self.auto_expand = False
        self.guide_depth = 3
        self.forest = Forest(ProfileSet({}))  # until show()
        self.shown_names: set[str] | None = None
        self.session_marks: dict[str, SessionMark] = {}
        self.book = Labels(self.forest)  # the row labels, shared with the other tree of this forest
        self.label_runs: LabelRuns = {}  # each label's pieces as RowPainter draws them
        self.painter: RowPainter | None = None  # while a frame is drawn
        self.nodes: dict[str, TreeNode[Row]] = {}  # the rows built so far, by profile
        self.recent_nodes: dict[str, TreeNode[Row]] = {}  # the rows of the "recent" group (the whole tree's)
        self.pending: list[tuple[TreeNode[Row], Iterator[str]]] = []  # open nodes whose roles are still to add
        self.eager = True
        self.opening: set[str] = set()  # the chain above a row the cursor is sent to: built open
        self.complete = True  # every row of the last show() has been added
        self.frame_booked = False  # the next frame will add a chunk

    def action_choose(self) -> None:
        self.post_message(self.Chosen(self.highlighted_profile))

    # -- building -----------------------------------------------------------
    def show(self, forest: Forest, visible: set[str] | None = None, cursor_on: str | None = None) -> None:
        self.forest, self.shown_names, self.book = forest, visible, labels_for(forest)
        self.clear()
        self.nodes, self.recent_nodes, self.opening = {}, {}, set()
        self.complete = False
        shown = len(forest.profiles) if visible is None else len(visible)
        self.eager = shown <= (EAGER_LIMIT if visible is None else FILTER_EAGER_LIMIT)
        if visible is None:
            self._add_recent()
        self.pending = [(self.root, iter([name for name in forest.roots if self._shown(name)]))]
        self._add_rows(self.screenful)
        if not (cursor_on and self.move_to(cursor_on)):
            self.cursor_line = 1 if self.recent_nodes else 0  # on the profile used last

    def _add_recent(self) -> None:
        """The profiles used most lately, at the top: each one again, as a leaf (Enter works on it)."""
        if not self.forest.recent:
            return
        group = self.root.add(Text("recent", style="bold"), data=Row(RECENT), expand=True,
                              before=0 if self.root.children else None)
        for name in self.forest.recent:
            self.recent_nodes[name] = group.add_leaf(self.label_for(name), data=Row(name))

    def show_recent(self, used: list[str]) -> None:
        """The "recent" group again, after a use, the rest of the tree as it is; a cursor in the
        group goes to its first row (the profile used last)."""
        self.forest.used = used
        if self.shown_names is not None:
            return
        cursor = self.cursor_node
        in_group = cursor is not None and cursor.parent is not None and cursor.parent.data == Row(RECENT)
        for node in list(self.root.children):
            if node.data == Row(RECENT):
                node.remove()
        self.recent_nodes = {}
        self._add_recent()
        self.last_line  # noqa: B018 (lays the rows out again)
        if in_group or cursor is None:
            self.cursor_line = 1 if self.recent_nodes else 0
        else:
            self.move_cursor(cursor)

    def _add_rows(self, rows: int, until: str | None = None) -> None:
        """Add the next `rows` rows in top-to-bottom order (and on, until `until` is built)."""
        added = 0
        while self.pending and (added < rows or (until is not None and until not in self.nodes)):
            parent, names = self.pending[-1]
            name = next(names, None)
            if name is None:
                self.pending.pop()
            elif name not in self.nodes:  # a node expanded by hand meanwhile has its roles already
                self._add(parent, name)
                added += 1
        if self.pending and not self.frame_booked:
            self.frame_booked = True
            self.call_after_refresh(self._next_frame)
        elif not self.pending and not self.complete:
            self._add_broken()
            self.complete = True

    def _next_frame(self) -> None:
        self.frame_booked = False
        self._add_rows(ROWS_PER_FRAME)  # the pending rows of the latest show(): each show() starts afresh

    def _add(self, parent: TreeNode[Row], name: str) -> None:
        kids = self._kids(name)
        opened = bool(kids) and (self.eager or len(self.nodes) < self.screenful or name in self.opening)
        node = parent.add(self.label_for(name), data=Row(name), allow_expand=bool(kids), expand=opened)
        self.nodes[name] = node
        if opened:
            self.pending.append((node, iter(kids)))

    @property
    def screenful(self) -> int:
        """Rows the pane shows at once (the first frame builds those, open).

        A tree not shown yet (the filter's, before its first key) has no size:
        it can show no more rows than the app has lines."""
        height = self.size.height or self.app.size.height
        return height + 2 if height else SCREENFUL

    def _kids(self, name: str) -> list[str]:
        return [kid for kid in self.forest.kids(name) if self._shown(kid)]

    def _add_broken(self) -> None:
        broken = [name for name in self.forest.broken if self._shown(name)]
        if broken:
            group = self.root.add(Text("cannot be used", style="bold red"), data=Row(BROKEN), expand=True)
            for name in broken:
                self.nodes[name] = group.add_leaf(self.book.broken(name), data=Row(name))

    def _shown(self, name: str) -> bool:
        return self.shown_names is None or name in self.shown_names

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Row]) -> None:
        node = event.node
        if node.children or node.data is None or node.data.name in (BROKEN, RECENT):
            return
        self._open(node)

    def _open(self, node: TreeNode[Row]) -> None:
        """Expand a node built closed, adding its roles (closed) first."""
        if not node.children:
            for kid in self._kids(node.data.name if node.data else ""):
                if kid not in self.nodes:
                    kids = self._kids(kid)
                    self.nodes[kid] = node.add(self.label_for(kid), data=Row(kid), allow_expand=bool(kids))
        node.expand()

    # -- the cursor -----------------------------------------------------------
    def move_to(self, name: str) -> bool:
        """Put the cursor on a profile's row, building and opening the chain above it; False if not shown."""
        if not self._shown(name):
            return False
        if name in self.forest.broken:
            self._add_rows(len(self.forest.profiles))  # the group of those comes last
        path = [*reversed(self.forest.ancestors(name)), name]
        self.opening = set(path[:-1])
        for step in path:
            if step not in self.nodes:
                self._add_rows(0, until=step)
            node = self.nodes.get(step)
            if node is None:
                return False
            if step != name and not node.is_expanded:
                self._open(node)
        self.last_line  # noqa: B018 (lays the rows out, which gives each node its line)
        self.move_cursor(self.nodes[name])
        return True

    def select_profile(self, name: str) -> bool:
        return self.move_to(name)

    @property
    def highlighted_profile(self) -> str | None:
        node = self.cursor_node
        if node is None or node.data is None:
            return None
        if node.data.name in (BROKEN, RECENT) or node.data.name in self.forest.groups:
            return None
        return node.data.name

    # -- labels ---------------------------------------------------------------
    def process_label(self, label: Text | str) -> Text:
        """Our labels are one line already; Tree's default copies each one to cut it."""
        if isinstance(label, Text) and "\n" not in label.plain:
            return label
        return super().process_label(label)

    def get_label_width(self, node: TreeNode[Row]) -> int:
        """Tree's default renders every label to measure it, on every rebuild."""
        icon = self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE
        label = node.label
        return (label.cell_len if isinstance(label, Text) else cell_len(label)) + (
            cell_len(icon) if node.allow_expand else 0)

    def label_for(self, name: str) -> Text:
        if name in self.forest.groups:
            return self.book.group(name)
        return self.book.row(name, self.session_marks.get(name, SessionMark.NONE))

    # -- drawing --------------------------------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        self.painter = RowPainter(self, self.label_runs)  # the frame's styles, read once for all its rows
        try:
            return super().render_lines(crop)
        finally:
            self.painter = None

    def render_line(self, y: int) -> Strip:
        strip = self.painter.row(y + self.scroll_offset.y) if self.painter else None
        return super().render_line(y) if strip is None else strip

    def refresh_marks(self, entries, margin_seconds: float, now: datetime) -> None:
        """Recolour the session marks that changed, on the rows built so far."""
        marks = {entry.profile: session_mark(entry, margin_seconds, now) for entry in entries}
        if marks == self.session_marks:
            return
        changed = {name for name in marks.keys() | self.session_marks.keys()
                   if marks.get(name) != self.session_marks.get(name)}
        self.session_marks = marks
        for name in changed:
            if name in self.forest.broken:
                continue
            for node in (self.nodes.get(name), self.recent_nodes.get(name)):
                if node is not None:
                    node.set_label(self.label_for(name))
