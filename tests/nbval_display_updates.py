"""Teach nbval what JupyterLab and nbclient already do: apply ``update_display_data``.

A StreamView publishes its final answer by updating its display (so GitHub, nbviewer and
nbconvert show the answer). nbclient stores the *updated* output; nbval 0.11 ignores the
update ("unhandled iopub msg: update_display_data") and compares the cell's *first*
display, so the stored answer could never match. This plugin wraps nbval's kernel
message reader: every ``display_data`` with a display id has its ``data`` turned into a
``NotebookNode`` (which nbval then stores by reference, not by copy), and a later
``update_display_data`` for that id rewrites it in place and is swallowed. The
comparison itself stays strict.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from nbformat.notebooknode import NotebookNode, from_dict
from nbval.plugin import IPyNbFile

_original = IPyNbFile.get_kernel_message


def _get_kernel_message(self: IPyNbFile, timeout: float | None = None, stream: str = "iopub") -> Any:
    displays: dict[str, list[NotebookNode]] = self.__dict__.setdefault("_display_updates", defaultdict(list))
    while True:
        msg = _original(self, timeout=timeout, stream=stream)
        kind = msg["msg_type"]
        content = msg["content"]
        display_id = (content.get("transient") or {}).get("display_id")
        if kind in ("display_data", "execute_result") and display_id:
            content["data"] = from_dict(content["data"])
            displays[display_id].append(content["data"])
        elif kind == "update_display_data":
            for data in displays.get(display_id, []):
                data.clear()
                data.update(from_dict(content["data"]))
            continue
        return msg


def pytest_configure(config: Any) -> None:
    IPyNbFile.get_kernel_message = _get_kernel_message  # type: ignore[method-assign]
