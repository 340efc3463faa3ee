"""Tree rows drawn as Textual's Tree draws them, for a tenth of the cost.

Tree._render_line builds two rich Texts a row and renders them, and asks for
its component styles again on every row: about 0.25 ms a row, 10-12 ms for a
pane, on every frame that changes the tree (a filter key, each chunk of rows
added). RowPainter takes the frame's styles once and puts each row's segments
together directly, with the label's own segments worked out once per label.
The segments, their styles and their mouse metadata ({"line": y} on the
row, {"node": id} on the label) are the ones Tree makes: tests/test_tree_rows.py
compares the two row by row. A style that carries metadata of its own would
not combine the same way, so such a row is left to Tree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import NULL_STYLE, Style
from rich.text import Text
from textual.strip import Strip

if TYPE_CHECKING:
    from textual.widgets import Tree
    from textual.widgets.tree import TreeNode

# A label's text cut where its style changes: each piece, its style less metadata, and the metadata
# (the expand icon's {"toggle": True}) that goes between the row's and the label's.
Runs = list[tuple[str, Style, dict[str, Any]]]
TOGGLE = {"toggle": True}  # the metadata of Tree's expand icon (textual.widgets._tree.TOGGLE_STYLE)
LabelRuns = dict[tuple[int, str, Style], tuple[object, Runs | None]]  # by label (its id), icon and label style


class RowPainter:
    """One frame of a tree: its styles, read once, and its rows."""

    def __init__(self, tree: Tree[Any], labels: LabelRuns):
        self.tree, self.labels = tree, labels
        self.lines = tree._tree_lines  # first: building them sets the virtual size
        self.base = tree.rich_style
        self.scroll_x = tree.scroll_offset.x
        self.hover_line, self.cursor_line = tree.hover_line, tree.cursor_line
        self.has_focus = tree.has_focus
        self.width = tree.size.width
        self.pad_width = max(tree.virtual_size.width, self.width)
        guides = tree.get_component_rich_style("tree--guides", partial=True)
        self.guides = {kind: (style, self._guide_strings(tree, style, hidden)) for kind, style, hidden in (
            ("base", guides, self._hidden(tree, "tree--guides")),
            ("hover", guides + tree.get_component_rich_style("tree--guides-hover", partial=True),
             self._hidden(tree, "tree--guides-hover")),
            ("selected", guides + tree.get_component_rich_style("tree--guides-selected", partial=True),
             self._hidden(tree, "tree--guides-selected")))}
        self.unguided = (guides, self._guide_strings(tree, guides, True))
        label = tree.get_component_rich_style("tree--label", partial=True)
        self.label_styles = {(False, False): label}
        for hovered, cursor in ((True, False), (False, True), (True, True)):
            style = label + tree.get_component_rich_style("tree--highlight", partial=True) if hovered else label
            self.label_styles[hovered, cursor] = (
                style + tree.get_component_rich_style("tree--cursor", partial=False) if cursor else style)
        self.hover_row_style = tree.get_component_rich_style("tree--highlight-line")
        self.plain = not any(style._meta for style, _ in self.guides.values())

    @staticmethod
    def _hidden(tree: Tree[Any], component: str) -> bool:
        return tree.get_component_styles(component).color.a == 0

    @staticmethod
    def _guide_strings(tree: Tree[Any], style: Style, hidden: bool) -> tuple[str, str, str, str]:
        """Space, vertical, terminator and cross, as Tree's get_guides makes them."""
        if tree.show_guides and not hidden:
            lines = tree.LINES["bold"] if style.bold else tree.LINES["double"] if style.underline2 \
                else tree.LINES["default"]
        else:
            lines = ("  ", "  ", "  ", "  ")
        depth = max(0, tree.guide_depth - 2)
        first, second, third, fourth = (f"{chars[0]}{chars[1] * depth} " for chars in lines)
        return first, second, third, fourth

    def row(self, y: int) -> Strip | None:
        """Row y of the tree; None to leave it to Tree (a style with metadata of its own)."""
        if y >= len(self.lines):
            return Strip.blank(self.width, self.base)
        line = self.lines[y]
        path = line.path
        hovered_row = self.hover_line >= 0 and any(node._hover for node in path)
        row_style = self.hover_row_style if hovered_row else self.base
        runs = self._runs(line.node, self.label_styles[self.hover_line == y, self.cursor_line == y])
        if runs is None or row_style._meta or not self.plain:
            return None
        on_row = Style(meta={"line": y})
        segments = [Segment(text, row_style + style + on_row) for text, style in self._guides(path, line.last)]
        node_id = line.node._id
        on_label = Style(meta={"line": y, "node": node_id})
        segments += [Segment(text, row_style + style + (Style(meta={"line": y, **meta, "node": node_id})
                                                         if meta else on_label)) for text, style, meta in runs]
        used = sum(cell_len(segment.text) for segment in segments)
        pad = self.pad_width - used
        if pad:  # as Tree pads: a label wider than the tree gets an empty piece
            segments.append(Segment(" " * pad, row_style + on_row))
        return Strip(segments, used + max(pad, 0)).crop(self.scroll_x, self.scroll_x + self.width)

    def _guides(self, path: list[TreeNode[Any]], last: bool) -> list[tuple[str, Style]]:
        """The guides before a label, with Tree's rule for which of them show hovered or selected."""
        pieces = []
        style, strings = self.unguided
        hover = path[0]._hover
        selected = path[0]._selected and self.has_focus
        for node in path[1:]:
            style, strings = self.guides["selected" if selected else "hover" if hover else "base"]
            if node is not path[-1]:
                pieces.append((strings[0] if node.is_last else strings[1], style))
            hover = hover or node._hover
            selected = (selected or node._selected) and self.has_focus
        if len(path) > 1:
            pieces.append((strings[2] if last else strings[3], style))
        return pieces

    def _runs(self, node: TreeNode[Any], label_style: Style) -> Runs | None:
        """The label's pieces with their styles before the row's; kept per label, icon and label style."""
        icon = (self.tree.ICON_NODE_EXPANDED if node.is_expanded else self.tree.ICON_NODE) if node.allow_expand else ""
        key = (id(node.label), icon, label_style)
        kept = self.labels.get(key)
        if kept is None or kept[0] is not node.label:
            if len(self.labels) > 8192:
                self.labels.clear()
            kept = self.labels[key] = (node.label, self._cut(node, icon, label_style))
        return kept[1]

    def _cut(self, node: TreeNode[Any], icon: str, label_style: Style) -> Runs | None:
        """Tree's render_label cut as rich's Text.render cuts it: at every span's ends, each piece
        in the styles of the spans over it, in their order, the label style last."""
        label = node.label
        if not isinstance(label, Text):
            return None
        get_style = self.tree.app.console.get_style
        spans = [(0, len(label), label.style)] if label.style else []
        spans += [(span.start, span.end, span.style) for span in label.spans]
        if label_style:
            spans.append((0, len(label), label_style))
        styles = [get_style(style) if isinstance(style, str) else style for _, _, style in spans]
        if any(style.link or style._meta for style in styles):
            return None
        cuts = sorted({0, len(label), *(start for start, _, _ in spans), *(end for _, end, _ in spans)})
        runs: Runs = [(icon, NULL_STYLE, TOGGLE)] if icon else []
        for start, end in zip(cuts, cuts[1:]):
            over = [style for (first, last, _), style in zip(spans, styles) if first <= start < last]
            runs.append((label.plain[start:end], Style.combine(over) if over else NULL_STYLE, {}))
        return runs
