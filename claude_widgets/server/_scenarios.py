"""What the offline server answers: scripted scenarios, tool calls, and a generic answer.

Each scenario is a pure function of the request (no clock, no randomness), so a
notebook that runs twice stores the same outputs. A scenario is chosen by the header
``x-offline-scenario: NAME`` or, failing that, by matching the last user message;
anything unmatched gets the generic answer, which says honestly that it comes from the
offline stand-in. With ``tools`` in the request, a question that calls for a tool gets
``tool_use`` blocks instead (several when it names several places), and a turn carrying
``tool_result`` blocks gets an answer that uses the results.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import count
from typing import Any

from ._answer import Answer, Block
from ._endless import Endless
from ._errors import invalid
from ._request import MessagesRequest, Tool


@dataclass
class Context:
    request: MessagesRequest
    prompt: str
    """The text of the last user message (tool results excluded)."""

    @property
    def lower(self) -> str:
        return self.prompt.lower()


def _user_text(message: dict[str, Any]) -> str:
    return "\n".join(b["text"] for b in message["content"] if b.get("type") == "text").strip()


def _excerpt(text: str, n: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def stable_id(prefix: str, *parts: object) -> str:
    """An id shaped like the API's (``msg_01…``, ``toolu_01…``), derived from its inputs."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).digest()
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    n = int.from_bytes(digest, "big")
    chars = []
    for _ in range(22):
        n, r = divmod(n, 62)
        chars.append(alphabet[r])
    return f"{prefix}_01{''.join(chars)}"


# --------------------------------------------------------------------------- scripted texts

HAIKU = "Tokens drift like snow,\neach one lands before the next—\nthe answer takes shape."

STREAMING_WHY = (
    "Streaming matters because **people judge speed by the first word, not the last**. "
    "A model that needs ten seconds to write a long answer feels slow if you wait for all of it, "
    "but feels instant when the first tokens appear after half a second.\n\n"
    "It also changes what you can build:\n\n"
    "- **Responsiveness** — readers start reading while the rest is still being written.\n"
    "- **Control** — a user (or your code) can stop a wrong answer early and save tokens.\n"
    "- **Robustness** — long generations avoid HTTP timeouts because bytes keep flowing.\n\n"
    "The price is a little more code: you handle a sequence of events instead of one response, "
    "and you must cope with a stream that fails halfway."
)

SSE_EXPLAINER = """## Server-sent events in one page

**Server-sent events (SSE)** are a plain-HTTP way for a server to push a stream of messages to a client.
The response has `Content-Type: text/event-stream` and stays open; each message is a few `field: value` lines
followed by a blank line:

```text
event: content_block_delta
data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}}

```

### Why the Messages API uses it
1. It is ordinary HTTP: proxies, load balancers and `curl` all understand it.
2. It is one-way, which is exactly what a generated answer is.
3. Framing is trivial, so every language can parse it — *if* you buffer partial lines.

### The one rule people break
A network chunk is **not** an event: a chunk can end in the middle of a line, and one chunk can hold
several events. Always buffer until you see the blank line that ends an event."""

CAPITAL = "The capital of France is **Paris**."

STORY = (
    "The lighthouse keeper had counted ships for forty years, but the one that arrived on the last night "
    "of autumn carried no lights at all. It slid into the harbour without a sound, its sails the colour of "
    "fog, and when the keeper rowed out to meet it he found the deck empty except for a single lantern and "
    "a note in his own handwriting.\n\n"
    "*Keep the light burning*, it said, *someone is still on the way.*\n\n"
    "So he climbed the stairs again, trimmed the wick, and watched the dark water until morning. "
    "Just before dawn, far out past the reef, a small answering light blinked three times."
)

MARKDOWN_TOUR = """# A tour of Markdown

Claude answers in **Markdown**, so a good viewer renders *emphasis*, `inline code`, and [links](https://docs.claude.com).

## Lists

- Streaming shows tokens **as they arrive**
- Each delta is a few characters
  - nested items work too
1. First, open the stream
2. Then, read the events
3. Finally, get the final message

## Code

```python
with client.messages.stream(model=MODEL, max_tokens=256, messages=msgs) as stream:
    for text in stream.text_stream:
        print(text, end="", flush=True)
```

## A table

| Event | When |
|---|---|
| `message_start` | once, first |
| `content_block_delta` | many times |
| `message_stop` | once, last |

> Quotes render as block quotes.

That's the tour."""

XSS = """Here are some strings that must stay **inert** when shown:

<script>alert('xss-script')</script>

<img src=x onerror="alert('xss-img')">

<svg onload="alert('xss-svg')"><circle r="5"/></svg>

<iframe srcdoc="<script>alert('xss-iframe')</script>"></iframe>

<style>body { display: none !important; }</style>

<a href="javascript:alert('xss-href')">click me</a>

[a markdown link](javascript:alert('xss-md-link'))

<details open ontoggle="alert('xss-details')"><summary>details</summary>x</details>

<math><mtext><table><mglyph><style><img src=x onerror="alert('xss-math')"></style></mglyph></table></mtext></math>

<form action="javascript:alert('xss-form')"><button>go</button></form>

<object data="javascript:alert('xss-object')"></object>

<p style="background:url(javascript:alert('xss-style'))" onclick="alert('xss-onclick')">styled</p>

![img](x" onerror="alert('xss-md-img'))

End of payloads."""

PRIME_THINKING = (
    "I need to decide whether 1,001 is prime. It is odd, so 2 does not divide it. Digit sum is 2, so not 3. "
    "It doesn't end in 0 or 5. Try 7: 7 × 143 = 1,001. So it is composite. Factor 143: 11 × 13 = 143. "
    "So 1,001 = 7 × 11 × 13."
)
PRIME_ANSWER = (
    "No — **1,001 is not prime**. It factors as\n\n"
    "$$1001 = 7 \\times 11 \\times 13$$\n\n"
    "A quick way to see it: 1,001 = 1,000 + 1, and 7 × 143 = 1,001."
)


def _count_answer(ctx: Context) -> str:
    m = re.search(r"count (?:from (\d+) )?(?:up )?to (\d+)", ctx.lower)
    start, end = (int(m.group(1) or 1), int(m.group(2))) if m else (1, 10)
    end = min(end, start + 10_000)
    return ", ".join(str(i) for i in range(start, end + 1)) + "."


def _long_sections() -> Iterator[str]:
    """Endless, varied Markdown, generated section by section as it streams (see ``_endless``).

    For benchmarks and long-stream demos: ``max_tokens`` (or a stop sequence) ends it.
    """
    topics = ("streaming", "events", "deltas", "tokens", "widgets", "kernels", "buffers", "retries")
    for i in count():
        t = topics[i % len(topics)]
        yield (
            ("\n\n" if i else "")
            + f"## Section {i + 1}: {t}\n\n"
            f"This paragraph talks about **{t}** in some depth, so that the answer has realistic prose "
            f"between the structural elements. It mentions `code`, *emphasis* and a [link](https://example.com/{t}).\n\n"
            f"- first point about {t}\n- second point, with **bold** text\n- third point: {i * 7 % 97} items\n\n"
            f"```python\ndef handle_{t}(n: int) -> int:\n    return n * {i % 9 + 2}\n```\n\n"
            f"| name | value |\n|---|---|\n| {t} | {i} |\n| squared | {i * i} |"
        )


def _generic(ctx: Context) -> str:
    words = len(ctx.prompt.split())
    turns = len(ctx.request.conversation)
    lines = [
        (f"I'm the **offline stand-in** for Claude, so I can't truly answer “{_excerpt(ctx.prompt)}”. "
         "Here is what I can tell you about your request instead:"),
        "",
        (f"1. Your message has {words} word{'s' if words != 1 else ''} and the conversation has "
         f"{turns} message{'s' if turns != 1 else ''}."),
        "2. This reply streams as `text_delta` events of a few tokens each, exactly like the real API.",
        "3. To ask the real Claude, set `ANTHROPIC_API_KEY` and unset `CLAUDE_WIDGETS_OFFLINE`.",
    ]
    if ctx.request.system:
        lines.append(f"\nI also received your system prompt: “{_excerpt(ctx.request.system, 60)}”.")
    return "\n".join(lines)


def _recall(ctx: Context) -> str | None:
    """Multi-turn memory the notebooks demonstrate: names and the previous question."""
    history = [_user_text(m) for m in ctx.request.conversation[:-1] if m["role"] == "user"]
    if re.search(r"\bwhat(?:'s| is) my name\b", ctx.lower):
        for text in reversed(history):
            m = re.search(r"\bmy name is ([A-Z][\w-]*)", text)
            if m:
                return f"Your name is **{m.group(1)}** — you told me earlier in this conversation."
        return "You haven't told me your name yet in this conversation."
    m = re.search(r"\bmy name is ([A-Z][\w-]*)", ctx.prompt)
    if m:
        return f"Nice to meet you, {m.group(1)}! I'll remember your name for the rest of this conversation."
    if re.search(r"what did i (just )?ask|my (previous|last|first) question", ctx.lower):
        if history:
            return f"Your previous message was: “{_excerpt(history[-1], 120)}”."
        return "This is the first message of our conversation."
    return None


# name -> (trigger regex or None, text function)
_TEXT_SCENARIOS: dict[str, tuple[str | None, Callable[[Context], str]]] = {
    "haiku": (r"\bhaiku\b", lambda c: HAIKU),
    "why-streaming": (r"why (does |is )?streaming|streaming matter", lambda c: STREAMING_WHY),
    "sse": (r"server[- ]sent events|\bsse\b", lambda c: SSE_EXPLAINER),
    "capital": (r"capital of france", lambda c: CAPITAL),
    "story": (r"\bstory\b", lambda c: STORY),
    "count": (r"\bcount (from \d+ )?(up )?to \d+", _count_answer),
    "markdown-tour": (r"markdown tour|tour of markdown", lambda c: MARKDOWN_TOUR),
    "prime": (r"\b1,?001\b.*\bprime\b|\bprime\b.*\b1,?001\b", lambda c: PRIME_ANSWER),
    "xss": (r"\bxss\b", lambda c: XSS),
    "long": (r"\blong (markdown|answer|essay)\b", lambda c: ""),  # endless: see answer()
    "generic": (None, _generic),
}

SCENARIOS = tuple(_TEXT_SCENARIOS)
"""Names accepted by the ``x-offline-scenario`` header."""


# --------------------------------------------------------------------------- tools

_STOP = {"get", "set", "fetch", "lookup", "look", "search", "tool", "the", "current", "find", "run", "do"}
_SYNONYMS = {
    "weather": ("weather", "temperature", "forecast", "raining", "sunny"),
    "calculate": ("calculate", "compute", "sum", "multiply", "fahrenheit", "how much is", "what is"),
    "calculator": ("calculate", "compute", "sum", "multiply", "fahrenheit", "how much is"),
    "time": ("time", "clock", "o'clock"),
    "convert": ("convert", "fahrenheit", "celsius", "in miles", "in km"),
    "stock": ("stock", "share price", "ticker"),
}
_MATH = re.compile(r"(?<![\w.])[-(]*\d[\d.,]*(?:\s*[-+*/^×÷%]\s*[-(]*\d[\d.,]*\)*)+")
_PLACE = re.compile(r"\b(?:in|for|at|and|of)\s+((?:[A-Z][a-zA-Z'-]+)(?:\s+[A-Z][a-zA-Z'-]+)?)")
_NOT_PLACES = {"Celsius", "Fahrenheit", "I", "What", "The", "Please", "Python", "JSON", "Markdown"}


def _tool_keywords(tool: Tool) -> list[str]:
    words = [w for w in re.split(r"[_\W]+", tool.name.lower()) if w and w not in _STOP]
    keys: list[str] = []
    for w in words:
        keys.append(w)
        keys.extend(_SYNONYMS.get(w, ()))
    return keys


def _mentions(tool: Tool, ctx: Context) -> int:
    """Where the prompt first asks for this tool (-1 if it doesn't)."""
    positions = [ctx.lower.find(k) for k in _tool_keywords(tool) if k in ctx.lower]
    props = tool.input_schema.get("properties", {})
    if any(p in props for p in ("expression", "expr", "formula")) and _MATH.search(ctx.prompt):
        positions.append(_MATH.search(ctx.prompt).start())  # type: ignore[union-attr]
    return min(positions) if positions else -1


def _places(text: str) -> list[str]:
    found = []
    for m in _PLACE.finditer(text):
        place = m.group(1)
        if place.split()[0] not in _NOT_PLACES and place not in found:
            found.append(place)
    return found


def _numbers(text: str) -> list[str]:
    return re.findall(r"-?\d+(?:\.\d+)?", text)


def _value_for(name: str, schema: dict[str, Any], ctx: Context, place: str | None, results: list[str]) -> Any:
    """A plausible argument for one input property, taken from the prompt where possible."""
    kind = schema.get("type", "string")
    lname = name.lower()
    if schema.get("enum"):
        enum = schema["enum"]
        for option in enum:
            if str(option).lower() in ctx.lower:
                return option
        return enum[0]
    if kind in ("integer", "number"):
        nums = _numbers(ctx.prompt) or _numbers(" ".join(results)) or ["1"]
        value = float(nums[0])
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return {}
    if any(k in lname for k in ("location", "city", "place", "where", "town", "country")):
        return place or "San Francisco, CA"
    if any(k in lname for k in ("expression", "expr", "formula", "math")):
        m = _MATH.search(ctx.prompt)
        if m:
            return m.group(0).replace("×", "*").replace("÷", "/").strip()
        # A second step: convert a number an earlier tool returned (°C -> °F is the classic).
        nums = _numbers(" ".join(results))
        if nums and "fahrenheit" in ctx.lower:
            return f"{nums[0]} * 9 / 5 + 32"
        return nums[0] if nums else "1 + 1"
    if _is_identifier(name, schema):
        nums = _numbers(ctx.prompt)
        return nums[0] if nums else "1"
    if any(k in lname for k in ("path", "directory", "folder", "file", "dir")):
        return _path_for(ctx, results)
    if any(k in lname for k in ("timezone", "tz", "zone")):
        return place or "UTC"
    if "unit" in lname:
        return "fahrenheit" if "fahrenheit" in ctx.lower else "celsius"
    quoted = re.search(r"[\"“']([^\"”']{1,80})[\"”']", ctx.prompt)
    if quoted:
        return quoted.group(1)
    return place or _excerpt(ctx.prompt, 40)


def _is_identifier(name: str, schema: dict[str, Any]) -> bool:
    """An order number, a ticket id: a string the prompt must give (the model asks for it otherwise)."""
    lname = name.lower()
    return schema.get("type", "string") == "string" and (lname in ("id", "number") or lname.endswith(("_id", "_number")))


def _path_for(ctx: Context, results: list[str]) -> str:
    """A file path: one a tool returned that the prompt's extension (".log") selects, else one the prompt names."""
    paths: list[str] = re.findall(r"(?<![\w.])/[\w./-]*\w", "\n".join(results))
    wanted = re.findall(r"\.\w+\b", ctx.prompt)
    for path in paths:
        if any(path.endswith(ext) for ext in wanted):
            return str(path)
    named: list[str] = re.findall(r"(?<![\w.])/[\w./-]*\w", ctx.prompt)
    return named[0] if named else (paths[0] if paths else ".")


def _tool_history(req: MessagesRequest) -> tuple[list[tuple[dict[str, Any], str, bool]], int]:
    """Tool calls made since the last plain user message, with their results."""
    msgs = req.conversation
    start = 0
    for i, m in enumerate(msgs):
        if m["role"] == "user" and not any(b.get("type") == "tool_result" for b in m["content"]):
            start = i
    calls: dict[str, dict[str, Any]] = {}
    out: list[tuple[dict[str, Any], str, bool]] = []
    for m in msgs[start:]:
        for b in m["content"]:
            if b.get("type") == "tool_use":
                calls[b.get("id", "")] = b
            elif b.get("type") == "tool_result":
                content = b.get("content") or ""  # optional; `null` passes validation as absent
                if isinstance(content, list):
                    content = "\n".join(c.get("text", "") for c in content if isinstance(c, dict))
                call = calls.get(b["tool_use_id"], {"name": "tool", "input": {}})
                out.append((call, str(content), bool(b.get("is_error"))))
    return out, start


def _plan_tool_calls(ctx: Context, done: list[tuple[dict[str, Any], str, bool]]) -> list[Block]:
    req = ctx.request
    choice = req.tool_choice
    if choice["type"] == "none" or not req.tools:
        return []
    used = {call["name"] for call, _, _ in done}
    if choice["type"] == "tool":
        candidates = [t for t in req.tools if t.name == choice["name"]]
        if used:
            return []
    else:
        ranked = sorted(((_mentions(t, ctx), i, t) for i, t in enumerate(req.tools)), key=lambda x: (x[0] < 0, x[0], x[1]))
        candidates = [t for pos, _, t in ranked if pos >= 0 and t.name not in used]
        if not candidates and choice["type"] == "any" and not used:
            candidates = [req.tools[0]]
    if not candidates:
        return []
    results = [r for _, r, _ in done]
    if choice["type"] == "auto":
        # A model asks for an order number rather than call a tool without one.
        candidates = [t for t in candidates if not any(
            _is_identifier(n, sch) and n in t.input_schema.get("required", list(t.input_schema.get("properties", {})))
            for n, sch in t.input_schema.get("properties", {}).items()) or _numbers(ctx.prompt)]
        if not candidates:
            return []
    tool = candidates[0]
    props: dict[str, Any] = tool.input_schema.get("properties", {})
    required = set(tool.input_schema.get("required", list(props)))
    place_props = [p for p in props if any(k in p.lower() for k in ("location", "city", "place", "town", "country", "timezone"))]
    places: Sequence[str | None] = _places(ctx.prompt) if place_props else []
    blocks = []
    for place in places or [None]:
        args = {name: _value_for(name, schema, ctx, place, results)
                for name, schema in props.items() if name in required or name in place_props}
        blocks.append(Block("tool_use", name=tool.name, input=args,
                            id=stable_id("toolu", req.model, req.conversation, tool.name, args)))
    # disable_parallel_tool_use: at most one tool_use (the tool-use page, "Parallel tool use").
    return blocks[:1] if choice.get("disable_parallel_tool_use") else blocks


def _tool_preamble(calls: list[Block]) -> str:
    name = calls[0].name
    targets = [str(next(iter(c.input.values()), "")) for c in calls if c.input]
    if len(calls) > 1:
        return f"I'll call `{name}` for {', '.join(targets[:-1])} and {targets[-1]}."
    if targets and targets[0]:
        return f"I'll use the `{name}` tool for {targets[0]}."
    return f"I'll use the `{name}` tool."


def _answer_from_results(ctx: Context, done: list[tuple[dict[str, Any], str, bool]]) -> str:
    failed = [(c, r) for c, r, err in done if err]
    ok = [(c, r) for c, r, err in done if not err]
    lines: list[str] = []
    if ok:
        if len(ok) == 1:
            call, result = ok[0]
            arg = next(iter(call.get("input", {}).values()), None)
            lines.append(f"According to `{call['name']}`{f' for {arg}' if arg else ''}: **{result.strip()}**.")
        else:
            lines.append("Here is what the tools returned:\n")
            for call, result in ok:
                arg = next(iter(call.get("input", {}).values()), call["name"])
                lines.append(f"- **{arg}**: {result.strip()}")
    for call, result in failed:
        lines.append(f"\nThe `{call['name']}` tool failed ({_excerpt(result.strip(), 100)}), "
                     "so I can't give you that part of the answer.")
    return "\n".join(lines).strip()


# --------------------------------------------------------------------------- thinking

def _thinking_for(ctx: Context, scenario: str, calls: list[Block]) -> str:
    if scenario == "prime":
        return PRIME_THINKING
    if calls:
        names = ", ".join(dict.fromkeys(f"`{c.name}`" for c in calls))
        return (f"The user asks: “{_excerpt(ctx.prompt)}”. I don't know this from memory, but I have "
                f"tools. I should call {names} with the details from the question, then answer from the results.")
    return (f"The user asks: “{_excerpt(ctx.prompt)}”. Let me work out what a good answer needs: "
            "be accurate, be brief, and use Markdown where it helps the reader.")


# --------------------------------------------------------------------------- entry point

def choose(ctx: Context, header: str | None) -> str:
    if header:
        if header not in _TEXT_SCENARIOS:
            raise invalid(f"x-offline-scenario: unknown scenario '{header}'; known: {', '.join(SCENARIOS)}")
        return header
    for name, (pattern, _) in _TEXT_SCENARIOS.items():
        if pattern and re.search(pattern, ctx.lower):
            return name
    return "generic"


def answer(req: MessagesRequest, scenario_header: str | None = None) -> Answer:
    """The complete answer for ``req`` (before ``max_tokens``/stop sequences/prefill are applied)."""
    last_user = next(m for m in reversed(req.conversation) if m["role"] == "user")
    done, start = _tool_history(req)
    prompt = _user_text(req.conversation[start]) if done else _user_text(last_user)
    ctx = Context(req, prompt)
    name = choose(ctx, scenario_header)
    calls = [] if scenario_header else _plan_tool_calls(ctx, done)
    blocks: list[Block] = []
    if req.thinking_enabled:
        # display "omitted": the block and its signature arrive, the thinking text does not.
        omitted = req.thinking.get("display") == "omitted"  # type: ignore[union-attr]
        blocks.append(Block("thinking", "" if omitted else _thinking_for(ctx, name, calls)))
    if calls:
        if req.tool_choice["type"] not in ("any", "tool"):
            # Forced tool use prefills the assistant turn: the tool_use comes first, no text before it.
            blocks.append(Block("text", _tool_preamble(calls)))
        blocks.extend(calls)
        return Answer(blocks, "tool_use")
    if done:
        text = _answer_from_results(ctx, done)
    elif name == "long":
        blocks.append(Block("text", endless=Endless(_long_sections)))  # cut by max_tokens as it streams
        return Answer(blocks)
    else:
        text = (_recall(ctx) if name == "generic" else None) or _TEXT_SCENARIOS[name][1](ctx)
    blocks.append(Block("text", text))
    return Answer(blocks)
