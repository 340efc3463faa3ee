"""Where hats keeps its state and finds its config.toml: the platform's user directories.

On Linux the XDG rule platformdirs follows is worked out here, so that a cached `hats exec`
(which records a use in the state directory) and a TAB completion do not import platformdirs
(3 ms); tests check that both agree. Elsewhere platformdirs decides.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from . import settings

APP = "hats"


def default_state_dir() -> Path:
    """HATS_STATE_DIR, else the platform's user state directory."""
    chosen = settings.state_dir()
    if chosen:
        return Path(chosen)
    if sys.platform.startswith("linux"):
        return _xdg("XDG_STATE_HOME", "~/.local/state")
    from platformdirs import user_state_dir

    return Path(user_state_dir(APP))


def user_config_dir() -> Path:
    if sys.platform.startswith("linux"):
        return _xdg("XDG_CONFIG_HOME", "~/.config")
    from platformdirs import user_config_dir as platform_config_dir

    return Path(platform_config_dir(APP))


def _xdg(variable: str, fallback: str) -> Path:
    """As the XDG spec (and platformdirs) read it: only an absolute path counts."""
    base = os.environ.get(variable, "")
    return Path(base if os.path.isabs(base) else os.path.expanduser(fallback), APP)
