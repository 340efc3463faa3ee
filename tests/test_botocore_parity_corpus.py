"""hats reads the config snippets of botocore's own test suite (tests/data/botocore_cfg) as botocore
does, each as a config file and as a credentials file (compared by tests/botocore_parity.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.botocore_parity import botocore_view, compare
from tests.test_config_properties import files as files_with

CORPUS = Path(__file__).parent / "data" / "botocore_cfg"
CORPUS_FILES = sorted(path.name for path in CORPUS.iterdir() if path.name != "README.md")


@pytest.mark.parametrize("name", CORPUS_FILES)
@pytest.mark.parametrize("role", ["config", "credentials"])
def test_botocore_test_suite_configs_read_alike(name, role):
    text = (CORPUS / name).read_bytes()
    with files_with(text if role == "config" else b"", text if role == "credentials" else b"") as files:
        counts = compare(*files)
    assert counts


def test_the_corpus_is_botocores(tmp_path):
    """The snippets are there and read by botocore as its tests expect (a few of its assertions)."""
    assert {"aws_config", "aws_config_nested", "aws_config_nested_bad", "aws_bad_profile"} <= set(CORPUS_FILES)
    view = botocore_view(CORPUS / "aws_bad_profile", tmp_path / "none")
    assert sorted(view[1]) == ["default", "my profile", "personal1"]
    assert botocore_view(CORPUS / "aws_config_nested_bad", tmp_path / "none")[0] == "refused"
