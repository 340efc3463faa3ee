"""A malformed line of the config or credentials file is named by file and line, never quoted."""

from __future__ import annotations

import pytest

SECRET = "wJalrXUtnFEMIK7MDENGbPxRfiCYzzSECRETvalue"  # not a real key: what a user would paste


@pytest.mark.parametrize("command", [("list",), ("exec", "auditor", "--", "true"), ("export", "jan-work")])
@pytest.mark.parametrize("which", ["credentials", "config"])
def test_a_line_missing_its_equals_sign_is_not_quoted(hats, world, command, which):
    world.secrets.add(SECRET)  # the suite's final scan looks for it in every file hats wrote and every output
    path = hats.home / ".aws" / which
    header = "[pasted]" if which == "credentials" else "[profile pasted]"
    text = path.read_text() if path.exists() else ""
    path.write_text(text + f"\n{header}\naws_access_key_id = AKIAEXAMPLEEXAMPLE12\n"
                           f"aws_secret_access_key {SECRET}\n")
    try:
        done = hats.run(*command)
    finally:
        path.write_text(text)  # the user's own file is input, not a leak: the final scan checks the rest
    assert done.returncode == 2
    assert SECRET not in done.stderr + done.stdout
    line = len(text.splitlines()) + 4
    assert done.stderr.strip().splitlines() == [
        f"hats: {path}: cannot parse line {line}: it is not a [section], a key = value or a comment"]
