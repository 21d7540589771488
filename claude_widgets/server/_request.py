"""Validating a Messages API request body, the way the API does, into a typed request.

A learner will poke at the edges (no ``max_tokens``, an empty ``messages`` list, a
string where a number belongs, a field that doesn't exist): each gets the API's
400 ``invalid_request_error`` with a message in the API's own style, naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._catalogue import ModelEntry, Rules, find, sdk_model_ids
from ._caching import breakpoints
from ._citations import requested as citations_requested
from ._client_tools import client_tool_schema
from ._eager import check_tool as check_eager_tool
from ._errors import APIError, invalid
from ._structured import check_strict_tool, output_schema
from ._thinking_rules import check as check_thinking_rules

# Body fields of POST /v1/messages, from the SDK's MessageCreateParams, plus the sampling
# parameters (still accepted by the API for older models) and beta fields the SDK's
# `beta.messages` sends.
MESSAGE_FIELDS = frozenset(
    {
        "model", "messages", "max_tokens", "system", "stream", "stop_sequences", "metadata",
        "tools", "tool_choice", "thinking", "service_tier", "output_config", "container",
        "cache_control", "diagnostics", "inference_geo", "speed", "temperature", "top_p",
        "top_k", "context_management", "mcp_servers",
    }
)
COUNT_TOKENS_FIELDS = frozenset(
    {"model", "messages", "system", "tools", "tool_choice", "thinking", "output_config",
     "cache_control", "speed", "context_management", "mcp_servers"}
)
SAMPLING_DEFAULTS: dict[str, float | None] = {"temperature": 1, "top_p": 1, "top_k": None}
"""Sampling values that count as "left at the default" on models that reject sampling
parameters (Bedrock's Mythos model cards: "temperature must be 1.0 or unset")."""

PERMISSIVE = Rules(prefill=True, sampling=True, manual_thinking=True, adaptive_thinking=True,
                   forced_tool_choice=True, thinking_disabled=True, between_tools=True)
"""For an id the installed SDK names but the catalogue does not list yet (a newer SDK):
the offline server must not invent an error the real API would not give."""

CONTENT_BLOCK_TYPES = frozenset(
    {"text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking",
     "search_result", "server_tool_use", "web_search_tool_result", "container_upload"}
)



@dataclass
class Tool:
    name: str
    description: str
    input_schema: dict[str, Any]
    strict: bool = False


@dataclass
class MessagesRequest:
    """A validated request; ``messages`` keep the API's shape (content always a list)."""

    model: str
    messages: list[dict[str, Any]]
    max_tokens: int
    stream: bool = False
    system: str = ""
    stop_sequences: list[str] = field(default_factory=list)
    tools: list[Tool] = field(default_factory=list)
    tool_choice: dict[str, Any] = field(default_factory=lambda: {"type": "auto"})
    thinking: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    output_schema: dict[str, Any] | None = None
    """``output_config.format.schema``: the answer is JSON valid for it (see ``_structured``)."""

    @property
    def thinking_enabled(self) -> bool:
        return bool(self.thinking and self.thinking.get("type") in ("enabled", "adaptive"))

    @property
    def prefill(self) -> str | None:
        """The text of a trailing assistant turn the answer must continue, if any."""
        last = self.messages[-1]
        if last["role"] != "assistant":
            return None
        return "".join(b.get("text", "") for b in last["content"] if b.get("type") == "text")

    @property
    def conversation(self) -> list[dict[str, Any]]:
        """The messages without a trailing assistant prefill."""
        return self.messages[:-1] if self.messages[-1]["role"] == "assistant" else self.messages


def _type_name(value: Any) -> str:
    return {bool: "a valid boolean", int: "a valid integer", float: "a valid number",
            str: "a valid string", list: "a valid list", dict: "a valid dictionary"}[type(value)] \
        if type(value) in (bool, int, float, str, list, dict) else "valid"


def _expect(value: Any, kind: type | tuple[type, ...], where: str, what: str) -> None:
    ok = isinstance(value, kind) and not (isinstance(value, bool) and kind in (int, (int, float)))
    if not ok:
        raise invalid(f"{where}: Input should be {what}")


def _system_text(system: Any) -> str:
    if system is None:
        return ""
    if isinstance(system, str):
        return system
    if isinstance(system, list):
        parts = []
        for i, block in enumerate(system):
            if not isinstance(block, dict) or block.get("type") != "text" or not isinstance(block.get("text"), str):
                raise invalid(f"system.{i}: Input should be a valid text block")
            parts.append(block["text"])
        return "\n".join(parts)
    raise invalid("system: Input should be a valid string or a list of text blocks")


def _normalise_messages(messages: Any) -> list[dict[str, Any]]:
    _expect(messages, list, "messages", "a valid list")
    if not messages:
        raise invalid("messages: at least one message is required")
    out: list[dict[str, Any]] = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            raise invalid(f"messages.{i}: Input should be a valid dictionary")
        extra = set(m) - {"role", "content"}
        if extra:
            raise invalid(f"messages.{i}.{min(extra)}: Extra inputs are not permitted")
        role = m.get("role")
        if role not in ("user", "assistant"):
            raise invalid(f"messages.{i}.role: Input should be 'user' or 'assistant'")
        if "content" not in m:
            raise invalid(f"messages.{i}.content: Field required")
        content = m["content"]
        if isinstance(content, str):
            blocks = [{"type": "text", "text": content}]
        elif isinstance(content, list):
            blocks = []
            for j, b in enumerate(content):
                if not isinstance(b, dict) or b.get("type") not in CONTENT_BLOCK_TYPES:
                    raise invalid(f"messages.{i}.content.{j}: Input tag '{b.get('type') if isinstance(b, dict) else b}'"
                                  " found using 'type' does not match any of the expected tags")
                if b["type"] == "text" and not isinstance(b.get("text"), str):
                    raise invalid(f"messages.{i}.content.{j}.text: Field required")
                if b["type"] == "tool_result" and not isinstance(b.get("tool_use_id"), str):
                    raise invalid(f"messages.{i}.content.{j}.tool_use_id: Field required")
                blocks.append(b)
        else:
            raise invalid(f"messages.{i}.content: Input should be a valid string or a list of content blocks")
        is_final_assistant = role == "assistant" and i == len(messages) - 1
        if not is_final_assistant and (not blocks or all(b.get("type") == "text" and not b["text"] for b in blocks)):
            raise invalid(f"messages.{i}: all messages must have non-empty content except for the optional "
                          "final assistant message")
        out.append({"role": role, "content": blocks})
    if out[0]["role"] != "user":
        raise invalid('messages: first message must use the "user" role')
    _check_tool_results(out)
    return out


def _check_tool_results(messages: list[dict[str, Any]]) -> None:
    """tool_use and tool_result pair up across adjacent turns, as the API requires.

    Each tool_result answers a tool_use of the assistant turn just before it, and each
    tool_use of an assistant turn that is followed by another message is answered in it.
    """
    for i, m in enumerate(messages):
        prev = messages[i - 1] if i > 0 else None
        ids = {b.get("id") for b in prev["content"] if b.get("type") == "tool_use"} if prev else set()
        for j, b in enumerate(m["content"]):
            if b.get("type") == "tool_result" and b["tool_use_id"] not in ids:
                raise invalid(
                    f"messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: "
                    f"{b['tool_use_id']}. Each `tool_result` block must have a corresponding `tool_use` "
                    "block in the previous message."
                )
        if m["role"] == "assistant" and i + 1 < len(messages):
            answered = {b.get("tool_use_id") for b in messages[i + 1]["content"] if b.get("type") == "tool_result"}
            missing = [str(b.get("id")) for b in m["content"] if b.get("type") == "tool_use"
                       and b.get("id") not in answered]
            if missing:
                raise invalid(
                    f"messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                    f"{', '.join(missing)}. Each `tool_use` block must have a corresponding `tool_result` block "
                    "in the next message."
                )


def _tools(tools: Any, model: str) -> list[Tool]:
    if tools is None:
        return []
    _expect(tools, list, "tools", "a valid list")
    out = []
    names = set()
    for i, t in enumerate(tools):
        if not isinstance(t, dict) or not isinstance(t.get("name"), str):
            raise invalid(f"tools.{i}.name: Field required")
        client_tool = client_tool_schema(t)
        if client_tool is not None:
            out.append(Tool(t["name"], "", client_tool))
            continue
        if t.get("type") not in (None, "custom"):
            # Server tools (web search, code execution...) are not simulated offline.
            raise invalid(f"tools.{i}: the offline server does not simulate server tool '{t.get('type')}'")
        schema = t.get("input_schema")
        if not isinstance(schema, dict):
            raise invalid(f"tools.{i}.custom.input_schema: Field required")
        if t["name"] in names:
            raise invalid(f"tools: Tool names must be unique. Duplicate name: {t['name']}")
        names.add(t["name"])
        if t.get("strict"):
            check_strict_tool(t, i, model)
        check_eager_tool(t, i)
        out.append(Tool(t["name"], t.get("description") or "", schema, strict=bool(t.get("strict"))))
    return out


def _tool_choice(choice: Any, tools: list[Tool], rules: Rules) -> dict[str, Any]:
    if choice is None:
        return {"type": "auto"}
    if not isinstance(choice, dict) or choice.get("type") not in ("auto", "any", "tool", "none"):
        raise invalid("tool_choice: Input tag found using 'type' does not match any of the expected tags: "
                      "'auto', 'any', 'tool', 'none'")
    if choice["type"] == "tool":
        if not isinstance(choice.get("name"), str):
            raise invalid("tool_choice.tool.name: Field required")
        if choice["name"] not in {t.name for t in tools}:
            raise invalid(f"tool_choice: Tool '{choice['name']}' not found in tools")
    if choice["type"] in ("any", "tool") and not tools:
        raise invalid("tool_choice: tool_choice may only be specified while providing tools.")
    if choice["type"] in ("any", "tool") and not rules.forced_tool_choice:
        # The API's wording (anthropics/claude-cookbooks#854, can1357/oh-my-pi#12939).
        raise invalid('tool_choice: type "tool" and "any" are not supported for this model.')
    return dict(choice)


def _thinking(thinking: Any, max_tokens: int | None, rules: Rules) -> dict[str, Any] | None:
    if thinking is None:
        return dict(rules.default_thinking) if rules.default_thinking else None
    if not isinstance(thinking, dict) or thinking.get("type") not in ("enabled", "disabled", "adaptive", "between_tools"):
        raise invalid("thinking: Input tag found using 'type' does not match any of the expected tags: "
                      "'enabled', 'disabled', 'adaptive', 'between_tools'")
    kind = thinking["type"]
    if kind not in rules.thinking_types:
        hint = ('Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.'
                if "adaptive" in rules.thinking_types else
                'Use "thinking.type.enabled" with "budget_tokens" to control thinking behavior.')
        raise invalid(f'"thinking.type.{kind}" is not supported for this model. {hint}')
    if kind == "enabled":
        budget = thinking.get("budget_tokens")
        _expect(budget, int, "thinking.enabled.budget_tokens", "a valid integer")
        assert isinstance(budget, int)  # _expect raised otherwise; narrows the type
        if budget < 1024:
            raise invalid("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
        if max_tokens is not None and max_tokens <= budget:
            raise invalid("`max_tokens` must be greater than `thinking.budget_tokens`. "
                          "Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/"
                          "extended-thinking#max-tokens-and-context-window-size")
    return dict(thinking)


def _model_entry(model: str) -> ModelEntry | None:
    """The catalogue entry for ``model``; 404 as the API answers for retired and unknown ids.

    An id the catalogue lacks but the installed SDK names (a newer SDK) is accepted with
    permissive rules (None).
    """
    entry = find(model)
    if (entry is None and model not in sdk_model_ids()) or (entry is not None and entry.lifecycle == "retired"):
        # The API's answer, e.g. {"type":"not_found_error","message":"model: claude-sonnet-4-20250514"}
        # after that model retired (vicharanashala/vibe#1259).
        raise APIError(404, f"model: {model}", error_type="not_found_error")
    return entry


def parse_messages_request(body: Any, *, count_tokens: bool = False) -> MessagesRequest:
    """Validate ``body`` as the API would; raise :class:`APIError` (400) on the first problem."""
    if not isinstance(body, dict):
        raise invalid("Input should be a valid dictionary")
    allowed = COUNT_TOKENS_FIELDS if count_tokens else MESSAGE_FIELDS
    for key in body:
        if key not in allowed:
            raise invalid(f"{key}: Extra inputs are not permitted")
    if "model" not in body:
        raise invalid("model: Field required")
    model = body["model"]
    _expect(model, str, "model", "a valid string")
    entry = _model_entry(model)
    rules = entry.rules if entry else PERMISSIVE
    if "messages" not in body:
        raise invalid("messages: Field required")
    max_tokens: int | None = None
    if not count_tokens:
        if "max_tokens" not in body:
            raise invalid("max_tokens: Field required")
        max_tokens = body["max_tokens"]
        _expect(max_tokens, int, "max_tokens", "a valid integer")
        if max_tokens < 1:
            raise invalid("max_tokens: Input should be greater than or equal to 1")
        if entry is not None and max_tokens > entry.max_tokens:
            # The API's wording (anthropics/claude-code#24451, BerriAI/litellm#15715).
            raise invalid(f"max_tokens: {max_tokens} > {entry.max_tokens}, which is the maximum allowed "
                          f"number of output tokens for {entry.id}")
    stream = body.get("stream", False)
    _expect(stream, bool, "stream", "a valid boolean")
    for name in ("temperature", "top_p"):
        if name in body:
            _expect(body[name], (int, float), name, "a valid number")
            if not 0 <= body[name] <= 1:
                raise invalid(f"{name}: Input should be less than or equal to 1")
    if "top_k" in body:
        _expect(body["top_k"], int, "top_k", "a valid integer")
    if not rules.sampling:
        for name, default in SAMPLING_DEFAULTS.items():
            if body.get(name) is not None and body[name] != default:
                # The API's wording on Opus 4.7 (Comfy-Org/ComfyUI#13923).
                raise invalid(f"`{name}` is deprecated for this model.")
    stops = body.get("stop_sequences") or []
    _expect(stops, list, "stop_sequences", "a valid list")
    for i, s in enumerate(stops):
        _expect(s, str, f"stop_sequences.{i}", "a valid string")
        if not s.strip():
            raise invalid("stop_sequences: each stop sequence must contain non-whitespace")
    if "metadata" in body and body["metadata"] is not None:
        _expect(body["metadata"], dict, "metadata", "a valid dictionary")
    messages = _normalise_messages(body["messages"])
    tools = _tools(body.get("tools"), model)
    req = MessagesRequest(
        model=model,
        messages=messages,
        max_tokens=max_tokens or 0,
        stream=stream,
        system=_system_text(body.get("system")),
        stop_sequences=list(stops),
        tools=tools,
        tool_choice=_tool_choice(body.get("tool_choice"), tools, rules),
        thinking=_thinking(body.get("thinking"), max_tokens, rules),
        raw=body,
        output_schema=output_schema(body, model),
    )
    check_thinking_rules(body, messages, req.tool_choice, req.thinking_enabled)
    if req.output_schema is not None and citations_requested(req):
        # Incompatible features: a 400 (the structured outputs guide, platform.claude.com/docs/en/
        # build-with-claude/structured-outputs; anthropics/claude-code#19417). The API's exact
        # wording is not documented: this one is ours.
        raise invalid("Citations cannot be used with structured outputs (output_config.format): "
                      "disable citations on the documents and search results, or remove output_config.format.")
    breakpoints(body)
    prefill = req.prefill
    if prefill is not None and not count_tokens:
        if prefill != prefill.rstrip():
            raise invalid("messages: final assistant content cannot end with trailing whitespace")
        if not rules.prefill:
            # The API's wording since Claude 4.6 (migration guide; many client issues quote it).
            raise invalid("This model does not support assistant message prefill. "
                          "The conversation must end with a user message.")
        if req.thinking_enabled:
            raise invalid("messages: pre-filling the assistant response is not compatible with extended "
                          "thinking; remove the final assistant message or disable thinking")
    return req
