"""The main screen: profiles on the left, chain and sessions on the right."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static, Tree

from ..errors import ConfigError
from ..forest import Filter, Forest
from ..widgets.chain_view import ChainView
from ..widgets.profile_tree import ProfileTree
from ..widgets.sessions_pane import SessionsPane


class MainScreen(Screen):
    """The filter shows its matches in a second tree, so Esc brings back the
    whole tree as it was left, cursor and all, without building it again."""

    BINDINGS = [
        Binding("slash", "filter", "Filter", id="filter", tooltip="Filter profiles as you type"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="clear-filter"),
    ]

    def compose(self) -> ComposeResult:
        with Horizontal(id="panes"):
            with Vertical(id="left"):
                yield Input(placeholder="filter: name, account, alias, role, region", id="filter")
                yield ProfileTree(id="profiles")
                yield ProfileTree(id="matches")
            with Vertical(id="right"):
                yield ChainView(id="chain")
                yield SessionsPane(id="sessions")
        with Horizontal(id="status-bar"):
            yield Static("", id="status")
            yield Static("", id="banner")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter").display = False
        self.query_one("#matches").display = False
        self.query_one("#profiles").border_title = "profiles"
        self.query_one("#matches").border_title = "profiles (filtered)"
        self.query_one(ChainView).show_nothing()
        self.filter: Filter | None = None
        self.typing_filter = False  # from / until the filter loses focus

    @property
    def tree(self) -> ProfileTree:
        """The tree on screen: every profile, or the filter's matches."""
        matches = self.query_one("#matches", ProfileTree)
        return matches if matches.display else self.query_one("#profiles", ProfileTree)

    @property
    def trees(self) -> list[ProfileTree]:
        return list(self.query(ProfileTree))

    def show_forest(self, forest: Forest) -> None:
        self.query_one("#profiles", ProfileTree).show(forest)
        self.filter = Filter(forest)
        self.apply_filter(self.query_one("#filter", Input).value)
        self.tree.focus()

    # -- the filter -----------------------------------------------------------
    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def on_key(self, event: events.Key) -> None:
        """Keys typed right after / (a paste, a fast typist) are queued to the tree before the
        filter opens: they belong to the filter, not to the tree's one-key bindings."""
        if event.key == "slash":
            self.typing_filter = True
        elif self.typing_filter and event.is_printable:
            self.query_one("#filter", Input).insert_text_at_cursor(event.character)
            event.stop()
            event.prevent_default()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if event.widget.id == "filter":
            self.typing_filter = False

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.apply_filter("")
            self.tree.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.apply_filter(event.value)

    def apply_filter(self, query: str) -> None:
        if self.filter is None:
            return
        names = self.filter.visible(query)
        matches = self.query_one("#matches", ProfileTree)
        if names is not None and (names != matches.shown_names or matches.forest is not self.filter.forest):
            matches.show(self.filter.forest, names)  # a longer query often shows the same rows
        if matches.display != (names is not None):
            matches.display = names is not None
            self.query_one("#profiles").display = names is None
            self.show_chain(self.tree.highlighted_profile)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.tree.focus()

    # -- the chain of the highlighted profile ---------------------------------
    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        if event.control is self.tree:
            self.show_chain(self.tree.highlighted_profile)

    def show_chain(self, name: str | None) -> None:
        view = self.query_one(ChainView)
        if name is None:
            view.show_nothing()
            return
        app = self.app
        try:
            chain = app.profiles.chain(name)
        except ConfigError as error:
            view.show_problem(name, str(error))
            return
        from ..chains import describe_chain

        view.show_hops(name, describe_chain(app.profiles, chain, app.policy.session_seconds),
                       self._mfa_session_left(chain[0].name))

    def _mfa_session_left(self, base: str) -> float | None:
        """Seconds the base user's MFA session can still be used, if one is live."""
        app = self.app
        now, margin = app.clock(), app.policy.refresh_margin.total_seconds()
        for entry in app.session_entries:
            if entry.kind == "session" and entry.profile == base:
                left = (entry.expiration - now).total_seconds() - margin
                return left if left > 0 else None
        return None

    def set_banner(self, text: str) -> None:
        for banner in self.query("#banner"):
            banner.update(Text(text))

    def set_status(self, text: str, error: bool = False) -> None:
        for status in self.query("#status"):  # none while the app closes
            status.update(Text(text))  # never markup: errors quote config text like [profile x]
            status.set_class(error, "error")
