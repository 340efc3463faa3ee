"""The filter: a query that extends the last one scans only its matches; the cursor goes to a match."""

from hypothesis import given, settings, strategies as st

from tui.forest import Filter, build_forest, with_ancestors, matching
from tui.profiles import Profile, ProfileSet

NAMES = st.text(alphabet="abc-12 ", min_size=1, max_size=8).map(str.strip).filter(bool)


def forest_of(names: list[str]):
    return build_forest(ProfileSet({name: Profile(name=name) for name in names}))


@settings(max_examples=300, deadline=None)
@given(names=st.lists(NAMES, min_size=1, max_size=30, unique=True),
       queries=st.lists(st.text(alphabet="abc-12 ", max_size=4), min_size=1, max_size=6))
def test_typing_gives_what_a_fresh_scan_gives(names, queries):
    forest = forest_of(names)
    typed = Filter(forest)
    so_far = ""
    for piece in queries:  # each step either extends the query or starts another
        so_far = so_far + piece if len(so_far) < 6 else piece
        fresh = matching(forest, so_far)
        expected = None if fresh is None else with_ancestors(forest, fresh)
        assert typed.visible(so_far) == expected


ROLES = st.dictionaries(NAMES, st.one_of(st.none(), NAMES), min_size=1, max_size=30)


def forest_of_chains(sources: dict[str, str | None]):
    """Profiles, some roles of another (sources that are not profiles make them unusable)."""
    return build_forest(ProfileSet({
        name: Profile(name=name, source_profile=source, role_arn=f"arn:aws:iam::123456789012:role/{name}")
        if source else Profile(name=name) for name, source in sources.items()}))


def rows_top_to_bottom(forest) -> list[str]:
    rows: list[str] = []

    def walk(name: str) -> None:
        rows.append(name)
        for kid in forest.kids(name):
            walk(kid)
    for root in forest.roots:
        walk(root)
    return rows + list(forest.broken)


@settings(max_examples=300, deadline=None)
@given(sources=ROLES, query=st.text(alphabet="abc-12", min_size=1, max_size=4))
def test_the_cursor_goes_to_the_name_typed_else_the_first_matching_row(sources, query):
    forest = forest_of_chains(sources)
    typed = Filter(forest)
    shown = typed.visible(query)
    best = typed.best()
    matches = set(typed.matches)
    if not matches:
        assert best is None
        return
    assert best in matches  # never a row kept only for the chain context
    rows = [row for row in rows_top_to_bottom(forest) if row in shown]
    named = [name for name in matches if name.replace(" ", "") == query and name not in forest.broken]
    if named:  # "a b" and "ab" read the same as a query: either one
        assert best in named
    else:
        assert best == next(row for row in rows if row in matches)
