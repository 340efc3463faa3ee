"""The profile tree draws its rows itself (tui/widgets/tree_rows.py): each row must be
the one Textual's Tree draws, segment for segment, styles and mouse metadata included."""

from __future__ import annotations

from textual.widgets import Tree

from tests.test_tui import highlight, make_app, settle
from tui.widgets.tree_rows import RowPainter


def differing_rows(tree) -> list[int]:
    """The rows on screen (and one past the end) that RowPainter draws unlike Tree."""
    painter = RowPainter(tree, {})
    differ = []
    for y in range(tree.scroll_offset.y, tree.scroll_offset.y + tree.size.height + 1):
        ours = painter.row(y)
        theirs = Tree.render_line(tree, y - tree.scroll_offset.y)
        if ours is None or list(ours) != list(theirs) or ours.cell_length != theirs.cell_length:
            differ.append(y)
    return differ


async def test_rows_are_drawn_as_tree_draws_them(app_env):
    app, _ = make_app()
    async with app.run_test(size=(60, 24)) as pilot:  # narrow: some labels are wider than the pane
        await settle(pilot, app)
        tree = app.main.tree
        await highlight(pilot, app, "prod-admin")  # the cursor row, selected guides, the broken group below
        assert tree.has_focus and differing_rows(tree) == []
        tree.hover_line = 2  # the mouse over a row
        await pilot.pause()
        assert differing_rows(tree) == []
        tree.hover_line = -1
        tree.action_toggle_node()  # a collapsed node's icon
        await pilot.pause()
        assert differing_rows(tree) == []
        await pilot.press("slash", *"dev")  # the filter's tree, not focused
        await pilot.pause()
        matches = app.main.tree
        assert matches is not tree and not matches.has_focus and differing_rows(matches) == []
        tree.scroll_to(y=3, animate=False)  # the whole tree scrolled, and not on screen any more
        await pilot.pause()
        assert differing_rows(tree) == []
