"""A Static redrawn on every tick of the clock, that costs nothing when nothing changed."""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from rich.text import Text
from textual.widgets import Static


class LiveStatic(Static):
    """Redraws are given their lines of text as well as the renderable: one that would show the same
    text is skipped, and one whose lines keep their lengths does no layout. A layout pass reflows the
    whole screen: once a second, it landed in a filter keystroke's frame (3 ms became 40-90 ms)."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._drawn: tuple | None = None

    def draw(self, renderable: RenderableType, lines: list[tuple[Text, ...]]) -> None:
        drawn = tuple(tuple((cell.plain, str(cell.style), tuple(cell.spans)) for cell in line) for line in lines)
        if drawn == self._drawn:
            return
        same_shape = self._drawn is not None and _shape(drawn) == _shape(self._drawn)
        self._drawn = drawn
        self.update(renderable, layout=not same_shape)


def _shape(drawn: tuple) -> tuple:
    return tuple(tuple(len(cell[0]) for cell in line) for line in drawn)
