"""A ``Layout`` that opens with only the properties that are set.

Every DOM widget opens a ``Layout`` model of its own, and ipywidgets sends (and a saved
notebook keeps) all ~40 of its CSS properties, ``null`` for each one not set: ~1.1 KB per
StreamView, more than the rest of a finished view's state. The browser's ``LayoutModel``
defaults every property to ``null`` already, so leaving the unset ones out of the full
state changes nothing it shows; a property set later is synced as usual.
"""

from __future__ import annotations

from typing import Any

from ipywidgets import Layout

__all__ = ["LeanLayout"]


class LeanLayout(Layout):  # type: ignore[misc]  # ipywidgets is untyped
    def get_state(self, key: Any = None, drop_defaults: bool = False) -> dict[str, Any]:
        state: dict[str, Any] = super().get_state(key, drop_defaults)
        if key is None:  # the full state (comm_open, a front end's request): the set properties only
            state = {k: v for k, v in state.items() if v is not None or k.startswith("_")}
        return state
