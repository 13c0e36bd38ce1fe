"""One module per page: its route and the API calls that gather what it shows.

A module here is found by `page_modules()`: it has a `router`, and, if it belongs in the top navigation, `NAV`, a
tuple (position, label, href, page) where `page` is the name its templates pass as `page` to mark it current."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def page_modules() -> list[ModuleType]:
    """Every page module, by name."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


def navigation() -> list[tuple[str, str, str]]:
    """(label, href, page) of each page module that declares NAV, in its position's order."""
    entries = [m.NAV for m in page_modules() if hasattr(m, "NAV")]
    return [(label, href, page) for _, label, href, page in sorted(entries)]
