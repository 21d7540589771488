"""What a model can do, for the features the API refuses on models without them.

Read from the model catalogue (:mod:`claude_widgets._catalogue`, which names its sources),
in the shape of the SDK's ``ModelCapabilities``. Models the catalogue does not know support
everything: the offline server must never invent an error the real API would not give.
"""

from __future__ import annotations

from .._catalogue import find


def supports(model: str, capability: str) -> bool:
    """Whether ``model`` has ``capability`` (a ``ModelCapabilities`` field, e.g. ``"structured_outputs"``)."""
    entry = find(model)
    if entry is None:
        return True
    value = entry.capabilities.get(capability)
    return bool(value.get("supported", True)) if isinstance(value, dict) else True
