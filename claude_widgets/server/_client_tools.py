"""Anthropic-defined client tools: ``bash``, the text editor and ``memory``.

They are typed (``bash_20250124``, ``text_editor_20250728``, ``memory_20250818``…) and
carry no ``input_schema``: the schema is built into the model, and *your* code runs them,
so the offline server treats them as client tools (unlike server tools such as web
search, which it does not simulate). The schemas below are the documented inputs (the
bash, text-editor and memory tool pages under platform.claude.com/docs/en/agents-and-tools/
tool-use/), so tool calls the server makes for them have the fields a handler expects.
"""

from __future__ import annotations

from typing import Any

_STRING = {"type": "string"}
SCHEMAS: dict[str, dict[str, Any]] = {
    "bash_": {"type": "object", "properties": {"command": _STRING}, "required": ["command"]},
    "text_editor_": {"type": "object", "properties": {"command": {"type": "string", "enum": ["view", "create",
                                                                  "str_replace", "insert"]}, "path": _STRING},
                     "required": ["command", "path"]},
    "memory_": {"type": "object", "properties": {"command": {"type": "string", "enum": ["view", "create",
                                                             "str_replace", "insert", "delete", "rename"]},
                                                 "path": _STRING}, "required": ["command", "path"]},
}


def client_tool_schema(tool: dict[str, Any]) -> dict[str, Any] | None:
    """The built-in input schema of an Anthropic-defined client tool, or None for any other tool."""
    kind = tool.get("type")
    if not isinstance(kind, str):
        return None
    return next((schema for prefix, schema in SCHEMAS.items() if kind.startswith(prefix)), None)
