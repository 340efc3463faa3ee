"""Inputs that take keys sent in one burst (a paste, a password manager's auto-type).

Textual hands each key to the widget that has the focus when the key is
read, and a Tab moves the focus only once the key has bubbled up to the
app's bindings: by then the keys after it are already queued to the field
it left. So the secret an auto-type sends after "key id, Tab" would land in
the key id field, unmasked. A FieldInput moves the focus itself, at once,
and passes on any key that reaches it after the focus has moved.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.widget import Widget
from textual.widgets import Input


class FieldInput(Input):
    """One field of a form: Tab (and Enter, with `enter_moves_on`) go to the next field at once."""

    def __init__(self, *args: Any, enter_moves_on: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.enter_moves_on = enter_moves_on

    async def _on_key(self, event: events.Key) -> None:
        focused = self.screen.focused
        if focused is not None and focused is not self:
            # Queued here before a Tab moved the focus on: it belongs where the focus is now.
            self._pass_on(event, focused)
        elif event.key == "tab" or (event.key == "enter" and self.enter_moves_on):
            self._pass_on(event, None)
            self.screen.focus_next()
        elif event.key == "shift+tab":
            self._pass_on(event, None)
            self.screen.focus_previous()
        # anything else: Input's own handler, which Textual calls after this one

    @staticmethod
    def _pass_on(event: events.Key, target: Widget | None) -> None:
        event.stop()
        event.prevent_default()  # Input's handler must not type it here as well
        if target is not None:
            target.post_message(events.Key(event.key, event.character))


class CodeInput(FieldInput):
    """An MFA code: spaces are dropped as it is typed or pasted (`123 456` is 123456)."""

    def replace(self, text: str, start: int, end: int) -> None:
        super().replace("".join(text.split()), start, end)
