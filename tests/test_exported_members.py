"""The public API is exactly ``__all__``: nothing public is missing from it, nothing in it is private."""

from __future__ import annotations

import claude_widgets


def test_all_lists_the_public_names() -> None:
    public = {name for name in vars(claude_widgets) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(claude_widgets, name)).__name__ == "module"}
    assert set(claude_widgets.__all__) == public - modules - {"annotations", "Any"}
    assert len(claude_widgets.__all__) == len(set(claude_widgets.__all__))
    for name in claude_widgets.__all__:
        assert hasattr(claude_widgets, name), name
