"""Structured outputs: ``output_config.format`` answers JSON valid for the schema, strict tools too.

The API constrains sampling to the schema (platform.claude.com/docs/en/build-with-claude/
structured-outputs), so the answer's text *is* the JSON document, streamed in ordinary
``text_delta`` events; the SDK's ``parsed_snapshot()`` parses each prefix with jiter's
partial mode and ``messages.parse()`` validates the whole. The offline server has no
sampler; it builds a value that the schema accepts, taking what it can from the prompt
(numbers, names in capitals, quoted strings, e-mail addresses), as tool inputs are.

Checks done before answering, in the API's error style:

- ``output_config.format.type`` other than ``json_schema`` (``yaml``…) is a tag error;
- the schema must be a valid JSON Schema (checked with the ``jsonschema`` library);
- models without the capability refuse it (:mod:`._capabilities`);
- a tool with ``strict: true`` gets the same schema check, and its inputs are made to
  validate against its ``input_schema``.
"""

from __future__ import annotations

import importlib
import json
import re
import uuid
from dataclasses import dataclass, field, replace
from functools import cache
from types import ModuleType
from typing import Any

from ._answer import Answer, Block
from ._capabilities import supports
from ._errors import invalid

# Property names that say what a number or a string is about.
_MONEY = ("price", "cost", "amount", "total", "fee", "salary", "usd", "eur", "dollar", "budget")
_COUNT = ("quantity", "count", "qty", "number_of", "num_", "units", "items", "age", "year")
_NAMED = ("name", "product", "title", "item", "person", "city", "company", "brand", "author", "country")
_NUMBER = re.compile(r"(?<![\w.])(-?\$?\d+(?:\.\d+)?)(\s*(?:dollars?|usd|euros?|eur|\$|€))?", re.IGNORECASE)
_CAPITALISED = re.compile(r"(?<![.!?:\"“'\n])(?<![.!?:\"“']\s)\b([A-Z][a-z][\w'-]*(?:\s+[A-Z][a-z][\w'-]*)*)")
_NOT_NAMES = {"I", "Hi", "Hello", "Please", "Extract", "The", "What", "Thanks", "Dear"}
_FORMATS = {"date": "2026-01-01", "date-time": "2026-01-01T00:00:00Z", "time": "00:00:00", "duration": "P1D",
            "email": "user@example.com", "hostname": "example.com", "uri": "https://example.com",
            "ipv4": "192.0.2.1", "ipv6": "2001:db8::1"}


def output_schema(body: dict[str, Any], model: str) -> dict[str, Any] | None:
    """The validated ``output_config.format.schema`` of a request body, or None without one."""
    config = body.get("output_config")
    if config is None:
        return None
    if not isinstance(config, dict):
        raise invalid("output_config: Input should be a valid dictionary")
    fmt = config.get("format")
    if fmt is None:
        return None
    tag = fmt.get("type") if isinstance(fmt, dict) else None
    if tag != "json_schema":
        raise invalid(f"output_config.format: Input tag '{tag}' found using 'type' does not match any of the "
                      "expected tags: 'json_schema'")
    assert isinstance(fmt, dict)
    schema = fmt.get("schema")
    if not isinstance(schema, dict):
        raise invalid("output_config.format.json_schema.schema: Field required")
    check_schema(schema, "output_config.format.schema")
    if not supports(model, "structured_outputs"):
        raise invalid(f"'{model}' does not support output_config.format (structured outputs). "
                      "Use a model that supports structured outputs, or remove output_config.format.")
    return schema


def check_strict_tool(tool: dict[str, Any], index: int, model: str) -> None:
    """A ``strict: true`` tool: its schema must compile, and the model must support strict tools."""
    schema = tool.get("input_schema")
    if isinstance(schema, dict):
        check_schema(schema, f"tools.{index}.custom.input_schema")
    if not supports(model, "structured_outputs"):
        raise invalid(f"tools.{index}.custom.strict: '{model}' does not support strict tool use. "
                      "Remove `strict` or use a model that supports structured outputs.")


@cache
def _jsonschema() -> ModuleType:
    """``jsonschema``, imported on the first schema: its import builds rfc3987-syntax's grammars
    with lark (~1 s, 40% of ``import claude_widgets``), a cost every kernel and server start
    would pay for a feature most requests never use."""
    return importlib.import_module("jsonschema")


def check_schema(schema: dict[str, Any], where: str) -> None:
    jsonschema = _jsonschema()
    try:
        jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator).check_schema(schema)
    except jsonschema.SchemaError as err:
        raise invalid(f"{where}: Invalid JSON schema: {err.message}") from None


# --------------------------------------------------------------------------- building a value

@dataclass
class Facts:
    """What the prompt offers as values; numbers are taken once each, in order."""

    text: str
    used: set[int] = field(default_factory=set)

    def number(self, name: str, integer: bool) -> float | None:
        found = [(m.start(), m.group(1).lstrip("$"), bool(m.group(2)) or "$" in m.group(1))
                 for m in _NUMBER.finditer(self.text)]
        fresh = [f for f in found if f[0] not in self.used]
        lname = name.lower()
        ranked = fresh
        if any(k in lname for k in _MONEY):
            ranked = sorted(fresh, key=lambda f: (not f[2], "." not in f[1]))
        elif integer or any(k in lname for k in _COUNT):
            ranked = sorted(fresh, key=lambda f: ("." in f[1], f[2]))
        if not ranked:
            return None
        pos, raw, _ = ranked[0]
        self.used.add(pos)
        return float(raw)

    def string(self, name: str, fmt: str | None = None) -> str:
        lname = name.lower()
        if "email" in lname or fmt == "email":
            m = re.search(r"[\w.+-]+@[\w-]+\.\w+(?:\.\w+)*", self.text)
            if m:
                return m.group(0)
        if fmt == "uri" or "url" in lname:
            m = re.search(r"https?://[^\s\"'<>)]+", self.text)
            if m:
                return m.group(0)
        if fmt in _FORMATS:
            return _FORMATS[fmt]
        if any(k in lname for k in _NAMED):
            for m in _CAPITALISED.finditer(self.text):
                words = m.group(1).split()
                while words and words[0] in _NOT_NAMES:
                    words = words[1:]
                if words:
                    return " ".join(words)
        quoted = re.search(r"[\"“]([^\"”]{1,80})[\"”]", self.text)
        if quoted:
            return quoted.group(1).strip()
        words = " ".join(self.text.split())
        return words[:60] if words else name


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return _resolve(target, root) if isinstance(target, dict) else {}
    return schema


def value_for(schema: dict[str, Any], facts: Facts, *, name: str = "", root: dict[str, Any] | None = None) -> Any:
    """A value ``schema`` accepts, drawn from ``facts`` where the property name says what it is."""
    root = root if root is not None else schema
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        for option in schema["enum"]:
            if isinstance(option, str) and re.search(rf"\b{re.escape(option.lower())}\b", facts.text.lower()):
                return option
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        variants = [v for v in schema.get(key, []) if isinstance(v, dict)]
        if variants:
            chosen = next((v for v in variants if _resolve(v, root).get("type") != "null"), variants[0])
            return value_for(chosen, facts, name=name, root=root)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(_resolve(part, root))
        return value_for(merged, facts, name=name, root=root)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props: dict[str, Any] = schema.get("properties", {})
        wanted = schema.get("required", list(props))
        return {key: value_for(props.get(key, {}), facts, name=key, root=root) for key in props if key in wanted}
    if kind == "array":
        items = schema.get("items", {})
        count = max(1, int(schema.get("minItems", 1)))
        if "maxItems" in schema:
            count = min(count, int(schema["maxItems"]))
        return [value_for(items if isinstance(items, dict) else {}, facts, name=name, root=root) for _ in range(count)]
    if kind in ("number", "integer"):
        value = facts.number(name, kind == "integer")
        value = 1.0 if value is None else value
        if "minimum" in schema:
            value = max(value, float(schema["minimum"]))
        if "maximum" in schema:
            value = min(value, float(schema["maximum"]))
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    fmt = schema.get("format")
    if fmt == "uuid":
        return str(uuid.uuid5(uuid.NAMESPACE_URL, facts.text))
    text = facts.string(name, fmt if isinstance(fmt, str) else None)
    if "maxLength" in schema:
        text = text[: int(schema["maxLength"])]
    if len(text) < int(schema.get("minLength", 0)):
        text = text.ljust(int(schema["minLength"]), ".")
    return text


def conform(value: dict[str, Any], schema: dict[str, Any], facts: Facts) -> dict[str, Any]:
    """``value`` if ``schema`` accepts it, else a value built for the schema that keeps what it can."""
    jsonschema = _jsonschema()
    if jsonschema.Draft202012Validator(schema).is_valid(value):
        return value
    built = value_for(schema, facts)
    if isinstance(built, dict):
        for key, item in value.items():
            if key in built and jsonschema.Draft202012Validator(
                    {**_resolve(schema, schema).get("properties", {}).get(key, {}),
                     "$defs": schema.get("$defs", {})}).is_valid(item):
                built[key] = item
        return built
    return value


def _prompt_text(messages: list[dict[str, Any]]) -> str:
    last = next((m for m in reversed(messages) if m["role"] == "user"), messages[-1])
    parts = []
    for block in last["content"]:
        if block.get("type") == "text":
            parts.append(block["text"])
        elif block.get("type") == "tool_result":
            content = block.get("content") or ""  # optional, and the validator lets `null` through as absent
            parts.append(content if isinstance(content, str)
                         else " ".join(c.get("text", "") for c in content if isinstance(c, dict)))
    return "\n".join(parts)


def shape(answer: Answer, schema: dict[str, Any] | None, strict_tools: dict[str, dict[str, Any]],
          messages: list[dict[str, Any]]) -> Answer:
    """The answer as structured outputs constrain it.

    With a JSON output format, a final answer (not a tool call) is one text block holding
    the JSON document (thinking, if any, stays before it); inputs of strict tools are
    made valid for their schemas.
    """
    if schema is None and not strict_tools:
        return answer
    facts = Facts(_prompt_text(messages))
    blocks = [replace(b, input=conform(b.input, strict_tools[b.name], facts))
              if b.type == "tool_use" and b.name in strict_tools else b for b in answer.blocks]
    if schema is not None and answer.stop_reason != "tool_use":
        document = json.dumps(value_for(schema, facts), ensure_ascii=False)
        blocks = [b for b in blocks if b.type == "thinking"] + [Block("text", document)]
    return Answer(blocks, answer.stop_reason)
