"""The house rules of DESIGN.md that a reader relies on, checked over the whole package."""

import json
import pkgutil
import subprocess
import sys

import tui

UI = ("tui.app", "tui.screens", "tui.widgets")  # the only places textual may be imported
SANDBOX = ("tui.sandbox",)  # the only place moto, pyotp and werkzeug may be imported
NOT_IMPORTED = ("tui.__main__",)  # running it is running hats
HEAVY = ("textual", "boto3", "botocore", "moto", "pyotp", "werkzeug")


def package_modules() -> list[str]:
    return sorted(info.name for info in pkgutil.walk_packages(tui.__path__, "tui."))


def heavy_imports_by_module(modules: list[str]) -> dict[str, list[str]]:
    """For each module, imported in order in one fresh interpreter, the heavy packages it brought in."""
    code = ("import json, sys\nfound = {}\n"
            f"for name in {modules!r}:\n"
            "    before = set(sys.modules)\n"
            "    __import__(name)\n"
            f"    found[name] = sorted({{m.split('.')[0] for m in set(sys.modules) - before}} & set({HEAVY!r}))\n"
            "print(json.dumps(found))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def is_under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def test_the_walk_finds_the_package():
    modules = package_modules()
    assert {"tui.cli", "tui.engine", "tui.providers.cached", "tui.app", "tui.widgets.profile_tree"} <= set(modules)


def test_domain_modules_import_neither_textual_nor_boto():
    domain = [name for name in package_modules() if not is_under(name, UI + SANDBOX + NOT_IMPORTED)]
    offenders = {name: heavy for name, heavy in heavy_imports_by_module(domain).items() if heavy}
    assert offenders == {}


def test_the_ui_imports_textual_but_never_boto():
    ui = [name for name in package_modules() if is_under(name, UI)]
    found = heavy_imports_by_module(ui)
    assert "textual" in found["tui.app"]  # the first one imported: the measure sees what it should
    assert {name: heavy for name, heavy in found.items() if set(heavy) - {"textual"}} == {}
